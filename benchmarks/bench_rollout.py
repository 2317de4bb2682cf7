"""The rollout's ten statuses and plans on the large generated tenant (what `rollout status` computes, and what the
console's Rollout pane computes after every load, in a worker thread).

No target is set for it (issue #14 gives none); the figure is printed against a reference measured in the same run
(the machine is shared and noisy): reading the same tenant directory into the model, which every command does
first.

    .venv/bin/python benchmarks/bench_rollout.py [--dir DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a generated large tenant to reuse (else one is generated)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-rollout-"))
    try:
        if not (work / "tenant.toml").exists():
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale",
                            "large", "--force"], check=True, stdout=subprocess.DEVNULL)
        from ztconsole.commands.rollout import READ
        from ztconsole.tenantdir import load_tenant
        from ztconsole.wizard.runner import plan_step
        from ztconsole.wizard.state import fresh
        from ztconsole.wizard.steps import STEPS, RolloutContext, evaluate, statuses

        loads, rollouts, every = [], [], []
        found: list[object] = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            tenant = load_tenant(work, keys=list(READ))
            loads.append(time.perf_counter() - started)
            started = time.perf_counter()
            ctx = RolloutContext(tenant, fresh(tenant.info.id), now=tenant.info.captured_at)
            found = statuses(ctx)
            for s in found:
                plan_step(ctx, s.id)  # type: ignore[attr-defined]
            rollouts.append(time.perf_counter() - started)
            started = time.perf_counter()
            ctx = RolloutContext(tenant, fresh(tenant.info.id), now=tenant.info.captured_at)
            for info in STEPS:  # every step judged, as once the earlier ones are done
                evaluate(ctx, info.id)
            every.append(time.perf_counter() - started)
        load_s, rollout_s = statistics.median(loads), statistics.median(rollouts)
        print(f"tenant: {len(tenant.users):,} users, {len(tenant.ca_policies)} policies, {len(tenant.nsgs):,} NSGs, "
              f"{len(tenant.applications)} applications, {len(tenant.sign_ins):,} sign-ins")
        print(f"reference: reading it ({len(READ)} data sets):   {load_s:6.2f} s (median of {args.rounds})")
        print(f"rollout: ten statuses and plans:           {rollout_s:6.2f} s  ({rollout_s / load_s:.2f}x the "
              "reference)")
        every_s = statistics.median(every)
        print(f"every step judged (as if the earlier were done): {every_s:6.2f} s  ({every_s / load_s:.2f}x the "
              "reference)")
        print("statuses: " + ", ".join(f"{s.id} {s.status}" for s in found))  # type: ignore[attr-defined]
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
