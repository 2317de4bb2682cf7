"""Themes as data: TOML files turned into Textual themes.

Shipped themes live in the top-level ``themes/`` folder (installed as ``ztconsole/themes``): ``ztconsole-dark``
(the default for a live tenant), ``ztconsole-light``, ``ztconsole-high-contrast`` (black and white and the
terminal's 16 colours, ASCII glyphs: a Linux console, a projector, low vision), ``ztconsole-demo`` (violet:
what the demo and tenant directories open in, so a recording never looks like a live tenant) and
``ztconsole-production`` (a dark red frame, for the profiles of production tenants). A user's own files go
in the user themes directory (``ztconsole config locate``), where a file may also replace a shipped theme
of the same name.

A theme file holds ``name``, ``dark``, ``unicode`` (whether the console may draw Unicode glyphs such as
``✓`` and a braille spinner; without it, ASCII: see :func:`ztconsole.ui.status.glyph`), a ``[colors]``
table of Textual's base colours and a ``[variables]`` table of the console's own variables: the badges,
row states, and the domain colours panes draw states in (:data:`ztconsole.ui.status.VARIABLES`:
``policy-enabled``, ``deny``, ``risk-high``, ``severity-critical``, ``status-fail`` ...; panes use them
through :func:`ztconsole.ui.status.style_for`). Every shipped theme defines every one of them; a user
theme that leaves some (or a badge) out takes them from the shipped theme it replaces, else from
``ztconsole-dark`` (``ztconsole-light`` for a light theme).

A broken file is reported once, with its path and the key at fault, and skipped: the console falls back
to the default theme instead of failing. The file's shape is a msgspec schema (``_ThemeFile``), checked
by :mod:`ztconsole.tomlschema`, so every problem in a file is reported at once with its line and key.

The console's variables take their defaults from the default theme file, so every Textual theme
(``nord``, ``gruvbox`` ...) works too (with ASCII glyphs: it did not ask for Unicode ones). On a
terminal whose font has no such glyphs (``TERM=linux``, the kernel's console) every theme draws ASCII.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta
from textual.color import Color, ColorParseError
from textual.theme import Theme

from ztconsole import tomlschema
from ztconsole.ui.safe import clean
from ztconsole.ui.status import VARIABLES

__all__ = ["DEFAULT_THEME", "DEMO_THEME", "HIGH_CONTRAST_THEME", "ThemeSet", "ascii_terminal", "first_theme",
           "load_themes", "parse_theme", "source_theme", "unknown_theme"]

DEFAULT_THEME = "ztconsole-dark"
"""The theme of a live tenant whose profile and config choose none."""

DEMO_THEME = "ztconsole-demo"
"""The theme of a recording (the demo, a tenant directory) when the user chose none."""

HIGH_CONTRAST_THEME = "ztconsole-high-contrast"

_LIGHT_BASE = "ztconsole-light"  # where a light user theme takes the domain variables it leaves out

_ASCII_TERMS = frozenset({"linux", "dumb", "vt100", "vt102", "vt220", "cons25"})
"""Terminals whose font has no glyphs beyond ASCII and a few line-drawing characters."""

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
    unicode: Annotated[bool, Meta(extra={"expected": "true or false"})] = False
    variables: dict[str, _Colour] = {}  # the console's own (badges, row states) and Textual's


@dataclass(frozen=True)
class ThemeSet:
    """The themes that loaded, the console's variable defaults, and one message per broken file."""

    themes: tuple[Theme, ...]
    variable_defaults: dict[str, str]
    problems: tuple[str, ...]


def _shipped_files() -> list[tuple[str, str]]:
    folder = Path(__file__).resolve().parent.parent / "themes"  # package data, installed as files
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
            if table == "variables" and key == "glyphs":
                report.add((table, key), f"{tomlschema.label((table, key))}: set `unicode = true` or "
                                         "`unicode = false` at the top of the file instead")
                continue
            try:
                Color.parse(value)
            except ColorParseError:
                where = tomlschema.label((table, key))
                report.add((table, key), f"{where}: {tomlschema.short(value)} is not a colour")
    if report.problems:
        raise ValueError("\n".join(found.sentence(quote_top=True) for found in report.locate(text, source)))
    variables = {**theme.variables, "glyphs": "unicode" if theme.unicode else "ascii"}
    return Theme(name=theme.name.strip(), dark=theme.dark, variables=variables, **colors)


def ascii_terminal(env: Mapping[str, str]) -> bool:
    """Whether the terminal's font lacks the Unicode glyphs themes may ask for (``TERM=linux`` ...)."""
    return env.get("TERM", "").lower() in _ASCII_TERMS


def source_theme(badge: str) -> str:
    """The theme a source opens in when the user chose none: recordings (DEMO, OFFLINE) look unlike a live
    tenant."""
    return DEFAULT_THEME if badge == "LIVE" else DEMO_THEME


def unknown_theme(name: str, available: Collection[str], fallback: str) -> str:
    """The warning for a theme name that matches no theme, with the nearest name."""
    hint = tomlschema.did_you_mean(name, available, list_valid=False)
    return f"Unknown theme {clean(name)!r}{f' ({hint})' if hint else ''}; using {fallback}."


def first_theme(chosen: str | None, badge: str, available: Collection[str]) -> tuple[str, str | None]:
    """The theme the console opens in, and a warning when ``chosen`` names no theme. ``chosen`` is the
    user's (the command line's ``--theme``, else the profile's ``theme``, else ``[ui] theme``); None, or
    an unknown name, gives the source's own (:func:`source_theme`)."""
    fallback = next((name for name in (source_theme(badge), DEFAULT_THEME) if name in available), "textual-dark")
    if chosen is None:
        return fallback, None
    if chosen in available:
        return chosen, None
    return fallback, unknown_theme(chosen, available, fallback)


def load_themes(user_dir: Path | None = None, *, env: Mapping[str, str] | None = None) -> ThemeSet:
    """Every shipped theme, then the user's (a user theme replaces a shipped one of the same name).
    ``env`` (default: the process environment) tells whether the terminal can draw Unicode glyphs."""
    by_name: dict[str, Theme] = {}
    problems: list[str] = []
    shipped = _shipped_files()
    for number, (source, text) in enumerate(shipped + _user_files(user_dir)):
        try:
            theme = parse_theme(text, source)
        except ValueError as e:
            problems.append(str(e))
            continue
        if number >= len(shipped):  # a user theme: what it leaves out, the theme it replaces or one like it has
            like = by_name.get(theme.name) or by_name.get(DEFAULT_THEME if theme.dark else _LIGHT_BASE)
            theme = _with_domain_defaults(theme, like)
        by_name[theme.name] = theme
    default = by_name.get(DEFAULT_THEME)
    if default is None:  # only when a user file named ztconsole-dark is broken and the shipped one too
        problems.append(f"the default theme {DEFAULT_THEME} is missing; using Textual's own")
        defaults: dict[str, str] = {}
    else:
        defaults = {k: v for k, v in default.variables.items() if k.startswith("badge-") or k in VARIABLES}
    defaults["glyphs"] = "ascii"  # Textual's own themes did not ask for Unicode glyphs
    if ascii_terminal(os.environ if env is None else env):
        by_name = {name: _ascii(theme) for name, theme in by_name.items()}
    return ThemeSet(tuple(by_name.values()), defaults, tuple(problems))


def _with_domain_defaults(theme: Theme, base: Theme | None) -> Theme:
    if base is None:
        return theme
    missing = {k: v for k, v in base.variables.items()
               if (k in VARIABLES or k.startswith("badge-")) and k not in theme.variables}
    if not missing:
        return theme
    return replace(theme, variables={**missing, **theme.variables})


def _ascii(theme: Theme) -> Theme:
    return replace(theme, variables={**theme.variables, "glyphs": "ascii"})
