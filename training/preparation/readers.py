"""Reading a data set to prepare: JSONL, JSON, CSV, TSV or XLSX into a DataFrame.

Every problem with the file becomes an ``InputFileError`` naming the file (and the
line, where there is one). Imports only pandas and ``training.errors``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from training.errors import InputFileError

INPUT_EXTENSIONS = (".jsonl", ".json", ".csv", ".tsv", ".xlsx")


def read_input(path: Path) -> pd.DataFrame:
    """Read a JSONL, JSON, CSV, TSV or XLSX file; InputFileError names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path} does not exist.")
    ext = path.suffix.lower()
    if ext not in INPUT_EXTENSIONS:
        raise InputFileError(
            f"{path}: unknown extension {ext or '(none)'!r}; use one of "
            f"{', '.join(INPUT_EXTENSIONS)}."
        )
    df = _read_xlsx(path) if ext == ".xlsx" else _read_text_format(path, ext, read_utf8(path))
    if df.empty:
        raise InputFileError(f"{path} is empty: it holds no examples.")
    return df


def read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError(f"cannot read {path}: {error.strerror or error}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(f"{path}:{line}: not UTF-8 text (byte {error.start}).") from None


def _read_text_format(path: Path, ext: str, text: str) -> pd.DataFrame:
    if not text.strip():
        raise InputFileError(f"{path} is empty: it holds no examples.")
    if ext in (".csv", ".tsv"):
        return _read_delimited(path, text, "," if ext == ".csv" else "\t")
    if ext == ".json":
        try:
            return _records_frame(path, json.loads(text))
        except json.JSONDecodeError:
            pass  # perhaps JSON Lines under a .json name, as the old tool accepted
    return _read_jsonl(path, text)


def _read_jsonl(path: Path, text: str) -> pd.DataFrame:
    return _records_frame(path, jsonl_rows(path, text))


def jsonl_rows(path: Path, text: str) -> list[dict]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputFileError(f"{path}:{number}: malformed JSON ({error.msg}).") from None
        if not isinstance(row, dict):
            raise InputFileError(f"{path}:{number}: expected a JSON object, got {row!r:.40}.")
        rows.append(row)
    return rows


def _records_frame(path: Path, data: object) -> pd.DataFrame:
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        data = pd.DataFrame(data).to_dict("records")  # {"prompt": [...], ...}
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InputFileError(f"{path}: expected a list of objects with prompt and completion.")
    return pd.DataFrame(data, dtype=object).map(_as_text) if data else pd.DataFrame()


def _as_text(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _read_delimited(path: Path, text: str, sep: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise InputFileError(
            f"{path}: not valid {'CSV' if sep == ',' else 'TSV'}: {reason}"
        ) from None


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        reason = " ".join(str(error).split()) or type(error).__name__
        raise InputFileError(f"{path}: not a readable XLSX workbook ({reason}).") from None
