"""Credentials for live tenants: one azure-core ``AsyncTokenCredential`` per auth method of a profile.

:func:`credential_for` turns a :class:`~ztconsole.config.TenantProfile` into a credential for its cloud's
Entra ID authority and its tenant:

==================== ==========================================================================================
``device-code``      azure-identity's ``DeviceCodeCredential`` (sync only), run off the event loop with
                     a daemon thread; the verification URL and code go to ``on_device_code`` (stderr by
                     default). Interactive sign-ins are serialised, so Graph and ARM never prompt twice.
``azure-cli``        ``aio.AzureCliCredential`` for the profile's tenant (the ``az`` cloud must match).
``client-certificate`` ``aio.CertificateCredential`` from ``certificate_path`` (its password, if any, from
                     ``AZURE_CLIENT_CERTIFICATE_PASSWORD``); without a certificate, a client secret from
                     ``AZURE_CLIENT_SECRET`` and ``aio.ClientSecretCredential``. Secrets never come from the
                     config file.
``managed-identity`` ``aio.ManagedIdentityCredential``; ``client_id`` selects a user-assigned identity. The
                     identity endpoint decides the cloud and tenant (azure-identity reads its variables from
                     ``os.environ``).
``workload-identity`` ``aio.WorkloadIdentityCredential`` from ``AZURE_FEDERATED_TOKEN_FILE`` and
                     ``client_id`` (else ``AZURE_CLIENT_ID``), for the profile's tenant.
``static-token``     :class:`~ztconsole.sources.static_token.StaticTokenCredential` from ``ZTCONSOLE_TOKEN``,
                     only for a ``custom`` cloud whose Graph and ARM roots are on loopback (the emulator).
==================== ==========================================================================================

Every credential comes wrapped in :class:`GuardedCredential`: whatever a credential raises while getting a
token leaves it as :class:`~ztconsole.sources.errors.AuthFailed` naming the auth method and the remedy.
Missing inputs are refused up front, by :func:`credential_for`, the same way. No message, log line or
``repr`` ever holds a token or a secret.

**Scopes.** :func:`scopes` asks for ``<graph>/.default`` and ``<arm>/.default``. App-only credentials
(certificate, secret, managed and workload identity) can only use ``.default``: the token carries the
application permissions (``roles``) granted to the app. For delegated sign-in (device code, Azure CLI)
``.default`` asks for every permission already consented for the client application (admin-consented on
your own app registration named by ``client_id``, or pre-authorised for the first-party client that
azure-identity and the Azure CLI sign in with); the token's ``scp`` then lists them, and the signed-in
user's directory roles limit them further. Asking for individual scopes instead would mean incremental
consent prompts mid-session (not workable in an SSH session, and refused for pre-authorised first-party
clients), and one ``.default`` sign-in serves both Graph and ARM. ``ztconsole config validate --live``
(:mod:`ztconsole.sources.preflight`) shows what the token actually holds.

**Token cache** (device code only: app-only credentials re-acquire unattended, the Azure CLI keeps its
own cache). The profile's ``token_cache`` setting decides, see :func:`token_cache_choice`:

* ``"encrypted"`` (default): azure-identity's persistent cache named ``ztconsole``, encrypted by the
  platform (DPAPI on Windows, Keychain on macOS, libsecret on Linux). On a headless Linux jump host without
  a usable libsecret (no ``gi``, no D-Bus session, a locked keyring) azure-identity refuses to persist; we
  detect that up front and keep tokens in memory for the session instead, with a one-line notice.
* ``"plaintext"``: encrypted where possible, else a plain file readable only by you (mode 0600), at the
  place azure-identity keeps it (:func:`plaintext_cache_files`).
* ``"none"``: memory only; every run signs in again.

A persistent cache alone does not spare the next run a sign-in: azure-identity also needs the
(non-secret) authentication record of the account (user name, tenant, home account id). With a
persistent cache it is saved beside it, in the cache directory (:func:`auth_record_path`, mode 0600).

The folders of the plain cache files and of the records are made 0700 (readable only by you), an existing
folder of yours included; files in them that are open to others are made 0600. When that cannot be done (a
folder owned by someone else, a read-only file system) a one-line warning names the path, never a token.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ztconsole import paths
from ztconsole.config import (
    AUTH_METHODS,
    CLIENT_SECRET_ENV,
    STATIC_TOKEN_ENV,
    TOKEN_CACHE_SETTINGS,
    CloudEndpoints,
    TenantProfile,
    is_loopback_url,
)
from ztconsole.datasets import DATASETS, DataSet
from ztconsole.safetext import clean, command_line
from ztconsole.secretnames import JWT_LIKE
from ztconsole.sources.errors import AuthFailed, SourceError
from ztconsole.threads import in_daemon_thread

if TYPE_CHECKING:  # the SDKs are imported only when a credential is built
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

__all__ = [
    "CERTIFICATE_PASSWORD_ENV",
    "CLIENT_ID_ENV",
    "DEFAULT_PUBLIC_CLIENT_ID",
    "FEDERATED_TOKEN_FILE_ENV",
    "PANE_PERMISSIONS",
    "TOKEN_CACHE_NAME",
    "TOKEN_CACHE_SETTINGS",
    "DeviceCodeCredentialAsync",
    "GuardedCredential",
    "TokenCacheChoice",
    "auth_record_path",
    "credential_for",
    "encrypted_storage_problem",
    "permissions_of",
    "plaintext_cache_files",
    "scopes",
    "token_cache_choice",
]

_LOG = logging.getLogger(__name__)

CERTIFICATE_PASSWORD_ENV = "AZURE_CLIENT_CERTIFICATE_PASSWORD"
CLIENT_ID_ENV = "AZURE_CLIENT_ID"
FEDERATED_TOKEN_FILE_ENV = "AZURE_FEDERATED_TOKEN_FILE"
TOKEN_CACHE_NAME = "ztconsole"
#: The public client device-code sign-in uses when the profile names no client_id: azure-identity's
#: default, the Azure CLI's first-party client (pre-authorised for Microsoft Graph and ARM).
DEFAULT_PUBLIC_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

#: The Entra ID authority hosts azure-identity knows (AzureAuthorityHosts); any other needs instance
#: discovery switched off.
_KNOWN_AUTHORITY_HOSTS = frozenset({"login.microsoftonline.com", "login.microsoftonline.us",
                                    "login.chinacloudapi.cn"})
#: ``az cloud set --name`` per config cloud.
_AZ_CLOUD = {"public": "AzureCloud", "usgov": "AzureUSGovernment", "usgov-dod": "AzureUSGovernment",
             "china": "AzureChinaCloud"}


# ------------------------------------------------------------------------------------ scopes, catalogue


def scopes(endpoints: CloudEndpoints) -> tuple[list[str], list[str]]:
    """``([<graph>/.default], [<arm>/.default])`` for this cloud; see the module docstring for why."""
    return [endpoints.graph_scope], [endpoints.arm_scope]


def permissions_of(ds: DataSet) -> tuple[str, ...]:
    """The permissions a data set needs, all of them: Graph permissions are listed comma-separated in the
    catalogue (``"User.Read.All, AuditLog.Read.All"``); an ARM entry is one role description."""
    if not ds.permission:
        return ()
    if ds.api == "arm":
        return (ds.permission,)
    return tuple(p.strip() for p in ds.permission.split(",") if p.strip())


def _pane_permissions() -> dict[str, tuple[str, ...]]:
    panes: dict[str, list[str]] = {}
    for ds in DATASETS:
        if not ds.pane:
            continue
        listed = panes.setdefault(ds.pane, [])
        for permission in permissions_of(ds):
            if permission not in listed:
                listed.append(permission)
    return {pane: tuple(listed) for pane, listed in panes.items()}


#: The least-privileged read permissions each pane needs (Graph permissions and Azure RBAC roles), in
#: catalogue order, derived from :data:`ztconsole.datasets.DATASETS` (the README's permission table).
PANE_PERMISSIONS: dict[str, tuple[str, ...]] = _pane_permissions()


# ---------------------------------------------------------------------------------------- token cache


@dataclass(frozen=True, slots=True)
class TokenCacheChoice:
    """What happens to the device-code token cache: ``mode`` is what is used, ``setting`` what the profile
    asked for; ``notice`` is one line to show when the two differ or a plain file is used."""

    setting: str
    mode: Literal["encrypted", "plaintext", "memory"]
    notice: str | None = None

    @property
    def persistent(self) -> bool:
        return self.mode != "memory"

    def options(self) -> Any:
        """azure-identity's ``TokenCachePersistenceOptions`` for this choice, or None (memory only)."""
        if not self.persistent:
            return None
        from azure.identity import TokenCachePersistenceOptions

        return TokenCachePersistenceOptions(name=TOKEN_CACHE_NAME,
                                            allow_unencrypted_storage=self.mode == "plaintext")


def _probe_encrypted_storage() -> str | None:
    """Why the platform cannot encrypt azure-identity's persistent cache, or None when it can."""
    if sys.platform.startswith("win"):
        return None if os.environ.get("LOCALAPPDATA") else "LOCALAPPDATA is not set"
    if sys.platform.startswith("darwin"):
        return None  # Keychain
    if sys.platform.startswith("linux"):
        # What azure-identity does: msal-extensions' libsecret persistence, which starts with a trial
        # save and load. It fails without PyGObject (gi), without a D-Bus session or with a locked keyring.
        try:
            from msal_extensions.libsecret import trial_run

            trial_run()
        except Exception as exc:  # noqa: BLE001 - any failure means "cannot encrypt here"
            first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
            return f"libsecret is not usable ({first or type(exc).__name__})"
        return None
    return f"no encrypted token storage on {sys.platform}"


#: Why encryption is impossible here (None: possible). Probed once per process; tests replace it.
encrypted_storage_problem: Callable[[], str | None] = lru_cache(maxsize=1)(_probe_encrypted_storage)


def plaintext_cache_files(env: Mapping[str, str] = os.environ) -> tuple[Path, Path]:
    """Where azure-identity keeps the unencrypted ``ztconsole`` cache (see :func:`paths.token_cache_files`)."""
    return paths.token_cache_files(env)


def token_cache_choice(setting: str, *, problem: Callable[[], str | None] | None = None,
                       env: Mapping[str, str] = os.environ) -> TokenCacheChoice:
    """The cache the device-code credential uses for the profile setting ``setting``.

    ``problem`` says why encryption is impossible here (default :func:`encrypted_storage_problem`).
    """
    if setting not in TOKEN_CACHE_SETTINGS:
        raise ValueError(f"token_cache must be one of {', '.join(TOKEN_CACHE_SETTINGS)}")
    if setting == "none":
        return TokenCacheChoice(setting, "memory")
    why = (problem or encrypted_storage_problem)()
    if why is None:
        return TokenCacheChoice(setting, "encrypted")
    if setting == "plaintext":
        where = plaintext_cache_files(env)[0].parent
        return TokenCacheChoice(setting, "plaintext",
                                f"token cache: no encrypted storage ({why}); using plain files readable "
                                f"only by you in {where}")
    return TokenCacheChoice(setting, "memory",
                            f"token cache: no encrypted storage ({why}); tokens are kept in memory for this "
                            f'session only (set token_cache = "plaintext" in the profile to keep them in a '
                            f"0600 file)")


def auth_record_path(profile: TenantProfile, env: Mapping[str, str] = os.environ) -> Path:
    """The saved authentication record (account, tenant, authority; no secret) of a device-code profile."""
    return paths.auth_record_path(profile.name, env)


def _log_warning(line: str) -> None:
    _LOG.warning("%s", line)


def _tighten(path: Path, warn: Callable[[str], None] = _log_warning) -> None:
    """Make an existing file readable by its owner only (0600); ``warn`` says so when it cannot."""
    try:
        mode = path.stat().st_mode
        if stat.S_IMODE(mode) & 0o077:
            path.chmod(0o600)
    except FileNotFoundError:
        return
    except OSError as exc:
        warn(f"could not restrict {path} to mode 600: {exc.strerror or type(exc).__name__}")


def _private_dir(path: Path, warn: Callable[[str], None] = _log_warning, *, create: bool = True) -> None:
    """A folder that holds tokens or sign-in records: created 0700 (with its parents, ``create``), or, when
    it exists already (``mkdir(mode=...)`` leaves an existing folder as it is), made 0700 when it is this
    user's and group or others can get in. ``warn`` gets one line (a path and a mode, nothing secret)
    when that cannot be done. Creating it may raise ``OSError``; tightening never does."""
    if create:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "posix":  # NTFS ACLs: a mode would say nothing
        return
    try:
        info = path.stat()
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISDIR(info.st_mode) or not mode & 0o077:
            return
        if info.st_uid != os.getuid():
            warn(f"{path} belongs to another user and is open to group or others (mode {mode:o}); "
                 f"it was left as it is: make it yours with mode 700")
            return
        path.chmod(0o700)
    except FileNotFoundError:
        return
    except OSError as exc:
        warn(f"could not restrict {path} to mode 700: {exc.strerror or type(exc).__name__}")


def _prepare_plaintext_cache(env: Mapping[str, str], warn: Callable[[str], None] = _log_warning) -> None:
    """azure-identity creates new cache files 0600; make sure older ones are too, and the folder 0700
    (an existing folder included)."""
    files = plaintext_cache_files(env)
    _private_dir(files[0].parent, warn)
    for file in files:
        _tighten(file, warn)


# ------------------------------------------------------------------------------------------ the guard

_JWT_LIKE = JWT_LIKE
_NOISE = ("trace id", "correlation id", "timestamp")


def _reason(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """A one-line, token-free account of why a credential failed."""
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    kept = [line for line in lines if not line.lower().startswith(_NOISE)]
    reason = " ".join(kept) or type(exc).__name__
    reason = _JWT_LIKE.sub("<token>", reason)
    for secret in secrets:
        if secret:
            reason = reason.replace(secret, "<secret>")
    return reason if len(reason) <= 400 else reason[:397] + "..."


class GuardedCredential:
    """An ``AsyncTokenCredential`` (and ``AsyncSupportsTokenInfo``) whose every failure to get a token is
    :class:`AuthFailed` naming the auth method and what to do. ``credential`` is the wrapped one."""

    def __init__(self, credential: Any, *, method: str, remedy: str, secrets: tuple[str, ...] = (),
                 token_cache: TokenCacheChoice | None = None):
        self.credential = credential
        self.method = method
        self.remedy = remedy
        self.token_cache = token_cache
        self._secrets = secrets

    def _failed(self, exc: BaseException) -> AuthFailed:
        return AuthFailed(f"{self.method} sign-in failed: {_reason(exc, self._secrets)}. {self.remedy}",
                          code=type(exc).__name__)

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        try:
            token: AccessToken = await self.credential.get_token(*scopes, **kwargs)
            return token
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - every credential failure is AuthFailed; cancellation passes
            raise self._failed(exc) from None

    async def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        try:
            get_info = getattr(self.credential, "get_token_info", None)
            if get_info is not None:
                info: AccessTokenInfo = await get_info(*scopes, options=options)
                return info
            from azure.core.credentials import AccessTokenInfo

            opts = dict(options or {})
            token = await self.credential.get_token(*scopes, **opts)
            return AccessTokenInfo(token.token, token.expires_on)
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - as get_token
            raise self._failed(exc) from None

    async def close(self) -> None:
        close = getattr(self.credential, "close", None)
        if close is not None:
            await close()

    async def __aenter__(self) -> GuardedCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:  # never a token or a secret
        return f"GuardedCredential({self.method}, {type(self.credential).__name__})"


# ---------------------------------------------------------------------------------- device code, async


def _stderr_prompt(message: str) -> None:
    """The identity service's sign-in instructions, shown as data (never as terminal sequences)."""
    print("\n".join(clean(line) for line in message.splitlines()), file=sys.stderr, flush=True)


class DeviceCodeCredentialAsync:
    """azure-identity's sync ``DeviceCodeCredential`` as an async credential.

    Each token request runs the sync credential in a daemon worker thread, one at a time,
    so the event loop keeps running while the admin signs in and Graph and ARM share one sign-in. The
    prompt (URL and code) is handed to ``on_prompt`` on the event loop's thread. Tokens are always
    requested CAE-capable, so every request shares one token cache and one sign-in.

    A sign-in in progress cannot be interrupted inside azure-identity: its thread polls until the admin
    finishes or the code expires (15 minutes). The thread is a daemon, so Ctrl-C or quitting the console
    ends the process at once instead of waiting for that poll.
    """

    def __init__(self, sync_credential: Any, *, on_prompt: Callable[[str], None], where: str = "",
                 record_path: Path | None = None, has_record: bool = False):
        self._sync = sync_credential
        self._on_prompt = on_prompt
        self._where = where
        self._record_path = record_path
        self._has_record = has_record
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    # The sync credential's prompt_callback; called in the worker thread.
    def prompt(self, verification_uri: str, user_code: str, expires_on: datetime) -> None:
        until = expires_on.astimezone(UTC).strftime("%H:%M UTC")
        where = f" to {self._where}" if self._where else ""
        message = (f"To sign in{where}, open {verification_uri} in a browser and enter the code {user_code} "
                   f"(valid until {until}).")
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver, message)
        else:
            self._deliver(message)

    def _deliver(self, message: str) -> None:
        try:
            self._on_prompt(message)
        except Exception:  # noqa: BLE001 - a broken prompt sink must not break the sign-in
            _LOG.exception("the device code prompt could not be shown")

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        async with self._lock:
            self._loop = asyncio.get_running_loop()
            await self._sign_in(scopes, claims)
            return await in_daemon_thread(self._sync.get_token, *scopes, claims=claims, tenant_id=tenant_id,
                                           enable_cae=True, **kwargs)

    async def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        opts: dict[str, Any] = dict(options or {})
        opts["enable_cae"] = True
        async with self._lock:
            self._loop = asyncio.get_running_loop()
            await self._sign_in(scopes, opts.get("claims"))
            return await in_daemon_thread(self._sync.get_token_info, *scopes, options=opts)

    async def _sign_in(self, scopes: tuple[str, ...], claims: str | None) -> None:
        """With a persistent cache and no saved account yet: sign in once and save the record, so the next
        run finds the account in the cache instead of prompting again."""
        if self._record_path is None or self._has_record:
            return
        record = await in_daemon_thread(self._sync.authenticate, scopes=list(scopes), claims=claims,
                                         enable_cae=True)
        self._has_record = True
        _save_record(self._record_path, record)

    async def close(self) -> None:
        await in_daemon_thread(self._sync.close)

    async def __aenter__(self) -> DeviceCodeCredentialAsync:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"DeviceCodeCredentialAsync({type(self._sync).__name__})"


def _save_record(path: Path, record: Any) -> None:
    try:
        _private_dir(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(record.serialize())
        _tighten(path)
    except OSError as exc:
        _LOG.warning("could not save the sign-in record to %s: %s", path, exc.strerror)


def _load_record(path: Path, *, tenant_id: str, client_id: str, authority: str) -> Any | None:
    """The saved record when it is for this tenant, client and authority; None otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    from azure.identity import AuthenticationRecord

    try:
        record = AuthenticationRecord.deserialize(text)
    except (ValueError, KeyError, TypeError):
        return None
    if (record.tenant_id.lower(), record.client_id.lower(), record.authority.lower()) != (
            tenant_id.lower(), client_id.lower(), authority.lower()):
        return None
    return record


# ---------------------------------------------------------------------------------------- the factory


def _refuse(profile: TenantProfile, message: str) -> AuthFailed:
    return AuthFailed(f"tenant profile {profile.name!r} (auth = {profile.auth!r}): {message}")


def _authority_kwargs(endpoints: CloudEndpoints, *, msal: bool = False) -> dict[str, Any]:
    """``authority`` for azure-identity; MSAL-based credentials (device code) validate an authority they do
    not know by instance discovery, which a custom cloud's own authority (e.g. Azure Stack) fails."""
    host = endpoints.authority_host
    kwargs: dict[str, Any] = {"authority": host}
    if msal and host.split(":")[0] not in _KNOWN_AUTHORITY_HOSTS:
        kwargs["disable_instance_discovery"] = True
    return kwargs


def credential_for(profile: TenantProfile, *, env: Mapping[str, str] = os.environ,
                   on_device_code: Callable[[str], None] | None = None,
                   on_notice: Callable[[str], None] | None = None,
                   transport: Any = None) -> GuardedCredential:
    """The async credential for ``profile``'s auth method, cloud authority and tenant.

    ``env`` holds the secrets and files the methods read (``AZURE_CLIENT_SECRET``, ``ZTCONSOLE_TOKEN``,
    ``AZURE_FEDERATED_TOKEN_FILE``, ...). ``on_device_code`` shows the device-code prompt (default: stderr);
    ``on_notice`` gets one-line notices such as a token cache that could not be encrypted (default: the
    log). ``transport``, an azure-core async transport (such as ztconsole's httpx one), carries the token
    requests of the async credentials; without it azure-core's default is used.

    Raises :class:`AuthFailed` naming what is missing and how to provide it.
    """
    notice = on_notice or (lambda line: _LOG.warning("%s", line))
    if profile.auth not in AUTH_METHODS:
        raise _refuse(profile, f"unknown auth method; use one of {', '.join(AUTH_METHODS)}")
    try:
        endpoints = profile.endpoints
    except ValueError as exc:
        raise _refuse(profile, str(exc)) from None
    if profile.auth == "static-token":
        return _static_token(profile, endpoints, env)
    tenant = profile.tenant_id
    if not tenant:
        raise _refuse(profile, f"tenant_id is required: set it in [tenants.{profile.name}] to the directory "
                               "(tenant) id")
    builders = {
        "device-code": _device_code,
        "azure-cli": _azure_cli,
        "client-certificate": _client_certificate,
        "managed-identity": _managed_identity,
        "workload-identity": _workload_identity,
    }
    extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
    try:
        return builders[profile.auth](profile, endpoints, tenant, env, extra=extra,
                                      on_device_code=on_device_code or _stderr_prompt, notice=notice)
    except SourceError:
        raise
    except (ValueError, TypeError, OSError) as exc:  # azure-identity refusing its inputs
        raise _refuse(profile, _reason(exc)) from None


def _static_token(profile: TenantProfile, endpoints: CloudEndpoints, env: Mapping[str, str]) -> GuardedCredential:
    from ztconsole.sources.static_token import StaticTokenCredential

    on_loopback = is_loopback_url(endpoints.graph_url) and is_loopback_url(endpoints.arm_url)
    if profile.cloud != "custom" or not on_loopback:
        raise _refuse(profile, 'a static token is only for cloud = "custom" with graph_url and arm_url on '
                               "loopback (ztconsole emulator); a real tenant signs in with device-code, "
                               "azure-cli, client-certificate or an identity")
    token = env.get(STATIC_TOKEN_ENV, "").strip()
    if not token:
        raise _refuse(profile, f"{STATIC_TOKEN_ENV} is not set: export it with the token `ztconsole emulator` "
                               "printed (or the one it was started with)")
    return GuardedCredential(StaticTokenCredential(token), method="static-token", secrets=(token,),
                             remedy=f"Check {STATIC_TOKEN_ENV} against the emulator's token.")


def _device_code(profile: TenantProfile, endpoints: CloudEndpoints, tenant: str, env: Mapping[str, str], *,
                 extra: dict[str, Any], on_device_code: Callable[[str], None],
                 notice: Callable[[str], None]) -> GuardedCredential:
    from azure.identity import DeviceCodeCredential

    choice = token_cache_choice(profile.token_cache, env=env)
    if choice.notice:
        notice(choice.notice)
    if choice.mode == "plaintext":
        _prepare_plaintext_cache(env, notice)
    client_id = profile.client_id or DEFAULT_PUBLIC_CLIENT_ID
    authority = _authority_kwargs(endpoints, msal=True)
    record_path = auth_record_path(profile, env) if choice.persistent else None
    record = None
    if record_path is not None:
        # a folder and record saved by an earlier run (or made by hand) get the modes a new one gets
        _private_dir(record_path.parent, notice, create=False)
        _tighten(record_path, notice)
        record = _load_record(record_path, tenant_id=tenant, client_id=client_id,
                              authority=endpoints.authority_host)
    where = f"{profile.name} ({endpoints.name} cloud)"
    adapter = DeviceCodeCredentialAsync(None, on_prompt=on_device_code, where=where,
                                        record_path=record_path, has_record=record is not None)
    kwargs: dict[str, Any] = dict(tenant_id=tenant, prompt_callback=adapter.prompt, **authority)
    if choice.persistent:
        kwargs["cache_persistence_options"] = choice.options()
    if record is not None:  # it names the same authority (checked on load); azure-identity takes it from there
        kwargs["authentication_record"] = record
        kwargs.pop("authority")
    adapter._sync = DeviceCodeCredential(client_id, **kwargs)
    remedy = ("Run it again and finish the sign-in at the URL shown within 15 minutes; if Conditional Access "
              'blocks device code flow for you, use auth = "azure-cli" or "client-certificate".')
    return GuardedCredential(adapter, method="device-code", remedy=remedy, token_cache=choice)


def _azure_cli(profile: TenantProfile, endpoints: CloudEndpoints, tenant: str, env: Mapping[str, str], *,
               extra: dict[str, Any], on_device_code: Callable[[str], None],
               notice: Callable[[str], None]) -> GuardedCredential:
    from azure.identity.aio import AzureCliCredential

    cloud = _AZ_CLOUD.get(profile.cloud)
    steps = (command_line(["az", "cloud", "set", "--name", cloud]) + " && " if cloud
             else "register the custom cloud with `az cloud register`, then ")
    remedy = (f"Install the Azure CLI if needed, then run: {steps}{command_line(['az', 'login', '--tenant', tenant])}"
              + (" (add --use-device-code in an SSH session)" if cloud else ""))
    return GuardedCredential(AzureCliCredential(tenant_id=tenant), method="azure-cli", remedy=remedy)


def _client_certificate(profile: TenantProfile, endpoints: CloudEndpoints, tenant: str,
                        env: Mapping[str, str], *, extra: dict[str, Any],
                        on_device_code: Callable[[str], None],
                        notice: Callable[[str], None]) -> GuardedCredential:
    if not profile.client_id:
        raise _refuse(profile, "client_id is required: the application (client) id of the app registration")
    authority = _authority_kwargs(endpoints)
    path = profile.certificate_path
    if path is None:
        secret = env.get(CLIENT_SECRET_ENV, "")
        if not secret:
            raise _refuse(profile, f"set certificate_path to the app's certificate (PEM or PKCS#12 with its "
                                   f"private key), or {CLIENT_SECRET_ENV} in the environment for a client secret")
        from azure.identity.aio import ClientSecretCredential

        secret_credential = ClientSecretCredential(tenant, profile.client_id, secret, **authority, **extra)
        remedy = (f"Check tenant_id, client_id and {CLIENT_SECRET_ENV} (a client secret expires; create a new "
                  "one on the app registration).")
        return GuardedCredential(secret_credential, method="client-certificate (client secret)", remedy=remedy,
                                 secrets=(secret,))
    if not path.is_file():
        raise _refuse(profile, f"certificate_path {str(path)!r} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise _refuse(profile, f"certificate_path {str(path)!r} is not readable by this user")
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        chmod = command_line(["chmod", "600", str(path)])
        notice(f"certificate {path} holds a private key and is readable by group or others: {chmod}")
    password = env.get(CERTIFICATE_PASSWORD_ENV) or None
    from azure.identity.aio import CertificateCredential

    try:
        credential = CertificateCredential(tenant, profile.client_id, str(path), password=password,
                                           **authority, **extra)
    except (ValueError, TypeError) as exc:
        hint = f" (a password comes from {CERTIFICATE_PASSWORD_ENV})" if not password else ""
        raise _refuse(profile, f"cannot load the certificate {str(path)!r}: {_reason(exc)}{hint}") from None
    remedy = (f"Check tenant_id, client_id and that the certificate {path} is registered on the app "
              "registration and not expired.")
    return GuardedCredential(credential, method="client-certificate", remedy=remedy,
                             secrets=(password,) if password else ())


def _managed_identity(profile: TenantProfile, endpoints: CloudEndpoints, tenant: str, env: Mapping[str, str],
                      *, extra: dict[str, Any], on_device_code: Callable[[str], None],
                      notice: Callable[[str], None]) -> GuardedCredential:
    from azure.identity.aio import ManagedIdentityCredential

    kwargs: dict[str, Any] = dict(extra)
    if profile.client_id:
        kwargs["client_id"] = profile.client_id
    which = "the user-assigned identity with this client_id" if profile.client_id else "a system-assigned identity"
    remedy = (f"Run ztconsole on an Azure resource (VM, container, App Service) with {which}; for a "
              "user-assigned identity set client_id.")
    return GuardedCredential(ManagedIdentityCredential(**kwargs), method="managed-identity", remedy=remedy)


def _workload_identity(profile: TenantProfile, endpoints: CloudEndpoints, tenant: str, env: Mapping[str, str],
                       *, extra: dict[str, Any], on_device_code: Callable[[str], None],
                       notice: Callable[[str], None]) -> GuardedCredential:
    client_id = profile.client_id or env.get(CLIENT_ID_ENV, "")
    token_file = env.get(FEDERATED_TOKEN_FILE_ENV, "")
    if not client_id:
        raise _refuse(profile, f"set client_id in the profile or {CLIENT_ID_ENV} in the environment (the app "
                               "or user-assigned identity that trusts the federated token)")
    if not token_file:
        raise _refuse(profile, f"{FEDERATED_TOKEN_FILE_ENV} is not set: it names the federated (service "
                               "account) token file the workload identity webhook mounts")
    if not Path(token_file).is_file():
        raise _refuse(profile, f"{FEDERATED_TOKEN_FILE_ENV} names {token_file!r}, which does not exist")
    from azure.identity.aio import WorkloadIdentityCredential

    credential = WorkloadIdentityCredential(tenant_id=tenant, client_id=client_id, token_file_path=token_file,
                                            **_authority_kwargs(endpoints), **extra)
    remedy = (f"Check that the federated credential on {client_id} trusts this workload's issuer and subject, "
              f"and that {FEDERATED_TOKEN_FILE_ENV} is fresh.")
    return GuardedCredential(credential, method="workload-identity", remedy=remedy)
