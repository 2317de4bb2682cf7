"""The emulator's store keeps a recorded collection where it lies: the byte span of each item in its file,
read back when a page is served (issue #11). What it serves must be what it served when it held every item's
text in memory: the same items, byte for byte; writes seen by later reads; a file changed on disk read again,
never served from stale offsets."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from ztconsole.demo import demo_dir
from ztconsole.emulator import Emulator, EmulatorTransport
from ztconsole.emulator.store import BLOCK, Collection, Store, StoreError, parse_file, read_file
from ztconsole.emulator.wire import utf8

TOKEN = "test-token"
GRAPH = "https://graph.microsoft.com"
USERS = "graph/v1.0/users.json"

# values that make bytes and characters differ, and JSON that json.dumps would write otherwise
ITEMS: list[dict[str, Any]] = [
    {"id": "u1", "displayName": "Zoë Ångström", "userPrincipalName": "zoe@contoso.com", "tags": ["a"]},
    {"id": "u2", "displayName": "李小龍 🐉", "userPrincipalName": "lee@contoso.com", "n": 1.50},
    {"id": "u3", "displayName": "plain", "userPrincipalName": "plain@contoso.com", "s": "a\\nb \"q\""},
    {"id": "u4", "displayName": "\u2028 and \u00a0", "userPrincipalName": "ws@contoso.com", "nested": {"x": [1, {}]}},
]


def lines_text(items: list[Any]) -> str:
    """The layout snapshot and generate write: one compact item per line."""
    return "[\n" + ",\n".join(json.dumps(i, ensure_ascii=False, separators=(",", ":")) for i in items) + "\n]\n"


def indented_text(items: list[Any]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def tenant(tmp_path: Path, text: str | bytes, rel: str = USERS) -> Path:
    root = tmp_path / "tenant"
    shutil.copytree(demo_dir(), root)
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        target.write_text(text, encoding="utf-8", newline="")
    else:
        target.write_bytes(text)
    return root


def same_as_text(coll: Collection, text: str) -> None:
    """``coll`` holds exactly what the text path cuts from ``text``: the same item texts, rows, pages."""
    mem = parse_file(text)
    assert isinstance(mem, Collection) and mem.on_disk is None
    assert len(coll) == len(mem)
    assert coll.raws == mem.raws
    assert [coll.raw(i) for i in range(len(coll))] == mem.raws
    assert coll.rows == mem.rows
    everything = range(len(coll))
    assert coll.joined(everything) == mem.joined(everything) == utf8(",".join(mem.raws))
    for positions in ([0], [1, 2], [0, 2, 3], [3], range(1, 3), [0, 1, 3]):
        assert coll.joined(positions) == mem.joined(positions)
        assert [json.loads(t) for t in coll.texts(positions)] == [json.loads(t) for t in mem.texts(positions)]


@pytest.mark.parametrize("layout", [lines_text, indented_text])
def test_items_served_from_their_file_are_byte_identical_to_the_text(tmp_path: Path, layout: Any) -> None:
    text = layout(ITEMS)
    path = tmp_path / "users.json"
    path.write_text(text, encoding="utf-8")
    coll, _ = read_file(path, "users.json")
    assert isinstance(coll, Collection)
    assert coll.on_disk is not None  # held as offsets, no text in memory
    assert coll.on_disk.lines == (layout is lines_text)
    same_as_text(coll, text)


def test_a_long_file_is_indexed_across_blocks(tmp_path: Path) -> None:
    """The index reads the file a block at a time: items that straddle blocks, a line longer than a block,
    and white space after ``]`` beyond the last block are all found."""
    filler = "é" * (BLOCK // 3)  # two bytes each: items of 2/3 block, and one longer than a block
    items = [{"id": f"i{n}", "pad": filler * (3 if n == 5 else 1)} for n in range(12)]
    text = lines_text(items) + " " * (BLOCK + 10) + "\n"
    path = tmp_path / "big.json"
    path.write_text(text, encoding="utf-8")
    coll, _ = read_file(path, "big.json")
    assert isinstance(coll, Collection) and coll.on_disk is not None
    assert [coll.field(i, "id") for i in range(len(coll))] == [f"i{n}" for n in range(12)]
    assert json.loads(b"[" + coll.joined(range(12)) + b"]") == items
    assert coll.raw(5) == json.dumps(items[5], ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("text", [
    lines_text(ITEMS).replace("\n", "\r\n"),  # text mode reads "\r\n" as "\n"
    "\ufeff" + lines_text(ITEMS),  # a byte order mark: not JSON
    lines_text(ITEMS)[:-1] + "\u00a0",  # white space to Unicode only, after "]"
    indented_text(ITEMS).replace("\n", "\r\n"),
    lines_text(ITEMS).replace("},\n{", "},\n\n{", 1),  # a blank line: not one item per line
    lines_text(ITEMS).replace("},\n{", "} ,\n{", 1),
    lines_text(ITEMS)[:-3],  # cut short
    ' [ {"id": "a", "n": [1, 2]} ,{"id":"b"}\n,  {"id": "c"} ] \n',  # hand-edited
    json.dumps({"value": ITEMS}),  # a raw page
    "[\n]\n",
])
def test_other_layouts_are_read_as_text_as_before(tmp_path: Path, text: str) -> None:
    """What the byte index does not take is read as text, exactly as the store read every file before: the
    same items, or the same error."""
    path = tmp_path / "users.json"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        expected: Any = parse_file(path.read_text(encoding="utf-8"), "users.json")
    except Exception as e:  # noqa: BLE001 - the same failure is expected of both
        with pytest.raises(type(e), match=re.escape(str(e))):
            read_file(path, "users.json")
        return
    got, _ = read_file(path, "users.json")
    assert isinstance(got, Collection) and isinstance(expected, Collection)
    assert got.on_disk is None
    assert got.raws == expected.raws and got.rows == expected.rows


@pytest.mark.parametrize("odd", [
    None,
    '{"id":"dup","id":"last","userId":"u9"}',  # a repeated key: the last one counts, as json.loads has it
    '{"id":"nan","n":NaN}',  # what json.loads takes and msgspec does not
    '{"id":"big","n":1e400}',
    '{"id":"\\ud800 lone surrogate"}',
    '[1, 2]', '"a string"', 'null',  # not an object: a row of nothing
    '{"id":"deep","x":' + "[" * 3000 + "]" * 3000 + "}",  # too deep for either: the item is named
], ids=["plain", "repeated-key", "nan", "huge-number", "lone-surrogate", "array", "string", "null", "too-deep"])
def test_rows_are_the_fields_of_each_item_decoded_whole(tmp_path: Path, odd: str | None) -> None:
    """The rows (the fields ``$filter`` and look-ups use) are decoded a thousand items at a time without the
    rest of each item; they must be what decoding each item whole gives, and an item neither can decode is
    named as before."""
    from ztconsole.emulator.store import row_of

    texts = [json.dumps(i, ensure_ascii=False, separators=(",", ":")) for i in ITEMS * 300]
    if odd is not None:
        texts.insert(1100, odd)  # in the second thousand
    path = tmp_path / "users.json"
    path.write_text("[\n" + ",\n".join(texts) + "\n]\n", encoding="utf-8")
    coll, _ = read_file(path, "users.json")
    assert isinstance(coll, Collection)
    try:
        expected = [row_of(json.loads(t)) for t in texts]
    except RecursionError:
        with pytest.raises(StoreError, match="users.json: item 1101 is not valid JSON"):
            _ = coll.rows
        return
    assert coll.rows == expected


def test_a_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    root = tenant(tmp_path, lines_text(ITEMS).encode().replace("Zo\u00eb".encode(), b"Zo\xff"))
    with pytest.raises(StoreError, match=r"graph/v1.0/users.json: cannot read: 'utf-8' codec can't decode"):
        Store(root).get(USERS)


def client(emu: Emulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=EmulatorTransport(emu), headers={"Authorization": f"Bearer {TOKEN}"})


async def pages(c: httpx.AsyncClient, url: str) -> list[bytes]:
    bodies = []
    while url:
        r = await c.get(url)
        assert r.status_code == 200, r.text
        bodies.append(r.content)
        url = r.json().get("@odata.nextLink")
    return bodies


@pytest.mark.parametrize("layout", [lines_text, indented_text])
async def test_pages_carry_the_recorded_item_texts(tmp_path: Path, layout: Any) -> None:
    root = tenant(tmp_path, layout(ITEMS))
    emu = Emulator(root, token=TOKEN, page_size=3)
    async with client(emu) as c:
        bodies = await pages(c, f"{GRAPH}/v1.0/users")
        assert len(bodies) == 2
        texts = parse_file((root / USERS).read_text(encoding="utf-8")).raws
        for body, chunk in zip(bodies, (texts[:3], texts[3:]), strict=True):
            assert utf8("[" + ",".join(chunk) + "]") in body  # each item as recorded, byte for byte
        assert [i for b in bodies for i in json.loads(b)["value"]] == ITEMS
        r = await c.get(f"{GRAPH}/v1.0/users", params={"$select": "displayName", "$filter": "id eq 'u2'"})
        assert r.json()["value"] == [{"id": "u2", "displayName": "李小龍 🐉"}]
        r = await c.get(f"{GRAPH}/v1.0/users/u4")
        assert {k: v for k, v in r.json().items() if k != "@odata.context"} == ITEMS[3]
        r = await c.get(f"{GRAPH}/v1.0/users/$count", headers={"ConsistencyLevel": "eventual"})
        assert r.text == "4"
    assert emu.store.get(USERS).on_disk is not None  # type: ignore[union-attr]


async def test_a_write_is_seen_by_later_reads_and_outlives_changes_on_disk(tmp_path: Path) -> None:
    root = tenant(tmp_path, lines_text(ITEMS))
    emu = Emulator(root, token=TOKEN, page_size=2)
    async with client(emu) as c:
        r = await c.patch(f"{GRAPH}/v1.0/users/u3", json={"displayName": "patched"})
        assert r.status_code == 204
        coll = emu.store.get(USERS)
        assert isinstance(coll, Collection) and coll.written and coll.on_disk is None  # in memory now
        want = [dict(ITEMS[0]), dict(ITEMS[1]), {**ITEMS[2], "displayName": "patched"}, dict(ITEMS[3])]
        got = [i for b in await pages(c, f"{GRAPH}/v1.0/users") for i in json.loads(b)["value"]]
        assert got == want
        # the file changing on disk does not undo a write: the collection in memory is what is served
        (root / USERS).write_text(lines_text(ITEMS[:1]), encoding="utf-8")
        got = [i for b in await pages(c, f"{GRAPH}/v1.0/users") for i in json.loads(b)["value"]]
        assert got == want
        r = await c.get(f"{GRAPH}/v1.0/users/u3")
        assert r.json()["displayName"] == "patched"


@pytest.mark.parametrize("how", ["in place", "replaced"])
async def test_a_file_changed_on_disk_is_read_again(tmp_path: Path, how: str) -> None:
    root = tenant(tmp_path, lines_text(ITEMS))
    emu = Emulator(root, token=TOKEN, page_size=10)
    changed = [{**ITEMS[0], "displayName": "changed"}, ITEMS[2]]
    async with client(emu) as c:
        (first,) = await pages(c, f"{GRAPH}/v1.0/users")
        assert json.loads(first)["value"] == ITEMS
        path = root / USERS
        if how == "in place":
            with open(path, "r+", encoding="utf-8") as f:
                f.truncate(0)
                f.write(lines_text(changed))
        else:
            spare = path.with_name("users.json.new")
            spare.write_text(lines_text(changed), encoding="utf-8")
            os.replace(spare, path)
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a coarse clock still sees a change
        (again,) = await pages(c, f"{GRAPH}/v1.0/users")
        assert json.loads(again)["value"] == changed
        r = await c.get(f"{GRAPH}/v1.0/users/u3")
        assert r.json()["id"] == "u3"
        r = await c.get(f"{GRAPH}/v1.0/users/u2")
        assert r.status_code == 404


def test_a_file_that_changes_while_it_is_served_is_an_error_naming_it(tmp_path: Path) -> None:
    """Offsets into a file that changed under them would cut the wrong bytes: the read refuses, naming the
    file; the next look-up reads it again."""
    root = tenant(tmp_path, lines_text(ITEMS))
    store = Store(root)
    coll = store.get(USERS)
    assert isinstance(coll, Collection) and coll.on_disk is not None
    (root / USERS).write_text(lines_text(ITEMS[1:]), encoding="utf-8")
    with pytest.raises(StoreError, match=r"graph/v1.0/users.json: changed on disk while it was being served"):
        coll.joined(range(2))
    again = store.get(USERS)
    assert again is not coll and isinstance(again, Collection) and len(again) == 3
    (root / USERS).unlink()
    with pytest.raises(StoreError, match=r"graph/v1.0/users.json: changed on disk"):
        again.raw(0)
    with pytest.raises(StoreError, match=r"graph/v1.0/users.json: cannot read"):
        store.get(USERS)


async def test_a_file_changed_under_a_request_is_a_500_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    root = tenant(tmp_path, lines_text(ITEMS))
    emu = Emulator(root, token=TOKEN)
    coll = emu.store.get(USERS)
    assert isinstance(coll, Collection)
    monkeypatch.setattr(emu.store, "get", lambda rel: coll if rel == USERS else Store.get(emu.store, rel))
    (root / USERS).write_text(lines_text(ITEMS[1:]), encoding="utf-8")
    async with client(emu) as c:
        r = await c.get(f"{GRAPH}/v1.0/users")
    assert r.status_code == 500
    assert "graph/v1.0/users.json: changed on disk" in r.json()["error"]["message"]


def test_a_rewrite_the_clock_cannot_tell_apart_is_still_refused(tmp_path: Path) -> None:
    """A file rewritten in place with as many bytes, in the same tick of a coarse clock, keeps its signature;
    offsets that no longer fall on an item's braces are refused all the same."""
    root = tenant(tmp_path, lines_text(ITEMS))
    store = Store(root)
    coll = store.get(USERS)
    assert isinstance(coll, Collection)
    path = root / USERS
    st = path.stat()
    data = path.read_bytes()
    path.write_bytes(b" " + data[:-1])  # as long, every item one byte further on
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(StoreError, match=r"graph/v1.0/users.json: changed on disk"):
        coll.joined([1])
