"""The Conditional Access device filter rule language (ztconsole.engine.device_filter).

Facts under test come from Microsoft Learn, "Conditional Access: Filter for devices" (properties, operators
per property, the 3,072-character limit, unregistered devices, include/exclude, extension attributes) and the
Entra dynamic membership rule syntax it refers to (precedence, -not, quoting, case, -in lists, null).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ztconsole.engine import device_filter as df
from ztconsole.engine.device_filter import (
    BOOLEAN,
    DEVICE_PROPERTIES,
    MAX_RULE_LENGTH,
    NEGATIVE_OPERATORS,
    OPERATORS,
    STRING,
    STRING_COLLECTION,
    And,
    Comparison,
    DeviceFilter,
    DeviceFilterError,
    DeviceInputError,
    Not,
    Or,
    canonical_property,
    filter_applies,
    parse_device_assignments,
    parse_device_filter,
    prepare_device,
)

INTUNE = "0000000a-0000-0000-c000-000000000000"


def matches(rule: str, device: dict | None) -> bool:
    return parse_device_filter(rule).matches(device)


# ------------------------------------------------------------------------------------ the property table


def test_documented_properties_and_operators() -> None:
    all_ops = set(OPERATORS)
    expected = {
        "deviceId": (STRING, {"-eq", "-ne", "-in", "-notIn"}),
        "displayName": (STRING, all_ops),
        "deviceOwnership": (STRING, {"-eq", "-ne"}),
        "enrollmentProfileName": (STRING, all_ops),
        "isCompliant": (BOOLEAN, {"-eq", "-ne"}),
        "manufacturer": (STRING, all_ops),
        "mdmAppId": (STRING, {"-eq", "-ne", "-in", "-notIn"}),
        "model": (STRING, all_ops),
        "operatingSystem": (STRING, all_ops),
        "operatingSystemVersion": (STRING, all_ops),
        "physicalIds": (STRING_COLLECTION, {"-contains", "-notContains"}),
        "profileType": (STRING, {"-eq", "-ne"}),
        "systemLabels": (STRING_COLLECTION, {"-contains", "-notContains"}),
        "trustType": (STRING, {"-eq", "-ne"}),
    } | {f"extensionAttribute{i}": (STRING, all_ops) for i in range(1, 16)}
    assert {name: (spec.type, set(spec.operators)) for name, spec in DEVICE_PROPERTIES.items()} == expected
    assert OPERATORS == ("-eq", "-ne", "-startsWith", "-notStartsWith", "-endsWith", "-notEndsWith",
                         "-contains", "-notContains", "-in", "-notIn")
    spec = DEVICE_PROPERTIES["isCompliant"]
    assert spec == (BOOLEAN, ("-eq", "-ne"))          # (type, allowed operators)
    with pytest.raises(TypeError):
        DEVICE_PROPERTIES["new"] = spec               # type: ignore[index]


@pytest.mark.parametrize("prop", sorted(DEVICE_PROPERTIES))
def test_every_operator_on_every_property(prop: str) -> None:
    spec = DEVICE_PROPERTIES[prop]
    for op in OPERATORS:
        if spec.type == BOOLEAN:
            value = "True"
        elif op in ("-in", "-notIn"):
            value = '["a", "b"]'
        else:
            value = '"a"'
        rule = f"device.{prop} {op} {value}"
        if op in spec.operators:
            parsed = parse_device_filter(rule)
            assert str(parsed) == rule
        else:
            with pytest.raises(DeviceFilterError) as err:
                parse_device_filter(rule)
            assert err.value.column == len(f"device.{prop} ") + 1
            assert err.value.token == op
            assert f"operator {op} cannot be used with device.{prop}" in str(err.value)


# ---------------------------------------------------------------------------------- string operators

STRING_CASES = [
    # operator, rule value, device value, expected
    ("-eq", '"Surface Pro"', "Surface Pro", True),
    ("-eq", '"Surface Pro"', "SURFACE pro", True),        # string comparisons are not case sensitive
    ("-eq", '"Surface"', "Surface Pro", False),
    ("-ne", '"Surface"', "Surface Pro", True),
    ("-ne", '"surface pro"', "Surface Pro", False),
    ("-startsWith", '"surf"', "Surface Pro", True),
    ("-startsWith", '"Pro"', "Surface Pro", False),
    ("-notStartsWith", '"Pro"', "Surface Pro", True),
    ("-notStartsWith", '"SURF"', "Surface Pro", False),
    ("-endsWith", '"PRO"', "Surface Pro", True),
    ("-endsWith", '"Surf"', "Surface Pro", False),
    ("-notEndsWith", '"Surf"', "Surface Pro", True),
    ("-notEndsWith", '"pro"', "Surface Pro", False),
    ("-contains", '"ACE P"', "Surface Pro", True),        # substring on a string property
    ("-contains", '"Book"', "Surface Pro", False),
    ("-notContains", '"Book"', "Surface Pro", True),
    ("-notContains", '"face"', "Surface Pro", False),
    ("-in", '["Surface Book", "surface pro"]', "Surface Pro", True),
    ("-in", '["Surface Book", "Surface"]', "Surface Pro", False),
    ("-notIn", '["Surface Book", "Surface"]', "Surface Pro", True),
    ("-notIn", '["SURFACE PRO"]', "Surface Pro", False),
]


@pytest.mark.parametrize("op, value, actual, expected", STRING_CASES)
def test_string_operators(op: str, value: str, actual: str, expected: bool) -> None:
    assert matches(f"device.model {op} {value}", {"model": actual}) is expected


@pytest.mark.parametrize("rule, device, expected", [
    ("device.isCompliant -eq True", {"isCompliant": True}, True),
    ("device.isCompliant -eq True", {"isCompliant": False}, False),
    ('device.isCompliant -eq "True"', {"isCompliant": True}, True),   # the CA page quotes it
    ("device.isCompliant -eq true", {"isCompliant": True}, True),     # the rule syntax does not
    ("device.isCompliant -eq 'FALSE'", {"isCompliant": False}, True),
    ("device.isCompliant -ne True", {"isCompliant": False}, True),
    ("device.isCompliant -ne False", {"isCompliant": False}, False),
    ("device.isCompliant -eq True", {"isCompliant": "True"}, True),   # strings from the command line
    ("device.isCompliant -eq False", {"isCompliant": "false"}, True),
])
def test_boolean_operators(rule: str, device: dict, expected: bool) -> None:
    assert matches(rule, device) is expected
    assert isinstance(parse_device_filter(rule).root.value, bool)  # type: ignore[union-attr]


@pytest.mark.parametrize("rule, labels, expected", [
    ('device.systemLabels -contains "M365Managed"', ["AzureResource", "M365Managed"], True),
    ('device.systemLabels -contains "m365managed"', ["M365Managed"], True),
    # on a string collection -contains matches one whole string, not a substring
    ('device.systemLabels -contains "M365"', ["M365Managed"], False),
    ('device.systemLabels -notContains "M365"', ["M365Managed"], True),
    ('device.systemLabels -notContains "MultiUser"', ["MultiUser"], False),
    ('device.systemLabels -contains "MultiUser"', [], False),
    ('device.systemLabels -notContains "MultiUser"', [], True),
    ('device.physicalIds -contains "[ZTDId]:abc"', ["[USER-GID]:1", "[ZTDID]:ABC"], True),
    ('device.physicalIds -contains "[ZTDId]"', ["[ZTDId]:abc"], False),
    ('device.physicalIds -contains "[ZTDId]:abc"', "[ZTDId]:abc", True),   # one value as a string
])
def test_multi_valued_properties(rule: str, labels: list[str] | str, expected: bool) -> None:
    prop = "systemLabels" if "systemLabels" in rule else "physicalIds"
    assert matches(rule, {prop: labels}) is expected


def test_in_and_not_in_lists() -> None:
    rule = "device.mdmAppId -in ['0000000A-0000-0000-C000-000000000000', \"other\"]"
    parsed = parse_device_filter(rule)
    assert parsed.root == Comparison("mdmAppId", "-in", (INTUNE.upper(), "other"))
    assert parsed.matches({"mdmAppId": INTUNE}) is True
    assert parsed.matches({"mdmAppId": "third-party"}) is False
    assert matches('device.deviceId -notIn ["a","b"]', {"deviceId": "c"}) is True
    assert matches('device.deviceId -notIn ["a","b"]', {"deviceId": "B"}) is False
    assert str(parse_device_filter('device.deviceId -in ["a","b" , "c"]')) == \
        'device.deviceId -in ["a", "b", "c"]'


def test_null_checks() -> None:
    assert matches("device.model -eq null", {}) is True
    assert matches("device.model -eq null", {"model": "x"}) is False
    assert matches("device.model -ne null", {"model": "x"}) is True
    assert matches("device.model -ne NULL", None) is False
    assert matches('device.model -eq "null"', {"model": "NULL"}) is True      # quoted: a string
    assert str(parse_device_filter("device.model -ne NULL")) == "device.model -ne null"


# ---------------------------------------------------------------------- precedence, -not, parentheses

A = Comparison("trustType", "-eq", "AzureAD")
B = Comparison("isCompliant", "-eq", True)
C = Comparison("model", "-startsWith", "Surface")


@pytest.mark.parametrize("rule, tree", [
    ('device.trustType -eq "AzureAD" -or device.isCompliant -eq True -and device.model -startsWith '
     '"Surface"', Or((A, And((B, C))))),
    ('(device.trustType -eq "AzureAD" -or device.isCompliant -eq True) -and device.model -startsWith '
     '"Surface"', And((Or((A, B)), C))),
    ('device.trustType -eq "AzureAD" -and device.isCompliant -eq True -or device.model -startsWith '
     '"Surface"', Or((And((A, B)), C))),
    # -not binds tighter than -and, looser than the comparison operators
    ('-not device.trustType -eq "AzureAD" -and device.isCompliant -eq True', And((Not(A), B))),
    ('-not (device.trustType -eq "AzureAD" -and device.isCompliant -eq True)', Not(And((A, B)))),
    ('(device.trustType -eq "AzureAD") -and -not (device.isCompliant -eq True)', And((A, Not(B)))),
    ("-not -not device.isCompliant -eq True", Not(Not(B))),
    # chains flatten; redundant parentheses vanish
    ('((device.trustType -eq "AzureAD")) -and (device.isCompliant -eq True -and device.model '
     '-startsWith "Surface")', And((A, B, C))),
    ('device.trustType -eq "AzureAD" -or (device.isCompliant -eq True -or device.model -startsWith '
     '"Surface")', Or((A, B, C))),
])
def test_precedence_and_parentheses(rule: str, tree: object) -> None:
    assert parse_device_filter(rule).root == tree


def test_precedence_decides_the_result() -> None:
    device = {"trustType": "AzureAD", "isCompliant": False, "model": "ThinkPad"}
    a, b, c = 'device.trustType -eq "AzureAD"', "device.isCompliant -eq True", \
        'device.model -startsWith "Surface"'
    assert matches(f"{a} -or {b} -and {c}", device) is True          # a or (b and c)
    assert matches(f"({a} -or {b}) -and {c}", device) is False
    assert matches(f"-not {a} -or {b}", device) is False             # (not a) or b
    assert matches(f"-not ({a} -or {c})", device) is False


def test_canonical_text() -> None:
    rule = ("(DEVICE.TrustType EQ 'ServerAD' -OR device.isCompliant -eq \"true\") -AND -NOT "
            "device.DisplayName -StartsWith \"Kiosk\"")
    assert str(parse_device_filter(rule)) == ('(device.trustType -eq "ServerAD" -or device.isCompliant '
                                              '-eq True) -and -not (device.displayName -startsWith '
                                              '"Kiosk")')


def test_case_rules() -> None:
    # property and operator names: any case; operators with or without the hyphen
    variants = ['device.trustType -eq "AzureAD"', 'DEVICE.TRUSTTYPE -EQ "AzureAD"',
                'device.trusttype eq "AzureAD"', 'Device.TrustType -Eq "AzureAD"']
    assert {parse_device_filter(v) for v in variants} == {DeviceFilter(A)}
    # values compare without case; the value keeps its spelling in the tree
    assert matches('device.trustType -eq "azuread"', {"trustType": "AzureAD"}) is True
    assert parse_device_filter('device.trustType -eq "azuread"').root.value == "azuread"  # type: ignore
    # device keys: any case
    assert matches('device.trustType -eq "AzureAD"', {"TRUSTTYPE": "AzureAD"}) is True
    assert matches('device.model -eq "x" -AnD device.model -ne "y" -oR device.model -eq "z"',
                   {"model": "X"}) is True


def test_quoting_and_escapes() -> None:
    assert parse_device_filter('device.model -eq "a`"b"').root.value == 'a"b'     # type: ignore
    assert parse_device_filter("device.model -eq 'it''s'").root.value == "it's"    # type: ignore
    assert parse_device_filter('device.model -eq "a``b"').root.value == "a`b"     # type: ignore
    assert parse_device_filter('device.model -eq "a`b"').root.value == "a`b"      # type: ignore
    assert parse_device_filter('device.model -eq ""').root.value == ""            # type: ignore
    tricky = Comparison("model", "-eq", 'say "hi" `now` it\'s')
    assert parse_device_filter(str(tricky)).root == tricky
    # no whitespace needed around quoted values and parentheses
    assert parse_device_filter('(device.model -eq"x")-or(device.model -eq"y")').root == \
        Or((Comparison("model", "-eq", "x"), Comparison("model", "-eq", "y")))


def test_rules_from_the_documentation_and_the_demo() -> None:
    for rule in ['device.extensionAttribute1 -ne "SAW"',
                 '(device.deviceid -eq "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb")',
                 '(device.enrollmentProfileName -startsWith "AutoPilot Profile")',
                 '(device.mdmAppId -in ["00001111-aaaa-2222-bbbb-3333cccc4444"])',
                 '(device.operatingSystemVersion -in ["10.0.18363", "10.0.19041", "10.0.19042", '
                 '"10.0.22000"])',
                 '(device.physicalIds -contains "[ZTDId]:value")',
                 '(device.isCompliant -eq "True")',
                 'device.isCompliant -eq True -or device.trustType -eq "ServerAD"']:
        parsed = parse_device_filter(rule)
        assert parse_device_filter(str(parsed)) == parsed


def test_parses_are_cached() -> None:
    rule = 'device.operatingSystem -eq "Windows" -and device.operatingSystemVersion -startsWith "10.0"'
    assert parse_device_filter(rule) is parse_device_filter(rule)
    assert parse_device_filter(rule).properties == {"operatingSystem", "operatingSystemVersion"}


# --------------------------------------------------------------------------------------- policy mode


def test_include_and_exclude_modes_on_a_registered_device() -> None:
    rule = 'device.trustType -eq "ServerAD"'
    hybrid, joined = {"trustType": "ServerAD"}, {"trustType": "AzureAD"}
    assert filter_applies("include", rule, hybrid) == (
        True, "device matches the include filter 'device.trustType -eq \"ServerAD\"'")
    assert filter_applies("include", rule, joined) == (
        False, "device does not match the include filter 'device.trustType -eq \"ServerAD\"'")
    assert filter_applies("exclude", rule, hybrid) == (
        False, "device matches the exclude filter 'device.trustType -eq \"ServerAD\"'")
    assert filter_applies("exclude", rule, joined) == (
        True, "device does not match the exclude filter 'device.trustType -eq \"ServerAD\"'")
    assert filter_applies("Include", rule, hybrid)[0] is True


# The CA page, "Policy behavior with filter for devices": for an unregistered device every property is
# null; a positive operator never matches it, a negative one always does.
@pytest.mark.parametrize("mode, rule, applies", [
    ("include", 'device.trustType -eq "AzureAD"', False),
    ("include", 'device.extensionAttribute1 -ne "SAW"', True),
    ("include", 'device.model -startsWith "S"', False),
    ("include", 'device.model -notStartsWith "S"', True),
    ("include", 'device.model -endsWith "S"', False),
    ("include", 'device.model -notEndsWith "S"', True),
    ("include", 'device.model -contains "S"', False),
    ("include", 'device.model -notContains "S"', True),
    ("include", 'device.deviceId -in ["a"]', False),
    ("include", 'device.deviceId -notIn ["a"]', True),
    ("include", 'device.systemLabels -contains "MultiUser"', False),
    ("include", 'device.systemLabels -notContains "MultiUser"', True),
    ("include", "device.isCompliant -eq False", False),
    ("include", "device.isCompliant -ne True", True),
    ("exclude", 'device.trustType -eq "AzureAD"', True),
    ("exclude", 'device.extensionAttribute1 -ne "SAW"', False),
    ("exclude", "device.isCompliant -eq True -or device.trustType -eq \"ServerAD\"", True),
    ("exclude", 'device.systemLabels -notContains "MultiUser"', False),
])
def test_unregistered_device(mode: str, rule: str, applies: bool) -> None:
    result, reason = filter_applies(mode, rule, None)
    assert result is applies
    verb = "matches" if (mode == "include") == applies else "does not match"
    assert reason.startswith(f"unregistered device (all device properties null) {verb} the {mode} filter")


def test_null_property_of_a_registered_device_behaves_like_unregistered() -> None:
    assert matches('device.model -eq "x"', {"trustType": "AzureAD"}) is False
    assert matches('device.model -ne "x"', {"trustType": "AzureAD"}) is True
    assert matches('device.model -ne "x"', {"trustType": "AzureAD", "model": None}) is True


def test_extension_attributes_need_a_managed_compliant_or_hybrid_device() -> None:
    rule = 'device.extensionAttribute1 -eq "SAW"'
    saw = {"extensionAttribute1": "SAW"}
    assert matches(rule, saw) is False                                   # value not available
    assert matches(rule, saw | {"isCompliant": True}) is True
    assert matches(rule, saw | {"isCompliant": "True"}) is True
    assert matches(rule, saw | {"isCompliant": False}) is False
    assert matches(rule, saw | {"trustType": "ServerAD"}) is True        # hybrid joined
    assert matches(rule, saw | {"trustType": "Workplace"}) is False
    assert matches(rule, saw | {"mdmAppId": INTUNE.upper()}) is True     # Intune managed
    applies, reason = filter_applies("exclude", rule, saw)
    assert applies is True
    assert reason.endswith("; extensionAttribute1-15 count as null: the device is not Intune-managed, "
                           "compliant or hybrid joined")
    assert "extensionAttribute1-15" not in filter_applies("exclude", 'device.model -eq "x"', saw)[1]


def test_device_shapes_from_graph() -> None:
    # Graph's device object nests extension attributes; the What If deviceInfo says "ownership".
    graph_device = {"id": "obj", "deviceId": "d1", "trustType": "ServerAD", "isCompliant": None,
                    "extensionAttributes": {"extensionAttribute3": "Kiosk", "extensionAttribute4": None},
                    "systemLabels": [], "approximateLastSignInDateTime": "2026-01-01T00:00:00Z"}
    assert matches('device.extensionAttribute3 -eq "kiosk"', graph_device) is True
    assert matches('device.extensionAttribute4 -eq null', graph_device) is True
    assert matches("device.isCompliant -ne True", graph_device) is True
    assert matches('device.deviceOwnership -eq "Company"', {"ownership": "company"}) is True
    prepared = prepare_device(graph_device)
    assert prepare_device(prepared) is prepared
    assert parse_device_filter('device.deviceId -eq "D1"').matches(prepared) is True
    assert prepare_device(None).registered is False


def test_bad_device_values() -> None:
    with pytest.raises(DeviceInputError, match="isCompliant takes True or False, got 'yes'"):
        matches("device.isCompliant -eq True", {"isCompliant": "yes"})
    with pytest.raises(DeviceInputError, match="systemLabels takes a list of strings"):
        matches('device.systemLabels -contains "x"', {"systemLabels": [1]})
    with pytest.raises(DeviceInputError, match="model takes a string"):
        matches('device.model -eq "x"', {"model": ["a"]})


def test_bad_mode_and_missing_rule() -> None:
    with pytest.raises(DeviceFilterError, match="mode 'both' is neither 'include' nor 'exclude'"):
        filter_applies("both", 'device.model -eq "x"', None)
    with pytest.raises(DeviceFilterError, match="mode None"):
        filter_applies(None, 'device.model -eq "x"', None)
    with pytest.raises(DeviceFilterError, match="no rule"):
        filter_applies("include", None, None)
    with pytest.raises(TypeError):
        parse_device_filter(42)  # type: ignore[arg-type]


def test_long_rules_are_shortened_in_reasons() -> None:
    rule = " -or ".join(f'device.deviceId -eq "{i:036d}"' for i in range(20))
    applies, reason = filter_applies("include", rule, None)
    assert applies is False and reason.endswith("...'") and len(reason) < 260
    assert "\n" not in filter_applies("include", 'device.model -eq "x"\n -or\n device.model -eq "y"',
                                      None)[1]


# ------------------------------------------------------------------------------------- syntax errors

ERRORS = [
    # rule, column, token, words in the message
    ('device.trustType -eqq "ServerAD"', 18, "-eqq", "unknown operator '-eqq' (did you mean -eq? expected "
                                                     "-eq or -ne)"),
    ('device.model -foo "x"', 14, "-foo", "unknown operator '-foo' (expected -eq, -ne, -startsWith"),
    ('device.model -match "^S"', 14, "-match", "operator '-match' is not supported in device filters"),
    ('device.trustType -contains "Azure"', 18, "-contains",
     "operator -contains cannot be used with device.trustType (it takes -eq or -ne)"),
    ('device.isCompliant -in ["True"]', 20, "-in", "cannot be used with device.isCompliant"),
    ('device.physicalIds -eq "x"', 20, "-eq", "it takes -contains or -notContains"),
    ('device.trustTyp -eq "AzureAD"', 1, "device.trustTyp",
     "unknown property 'device.trustTyp' (did you mean device.trustType? expected one of deviceId"),
    ('device.color -eq "red"', 1, "device.color", "extensionAttribute1..15"),
    ('device.deviceOSType -eq "iOS"', 1, "device.deviceOSType",
     "dynamic group property; device filters use device.operatingSystem"),
    ('trustType -eq "AzureAD"', 1, "trustType", "properties are written device.trustType"),
    ('user.department -eq "Sales"', 1, "user.department", "expected a device property"),
    ('(device.model -eq "x" -or device.model -eq "y"', 47, "",
     "unclosed parenthesis: the '(' at column 1 is never closed (expected ')')"),
    ('((device.model -eq "x")', 24, "", "the '(' at column 1 is never closed"),
    ('(device.model -eq "x" device.model -eq "y")', 23, "device.model",
     "expected -and, -or or ')' to close the '(' at column 1"),
    ('device.model -eq "Surface', 18, '"Surface', "unterminated string: the '\"' here has no closing"),
    ("device.model -eq 'it''s", 18, "'it''s", "unterminated string"),
    ('device.model -eq "x" device.model -eq "y"', 22, "device.model",
     "unexpected 'device.model' after a complete expression (expected -and, -or or the end of the rule)"),
    ('device.model -eq "x")', 21, ")", "unexpected ')': no parenthesis is open"),
    ('device.model -eq "x" -and', 26, "", "the rule ends after '-and' (expected a comparison"),
    ('-not', 5, "", "the rule ends after '-not'"),
    ('device.model -eq "x" -and -or device.model -eq "y"', 27, "-or", "expected a comparison"),
    ("", 1, "", "the rule is empty"),
    ("   ", 4, "", "the rule is empty"),
    ("device.model", 13, "", "expected an operator after device.model"),
    ("device.model -eq", 17, "", "expected a quoted string"),
    ("device.model -eq Surface", 18, "Surface", "string values are written in quotes"),
    ('device.isCompliant -eq "Yes"', 24, '"Yes"', "device.isCompliant takes True or False"),
    ("device.isCompliant -eq 1", 24, "1", "device.isCompliant takes True or False"),
    ('device.model -in "a"', 18, '"a"', "expected '[' to start the list of values after -in"),
    ('device.model -eq ["a"]', 18, "[", "a list of values needs -in or -notIn"),
    ('device.model -in []', 19, "]", "empty list"),
    ('device.model -in ["a" "b"]', 23, '"b"', "expected ',' or ']' in the list"),
    ('device.model -in ["a", b]', 24, "b", "expected a quoted string in the list"),
    ('device.model -in ["a",', 23, "", "unclosed list: the '[' at column 18 is never closed"),
    ('device.model -startsWith null', 26, "null", "null can only be compared with -eq or -ne"),
    ('device.model == "x"', 14, "=", "unexpected character '='"),
    ('device.model \u2013eq "x"', 14, "\u2013", "operators start with a plain hyphen"),
    ('device.model -eq "x" # note', 22, "#", "unexpected character '#'"),
    ('device.model -and "x"', 14, "-and", "expected an operator after device.model"),
]


@pytest.mark.parametrize("rule, column, token, message", ERRORS)
def test_syntax_errors(rule: str, column: int, token: str, message: str) -> None:
    with pytest.raises(DeviceFilterError) as err:
        parse_device_filter(rule)
    e = err.value
    assert isinstance(e, ValueError)
    assert (e.column, e.token) == (column, token), str(e)
    assert str(e).startswith(f"device filter rule, column {column}: ")
    assert message in str(e)
    assert e.expected


def test_error_positions_on_several_lines() -> None:
    with pytest.raises(DeviceFilterError) as err:
        parse_device_filter('device.model -eq "x"\n  -and device.modle -eq "y"')
    assert (err.value.line, err.value.column, err.value.position) == (2, 8, 28)
    assert str(err.value).startswith("device filter rule, line 2, column 8: unknown property")


def test_length_limit() -> None:
    head = 'device.displayName -eq "'
    longest = head + "x" * (MAX_RULE_LENGTH - len(head) - 1) + '"'
    assert len(longest) == MAX_RULE_LENGTH == 3072
    assert parse_device_filter(longest).matches({"displayName": "X" * (MAX_RULE_LENGTH - len(head) - 1)})
    too_long = longest + " "
    with pytest.raises(DeviceFilterError) as err:
        parse_device_filter(too_long)
    assert err.value.column == 3073
    assert "the rule is 3073 characters long; the maximum is 3072" in str(err.value)


# ------------------------------------------------------------------------------- command-line devices


def test_device_assignments_from_the_command_line() -> None:
    device = parse_device_assignments(["isCompliant=True", "TRUSTTYPE=AzureAD", "device.model=a=b",
                                       "systemLabels=M365Managed", "systemlabels=MultiUser",
                                       "extensionAttribute2="])
    assert device == {"isCompliant": True, "trustType": "AzureAD", "model": "a=b",
                      "systemLabels": ["M365Managed", "MultiUser"], "extensionAttribute2": ""}
    assert matches('device.systemLabels -contains "multiuser" -and device.isCompliant -eq True', device)
    assert parse_device_assignments(["isCompliant=false"]) == {"isCompliant": False}
    assert canonical_property("device.EXTENSIONATTRIBUTE15") == "extensionAttribute15"


@pytest.mark.parametrize("items, message", [
    (["colour=red"], "unknown device property 'colour' (valid: deviceId, displayName, deviceOwnership, "
                     "enrollmentProfileName, isCompliant, manufacturer, mdmAppId, model, operatingSystem, "
                     "operatingSystemVersion, physicalIds, profileType, systemLabels, trustType, "
                     "extensionAttribute1..15)"),
    (["trustTyp=AzureAD"], "did you mean trustType?"),
    (["isCompliant=yes"], "isCompliant takes True or False, got 'yes'"),
    (["trustType"], "--device expects KEY=VALUE, got 'trustType'"),
    (["=x"], "--device expects KEY=VALUE"),
    (["model=a", "Model=b"], "--device model is given more than once"),
])
def test_bad_device_assignments(items: list[str], message: str) -> None:
    with pytest.raises(DeviceInputError) as err:
        parse_device_assignments(items)
    assert message in str(err.value)


# ----------------------------------------------------------------------------------------- properties

_text = st.text(max_size=10)


def _value(prop: str, op: str) -> st.SearchStrategy:
    if DEVICE_PROPERTIES[prop].type == BOOLEAN:
        return st.booleans() | st.none()
    if op in ("-in", "-notIn"):
        return st.lists(_text, min_size=1, max_size=3).map(tuple)
    if op in ("-eq", "-ne"):
        return _text | st.none()
    return _text


_comparisons = st.sampled_from(sorted(DEVICE_PROPERTIES)).flatmap(
    lambda p: st.sampled_from(DEVICE_PROPERTIES[p].operators).flatmap(
        lambda op: _value(p, op).map(lambda v: Comparison(p, op, v))))

_trees = st.recursive(
    _comparisons,
    lambda kids: st.one_of(
        kids.map(Not),
        st.lists(kids, min_size=2, max_size=3).map(lambda xs: And.of(*xs)),
        st.lists(kids, min_size=2, max_size=3).map(lambda xs: Or.of(*xs)),
    ),
    max_leaves=10,
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_trees)
def test_printed_rule_parses_to_an_equal_tree(tree: object) -> None:
    printed = DeviceFilter(tree)  # type: ignore[arg-type]
    reparsed = parse_device_filter(str(printed))
    assert reparsed == printed
    assert str(reparsed) == str(printed)


def _noisy(node: object, draw: st.DrawFn) -> str:
    """The rule for ``node`` with random spacing, case, hyphenless operators and redundant parentheses."""
    sp = lambda: draw(st.sampled_from([" ", "  ", "\n ", "\t"]))  # noqa: E731
    case = lambda s: "".join(c.upper() if draw(st.booleans()) else c.lower() for c in s)  # noqa: E731
    if isinstance(node, Comparison):
        op = case(node.operator if draw(st.booleans()) else node.operator[1:])
        value = str(node).split(" ", 2)[2]
        text = f"{case('device.' + node.property)}{sp()}{op}{sp()}{value}"
    elif isinstance(node, Not):
        text = f"{case('-not')}{sp()}({_noisy(node.operand, draw)})"
    else:
        word = "-and" if isinstance(node, And) else "-or"
        text = f"{sp()}{case(word)}{sp()}".join(f"({_noisy(n, draw)})" for n in node.operands)
    return f"({text})" if draw(st.booleans()) else text


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_trees, st.data())
def test_spelling_variants_parse_to_the_same_tree(tree: object, data: st.DataObject) -> None:
    rule = _noisy(tree, data.draw)
    if len(rule) <= MAX_RULE_LENGTH:
        assert parse_device_filter(rule).root == tree


_devices = st.fixed_dictionaries({}, optional={
    "model": _text, "isCompliant": st.booleans(), "systemLabels": st.lists(_text, max_size=3),
    "trustType": st.sampled_from(["AzureAD", "ServerAD", "Workplace"]), "deviceId": _text,
}) | st.none()


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_comparisons, _devices)
def test_negative_operator_is_the_negation_of_its_positive(cmp: Comparison, device: dict | None) -> None:
    negatives = {"-ne": "-eq", "-notStartsWith": "-startsWith", "-notEndsWith": "-endsWith",
                 "-notContains": "-contains", "-notIn": "-in"}
    if cmp.operator not in NEGATIVE_OPERATORS or cmp.value is None:
        return
    positive = Comparison(cmp.property, negatives[cmp.operator], cmp.value)
    props = prepare_device(device).props
    assert cmp.evaluate(props) is (not positive.evaluate(props))
    assert DeviceFilter(Not(positive)).matches(device) is DeviceFilter(cmp).matches(device)


# ----------------------------------------------------------------------------------------------- purity


def test_module_is_pure() -> None:
    tree = ast.parse(Path(df.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "collections", "difflib", "dataclasses", "functools", "types", "typing"}
