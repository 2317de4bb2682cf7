"""What If throughput: the compiled evaluator against the reference, on the large synthetic tenant.

Target (issue): the compiled evaluator (`ztconsole.engine.compiled`) answers >= 250,000 scenarios/s and
>= 25x the reference (`ztconsole.engine.whatif.what_if`) on the large generated tenant (200 policies, some
with device filters, 20,000 users). It draws a fixed (seeded) set of realistic sign-ins and prints
scenarios/s for each evaluator and the ratio. The machine is shared and noisy: figures are the best of a
few runs; "cold" is the first pass over fresh caches (build included separately).

Agreement is checked on EVERY drawn scenario; the script exits 1 on any disagreement:

* every scenario's compiled answer (applied and report-only policy ids, decision, requirements) against
  an exact oracle: each policy judged on its own by the rule book's fast faces
  (`ztconsole.engine.ca.conditions`, the `holds` of every condition kind, in the order and with the
  state, condition-set and workload rules of the reference's `evaluate`), the enforced ones combined by
  `ztconsole.engine.ca.controls.outcome` as the reference combines them. It shares none of the compiled
  evaluator's masks, indexes or caches. The fast faces give the full faces' decisions
  (tests/test_engine_ca_conditions.py checks the two faces equal on random tenants, policies and
  sign-ins). Identical scenarios are judged once (grouped by every field, the device's properties
  included);
* the first `--ref-count` scenarios also against the reference evaluator itself (it is slow: about 8 ms
  a scenario over 200 policies; these runs give its rate), tying the oracle to the reference.

    .venv/bin/python benchmarks/bench_whatif.py [--dir DIR] [--scale large] [--count 200000] [--ref-count 400]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ztconsole.demo.synthetic import COUNTRIES_BAD, COUNTRIES_OK, generate
from ztconsole.engine import ca_catalog
from ztconsole.engine.ca.conditions import SignInFacts, conditions_of, device_facts
from ztconsole.engine.ca.controls import outcome, policy_requirements
from ztconsole.engine.ca.scenario import ENABLED, REPORT_ONLY
from ztconsole.engine.compiled import CompiledPolicies
from ztconsole.engine.whatif import Context, Scenario, what_if
from ztconsole.model.ca import AZURE_MANAGEMENT_APP_ID, ConditionalAccessPolicy, IpNamedLocation
from ztconsole.tenantdir import load_tenant

DEVICES = (
    None,
    {"isCompliant": True, "trustType": "AzureAD", "operatingSystem": "Windows", "deviceOwnership": "Company"},
    {"isCompliant": False, "trustType": "ServerAD", "operatingSystem": "Windows", "extensionAttribute1": "kiosk"},
    {"isCompliant": True, "trustType": "Workplace", "operatingSystem": "iOS", "model": "iPhone 15"},
    {"isCompliant": False, "trustType": "Workplace", "operatingSystem": "Android", "manufacturer": "Samsung"},
    {"isCompliant": True, "trustType": "AzureAD", "operatingSystem": "MacMDM", "deviceOwnership": "Company"},
)


def draw(tenant, count: int, seed: int) -> list[Scenario]:
    """``count`` realistic sign-ins: tenant users, the apps they use, client apps, platforms, egress IPs
    with the matching country, devices; now and then risk, legacy clients, user actions, device code flow."""
    rng = random.Random(seed)
    users = [u.id for u in tenant.users if u.account_enabled is not False]
    office = sorted(ca_catalog.OFFICE_365_APPS)
    portals = sorted(ca_catalog.MICROSOFT_ADMIN_PORTALS_APPS) + [AZURE_MANAGEMENT_APP_ID]
    pa = sorted(a.app_id for a in tenant.applications if a.app_id)
    custom = sorted(sp.app_id for sp in tenant.service_principals if sp.app_id and sp.app_id not in set(pa))
    sites = [str(ipaddress.ip_network(c, strict=False).network_address + rng.randrange(1, 250))
             for n in tenant.named_locations if isinstance(n, IpNamedLocation) for c in n.cidrs]
    out: list[Scenario] = []
    for _ in range(count):
        kw: dict = {"user_id": rng.choice(users)}
        roll = rng.random()
        if roll < 0.03:
            kw["user_action"] = rng.choice(("registerSecurityInformation", "registerOrJoinDevices"))
        elif roll < 0.05:
            kw["auth_context"] = rng.choice(("c1", "c2"))
        else:
            kw["app"] = rng.choices((rng.choice(office), rng.choice(portals), rng.choice(pa), rng.choice(custom),
                                     rng.choice(("All", "Office365", "MicrosoftAdminPortals"))),
                                    (45, 8, 20, 20, 7))[0]
        kw["client_app"] = rng.choices(("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"),
                                       (60, 36, 2, 2))[0]
        kw["platform"] = rng.choices(("windows", "macOS", "iOS", "android", "linux", None),
                                     (45, 10, 20, 15, 3, 7))[0]
        where = rng.random()
        if where < 0.4:
            kw["ip"], kw["country"] = f"203.0.113.{rng.randrange(1, 255)}", "NL"
        elif where < 0.55 and sites:
            kw["ip"], kw["country"] = rng.choice(sites), rng.choice(COUNTRIES_OK)[1]
        elif where < 0.9:
            _, cc, prefix = rng.choice(COUNTRIES_OK)
            kw["ip"], kw["country"] = f"{prefix}{rng.randrange(256)}.{rng.randrange(1, 255)}", cc
        elif where < 0.92:
            _, cc, prefix = rng.choice(COUNTRIES_BAD)
            kw["ip"], kw["country"] = f"{prefix}{rng.randrange(256)}.{rng.randrange(1, 255)}", cc
        elif where < 0.95:
            kw["ip"], kw["country"] = f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}", "DE"
        kw["sign_in_risk"] = rng.choices(("none", "low", "medium", "high"), (93, 4, 2, 1))[0]
        kw["user_risk"] = rng.choices(("none", "low", "medium", "high"), (96, 2, 1.5, 0.5))[0]
        kw["device"] = rng.choices(DEVICES, (40, 25, 10, 12, 8, 5))[0]
        if rng.random() < 0.01:
            kw["auth_flow"] = "deviceCodeFlow"
        out.append(Scenario(**kw))
    return out


Answer = tuple[tuple[str, ...], tuple[str, ...], str, tuple[tuple[str, ...], ...]]


class FastFaceOracle:
    """The reference's answer, by the rule book's fast faces: each policy judged on its own, no masks."""

    def __init__(self, policies: tuple[ConditionalAccessPolicy, ...], ctx: Context):
        self.ctx = ctx
        self.judged = []  # (id, enabled, blocks, requirements, rules) of each policy the reference evaluates
        for p in policies:
            state = p.state or "unknown"
            if p.is_disabled or state not in (ENABLED, REPORT_ONLY) or p.conditions is None:
                continue  # never applies (the reference: "disabled", not evaluated, no conditions)
            rules = conditions_of(p.conditions)
            if rules.workload is not None:
                continue  # targets workload identities, never a user's sign-in
            self.judged.append((p.id, state == ENABLED, p.blocks, policy_requirements(p.grant_controls), rules))

    def answer(self, s: Scenario) -> Answer:
        facts = SignInFacts.of(s, self.ctx)
        device = device_facts(s.device)
        enforced: list[str] = []
        report_only: list[str] = []
        blocks = False
        requirements: list[tuple[str, ...]] = []
        for pid, enabled, block, reqs, r in self.judged:
            if (r.users.holds(facts.user_keys) and r.target.holds(facts.target) and r.client_apps.holds(s.client_app)
                    and r.platforms.holds(s.platform) and r.locations.holds(facts.place)
                    and r.sign_in_risk.holds(s.sign_in_risk) and r.user_risk.holds(s.user_risk)
                    and r.insider_risk.holds(s.insider_risk) and r.devices.holds(device)
                    and r.auth_flows.holds(s.auth_flow)):
                if enabled:
                    enforced.append(pid)
                    blocks = blocks or block
                    requirements.extend(reqs)
                else:
                    report_only.append(pid)
        decision, combined = outcome(blocks, requirements)
        return tuple(sorted(set(enforced))), tuple(sorted(set(report_only))), decision, combined


def scenario_key(s: Scenario) -> tuple:
    """Every field of a scenario, the device's properties included: equal keys, equal answers."""
    device = None if s.device is None else tuple(sorted((k, repr(v)) for k, v in s.device.items()))
    return (s.user_id, s.app, s.user_action, s.auth_context, s.client_app, s.platform, s.ip, s.country,
            s.compliant_network, s.sign_in_risk, s.user_risk, s.insider_risk, device, s.auth_flow)


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="use (or create) this tenant directory instead of a temporary one")
    ap.add_argument("--scale", default="large")
    ap.add_argument("--count", type=int, default=200_000, help="scenarios for the compiled evaluator")
    ap.add_argument("--ref-count", type=int, default=400,
                    help="scenarios also checked against the reference evaluator itself (and timed)")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--keep", action="store_true", help="keep the generated directory")
    args = ap.parse_args()

    tmp = None
    where = args.dir
    if where is None:
        tmp = Path(tempfile.mkdtemp(prefix="ztc-bench-whatif-"))
        where = tmp / "tenant"
    try:
        if not (where / "tenant.toml").exists():
            t = time.perf_counter()
            generate(where, args.scale)
            print(f"generated {where} ({args.scale}) in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        tenant = load_tenant(where)
        ctx = Context.from_tenant(tenant)
        policies = tuple(tenant.ca_policies)
        print(f"loaded {len(policies)} policies, {len(tenant.users):,} users, "
              f"{len(tenant.named_locations)} named locations in {time.perf_counter() - t:.1f} s")
        scenarios = draw(tenant, args.count, args.seed)
        sample = scenarios[: args.ref_count]

        t = time.perf_counter()
        compiled = CompiledPolicies.build(policies, ctx)
        build = time.perf_counter() - t
        t = time.perf_counter()
        compiled.decide_many(scenarios)
        cold = time.perf_counter() - t

        decide = compiled.decide

        def loop() -> None:
            for s in scenarios:
                decide(s)

        warm = best_of(3, loop)
        batch = best_of(3, lambda: compiled.decide_many(scenarios))

        reference: list = []

        def judge_sample() -> None:
            reference[:] = [what_if(policies, s, ctx) for s in sample]

        ref_secs = best_of(3, judge_sample)

        answers = compiled.decide_many(scenarios)
        bad = 0

        def disagree(s: Scenario, who: str, expected: Answer, got: tuple) -> None:
            nonlocal bad
            bad += 1
            if bad <= 3:
                print(f"DISAGREE {s}\n  {who} {expected}\n  compiled  {got}")

        # the sample: against the reference evaluator itself
        for s, ref, got in zip(sample, reference, answers):
            expected = (ref.applied, ref.report_only, ref.decision, ref.requirements)
            if expected != tuple(got):
                disagree(s, "reference", expected, tuple(got))
        # every scenario: against the fast-face oracle, identical scenarios judged once
        t = time.perf_counter()
        oracle = FastFaceOracle(policies, ctx)
        judged: dict[tuple, Answer] = {}
        for s, got in zip(scenarios, answers):
            key = scenario_key(s)
            expected = judged.get(key)
            if expected is None:
                expected = judged[key] = oracle.answer(s)
            if expected != tuple(got):
                disagree(s, "oracle   ", expected, tuple(got))
        oracle_secs = time.perf_counter() - t
        decisions: dict[str, int] = {}
        for d in answers:
            decisions[d.decision] = decisions.get(d.decision, 0) + 1

        ref_rate = len(sample) / ref_secs
        rate = len(scenarios) / warm
        print(f"scenarios: {len(scenarios):,} drawn (seed {args.seed}); decisions "
              + ", ".join(f"{k} {v:,}" for k, v in sorted(decisions.items())))
        print(f"agreement: {'all' if not bad else f'{bad:,} disagreements over'} {len(scenarios):,} scenarios "
              f"({len(judged):,} distinct) against the fast-face oracle ({oracle_secs:.1f} s), the first "
              f"{len(sample):,} also against the reference")
        print(f"reference: {ref_rate:,.0f} scenarios/s ({len(sample)} scenarios, "
              f"{ref_secs / len(sample) * 1e3:.2f} ms each)")
        print(f"compiled:  build {build * 1e3:.1f} ms; cold pass {len(scenarios) / cold:,.0f} scenarios/s; "
              f"warm decide() {rate:,.0f} scenarios/s ({warm / len(scenarios) * 1e6:.2f} us each); "
              f"decide_many() {len(scenarios) / batch:,.0f} scenarios/s")
        print(f"ratio:     {rate / ref_rate:,.0f}x the reference (warm decide()); "
              f"{len(scenarios) / cold / ref_rate:,.0f}x cold")
        target_ok = rate >= 250_000 and rate / ref_rate >= 25
        print(f"target (>= 250,000/s and >= 25x): {'met' if target_ok else 'NOT met'}")
        return 1 if bad else 0
    finally:
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"kept {where}")


if __name__ == "__main__":
    sys.exit(main())
