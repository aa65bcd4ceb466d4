"""The one boundary between sportbot and OpenAI: every OpenAI call goes through here.

* ``calls``: the client (``build_client``) and ``translated(...)``, which every
  call runs inside. An ``openai`` library exception never leaves it: it becomes
  one of ours from ``training.errors`` (``OpenAIAuthError``,
  ``OpenAIRateLimitError``, ``OpenAITimeoutError``, ``OpenAIUnreachableError``,
  ``OpenAINotFoundError``, ``FineTuningRefusedError``, else ``OpenAIError``),
  its message naming the call and redacted of any key, never chained;
* ``jobs``: fine-tuning jobs (upload, create, poll, results, cancel), each
  call through ``calls``;
* ``webhooks``: OpenAI's fine-tuning webhooks, verified and recorded;
* ``models``: which OpenAI models are asked through chat and which through the
  legacy completions API (also the format their training files take).

The model families that ask OpenAI (``training.classifiers.openai_model``,
``training.classifiers.prompted``) make their requests through ``calls``.
The package is not named ``openai`` so that it can never shadow the library.
Boundary: imports the ``openai`` library and ``training``, never ``bot``.
"""
