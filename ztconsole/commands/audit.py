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
from ztconsole.commands.source import add_source
from ztconsole.safetext import clean

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
    r = actions.add_parser("rollback", help="plan (and with --write apply) restoring what a policy write changed",
                           description="Restore the before-state an audit record captured, as a new plan through "
                                       "the guards of 'policy apply'; refused when the policy changed since. Exit "
                                       "0 done, 1 refused or read-only, 2 usage, 3 the source or the log could "
                                       "not be read or written.")
    add_source(r)
    r.add_argument("record", metavar="RECORD-ID", help="the id of a write's before or after record (audit show)")
    r.add_argument("--log", "--file", dest="log", metavar="FILE", type=Path,
                   help="the audit log (default: audit.jsonl in the XDG state directory)")
    r.add_argument("--write", action="store_true", help="write (default: read-only, nothing is written)")
    r.add_argument("--yes", action="store_true", help="do not ask before writing")
    r.add_argument("--json", action="store_true", help="JSON output (the plan, CONTRACTS 8)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.actions.audit import AuditLog, AuditLogError

    log = AuditLog(args.log)
    try:
        if args.audit_command == "verify":
            return _verify(log, args, out)
        if args.audit_command == "rollback":
            return _rollback(log, args, out, err)
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


def _reads() -> tuple[str, ...]:
    """What a rollback reads: the policy guards' data sets, and the resources the rollout creates."""
    from ztconsole.commands import policy as policy_cmd

    return (*policy_cmd.USES, "applications", "app_role_assignments", "nsgs")


def _rollback(log: AuditLog, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The restoring plan of one write (its before and after records), shown, and applied with --write."""
    from ztconsole.commands import policy as policy_cmd
    from ztconsole.commands.source import load_source, source_args

    before: dict[str, Any] | None
    after: dict[str, Any] | None
    record = log.find(args.record)
    if record is None:
        raise UsageError(f"no record {args.record} in the audit log {log.path}")
    if record.get("phase") == "after":
        after, before = record, log.find(str(record.get("ref") or ""))
    else:
        before, after = record, next((r for r in log.records() if r.get("ref") == record.get("id")), None)
    if before is None or after is None:
        raise UsageError(f"record {args.record} has no {'before' if before is None else 'after'} record: the "
                         "write it belongs to cannot be rolled back")
    writes = policy_cmd.writes_allowed(args)

    async def work(stack: Any, tenant: Any) -> tuple[Any, int]:
        from ztconsole.actions.apply import apply_plan
        from ztconsole.actions.policies import RollbackError, plan_rollback
        from ztconsole.actions.undo import plan_undo
        from ztconsole.commands.ca_data import now

        graph, arm = stack.readers["graph"], stack.readers.get("arm")
        policy = (before.get("target") or {}).get("type") == "conditionalAccessPolicy"
        try:
            if policy:
                plan = plan_rollback(tenant, before, after, graph_url=graph.graph_url, now=now(args, tenant),
                                     bake_days=policy_cmd.bake_days(args), source_args=source_args(args))
            else:
                plan = plan_undo(tenant, before, after, graph_url=graph.graph_url,
                                 arm_url=getattr(arm, "arm_url", "https://management.azure.com"))
        except RollbackError as e:
            raise UsageError(str(e)) from None
        code = exitcodes.OK
        if writes and plan.writes and (args.yes or policy_cmd.confirmed(plan, err)):
            kind = "policy" if policy else str((before.get("target") or {}).get("type") or "resource")
            outcomes = await apply_plan(plan, graph, log, tenant_id=tenant.info.id, arm=arm,
                                        reason=f"rollback of {before['id']}", action=lambda c: f"{kind}.rollback")
            for o in outcomes:
                if o.failure is not None:
                    err.write(f"ztconsole audit rollback: {clean(o.change.name)}: {clean(o.failure)}\n")
                    code = exitcodes.SOURCE
        return plan, code

    _, (plan, code) = load_source(args, err, keys=_reads(), after=work)
    from ztconsole.commands.source import recording

    return policy_cmd.finish(plan, out, err, prog="ztconsole audit rollback", as_json=args.json, writes=writes,
                             pending=bool(plan.writes), to_write=None, code=code,
                             in_memory=recording(args) is not None)
