"""Where ztconsole reads and writes on disk, following the XDG Base Directory specification.

Every function takes the environment as a mapping (``os.environ`` by default, read at call time), so
tests and ``ztconsole config locate`` can ask about any environment. As the specification says, an
``XDG_*`` variable that is empty or holds a relative path is ignored.

* config file: ``$ZTCONSOLE_CONFIG``, else ``$XDG_CONFIG_HOME/ztconsole/config.toml``, else
  ``~/.config/ztconsole/config.toml``;
* user themes: ``$XDG_DATA_HOME/ztconsole/themes/`` (default ``~/.local/share/ztconsole/themes/``);
* audit log: ``$XDG_STATE_HOME/ztconsole/audit.jsonl`` (default ``~/.local/state/ztconsole/``);
* rollout wizard state: ``$XDG_STATE_HOME/ztconsole/rollout/``;
* token cache (opt-in plain file): ``~/.IdentityService/ztconsole.{cae,nocae}`` (azure-identity's
  location); device-code sign-in records in ``$XDG_CACHE_HOME/ztconsole/`` (default
  ``~/.cache/ztconsole/``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "Location",
    "all_paths",
    "audit_log_path",
    "cache_dir",
    "config_dir",
    "config_path",
    "data_dir",
    "rollout_dir",
    "state_dir",
    "themes_dir",
    "token_cache_files",
    "auth_record_path",
    "TOKEN_CACHE_NAME",
]

APP_NAME = "ztconsole"
CONFIG_ENV = "ZTCONSOLE_CONFIG"


class Location(NamedTuple):
    """One path ztconsole reads or writes, for ``ztconsole config locate``."""

    label: str
    path: Path
    purpose: str


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def _xdg(env: Mapping[str, str], var: str, fallback: str) -> Path:
    """``$var`` when it is set to an absolute path, else ``~/<fallback>``."""
    value = env.get(var, "")
    if value and os.path.isabs(value):
        return Path(value)
    return _home(env) / fallback


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The XDG config directory of ztconsole (``~/.config/ztconsole``)."""
    return _xdg(env, "XDG_CONFIG_HOME", ".config") / APP_NAME


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    """The config file: ``$ZTCONSOLE_CONFIG``, else ``config.toml`` in the XDG config directory."""
    explicit = env.get(CONFIG_ENV, "")
    if explicit == "~" or explicit.startswith("~/"):
        return _home(env) / explicit[2:]
    if explicit:
        return Path(explicit)
    return config_dir(env) / "config.toml"


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The XDG data directory of ztconsole (``~/.local/share/ztconsole``)."""
    return _xdg(env, "XDG_DATA_HOME", ".local/share") / APP_NAME


def themes_dir(env: Mapping[str, str] = os.environ) -> Path:
    """User theme files (``*.toml``), beside the themes shipped in the package."""
    return data_dir(env) / "themes"


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The XDG state directory of ztconsole (``~/.local/state/ztconsole``)."""
    return _xdg(env, "XDG_STATE_HOME", ".local/state") / APP_NAME


def audit_log_path(env: Mapping[str, str] = os.environ) -> Path:
    """The audit log: one JSON object per line, appended before and after every write."""
    return state_dir(env) / "audit.jsonl"


def rollout_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The rollout wizard's persisted state, one file per tenant."""
    return state_dir(env) / "rollout"


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The XDG cache directory of ztconsole (``~/.cache/ztconsole``)."""
    return _xdg(env, "XDG_CACHE_HOME", ".cache") / APP_NAME


TOKEN_CACHE_NAME = "ztconsole"


def token_cache_files(env: Mapping[str, str] = os.environ) -> tuple[Path, Path]:
    """Where azure-identity keeps the ``ztconsole`` token cache when a profile opts in to an unencrypted
    one (``token_cache = "plaintext"``): one file for CAE-capable tokens, one for the others. The encrypted
    cache lives in the OS keyring (libsecret), not in a file."""
    root = _home(env) / ".IdentityService"
    return root / f"{TOKEN_CACHE_NAME}.cae", root / f"{TOKEN_CACHE_NAME}.nocae"


def auth_record_path(profile_name: str, env: Mapping[str, str] = os.environ) -> Path:
    """The saved sign-in record of a device-code profile (account, tenant, authority; no secret)."""
    return cache_dir(env) / f"auth-record-{profile_name}.json"


def all_paths(env: Mapping[str, str] = os.environ) -> list[Location]:
    """Every path ztconsole reads or writes, in the order ``config locate`` prints them."""
    source = f"${CONFIG_ENV}" if env.get(CONFIG_ENV) else "XDG config directory"
    return [
        Location("config", config_path(env), f"settings and tenant profiles (from {source})"),
        Location("themes", themes_dir(env), "user theme files (*.toml)"),
        Location("audit log", audit_log_path(env), "every write, before and after it runs (JSON lines)"),
        Location("rollout state", rollout_dir(env), "VPN-to-ZTNA rollout wizard progress"),
        Location("token cache", token_cache_files(env)[0],
                 "token cache when a profile sets token_cache = \"plaintext\" (CAE tokens)"),
        Location("token cache", token_cache_files(env)[1],
                 "token cache when a profile sets token_cache = \"plaintext\" (other tokens)"),
        Location("sign-in records", cache_dir(env), "device-code sign-in records (auth-record-*.json)"),
    ]
