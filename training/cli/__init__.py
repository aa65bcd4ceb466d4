"""The ``sportbot`` command line: one typer app, one module per command group.

``data``, ``prepare``, ``train``/``classify``, ``models``/``promote``,
``examples`` and ``runs`` live in their own modules, each a thin layer over
pure functions; ``common`` holds the runner every command goes through. The
bot adds the long-running processes (``scheduler``, ``serve``, ``tagger``) in
``bot.cli``; nothing here imports ``bot``.
"""

from __future__ import annotations

import typer

from training.cli import data, models, prepare, runs, train
from training.cli.examples import examples_app

app = typer.Typer(help="sportbot: tell baseball from hockey.", no_args_is_help=True)

# Registration order is the order `sportbot --help` lists the commands in.
app.command()(data.data)
app.command()(prepare.prepare)
app.command()(train.train)
app.command()(train.classify)
app.command()(models.models)
app.command()(models.promote)
app.add_typer(examples_app, name="examples")
app.add_typer(runs.runs_app, name="runs")

__all__ = ["app"]
