"""The array decoder of tenant directories (ztconsole/jsonscan.py, issue #11): msgspec cuts and decodes,
the standard library's scanner takes over on anything msgspec refuses, so the values, the errors (with
line and column) and the items kept before a damage are the standard library's."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ztconsole import jsonscan
from ztconsole.jsonscan import JsonArrayError, as_text, iter_json_array, iter_json_array_spans


@pytest.fixture(autouse=True, scope="module", params=["whole", "cut"])
def array_size(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test twice: as a small array is read (decoded whole first) and as a large one is (cut into
    its elements first)."""
    was = jsonscan._WHOLE
    jsonscan._WHOLE = was if request.param == "whole" else -1
    try:
        yield request.param
    finally:
        jsonscan._WHOLE = was


def stdlib(text: str) -> list[Any]:
    """What the standard library's scanner gives, element by element."""
    return [obj for obj, _, _ in iter_json_array_spans(text)]


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1 and 1.0 and True differ; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def both(text: str) -> None:
    """The text and its UTF-8 bytes decode to the standard library's values."""
    want = stdlib(text)
    assert same(list(iter_json_array(text)), want)
    assert same(list(iter_json_array(text.encode("utf-8"))), want)


@pytest.mark.parametrize("text", [
    "[]", " [ ] \n", "[1, -0, -0.0, 0.1, 1e5, 1E+5, 1e-5, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308]",
    "[1e-400, 123456789012345678901234567890, -123456789012345678901234567890, 18446744073709551616]",
    "[0.1000000000000000055511151231257827021181583404541015625, 9007199254740993.0]",
    '[true, false, null, "", "a\\"b\\\\c\\/d\\b\\f\\n\\r\\t", "\\u0000", "\\u00e9\\u6771", "\\ud83d\\ude00"]',
    '["café 東京 😀", "a\x7fb", "a\u2028b"]',
    '[{"a": 1, "a": 2}, {"": [], "\\u0061": {}}, [[[]]], {"k": [1, {"x": null}]}]',
])
def test_values_and_types_are_the_standard_librarys(text: str) -> None:
    both(text)


@pytest.mark.parametrize("text", [
    "[NaN, Infinity, -Infinity]",  # msgspec refuses these: the standard library reads them
    '["\\ud800", "x"]',  # a lone surrogate escape
    "[1, 2, 1e400, 3]",  # out of a float's range: msgspec fails on the third element, after two were given
    "[1, " + "9" * 5000 + "]",  # beyond the interpreter's integer digits: the standard library's ValueError
])
def test_what_msgspec_refuses_the_standard_library_decides(text: str) -> None:
    try:
        stdlib(text)
    except ValueError as e:
        with pytest.raises(type(e)):
            list(iter_json_array(text))
        return
    both(text)


@pytest.mark.parametrize("text", [
    '[{"id": 1},\n {"id": 2},\n {"id": ',  # truncated
    '[1,\n  x]',
    '[1 2]',
    '[1,]',
    '[{"a": 1,}]',
    '["\\x"]',
    '["\\u12G4"]',
    '["a\tb"]',  # a raw control character inside a string
    '[01]',
    '[1] x',
    '{"value": []}',
    '\ufeff[1]',  # a byte order mark
    '[1, 2, 1e400, x]',  # msgspec stops on the third element; the damage is on the fourth
    '[\r\n1,\r\n\r\n  x]',  # Windows line ends
    '[\r1,\r\r  x]',  # old Mac line ends: lines as reading the file as text counts them
    "",
])
def test_malformed_json_errors_and_the_items_before_them_are_the_standard_librarys(text: str) -> None:
    expected = as_text(text.encode("utf-8"))

    def run(it: Any) -> tuple[list[Any], str]:
        got: list[Any] = []
        with pytest.raises(JsonArrayError) as e:
            for obj in it:
                got.append(obj)
        return got, str(e.value)

    want = run(obj for obj, _, _ in iter_json_array_spans(expected))
    assert "line " in want[1] and " column " in want[1]
    assert run(iter_json_array(text.encode("utf-8"))) == want
    assert run(iter_json_array(expected)) == want


def test_line_and_column_of_a_damage_deep_in_a_large_array() -> None:
    lines = [json.dumps({"id": i, "name": f"user {i}"}) for i in range(5000)]
    lines[4321] = '{"id": 4321, "name": "user 4321" "x": 1}'
    text = "[\n" + ",\n".join(lines) + "\n]\n"
    got = []
    with pytest.raises(JsonArrayError, match=r"^line 4323 column 34: Expecting ',' delimiter$"):
        for obj in iter_json_array(text.encode()):
            got.append(obj)
    assert len(got) == 4321 and got[-1] == {"id": 4320, "name": "user 4320"}


def test_nested_too_deeply_is_a_recursion_error_as_before() -> None:
    with pytest.raises(RecursionError):
        list(iter_json_array(b"[" + b"[" * 100_000))
    text = "[" + json.dumps({"id": "a"}) + "," + "[" * 100_000
    got = []
    with pytest.raises(RecursionError):
        for obj in iter_json_array(text):
            got.append(obj)
    assert got == [{"id": "a"}]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, max_size=6), st.sampled_from([None, 0, 2]), st.booleans())
def test_random_arrays_decode_to_the_standard_librarys_values(items: list[Any], indent: int | None,
                                                              ascii_only: bool) -> None:
    both(json.dumps(items, indent=indent, ensure_ascii=ascii_only))
