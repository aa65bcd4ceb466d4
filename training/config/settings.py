"""The settings: their defaults, one frozen dataclass per part, and
``Settings.from_env()``, which maps each environment variable to its field.

Parsing a variable (types, bounds, the error naming it) is ``training.config.env``.
Imports only ``training.errors``/``training.states``: no Slack, no database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from training.config.env import Env
from training.errors import ConfigError
from training.states import Backend

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_BASE_MODEL = "babbage-002"
DEFAULT_SEPARATOR = "\n\n###\n\n"
DEFAULT_RETRAIN_CRON = "0 4 * * 1"
DEFAULT_COST_CAP_USD = 10.0

# USD per million training tokens. Prices change: override them with
# SPORTBOT_TRAINING_PRICES ("model=price,model=price") rather than editing code.
DEFAULT_TRAINING_PRICES = {
    "babbage-002": 0.40,
    "davinci-002": 6.00,
    "gpt-3.5-turbo": 8.00,
    "gpt-4o-mini": 3.00,
    "gpt-4o-mini-2024-07-18": 3.00,
}

# The prompted backend (openai-prompt): a chat model that exists and returns logprobs.
DEFAULT_PROMPT_MODEL = "gpt-4.1-mini"
DEFAULT_PROMPT_EXAMPLES = 8
DEFAULT_PROMPT_CACHE_SIZE = 2048
# USD per million (input, output) tokens of chat models, longest prefix wins (dated
# snapshots). Prices change: SPORTBOT_PROMPT_PRICE_PER_MTOK overrides them.
PROMPT_PRICES_AS_OF = "2025-08 (openai.com/api/pricing)"
DEFAULT_PROMPT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
}
BACKENDS = tuple(Backend)


def default_home() -> Path:
    """The per-user data directory used when SPORTBOT_HOME is not set."""
    import platformdirs  # imported here: only needed when no home is given

    return Path(platformdirs.user_data_dir("sportbot", appauthor=False))


@dataclass(frozen=True, kw_only=True)
class SlackSettings:
    """What the Slack app (and the Slack reports of training) need."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_SLACK_API_URL
    admins: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()  # empty: every channel the bot is in
    emoji_baseball: str = "baseball"
    emoji_hockey: str = "ice_hockey_stick_and_puck"
    threshold: float = 0.8
    report_channel: str | None = None
    port: int = 3000
    web_concurrency: int = 1  # gunicorn workers of `sportbot serve --http`
    # Tags a killed web process left pending are finished by the next start once
    # they are this old (younger ones may still belong to a live process).
    pending_grace_seconds: float = 120.0
    # Where stored channel messages are classified and reacted to. "process": in a
    # tagger process gunicorn's master starts beside its workers, so that tagging
    # does not share a worker's GIL with acknowledging (docs/benchmarks.md), for a
    # second process's memory. "thread": in each web process, for the smallest
    # memory. Socket Mode, and an app served without sportbot's gunicorn config
    # (bot/startup.py warns), tag in a thread either way.
    tagger: str = "process"
    # Acknowledgements first: while messages keep arriving, the tagger lets them
    # gather for up to this many seconds before it classifies and reacts (then it
    # works through the whole backlog). A lone message waits only a moment. 0: at once.
    tag_delay_seconds: float = 2.0

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first missing variable among ``names``.

        ``names`` are attribute names, e.g. ``require("bot_token", "signing_secret")``.
        """
        for name in names:
            if not getattr(self, name):
                raise ConfigError(f"{_SLACK_VARS[name]} is not set; the Slack app needs it.")


_SLACK_VARS = {
    "bot_token": "SLACK_BOT_TOKEN",
    "signing_secret": "SLACK_SIGNING_SECRET",
    "app_token": "SLACK_APP_TOKEN",
}


@dataclass(frozen=True, kw_only=True)
class OpenAISettings:
    """The OpenAI client's settings; the key decides whether OpenAI is used at all."""

    api_key: str | None = None
    base_url: str | None = None
    timeout: float = 10.0
    max_retries: int = 2
    webhook_secret: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)


@dataclass(frozen=True, kw_only=True)
class TrainingSettings:
    """How training runs are launched, judged and scheduled."""

    base_model: str = DEFAULT_BASE_MODEL
    poll_interval: float = 30.0
    promotion_margin: float = 0.01
    retrain_cron: str = DEFAULT_RETRAIN_CRON
    # Unattended runs (the clock, Slack) spend at most this per fine-tune; "none" lifts it.
    cost_cap_usd: float | None = DEFAULT_COST_CAP_USD
    prices: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TRAINING_PRICES))
    epochs: int = 4
    # What the clock process does once OpenAI refuses to create fine-tuning jobs (most
    # organisations since 2026-07-02, all from 2027-01-06): "local" trains the
    # embedded model instead, "skip" leaves the tick. Either way OpenAI is not asked
    # again until the clock process restarts.
    openai_refused: str = "local"
    # A paused fine-tuning job (paused at OpenAI, by a person or by OpenAI) is waited
    # for this long; then the run ends as "paused" and releases the one-run lock, so
    # it does not block every other run. `sportbot runs resume` takes it up again.
    paused_limit_seconds: float = 3600.0
    # What `/sport retrain` and the clock process train (SPORTBOT_BACKEND); None: the
    # local model from Slack, and OpenAI fine-tuning on the clock when a key is set.
    backend: str | None = None


@dataclass(frozen=True, kw_only=True)
class PromptSettings:
    """The prompted classifier (backend ``openai-prompt``): model, examples, cost."""

    model: str = DEFAULT_PROMPT_MODEL
    examples: int = DEFAULT_PROMPT_EXAMPLES  # k nearest labelled examples per request
    cache_size: int = DEFAULT_PROMPT_CACHE_SIZE  # identical texts answered in-process
    prices: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_PROMPT_PRICES)
    )

    def price(self, model: str) -> tuple[float, float] | None:
        """(input, output) USD per million tokens of ``model``, or None when unknown."""
        matches = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(matches, key=len)] if matches else None


@dataclass(frozen=True, kw_only=True)
class TeachingSettings:
    """Who may teach sportbot in Slack, and how much their corrections weigh
    (docs/learning-loop.md)."""

    # The reaction that says "not sports" on a wrongly tagged message.
    emoji_not_sport: str = "x"
    # Slack Connect users from other organisations may teach too.
    external_teachers: bool = False
    # Per person, in correction-weights: their corrections of one day together weigh
    # at most this many corrections, all of them at most ``cap_total``.
    cap_day: float = 10.0
    cap_total: float = 30.0
    # An admin's vote counts as this many people's (and is never capped).
    admin_vote_weight: float = 3.0
    # A correction weighs this many training examples (benchmarks/learning_loop.py).
    correction_weight: float = 8.0
    # A label contradicting a model answer at least this sure (a sport) is trained on
    # only once a second person or an admin agrees.
    sure_confidence: float = 0.8
    # The clock process also retrains once this many new accepted corrections arrived
    # since the last successful run (looked at every few minutes); 0: only on schedule.
    retrain_after: int = 25


@dataclass(frozen=True, kw_only=True)
class Settings:
    """All of sportbot's configuration."""

    home: Path
    database_url: str | None = None
    twenty_news: Path | None = None
    openai: OpenAISettings = field(default_factory=OpenAISettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    prompt: PromptSettings = field(default_factory=PromptSettings)
    teaching: TeachingSettings = field(default_factory=TeachingSettings)

    @property
    def db_url(self) -> str:
        """DATABASE_URL, or SQLite in the home directory."""
        if self.database_url:
            return _normalise_db_url(self.database_url)
        # Built, not formatted: a '?', '#' or '%' in the path is escaped, where an
        # f-string would make it a query string and open another file.
        from sqlalchemy.engine import URL

        path = str(self.home / "sportbot.db")
        return URL.create("sqlite", database=path).render_as_string(hide_password=False)

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from ``environ`` (default ``os.environ``)."""
        env = Env(os.environ if environ is None else environ)
        home = env.path("SPORTBOT_HOME") or default_home()
        return cls(
            home=home,
            database_url=env.str("DATABASE_URL"),
            twenty_news=env.path("SPORTBOT_20NEWS"),
            openai=OpenAISettings(
                api_key=env.str("OPENAI_API_KEY"),
                base_url=env.str("OPENAI_BASE_URL"),
                timeout=env.float("SPORTBOT_OPENAI_TIMEOUT", 10.0, minimum=0.1),
                max_retries=env.int("SPORTBOT_OPENAI_MAX_RETRIES", 2, minimum=0),
                webhook_secret=env.str("OPENAI_WEBHOOK_SECRET"),
            ),
            slack=SlackSettings(
                bot_token=env.str("SLACK_BOT_TOKEN"),
                signing_secret=env.str("SLACK_SIGNING_SECRET"),
                app_token=env.str("SLACK_APP_TOKEN"),
                api_url=_with_slash(env.str("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
                admins=env.set("SPORTBOT_ADMINS"),
                channels=env.set("SPORTBOT_CHANNELS"),
                emoji_baseball=env.str("SPORTBOT_EMOJI_BASEBALL") or "baseball",
                emoji_hockey=env.str("SPORTBOT_EMOJI_HOCKEY") or "ice_hockey_stick_and_puck",
                threshold=env.float("SPORTBOT_THRESHOLD", 0.8, minimum=0.0, maximum=1.0),
                report_channel=env.str("SPORTBOT_REPORT_CHANNEL"),
                port=env.int("PORT", 3000, minimum=1, maximum=65535),
                web_concurrency=env.int("WEB_CONCURRENCY", 1, minimum=1, maximum=64),
                pending_grace_seconds=env.float(
                    "SPORTBOT_PENDING_GRACE_SECONDS", 120.0, minimum=0.0
                ),
                tagger=env.choice("SPORTBOT_TAGGER", "process", ("process", "thread")),
                tag_delay_seconds=env.float(
                    "SPORTBOT_TAG_DELAY_SECONDS", 2.0, minimum=0.0, maximum=60.0
                ),
            ),
            training=TrainingSettings(
                base_model=env.str("SPORTBOT_BASE_MODEL") or DEFAULT_BASE_MODEL,
                poll_interval=env.float("SPORTBOT_POLL_INTERVAL", 30.0, minimum=0.0),
                promotion_margin=env.float("SPORTBOT_PROMOTION_MARGIN", 0.01, minimum=0.0),
                retrain_cron=env.str("SPORTBOT_RETRAIN_CRON") or DEFAULT_RETRAIN_CRON,
                cost_cap_usd=env.cap("SPORTBOT_COST_CAP_USD", DEFAULT_COST_CAP_USD),
                prices={**DEFAULT_TRAINING_PRICES, **env.prices("SPORTBOT_TRAINING_PRICES")},
                epochs=env.int("SPORTBOT_EPOCHS", 4, minimum=1, maximum=50),
                openai_refused=env.choice("SPORTBOT_OPENAI_REFUSED", "local", ("local", "skip")),
                paused_limit_seconds=env.float(
                    "SPORTBOT_PAUSED_LIMIT_SECONDS", 3600.0, minimum=0.0
                ),
                backend=env.optional_choice("SPORTBOT_BACKEND", BACKENDS),
            ),
            prompt=_prompt_settings(env),
            teaching=_teaching(env),
        )


def _prompt_settings(env: Env) -> PromptSettings:
    model = env.str("SPORTBOT_PROMPT_MODEL") or DEFAULT_PROMPT_MODEL
    return PromptSettings(
        model=model,
        examples=env.int(
            "SPORTBOT_PROMPT_EXAMPLES", DEFAULT_PROMPT_EXAMPLES, minimum=0, maximum=50
        ),
        cache_size=env.int("SPORTBOT_PROMPT_CACHE_SIZE", DEFAULT_PROMPT_CACHE_SIZE, minimum=0),
        prices={
            **DEFAULT_PROMPT_PRICES,
            **env.token_prices("SPORTBOT_PROMPT_PRICE_PER_MTOK", model),
        },
    )


def _teaching(env: Env) -> TeachingSettings:
    defaults = TeachingSettings()
    return TeachingSettings(
        emoji_not_sport=env.str("SPORTBOT_EMOJI_NOT_SPORT") or defaults.emoji_not_sport,
        external_teachers=env.bool("SPORTBOT_EXTERNAL_TEACHERS", False),
        cap_day=env.float("SPORTBOT_TEACH_CAP_DAY", defaults.cap_day, minimum=0.0),
        cap_total=env.float("SPORTBOT_TEACH_CAP_TOTAL", defaults.cap_total, minimum=0.0),
        admin_vote_weight=env.float(
            "SPORTBOT_ADMIN_VOTE_WEIGHT", defaults.admin_vote_weight, minimum=1.0
        ),
        correction_weight=env.float(
            "SPORTBOT_CORRECTION_WEIGHT", defaults.correction_weight, minimum=0.0
        ),
        retrain_after=env.int(
            "SPORTBOT_RETRAIN_AFTER_CORRECTIONS", defaults.retrain_after, minimum=0
        ),
        sure_confidence=env.float(
            "SPORTBOT_TEACH_SURE_CONFIDENCE", defaults.sure_confidence, minimum=0.0, maximum=1.01
        ),
    )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _normalise_db_url(url: str) -> str:
    # Heroku-style platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
