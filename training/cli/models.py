"""``sportbot models`` and ``sportbot promote``: the model registry from the command line.

Imports only typer, rich and ``training``.
"""

from __future__ import annotations

import typer

from training.cli.common import database, out, run
from training.config import Settings
from training.states import ModelStatus


def models() -> None:
    """List every model in the registry; the active one is marked."""

    def action(settings: Settings) -> None:
        from rich.table import Column, Table

        from training.storage.registry import ModelRegistry

        infos = ModelRegistry(database(settings)).list()
        if not infos:
            out().print("No models yet: run `sportbot train`.")
            return
        # The id folds onto more lines rather than being cut with "…": it is what
        # `promote` takes (which also accepts a unique prefix).
        table = Table(
            "",
            Column("id", overflow="fold", min_width=12),
            "backend",
            Column("labels", overflow="fold"),
            "accuracy",
            "created",
            "status",
        )
        for info in infos:
            accuracy = f"{info.accuracy:.4f}" if info.accuracy is not None else "-"
            table.add_row(
                "*" if info.status == ModelStatus.active else "",
                info.id,
                info.backend,
                ",".join(info.labels),
                accuracy,
                f"{info.created_at:%Y-%m-%d %H:%M}",
                info.status,
            )
        out().print(table)

    run(action)


def promote(
    model_id: str = typer.Argument(..., help="The model to activate (its id, or a unique prefix)."),
) -> None:
    """Make a registered model the active one (every process switches within seconds)."""

    def action(settings: Settings) -> None:
        from training.storage.registry import ModelRegistry

        registry = ModelRegistry(database(settings))
        info = registry.promote(_resolve_model(registry, model_id))
        out().print(f"{info.id} is now the active model.")

    run(action)


def _resolve_model(registry, given: str) -> str:
    """The registered id ``given`` names: itself, or the one id it is a prefix of
    (a trailing ellipsis, as a cut-off table cell shows, is ignored)."""
    from training.errors import NoModelError

    if registry.get(given) is not None:
        return given
    prefix = given.rstrip("…").removesuffix("...")
    matches = [info.id for info in registry.list() if prefix and info.id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NoModelError(f"No model {given!r} in the registry (see `sportbot models`).")
    shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
    raise NoModelError(f"{given!r} matches {len(matches)} models ({shown}): give more of the id.")
