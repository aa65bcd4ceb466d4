"""`sportbot prepare` and `sportbot data` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from training import cli
from training.cli import common
from training.data import sport_prompts
from training.preparation import read_prepared
from training.preparation.tokens import counter_for

runner = CliRunner()


def write_jsonl(path: Path, n: int = 60) -> Path:
    labels = ("baseball", "hockey", "other")
    rows = [{"prompt": f"{i}: a post, number {i}", "completion": labels[i % 3]} for i in range(n)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def outputs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*_prepared*"))


@pytest.mark.unit
def test_quiet_accepts_everything(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "mine.jsonl")
    result = runner.invoke(cli.app, ["prepare", "-f", str(source), "-q"])
    assert result.exit_code == 0, result.output
    assert outputs(tmp_path) == ["mine_prepared_train.jsonl", "mine_prepared_valid.jsonl"]
    assert "sportbot train" in result.output
    assert "fine_tuning.jobs.create" in result.output
    assert "Estimated training cost: $" in result.output
    valid = read_prepared(tmp_path / "mine_prepared_valid.jsonl")
    assert valid["label"].value_counts().tolist() == [4, 4, 4]


@pytest.mark.unit
def test_second_run_gets_a_number(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "mine.jsonl")
    for _ in range(2):
        assert runner.invoke(cli.app, ["prepare", "-f", str(source), "-q"]).exit_code == 0
    assert "mine_prepared_train (1).jsonl" in outputs(tmp_path)
    assert "mine_prepared_valid (1).jsonl" in outputs(tmp_path)


@pytest.mark.unit
def test_prompts_are_asked_and_no_is_respected(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(common, "stdin_is_tty", lambda: True)
    source = write_jsonl(tmp_path / "mine.jsonl")
    # separator, leading space, split: say no to the separator only
    result = runner.invoke(cli.app, ["prepare", "-f", str(source)], input="n\ny\ny\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("[Y/n]") == 3
    rows = [json.loads(line) for line in (tmp_path / "mine_prepared_train.jsonl").open()]
    assert not rows[0]["prompt"].endswith(" ->")
    assert rows[0]["completion"].startswith(" ")


@pytest.mark.unit
def test_without_a_terminal_defaults_are_accepted(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "mine.jsonl")
    result = runner.invoke(cli.app, ["prepare", "-f", str(source)])
    assert result.exit_code == 0
    assert "not a terminal" in result.output
    assert len(outputs(tmp_path)) == 2


@pytest.mark.unit
def test_chat_format_from_model(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "mine.jsonl")
    result = runner.invoke(cli.app, ["prepare", "-f", str(source), "-q", "--model", "gpt-4o-mini"])
    assert result.exit_code == 0, result.output
    row = json.loads((tmp_path / "mine_prepared_train.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]


BAD_INPUTS = [
    ("missing.jsonl", None, "does not exist"),
    ("data.txt", b"prompt completion", "unknown extension"),
    ("data.jsonl", b'{"prompt": "a", "completion": "b"}\n{oops\n', "data.jsonl:2: malformed"),
    ("data.jsonl", b'{"text": "a", "completion": "b"}\n', "prompt"),
    ("data.jsonl", b"", "empty"),
    ("data.csv", b"prompt,completion\ncaf\xe9,b\n", "not UTF-8"),
    ("data.xlsx", b"not a workbook", "XLSX"),
]


@pytest.mark.unit
@pytest.mark.parametrize(("name", "content", "message"), BAD_INPUTS)
def test_bad_input_is_one_line(tmp_path: Path, name: str, content, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(cli.app, ["prepare", "-f", str(path), "-q"])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert outputs(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir() if p.name != name and p.name != "home"] == []


@pytest.mark.unit
def test_data_without_archive_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["data", "--data", str(tmp_path / "none.tar.gz")])
    assert result.exit_code == 1
    assert "SPORTBOT_20NEWS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- on the real posts


def legacy_split(df: pd.DataFrame) -> tuple[list[int], pd.DataFrame, pd.DataFrame]:
    """The old tool's rule and split, written independently of training.preparation."""
    long_rows = [
        i
        for i, (p, c) in enumerate(zip(df.prompt, df.completion, strict=False))
        if len(p) + len(c) > 10000
    ]
    kept = df.drop(long_rows)
    n_train = max(len(kept) - 1000, int(len(kept) * 0.8))
    train = kept.sample(n=n_train, random_state=42)
    return long_rows, train, kept.drop(train.index)


@pytest.fixture(scope="module")
def sport2(news_source) -> pd.DataFrame:
    return sport_prompts("train", source=news_source)


@pytest.mark.needs_data
def test_legacy_end_to_end(tmp_path: Path, sport2: pd.DataFrame) -> None:
    path = tmp_path / "sport2.jsonl"
    sport2.to_json(path, orient="records", lines=True)
    result = runner.invoke(cli.app, ["prepare", "-f", str(path), "-q", "--compat", "legacy"])
    assert result.exit_code == 0, result.output
    long_rows, train, valid = legacy_split(sport2)
    assert long_rows == [134, 200, 281, 320, 404, 595, 704, 838, 1113, 1139, 1174]
    assert str(long_rows) in result.output
    written_train = [json.loads(x) for x in (tmp_path / "sport2_prepared_train.jsonl").open()]
    written_valid = [json.loads(x) for x in (tmp_path / "sport2_prepared_valid.jsonl").open()]
    assert (len(written_train), len(written_valid)) == (948, 238)
    assert [r["prompt"] for r in written_valid] == [p + "\n\n###\n\n" for p in valid.prompt]
    assert [r["prompt"] for r in written_train] == [p + "\n\n###\n\n" for p in train.prompt]
    assert [r["completion"] for r in written_valid] == [" " + c for c in valid.completion]


@pytest.mark.needs_data
def test_default_mode_counts_tokens_and_stratifies(
    tmp_path: Path, sport2: pd.DataFrame, news_archive: Path
) -> None:
    args = ["prepare", "--data", str(news_archive), "--out-dir", str(tmp_path), "-q"]
    result = runner.invoke(cli.app, [*args, "--max-tokens", "2048"])
    assert result.exit_code == 0, result.output
    count = counter_for("babbage-002").count
    separator_tokens = count("\n\n### =>\n\n")
    tokens = [
        count(p) + separator_tokens + count(" " + c)
        for p, c in zip(sport2.prompt, sport2.completion, strict=False)
    ]
    long_rows = [i for i, t in enumerate(tokens) if t > 2048]
    assert f"rows {long_rows}" in result.output
    assert "tokens for babbage-002" in result.output
    valid = read_prepared(tmp_path / "sport2_prepared_valid.jsonl")
    kept = sport2.drop(long_rows)
    assert len(valid) == round(len(kept) * 0.2)
    share = kept.completion.value_counts(normalize=True)
    assert (valid.label.value_counts(normalize=True) - share).abs().max() < 0.01
