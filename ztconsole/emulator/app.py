"""The emulator: one ASGI app that answers Graph under ``/v1.0/`` and ``/beta/`` and ARM under
``/subscriptions/`` and ``/providers/``, with bearer-token checks, fault injection, ``$batch``, a request log
and in-memory writes."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import struct
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus, urlsplit

from ztconsole.safetext import clean

from .faults import ConnectionResetFault, Fault, FaultPlan
from .store import Store, StoreError
from .wire import (
    GRAPH_WWW_AUTH,
    ArmError,
    GraphError,
    Reply,
    Req,
    arm_error,
    arm_www_auth,
    graph_error,
    graph_throttled,
    json_bytes,
    now_utc,
    retry_after_header,
    utf8,
)

if TYPE_CHECKING:
    from .arm import ArmApi
    from .graph import GraphApi

log = logging.getLogger(__name__)
# ASGI (what uvicorn and httpx.ASGITransport call the app with)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BATCH = 20
# Graph and ARM both refuse a request body over 4 MB (ARM: RequestContentTooLarge); so does the emulator,
# which holds the body in memory, before it has read more than that
MAX_BODY = 4 * 1024 * 1024
# the methods a $batch item may name (Graph's JSON batching)
BATCH_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
REQUEST_LOG_SIZE = 100_000
_MALFORMED = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
              b"<p>The upstream service returned an invalid response.</p></body></html>")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request served: what a test can assert on."""

    method: str
    path: str
    query: str  # percent-decoded
    status: int | None  # None: the connection was reset
    batch: bool = False  # served inside a $batch


@dataclass(frozen=True, slots=True)
class WriteRecord:
    method: str
    path: str
    status: int
    target: str  # id or name of the object written
    at: str


@dataclass(slots=True)
class EmulatorState:
    """What writes did to the emulated tenant (the data itself lives in the store, visible to reads)."""

    writes: list[WriteRecord] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)  # user ids whose sessions were revoked
    # policy id -> properties that replace the evaluator's in What If answers (a service that disagrees)
    evaluate_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, req: Req, status: int, target: str) -> None:
        self.writes.append(WriteRecord(req.method, req.path, status, target, now_utc().isoformat()))


def api_of(path: str) -> tuple[str, str, list[str]]:
    """("graph", version, segments) / ("arm", "", segments) / ("", "", segments) for a decoded path."""
    segs = [s for s in path.split("/") if s]
    if segs and segs[0] in ("v1.0", "beta"):
        return "graph", segs[0], segs[1:]
    if segs and segs[0].lower() in ("subscriptions", "providers"):
        return "arm", "", segs
    return "", "", segs


class Emulator:
    """Graph v1.0/beta + ARM over a tenant directory, as an ASGI app (``.app``)."""

    def __init__(self, tenant_dir: Path, *, token: str, page_size: int = 100, faults: FaultPlan | None = None,
                 base_graph: str = "https://graph.microsoft.com",
                 base_arm: str = "https://management.azure.com",
                 what_if: Callable[[Any], list[dict[str, Any]]] | None = None):
        """``what_if`` answers ``POST /identity/conditionalAccess/evaluate`` bodies (the response's
        ``value``; ValueError for a body the service would refuse); without it What If is not served."""
        if not token:
            raise ValueError("the emulator needs a bearer token to demand")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.store = Store(Path(tenant_dir))
        self.page_size = page_size
        self.what_if = what_if
        self.faults = faults if faults is not None else FaultPlan()
        self.base_graph = base_graph.rstrip("/")
        self.base_arm = base_arm.rstrip("/")
        self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self.state = EmulatorState()
        self._token = token.encode()
        self.app = _App(self)

    # Each API's half is set up (and its module imported: ARM's compiles a pattern per resource type) on
    # the first request for it: an emulator read only as Graph (whatif, gaps, impact) never sets up ARM.
    @cached_property
    def _graph(self) -> GraphApi:
        from .graph import GraphApi

        return GraphApi(self)

    @cached_property
    def _arm(self) -> ArmApi:
        from .arm import ArmApi

        return ArmApi(self)

    # --- one request -------------------------------------------------------------------------------
    async def handle(self, req: Req, *, batch: bool = False, receive: Receive | None = None) -> Reply:
        """Answer one request (auth, faults, routing); raises ConnectionResetFault for a reset fault.

        With ``receive`` (an ASGI receive callable), the body is read from it only after the headers
        authenticated the request, and never past :data:`MAX_BODY`: an anonymous client cannot make the
        emulator hold an upload. Any other failure becomes a service-shaped 500 (a bug must not reach the
        terminal as a traceback nor drop the connection)."""
        api = api_of(req.path)[0]
        reply: Reply | None = None
        try:
            if not batch:
                reply = self._authenticate(req, api)
            if reply is None and receive is not None:
                reply = await self._read_body(req, api, receive)
            if reply is None:
                reply = await self._faulted(req, api, batch)
        except ConnectionResetFault:
            self._log(req, None, batch)
            raise
        except Exception as e:  # noqa: BLE001 - the last resort: answered as a 500, logged at debug level
            log.debug("emulator: %s while answering %s", type(e).__name__, clean(req.line[:300]))
            reply = self._finish(req, api, _internal_error(req, api))
        self._log(req, reply.status, batch)
        return reply

    async def _read_body(self, req: Req, api: str, receive: Receive) -> Reply | None:
        """Read the body into ``req.body``; a 413 as soon as it is known to pass :data:`MAX_BODY` (from
        Content-Length, before reading, or while counting), the rest left unread; None when read."""
        declared = req.headers.get("content-length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
            return self._finish(req, api, _too_large(req, api))
        body = bytearray()
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":  # nobody to answer; run nothing on half a body
                return self._finish(req, api, _cut_short(req, api))
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                return self._finish(req, api, _too_large(req, api))
            if not message.get("more_body"):
                break
        req.body = bytes(body)
        return None

    def _log(self, req: Req, status: int | None, batch: bool) -> None:
        self.requests.append(RequestRecord(req.method, req.path, unquote_plus(req.query), status, batch))

    def _authenticate(self, req: Req, api: str) -> Reply | None:
        header = req.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(value.strip().encode(), self._token):
            return None
        missing = not header
        if api == "arm":
            if missing:
                code, message = "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
                desc = "The authentication failed because of missing 'Authorization' header."
            elif scheme.lower() != "bearer":
                code = "AuthenticationFailed"
                message = desc = "Authentication failed. The 'Authorization' header is provided in an invalid format."
            else:
                code, message = "InvalidAuthenticationToken", "The access token is invalid."
                desc = message
            return self._finish(req, api, arm_error(401, code, message, {"WWW-Authenticate": arm_www_auth(desc)}))
        message = "Access token is empty." if missing or not value.strip() else "Access token validation failure."
        return self._finish(req, api, graph_error(req, 401, "InvalidAuthenticationToken", message,
                                                  {"WWW-Authenticate": GRAPH_WWW_AUTH}))

    async def _faulted(self, req: Req, api: str, batch: bool) -> Reply:
        decision = self.faults.decide(req.line)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        fault = decision.fault
        if fault is None or fault.kind == "truncated":
            reply = await self._route(req, api, batch)
            if fault is not None and reply.body:
                reply.body = reply.body[:max(1, len(reply.body) // 2)]
                reply.broken = True
            return reply
        if fault.kind == "reset":
            raise ConnectionResetFault(f"fault {fault.match!r}: connection reset")
        if fault.kind == "malformed":
            return self._finish(req, api, Reply(200, _MALFORMED, "application/json", broken=True))
        return self._finish(req, api, self._fault_reply(req, api, fault))

    def _fault_reply(self, req: Req, api: str, fault: Fault) -> Reply:
        params = fault.params
        if fault.kind == "throttle":
            if api == "arm":
                retry = params["retry_after"]
                scope = req.path.split("/")[2] if req.path.lower().startswith("/subscriptions/") else ""
                code = "SubscriptionRequestsThrottled" if scope else "TenantRequestsThrottled"
                what = f"subscription '{scope}'" if scope else "tenant"
                wait = f" Please try again after '{retry}' seconds." if retry is not None else ""
                return arm_error(429, code, f"Number of 'read' requests for {what} exceeded the limit of "
                                            f"'12000' for time interval '01:00:00'.{wait}",
                                 retry_after_header(retry))
            return graph_throttled(req, params["retry_after"])
        if fault.kind == "forbidden":
            if api == "arm":
                return arm_error(403, "AuthorizationFailed", _arm_denied(req))
            return graph_error(req, 403, "Authorization_RequestDenied",
                               "Insufficient privileges to complete the operation.")
        status = int(params["status"])
        headers = retry_after_header(params["retry_after"])
        if status != 503:
            return _internal_error(req, api, headers)
        if api == "arm":
            return arm_error(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry "
                                                        "the request later.", headers)
        return graph_error(req, 503, "serviceNotAvailable", "The service is temporarily unavailable for "
                                                            "maintenance or is overloaded.", headers)

    async def _route(self, req: Req, api: str, batch: bool = False) -> Reply:
        _, ver, segs = api_of(req.path)
        try:
            if api == "graph":
                if batch and segs and segs[0].lower() == "$batch":  # one batch could fan out 20**depth
                    raise GraphError(400, "BadRequest", "A $batch request cannot be nested in another $batch "
                                                        "request.")
                if req.method == "POST" and segs == ["$batch"]:
                    reply = await self._batch(req, ver)
                else:
                    reply = self._graph.handle(req, ver, segs)
            elif api == "arm":
                reply = self._arm.handle(req, segs)
            else:
                raise GraphError(404, "NotFound", "The emulator serves Graph under /v1.0/ and /beta/ and ARM "
                                                  "under /subscriptions/ and /providers/.")
        except GraphError as e:
            reply = graph_error(req, e.status, e.code, e.message, e.headers)
        except ArmError as e:
            reply = arm_error(e.status, e.code, e.message, e.headers)
        except StoreError as e:  # the reply is the channel: its message reaches whoever asked
            log.debug("emulator: %s", clean(e))
            if api == "arm":
                reply = arm_error(500, "InternalServerError", f"The emulator cannot serve a file: {e}")
            else:
                reply = graph_error(req, 500, "generalException", f"The emulator cannot serve a file: {e}")
        return self._finish(req, api, reply)

    def _finish(self, req: Req, api: str, reply: Reply) -> Reply:
        """Add the request-id headers each service sends."""
        if api == "arm":
            reply.headers.setdefault("x-ms-request-id", req.request_id)
            reply.headers.setdefault("x-ms-correlation-request-id",
                                     req.headers.get("x-ms-correlation-request-id") or req.request_id)
        else:
            reply.headers.setdefault("request-id", req.request_id)
            reply.headers.setdefault("client-request-id", req.client_request_id)
        return reply

    # --- $batch ------------------------------------------------------------------------------------
    async def _batch(self, req: Req, ver: str) -> Reply:
        try:
            body = req.json()
        except ValueError:
            body = None
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
            raise GraphError(400, "BadRequest", "Invalid batch payload format.")
        if len(requests) > MAX_BATCH:
            raise GraphError(400, "BadRequest", f"Too many requests in the batch: {len(requests)}; the limit is "
                                                f"{MAX_BATCH}.")
        by_id: dict[str, dict[str, Any]] = {}
        for item in requests:
            by_id[_check_item(item, by_id)] = item
        order = _dependency_order(requests, by_id)
        status: dict[str, int] = {}
        parts = []
        for item in order:
            rid = item["id"]
            failed = [d for d in item.get("dependsOn") or [] if status.get(d, 0) >= 400]
            if failed:
                inner = Req(item["method"].upper(), "", "", {}, b"", req.base)
                reply = graph_error(inner, 424, "FailedDependency",
                                    f"The request depends on request '{failed[0]}', which failed.")
            else:
                inner = self._inner_request(req, ver, item)
                reply = await self.handle(inner, batch=True)
            status[rid] = reply.status
            parts.append(_batch_item(rid, reply))
        return Reply(200, utf8('{"responses":[' + ",".join(parts) + "]}"), "application/json")

    def _inner_request(self, outer: Req, ver: str, item: dict[str, Any]) -> Req:
        path, _, query = _relative_url(item["url"]).partition("?")
        path = "/" + unquote(path).lstrip("/")  # percent-decoded, as a request path from the wire is
        if not path.startswith(f"/{ver}/"):
            path = f"/{ver}{path}"
        headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
        body = item.get("body")
        raw = b"" if body is None else utf8(body) if isinstance(body, str) else json_bytes(body)
        inner = Req(item["method"].upper(), path, query, headers, raw, outer.base)
        inner.headers.setdefault("client-request-id", outer.client_request_id)
        return inner


def _check_item(item: dict[str, Any], seen: dict[str, Any]) -> str:
    """The item's id, once each field has the shape Graph's JSON batching documents; else a 400 for the whole
    batch, before any of it runs (a malformed item is the client's error, never the emulator's 500)."""
    rid = item.get("id")
    if not isinstance(rid, str) or not rid or rid in seen:
        raise GraphError(400, "BadRequest", "Every batch request needs a unique, non-empty string id.")

    def bad(what: str) -> GraphError:
        return GraphError(400, "BadRequest", f"Batch request '{rid}': {what}.")

    method, url = item.get("method"), item.get("url")
    if not isinstance(method, str) or method.upper() not in BATCH_METHODS:
        raise bad(f"the method must be one of {', '.join(sorted(BATCH_METHODS))}")
    if not isinstance(url, str) or not url.strip():
        raise bad("the url must be a non-empty string")
    try:
        _relative_url(url)
    except ValueError:
        raise bad("the url cannot be parsed") from None
    headers = item.get("headers")
    if headers is not None and not (isinstance(headers, dict)
                                    and all(isinstance(v, str) for v in headers.values())):
        raise bad("headers must be an object whose values are strings")
    body = item.get("body")
    if body is not None and not isinstance(body, (dict, str)):
        raise bad("the body must be a JSON object or a string")
    deps = item.get("dependsOn")
    if deps is not None and not (isinstance(deps, list) and all(isinstance(d, str) for d in deps)):
        raise bad("dependsOn must be a list of request ids")
    return rid


def _relative_url(url: str) -> str:
    """A batch item's url relative to the service root (an absolute one cut to its path and query); raises
    ValueError for one that cannot be parsed."""
    if url.startswith(("http://", "https://")):
        split = urlsplit(url)
        return split.path + (f"?{split.query}" if split.query else "")
    return url


def _too_large(req: Req, api: str) -> Reply:
    """413, as each service refuses a body over its limit."""
    limit = f"{MAX_BODY // (1024 * 1024)} MB"
    if api == "arm":
        return arm_error(413, "RequestContentTooLarge", f"The request content size exceeds the maximum size of "
                                                        f"{limit}.")
    return graph_error(req, 413, "RequestEntityTooLarge", f"The request body exceeds the maximum size of {limit}.")


def _cut_short(req: Req, api: str) -> Reply:
    """400 for a body the client stopped sending: nobody reads it, the request log records it."""
    if api == "arm":
        return arm_error(400, "InvalidRequestContent", "The request content could not be read: the client closed "
                                                       "the connection.")
    return graph_error(req, 400, "BadRequest", "IO error during request payload read.")


def _internal_error(req: Req, api: str, headers: dict[str, str] | None = None) -> Reply:
    """500 as each service words it: a fault, or the emulator's own failure (whose details stay out)."""
    if api == "arm":
        return arm_error(500, "InternalServerError", "Encountered internal server error. Please retry the request.",
                         headers)
    return graph_error(req, 500, "generalException", "General exception while processing.", headers)


def _dependency_order(requests: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The batch's requests, each after what it depends on (input order otherwise); 400 on bad dependsOn."""
    done: list[dict[str, Any]] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(item: dict[str, Any]) -> None:
        rid = item["id"]
        if rid in placed:
            return
        if rid in visiting:
            raise GraphError(400, "BadRequest", f"Batch request '{rid}' is part of a dependsOn cycle.")
        visiting.add(rid)
        deps = item.get("dependsOn") or []
        if not isinstance(deps, list):
            raise GraphError(400, "BadRequest", f"Batch request '{rid}': dependsOn must be a list of ids.")
        for dep in deps:
            if dep not in by_id:
                raise GraphError(400, "BadRequest", f"Batch request '{rid}' depends on unknown request '{dep}'.")
            place(by_id[dep])
        visiting.discard(rid)
        placed.add(rid)
        done.append(item)

    for item in requests:
        place(item)
    return done


def _batch_item(rid: str, reply: Reply) -> str:
    headers = dict(reply.headers)
    if reply.content_type:
        headers["Content-Type"] = reply.content_type
    parts = [f'{{"id":{json.dumps(rid)},"status":{reply.status},"headers":{json.dumps(headers)}']
    if reply.body:
        text = reply.body.decode("utf-8", errors="replace")
        parts.append(f',"body":{text if reply.is_json else json.dumps(text)}')  # other bodies travel as strings
    parts.append("}")
    return "".join(parts)


def _arm_denied(req: Req) -> str:
    """AuthorizationFailed's message, naming the action (``Microsoft.Network/azureFirewalls/read``) and scope."""
    segs = [s for s in req.path.split("/") if s]
    low = [s.lower() for s in segs]
    verb = {"GET": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(req.method, "action")
    if "providers" in low:
        at = len(low) - 1 - low[::-1].index("providers")
        namespace, rest = segs[at + 1:at + 2], segs[at + 2:]
        types = [rest[i] for i in range(0, len(rest), 2)]
        action = "/".join(namespace + types + [verb])
        scope = "/" + "/".join(segs[:at]) if at else "/"
    elif len(segs) >= 3 and low[2] == "resourcegroups":
        action = f"Microsoft.Resources/subscriptions/resourceGroups/{verb}"
        scope = "/" + "/".join(segs[:2])
    else:
        action = f"Microsoft.Resources/subscriptions/{verb}"
        scope = "/" + "/".join(segs[:2])
    client = "00000000-0000-0000-0000-000000000000"
    return (f"The client '{client}' with object id '{client}' does not have authorization to perform action "
            f"'{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please "
            "refresh your credentials.")


class _App:
    """The ASGI callable."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        pending = True  # body bytes may still be on their way: the reply closes the connection

        async def pull() -> Message:
            nonlocal pending
            message = await receive()
            pending = message.get("type") == "http.request" and bool(message.get("more_body"))
            return message

        try:
            req = self._request(scope)
            pending = "transfer-encoding" in req.headers or req.headers.get("content-length", "0").strip() != "0"
            reply = await self.emulator.handle(req, receive=pull)  # reads the body once authenticated
        except ConnectionResetFault:
            if _abort_connection(send):
                await asyncio.sleep(0)  # let the server see the connection go before it looks at the cycle
                return
            raise
        except Exception as e:  # noqa: BLE001 - the last resort for the scope (handle answers its own)
            log.debug("emulator: %s while reading a request's scope", type(e).__name__)
            reply = _internal_error(Req("GET", "", "", {}, b"", ""), api_of(str(scope.get("path", "")))[0])
        out_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
        if reply.content_type:
            out_headers.append((b"content-type", reply.content_type.encode("latin-1")))
        out_headers.append((b"content-length", str(len(reply.body)).encode()))
        if pending:  # the server would otherwise read (and drop) the rest of an upload nobody wants
            out_headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": reply.status, "headers": out_headers})
        await send({"type": "http.response.body", "body": reply.body})

    def _request(self, scope: Scope) -> Req:
        """The request the scope describes, headers only: its body is read after authentication."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host")
        if not host:
            server = scope.get("server")
            host = f"{server[0]}:{server[1]}" if server else ""
        emu = self.emulator
        api = api_of(scope["path"])[0]
        base = f"{scope.get('scheme', 'http')}://{host}" if host else (emu.base_arm if api == "arm"
                                                                       else emu.base_graph)
        return Req(scope["method"].upper(), scope["path"], scope.get("query_string", b"").decode("latin-1"),
                   headers, b"", base)


def _abort_connection(send: Send) -> bool:
    """Reset the client's TCP connection where the server exposes it (uvicorn); False elsewhere."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    transport.abort()
    return True
