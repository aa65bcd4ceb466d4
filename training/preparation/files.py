"""The prepared JSONL files: writing them (both or neither) and reading them back.

Completion rows are ``{"prompt", "completion"}``; chat rows carry the system
message, the bare prompt and the label. Imports only pandas and
``training``'s errors and preparation modules.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from training.errors import InputFileError
from training.preparation.findings import CHAT_SYSTEM_MESSAGE, PreparedData, separator_of
from training.preparation.readers import jsonl_rows, read_utf8


def records(df: pd.DataFrame, fmt: str, separator: str) -> list[dict]:
    """The JSONL rows of ``df`` in ``fmt``; chat rows carry the bare prompt and label."""
    if fmt == "completion":
        return [
            {"prompt": p, "completion": c}
            for p, c in zip(df["prompt"], df["completion"], strict=True)
        ]
    return [
        {
            "messages": [
                {"role": "system", "content": CHAT_SYSTEM_MESSAGE},
                {"role": "user", "content": strip_end(p, separator)},
                {"role": "assistant", "content": c.strip()},
            ]
        }
        for p, c in zip(df["prompt"], df["completion"], strict=True)
    ]


def strip_end(text: str, suffix: str) -> str:
    return text[: -len(suffix)] if suffix and text.endswith(suffix) else text


def with_training_only(prepared: PreparedData, extra: pd.DataFrame) -> PreparedData:
    """``prepared`` with ``extra`` rows (bare prompt/label) added to its training set only.

    They get the separator and leading space the prepared rows have, so both formats
    write them like every other row.
    """
    if extra.empty:
        return prepared
    rows = pd.DataFrame(
        {"prompt": extra["prompt"] + prepared.separator, "completion": " " + extra["completion"]}
    )
    train = pd.concat([prepared.train, rows], ignore_index=True)
    return dataclasses.replace(prepared, train=train)


def output_paths(base_path: Path, *, split: bool = True) -> list[Path]:
    """``<base>_prepared_train.jsonl``/``_valid.jsonl``, with ' (1)', ' (2)' when taken."""
    base = Path(base_path)
    stem = base.with_suffix("").name if base.suffix else base.name
    kinds = ("_train", "_valid") if split else ("",)
    for i in range(10_000):
        mark = f" ({i})" if i else ""
        paths = [base.parent / f"{stem}_prepared{kind}{mark}.jsonl" for kind in kinds]
        if not any(p.exists() for p in paths):
            return paths
    raise InputFileError(f"too many prepared files beside {base}.")  # pragma: no cover


def write_prepared(prepared: PreparedData, base_path: Path) -> tuple[Path, Path | None]:
    """Write both files beside ``base_path``; temp files are renamed only when both are done."""
    parts = [prepared.train] + ([prepared.valid] if prepared.valid is not None else [])
    paths = output_paths(base_path, split=len(parts) == 2)
    temps: list[str] = []
    try:
        for df, path in zip(parts, paths, strict=False):
            temps.append(_write_temp(path, records(df, prepared.fmt, prepared.separator)))
        for temp, path in zip(temps, paths, strict=False):
            os.replace(temp, path)
    except OSError as error:
        for temp in temps:
            Path(temp).unlink(missing_ok=True)
        raise InputFileError(
            f"cannot write {paths[0].parent}: {error.strerror or error}."
        ) from None
    return paths[0], (paths[1] if len(paths) == 2 else None)


def _write_temp(path: Path, rows: list[dict]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return temp


def read_prepared(path: Path) -> pd.DataFrame:
    """A prepared file (either format) as ``text``/``label``: what the local model trains on."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path} does not exist.")
    rows = jsonl_rows(path, read_utf8(path))
    if not rows:
        raise InputFileError(f"{path} is empty: it holds no examples.")
    pairs = [_text_and_label(path, number, row) for number, row in enumerate(rows, start=1)]
    return pd.DataFrame(pairs, columns=["text", "label"])


def _text_and_label(path: Path, number: int, row: dict) -> tuple[str, str]:
    if "messages" in row:
        contents = {m.get("role"): m.get("content") for m in row["messages"] or []}
        text, label = contents.get("user"), contents.get("assistant")
    else:
        prompt, label = row.get("prompt"), row.get("completion")
        text = strip_end(prompt, separator_of(prompt)) if isinstance(prompt, str) else None
    if not isinstance(text, str) or not isinstance(label, str):
        raise InputFileError(f"{path}: row {number} is neither prompt/completion nor chat.")
    return text, label.strip()


def system_message_of(row: dict) -> str | None:
    """The system message of a chat training row (``{"messages": [...]}``), or None."""
    for message in row.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "system":
            return str(message.get("content") or "") or None
    return None
