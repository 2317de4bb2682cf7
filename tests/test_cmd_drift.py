"""``ztconsole drift --baseline A --tenant-dir B`` (CONTRACTS §5c) through the command line: exactly the
changes a test makes between A and B, most dangerous first, the findings they make fail, and no answer on a
source not read completely."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ztconsole.cli import run

POLICIES = "graph/v1.0/identity/conditionalAccess/policies.json"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drift") / "a"
    code, _, err = cli("snapshot", "--demo", "--out", str(root))
    assert code == 0, err
    return root


def edit(path: Path, change: Any) -> None:
    body = json.loads(path.read_text(encoding="utf-8"))
    change(body)
    path.write_text(json.dumps(body), encoding="utf-8")


def policy(body: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    return next(p for p in body if p["displayName"].startswith(prefix))


def test_an_unchanged_copy_has_no_drift(baseline: Path, tmp_path: Path) -> None:
    shutil.copytree(baseline, tmp_path / "b")
    code, out, err = cli("drift", "--baseline", str(baseline), "--tenant-dir", str(tmp_path / "b"), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["changes"] == [] and doc["findings"] == {"newlyFailing": [], "newlyPassing": []}
    assert doc["incomplete"] == [] and doc["baseline"]["path"] == str(baseline)


def test_drift_reports_exactly_the_changes_made_and_the_findings_they_break(baseline: Path, tmp_path: Path) -> None:
    current = tmp_path / "b"
    shutil.copytree(baseline, current)
    users = json.loads((current / "graph/v1.0/users.json").read_text(encoding="utf-8"))
    outsider = next(u for u in users if u["userPrincipalName"].lower().startswith("nestorw"))
    ids: dict[str, str] = {}

    def change(body: list[dict[str, Any]]) -> None:
        ca001, ca002 = policy(body, "CA001"), policy(body, "CA002")
        ca001["conditions"]["users"]["excludeUsers"].append(outsider["id"])
        ca002["state"] = "disabled"  # legacy authentication no longer blocked
        policy(body, "CA010")["modifiedDateTime"] = "2026-12-01T00:00:00Z"  # metadata alone: no change
        ids.update(ca001=ca001["id"], ca002=ca002["id"])

    edit(current / POLICIES, change)
    code, out, err = cli("drift", "--baseline", str(baseline), "--tenant-dir", str(current), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [(c["kind"], c["action"], c["id"], c["severity"]) for c in doc["changes"]] == [
        ("caPolicy", "changed", ids["ca001"], "high"),  # the new exclusion first
        ("caPolicy", "changed", ids["ca002"], "high"),
    ]
    first, second = doc["changes"]
    assert first["fields"] == [{"path": "conditions.users.excludeUsers", "before": ["GuestsOrExternalUsers"],
                                "after": sorted(["GuestsOrExternalUsers", outsider["id"]])}]
    assert outsider["userPrincipalName"] in first["why"]
    assert second["fields"] == [{"path": "state", "before": "enabled", "after": "disabled"}]
    assert {"check": "ZT-CA-002"} in [{"check": f["check"]} for f in doc["findings"]["newlyFailing"]]
    assert all(f["check"] != "ZT-CA-002" for f in doc["findings"]["newlyPassing"])

    code, text, _ = cli("drift", "--baseline", str(baseline), "--tenant-dir", str(current))
    assert code == 0
    assert "2 change(s): 2 high" in text and "new exclusion" in text and "ZT-CA-002" in text


def test_a_source_not_read_completely_gets_no_answer_without_allow_partial(baseline: Path, tmp_path: Path) -> None:
    current = tmp_path / "b"
    shutil.copytree(baseline, current)
    toml = current / "tenant.toml"
    toml.write_text(toml.read_text(encoding="utf-8")
                    + '\n[datasets."graph/v1.0/identity/conditionalAccess/policies"]\nstatus = "partial"\n'
                      'message = "throttled after page 1"\n', encoding="utf-8")
    code, out, err = cli("drift", "--baseline", str(baseline), "--tenant-dir", str(current), "--json")
    assert code == 3 and out == ""
    assert "conditionalAccess/policies is partial" in err
    code, out, _ = cli("drift", "--baseline", str(baseline), "--tenant-dir", str(current), "--json",
                       "--allow-partial")
    assert code == 0
    assert [i["status"] for i in json.loads(out)["incomplete"]] == ["partial"]


def test_a_baseline_that_is_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = cli("drift", "--baseline", str(tmp_path / "nope"), "--demo")
    assert code == 2 and "--baseline" in err
