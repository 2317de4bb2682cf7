"""``ztconsole gaps``: classes of sign-ins that no enforced policy answers with a block, MFA or an
authentication strength (CONTRACTS §5), each with a ``whatif`` command line that replays its example.

The example line is for an admin to paste: each argument is cleaned and quoted on its own
(:func:`~ztconsole.safetext.command_line`), and tenant text (the app's name) never joins it.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.ca_data import load_ca
from ztconsole.commands.source import add_allow_partial, add_source, print_json, print_text
from ztconsole.safetext import clean, command_line

NAME = "gaps"


def add_parser(sub: Any) -> None:
    gp = sub.add_parser(NAME, help="CA coverage gaps: sign-ins no policy blocks or asks MFA of")
    add_source(gp)
    gp.add_argument("--include-report-only", action="store_true",
                    help="count report-only policies as if they were enforced")
    gp.add_argument("--json", action="store_true", help="JSON output (CONTRACTS 5)")
    add_allow_partial(gp)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.gcpause import gc_paused

    with gc_paused():  # modules and classes that live as long as the process (see the ca_data module)
        from ztconsole.engine.gaps import find_gaps
        from ztconsole.engine.whatif import Context

    tenant, missing = load_ca(args, err)
    ctx = Context.from_tenant(tenant)
    report = find_gaps(tenant, include_report_only=args.include_report_only, ctx=ctx)
    for gap in report.gaps:
        if not gap.confirmed:
            err.write(f"ztconsole gaps: warning: the evaluator does not confirm the example of "
                      f"'{clean(gap.text)}'\n")
    if args.json:
        print_json(out, report.to_json(), missing)
    else:
        print_text(out, _text(report, ctx), missing)
    return exitcodes.OK


def _text(report: Any, ctx: Any) -> list[str]:
    mode = "enforced policies" if report.mode == "enforced" else "enforced and report-only policies"
    n = len(report.gaps)
    lines = [f"Coverage gaps ({mode}): {n} class{'es' if n != 1 else ''} of sign-ins that no policy answers "
             "with a block, MFA or an authentication strength", ""]
    for i, gap in enumerate(report.gaps, 1):
        ex = gap.example
        user = ctx.users.get(ex.user)
        argv = ["ztconsole", "whatif", *ex.argv()]
        upn = user.user_principal_name if user is not None else None
        if upn and clean(upn) == upn:  # the UPN reads better; the object id when the UPN is not printable
            argv[3] = upn
        app = ctx.app_name(ex.app) if ex.app != "All" else "an app no policy names"
        lines += [
            f"{i}. Users:        {gap.users}",
            f"   Application:  {gap.application}",
            f"   Client apps:  {gap.client_app_type}",
            f"   Platform:     {gap.platform}",
            f"   Location:     {gap.location}",
            f"   Example app:  {app}",
            f"   Example:      {command_line(argv)}",
        ]
        if ex.compliant_network:
            lines.append("                 (through a compliant network: not expressible on the command line)")
        if not gap.confirmed:
            lines.append("   warning:      the evaluator does not confirm this example as uncovered")
        lines.append("")
    if not report.gaps:
        lines.append("No gaps: every class of sign-ins meets a block, MFA or an authentication strength.")
        lines.append("")
    if report.emergency_accounts:
        names = ", ".join(a.user_principal_name or a.id for a in report.emergency_accounts)
        lines.append(f"Excluded as emergency access accounts (not gaps): {names}")
    if report.disabled_users:
        lines.append(f"Not considered: {report.disabled_users} disabled account(s).")
    lines.append(f"Considered: {report.users_considered} user(s); {len(report.policies)} policy(ies) that "
                 f"block or require MFA apply to a plain sign-in (risk none, unregistered device).")
    return lines
