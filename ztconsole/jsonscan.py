"""Decoding large JSON arrays one element at a time (tenant directories, the emulator's store).

A 100,000-item sign-in log never exists as one tree of dicts: each element is decoded by the C scanner
on its own, and its span in the text is kept where a caller serves the raw item again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

__all__ = ["JsonArrayError", "crash_reason", "iter_json_array", "iter_json_array_spans", "skip_ws"]

#: ``skip_ws(text, pos).end()``: the first position at or after ``pos`` that is not JSON white space
#: (the pattern matches the empty string, so there is always a match: never None)
skip_ws = cast(Callable[[str, int], re.Match[str]], re.compile(r"[ \t\n\r]*").match)


def crash_reason(exc: BaseException) -> str:
    """What went wrong, in words, for a read that raised (a data set's ``failed`` message)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply (deeper than the reader's recursion limit)"
    return f"{type(exc).__name__}: {exc}"


class JsonArrayError(ValueError):
    """Text that is not the JSON array it should be; ``str()`` gives the line and column."""

    def __init__(self, message: str, pos: int, text: str):
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        super().__init__(f"line {line} column {col}: {message}")


def iter_json_array(text: str) -> Iterator[Any]:
    """Decode a JSON array element by element (C scanner per element; the array is never whole)."""
    return (obj for obj, _, _ in iter_json_array_spans(text))


def iter_json_array_spans(text: str, start: int = 0) -> Iterator[tuple[Any, int, int]]:
    """Each element of the JSON array opening at or after ``text[start]`` as ``(value, begin, end)``, where
    ``text[begin:end]`` is the element's own text; the array must close the text (JsonArrayError)."""
    scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set by __init__, not in typeshed
    ws = skip_ws
    idx = ws(text, start).end()
    if idx >= len(text) or text[idx] != "[":
        raise JsonArrayError("expected a JSON array", idx, text)
    idx = ws(text, idx + 1).end()
    if idx < len(text) and text[idx] == "]":
        end = ws(text, idx + 1).end()
        if end != len(text):
            raise JsonArrayError("extra data after the array", end, text)
        return
    while True:
        if idx >= len(text):
            raise JsonArrayError("the file ends before the array is closed (truncated?)", idx, text)
        try:
            obj, end = scan(text, idx)
        except StopIteration as e:
            raise JsonArrayError("expected a value", e.value, text) from None
        except json.JSONDecodeError as e:
            raise JsonArrayError(e.msg, e.pos, text) from None
        yield obj, idx, end
        idx = ws(text, end).end()
        if idx >= len(text):
            raise JsonArrayError("the file ends before the array is closed (truncated?)", idx, text)
        c = text[idx]
        if c == ",":
            idx = ws(text, idx + 1).end()
            continue
        if c == "]":
            end = ws(text, idx + 1).end()
            if end != len(text):
                raise JsonArrayError("extra data after the array", end, text)
            return
        raise JsonArrayError("expected ',' or ']'", idx, text)
