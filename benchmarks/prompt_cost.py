"""What the prompted backend (openai-prompt) costs on sportbot's own data, offline.

    python benchmarks/prompt_cost.py [--data /path/to/20news-bydate.tar.gz] [--k 8]

Builds the example bank the way `sportbot train --backend openai-prompt` does
(collect the 20news train split with the other groups and the seed lines,
prepare, bank of the train file) and prints its size and build time, then the
exact prompts' input tokens and the cost per message and per 1,000 messages for
the validation posts and for tests/data/chat_messages.jsonl, at the built-in
prices of a few models. No request is sent: nothing here needs a key.
Token counts of gpt-4o/4.1/5 models are cl100k_base counts (their o200k_base
is not available offline), so they are estimates.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from training import preparation as prep
from training.classifiers import example_bank, prompted
from training.config import PromptSettings
from training.data import Source
from training.pipeline.collect import collect

REPO = Path(__file__).resolve().parents[1]
CHAT = REPO / "tests" / "data" / "chat_messages.jsonl"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "20news-bydate.tar.gz"
MODELS = ("gpt-4.1-mini", "gpt-4o-mini", "gpt-4.1-nano", "gpt-5-mini")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--k", type=int, default=PromptSettings().examples)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        collected = collect(Source(args.data, Path(folder) / "cache"))
        prepared = prep.with_training_only(
            prep.prepare(collected.frame, model="babbage-002"), collected.seed
        )
        train_path, valid_path = prep.write_prepared(prepared, Path(folder) / "examples.jsonl")
        train = prep.read_prepared(train_path)
        valid = prep.read_prepared(valid_path)
        started = time.perf_counter()
        bank = example_bank.build_bank(train["text"].tolist(), train["label"].tolist())
        built = time.perf_counter() - started
        size = sum(
            p.stat().st_size
            for p in example_bank.save_bank(bank, Path(folder)).parent.glob("bank-*")
        )
    print(
        f"bank {bank.version[:12]}: {len(bank.texts)} examples, "
        f"built in {built:.1f} s, {size / 1e6:.1f} MB"
    )
    chat = [json.loads(line)["text"] for line in CHAT.read_text().splitlines() if line.strip()]
    posts = valid["text"].tolist()[:: max(1, len(valid) // 300)]
    for model_name in MODELS:
        model = prompted.PromptedModel(
            model_name, bank, prompt=PromptSettings(examples=args.k), client=object()
        )
        for name, texts in (("validation posts", posts), ("chat messages", chat)):
            estimate = model.estimate(texts)
            print(f"{model_name:<13} {name:<17} ({len(texts)}): {estimate.line()}")
            if name == "validation posts" and estimate.usd_per_message is not None:
                whole = estimate.usd_per_message * len(valid)
                print(f"{'':<13} evaluating on all {len(valid)} validation examples: ${whole:.2f}")


if __name__ == "__main__":
    main()
