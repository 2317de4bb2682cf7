"""The directory model and the Graph protocol shapes, against the official example payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ztconsole.model.directory import (
    AAD_PREMIUM_P2,
    ENTRA_PRIVATE_ACCESS,
    GLOBAL_ADMINISTRATOR,
    AuthenticationMethod,
    DeviceCompliancePolicy,
    DirectoryObject,
    Fido2AuthenticationMethod,
    Group,
    IosCompliancePolicy,
    Organization,
    RoleAssignment,
    RoleDefinition,
    RoleEligibilitySchedule,
    SignIn,
    SubscribedSku,
    User,
    UserRegistrationDetails,
    WindowsHelloForBusinessAuthenticationMethod,
)
from ztconsole.model.graphapi import BatchRequest, BatchResponse, BooleanResult, ODataError
from ztconsole.model.wire import (
    WireError,
    parse_items,
    parse_one,
    unwrap_collection,
    unwrap_single,
)

REALWORLD = Path("/work/shared/realworld")

# every file of graph-users/ and graph-common/: (collection?, model class)
FILES: dict[str, tuple[bool, type]] = {
    "graph-users/v1.0-authentication-methods-list.json": (True, AuthenticationMethod),
    "graph-users/v1.0-roleassignments-list-expand-principal.json": (True, RoleAssignment),
    "graph-users/v1.0-roleassignments-list-filter-principalid.json": (True, RoleAssignment),
    "graph-users/v1.0-user-revokesigninsessions.json": (False, BooleanResult),
    "graph-users/v1.0-users-list-count-eventual.json": (True, User),
    "graph-users/v1.0-users-list-signinactivity-older.json": (True, User),
    "graph-users/v1.0-users-list-signinactivity.json": (True, User),
    "graph-common/v1.0-batch-response.json": (False, BatchResponse),
    "graph-common/v1.0-batch.request.json": (False, BatchRequest),
    "graph-common/v1.0-error-429-toomanyrequests.json": (False, ODataError),
}


def load(name: str) -> list:
    """Parse one realworld file; fails on any WireError."""
    collection, cls = FILES[name]
    body = json.loads((REALWORLD / name).read_text())
    notes: list = []
    if collection:
        items, path = unwrap_collection(body)
        out, errors = parse_items(cls, items, path, notes)
        assert errors == []
    else:
        out = [parse_one(cls, unwrap_single(body), (), notes)]
    assert notes == []
    return out


def test_every_realworld_file_is_covered():
    on_disk = {f"{d}/{p.name}" for d in ("graph-users", "graph-common")
               for p in (REALWORLD / d).glob("*.json")}
    assert on_disk == set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_realworld_round_trip(name):
    for obj in load(name):
        again = parse_one(type(obj), obj.to_wire())
        assert again == obj
        assert type(again) is type(obj)


def test_sign_in_activity_dates_and_never():
    adele, alex = load("graph-users/v1.0-users-list-signinactivity.json")
    assert adele.user_principal_name == "AdeleV@contoso.com"
    act = adele.sign_in_activity
    assert act.last_sign_in == datetime(2021, 6, 17, 16, 41, 33, tzinfo=UTC)
    assert act.last_non_interactive_sign_in is None  # 0001-01-01T00:00:00Z means never
    assert act.last_successful_sign_in is None  # "" means never
    assert alex.sign_in_activity.last_any_sign_in == datetime(2021, 7, 29, 17, 53, 42,
                                                              tzinfo=UTC)
    # the wire text survives as sent
    assert adele.to_wire()["signInActivity"]["lastSuccessfulSignInDateTime"] == ""
    older = load("graph-users/v1.0-users-list-signinactivity-older.json")
    assert older[1].sign_in_activity.last_sign_in_request_id == "f3149ee1-e347-4181-b45b-99a1f82b1c00"
    assert older[1].sign_in_activity.last_successful_sign_in is None


def test_users_with_count_and_mail():
    users = load("graph-users/v1.0-users-list-count-eventual.json")
    assert [u.mail for u in users] == ["isaiahl@fineartschool.edu", "adelev@bellowscollege.edu"]


def test_role_assignment_expanded_principal():
    joey, kalyan, _ = load("graph-users/v1.0-roleassignments-list-expand-principal.json")
    assert joey.role_definition_id == GLOBAL_ADMINISTRATOR
    assert joey.directory_scope_id == "/"
    assert joey.principal.kind == "user"
    assert joey.principal.display_name == "Joey Cruz"
    assert joey.principal.id == joey.principal_id
    assert kalyan.principal.user_type == "Guest"
    # properties this version does not model are kept, top level and nested
    assert joey.unknown("resourceScope") == "/"
    assert joey.principal.unknown("imAddresses") == ["joeyc@contoso.com"]
    assert joey.to_wire()["principal"]["mailNickname"] == "joeyc"
    plain = load("graph-users/v1.0-roleassignments-list-filter-principalid.json")
    assert plain[0].principal is None
    assert {a.role_definition_id for a in plain} == {
        GLOBAL_ADMINISTRATOR, "f2ef992c-3afb-46b9-b7cf-a126ee74c451"}


def test_authentication_method_types():
    fido, whfb = load("graph-users/v1.0-authentication-methods-list.json")
    assert isinstance(fido, Fido2AuthenticationMethod)
    assert (fido.method_kind, fido.model, fido.attestation_level) == ("fido2", "NFC key", "attested")
    assert fido.registered_at == datetime(2020, 8, 10, 6, 44, 9, tzinfo=UTC)
    assert isinstance(whfb, WindowsHelloForBusinessAuthenticationMethod)
    assert whfb.key_strength == "normal"
    assert fido.phishing_resistant and whfb.phishing_resistant
    assert fido.to_wire()["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethod"


def test_weaker_methods_are_not_phishing_resistant():
    items = [
        {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "p", "password": None},
        {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7",
         "phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "ready"},
        {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "m",
         "displayName": "iPhone", "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.2001.0140"},
        {"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod", "id": "t",
         "lifetimeInMinutes": 60, "isUsable": True, "isUsableOnce": False},
        {"@odata.type": "#microsoft.graph.platformCredentialAuthenticationMethod", "id": "pc",
         "displayName": "MacBook", "keyStrength": "normal", "platform": "macOS"},
    ]
    methods, errors = parse_items(AuthenticationMethod, items)
    assert errors == []
    assert [m.method_kind for m in methods] == [
        "password", "phone", "microsoftAuthenticator", "temporaryAccessPass", "platformCredential"]
    assert [m.phishing_resistant for m in methods] == [False, False, False, False, True]
    assert methods[1].phone_number == "+1 2065555555"


def test_unknown_method_type_is_kept_and_noted():
    item = {"@odata.type": "#microsoft.graph.hardwareOathAuthenticationMethod", "id": "h",
            "serialNumber": "123"}
    notes: list = []
    (method,), errors = parse_items(AuthenticationMethod, [item], ("value",), notes)
    assert errors == [] and type(method) is AuthenticationMethod
    assert method.method_kind == "hardwareOath"
    assert not method.phishing_resistant
    assert method.to_wire() == item
    assert [str(n) for n in notes] == [
        "$.value[0]['@odata.type']: unknown @odata.type "
        "'#microsoft.graph.hardwareOathAuthenticationMethod'; kept as is"]


def test_batch_request_and_response():
    (request,) = load("graph-common/v1.0-batch.request.json")
    assert [r.method for r in request.requests] == ["GET", "GET", "DELETE", "POST", "GET"]
    assert request.requests[4].headers == {"ConsistencyLevel": "eventual"}
    assert request.requests[3].body == {}
    (response,) = load("graph-common/v1.0-batch-response.json")
    by_id = response.by_id()
    assert [by_id[i].status for i in "12345"] == [200, 403, 403, 405, 200]
    assert by_id["1"].ok and by_id["1"].error is None
    assert by_id["1"].body["value"][0]["displayName"] == "User Administrator"
    assert by_id["3"].error.code == "Authorization_RequestDenied"
    assert by_id["2"].error.code == ""  # Graph sometimes sends an empty code
    assert by_id["4"].error.request_id == "3a3b1bf7-3596-4493-8264-de81e028071f"
    assert by_id["5"].header("content-type").startswith("application/json")


def test_batch_retry_after():
    item = BatchResponse.from_wire({"responses": [
        {"id": "1", "status": 429, "headers": {"Retry-After": "10"},
         "body": {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}}]})
    (r,) = item.responses
    assert r.retry_after == 10.0 and r.error.code == "TooManyRequests"


def test_throttling_error_and_boolean_result():
    (error,) = load("graph-common/v1.0-error-429-toomanyrequests.json")
    assert error.code == "TooManyRequests"
    assert error.message == "Please retry again later."
    assert error.request_id == "94fb3b52-452a-4535-a601-69e0a90e3aa2"
    assert error.error.inner_error.unknown("status") == "429"
    (result,) = load("graph-users/v1.0-user-revokesigninsessions.json")
    assert result.value is True


def test_error_without_error_object_is_rejected():
    with pytest.raises(WireError) as e:
        ODataError.from_wire({"message": "nope"})
    assert str(e.value) == "$.error: required property is missing"


# --- users: unknown data, malformed items ------------------------------------------------------

USER = {
    "id": "f0662ee5-84b1-43d6-8338-769cce1bc141",
    "displayName": "Break Glass 1",
    "userPrincipalName": "bg1@contoso.onmicrosoft.com",
    "userType": "Member",
    "accountEnabled": True,
    "onPremisesSyncEnabled": None,
    "createdDateTime": "2024-02-01T10:00:00Z",
    "assignedLicenses": [{"skuId": "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "disabledPlans": []}],
    "identities": [{"signInType": "userPrincipalName", "issuer": "contoso.onmicrosoft.com",
                    "issuerAssignedId": "bg1@contoso.onmicrosoft.com"}],
    "signInActivity": {"lastSignInDateTime": "2026-10-01T08:00:00Z",
                       "lastSuccessfulSignInDateTime": "2026-10-01T08:00:00Z"},
}


def test_user_derived_values():
    user = User.from_wire(USER)
    assert not user.is_guest and user.is_cloud_only
    synced = User.from_wire({**USER, "onPremisesSyncEnabled": True})
    assert not synced.is_cloud_only
    invited = User.from_wire({"id": "g", "userPrincipalName": "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com"})
    assert invited.is_guest
    assert User.from_wire({**USER, "userType": "Guest"}).is_guest


def test_unknown_properties_survive_top_level_and_nested():
    wire = copy.deepcopy(USER)
    wire["employeeHireDate"] = "2024-01-01T00:00:00Z"
    wire["signInActivity"]["lastSignInAttemptSource"] = {"kind": "future"}
    wire["assignedLicenses"][0]["assignedBy"] = "group"
    user = User.from_wire(wire)
    assert user.unknown("employeeHireDate") == "2024-01-01T00:00:00Z"
    assert user.sign_in_activity.unknown("lastSignInAttemptSource") == {"kind": "future"}
    out = user.to_wire()
    assert out["employeeHireDate"] == "2024-01-01T00:00:00Z"
    assert out["signInActivity"]["lastSignInAttemptSource"] == {"kind": "future"}
    assert out["assignedLicenses"][0]["assignedBy"] == "group"
    assert User.from_wire(out) == user


def test_unknown_enum_value_is_kept_and_noted():
    notes: list = []
    users, errors = parse_items(User, [USER, {**USER, "userType": "Agent"}], ("value",), notes)
    assert errors == [] and users[1].user_type == "Agent"
    assert [str(n) for n in notes] == ["$.value[1].userType: unknown value 'Agent'; kept as is"]


@pytest.mark.parametrize("bad, where, message", [
    ({"accountEnabled": "yes"}, "$[1].accountEnabled", "expected a boolean, got a string"),
    ({"signInActivity": []}, "$[1].signInActivity", "expected an object, got a list"),
    ({"signInActivity": {"lastSignInDateTime": "yesterday"}},
     "$[1].signInActivity.lastSignInDateTime", "not a timestamp: 'yesterday'"),
    ({"assignedLicenses": [{"skuId": 5}]}, "$[1].assignedLicenses[0].skuId",
     "expected a string, got a number"),
    ({"id": None}, "$[1].id", "required property is missing"),
])
def test_malformed_user_names_the_path_and_the_rest_loads(bad, where, message):
    items = [USER, {**USER, **bad}, {**USER, "id": "third"}]
    users, errors = parse_items(User, items)
    assert [u.id for u in users] == [USER["id"], "third"]
    assert [str(e) for e in errors] == [f"{where}: {message}"]


# --- groups, members, roles ----------------------------------------------------------------------


def test_group_and_member_kinds():
    group = Group.from_wire({"id": "g1", "displayName": "All staff", "groupTypes": ["DynamicMembership"],
                             "securityEnabled": True, "mailEnabled": False,
                             "membershipRule": 'user.department -eq "Sales"',
                             "membershipRuleProcessingState": "On"})
    assert group.is_dynamic and not group.is_microsoft_365
    members, errors = parse_items(DirectoryObject, [
        {"@odata.type": "#microsoft.graph.group", "id": "g2", "displayName": "Nested"},
        {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp", "appId": "a1"},
        {"@odata.type": "#microsoft.graph.device", "id": "d"},
        {"@odata.type": "#microsoft.graph.orgContact", "id": "c"},
        {"id": "x"},
    ])
    assert errors == []
    assert [m.kind for m in members] == ["group", "servicePrincipal", "device", "orgContact", "unknown"]
    assert members[0].to_wire() == {"@odata.type": "#microsoft.graph.group", "id": "g2",
                                     "displayName": "Nested", "groupTypes": []}


def test_role_definitions_and_eligibility():
    custom = RoleDefinition.from_wire({
        "id": "c1", "displayName": "Helpdesk light", "isBuiltIn": False, "isEnabled": True,
        "templateId": "c1", "rolePermissions": [
            {"allowedResourceActions": ["microsoft.directory/users/password/update"], "condition": None}]})
    assert not custom.privileged
    assert custom.role_permissions[0].allowed_resource_actions == (
        "microsoft.directory/users/password/update",)
    ga = RoleDefinition.from_wire({"id": GLOBAL_ADMINISTRATOR, "displayName": "Global Administrator",
                                   "isBuiltIn": True, "templateId": GLOBAL_ADMINISTRATOR})
    assert ga.privileged
    assert RoleDefinition.from_wire({"id": "r", "isPrivileged": True}).privileged
    eligible = RoleEligibilitySchedule.from_wire({
        "id": "e1", "principalId": "u2", "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/",
        "appScopeId": None, "memberType": "Direct", "status": "Provisioned",
        "createdDateTime": "2025-06-01T00:00:00Z",
        "scheduleInfo": {"startDateTime": "2025-06-01T00:00:00Z", "recurrence": None,
                         "expiration": {"type": "afterDateTime", "endDateTime": "2026-06-01T00:00:00Z",
                                        "duration": None}}})
    assert eligible.ends == datetime(2026, 6, 1, tzinfo=UTC)
    forever = RoleEligibilitySchedule.from_wire({
        "id": "e2", "scheduleInfo": {"expiration": {"type": "noExpiration"}}})
    assert forever.ends is None


def test_registration_details():
    details = UserRegistrationDetails.from_wire({
        "id": "u1", "userPrincipalName": "bg1@contoso.onmicrosoft.com", "userType": "member",
        "isAdmin": True, "isMfaRegistered": True, "isMfaCapable": True, "isPasswordlessCapable": True,
        "isSsprRegistered": False, "methodsRegistered": ["passKeyDeviceBound", "email"],
        "userPreferredMethodForSecondaryAuthentication": "push",
        "lastUpdatedDateTime": "2026-10-01T00:00:00Z"})
    assert details.has_phishing_resistant and details.is_admin
    assert not UserRegistrationDetails.from_wire(
        {"id": "u2", "methodsRegistered": ["mobilePhone", "microsoftAuthenticatorPush"]}).has_phishing_resistant


# --- sign-ins -------------------------------------------------------------------------------------


def sign_in(**changes) -> dict:
    base = {
        "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
        "createdDateTime": "2026-11-13T19:15:41.6195833Z",
        "userDisplayName": "Adele Vance",
        "userPrincipalName": "AdeleV@contoso.com",
        "userId": "1aecaf40-dc3a-461f-88a8-d06994e12898",
        "appId": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        "appDisplayName": "Windows Azure Service Management API",
        "ipAddress": "131.107.159.37",
        "clientAppUsed": "Browser",
        "correlationId": "d79f5bee-5860-4832-928f-3133e22ae912",
        "conditionalAccessStatus": "success",
        "isInteractive": True,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "low",
        "riskState": "none",
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Windows Azure Service Management API",
        "resourceId": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": None},
        "deviceDetail": {"deviceId": "", "displayName": None, "operatingSystem": "Windows 10",
                         "browser": "Edge 120.0.0", "isCompliant": False, "isManaged": False,
                         "trustType": None},
        "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US",
                     "geoCoordinates": {"altitude": None, "latitude": 47.68050003051758,
                                        "longitude": -122.12094116210938}},
        "appliedConditionalAccessPolicies": [
            {"id": "de7e60eb-ed89-4d73-8205-2227def6b7c9", "displayName": "Require MFA for Azure management",
             "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "success"},
            {"id": "6701123a-b4c6-48af-8565-565c8bf7cabc", "displayName": "Block legacy auth",
             "enforcedGrantControls": ["Block"], "enforcedSessionControls": [], "result": "notApplied"},
            {"id": "0b3a5c84-0d4e-4d4b-9a39-0f07e4f6e5b1", "displayName": "Compliant device (pilot)",
             "enforcedGrantControls": ["RequireCompliantDevice"], "enforcedSessionControls": [],
             "result": "reportOnlyFailure"},
        ],
    }
    base.update(changes)
    return base


def test_sign_in_values():
    s = SignIn.from_wire(sign_in())
    assert s.created_date_time == datetime(2026, 11, 13, 19, 15, 41, 619583, tzinfo=UTC)
    assert s.succeeded and s.country == "US"
    assert s.risk_level_during_sign_in == "low"
    assert s.location.geo_coordinates.latitude == pytest.approx(47.6805)
    assert s.device_detail.is_compliant is False
    results = [(p.display_name, p.result, p.report_only) for p in s.applied_conditional_access_policies]
    assert results == [("Require MFA for Azure management", "success", False),
                       ("Block legacy auth", "notApplied", False),
                       ("Compliant device (pilot)", "reportOnlyFailure", True)]
    assert s.applied_conditional_access_policies[0].enforced_grant_controls == ("Mfa",)
    assert SignIn.from_wire(s.to_wire()) == s
    failed = SignIn.from_wire(sign_in(status={
        "errorCode": 53003, "failureReason": "Access has been blocked by Conditional Access policies.",
        "additionalDetails": None}))
    assert not failed.succeeded and failed.status.error_code == 53003


def test_sign_ins_share_repeated_parts_without_mixing_them_up():
    a = SignIn.from_wire(sign_in())
    b = SignIn.from_wire(sign_in(id="b"))
    assert a.applied_conditional_access_policies[0] is b.applied_conditional_access_policies[0]
    assert a.location is b.location
    # a part with an unknown property is its own object, and keeps it
    odd = sign_in(id="c")
    odd["appliedConditionalAccessPolicies"] = copy.deepcopy(odd["appliedConditionalAccessPolicies"])
    odd["appliedConditionalAccessPolicies"][0]["conditionsSatisfied"] = "application"
    c = SignIn.from_wire(odd)
    assert c.applied_conditional_access_policies[0].unknown("conditionsSatisfied") == "application"
    assert a.applied_conditional_access_policies[0].unknown("conditionsSatisfied") is None
    # sharing never turns a malformed value into a valid one: 1 and true are different
    SignIn.from_wire(sign_in(status={"errorCode": 1}))
    with pytest.raises(WireError) as e:
        SignIn.from_wire(sign_in(status={"errorCode": True}))
    assert str(e.value) == "$.status.errorCode: expected an integer, got a boolean"


def test_unknown_sign_in_values_are_noted_for_every_sign_in():
    future = sign_in(riskLevelDuringSignIn="extreme")
    future["appliedConditionalAccessPolicies"] = [
        {"id": "p", "displayName": "P", "enforcedGrantControls": [], "enforcedSessionControls": [],
         "result": "reportOnlyMaybe"}]
    notes: list = []
    signins, errors = parse_items(SignIn, [future, dict(future, id="2")], ("value",), notes)
    assert errors == [] and signins[1].applied_conditional_access_policies[0].result == "reportOnlyMaybe"
    assert sorted(str(n) for n in notes) == [
        "$.value[0].appliedConditionalAccessPolicies[0].result: unknown value 'reportOnlyMaybe'; kept as is",
        "$.value[0].riskLevelDuringSignIn: unknown value 'extreme'; kept as is",
        "$.value[1].appliedConditionalAccessPolicies[0].result: unknown value 'reportOnlyMaybe'; kept as is",
        "$.value[1].riskLevelDuringSignIn: unknown value 'extreme'; kept as is",
    ]


def test_malformed_sign_in_names_the_path():
    bad_policy = sign_in(id="bad")
    bad_policy["appliedConditionalAccessPolicies"] = [{"id": "p", "enforcedGrantControls": "Mfa"}]
    items = [sign_in(), sign_in(id="x", location=[]), bad_policy, sign_in(id="ok")]
    signins, errors = parse_items(SignIn, items, ("value",))
    assert [s.id for s in signins] == [items[0]["id"], "ok"]
    assert [str(e) for e in errors] == [
        "$.value[1].location: expected an object, got a list",
        "$.value[2].appliedConditionalAccessPolicies[0].enforcedGrantControls: "
        "expected a list of strings, got a string",
    ]


# --- tenant, compliance, licences -------------------------------------------------------------------


def test_organization_domains():
    org = Organization.from_wire({
        "id": "84841066-274d-4ec0-a5c1-276be684bdd3", "displayName": "Contoso", "tenantType": "AAD",
        "verifiedDomains": [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": False, "isInitial": True,
             "name": "contoso.onmicrosoft.com", "type": "Managed"},
            {"capabilities": "Email", "isDefault": True, "isInitial": False, "name": "contoso.com",
             "type": "Federated"}]})
    assert org.default_domain == "contoso.com"
    assert org.initial_domain == "contoso.onmicrosoft.com"


def test_compliance_policies_by_platform():
    policies, errors = parse_items(DeviceCompliancePolicy, [
        {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "id": "i", "displayName": "iOS baseline",
         "version": 3, "osMinimumVersion": "17.0", "securityBlockJailbrokenDevices": True,
         "deviceThreatProtectionRequiredSecurityLevel": "low"},
        {"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "id": "w", "bitLockerEnabled": True},
        {"@odata.type": "#microsoft.graph.aospDeviceOwnerCompliancePolicy", "id": "a",
         "displayName": "AOSP", "minAndroidSecurityPatchLevel": "2026-01-01"},
    ])
    assert errors == []
    ios, win, aosp = policies
    assert isinstance(ios, IosCompliancePolicy) and ios.platform == "iOS"
    assert ios.security_block_jailbroken_devices and ios.os_minimum_version == "17.0"
    assert win.platform == "windows" and win.bit_locker_enabled
    assert type(aosp) is DeviceCompliancePolicy and aosp.platform is None
    assert aosp.to_wire()["minAndroidSecurityPatchLevel"] == "2026-01-01"


def test_licences():
    sku = SubscribedSku.from_wire({
        "capabilityStatus": "Enabled", "consumedUnits": 14,
        "id": "48a80680-7326-48cd-9935-b556b81d3a4e_c7df2760-2c81-4ef7-b578-5b5392b571df",
        "prepaidUnits": {"enabled": 25, "suspended": 0, "warning": 0, "lockedOut": 0},
        "servicePlans": [
            {"servicePlanId": "eec0eb4f-6444-4f95-aba0-50c24d67f998", "servicePlanName": "AAD_PREMIUM_P2",
             "provisioningStatus": "Success", "appliesTo": "User"},
            {"servicePlanId": "f057aab1-b184-49b2-85c0-881b02a405c5",
             "servicePlanName": "Entra_Premium_Private_Access", "provisioningStatus": "Disabled",
             "appliesTo": "User"}],
        "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "skuPartNumber": "ENTERPRISEPREMIUM",
        "appliesTo": "User"})
    assert sku.provides(AAD_PREMIUM_P2)
    assert not sku.provides(ENTRA_PRIVATE_ACCESS)  # plan switched off
    assert sku.available_units == 11
    suspended = SubscribedSku.from_wire({**sku.to_wire(), "capabilityStatus": "Suspended"})
    assert not suspended.provides(AAD_PREMIUM_P2)
