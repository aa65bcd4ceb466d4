"""The ``sportbot`` program: the training commands plus the bot's own (``serve``)."""

from __future__ import annotations

from training.cli import app


def main() -> None:
    app()
