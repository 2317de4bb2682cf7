"""``ztconsole whatif``, ``gaps`` and ``impact``: load the source, run the CA engine, print.

Human output is plain text; everything that comes from the tenant (names, reasons quoting names, log
values) is printed as data: control characters and bidirectional overrides are removed, so a policy
named with a terminal escape cannot repaint the terminal. ``--json`` prints the documents of
CONTRACTS §3 (whatif) and §5 (gaps), and the impact report, with the same characters escaped.

Exit codes (CONTRACTS §2): 0 ok; 2 usage (an unknown user, app, policy or value, naming the option and the
valid choices); 3 the source could not be read.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence, TextIO

from ztconsole.safetext import clean, command_line, dump_json

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOURCE = 3

#: the data sets the CA engine decides with: no answer without each of them complete unless --allow-partial
#: (CONTRACTS §2 "Incomplete sources")
CA_USES = ("ca_policies", "named_locations", "users", "groups", "group_members", "user_member_of",
           "role_definitions", "role_assignments", "service_principals")
#: read only to name PIM eligibility beside a user's roles: Entra judges active assignments, so eligibility
#: never decides a policy, and a tenant without Entra ID P2 has none to read
CA_NOTES = ("role_eligibility",)
CA_KEYS = CA_USES + CA_NOTES
IMPACT_USES = CA_USES + ("sign_ins",)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    command = args.command
    if command == "impact" and args.days is not None and args.days < 0:
        err.write(f"ztconsole impact: --days must be zero or more, got {args.days}\n")
        return EXIT_USAGE
    if command == "whatif" and args.compare_server:
        return _whatif_compare(args, out, err)
    uses = IMPACT_USES if command == "impact" else CA_USES
    loaded = _load(args, err, uses)
    if isinstance(loaded, int):
        return loaded
    tenant, missing = loaded
    if command == "whatif":
        return _whatif(args, tenant, missing, out, err)
    if command == "gaps":
        return _gaps(args, tenant, missing, out, err)
    return _impact(args, tenant, missing, out, err)


# --- the source ---------------------------------------------------------------------------------------------


def _load(args: argparse.Namespace, err: TextIO, uses: Sequence[str]) -> Any:
    """``(tenant, the incomplete data sets it is answered with)`` (only the data sets used, from a
    recording), or an exit code."""
    from ztconsole import cli

    tenant = cli.load_source(args, err, keys=(*uses, *CA_NOTES))
    if isinstance(tenant, int):
        return tenant
    missing = _gate(args, tenant, uses, err)
    return missing if isinstance(missing, int) else (tenant, missing)


def _gate(args: argparse.Namespace, tenant: Any, uses: Sequence[str], err: TextIO) -> Any:
    """The data sets among ``uses`` that were not read completely, each named on ``err``; exit 3 when there
    are any, unless ``--allow-partial`` (then the answer carries them)."""
    from ztconsole.model.completeness import incomplete

    prog = f"ztconsole {args.command}"
    missing = incomplete(tenant, uses)
    for item in missing:
        err.write(f"{prog}: {item.data_set} is {item.status}: {clean(item.message)}\n")
    for item in incomplete(tenant, CA_NOTES):
        err.write(f"{prog}: note: {item.data_set} is {item.status} ({clean(item.message)}): eligible (PIM) "
                  "role assignments are not shown; they never decide a policy\n")
    if missing and not args.allow_partial:
        err.write(f"{prog}: no answer on incomplete data; --allow-partial answers anyway, marked as "
                  "incomplete\n")
        return EXIT_SOURCE
    return missing


def _banner(missing: Sequence[Any]) -> list[str]:
    """The first lines of a human answer computed on incomplete data (``--allow-partial``)."""
    if not missing:
        return []
    return ["INCOMPLETE: answered without all of its data (--allow-partial); not read completely:",
            *(f"  {m.data_set}: {m.status}: {m.message}" for m in missing), ""]


def _print(out: TextIO, lines: Sequence[str], missing: Sequence[Any]) -> int:
    out.write("\n".join(clean(x) for x in (*_banner(missing), *lines)) + "\n")
    return EXIT_OK


def _print_json(out: TextIO, doc: dict[str, Any], missing: Sequence[Any]) -> int:
    out.write(dump_json({**doc, "incomplete": [m.to_json() for m in missing]}))
    return EXIT_OK


def _now(args: argparse.Namespace, tenant: Any) -> datetime:
    from ztconsole import cli

    if cli._recording(args) is not None and tenant.info.captured_at is not None:
        return tenant.info.captured_at
    return datetime.now(timezone.utc)


# --- text helpers -------------------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, wrap_last: bool = False,
           limits: Sequence[int] | None = None) -> list[str]:
    """A plain table; a cell may be a list of lines (continuation lines under the same column)."""
    body = []
    for row in rows:
        cells = [[clean(x) for x in c] if isinstance(c, (list, tuple)) else [clean(c)] for c in row]
        body.append(cells)
    widths = [len(h) for h in headers]
    for cells in body:
        for i, lines in enumerate(cells[:-1] if wrap_last else cells):
            widths[i] = max(widths[i], *(len(x) for x in lines)) if lines else widths[i]
    if limits:
        widths = [min(w, lim) if lim else w for w, lim in zip(widths, limits)]

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: max(1, width - 3)] + "..."

    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    for cells in body:
        height = max(len(c) for c in cells) or 1
        for n in range(height):
            parts = []
            for i, lines in enumerate(cells):
                text = lines[n] if n < len(lines) else ""
                last = i == len(cells) - 1
                parts.append(text if (last and wrap_last) else fit(text, widths[i]).ljust(widths[i]))
            out.append("  ".join(parts).rstrip())
    return out


def _requirements_text(requirements: Sequence[Sequence[str]]) -> str:
    if not requirements:
        return "none"
    parts = [alt[0] if len(alt) == 1 else "(" + " OR ".join(alt) + ")" for alt in requirements]
    return " AND ".join(parts)


def _session_text(session: Any) -> str:
    if not session:
        return "none"
    parts = []
    for key, value in session.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k}={v}" for k, v in value.items())
            parts.append(f"{key} ({shown})")
        elif isinstance(value, (list, tuple)):
            parts.append(f"{key} ({', '.join(map(str, value))})")
        elif value is True:
            parts.append(key)
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


_STATE = {"enabled": "enabled", "enabledForReportingButNotEnforced": "report-only", "disabled": "disabled"}


# --- whatif -------------------------------------------------------------------------------------------------


def _whatif(args: argparse.Namespace, tenant: Any, missing: Sequence[Any], out: TextIO, err: TextIO) -> int:
    from ztconsole.engine.whatif import Context, what_if

    ctx = Context.from_tenant(tenant)
    scenario = _scenario_or_error(args, ctx)
    if isinstance(scenario, str):
        err.write(f"ztconsole whatif: {scenario}\n")
        return EXIT_USAGE
    result = what_if(tenant.ca_policies, scenario, ctx)
    if args.json:
        return _print_json(out, result.to_json(), missing)
    return _print(out, _whatif_text(result), missing)


def _scenario_or_error(args: argparse.Namespace, ctx: Any) -> Any:
    """The scenario of the whatif options, or the usage error's message."""
    from ztconsole.commands.whatif_input import resolve_scenario
    from ztconsole.engine.device_filter import DeviceInputError

    try:
        return resolve_scenario(
            ctx, user=args.user, app=args.app, user_action=args.user_action, client_app=args.client_app,
            platform=args.platform, ip=args.ip, country=args.country, sign_in_risk=args.sign_in_risk,
            user_risk=args.user_risk, device=args.device, compliant_network=args.compliant_network)
    except DeviceInputError as e:
        text = clean(e)
        return text if text.startswith("--device") else "--device: " + text
    except ValueError as e:
        return clean(e)


def _whatif_compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``whatif --compare-server``: the local result and Graph's What If for the same sign-in, side by side."""
    from ztconsole import cli
    from ztconsole.engine.compare import compare, evaluate_request
    from ztconsole.engine.whatif import Context, what_if
    from ztconsole.model.ca import WhatIfAnalysisResult
    from ztconsole.model.wire import parse_items

    if cli._recording(args) is not None:
        err.write("ztconsole whatif: --compare-server needs a live tenant (Microsoft Graph evaluates the "
                  "policies it holds, not a recording)\n")
        return EXIT_USAGE

    async def ask(stack: Any, tenant: Any) -> Any:
        missing = _gate(args, tenant, CA_USES, err)
        if isinstance(missing, int):
            return missing
        ctx = Context.from_tenant(tenant, break_glass=tenant.info.break_glass)
        scenario = _scenario_or_error(args, ctx)
        if isinstance(scenario, str):
            return scenario
        local = what_if(tenant.ca_policies, scenario, ctx)
        raw = await stack.readers["graph"].evaluate(evaluate_request(scenario))
        return local, raw, missing

    loaded = cli.load_source(args, err, keys=CA_KEYS, after=ask)
    if isinstance(loaded, int):
        return loaded
    tenant, answer = loaded
    if isinstance(answer, int):
        return answer
    if isinstance(answer, str):
        err.write(f"ztconsole whatif: {answer}\n")
        return EXIT_USAGE
    local, raw, missing = answer
    server, problems = parse_items(WhatIfAnalysisResult, raw)
    for problem in problems:
        err.write(f"ztconsole whatif: warning: a What If answer item could not be read: {clean(problem)}\n")
    comparison = compare(local.to_json(), server)
    if args.json:
        return _print_json(out, {**local.to_json(), "compareServer": comparison.to_json()}, missing)
    lines = _whatif_text(local)
    lines.append("")
    agree = len(comparison.policies) - len(comparison.disagreements)
    lines.append(f"Microsoft Graph What If: {agree} policies judged the same, "
                 f"{len(comparison.disagreements)} differently.")
    for d in comparison.disagreements:
        here = "applies" if d.local_applies else "does not apply"
        there = "applies" if d.server_applies else "does not apply"
        why = ", ".join(d.server_reasons) or "no reason given"
        lines.append(f"  {clean(d.display_name)}: locally {here}; Graph says it {there} ({why})")
        lines.extend(f"      local: {clean(r)}" for r in d.local_reasons)
    return _print(out, lines, missing)


def _whatif_text(result: Any) -> list[str]:
    sc = result.scenario
    user = sc["user"]
    who = user.get("displayName") or user.get("id")
    if user.get("userPrincipalName"):
        who = f"{who} ({user['userPrincipalName']})"
    if not user.get("inDirectory", True):
        who += " (not in the directory)"
    if sc.get("app"):
        name, app_id = sc["app"]["displayName"], sc["app"]["id"]
        target = name if app_id in name else f"{name} ({app_id})"
    elif sc.get("userAction"):
        target = f"user action {sc['userAction']}"
    else:
        target = f"authentication context {sc.get('authContext')}"
    where = sc.get("ip") or "unknown IP"
    if sc.get("country"):
        where += f", country {sc['country']}"
    named = [n["displayName"] + (" (trusted)" if n.get("trusted") else "") for n in sc.get("namedLocations", [])]
    if named:
        where += f" (in {', '.join(named)})"
    device = sc.get("device")
    device_text = ", ".join(f"{k}={v}" for k, v in device.items()) if device else "unregistered device"
    lines = [
        f"What if: {who}",
        f"  signs in to {target}",
        f"  client app {sc['clientApp']}, platform {sc.get('platform') or 'unknown'}, from {where}",
        f"  sign-in risk {sc['signInRisk']}, user risk {sc['userRisk']}, {device_text}",
        "",
    ]
    order = {"enabled": 0, "enabledForReportingButNotEnforced": 1}
    policies = sorted(enumerate(result.policies),
                      key=lambda ip: (not ip[1].applies, order.get(ip[1].state, 2), ip[0]))
    rows = [(p.display_name, _STATE.get(p.state, p.state), "yes" if p.applies else "no", list(p.reasons) or [""])
            for _, p in policies]
    lines += _table(("POLICY", "STATE", "APPLIES", "WHY"), rows, wrap_last=True, limits=(60, 0, 0, 0))
    lines += [
        "",
        f"Decision:     {result.decision}",
        f"Requirements: {_requirements_text(result.requirements)}",
        f"Session:      {_session_text(result.session)}",
    ]
    names = {p.id: p.display_name for p in result.policies}
    if result.report_only:
        lines.append(f"Report-only policies that would apply: {', '.join(names[i] for i in result.report_only)}")
    return lines


# --- gaps ---------------------------------------------------------------------------------------------------


def _gaps(args: argparse.Namespace, tenant: Any, missing: Sequence[Any], out: TextIO, err: TextIO) -> int:
    from ztconsole.engine.gaps import find_gaps
    from ztconsole.engine.whatif import Context

    ctx = Context.from_tenant(tenant)
    report = find_gaps(tenant, include_report_only=args.include_report_only, ctx=ctx)
    for gap in report.gaps:
        if not gap.confirmed:
            err.write(f"ztconsole gaps: warning: the evaluator does not confirm the example of "
                      f"'{clean(gap.text)}'\n")
    if args.json:
        return _print_json(out, report.to_json(), missing)
    return _print(out, _gaps_text(report, ctx), missing)


def _gaps_text(report: Any, ctx: Any) -> list[str]:
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


# --- impact -------------------------------------------------------------------------------------------------


def _impact(args: argparse.Namespace, tenant: Any, missing: Sequence[Any], out: TextIO, err: TextIO) -> int:
    from ztconsole.engine.impact import find_policy, replay
    from ztconsole.engine.whatif import Context

    try:
        policy = find_policy(tenant, args.policy)
    except KeyError as e:
        err.write(f"ztconsole impact: --policy {clean(e.args[0])}\n")
        return EXIT_USAGE
    ctx = Context.from_tenant(tenant)
    report = replay(tenant, policy, days=args.days, now=_now(args, tenant), ctx=ctx)
    if args.json:
        return _print_json(out, report.to_json(), missing)
    return _print(out, _impact_text(report), missing)


def _impact_text(report: Any, limit: int = 25) -> list[str]:
    state = _STATE.get(report.policy_state, report.policy_state)
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
    lines += _table(("USER", "BLOCK", "CHALLENGE", "MISSING", "FLAGS"), rows, wrap_last=True,
                    limits=(45, 0, 0, 45, 0))
    if len(report.users) > limit:
        lines.append(f"... and {len(report.users) - limit} more (--json lists all)")
    lines += ["", f"Sign-ins ({min(limit, len(report.sign_ins))} latest of {len(report.sign_ins)}):"]
    rows = [(f"{s.created:%Y-%m-%d %H:%M}" if s.created else "-", s.user_principal_name or s.user_id,
             s.app_display_name or s.app_id or "-", s.client_app, s.platform or "unknown", s.ip or "-",
             s.outcome if s.outcome == "block" else f"challenge: {'; '.join(s.missing)}")
            for s in report.sign_ins[:limit]]
    lines += _table(("WHEN", "USER", "APP", "CLIENT", "PLATFORM", "IP", "OUTCOME"), rows, wrap_last=True,
                    limits=(0, 40, 30, 0, 0, 0, 0))
    return lines
