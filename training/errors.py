"""The exceptions sportbot raises, so callers catch ours and never a library's.

Errors from OpenAI, Slack, the database and the file system are turned into
these at the edge, with a message a person can act on. The CLI prints
``str(error)`` as one line; the Slack app shows it to the user.

Tree::

    SportbotError
    ├── ConfigError               a setting is missing or malformed (names the variable)
    ├── DataError                 the 20 Newsgroups archive or an input file is unusable
    │   └── InputFileError        a file given to ``prepare``/``classify`` (names file and line)
    ├── ClassifyError             a text cannot be classified (empty text, no model)
    │   └── NoModelError          no model is registered or the named one does not exist
    ├── ModelFileError            a model artifact is missing, unreadable or tampered with
    ├── BackendError              a model provider failed
    │   ├── OpenAIError           OpenAI refused or failed (names the call; openai_api/calls.py)
    │   │   ├── OpenAIAuthError        the API key was refused (401): set OPENAI_API_KEY
    │   │   ├── OpenAIUnreachableError OpenAI cannot be reached: network, proxy, OPENAI_BASE_URL
    │   │   ├── OpenAINotFoundError    no such model, job or file (``code`` says which)
    │   │   ├── FineTuningRefusedError OpenAI refuses new fine-tuning jobs for this organisation
    │   │   ├── OpenAIRateLimitError
    │   │   └── OpenAITimeoutError
    │   ├── DailyCapError         today's spend on the prompted model reached the cap
    │   ├── SlackError            the Slack Web API failed (names the method)
    │   └── WebhookSignatureError an OpenAI webhook is not signed with OPENAI_WEBHOOK_SECRET
    ├── RegistryError             the model registry or run records refused an operation
    │   └── DatabaseUnavailableError   the database cannot be reached
    └── RunError                  a training run cannot start or go on
        ├── RunInProgressError    another run holds the lock (names it)
        ├── CostCapError          the estimated cost is above the configured cap
        └── JobFailedError        the fine-tuning job failed or was cancelled
            └── JobPausedError    the job stayed paused past SPORTBOT_PAUSED_LIMIT_SECONDS
"""

from __future__ import annotations


class SportbotError(Exception):
    """Base class of every error sportbot raises on purpose."""


class ConfigError(SportbotError):
    """A setting is missing or malformed."""


class DataError(SportbotError):
    """The training data cannot be found or read."""


class InputFileError(DataError):
    """A file given on the command line is unusable."""


class ClassifyError(SportbotError):
    """A text cannot be classified."""


class NoModelError(ClassifyError):
    """No usable model: none registered, or the requested one is unknown."""


class ModelFileError(SportbotError):
    """A model artifact is missing, unreadable, or does not match its recorded hash."""


class BackendError(SportbotError):
    """A model provider or the Slack API failed."""


class OpenAIError(BackendError):
    """OpenAI refused or failed a request; ``status_code``/``code`` as OpenAI answered."""

    def __init__(
        self, message: str = "", *, status_code: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class OpenAIAuthError(OpenAIError):
    """OpenAI refused the API key (401)."""


class OpenAIUnreachableError(OpenAIError):
    """No connection to OpenAI (network, proxy, OPENAI_BASE_URL)."""


class OpenAINotFoundError(OpenAIError):
    """OpenAI has no such model, job or file (404); ``code`` is e.g. ``model_not_found``."""


class FineTuningRefusedError(OpenAIError):
    """OpenAI refused to create a fine-tuning job (a 4xx): the organisation may no longer
    fine-tune. Retrying does not help; the local backend still trains."""


class OpenAIRateLimitError(OpenAIError):
    """OpenAI answered 429 after the client's own retries."""


class OpenAITimeoutError(OpenAIError):
    """OpenAI did not answer in time."""


class SlackError(BackendError):
    """The Slack Web API failed."""


class WebhookSignatureError(BackendError):
    """An OpenAI webhook delivery failed verification."""


class RegistryError(SportbotError):
    """The model registry refused an operation."""


class DatabaseUnavailableError(RegistryError):
    """The database cannot be reached."""


class RunError(SportbotError):
    """A training run cannot start or continue."""


class RunInProgressError(RunError):
    """Another training run holds the lock."""


class CostCapError(RunError):
    """The run's estimated cost is above the configured cap."""


class JobFailedError(RunError):
    """The fine-tuning job failed or was cancelled."""


class JobPausedError(JobFailedError):
    """The job stayed paused too long: the run stops waiting (status ``paused``), releases
    the lock, and ``sportbot runs resume`` takes it up once the job runs again."""


class DailyCapError(BackendError):
    """Today's OpenAI spend on classifying reached SPORTBOT_COST_CAP_USD: the local
    model answers until midnight UTC."""
