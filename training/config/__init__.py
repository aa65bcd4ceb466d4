"""Every setting sportbot reads from the environment, in one place.

``Settings.from_env()`` reads the variables once and fails fast with the
variable's name when one is malformed; nothing here runs at import time.
Code receives a ``Settings`` (or the part it needs) instead of reading
``os.environ`` itself, so tests build one with keyword arguments. Each process
calls it once, where it starts (``bot.startup``, ``training.cli.common.run``).

* ``settings``: the defaults, the dataclasses and ``from_env``;
* ``env``: typed reads of one variable.

Imports only ``training.errors``/``training.states``: no Slack, no database.
"""

from training.config.settings import (
    BACKENDS,
    DEFAULT_BASE_MODEL,
    DEFAULT_COST_CAP_USD,
    DEFAULT_PROMPT_CACHE_SIZE,
    DEFAULT_PROMPT_EXAMPLES,
    DEFAULT_PROMPT_MODEL,
    DEFAULT_PROMPT_PRICES,
    DEFAULT_RETRAIN_CRON,
    DEFAULT_SEPARATOR,
    DEFAULT_SLACK_API_URL,
    DEFAULT_TRAINING_PRICES,
    PROMPT_PRICES_AS_OF,
    OpenAISettings,
    PromptSettings,
    Settings,
    SlackSettings,
    TeachingSettings,
    TrainingSettings,
    default_home,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BASE_MODEL",
    "DEFAULT_COST_CAP_USD",
    "DEFAULT_PROMPT_CACHE_SIZE",
    "DEFAULT_PROMPT_EXAMPLES",
    "DEFAULT_PROMPT_MODEL",
    "DEFAULT_PROMPT_PRICES",
    "DEFAULT_RETRAIN_CRON",
    "DEFAULT_SEPARATOR",
    "DEFAULT_SLACK_API_URL",
    "DEFAULT_TRAINING_PRICES",
    "PROMPT_PRICES_AS_OF",
    "OpenAISettings",
    "PromptSettings",
    "Settings",
    "SlackSettings",
    "TeachingSettings",
    "TrainingSettings",
    "default_home",
]
