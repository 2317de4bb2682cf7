"""``ztconsole policy plan|apply [SOURCE] PATH...``: Conditional Access policies as code (CONTRACTS §8).

``plan`` reads the policy files, matches each policy to the tenant, and shows every field it changes, the
exact request apply would send and each guard's verdict, refusals first: what an admin reviews in a pull
request. ``apply`` runs the same plan and writes only what every guard allows, after a confirmation that
defaults to no (``--yes`` skips it), with a before and an after record in the audit log for each write;
each written policy is read back and compared with what was meant. Without ``--write`` (or a tenant profile
with ``read_only = false``) it writes nothing and exits 1 (guard ``read-only``).

Exit codes: 0 done (plan: computed and nothing refused), 1 a guard refused a change (nothing refused was
written), 2 invalid files or usage, 3 the source could not be read or written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ztconsole import exitcodes
from ztconsole.actions.policies import READS
from ztconsole.actions.preview import render
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import (
    add_allow_partial,
    add_source,
    answerable,
    load_source,
    recording,
    source_args,
)
from ztconsole.safetext import clean

if TYPE_CHECKING:
    from ztconsole.actions.plan import Plan

NAME = "policy"

#: the data sets a plan decides with: the policies, and the directory the break-glass guard evaluates with
USES = READS  # the policy guards' data sets


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="Conditional Access policies as code: plan and apply policy files",
                       description="Match Conditional Access policy files (Graph JSON) to the tenant, show every "
                                   "change with each guard's verdict, and apply what the guards allow.")
    actions = p.add_subparsers(dest="policy_command", metavar="plan|apply", required=True)
    for name, what in (("plan", "show the changes and every guard's verdict; write nothing"),
                       ("apply", "write what every guard allows (with --write), then read it back")):
        q = actions.add_parser(name, help=what, description=what)
        add_source(q)
        q.add_argument("paths", nargs="+", metavar="PATH", type=Path,
                       help="a policy file (a policy, an array, or a Graph list page) or a folder of them")
        q.add_argument("--enforce", action="store_true",
                       help="create new policies in their file's state (default: report-only); needs --reason")
        q.add_argument("--reason", metavar="TEXT", help="why (with --enforce; kept in the audit log)")
        q.add_argument("--json", action="store_true", help="JSON output (CONTRACTS 8)")
        add_allow_partial(q)
        if name == "apply":
            q.add_argument("--write", action="store_true", help="write (default: read-only, nothing is written)")
            q.add_argument("--yes", action="store_true", help="do not ask before writing")
            q.add_argument("--audit-log", metavar="FILE", type=Path,
                           help="the audit log (default: audit.jsonl in the state directory)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.actions.policyfiles import PolicyFilesError, read_paths

    if args.enforce and not (args.reason or "").strip():
        raise UsageError("--enforce needs --reason TEXT (why the new policies skip report-only)")
    try:
        files = read_paths(args.paths)
    except PolicyFilesError as e:
        for problem in e.problems:
            err.write(f"ztconsole policy {args.policy_command}: {clean(str(problem))}\n")
        return exitcodes.USAGE
    applying = args.policy_command == "apply"
    writes = applying and writes_allowed(args)

    async def work(stack: Any, tenant: Any) -> tuple[Plan, list[Any], int]:
        from ztconsole.actions.policies import plan_policies
        from ztconsole.actions.policyfiles import PolicyFilesError as Unmatched
        from ztconsole.commands.ca_data import now

        missing = answerable(args, tenant, USES, err)
        graph = stack.readers["graph"]
        try:
            plan = plan_policies(tenant, files, graph_url=graph.graph_url, now=now(args, tenant),
                                 bake_days=bake_days(args), enforce=args.enforce, reason=args.reason,
                                 source_args=source_args(args))
        except Unmatched as e:
            for problem in e.problems:
                err.write(f"ztconsole policy {args.policy_command}: {clean(str(problem))}\n")
            raise _Invalid from None
        code = exitcodes.OK
        if applying and writes and plan.writes and (args.yes or confirmed(plan, err)):
            code = await _apply(args, plan, graph, tenant, err)
        return plan, missing, code

    try:
        _, (plan, missing, code) = load_source(args, err, keys=USES, after=work)
    except _Invalid:
        return exitcodes.USAGE
    return finish(plan, out, err, prog="ztconsole policy apply", as_json=args.json, missing=missing, writes=writes,
                  in_memory=recording(args) is not None,
                  pending=applying, to_write=bool(plan.writes) if applying else None, code=code)


def finish(plan: Plan, out: TextIO, err: TextIO, *, prog: str, as_json: bool, missing: Any = (), writes: bool,
           pending: bool, to_write: bool | None, code: int, in_memory: bool = False) -> int:
    """Show a plan (``--json``, else :func:`render`) and give the exit code of a command that plans and may
    apply (``policy``, ``audit rollback``, ``rollout``). ``writes``: writes were allowed; ``pending``: the run
    asked to write something, so read-only is said (exit 1); ``to_write``: whether there was something to write
    (the JSON's ``written``; None for no such field); ``code``: what applying came to; ``in_memory``: the
    source is a recording (``--demo``, ``--tenant-dir``), whose writes last only as long as the process."""
    from ztconsole.commands.source import print_json

    written = writes and code == exitcodes.OK
    if as_json:
        doc = plan.to_json()
        if to_write is not None:
            doc["written"] = written and to_write
        print_json(out, doc, missing)
    else:
        out.write(render(plan, missing=missing, written=written))
    if pending and not writes:
        err.write(f"{prog}: read-only: nothing written (guard read-only); --write writes what the guards allow\n")
        return exitcodes.FINDINGS
    if in_memory and pending and written and to_write is not False:
        err.write(f"{prog}: note: a recording's writes change its in-memory emulator only: another process reads "
                  "the recording as it was (serve it with 'ztconsole emulator' to keep them)\n")
    if code != exitcodes.OK:
        return int(code)
    return exitcodes.FINDINGS if plan.refused else exitcodes.OK


class _Invalid(Exception):
    """The files do not match the tenant (an unknown id, an ambiguous name): exit 2, already said."""


def writes_allowed(args: argparse.Namespace) -> bool:
    """``--write``, or a live tenant profile with ``read_only = false``."""
    if args.write:
        return True
    if recording(args) is not None:
        return False
    from ztconsole import config as cfgmod

    cfg = cfgmod.load_config(args.config, env=os.environ)
    return not cfg.profile(getattr(args, "tenant", None)).read_only


def bake_days(args: argparse.Namespace) -> int:
    from ztconsole.commands.source import threshold_values

    days = threshold_values(args).get("report_onlybake_days")
    return int(days) if isinstance(days, int) else 14


def confirmed(plan: Plan, err: TextIO) -> bool:
    """Ask on the terminal; anything but yes (and no terminal at all) is no."""
    count = len(plan.writes)
    err.write(f"Write {count} change{'s' if count != 1 else ''} to the tenant? [y/N] ")
    err.flush()
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    return answer.strip().lower() in ("y", "yes")


async def _apply(args: argparse.Namespace, plan: Plan, graph: Any, tenant: Any, err: TextIO) -> int:
    """Write each change no guard refuses (see :func:`~ztconsole.actions.apply.apply_plan`); 3 when one failed."""
    from ztconsole.actions.apply import apply_plan
    from ztconsole.actions.audit import AuditLog

    outcomes = await apply_plan(plan, graph, AuditLog(args.audit_log), tenant_id=tenant.info.id, reason=args.reason)
    for o in outcomes:
        if o.failure is not None:
            err.write(f"ztconsole policy apply: {clean(o.change.name)}: {clean(o.failure)}\n")
    return exitcodes.SOURCE if any(o.failure is not None for o in outcomes) else exitcodes.OK
