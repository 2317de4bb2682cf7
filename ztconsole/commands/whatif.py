"""``ztconsole whatif``: one sign-in evaluated against every Conditional Access policy locally (CONTRACTS
§3), every deciding condition named; ``--compare-server`` asks Microsoft Graph's What If too (live tenants).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.ca_data import CA_KEYS, CA_NOTES, CA_USES, load_ca
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import (
    add_allow_partial,
    add_source,
    answerable,
    load_source,
    print_json,
    print_text,
    recording,
)
from ztconsole.commands.text import STATE_NAMES, table
from ztconsole.safetext import clean

NAME = "whatif"


def add_parser(sub: Any) -> None:
    wi = sub.add_parser(NAME, help="evaluate one sign-in against the CA policies locally")
    add_source(wi)
    wi.add_argument("--user", required=True, metavar="U", help="object id or UPN")
    target = wi.add_mutually_exclusive_group()
    target.add_argument("--app", metavar="A",
                        help="application (client) id, All, Office365, MicrosoftAdminPortals, AzureManagement, "
                             "or the display name of one service principal")
    target.add_argument("--user-action", metavar="X",
                        help="registerSecurityInformation or registerOrJoinDevices")
    target.add_argument("--auth-context", metavar="CN",
                        help="an authentication context a resource asks for, c1 to c99")
    wi.add_argument("--client-app", metavar="C",
                    help="browser (default), mobileAppsAndDesktopClients, exchangeActiveSync or other")
    wi.add_argument("--platform", metavar="P",
                    help="android, iOS, windows, windowsPhone, macOS or linux (default: unknown)")
    wi.add_argument("--ip", metavar="IP", help="the sign-in's IP address (default: unknown location)")
    wi.add_argument("--country", metavar="CC", help="ISO 3166-1 alpha-2 country or region (default: unknown)")
    wi.add_argument("--compliant-network", action="store_true",
                    help="the sign-in comes through Global Secure Access (a compliant network location)")
    wi.add_argument("--sign-in-risk", metavar="L", help="none (default), low, medium or high")
    wi.add_argument("--user-risk", metavar="L", help="none (default), low, medium or high")
    wi.add_argument("--auth-flow", metavar="F",
                    help="deviceCodeFlow or authenticationTransfer (default: neither, an ordinary sign-in)")
    wi.add_argument("--device", metavar="KEY=VALUE", action="append", default=None,
                    help="a device property for device filters, e.g. isCompliant=True (repeatable; "
                         "none: an unregistered device)")
    wi.add_argument("--json", action="store_true", help="JSON output (CONTRACTS 3)")
    add_allow_partial(wi)
    wi.add_argument("--compare-server", action="store_true",
                    help="live tenants: also ask Microsoft Graph What If and show where it disagrees")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.compare_server:
        return _compare(args, out, err)
    from ztconsole.gcpause import gc_paused

    with gc_paused():  # modules and classes that live as long as the process (see the ca_data module)
        from ztconsole.engine.whatif import Context, what_if
    tenant, missing = load_ca(args, err)
    ctx = Context.from_tenant(tenant)
    result = what_if(tenant.ca_policies, scenario_of(args, ctx), ctx)
    if args.json:
        print_json(out, result.to_json(), missing)
    else:
        print_text(out, _text(result), missing)
    return exitcodes.OK


def scenario_of(args: argparse.Namespace, ctx: Any) -> Any:
    """The scenario of the whatif options (UsageError naming the option for anything unusable)."""
    from ztconsole.commands.whatif_input import resolve_scenario
    from ztconsole.engine.device_filter import DeviceInputError

    try:
        return resolve_scenario(
            ctx, user=args.user, app=args.app, user_action=args.user_action, auth_context=args.auth_context,
            client_app=args.client_app, platform=args.platform, ip=args.ip, country=args.country,
            sign_in_risk=args.sign_in_risk, user_risk=args.user_risk, device=args.device,
            compliant_network=args.compliant_network, auth_flow=args.auth_flow)
    except DeviceInputError as e:
        text = clean(e)
        raise UsageError(text if text.startswith("--device") else "--device: " + text) from None
    except ValueError as e:
        raise UsageError(str(e)) from None


def _compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The local result and Graph's What If for the same sign-in, side by side."""
    from ztconsole.engine.compare import compare, evaluate_request
    from ztconsole.engine.whatif import Context, what_if
    from ztconsole.model.ca import WhatIfAnalysisResult
    from ztconsole.model.wire import parse_items

    if recording(args) is not None:
        raise UsageError("--compare-server needs a live tenant (Microsoft Graph evaluates the policies it holds, "
                         "not a recording)")

    async def ask(stack: Any, tenant: Any) -> Any:
        missing = answerable(args, tenant, CA_USES, err, CA_NOTES)
        ctx = Context.from_tenant(tenant, break_glass=tenant.info.break_glass)
        scenario = scenario_of(args, ctx)
        local = what_if(tenant.ca_policies, scenario, ctx)
        raw = await stack.readers["graph"].evaluate(evaluate_request(scenario))
        return local, raw, missing

    _, (local, raw, missing) = load_source(args, err, keys=CA_KEYS, after=ask)
    server, problems = parse_items(WhatIfAnalysisResult, raw)
    for problem in problems:
        err.write(f"ztconsole whatif: warning: a What If answer item could not be read: {clean(problem)}\n")
    comparison = compare(local.to_json(), server)
    if args.json:
        print_json(out, {**local.to_json(), "compareServer": comparison.to_json()}, missing)
        return exitcodes.OK
    lines = _text(local)
    lines.append("")
    agree = len(comparison.policies) - len(comparison.disagreements)
    lines.append(f"Microsoft Graph What If: {agree} policies judged the same, "
                 f"{len(comparison.disagreements)} differently.")
    for d in comparison.disagreements:
        here = "applies" if d.local_applies else "does not apply"
        there = "applies" if d.server_applies else "does not apply"
        why = ", ".join(d.server_reasons) or "no reason given"
        lines.append(f"  {d.display_name}: locally {here}; Graph says it {there} ({why})")
        lines.extend(f"      local: {r}" for r in d.local_reasons)
    print_text(out, lines, missing)
    return exitcodes.OK


def _requirements(requirements: Sequence[Sequence[str]]) -> str:
    if not requirements:
        return "none"
    parts = [alt[0] if len(alt) == 1 else "(" + " OR ".join(alt) + ")" for alt in requirements]
    return " AND ".join(parts)


def _session(session: Any) -> str:
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


def _text(result: Any) -> list[str]:
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
    ]
    if sc.get("authFlow"):
        lines.append(f"  authentication flow {sc['authFlow']}")
    lines.append("")
    order = {"enabled": 0, "enabledForReportingButNotEnforced": 1}
    policies = sorted(enumerate(result.policies),
                      key=lambda ip: (not ip[1].applies, order.get(ip[1].state, 2), ip[0]))
    rows = [(p.display_name, STATE_NAMES.get(p.state, p.state), "yes" if p.applies else "no", list(p.reasons) or [""])
            for _, p in policies]
    lines += table(("POLICY", "STATE", "APPLIES", "WHY"), rows, wrap_last=True, limits=(60, 0, 0, 0))
    lines += [
        "",
        f"Decision:     {result.decision}",
        f"Requirements: {_requirements(result.requirements)}",
        f"Session:      {_session(result.session)}",
    ]
    names = {p.id: p.display_name for p in result.policies}
    if result.report_only:
        lines.append(f"Report-only policies that would apply: {', '.join(names[i] for i in result.report_only)}")
    return lines
