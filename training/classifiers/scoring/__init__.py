"""The local model's scoring path, with numpy alone: no scikit-learn, no scipy.

A fitted ``LocalModel`` is, for scoring, a handful of arrays: each hashed
feature's idf and stage weights, the stages' intercepts and offsets, and the
label counts of the threads it was trained on. ``scorer.Scorer`` holds those
arrays and scores one text with dict counting and a numpy dot. ``LocalModel``
scores short texts through it (``LocalModel.scorer()``), and the Slack app's
processes (web worker and tagger) load it on its own from a ``.scorer.npz``
file beside the model's ``.skops`` artifact (``files.save``/``files.load``), so
they never import scikit-learn, whose import costs far more memory than the
model's arrays.

* ``posts``: news headers and threads, and which texts are chat-like;
* ``hashing``: scikit-learn's ``HashingVectorizer`` columns, computed the same
  way (same preprocessing, n-grams and MurmurHash3 from the ``mmh3`` package);
  ``tests/training/classifiers/test_scoring.py`` checks every step against
  scikit-learn's own;
* ``stages``: the maths that composes the stages' scores into probabilities;
* ``scorer``: ``Scorer`` and ``ScoredModel``, the model the Slack app serves;
* ``files``: the ``.scorer.npz`` file (arrays only, loaded with
  ``allow_pickle=False``; the registry records its sha256 like the artifact's,
  so a changed file is refused) and file hashing.

Boundary: nothing here imports scikit-learn, scipy or ``bot``.
"""
