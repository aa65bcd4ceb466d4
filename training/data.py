"""Stage 1: the 20 Newsgroups posts, in exactly scikit-learn's order.

``load_newsgroups(subset, categories)`` gives what
``sklearn.datasets.fetch_20newsgroups(subset=..., categories=..., shuffle=True,
random_state=42)`` gives, whether the posts come from scikit-learn's download or
from a local copy of the official ``20news-bydate.tar.gz`` (archive or extracted
folder). The order matters: the walkthrough's numbers (row 134 is long, the
948/238 split) only hold in that order.

scikit-learn builds its order in two shuffles: ``load_files`` shuffles every
file of all 20 groups with ``random_state=0``; ``fetch_20newsgroups`` then keeps
the chosen groups and shuffles again with ``random_state=42``. We ask
``load_files(load_content=False)`` for the first order (its own code, without
reading 11,000 files) and repeat the second.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from training.errors import DataError

SPORT_GROUPS = ("rec.sport.baseball", "rec.sport.hockey")
ALL_GROUPS = (
    "alt.atheism",
    "comp.graphics",
    "comp.os.ms-windows.misc",
    "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware",
    "comp.windows.x",
    "misc.forsale",
    "rec.autos",
    "rec.motorcycles",
    "rec.sport.baseball",
    "rec.sport.hockey",
    "sci.crypt",
    "sci.electronics",
    "sci.med",
    "sci.space",
    "soc.religion.christian",
    "talk.politics.guns",
    "talk.politics.mideast",
    "talk.politics.misc",
    "talk.religion.misc",
)
OTHER_GROUPS = tuple(group for group in ALL_GROUPS if group not in SPORT_GROUPS)
OTHER_LABEL = "other"
SUBSETS = ("train", "test")
_FOLDERS = {"train": "20news-bydate-train", "test": "20news-bydate-test"}
_ARCHIVE_HINT = "point SPORTBOT_20NEWS (or --data) at 20news-bydate.tar.gz or its extracted folder"


def label_of(group: str) -> str:
    """'rec.sport.hockey' -> 'hockey'; any non-sport group -> 'other'."""
    return group.rsplit(".", 1)[-1] if group in SPORT_GROUPS else OTHER_LABEL


@dataclass(frozen=True)
class Source:
    """Where the posts come from: a local copy, or scikit-learn's download."""

    path: Path | None = None
    cache_dir: Path | None = None

    def describe(self) -> str:
        local = self.local_path()
        return str(local) if local else "scikit-learn download"

    def local_path(self) -> Path | None:
        """``path``, or else an archive extracted earlier into ``cache_dir`` (the first
        command's extraction serves every later one without SPORTBOT_20NEWS)."""
        if self.path is not None:
            return self.path
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return None
        found = sorted(
            folder
            for folder in self.cache_dir.glob("20news-bydate-*")
            if (folder / _FOLDERS["train"]).is_dir() and (folder / _FOLDERS["test"]).is_dir()
        )
        return found[-1] if found else None


def load_newsgroups(
    subset: str = "train",
    categories: Iterable[str] | None = SPORT_GROUPS,
    *,
    source: Source | None = None,
) -> pd.DataFrame:
    """Posts of ``categories`` (default: the two sports) with columns ``text``, ``group``.

    Rows are in ``fetch_20newsgroups(shuffle=True, random_state=42)`` order.
    ``categories=None`` loads all 20 groups.
    """
    if subset not in SUBSETS:
        raise DataError(f"Unknown subset {subset!r}; use 'train' or 'test'.")
    wanted = _check_categories(categories)
    source = source or Source()
    path = source.local_path()
    if path is None:
        return _from_sklearn(subset, wanted)
    folder = _extracted_folder(path, source.cache_dir) / _FOLDERS[subset]
    return _from_folder(folder, wanted)


def ensure_available(source: Source) -> None:
    """Fail now, with one line saying how to fix it, when the posts cannot be had.

    Called before a training run starts, so a missing archive never leaves a failed run.
    """
    path = source.local_path()
    if path is None:
        _from_sklearn("train", list(SPORT_GROUPS))  # downloads once, then scikit-learn's cache
    else:
        _extracted_folder(path, source.cache_dir)


def sport_prompts(subset: str = "train", *, source: Source | None = None) -> pd.DataFrame:
    """The walkthrough's ``sport2.jsonl``: stripped post as ``prompt``, sport as ``completion``."""
    posts = load_newsgroups(subset, SPORT_GROUPS, source=source)
    return pd.DataFrame(
        {"prompt": posts["text"].str.strip(), "completion": posts["group"].map(label_of)}
    )


def _check_categories(categories: Iterable[str] | None) -> list[str] | None:
    if categories is None:
        return None
    wanted = list(categories)
    unknown = sorted(set(wanted) - set(ALL_GROUPS))
    if unknown:
        raise DataError(f"Unknown newsgroup(s): {', '.join(unknown)}.")
    return wanted


def _from_sklearn(subset: str, categories: list[str] | None) -> pd.DataFrame:
    from sklearn.datasets import fetch_20newsgroups

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # its "Retry downloading" noise
            bunch = fetch_20newsgroups(
                subset=subset,
                categories=categories,
                shuffle=True,
                random_state=42,
                n_retries=1,
                delay=0.1,
            )
    except OSError as error:  # URLError and socket errors are OSErrors
        raise DataError(f"Cannot download 20 Newsgroups ({error}); {_ARCHIVE_HINT}.") from None
    groups = [bunch.target_names[target] for target in bunch.target]
    return pd.DataFrame({"text": bunch.data, "group": groups})


def _from_folder(folder: Path, categories: list[str] | None) -> pd.DataFrame:
    from sklearn.datasets import load_files

    if not folder.is_dir():
        raise DataError(f"{folder} is missing: not a 20news-bydate copy; {_ARCHIVE_HINT}.")
    # load_files' own order (all groups, shuffled with random_state=0), names only.
    index = load_files(str(folder), load_content=False, shuffle=True, random_state=0)
    filenames = np.asarray(index.filenames)
    targets = np.asarray(index.target)
    names = list(index.target_names)
    if categories is not None:
        missing = sorted(set(categories) - set(names))
        if missing:
            raise DataError(f"{folder} has no folder for {', '.join(missing)}; {_ARCHIVE_HINT}.")
        # As fetch_20newsgroups: keep the chosen groups, in their original relative order.
        mask = np.isin(targets, [names.index(group) for group in categories])
        filenames, targets = filenames[mask], targets[mask]
    order = np.arange(len(targets))
    np.random.RandomState(42).shuffle(order)
    filenames, targets = filenames[order], targets[order]
    texts = [Path(name).read_bytes().decode("latin1") for name in filenames]
    return pd.DataFrame({"text": texts, "group": [names[target] for target in targets]})


def _extracted_folder(path: Path, cache_dir: Path | None) -> Path:
    """The folder holding ``20news-bydate-train``/``-test``: ``path`` itself or its extraction."""
    path = path.expanduser()
    if path.is_dir():
        nested = path / "20news-bydate"
        return nested if (nested / _FOLDERS["train"]).is_dir() else path
    if not path.is_file():
        raise DataError(f"{path} does not exist; {_ARCHIVE_HINT}.")
    cache_dir = cache_dir or Path(tempfile.gettempdir()) / "sportbot-cache"
    stat = path.stat()
    target = cache_dir / f"20news-bydate-{stat.st_size}-{int(stat.st_mtime)}"
    if (target / _FOLDERS["train"]).is_dir():
        return target
    _extract(path, target)
    return target


def _extract(archive: Path, target: Path) -> None:
    """Extract into a temporary folder, then rename: a reader never sees half an archive."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(staging, filter="data")
        try:
            staging.rename(target)
        except OSError:
            if not (target / _FOLDERS["train"]).is_dir():  # lost a race to another process: fine
                raise
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DataError(f"Cannot read the archive {archive}: {error}; {_ARCHIVE_HINT}.") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
