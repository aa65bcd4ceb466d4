"""Unit tests of the preparation checks, formats and files, on small synthetic data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from training import preparation as prep
from training.errors import InputFileError
from training.preparation.checks import as_strings
from training.preparation.tokens import counter_for

pytestmark = pytest.mark.unit


def opts(compat: str = "default", fmt: str = "completion", max_tokens: int = 100) -> prep.Options:
    return prep.Options("babbage-002", fmt, compat, max_tokens, counter_for("babbage-002"))


def frame(n: int = 30, labels=("baseball", "hockey", "other")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "prompt": [f"{i}: about the game, number {i}" for i in range(n)],
            "completion": [labels[i % len(labels)] for i in range(n)],
        }
    )


def test_num_examples_weak_below_100() -> None:
    assert "weak" in prep.check_num_examples(frame(30), opts()).found
    assert "weak" not in prep.check_num_examples(frame(120), opts()).found


def test_column_in_other_case_is_renamed() -> None:
    df = frame().rename(columns={"prompt": "Prompt"})
    finding = prep.check_column("prompt")(df, opts())
    assert finding.necessary
    assert "prompt" in finding.fix(df).columns
    assert prep.check_column("prompt")(frame(), opts()) is None


def test_missing_column_is_an_error() -> None:
    with pytest.raises(InputFileError, match="completion"):
        prep.prepare(frame().drop(columns="completion"), model="babbage-002")


def test_extra_columns_are_dropped() -> None:
    df = frame().assign(source="x")
    finding = prep.check_extra_columns(df, opts())
    assert finding.necessary
    assert list(finding.fix(df).columns) == ["prompt", "completion"]


@pytest.mark.parametrize(("compat", "dropped"), [("legacy", 2), ("default", 3)])
def test_empty_completions_dropped(compat: str, dropped: int) -> None:
    df = frame()
    df.loc[[1, 2, 3], "completion"] = ["", None, "  "]
    df = as_strings(df)
    finding = prep.check_empty_completions(df, opts(compat))
    assert len(finding.fix(df)) == len(df) - dropped


def test_task_type() -> None:
    assert prep.task_type(frame()) == "classification"
    generation = pd.DataFrame({"prompt": ["a", "b", "c"], "completion": ["x", "y", "z"]})
    assert prep.task_type(generation) == "conditional generation"
    assert prep.task_type(generation.assign(prompt="")) == "open-ended generation"


def test_duplicates_found_and_removed() -> None:
    df = pd.concat([frame(), frame().iloc[:2]])
    df.index = range(len(df))
    finding = prep.check_duplicates(df, opts())
    assert "rows [30, 31]" in finding.found
    assert not finding.necessary
    assert len(finding.fix(df)) == 30


def test_long_examples_counted_in_tokens() -> None:
    df = frame()
    df.loc[4, "prompt"] = "word " * 200  # ~200 tokens but 1000 characters
    finding = prep.check_long_examples(df, opts(max_tokens=100))
    assert "rows [4]" in finding.found
    assert "tokens" in finding.found
    assert 4 not in finding.fix(df).index
    assert prep.check_long_examples(df, opts("legacy")) is None  # under 10,000 characters


def test_long_examples_legacy_characters() -> None:
    df = frame()
    df.loc[7, "prompt"] = "x" * 10_000
    assert "rows [7]" in prep.check_long_examples(df, opts("legacy")).found


def test_upper_case() -> None:
    df = frame().assign(prompt=lambda d: d["prompt"].str.upper())
    finding = prep.check_upper_case("prompt")(df, opts())
    assert finding.fix(df)["prompt"].iloc[0] == "0: about the game, number 0"
    assert prep.check_upper_case("completion")(df, opts()) is None


def test_separator_is_first_candidate_absent_from_prompts() -> None:
    df = frame().assign(prompt=lambda d: d["prompt"].str.replace(",", "\n"))
    df.loc[0, "prompt"] = "0: has \n\n###\n\n inside 0"
    finding = prep.check_separator(df, opts())
    assert finding.fix(df)["prompt"].str.endswith("\n\n===\n\n").all()
    assert prep.pick_separator(frame()["prompt"]) == " ->"


def test_separator_already_present_is_reported() -> None:
    df = frame().assign(prompt=lambda d: d["prompt"] + "\n\n###\n\n")
    finding = prep.check_separator(df, opts())
    assert finding.fix is None
    assert "end with" in finding.found


def test_prompt_prefix_over_12_chars() -> None:
    df = frame().assign(prompt=lambda d: "Classify this post: " + d["prompt"])
    finding = prep.check_prompt_prefix(df, opts())
    assert finding.fix(df)["prompt"].iloc[0] == "0: about the game, number 0"


def test_completion_prefix_keeps_the_space() -> None:
    df = frame().assign(completion=lambda d: " sport: " + d["completion"])
    finding = prep.check_completion_prefix(df, opts())
    assert finding.fix(df)["completion"].iloc[0] == " baseball"


def test_leading_space() -> None:
    df = frame()
    df.loc[0, "completion"] = " baseball"
    fixed = prep.check_leading_space(df, opts()).fix(df)
    assert fixed["completion"].str.startswith(" ").all()
    assert fixed["completion"].iloc[0] == " baseball"
    assert prep.check_leading_space(fixed, opts()) is None


def test_stratified_split_keeps_three_classes_in_proportion() -> None:
    prepared = prep.prepare(frame(60), model="babbage-002")
    assert len(prepared.valid) == 12
    assert prepared.valid["completion"].value_counts().tolist() == [4, 4, 4]
    assert list(prepared.valid.index) == sorted(prepared.valid.index)


def test_legacy_split_is_the_old_sample() -> None:
    df = frame(200)
    prepared = prep.prepare(df, model="babbage-002", compat="legacy")
    expected = df.drop(df.sample(n=160, random_state=42).index).index
    assert list(prepared.valid.index) == list(expected)


def test_declined_recommendations_are_not_applied() -> None:
    prepared = prep.prepare(frame(), model="babbage-002", accept=lambda finding: False)
    assert prepared.valid is None
    assert prepared.train["completion"].iloc[0] == "baseball"
    assert not any(applied for finding, applied in prepared.findings if not finding.necessary)


def test_completion_format_records() -> None:
    prepared = prep.prepare(frame(), model="babbage-002")
    row = prep.records(prepared.train, prepared.fmt, prepared.separator)[0]
    assert row["prompt"].endswith(" ->")
    assert row["completion"].startswith(" ")


def test_chat_format_records() -> None:
    prepared = prep.prepare(frame(), model="gpt-4o-mini")
    assert prepared.fmt == "chat"
    row = prep.records(prepared.train, "chat", prepared.separator)[0]
    system, user, assistant = row["messages"]
    assert system == {"role": "system", "content": prep.CHAT_SYSTEM_MESSAGE}
    assert user["content"].startswith("0: about") or user["content"][0].isdigit()
    assert not user["content"].endswith("->")
    assert assistant["content"] in {"baseball", "hockey", "other"}


@pytest.mark.parametrize("model", ["babbage-002", "gpt-4o-mini"])
def test_read_prepared_round_trip(tmp_path, model: str) -> None:
    prepared = prep.prepare(frame(), model=model)
    train_path, _valid_path = prep.write_prepared(prepared, tmp_path / "sport.jsonl")
    back = prep.read_prepared(train_path)
    assert list(back.columns) == ["text", "label"]
    assert back["text"].iloc[0] == prepared.train["prompt"].iloc[0].removesuffix(" ->")
    assert set(back["label"]) == {"baseball", "hockey", "other"}


def test_output_names_get_a_number_rather_than_overwrite(tmp_path) -> None:
    prepared = prep.prepare(frame(), model="babbage-002")
    first = prep.write_prepared(prepared, tmp_path / "x.csv")
    second = prep.write_prepared(prepared, tmp_path / "x.csv")
    assert first[0].name == "x_prepared_train.jsonl"
    assert second == (
        tmp_path / "x_prepared_train (1).jsonl",
        tmp_path / "x_prepared_valid (1).jsonl",
    )
    assert not list(tmp_path.glob(".*tmp"))


def test_cost_uses_configured_prices() -> None:
    assert prep.estimate_cost(1_000_000, 4, "babbage-002", {"babbage-002": 0.5}) == 2.0
    assert prep.estimate_cost(10, 4, "ft:babbage-002:org::x", {"babbage-002": 1.0}) > 0
    assert prep.estimate_cost(10, 4, "unknown", {}) is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl", '{"prompt": "a", "completion": "b"}\n{"prompt": \n', "a.jsonl:2: malformed"),
        ("a.txt", "x", "unknown extension"),
        ("a.jsonl", "", "empty"),
        ("a.csv", "prompt,completion\n", "empty"),
    ],
)
def test_read_input_errors(tmp_path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputFileError, match=message):
        prep.read_input(path)


def test_read_input_not_utf8(tmp_path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"prompt": "ok", "completion": "b"}\n{"prompt": "caf\xe9"}\n')
    with pytest.raises(InputFileError, match=r"a.jsonl:2: not UTF-8"):
        prep.read_input(path)


@pytest.mark.parametrize("ext", ["jsonl", "json", "csv", "tsv", "xlsx"])
def test_read_input_formats(tmp_path, ext: str) -> None:
    df = frame(5)
    path = tmp_path / f"data.{ext}"
    if ext == "jsonl":
        df.to_json(path, orient="records", lines=True)
    elif ext == "json":
        path.write_text(json.dumps(df.to_dict("records")))
    elif ext == "xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_csv(path, sep="," if ext == "csv" else "\t", index=False)
    assert prep.read_input(path).to_dict("records") == df.to_dict("records")


def test_default_split_holds_out_at_most_1000_examples_stratified() -> None:
    labels = ["baseball"] * 2000 + ["hockey"] * 2000 + ["other"] * 2000
    frame = pd.DataFrame({"prompt": [f"text {i}" for i in range(6000)], "completion": labels})
    train, valid = prep.split(frame, legacy=False)
    assert len(valid) == 1000
    assert len(train) == 5000
    assert valid["completion"].value_counts().min() >= 333


@pytest.mark.parametrize("fmt", ["completion", "chat"])
def test_training_only_rows_join_the_train_file_in_its_format(tmp_path, fmt: str) -> None:
    labels = ["baseball", "hockey"] * 60
    frame = pd.DataFrame({"prompt": [f"post number {i}" for i in range(120)], "completion": labels})
    prepared = prep.prepare(frame, model="babbage-002", fmt=fmt)
    seed = pd.DataFrame({"prompt": ["Caps win in OT"], "completion": ["hockey"]})
    extended = prep.with_training_only(prepared, seed)
    assert len(extended.train) == len(prepared.train) + 1
    assert len(extended.valid) == len(prepared.valid)
    train_path, _ = prep.write_prepared(extended, tmp_path / "x.jsonl")
    back = prep.read_prepared(train_path)
    assert back.iloc[-1].to_dict() == {"text": "Caps win in OT", "label": "hockey"}
