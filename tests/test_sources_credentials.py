"""Credentials per auth method, cloud and tenant; the device-code adapter; the token cache choice.

Only Entra sign-in itself is faked: the async credentials send their token request through a fake
azure-core transport (so the test sees the real token endpoint: authority and tenant), and the sync
device-code credential's token acquisition is patched. No network, no real sign-in.
"""

from __future__ import annotations

import asyncio
import errno
import importlib.util
import json
import logging
import os
import stat
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import AsyncHttpResponse, AsyncHttpTransport
from azure.identity import (
    AuthenticationRecord,
    AuthenticationRequiredError,
    DeviceCodeCredential,
    TokenCachePersistenceOptions,
)
from azure.identity.aio import (
    AzureCliCredential,
    CertificateCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from ztconsole.config import CLOUDS, ConfigErrors, TenantProfile, parse_config, write_config
from ztconsole.datasets import DATASETS
from ztconsole.sources import credentials
from ztconsole.sources.credentials import (
    PANE_PERMISSIONS,
    DeviceCodeCredentialAsync,
    GuardedCredential,
    auth_record_path,
    credential_for,
    plaintext_cache_files,
    scopes,
    token_cache_choice,
)
from ztconsole.sources.errors import AuthFailed
from ztconsole.sources.static_token import StaticTokenCredential

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "99999999-8888-7777-6666-555555555555"
SECRET = "s3cr3t~value-that-must-never-be-shown"
STATIC = "static-token-value-never-shown-0123456789"
CUSTOM = dict(cloud="custom", graph_url="https://graph.stack.example", arm_url="https://arm.stack.example",
              authority_url="https://login.stack.example")
# (profile cloud fields, expected authority host)
CLOUD_CASES = [
    (dict(cloud="public"), "login.microsoftonline.com"),
    (dict(cloud="usgov"), "login.microsoftonline.us"),
    (dict(cloud="china"), "login.chinacloudapi.cn"),
    (CUSTOM, "login.stack.example"),
]
CLOUD_IDS = ["public", "usgov", "china", "custom"]
IDENTITY_VARS = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT",
                 "MSI_ENDPOINT", "MSI_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID",
                 "AZURE_TENANT_ID", "AZURE_REGIONAL_AUTHORITY_NAME", "AZURE_POD_IDENTITY_AUTHORITY_HOST")


def profile(**kw: Any) -> TenantProfile:
    base: dict[str, Any] = dict(name="t", tenant_id=TENANT)
    base.update(kw)
    return TenantProfile(**base)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for var in IDENTITY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # never the real platform keyring: encryption "works" unless a test says otherwise
    monkeypatch.setattr(credentials, "encrypted_storage_problem", lambda: None)
    return {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache")}


# ------------------------------------------------------------------------------- a fake Entra endpoint


class _Response(AsyncHttpResponse):
    def __init__(self, request: Any, status: int, body: dict[str, Any]):
        super().__init__(request, None)
        self.status_code = status
        self.reason = "OK" if status == 200 else "Error"
        self.headers = {"content-type": "application/json"}
        self.content_type = "application/json"
        self._body = json.dumps(body).encode()

    def body(self) -> bytes:
        return self._body


class FakeEntra(AsyncHttpTransport):
    """Answers every token request (Entra token endpoint or IMDS) with a token; records the requests."""

    def __init__(self, status: int = 200, error: dict[str, Any] | None = None):
        self.requests: list[Any] = []
        self.status = status
        self.error = error

    async def send(self, request: Any, **kwargs: Any) -> _Response:
        self.requests.append(request)
        if self.status != 200:
            return _Response(request, self.status, self.error or {})
        body = {"access_token": "header.payload.signature", "expires_in": 3600, "token_type": "Bearer"}
        if "169.254.169.254" in request.url:  # IMDS answers with strings and the resource
            body = {"access_token": "header.payload.signature", "expires_in": "3600",
                    "expires_on": str(int(time.time()) + 3600), "resource": "https://management.azure.com",
                    "token_type": "Bearer"}
        return _Response(request, 200, body)

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> FakeEntra:
        return self

    async def __aexit__(self, *exc: object) -> None: ...


def form(request: Any) -> dict[str, str]:
    data = request.data if isinstance(getattr(request, "data", None), dict) else None
    if data is None:
        data = request.body if isinstance(request.body, dict) else {}
    return {k: str(v) for k, v in data.items()}


# --------------------------------------------------------------------------------------- certificates


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ztconsole-test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem_cert = cert.public_bytes(serialization.Encoding.PEM)
    folder = tmp_path_factory.mktemp("certs")
    plain = folder / "plain.pem"
    plain.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()) + pem_cert)
    locked = folder / "locked.pem"
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"pa55word")) + pem_cert)
    for path in (plain, locked):
        path.chmod(0o600)
    return {"plain": plain, "locked": locked}


# ---------------------------------------------------------------------------------------- scopes etc.


@pytest.mark.parametrize("cloud", ["public", "usgov", "usgov-dod", "china"])
def test_scopes_are_the_clouds_default_scopes(cloud: str) -> None:
    endpoints = CLOUDS[cloud]
    graph, arm = scopes(endpoints)
    assert graph == [f"{endpoints.graph_url}/.default"] and arm == [f"{endpoints.arm_url}/.default"]


def test_scopes_of_a_custom_cloud() -> None:
    graph, arm = scopes(profile(**CUSTOM).endpoints)
    assert graph == ["https://graph.stack.example/.default"] and arm == ["https://arm.stack.example/.default"]


def test_pane_permissions_come_from_the_catalogue() -> None:
    assert PANE_PERMISSIONS["ca"][0] == "Policy.Read.All"
    assert {"User.Read.All", "AuditLog.Read.All"} <= set(PANE_PERMISSIONS["users"])  # a compound entry, split
    assert "OnPremisesPublishingProfiles.ReadWrite.All" in PANE_PERMISSIONS["pa"]
    assert PANE_PERMISSIONS["nsg"] == ("Reader",)
    for ds in DATASETS:
        for permission in credentials.permissions_of(ds):
            assert permission in PANE_PERMISSIONS[ds.pane]
    for perms in PANE_PERMISSIONS.values():
        assert len(perms) == len(set(perms))


# ------------------------------------------------------------------------------- client certificate


@pytest.mark.parametrize(("cloud", "host"), CLOUD_CASES, ids=CLOUD_IDS)
async def test_client_certificate_signs_in_at_the_clouds_authority_and_tenant(
        cloud: dict[str, Any], host: str, cert_files: dict[str, Path], clean_env: dict[str, str]) -> None:
    entra = FakeEntra()
    p = profile(auth="client-certificate", client_id=CLIENT, certificate_path=cert_files["plain"], **cloud)
    credential = credential_for(p, env=clean_env, transport=entra)
    assert isinstance(credential, GuardedCredential)
    assert isinstance(credential.credential, CertificateCredential)
    graph, _ = scopes(p.endpoints)
    token = await credential.get_token(*graph)
    await credential.close()
    assert token.token == "header.payload.signature"
    (request,) = entra.requests
    assert request.url == f"https://{host}/{TENANT}/oauth2/v2.0/token"
    body = form(request)
    assert body["client_id"] == CLIENT and body["scope"] == graph[0]
    assert body["client_assertion_type"].endswith("jwt-bearer") and "client_secret" not in body


async def test_a_password_protected_certificate_takes_its_password_from_the_environment(
        cert_files: dict[str, Path], clean_env: dict[str, str]) -> None:
    p = profile(auth="client-certificate", client_id=CLIENT, certificate_path=cert_files["locked"])
    with pytest.raises(AuthFailed) as caught:
        credential_for(p, env=clean_env)
    assert "AZURE_CLIENT_CERTIFICATE_PASSWORD" in str(caught.value)
    entra = FakeEntra()
    env = {**clean_env, "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pa55word"}
    credential = credential_for(p, env=env, transport=entra)
    await credential.get_token("https://graph.microsoft.com/.default")
    assert len(entra.requests) == 1
    assert "pa55word" not in repr(credential)


def test_a_group_readable_certificate_gets_a_notice(cert_files: dict[str, Path], clean_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    loose = tmp_path / "loose.pem"
    loose.write_bytes(cert_files["plain"].read_bytes())
    loose.chmod(0o644)
    notices: list[str] = []
    credential_for(profile(auth="client-certificate", client_id=CLIENT, certificate_path=loose),
                   env=clean_env, on_notice=notices.append)
    assert notices and "chmod 600" in notices[0]


async def test_a_client_secret_comes_only_from_the_environment(clean_env: dict[str, str]) -> None:
    p = profile(auth="client-certificate", client_id=CLIENT, cloud="usgov")  # no certificate_path
    with pytest.raises(AuthFailed) as caught:
        credential_for(p, env=clean_env)
    message = str(caught.value)
    assert "certificate_path" in message and "AZURE_CLIENT_SECRET" in message
    entra = FakeEntra()
    credential = credential_for(p, env={**clean_env, "AZURE_CLIENT_SECRET": SECRET}, transport=entra)
    assert isinstance(credential.credential, ClientSecretCredential)
    await credential.get_token("https://graph.microsoft.us/.default")
    (request,) = entra.requests
    assert request.url == f"https://login.microsoftonline.us/{TENANT}/oauth2/v2.0/token"
    assert form(request)["client_secret"] == SECRET
    assert SECRET not in repr(credential)


def test_the_config_file_cannot_hold_a_client_secret() -> None:
    text = f'[tenants.t]\ntenant_id = "{TENANT}"\nauth = "client-certificate"\nclient_id = "{CLIENT}"\n' \
           f'certificate_path = "/x.pem"\nclient_secret = "{SECRET}"\n'
    with pytest.raises(ConfigErrors) as caught:
        parse_config(text)
    assert "AZURE_CLIENT_SECRET" in str(caught.value) and SECRET not in str(caught.value)


async def test_a_rejected_secret_is_auth_failed_naming_method_and_remedy_without_the_secret(
        clean_env: dict[str, str]) -> None:
    entra = FakeEntra(400, {"error": "invalid_client",
                            "error_description": f"AADSTS7000215: Invalid client secret provided: {SECRET}\r\n"
                                                 "Trace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: now"})
    credential = credential_for(profile(auth="client-certificate", client_id=CLIENT),
                                env={**clean_env, "AZURE_CLIENT_SECRET": SECRET}, transport=entra)
    with pytest.raises(AuthFailed) as caught:
        await credential.get_token("https://graph.microsoft.com/.default")
    message = str(caught.value)
    assert message.startswith("client-certificate (client secret) sign-in failed")
    assert "AADSTS7000215" in message and "AZURE_CLIENT_SECRET" in message
    assert SECRET not in message and "Trace ID" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(("fields", "needle"), [
    (dict(certificate_path=Path("/nonexistent/ztc.pem")), "does not exist"),
    (dict(client_id=None, certificate_path=Path("/x.pem")), "client_id is required"),
])
def test_client_certificate_inputs_are_checked(fields: dict[str, Any], needle: str,
                                               clean_env: dict[str, str]) -> None:
    kw: dict[str, Any] = dict(auth="client-certificate", client_id=CLIENT)
    kw.update(fields)
    with pytest.raises(AuthFailed) as caught:
        credential_for(profile(**kw), env=clean_env)
    assert needle in str(caught.value) and "'client-certificate'" in str(caught.value)


def test_a_tenant_id_is_required_except_for_static_tokens(clean_env: dict[str, str]) -> None:
    for method in ("device-code", "azure-cli", "client-certificate", "managed-identity", "workload-identity"):
        with pytest.raises(AuthFailed) as caught:
            credential_for(profile(auth=method, tenant_id=None), env=clean_env)
        assert "tenant_id is required" in str(caught.value) and method in str(caught.value)


def test_an_unknown_auth_method_is_refused(clean_env: dict[str, str]) -> None:
    with pytest.raises(AuthFailed) as caught:
        credential_for(profile(auth="password"), env=clean_env)
    assert "device-code" in str(caught.value)


# ------------------------------------------------------------------------------------ the identities


@pytest.mark.parametrize("client_id", [None, CLIENT])
async def test_managed_identity_system_or_user_assigned(client_id: str | None, clean_env: dict[str, str]) -> None:
    entra = FakeEntra()
    credential = credential_for(profile(auth="managed-identity", client_id=client_id), env=clean_env,
                                transport=entra)
    assert isinstance(credential.credential, ManagedIdentityCredential)
    await credential.get_token("https://management.azure.com/.default")
    await credential.close()
    (request,) = entra.requests
    query = parse_qs(urlsplit(request.url).query)
    assert urlsplit(request.url).hostname == "169.254.169.254"
    assert query.get("client_id") == ([client_id] if client_id else None)


@pytest.mark.parametrize(("cloud", "host"), CLOUD_CASES, ids=CLOUD_IDS)
async def test_workload_identity_uses_the_federated_token_file(cloud: dict[str, Any], host: str,
                                                               clean_env: dict[str, str], tmp_path: Path) -> None:
    token_file = tmp_path / "sa-token"
    token_file.write_text("federated.assertion.value")
    entra = FakeEntra()
    env = {**clean_env, "AZURE_FEDERATED_TOKEN_FILE": str(token_file), "AZURE_CLIENT_ID": CLIENT}
    credential = credential_for(profile(auth="workload-identity", **cloud), env=env, transport=entra)
    assert isinstance(credential.credential, WorkloadIdentityCredential)
    await credential.get_token("https://graph.microsoft.com/.default")
    await credential.close()
    (request,) = entra.requests
    assert request.url == f"https://{host}/{TENANT}/oauth2/v2.0/token"
    body = form(request)
    assert body["client_id"] == CLIENT and body["client_assertion"] == "federated.assertion.value"


@pytest.mark.parametrize(("env_extra", "needle"), [
    ({"AZURE_CLIENT_ID": CLIENT}, "AZURE_FEDERATED_TOKEN_FILE is not set"),
    ({"AZURE_FEDERATED_TOKEN_FILE": "/nonexistent/token"}, "AZURE_CLIENT_ID"),
    ({"AZURE_CLIENT_ID": CLIENT, "AZURE_FEDERATED_TOKEN_FILE": "/nonexistent/token"}, "does not exist"),
])
def test_workload_identity_inputs_are_checked(env_extra: dict[str, str], needle: str,
                                              clean_env: dict[str, str]) -> None:
    with pytest.raises(AuthFailed) as caught:
        credential_for(profile(auth="workload-identity"), env={**clean_env, **env_extra})
    assert needle in str(caught.value)


# ------------------------------------------------------------------------------------------ azure cli


@pytest.mark.parametrize(("cloud", "az_name"), [("public", "AzureCloud"), ("usgov", "AzureUSGovernment"),
                                                ("china", "AzureChinaCloud")])
async def test_azure_cli_for_the_tenant_and_a_remedy_naming_the_cloud(
        cloud: str, az_name: str, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    credential = credential_for(profile(auth="azure-cli", cloud=cloud), env=clean_env)
    assert isinstance(credential.credential, AzureCliCredential)
    assert credential.credential.tenant_id == TENANT
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` here: the CLI is "not installed"
    with pytest.raises(AuthFailed) as caught:
        await credential.get_token(CLOUDS[cloud].arm_scope)
    message = str(caught.value)
    assert message.startswith("azure-cli sign-in failed:")
    assert f"az cloud set --name {az_name}" in message and f"az login --tenant {TENANT}" in message


# --------------------------------------------------------------------------------------- static token


async def test_static_token_for_a_loopback_custom_cloud(clean_env: dict[str, str]) -> None:
    p = profile(auth="static-token", tenant_id=None, cloud="custom", graph_url="http://127.0.0.1:8765",
                arm_url="http://localhost:8765")
    credential = credential_for(p, env={**clean_env, "ZTCONSOLE_TOKEN": STATIC})
    assert isinstance(credential.credential, StaticTokenCredential)
    assert (await credential.get_token("http://127.0.0.1:8765/.default")).token == STATIC
    info = await credential.get_token_info("http://127.0.0.1:8765/.default")
    assert info.token == STATIC
    assert STATIC not in repr(credential) and STATIC not in repr(credential.credential)


@pytest.mark.parametrize("fields", [
    dict(cloud="public"),
    dict(cloud="custom", graph_url="https://graph.example.com", arm_url="http://127.0.0.1:8765"),
], ids=["public", "custom-not-loopback"])
def test_static_token_is_refused_off_loopback(fields: dict[str, Any], clean_env: dict[str, str]) -> None:
    with pytest.raises(AuthFailed) as caught:
        credential_for(profile(auth="static-token", **fields), env={**clean_env, "ZTCONSOLE_TOKEN": STATIC})
    assert "loopback" in str(caught.value) and STATIC not in str(caught.value)


def test_static_token_needs_the_environment_variable(clean_env: dict[str, str]) -> None:
    p = profile(auth="static-token", cloud="custom", graph_url="http://127.0.0.1:1", arm_url="http://127.0.0.1:1")
    with pytest.raises(AuthFailed) as caught:
        credential_for(p, env=clean_env)
    assert "ZTCONSOLE_TOKEN is not set" in str(caught.value)


# ---------------------------------------------------------------------------------------- device code


def fake_sign_in(calls: list[dict[str, Any]]) -> Any:
    """A stand-in for the device code flow: shows the prompt, 'waits', answers like MSAL."""

    def _request_token(self: DeviceCodeCredential, *scopes: str, **kwargs: Any) -> dict[str, Any]:
        calls.append({"thread": threading.get_ident(), "scopes": scopes, "kwargs": kwargs})
        self._prompt_callback("https://microsoft.com/devicelogin", "ABCD-EFGH",
                              datetime.now(UTC) + timedelta(minutes=15))
        time.sleep(0.02)
        return {"access_token": "device.code.token", "expires_in": 3600, "token_type": "Bearer",
                "id_token_claims": {"sub": "s", "tid": TENANT, "preferred_username": "admin@contoso.com",
                                    "aud": self._client_id,
                                    "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0"}}

    return _request_token


@pytest.mark.parametrize(("cloud", "host"), CLOUD_CASES, ids=CLOUD_IDS)
def test_device_code_uses_the_clouds_authority_and_tenant(cloud: dict[str, Any], host: str,
                                                          clean_env: dict[str, str]) -> None:
    credential = credential_for(profile(auth="device-code", token_cache="none", **cloud), env=clean_env)
    adapter = credential.credential
    assert isinstance(adapter, DeviceCodeCredentialAsync)
    sync = adapter._sync
    assert isinstance(sync, DeviceCodeCredential)
    # azure-identity keeps them privately; the sign-in goes to https://<authority>/<tenant>
    assert sync._authority == f"https://{host}" and sync._tenant_id == TENANT
    assert sync._client_id == credentials.DEFAULT_PUBLIC_CLIENT_ID
    assert sync._instance_discovery is (False if cloud is CUSTOM else None)


async def test_device_code_runs_off_the_loop_and_forwards_the_prompt(
        clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(DeviceCodeCredential, "_request_token", fake_sign_in(calls))
    prompts: list[tuple[str, int]] = []
    credential = credential_for(profile(auth="device-code", client_id=CLIENT, token_cache="none"),
                                env=clean_env, on_device_code=lambda m: prompts.append((m, threading.get_ident())))
    loop_thread = threading.get_ident()
    token = await credential.get_token("https://graph.microsoft.com/.default")
    await asyncio.sleep(0)  # let the loop run the prompt it was handed
    assert token.token == "device.code.token"
    (call,) = calls
    assert call["thread"] != loop_thread  # the sync sign-in ran in a worker thread
    assert call["kwargs"].get("enable_cae") is True
    ((message, shown_on),) = prompts
    assert shown_on == loop_thread  # the prompt is shown on the event loop's thread
    assert "https://microsoft.com/devicelogin" in message and "ABCD-EFGH" in message and "UTC" in message
    await credential.close()


async def test_device_code_sign_ins_are_one_at_a_time(clean_env: dict[str, str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    active, peak = 0, 0
    guard = threading.Lock()

    def get_token(self: DeviceCodeCredential, *scopes: str, **kwargs: Any) -> AccessToken:
        nonlocal active, peak
        with guard:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with guard:
            active -= 1
        return AccessToken(f"token-for-{scopes[0]}", int(time.time()) + 3600)

    monkeypatch.setattr(DeviceCodeCredential, "get_token", get_token)
    credential = credential_for(profile(auth="device-code", token_cache="none"), env=clean_env)
    graph, arm = scopes(CLOUDS["public"])
    tokens = await asyncio.gather(credential.get_token(*graph), credential.get_token(*arm))
    assert [t.token for t in tokens] == [f"token-for-{graph[0]}", f"token-for-{arm[0]}"]
    assert peak == 1


async def test_a_failed_device_code_sign_in_is_auth_failed(clean_env: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: DeviceCodeCredential, *scopes: str, **kwargs: Any) -> dict[str, Any]:
        raise ClientAuthenticationError("AADSTS50199: device code flow blocked eyJhbGciOi.eyJzdWIiOi.c2ln")

    monkeypatch.setattr(DeviceCodeCredential, "_request_token", refuse)
    credential = credential_for(profile(auth="device-code", token_cache="none"), env=clean_env)
    with pytest.raises(AuthFailed) as caught:
        await credential.get_token("https://graph.microsoft.com/.default")
    message = str(caught.value)
    assert message.startswith("device-code sign-in failed: AADSTS50199")
    assert "azure-cli" in message and "eyJhbGciOi" not in message


async def test_a_persistent_cache_saves_the_account_so_the_next_run_does_not_prompt(
        clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(DeviceCodeCredential, "_request_token", fake_sign_in(calls))

    def silent(self: DeviceCodeCredential, *scopes: str, **kwargs: Any) -> AccessTokenInfo:
        if self._auth_record is None:  # as azure-identity: no account, no silent token
            raise AuthenticationRequiredError(scopes)
        return AccessTokenInfo("cached.token.value", int(time.time()) + 3600)

    monkeypatch.setattr(DeviceCodeCredential, "_acquire_token_silent", silent)
    p = profile(auth="device-code")  # token_cache defaults to "encrypted"; the fixture says it works
    first = credential_for(p, env=clean_env, on_device_code=lambda m: None)
    assert first.token_cache is not None and first.token_cache.mode == "encrypted"
    options = first.credential._sync._cache_options
    assert isinstance(options, TokenCachePersistenceOptions)
    assert options.name == "ztconsole" and options.allow_unencrypted_storage is False
    assert (await first.get_token("https://graph.microsoft.com/.default")).token == "cached.token.value"
    assert len(calls) == 1
    record_file = auth_record_path(p, clean_env)
    assert stat.S_IMODE(record_file.stat().st_mode) == 0o600
    record = AuthenticationRecord.deserialize(record_file.read_text())
    assert record.username == "admin@contoso.com" and record.tenant_id == TENANT

    second = credential_for(p, env=clean_env, on_device_code=lambda m: None)
    assert (await second.get_token("https://management.azure.com/.default")).token == "cached.token.value"
    assert len(calls) == 1  # no second device code prompt

    other = credential_for(profile(auth="device-code", tenant_id="22222222-2222-3333-4444-555555555555"),
                           env=clean_env, on_device_code=lambda m: None)
    assert other.credential._sync._auth_record is None  # a record for another tenant is not used


# ---------------------------------------------------------------------------------------- token cache


def test_token_cache_choice_per_setting(clean_env: dict[str, str]) -> None:
    asked: list[int] = []

    def works() -> None:
        asked.append(1)
        return None

    def headless() -> str:
        return "libsecret is not usable (Unable to import module 'gi')"

    assert token_cache_choice("none", problem=works) == credentials.TokenCacheChoice("none", "memory")
    assert asked == []  # "none" never probes the platform
    assert token_cache_choice("encrypted", problem=works).mode == "encrypted"
    assert token_cache_choice("plaintext", problem=works).mode == "encrypted"  # encrypted when possible

    fallback = token_cache_choice("encrypted", problem=headless)
    assert fallback.mode == "memory" and not fallback.persistent and fallback.options() is None
    assert fallback.notice is not None and "\n" not in fallback.notice
    assert "libsecret" in fallback.notice and 'token_cache = "plaintext"' in fallback.notice

    plain = token_cache_choice("plaintext", problem=headless, env=clean_env)
    assert plain.mode == "plaintext" and plain.notice and ".IdentityService" in plain.notice
    options = plain.options()
    assert options.name == "ztconsole" and options.allow_unencrypted_storage is True
    encrypted = token_cache_choice("encrypted", problem=works).options()
    assert encrypted.name == "ztconsole" and encrypted.allow_unencrypted_storage is False

    with pytest.raises(ValueError):
        token_cache_choice("keyring")


def test_a_headless_host_falls_back_to_memory_with_a_notice(clean_env: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "encrypted_storage_problem", lambda: "libsecret is not usable (no gi)")
    notices: list[str] = []
    credential = credential_for(profile(auth="device-code"), env=clean_env, on_notice=notices.append)
    assert credential.token_cache.mode == "memory"
    assert credential.credential._sync._cache_options is None
    assert len(notices) == 1 and "in memory" in notices[0]
    assert not auth_record_path(profile(), clean_env).exists()


def test_plaintext_cache_files_are_tightened_to_0600(clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setattr(credentials, "encrypted_storage_problem", lambda: "no keyring")
    cae, nocae = plaintext_cache_files(clean_env)
    nocae.parent.mkdir(parents=True)
    nocae.write_text("{}")
    nocae.chmod(0o644)
    credential = credential_for(profile(auth="device-code", token_cache="plaintext"), env=clean_env,
                                on_notice=lambda line: None)
    assert credential.token_cache.mode == "plaintext"
    assert credential.credential._sync._cache_options.allow_unencrypted_storage is True
    assert stat.S_IMODE(nocae.stat().st_mode) == 0o600
    fresh = {**clean_env, "HOME": str(tmp_path / "fresh")}
    credential_for(profile(auth="device-code", token_cache="plaintext"), env=fresh, on_notice=lambda line: None)
    assert stat.S_IMODE(plaintext_cache_files(fresh)[0].parent.stat().st_mode) & 0o077 == 0


posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def open_folder(path: Path, *files: str) -> list[Path]:
    """A folder made the way ``mkdir`` makes it under umask 022 (0755), with 0644 files in it."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    made = []
    for name in files:
        made.append(path / name)
        made[-1].write_text("{}")
        made[-1].chmod(0o644)
    return made


@posix_only
def test_an_existing_open_plaintext_cache_folder_is_tightened_to_0700(
        clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "encrypted_storage_problem", lambda: "no keyring")
    cae, nocae = plaintext_cache_files(clean_env)
    open_folder(cae.parent, cae.name, nocae.name)
    notices: list[str] = []
    credential = credential_for(profile(auth="device-code", token_cache="plaintext"), env=clean_env,
                                on_notice=notices.append)
    assert credential.token_cache.mode == "plaintext"
    assert mode_of(cae.parent) == 0o700
    assert mode_of(cae) == 0o600 and mode_of(nocae) == 0o600
    assert len(notices) == 1 and "no encrypted storage" in notices[0]  # the cache notice, no warning


@posix_only
def test_an_existing_open_sign_in_record_folder_and_record_are_tightened(clean_env: dict[str, str]) -> None:
    p = profile(auth="device-code")  # encrypted (the fixture says it works): a record is kept
    record = auth_record_path(p, clean_env)
    other = record.parent / "unrelated.txt"
    open_folder(record.parent, record.name, other.name)
    notices: list[str] = []
    credential_for(p, env=clean_env, on_notice=notices.append)
    assert mode_of(record.parent) == 0o700 and mode_of(record) == 0o600
    assert mode_of(other) == 0o644  # not a token or a record: left as it is
    assert notices == []


@posix_only
def test_no_record_folder_is_created_before_a_sign_in(clean_env: dict[str, str]) -> None:
    credential_for(profile(auth="device-code"), env=clean_env)
    assert not auth_record_path(profile(), clean_env).parent.exists()


@posix_only
def test_saving_a_record_into_an_existing_open_folder_tightens_it(clean_env: dict[str, str]) -> None:
    class Record:
        def serialize(self) -> str:
            return '{"username": "admin@contoso.com"}'

    path = auth_record_path(profile(), clean_env)
    open_folder(path.parent)
    credentials._save_record(path, Record())
    assert mode_of(path.parent) == 0o700 and mode_of(path) == 0o600
    assert json.loads(path.read_text())["username"] == "admin@contoso.com"


@posix_only
def test_a_folder_that_cannot_be_tightened_gives_a_warning_without_secrets(
        clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(credentials, "encrypted_storage_problem", lambda: "no keyring")
    env = {**clean_env, "AZURE_CLIENT_SECRET": SECRET}
    folder = plaintext_cache_files(env)[0].parent
    open_folder(folder)
    real_chmod = Path.chmod

    def refuse(self: Path, mode: int, **kwargs: Any) -> None:
        if self == folder or self.parent == folder:
            raise PermissionError(errno.EPERM, "Operation not permitted", str(self))
        real_chmod(self, mode, **kwargs)

    monkeypatch.setattr(Path, "chmod", refuse)
    notices: list[str] = []
    credential = credential_for(profile(auth="device-code", token_cache="plaintext"), env=env,
                                on_notice=notices.append)
    assert credential.token_cache.mode == "plaintext"  # a warning, not a refusal
    warnings = [line for line in notices if "could not restrict" in line]
    assert warnings == [f"could not restrict {folder} to mode 700: Operation not permitted"]
    assert mode_of(folder) == 0o755
    assert all(SECRET not in line and "\n" not in line for line in notices)

    record = auth_record_path(profile(), env)
    open_folder(record.parent)
    folder = record.parent
    with caplog.at_level(logging.WARNING, logger=credentials.__name__):
        credentials._save_record(record, AuthenticationRecord(TENANT, CLIENT, "login.microsoftonline.com",
                                                              "home-id", "admin@contoso.com"))
    assert f"could not restrict {folder} to mode 700: Operation not permitted" in caplog.text
    assert record.exists()  # the record is still saved (0600 itself)
    assert mode_of(record) == 0o600


@posix_only
def test_a_folder_of_another_user_is_left_as_it_is_with_a_warning(clean_env: dict[str, str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "encrypted_storage_problem", lambda: "no keyring")
    folder = plaintext_cache_files(clean_env)[0].parent
    open_folder(folder)
    monkeypatch.setattr(os, "getuid", lambda: folder.stat().st_uid + 1)
    notices: list[str] = []
    credential_for(profile(auth="device-code", token_cache="plaintext"), env=clean_env, on_notice=notices.append)
    assert mode_of(folder) == 0o755
    assert [line for line in notices if str(folder) in line and "another user" in line]


@posix_only
def test_a_private_folder_is_left_alone(clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "encrypted_storage_problem", lambda: "no keyring")
    folder = plaintext_cache_files(clean_env)[0].parent
    folder.mkdir(parents=True)
    folder.chmod(0o700)
    touched: list[Path] = []
    monkeypatch.setattr(Path, "chmod", lambda self, mode, **kw: touched.append(self))
    notices: list[str] = []
    credential_for(profile(auth="device-code", token_cache="plaintext"), env=clean_env, on_notice=notices.append)
    assert touched == [] and len(notices) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux") or importlib.util.find_spec("gi") is not None,
                    reason="needs a Linux host without PyGObject")
def test_the_real_probe_finds_no_libsecret_on_a_headless_linux_host() -> None:
    problem = credentials._probe_encrypted_storage()
    assert problem is not None and problem.startswith("libsecret is not usable")


def test_token_cache_is_a_validated_profile_setting(tmp_path: Path) -> None:
    base = f'[tenants.t]\ntenant_id = "{TENANT}"\n'
    config = parse_config(base)
    assert config.tenants["t"].token_cache == "encrypted"
    config = parse_config(base + 'token_cache = "plaintext"\n')
    assert config.tenants["t"].token_cache == "plaintext"
    with pytest.raises(ConfigErrors) as caught:
        parse_config(base + 'token_cache = "plain"\n')
    (error,) = caught.value.errors
    assert error.key == "tenants.t.token_cache" and error.line == 3 and "plaintext" in str(error)
    assert "secret" not in str(error)  # a setting, not a secret-named key
    target = tmp_path / "config.toml"
    write_config(config, target)
    assert parse_config(target.read_text()).tenants["t"].token_cache == "plaintext"


# ------------------------------------------------------------------------------------------ the guard


async def test_the_guard_turns_any_failure_into_auth_failed_and_keeps_cancellation() -> None:
    class Broken:
        def __init__(self, exc: BaseException):
            self.exc = exc

        async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            raise self.exc

    guarded = GuardedCredential(Broken(RuntimeError("boom eyJabcdefgh.eyJpayload1.sig")), method="m",
                                remedy="Do X.")
    with pytest.raises(AuthFailed) as caught:
        await guarded.get_token("s")
    assert str(caught.value) == "m sign-in failed: boom <token>. Do X. (RuntimeError)"
    with pytest.raises(AuthFailed):
        await guarded.get_token_info("s")
    guarded = GuardedCredential(Broken(asyncio.CancelledError()), method="m", remedy="")
    with pytest.raises(asyncio.CancelledError):
        await guarded.get_token("s")


def test_an_abandoned_device_code_sign_in_does_not_hold_the_process(tmp_path) -> None:
    """Ctrl-C (here: a timeout) during the device-code poll ends the process at once, not after 15 min."""
    import subprocess
    import sys
    import time

    script = """
import asyncio, time
from ztconsole.sources.credentials import DeviceCodeCredentialAsync

class Polling:
    def get_token(self, *scopes, **kw):
        time.sleep(60)  # the admin never finishes signing in
    def authenticate(self, **kw):
        time.sleep(60)
    def close(self):
        pass

cred = DeviceCodeCredentialAsync(Polling(), on_prompt=print, has_record=True)
try:
    asyncio.run(asyncio.wait_for(cred.get_token("https://graph.microsoft.com/.default"), 0.3))
except (asyncio.TimeoutError, TimeoutError):
    print("gave up")
"""
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert "gave up" in run.stdout
    assert time.monotonic() - started < 10
