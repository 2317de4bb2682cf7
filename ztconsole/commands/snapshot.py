"""``ztconsole snapshot [SOURCE] --out DIR``: record any source as a tenant directory (CONTRACTS §1).

A data set not read completely is recorded as such (``[datasets]`` in tenant.toml), never as complete
data, and the command then exits 3.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import add_source, load_source
from ztconsole.safetext import clean

NAME = "snapshot"


def add_parser(sub: Any) -> None:
    snap = sub.add_parser(NAME, help="record a source as a tenant directory")
    add_source(snap)
    snap.add_argument("--out", metavar="DIR", type=Path, required=True, help="directory to write")
    snap.add_argument("--force", action="store_true", help="write into a non-empty directory")
    snap.add_argument("--signin-days", type=int, default=30, metavar="N",
                      help="live sources: sign-ins of the last N days (default 30)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.sources.snapshot import SnapshotWriter

    try:
        SnapshotWriter.prepare(args.out, force=args.force)
    except FileExistsError as e:
        raise UsageError(str(e)) from None
    writer = SnapshotWriter(args.out)
    started = time.perf_counter()
    tenant = load_source(args, err, recorder=writer)
    writer.finish(tenant.info, results=tenant.results)
    bad = {k: r for k, r in tenant.results.items() if r.status not in ("ok", "missing")}
    out.write(f"wrote {args.out} in {time.perf_counter() - started:.1f} s: {writer.files} files, "
              f"{sum(r.count for r in tenant.results.values()):,} items\n")
    for key, r in bad.items():
        err.write(f"  {key}: {r.status}: {clean(r.message)}\n")
    return exitcodes.SOURCE if bad else exitcodes.OK
