"""``ztconsole impact --policy ID``: the sign-in log replayed as if a (report-only) policy were enforced
(CONTRACTS §5b): who would be blocked or challenged, break-glass and service accounts flagged."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.ca_data import IMPACT_USES, load_ca, now
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import add_allow_partial, add_source, print_json, print_text
from ztconsole.commands.text import STATE_NAMES, table

NAME = "impact"


def add_parser(sub: Any) -> None:
    imp = sub.add_parser(NAME, help="what enforcing a (report-only) policy would do to the logged sign-ins")
    add_source(imp)
    imp.add_argument("--policy", required=True, metavar="ID", help="the policy's id (or exact display name)")
    imp.add_argument("--days", type=int, metavar="N",
                     help="only sign-ins of the last N days (before the capture time of a recording)")
    imp.add_argument("--json", action="store_true", help="JSON output")
    add_allow_partial(imp)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.gcpause import gc_paused

    with gc_paused():  # modules and classes that live as long as the process (see the ca_data module)
        from ztconsole.engine.impact import find_policy, replay
        from ztconsole.engine.whatif import Context

    if args.days is not None and args.days < 0:
        raise UsageError(f"--days must be zero or more, got {args.days}")
    tenant, missing = load_ca(args, err, IMPACT_USES)
    try:
        policy = find_policy(tenant, args.policy)
    except KeyError as e:
        raise UsageError(f"--policy {e.args[0]}") from None
    ctx = Context.from_tenant(tenant)
    report = replay(tenant, policy, days=args.days, now=now(args, tenant), ctx=ctx)
    if args.json:
        print_json(out, report.to_json(), missing)
    else:
        print_text(out, _text(report), missing)
    return exitcodes.OK


def _text(report: Any, limit: int = 25) -> list[str]:
    state = STATE_NAMES.get(report.policy_state, report.policy_state)
    window = (f"the last {report.days} day(s) before {report.window_end:%Y-%m-%d %H:%M} UTC"
              if report.days is not None else "the whole log")
    lines = [f"Impact of enforcing {report.policy_name} ({state}, {report.policy_id})",
             f"Sign-ins of {window}: {report.considered} reached Conditional Access"
             + (f", {report.skipped} failed before it (skipped)" if report.skipped else ""),
             f"  the policy applies to {report.applies}: would block {report.blocked}, would challenge "
             f"{report.challenged}, already satisfied {report.satisfied}"]
    for what, count in report.unmapped.items():
        lines.append(f"  note: {count} sign-in(s): {what}")
    if report.break_glass:
        lines.append("WARNING: it would touch emergency access account(s): "
                     + ", ".join(u.user_principal_name or u.id for u in report.break_glass))
    if report.service_accounts:
        lines.append(f"WARNING: it would touch {len(report.service_accounts)} service account(s): "
                     + ", ".join(u.user_principal_name or u.id for u in report.service_accounts[:10])
                     + (" ..." if len(report.service_accounts) > 10 else ""))
    lines.append("")
    if not report.users:
        lines.append("No user in the log would be blocked or challenged.")
        return lines
    lines.append(f"Users ({len(report.users)}):")
    rows = []
    for u in report.users[:limit]:
        flags = []
        if u.break_glass:
            flags.append("emergency access account")
        if u.service_account:
            flags.append(f"service account ({u.service_account})")
        rows.append((u.user_principal_name or u.id, u.blocked, u.challenged, "; ".join(u.missing),
                     ", ".join(flags)))
    lines += table(("USER", "BLOCK", "CHALLENGE", "MISSING", "FLAGS"), rows, wrap_last=True,
                    limits=(45, 0, 0, 45, 0))
    if len(report.users) > limit:
        lines.append(f"... and {len(report.users) - limit} more (--json lists all)")
    lines += ["", f"Sign-ins ({min(limit, len(report.sign_ins))} latest of {len(report.sign_ins)}):"]
    sign_ins = [(f"{s.created:%Y-%m-%d %H:%M}" if s.created else "-", s.user_principal_name or s.user_id,
                 s.app_display_name or s.app_id or "-", s.client_app, s.platform or "unknown", s.ip or "-",
                 s.outcome if s.outcome == "block" else f"challenge: {'; '.join(s.missing)}")
                for s in report.sign_ins[:limit]]
    lines += table(("WHEN", "USER", "APP", "CLIENT", "PLATFORM", "IP", "OUTCOME"), sign_ins, wrap_last=True,
                    limits=(0, 40, 30, 0, 0, 0, 0))
    return lines
