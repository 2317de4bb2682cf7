"""Hardening of the headless commands (issue #9): printed command lines that paste safely into a shell,
answers on incomplete data refused or marked, bad values in tenant data reported as load issues (never an
engine exception), and the last-resort handler (exit 70, one line, no traceback)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_cli_ca import cli
from ztconsole.demo import demo_dir
from ztconsole.safetext import clean, command_line

POLICIES = "graph/v1.0/identity/conditionalAccess/policies.json"
LOCATIONS = "graph/v1.0/identity/conditionalAccess/namedLocations.json"
USERS = "graph/v1.0/users.json"
SPS = "graph/v1.0/servicePrincipals.json"
EXPENSES_APP = "a1f0a1e4-166a-59d6-b21e-0632c70291d2"  # the demo's example app of both gaps
LENA = "lena.fischer_tailspintoys.com#EXT#@contoso.onmicrosoft.com"

#: what no output may carry: ESC, C1 controls, BEL, NUL and bidirectional controls
FORBIDDEN = ["\x1b", "\x07", "\x00", *map(chr, range(0x80, 0xA0)), "\u061c", "\u200e", "\u200f",
             *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]


def tenant_copy(tmp_path: Path, name: str = "tenant") -> Path:
    target = tmp_path / name
    shutil.copytree(demo_dir(), target)
    return target


def edit(root: Path, rel: str, change: Any) -> None:
    path = root / rel
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def assert_inert(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in FORBIDDEN})
    assert not found, f"raw control characters reached the output: {found}"


# --- command lines printed for an admin to copy ---------------------------------------------------------------

HOSTILE_BITS = ["'", '"', "\\", "$(touch x)", "`id`", ";", "#", "&&", "|", "\n", "\t", " ", "\x1b", "\x1b'",
                "\x1b[2J", "\x1b]52;c;aGk=\x07", "\x1b]8;;http://x\x1b\\", "\x9b31m", "\x00", "\u202e", "*",
                "~", "!", "{a,b}", "$HOME", "\u00a0", "é", "--user"]
hostile = st.lists(st.one_of(st.sampled_from(HOSTILE_BITS), st.text(max_size=4)), max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(hostile, min_size=1, max_size=5))
def test_command_line_round_trips_to_the_cleaned_argv(argv: list[str]) -> None:
    line = command_line(argv)
    assert shlex.split(line) == [clean(a) for a in argv]
    assert clean(line) == line  # nothing left for a terminal to interpret
    assert "\n" not in line


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(hostile, min_size=1, max_size=4))
def test_bash_runs_the_printed_line_as_exactly_those_arguments(tmp_path: Path, argv: list[str]) -> None:
    """Pasted into bash, the line runs one command with exactly the printed arguments, and nothing else."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    script = "show() { printf '%s\\0' \"$@\"; }; show " + command_line(argv)
    done = subprocess.run([bash, "--noprofile", "--norc", "-c", script], cwd=tmp_path, capture_output=True,
                          timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split("\0")[:-1] == [clean(a) for a in argv]
    assert list(tmp_path.iterdir()) == []  # no file appeared: nothing was executed


def test_gaps_example_line_cannot_run_tenant_text(tmp_path: Path) -> None:
    """The reported attack: an app named to break out of the quoting plus a UPN ending in ESC."""
    root = tenant_copy(tmp_path)
    canary = tmp_path / "pwned"
    evil_app = f"Contoso Expenses'; touch {canary}; #"

    def rename_app(sps: list[dict[str, Any]]) -> None:
        for sp in sps:
            if sp.get("appId") == EXPENSES_APP:
                sp["displayName"] = evil_app

    def escape_upn(users: list[dict[str, Any]]) -> None:
        for u in users:
            if u.get("userPrincipalName") == LENA:
                u["userPrincipalName"] = LENA + "\x1b"
                lena_id.append(u["id"])

    lena_id: list[str] = []
    edit(root, SPS, rename_app)
    edit(root, USERS, escape_upn)
    code, out, err = cli("gaps", "--tenant-dir", str(root))
    assert code == 0, err
    assert_inert(out + err)
    examples = [line.split("Example:", 1)[1] for line in out.splitlines() if line.strip().startswith("Example:")]
    assert len(examples) == 2
    for line in examples:
        argv = shlex.split(line)
        assert argv[:2] == ["ztconsole", "whatif"] and argv[argv.index("--app") + 1] == EXPENSES_APP
        assert not any("Expenses" in a for a in argv), "tenant text is never part of a command line"
        # it replays: whatif accepts exactly these arguments and finds the sign-in uncovered
        code, doc, err = cli(*argv[1:], "--tenant-dir", str(root), "--json")
        assert code == 0, err
        assert json.loads(doc)["summary"]["decision"] != "block"
    # the UPN is not printable, so the guest's example names her by object id
    assert f"--user {lena_id[0]} " in examples[0]
    assert "Example app:  Contoso Expenses'; touch" in out  # the name is shown, on its own line
    bash = shutil.which("bash")
    if bash is not None:
        for line in examples:
            subprocess.run([bash, "--noprofile", "--norc", "-c", "ztconsole() { :; }; " + line], cwd=tmp_path,
                           check=True, timeout=20)
        assert not canary.exists()


# --- answers on incomplete data ---------------------------------------------------------------------------------


@pytest.fixture
def malformed_policies(tmp_path: Path) -> Path:
    """The demo with 5 of its 27 policies malformed (the tester's case: gaps answered 7 gaps, the demo has 2)."""
    root = tenant_copy(tmp_path)

    def break_five(policies: list[dict[str, Any]]) -> None:
        for p in policies[:5]:
            p["conditions"] = "not an object"

    edit(root, POLICIES, break_five)
    return root


COMMANDS = [["gaps"], ["whatif", "--user", "AdeleV@contoso.com", "--app", "Office365"],
            ["impact", "--policy", "CA025"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_analysis_on_incomplete_data_exits_3_naming_the_data_set(malformed_policies: Path,
                                                                 command: list[str]) -> None:
    for extra in ([], ["--json"]):
        code, out, err = cli(*command, "--tenant-dir", str(malformed_policies), *extra)
        assert code == 3, (out, err)
        assert out == ""
        assert "graph/v1.0/identity/conditionalAccess/policies is partial: 5 malformed item(s)" in err
        assert "$[0].conditions" in err and "--allow-partial" in err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_allow_partial_answers_with_a_banner_and_the_incomplete_list(malformed_policies: Path,
                                                                     command: list[str]) -> None:
    code, out, err = cli(*command, "--tenant-dir", str(malformed_policies), "--allow-partial")
    assert code == 0, err
    assert out.startswith("INCOMPLETE: answered without all of its data (--allow-partial); not read completely:\n"
                          "  graph/v1.0/identity/conditionalAccess/policies: partial: 5 malformed item(s)")
    code, out, err = cli(*command, "--tenant-dir", str(malformed_policies), "--allow-partial", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["incomplete"] == [{"dataSet": "graph/v1.0/identity/conditionalAccess/policies",
                                  "status": "partial", "message": doc["incomplete"][0]["message"]}]
    assert doc["incomplete"][0]["message"].startswith("5 malformed item(s); first: ")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_complete_data_answers_with_an_empty_incomplete_list(command: list[str]) -> None:
    code, out, err = cli(*command, "--demo", "--json")
    assert code == 0, err
    assert json.loads(out)["incomplete"] == []
    code, out, err = cli(*command, "--demo")
    assert code == 0 and not out.startswith("INCOMPLETE")


def test_a_failed_sign_in_log_stops_impact_but_not_gaps(tmp_path: Path) -> None:
    """Each analysis gates on the data sets it uses: gaps reads no sign-ins."""
    root = tenant_copy(tmp_path)
    (root / "graph/v1.0/auditLogs/signIns.json").write_text("[{", encoding="utf-8")
    code, out, err = cli("impact", "--tenant-dir", str(root), "--policy", "CA025")
    assert code == 3 and "graph/v1.0/auditLogs/signIns is failed" in err
    code, out, err = cli("gaps", "--tenant-dir", str(root))
    assert code == 0, err


# --- bad values in tenant data ------------------------------------------------------------------------------------


def test_an_invalid_country_code_is_a_load_issue_not_a_traceback(tmp_path: Path) -> None:
    """The tester's case: an out-of-spec country in a named location that a policy excludes made gaps build
    an example no sign-in can have, and die with a traceback (exit 1)."""
    root = tenant_copy(tmp_path)
    where: list[int] = []

    def bad_country(locations: list[dict[str, Any]]) -> None:
        for i, loc in enumerate(locations):
            if "countriesAndRegions" in loc:
                loc["countriesAndRegions"] = ["ABC"]
                where.append(i)
                return

    edit(root, LOCATIONS, bad_country)
    code, out, err = cli("gaps", "--tenant-dir", str(root))
    assert code == 3, (out, err)
    assert "Traceback" not in err
    assert (f"{LOCATIONS[:-5]} $[{where[0]}].countriesAndRegions[0]: not an ISO 3166-1 alpha-2 country code: 'ABC'"
            in err)
    code, out, err = cli("gaps", "--tenant-dir", str(root), "--allow-partial")
    assert code == 0 and out.startswith("INCOMPLETE"), err


@pytest.mark.parametrize("value", ["ABC", "1", "", "U", "us ", "\u00dcS"])
def test_country_codes_are_two_letters(value: str) -> None:
    from ztconsole.model.ca import NamedLocation
    from ztconsole.model.wire import WireError, parse_one

    doc = {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": "x", "countriesAndRegions": ["NL", value]}
    with pytest.raises(WireError) as e:
        parse_one(NamedLocation, doc, (4,))
    assert e.value.path == (4, "countriesAndRegions", 1)
    doc["countriesAndRegions"] = ["NL", "us"]
    assert parse_one(NamedLocation, doc).countries_and_regions == ("NL", "us")


@pytest.mark.parametrize("cidr", ["999.1.1.1/33", "10.0.0.0/8x", "", "fe80::/129", "all"])
def test_ip_ranges_must_be_cidr(cidr: str) -> None:
    from ztconsole.model.ca import NamedLocation
    from ztconsole.model.wire import WireError, parse_one

    doc = {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": "x",
           "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": cidr}]}
    with pytest.raises(WireError) as e:
        parse_one(NamedLocation, doc)
    assert e.value.path == ("ipRanges", 0, "cidrAddress")


@pytest.mark.parametrize("tag", [5, 1.5, True, [], {}, ["#microsoft.graph.group"]])
def test_a_non_string_odata_type_is_a_malformed_item(tag: Any) -> None:
    """A number as ``@odata.type`` of a group member crashed the what-if context; a list crashed the load."""
    from ztconsole.model.ca import NamedLocation
    from ztconsole.model.directory import DirectoryObject
    from ztconsole.model.wire import WireError, parse_one

    for cls in (DirectoryObject, NamedLocation):
        with pytest.raises(WireError) as e:
            parse_one(cls, {"@odata.type": tag, "id": "x"}, (2,))
        assert e.value.path == (2, "@odata.type")


# The engine is handed only values the model admits: whatever a tenant holds, whatif, gaps and impact
# answer or the load reports the item. Random hostile values at random places of the CA data sets.
_ENGINE_FILES = [POLICIES, LOCATIONS, USERS, SPS, "graph/v1.0/groups.json",
                 "graph/v1.0/roleManagement/directory/roleAssignments.json", "graph/v1.0/auditLogs/signIns.json"]
_VALUES = st.one_of(st.sampled_from(["ABC", "", "999.1.1.1/33", "0.0.0.0/0", "::/0", "All", "None", "zz", "ZZ",
                                     "\x1b[2J", "\u202e", "(device.trustType -eq", "2026-13-45T00:00:00Z",
                                     "00000000-0000-0000-0000-000000000000", "unknownFutureValue", "1.2.3.4",
                                     "GuestsOrExternalUsers", "internalGuest,serviceProvider", "-1"]),
                    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.just([]),
                    st.just({}), st.text(max_size=8))


@pytest.fixture(scope="module")
def demo_files() -> dict[str, Any]:
    root = demo_dir()
    return {p.relative_to(root).as_posix(): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(root.rglob("*.json"))}


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, path + (k,))] or [path]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, path + (i,))] or [path]
    return [path]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_tenant_value_makes_the_engine_raise(demo_files: dict[str, Any], data: st.DataObject) -> None:
    import copy

    from ztconsole.engine.gaps import find_gaps
    from ztconsole.engine.impact import replay
    from ztconsole.engine.whatif import Context, Scenario, what_if
    from ztconsole.tenantdir import TenantDir, TenantFiles

    files = dict(demo_files)
    for _ in range(data.draw(st.integers(1, 4))):
        rel = data.draw(st.sampled_from(_ENGINE_FILES))
        doc = files[rel] = copy.deepcopy(files[rel])
        path = data.draw(st.sampled_from(_leaves(doc)))
        if not path:
            continue
        value = data.draw(_VALUES)
        holder = doc
        for part in path[:-1]:
            holder = holder[part]
        old = holder[path[-1]]
        holder[path[-1]] = old + [value] if isinstance(old, list) and data.draw(st.booleans()) else value
    info = TenantDir.open(demo_dir()).info
    tenant = TenantFiles(files, info).load(workers=1, keys=[
        "ca_policies", "named_locations", "users", "groups", "group_members", "user_member_of", "role_definitions",
        "role_assignments", "role_eligibility", "service_principals", "sign_ins"])
    ctx = Context.from_tenant(tenant)
    find_gaps(tenant, ctx=ctx)
    find_gaps(tenant, ctx=ctx, include_report_only=True)
    for policy in tenant.ca_policies[:4]:
        replay(tenant, policy, days=None, now=info.captured_at, ctx=ctx)
    for user in tenant.users[:5]:
        what_if(tenant.ca_policies, Scenario(user_id=user.id, app="All"), ctx)


# --- the last resort -------------------------------------------------------------------------------------------


def test_an_internal_error_is_one_line_and_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bad state \x1b]52;c;aGk=\x07 in the engine")

    monkeypatch.delenv("ZTCONSOLE_DEBUG", raising=False)
    monkeypatch.setattr("ztconsole.engine.gaps.find_gaps", boom)
    code, out, err = cli("gaps", "--demo")
    assert code == 70
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("ztconsole: internal error: RuntimeError: bad state ") and "report" in err
    assert_inert(err)
    monkeypatch.setenv("ZTCONSOLE_DEBUG", "1")
    code, out, err = cli("gaps", "--demo")
    assert code == 70 and "Traceback (most recent call last)" in err


def test_the_entry_point_exits_70_without_a_traceback() -> None:
    import os
    import sys

    code = ("import ztconsole.engine.gaps as gaps\n"
            "gaps.find_gaps = lambda *a, **k: 1 / 0\n"
            "from ztconsole.__main__ import main\n"
            "raise SystemExit(main(['gaps', '--demo']))\n")
    env = {k: v for k, v in os.environ.items() if k != "ZTCONSOLE_DEBUG"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 70, done.stderr
    assert done.stderr.startswith("ztconsole: internal error: ZeroDivisionError: division by zero.")
    assert "Traceback" not in done.stderr


def test_a_console_crash_is_one_line_exit_70_and_no_locals(tmp_path: Path) -> None:
    """Textual's own crash report shows local variables (here they could hold tokens): never that."""
    import os
    import sys

    code = ("from ztconsole.ui.app import ZtApp\n"
            "from ztconsole.sources.stack import RecordingSource\n"
            "from ztconsole.demo import demo_dir\n"
            "class Boom(ZtApp):\n"
            "    def on_mount(self):\n"
            "        super().on_mount()\n"
            "        token = 'eyJ0eXAi.secret'\n"
            "        self.set_timer(0.2, lambda: self.boom(token))\n"
            "    def boom(self, token):\n"
            "        raise RuntimeError('bad \\x1b[2J state')\n"
            "Boom.CSS_PATH = __import__('ztconsole.ui.app').ui.app.__file__[:-2] + 'tcss'\n"
            "import ztconsole.ui.app as ui\n"
            "ui.ZtApp = Boom\n"
            "raise SystemExit(ui.run_console(RecordingSource(demo_dir()), badge='DEMO'))\n")
    script = tmp_path / "boom.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ZTCONSOLE_DEBUG"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 70, done.stderr
    # after the screen (headless, it too goes to stderr), the one line
    assert done.stderr.endswith(
        "ztconsole: internal error: RuntimeError: bad  state. This is a bug in ztconsole: please report it with the "
        "command line and the output of 'ztconsole --version' (set ZTCONSOLE_DEBUG=1 for the traceback).\n")
    assert "eyJ0eXAi" not in done.stderr and "Traceback" not in done.stderr
