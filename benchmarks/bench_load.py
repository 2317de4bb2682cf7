"""Generate the large synthetic tenant, then load it from its directory (JSON + model).

Targets (issue #3): `generate --scale large` under 60 s; loading under 6 s with peak RSS under 500 MB.
This machine is shared and noisy, so each figure is printed with a ratio against a reference measured in
the same run: a bare `json.loads` of every file of the same directory (the floor any loader pays).

    .venv/bin/python benchmarks/bench_load.py [--dir DIR] [--scale large] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD_LOAD = r"""
import sys, time
t = time.perf_counter()
from ztconsole.tenantdir import load_tenant
tenant = load_tenant(sys.argv[1])
secs = time.perf_counter() - t
bad = {k: r.status for k, r in tenant.results.items() if r.status not in ("ok",)}
counts = {k: r.count for k, r in tenant.results.items()}
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(repr({"seconds": secs, "peak_kb": peak, "bad": bad, "counts": counts}))
"""

CHILD_JSON = r"""
import json, os, sys, time
t = time.perf_counter()
n = 0
for dirpath, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".json"):
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                json.loads(fh.read())
            n += 1
secs = time.perf_counter() - t
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(repr({"seconds": secs, "peak_kb": peak, "files": n}))
"""


def child(code: str, arg: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, check=True)
    import ast

    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="use (or create) this directory instead of a temporary one")
    ap.add_argument("--scale", default="large")
    ap.add_argument("--keep", action="store_true", help="keep the generated directory")
    args = ap.parse_args()

    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-bench-"))
    try:
        if not (work / "tenant.toml").exists():
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work),
                            "--scale", args.scale, "--force"], check=True)
            gen = time.perf_counter() - t
        else:
            gen = None
        size = sum(p.stat().st_size for p in work.rglob("*.json"))
        files = sum(1 for _ in work.rglob("*.json"))
        ref = child(CHILD_JSON, str(work))
        load = child(CHILD_LOAD, str(work))
        print(f"tenant: {work} ({files:,} files, {size / 1e6:,.0f} MB of JSON)")
        if gen is not None:
            print(f"generate --scale {args.scale}: {gen:6.2f} s  (target < 60 s; "
                  f"{gen / ref['seconds']:.1f}x the json.loads reference)")
        print(f"reference json.loads:    {ref['seconds']:6.2f} s, peak RSS {ref['peak_kb'] / 1024:,.0f} MB")
        print(f"load (json + model):     {load['seconds']:6.2f} s, peak RSS {load['peak_kb'] / 1024:,.0f} MB"
              f"  (targets < 6 s, < 500 MB; {load['seconds'] / ref['seconds']:.2f}x the reference)")
        if load["bad"]:
            print(f"WARNING: data sets not ok: {load['bad']}")
        big = sorted(load["counts"].items(), key=lambda kv: -kv[1])[:8]
        print("largest data sets: " + ", ".join(f"{k} {v:,}" for k, v in big))
        return 0
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
