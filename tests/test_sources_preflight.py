"""Preflight: Graph permissions from handcrafted tokens, ARM permissions from a tiny ASGI app."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ztconsole.config import CLOUDS
from ztconsole.datasets import DATASETS
from ztconsole.sources.credentials import PANE_PERMISSIONS
from ztconsole.sources.errors import AuthFailed
from ztconsole.sources.preflight import (
    ARM_PERMISSIONS_API_VERSION,
    ARM_READ_ACTIONS,
    PermissionCheck,
    format_preflight,
    preflight,
    token_claims,
)

PUBLIC = CLOUDS["public"]
SUB_READER = "aaaaaaaa-0000-0000-0000-000000000001"
SUB_NETWORK = "aaaaaaaa-0000-0000-0000-000000000002"
SUB_FORBIDDEN = "aaaaaaaa-0000-0000-0000-000000000003"
SUB_PAGED = "aaaaaaaa-0000-0000-0000-000000000004"
SUB_ELSEWHERE = "aaaaaaaa-0000-0000-0000-000000000005"


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


class Tokens:
    """A credential handing out a fixed token per resource (Graph, ARM)."""

    def __init__(self, graph: str, arm: str = "arm-token-value-0123456789"):
        self.graph, self.arm = graph, arm
        self.asked: list[str] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.asked.extend(scopes)
        token = self.arm if scopes[0].startswith(PUBLIC.arm_url) else self.graph
        return AccessToken(token, 4102444800)


def by_key(checks: list[PermissionCheck], scope: str = "tenant") -> dict[tuple[str, str], PermissionCheck]:
    return {(c.pane, c.permission): c for c in checks if c.scope == scope}


def app_token(*roles: str) -> str:
    return jwt({"aud": "https://graph.microsoft.com", "tid": "t", "idtyp": "app", "roles": list(roles)})


# ---------------------------------------------------------------------------------------------- claims


def test_token_claims_reads_a_jwt_payload_and_nothing_else() -> None:
    assert token_claims(jwt({"roles": ["A"], "tid": "x"})) == {"roles": ["A"], "tid": "x"}
    assert token_claims("opaque-static-token") is None
    assert token_claims("a.b.c.d.e") is None  # an encrypted token (JWE)
    assert token_claims("x.!!!.y") is None
    assert token_claims(f"x.{base64.urlsafe_b64encode(b'[1, 2]').decode()}.y") is None


# ----------------------------------------------------------------------------------------------- Graph


async def test_app_roles_grant_what_they_name() -> None:
    checks = await preflight(Tokens(app_token("Policy.Read.All", "Application.Read.All")), PUBLIC)
    rows = by_key(checks)
    assert rows["ca", "Policy.Read.All"].state == "granted"
    assert rows["ca", "Policy.Read.All"].detail == "held"
    assert rows["cae", "Policy.Read.All"].state == "granted"
    assert rows["pa", "Application.Read.All"].state == "granted"
    assert rows["users", "User.Read.All"].state == "missing"
    assert "not in the token's roles" in rows["users", "User.Read.All"].detail
    assert {(c.pane, c.permission) for c in checks if c.scope == "tenant"} == {
        (pane, p) for pane, perms in PANE_PERMISSIONS.items() for p in perms
        if any(ds.api == "graph" and ds.pane == pane and p in ds.permission for ds in DATASETS)}


async def test_directory_read_all_covers_several_reads_but_not_conditional_access() -> None:
    rows = by_key(await preflight(Tokens(app_token("Directory.Read.All")), PUBLIC))
    for pane, permission in [("users", "User.Read.All"), ("users", "GroupMember.Read.All"),
                             ("users", "RoleManagement.Read.Directory"), ("overview", "Organization.Read.All"),
                             ("overview", "LicenseAssignment.Read.All")]:
        assert rows[pane, permission].state == "granted", (pane, permission)
        assert rows[pane, permission].detail == "covered by Directory.Read.All"
    assert rows["ca", "Policy.Read.All"].state == "missing"
    assert rows["users", "AuditLog.Read.All"].state == "missing"  # sign-in activity needs its own
    assert rows["breakglass", "UserAuthenticationMethod.Read.All"].state == "missing"
    # Application.Read.All: Directory.Read.All reads apps and service principals, not their segments
    pa = rows["pa", "Application.Read.All"]
    assert pa.state == "missing" and "Application segments need Application.Read.All" in pa.detail


async def test_conditional_access_write_does_not_imply_policy_read_all() -> None:
    rows = by_key(await preflight(Tokens(app_token("Policy.ReadWrite.ConditionalAccess")), PUBLIC))
    ca = rows["ca", "Policy.Read.All"]
    assert ca.state == "missing"
    assert "Conditional Access policies" in ca.detail and "Named locations" in ca.detail
    strengths = rows["ca", "Policy.Read.AuthenticationMethod"]
    assert strengths.state == "granted"
    assert strengths.detail == "covered by Policy.ReadWrite.ConditionalAccess"
    assert rows["cae", "Policy.Read.All"].state == "missing"


async def test_higher_permissions_count_and_read_write_implies_read() -> None:
    rows = by_key(await preflight(Tokens(app_token("RoleManagement.Read.Directory", "Group.Read.All",
                                                   "NetworkAccess.ReadWrite.All", "Policy.Read.All")), PUBLIC))
    assert rows["users", "RoleEligibilitySchedule.Read.Directory"].state == "granted"
    assert rows["users", "GroupMember.Read.All"].detail == "covered by Group.Read.All"
    assert rows["pa", "NetworkAccess.Read.All"].state == "granted"
    assert rows["cae", "NetworkAccess.Read.All"].detail == "covered by NetworkAccess.ReadWrite.All"
    traffic = rows["pa", "NetworkAccess-Reports.Read.All"]  # the Global Secure Access traffic log
    assert traffic.state == "granted" and traffic.detail == "covered by NetworkAccess.ReadWrite.All"


async def test_delegated_scopes_are_read_from_scp() -> None:
    token = jwt({"aud": "00000003-0000-0000-c000-000000000000", "scp": "Policy.Read.All User.Read openid",
                 "upn": "admin@contoso.com"})
    rows = by_key(await preflight(Tokens(token), PUBLIC))
    granted = rows["ca", "Policy.Read.All"]
    assert granted.state == "granted" and "delegated" in granted.detail and "directory roles" in granted.detail
    missing = rows["users", "User.Read.All"]
    assert missing.state == "missing" and "scp" in missing.detail


async def test_an_app_token_without_roles_holds_nothing() -> None:
    rows = by_key(await preflight(Tokens(jwt({"aud": "https://graph.microsoft.com", "idtyp": "app"})), PUBLIC))
    assert all(c.state == "missing" for c in rows.values())
    assert "no application permissions" in rows["ca", "Policy.Read.All"].detail


async def test_a_static_token_makes_every_graph_permission_unknown() -> None:
    checks = await preflight(Tokens("emulator-static-token-abcdef"), PUBLIC)
    graph = [c for c in checks if c.scope == "tenant"]
    assert graph and all(c.state == "unknown" and "not a JWT" in c.detail for c in graph)


async def test_no_token_at_all_is_auth_failed() -> None:
    class Refusing:
        async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            raise RuntimeError("AADSTS700016: application not found")

    with pytest.raises(AuthFailed) as caught:
        await preflight(Refusing(), PUBLIC)
    assert "Microsoft Graph" in str(caught.value) and "AADSTS700016" in str(caught.value)

    class Failing:
        async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            raise AuthFailed("device-code sign-in failed: x. Do y.")

    with pytest.raises(AuthFailed, match="device-code sign-in failed"):
        await preflight(Failing(), PUBLIC)


# ------------------------------------------------------------------------------------------------- ARM


def arm_app(seen: list[Request]) -> Starlette:
    permissions = {
        SUB_READER: [{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}],
        # Network Contributor without NSG reads, nothing else: resource groups are not readable
        SUB_NETWORK: [{"actions": ["Microsoft.Network/*", "Microsoft.Insights/*/read"],
                       "notActions": ["Microsoft.Network/networkSecurityGroups/*"]}],
    }

    async def endpoint(request: Request) -> JSONResponse:
        seen.append(request)
        sub = request.path_params["sub"]
        if request.headers.get("authorization") != "Bearer arm-token-value-0123456789":
            return JSONResponse({"error": {"code": "InvalidAuthenticationToken", "message": "no"}}, 401)
        if sub == SUB_FORBIDDEN:
            return JSONResponse({"error": {"code": "AuthorizationFailed", "message": "The client 'x' does not "
                                           "have authorization to perform action "
                                           "'Microsoft.Authorization/permissions/read'."}}, 403)
        if sub == SUB_PAGED:
            if request.query_params.get("page") != "2":
                return JSONResponse({"value": [{"actions": ["Microsoft.Network/*/read"]}],
                                     "nextLink": f"{request.url.replace(query='')}?api-version="
                                                 f"{ARM_PERMISSIONS_API_VERSION}&page=2"})
            return JSONResponse({"value": [{"actions": ["Microsoft.Resources/subscriptions/resourceGroups/read",
                                                        "Microsoft.Insights/diagnosticSettings/read"]}]})
        if sub == SUB_ELSEWHERE:
            return JSONResponse({"value": [], "nextLink": "https://evil.example/steal"})
        return JSONResponse({"value": permissions.get(sub, [])})

    return Starlette(routes=[Route("/subscriptions/{sub}/providers/Microsoft.Authorization/permissions",
                                   endpoint)])


@pytest.fixture
def arm() -> tuple[httpx.AsyncClient, list[Request]]:
    seen: list[Request] = []
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=arm_app(seen)), base_url=PUBLIC.arm_url)
    return client, seen


async def test_arm_permissions_granted_missing_and_forbidden(arm: tuple[httpx.AsyncClient, list[Request]]) -> None:
    http, seen = arm
    credential = Tokens(app_token("Policy.Read.All"))
    checks = await preflight(credential, PUBLIC, subscriptions=[SUB_READER, SUB_NETWORK, SUB_FORBIDDEN], http=http)
    assert credential.asked == [PUBLIC.graph_scope, PUBLIC.arm_scope]
    assert all(r.query_params["api-version"] == "2022-04-01" for r in seen)

    reader = by_key(checks, SUB_READER)
    assert reader["fw", "Reader"].state == "granted" and reader["nsg", "Reader"].state == "granted"
    assert reader["fw", "Monitoring Reader (Reader suffices)"].state == "granted"
    tenant_level = [c for c in reader.values() if c.pane == "signins"]
    assert tenant_level and all(c.state == "unknown" and "tenant-level" in c.detail for c in tenant_level)

    network = by_key(checks, SUB_NETWORK)
    assert network["nsg", "Reader"].state == "missing"
    assert "Microsoft.Network/networkSecurityGroups/read" in network["nsg", "Reader"].detail
    fw = network["fw", "Reader"]
    assert fw.state == "missing" and "Microsoft.Resources/subscriptions/resourceGroups/read" in fw.detail
    assert "Microsoft.Network/azureFirewalls/read" not in fw.detail
    assert network["fw", "Monitoring Reader (Reader suffices)"].state == "granted"

    forbidden = by_key(checks, SUB_FORBIDDEN)
    assert forbidden["fw", "Reader"].state == "unknown"
    assert "403" in forbidden["fw", "Reader"].detail and "AuthorizationFailed" in forbidden["fw", "Reader"].detail
    await http.aclose()


async def test_arm_permissions_follow_next_links_on_the_same_host_only(
        arm: tuple[httpx.AsyncClient, list[Request]]) -> None:
    http, seen = arm
    checks = await preflight(Tokens(app_token()), PUBLIC, subscriptions=[SUB_PAGED, SUB_ELSEWHERE], http=http)
    paged = by_key(checks, SUB_PAGED)
    assert paged["fw", "Reader"].state == "granted" and paged["nsg", "Reader"].state == "granted"
    elsewhere = by_key(checks, SUB_ELSEWHERE)
    assert elsewhere["fw", "Reader"].state == "unknown" and "another host" in elsewhere["fw", "Reader"].detail
    assert all(r.url.hostname == "management.azure.com" for r in seen)
    await http.aclose()


async def test_an_unreachable_arm_is_unknown_with_the_cause() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    checks = await preflight(Tokens(app_token()), PUBLIC, subscriptions=[SUB_READER], http=http)
    row = by_key(checks, SUB_READER)["nsg", "Reader"]
    assert row.state == "unknown" and "management.azure.com" in row.detail and "refused" in row.detail
    await http.aclose()


async def test_without_subscriptions_arm_is_unknown_and_not_asked() -> None:
    credential = Tokens(app_token())
    checks = await preflight(credential, PUBLIC)
    assert credential.asked == [PUBLIC.graph_scope]
    arm_rows = [c for c in checks if c.scope != "tenant"]
    assert arm_rows and all(c.state == "unknown" and "no subscriptions" in c.detail for c in arm_rows)


def test_every_subscription_level_arm_data_set_has_a_read_action() -> None:
    for ds in DATASETS:
        if ds.api != "arm":
            continue
        tenant_level = not ds.per_subscription and ds.parent is None
        assert (ds.key in ARM_READ_ACTIONS) != tenant_level, ds.key
        if ds.key in ARM_READ_ACTIONS:
            assert ARM_READ_ACTIONS[ds.key].endswith("/read")


# ---------------------------------------------------------------------------------------------- output


async def test_format_preflight_is_a_table_per_pane_without_token_text(
        arm: tuple[httpx.AsyncClient, list[Request]]) -> None:
    http, _ = arm
    token = app_token("Policy.Read.All", "Directory.Read.All")
    checks = await preflight(Tokens(token), PUBLIC, subscriptions=[SUB_READER, SUB_FORBIDDEN], http=http)
    text = format_preflight(checks)
    lines = text.splitlines()
    assert "Conditional Access (ca)" in lines and "Network security groups (nsg)" in lines
    assert any(line.startswith("  granted  Policy.Read.All") for line in lines)
    assert any(line.startswith("  MISSING  UserAuthenticationMethod.Read.All") for line in lines)
    assert any(line.startswith("  unknown  Reader") and SUB_FORBIDDEN in line for line in lines)
    counts = {s: sum(c.state == s for c in checks) for s in ("granted", "missing", "unknown")}
    assert lines[-1] == f"{counts['granted']} granted, {counts['missing']} missing, {counts['unknown']} unknown"
    for secret in (token, token.split(".")[1], "arm-token-value-0123456789"):
        assert secret not in text
        assert all(secret not in repr(c) for c in checks)
    await http.aclose()


def test_format_preflight_of_nothing() -> None:
    assert format_preflight([]) == "no permission checks"
