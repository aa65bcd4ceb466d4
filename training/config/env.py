"""Typed reads of environment variables, for ``Settings.from_env()``.

Each read names the variable in its ``ConfigError`` when the value is malformed.
Imports only ``training.errors``: the one module that looks at the raw strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from training.errors import ConfigError


class Env:
    """Typed reads of environment variables; errors name the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def str(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def path(self, name: str) -> Path | None:
        value = self.str(name)
        return Path(value).expanduser() if value else None

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = (self.str(name) or default).lower()
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")
        return value

    def optional_choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        return self.choice(name, "", allowed) if self.str(name) else None

    def bool(self, name: str, default: bool) -> bool:
        raw = (self.str(name) or "").lower()
        if not raw:
            return default
        if raw not in {"true", "false", "1", "0", "yes", "no"}:
            raise ConfigError(f"{name} must be true or false, got {raw!r}.")
        return raw in {"true", "1", "yes"}

    def set(self, name: str) -> frozenset[str]:
        value = self.str(name) or ""
        return frozenset(item.strip() for item in value.split(",") if item.strip())

    def float(
        self,
        name: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        value = self.optional_float(name)
        if value is None:
            return default
        return self._bounded(name, value, minimum, maximum)

    def cap(self, name: str, default: float) -> float | None:
        """A limit: a number (at least 0), ``default`` when unset, None for "none"."""
        raw = self.str(name)
        if raw is not None and raw.strip().lower() == "none":
            return None
        return self.float(name, default, minimum=0.0)

    def optional_float(self, name: str) -> float | None:
        raw = self.str(name)
        if raw is None:
            return None
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}.") from None

    def int(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
        return self._bounded(name, value, minimum, maximum)

    def prices(self, name: str) -> dict[str, float]:
        prices = {}
        for item in self.set(name):
            model, _, price = item.partition("=")
            try:
                prices[model.strip()] = float(price)
            except ValueError:
                raise ConfigError(
                    f"{name} must look like 'babbage-002=0.4,gpt-4o-mini=3', got {item!r}."
                ) from None
        return prices

    def token_prices(self, name: str, model: str) -> dict[str, tuple[float, float]]:
        """'0.4/1.6' (for ``model``) or 'gpt-4.1-mini=0.4/1.6,o4-mini=1.1/4.4'."""
        prices = {}
        for item in self.set(name):
            named, _, price = item.rpartition("=")
            given, _, output = price.partition("/")
            try:
                prices[named.strip() or model] = (float(given), float(output))
            except ValueError:
                raise ConfigError(
                    f"{name} must look like '0.40/1.60' (input/output USD per million tokens "
                    f"of SPORTBOT_PROMPT_MODEL) or 'gpt-4.1-mini=0.40/1.60,...', got {item!r}."
                ) from None
        return prices

    @staticmethod
    def _bounded(name, value, minimum, maximum):
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}.")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum}, got {value}.")
        return value
