"""The emulator against flooding and hostile input: bodies read only after authentication and never past
the cap, no nested ``$batch``, malformed batch items answered 400 (never 500), a last-resort 500 without a
traceback, and tenant text cleaned before it reaches the terminal or a log."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import stop
from ztconsole.demo import demo_dir
from ztconsole.emulator import Emulator, EmulatorTransport
from ztconsole.emulator.app import MAX_BODY
from ztconsole.emulator.server import _banner

TOKEN = "test-token"
GRAPH = "https://graph.microsoft.com"
SUB = "1b4e2c8a-7d3f-4a6b-9c5e-2f8d1a7b3e90"
FIREWALLS = f"/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls"
DEMO = demo_dir()
HUGE = 200 * 1024 * 1024
AUTH = ("Authorization", f"Bearer {TOKEN}")
# what must never reach a terminal: C0 controls but the newline, DEL, C1 controls, bidi controls
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def emu() -> Emulator:
    return Emulator(DEMO, token=TOKEN, page_size=5)


# --- the ASGI app, called directly ----------------------------------------------------------------------
@dataclass
class Upload:
    """An ASGI ``receive()`` that would stream ``total`` bytes, ``chunk`` at a time, counting what the app
    pulls; past ``stop`` bytes it fails the test rather than fill the machine's memory."""

    total: int
    chunk: int = 64 * 1024
    stop: int = 2 * MAX_BODY
    calls: int = 0
    pulled: int = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.pulled >= self.stop:
            raise AssertionError(f"the app pulled {self.pulled:,} bytes of the body and asked for more")
        n = min(self.chunk, self.total - self.pulled)
        self.pulled += n
        return {"type": "http.request", "body": b" " * n, "more_body": self.pulled < self.total}


def body_of(data: bytes) -> Any:
    """A receive() that hands over ``data`` in one message."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": data, "more_body": False}

    return receive


async def call(emu: Emulator, method: str, path: str, receive: Any, headers: Iterable[tuple[str, str]] = (),
               query: str = "") -> tuple[int, dict[str, str], bytes]:
    """One request through ``emu.app``: status, headers (lower-cased names) and body."""
    scope = {"type": "http", "http_version": "1.1", "method": method, "scheme": "https", "path": path,
             "query_string": query.encode(), "server": ("graph.microsoft.com", 443),
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await emu.app(scope, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    out = {k.decode("latin-1"): v.decode("latin-1") for k, v in sent[0]["headers"]}
    return sent[0]["status"], out, sent[1]["body"]


def graph_error_of(body: bytes, code: str) -> dict[str, Any]:
    error = json.loads(body)["error"]
    assert error["code"] == code, error
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    return error


# --- 1. authentication before the body, and a cap on the body --------------------------------------------
@pytest.mark.parametrize("path,query", [("/v1.0/$batch", ""), (FIREWALLS, "api-version=2024-05-01")])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic dXNlcg=="])
async def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(
        emu: Emulator, path: str, query: str, authorization: str | None) -> None:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(HUGE))]
    if authorization:
        headers.append(("Authorization", authorization))
    upload = Upload(HUGE)
    status, out, body = await call(emu, "POST", path, upload, headers, query)
    assert status == 401
    assert upload.calls == 0 and upload.pulled == 0  # not one byte of the upload was asked for
    assert out["connection"] == "close"  # and the server is told not to drain the rest either
    if path.startswith("/v1.0/"):
        graph_error_of(body, "InvalidAuthenticationToken")
        assert out["www-authenticate"].startswith("Bearer ")
    else:
        assert json.loads(body)["error"]["code"] in ("AuthenticationFailed", "InvalidAuthenticationToken")
        assert 'error="invalid_token"' in out["www-authenticate"]
    assert [r.status for r in emu.requests] == [401]


async def test_an_oversize_body_is_refused_413_without_reading_past_the_cap(emu: Emulator) -> None:
    # declared too large: refused before a byte is read
    upload = Upload(HUGE)
    status, out, body = await call(emu, "POST", "/v1.0/$batch", upload,
                                   [AUTH, ("Content-Type", "application/json"), ("Content-Length", str(HUGE))])
    assert status == 413 and upload.calls == 0 and out["connection"] == "close"
    assert "4 MB" in graph_error_of(body, "RequestEntityTooLarge")["message"]
    assert out["request-id"]

    # streamed without a length: counted, and refused as soon as it passes the cap
    upload = Upload(HUGE)
    status, out, body = await call(emu, "POST", "/v1.0/identity/conditionalAccess/policies", upload,
                                   [AUTH, ("Transfer-Encoding", "chunked")])
    assert status == 413 and out["connection"] == "close"
    assert MAX_BODY < upload.pulled <= MAX_BODY + upload.chunk
    graph_error_of(body, "RequestEntityTooLarge")

    # ARM answers in its own shape
    upload = Upload(HUGE)
    status, out, body = await call(emu, "PUT", f"{FIREWALLS}/x", upload, [AUTH, ("Transfer-Encoding", "chunked")],
                                   "api-version=2024-05-01")
    assert status == 413 and upload.pulled <= MAX_BODY + upload.chunk
    assert json.loads(body) == {"error": {"code": "RequestContentTooLarge", "message": "The request content size "
                                          "exceeds the maximum size of 4 MB."}}
    assert out["x-ms-request-id"]
    assert [r.status for r in emu.requests] == [413, 413, 413]
    assert MAX_BODY <= 4 * 1024 * 1024  # Graph's and ARM's limit


async def test_a_body_at_the_cap_is_read_and_served(emu: Emulator) -> None:
    payload = json.dumps({"requests": [{"id": "1", "method": "GET", "url": "/organization"}]}).encode()
    padded = payload + b" " * (MAX_BODY - len(payload))
    status, out, body = await call(emu, "POST", "/v1.0/$batch", body_of(padded),
                                   [AUTH, ("Content-Length", str(len(padded)))])
    assert status == 200 and json.loads(body)["responses"][0]["status"] == 200
    assert "connection" not in out  # the body was read to its end: the connection may be kept
    status, _, _ = await call(emu, "POST", "/v1.0/$batch", body_of(padded + b" "), [AUTH])
    assert status == 413


def _start_serve(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    script = "import sys\nfrom ztconsole.emulator import serve\nserve(sys.argv[1], port=0)\n"
    proc = subprocess.Popen([sys.executable, "-c", script, str(DEMO)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True).start()
    seen: list[str] = []
    while not any("Ctrl-C" in line for line in seen):
        try:
            seen.append(lines.get(timeout=30))
        except queue.Empty:
            proc.kill()
            raise AssertionError("the emulator did not start:\n" + "".join(seen)) from None
    match = re.search(r"Graph\s+(http://127\.0\.0\.1:(\d+))/v1\.0/", "".join(seen))
    assert match, seen
    return proc, match.group(1)


def _raw_exchange(port: int, head: str) -> tuple[int, dict[str, str], bytes]:
    """Send only a request's head (no body byte) and read the reply to the end of the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            raise AssertionError(f"no complete reply within 10 s (the server waits for the body?): {data!r}") \
                from None
    header, _, body = data.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in fields.items()}, body


def test_on_loopback_a_200_mb_upload_is_answered_before_its_body_is_sent(tmp_path: Path) -> None:
    env = {**os.environ, "ZTCONSOLE_TOKEN": "loop-token"}
    proc, base = _start_serve(env, tmp_path)
    port = int(base.rsplit(":", 1)[1])
    try:
        head = (f"POST /v1.0/$batch HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {HUGE}\r\n")
        status, out, body = _raw_exchange(port, head + "\r\n")
        assert status == 401 and out["connection"] == "close"
        assert json.loads(body)["error"]["code"] == "InvalidAuthenticationToken"
        status, out, body = _raw_exchange(port, head + "Authorization: Bearer loop-token\r\n\r\n")
        assert status == 413 and out["connection"] == "close"
        assert json.loads(body)["error"]["code"] == "RequestEntityTooLarge"
        with httpx.Client(base_url=base, headers={"Authorization": "Bearer loop-token"}, timeout=10) as c:
            assert c.get("/v1.0/organization").status_code == 200  # and it lives on
            r = c.post("/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/organization"}]})
            assert r.status_code == 200 and r.json()["responses"][0]["status"] == 200
    finally:
        stop(proc)


# --- 2. no $batch inside a $batch -----------------------------------------------------------------------
def _batch(*items: dict[str, Any]) -> dict[str, Any]:
    return {"requests": list(items)}


async def test_a_nested_batch_is_refused_per_item_and_never_run(emu: Emulator) -> None:
    inner = _batch({"id": "a", "method": "GET", "url": "/users"})
    json_headers = {"Content-Type": "application/json"}
    outer = _batch(
        {"id": "1", "method": "POST", "url": "/$batch", "body": inner, "headers": json_headers},
        {"id": "2", "method": "POST", "url": f"{GRAPH}/v1.0/$batch", "body": inner, "headers": json_headers},
        {"id": "3", "method": "post", "url": "%24batch", "body": json.dumps(inner), "headers": json_headers},
        {"id": "4", "method": "GET", "url": "/$BATCH?x=1"},
        {"id": "5", "method": "POST", "url": "/beta/$batch", "body": inner, "headers": json_headers},
        {"id": "6", "method": "GET", "url": "/organization"},
    )
    async with httpx.AsyncClient(transport=EmulatorTransport(emu), headers=dict([AUTH])) as c:
        r = await c.post(f"{GRAPH}/v1.0/$batch", json=outer)
    assert r.status_code == 200
    out = {item["id"]: item for item in r.json()["responses"]}
    for rid in "12345":
        assert out[rid]["status"] == 400, out[rid]
        assert out[rid]["body"]["error"]["code"] == "BadRequest"
    assert all("nested" in out[rid]["body"]["error"]["message"] for rid in "1234")
    assert out["6"]["status"] == 200
    assert not any(rec.path.endswith("/users") for rec in emu.requests)  # the inner batch's GET never ran
    assert len(emu.requests) == 1 + 6


def _flood(*fan_out: int) -> dict[str, Any]:
    """Batches nested ``len(fan_out)`` deep: the innermost holds ``fan_out[0]`` GETs, each level around it
    the next count of copies of the level inside."""
    level = _batch(*({"id": str(i), "method": "GET", "url": "/organization"} for i in range(fan_out[0])))
    for n in fan_out[1:]:
        level = _batch(*({"id": str(i), "method": "POST", "url": "/$batch", "body": level,
                          "headers": {"Content-Type": "application/json"}} for i in range(n)))
    return level


async def test_a_four_level_batch_flood_runs_one_level_only(emu: Emulator) -> None:
    async with httpx.AsyncClient(transport=EmulatorTransport(emu), headers=dict([AUTH])) as c:
        r = await c.post(f"{GRAPH}/v1.0/$batch", json=_flood(20, 20, 10, 10))  # 40,000 GETs, if it were run
        assert r.status_code == 200
        assert [item["status"] for item in r.json()["responses"]] == [400] * 10
        assert len(emu.requests) == 1 + 10
        r = await c.post(f"{GRAPH}/v1.0/$batch", json=_flood(20, 20, 20, 20))  # the tester's 160,000: over 4 MB
        assert r.status_code == 413
    assert len(emu.requests) == 1 + 10 + 1


# --- 3. malformed batch items: 400, never 500 -----------------------------------------------------------
GOOD = {"id": "1", "method": "GET", "url": "/organization"}


@pytest.mark.parametrize("change", [
    {"headers": "x"}, {"headers": ["ConsistencyLevel", "eventual"]}, {"headers": {"ConsistencyLevel": 1}},
    {"headers": {"a": None}}, {"headers": {"a": {"b": "c"}}},
    {"body": 5}, {"body": [1, 2]}, {"body": True},
    {"dependsOn": "2"}, {"dependsOn": {"2": 1}}, {"dependsOn": [2]}, {"dependsOn": [{"id": "2"}]}, {"dependsOn": ""},
    {"dependsOn": [None]},
    {"method": "FETCH"}, {"method": ""}, {"method": 5}, {"method": None}, {"method": ["GET"]},
    {"url": 5}, {"url": ""}, {"url": "  "}, {"url": None}, {"url": {"path": "/users"}}, {"url": "http://["},
    {"id": 5}, {"id": ""}, {"id": None}, {"id": ["1"]},
])
async def test_a_malformed_batch_item_is_a_400_and_nothing_runs(emu: Emulator, change: dict[str, Any]) -> None:
    item = {**GOOD, "id": "2", **change}
    payload = json.dumps(_batch(GOOD, item)).encode()
    status, out, body = await call(emu, "POST", "/v1.0/$batch", body_of(payload), [AUTH])
    assert status == 400, body
    graph_error_of(body, "BadRequest")
    assert out["request-id"]
    assert [(r.status, r.batch) for r in emu.requests] == [(400, False)]  # not even the good item ran


@pytest.mark.parametrize("payload", [b"", b"nul", b"[]", b'{"requests": {}}', b'{"requests": [1]}',
                                     b'{"requests": [[]]}', b"[" * 100_000, b'{"requests": ' + b"[" * 50_000])
async def test_a_malformed_batch_envelope_is_a_400(emu: Emulator, payload: bytes) -> None:
    status, _, body = await call(emu, "POST", "/v1.0/$batch", body_of(payload), [AUTH])
    assert status == 400
    graph_error_of(body, "BadRequest")


async def test_hostile_text_in_a_batch_item_is_answered_not_crashed_on(emu: Emulator) -> None:
    """Lone surrogates (``\\ud800`` escapes) in the url, a header and a write's body: encoded back as escapes."""
    payload = (b'{"requests": [{"id": "1", "method": "GET", "url": "/users/\\ud800\\u202e"},'
               b' {"id": "2", "method": "GET", "url": "/organization", "headers": {"client-request-id": "\\udc00"}},'
               b' {"id": "3", "method": "POST", "url": "/identity/conditionalAccess/policies",'
               b'  "headers": {"Content-Type": "application/json"},'
               b'  "body": {"displayName": "x\\ud800", "state": "disabled"}}]}')
    status, _, body = await call(emu, "POST", "/v1.0/$batch", body_of(payload), [AUTH])
    assert status == 200
    out = {item["id"]: item for item in json.loads(body)["responses"]}
    assert out["1"]["status"] == 404 and "\ud800" in out["1"]["body"]["error"]["message"]
    assert out["2"]["status"] == 200
    assert out["3"]["status"] == 201 and out["3"]["body"]["displayName"] == "x\ud800"
    async with httpx.AsyncClient(transport=EmulatorTransport(emu), headers=dict([AUTH])) as c:
        r = await c.get(f"{GRAPH}/v1.0/identity/conditionalAccess/policies/{out['3']['body']['id']}")
        assert r.status_code == 200 and r.json()["displayName"] == "x\ud800"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)
_URLS = st.sampled_from([
    "/users", "users?$top=2&$select=displayName", "/organization", "/$batch", "%24batch", "/beta/$batch",
    f"{GRAPH}/v1.0/users", "http://[", "/users/%ZZ", "/users/\ud800", "/identity/conditionalAccess/policies",
    "/identity/conditionalAccess/policies?$filter=state eq 'enabled'", "/users?$filter=displayName eq 'x'",
    "/users?$filter=createdDateTime ge 2020-01-01T00:00:00Z", "/users/$count", "/groups/x/members", "?",
    "/\x1b[2J\u202e", "/identity/conditionalAccess/namedLocations", "/identity/conditionalAccess/evaluate",
    f"/subscriptions/{SUB}/providers/Microsoft.Network/azureFirewalls?api-version=2024-05-01",
]) | st.text(min_size=1, max_size=30)
_METHODS = st.sampled_from(["GET", "get", "POST", "PATCH", "PUT", "DELETE", "Delete"])
_HEADERS = st.dictionaries(st.sampled_from(["Content-Type", "ConsistencyLevel", "client-request-id"])
                           | st.text(max_size=8),
                           st.sampled_from(["application/json", "eventual", "\udc00"]) | st.text(max_size=8),
                           max_size=3)
_BODIES = (st.dictionaries(st.sampled_from(["displayName", "state", "id", "conditions", "@odata.type"])
                           | st.text(max_size=6), _JSON, max_size=3)
           | st.sampled_from(['{"state": "disabled"}', "{", "\udc80", ""]))


@st.composite
def _items(draw: st.DrawFn, count: int) -> list[Any]:
    """``count`` batch items, most fields plausible (so that items run), some absent, some any JSON value at
    all (so that every check is reached), now and then a repeated id or a whole item that is not an object."""
    ids = [str(i + 1) for i in range(count)]
    plausible: dict[str, Any] = {
        "id": st.sampled_from([*ids, "A"]), "method": _METHODS, "url": _URLS, "headers": _HEADERS,
        "body": _BODIES, "dependsOn": st.lists(st.sampled_from([*ids, "9"]), max_size=2),
    }
    items: list[Any] = []
    for i in range(count):
        if draw(st.integers(0, 39)) == 0:
            items.append(draw(_JSON))
            continue
        item: dict[str, Any] = {}
        for key, strategy in plausible.items():
            roll = draw(st.integers(0, 39))
            if roll == 0 or (key in ("headers", "body", "dependsOn") and roll < 14):
                continue  # absent
            item[key] = draw(_JSON) if roll == 1 else ids[i] if key == "id" and roll < 37 else draw(strategy)
        items.append(item)
    return items


_PAYLOAD = st.one_of(*[st.integers(0, 5).flatmap(lambda n: st.fixed_dictionaries({"requests": _items(n)}))] * 4,
                     _JSON)


@functools.cache
def _shared_emulator() -> Emulator:
    """One emulator for every example (writes accumulate: the property holds in any state), with the What
    If evaluator the stack gives it, so What If items are answered too."""
    from ztconsole.sources.stack import recorded_what_if

    return Emulator(DEMO, token=TOKEN, page_size=5, what_if=recorded_what_if(DEMO))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=_PAYLOAD)
def test_any_batch_payload_is_answered_200_or_400_and_no_item_is_a_500(payload: Any) -> None:
    emu = _shared_emulator()
    data = json.dumps(payload).encode()
    status, _, body = asyncio.run(call(emu, "POST", "/v1.0/$batch", body_of(data), [AUTH]))
    assert status in (200, 400), body
    if status == 400:
        graph_error_of(body, "BadRequest")
        return
    responses = json.loads(body)["responses"]
    assert sorted(r["id"] for r in responses) == sorted(item["id"] for item in payload["requests"])
    assert all(r["status"] < 500 for r in responses), responses


# --- the last resort ------------------------------------------------------------------------------------
async def test_an_unexpected_failure_is_a_service_shaped_500_without_a_traceback(
        emu: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    secret = "\x1b]52;c;c2VjcmV0\x07 request data"

    def boom(*args: Any) -> Any:
        raise RuntimeError(secret)

    monkeypatch.setattr(emu._graph, "handle", boom)
    monkeypatch.setattr(emu._arm, "handle", boom)
    caplog.set_level(logging.DEBUG, logger="ztconsole.emulator")
    status, out, body = await call(emu, "GET", "/v1.0/users/\x1b[2J", body_of(b""), [AUTH])
    assert status == 500 and out["request-id"]
    error = graph_error_of(body, "generalException")
    assert error["message"] == "General exception while processing."
    status, out, body = await call(emu, "GET", FIREWALLS, body_of(b""), [AUTH], "api-version=2024-05-01")
    assert status == 500 and out["x-ms-request-id"]
    assert json.loads(body)["error"]["code"] == "InternalServerError"
    assert secret not in body.decode()
    # inside a batch: that item is the 500, the batch is answered
    payload = json.dumps(_batch(GOOD)).encode()
    status, _, body = await call(emu, "POST", "/v1.0/$batch", body_of(payload), [AUTH])
    assert status == 200 and json.loads(body)["responses"][0]["status"] == 500
    # outside handle (the scope itself)
    monkeypatch.setattr(emu, "handle", boom)
    status, _, body = await call(emu, "GET", "/v1.0/users", body_of(b""), [AUTH])
    assert status == 500 and json.loads(body)["error"]["code"] == "generalException"

    assert caplog.records and all(r.levelno == logging.DEBUG for r in caplog.records)
    assert not any(UNSAFE.search(r.getMessage()) or "request data" in r.getMessage() or r.exc_info
                   for r in caplog.records)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "request data" not in err


# --- 4. the banner --------------------------------------------------------------------------------------
HOSTILE = ("Evil\x1b[2J\x1b[3J\x1bc"  # clear the screen, reset the terminal
           "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # OSC 52: write the clipboard
           "\x1b]8;;https://evil.example/\x1b\\Corp\x1b]8;;\x1b\\"  # OSC 8 hyperlink
           "\x9b31m\x9d0;title\x9c\x85"  # C1: CSI, OSC, ST, NEL
           "\u202e\u2066\u200f\u061c"  # bidi: RLO, LRI, RLM, ALM
           "\x00\x07\x08\x7f Ltd")


def _toml_string(text: str) -> str:
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'


def hostile_tenant(tmp_path: Path) -> Path:
    root = tmp_path / "tenant\x1b]52;c;eA==\x07\u202eevil\x1b[2J"
    (root / "graph/v1.0").mkdir(parents=True)
    (root / "tenant.toml").write_text(
        f'format = 1\n[tenant]\nid = "2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64"\ndisplay_name = {_toml_string(HOSTILE)}\n'
        'default_domain = "evil.example"\n', encoding="utf-8")
    return root


def test_the_banner_shows_tenant_text_cleaned(tmp_path: Path) -> None:
    root = hostile_tenant(tmp_path)
    emu = Emulator(root, token=TOKEN)
    assert emu.store.info.display_name == HOSTILE  # the tenant says so; the terminal must not obey
    text = _banner(emu, "http://127.0.0.1:8765", TOKEN, False)
    assert not UNSAFE.search(text), repr(text)
    first = text.splitlines()[0]
    assert first.startswith("ztconsole emulator: EvilCorp") and "Ltd" in first and "evil" in first


def test_the_emulator_command_prints_no_control_sequence_of_the_tenant(tmp_path: Path) -> None:
    root = hostile_tenant(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "ZTCONSOLE_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "ztconsole", "emulator", "--tenant-dir", str(root), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True).start()
    seen: list[bytes] = []
    try:
        while not any(b"Ctrl-C" in line for line in seen):
            try:
                seen.append(lines.get(timeout=30))
            except queue.Empty:
                raise AssertionError(f"the emulator did not start: {b''.join(seen)!r}") from None
    finally:
        stop(proc)
    text = b"".join(seen).decode("utf-8")
    assert not UNSAFE.search(text), repr(text)
    assert "EvilCorp" in text and "Graph  http://127.0.0.1:" in text


# --- 5. a file that cannot be served: the reply says so, the terminal does not ---------------------------
def test_a_file_that_cannot_be_served_writes_nothing_to_stderr(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "graph/v1.0").mkdir(parents=True)
    (root / "tenant.toml").write_text('format = 1\n[tenant]\nid = "2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64"\n'
                                      'display_name = "T"\n', encoding="utf-8")
    (root / "graph/v1.0/organization.json").write_text('[{"id": "o1"}, {"id": ', encoding="utf-8")
    script = (
        "import asyncio, sys, httpx\n"
        "from ztconsole.emulator import Emulator, EmulatorTransport\n"
        "async def main():\n"
        "    emu = Emulator(sys.argv[1], token='t')\n"
        "    async with httpx.AsyncClient(transport=EmulatorTransport(emu),\n"
        "                                 headers={'Authorization': 'Bearer t'}) as c:\n"
        "        r = await c.get('https://graph.microsoft.com/v1.0/organization')\n"
        "        print(r.status_code, r.json()['error']['message'])\n"
        "asyncio.run(main())\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, timeout=60,
                         check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("500 ") and "organization.json" in run.stdout  # the reply is the channel
    assert run.stderr == ""


async def test_a_file_that_cannot_be_served_is_logged_at_debug_level_cleaned(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "t"
    group = "g\x1b]52;c;eA==\x07\u202ex"
    (root / f"graph/v1.0/groups/{group}").mkdir(parents=True)
    (root / "tenant.toml").write_text('format = 1\n[tenant]\nid = "2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64"\n'
                                      'display_name = "T"\n', encoding="utf-8")
    (root / "graph/v1.0/groups.json").write_text(json.dumps([{"id": group}]), encoding="utf-8")
    (root / f"graph/v1.0/groups/{group}/members.json").write_text("[{", encoding="utf-8")
    emu = Emulator(root, token=TOKEN)
    caplog.set_level(logging.DEBUG, logger="ztconsole.emulator")
    async with httpx.AsyncClient(transport=EmulatorTransport(emu), headers=dict([AUTH])) as c:
        r = await c.get(f"{GRAPH}/v1.0/groups/{quote(group)}/members")
    assert r.status_code == 500 and "members.json" in r.json()["error"]["message"]
    records = [rec for rec in caplog.records if rec.name.startswith("ztconsole.emulator")]
    assert records and all(rec.levelno == logging.DEBUG for rec in records)
    assert not any(UNSAFE.search(rec.getMessage()) for rec in records)
