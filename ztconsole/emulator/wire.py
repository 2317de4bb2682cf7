"""Requests and replies inside the emulator, and error bodies shaped as Graph and ARM shape them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
ARM_JSON = "application/json; charset=utf-8"
ERROR_JSON = "application/json"


def now_utc() -> datetime:
    return datetime.now(UTC)


def rfc3339(when: datetime | None = None) -> str:
    """``2026-11-22T10:00:00Z`` (Graph's and ARM's timestamp form)."""
    return (when or now_utc()).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Req:
    """One request, from the wire or from inside a ``$batch``."""

    method: str
    path: str  # percent-decoded
    query: str  # raw query string
    headers: dict[str, str]  # lower-case names
    body: bytes
    base: str  # scheme://host the request came in on
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    pairs: list[tuple[str, str]] = field(init=False)
    params: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.pairs = parse_qsl(self.query, keep_blank_values=True)
        params: dict[str, str] = {}
        for key, value in self.pairs:
            params.setdefault(key.lower(), value)
        self.params = params

    @property
    def line(self) -> str:
        """``METHOD /path?query`` (query decoded): what fault rules match."""
        return f"{self.method} {self.path}" + (f"?{unquote_plus(self.query)}" if self.query else "")

    @property
    def client_request_id(self) -> str:
        return self.headers.get("client-request-id") or self.request_id

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not (nesting deep enough to exhaust the parser's
        recursion included: a hostile body is a bad request, not a crash)."""
        try:
            return json.loads(self.body or b"null")
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None

    def query_with(self, **replace: str) -> str:
        """The query string with ``$skiptoken`` (etc.) replaced, other parameters kept in order."""
        drop = {k.lower() for k in replace}
        kept = [(k, v) for k, v in self.pairs if k.lower() not in drop] + list(replace.items())
        return "&".join(f"{quote(k, safe='$')}={quote(v, safe=_SAFE)}" for k, v in kept)


_SAFE = "$,()'/:@!*;-._~"


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    broken: bool = False  # the body was damaged on purpose (a fault): not JSON, whatever it claims

    @property
    def is_json(self) -> bool:
        return not self.broken and self.content_type.startswith("application/json")


def utf8(text: str) -> bytes:
    """JSON text as UTF-8. A lone surrogate, which a request can smuggle in as a ``\\ud800`` escape and
    plain ``encode()`` refuses, only occurs inside a JSON string, so it is written back as that escape."""
    return text.encode("utf-8", "backslashreplace")


def json_bytes(obj: Any) -> bytes:
    return utf8(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


# --- Graph -------------------------------------------------------------------------------------------
class ServiceError(Exception):
    """An error reply (status, service code, message, extra headers), raised where it is found."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class GraphError(ServiceError):
    """A Graph error reply."""


def graph_error(req: Req, status: int, code: str, message: str,
                headers: dict[str, str] | None = None) -> Reply:
    inner: dict[str, Any] = {"date": now_utc().strftime("%Y-%m-%dT%H:%M:%S"), "request-id": req.request_id,
                             "client-request-id": req.client_request_id}
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return Reply(status, json_bytes(body), ERROR_JSON, dict(headers or {}))


def graph_throttled(req: Req, retry_after: float | None) -> Reply:
    """429 as Graph sends it (see shared/realworld/graph-common/v1.0-error-429-toomanyrequests.json)."""
    inner = {"code": "429", "date": now_utc().strftime("%Y-%m-%dT%H:%M:%S"), "message": "Please retry after",
             "request-id": req.request_id, "client-request-id": req.client_request_id, "status": "429"}
    body = {"error": {"code": "TooManyRequests", "innerError": inner, "message": "Please retry again later."}}
    return Reply(429, json_bytes(body), ERROR_JSON, retry_after_header(retry_after))


GRAPH_WWW_AUTH = ('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                  'client_id="00000003-0000-0000-c000-000000000000"')


# --- ARM ---------------------------------------------------------------------------------------------
class ArmError(ServiceError):
    """An ARM error reply."""


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json_bytes({"error": {"code": code, "message": message}}), ARM_JSON,
                 dict(headers or {}))


def arm_www_auth(description: str) -> str:
    return f'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", ' \
           f'error_description="{description}"'


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def retry_after_header(value: float | None) -> dict[str, str]:
    return {} if value is None else {"Retry-After": _seconds(value)}
