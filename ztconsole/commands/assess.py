"""``ztconsole assess``: every check of the catalogue (CONTRACTS §6) headless, with the maturity it implies,
as ``table`` (80 columns), ``json`` (CONTRACTS §4, with §2's ``incomplete``), ``markdown``, ``junit`` or
``sarif`` (:mod:`ztconsole.report`).

``assess`` always answers (CONTRACTS §2 "Incomplete sources"): a check whose data sets were not read
completely is ``error`` (or ``skip`` when the data could not be read at all, naming the permission), each
incomplete data set is named on stderr, and the report carries them (JSON ``incomplete``).

Exit codes (CONTRACTS §2): 0 when nothing at or above ``--fail-on`` (default ``high``) failed; 1 when a finding
at or above it is ``fail``; ``--fail-on none`` never exits 1 (report only). ``warn``, ``skip``, ``pass`` and
``error`` never fail: an ``error`` is a check that could not judge, named on stderr and in the report with the
data sets not read completely, for a gate to refuse on if it wants to (JSON ``incomplete`` is not empty). 2 usage or
configuration error, 3 the source could not be read at all, 70 a bug.

Emergency access accounts: a live profile's from the config file (``break_glass_for``, which the live source
puts into the tenant's info, as ``whatif`` has them); a recording's from its ``tenant.toml``. Thresholds
(report-only bake days, the break-glass sign-in window, ...) come from the config file's ``[thresholds]`` for a
live profile, and for a recording only when ``--config`` names a file (a recording's verdicts are otherwise
reproducible anywhere); each maps to the check setting of the same name. Evidence that rests on an evaluation
carries the ``ztconsole whatif`` line that reproduces it, with this command's source options, shell-quoted.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import add_source, check_settings, load_source, recording, source_args

if TYPE_CHECKING:
    from ztconsole.report.base import Assessment

NAME = "assess"
FORMATS = ("table", "json", "markdown", "junit", "sarif")
FAIL_ON = ("critical", "high", "medium", "low", "info", "none")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="run every check headless (table, JSON, Markdown, JUnit, SARIF)",
                       description="Run every Zero Trust check of the catalogue and report the findings and the "
                                   "maturity they imply. Exit 0 nothing at or above --fail-on failed, 1 a finding "
                                   "at or above it failed, 2 usage or configuration "
                                   "error, 3 the source could not be read.")
    add_source(p)
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", choices=FAIL_ON, default="high", metavar="SEVERITY",
                   help="exit 1 when a finding of this severity or above fails: critical, high (default), medium, "
                        "low, info, or none (never)")


def assess(args: argparse.Namespace, err: TextIO) -> Assessment:
    """Load the source (the data sets the catalogue reads), run every check, derive the maturity."""
    from datetime import UTC, datetime

    from ztconsole.gcpause import gc_paused

    with gc_paused():  # modules that live as long as the process (see the ca_data module)
        from ztconsole.engine.checks import REGISTRY, CheckContext, run_all
        from ztconsole.engine.maturity import assess_maturity
        from ztconsole.model.completeness import incomplete
        from ztconsole.report.base import Assessment
    settings = check_settings(args)
    keys = tuple(dict.fromkeys(k for check in REGISTRY for k in check.datasets))
    tenant = load_source(args, err, keys=keys, break_glass_sign_ins=True)  # ZT-BG-007 reads no one else's
    with gc_paused():  # the checks build many objects and little cyclic garbage (as the loaders do)
        findings = run_all(CheckContext(tenant, settings=settings, source_args=source_args(args)))
    rec = recording(args)
    return Assessment(tenant_id=tenant.info.id, tenant_name=tenant.info.display_name or tenant.info.id,
                      source=rec[1] if rec is not None else "live", generated_at=datetime.now(UTC),
                      findings=tuple(findings), maturity=assess_maturity(findings), checks=REGISTRY,
                      incomplete=tuple(incomplete(tenant, keys)), fail_on=args.fail_on)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.report import failing, render
    from ztconsole.safetext import clean

    if args.output is not None and os.path.isdir(args.output):
        raise UsageError(f"--output {args.output}: is a directory")
    assessment = assess(args, err)
    prog = "ztconsole assess"
    for m in assessment.incomplete:
        err.write(f"{prog}: {m.data_set} is {m.status}: {clean(m.message)} (the checks that use it are not "
                  "judged)\n")
    errors = [f for f in assessment.findings if f.status == "error"]
    if errors:
        ids = ", ".join(dict.fromkeys(f.check for f in errors))
        err.write(f"{prog}: {len(errors)} finding(s) could not be judged (error): {ids}\n")
    text = render(args.format, assessment)
    if args.output is not None:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            raise UsageError(f"--output {args.output}: cannot write: {e.strerror or e}") from None
    else:
        out.write(text)
    return exitcodes.FINDINGS if failing(assessment.findings, args.fail_on) else exitcodes.OK
