"""Binding collaborators to listener functions without hiding them from Bolt.

Listener functions take Bolt's arguments (ack, body, client...) as ordinary
parameters and collaborators as keyword-only ones. ``bind`` fixes the
keyword-only ones with ``functools.partial``: Bolt inspects only the ordinary
parameters (``getfullargspec().args``), and a test calls the function directly.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any


def bind(func: Callable[..., Any], collaborators: dict[str, Any]) -> Callable[..., Any]:
    """``func`` with the keyword-only collaborators it declares filled in."""
    wanted = inspect.getfullargspec(func).kwonlyargs
    missing = [name for name in wanted if name not in collaborators]
    if missing:
        raise TypeError(f"{func.__name__} needs collaborators {missing}")
    bound = functools.partial(func, **{name: collaborators[name] for name in wanted})
    return functools.update_wrapper(bound, func)
