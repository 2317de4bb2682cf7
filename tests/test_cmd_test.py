"""``ztconsole test`` (CONTRACTS §7) through ``ztconsole.cli.run`` on the demo: the shipped example passes;
wrong expectations fail exactly those tests in JSON and JUnit alike; every answer equals ``whatif --json``
for the same sign-in (the example's scenarios and random ones); invalid files exit 2 naming file, line and
key, and only they are not run; exit codes 0/1/2/3; tenant and file text printed as plain data."""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
import shutil
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from ztconsole.cli import run

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ca-tests.toml"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def example_tests() -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["test"]
    return tests


def whatif_argv(test: dict[str, Any]) -> list[str]:
    """The whatif command line of a test's sign-in: the same keys, with dashes."""
    argv = ["whatif", "--demo"]
    for key, value in test.items():
        if key in ("name", "expect"):
            continue
        if key == "device":
            for k, v in value.items():
                argv += ["--device", f"{k}={v}"]
        elif key == "compliant-network":
            argv += ["--compliant-network"] if value else []
        else:
            argv += [f"--{key}", str(value)]
    return argv


def toml_str(value: str) -> str:
    return json.dumps(value)


def write_tests(path: Path, tests: list[dict[str, Any]]) -> Path:
    """A test file of ``tests`` (sign-in keys, and ``expect``)."""
    lines = []
    for t in tests:
        lines.append("[[test]]")
        for key, value in t.items():
            if key == "expect":
                continue
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, dict):
                lines.append(f"{key} = {{ " + ", ".join(f"{k} = {toml_str(str(v))}" for k, v in value.items()) + " }")
            else:
                lines.append(f"{key} = {toml_str(value)}")
        lines.append("[test.expect]")
        for key, value in t["expect"].items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --- the shipped example ---------------------------------------------------------------------------------


def test_the_example_passes_on_the_demo_in_every_format() -> None:
    code, out, err = cli("test", "--demo", str(EXAMPLE))
    assert code == 0, err
    assert all(len(line) <= 80 for line in out.splitlines())
    n = len(example_tests())
    assert n >= 12
    assert out.rstrip().endswith(f"{n} tests: {n} passed, 0 failed")
    assert out.count("  PASS  ") == n

    code, out, err = cli("test", "--demo", str(EXAMPLE), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"tests", "summary", "incomplete"}
    assert doc["summary"] == {"passed": n, "failed": 0} and doc["incomplete"] == []
    assert [t["name"] for t in doc["tests"]] == [t["name"] for t in example_tests()]
    for t in doc["tests"]:
        assert t == {"file": str(EXAMPLE), "name": t["name"], "status": "passed", "failures": []}

    code, out, err = cli("test", "--demo", str(EXAMPLE), "--format", "junit")
    assert code == 0, err
    root = ET.fromstring(out)
    suites = root.findall("testsuite")
    assert len(suites) == 1 and suites[0].get("tests") == str(n) and suites[0].get("failures") == "0"
    assert len(suites[0].findall("testcase")) == n
    assert list(root.iter("failure")) == []


def test_the_example_covers_users_apps_locations_devices_risk_legacy_and_break_glass() -> None:
    tests = example_tests()
    keys = {key for t in tests for key in t}
    assert {"ip", "country", "device", "sign-in-risk", "user-risk", "client-app", "user-action",
            "compliant-network", "platform"} <= keys
    assert any(t.get("client-app") in ("exchangeActiveSync", "other") for t in tests)
    assert any(t["user"].startswith("bg-admin") for t in tests)
    assert len({t["user"] for t in tests}) >= 6


def test_every_example_scenario_equals_whatif_json(tmp_path: Path) -> None:
    """For each of the example's sign-ins, whatif --json's summary, turned into the strictest expectations
    the format holds, passes; and a test that contradicts it fails."""
    code, out, err = cli("whatif", "--demo", "--user", "AdeleV@contoso.com", "--app", "Office365", "--json")
    enabled = [p["id"] for p in json.loads(out)["policies"] if p["state"] == "enabled"]
    strict = []
    for t in example_tests():
        code, out, err = cli(*whatif_argv(t), "--json")
        assert code == 0, err
        summary = json.loads(out)["summary"]
        sign_in = {k: v for k, v in t.items() if k != "expect"}
        strict.append({**sign_in, "expect": {
            "decision": summary["decision"], "requirements": summary["requirements"],
            "applied": summary["applied"], "not-applied": [i for i in enabled if i not in summary["applied"]],
            "report-only": summary["reportOnly"]}})
    code, out, err = cli("test", "--demo", str(write_tests(tmp_path / "strict.toml", strict)), "--format", "json")
    assert code == 0, (err, out)
    assert json.loads(out)["summary"] == {"passed": len(strict), "failed": 0}
    flipped = [{**t, "expect": {"decision": "allow" if t["expect"]["decision"] != "allow" else "block"}}
               for t in strict]
    code, out, err = cli("test", "--demo", str(write_tests(tmp_path / "flipped.toml", flipped)), "--format", "json")
    assert code == 1
    assert json.loads(out)["summary"] == {"passed": 0, "failed": len(strict)}


# --- random sign-ins: the bulk machinery equals the reference, and the whatif command -----------------------

USERS = ["AdeleV@contoso.com", "MeganB@contoso.com", "AlexW@contoso.com", "ext-tom.hansen@contoso.com",
         "ravi.kumar_fabrikam.com#EXT#@contoso.onmicrosoft.com", "bg-admin-01@contoso.onmicrosoft.com",
         "bg-admin-02@contoso.onmicrosoft.com", "svc-scanner@contoso.com", "PattiF@contoso.com",
         "mtr-ams-01@contoso.com", "IsaiahL@contoso.com", "LeeG@contoso.com"]
APPS = ["All", "Office365", "MicrosoftAdminPortals", "AzureManagement", "00000002-0000-0ff1-ce00-000000000000",
        "PA - Jump Hosts (RDP)", "PA - Legacy ERP (Contractors)", "Contoso Expenses", "Microsoft Teams",
        "Quick Access", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"]


def random_sign_in(rng: random.Random) -> dict[str, Any]:
    t: dict[str, Any] = {"user": rng.choice(USERS)}
    if rng.random() < 0.15:
        t["user-action"] = rng.choice(["registerSecurityInformation", "registerOrJoinDevices"])
    else:
        t["app"] = rng.choice(APPS)
    for key, values in (("client-app", ["browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"]),
                        ("platform", ["android", "iOS", "windows", "macOS", "linux", "windowsPhone"]),
                        ("ip", ["203.0.113.5", "198.51.100.20", "198.51.100.7", "20.101.12.34", "2001:db8:1000::1"]),
                        ("country", ["NL", "GB", "US", "KP", "BR", "FR", "unknown"]),
                        ("sign-in-risk", ["none", "low", "medium", "high"]),
                        ("user-risk", ["none", "low", "medium", "high"])):
        if rng.random() < 0.5:
            t[key] = rng.choice(values)
    if rng.random() < 0.2:
        t["compliant-network"] = True
    if rng.random() < 0.4:
        t["device"] = rng.choice([{"isCompliant": "True", "trustType": "AzureAD"}, {"isCompliant": "False"},
                                  {"trustType": "ServerAD", "operatingSystem": "Windows"}])
    return t


def test_random_sign_ins_through_the_test_machinery_equal_the_reference(tmp_path: Path) -> None:
    """Thousands of random sign-ins: the compiled bulk answers of ``ztconsole test`` are the reference's."""
    from ztconsole.commands import test as cmd
    from ztconsole.commands.ca_data import CA_USES
    from ztconsole.demo import demo_dir
    from ztconsole.engine.compiled import CompiledPolicies
    from ztconsole.engine.whatif import Context, what_if
    from ztconsole.tenantdir.reader import load_tenant

    tenant = load_tenant(demo_dir(), keys=list(CA_USES))
    ctx = Context.from_tenant(tenant)
    rng = random.Random(12)
    sign_ins = [random_sign_in(rng) for _ in range(3000)]
    path = write_tests(tmp_path / "r.toml", [{**s, "expect": {"decision": "allow"}} for s in sign_ins])
    tf = cmd.read_file(path)
    assert tf.valid, tf.problems
    cmd.resolve(tf, ctx, cmd._Policies(tenant.ca_policies))
    assert tf.valid, tf.problems[:3]
    assert len(tf.tests) == len(sign_ins)
    compiled = CompiledPolicies.build(tenant.ca_policies, ctx).decide_many(t.scenario for t in tf.tests)
    for t, d in zip(tf.tests, compiled):
        r = what_if(tenant.ca_policies, t.scenario, ctx)
        assert (d.applied, d.report_only, d.decision, d.requirements) == \
            (r.applied, r.report_only, r.decision, r.requirements), t.scenario


def test_random_sign_ins_pass_with_what_the_whatif_command_says(tmp_path: Path) -> None:
    rng = random.Random(7)
    tests = []
    for _ in range(25):
        s = random_sign_in(rng)
        code, out, err = cli(*whatif_argv(s), "--json")
        assert code == 0, err
        summary = json.loads(out)["summary"]
        tests.append({**s, "expect": {"decision": summary["decision"], "requirements": summary["requirements"],
                                      "applied": summary["applied"], "report-only": summary["reportOnly"]}})
    code, out, err = cli("test", "--demo", str(write_tests(tmp_path / "w.toml", tests)), "--format", "json")
    assert code == 0, (err, out)
    assert json.loads(out)["summary"]["passed"] == 25


# --- failures ------------------------------------------------------------------------------------------------

WRONG = {1: {"decision": "allow"}, 4: {"applied": ["CA001-Global-AllApps-AnyPlatform-RequireMFA"]},
         7: {"requirements": [["mfa"]]}, 15: {"applied": ["CA026"], "decision": "allow", "not-applied": ["CA001"]}}


def wrong_file(tmp_path: Path) -> tuple[Path, list[str]]:
    """The example with deliberately wrong expectations in the tests of :data:`WRONG`."""
    tests = example_tests()
    for i, expect in WRONG.items():
        tests[i] = {**tests[i], "expect": expect}
    return write_tests(tmp_path / "wrong.toml", tests), [tests[i]["name"] for i in sorted(WRONG)]


def test_wrong_expectations_fail_exactly_those_tests_in_json_and_junit(tmp_path: Path) -> None:
    wrong, names = wrong_file(tmp_path)
    code, out, err = cli("test", "--demo", str(EXAMPLE), str(wrong), "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    n = len(example_tests())
    assert [t["file"] for t in doc["tests"]] == [str(EXAMPLE)] * n + [str(wrong)] * n
    failed = [t["name"] for t in doc["tests"] if t["status"] == "failed"]
    assert failed == names
    assert all(t["file"] == str(wrong) and t["failures"] for t in doc["tests"] if t["status"] == "failed")
    assert doc["summary"] == {"passed": 2 * n - len(WRONG), "failed": len(WRONG)}
    by_name = {t["name"]: t for t in doc["tests"] if t["file"] == str(wrong)}
    assert by_name[names[0]]["failures"] == ["decision: expected allow, got controls"]
    assert by_name[names[1]]["failures"] == [
        "applied: expected to apply, does not: CA001-Global-AllApps-AnyPlatform-RequireMFA"]
    assert by_name[names[2]]["failures"] == ['requirements: expected [["mfa"]], got [["mfa"], ["passwordChange"]]']
    assert by_name[names[3]]["failures"] == [
        "decision: expected allow, got controls",
        "applied: expected to apply, does not: CA026-Admins-AdminPortals-RequireMFA",
        "not-applied: expected not to apply, applies: CA001-Global-AllApps-AnyPlatform-RequireMFA"]

    code, out, err = cli("test", "--demo", str(EXAMPLE), str(wrong), "--format", "junit")
    assert code == 1
    root = ET.fromstring(out)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(EXAMPLE), str(wrong)]
    assert [s.get("failures") for s in suites] == ["0", str(len(WRONG))]
    assert [len(s.findall("testcase")) for s in suites] == [n, n]
    junit_failed = [c.get("name") for c in suites[1].findall("testcase") if c.find("failure") is not None]
    assert junit_failed == names
    assert root.get("tests") == str(2 * n) and root.get("failures") == str(len(WRONG))

    code, out, err = cli("test", "--demo", str(wrong))
    assert code == 1
    assert all(len(line) <= 80 for line in out.splitlines() if str(wrong) not in line)
    assert out.count("  FAIL  ") == len(WRONG)
    assert "decision: expected allow, got controls" in out


def test_output_writes_the_report_to_a_file(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    code, out, err = cli("test", "--demo", str(EXAMPLE), "--format", "junit", "--output", str(report))
    assert code == 0, err
    assert out == ""
    assert ET.parse(report).getroot().tag == "testsuites"


# --- invalid files -------------------------------------------------------------------------------------------

BAD = """\
[[test]]
name = "fine"
user = "AdeleV@contoso.com"
app = "Office365"
[test.expect]
decision = "controls"

[[test]]
user = "AdeleV@contoso.com"
app = "Office365"
platfrom = "windows"
[test.expect]
decison = "block"

[[test]]
user = "AdeleV@contoso.com"
app = "Office365"
compliant-network = "yes"
[test.expect]
decision = "maybe"
"""

UNKNOWN = """\
[[test]]
user = "nobody@contoso.com"
app = "Office365"
[test.expect]
decision = "allow"

[[test]]
user = "AdeleV@contoso.com"
app = "No Such Application"
[test.expect]
applied = ["CA0"]
not-applied = ["CA999-Nope"]

[[test]]
user = "AdeleV@contoso.com"
user-action = "registerSecurityInformation"
client-app = "browsr"
[test.expect]
report-only = ["CA025"]
"""


def test_an_invalid_file_exits_2_naming_file_line_and_key_and_none_of_its_tests_runs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD, encoding="utf-8")
    code, out, err = cli("test", "--demo", str(bad), str(EXAMPLE), "--format", "json")
    assert code == 2
    assert f"{bad}:11: [test] item 2 has an unknown key 'platfrom' (did you mean 'platform'?)" in err
    assert f"{bad}:13: [test.expect] item 2 has an unknown key 'decison' (did you mean 'decision'?)" in err
    assert f"{bad}:18: [test] compliant-network item 3 must be a boolean, got a string" in err
    assert f"{bad}:20: [test.expect] decision item 3 must be block, controls or allow, got 'maybe'" in err
    doc = json.loads(out)  # the valid file still ran; nothing of the invalid one did
    assert {t["file"] for t in doc["tests"]} == {str(EXAMPLE)}
    assert doc["summary"]["failed"] == 0

    code, out, err = cli("test", "--demo", str(bad), "--format", "junit")
    assert code == 2
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
    error = suite.find("testcase/error")
    assert error is not None and "platfrom" in (error.text or "")


def test_unknown_users_apps_and_policies_make_the_file_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "unknown.toml"
    bad.write_text(UNKNOWN, encoding="utf-8")
    code, out, err = cli("test", "--demo", str(bad))
    assert code == 2
    lines = err.splitlines()

    def line(fragment: str) -> str:
        return next(x for x in lines if fragment in x)

    assert line("'nobody@contoso.com'").startswith(f"ztconsole test: {bad}:2: [test] item 1 key 'user':")
    assert line("No Such Application").startswith(f"ztconsole test: {bad}:9: [test] item 2 key 'app':")
    assert line("'CA0' is ambiguous").startswith(f"ztconsole test: {bad}:11: [test.expect] item 2 key 'applied':")
    assert line("CA999-Nope").startswith(f"ztconsole test: {bad}:12: [test.expect] item 2 key 'not-applied':")
    assert line("browsr").startswith(f"ztconsole test: {bad}:17: [test] item 3 key 'client-app':")
    assert "invalid, none of its tests ran" in err
    assert "INVALID" in out and "PASS" not in out and "FAIL" not in out


@pytest.mark.parametrize(("text", "expected"), [
    ("", "required key test is missing"),
    ("[[tests]]\nuser = 'x'\n", "unknown key 'tests' (did you mean 'test'?)"),
    ("[[test]]\nuser = 'AdeleV@contoso.com'\napp = 'All'\n", "required table [test.expect] item 1 is missing"),
    ("[[test]]\nuser = 'AdeleV@contoso.com'\napp = 'All'\n[test.expect]\n", "needs at least one of decision"),
    ("[[test]]\nuser = 'AdeleV@contoso.com'\n[test.expect]\ndecision = 'allow'\n", "key 'app': is missing"),
    ("[[test]]\nuser = 'AdeleV@contoso.com'\napp = 'All'\nuser-action = 'registerOrJoinDevices'\n"
     "[test.expect]\ndecision = 'allow'\n", "give app or user-action, not both"),
    ("[[test]]\nuser = 'AdeleV@contoso.com'\napp = 'All'\nip = 'nowhere'\n[test.expect]\ndecision = 'allow'\n",
     "key 'ip': must be an IPv4 or IPv6 address"),
    ("[[test]]\nuser = 'AdeleV@contoso.com'\napp = 'All'\ndevice = { isCompliant = 'perhaps' }\n"
     "[test.expect]\ndecision = 'allow'\n", "key 'device': device property isCompliant"),
    ("[[test]]\nuser = 'AdeleV@contoso.com'\napp = \n", "not valid TOML"),
])
def test_each_kind_of_invalid_file(tmp_path: Path, text: str, expected: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    code, out, err = cli("test", "--demo", str(bad))
    assert code == 2, (out, err)
    assert str(bad) in err and expected in err, err


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = cli("test", "--demo", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "nope.toml: cannot read the test file" in err


# --- sources --------------------------------------------------------------------------------------------------


def test_an_unreadable_source_exits_3(tmp_path: Path) -> None:
    code, out, err = cli("test", "--tenant-dir", str(tmp_path / "missing"), str(EXAMPLE))
    assert code == 3, err


def test_incomplete_data_exits_3_unless_allow_partial(tmp_path: Path) -> None:
    from ztconsole.demo import demo_dir

    root = tmp_path / "tenant"
    shutil.copytree(demo_dir(), root)
    toml = root / "tenant.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[datasets."graph/v1.0/groups"]\nstatus = "partial"\n'
                    'message = "page 2 failed: 503"\n', encoding="utf-8")
    code, out, err = cli("test", "--tenant-dir", str(root), str(EXAMPLE))
    assert code == 3 and "graph/v1.0/groups is partial" in err
    code, out, err = cli("test", "--tenant-dir", str(root), str(EXAMPLE), "--allow-partial", "--format", "json")
    doc = json.loads(out)
    assert doc["incomplete"] and doc["incomplete"][0]["dataSet"] == "graph/v1.0/groups"
    code, out, err = cli("test", "--tenant-dir", str(root), str(EXAMPLE), "--allow-partial")
    assert out.startswith("INCOMPLETE")


# --- tenant and file text is data -------------------------------------------------------------------------------


def test_hostile_names_are_printed_as_plain_text_and_valid_xml(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.toml"
    hostile.write_text('[[test]]\nname = "evil \\u001b]52;c;AAAA\\u0007 \\u202e name \\u0001"\n'
                       'user = "AdeleV@contoso.com"\napp = "Office365"\n[test.expect]\ndecision = "block"\n',
                       encoding="utf-8")
    code, out, err = cli("test", "--demo", str(hostile))
    assert code == 1
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", out)
    code, out, err = cli("test", "--demo", str(hostile), "--format", "junit")
    assert code == 1
    case = ET.fromstring(out).find("testsuite/testcase")
    assert case is not None and "\x1b" not in (case.get("name") or "") and case.find("failure") is not None
    code, out, err = cli("test", "--demo", str(hostile), "--format", "json")
    assert "\\u001b" in out and "\x1b" not in out
