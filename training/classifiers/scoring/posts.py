"""News posts' headers and threads, and which texts score as chat.

Newsgroup headers (From:, Organization:, Lines:) say who wrote a post, not what
it is about, so they are dropped before scoring (keeping the Subject's words);
the Subject names the post's thread. Imports only the standard library.
"""

from __future__ import annotations

import re

# A text shorter than this with no news headers is chat, which stage A scores
# with its own model and offset.
SHORT_CHARS = 300


# News headers that say who wrote a post, not what it is about.
_HEADER = re.compile(
    r"^(from|subject|organization|organisation|lines|nntp-posting-host|reply-to|"
    r"distribution|keywords|summary|article-i\.d\.|expires|sender|message-id|date|"
    r"newsgroups|path|followup-to|references|x-[\w-]+|in-reply-to|originator|"
    r"nf-id|nf-from|supersedes|approved|disclaimer|news-software|version):",
    re.IGNORECASE,
)
_REPLY = re.compile(r"^\s*(re|fwd?)\s*:\s*", re.IGNORECASE)
_REPLIES = re.compile(r"^\s*((re|fwd?)\s*:\s*)+", re.IGNORECASE)


def strip_headers(text: str) -> str:
    """The text without a leading block of news headers, keeping the Subject's words.

    Only a block of two or more known header lines counts, so a chat message
    that starts "From: the kitchen" keeps its first line.
    """
    lines, count = _header_block(text)
    if count < 2:
        return text
    return "\n".join([*_subjects(lines[:count]), *lines[count:]])


def thread_of(text: str) -> str | None:
    """A news post's thread: its Subject without "Re:", lowercased, spaces folded.
    None for anything without a block of news headers (chat messages)."""
    lines, count = _header_block(text)
    if count < 2:
        return None
    subjects = _subjects(lines[:count])
    thread = " ".join(_REPLIES.sub("", subjects[0]).lower().split()) if subjects else ""
    return thread or None


def split(text: str, max_chars: int) -> tuple[str, bool]:
    """The text to score (headers stripped, cut to ``max_chars``), and whether it is
    chat-like (short, no news headers): a post with a two-line body scores as a post."""
    body = strip_headers(text)
    return body[:max_chars], body is text and len(body) < SHORT_CHARS


def _header_block(text: str) -> tuple[list[str], int]:
    """The text's first lines, and how many of them are known news headers in a row."""
    lines = text.split("\n", 40)
    count = 0
    while count < len(lines) - 1 and _HEADER.match(lines[count]):
        count += 1
    return lines, count


def _subjects(headers: list[str]) -> list[str]:
    return [
        _REPLY.sub("", line.split(":", 1)[1].strip())
        for line in headers
        if line[:8].lower() == "subject:"
    ]
