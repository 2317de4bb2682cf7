"""``ztconsole rollout [SOURCE] status | plan --step N | apply --step N``: the VPN-to-ZTNA rollout, headless
(CONTRACTS §9).

``status`` computes every step's status from the tenant as it is now and the rollout state kept for it in
the state directory; ``plan --step N`` gives the step's writes in the plan shape of ``policy plan``;
``apply --step N`` writes what the guards allow (``--write``; it asks first unless ``--yes``), records each
write in the audit log, reads it back, and notes the step in the rollout state. Applying a done step again
writes nothing. The bake guard is lifted only by ``--override-bake --reason TEXT`` (the reason goes to the
audit log and the state). Exit codes as ``policy``: 0 done, 1 a guard refused (or read-only, or the step
cannot be applied now: the detail says why), 2 usage, 3 the source could not be read or written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands import policy as policy_cmd
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import add_allow_partial, add_source, answerable, load_source, source_args
from ztconsole.safetext import clean
from ztconsole.wizard.runner import NOTES, READ, RECORDS, USES

NAME = "rollout"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="the VPN-to-ZTNA rollout, step by step: status, plan, apply",
                       description="The VPN-to-ZTNA rollout (CONTRACTS 9): each step's status from the tenant and "
                                   "the rollout state; a step's plan; its writes through the guards.")
    add_source(p)
    add_allow_partial(p)
    actions = p.add_subparsers(dest="rollout_command", metavar="status|plan|apply", required=True)
    status = actions.add_parser("status", help="every step's status: done, ready, blocked or pending")
    plan = actions.add_parser("plan", help="a step's writes and every guard's verdict; write nothing")
    apply = actions.add_parser("apply", help="write a step's changes that every guard allows (with --write)")
    for q in (status, plan, apply):
        q.add_argument("--json", action="store_true", help="JSON output (CONTRACTS 9)")
    for q in (plan, apply):
        q.add_argument("--step", type=int, required=q is apply, metavar="N", help="the step, 0 to 9")
        q.add_argument("--flows", metavar="FILE", type=Path, action="append", default=[],
                       help="step 2: a flow CSV (src,dst,port,proto[,count]) of what the VPN carries (repeatable)")
        q.add_argument("--discovery", metavar="FILE", type=Path, action="append", default=[],
                       help="step 2: the Global Secure Access application discovery export, CSV (repeatable)")
        q.add_argument("--assign", metavar="USER|GROUP", action="append", default=[],
                       help="step 4: a user (id or UPN) or group (id or name) to assign to each new app (repeatable; "
                            "default: whoever is assigned to Quick Access)")
        q.add_argument("--connector-group", metavar="NAME",
                       help="step 3: the connector group (id or name) of the new apps (default: the one serving most "
                            "apps among those with two active connectors)")
    apply.add_argument("--write", action="store_true", help="write (default: read-only, nothing is written)")
    apply.add_argument("--yes", action="store_true", help="do not ask before writing")
    apply.add_argument("--override-bake", action="store_true",
                       help="enforce a policy that has not baked its days in report-only (needs --reason)")
    apply.add_argument("--reason", metavar="TEXT", help="why (with --override-bake; kept in the audit log)")
    apply.add_argument("--audit-log", metavar="FILE", type=Path, help=argparse.SUPPRESS)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.wizard.steps import STEPS

    step = getattr(args, "step", None)
    if step is not None and not 0 <= step < len(STEPS):
        raise UsageError(f"--step must be 0 to {len(STEPS) - 1}; got {step}")
    if getattr(args, "override_bake", False) and not (args.reason or "").strip():
        raise UsageError("--override-bake needs --reason TEXT (it goes to the audit log)")
    if args.rollout_command == "plan" and step is None:
        raise UsageError("plan needs --step N")
    writes = args.rollout_command == "apply" and policy_cmd.writes_allowed(args)
    flows = _evidence(args, err)

    async def work(stack: Any, tenant: Any) -> tuple[Any, Any, list[Any], int, Any]:
        from ztconsole.commands.ca_data import now
        from ztconsole.wizard import state as wstate
        from ztconsole.wizard.runner import has_work, plan_step
        from ztconsole.wizard.steps import RolloutContext, statuses

        missing = answerable(args, tenant, USES, err, notes=NOTES)
        graph = stack.readers["graph"]
        arm = stack.readers.get("arm")
        ctx = RolloutContext(tenant, wstate.load(tenant.info.id), now=now(args, tenant), graph_url=graph.graph_url,
                             bake_days=policy_cmd.bake_days(args), source_args=source_args(args),
                             override_bake=args.reason if getattr(args, "override_bake", False) else None,
                             flows=flows, arm_url=getattr(arm, "arm_url", "https://management.azure.com"),
                             assign=tuple(getattr(args, "assign", ()) or ()),
                             connector_group=getattr(args, "connector_group", None))
        found = statuses(ctx)
        if step is None:
            return found, None, missing, exitcodes.OK, tenant.info
        info = STEPS[step]
        earlier = next((s for s in found[:step] if s.status != "done"), None)
        if args.rollout_command == "apply" and earlier is not None:
            err.write(f"ztconsole rollout apply: step {step} waits for step {earlier.step} ({earlier.id}): "
                      f"{clean(earlier.detail)}\n")
            return found, None, missing, exitcodes.FINDINGS, tenant.info
        if info.id == "inventory" and args.rollout_command == "apply" and not ctx.evidence:
            raise UsageError("step 2 records the apps the traffic justifies, and there is none: the Global Secure "
                             "Access traffic log has no Private Access traffic; give --flows FILE or --discovery FILE")
        plan = plan_step(ctx, info.id)
        code = exitcodes.OK
        if writes and has_work(info.id, plan) and (args.yes or policy_cmd.confirmed(plan, err)):
            code = await _apply(args, ctx, info.id, plan, stack, err)
        return found, plan, missing, code, tenant.info

    _, (found, plan, missing, code, info) = load_source(args, err, keys=READ, after=work)
    if plan is None:
        if args.json:
            from ztconsole.commands.source import print_json

            doc = {"tenant": {"id": info.id, "displayName": info.display_name},
                   "steps": [s.to_json() for s in found]}
            print_json(out, doc, missing)
        else:
            out.write(render_status(found))
        return int(code)
    from ztconsole.commands.source import recording
    from ztconsole.wizard.runner import has_work

    applying = args.rollout_command == "apply"
    assert step is not None  # a plan is made for one step
    work_left = has_work(STEPS[step].id, plan)
    return policy_cmd.finish(plan, out, err, prog="ztconsole rollout apply", as_json=args.json, missing=missing,
                             writes=writes, pending=applying and work_left, to_write=work_left if applying else None,
                             code=code, in_memory=recording(args) is not None and STEPS[step].id not in RECORDS)


async def _apply(args: argparse.Namespace, ctx: Any, step_id: str, plan: Any, stack: Any, err: TextIO) -> int:
    """The step's writes (shared with the console), read back and re-planned."""
    from ztconsole.actions.audit import AuditLog
    from ztconsole.sources.loader import Loader
    from ztconsole.wizard.runner import apply_step

    async def reload() -> Any:
        return await Loader(stack.readers, stack.info, options=stack.options).load(list(READ))

    reason = args.reason if args.override_bake else None
    run = await apply_step(ctx, step_id, plan, stack.readers, AuditLog(args.audit_log), reason=reason, reload=reload)
    for failure in run.failures:
        err.write(f"ztconsole rollout apply: {clean(failure)}\n")
    if run.failures and step_id in RECORDS:
        return exitcodes.FINDINGS
    return exitcodes.SOURCE if run.failures else exitcodes.OK


def _evidence(args: argparse.Namespace, err: TextIO) -> list[Any]:
    """The traffic evidence files of step 2, parsed (a bad line is said and skipped; a file with no flow at
    all, or that cannot be read, is a usage error naming it)."""
    if not (getattr(args, "flows", None) or getattr(args, "discovery", None)):
        return []
    from ztconsole.engine.rollout.inventory import FlowFileError, parse_discovery_csv, parse_flow_csv

    flows: list[Any] = []
    for paths, parse in ((args.flows, parse_flow_csv), (args.discovery, parse_discovery_csv)):
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                raise UsageError(f"cannot read {path}: {e}") from None
            try:
                found = parse(text, str(path))
            except FlowFileError as e:
                raise UsageError(str(e)) from None
            for problem in found.problems:
                err.write(f"ztconsole rollout: warning: {clean(str(problem))}\n")
            flows.extend(found.flows)
    return flows


def render_status(found: list[Any]) -> str:
    """One line per step: number, status, title; the detail under it."""
    lines = []
    for s in found:
        lines.append(f"{s.step}  {s.status:<8} {s.title}")
        lines.append(f"             {clean(s.detail)}")
    return "\n".join(lines) + "\n"
