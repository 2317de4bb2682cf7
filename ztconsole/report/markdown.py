"""``assess --format markdown``: a report for a wiki, a pull request or a ticket. The tenant, the incomplete
data sets, the summary by area and status, the maturity with the criteria and checks that decided it, then the
failing, erring and warning findings (resource, evidence, remediation), and the skipped ones.

Tenant text is inert: cleaned of control characters (:func:`ztconsole.safetext.clean`), then every character
that is markup inline (``\\ ` * _ [ ] < > | ~ &``) is backslash-escaped, so a display name can neither format,
link, embed HTML nor break a table; each piece of text sits after a fixed prefix, so nothing a tenant writes
starts a line."""

from __future__ import annotations

import re

from ztconsole.engine.checks.base import STATUSES, Finding
from ztconsole.report.base import Assessment, rfc3339
from ztconsole.safetext import clean

__all__ = ["escape", "render"]

_MARKUP = re.compile(r"([\\`*_\[\]<>|~&])")


def escape(value: object) -> str:
    """``value`` as inert inline Markdown text on one line."""
    return _MARKUP.sub(r"\\\1", clean(value))


def _finding(f: Finding) -> list[str]:
    res = f.resource
    out = [f"### {f.status.upper()} · {f.severity} · {f.check}: {escape(f.title)}", "",
           f"- **Resource:** {escape(res.type)} {escape(res.name)}" + (f" (`{_code(res.id)}`)" if res.id else "")]
    lines = f.evidence.splitlines() or [""]
    out.append(f"- **Evidence:** {escape(lines[0])}")
    out += [f"  - {escape(line)}" for line in lines[1:] if line.strip()]
    if f.status != "pass":
        out.append(f"- **Remediation:** {escape(f.remediation)}")
    out.append(f"- **Principle:** {f.principle}")
    return [*out, ""]


def _code(value: str) -> str:
    """An id inside a code span: no backticks in it (ids have none; a hostile one loses them)."""
    return clean(value).replace("`", "'")


def render(assessment: Assessment) -> str:
    a = assessment
    out = [f"# Zero Trust assessment: {escape(a.tenant_name)}", "",
           f"- **Tenant:** {escape(a.tenant_name)} (`{_code(a.tenant_id)}`)",
           f"- **Source:** {a.source}", f"- **Generated:** {rfc3339(a.generated_at)}",
           f"- **Fails on:** {a.fail_on}", ""]
    if a.incomplete:
        out += ["> **Incomplete:** these data sets were not read completely; the checks that use them are "
                "`error` (or `skip`), never judged as if complete.", ""]
        out += [f"- `{_code(m.data_set)}`: {escape(m.status)}: {escape(m.message)}" for m in a.incomplete]
        out.append("")
    out += ["## Summary", "", "| area | " + " | ".join(STATUSES) + " |", "|---" * (len(STATUSES) + 1) + "|"]
    for area, row in a.counts().items():
        out.append(f"| {escape(area)} | " + " | ".join(str(row[s]) for s in STATUSES) + " |")
    out += ["", "## Maturity", "", "| pillar | level | decided by |", "|---|---|---|"]
    for pillar, m in a.maturity.items():
        decided = "<br>".join(
            f"{'✔' if r.holds else '✘'} {r.criterion.level}: {escape(r.criterion.text)} ("
            + ", ".join(f"{c} {s}" for c, s in r.statuses) + ")" for r in m.decided_by)
        out.append(f"| {pillar} | **{m.level}** | {decided} |")
    out.append("")
    shown = a.ordered(("fail", "error", "warn"))
    out += ["## Findings to act on", ""]
    if not shown:
        out += ["None.", ""]
    for f in shown:
        out += _finding(f)
    skipped = a.ordered(("skip",))
    if skipped:
        out += ["## Not judged (skipped)", ""]
        out += [f"- **{f.check}** {escape(f.resource.name)}: {escape(f.evidence)}" for f in skipped]
        out.append("")
    passed = a.ordered(("pass",))
    out += ["## Passed", "", f"{len(passed)} findings passed: "
            + ", ".join(dict.fromkeys(f.check for f in passed)) + "." if passed else "None.", ""]
    return "\n".join(out)
