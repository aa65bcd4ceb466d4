"""Stand-in collaborators for calling listeners directly: no Slack, no database.

Each stand-in records what it was asked, so a test asserts what the listener did.
"""

from __future__ import annotations

from typing import Any

from bot.admins import AdminCheck
from bot.model_source import Answer
from training.classifiers.base import Prediction


class Calls:
    """A callable stand-in (``ack``, ``respond``) keeping each call's arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))

    def text(self, index: int = -1) -> str:
        args, kwargs = self.calls[index]
        return str(kwargs.get("text") if "text" in kwargs else (args[0] if args else ""))


class Recorder:
    """Any method call is recorded by name and answers ``answers[name]`` (None by default).

    ``spec``: the real collaborator's class; a method it does not have is refused, as
    the real one would refuse it, so a renamed method cannot pass here unnoticed."""

    def __init__(
        self, *, spec: type | None = None, absent: tuple[str, ...] = (), **answers: Any
    ) -> None:
        self.spec = spec
        self.answers = answers
        self.absent = absent  # attributes the real collaborator may lack
        self.calls: list[tuple[str, tuple, dict]] = []
        unknown = [name for name in answers if spec is not None and not hasattr(spec, name)]
        if unknown:
            raise AttributeError(f"{spec.__name__} has no {', '.join(unknown)}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("spec", "answers", "absent", "calls"):
            raise AttributeError(name)
        if name in self.absent or (self.spec is not None and not hasattr(self.spec, name)):
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            answer = self.answers.get(name)
            return answer(*args, **kwargs) if callable(answer) else answer

        return method

    def called(self, name: str) -> list[tuple[tuple, dict]]:
        return [(args, kwargs) for called, args, kwargs in self.calls if called == name]


def hockey_answer(text: str = "") -> Answer:
    probabilities = {"baseball": 0.05, "hockey": 0.9, "other": 0.05}
    return Answer(Prediction("hockey", 0.9, probabilities, "model-1"))


def admins(is_admin: bool) -> Recorder:
    return Recorder(spec=AdminCheck, is_admin=is_admin)


def user_body(user: str = "U1") -> dict[str, Any]:
    return {"user": {"id": user, "team_id": "T1"}, "channel": {"id": "C1"}}
