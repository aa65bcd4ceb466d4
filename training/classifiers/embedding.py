"""Static token embeddings for short messages: what the words mean, not only which they are.

Hashed n-grams only know the words they were trained on; a short message has
five to fifteen of them. The ``wordllama`` package (MIT) ships 256-dimension
token embeddings distilled from large language models' token embeddings, with
their tokenizer, inside its wheel. A message's embedding is the mean of its
tokens' vectors, L2-normalised; the local model fits a linear model on it and
blends it into its answer for short texts (``LocalModel.embedding_weight``).

Nothing is downloaded: ``wordllama`` 0.4 looks for its tokenizer in a folder
its wheel does not have and would try to fetch it, so this module reads the two
files by path and never calls ``WordLlama.load()``. The package is not even
imported (its import pulls in more than the two files): its folder is found
with ``importlib.util.find_spec``. Only ``tokenizers`` and ``safetensors`` run.

Loaded once per process on first use (``TokenEmbeddings.shared()``): 16 MB of
float16 vectors and the tokenizer.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from training.errors import ModelFileError

PACKAGE = "wordllama"
WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
NAME = "wordllama-l2_supercat_256"  # recorded with a model that uses it
DIMENSIONS = 256
# A post's first tokens say what it is about; the rest only costs time.
MAX_TOKENS = 512
MAX_CHARS = 3_000


class TokenEmbeddings:
    """Mean token embeddings of texts: ``embed(texts)`` is an ``(n, 256)`` float64 array."""

    _shared: TokenEmbeddings | None = None
    _lock = threading.Lock()

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights, tokenizer = folder / WEIGHTS, folder / TOKENIZER
        for path in (weights, tokenizer):
            if not path.is_file():
                raise ModelFileError(
                    f"{path} is missing: reinstall sportbot's dependencies "
                    f"(pip install --force-reinstall {PACKAGE})."
                )
        self.vectors = next(iter(load_file(str(weights)).values()))
        if self.vectors.shape[1] != DIMENSIONS:
            raise ModelFileError(f"{weights} holds {self.vectors.shape[1]}-dimension vectors.")
        self.tokenizer = Tokenizer.from_file(str(tokenizer))

    @classmethod
    def shared(cls) -> TokenEmbeddings:
        """The process's one instance, loaded on first use."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls(package_folder())
            return cls._shared

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's mean token vector, L2-normalised (zeros for a text with no tokens)."""
        encodings = self.tokenizer.encode_batch(
            [text[:MAX_CHARS] for text in texts], add_special_tokens=False
        )
        out = np.zeros((len(texts), DIMENSIONS))
        for row, encoding in enumerate(encodings):
            ids = encoding.ids[:MAX_TOKENS]
            if ids:
                out[row] = self.vectors[ids].mean(axis=0, dtype=np.float64)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0.0, 1.0, norms)


def package_folder() -> Path:
    """Where the ``wordllama`` package is installed, without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(
            f"The {PACKAGE} package is not installed: pip install sportbot's dependencies."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
