"""The one error funnel of the sources layer.

Every failure of a read, whatever raised it (an HTTP status from Graph or ARM, a transport error, a body
that is not what it should be, a credential that cannot get a token), becomes one of the small family
below, here and nowhere else. The loader turns them into data set statuses; the UI and the CLI show their
``str()``, which never contains a token or a secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from ztconsole.model.tenant import Status

Api = Literal["graph", "arm"]


class SourceError(Exception):
    """A read that failed. ``status`` is the data set status it maps to."""

    status: ClassVar[Status] = "failed"
    title: ClassVar[str] = "failed"

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        http_status: int | None = None,
        code: str = "",
        request_id: str = "",
        retry_after: float | None = None,
        permission: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.url = url
        self.http_status = http_status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after
        self.permission = permission

    def __str__(self) -> str:
        parts = [self.message]
        if self.code and self.code not in self.message:
            parts.append(f"({self.code})")
        if self.request_id:
            parts.append(f"[request-id {self.request_id}]")
        return " ".join(parts)

    def with_permission(self, permission: str) -> SourceError:
        """The same error naming the permission the data set needs (set by the loader, from the catalogue)."""
        self.permission = self.permission or permission
        return self


class AuthFailed(SourceError):
    """No valid credential: sign-in failed, token expired or rejected (HTTP 401)."""

    status = "failed"
    title = "authentication failed"


class PermissionDenied(SourceError):
    """The identity lacks a permission or role (HTTP 403)."""

    status = "forbidden"
    title = "forbidden"

    def __str__(self) -> str:
        need = f"missing permission {self.permission}; " if self.permission else ""
        return f"{need}{super().__str__()}"


class Throttled(SourceError):
    """Still throttled (HTTP 429) after the bounded retries."""

    status = "throttled"
    title = "throttled"

    def __str__(self) -> str:
        after = f"; retry after {self.retry_after:g} s" if self.retry_after else ""
        return f"{super().__str__()}{after}"


class NotFound(SourceError):
    """The resource does not exist or is not readable (HTTP 404)."""

    status = "missing"
    title = "not found"


class ServiceFailed(SourceError):
    """The service failed (5xx, or 408: it timed out waiting for the request), still after the bounded
    retries, or could not be reached (connection reset, timeout, DNS)."""

    status = "failed"
    title = "service error"


class BadPayload(SourceError):
    """A response that is not what the service documents: not JSON, truncated, wrong shape."""

    status = "failed"
    title = "bad payload"


_BY_STATUS: dict[int, type[SourceError]] = {401: AuthFailed, 403: PermissionDenied, 404: NotFound,
                                            408: ServiceFailed, 429: Throttled}

#: The HTTP statuses a read retries (bounded by the reader's ``max_retries``, after the ``Retry-After`` the
#: service names, else after a backoff): azure-core's ``RetryPolicy`` defaults, which both readers follow.
#: azure-core retries 408, 429, 500, 502, 503, 504 and, by construction of its list, every status from 506
#: up; never 501 (Not Implemented) or 505 (HTTP Version Not Supported). The ARM reader gets this from
#: azure-core's own policy; the Graph reader gives it to msgraph's RetryHandler (which on its own retries
#: 429, 503 and 504 only) and applies it to ``$batch`` inner responses.
RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504, *range(506, 600)})
#: For POST and PATCH, which need not be idempotent (a write may have happened before a 502 or a 408),
#: azure-core retries only 500, 503 and 504; 429 too here, since a throttled request was not processed
#: (msgraph's RetryHandler retries it for every method; Graph and ARM send ``Retry-After`` with it, on
#: which azure-core retries any status).
_RETRYABLE_NOT_IDEMPOTENT: frozenset[int] = frozenset({429, 500, 503, 504})


def is_retryable_status(status: int, method: str = "GET") -> bool:
    """Whether a response with HTTP ``status`` to a ``method`` request is worth another try."""
    if method.upper() in ("POST", "PATCH"):
        return status in _RETRYABLE_NOT_IDEMPOTENT
    return status in RETRYABLE_STATUSES


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` (or ARM's ``x-ms-retry-after-ms``) in seconds, when it is a number."""
    low = {k.lower(): v for k, v in headers.items()}
    ms = low.get("x-ms-retry-after-ms") or low.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = low.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:  # an HTTP date: rare from Graph/ARM; treat as unknown
            return None
    return None


def from_response(status: int, body: bytes | str, headers: Mapping[str, str], url: str,
                  api: Api) -> SourceError:
    """The error for a non-2xx response, with the service's own code and message when it sent them."""
    code, message = "", ""
    try:
        data: Any = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        err = data["error"]
        code = str(err.get("code") or "")
        message = str(err.get("message") or "")
    low = {k.lower(): v for k, v in headers.items()}
    request_id = low.get("request-id") or low.get("x-ms-request-id") or ""
    if not request_id and isinstance(data, dict) and isinstance(data.get("error"), dict):
        inner = data["error"].get("innerError") or data["error"].get("innererror") or {}
        if isinstance(inner, dict):
            request_id = str(inner.get("request-id") or "")
    cls = _BY_STATUS.get(status) or (ServiceFailed if status >= 500 else SourceError)
    service = "Microsoft Graph" if api == "graph" else "Azure Resource Manager"
    text = f"{service} answered HTTP {status}" + (f": {message}" if message else "")
    return cls(text, url=_safe_url(url), http_status=status, code=code, request_id=request_id,
               retry_after=retry_after_seconds(headers))


def from_transport(exc: BaseException, url: str) -> ServiceFailed:
    """A connection-level failure (reset, timeout, refused) as a service error naming its cause."""
    kind = type(exc).__name__
    detail = str(exc) or kind
    return ServiceFailed(f"could not reach {_host(url)}: {detail}", url=_safe_url(url), code=kind)


def bad_payload(url: str, detail: str) -> BadPayload:
    """A body that is not what the service documents. The message names what was read: host and path
    (``graph.microsoft.com/v1.0/users``; for a recording served by the emulator that path is the tenant
    directory's file, ``graph/v1.0/users.json``), never the query string."""
    return BadPayload(f"unreadable response from {_where(url)}: {detail}", url=_safe_url(url))


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0] or url


def _where(url: str) -> str:
    """Host and path of a URL, without scheme, query or trailing slash."""
    return _safe_url(url).split("://", 1)[-1].rstrip("/") or _host(url)


def _safe_url(url: str) -> str:
    """A URL fit for messages and logs: no query string (skip tokens are opaque and long)."""
    return url.split("?", 1)[0]
