"""Load the large tenant through the full adapter stack and straight from its directory, in one run.

The stack: the built-in emulator in process, the real msgraph-sdk and azure-mgmt-network adapters on one
httpx transport, the loader building the model. The reference: the same directory read by the tenant
directory reader. Targets (issue #4): the stack <= 3x the reference, and under 8 s on this 2-core machine.
The floor (issue #11), printed too: `json.loads` of every file of the directory with the cyclic garbage
collector paused, as every reader of tenant data pauses it (benchmarks/bench_load.py measures it the same
way).

    .venv/bin/python benchmarks/bench_stack.py [--dir DIR] [--page-size N]
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DIRECT = r"""
import sys, time
t = time.perf_counter()
from ztconsole.tenantdir import load_tenant
tenant = load_tenant(sys.argv[1])
secs = time.perf_counter() - t
bad = {k: r.status for k, r in tenant.results.items() if r.status != "ok"}
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(repr({"seconds": secs, "peak_kb": peak, "bad": bad,
            "items": sum(r.count for r in tenant.results.values())}))
"""

STACK = r"""
import asyncio, sys, time
t = time.perf_counter()
from ztconsole.sources.stack import RecordingSource
tenant = asyncio.run(RecordingSource(sys.argv[1], page_size=int(sys.argv[2])).aload())
secs = time.perf_counter() - t
bad = {k: (r.status, r.message) for k, r in tenant.results.items() if r.status != "ok"}
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(repr({"seconds": secs, "peak_kb": peak, "bad": bad,
            "items": sum(r.count for r in tenant.results.values())}))
"""


FLOOR = r"""
import gc, json, os, sys, time
gc.disable()
t = time.perf_counter()
for dirpath, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".json"):
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                json.loads(fh.read())
secs = time.perf_counter() - t
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(repr({"seconds": secs, "peak_kb": peak}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a generated large tenant to reuse (else one is generated)")
    ap.add_argument("--page-size", type=int, default=999,
                    help="emulator page size (default 999, Graph's usual maximum $top)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-stack-"))
    try:
        if not (work / "tenant.toml").exists():
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work),
                            "--scale", "large", "--force"], check=True, stdout=subprocess.DEVNULL)
        floor = child(FLOOR, str(work))
        direct = child(DIRECT, str(work))
        stack = child(STACK, str(work), str(args.page_size))
        print(f"tenant: {work} ({direct['items']:,} items)")
        print(f"floor (json.loads, GC paused): {floor['seconds']:6.2f} s, peak RSS {floor['peak_kb'] / 1024:,.0f} MB")
        print(f"directory reader (reference): {direct['seconds']:6.2f} s, peak RSS "
              f"{direct['peak_kb'] / 1024:,.0f} MB  ({direct['seconds'] / floor['seconds']:.2f}x the floor)")
        print(f"full adapter stack:           {stack['seconds']:6.2f} s, peak RSS "
              f"{stack['peak_kb'] / 1024:,.0f} MB  ({stack['seconds'] / direct['seconds']:.2f}x the "
              f"reference, {stack['seconds'] / floor['seconds']:.2f}x the floor; targets <= 3x the reference and "
              f"< 8 s)")
        if stack["items"] != direct["items"]:
            print(f"WARNING: the stack read {stack['items']:,} items, the directory {direct['items']:,}")
        if stack["bad"]:
            print(f"WARNING: data sets not ok through the stack: {stack['bad']}")
        return 0
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
