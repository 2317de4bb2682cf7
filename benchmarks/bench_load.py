"""Generate the large synthetic tenant, then load it from its directory (JSON + model), against the floor.

Targets (issues #3 and #11): `generate --scale large` under 60 s; loading under 6 s and at most 1.6x the
fair floor, with peak RSS under 500 MB.

The floor is what any loader of the same files pays to decode them: `json.loads` of every file with the
cyclic garbage collector paused, as the loader pauses it (ztconsole/gcpause.py). With the collector on,
`json.loads` spends over half its time in collections, so a reference measured that way flatters any
loader that pauses it. The loader decodes with msgspec, whose own floor (`msgspec.json.decode` of every
file, collector paused) is printed too: it shows how much of the load is building the model.

This machine is shared and noisy: the floors and the load run in alternation, each in a fresh process,
`--rounds` times, and the best run of each is compared (wall time; CPU time is printed beside it). The
load's time includes importing ztconsole (printed apart); the floors import only their decoder. Each child
runs with its byte code cached (in a private ``PYTHONPYCACHEPREFIX``, written by a warm-up load that is not
counted), as an installed package has it: ``PYTHONDONTWRITEBYTECODE`` would make every load compile
ztconsole's sources again. ``--baseline TREE`` loads with the ztconsole of another checkout too, in the same
rounds (e.g. the last commit: ``mkdir /tmp/before && git archive HEAD | tar -x -C /tmp/before``).

    .venv/bin/python benchmarks/bench_load.py [--dir DIR] [--scale large] [--rounds 5] [--keep] [--baseline TREE]
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEAK = 'next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))'

CHILD_LOAD = r"""
import sys, time
t, c = time.perf_counter(), time.process_time()
from ztconsole.tenantdir import load_tenant
imported = time.perf_counter() - t
tenant = load_tenant(sys.argv[1])
secs, cpu = time.perf_counter() - t, time.process_time() - c
bad = {k: r.status for k, r in tenant.results.items() if r.status not in ("ok",)}
counts = {k: r.count for k, r in tenant.results.items()}
module = sys.modules["ztconsole"].__file__
print(repr({"seconds": secs, "cpu": cpu, "import": imported, "peak_kb": PEAK, "bad": bad, "counts": counts,
            "module": module}))
""".replace("PEAK", PEAK)

# The floors: every JSON file of the directory decoded whole, the collector paused as the loader pauses it.
CHILD_FLOOR = r"""
import gc, os, sys, time
decoder = sys.argv[2]
if decoder == "msgspec":
    import msgspec
    decode, mode, enc = msgspec.json.decode, "rb", None
else:
    import json
    decode, mode, enc = json.loads, "r", "utf-8"
gc.disable()
t, c = time.perf_counter(), time.process_time()
n = 0
for dirpath, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".json"):
            with open(os.path.join(dirpath, f), mode, encoding=enc) as fh:
                decode(fh.read())
            n += 1
secs, cpu = time.perf_counter() - t, time.process_time() - c
print(repr({"seconds": secs, "cpu": cpu, "peak_kb": PEAK, "files": n}))
""".replace("PEAK", PEAK)


def child(code: str, *args: str, env: dict[str, str], cwd: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd)
    if out.returncode:
        sys.exit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """The fastest run (wall time), with the lowest CPU time and peak RSS seen over all runs."""
    top = dict(min(runs, key=lambda r: r["seconds"]))
    top["cpu"] = min(r["cpu"] for r in runs)
    top["peak_kb"] = min(r["peak_kb"] for r in runs)
    return top


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="use (or create) this directory instead of a temporary one")
    ap.add_argument("--scale", default="large")
    ap.add_argument("--rounds", type=int, default=5, help="runs of each measurement, in alternation (best kept)")
    ap.add_argument("--keep", action="store_true", help="keep the generated directory")
    ap.add_argument("--baseline", type=Path, metavar="TREE",
                    help="also load with the ztconsole of another checkout, in the same rounds")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="ztc-load-")  # the children's working directory and byte-code cache
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["PYTHONPYCACHEPREFIX"] = f"{home}/pycache"
    base_env = {**env, "PYTHONPATH": str(args.baseline.resolve())} if args.baseline else None

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
        floor_runs: list[dict] = []
        fast_runs: list[dict] = []
        load_runs: list[dict] = []
        base_runs: list[dict] = []
        child(CHILD_LOAD, str(work), env=env, cwd=home)  # warm-up: writes the byte code
        if base_env is not None:
            first = child(CHILD_LOAD, str(work), env=base_env, cwd=home)
            if not first["module"].startswith(str(args.baseline.resolve())):
                sys.exit(f"the baseline loaded ztconsole from {first['module']}, not from {args.baseline}")
        for _ in range(max(1, args.rounds)):
            floor_runs.append(child(CHILD_FLOOR, str(work), "json", env=env, cwd=home))
            fast_runs.append(child(CHILD_FLOOR, str(work), "msgspec", env=env, cwd=home))
            load_runs.append(child(CHILD_LOAD, str(work), env=env, cwd=home))
            if base_env is not None:
                base_runs.append(child(CHILD_LOAD, str(work), env=base_env, cwd=home))
        floor, fast, load = best(floor_runs), best(fast_runs), best(load_runs)
        ratio = load["seconds"] / floor["seconds"]

        def line(label: str, r: dict, note: str = "") -> str:
            return (f"{label:34s} {r['seconds']:6.2f} s (CPU {r['cpu']:5.2f} s), peak RSS "
                    f"{r['peak_kb'] / 1024:5,.0f} MB{note}")

        print(f"tenant: {work} ({files:,} files, {size / 1e6:,.0f} MB of JSON); best of {len(load_runs)} runs; "
              f"ztconsole from {Path(load['module']).parent}")
        if gen is not None:
            print(f"generate --scale {args.scale}: {gen:6.2f} s  (target < 60 s; "
                  f"{gen / floor['seconds']:.1f}x the floor)")
        print(line("floor: json.loads, GC paused", floor, "  (1x)"))
        print(line("floor: msgspec.json, GC paused", fast, f"  ({fast['seconds'] / floor['seconds']:.2f}x)"))
        print(line("load (json + model)", load, f"  ({ratio:.2f}x the floor, CPU {load['cpu'] / floor['cpu']:.2f}x; "
                   f"{load['seconds'] / fast['seconds']:.2f}x msgspec's; importing ztconsole "
                   f"{load['import']:.2f} s)"))
        if base_runs:
            base = best(base_runs)
            print(line("baseline load", base, f"  ({base['seconds'] / floor['seconds']:.2f}x the floor, CPU "
                       f"{base['cpu'] / floor['cpu']:.2f}x; importing ztconsole {base['import']:.2f} s; "
                       f"{args.baseline})"))
            if base["counts"] != load["counts"] or base["bad"] != load["bad"]:
                print("WARNING: the baseline read different counts or statuses")
        print(f"targets: load < 6 s, <= 1.6x the floor, peak RSS < 500 MB: "
              f"{'met' if load['seconds'] < 6 and ratio <= 1.6 and load['peak_kb'] < 500 * 1024 else 'MISSED'}")
        if load["bad"]:
            print(f"WARNING: data sets not ok: {load['bad']}")
        big = sorted(load["counts"].items(), key=lambda kv: -kv[1])[:8]
        print("largest data sets: " + ", ".join(f"{k} {v:,}" for k, v in big))
        return 0
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
