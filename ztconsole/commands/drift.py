"""``ztconsole drift --baseline DIR``: what changed since a baseline tenant directory (CONTRACTS §5c) —
policies, exclusions, states, segments, rules, field by field, most dangerous first — and the findings that
newly fail (``assess`` on both sides)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import SourceUnreadable, UsageError
from ztconsole.commands.source import (
    add_allow_partial,
    add_source,
    check_settings,
    load_source,
    print_json,
    print_text,
    source_args,
)

if TYPE_CHECKING:
    from ztconsole.engine.checks import Finding
    from ztconsole.engine.drift import Change
    from ztconsole.model.completeness import Incomplete
    from ztconsole.model.tenant import Tenant

NAME = "drift"
#: changes listed in the human output (``--json`` lists all)
SHOWN = 60


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="what changed since a baseline tenant directory, most dangerous first")
    p.add_argument("--baseline", required=True, metavar="DIR", type=Path,
                   help="an earlier tenant directory (ztconsole snapshot) to compare with")
    add_source(p)
    p.add_argument("--json", action="store_true", help="JSON output (CONTRACTS §5c)")
    add_allow_partial(p)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.gcpause import gc_paused

    with gc_paused():  # modules that live as long as the process
        from ztconsole.engine.checks import REGISTRY, CheckContext, run_all
        from ztconsole.engine.drift import USES, compare
        from ztconsole.tenantdir import load_tenant

    if not args.baseline.is_dir():
        raise UsageError(f"--baseline {args.baseline}: not a directory")
    uses = tuple(dict.fromkeys((*USES, *(k for check in REGISTRY for k in check.datasets))))
    with gc_paused():
        baseline = load_tenant(args.baseline, keys=list(uses))
    current = load_source(args, err, keys=uses)
    missing = _incomplete(args, baseline, current, USES, err)

    changes = compare(baseline, current)
    settings = check_settings(args)  # the same limits on both sides, as assess has them
    with gc_paused():  # the checks build many objects and little cyclic garbage (as the loaders do)
        before = run_all(CheckContext(baseline, settings=settings, source_args=("--tenant-dir", str(args.baseline))))
        after = run_all(CheckContext(current, settings=settings, source_args=source_args(args)))
    failing_before = {(f.check, f.resource.id) for f in before if f.status == "fail"}
    failing_after = {(f.check, f.resource.id) for f in after if f.status == "fail"}
    # a check not judged on one side (its data incomplete there, or it failed) is compared on neither:
    # what it says on the other side is not "newly" anything
    unjudged = _unjudged(baseline, before) | _unjudged(current, after)
    newly_failing = sorted(x for x in failing_after - failing_before if x[0] not in unjudged)
    newly_passing = sorted(x for x in failing_before - failing_after if x[0] not in unjudged)

    if args.json:
        print_json(out, {
            "baseline": {"path": str(args.baseline), "capturedAt": _when(baseline)},
            "current": {"capturedAt": _when(current)},
            "changes": [c.to_json() for c in changes],
            "findings": {"newlyFailing": [{"check": c, "resourceId": r} for c, r in newly_failing],
                         "newlyPassing": [{"check": c, "resourceId": r} for c, r in newly_passing]},
        }, missing)
    else:
        print_text(out, _text(args.baseline, baseline, current, changes, newly_failing, newly_passing), missing)
    return exitcodes.OK


def _incomplete(args: argparse.Namespace, baseline: Tenant, current: Tenant, uses: tuple[str, ...],
                err: TextIO) -> list[Incomplete]:
    """The data sets a drift compares that either side did not read completely (CONTRACTS §2): a change
    seen against a partial read would be a guess. The baseline's are named ``baseline: <data set>``."""
    from dataclasses import replace

    from ztconsole.model.completeness import incomplete
    from ztconsole.safetext import clean

    missing = [replace(m, data_set=f"baseline: {m.data_set}") for m in incomplete(baseline, uses)]
    missing += incomplete(current, uses)
    for item in missing:
        err.write(f"ztconsole drift: {item.data_set} is {item.status}: {clean(item.message)}\n")
    if missing and not args.allow_partial:
        raise SourceUnreadable("no answer on incomplete data; --allow-partial answers anyway, marked as incomplete")
    return missing


def _unjudged(tenant: Tenant, findings: list[Finding]) -> set[str]:
    """The checks that did not judge ``tenant``: some data set they use is not ``ok``, or they erred."""
    from ztconsole.engine.checks import REGISTRY
    from ztconsole.model.completeness import incomplete

    out = {check.id for check in REGISTRY if incomplete(tenant, check.datasets)}
    return out | {f.check for f in findings if f.status == "error"}


def _when(tenant: Tenant) -> str | None:
    from ztconsole.model.wire import format_time

    at = tenant.info.captured_at
    return format_time(at) if at is not None else None


def _value(value: Any, limit: int = 60) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value) or "(empty)"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text(path: Path, baseline: Tenant, current: Tenant, changes: list[Change],
          newly_failing: list[tuple[str, str]], newly_passing: list[tuple[str, str]]) -> list[str]:
    lines = [f"Drift since {path} (captured {_when(baseline) or 'at an unknown time'})"
             f" to {current.info.display_name} ({_when(current) or 'now'})"]
    counts = {s: sum(1 for c in changes if c.severity == s) for s in ("high", "medium", "low")}
    lines.append(f"{len(changes)} change(s): {counts['high']} high, {counts['medium']} medium, {counts['low']} low")
    lines.append("")
    for change in changes[:SHOWN]:
        lines.append(f"[{change.severity.upper()}] {change.kind} {change.action}: {_value(change.name)}")
        lines.append(f"    {change.why}")
        if change.id != change.name:
            lines.append(f"    id: {change.id}")
        for field in change.fields[:8]:
            if field.added or field.removed:
                parts = ([f"+ {_value(list(field.added))}"] if field.added else []) + (
                    [f"- {_value(list(field.removed))}"] if field.removed else [])
                lines.append(f"    {field.path}: {'; '.join(parts)}")
            else:
                lines.append(f"    {field.path}: {_value(field.before)} -> {_value(field.after)}")
        if len(change.fields) > 8:
            lines.append(f"    ... and {len(change.fields) - 8} more field(s) (--json lists all)")
    if len(changes) > SHOWN:
        lines.append(f"... and {len(changes) - SHOWN} more change(s) (--json lists all)")
    if changes:
        lines.append("")
    lines.append(f"Findings newly failing: {len(newly_failing)}")
    lines += [f"  {check}  {resource}" for check, resource in newly_failing]
    lines.append(f"Findings newly passing: {len(newly_passing)}")
    lines += [f"  {check}  {resource}" for check, resource in newly_passing]
    return [part for line in lines for part in _fit(line)]


def _fit(line: str, width: int = 80) -> list[str]:
    """One output line in an 80-column terminal: cleaned of terminal sequences first (so wrapping never
    splits one), then wrapped under its own indent."""
    import textwrap

    from ztconsole.safetext import clean

    text = clean(line)
    if len(text) <= width:
        return [text]
    indent = " " * (len(text) - len(text.lstrip(" ")))
    return textwrap.wrap(text.lstrip(" "), width=width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=True, break_on_hyphens=False) or [""]
