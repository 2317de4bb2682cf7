"""``ztconsole test FILE.toml...``: Conditional Access tests as code (CONTRACTS §7).

A test file is an array of tables ``[[test]]``, each one sign-in (``whatif``'s options without the dashes,
resolved by :func:`ztconsole.commands.whatif_input.resolve_scenario`, so the same values and defaults) and
the outcome it must have (``[test.expect]``). Every file is checked first, whole: TOML syntax, the schema
(:mod:`ztconsole.tomlschema`: unknown keys with a "did you mean", wrong types), then against the tenant
(unknown users, apps and policies, ambiguous policy names). A file with any problem is invalid: each
problem is named on stderr with the file, line and key, none of that file's tests runs, and the command
exits 2; the tests of the other, valid files still run and are reported (their results are still worth
reading in CI), but the exit code stays 2.

Evaluation is in bulk: every scenario of every file through the compiled evaluator
(:mod:`ztconsole.engine.compiled`), which answers exactly what ``whatif --json`` summarises (applied and
report-only ids, decision, requirements): its answers equal the reference evaluator's
(:func:`ztconsole.engine.whatif.what_if`, what ``whatif`` runs), which the tests check differentially. Judging
each failure again with the reference was tried: at 0.5-1 ms a scenario it made a file of mostly failing
tests 15x slower, for an answer the differential tests already guarantee.

Output: ``table`` (80 columns), ``json`` (CONTRACTS §7, with the ``incomplete`` list of §2), ``junit`` (one
``<testsuite>`` per file, one ``<testcase>`` per test, a ``<failure>`` per failed test; an invalid file is a
suite with one ``<error>``). Exit 0 all passed, 1 a test failed, 2 a file is invalid, 3 the source could not
be read (or not completely, without ``--allow-partial``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import UsageError
from ztconsole.commands.source import add_allow_partial, add_source

if TYPE_CHECKING:
    from ztconsole.engine.whatif import Context, Scenario
    from ztconsole.model.ca import ConditionalAccessPolicy
    from ztconsole.model.completeness import Incomplete
    from ztconsole.tomlschema import Problem

NAME = "test"
FORMATS = ("table", "json", "junit")
DECISIONS = ("block", "controls", "allow")
#: the sign-in keys of a test, as ``whatif`` names its options (CONTRACTS §2, §7)
SIGN_IN_KEYS = ("user", "app", "user-action", "auth-context", "client-app", "platform", "ip", "country",
                "sign-in-risk", "user-risk", "compliant-network", "device", "auth-flow")
#: the keys that say what is signed in to: exactly one per test, as whatif takes exactly one
TARGET_KEYS = ("app", "user-action", "auth-context")
EXPECT_KEYS = ("decision", "requirements", "applied", "not-applied", "report-only")
WIDTH = 80


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="Conditional Access tests as code: sign-ins and the outcome each must have",
                       description="Run files of sign-in scenarios through the local evaluator; each test "
                                   "passes or fails. Exit 0 all passed, 1 a test failed, 2 a file is invalid, "
                                   "3 the source could not be read.")
    add_source(p)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE.toml", help="test files (CONTRACTS 7)")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--output", metavar="FILE", type=Path, help="write the report to FILE instead of stdout")
    add_allow_partial(p)


# --------------------------------------------------------------------------------------------- the files


@dataclass
class Test:
    """One ``[[test]]``, resolved: its scenario and its expectations (policy ids)."""

    index: int
    name: str
    line: int | None
    scenario: Scenario
    decision: str | None = None
    requirements: tuple[tuple[str, ...], ...] | None = None
    applied: tuple[str, ...] = ()
    not_applied: tuple[str, ...] = ()
    report_only: tuple[str, ...] = ()


@dataclass
class TestFile:
    """A file as read: its tests once valid, else its problems (each one line naming file, line and key)."""

    path: Path
    text: str = ""
    raw: list[Any] = field(default_factory=list)  # the schema-checked [[test]] tables
    tests: list[Test] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class Outcome:
    file: str
    name: str
    line: int | None
    failures: list[str]

    @property
    def status(self) -> str:
        return "failed" if self.failures else "passed"


def _schema() -> Any:
    """The msgspec schema of a test file (built on first use: parsing a command line imports no msgspec)."""
    global _SCHEMA
    if _SCHEMA is not None:
        return _SCHEMA
    from typing import Literal

    import msgspec

    def struct(name: str, fields: list[tuple[Any, ...]]) -> Any:
        return msgspec.defstruct(name, fields, forbid_unknown_fields=True, kw_only=True)

    def opt(name: str, tp: Any, key: str | None = None, default: Any = None) -> tuple[Any, ...]:
        return (name, tp, msgspec.field(default=default, name=key)) if key else (name, tp, default)

    text = str | None
    strings = list[str] | None
    expect = struct("Expect", [
        opt("decision", Literal["block", "controls", "allow"] | None),
        opt("requirements", list[list[str]] | None),
        opt("applied", strings),
        opt("not_applied", strings, "not-applied"),
        opt("report_only", strings, "report-only"),
    ])
    test = struct("Test", [
        ("user", str),
        ("expect", expect),
        opt("name", text),
        opt("app", text),
        opt("user_action", text, "user-action"),
        opt("auth_context", text, "auth-context"),
        opt("client_app", text, "client-app"),
        opt("platform", text),
        opt("ip", text),
        opt("country", text),
        opt("sign_in_risk", text, "sign-in-risk"),
        opt("user_risk", text, "user-risk"),
        opt("compliant_network", bool, "compliant-network", False),
        opt("device", dict[str, str | bool | list[str]] | None),
        opt("auth_flow", text, "auth-flow"),
    ])
    File = struct("TestFile", [("test", list[test])])  # type: ignore[valid-type]
    _SCHEMA = File
    return File


_SCHEMA: Any = None


def read_file(path: Path) -> TestFile:
    """``path`` read and checked against the schema (not yet against a tenant)."""
    import tomllib

    import msgspec

    from ztconsole import tomlschema

    tf = TestFile(path)
    try:
        tf.text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        tf.problems.append(f"{path}: cannot read the test file: {getattr(e, 'strerror', None) or e}")
        return tf
    try:
        data = tomllib.loads(tf.text)
    except tomllib.TOMLDecodeError as e:
        message, line, column = tomlschema.syntax_location(e, tf.text)
        where = f"{path}:{line}" + (f":{column}" if column else "") if line else str(path)
        tf.problems.append(f"{where}: not valid TOML: {message}")
        return tf
    schema = _schema()
    try:  # the fast path (msgspec in C); a file it refuses is walked for every problem
        value = msgspec.convert(data, schema)
        problems: list[Problem] = []
    except msgspec.ValidationError:
        report = tomlschema.validate(data, schema)
        value, problems = report.value, list(report.problems)
    tests = list(value.test or []) if value is not None else []
    for i, t in enumerate(tests):
        if t is None:
            continue
        here: tuple[str | int, ...] = ("test", i)
        given = [key for key in TARGET_KEYS if getattr(t, key.replace("-", "_")) is not None]
        if len(given) > 1:
            problems.append(tomlschema.Problem((*here, given[-1]), _rule((*here, given[-1]),
                            f"give {' or '.join(given)}, not both" if len(given) == 2
                            else f"give only one of {', '.join(given)}")))
        elif not given and t.user is not None:
            problems.append(tomlschema.Problem((*here, "app"), _rule((*here, "app"),
                            "is missing: give app, user-action or auth-context")))
        expect_ok = not any(p.path[:3] == (*here, "expect") for p in problems)
        if expect_ok and t.expect is not None and all(getattr(t.expect, f) is None for f in
                                        ("decision", "requirements", "applied", "not_applied", "report_only")):
            problems.append(tomlschema.Problem((*here, "expect"), _rule(
                (*here, "expect"), f"needs at least one of {', '.join(EXPECT_KEYS)}", table=True)))
    if value is not None and not tests and not problems:
        problems.append(tomlschema.Problem(("test",), "the file has no [[test]]"))
    tf.raw = tests
    tf.problems.extend(_sentences(problems, tf))
    return tf


def _rule(path: tuple[str | int, ...], text: str, *, table: bool = False) -> str:
    """``[test] item 3 key 'user': <text>``: a rule's sentence, naming the key as :mod:`ztconsole.tomlschema`
    names them."""
    from ztconsole.tomlschema import render_key

    keys = [part for part in path if isinstance(part, str)]
    items = "".join(f" item {part + 1}" for part in path if isinstance(part, int))
    if table:
        return f"[{render_key(keys)}]{items}: {text}"
    return f"[{render_key(keys[:-1])}]{items} key '{keys[-1]}': {text}"


def _sentences(problems: Iterable[Problem], tf: TestFile) -> list[str]:
    """Each problem as one line naming the file, line and key, in file order."""
    from ztconsole.tomlschema import Located, render_key, where

    placed = []
    for p in problems:
        line = _line_of(tf, p.lookup or p.path)
        placed.append(Located(tf.name, line, render_key(p.path) or None, where(p.path, p.table), p.message,
                              p.suggestion, p))
    placed.sort(key=lambda located: located.line or 0)
    return [located.sentence() for located in placed]


def _test_lines(text: str) -> list[int]:
    """The line of each ``[[test]]`` header, in order."""
    import re

    lines, at, count = [], 0, 1
    for m in re.finditer(r"^[ \t]*\[\[[ \t]*(?:test|\"test\"|'test')[ \t]*\]\]", text, re.M):
        count += text.count("\n", at, m.start())
        at = m.start()
        lines.append(count)
    return lines


def _line_of(tf: TestFile, path: Sequence[str | int]) -> int | None:
    """The line of ``path`` (``("test", 3, "expect", "applied")``): inside the block of test 4."""
    from ztconsole.tomlschema import LineIndex

    starts = _test_lines(tf.text)
    if len(path) >= 2 and path[0] == "test" and isinstance(path[1], int) and path[1] < len(starts):
        lines = tf.text.splitlines()
        begin = starts[path[1]] - 1
        end = starts[path[1] + 1] - 1 if path[1] + 1 < len(starts) else len(lines)
        found = LineIndex("\n".join(lines[begin:end])).line_of(("test", *path[2:]))
        return begin + found if found is not None else starts[path[1]]
    return LineIndex(tf.text).line_of(tuple(path))


# ------------------------------------------------------------------------------------------ resolution


class _Policies:
    """Policy references: an id, a display name, or the unique start of one (case-insensitive)."""

    def __init__(self, policies: Sequence[ConditionalAccessPolicy]):
        self.policies = policies
        self.names = {p.id: p.display_name or p.id for p in policies}
        self._cache: dict[str, str] = {}

    def resolve(self, ref: str) -> str:
        found = self._cache.get(ref)
        if found is None:
            found = self._cache[ref] = self._resolve(ref)
        return found

    def _resolve(self, ref: str) -> str:
        low = ref.strip().casefold()
        if not low:
            raise ValueError("is empty: give a policy id, display name or the start of one")
        for matches in ([p for p in self.policies if p.id.casefold() == low],
                        [p for p in self.policies if (p.display_name or "") == ref.strip()],
                        [p for p in self.policies if (p.display_name or "").casefold() == low],
                        [p for p in self.policies if (p.display_name or "").casefold().startswith(low)]):
            if len(matches) == 1:
                return matches[0].id
            if len(matches) > 1:
                shown = "; ".join(p.display_name or p.id for p in matches[:3])
                more = f" and {len(matches) - 3} more" if len(matches) > 3 else ""
                raise ValueError(f"{ref!r} is ambiguous: it names {len(matches)} policies: {shown}{more}")
        import difflib

        close = difflib.get_close_matches(ref.strip(), [p.display_name or "" for p in self.policies], n=3,
                                          cutoff=0.5)
        hint = f" (did you mean {'; '.join(close)}?)" if close else ""
        raise ValueError(f"{ref!r}: no policy has that id, display name or start of a display name{hint}")


def _device_args(device: Mapping[str, Any]) -> list[str]:
    """A ``device`` table as ``--device KEY=VALUE`` arguments (an array repeats the key; a boolean is
    ``True``/``False``, as whatif's ``--device isCompliant=True``)."""
    out = []
    for key, value in device.items():
        for item in value if isinstance(value, list) else [value]:
            out.append(f"{key}={item}" if not isinstance(item, bool) else f"{key}={'True' if item else 'False'}")
    return out


def resolve(tf: TestFile, ctx: Context, policies: _Policies) -> None:
    """Turn ``tf``'s checked tables into tests against the tenant; each problem named with its line."""
    from ztconsole import tomlschema
    from ztconsole.commands.whatif_input import resolve_scenario
    from ztconsole.engine.device_filter import DeviceInputError

    problems: list[Problem] = []
    starts = _test_lines(tf.text)
    for i, t in enumerate(tf.raw):
        here: tuple[str | int, ...] = ("test", i)
        try:
            scenario = resolve_scenario(
                ctx, user=t.user, app=t.app, user_action=t.user_action, auth_context=t.auth_context,
                client_app=t.client_app, platform=t.platform, ip=t.ip, country=t.country,
                sign_in_risk=t.sign_in_risk, user_risk=t.user_risk,
                device=_device_args(t.device) if t.device is not None else None,
                compliant_network=t.compliant_network, auth_flow=t.auth_flow)
        except DeviceInputError as e:
            text = str(e).removeprefix("--device").lstrip(": ")
            problems.append(tomlschema.Problem((*here, "device"), _rule((*here, "device"), text)))
            scenario = None
        except ValueError as e:
            key, text = _option_message(str(e))
            problems.append(tomlschema.Problem((*here, key), _rule((*here, key), text)))
            scenario = None
        expect = t.expect
        resolved: dict[str, tuple[str, ...]] = {}
        for attr, key in (("applied", "applied"), ("not_applied", "not-applied"), ("report_only", "report-only")):
            ids = []
            for ref in getattr(expect, attr) or ():
                try:
                    ids.append(policies.resolve(ref))
                except ValueError as e:
                    problems.append(tomlschema.Problem((*here, "expect", key), _rule((*here, "expect", key), str(e))))
            resolved[attr] = tuple(dict.fromkeys(ids))
        requirements = None
        if expect.requirements is not None:
            requirements = tuple(sorted({tuple(sorted(set(alt))) for alt in expect.requirements}))
        if scenario is None:
            continue
        target = next(v for v in (t.app, t.user_action, t.auth_context) if v is not None)
        tf.tests.append(Test(i, t.name if t.name is not None else f"{t.user} -> {target}",
                             starts[i] if i < len(starts) else None, scenario, expect.decision, requirements,
                             **resolved))
    if problems:
        tf.tests = []
        tf.problems.extend(_sentences(problems, tf))


def _option_message(message: str) -> tuple[str, str]:
    """whatif_input's message about ``--opt`` as the test file's key and the rest of the sentence."""
    import re

    m = re.match(r"--([a-z-]+)\b:?\s*(.*)", message, re.S)
    if m and m.group(1) in SIGN_IN_KEYS:
        return m.group(1), m.group(2)
    return "user", message


# ------------------------------------------------------------------------------------------ judging


def _names(ids: Iterable[str], names: Mapping[str, str]) -> str:
    return ", ".join(names.get(i, i) for i in ids)


def judge(test: Test, applied: Sequence[str], report_only: Sequence[str], decision: str,
          requirements: Sequence[Sequence[str]], names: Mapping[str, str]) -> list[str]:
    """What in ``test``'s expectations does not hold for this answer (whatif --json summary's values)."""
    import json

    failures = []
    if test.decision is not None and decision != test.decision:
        failures.append(f"decision: expected {test.decision}, got {decision}")
    if test.requirements is not None:
        got = [list(r) for r in requirements]
        if [list(r) for r in test.requirements] != got:
            failures.append(f"requirements: expected {json.dumps([list(r) for r in test.requirements])}, "
                            f"got {json.dumps(got)}")
    applied_set, report_set = set(applied), set(report_only)
    missing = [i for i in test.applied if i not in applied_set]
    if missing:
        failures.append(f"applied: expected to apply, does not: {_names(missing, names)}")
    present = [i for i in test.not_applied if i in applied_set]
    if present:
        failures.append(f"not-applied: expected not to apply, applies: {_names(present, names)}")
    absent = [i for i in test.report_only if i not in report_set]
    if absent:
        failures.append(f"report-only: expected to apply as report-only, does not: {_names(absent, names)}")
    return failures


def evaluate(files: Sequence[TestFile], policies: Sequence[ConditionalAccessPolicy], ctx: Context,
             names: Mapping[str, str]) -> list[Outcome]:
    """Every test of the valid files, in order, through the compiled evaluator in bulk (its answers are the
    reference's, whatif's: ``tests/test_engine_compiled.py`` and ``tests/test_cmd_test.py`` check it)."""
    from ztconsole.engine.compiled import CompiledPolicies

    tests = [(tf, t) for tf in files if tf.valid for t in tf.tests]
    compiled = CompiledPolicies.build(policies, ctx)
    decisions = compiled.decide_many(t.scenario for _, t in tests)
    return [Outcome(tf.name, t.name, t.line, judge(t, d.applied, d.report_only, d.decision, d.requirements, names))
            for (tf, t), d in zip(tests, decisions)]


# ------------------------------------------------------------------------------------------ running


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.gcpause import gc_paused

    with gc_paused():  # hundreds of thousands of parsed tables and scenarios, none of them cyclic
        files = [read_file(path) for path in args.files]
    outcomes: list[Outcome] = []
    missing: list[Incomplete] = []
    if any(tf.valid for tf in files):  # else the source is not read: there is nothing to run
        from ztconsole.commands.ca_data import load_ca

        with gc_paused():  # modules that live as long as the process (see the ca_data module)
            from ztconsole.engine.whatif import Context
        tenant, missing = load_ca(args, err)
        ctx = Context.from_tenant(tenant)
        policies = _Policies(tenant.ca_policies)
        with gc_paused():
            for tf in files:
                if tf.valid:
                    resolve(tf, ctx, policies)
            outcomes = evaluate(files, tenant.ca_policies, ctx, policies.names)
    _problems(files, err)
    text = render(args.format, files, outcomes, missing)
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"--output {args.output}: cannot write: {e.strerror or e}") from None
    else:
        out.write(text)
    if not all(tf.valid for tf in files):
        return exitcodes.USAGE
    return exitcodes.OK if all(not o.failures for o in outcomes) else exitcodes.FINDINGS


def _problems(files: Sequence[TestFile], err: TextIO) -> None:
    from ztconsole.safetext import clean

    for tf in files:
        for problem in tf.problems:
            err.write(f"ztconsole test: {clean(problem)}\n")
        if tf.problems:
            err.write(f"ztconsole test: {clean(tf.name)}: invalid, none of its tests ran\n")


def render(fmt: str, files: Sequence[TestFile], outcomes: Sequence[Outcome],
           missing: Sequence[Incomplete] = ()) -> str:
    """The report in ``fmt`` (table, json or junit)."""
    if fmt == "json":
        from ztconsole.safetext import dump_json

        return dump_json(to_json(outcomes, missing))
    if fmt == "junit":
        return to_junit(files, outcomes, missing)
    import io

    from ztconsole.commands.source import print_text

    buf = io.StringIO()
    print_text(buf, to_table(files, outcomes), missing)
    return buf.getvalue()


def to_json(outcomes: Sequence[Outcome], missing: Sequence[Incomplete] = ()) -> dict[str, Any]:
    """CONTRACTS §7, with §2's ``incomplete`` list."""
    failed = sum(1 for o in outcomes if o.failures)
    return {
        "tests": [{"file": o.file, "name": o.name, "status": o.status, "failures": list(o.failures)}
                  for o in outcomes],
        "summary": {"passed": len(outcomes) - failed, "failed": failed},
        "incomplete": [m.to_json() for m in missing],
    }


def to_table(files: Sequence[TestFile], outcomes: Sequence[Outcome]) -> list[str]:
    """Readable at 80 columns: one line per test under its file, each failure indented and wrapped."""
    import textwrap

    from ztconsole.safetext import clean

    by_file: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_file.setdefault(o.file, []).append(o)
    lines: list[str] = []
    for tf in files:
        name = clean(tf.name)
        if not tf.valid:
            lines += textwrap.wrap(f"{name}: INVALID, not run (the errors name each problem)", WIDTH,
                                   subsequent_indent="  ")
            lines.append("")
            continue
        mine = by_file.get(tf.name, [])
        failed = sum(1 for o in mine if o.failures)
        lines.append(f"{name}: {len(mine) - failed} passed, {failed} failed")
        for o in mine:
            where = f" (line {o.line})" if o.line and o.failures else ""
            lines += textwrap.wrap(f"{'FAIL' if o.failures else 'PASS'}  {clean(o.name)}{where}", WIDTH,
                                   initial_indent="  ", subsequent_indent=" " * 8)
            for failure in o.failures:
                lines += textwrap.wrap(clean(failure), WIDTH, initial_indent=" " * 8, subsequent_indent=" " * 10,
                                       break_on_hyphens=False)
        lines.append("")
    failed = sum(1 for o in outcomes if o.failures)
    invalid = sum(1 for tf in files if not tf.valid)
    summary = f"{len(outcomes)} tests: {len(outcomes) - failed} passed, {failed} failed"
    if invalid:
        summary += f"; {invalid} invalid file{'s' if invalid > 1 else ''} not run"
    lines.append(summary)
    return lines


def to_junit(files: Sequence[TestFile], outcomes: Sequence[Outcome], missing: Sequence[Incomplete] = ()) -> str:
    """JUnit XML: one ``<testsuite>`` per file, one ``<testcase>`` per test, a ``<failure>`` per failed test;
    an invalid file is a suite with one ``<error>`` naming its problems. Every text is cleaned of control
    characters (tenant and file text is data; XML 1.0 cannot carry them)."""
    import xml.etree.ElementTree as ET

    from ztconsole.safetext import clean

    by_file: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_file.setdefault(o.file, []).append(o)
    root = ET.Element("testsuites", name="ztconsole test")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for tf in files:
        mine = by_file.get(tf.name, [])
        failed = sum(1 for o in mine if o.failures)
        errors = 0 if tf.valid else 1
        suite = ET.SubElement(root, "testsuite", name=clean(tf.name), tests=str(len(mine) or errors),
                              failures=str(failed), errors=str(errors), skipped="0")
        if missing:
            props = ET.SubElement(suite, "properties")
            for m in missing:
                ET.SubElement(props, "property", name=f"incomplete:{m.data_set}",
                              value=clean(f"{m.status}: {m.message}"))
        if not tf.valid:
            case = ET.SubElement(suite, "testcase", name="the file is valid", classname=clean(tf.name))
            error = ET.SubElement(case, "error", message="invalid test file: none of its tests ran",
                                  type="InvalidTestFile")
            error.text = "\n".join(clean(p) for p in tf.problems)
        for o in mine:
            attrs = {"name": clean(o.name), "classname": clean(tf.name), "file": clean(tf.name)}
            if o.line:
                attrs["line"] = str(o.line)
            case = ET.SubElement(suite, "testcase", attrs)
            if o.failures:
                failure = ET.SubElement(case, "failure", message=clean(o.failures[0]), type="ExpectationFailed")
                failure.text = "\n".join(clean(f) for f in o.failures)
        totals["tests"] += len(mine) or errors
        totals["failures"] += failed
        totals["errors"] += errors
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
