"""The bundled demo tenant and the synthetic generator: what a user of ``--demo`` and ``generate`` relies on."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.demo import DEMO_CAPTURED_AT, contoso, demo_dir, synthetic


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


_PATTERNS = []
for _ds in DATASETS:
    _pattern = re.escape(_ds.file_path(sub="\0SUB\0", parent="\0PARENT\0"))
    _pattern = _pattern.replace("\0SUB\0", "(?P<sub>[0-9a-f-]+)")
    _parent = "(?P<parent>subscriptions/.+)" if _ds.api == "arm" else "(?P<parent>[^/]+)"
    _pattern = _pattern.replace("\0PARENT\0", _parent)
    _PATTERNS.append((_ds, re.compile(_pattern)))


def _dataset_of(rel: str) -> tuple[str, str | None]:
    """The data set key and parent key of a tenant-directory path, or AssertionError."""
    for ds, pattern in _PATTERNS:
        m = pattern.fullmatch(rel)
        if m:
            return ds.key, m.groupdict().get("parent")
    raise AssertionError(f"{rel}: no data set in the catalogue lives here")


def _check_tenant_dir(root: Path, source: str) -> dict[str, list]:
    """Every JSON file parses and sits where the catalogue puts a data set; item-scoped files hang under an
    item that exists; tenant.toml carries the contract's keys. Returns the top-level collections."""
    meta = tomllib.loads((root / "tenant.toml").read_text(encoding="utf-8"))
    assert meta["format"] == 1
    assert {"id", "display_name", "default_domain"} <= meta["tenant"].keys()
    assert meta["azure"]["subscriptions"]
    assert meta["capture"]["source"] == source
    datetime.fromisoformat(meta["capture"]["captured_at"].replace("Z", "+00:00"))
    assert len(meta["break_glass"]["accounts"]) == 2

    top: dict[str, list] = {}
    scoped: list[tuple[str, str, str]] = []
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).as_posix()
        key, parent = _dataset_of(rel)
        value = json.loads(path.read_text(encoding="utf-8"))
        ds = BY_KEY[key]
        assert isinstance(value, dict if ds.shape == "singleton" else list), rel
        if parent is None:
            top.setdefault(key, []).extend(value if isinstance(value, list) else [value])
        else:
            scoped.append((rel, key, parent))
    for rel, key, parent in scoped:
        parent_ds = BY_KEY[BY_KEY[key].parent]
        if parent_ds.api == "arm":
            known = {("/" + item["id"].strip("/")).lower() for item in top.get(parent_ds.key, [])}
            assert "/" + parent.lower() in known, f"{rel}: no {parent_ds.key} item {parent}"
        else:
            assert parent in {item["id"] for item in top.get(parent_ds.key, [])}, f"{rel}: no {parent_ds.key} {parent}"
    upns = {u["userPrincipalName"] for u in top["users"]}
    assert set(meta["break_glass"]["accounts"]) <= upns
    assert set(meta["azure"]["subscriptions"]) == {
        rel.split("/")[2] for rel in _files(root) if rel.startswith("arm/subscriptions/")}
    return top


def test_bundled_demo_is_exactly_what_the_builder_writes(tmp_path: Path) -> None:
    contoso.build(tmp_path / "demo")
    built, bundled = _files(tmp_path / "demo"), _files(demo_dir())
    assert sorted(built) == sorted(bundled), "file lists differ: run python -m ztconsole.demo.contoso"
    changed = [rel for rel in built if built[rel] != bundled[rel]]
    assert not changed, f"bundled demo is stale ({changed[:3]}): run python -m ztconsole.demo.contoso"


def test_demo_files_are_valid_json_where_the_catalogue_expects_them() -> None:
    top = _check_tenant_dir(demo_dir(), "demo")
    # every top-level data set the console shows is present in the demo
    assert {d.key for d in DATASETS if d.parent is None and d.key != "user_member_of"} <= top.keys()


def test_demo_is_relative_to_captured_at_and_has_what_the_story_needs() -> None:
    root = demo_dir()
    now = datetime.fromisoformat(DEMO_CAPTURED_AT.replace("Z", "+00:00"))
    sign_ins = json.loads((root / BY_KEY["sign_ins"].file_path()).read_text())
    assert 400 <= len(sign_ins) <= 600
    times = [datetime.fromisoformat(s["createdDateTime"].replace("Z", "+00:00")) for s in sign_ins]
    assert all(timedelta(0) < now - t <= timedelta(days=31) for t in times)
    assert times == sorted(times, reverse=True)
    results = {a["result"] for s in sign_ins for a in s["appliedConditionalAccessPolicies"]}
    assert {"success", "failure", "reportOnlySuccess", "reportOnlyFailure", "reportOnlyNotApplied"} <= results
    assert {s["clientAppUsed"] for s in sign_ins} >= {"Browser", "Mobile Apps and Desktop clients",
                                                      "Exchange ActiveSync"}
    assert {s["riskLevelDuringSignIn"] for s in sign_ins} >= {"medium", "high"}

    users = {u["userPrincipalName"]: u for u in json.loads((root / BY_KEY["users"].file_path()).read_text())}
    bg1, bg2 = users["bg-admin-01@contoso.onmicrosoft.com"], users["bg-admin-02@contoso.onmicrosoft.com"]
    bg1_seen = datetime.fromisoformat(bg1["signInActivity"]["lastSuccessfulSignInDateTime"].replace("Z", "+00:00"))
    bg2_seen = datetime.fromisoformat(bg2["signInActivity"]["lastSignInDateTime"].replace("Z", "+00:00"))
    assert 25 <= (now - bg1_seen).days <= 35 and 190 <= (now - bg2_seen).days <= 210
    assert [s["userId"] for s in sign_ins].count(bg1["id"]) == 1
    assert any(u["userType"] == "Guest" and "#EXT#" in upn for upn, u in users.items())
    assert any(u["onPremisesSyncEnabled"] for u in users.values())

    policies = json.loads((root / BY_KEY["ca_policies"].file_path()).read_text())
    states = [p["state"] for p in policies]
    assert {"enabled", "enabledForReportingButNotEnforced", "disabled"} == set(states) and len(policies) >= 20
    ages = sorted((now - datetime.fromisoformat(p["modifiedDateTime"].replace("Z", "+00:00"))).days
                  for p in policies if p["state"] == "enabledForReportingButNotEnforced")
    assert ages[0] < 14 and any(14 < a < 90 for a in ages) and ages[-1] >= 180
    bg1_methods = json.loads((root / BY_KEY["auth_methods"].file_path(parent=bg1["id"])).read_text())
    bg2_methods = json.loads((root / BY_KEY["auth_methods"].file_path(parent=bg2["id"])).read_text())
    assert any(m["@odata.type"].endswith("fido2AuthenticationMethod") for m in bg1_methods)
    strong = ("fido2AuthenticationMethod", "windowsHelloForBusinessAuthenticationMethod")
    assert not any(m["@odata.type"].endswith(strong) for m in bg2_methods)


def test_generator_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    synthetic.generate(tmp_path / "a", 300, seed=7)
    synthetic.generate(tmp_path / "b", 300, seed=7)
    synthetic.generate(tmp_path / "c", 300, seed=8)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert a == b
    assert a != c


def test_generator_counts_for_an_integer_scale(tmp_path: Path) -> None:
    counts = synthetic.generate(tmp_path / "t", 400, seed=1)
    top = _check_tenant_dir(tmp_path / "t", "synthetic")
    assert counts["users"] == len(top["users"]) == 400
    assert counts["groups"] == len(top["groups"]) and counts["ca_policies"] == len(top["ca_policies"])
    sign_ins = json.loads((tmp_path / "t" / BY_KEY["sign_ins"].file_path()).read_text())
    assert counts["sign_ins"] == len(sign_ins) >= 400
    assert all(3 >= len(s["appliedConditionalAccessPolicies"]) >= 2 for s in sign_ins)
    assert not list((tmp_path / "t").rglob("transitiveMemberOf.json"))
    # the deliberate flaws are there at every scale
    policies = top["ca_policies"]
    assert any((p["sessionControls"] or {}).get("continuousAccessEvaluation") == {"mode": "disabled"}
               for p in policies)
    ages = {p["modifiedDateTime"] for p in policies if p["state"] == "enabledForReportingButNotEnforced"}
    assert len(ages) >= 2
    segments = [s for p in (tmp_path / "t").rglob("applicationSegments.json") for s in json.loads(p.read_text())]
    assert any(s["destinationHost"] == "10.0.0.0/8" and s["ports"] == ["1-65535"] for s in segments)
    rules = [r for p in (tmp_path / "t").rglob("ruleCollectionGroups.json") for g in json.loads(p.read_text())
             for c in g["properties"]["ruleCollections"] for r in c["rules"]]
    assert any(r.get("sourceAddresses") == ["*"] and r.get("destinationAddresses") == ["*"]
               and r.get("destinationPorts") == ["*"] for r in rules)


def test_generator_demo_scale_writes_the_demo(tmp_path: Path) -> None:
    counts = synthetic.generate(tmp_path / "d", "demo")
    assert _files(tmp_path / "d") == _files(demo_dir())
    assert counts["sign_ins"] == 500 and counts["ca_policies"] >= 20


@pytest.mark.parametrize("scale", ["huge", 9, "-5"])
def test_generator_rejects_bad_scales(tmp_path: Path, scale: str | int) -> None:
    with pytest.raises(ValueError):
        synthetic.generate(tmp_path / "x", scale)


def test_generator_refuses_to_overwrite_a_directory_that_is_not_a_tenant(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        synthetic.generate(tmp_path, 60)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    synthetic.generate(tmp_path, 60, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "tenant.toml").is_file()


def test_regenerating_a_tenant_directory_leaves_no_stale_files(tmp_path: Path) -> None:
    synthetic.generate(tmp_path, 400, seed=1)
    synthetic.generate(tmp_path, 60, seed=1)
    synthetic.generate(tmp_path / "fresh", 60, seed=1)
    assert _files(tmp_path / "fresh") == {k: v for k, v in _files(tmp_path).items() if not k.startswith("fresh/")}
