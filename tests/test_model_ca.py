"""The Conditional Access model against the official Graph examples, and its behaviour on odd input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ztconsole.model import ca
from ztconsole.model.wire import WireError, parse_items, parse_one, unwrap_collection, unwrap_single

# file -> (shape, model class); every file of the two directories must be listed here
_LIST, _ONE = "collection", "single"
SAMPLES: dict[str, tuple[str, type]] = {
    "graph-ca/v1.0-authenticationstrength-policies-list.json": (_LIST, ca.AuthenticationStrengthPolicy),
    "graph-ca/v1.0-conditionalaccess-evaluate-whatif-app.json": (_LIST, ca.WhatIfAnalysisResult),
    "graph-ca/v1.0-conditionalaccess-evaluate-whatif-app.request.json": (_ONE, ca.WhatIfRequest),
    "graph-ca/v1.0-conditionalaccess-evaluate-whatif-authcontext.json": (_LIST, ca.WhatIfAnalysisResult),
    "graph-ca/v1.0-conditionalaccess-evaluate-whatif-authcontext.request.json": (_ONE, ca.WhatIfRequest),
    "graph-ca/v1.0-conditionalaccess-policies-list.json": (_LIST, ca.ConditionalAccessPolicy),
    "graph-ca/v1.0-conditionalaccess-policy-get.json": (_ONE, ca.ConditionalAccessPolicy),
    "graph-ca/v1.0-namedlocation-get.json": (_ONE, ca.NamedLocation),
    "graph-ca/v1.0-namedlocations-list-ipfilter.json": (_LIST, ca.NamedLocation),
    "graph-ca/v1.0-namedlocations-list.json": (_LIST, ca.NamedLocation),
    "graph-cae/beta-continuousaccessevaluationpolicy-get.json": (_ONE, ca.ContinuousAccessEvaluationPolicy),
}


def _body(root: Path, name: str) -> Any:
    return json.loads((root / name).read_text(encoding="utf-8"))


def _parse(root: Path, name: str, notes: list | None = None) -> list[Any]:
    """Every object of a sample file; fails the test on any WireError."""
    shape, cls = SAMPLES[name]
    body = _body(root, name)
    if shape == _ONE:
        return [parse_one(cls, unwrap_single(body), (), notes)]
    items, base = unwrap_collection(body)
    out, errors = parse_items(cls, items, base, notes)
    assert errors == []
    assert len(out) == len(items)
    return out


def _policy_get(root: Path) -> dict:
    return unwrap_single(_body(root, "graph-ca/v1.0-conditionalaccess-policy-get.json"))


# --- every sample ----------------------------------------------------------------------------------------


def test_every_sample_file_is_covered(realworld: Path) -> None:
    on_disk = {
        p.relative_to(realworld).as_posix()
        for d in ("graph-ca", "graph-cae")
        for p in (realworld / d).glob("*.json")
    }
    assert on_disk == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_parses_with_no_error_and_no_note(realworld: Path, name: str) -> None:
    notes: list = []
    assert _parse(realworld, name, notes)
    assert [str(n) for n in notes] == []


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_to_wire_then_from_wire_gives_an_equal_object(realworld: Path, name: str) -> None:
    cls = SAMPLES[name][1]
    for obj in _parse(realworld, name):
        again = parse_one(cls, json.loads(json.dumps(obj.to_wire())))
        assert again == obj
        assert type(again) is type(obj)


# --- what the samples say ------------------------------------------------------------------------------


def test_policy_get_fields(realworld: Path) -> None:
    (p,) = _parse(realworld, "graph-ca/v1.0-conditionalaccess-policy-get.json")
    assert p.id == "6b5e999b-0ba8-4186-a106-e0296c1c4358"
    assert p.display_name == "Demo app for documentation"
    assert p.is_disabled and not p.is_enabled and not p.is_report_only
    assert p.created_date_time == datetime(2019, 9, 26, 23, 12, 16, 79270, tzinfo=UTC)
    c = p.conditions
    assert c.users.include_users == ("a702a13d-a437-4a07-8a7e-8c052de62dfd",)
    assert c.users.exclude_users == ("124c5b6a-ffa5-483a-9b88-04c3fce5574a", ca.GUESTS_OR_EXTERNAL_USERS)
    assert len(c.users.include_roles) == 3
    assert c.users.include_roles[0] == "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
    assert c.users.exclude_roles == ("b0f54661-2d74-4c50-afa3-1ec803f12efe",)
    assert c.applications.include_applications == (ca.ALL,)
    assert len(c.applications.exclude_applications) == 7
    assert ca.AZURE_MANAGEMENT_APP_ID in c.applications.exclude_applications
    assert c.client_app_types == ("mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
    assert c.sign_in_risk_levels == ("medium", "low")
    assert c.platforms.include_platforms == ("all",)
    assert c.platforms.exclude_platforms == ("iOS", "windowsPhone")
    assert c.locations.include_locations == (ca.LOCATION_ALL_TRUSTED,)
    assert c.locations.exclude_locations == (
        ca.LOCATION_MFA_TRUSTED_IPS, "d2136c9c-b049-47ae-b9cf-316e04ef7198",
    )
    g = p.grant_controls
    assert g.operator == "OR"
    assert g.built_in_controls == (
        "mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication",
    )
    assert not g.blocks and not p.blocks
    assert g.control_names[-2:] == (
        "termsOfUse:ce580154-086a-40fd-91df-8a60abac81a0",
        "termsOfUse:7f29d675-caff-43e1-8a53-1b8516ed2075",
    )
    s = p.session_controls
    assert s.application_enforced_restrictions is None and s.persistent_browser is None
    assert s.cloud_app_security.cloud_app_security_type == "blockDownloads"
    assert s.cloud_app_security.is_enabled is True
    assert (s.sign_in_frequency.value, s.sign_in_frequency.type) == (4, "hours")
    assert s.cae_mode is None


def test_policies_list_fields(realworld: Path) -> None:
    first, second = _parse(realworld, "graph-ca/v1.0-conditionalaccess-policies-list.json")
    assert (first.id, first.display_name) == ("ad8d2b4a-8d30-413f-88b8-144c6c8d98d9", "SimplePolicy1")
    assert first.created_date_time is None and first.session_controls is None
    assert first.blocks and first.grant_controls.control_names == ("block",)
    assert second.grant_controls.built_in_controls == ("mfa",) and not second.blocks
    assert second.conditions.users.include_users == (ca.NONE,)
    assert second.conditions.applications.include_applications == (ca.NONE,)


def test_named_locations_list_gives_each_subtype(realworld: Path) -> None:
    ipv4, country, ipv6 = _parse(realworld, "graph-ca/v1.0-namedlocations-list.json")
    assert type(ipv4) is ca.IpNamedLocation and ipv4.is_trusted is False
    assert ipv4.cidrs == ("6.5.4.3/32", "127.126.125.0/24")
    assert all(type(r) is ca.IPv4CidrRange for r in ipv4.ip_ranges)
    assert type(country) is ca.CountryNamedLocation
    assert country.countries_and_regions == ("US", "CA")
    assert country.include_unknown_countries_and_regions is False
    assert type(ipv6) is ca.IpNamedLocation and ipv6.is_trusted is True
    assert all(type(r) is ca.IPv6CidrRange for r in ipv6.ip_ranges)
    assert ipv6.display_name == "Trusted IPv6 named location"


def test_named_location_get_and_ip_filter(realworld: Path) -> None:
    (loc,) = _parse(realworld, "graph-ca/v1.0-namedlocation-get.json")
    assert type(loc) is ca.IpNamedLocation and loc.id == "0854951d-5fc0-4eb1-b392-9b2c9d7949c2"
    assert [type(r) for r in loc.ip_ranges] == [ca.IPv4CidrRange, ca.IPv6CidrRange]
    assert loc.cidrs == ("12.34.221.11/22", "2001:0:9d38:90d6:0:0:0:0/63")
    assert loc.odata_type == "#microsoft.graph.ipNamedLocation"
    filtered = _parse(realworld, "graph-ca/v1.0-namedlocations-list-ipfilter.json")
    assert [type(x) for x in filtered] == [ca.IpNamedLocation, ca.IpNamedLocation]


def test_authentication_strengths(realworld: Path) -> None:
    mfa, passwordless, phishing = _parse(realworld, "graph-ca/v1.0-authenticationstrength-policies-list.json")
    assert (mfa.id, passwordless.id, phishing.id) == (
        ca.AUTH_STRENGTH_MFA, ca.AUTH_STRENGTH_PASSWORDLESS_MFA, ca.AUTH_STRENGTH_PHISHING_RESISTANT_MFA,
    )
    assert {mfa.id, passwordless.id, phishing.id} == ca.BUILT_IN_AUTH_STRENGTHS
    assert all(s.is_built_in and s.requirement_values == ("mfa",) for s in (mfa, passwordless, phishing))
    assert frozenset(phishing.allowed_combinations) == ca.PHISHING_RESISTANT_METHODS
    assert phishing.is_phishing_resistant
    assert not passwordless.is_phishing_resistant  # deviceBasedPush
    assert not mfa.is_phishing_resistant
    assert frozenset({"password", "sms"}) in mfa.combination_sets
    assert mfa.combination_configurations == ()
    assert mfa.display_name == "Multifactor authentication"


def test_what_if_app_results(realworld: Path) -> None:
    first, second = _parse(realworld, "graph-ca/v1.0-conditionalaccess-evaluate-whatif-app.json")
    assert isinstance(first, ca.ConditionalAccessPolicy)
    assert first.policy_applies is True and first.analysis_reason_values == ("notSet",)
    assert first.is_report_only
    assert first.conditions.applications.include_applications == (ca.OFFICE_365,)
    assert first.conditions.users.exclude_users == ("f7ca74b0-8562-4083-b66c-0476f942cfd0",)
    assert first.session_controls.application_enforced_restrictions.is_enabled is True
    assert first.grant_controls is None
    assert second.conditions.user_risk_levels == ("high",)
    assert second.grant_controls.operator == "AND"
    assert second.grant_controls.built_in_controls == ("mfa", "passwordChange")
    # properties this version does not model come back untouched
    assert "partialEnablementStrategy" in first.to_wire()
    assert "times" in first.conditions.to_wire()
    assert "networkAccessSecurity" in first.session_controls.to_wire()


def test_what_if_auth_context_result_expands_the_strength(realworld: Path) -> None:
    (r,) = _parse(realworld, "graph-ca/v1.0-conditionalaccess-evaluate-whatif-authcontext.json")
    assert r.conditions.applications.include_authentication_context_class_references == ("c1", "c37")
    strength = r.grant_controls.authentication_strength
    assert type(strength) is ca.AuthenticationStrengthPolicy and strength.id == ca.AUTH_STRENGTH_MFA
    assert r.grant_controls.control_names == (f"authenticationStrength:{ca.AUTH_STRENGTH_MFA}",)


def test_what_if_requests(realworld: Path) -> None:
    (app,) = _parse(realworld, "graph-ca/v1.0-conditionalaccess-evaluate-whatif-app.request.json")
    assert type(app.sign_in_identity) is ca.UserSignIn
    assert app.sign_in_identity.user_id == "15dc174b-f34c-4588-ac45-61d6e05dce93"
    assert type(app.sign_in_context) is ca.ApplicationContext
    assert app.sign_in_context.include_applications == ("00000003-0000-0ff1-ce00-000000000000",)
    cond = app.sign_in_conditions
    assert (cond.device_platform, cond.client_app_type, cond.country, cond.ip_address) == (
        "android", "browser", "US", "40.77.182.32",
    )
    risks = (cond.sign_in_risk_level, cond.user_risk_level, cond.insider_risk_level)
    assert risks == ("high", "high", "elevated")
    assert cond.authentication_flow.transfer_method == "deviceCodeFlow"
    assert cond.device_info.is_compliant is True
    assert app.applied_policies_only is True

    (auth,) = _parse(realworld, "graph-ca/v1.0-conditionalaccess-evaluate-whatif-authcontext.request.json")
    assert type(auth.sign_in_context) is ca.AuthContext
    assert auth.sign_in_context.authentication_context_value == "c37"
    assert auth.sign_in_conditions.device_info.profile_type == "Standard"
    assert auth.sign_in_conditions.authentication_flow.transfer_method == "authenticationTransfer"

    wire = auth.to_wire()
    assert wire["signInIdentity"]["@odata.type"] == "#microsoft.graph.userSignIn"
    assert wire["signInContext"] == {
        "@odata.type": "#microsoft.graph.authContext", "authenticationContextValue": "c37",
    }


def test_cae_policy_singleton(realworld: Path) -> None:
    (cae,) = _parse(realworld, "graph-cae/beta-continuousaccessevaluationpolicy-get.json")
    assert cae.id == "00000000-0000-0000-0000-000000000006"
    assert cae.is_enabled is True and cae.migrate is None
    assert cae.users == ("1608be63-df14-42a4-8932-1c9d963b026f",)
    assert cae.groups == ("4308b567-df14-0000-8932-1c9d963b026f",)


# --- unknown properties and values ------------------------------------------------------------------------


def test_unknown_properties_survive_top_level_and_nested(realworld: Path) -> None:
    raw = _policy_get(realworld)
    raw["futureSetting"] = {"a": 1}
    raw["conditions"]["users"]["includeAgents"] = ["All"]
    raw["sessionControls"]["signInFrequency"]["graceMinutes"] = 5
    p = ca.ConditionalAccessPolicy.from_wire(raw)
    assert p.unknown("futureSetting") == {"a": 1}
    assert p.conditions.users.unknown("includeAgents") == ["All"]
    assert p.session_controls.sign_in_frequency.unknown("graceMinutes") == 5
    wire = p.to_wire()
    assert wire["futureSetting"] == {"a": 1}
    assert wire["conditions"]["users"]["includeAgents"] == ["All"]
    assert wire["sessionControls"]["signInFrequency"]["graceMinutes"] == 5
    assert ca.ConditionalAccessPolicy.from_wire(wire) == p


def test_unknown_enum_values_are_kept_and_noted_with_their_path(realworld: Path) -> None:
    raw = _policy_get(realworld)
    raw["state"] = "enabledForSomethingNew"
    raw["grantControls"]["builtInControls"].append("quantumSafeToken")
    raw["conditions"]["platforms"]["includePlatforms"] = ["visionOS"]
    notes: list = []
    p = ca.ConditionalAccessPolicy.from_wire(raw, (), notes)
    assert p.state == "enabledForSomethingNew"
    assert not (p.is_enabled or p.is_report_only or p.is_disabled)
    assert p.grant_controls.built_in_controls[-1] == "quantumSafeToken"
    assert p.conditions.platforms.include_platforms == ("visionOS",)
    assert [n.path for n in notes] == [
        ("state",),
        ("conditions", "platforms", "includePlatforms"),
        ("grantControls", "builtInControls"),
    ]
    assert "enabledForSomethingNew" in str(notes[0]) and str(notes[0]).startswith("$.state")
    assert "quantumSafeToken" in str(notes[2])
    assert p.to_wire()["state"] == "enabledForSomethingNew"


def test_unknown_named_location_type_falls_back_and_keeps_everything() -> None:
    raw = {
        "@odata.type": "#microsoft.graph.satelliteNamedLocation",
        "id": "11111111-2222-3333-4444-555555555555",
        "displayName": "Orbit",
        "orbit": "LEO",
    }
    notes: list = []
    (loc,), errors = parse_items(ca.NamedLocation, [raw], ("value",), notes)
    assert errors == [] and type(loc) is ca.NamedLocation
    assert (loc.id, loc.display_name, loc.unknown("orbit")) == (raw["id"], "Orbit", "LEO")
    assert [n.path for n in notes] == [("value", 0, "@odata.type")]
    assert loc.to_wire() == raw


# --- malformed input ------------------------------------------------------------------------------------


def _policies_body(root: Path) -> dict:
    return _body(root, "graph-ca/v1.0-conditionalaccess-policies-list.json")


@pytest.mark.parametrize(
    ("breakage", "path", "expected"),
    [
        (lambda p: p["conditions"]["users"].__setitem__("includeUsers", "All"),
         ("value", 1, "conditions", "users", "includeUsers"), "a list of strings"),
        (lambda p: p.__setitem__("conditions", [p["conditions"]]),
         ("value", 1, "conditions"), "an object"),
        (lambda p: p["conditions"]["users"]["excludeUsers"].append(42),
         ("value", 1, "conditions", "users", "excludeUsers", 0), "a string"),
        (lambda p: p["grantControls"].__setitem__("operator", True),
         ("value", 1, "grantControls", "operator"), "a string"),
        (lambda p: p.pop("id"), ("value", 1, "id"), "required"),
        (lambda p: p.__setitem__("modifiedDateTime", "last tuesday"),
         ("value", 1, "modifiedDateTime"), "not a timestamp"),
    ],
)
def test_malformed_policy_names_the_place_and_the_others_still_load(
    realworld: Path, breakage, path, expected
) -> None:
    body = _policies_body(realworld)
    breakage(body["value"][1])
    items, base = unwrap_collection(body)
    out, errors = parse_items(ca.ConditionalAccessPolicy, items, base)
    assert [p.display_name for p in out] == ["SimplePolicy1"]
    (err,) = errors
    assert isinstance(err, WireError) and err.path == path
    assert expected in err.message


def test_malformed_ip_range_names_the_place(realworld: Path) -> None:
    body = _body(realworld, "graph-ca/v1.0-namedlocations-list.json")
    body["value"][0]["ipRanges"][1] = "127.126.125.0/24"
    items, base = unwrap_collection(body)
    out, errors = parse_items(ca.NamedLocation, items, base)
    assert [x.display_name for x in out] == ["Country named location", "Trusted IPv6 named location"]
    assert errors[0].path == ("value", 0, "ipRanges", 1)


# --- built in code, derived values ------------------------------------------------------------------------


def test_subtypes_built_in_code_carry_their_odata_type() -> None:
    req = ca.WhatIfRequest(
        sign_in_identity=ca.ServicePrincipalSignIn(service_principal_id="sp-1"),
        sign_in_context=ca.UserActionContext(user_action="registerSecurityInformation"),
        sign_in_conditions=ca.SignInConditions(client_app_type="browser", country="NL"),
        applied_policies_only=False,
    )
    wire = req.to_wire()
    assert wire["signInIdentity"] == {
        "@odata.type": "#microsoft.graph.servicePrincipalSignIn", "servicePrincipalId": "sp-1",
    }
    assert wire["signInContext"]["@odata.type"] == "#microsoft.graph.userActionContext"
    assert wire["appliedPoliciesOnly"] is False
    assert ca.WhatIfRequest.from_wire(wire) == req

    loc = ca.IpNamedLocation(id="x", ip_ranges=(ca.IPv4CidrRange(cidr_address="10.0.0.0/8"),))
    assert loc.to_wire()["@odata.type"] == "#microsoft.graph.ipNamedLocation"
    assert loc.to_wire()["ipRanges"] == [
        {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "10.0.0.0/8"},
    ]
    assert parse_one(ca.NamedLocation, loc.to_wire()) == loc


def test_guests_external_tenants_and_flags(realworld: Path) -> None:
    raw = _policy_get(realworld)
    raw["conditions"]["users"]["includeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "internalGuest,b2bCollaborationGuest",
        "externalTenants": {
            "@odata.type": "#microsoft.graph.conditionalAccessEnumeratedExternalTenants",
            "membershipKind": "enumerated",
            "members": ["tenant-a", "tenant-b"],
        },
    }
    raw["conditions"]["users"]["excludeGuestsOrExternalUsers"] = {
        "guestOrExternalUserTypes": "serviceProvider",
        "externalTenants": {
            "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants", "membershipKind": "all",
        },
    }
    raw["conditions"]["authenticationFlows"] = {"transferMethods": "deviceCodeFlow,authenticationTransfer"}
    raw["conditions"]["insiderRiskLevels"] = "moderate,elevated"
    device_filter = {"mode": "exclude", "rule": 'device.trustType -eq "AzureAD"'}
    raw["conditions"]["devices"] = {"deviceFilter": device_filter}
    raw["sessionControls"]["continuousAccessEvaluation"] = {"mode": "disabled"}
    p = ca.ConditionalAccessPolicy.from_wire(raw)
    inc = p.conditions.users.include_guests_or_external_users
    assert inc.user_types == ("internalGuest", "b2bCollaborationGuest")
    assert type(inc.external_tenants) is ca.ConditionalAccessEnumeratedExternalTenants
    assert inc.external_tenants.members == ("tenant-a", "tenant-b")
    exc = p.conditions.users.exclude_guests_or_external_users
    assert type(exc.external_tenants) is ca.ConditionalAccessAllExternalTenants
    flows = p.conditions.authentication_flows
    assert flows.transfer_method_values == ("deviceCodeFlow", "authenticationTransfer")
    assert p.conditions.insider_risk_level_values == ("moderate", "elevated")
    assert p.conditions.devices.device_filter.mode == "exclude"
    assert p.session_controls.cae_mode == "disabled"
    assert ca.ConditionalAccessPolicy.from_wire(p.to_wire()) == p


def test_compliant_network_location_from_beta() -> None:
    raw = {
        "@odata.type": "#microsoft.graph.compliantNetworkNamedLocation",
        "id": ca.LOCATION_COMPLIANT_NETWORK,
        "displayName": "All Compliant Network locations",
        "compliantNetworkType": "allTenantCompliantNetworks",
        "isTrusted": True,
    }
    notes: list = []
    loc = parse_one(ca.NamedLocation, raw, (), notes)
    assert type(loc) is ca.CompliantNetworkNamedLocation and notes == []
    assert (loc.id, loc.is_trusted, loc.compliant_network_type) == (
        ca.LOCATION_COMPLIANT_NETWORK, True, "allTenantCompliantNetworks",
    )


def test_custom_strength_with_a_weak_combination_is_not_phishing_resistant() -> None:
    def strength(*combinations: str) -> ca.AuthenticationStrengthPolicy:
        return ca.AuthenticationStrengthPolicy.from_wire(
            {"id": "c1", "policyType": "custom", "allowedCombinations": list(combinations)}
        )

    strong = strength("fido2", "x509CertificateMultiFactor")
    weak = strength("fido2", "password,sms")
    empty = strength()
    assert strong.is_phishing_resistant and not strong.is_built_in
    assert not weak.is_phishing_resistant and not empty.is_phishing_resistant


def test_combination_configurations_by_type() -> None:
    raw = {
        "id": "c2",
        "combinationConfigurations": [
            {"@odata.type": "#microsoft.graph.fido2CombinationConfiguration", "id": "k",
             "appliesToCombinations": ["fido2"], "allowedAAGUIDs": ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]},
            {"@odata.type": "#microsoft.graph.x509CertificateCombinationConfiguration", "id": "x",
             "appliesToCombinations": ["x509CertificateMultiFactor"], "allowedIssuerSkis": ["9A4248C6"]},
        ],
    }
    s = ca.AuthenticationStrengthPolicy.from_wire(raw)
    fido, x509 = s.combination_configurations
    assert type(fido) is ca.Fido2CombinationConfiguration
    assert fido.allowed_aaguids == ("cb69481e-8ff7-4039-93ec-0a2729a154a8",)
    assert type(x509) is ca.X509CertificateCombinationConfiguration
    assert x509.allowed_issuer_skis == ("9A4248C6",)
    assert ca.AuthenticationStrengthPolicy.from_wire(s.to_wire()) == s


@pytest.mark.parametrize(
    ("value", "members"),
    [(None, ()), ("", ()), ("mfa", ("mfa",)), ("a, b,,c", ("a", "b", "c"))],
)
def test_split_flags(value: str | None, members: tuple[str, ...]) -> None:
    assert ca.split_flags(value) == members


def test_ids_are_interned_across_documents(realworld: Path) -> None:
    one = ca.ConditionalAccessPolicy.from_wire(_policy_get(realworld))
    two = ca.ConditionalAccessPolicy.from_wire(_policy_get(realworld))  # read again: new string objects
    assert one.id is two.id
    apps_one = one.conditions.applications.exclude_applications
    apps_two = two.conditions.applications.exclude_applications
    assert apps_one[4] is apps_two[4]
