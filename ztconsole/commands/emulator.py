"""``ztconsole emulator [SOURCE]``: serve a tenant directory as Graph + ARM on loopback."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import add_source, recording

NAME = "emulator"


def add_parser(sub: Any) -> None:
    emu = sub.add_parser(NAME, help="serve a tenant directory as Graph + ARM on loopback")
    add_source(emu)
    emu.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    emu.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    emu.add_argument("--page-size", type=int, default=100, help="items per page (default 100)")
    emu.add_argument("--fault", metavar="SPEC", action="append", default=[],
                     help="inject a fault, e.g. 'GET /v1.0/users.*=throttle:retry_after=1:times=2' "
                          "(repeatable; kinds: latency, throttle, error, reset, malformed, truncated, forbidden)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rec = recording(args)
    if rec is None:
        raise UsageError("serve --demo or --tenant-dir DIR")
    from ztconsole.emulator import FaultPlan, parse_fault, serve
    from ztconsole.sources.stack import recorded_what_if
    from ztconsole.tenantdir import TenantDir

    TenantDir.open(rec[0])  # an unreadable directory is reported before anything listens
    try:
        faults = FaultPlan([parse_fault(spec) for spec in args.fault])
        serve(rec[0], host=args.host, port=args.port, page_size=args.page_size, faults=faults,
              what_if=recorded_what_if(rec[0]))
    except ValueError as e:  # a bad fault spec, a host that is not loopback
        raise UsageError(str(e)) from None
    except KeyboardInterrupt:  # Ctrl-C is how it stops
        pass
    return exitcodes.OK
