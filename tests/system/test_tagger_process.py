"""The tagger process gunicorn's master starts beside its workers."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.standins.slack_api import SlackStandIn
from tests.system.conftest import Web, app_env, poll, register_tiny_model

pytestmark = [pytest.mark.e2e, pytest.mark.needs_postgres]


def test_the_tagger_process_tags_and_follows_a_killed_master(
    pg_url, slack: SlackStandIn, processes, tmp_path
):
    """With SPORTBOT_TAGGER=process the master's tagger tags the messages its worker
    stores. Only the master is SIGKILLed: its tagger notices and exits, instead of
    living on beside the next master's tagger."""
    register_tiny_model(pg_url, tmp_path / "models")
    env = app_env(pg_url, slack, tmp_path / "home", SPORTBOT_TAGGER="process")
    web = Web(env, tmp_path / "web.log", slack)
    processes.append(web)
    web.wait_ready()
    master = web.popen.pid
    assert poll(lambda: _taggers_of(master))  # its tagger is running
    ts = "1700000700.000001"
    message = {"type": "message", "channel": "C0SPORT", "user": "UALICE", "ts": ts}
    assert web.client.event({**message, "text": "the goalie stopped the puck"}).status == 200
    [added] = slack.wait_for("reactions.add")  # the tagger process classified and reacted
    assert added.params["timestamp"] == ts
    # Tagger and worker score with the model's arrays alone: scikit-learn and scipy
    # (~140 MB a process) are never loaded.
    [tagger] = _taggers_of(master)
    [worker] = [pid for pid in _children(master) if pid != tagger]
    assert "confident" in web.client.command("the goalie stopped the puck").text
    for pid in (tagger, worker):
        libraries = Path(f"/proc/{pid}/maps").read_text()
        assert "numpy" in libraries
        assert "/sklearn/" not in libraries
        assert "/scipy/" not in libraries
    # The master told its worker it runs the tagger: the worker has none of its own.
    assert "no tagger process was started" not in web.output()

    os.kill(master, signal.SIGKILL)

    poll(lambda: not _taggers_of(master), timeout=15)


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def _taggers_of(master: int) -> list[int]:
    """Live ``sportbot tagger --parent MASTER`` processes."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tagger" in words and str(master).encode() in words:
            found.append(int(cmdline.parent.name))
    return found
