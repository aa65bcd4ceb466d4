"""The training pipeline: one retraining run end to end, for every backend.

Entry points are in ``run`` (``train``, ``train_local``, ``train_configured``,
``start``, ``resume``, ``cancel``); ``stages`` is their order, ``context`` what
each stage is given. One module per stage, pure functions that save what they
produced in the run's row: ``collect``, ``prepare``, ``cost`` (the guard before
anything is spent), ``train`` (the local model), ``fine_tune`` (an OpenAI job),
``prompt`` (the prompted backend's example bank), ``evaluate`` (metrics as plain
dicts), ``judge`` with the ``promotion`` policy, and ``report`` with its
``charts``. The run's Slack message is ``training.slack.message``.

This file imports nothing, so ``training.pipeline.charts`` stays cheap for the
Slack app; the package imports ``training`` only, never ``bot/``.
"""
