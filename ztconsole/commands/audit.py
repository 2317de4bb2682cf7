"""``ztconsole audit verify|show``: the audit log (CONTRACTS §2, §8; issue #14).

``verify`` checks the hash chain (:meth:`ztconsole.actions.audit.AuditLog.verify`) and names the first record
edited, removed or reordered; ``show`` lists the records, one line each. Both read the log in the state
directory (:func:`ztconsole.paths.audit_log_path`) unless ``--log FILE`` names another. Record text is tenant
data: the human output is cleaned of terminal sequences, the JSON escapes them. Exit 0 verified or shown,
1 the chain is broken, 2 usage, 3 the log cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import SourceUnreadable, UsageError

if TYPE_CHECKING:
    from ztconsole.actions.audit import AuditLog

NAME = "audit"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="the audit log of writes: verify its hash chain, show its records",
                       description="Every write is recorded before and after it runs, hash-chained. Exit 0 "
                                   "verified or shown, 1 a record was edited, removed or reordered, 2 usage, "
                                   "3 the log cannot be read.")
    actions = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True, parser_class=type(p))
    v = actions.add_parser("verify", help="check the hash chain; name the first record edited, removed or "
                                          "reordered")
    s = actions.add_parser("show", help="list the records, one line each")
    for q in (v, s):
        q.add_argument("--log", "--file", dest="log", metavar="FILE", type=Path,
                       help="the audit log to read (default: audit.jsonl in the XDG state directory)")
        q.add_argument("--json", action="store_true", help="JSON output")
    s.add_argument("--last", metavar="N", type=int, help="only the last N records")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.actions.audit import AuditLog, AuditLogError

    log = AuditLog(args.log)
    try:
        if args.audit_command == "verify":
            return _verify(log, args, out)
        return _show(log, args, out, err)
    except AuditLogError as exc:
        raise SourceUnreadable(str(exc)) from exc


def _verify(log: AuditLog, args: argparse.Namespace, out: TextIO) -> int:
    from ztconsole.safetext import clean, dump_json

    if log.path.exists() and not log.path.is_file():
        raise SourceUnreadable(f"cannot read the audit log {log.path}: not a file")
    result = log.verify()
    if args.json:
        out.write(dump_json(result.to_json()))
    elif result.ok and not log.path.exists():
        out.write(f"{clean(log.path)}: no audit log yet; nothing to verify\n")
    elif result.ok:
        out.write(f"{clean(log.path)}: {result.records} record{'s' if result.records != 1 else ''} verified; "
                  f"head {result.head}\n")
    else:
        out.write(f"{clean(log.path)}: {clean(result.problem)}; the {result.records} record"
                  f"{'s' if result.records != 1 else ''} before it verified\n")
    return exitcodes.OK if result.ok else exitcodes.FINDINGS


def _show(log: AuditLog, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.safetext import clean, dump_json

    if args.last is not None and args.last < 1:
        raise UsageError(f"--last {args.last}: give a number of records, 1 or more")
    if log.path.exists() and not log.path.is_file():
        raise SourceUnreadable(f"cannot read the audit log {log.path}: not a file")
    records: list[dict[str, Any]] = []
    for number, doc in log.entries():
        if doc is None:
            err.write(f"ztconsole audit: {clean(log.path)}: line {number} is not a record (skipped); run "
                      "'ztconsole audit verify'\n")
        else:
            records.append(doc)
    if args.last is not None:
        records = records[-args.last:]
    if args.json:
        out.write(dump_json({"log": str(log.path), "records": records}))
        return exitcodes.OK
    if not records:
        out.write(f"{clean(log.path)}: no records\n")
        return exitcodes.OK
    for r in records:
        target = r.get("target")
        name = (target.get("name") or target.get("id")) if isinstance(target, dict) else target
        fields = (r.get("time"), r.get("id"), r.get("who"), r.get("action"), r.get("phase"), name,
                  r.get("result"))
        out.write("  ".join(clean("-" if f is None else f) for f in fields) + "\n")
    return exitcodes.OK
