"""``assess --format junit``: JUnit XML for CI. One ``<testsuite>`` per area, one ``<testcase>`` per finding
(name: check id and resource; classname: ``ztconsole.assess.<check id>``):

* ``fail``: a ``<failure>`` (message: the title; text: resource, evidence, remediation);
* ``error``: an ``<error>`` (the check could not judge: incomplete data or a bug);
* ``skip``: ``<skipped>`` with the reason;
* ``warn``: **passed**, its evidence in ``<system-out>`` prefixed ``WARNING``: a warning is advice (a report-only
  policy past its bake period, a wide segment), and ``assess`` never exits 1 for one, so neither does the CI
  report; the warning stays readable in the test's output;
* ``pass``: a plain testcase.

Incomplete data sets are ``<properties>`` of every suite. Every text is cleaned of control characters (XML 1.0
cannot carry them) and escaped by the serializer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ztconsole.engine.checks.base import Finding
from ztconsole.report.base import Assessment, rfc3339
from ztconsole.safetext import clean

__all__ = ["render"]


def _text(f: Finding) -> str:
    res = f.resource
    lines = [f"{f.check} {f.severity}: {f.title}", f"resource: {res.type} {res.name} ({res.id})",
             *(("evidence: " if i == 0 else "  ") + line for i, line in enumerate(f.evidence.splitlines()))]
    if f.status != "pass":
        lines.append(f"remediation: {f.remediation}")
    return "\n".join(clean(line) for line in lines)


def render(assessment: Assessment) -> str:
    a = assessment
    root = ET.Element("testsuites", name="ztconsole assess", timestamp=rfc3339(a.generated_at))
    suites: dict[str, list[Finding]] = {}
    for f in a.findings:
        suites.setdefault(a.area(f), []).append(f)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for area, findings in suites.items():
        counts = {"tests": len(findings), "failures": sum(f.status == "fail" for f in findings),
                  "errors": sum(f.status == "error" for f in findings),
                  "skipped": sum(f.status == "skip" for f in findings)}
        attrs = {"name": clean(f"{a.tenant_name}: {area}"), "timestamp": rfc3339(a.generated_at),
                 **{k: str(v) for k, v in counts.items()}}
        suite = ET.SubElement(root, "testsuite", attrs)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="tenant", value=clean(f"{a.tenant_name} ({a.tenant_id})"))
        ET.SubElement(props, "property", name="source", value=a.source)
        for m in a.incomplete:
            ET.SubElement(props, "property", name=f"incomplete:{clean(m.data_set)}",
                          value=clean(f"{m.status}: {m.message}"))
        for f in findings:
            case = ET.SubElement(suite, "testcase", name=clean(f"{f.check} {f.resource.name}"),
                                 classname=f"ztconsole.assess.{f.check}")
            if f.status == "fail":
                ET.SubElement(case, "failure", message=clean(f.title), type=f.severity).text = _text(f)
            elif f.status == "error":
                ET.SubElement(case, "error", message=clean(f.evidence.splitlines()[0] if f.evidence else f.title),
                              type="NotJudged").text = _text(f)
            elif f.status == "skip":
                ET.SubElement(case, "skipped", message=clean(f.evidence))
            elif f.status == "warn":
                ET.SubElement(case, "system-out").text = "WARNING " + _text(f)
        for k, v in counts.items():
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
