"""``assess --format table``: readable in an 80-column terminal. The incomplete banner (when data sets were
not read completely), the summary by area and status, the maturity of each pillar with the checks that
decided it, then every failing, erring and warning finding (resource, evidence, remediation, wrapped), and one
line per skipped finding with its reason. Every line is cleaned of terminal sequences; none is wider than
:data:`WIDTH`."""

from __future__ import annotations

import textwrap

from ztconsole.engine.checks.base import STATUSES, Finding
from ztconsole.report.base import Assessment, rfc3339
from ztconsole.safetext import clean

__all__ = ["WIDTH", "lines", "render"]

WIDTH = 80


def _wrap(text: str, indent: int, hanging: int | None = None) -> list[str]:
    """``text`` (cleaned, each of its own lines) wrapped to :data:`WIDTH`; long words are broken."""
    out: list[str] = []
    first = " " * indent
    rest = " " * (indent if hanging is None else hanging)
    for i, raw in enumerate(str(text).splitlines() or [""]):
        out += textwrap.wrap(clean(raw), WIDTH, initial_indent=first if i == 0 else rest, subsequent_indent=rest,
                             break_on_hyphens=False) or [first.rstrip()]
    return out


REPRODUCE = "reproduce: "


def _command(line: str, indent: int) -> list[str]:
    """A shell command line (``reproduce: ztconsole whatif ...``) broken between its arguments with ``\\``
    continuations, so it still pastes as one command; an argument is never broken."""
    import shlex

    try:
        argv = shlex.split(line)
    except ValueError:
        return _wrap(REPRODUCE + line, indent, indent + 2)
    out: list[str] = []
    current = " " * indent + REPRODUCE.rstrip()
    for word in (shlex.quote(clean(a)) for a in argv):
        if len(current) + 1 + len(word) + 2 > WIDTH and current.strip() != REPRODUCE.strip():
            out.append(current + " \\")
            current = " " * (indent + 2) + word
        else:
            current += " " + word
    out.append(current)
    return out


def banner(assessment: Assessment) -> list[str]:
    if not assessment.incomplete:
        return []
    out = _wrap("INCOMPLETE: some data sets were not read completely; the checks that use them are `error` "
                "(or `skip`), never judged as if complete:", 0)
    for m in assessment.incomplete:
        out += _wrap(f"{m.data_set}: {m.status}: {m.message}", 2, 4)
    return [*out, ""]


def _summary(assessment: Assessment) -> list[str]:
    head = f"{'area':<16}" + "".join(f"{s:>8}" for s in STATUSES)
    out = ["Findings by area", head, "-" * len(head)]
    totals = dict.fromkeys(STATUSES, 0)
    for area, row in assessment.counts().items():
        out.append(f"{clean(area)[:16]:<16}" + "".join(f"{row[s]:>8}" for s in STATUSES))
        for s in STATUSES:
            totals[s] += row[s]
    out.append(f"{'total':<16}" + "".join(f"{totals[s]:>8}" for s in STATUSES))
    return out


def _maturity(assessment: Assessment) -> list[str]:
    out = ["Zero Trust maturity (traditional / advanced / optimal)"]
    for pillar, m in assessment.maturity.items():
        out.append(f"  {pillar}: {m.level.upper()}")
        for r in m.decided_by:
            mark = "ok  " if r.holds else "MISS"
            checks = ", ".join(f"{c} {s}" for c, s in r.statuses)
            out += _wrap(f"{mark} {r.criterion.level}: {r.criterion.text} ({checks})", 4, 14)
    return out


def _finding(f: Finding) -> list[str]:
    out = _wrap(f"{f.status.upper():<5} {f.severity:<8} {f.check}  {f.title}", 0, 6)
    res = f.resource
    out += _wrap(f"resource: {res.type} {res.name}" + (f" ({res.id})" if res.id and res.id != res.name else ""),
                 6, 8)
    for i, line in enumerate(f.evidence.splitlines() or [""]):
        if line.startswith(REPRODUCE):
            out += _command(line.removeprefix(REPRODUCE), 8)
        else:
            out += _wrap(("evidence: " if i == 0 else "") + line, 6 if i == 0 else 8, 8)
    if f.status != "pass":
        out += _wrap(f"fix: {f.remediation}", 6, 8)
    return out


def lines(assessment: Assessment) -> list[str]:
    """The report as lines of at most :data:`WIDTH` characters."""
    out = banner(assessment)
    out += _wrap(f"ztconsole assess: {assessment.tenant_name} ({assessment.tenant_id}), source "
                 f"{assessment.source}, {rfc3339(assessment.generated_at)}", 0, 2)
    out.append("")
    out += _summary(assessment)
    out.append("")
    out += _maturity(assessment)
    shown = assessment.ordered(("fail", "error", "warn"))
    if shown:
        out += ["", "Findings to act on (most severe first)"]
        for f in shown:
            out.append("")
            out += _finding(f)
    skipped = assessment.ordered(("skip",))
    if skipped:
        out += ["", "Not judged (skipped)"]
        for f in skipped:
            out += _wrap(f"{f.check}  {f.resource.name}: {f.evidence}", 2, 6)
    out += ["", *_wrap(_verdict(assessment), 0, 2)]
    return out


def _verdict(assessment: Assessment) -> str:
    from ztconsole.report.base import failing

    bad = failing(assessment.findings, assessment.fail_on)
    if assessment.fail_on == "none":
        return f"{len(assessment.findings)} findings; --fail-on none: never fails."
    if bad:
        return (f"{len(bad)} finding(s) failed (or could not be judged) at or above {assessment.fail_on}: "
                f"{', '.join(dict.fromkeys(f.check for f in bad))}.")
    return f"{len(assessment.findings)} findings; nothing at or above {assessment.fail_on} failed."


def render(assessment: Assessment) -> str:
    return "\n".join(lines(assessment)) + "\n"
