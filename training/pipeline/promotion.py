"""The promotion policy: whether a candidate replaces the active model, and why.

A pure function of the two models' metrics (plain dicts, ``training.pipeline.evaluate``)
and the labels each answers; the run records the reason it gives. Imports nothing of
``training`` or ``bot/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    """Whether a candidate replaces the active model, and why."""

    promote: bool
    reason: str


def decide(
    candidate: dict[str, Any],
    active: dict[str, Any] | None,
    *,
    margin: float,
    force: bool,
    dropped: Sequence[str] = (),
    unmeasured: Sequence[str] = (),
) -> Decision:
    """Promote unless the candidate is worse than the active model by more than ``margin``.

    Accuracy alone is not enough: a candidate that cannot answer a label the active model
    answers (``dropped``) gives every such text another label, however well it scores on
    the rest; and a label no held-out example measures (``unmeasured``) is not compared at
    all. Both refuse the candidate unless ``force``.
    """
    if force:
        lost = f" (it lacks {_quoted(dropped)})" if dropped else ""
        return Decision(True, f"forced{lost}")
    if active is None:
        return Decision(True, "no active model to compare with")
    if dropped:
        return Decision(
            False,
            f"the candidate has no {_quoted(dropped)} label, which the active model "
            f"{active.get('model', '')} answers: such texts would get another label; "
            "`sportbot train --force` promotes it anyway",
        )
    if unmeasured:
        return Decision(
            False,
            f"no held-out example of {_quoted(unmeasured)} to compare the models on; "
            "`sportbot train --force` promotes it anyway",
        )
    new, old = candidate["accuracy"], active["accuracy"]
    n = candidate.get("n")
    on = f" on the same {n} held-out examples" if n else ""
    if new + margin >= old:
        return Decision(True, f"accuracy {new:.4f} vs active {old:.4f}{on} (margin {margin})")
    return Decision(
        False, f"accuracy {new:.4f} is below active {old:.4f}{on} by more than {margin}"
    )


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(f"'{label}'" for label in sorted(labels))
