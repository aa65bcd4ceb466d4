"""Block Kit's rules, as Slack applies them to what an app sends.

Each block is parsed with ``slack_sdk.models.blocks`` and serialised again
(``to_dict()`` runs ``validate_json()`` on the block and every element and
text object in it), so the limits slack_sdk knows are checked where slack_sdk
keeps them. A block that does not come back the same had a field slack_sdk
does not know, or one it dropped (an empty list, a string where an object
belongs): Slack refuses those too. On top come the rules those classes do not
check: blocks per message and per view, unique ``block_id`` s, and a button
``value``'s length measured as Slack receives it, JSON-encoded with every
non-ASCII character escaped (``\\uXXXX``, two of them for an emoji).

No pytest here: benchmarks use the Slack stand-in too.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, ButtonElement

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # App Home and modals
VIEW_TYPES = {"home", "modal"}


def blocks_errors(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """What Slack would refuse in ``blocks`` (a list, or the JSON string a form post
    carries); an empty list when it would accept them."""
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return ["blocks is not JSON"]
    if not isinstance(blocks, list):
        return [f"blocks must be an array, not {type(blocks).__name__}"]
    errors = []
    if len(blocks) > max_blocks:
        errors.append(f"{len(blocks)} blocks: at most {max_blocks}")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"{where}: not a block object")
            continue
        errors.extend(f"{where}: {error}" for error in _block_errors(block))
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_ids:
                errors.append(f"{where}: duplicate block_id {block_id!r}")
            seen_ids.add(block_id)
    return errors


def view_errors(view: Any) -> list[str]:
    """What Slack would refuse in a ``views.publish``/``views.open`` view."""
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return ["view is not JSON"]
    if not isinstance(view, dict):
        return ["view must be an object"]
    errors = []
    if view.get("type") not in VIEW_TYPES:
        errors.append(f"view type {view.get('type')!r} is not one of {sorted(VIEW_TYPES)}")
    return errors + blocks_errors(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS)


def encoded_length(value: str) -> int:
    """``value``'s length as Slack receives it: JSON-encoded, ASCII only, without quotes."""
    return len(json.dumps(value)) - 2


def _block_errors(block: dict[str, Any]) -> list[str]:
    try:
        parsed = Block.parse(copy.deepcopy(block))
        if parsed is None:
            return [f"unknown block type {block['type']!r}"]
        serialised = parsed.to_dict()
    except SlackObjectFormationError as error:
        return [str(error)]
    except (TypeError, AttributeError, KeyError, ValueError) as error:
        return [f"malformed {block['type']} block: {error}"]
    errors = []
    if serialised != block:
        errors.append(f"fields slack_sdk would drop or change: {_difference(block, serialised)}")
    errors.extend(_button_value_errors(block))
    return errors


def _button_value_errors(node: Any) -> list[str]:
    errors = []
    if isinstance(node, dict):
        if node.get("type") == "button" and isinstance(node.get("value"), str):
            length = encoded_length(node["value"])
            if length > ButtonElement.value_max_length:
                errors.append(
                    f"button {node.get('action_id')!r}: value is {length} characters encoded, "
                    f"at most {ButtonElement.value_max_length}"
                )
        for child in node.values():
            errors.extend(_button_value_errors(child))
    elif isinstance(node, list):
        for child in node:
            errors.extend(_button_value_errors(child))
    return errors


def _difference(sent: Any, kept: Any) -> str:
    if isinstance(sent, dict) and isinstance(kept, dict):
        for key in sent:
            if key not in kept:
                return f"{key!r} dropped"
            if sent[key] != kept[key]:
                return f"{key!r}: " + _difference(sent[key], kept[key])
        return "fields added: " + ", ".join(sorted(set(kept) - set(sent)))
    if isinstance(sent, list) and isinstance(kept, list) and len(sent) == len(kept):
        for index, (one, other) in enumerate(zip(sent, kept, strict=True)):
            if one != other:
                return f"[{index}] " + _difference(one, other)
    return f"{sent!r:.80} became {kept!r:.80}"
