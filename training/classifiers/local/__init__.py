"""The embedded local model, the scikit-learn side: fitting, seeds and artifacts.

Why this shape:

* ``HashingVectorizer`` needs no vocabulary, so the artifact is a few arrays
  (IDF weights and coefficients) that load in milliseconds, and names the 1993
  posts never saw (Bedard, the PWHL) still land on a feature.
* Word 1-2 grams carry the topic; ``char_wb`` 3-5 grams generalise over
  spellings, plurals and team nicknames in short chat messages.
* Newsgroup headers (From:, Organization:, Lines:) leak the author and say
  nothing a Slack message would; ``scoring.posts.strip_headers`` drops them
  (keeping the Subject's words) both when training and when classifying.
* Which sport, and sport-or-not for posts, are NB-LR models
  (``training.classifiers.nbsvm``: logistic regression on naive-Bayes-scaled
  features), which separate the sports' telling words from an author's habits
  better than plain logistic regression on the 20 Newsgroups test posts.
  Sport-or-not for short chat stays an ``SGDClassifier(loss="log_loss")`` whose
  decision offset is a hyperparameter (the chat lines are too few and alike to
  fit one on).
* A news post carries its thread in its Subject, and a reply stays in its
  thread's group. The model remembers the label counts of the subjects it was
  trained on (``thread_keys_``, ``thread_counts_``) and combines them with the
  stages' probabilities as naive Bayes would (``thread_weight`` 1), which keeps
  more posts in their thread's group. Chat messages have no Subject and are
  scored as before. The figures are in ``docs/benchmarks.md``.

Its modules:

* ``estimator``: ``LocalModel``, the scikit-learn estimator (``get_params``,
  ``fit``, ``predict_proba``) and its stages;
* ``fitting``: the building blocks of a fit (features, examples, offsets);
* ``lean``: the ``Scorer`` a fitted model scores short texts with;
* ``seeds``: the hand-written seed messages, JSONL rows and the training data's hash;
* ``artifacts``: ``save`` and ``load`` of ``.skops`` files against trusted types.

The numpy-only scoring path the Slack app loads lives in
``training.classifiers.scoring``; importing it never imports this package.
Boundary: imports scikit-learn and ``training``, never ``bot``.
"""

# Artifacts saved before the model's modules moved name its class
# "training.classifiers.local.LocalModel" in their skops trusted types; skops
# resolves that name through this package, so it must stay importable here.
from training.classifiers.local.estimator import LocalModel

__all__ = ["LocalModel"]
