"""What a ``/sport`` text asks for: read by the command's listener and by the middleware
that decides, before any listener runs, whether a request is fast or changes state."""

from __future__ import annotations

PUBLIC_WORDS = ("--public", "say")  # the first word asks for an answer in the channel


def parse(text: str) -> tuple[str, str]:
    """(subcommand, argument): help, status, retrain, classify or classify_public."""
    text = (text or "").strip()
    word = text.lower()
    if word in ("", "help", "--help", "-h"):
        return "help", ""
    if word in ("status", "retrain"):
        return word, ""
    words = text.split(maxsplit=1)
    if words[0].lower() in PUBLIC_WORDS:
        # The flag alone is not a text to classify: "--public" asked for usage.
        argument = words[1] if len(words) > 1 else ""
        return ("classify_public", argument) if argument else ("help", "")
    return "classify", text
