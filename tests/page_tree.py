"""Read the component trees that callbacks return over HTTP, as a user reads the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def nodes(tree: Any) -> Iterator[dict]:
    """Every component of a serialised tree (``{"type", "namespace", "props"}``), depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(reversed(node))
        elif isinstance(node, dict) and "props" in node:
            yield node
            stack.append(node["props"].get("children"))


def find(tree: Any, component_id: str) -> dict:
    """The component with ``component_id``; AssertionError naming it when absent."""
    for node in nodes(tree):
        if node["props"].get("id") == component_id:
            return node
    raise AssertionError(f"no component {component_id!r} in the response")


def visible_text(tree: Any) -> str:
    """The visible text of a tree: its strings and numbers joined, as the browser shows them."""
    if tree is None or isinstance(tree, bool):
        return ""
    if isinstance(tree, str | int | float):
        return str(tree)
    if isinstance(tree, list | tuple):
        return "".join(visible_text(child) for child in tree)
    if isinstance(tree, dict) and "props" in tree:
        return visible_text(tree["props"].get("children"))
    return ""


def text_of(tree: Any, component_id: str) -> str:
    return visible_text(find(tree, component_id))
