"""Resident memory (RSS) of the sportbot web process after a warm-up under load.

    python benchmarks/web_memory.py [--requests 4000] [--concurrency 8] [--home DIR]

Trains (or reuses, with ``--home``) a local model like benchmarks/slack_ack.py,
serves sportbot with the Procfile's gunicorn line (1 worker, 10 threads),
sends ``--requests`` signed /sport commands and as many message events, then
reads VmRSS of the gunicorn master and its worker from /proc. Prints a table;
exits 1 when the worker (the process that serves) is at 300 MB or more.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.slack_ack import (  # noqa: E402
    _check_sportbot_answers,
    _load,
    _Server,
    bench_environment,
)

TARGET_MB = 300.0


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="per kind")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--tagger", choices=["process", "thread"], default="process")
    args = parser.parse_args(argv)
    prepared = bench_environment(args.home, args.data, prefix="sportbot-mem-")
    if prepared is None:
        return 0
    env, slack_api = prepared
    server = _Server("bot.web:create_app()", {**env, "SPORTBOT_TAGGER": args.tagger})
    try:
        server.wait_ready()
        _check_sportbot_answers(server.port)
        idle = _rss(server.process.pid)
        for kind in ("sport", "message"):
            _load(server.port, args.requests, args.concurrency, kind)
        time.sleep(2)  # let the tagger's queue drain
        loaded = _rss(server.process.pid)
    finally:
        server.stop()
        slack_api.close()

    print(f"\nRSS of sportbot's gunicorn processes, {args.requests} /sport + events each")
    print(f"{'process':<10} {'idle MB':>9} {'loaded MB':>10}")
    for name in ("master", "worker", "tagger"):
        if idle[name] or loaded[name]:
            print(f"{name:<10} {idle[name]:>9.0f} {loaded[name]:>10.0f}")
    ok = loaded["worker"] < TARGET_MB
    print(f"worker after load {loaded['worker']:.0f} MB (target < {TARGET_MB:.0f}): ", end="")
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


def _rss(master: int) -> dict[str, float]:
    kids = children(master)
    # With SPORTBOT_TAGGER=process the master's children include its tagger process.
    taggers = [pid for pid in kids if b"tagger" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return {
        "master": rss_mb(master),
        "worker": sum(rss_mb(pid) for pid in kids if pid not in taggers),
        "tagger": sum(rss_mb(pid) for pid in taggers),
    }


if __name__ == "__main__":
    sys.exit(main())
