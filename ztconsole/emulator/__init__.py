"""The Graph + ARM emulator: a tenant directory served as Microsoft Graph (v1.0, beta) and Azure Resource
Manager, in process (``EmulatorTransport``) or on loopback (``serve``), with fault injection."""

from .app import Emulator, EmulatorState, RequestRecord, WriteRecord
from .faults import ConnectionResetFault, Fault, FaultPlan, FaultSpecError, parse_fault
from .server import serve
from .transport import EmulatorTransport

__all__ = ["ConnectionResetFault", "Emulator", "EmulatorState", "EmulatorTransport", "Fault", "FaultPlan",
           "FaultSpecError", "RequestRecord", "WriteRecord", "parse_fault", "serve"]
