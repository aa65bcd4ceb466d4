"""How every sportbot process logs: one format, set up once, at start-up.

Processes (web workers, gunicorn's master, the tagger, Socket Mode, the clock and
the CLI's long commands) call ``configure()`` when they start, never at import time,
so that a library importing sportbot keeps its own logging.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(level: int = logging.INFO) -> None:
    """Log at ``level`` and above to standard error in sportbot's format (a second
    call changes nothing: the first process-wide configuration stands)."""
    logging.basicConfig(level=level, format=FORMAT)
