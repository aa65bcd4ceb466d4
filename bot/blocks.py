"""Block Kit and mrkdwn builders: every message and view the app shows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from training.classifiers.base import Prediction, valid_text
from training.states import Label, ModelStatus
from training.storage.registry import ModelInfo
from training.storage.tags import WeeklyCounts
from training.storage.votes import Correction

CORRECT_ACTION = "correct"  # action ids are correct_baseball, correct_hockey, correct_other
RETRAIN_ACTION = "home_retrain"
REJECT_ACTION = "home_reject"  # value: the correction's id
REJECT_USER_ACTION = "home_reject_user"  # value: the person's user id
# Corrections listed in App Home: two blocks each, within the view's 100.
HOME_CORRECTIONS = 20
CHOICES = ((Label.baseball, "Baseball"), (Label.hockey, "Hockey"), (Label.other, "Neither"))
CHOICE_LABELS = frozenset(label for label, _ in CHOICES)
# Block Kit's limit on a button value, counted as Slack receives it: inside the
# request's JSON, where every non-ASCII character is a six-character \uXXXX escape
# (two for an emoji) and a quote or backslash gains one.
MAX_VALUE_CHARS = 2000
# Texts as long as this are quoted whole under the label; longer ones are cut.
MAX_QUOTED_CHARS = 280
HELP_TEXT = "\n".join(
    [
        "*sportbot* tells baseball from hockey. Usage:",
        "• `/sport <text>`: classify the text (only you see the answer)",
        "• `/sport --public <text>` (or `/sport say <text>`): classify it for the whole channel",
        "• `/sport status`: the active model and the last training run",
        "• `/sport retrain`: train a new model from the latest examples (admins only)",
        "• `/sport help`: this message",
        "Teach it with an answer's buttons, or react to any message with a sport's emoji "
        "(or :x: by default when a tag is wrong): sportbot learns at the next retraining.",
    ]
)


def label_line(prediction: Prediction) -> str:
    return f"*{prediction.label}* ({prediction.confidence:.0%} confident)"


def prediction_blocks(
    text: str,
    prediction: Prediction,
    *,
    channel: str | None = None,
    ts: str | None = None,
    note: str | None = None,
) -> list[dict[str, Any]]:
    """The answer to /sport or the shortcut: label, confidence, correction buttons
    (and ``note``, e.g. that a fallback model answered, under the label)."""
    text = valid_text(text)  # a lone surrogate would reach Slack as an invalid escape
    quoted = text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"
    value = correction_value(text, channel, ts)
    headline = label_line(prediction) + (f"\n:warning: {note}" if note else "")
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {
            "type": "context",
            "elements": [
                {"type": "plain_text", "text": quoted},
                # Which model answered: a promotion shows up here within seconds.
                {"type": "mrkdwn", "text": f"model `{prediction.model}`"},
            ],
        },
        {
            "type": "actions",
            "block_id": "correction",
            "elements": [
                {
                    "type": "button",
                    "action_id": f"{CORRECT_ACTION}_{label}",
                    "text": {"type": "plain_text", "text": title},
                    "value": value,
                }
                for label, title in CHOICES
            ],
        },
    ]


def correction_value(text: str, channel: str | None, ts: str | None) -> str:
    """A correction button's value: channel, ts and as much of ``text`` as fits in
    ``MAX_VALUE_CHARS`` once encoded (the example is recorded from it; a long
    text in a wide script keeps its first few hundred characters)."""

    def value(length: int) -> str:
        # Unescaped here: escaped once in the request rather than twice.
        data = {"t": text[:length], "c": channel, "s": ts}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def fits(length: int) -> bool:
        return len(json.dumps(value(length))) - 2 <= MAX_VALUE_CHARS

    # Every character takes at least one encoded character: no more than the limit fits.
    low, high = 0, min(len(text), MAX_VALUE_CHARS)
    while low < high:  # the longest prefix that fits
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return value(low)


def parse_correction(value: str) -> tuple[str, str | None, str | None] | None:
    """(text, channel, ts) from a correction button's value; None when it is not one."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return None
    fields = (data.get("c"), data.get("s"))
    if not all(field is None or isinstance(field, str) for field in fields):
        return None
    return data["t"], fields[0], fields[1]


def thanks_text(label: str) -> str:
    shown = "neither baseball nor hockey" if label == Label.other else label
    return f"Thanks! Recorded as *{shown}*; the next retraining will learn from it."


def model_line(info: ModelInfo | None) -> str:
    if info is None:
        return "No model yet: an admin can run `/sport retrain`."
    accuracy = f"{info.accuracy:.1%}" if info.accuracy is not None else "unknown"
    return (
        f"Active model `{info.id}` ({info.backend}), trained {_when(info.created_at)}, "
        f"accuracy {accuracy}"
    )


def run_line(run: Any | None) -> str:
    if run is None:
        return "No training run yet."
    who = f"<@{run.requested_by}>" if run.requested_by else run.trigger
    return f"Last training run #{run.id}: {run.status}, {_when(run.created_at)}, by {who}"


def status_text(info: ModelInfo | None, run: Any | None) -> str:
    return f"{model_line(info)}\n{run_line(run)}"


def retrain_result_text(info: Any) -> str:
    if info is None:
        return ":white_check_mark: Retraining finished."
    accuracy = getattr(info, "accuracy", None)
    shown = f"{accuracy:.1%}" if accuracy is not None else "unknown"
    verdict = (
        "now active"
        if getattr(info, "status", None) == ModelStatus.active
        else "kept as a candidate"
    )
    return f":white_check_mark: Model `{info.id}` trained, accuracy {shown}, {verdict}."


def accuracy_chart(runs: Sequence[Any], width: int = 20) -> str:
    """A Unicode bar per training run, oldest at the top (mrkdwn code block)."""
    rows = [run for run in reversed(runs) if run.accuracy is not None]
    if not rows:
        return "_No finished training runs yet._"
    lines = [f"#{run.id:<4} {_bar(run.accuracy, width)} {run.accuracy:.1%}" for run in rows]
    return "```" + "\n".join(lines) + "```"


def _bar(value: float, width: int) -> str:
    eighths = round(max(0.0, min(1.0, value)) * width * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest].strip()
    return ("█" * full + partial).ljust(width)


def home_view(
    *,
    info: ModelInfo | None,
    runs: Sequence[Any],
    counts: WeeklyCounts,
    is_admin: bool,
    chart_file: str | None = None,
    corrections: Sequence[Correction] = (),
) -> dict[str, Any]:
    """The App Home tab; admins also get Retrain and the recent corrections."""
    view_blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "sportbot"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": model_line(info)}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*This week*: {counts.tagged} messages tagged, "
                f"{counts.corrected} corrected, {counts.examples} examples given",
            },
        },
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Accuracy of recent runs*"}},
        chart_block(chart_file, runs),
    ]
    if is_admin:
        view_blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRAIN_ACTION,
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Retrain"},
                    }
                ],
            }
        )
        view_blocks += corrections_blocks(corrections[:HOME_CORRECTIONS])
    return {"type": "home", "blocks": view_blocks}


def chart_block(file_id: str | None, runs: Sequence[Any]) -> dict[str, Any]:
    """The uploaded accuracy chart; the text chart only when the upload failed."""
    if file_id is None:
        return {"type": "section", "text": {"type": "mrkdwn", "text": accuracy_chart(runs)}}
    latest = next((run for run in runs if run.accuracy is not None), None)
    alt = f"Accuracy of the last {len(runs)} runs" + (
        f", latest {latest.accuracy:.1%}" if latest else ""
    )
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": alt}


def corrections_blocks(corrections: Sequence[Correction]) -> list[dict[str, Any]]:
    """Recent corrections, each with Reject and Reject all of this person's."""
    result: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Recent corrections*"}},
    ]
    if not corrections:
        result.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "_None yet._"}]})
    for item in corrections:
        result += correction_blocks(item)
    return result


def correction_blocks(item: Correction) -> list[dict[str, Any]]:
    text = valid_text(item.text)
    quoted = text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"
    who = f"<@{item.user}>" if item.user and item.user.isalnum() else "someone"
    line = (
        f"*{escape_mrkdwn(item.label)}* by {who}{' (admin)' if item.is_admin else ''}, "
        f"{_when(item.created_at)}, {escape_mrkdwn(item.state)}"
    )
    section = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": line + "\n" + quote_mrkdwn(quoted)},
    }
    if item.state != "accepted" or not item.user:
        return [section]
    buttons = [
        {
            "type": "button",
            "action_id": REJECT_ACTION,
            "text": {"type": "plain_text", "text": "Reject"},
            "value": str(item.id),
        },
        {
            "type": "button",
            "action_id": REJECT_USER_ACTION,
            "style": "danger",
            "text": {"type": "plain_text", "text": "Reject all of theirs"},
            "value": item.user,
        },
    ]
    return [section, {"type": "actions", "block_id": f"review_{item.id}", "elements": buttons}]


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters escaped: no mention, link or command slips in."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote_mrkdwn(text: str) -> str:
    return "\n".join("> " + line for line in escape_mrkdwn(text).splitlines() or [""])


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "at an unknown time"
