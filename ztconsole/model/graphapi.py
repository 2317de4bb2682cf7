"""Graph protocol shapes: error bodies, JSON batching, and action results. Pure model, no I/O.

ARM error bodies have the same ``{"error": {code, message, target, details}}`` envelope, so
:class:`ODataError` reads both.
"""

from __future__ import annotations

from typing import Any

from ztconsole.model.wire import F, Wire, WireError, model

__all__ = [
    "BatchRequest",
    "BatchRequestItem",
    "BatchResponse",
    "BatchResponseItem",
    "BooleanResult",
    "ErrorDetail",
    "InnerError",
    "MainError",
    "ODataError",
]


@model
class InnerError(Wire):
    """Diagnostics Graph adds to an error; quote ``request-id`` and ``date`` to Microsoft support."""

    date: str | None = F("date", doc="UTC, without a zone designator: 2020-08-18T12:51:51")
    request_id: str | None = F("request-id")
    client_request_id: str | None = F("client-request-id")
    code: str | None = F("code")


@model
class ErrorDetail(Wire):
    code: str | None = F("code")
    message: str | None = F("message")
    target: str | None = F("target")


@model
class MainError(Wire):
    code: str | None = F("code", doc="e.g. TooManyRequests, Authorization_RequestDenied; may be ''")
    message: str | None = F("message")
    target: str | None = F("target")
    inner_error: InnerError | None = F("innerError", "obj", InnerError)
    details: tuple[ErrorDetail, ...] = F("details", "objs", ErrorDetail)


@model
class ODataError(Wire):
    """An error response body: ``{"error": {"code", "message", "innerError", "details"}}``."""

    error: MainError = F("error", "obj", MainError, required=True)

    @property
    def code(self) -> str:
        return self.error.code or ""

    @property
    def message(self) -> str:
        return self.error.message or ""

    @property
    def request_id(self) -> str | None:
        inner = self.error.inner_error
        return inner.request_id if inner else None


@model
class BatchRequestItem(Wire):
    id: str = F("id", required=True)
    method: str = F("method", required=True)
    url: str = F("url", required=True, doc="relative to the version root: /users/{id}")
    headers: Any = F("headers", "json")
    body: Any = F("body", "json", doc="a JSON value; needs a Content-Type header")
    depends_on: tuple[str, ...] = F("dependsOn", "strs")


@model
class BatchRequest(Wire):
    """A ``POST /$batch`` request body (at most 20 requests)."""

    requests: tuple[BatchRequestItem, ...] = F("requests", "objs", BatchRequestItem)


@model
class BatchResponseItem(Wire):
    id: str = F("id", required=True)
    status: int = F("status", "int", required=True)
    headers: Any = F("headers", "json")
    body: Any = F("body", "json")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """A response header, matched case-insensitively."""
        if type(self.headers) is not dict:
            return None
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value if type(value) is str else str(value)
        return None

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait, from a throttled (429/503) response's ``Retry-After`` header."""
        value = self.header("Retry-After")
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:  # an HTTP date: callers fall back to their own back-off
            return None

    @property
    def error(self) -> ODataError | None:
        """The error body of a failed response, or None (success, or not an error body)."""
        if self.ok or type(self.body) is not dict or "error" not in self.body:
            return None
        try:
            return ODataError.from_wire(self.body)
        except WireError:
            return None


@model
class BatchResponse(Wire):
    """A ``POST /$batch`` response body; responses may come in any order."""

    responses: tuple[BatchResponseItem, ...] = F("responses", "objs", BatchResponseItem)

    def by_id(self) -> dict[str, BatchResponseItem]:
        return {r.id: r for r in self.responses}


@model
class BooleanResult(Wire):
    """An action's ``{"value": true}`` result, e.g. ``revokeSignInSessions``."""

    value: bool = F("value", "bool", required=True)
