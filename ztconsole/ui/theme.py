"""The console's default look and the theme variables its stylesheet uses.

``ztconsole-dark`` is a low-glare dark theme for long sessions. The stylesheet only uses Textual's
standard variables plus the ones in :data:`VARIABLE_DEFAULTS` (badges, row states), whose defaults
apply under any theme, so every Textual theme works and a theme file can recolour them.
"""

from __future__ import annotations

from textual.theme import Theme

__all__ = ["DEFAULT_THEME", "VARIABLE_DEFAULTS", "ZTCONSOLE_DARK"]

DEFAULT_THEME = "ztconsole-dark"

VARIABLE_DEFAULTS: dict[str, str] = {
    "badge-demo": "#e0a526",  # amber: demo data, nothing here is real
    "badge-offline": "#4a90c8",  # steel blue: a recording on disk
    "badge-live": "#d64545",  # red: the real tenant
    "badge-read-only": "#3f8f5f",  # green: nothing can be written
    "badge-write": "#d64545",  # red: writes are possible
    "badge-foreground": "#10151b",
}

ZTCONSOLE_DARK = Theme(
    name=DEFAULT_THEME,
    primary="#4a90c8",
    secondary="#2f5f86",
    accent="#4fb3bf",
    warning="#e0a526",
    error="#e05561",
    success="#5bb374",
    foreground="#c9d1d9",
    background="#0e1217",
    surface="#141a21",
    panel="#1b232c",
    dark=True,
    variables={
        "footer-key-foreground": "#4fb3bf",
        "block-cursor-background": "#2a4a66",
        "block-cursor-foreground": "#e6edf3",
        "block-cursor-text-style": "none",
    },
)
