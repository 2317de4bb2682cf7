"""The configuration file: TOML read with tomllib, validated, written with tomli-w.

The file is found at ``$ZTCONSOLE_CONFIG``, else in the XDG config directory (see :mod:`ztconsole.paths`);
``config.example.toml`` at the repository root documents every key. A missing file at the default place
gives the defaults; a file named by ``$ZTCONSOLE_CONFIG`` must exist.

Every problem in a file is reported at once, each as a :class:`ConfigError` naming the file, the line, the
key and, for a misspelling, the nearest valid key. tomllib gives no positions, so lines are found by
scanning the source (:class:`_LineIndex`).

Secrets never live in the config: any key named like a secret is an error (a client secret comes only from
``AZURE_CLIENT_SECRET``, a static token only from ``ZTCONSOLE_TOKEN``), and a file that holds one and is
readable by group or others is refused as a whole. No message ever shows a secret's value; to be safe,
values are echoed only where they are short names (enum values, themes, keys).
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
import string
import sys
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping, TextIO
from urllib.parse import urlsplit

import tomli_w

from ztconsole import paths
from ztconsole.safetext import command_line

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
    "locate_command",
    "parse_config",
    "validate_command",
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
CLOUD_NAMES: tuple[str, ...] = (*CLOUDS, "custom")
TOKEN_CACHE_SETTINGS: tuple[str, ...] = ("encrypted", "plaintext", "none")
AUTH_METHODS: tuple[str, ...] = (
    "device-code",
    "azure-cli",
    "client-certificate",
    "managed-identity",
    "workload-identity",
    "static-token",
)


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
    """Limits the checks judge by; each has a documented default and a valid range."""

    report_only_bake_days: int = 14  # ZT-CA-006: a report-only policy older than this is `warn`
    break_glass_signin_days: int = 90  # ZT-BG-007: each emergency account signed in within this
    segment_fail_prefix: int = 16  # a Private Access segment this broad (/16) or broader fails
    segment_warn_prefix: int = 24  # ... this broad (/24) or broader warns
    segment_warn_ports: int = 10  # ... more ports than this in one segment warns
    quick_access_warn_addresses: int = 65_536  # Quick Access publishing more addresses than this warns


_THRESHOLD_RANGES: Mapping[str, tuple[int, int]] = {
    "report_only_bake_days": (1, 365),
    "break_glass_signin_days": (1, 365),
    "segment_fail_prefix": (0, 32),
    "segment_warn_prefix": (0, 32),
    "segment_warn_ports": (1, 65_535),
    "quick_access_warn_addresses": (1, 2**32),
}


@dataclass(frozen=True, slots=True)
class UiConfig:
    """Console settings: the theme (None: the built-in default) and the refresh interval in seconds."""

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
    theme: str | None = None
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
                key=_render_key(("tenants", chosen)),
                suggestion=_did_you_mean(chosen, self.tenants, table_prefix=None) or None,
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


@dataclass(frozen=True, slots=True)
class _Problem:
    path: tuple[str, ...]
    message: str
    suggestion: str | None = None
    table: bool = False  # the problem is about the table at `path`, not a key in it
    lookup: tuple[str, ...] | None = None  # where to look for the line, when not `path`


_Path = tuple[str, ...]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def _render_key(parts: Iterable[str]) -> str:
    return ".".join(part if _BARE_KEY.match(part) else json.dumps(part) for part in parts)


def _where(path: tuple[str, ...], table: bool) -> str | None:
    if not path:
        return None
    if table:
        return f"[{_render_key(path)}]"
    if len(path) == 1:
        return f"key '{path[0]}'"
    return f"[{_render_key(path[:-1])}] key '{path[-1]}'"


def _did_you_mean(word: str, valid: Iterable[str], *, table_prefix: tuple[str, ...] | None) -> str:
    """``did you mean 'x'?`` (or ``[a.x]`` when ``table_prefix`` is given), else the valid choices."""
    choices = sorted(valid)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        shown = f"[{_render_key((*table_prefix, close[0]))}]" if table_prefix is not None else f"'{close[0]}'"
        return f"did you mean {shown}?"
    return f"valid: {', '.join(choices)}" if choices else ""


class _LineIndex:
    """Lines of the tables and keys of a TOML text, found by scanning it (tomllib gives no positions)."""

    def __init__(self, text: str):
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        closing: str | None = None  # the delimiter of an open multi-line string
        for number, line in enumerate(text.splitlines(), start=1):
            if closing is not None:
                if line.count(closing) % 2 == 1:
                    closing = None
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                header = _parse_path(stripped)
                if header is not None:
                    table = header
                    for end in range(1, len(header) + 1):
                        self._lines.setdefault(header[:end], number)
                continue
            split = _split_key_value(line)
            if split is None:
                continue
            key_text, value = split
            key = _parse_path(f"{key_text} = 0")
            if key is None:
                continue
            for end in range(1, len(key) + 1):
                self._lines.setdefault(table + key[:end], number)
            for delimiter in ('"""', "'''"):
                if value.lstrip().startswith(delimiter) and value.count(delimiter) % 2 == 1:
                    closing = delimiter

    def paths(self) -> Iterable[tuple[str, ...]]:
        """Every table and key path seen, even in a file tomllib rejects."""
        return self._lines.keys()

    def line_of(self, path: tuple[str, ...]) -> int | None:
        """The line of ``path``, else of its nearest ancestor that appears in the text."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return None


def _parse_path(fragment: str) -> tuple[str, ...] | None:
    """The key path a one-line TOML fragment (a header, or ``key = 0``) declares; None if it is not one."""
    try:
        node: Any = tomllib.loads(fragment)
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        ((name, node),) = node.items()
        parts.append(name)
        if isinstance(node, list):
            node = node[0] if node else None
    return tuple(parts) or None


def _split_key_value(line: str) -> tuple[str, str] | None:
    """Split ``key = value`` at the first ``=`` outside quotes; None when the line has none."""
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return None
        elif char == "=":
            return line[:index], line[index + 1 :]
        index += 1
    return None


# -------------------------------------------------------------------------------------------- secrets

_SECRET_WORDS = frozenset(
    {"secret", "secrets", "password", "passwd", "passphrase", "pwd", "token", "tokens", "apikey",
     "credential", "credentials", "connectionstring", "privatekey", "clientsecret", "sas", "bearer"}
)  # fmt: skip
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("connection", "string"), ("access", "key"), ("account", "key"),
     ("shared", "key"), ("signing", "key"), ("master", "key"), ("primary", "key"), ("secondary", "key")}
)  # fmt: skip


_NOT_SECRET_NAMES = frozenset({"token_cache"})  # settings whose names merely mention a secret word


def _is_secret_name(name: str) -> bool:
    """Whether a key is named like a secret (``client_secret``, ``apiKey``, ``SAS-Token``, ...)."""
    if name in _NOT_SECRET_NAMES:
        return False
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    parts = [part for part in re.split(r"[^a-z0-9]+", words) if part]
    pairs = zip(parts, parts[1:])
    return any(part in _SECRET_WORDS for part in parts) or any(pair in _SECRET_PAIRS for pair in pairs)


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


def _secret_problem(path: tuple[str, ...]) -> _Problem:
    if "token" in path[-1].lower():
        where_from = f"a static token is read only from {STATIC_TOKEN_ENV} in the environment"
    else:
        where_from = f"set {CLIENT_SECRET_ENV} in the environment instead"
    return _Problem(path, "secrets never live in the config file: remove this key", where_from)


# ------------------------------------------------------------------------------------------ validation

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_UPN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+\Z")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_THEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_ACTION_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*\Z")
_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_EXAMPLE_GUID = "00000000-0000-0000-0000-000000000000"

_TOP_KEYS = ("default_tenant", "tenants", "break_glass", "thresholds", "ui", "keymap")
_PROFILE_KEYS = tuple(f.name for f in fields(TenantProfile) if f.name != "name")
_URL_KEYS = ("graph_url", "arm_url", "authority_url")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (datetime, date, time)):
        return "a date/time"
    return type(value).__name__


def _short(value: str) -> str:
    """A short, quoted rendering of a non-secret value for a message."""
    return repr(value if len(value) <= 32 else value[:29] + "...")


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


def _key_string_problem(keys: str) -> str | None:
    """Why ``keys`` is not a Textual key list (``"ctrl+q"``, ``"f5,ctrl+r"``), or None when it is one."""
    for key in keys.split(","):
        key = key.strip()
        if not key:
            return "empty key (an empty string, two commas or a trailing comma)"
        if len(key) == 1:
            if not _is_key(key):
                return f"{_short(key)} is not a printable key"
            continue
        *modifiers, base = key.split("+")
        if not base or "" in modifiers:
            return f"{_short(key)} is not a key (name '+' as 'plus', ',' as 'comma')"
        for modifier in modifiers:
            if modifier not in _MODIFIERS:
                return f"{_short(modifier)} is not a modifier (one of {', '.join(sorted(_MODIFIERS))})"
        if len(set(modifiers)) != len(modifiers):
            return f"{_short(key)} repeats a modifier"
        if not _is_key(base):
            return f"{_short(key)} is not a key (e.g. 'ctrl+q', 'f5', 'escape', 'question_mark', 'slash')"
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


class _Validator:
    """Builds a :class:`Config` from decoded TOML, collecting every problem instead of stopping."""

    def __init__(self, secrets: set[tuple[str, ...]]):
        self.problems: list[_Problem] = []
        self._secrets = secrets

    def problem(self, path: tuple[str, ...], message: str, suggestion: str | None = None, **kw: Any) -> None:
        self.problems.append(_Problem(path, message, suggestion, **kw))

    # -- generic helpers

    def known_keys(self, data: Mapping[str, Any], path: tuple[str, ...], known: Iterable[str]) -> None:
        """Report every key of ``data`` not in ``known`` (secret-named ones are reported elsewhere)."""
        known = tuple(known)
        for name, value in data.items():
            here = (*path, name)
            if name in known or here in self._secrets:
                continue
            if isinstance(value, dict):
                hint = _did_you_mean(name, known, table_prefix=path) or None
                self.problem(here, "unknown table", hint, table=True)
            else:
                self.problem(here, "unknown key", _did_you_mean(name, known, table_prefix=None) or None)

    def get(self, data: Mapping[str, Any], path: _Path, name: str, kind: type | tuple[type, ...]) -> Any:
        """``data[name]`` when present and of ``kind`` (bool is never a number); None otherwise."""
        if name not in data:
            return None
        value = data[name]
        ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _as_tuple(kind))
        if ok:
            return value
        message = f"expected {_kind_name(kind)}, got {_type_name(value)}"
        self.problem((*path, name), message, table=isinstance(value, dict))
        return None

    def table(self, data: Mapping[str, Any], path: _Path, name: str) -> dict[str, Any]:
        value = self.get(data, path, name, dict)
        return value if value is not None else {}

    def string_list(self, data: Mapping[str, Any], path: _Path, name: str) -> list[str] | None:
        value = self.get(data, path, name, list)
        if value is None:
            return None
        bad = [index for index, item in enumerate(value, start=1) if not isinstance(item, str)]
        if bad:
            got = _type_name(value[bad[0] - 1])
            self.problem((*path, name), f"item {bad[0]}: expected a string, got {got}")
            return None
        return value

    def guid(self, data: Mapping[str, Any], path: _Path, name: str, what: str) -> str | None:
        value = self.get(data, path, name, str)
        if value is None:
            return None
        if not _GUID.match(value):
            self.problem((*path, name), f"not a GUID: expected the {what} like {_EXAMPLE_GUID}")
            return None
        return value.lower()

    def enum(self, data: Mapping[str, Any], path: _Path, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.get(data, path, name, str)
        if value is None or value in choices:
            return value
        close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else None
        self.problem((*path, name), f"{_short(value)} is not one of {', '.join(choices)}", hint)
        return None

    def name(self, data: Mapping[str, Any], path: _Path, name: str) -> str | None:
        value = self.get(data, path, name, str)
        if value is not None and not _THEME_NAME.match(value):
            self.problem((*path, name), "expected a theme name (letters, digits, '.', '-', '_')")
            return None
        return value

    def accounts(self, data: Mapping[str, Any], path: _Path, name: str) -> tuple[str, ...] | None:
        values = self.string_list(data, path, name)
        if values is None:
            return None
        for index, value in enumerate(values, start=1):
            if not (_GUID.match(value) or _UPN.match(value)):
                message = f"item {index}: expected a user object id (GUID) or a UPN (user@domain)"
                self.problem((*path, name), message)
                return None
        return tuple(value.lower() if _GUID.match(value) else value for value in values)

    # -- sections

    def build(self, data: Mapping[str, Any]) -> Config:
        self.known_keys(data, (), _TOP_KEYS)
        tenants = self.tenants(self.table(data, (), "tenants"))
        default = self.get(data, (), "default_tenant", str)
        tenants_readable = isinstance(data.get("tenants", {}), dict)
        if default is not None and tenants_readable and default not in tenants:
            hint = _did_you_mean(default, tenants, table_prefix=None) or "no [tenants.NAME] profile exists"
            self.problem(("default_tenant",), f"no tenant profile named {_short(default)}", hint)
        break_glass = self.table(data, (), "break_glass")
        self.known_keys(break_glass, ("break_glass",), ("accounts",))
        accounts = self.accounts(break_glass, ("break_glass",), "accounts")
        return Config(
            tenants=tenants,
            default_tenant=default,
            break_glass_accounts=accounts or (),
            thresholds=self.thresholds(self.table(data, (), "thresholds")),
            ui=self.ui(self.table(data, (), "ui")),
            keymap=self.keymap(self.table(data, (), "keymap")),
        )

    def tenants(self, data: Mapping[str, Any]) -> dict[str, TenantProfile]:
        """Every profile that is a table (a profile with problems too, so default_tenant can name it)."""
        profiles: dict[str, TenantProfile] = {}
        for name, value in data.items():
            path = ("tenants", name)
            if path in self._secrets:
                continue
            if not isinstance(value, dict):
                self.problem(
                    path,
                    f"expected a table [{_render_key(path)}] (a tenant profile), got {_type_name(value)}",
                    "profile keys go under [tenants.NAME]",
                )
                continue
            if not _PROFILE_NAME.match(name):
                self.problem(path, "a profile name uses only letters, digits, '-' and '_'", table=True)
            profiles[name] = self.profile(name, value, path)
        return profiles

    def profile(self, name: str, data: Mapping[str, Any], path: tuple[str, ...]) -> TenantProfile:
        self.known_keys(data, path, _PROFILE_KEYS)
        cloud = self.enum(data, path, "cloud", CLOUD_NAMES) or "public"
        auth = self.enum(data, path, "auth", AUTH_METHODS) or "device-code"
        tenant_id = self.guid(data, path, "tenant_id", "directory (tenant) id")
        if "tenant_id" not in data and auth != "static-token":
            self.problem((*path, "tenant_id"), "required: the directory (tenant) id of this tenant")
        subscriptions = self.string_list(data, path, "subscriptions") or []
        for index, sub in enumerate(subscriptions, start=1):
            if not _GUID.match(sub):
                message = f"item {index}: not a subscription id (a GUID like {_EXAMPLE_GUID})"
                self.problem((*path, "subscriptions"), message)
                subscriptions = []
                break
        urls: dict[str, str | None] = {}
        for key in _URL_KEYS:
            value = self.get(data, path, key, str)
            urls[key] = None
            if value is None:
                continue
            if cloud != "custom":
                hint = 'remove it, or set cloud = "custom"'
                self.problem((*path, key), 'only used with cloud = "custom"', hint)
            elif (why := _url_problem(value)) is not None:
                self.problem((*path, key), why)
            else:
                urls[key] = value.rstrip("/")
        if cloud == "custom":
            for key in ("graph_url", "arm_url"):
                if key not in data:
                    hint = "the service root, e.g. http://127.0.0.1:8765 for ztconsole emulator"
                    self.problem((*path, key), 'required when cloud = "custom"', hint)
        if auth == "static-token":
            on_loopback = cloud == "custom" and all(
                urls[key] is not None and is_loopback_url(urls[key] or "") for key in ("graph_url", "arm_url")
            )
            if not on_loopback:
                self.problem(
                    (*path, "auth"),
                    'static-token needs cloud = "custom" with graph_url and arm_url on loopback',
                    f"the token comes from {STATIC_TOKEN_ENV}; a real tenant uses device-code or azure-cli",
                )
        client_id = self.guid(data, path, "client_id", "application (client) id")
        certificate = self.get(data, path, "certificate_path", str)
        if auth == "client-certificate":
            if "client_id" not in data:
                message = 'required for auth = "client-certificate": the app registration\'s client id'
                self.problem((*path, "client_id"), message)
            if "certificate_path" not in data:
                message = 'required for auth = "client-certificate": a PEM or PKCS#12 file'
                self.problem((*path, "certificate_path"), message)
        elif certificate is not None:
            self.problem((*path, "certificate_path"), 'only used with auth = "client-certificate"')
        if certificate is not None and not certificate.strip():
            self.problem((*path, "certificate_path"), "empty path")
            certificate = None
        read_only = self.get(data, path, "read_only", bool)
        token_cache = self.enum(data, path, "token_cache", TOKEN_CACHE_SETTINGS) or "encrypted"
        return TenantProfile(
            name=name,
            tenant_id=tenant_id,
            subscriptions=tuple(sub.lower() for sub in subscriptions),
            cloud=cloud,
            auth=auth,
            client_id=client_id,
            certificate_path=Path(certificate).expanduser() if certificate else None,
            read_only=True if read_only is None else read_only,
            theme=self.name(data, path, "theme"),
            break_glass_accounts=self.accounts(data, path, "break_glass_accounts"),
            token_cache=token_cache,
            **urls,
        )

    def thresholds(self, data: Mapping[str, Any]) -> Thresholds:
        path = ("thresholds",)
        self.known_keys(data, path, _THRESHOLD_RANGES)
        values: dict[str, int] = {}
        for key, (low, high) in _THRESHOLD_RANGES.items():
            value = self.get(data, path, key, int)
            if value is None:
                continue
            if not low <= value <= high:
                self.problem((*path, key), f"{value} is out of range: expected {low} to {high}")
                continue
            values[key] = value
        result = Thresholds(**values)
        if result.segment_fail_prefix > result.segment_warn_prefix:
            key = "segment_fail_prefix" if "segment_fail_prefix" in values else "segment_warn_prefix"
            self.problem(
                (*path, key),
                f"segment_fail_prefix (/{result.segment_fail_prefix}) must be as broad as or broader than "
                f"segment_warn_prefix (/{result.segment_warn_prefix})",
                "a smaller prefix length is a broader segment",
            )
        return result

    def ui(self, data: Mapping[str, Any]) -> UiConfig:
        path = ("ui",)
        self.known_keys(data, path, ("theme", "refresh_interval"))
        interval = self.get(data, path, "refresh_interval", (int, float))
        if interval is not None and not MIN_REFRESH_SECONDS <= interval <= MAX_REFRESH_SECONDS:
            self.problem(
                (*path, "refresh_interval"),
                f"{interval} s is out of range: expected {MIN_REFRESH_SECONDS:g} to {MAX_REFRESH_SECONDS:g}",
                "refreshing faster gets the tenant throttled" if interval < MIN_REFRESH_SECONDS else None,
            )
            interval = None
        return UiConfig(
            theme=self.name(data, path, "theme"),
            refresh_interval=float(interval) if interval is not None else _DEFAULT_REFRESH_SECONDS,
        )

    def keymap(self, data: Mapping[str, Any]) -> dict[str, str]:
        keymap: dict[str, str] = {}
        for source, action, value in _flatten(data, ("keymap",)):
            if source in self._secrets:
                continue
            where = ("keymap", action)
            if not _ACTION_ID.match(action):
                self.problem(where, "not an action id (like 'app.quit' or 'pane.filter')", lookup=source)
            elif not isinstance(value, str):
                message = f'expected a key string like "ctrl+q" or "f5,ctrl+r", got {_type_name(value)}'
                self.problem(where, message, lookup=source)
            elif (why := _key_string_problem(value)) is not None:
                self.problem(where, why, lookup=source)
            else:
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


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", list: "an array", dict: "a table"}
    kinds = _as_tuple(kind)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(names[k] for k in kinds)


# ------------------------------------------------------------------------------------------ loading


def parse_config(text: str, source_name: str = "config.toml") -> Config:
    """Parse and validate config text; raises :class:`ConfigErrors` listing every problem."""
    return _parse(text, source_name, mode=None, source=None)


def _parse(text: str, source_name: str, *, mode: int | None, source: Path | None) -> Config:
    index = _LineIndex(text)
    syntax: ConfigError | None = None
    try:
        data = tomllib.loads(text)
        secrets = list(_find_secrets(data, ()))
    except tomllib.TOMLDecodeError as error:
        # Still find secret-named keys by scanning, so a readable file holding one is refused anyway.
        syntax = _syntax_error(error, text, source_name)
        data = {}
        secrets = [path for path in index.paths() if path[0] != "keymap" and _is_secret_name(path[-1])]

    def convert(problems: Iterable[_Problem]) -> list[ConfigError]:
        return [
            ConfigError(
                p.message,
                file=source_name,
                line=index.line_of(p.lookup or p.path),
                key=_render_key(p.path) if p.path else None,
                suggestion=p.suggestion,
                where=_where(p.path, p.table),
            )
            for p in problems
        ]

    secret_errors = convert(_secret_problem(path) for path in secrets)
    if secrets and mode is not None and mode & 0o077:
        refusal = ConfigError(
            f"refused: this file is readable by group or others (mode {mode & 0o777:04o}) and holds "
            f"{len(secrets)} secret-named key(s)",
            file=source_name,
            suggestion=f"remove the secrets, then run: {command_line(['chmod', '600', source_name])}",
        )
        raise ConfigErrors([refusal, *secret_errors])
    if syntax is not None:
        raise ConfigErrors(sorted([syntax, *secret_errors], key=lambda e: e.line or 0))
    validator = _Validator(set(secrets))
    config = validator.build(data)
    errors = secret_errors + convert(validator.problems)
    if errors:
        errors.sort(key=lambda e: e.line if e.line is not None else 0)
        raise ConfigErrors(errors)
    return replace(config, source=source)


def _syntax_error(error: tomllib.TOMLDecodeError, text: str, source_name: str) -> ConfigError:
    """A ConfigError with the line and column of a TOML syntax error (from the attributes or the message)."""
    message = str(error)
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found:
        line = line or int(found.group(1))
        column = column or int(found.group(2))
        message = message[: found.start()]
    elif message.endswith("(at end of document)"):
        message = message.removesuffix("(at end of document)").rstrip()
        line = line or max(1, len(text.splitlines()))
    message = getattr(error, "msg", None) or message
    return ConfigError(f"TOML syntax error: {message}", file=source_name, line=line, column=column)


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


def _summary(config: Config) -> list[str]:
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
        f"{t.break_glass_signin_days} days; segments fail at /{t.segment_fail_prefix} or broader, warn at "
        f"/{t.segment_warn_prefix} or broader or above {t.segment_warn_ports} ports; Quick Access warns "
        f"above {t.quick_access_warn_addresses} addresses"
    )
    lines.append(f"ui: theme {config.ui.theme or 'default'}, refresh every {config.ui.refresh_interval:g} s")
    lines.append(f"keymap: {len(config.keymap)} override(s)")
    return lines


def validate_command(
    path: Path | None = None,
    *,
    env: Mapping[str, str] = os.environ,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``ztconsole config validate``: print a summary (exit 0) or every problem (exit 2)."""
    out = out or sys.stdout
    err = err or sys.stderr
    target = path if path is not None else paths.config_path(env)
    try:
        config = load_config(path, env=env)
    except ConfigErrors as errors:
        for error in errors.errors:
            print(error, file=err)
        count = len(errors.errors)
        print(f"{count} problem{'s' if count != 1 else ''} in {target}: not loaded", file=err)
        return 2
    except ConfigError as error:
        print(error, file=err)
        return 2
    if config.source is None:
        print(f"{target}: no config file; using the defaults", file=out)
    else:
        print(f"{target}: OK", file=out)
    for line in _summary(config):
        print(line, file=out)
    return 0


def locate_command(*, env: Mapping[str, str] = os.environ, out: TextIO | None = None) -> int:
    """``ztconsole config locate``: print every path ztconsole reads and writes, and whether it exists."""
    out = out or sys.stdout
    locations = paths.all_paths(env)
    label_width = max(len(location.label) for location in locations)
    path_width = max(len(str(location.path)) for location in locations)
    for location in locations:
        state = "exists " if location.path.exists() else "missing"
        label, where = f"{location.label:<{label_width}}", f"{str(location.path):<{path_width}}"
        print(f"{label}  {where}  {state}  {location.purpose}", file=out)
    return 0
