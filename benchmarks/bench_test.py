"""``ztconsole test`` at scale: 100,000 sign-in scenarios through the test machinery, against running the
``whatif`` command's evaluation once per scenario, in process, in the same run (issue #12, item 7).

* test machinery: one file of COUNT random ``[[test]]`` sign-ins on the demo tenant, each expecting a
  decision, run by ``ztconsole.cli.run(["test", "--demo", FILE, "--format", "json", "--output", ...])`` in
  process: TOML parse, schema, resolution against the tenant, the compiled evaluator in bulk, the JSON
  report. The source's load is included; the phases are timed apart too.
* whatif per scenario: for a sample of SAMPLE scenarios, what ``ztconsole whatif --json`` does after its
  load: the options resolved (``ztconsole.commands.whatif.scenario_of``), every policy judged
  (``what_if``) and the JSON built. Its per-scenario time times COUNT is the baseline.

Agreement: each sampled scenario's pass/fail in the test run equals the decision whatif gives it.

    .venv/bin/python benchmarks/bench_test.py [--count 100000] [--sample 2000] [--seed 12]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

USERS = ["AdeleV@contoso.com", "MeganB@contoso.com", "AlexW@contoso.com", "ext-tom.hansen@contoso.com",
         "ravi.kumar_fabrikam.com#EXT#@contoso.onmicrosoft.com", "bg-admin-01@contoso.onmicrosoft.com",
         "svc-scanner@contoso.com", "PattiF@contoso.com", "IsaiahL@contoso.com", "LeeG@contoso.com",
         "mtr-ams-01@contoso.com", "DiegoS@contoso.com"]
APPS = ["All", "Office365", "MicrosoftAdminPortals", "AzureManagement", "00000002-0000-0ff1-ce00-000000000000",
        "PA - Jump Hosts (RDP)", "PA - Legacy ERP (Contractors)", "Contoso Expenses", "Microsoft Teams"]
CHOICES = (("client-app", ["browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"]),
           ("platform", ["android", "iOS", "windows", "macOS", "linux"]),
           ("country", ["NL", "GB", "US", "KP", "BR", "FR"]),
           ("sign-in-risk", ["none", "low", "medium", "high"]),
           ("user-risk", ["none", "low", "medium", "high"]))


def sign_in(rng: random.Random) -> dict[str, Any]:
    t: dict[str, Any] = {"user": rng.choice(USERS), "app": rng.choice(APPS)}
    for key, values in CHOICES:
        if rng.random() < 0.6:
            t[key] = rng.choice(values)
    if rng.random() < 0.6:
        t["ip"] = f"{rng.choice(['203.0.113', '198.51.100', '192.0.2'])}.{rng.randrange(1, 255)}"
    if rng.random() < 0.3:
        t["device"] = rng.choice([{"isCompliant": "True", "trustType": "AzureAD"}, {"isCompliant": "False"}])
    t["decision"] = rng.choice(["block", "controls", "allow"])
    return t


def toml(tests: list[dict[str, Any]]) -> str:
    out = []
    for t in tests:
        out.append("[[test]]")
        for key, value in t.items():
            if key == "decision":
                continue
            if isinstance(value, dict):
                out.append(f"{key} = {{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }")
            else:
                out.append(f"{key} = {json.dumps(value)}")
        out.append(f"[test.expect]\ndecision = {json.dumps(t['decision'])}\n")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=12)
    opts = ap.parse_args()

    from ztconsole.cli import run
    from ztconsole.commands import test as cmd
    from ztconsole.commands.ca_data import CA_USES
    from ztconsole.commands.whatif import scenario_of
    from ztconsole.demo import demo_dir
    from ztconsole.engine.whatif import Context, what_if
    from ztconsole.tenantdir.reader import load_tenant

    rng = random.Random(opts.seed)
    tests = [sign_in(rng) for _ in range(opts.count)]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.toml"
        path.write_text(toml(tests), encoding="utf-8")
        report = Path(d) / "report.json"
        print(f"{opts.count:,} scenarios, {path.stat().st_size / 1e6:.1f} MB of TOML, demo tenant")

        # --- the test command, end to end, in process
        err = io.StringIO()
        t0 = time.perf_counter()
        code = run(["test", "--demo", str(path), "--format", "json", "--output", str(report)], out=io.StringIO(),
                   err=err)
        total = time.perf_counter() - t0
        if code not in (0, 1):
            print(err.getvalue(), file=sys.stderr)
            return 2
        doc = json.loads(report.read_text(encoding="utf-8"))
        print(f"ztconsole test: {total:.2f} s end to end ({opts.count / total:,.0f} scenarios/s); "
              f"{doc['summary']['passed']:,} passed, {doc['summary']['failed']:,} failed")

        # --- its phases, on the same file
        tenant = load_tenant(demo_dir(), keys=list(CA_USES))
        ctx = Context.from_tenant(tenant)
        t0 = time.perf_counter()
        tf = cmd.read_file(path)
        t1 = time.perf_counter()
        policies = cmd._Policies(tenant.ca_policies)
        cmd.resolve(tf, ctx, policies)
        t2 = time.perf_counter()
        outcomes = cmd.evaluate([tf], tenant.ca_policies, ctx, policies.names)
        t3 = time.perf_counter()
        cmd.render("json", [tf], outcomes)
        t4 = time.perf_counter()
        print(f"  phases: TOML parse + schema {t1 - t0:.2f} s, resolution {t2 - t1:.2f} s, "
              f"evaluation {t3 - t2:.2f} s (compiled, in bulk), JSON {t4 - t3:.2f} s")

    # --- whatif's evaluation, once per scenario, for a sample
    sample = tests[: opts.sample]
    namespaces = []
    for t in sample:
        device = [f"{k}={v}" for k, v in t["device"].items()] if "device" in t else None
        namespaces.append(argparse.Namespace(
            user=t["user"], app=t.get("app"), user_action=None, client_app=t.get("client-app"),
            platform=t.get("platform"), ip=t.get("ip"), country=t.get("country"), sign_in_risk=t.get("sign-in-risk"),
            user_risk=t.get("user-risk"), device=device, compliant_network=False))
    t0 = time.perf_counter()
    answers = [what_if(tenant.ca_policies, scenario_of(ns, ctx), ctx).to_json() for ns in namespaces]
    per = (time.perf_counter() - t0) / len(sample)
    whatif_total = per * opts.count
    print(f"whatif evaluation per scenario: {per * 1e3:.3f} ms ({len(sample):,} sampled) -> "
          f"{whatif_total:.1f} s for {opts.count:,}")
    print(f"ratio: ztconsole test is {whatif_total / total:.1f}x faster than whatif per scenario "
          f"(end to end, load included; {whatif_total / (t3 - t2):.0f}x on evaluation alone)")

    bad = 0
    for t, answer, result in zip(sample, answers, doc["tests"]):
        expected = "passed" if answer["summary"]["decision"] == t["decision"] else "failed"
        bad += expected != result["status"]
    print(f"agreement with whatif on the {len(sample):,} sampled scenarios: {len(sample) - bad:,}/{len(sample):,}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
