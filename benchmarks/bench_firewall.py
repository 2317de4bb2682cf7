"""ZT-NET-006 shadow analysis on the large generated tenant (20 firewall policies, ~20,000 rules).

Target (issue #12): the indexed analysis at least 20x faster than the straightforward pairwise comparison
and under 3 s. Both run in the same process on the same flattened policies, and must give the same answer
(the same shadowed rules, each with the same covering rule and kind): exit 1 otherwise.

The reference is the straightforward algorithm: for each rule, scan the earlier rules in order until one
covers it, with the same :func:`covers` the indexed analysis checks its candidates with. This machine is
shared and noisy: the flattening, the indexed analysis and the reference run ``--rounds`` times in
alternation (the order of the two analyses swapped every round); the medians are compared (wall clock,
the process's CPU time beside it) and each round's ratio is printed.

    .venv/bin/python benchmarks/bench_firewall.py [--dir DIR] [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ztconsole.engine.network.firewall import FlatPolicy

T = TypeVar("T")


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


def timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a generated large tenant to reuse (else one is generated)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds in alternation (default 5; medians compared)")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-fw-"))
    try:
        if not (work / "tenant.toml").exists():
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale",
                            "large", "--force"], check=True, stdout=subprocess.DEVNULL)
        from ztconsole.engine.network.firewall import FirewallRuleBook, shadowed_rules
        from ztconsole.tenantdir import load_tenant

        tenant = load_tenant(work, keys=["firewall_policies", "rule_collection_groups", "ip_groups"])

        def flatten() -> list[FlatPolicy]:
            book = FirewallRuleBook(tenant.firewall_policies, tenant.rule_collection_groups, tenant.ip_groups)
            return book.flatten_all()

        def indexed() -> list[tuple[str, str, str]]:
            return [(s.rule.id, s.covering.id, s.kind) for f in flats for s in shadowed_rules(f)]

        def pairwise() -> list[tuple[str, str, str]]:
            return [t for f in flats for t in naive_shadows(f)]

        flat_t: list[tuple[float, float]] = []
        fast_t: list[tuple[float, float]] = []
        slow_t: list[tuple[float, float]] = []
        same = True
        n_fast = n_slow = 0
        for rnd in range(args.rounds):
            w, c, flats = timed(flatten)
            flat_t.append((w, c))
            order = [("indexed", indexed), ("pairwise", pairwise)]
            if rnd % 2:
                order.reverse()
            got: dict[str, list[tuple[str, str, str]]] = {}
            for name, fn in order:
                w, c, got[name] = timed(fn)
                (fast_t if name == "indexed" else slow_t).append((w, c))
            same = same and got["indexed"] == got["pairwise"]
            n_fast, n_slow = len(got["indexed"]), len(got["pairwise"])
            print(f"round {rnd + 1}: flatten {flat_t[-1][0]:5.2f} s, indexed {fast_t[-1][0]:5.3f} s, "
                  f"pairwise {slow_t[-1][0]:5.2f} s, ratio {slow_t[-1][0] / fast_t[-1][0]:5.1f}x "
                  f"({'indexed first' if rnd % 2 == 0 else 'pairwise first'})", flush=True)

        def med(ts: list[tuple[float, float]]) -> tuple[float, float]:
            return statistics.median(w for w, _ in ts), statistics.median(c for _, c in ts)

        (fw, fc), (iw, ic), (pw, pc) = med(flat_t), med(fast_t), med(slow_t)
        ratios = sorted(s[0] / f[0] for s, f in zip(slow_t, fast_t, strict=True))
        own = sum(1 for f in flats for r in f.rules if not r.inherited)
        total = sum(len(f.rules) for f in flats)
        print(f"\ntenant: {len(flats)} firewall policies, {own:,} rules ({total:,} with inherited rules); "
              f"{args.rounds} rounds, medians")
        print(f"flatten:  {fw:6.3f} s (CPU {fc:6.3f} s)")
        print(f"pairwise: {pw:6.3f} s (CPU {pc:6.3f} s)  reference, {n_slow:,} shadowed or redundant")
        print(f"indexed:  {iw:6.3f} s (CPU {ic:6.3f} s)  {n_fast:,} shadowed or redundant; target < 3 s")
        print(f"flatten + indexed: {fw + iw:6.3f} s")
        print(f"ratio:    {pw / iw:6.1f}x (CPU {pc / ic:.1f}x; rounds {ratios[0]:.1f}x to {ratios[-1]:.1f}x; "
              f"target >= 20x)  same result in every round: {same}")
        return 0 if same else 1
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
