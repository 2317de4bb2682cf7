"""The Graph + ARM emulator: a tenant directory served as Microsoft Graph (v1.0, beta) and Azure Resource
Manager, in process (``EmulatorTransport``) or on loopback (``serve``), with fault injection.

The names are imported on first use (PEP 562), each from its own module: the server on loopback does not
import httpx (the in-process transport's), and the in-process emulator does not import the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Emulator, EmulatorState, RequestRecord, WriteRecord
    from .faults import ConnectionResetFault, Fault, FaultPlan, FaultSpecError, parse_fault
    from .server import serve
    from .transport import EmulatorTransport

__all__ = ["ConnectionResetFault", "Emulator", "EmulatorState", "EmulatorTransport", "Fault", "FaultPlan",
           "FaultSpecError", "RequestRecord", "WriteRecord", "parse_fault", "serve"]

_MODULE_OF = {
    "Emulator": "app", "EmulatorState": "app", "RequestRecord": "app", "WriteRecord": "app",
    "ConnectionResetFault": "faults", "Fault": "faults", "FaultPlan": "faults", "FaultSpecError": "faults",
    "parse_fault": "faults", "serve": "server", "EmulatorTransport": "transport",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
