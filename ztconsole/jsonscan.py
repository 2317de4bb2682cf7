"""Decoding large JSON arrays one element at a time (tenant directories, the emulator's store).

A 100,000-item sign-in log never exists as one tree of dicts: each element is decoded on its own, and
its span in the text is kept where a caller serves the raw item again (:func:`iter_json_array_spans`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import msgspec

__all__ = ["JsonArrayError", "as_text", "crash_reason", "iter_json_array", "iter_json_array_spans", "skip_ws"]

#: ``skip_ws(text, pos).end()``: the first position at or after ``pos`` that is not JSON white space
#: (the pattern matches the empty string, so there is always a match: never None)
skip_ws = cast(Callable[[str, int], re.Match[str]], re.compile(r"[ \t\n\r]*").match)


def as_text(data: str | bytes) -> str:
    """A file's bytes as text, exactly as reading the file as text gives it (UTF-8, universal newlines:
    ``\\r\\n`` and ``\\r`` become ``\\n``, so line numbers in errors are the same); text as it is."""
    if isinstance(data, str):
        return data
    text = data.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


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


#: msgspec cuts a JSON array into its elements' raw text in one C pass (validating the syntax on the way)
#: and decodes one element's text; both are several times faster than the standard library's scanner
_split_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
_decode = msgspec.json.Decoder().decode
#: a small array (most files of a tenant directory) is decoded whole, in one pass instead of two
_decode_array = msgspec.json.Decoder(list).decode
_WHOLE = 2 << 20  # bytes (or characters): a tree of some 10 MB at most, freed when its file is read
_MSGSPEC_ERRORS = (msgspec.DecodeError, RecursionError)


def iter_json_array(data: str | bytes) -> Iterator[Any]:
    """Decode a JSON array element by element; a large array is never whole as one tree of values.

    ``data`` is the text, or a file's UTF-8 bytes (read as :func:`as_text` reads them). msgspec cuts
    the array into its elements' raw text in one pass and decodes each element on its own (the list of
    raw spans is small: a reference into ``data`` per element); an array of up to two megabytes is decoded
    whole (one pass; on any error it is read as a large one is). msgspec is stricter than the standard
    library (it refuses ``NaN`` and ``Infinity``, lone surrogate escapes, numbers beyond a float's range
    or with more than 4,300 digits) and names its errors by byte offset; so on any error the array is
    read by the standard library's scanner (:func:`iter_json_array_spans`) instead, the elements already
    given skipped: the values, the errors (:class:`JsonArrayError`, with line and column) and the
    elements kept before a damage are the standard library's. Where both accept a text they decode it to
    equal values of the same types (tests/test_jsonscan.py holds this). One difference is left: at the
    nesting limit (the interpreter's recursion limit, about 990 levels) msgspec goes a level or two
    deeper, so an element nested exactly that deep is read where the standard library refuses it.
    """
    if len(data) <= _WHOLE:
        try:
            values: list[Any] = _decode_array(data)
        except _MSGSPEC_ERRORS:
            pass  # read as a large one is: the elements before the error, then the standard library
        else:
            yield from values
            return
    try:
        raws: list[msgspec.Raw] | None = _split_array(data)
    except _MSGSPEC_ERRORS:
        raws = None
    given = 0
    if raws is not None:
        for raw in raws:
            try:
                obj = _decode(raw)
            except _MSGSPEC_ERRORS:
                break
            yield obj
            given += 1
        else:
            return
        raws = None
    for i, (obj, _, _) in enumerate(iter_json_array_spans(as_text(data))):
        if i >= given:
            yield obj


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
