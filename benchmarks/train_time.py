"""How long a local training run takes, from collecting the data to promotion.

    python benchmarks/train_time.py [--data 20news-bydate.tar.gz] [--runs 2]

Runs ``training.pipeline.run.train_local`` (the path ``/sport retrain`` takes) in a
fresh temporary SPORTBOT_HOME on SQLite: the first run includes extracting the
20 Newsgroups archive into the home's cache, later runs reuse it (``--force``
so each run trains). Prints a table; exits 1 when a run after the first takes
more than 60 s (the first too, with ``--cold``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="hold the first run to the target")
    args = parser.parse_args(argv)
    archive = args.data or Path(
        os.environ.get("SPORTBOT_20NEWS") or REPO.parent / "shared/data/20news-bydate.tar.gz"
    )
    if not archive.exists():
        print(f"skipped: no 20 Newsgroups archive at {archive}")
        return 0

    from training.config import Settings
    from training.pipeline.run import train_local
    from training.storage.database import connect

    home = Path(tempfile.mkdtemp(prefix="sportbot-train-"))
    env = {"SPORTBOT_HOME": str(home), "SPORTBOT_20NEWS": str(archive)}
    settings = Settings.from_env(env)
    db = connect(settings)
    rows = []
    for n in range(args.runs):
        started = time.monotonic()
        info = train_local(settings, db, progress=lambda line: None, force=True)
        rows.append((n + 1, time.monotonic() - started, info.id, info.accuracy))

    print(f"\nlocal training runs (train_local), home {home}")
    print(f"{'run':>4} {'seconds':>8} {'accuracy':>9}  model")
    for n, seconds, model_id, accuracy in rows:
        shown = f"{accuracy:.3f}" if accuracy is not None else "-"
        print(f"{n:>4} {seconds:>8.1f} {shown:>9}  {model_id}")
    held = rows if args.cold else rows[1:] or rows
    worst = max(seconds for _, seconds, _, _ in held)
    ok = worst <= TARGET_SECONDS
    label = "every run" if args.cold else "warm runs"
    print(f"{label}: slowest {worst:.1f} s (target <= {TARGET_SECONDS:.0f}): ", end="")
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
