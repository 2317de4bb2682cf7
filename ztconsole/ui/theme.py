"""Themes as data: TOML files turned into Textual themes.

Shipped themes live in the top-level ``themes/`` folder (installed as ``ztconsole/themes``); a user's own
files go in the user themes directory (``ztconsole config locate``), where a file may also replace a
shipped theme of the same name. A theme file holds ``name``, ``dark``, a ``[colors]`` table of Textual's
base colours and a ``[variables]`` table of the console's own variables (badges, row states). A broken
file is reported once, with its path and the key at fault, and skipped: the console falls back to the
default theme instead of failing.

The console's variables take their defaults from the default theme file, so every Textual theme
(``nord``, ``gruvbox`` ...) works too.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

__all__ = ["DEFAULT_THEME", "ThemeSet", "load_themes"]

DEFAULT_THEME = "ztconsole-dark"

_COLOR_KEYS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground",
               "background", "surface", "panel", "boost")
_TOP_KEYS = ("name", "dark", "colors", "variables")
# variables that hold a text style rather than a colour
_STYLE_VARIABLES = {"block-cursor-text-style", "footer-key-text-style"}


@dataclass(frozen=True)
class ThemeSet:
    """The themes that loaded, the console's variable defaults, and one message per broken file."""

    themes: tuple[Theme, ...]
    variable_defaults: dict[str, str]
    problems: tuple[str, ...]


def _shipped_files() -> list[tuple[str, str]]:
    folder = resources.files("ztconsole").joinpath("themes")
    return sorted((f"themes/{p.name}", p.read_text(encoding="utf-8"))
                  for p in folder.iterdir() if p.name.endswith(".toml"))


def _user_files(user_dir: Path | None) -> list[tuple[str, str]]:
    if user_dir is None or not user_dir.is_dir():
        return []
    out = []
    for path in sorted(user_dir.glob("*.toml")):
        try:
            out.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as e:
            out.append((str(path), f"\0{e}"))
    return out


def parse_theme(text: str, source: str) -> Theme:
    """One theme file to a Textual theme; ValueError names the file and the key at fault."""
    if text.startswith("\0"):
        raise ValueError(f"{source}: cannot read: {text[1:]}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{source}: {e}") from None
    for key in data:
        if key not in _TOP_KEYS:
            raise ValueError(f"{source}: unknown key {key!r} (a theme has {', '.join(_TOP_KEYS)})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{source}: 'name' must be a non-empty string")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError(f"{source}: 'dark' must be true or false")
    colors = data.get("colors", {})
    if not isinstance(colors, dict):
        raise ValueError(f"{source}: [colors] must be a table")
    if "primary" not in colors:
        raise ValueError(f"{source}: [colors] primary is required")
    for key, value in colors.items():
        if key not in _COLOR_KEYS:
            raise ValueError(f"{source}: [colors] unknown key {key!r} (known: {', '.join(_COLOR_KEYS)})")
        _check_color(source, f"[colors] {key}", value)
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{source}: [variables] must be a table")
    for key, value in variables.items():
        if key in _STYLE_VARIABLES:
            if not isinstance(value, str):
                raise ValueError(f"{source}: [variables] {key} must be a string")
        else:
            _check_color(source, f"[variables] {key}", value)
    return Theme(name=name.strip(), dark=dark, variables=dict(variables), **colors)


def _check_color(source: str, where: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{source}: {where} must be a colour string such as \"#4a90c8\"")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{source}: {where}: {value!r} is not a colour") from None


def load_themes(user_dir: Path | None = None) -> ThemeSet:
    """Every shipped theme, then the user's (a user theme replaces a shipped one of the same name)."""
    by_name: dict[str, Theme] = {}
    problems: list[str] = []
    for source, text in _shipped_files() + _user_files(user_dir):
        try:
            theme = parse_theme(text, source)
        except ValueError as e:
            problems.append(str(e))
            continue
        by_name[theme.name] = theme
    default = by_name.get(DEFAULT_THEME)
    if default is None:  # only when a user file named ztconsole-dark is broken and the shipped one too
        problems.append(f"the default theme {DEFAULT_THEME} is missing; using Textual's own")
        defaults: dict[str, str] = {}
    else:
        defaults = {k: v for k, v in default.variables.items() if k.startswith("badge-")}
    return ThemeSet(tuple(by_name.values()), defaults, tuple(problems))
