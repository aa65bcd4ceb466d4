"""The training side's Slack boundary: the Web API client and the one progress/report message.

``client`` builds every WebClient sportbot makes (retries, shared 429 pacing);
``message`` is the single implementation of a progress message that is posted
once and updated, used by training runs (CLI and the clock process) and by
``/sport retrain`` in the Slack app. It imports slack_sdk and ``training.config``
only: never ``bot/``, never pandas or scikit-learn, so the Slack app's processes
load it cheaply.
"""
