"""Themes as data: TOML files turned into Textual themes.

Shipped themes live in the top-level ``themes/`` folder (installed as ``ztconsole/themes``); a user's own
files go in the user themes directory (``ztconsole config locate``), where a file may also replace a
shipped theme of the same name. A theme file holds ``name``, ``dark``, a ``[colors]`` table of Textual's
base colours and a ``[variables]`` table of the console's own variables (badges, row states). A broken
file is reported once, with its path and the key at fault, and skipped: the console falls back to the
default theme instead of failing. The file's shape is a msgspec schema (``_ThemeFile``), checked by
:mod:`ztconsole.tomlschema`, so every problem in a file is reported at once with its line and key.

The console's variables take their defaults from the default theme file, so every Textual theme
(``nord``, ``gruvbox`` ...) works too.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta
from textual.color import Color, ColorParseError
from textual.theme import Theme

from ztconsole import tomlschema

__all__ = ["DEFAULT_THEME", "ThemeSet", "load_themes"]

DEFAULT_THEME = "ztconsole-dark"

# variables that hold a text style rather than a colour
_STYLE_VARIABLES = {"block-cursor-text-style", "footer-key-text-style"}

# --- the file's schema (checked by ztconsole.tomlschema); that colours parse is checked after it

_Colour = Annotated[str, Meta(extra={"expected": 'a colour string such as "#4a90c8"'})]


class _Colors(msgspec.Struct, forbid_unknown_fields=True):
    """``[colors]``: Textual's base colours."""

    primary: _Colour
    secondary: _Colour | None = None
    accent: _Colour | None = None
    warning: _Colour | None = None
    error: _Colour | None = None
    success: _Colour | None = None
    foreground: _Colour | None = None
    background: _Colour | None = None
    surface: _Colour | None = None
    panel: _Colour | None = None
    boost: _Colour | None = None


class _ThemeFile(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(pattern=r"\S", extra={"expected": "a non-empty string"})]
    colors: _Colors
    dark: Annotated[bool, Meta(extra={"expected": "true or false"})] = True
    variables: dict[str, _Colour] = {}  # the console's own (badges, row states) and Textual's


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
    """One theme file to a Textual theme; ValueError names the file, and the line and key of every problem
    (one line each)."""
    if text.startswith("\0"):
        raise ValueError(f"{source}: cannot read: {text[1:]}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{source}: {e}") from None
    report = tomlschema.validate(data, _ThemeFile)
    theme = report.value
    colors = tomlschema.given(theme.colors)
    for table, values in (("colors", colors), ("variables", theme.variables)):
        for key, value in values.items():
            if key in _STYLE_VARIABLES:
                continue
            try:
                Color.parse(value)
            except ColorParseError:
                where = tomlschema.label((table, key))
                report.add((table, key), f"{where}: {tomlschema.short(value)} is not a colour")
    if report.problems:
        raise ValueError("\n".join(found.sentence(quote_top=True) for found in report.locate(text, source)))
    return Theme(name=theme.name.strip(), dark=theme.dark, variables=dict(theme.variables), **colors)


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
