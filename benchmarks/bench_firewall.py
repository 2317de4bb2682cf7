"""ZT-NET-006 shadow analysis on the large generated tenant (20 firewall policies, ~20,000 rules).

Target (issue #12): the indexed analysis at least 20x faster than the straightforward pairwise comparison
and under 3 s. Both run in the same run on the same flattened policies, and must give the same answer
(the same shadowed rules, each with the same covering rule and kind).

    .venv/bin/python benchmarks/bench_firewall.py [--dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ztconsole.engine.network.firewall import FlatPolicy


def naive_shadows(flat: FlatPolicy) -> list[tuple[str, str, str]]:
    """The reference: every rule against every earlier rule, in order, the first that covers it."""
    from ztconsole.engine.network.firewall import classify, covers

    out: list[tuple[str, str, str]] = []
    rules = flat.rules
    for j, b in enumerate(rules):
        if b.problem is not None:
            continue
        for i in range(j):
            a = rules[i]
            if covers(a, b):
                out.append((b.id, a.id, classify(a, b)[0]))
                break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a generated large tenant to reuse (else one is generated)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-fw-"))
    try:
        if not (work / "tenant.toml").exists():
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale",
                            "large", "--force"], check=True, stdout=subprocess.DEVNULL)
        from ztconsole.engine.network.firewall import FirewallRuleBook, shadowed_rules
        from ztconsole.tenantdir import load_tenant

        tenant = load_tenant(work, keys=["firewall_policies", "rule_collection_groups", "ip_groups"])
        started = time.perf_counter()
        book = FirewallRuleBook(tenant.firewall_policies, tenant.rule_collection_groups, tenant.ip_groups)
        flats = book.flatten_all()
        flatten_s = time.perf_counter() - started
        own = sum(1 for f in flats for r in f.rules if not r.inherited)
        total = sum(len(f.rules) for f in flats)

        started = time.perf_counter()
        fast = [(s.rule.id, s.covering.id, s.kind) for f in flats for s in shadowed_rules(f)]
        fast_s = time.perf_counter() - started

        started = time.perf_counter()
        slow = [t for f in flats for t in naive_shadows(f)]
        naive_s = time.perf_counter() - started

        same = fast == slow
        print(f"tenant: {len(flats)} firewall policies, {own:,} rules ({total:,} with inherited rules)")
        print(f"flatten:  {flatten_s:6.2f} s")
        print(f"pairwise: {naive_s:6.2f} s  (reference, {len(slow):,} shadowed or redundant)")
        print(f"indexed:  {fast_s:6.2f} s  ({len(fast):,} shadowed or redundant; target < 3 s)")
        print(f"ratio:    {naive_s / fast_s:6.1f}x  (target >= 20x)  same result: {same}")
        return 0 if same else 1
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
