"""Full ``assess`` on the large generated tenant, timed per phase, against the floor of reading its files.

Target (issue #12): ``ztconsole assess`` of the large tenant (load, every check, maturity, JSON) under 10 s.

Each round runs, in alternation, each in a fresh process (this machine is shared and noisy):

* the floor: ``json.loads`` of every file of the tenant directory with the cyclic garbage collector
  paused, as ``bench_load.py`` measures it (what any reader of the same files pays);
* ``ztconsole assess --tenant-dir DIR --format json`` as a user runs it (``python -m ztconsole``), timed from
  outside: interpreter start, imports, load, checks, maturity, rendering, writing;
* the same steps in process, through the same calls the command makes (``load_source`` with the data sets
  the catalogue reads, ``run_check`` for every check of the registry with the cyclic collector paused, as the
  command runs them, ``assess_maturity``, ``render``), each phase timed (wall clock and CPU), every check
  apart (the ten slowest are printed).

The medians of ``--rounds`` rounds are printed, with the ratio to the floor. The in-process run must give
the findings the command gives (exit 1 otherwise).

    .venv/bin/python benchmarks/bench_assess.py [--dir DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD_FLOOR = r"""
import gc, json, os, sys, time
gc.disable()
t, c = time.perf_counter(), time.process_time()
n = 0
for dirpath, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".json"):
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                json.loads(fh.read())
            n += 1
print(repr({"seconds": time.perf_counter() - t, "cpu": time.process_time() - c, "files": n}))
"""

CHILD_PHASES = r"""
import io, sys, time
t0, c0 = time.perf_counter(), time.process_time()
marks = {}
def mark(name, since):
    now = (time.perf_counter(), time.process_time())
    marks[name] = (now[0] - since[0], now[1] - since[1])
    return now
from datetime import UTC, datetime
from ztconsole.cli import build_parser
from ztconsole.commands.source import check_settings, load_source, recording, source_args
from ztconsole.gcpause import gc_paused
with gc_paused():
    from ztconsole.engine.checks import REGISTRY, CheckContext
    from ztconsole.engine.checks.base import run_check
    from ztconsole.engine.maturity import assess_maturity
    from ztconsole.model.completeness import incomplete
    from ztconsole.report.base import Assessment
from ztconsole.report import render
args = build_parser().parse_args(["assess", "--tenant-dir", sys.argv[1], "--format", "json", "--fail-on", "none"])
at = mark("import", (t0, c0))
settings = check_settings(args)
keys = tuple(dict.fromkeys(k for check in REGISTRY for k in check.datasets))
tenant = load_source(args, io.StringIO(), keys=keys, break_glass_sign_ins=True)
at = mark("load", at)
ctx = CheckContext(tenant, settings=settings, source_args=source_args(args))
checks = {}
findings = []
with gc_paused():  # as the command runs the checks
    for check in REGISTRY:
        w, c = time.perf_counter(), time.process_time()
        findings += run_check(check, ctx)
        checks[check.id] = (time.perf_counter() - w, time.process_time() - c)
at = mark("checks", at)
maturity = assess_maturity(findings)
at = mark("maturity", at)
rec = recording(args)
assessment = Assessment(tenant_id=tenant.info.id, tenant_name=tenant.info.display_name or tenant.info.id,
                        source=rec[1], generated_at=datetime.now(UTC), findings=tuple(findings),
                        maturity=maturity, checks=REGISTRY, incomplete=tuple(incomplete(tenant, keys)),
                        fail_on="none")
text = render("json", assessment)
at = mark("render", at)
marks["total"] = (time.perf_counter() - t0, time.process_time() - c0)
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    fh.write(text)
print(repr({"marks": marks, "checks": checks, "findings": len(findings)}))
"""


def child(code: str, *argv: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def cli(tenant: Path, out: Path) -> tuple[float, float]:
    """``ztconsole assess`` as a user runs it: wall clock and the children's CPU time."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    got = subprocess.run([sys.executable, "-m", "ztconsole", "assess", "--tenant-dir", str(tenant), "--format",
                          "json", "--fail-on", "none", "--output", str(out)], capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if got.returncode not in (0, 1):
        sys.exit(f"ztconsole assess failed ({got.returncode}):\n{got.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def findings_digest(path: Path) -> str:
    """The findings of a JSON report (``generated_at`` and the like left out)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return hashlib.sha256(json.dumps(doc["findings"], sort_keys=True).encode()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a generated large tenant to reuse (else one is generated)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds in alternation (default 3; medians)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-assess-"))
    scratch = Path(tempfile.mkdtemp(prefix="ztc-assess-out-"))
    try:
        if not (work / "tenant.toml").exists():
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale",
                            "large", "--force"], check=True, stdout=subprocess.DEVNULL)
        floors: list[dict] = []
        clis: list[tuple[float, float]] = []
        runs: list[dict] = []
        digests: dict[str, set[str]] = {"cli": set(), "phases": set()}
        for rnd in range(args.rounds):
            order = ["floor", "cli", "phases"]
            if rnd % 2:
                order.reverse()
            for what in order:
                if what == "floor":
                    floors.append(child(CHILD_FLOOR, str(work)))
                elif what == "cli":
                    clis.append(cli(work, scratch / "cli.json"))
                    digests["cli"].add(findings_digest(scratch / "cli.json"))
                else:
                    runs.append(child(CHILD_PHASES, str(work), str(scratch / "phases.json")))
                    digests["phases"].add(findings_digest(scratch / "phases.json"))
            print(f"round {rnd + 1}: floor {floors[-1]['seconds']:.2f} s, ztconsole assess {clis[-1][0]:.2f} s, "
                  f"in process {runs[-1]['marks']['total'][0]:.2f} s", flush=True)

        med = statistics.median
        floor_w, floor_c = med(f["seconds"] for f in floors), med(f["cpu"] for f in floors)
        cli_w, cli_c = med(w for w, _ in clis), med(c for _, c in clis)
        print(f"\n{args.rounds} rounds in alternation, medians; {runs[-1]['findings']:,} findings, "
              f"{floors[-1]['files']:,} files")
        print(f"{'what':<44} {'wall':>8} {'CPU':>8} {'/ floor':>8}")
        print(f"{'floor: json.loads of every file, GC paused':<44} {floor_w:7.2f}s {floor_c:7.2f}s {1:7.2f}x")
        print(f"{'ztconsole assess --format json (target < 10 s)':<44} {cli_w:7.2f}s {cli_c:7.2f}s "
              f"{cli_w / floor_w:7.2f}x")
        for phase in ("import", "load", "checks", "maturity", "render", "total"):
            w = med(r["marks"][phase][0] for r in runs)
            c = med(r["marks"][phase][1] for r in runs)
            print(f"{'  in process: ' + phase:<44} {w:7.2f}s {c:7.2f}s {w / floor_w:7.2f}x")
        per = {cid: (med(r["checks"][cid][0] for r in runs), med(r["checks"][cid][1] for r in runs))
               for cid in runs[0]["checks"]}
        print("\nslowest checks (median wall, CPU):")
        for cid, (w, c) in sorted(per.items(), key=lambda kv: -kv[1][0])[:10]:
            print(f"  {cid:<14} {w:7.3f}s {c:7.3f}s")
        same = all(len(d) == 1 for d in digests.values())
        print(f"\nsame findings in every run of each: {same}; the in-process run's equal the command's: "
              f"{digests['cli'] == digests['phases']}")
        return 0 if same else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
