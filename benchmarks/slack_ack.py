"""How fast sportbot acknowledges /sport and message events, next to a bare Bolt app.

    python benchmarks/slack_ack.py [--requests 3000] [--concurrency 8] [--kind sport|message|both]

Trains a local model in a temporary SPORTBOT_HOME (training.pipeline.run.train_local,
20 Newsgroups from SPORTBOT_20NEWS or ../shared/data), serves sportbot and a
bare Bolt app (a /sport listener that only acks) with the same gunicorn
command line (1 worker, 10 threads), and sends signed /sport requests from
``--concurrency`` threads over keep-alive HTTP: ``/sport`` commands, and
``message`` events (each a new message: sportbot classifies it and stores its
tag before the ack, then reacts through the Slack stand-in, which runs in a
process of its own; the bare app's listener does nothing). Rounds alternate
between the two apps so both see the same machine; after each sportbot round
of messages it waits for the last reaction, and reports messages tagged per
second from the first request to that reaction. Prints requests/s and p50/p99
ack latency per kind;
exits 1 when sportbot is under 0.8 of the bare rate or its p99 is 200 ms or
more for any kind, 0 when it meets both (or when training is not available).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.standins (the Slack stand-in) and bot/training

SECRET = "benchmark-signing-secret"
TEXTS = [
    "the pitcher threw a no-hitter through nine innings",
    "the goalie stopped every shot on the power play",
    "anyone know a good pizza place downtown",
    "he hit a grand slam in the bottom of the ninth",
    "overtime winner from the blue line, what a slapshot",
]
TARGET_RATIO = 0.8
TARGET_P99_MS = 200.0


def bare_app():
    """A Bolt app that does no work: the baseline (``'benchmarks.slack_ack:bare_app()'``)."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.slack_client import make_client
    from training.config import Settings

    settings = Settings.from_env()
    app = App(
        client=make_client(settings.slack),
        signing_secret=settings.slack.signing_secret,
        token_verification_enabled=False,
    )

    @app.command("/sport")
    def sport(ack):
        ack("ok")

    @app.event("message")
    def message(event):
        pass  # Bolt acks events itself

    return SlackRequestHandler(app)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    prepared = bench_environment(args.home, args.data, prefix="sportbot-bench-")
    if prepared is None:
        return 0
    env, slack_api = prepared
    servers = {
        "sportbot": _Server("bot.web:create_app()", {**env, "SPORTBOT_TAGGER": args.tagger}),
        # The bare app stores no messages: no tagger process beside it.
        "bare Bolt": _Server(
            "benchmarks.slack_ack:bare_app()", {**env, "SPORTBOT_TAGGER": "thread"}
        ),
    }
    try:
        for server in servers.values():
            server.wait_ready()
        _check_sportbot_answers(servers["sportbot"].port)
        kinds = ["sport", "message"] if args.kind == "both" else [args.kind]
        results: dict[tuple[str, str], list[_Result]] = {
            (kind, name): [] for kind in kinds for name in servers
        }
        # Tags finished before this run (a reused --home keeps them), then one per
        # message sportbot acknowledges.
        with _database(env) as db:
            messages_acked = _tags_done(db)
        for kind in kinds:
            for name, server in servers.items():  # warm-up: imports, first auth.test, caches
                warmup = _load(server.port, args.warmup, args.concurrency, kind)
                if kind == "message" and name == "sportbot":
                    messages_acked += len(warmup.latencies)
                    _wait_tagged(env, messages_acked)
            for _ in range(args.rounds):
                for name, server in servers.items():
                    result = _load(server.port, args.requests, args.concurrency, kind)
                    if kind == "message" and name == "sportbot":
                        # Tagging goes on after the acks: wait for it, so the next
                        # round starts on an idle machine, and report how long it took.
                        messages_acked += len(result.latencies)
                        result.drain = _wait_tagged(env, messages_acked)
                    results[(kind, name)].append(result)
    finally:
        for server in servers.values():
            server.stop()
        slack_api.close()
    return _report(results, args)


def bench_environment(home: Path | None, data: Path | None, *, prefix: str):
    """(server environment, Slack stand-in) with a trained model in ``home``; None to skip."""
    env = _env(home or Path(tempfile.mkdtemp(prefix=prefix)), data)
    if not _train(env):
        return None
    slack_api = StandInProcess()
    env["SLACK_API_URL"] = slack_api.url
    return env, slack_api


class StandInProcess:
    """The Slack stand-in in a process of its own, as Slack is not in the load
    generator's process: its work must not take the generator's GIL."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        urls = context.Queue()
        self.process = context.Process(target=_serve_stand_in, args=(urls,), daemon=True)
        self.process.start()
        self.url: str = urls.get(timeout=60)

    def close(self) -> None:
        self.process.terminate()
        self.process.join(10)


def _serve_stand_in(urls) -> None:
    from tests.standins.slack_api import SlackStandIn

    urls.put(SlackStandIn().url)
    threading.Event().wait()  # serve until terminated


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per app and round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--kind", choices=["sport", "message", "both"], default="both")
    parser.add_argument(
        "--tagger",
        choices=["process", "thread"],
        default="process",
        help="SPORTBOT_TAGGER for sportbot: tag in a process beside the worker (the "
        "default), or in the worker",
    )
    parser.add_argument("--data", type=Path, default=None, help="20news-bydate.tar.gz")
    parser.add_argument(
        "--home", type=Path, default=None, help="reuse this SPORTBOT_HOME when it has a model"
    )
    return parser.parse_args(argv)


def _env(home: Path, data: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SPORTBOT_"))}
    archive = (
        data
        or os.environ.get("SPORTBOT_20NEWS")
        or REPO.parent / "shared/data/20news-bydate.tar.gz"
    )
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "DATABASE_URL"):
        env.pop(name, None)
    env.update(
        SPORTBOT_HOME=str(home),
        SPORTBOT_20NEWS=str(archive),
        SLACK_BOT_TOKEN="xoxb-benchmark",
        SLACK_SIGNING_SECRET=SECRET,
        WEB_CONCURRENCY="1",
        PYTHONPATH=str(REPO),
    )
    return env


def _train(env: dict[str, str]) -> bool:
    """Train and promote a local model in the temporary home; False to skip the benchmark."""
    try:
        from training.pipeline.run import train_local
    except ImportError as error:
        print(f"skipped: training.pipeline.run.train_local is not available ({error})")
        return False
    from training.config import Settings
    from training.storage.database import connect

    settings = Settings.from_env(env)
    db = connect(settings)
    from training.storage.registry import ModelRegistry

    active = ModelRegistry(db).active()
    if active is not None:
        print(f"using {active.id} (accuracy {active.accuracy}) from {settings.home}")
        return True
    started = time.monotonic()
    info = train_local(settings, db, trigger="cli", progress=lambda line: None)
    print(
        f"trained {info.id} ({info.status}, accuracy {info.accuracy}) in "
        f"{time.monotonic() - started:.0f} s"
    )
    return True


class _Server:
    """One gunicorn process with the Procfile's settings (1 worker, 10 threads)."""

    def __init__(self, app: str, env: dict[str, str]) -> None:
        from bot.startup import gunicorn_argv, gunicorn_executable

        self.port = _free_port()
        command = [
            *gunicorn_executable(),
            *gunicorn_argv(self.port, workers=1, app=app, quiet=True),
        ]
        self.process = subprocess.Popen(command, env=env, cwd=REPO)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with status {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("gunicorn did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class _Result:
    def __init__(self, latencies: list[float], seconds: float, errors: int) -> None:
        self.latencies = sorted(latencies)
        self.seconds = seconds
        self.rate = len(latencies) / seconds
        self.errors = errors
        self.drain: float | None = None  # seconds from the last ack to the last tag

    @property
    def tag_rate(self) -> float | None:
        """Messages tagged per second, from the first request to the last reaction."""
        if self.drain is None:
            return None
        return len(self.latencies) / (self.seconds + self.drain)

    def percentile(self, q: float) -> float:
        index = min(len(self.latencies) - 1, int(q * len(self.latencies)))
        return self.latencies[index] * 1000


_ids = itertools.count()


def _signed(text: str, kind: str = "sport") -> tuple[bytes, dict[str, str]]:
    """A signed /sport command or message event; unique like Slack's (trigger id, event id),
    since sportbot refuses a replayed signature."""
    from slack_sdk.signature import SignatureVerifier

    n = next(_ids)
    if kind == "message":
        ts = f"{int(time.time())}.{n:06d}"
        event = {"type": "message", "channel": "C0001", "user": "U0001", "text": text, "ts": ts}
        envelope = {
            "token": "legacy",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event": {**event, "event_ts": ts, "channel_type": "channel"},
            "event_id": f"EvBENCH{os.getpid()}x{n}",
            "event_time": int(time.time()),
        }
        body, content_type = json.dumps(envelope), "application/json"
    else:
        form = {
            "token": "legacy",
            "team_id": "T0001",
            "channel_id": "C0001",
            "user_id": "U0001",
            "command": "/sport",
            "text": text,
            "response_url": "http://127.0.0.1:9/none",
            "trigger_id": f"{n}.{time.time_ns()}",
        }
        body, content_type = urlencode(form), "application/x-www-form-urlencoded"
    stamp = str(int(time.time()))
    return body.encode(), {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(
            timestamp=stamp, body=body
        ),
    }


def _post(
    connection: http.client.HTTPConnection, text: str, kind: str = "sport"
) -> tuple[int, bytes]:
    body, headers = _signed(text, kind)
    connection.request("POST", "/slack/events", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def _check_sportbot_answers(port: int, timeout: float = 120.0) -> None:
    # A fast "No model yet" would make the benchmark meaningless: insist on a label
    # (the worker loads the model in the background after it starts).
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, body = _post(connection, TEXTS[0])
        connection.close()
        if status == 200 and b"confident" in body:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"sportbot did not classify: {status} {body[:200]!r}")
        time.sleep(0.5)


def _load(port: int, total: int, concurrency: int, kind: str = "sport") -> _Result:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        for n in counter:
            started = time.perf_counter()
            try:
                status, _ = _post(connection, TEXTS[n % len(TEXTS)], kind)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status = 0
            if status == 200:
                mine.append(time.perf_counter() - started)
            else:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _Result(latencies, time.perf_counter() - started, errors[0])


def _wait_tagged(env: dict[str, str], expected: int, timeout: float = 300.0) -> float:
    """Seconds until sportbot has finished ``expected`` tags (reaction added or skipped)."""
    started = time.perf_counter()
    with _database(env) as db:
        while (done := _tags_done(db)) < expected:
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"sportbot finished {done} of {expected} tags in {timeout:.0f} s")
            time.sleep(0.02)
    return time.perf_counter() - started


@contextlib.contextmanager
def _database(env: dict[str, str]):
    """sportbot's database, read from this process (closed afterwards)."""
    from training.config import Settings
    from training.storage.database import connect

    db = connect(Settings.from_env(env), migrate=False)
    try:
        yield db
    finally:
        db.engine.dispose()


def _tags_done(db) -> int:
    """Tags with their reaction added, skipped or failed."""
    from sqlalchemy import func, select

    from training.storage.schema import Tag
    from training.storage.tags import PENDING, QUEUED

    with db.session() as session:
        return session.scalar(
            select(func.count()).select_from(Tag).where(Tag.status.not_in([QUEUED, PENDING]))
        )


def _report(results: dict[tuple[str, str], list[_Result]], args: argparse.Namespace) -> int:
    print(
        f"\n{args.requests} signed requests x {args.rounds} rounds per kind, "
        f"{args.concurrency} concurrent, gunicorn 1 worker 10 threads"
    )
    print(
        f"{'kind':<8} {'app':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'tagged/s':>9}"
    )
    summary = {}
    for (kind, name), rounds in results.items():
        rate = statistics.median(result.rate for result in rounds)
        p50 = statistics.median(result.percentile(0.50) for result in rounds)
        p99 = max(result.percentile(0.99) for result in rounds)
        errors = sum(result.errors for result in rounds)
        summary[(kind, name)] = (rate, p99, errors)
        tagged = [result.tag_rate for result in rounds if result.tag_rate is not None]
        tagged_text = f"{statistics.median(tagged):>9.0f}" if tagged else f"{'':>9}"
        print(
            f"{kind:<8} {name:<10} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f} {errors:>7} {tagged_text}"
        )
    ok = True
    for kind in sorted({kind for kind, _ in summary}):
        rate, p99, errors = summary[(kind, "sportbot")]
        ratio = rate / summary[(kind, "bare Bolt")][0]
        met = ratio >= TARGET_RATIO and p99 < TARGET_P99_MS and errors == 0
        ok = ok and met
        print(
            f"{kind}: sportbot / bare = {ratio:.2f} (target >= {TARGET_RATIO}), "
            f"p99 {p99:.0f} ms (target < {TARGET_P99_MS:.0f}): {'OK' if met else 'MISSED'}"
        )
    return 0 if ok else 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
