"""The configuration file: TOML read with tomllib, validated, written with tomli-w.

The file is found at ``$ZTCONSOLE_CONFIG``, else in the XDG config directory (see :mod:`ztconsole.paths`);
``config.example.toml`` at the repository root documents every key. A missing file at the default place
gives the defaults; a file named by ``$ZTCONSOLE_CONFIG`` must exist.

The file's shape is declared as msgspec Structs (``_ConfigFile`` and its tables: types, choices, ranges,
forms), checked by :mod:`ztconsole.tomlschema`; rules that span keys (``default_tenant`` names a profile, a
custom cloud needs its URLs, static-token only on loopback ...) are code that runs after it. Every problem in
a file is reported at once, each as a :class:`ConfigError` naming the file, the line, the key and, for a
misspelling, the nearest valid key. Keymap ids are checked against the action registry
(:mod:`ztconsole.ui.actions`, plain data: no Textual is loaded).

Secrets never live in the config: any key named like a secret is an error (a client secret comes only from
``AZURE_CLIENT_SECRET``, a static token only from ``ZTCONSOLE_TOKEN``), and a file that holds one and is
readable by group or others is refused as a whole. No message ever shows a secret's value; to be safe,
values are echoed only where they are short names (enum values, themes, keys).
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import string
import tempfile
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from ztconsole import paths
from ztconsole.safetext import command_line
from ztconsole.secretnames import is_secret_name
from ztconsole.tomlschema import (
    LineIndex,
    Problem,
    Report,
    did_you_mean,
    given,
    locate,
    render_key,
    short,
    syntax_location,
    type_name,
    validate,
)

__all__ = [
    "AUTH_METHODS",
    "CLIENT_SECRET_ENV",
    "CLOUDS",
    "CLOUD_NAMES",
    "MIN_REFRESH_SECONDS",
    "STATIC_TOKEN_ENV",
    "TOKEN_CACHE_SETTINGS",
    "CloudEndpoints",
    "Config",
    "ConfigError",
    "ConfigErrors",
    "TenantProfile",
    "Thresholds",
    "UiConfig",
    "is_loopback_url",
    "load_config",
    "parse_config",
    "summary",
    "write_config",
]

CLIENT_SECRET_ENV = "AZURE_CLIENT_SECRET"
STATIC_TOKEN_ENV = "ZTCONSOLE_TOKEN"
MIN_REFRESH_SECONDS = 5.0
MAX_REFRESH_SECONDS = 86_400.0
_DEFAULT_REFRESH_SECONDS = 60.0


# --------------------------------------------------------------------------------------------- clouds


@dataclass(frozen=True, slots=True)
class CloudEndpoints:
    """The service roots of one cloud, as the adapters use them (no trailing slash)."""

    name: str
    graph_url: str
    arm_url: str
    authority_url: str

    @property
    def authority_host(self) -> str:
        """The Entra ID authority host (``login.microsoftonline.us``), as azure-identity's ``authority``."""
        return urlsplit(self.authority_url).netloc

    @property
    def graph_scope(self) -> str:
        """The ``.default`` scope for Microsoft Graph in this cloud."""
        return f"{self.graph_url}/.default"

    @property
    def arm_scope(self) -> str:
        """The ``.default`` scope for Azure Resource Manager in this cloud."""
        return f"{self.arm_url}/.default"


_PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
_USGOV_AUTHORITY = "https://login.microsoftonline.us"

#: The national clouds by config name. ``usgov`` is Graph for US Government L4 (GCC High); DoD tenants
#: (L5) use ``usgov-dod``, whose Graph root differs while ARM and the authority are the same.
CLOUDS: Mapping[str, CloudEndpoints] = MappingProxyType(
    {
        "public": CloudEndpoints(
            "public", "https://graph.microsoft.com", "https://management.azure.com", _PUBLIC_AUTHORITY
        ),
        "usgov": CloudEndpoints(
            "usgov", "https://graph.microsoft.us", "https://management.usgovcloudapi.net", _USGOV_AUTHORITY
        ),
        "usgov-dod": CloudEndpoints(
            "usgov-dod",
            "https://dod-graph.microsoft.us",
            "https://management.usgovcloudapi.net",
            _USGOV_AUTHORITY,
        ),
        "china": CloudEndpoints(
            "china",
            "https://microsoftgraph.chinacloudapi.cn",
            "https://management.chinacloudapi.cn",
            "https://login.chinacloudapi.cn",
        ),
    }
)
_CloudName = Literal["public", "usgov", "usgov-dod", "china", "custom"]  # CLOUDS, and custom
_TokenCache = Literal["encrypted", "plaintext", "none"]
_AuthMethod = Literal[
    "device-code", "azure-cli", "client-certificate", "managed-identity", "workload-identity", "static-token"
]
CLOUD_NAMES: tuple[str, ...] = get_args(_CloudName)
TOKEN_CACHE_SETTINGS: tuple[str, ...] = get_args(_TokenCache)
AUTH_METHODS: tuple[str, ...] = get_args(_AuthMethod)


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------------------------------ the model


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits the checks judge by; each has a documented default and a valid range (``_ThresholdsFile``)."""

    report_only_bake_days: int = 14  # ZT-CA-006: a report-only policy older than this is `warn`
    break_glass_signin_days: int = 90  # ZT-BG-007: each emergency account signed in within this
    segment_fail_prefix: int = 16  # ZT-PA-002: a Private Access segment wider than this (/15 or broader) fails
    segment_warn_prefix: int = 24  # ... wider than this (/23 or broader) warns
    segment_warn_ports: int = 10  # ... more ports than this in one segment warns
    quick_access_warn_addresses: int = 65_536  # Quick Access publishing more addresses than this warns


@dataclass(frozen=True, slots=True)
class UiConfig:
    """Console settings: the theme (None: the source's own: ztconsole-demo for the demo and tenant
    directories, ztconsole-dark for a live tenant) and the refresh interval in seconds."""

    theme: str | None = None
    refresh_interval: float = _DEFAULT_REFRESH_SECONDS


@dataclass(frozen=True, slots=True)
class TenantProfile:
    """One ``[tenants.NAME]`` profile: which tenant, which cloud, how to sign in."""

    name: str
    tenant_id: str | None = None  # lower-case GUID; optional only for static-token
    subscriptions: tuple[str, ...] = ()
    cloud: str = "public"
    graph_url: str | None = None  # custom cloud only
    arm_url: str | None = None  # custom cloud only
    authority_url: str | None = None  # custom cloud only; default the public authority
    auth: str = "device-code"
    client_id: str | None = None
    certificate_path: Path | None = None  # client-certificate only
    read_only: bool = True
    theme: str | None = None  # this tenant's theme, over [ui] theme; --theme wins over both
    break_glass_accounts: tuple[str, ...] | None = None  # None: the top-level [break_glass] accounts
    token_cache: str = "encrypted"  # device-code token cache: "encrypted", "plaintext" (fallback) or "none"

    @property
    def endpoints(self) -> CloudEndpoints:
        """The service roots this profile talks to."""
        if self.cloud != "custom":
            return CLOUDS[self.cloud]
        if self.graph_url is None or self.arm_url is None:
            raise ValueError(f"tenant profile {self.name!r}: a custom cloud needs graph_url and arm_url")
        return CloudEndpoints("custom", self.graph_url, self.arm_url, self.authority_url or _PUBLIC_AUTHORITY)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; ``Config()`` is what a missing file means."""

    tenants: Mapping[str, TenantProfile] = field(default_factory=dict)
    default_tenant: str | None = None
    break_glass_accounts: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    ui: UiConfig = field(default_factory=UiConfig)
    keymap: Mapping[str, str] = field(default_factory=dict)  # action id -> "key[,key...]"
    source: Path | None = field(default=None, compare=False)  # the file it was read from

    def __post_init__(self) -> None:
        object.__setattr__(self, "tenants", MappingProxyType(dict(self.tenants)))
        object.__setattr__(self, "keymap", MappingProxyType(dict(self.keymap)))
        object.__setattr__(self, "break_glass_accounts", tuple(self.break_glass_accounts))

    def profile(self, name: str | None = None) -> TenantProfile:
        """The named profile, else ``default_tenant``, else the only profile; ConfigError otherwise."""
        file = str(self.source) if self.source else None
        chosen = name or self.default_tenant
        if chosen is None:
            if len(self.tenants) == 1:
                return next(iter(self.tenants.values()))
            hint = "set default_tenant" if self.tenants else "add a [tenants.NAME] profile"
            raise ConfigError("no tenant profile chosen", file=file, key="default_tenant", suggestion=hint)
        if chosen not in self.tenants:
            raise ConfigError(
                f"no tenant profile {chosen!r}",
                file=file,
                key=render_key(("tenants", chosen)),
                suggestion=did_you_mean(chosen, self.tenants),
            )
        return self.tenants[chosen]

    def break_glass_for(self, profile: TenantProfile) -> tuple[str, ...]:
        """The declared emergency access accounts for a profile: its own list, else the top-level one."""
        if profile.break_glass_accounts is not None:
            return profile.break_glass_accounts
        return self.break_glass_accounts


# ------------------------------------------------------------------------------------------- errors


class ConfigError(Exception):
    """One problem in a config file: where it is (file, line, key) and what would fix it."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
        suggestion: str | None = None,
        where: str | None = None,
    ):
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
        self.suggestion = suggestion
        self.where = where if where is not None else (f"key '{key}'" if key else None)

    def __str__(self) -> str:
        location = self.file or "config"
        if self.line is not None:
            location += f":{self.line}"
            if self.column is not None:
                location += f":{self.column}"
        text = f"{location}: {self.where}: {self.message}" if self.where else f"{location}: {self.message}"
        return f"{text} ({self.suggestion})" if self.suggestion else text


class ConfigErrors(ConfigError):
    """Every problem found in one file; ``str()`` gives one line per problem, in file order."""

    def __init__(self, errors: Iterable[ConfigError]):
        self.errors: tuple[ConfigError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("ConfigErrors needs at least one error")
        first = self.errors[0]
        super().__init__(
            first.message,
            file=first.file,
            line=first.line,
            column=first.column,
            key=first.key,
            suggestion=first.suggestion,
            where=first.where,
        )

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


# -------------------------------------------------------------------------------------------- secrets

_is_secret_name = is_secret_name  # the rule lives in ztconsole.secretnames (the audit log uses it too)


def _find_secrets(node: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Paths of every secret-named key or table (a keymap entry bound to a key string is an action id)."""
    for name, value in node.items():
        here = (*path, name)
        if isinstance(value, dict):
            if here[0] != "keymap" and _is_secret_name(name):
                yield here
            else:
                yield from _find_secrets(value, here)
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            for item in value:
                yield from _find_secrets(item, here)
        elif _is_secret_name(name):
            if here[0] == "keymap" and isinstance(value, str) and _key_string_problem(value) is None:
                continue
            yield here


def _secret_problem(path: tuple[str, ...]) -> Problem:
    if "token" in path[-1].lower():
        where_from = f"a static token is read only from {STATIC_TOKEN_ENV} in the environment"
    else:
        where_from = f"set {CLIENT_SECRET_ENV} in the environment instead"
    return Problem(path, "secrets never live in the config file: remove this key", where_from)


# ---------------------------------------------------------------------------------- the file's schema
#
# What the file may say, as msgspec Structs (see ztconsole.tomlschema): types, choices, ranges and forms.
# An absent key is None here; the defaults live in the model above. Rules that span keys are code, in
# _build below.

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UPN = r"[^@\s]+@[^@\s]+\.[^@\s.]+"
_EXAMPLE_GUID = "00000000-0000-0000-0000-000000000000"
_GUID_FORM = rf"^{_GUID}\Z"


def _not_a_guid(what: str) -> dict[str, str]:
    return {"message": f"not a GUID: expected the {what} like {_EXAMPLE_GUID}"}


_TenantId = Annotated[str, Meta(pattern=_GUID_FORM, extra=_not_a_guid("directory (tenant) id"))]
_ClientId = Annotated[str, Meta(pattern=_GUID_FORM, extra=_not_a_guid("application (client) id"))]
_SubscriptionId = Annotated[
    str, Meta(pattern=_GUID_FORM, extra={"message": f"not a subscription id (a GUID like {_EXAMPLE_GUID})"})
]
_Account = Annotated[
    str,
    Meta(pattern=rf"^(?:{_GUID}|{_UPN})\Z",
         extra={"message": "expected a user object id (GUID) or a UPN (user@domain)"}),
]
_ThemeName = Annotated[
    str,
    Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z",
         extra={"message": "expected a theme name (letters, digits, '.', '-', '_')"}),
]
_ProfileName = Annotated[
    str,
    Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z",
         extra={"message": "a profile name uses only letters, digits, '-' and '_'"}),
]
_FilePath = Annotated[str, Meta(pattern=r"\S", extra={"message": "empty path"})]
_Days = Annotated[int, Meta(ge=1, le=365)]
_Prefix = Annotated[int, Meta(ge=0, le=32)]
_Ports = Annotated[int, Meta(ge=1, le=65_535)]
_Addresses = Annotated[int, Meta(ge=1, le=2**32)]
_RefreshSeconds = Annotated[
    float,
    Meta(ge=MIN_REFRESH_SECONDS, le=MAX_REFRESH_SECONDS,
         extra={"unit": " s", "hint_below": "refreshing faster gets the tenant throttled"}),
]


class _ProfileFile(msgspec.Struct, forbid_unknown_fields=True):
    """One ``[tenants.NAME]`` table (the fields of :class:`TenantProfile` but its name)."""

    tenant_id: _TenantId | None = None
    subscriptions: list[_SubscriptionId] | None = None
    cloud: _CloudName | None = None
    graph_url: str | None = None
    arm_url: str | None = None
    authority_url: str | None = None
    auth: _AuthMethod | None = None
    client_id: _ClientId | None = None
    certificate_path: _FilePath | None = None
    read_only: bool | None = None
    theme: _ThemeName | None = None
    break_glass_accounts: list[_Account] | None = None
    token_cache: _TokenCache | None = None


_ProfileTable = Annotated[
    _ProfileFile,
    Meta(extra={"expected": "a table [tenants.NAME] (a tenant profile)",
                "hint": "profile keys go under [tenants.NAME]"}),
]


class _ThresholdsFile(msgspec.Struct, forbid_unknown_fields=True):
    """``[thresholds]``: the fields of :class:`Thresholds`, each with its valid range."""

    report_only_bake_days: _Days | None = None
    break_glass_signin_days: _Days | None = None
    segment_fail_prefix: _Prefix | None = None
    segment_warn_prefix: _Prefix | None = None
    segment_warn_ports: _Ports | None = None
    quick_access_warn_addresses: _Addresses | None = None


class _UiFile(msgspec.Struct, forbid_unknown_fields=True):
    theme: _ThemeName | None = None
    refresh_interval: _RefreshSeconds | None = None


class _BreakGlassFile(msgspec.Struct, forbid_unknown_fields=True):
    accounts: list[_Account] | None = None


class _ConfigFile(msgspec.Struct, forbid_unknown_fields=True):
    """The whole file. ``[keymap]`` is free-form here (``app.quit = ...`` unquoted nests tables)."""

    default_tenant: str | None = None
    tenants: dict[_ProfileName, _ProfileTable] = {}
    break_glass: _BreakGlassFile = msgspec.field(default_factory=_BreakGlassFile)
    thresholds: _ThresholdsFile = msgspec.field(default_factory=_ThresholdsFile)
    ui: _UiFile = msgspec.field(default_factory=_UiFile)
    keymap: dict[str, Any] = {}


# ------------------------------------------------------------------------------------------ key names

_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(
    {"escape", "enter", "return", "tab", "space", "backspace", "delete", "insert", "home", "end", "pageup",
     "pagedown", "up", "down", "left", "right", "newline", *(f"f{n}" for n in range(1, 25))}
)  # fmt: skip
_KEY_NAME_REPLACEMENTS = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
                          "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}  # fmt: skip


@lru_cache(maxsize=1)
def _character_key_names() -> frozenset[str]:
    """Textual's names for the printable ASCII punctuation keys (``question_mark``, ``slash``, ...)."""
    names = set()
    for char in string.punctuation:
        name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
        names.add(_KEY_NAME_REPLACEMENTS.get(name, name))
    return frozenset(names)


def _is_key(key: str) -> bool:
    """A printable character, or a key name Textual uses."""
    if len(key) == 1:
        return key.isprintable() and not key.isspace()
    return key in _NAMED_KEYS or key in _character_key_names()


def _nearest_key(name: str) -> str | None:
    """The key name ``name`` was probably meant to be (``F5`` -> ``f5``, ``slahs`` -> ``slash``)."""
    if _is_key(name.lower()):
        return name.lower()
    close = difflib.get_close_matches(name.lower(), sorted(_NAMED_KEYS | _character_key_names()), n=1, cutoff=0.7)
    return close[0] if close else None


def _key_string_problem(keys: str) -> tuple[str, str | None] | None:
    """Why ``keys`` is not a Textual key list (``"ctrl+q"``, ``"f5,ctrl+r"``), with a suggestion; None when
    it is one."""
    for key in keys.split(","):
        key = key.strip()
        if not key:
            return "empty key (an empty string, two commas or a trailing comma)", None
        if len(key) == 1:
            if not _is_key(key):
                return f"{short(key)} is not a printable key", None
            continue
        *modifiers, base = key.split("+")
        if not base or "" in modifiers:
            return f"{short(key)} is not a key (name '+' as 'plus', ',' as 'comma')", None
        for modifier in modifiers:
            if modifier not in _MODIFIERS:
                hint = did_you_mean(modifier.lower(), _MODIFIERS, cutoff=0.5, list_valid=False)
                return f"{short(modifier)} is not a modifier (one of {', '.join(sorted(_MODIFIERS))})", hint
        if len(set(modifiers)) != len(modifiers):
            return f"{short(key)} repeats a modifier", None
        if not _is_key(base):
            near = _nearest_key(base)
            hint = f"did you mean '{'+'.join((*modifiers, near))}'?" if near else None
            return f"{short(key)} is not a key (e.g. 'ctrl+q', 'f5', 'escape', 'question_mark', 'slash')", hint
    return None


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a service root, or None; never echoes the URL (it might hold credentials)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "expected an https:// URL"
    if parts.username is not None or parts.password is not None:
        return "a URL must not hold a user name or password"
    if parts.query or parts.fragment:
        return "a service root URL takes no query or fragment"
    if parts.scheme == "http" and not is_loopback_url(url):
        return "must use https (http is allowed only on loopback: 127.0.0.0/8, ::1, localhost)"
    return None


# ------------------------------------------------------------------------- rules that span keys

_URL_KEYS = ("graph_url", "arm_url", "authority_url")


def _build(report: Report[_ConfigFile], secrets: set[tuple[str, ...]]) -> Config:
    """The model from what passed the schema; the rules that span keys add their problems to ``report``."""
    doc = report.value
    tenants = {name: _profile(name, profile, report) for name, profile in doc.tenants.items()}
    default = doc.default_tenant
    if default is not None and not report.failed(("tenants",)) and default not in tenants:
        hint = did_you_mean(default, tenants) or "no [tenants.NAME] profile exists"
        report.add(("default_tenant",), f"no tenant profile named {short(default)}", hint)
    return Config(
        tenants=tenants,
        default_tenant=default,
        break_glass_accounts=_accounts(doc.break_glass.accounts) or (),
        thresholds=_thresholds(doc.thresholds, report),
        ui=UiConfig(**given(doc.ui)),
        keymap=_keymap(doc.keymap, report, secrets),
    )


def _accounts(accounts: list[str] | None) -> tuple[str, ...] | None:
    """Checked accounts (each a GUID or a UPN), the GUIDs lower-cased."""
    if accounts is None:
        return None
    return tuple(account if "@" in account else account.lower() for account in accounts)


def _profile(name: str, p: _ProfileFile, report: Report[_ConfigFile]) -> TenantProfile:
    path = ("tenants", name)

    def absent(key: str) -> bool:  # not in the file (a rejected value is reported already)
        return getattr(p, key) is None and not report.failed((*path, key))

    cloud = p.cloud or "public"
    auth = p.auth or "device-code"
    if absent("tenant_id") and auth != "static-token":
        report.add((*path, "tenant_id"), "required: the directory (tenant) id of this tenant")
    urls: dict[str, str | None] = dict.fromkeys(_URL_KEYS)
    for key in _URL_KEYS:
        value = getattr(p, key)
        if value is None:
            continue
        if cloud != "custom":
            report.add((*path, key), 'only used with cloud = "custom"', 'remove it, or set cloud = "custom"')
        elif (why := _url_problem(value)) is not None:
            report.add((*path, key), why)
        else:
            urls[key] = value.rstrip("/")
    if cloud == "custom":
        for key in ("graph_url", "arm_url"):
            if absent(key):
                hint = "the service root, e.g. http://127.0.0.1:8765 for ztconsole emulator"
                report.add((*path, key), 'required when cloud = "custom"', hint)
    if auth == "static-token":
        on_loopback = cloud == "custom" and all(
            urls[key] is not None and is_loopback_url(urls[key] or "") for key in ("graph_url", "arm_url")
        )
        if not on_loopback:
            report.add(
                (*path, "auth"),
                'static-token needs cloud = "custom" with graph_url and arm_url on loopback',
                f"the token comes from {STATIC_TOKEN_ENV}; a real tenant uses device-code or azure-cli",
            )
    if auth == "client-certificate":
        if absent("client_id"):
            message = 'required for auth = "client-certificate": the app registration\'s client id'
            report.add((*path, "client_id"), message)
        if absent("certificate_path"):
            report.add((*path, "certificate_path"), 'required for auth = "client-certificate": a PEM or PKCS#12 file')
    elif p.certificate_path is not None:
        report.add((*path, "certificate_path"), 'only used with auth = "client-certificate"')
    return TenantProfile(
        name=name,
        tenant_id=p.tenant_id.lower() if p.tenant_id else None,
        subscriptions=tuple(sub.lower() for sub in p.subscriptions or ()),
        cloud=cloud,
        auth=auth,
        client_id=p.client_id.lower() if p.client_id else None,
        certificate_path=Path(p.certificate_path).expanduser() if p.certificate_path else None,
        read_only=True if p.read_only is None else p.read_only,
        theme=p.theme,
        break_glass_accounts=_accounts(p.break_glass_accounts),
        token_cache=p.token_cache or "encrypted",
        **urls,
    )


def _thresholds(table: _ThresholdsFile, report: Report[_ConfigFile]) -> Thresholds:
    values = given(table)
    result = Thresholds(**values)
    if result.segment_fail_prefix > result.segment_warn_prefix:
        key = "segment_fail_prefix" if "segment_fail_prefix" in values else "segment_warn_prefix"
        report.add(
            ("thresholds", key),
            f"segment_fail_prefix (/{result.segment_fail_prefix}) must be as broad as or broader than "
            f"segment_warn_prefix (/{result.segment_warn_prefix})",
            "a smaller prefix length is a broader segment",
        )
    return result


def _keymap(table: Mapping[str, Any], report: Report[_ConfigFile], secrets: set[tuple[str, ...]]) -> dict[str, str]:
    """``{action id: "key,key"}``; ids are checked against the action registry (imported only here: it is
    plain data, so validating a keymap loads no Textual)."""
    if not table:
        return {}
    from ztconsole.ui.actions import BY_ID

    keymap: dict[str, str] = {}
    for source, action, value in _flatten(table, ("keymap",)):
        if source in secrets:
            continue
        where = ("keymap", action)
        known = action in BY_ID
        if not known:
            report.add(where, "unknown action id", did_you_mean(action, BY_ID), lookup=source)
        if not isinstance(value, str):
            message = f'expected a key string like "ctrl+q" or "f5,ctrl+r", got {type_name(value)}'
            report.add(where, message, lookup=source)
        elif (why := _key_string_problem(value)) is not None:
            report.add(where, why[0], why[1], lookup=source)
        elif known:
            keymap[action] = ",".join(key.strip() for key in value.split(","))
    return keymap


def _flatten(data: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str, Any]]:
    """(TOML path, dotted action id, value) for each leaf; ``app.quit = ...`` unquoted nests tables."""
    for name, value in data.items():
        here = (*path, name)
        if isinstance(value, dict):
            yield from _flatten(value, here)
        else:
            yield here, ".".join(here[1:]), value


# ------------------------------------------------------------------------------------------ loading


def parse_config(text: str, source_name: str = "config.toml") -> Config:
    """Parse and validate config text; raises :class:`ConfigErrors` listing every problem."""
    return _parse(text, source_name, mode=None, source=None)


def _errors(problems: Iterable[Problem], text: str, source_name: str) -> list[ConfigError]:
    """Each problem as a ConfigError naming its file, line and key, in file order."""
    return [
        ConfigError(found.message, file=found.file, line=found.line, key=found.key, suggestion=found.suggestion,
                    where=found.where)
        for found in locate(problems, text, source_name)
    ]


def _parse(text: str, source_name: str, *, mode: int | None, source: Path | None) -> Config:
    syntax: ConfigError | None = None
    try:
        data = tomllib.loads(text)
        secrets = list(_find_secrets(data, ()))
    except tomllib.TOMLDecodeError as error:
        # Still find secret-named keys by scanning, so a readable file holding one is refused anyway.
        message, line, column = syntax_location(error, text)
        syntax = ConfigError(f"TOML syntax error: {message}", file=source_name, line=line, column=column)
        data = {}
        secrets = [path for path in LineIndex(text).paths() if path[0] != "keymap" and _is_secret_name(path[-1])]
    secret_problems = [_secret_problem(path) for path in secrets]
    if secrets and mode is not None and mode & 0o077:
        refusal = ConfigError(
            f"refused: this file is readable by group or others (mode {mode & 0o777:04o}) and holds "
            f"{len(secrets)} secret-named key(s)",
            file=source_name,
            suggestion=f"remove the secrets, then run: {command_line(['chmod', '600', source_name])}",
        )
        raise ConfigErrors([refusal, *_errors(secret_problems, text, source_name)])
    if syntax is not None:
        raise ConfigErrors(sorted([syntax, *_errors(secret_problems, text, source_name)], key=lambda e: e.line or 0))
    report = validate(data, _ConfigFile, skip=set(secrets))
    config = _build(report, set(secrets))
    errors = _errors([*secret_problems, *report.problems], text, source_name)
    if errors:
        raise ConfigErrors(errors)
    return replace(config, source=source)


def load_config(path: Path | None = None, *, env: Mapping[str, str] = os.environ) -> Config:
    """Read the config file (``path``, else ``$ZTCONSOLE_CONFIG``, else the XDG default).

    A missing file at the XDG default gives ``Config()``; a missing file that was named explicitly (by
    ``path`` or ``$ZTCONSOLE_CONFIG``) is an error. Raises :class:`ConfigError` (or :class:`ConfigErrors`).
    """
    explicit = path is not None or bool(env.get(paths.CONFIG_ENV))
    target = path if path is not None else paths.config_path(env)
    try:
        with open(target, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode if os.name == "posix" else None
            raw = handle.read()
    except FileNotFoundError:
        if not explicit:
            return Config()
        named_by = "" if path is not None else f" (named by ${paths.CONFIG_ENV})"
        raise ConfigError(f"config file not found{named_by}", file=str(target)) from None
    except OSError as error:
        raise ConfigError(f"cannot read the config file: {error.strerror}", file=str(target)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError("the file is not UTF-8 text", file=str(target), line=line) from None
    return _parse(text, str(target), mode=mode, source=target)


# ------------------------------------------------------------------------------------------ writing


def _to_document(config: Config) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if config.default_tenant is not None:
        doc["default_tenant"] = config.default_tenant
    if config.break_glass_accounts:
        doc["break_glass"] = {"accounts": list(config.break_glass_accounts)}
    thresholds = {
        f.name: getattr(config.thresholds, f.name)
        for f in fields(Thresholds)
        if getattr(config.thresholds, f.name) != f.default
    }
    if thresholds:
        doc["thresholds"] = thresholds
    ui: dict[str, Any] = {}
    if config.ui.theme is not None:
        ui["theme"] = config.ui.theme
    if config.ui.refresh_interval != _DEFAULT_REFRESH_SECONDS:
        ui["refresh_interval"] = config.ui.refresh_interval
    if ui:
        doc["ui"] = ui
    if config.keymap:
        doc["keymap"] = dict(config.keymap)
    if config.tenants:
        doc["tenants"] = {name: _profile_document(profile) for name, profile in config.tenants.items()}
    return doc


def _profile_document(profile: TenantProfile) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(TenantProfile):
        value = getattr(profile, f.name)
        if f.name == "name" or value is None or (f.name == "subscriptions" and not value):
            continue
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Path):
            value = str(value)
        out[f.name] = value
    return out


def write_config(config: Config, path: Path) -> None:
    """Write ``config`` as TOML to ``path`` atomically, mode 0600 (comments in an old file are not kept).

    The text is validated before it is written, so a file this writes always loads.
    """
    import tomli_w  # writing only: the console and the commands read the file at start-up

    text = tomli_w.dumps(_to_document(config))
    parse_config(text, str(path))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------------ commands


def summary(config: Config) -> list[str]:
    lines: list[str] = []
    if config.default_tenant:
        lines.append(f"default tenant: {config.default_tenant}")
    elif len(config.tenants) == 1:
        lines.append(f"default tenant: {next(iter(config.tenants))} (the only profile)")
    else:
        lines.append("default tenant: none")
    if config.tenants:
        lines.append(f"profiles ({len(config.tenants)}):")
        width = max(len(name) for name in config.tenants)
        for name, p in config.tenants.items():
            details = [
                f"tenant {p.tenant_id or '-'}",
                f"cloud {p.cloud}",
                f"auth {p.auth}",
                "read-only" if p.read_only else "WRITES ALLOWED",
                f"{len(p.subscriptions)} subscription(s)",
            ]
            if p.theme:
                details.append(f"theme {p.theme}")
            if p.break_glass_accounts is not None:
                details.append(f"{len(p.break_glass_accounts)} break-glass account(s)")
            lines.append(f"  {name:<{width}}  " + ", ".join(details))
            if p.cloud == "custom":
                lines.append(f"  {'':<{width}}  graph {p.endpoints.graph_url}, arm {p.endpoints.arm_url}")
    else:
        lines.append("profiles: none (live mode needs a [tenants.NAME] profile; see config.example.toml)")
    lines.append(f"break-glass accounts: {len(config.break_glass_accounts)} declared")
    t = config.thresholds
    lines.append(
        f"thresholds: report-only bake {t.report_only_bake_days} days; break-glass sign-in "
        f"{t.break_glass_signin_days} days; segments fail wider than /{t.segment_fail_prefix}, warn wider "
        f"than /{t.segment_warn_prefix} or above {t.segment_warn_ports} ports; Quick Access warns "
        f"above {t.quick_access_warn_addresses} addresses"
    )
    lines.append(f"ui: theme {config.ui.theme or 'default'}, refresh every {config.ui.refresh_interval:g} s")
    lines.append(f"keymap: {len(config.keymap)} override(s)")
    return lines
