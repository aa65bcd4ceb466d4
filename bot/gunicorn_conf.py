"""gunicorn settings shared by every way of serving (``--config python:bot.gunicorn_conf``).

The command line sets bind/workers/threads/timeout; this module adds the
master's hooks, which ``bot.startup`` implements:

* the start-up check (``master_starting``): missing Slack settings, a token Slack
  refuses or a database that does not answer stop the master with one line;
* with ``SPORTBOT_TAGGER=process`` (the default), the tagger: the master starts
  ``sportbot tagger`` beside its workers, restarts it if it dies, and stops it on exit.
  Workers then only store each message and acknowledge; the tagger classifies
  and reacts, at a lower CPU priority (nice 10), so that acknowledging a burst
  of events does not share the worker's GIL with tagging. It follows the
  master: a SIGKILLed master takes its tagger along. The price is a second
  process (it scores with the model's arrays, without scikit-learn).

Imports only ``bot.startup``: gunicorn reads this file before any worker exists.
"""

from __future__ import annotations

from bot import startup

accesslog = None  # Slack retries are visible in the app's logs; no per-request lines


def on_starting(server: object) -> None:
    startup.master_starting()


def when_ready(server: object) -> None:
    startup.master_ready()


def on_exit(server: object) -> None:
    startup.master_exiting()
