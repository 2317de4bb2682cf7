"""``ztconsole flow``: one network flow through the source subnet's NSG, its route, the Azure Firewall it
leads to and the destination subnet's NSG, with the Private Access segments that publish the destination
(CONTRACTS §5a; the engine is :mod:`ztconsole.engine.flow`)."""

from __future__ import annotations

import argparse
import ipaddress
import re
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import add_allow_partial, add_source, answerable, load_source, print_json, print_text

NAME = "flow"

#: the data sets a flow is decided with (resource groups select the gateways)
FLOW_USES = ("virtual_networks", "route_tables", "nsgs", "firewalls", "firewall_policies", "rule_collection_groups",
             "ip_groups", "resource_groups", "vnet_gateways", "applications", "app_segments", "ca_policies")
_NAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                   r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")


def add_parser(sub: Any) -> None:
    fp = sub.add_parser(NAME, help="one network flow through NSGs, Azure Firewall and Private Access")
    add_source(fp)
    fp.add_argument("--src", required=True, metavar="IP", help="the source IP address")
    fp.add_argument("--dst", required=True, metavar="IP|FQDN",
                    help="the destination IP address, or a DNS name (matched against Private Access segments only)")
    fp.add_argument("--port", required=True, metavar="N", help="the destination port (1-65535)")
    fp.add_argument("--protocol", default="tcp", metavar="P", help="tcp (default) or udp")
    fp.add_argument("--json", action="store_true", help="JSON output (CONTRACTS 5a)")
    add_allow_partial(fp)


def _inputs(args: argparse.Namespace) -> tuple[str, str, int, str]:
    try:
        src = str(ipaddress.ip_address(args.src.strip()))
    except ValueError:
        raise UsageError(f"--src: not an IP address: {args.src!r}") from None
    dst = args.dst.strip()
    try:
        dst = str(ipaddress.ip_address(dst))
    except ValueError:
        if not _NAME.match(dst) or dst.replace(".", "").isdigit():
            raise UsageError(f"--dst: not an IP address or DNS name: {args.dst!r}") from None
    text = str(args.port).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise UsageError(f"--port: not a port number (1-65535): {args.port!r}")
    protocol = str(args.protocol).strip().lower()
    if protocol not in ("tcp", "udp"):
        raise UsageError(f"--protocol: tcp or udp, not {args.protocol!r}")
    return src, dst, int(text), protocol


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    src, dst, port, protocol = _inputs(args)
    from ztconsole.gcpause import gc_paused

    with gc_paused():  # modules and classes that live as long as the process (see the ca_data module)
        from ztconsole.engine.flow import trace_flow
    tenant = load_source(args, err, keys=FLOW_USES)
    missing = answerable(args, tenant, FLOW_USES, err)
    result = trace_flow(tenant, src, dst, port, protocol)
    if args.json:
        print_json(out, result.to_json(), missing)
    else:
        print_text(out, _text(result, tenant), missing)
    return exitcodes.OK


def _wrap(text: str, indent: str, width: int = 80) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=True, break_on_hyphens=False) or [indent]


_LAYERS = {"nsg-outbound": "NSG out", "route": "Route", "firewall": "Firewall", "nsg-inbound": "NSG in"}


def _text(result: Any, tenant: Any) -> list[str]:
    lines = [f"Flow {result.src} -> {result.dst}:{result.port}/{result.protocol}", ""]
    for i, step in enumerate(result.path, 1):
        rule = f", rule {step.rule}" if step.rule else ""
        lines += _wrap(f"{i}. {_LAYERS[step.layer]}: {step.resource_name}{rule}: {step.action}", "")
        lines += _wrap(step.detail, "     ")
    if not result.path:
        lines.append("No step of the network path could be judged.")
    lines.append("")
    d = result.decided_by
    by = f" by {_LAYERS[d.layer]} {d.resource_name}" + (f" (rule {d.rule})" if d.rule else "") if d else ""
    if _is_address(result.dst):
        lines += _wrap(f"Verdict: {result.verdict.upper()}{by}", "")
    else:  # JSON says deny (CONTRACTS §5a knows allow and deny only); a person is told what it means
        lines += _wrap(f"Verdict: no network path traced to a DNS name (JSON: {result.verdict}); give --dst "
                       "the address it resolves to", "")
    lines.append("")
    if result.private_access:
        names = {p.id: p.display_name or p.id for p in tenant.ca_policies}
        lines.append("Private Access segments publishing this destination:")
        for m in result.private_access:
            lines += _wrap(f"- {m.app_name}: {m.label} (segment {m.segment_id})", "  ")
            gating = ", ".join(names.get(p, p) for p in m.policies) or "none"
            lines += _wrap(f"enabled CA policies: {gating}", "      ")
    else:
        lines.append("No Private Access segment publishes this destination and port.")
    return lines


def _is_address(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
