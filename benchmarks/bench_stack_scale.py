"""Peak memory and time of a full stack load at several tenant sizes, against the directory reader in the
same run (issue #11: the stack's peak RSS <= 450 MB on the large tenant, and linear in the tenant's size).

Each figure comes from a fresh process: the stack (the built-in emulator in process, the real msgraph-sdk
and azure-mgmt-network adapters on one httpx transport, the loader), then the directory reader on the same
tenant, in alternation, ``--repeat`` times; the median time and the largest peak RSS (``VmHWM``) are shown.

    .venv/bin/python benchmarks/bench_stack_scale.py [--scales large,40000,80000] [--root DIR] [--repeat N]

Tenants are generated under ``--root`` (``ztconsole generate --scale S``) unless already there; without
``--root`` they are generated in a temporary directory and removed afterwards.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PEAK = ('peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))\n'
        'print(repr({"seconds": secs, "cpu": time.process_time() - cpu, "peak_kb": peak, "bad": bad, '
        '"items": sum(r.count for r in tenant.results.values())}))\n')

DIRECT = r"""
import sys, time
t, cpu = time.perf_counter(), time.process_time()
from ztconsole.tenantdir import load_tenant
tenant = load_tenant(sys.argv[1])
secs = time.perf_counter() - t
bad = {k: r.status for k, r in tenant.results.items() if r.status != "ok"}
""" + PEAK

STACK = r"""
import asyncio, sys, time
t, cpu = time.perf_counter(), time.process_time()
from ztconsole.sources.stack import RecordingSource
tenant = asyncio.run(RecordingSource(sys.argv[1], page_size=int(sys.argv[2])).aload())
secs = time.perf_counter() - t
bad = {k: (r.status, r.message) for k, r in tenant.results.items() if r.status != "ok"}
""" + PEAK


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def tenant_at(root: Path, scale: str) -> Path:
    work = root / scale
    if not (work / "tenant.toml").exists():
        subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale", scale,
                        "--force"], check=True, stdout=subprocess.DEVNULL)
    return work


def size_mb(work: Path) -> float:
    return sum(p.stat().st_size for p in work.rglob("*.json")) / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="large,40000,80000",
                    help="comma-separated `generate --scale` values (default large,40000,80000: 1x, 2x, 4x)")
    ap.add_argument("--root", type=Path, help="where the tenants are (or are generated); default: a temp dir")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, in alternation (default 1)")
    ap.add_argument("--page-size", type=int, default=999,
                    help="emulator page size (default 999, Graph's usual maximum $top)")
    args = ap.parse_args()
    root = args.root or Path(tempfile.mkdtemp(prefix="ztc-stack-scale-"))
    rows = []
    try:
        for scale in args.scales.split(","):
            work = tenant_at(root, scale)
            stack, direct = [], []
            for _ in range(args.repeat):
                stack.append(child(STACK, str(work), str(args.page_size)))
                direct.append(child(DIRECT, str(work)))
            s, d = stack[-1], direct[-1]
            if s["items"] != d["items"]:
                print(f"WARNING ({scale}): the stack read {s['items']:,} items, the directory {d['items']:,}")
            if s["bad"]:
                print(f"WARNING ({scale}): data sets not ok through the stack: {s['bad']}")
            rows.append((scale, size_mb(work), s["items"],
                         statistics.median(r["seconds"] for r in stack),
                         statistics.median(r["cpu"] for r in stack),
                         max(r["peak_kb"] for r in stack) / 1024,
                         statistics.median(r["seconds"] for r in direct),
                         statistics.median(r["cpu"] for r in direct),
                         max(r["peak_kb"] for r in direct) / 1024))
        base = rows[0]
        print("time: wall clock (CPU seconds of the process); ratios: the stack's to the directory reader's")
        print(f"{'scale':>8} {'JSON MB':>8} {'items':>9} | {'stack':>15} {'peak MB':>7} | {'directory':>15} "
              f"{'peak MB':>7} | {'time ratio':>16} {'RSS ratio':>9} | {'peak vs first':>13} {'items vs first':>14}")
        for scale, mb, items, s_secs, s_cpu, s_peak, d_secs, d_cpu, d_peak in rows:
            print(f"{scale:>8} {mb:8,.0f} {items:9,} | {s_secs:6.2f} s ({s_cpu:5.2f}) {s_peak:7,.0f} | "
                  f"{d_secs:6.2f} s ({d_cpu:5.2f}) {d_peak:7,.0f} | {s_secs / d_secs:6.2f}x ({s_cpu / d_cpu:5.2f}x) "
                  f"{s_peak / d_peak:8.2f}x | {s_peak / base[5]:12.2f}x {items / base[2]:13.2f}x")
        return 0
    finally:
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
