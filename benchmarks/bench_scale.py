"""How `gaps` scales: the evaluator context (`Context.from_tenant`) and `find_gaps` on the generated tenant at
1x, 2x and 4x (20,000, 40,000 and 80,000 users; policies, groups and locations in proportion).

Targets (issue #11): at 4x, each under 0.7 s, and time(4x) / time(1x) <= 5 for each (near-linear). The
machine is shared and noisy, so the scales are measured in alternation, ``--repeat`` rounds, each figure the
best of its rounds, and each is also printed against a reference workload measured in the same rounds: the
reference evaluator (`what_if`) judging 200 fixed plain sign-ins of the 1x tenant.

The context is built from a fresh `Tenant` over the loaded data sets each time, so the group-membership
indexes it needs are built too, as on the first analysis after loading. The last lines give a digest of the
gaps found at each scale (`to_json()`, texts, examples, users): it must not change when only speed does.

    .venv/bin/python benchmarks/bench_scale.py [--dir DIR] [--keep] [--scales large,40000,80000] [--repeat 3]

The tenants are ``DIR/<scale>`` (the layout of ``bench_stack_scale.py --root``), generated there
(``ztconsole generate --scale S``) when missing; without ``--dir`` they are generated in a temporary directory
that is removed afterwards unless ``--keep`` (generating 4x takes about a minute).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

KEYS = ["ca_policies", "named_locations", "users", "groups", "group_members", "user_member_of", "role_definitions",
        "role_assignments", "role_eligibility", "service_principals", "auth_strengths"]
REFERENCE_SIGN_INS = 200


def tenant_at(root: Path, scale: str) -> Path:
    work = root / scale
    if not (work / "tenant.toml").exists():
        print(f"generating {scale} in {work} ...", flush=True)
        subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale", scale,
                        "--force"], check=True, stdout=subprocess.DEVNULL)
    return work


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, result) of one call, the collector as in use (enabled), after a collection."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def digest(report: Any) -> str:
    doc = {"json": report.to_json(), "texts": [g.text for g in report.gaps],
           "examples": [g.example.argv() for g in report.gaps], "users": [list(g.user_ids) for g in report.gaps]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:12]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="where the tenants are, one directory per scale (generated if missing)")
    ap.add_argument("--keep", action="store_true", help="keep the tenants generated in a temporary directory")
    ap.add_argument("--scales", default="large,40000,80000",
                    help="comma-separated `generate --scale` values, the first one 1x (default large,40000,80000)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds over every scale, in alternation (default 3)")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="ztc-scale-"))
    scales = args.scales.split(",")
    try:
        from ztconsole.engine.gaps import find_gaps
        from ztconsole.engine.whatif import Context, Scenario, what_if
        from ztconsole.model.tenant import Tenant
        from ztconsole.tenantdir import load_tenant

        loaded: dict[str, Tenant] = {}
        for scale in scales:
            work = tenant_at(root, scale)
            started = time.perf_counter()
            loaded[scale] = load_tenant(work, keys=KEYS)
            t = loaded[scale]
            print(f"{scale:>8}: {len(t.users):,} users, {len(t.groups):,} groups, {len(t.ca_policies):,} policies, "
                  f"{len(t.named_locations):,} named locations (loaded in {time.perf_counter() - started:.1f} s)",
                  flush=True)

        base = loaded[scales[0]]
        base_ctx = Context.from_tenant(base, break_glass=base.info.break_glass)
        sample = [Scenario(user_id=u.id, app="All", client_app="browser", platform="windows")
                  for u in base.users[:REFERENCE_SIGN_INS]]

        def reference() -> None:
            for scenario in sample:
                what_if(base.ca_policies, scenario, base_ctx)

        best: dict[tuple[str, str], tuple[float, float]] = {}
        digests: dict[str, str] = {}

        def keep(key: tuple[str, str], wall: float, cpu: float) -> None:
            old = best.get(key)
            best[key] = (wall, cpu) if old is None else (min(old[0], wall), min(old[1], cpu))

        for round_ in range(args.repeat):
            wall, cpu, _ = timed(reference)
            keep(("reference", ""), wall, cpu)
            for scale in scales:
                t0 = loaded[scale]
                fresh = Tenant(t0.info, t0.results)  # no membership indexes yet, as after loading
                wall, cpu, ctx = timed(Context.from_tenant, fresh, break_glass=fresh.info.break_glass)
                keep(("context", scale), wall, cpu)
                wall, cpu, report = timed(find_gaps, fresh, ctx=ctx)
                keep(("gaps", scale), wall, cpu)
                digests[scale] = f"{len(report.gaps)} gap class(es), digest {digest(report)}"
                del fresh, ctx, report
            print(f"round {round_ + 1} of {args.repeat} done", flush=True)

        ref_wall, ref_cpu = best[("reference", "")]
        print(f"\nreference: the reference evaluator judging {len(sample)} plain sign-ins of the {scales[0]} tenant "
              f"({len(base.ca_policies)} policies): {ref_wall:.3f} s (CPU {ref_cpu:.3f} s)")
        print(f"{'':>8}  {'what':<22} {'wall s':>7} {'CPU s':>7} {'/ reference':>12} {'/ 1x':>6}")
        for what, label in (("context", "Context.from_tenant"), ("gaps", "find_gaps")):
            first_wall, first_cpu = best[(what, scales[0])]
            for scale in scales:
                wall, cpu = best[(what, scale)]
                print(f"{scale:>8}  {label:<22} {wall:7.3f} {cpu:7.3f} {wall / ref_wall:11.2f}x "
                      f"{wall / first_wall:5.2f}x")
            top_wall, top_cpu = best[(what, scales[-1])]
            print(f"{'':>8}  {label} time({scales[-1]}) / time({scales[0]}): {top_wall / first_wall:.2f} "
                  f"(CPU {top_cpu / first_cpu:.2f}; target <= 5); at {scales[-1]}: {top_wall:.3f} s "
                  f"(target <= 0.7 s)")
        for scale in scales:
            print(f"{scale:>8}  gaps: {digests[scale]}")
        return 0
    finally:
        if args.dir is None:
            if args.keep:
                print(f"tenants kept in {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
