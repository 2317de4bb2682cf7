"""`gaps` and `impact` on the large generated tenant (200 CA policies, 20,000 users, 100,000 sign-ins).

Targets (issue #5): gaps under 3 s; impact over 100,000 sign-ins under 5 s. The machine is shared and
noisy, so each figure is also printed against a reference workload measured in the same run: the
reference evaluator judging every policy for 250 fixed sign-ins of the same tenant.

    .venv/bin/python benchmarks/bench_ca.py [--dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a generated large tenant to reuse (else one is generated)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-ca-"))
    try:
        if not (work / "tenant.toml").exists():
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale",
                            "large", "--force"], check=True, stdout=subprocess.DEVNULL)
        from ztconsole.engine.gaps import find_gaps
        from ztconsole.engine.impact import replay, scenario_of
        from ztconsole.engine.whatif import Context, what_if
        from ztconsole.tenantdir import load_tenant

        keys = ["ca_policies", "named_locations", "users", "groups", "group_members", "role_definitions",
                "role_assignments", "role_eligibility", "service_principals", "auth_strengths", "sign_ins"]
        tenant = load_tenant(work, keys=keys)
        ctx = Context.from_tenant(tenant, break_glass=tenant.info.break_glass)

        sample = [s for s in (scenario_of(si) for si in tenant.sign_ins[:1000]) if s is not None][:250]
        started = time.perf_counter()
        for scenario in sample:
            what_if(tenant.ca_policies, scenario, ctx)
        reference = time.perf_counter() - started

        started = time.perf_counter()
        report = find_gaps(tenant, ctx=ctx)
        gaps_s = time.perf_counter() - started

        report_only = [p for p in tenant.ca_policies if p.is_report_only]
        policy = report_only[0] if report_only else tenant.ca_policies[0]
        started = time.perf_counter()
        impact = replay(tenant, policy.id, now=tenant.info.captured_at, ctx=ctx)
        impact_s = time.perf_counter() - started

        print(f"tenant: {len(tenant.ca_policies)} policies, {len(tenant.users):,} users, "
              f"{len(tenant.sign_ins):,} sign-ins")
        print(f"reference: 250 sign-ins x {len(tenant.ca_policies)} policies (reference evaluator): "
              f"{reference:6.2f} s")
        print(f"gaps:      {gaps_s:6.2f} s  (target < 3 s; {gaps_s / reference:.2f}x the reference; "
              f"{len(report.gaps)} gap class(es))")
        print(f"impact:    {impact_s:6.2f} s  (target < 5 s; {impact_s / reference:.2f}x the reference; "
              f"policy {policy.display_name!r} over {len(tenant.sign_ins):,} sign-ins)")
        print(f"           {len(impact.sign_ins):,} sign-ins of {len(impact.users):,} users would be "
              f"blocked or challenged")
        return 0
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
