"""The load statuses of a data set, each with its mark and the theme variable it is drawn in.

Declared once, so the data-set table, the load summary and every pane that shows a data set's state use
the same words, marks and colours. Colours are theme variable names, looked up when drawn
(:func:`colour`), so every theme (and a user's own) decides how a failure looks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["FINAL", "LOOKS", "SPINNER", "Look", "Status", "colour", "final", "style"]

Status = Literal["queued", "loading", "ok", "partial", "missing", "throttled", "forbidden", "failed"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
"""The frames a loading data set's mark cycles through."""


@dataclass(frozen=True, slots=True)
class Look:
    """How a status is shown."""

    mark: str
    variable: str | None  # the theme variable of its colour; None: dimmed, no colour of its own
    bold: bool = False  # a failure the user has to act on: bold where a row shows it
    urgent: bool = False  # its message is shown at full strength, not dimmed
    counted: bool = True  # a count means something (nothing was read when it is False)


LOOKS: dict[Status, Look] = {
    "queued": Look("·", None, counted=False),
    "loading": Look(SPINNER[0], "accent", counted=False),
    "ok": Look("✓", "success"),
    "partial": Look("◐", "warning"),
    "missing": Look("○", None, counted=False),
    "throttled": Look("⧗", "warning", urgent=True, counted=False),
    "forbidden": Look("⊘", "error", bold=True, urgent=True, counted=False),
    "failed": Look("✗", "error", bold=True, urgent=True, counted=False),
}
"""Every status, in the order summaries list them."""

FINAL: tuple[Status, ...] = ("ok", "partial", "missing", "throttled", "forbidden", "failed")
"""The statuses a finished read can have."""


def final(status: str) -> Status:
    """A finished read's status; one this console does not know counts as failed."""
    return status if status in FINAL else "failed"


def colour(status: Status, variables: Mapping[str, str]) -> str:
    """The Rich style of ``status``'s colour in the current theme (``variables``: the app's
    ``theme_variables``)."""
    variable = LOOKS[status].variable
    return "dim" if variable is None else variables.get(variable, "")


def style(status: Status, variables: Mapping[str, str]) -> str:
    """:func:`colour`, bold for the failures a row must make stand out."""
    return f"bold {colour(status, variables)}" if LOOKS[status].bold else colour(status, variables)
