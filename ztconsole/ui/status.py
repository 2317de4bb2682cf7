"""The console's vocabulary of states, and the one way panes colour them and pick their glyphs.

Declared once, so the data-set table, the load summary and every pane use the same words, marks, colours
and glyphs. Colours are theme variable names, looked up when drawn, so every theme (and a user's own)
decides how a failure looks; see ``themes/ztconsole-dark.toml`` for every variable.

For panes, two helpers, both reading the current theme's variables (pass the app, or its
``theme_variables``):

* :func:`style_for` ``(app_or_variables, kind, value) -> str``: the Rich style of a domain value, e.g.
  ``style_for(self.app, "policy", policy.state)``, ``style_for(self.app, "verdict", "deny")``,
  ``style_for(self.app, "risk", "high")``, ``style_for(self.app, "severity", "critical")``,
  ``style_for(self.app, "check", "fail")``, ``style_for(self.app, "load", "throttled")``. The kinds and
  their values are :data:`KINDS` (Graph's spellings are taken too: ``enabledForReportingButNotEnforced``,
  insider risk's ``minor``/``moderate``/``elevated``); the variable each value is drawn in is
  ``policy-enabled``, ``policy-report-only``, ``policy-disabled``, ``allow``, ``deny``, ``risk-none`` ...
  ``risk-high``, ``severity-critical`` ... ``severity-info``, ``status-pass`` ... ``status-error``
  (:data:`VARIABLES`). The failures a row must make stand out are bold. A value the console does not know
  (an enum value Graph added later) gets ``""``: shown plain, never an error. Always show the value's
  word too: colour is an aid, never the only signal (NO_COLOR, 16-colour terminals, colour blindness).
* :func:`glyph` ``(app_or_variables, name) -> str``: a glyph (:data:`GLYPHS`: ``"separator"`` ·,
  ``"breadcrumb"`` ›, ``"dash"`` —, ``"ellipsis"`` …, ``"arrow"`` →, ``"differs"`` ≠, ``"spinner"`` (its
  frames), ``"mark-<load status>"``, ``"check-pass"``/``-fail``/``-skip``) or its ASCII stand-in. A theme
  file asks for Unicode glyphs with ``unicode = true``; without it (and on a terminal that cannot show
  them, ``TERM=linux``) they are ASCII, so a plain terminal font shows the console whole. Text cut short
  ends in the theme's ellipsis through :func:`cut` (or the :class:`Cut` renderable), never Rich's
  ``overflow="ellipsis"`` or Textual's ``text-overflow: ellipsis`` (always "…").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from rich.measure import Measurement
from rich.text import Text
from textual.color import Color, ColorParseError

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

__all__ = ["BOLD", "FINAL", "Cut", "GLYPHS", "KINDS", "LOOKS", "SPINNER", "VARIABLES", "Look", "Status", "colour",
           "cut", "final", "glyph", "style", "style_for", "unicode_glyphs"]

Status = Literal["queued", "loading", "ok", "partial", "missing", "throttled", "forbidden", "failed"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
"""The frames a loading data set's mark cycles through (Unicode; ``glyph(app, "spinner")`` picks)."""


class Look(NamedTuple):
    """How a status is shown."""

    mark: str
    variable: str | None  # the theme variable of its colour; None: dimmed, no colour of its own
    bold: bool = False  # a failure the user has to act on: bold where a row shows it
    urgent: bool = False  # its message is shown at full strength, not dimmed
    counted: bool = True  # a count means something (nothing was read when it is False)
    ascii: str = ""  # the mark on a terminal without Unicode glyphs


LOOKS: dict[Status, Look] = {
    "queued": Look("·", None, counted=False, ascii="."),
    "loading": Look(SPINNER[0], "accent", counted=False, ascii="|"),
    "ok": Look("✓", "success", ascii="+"),
    "partial": Look("◐", "warning", ascii="~"),
    "missing": Look("○", None, counted=False, ascii="o"),
    "throttled": Look("⧗", "warning", urgent=True, counted=False, ascii="!"),
    "forbidden": Look("⊘", "error", bold=True, urgent=True, counted=False, ascii="#"),
    "failed": Look("✗", "error", bold=True, urgent=True, counted=False, ascii="x"),
}
"""Every status, in the order summaries list them."""

FINAL: tuple[Status, ...] = ("ok", "partial", "missing", "throttled", "forbidden", "failed")
"""The statuses a finished read can have."""


def final(status: str) -> Status:
    """A finished read's status; one this console does not know counts as failed."""
    return status if status in FINAL else "failed"


# --- domain values ------------------------------------------------------------------------------------

KINDS: dict[str, dict[str, str]] = {
    # a Conditional Access policy's state
    "policy": {"enabled": "policy-enabled", "reportonly": "policy-report-only",
               "enabledforreportingbutnotenforced": "policy-report-only", "disabled": "policy-disabled"},
    # what a rule, a policy or the engine decided for a flow or a sign-in
    "verdict": {"allow": "allow", "allowed": "allow", "grant": "allow", "granted": "allow",
                "deny": "deny", "denied": "deny", "block": "deny", "blocked": "deny"},
    # Entra ID Protection risk levels (and insider risk's names for them)
    "risk": {"none": "risk-none", "low": "risk-low", "medium": "risk-medium", "high": "risk-high",
             "minor": "risk-low", "moderate": "risk-medium", "elevated": "risk-high"},
    # a finding's severity (CONTRACTS: critical, high, medium, low, info)
    "severity": {"critical": "severity-critical", "high": "severity-high", "medium": "severity-medium",
                 "low": "severity-low", "info": "severity-info", "informational": "severity-info"},
    # a check's status
    "check": {"pass": "status-pass", "fail": "status-fail", "warn": "status-warn", "skip": "status-skip",
              "error": "status-error"},
}
"""Kind -> value (lower case, without ``-``, ``_`` or spaces) -> the theme variable it is drawn in.
``"load"`` (a data set's load status, :data:`LOOKS`) is a kind too."""

VARIABLES: tuple[str, ...] = tuple(dict.fromkeys(v for values in KINDS.values() for v in values.values()))
"""Every domain variable, each defined by every shipped theme (a user theme takes the missing ones from
the shipped theme of its kind, dark or light)."""

BOLD = frozenset({"deny", "risk-high", "severity-critical", "severity-high", "status-fail", "status-error"})
"""The domain variables drawn bold: what a row must make stand out."""


class _Themed(Protocol):
    @property
    def theme_variables(self) -> dict[str, str]: ...


def _variables(source: _Themed | Mapping[str, str]) -> Mapping[str, str]:
    return source if isinstance(source, Mapping) else source.theme_variables


@lru_cache(maxsize=512)
def _rich_colour(value: str) -> str:
    """A theme colour (any form Textual takes: ``#abc``, ``rgb(...)``, ``#rrggbbaa``) as a colour Rich
    takes; "" for one that is not a colour."""
    try:
        return Color.parse(value).hex6.lower()
    except ColorParseError:
        return ""


def _key(value: str) -> str:
    return value.replace("-", "").replace("_", "").replace(" ", "").lower()


def style_for(source: _Themed | Mapping[str, str], kind: str, value: str) -> str:
    """The Rich style of ``value`` of ``kind`` (see :data:`KINDS`, and ``"load"``) in the current theme;
    ``""`` for a value this console does not know. ValueError for an unknown kind (a bug)."""
    variables = _variables(source)
    if kind == "load":
        return style(value if value in LOOKS else "failed", variables)
    values = KINDS.get(kind)
    if values is None:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join([*KINDS, 'load'])}")
    variable = values.get(_key(value))
    if variable is None:
        return ""
    shown = _rich_colour(variables.get(variable, ""))
    return f"bold {shown}".strip() if variable in BOLD else shown


def colour(status: Status, variables: Mapping[str, str]) -> str:
    """The Rich style of ``status``'s colour in the current theme (``variables``: the app's
    ``theme_variables``)."""
    variable = LOOKS[status].variable
    return "dim" if variable is None else _rich_colour(variables.get(variable, ""))


def style(status: Status, variables: Mapping[str, str]) -> str:
    """:func:`colour`, bold for the failures a row must make stand out."""
    return f"bold {colour(status, variables)}".strip() if LOOKS[status].bold else colour(status, variables)


# --- glyphs -------------------------------------------------------------------------------------------

GLYPHS: dict[str, tuple[str, str]] = {
    "separator": ("·", "|"),  # between items on one line
    "breadcrumb": ("›", ">"),  # between the steps of a path
    "dash": ("—", "-"),  # before an aside; an empty value
    "ellipsis": ("…", "..."),  # text cut short, or something under way
    "arrow": ("→", "->"),  # from, to
    "differs": ("≠", "*"),  # marks what differs (one cell wide)
    "check-pass": ("✓", "+"),  # a check's status (warn and error are "!" and "?" everywhere)
    "check-fail": ("✗", "x"),
    "check-skip": ("–", "-"),
    "spinner": (SPINNER, "|/-\\"),  # a spinner's frames
    **{f"mark-{status}": (look.mark, look.ascii) for status, look in LOOKS.items()},
}
"""Name -> (Unicode glyph, ASCII stand-in)."""


def unicode_glyphs(source: _Themed | Mapping[str, str]) -> bool:
    """Whether the current theme asked for Unicode glyphs (theme variable ``glyphs = "unicode"``)."""
    return _variables(source).get("glyphs") == "unicode"


def glyph(source: _Themed | Mapping[str, str], name: str) -> str:
    """Glyph ``name`` (see :data:`GLYPHS`) as the current theme draws it: Unicode when it asked for it,
    else ASCII. KeyError for an unknown name (a bug)."""
    fancy, plain = GLYPHS[name]
    return fancy if unicode_glyphs(source) else plain


def cut(line: Text, width: int, source: _Themed | Mapping[str, str]) -> None:
    """Cut ``line`` (one line) to ``width`` cells in place, ending in the theme's ellipsis when it was
    longer (Rich's ``overflow="ellipsis"`` always draws "…", which a plain terminal font may not have)."""
    _cut(line, width, glyph(source, "ellipsis"))


def _cut(line: Text, width: int, ellipsis: str) -> None:
    if line.cell_len <= width:
        return
    if width <= len(ellipsis):
        line.truncate(width, overflow="crop")
        return
    spans = list(line.spans)
    line.truncate(width - len(ellipsis), overflow="crop")
    end = len(line)  # the first character cut away: the ellipsis is drawn in its styles, as Rich draws its own
    line.append(ellipsis)
    for span in spans:
        if span.start <= end < span.end:
            line.stylize(span.style, end, end + len(ellipsis))


class Cut:
    """A renderable: ``text``, each of its lines cut to the width it is drawn in and ending in the theme's
    ellipsis (:func:`cut`), where a Rich ``Text(..., no_wrap=True, overflow="ellipsis")`` would draw "…"
    whatever the theme."""

    def __init__(self, text: Text, source: _Themed | Mapping[str, str]) -> None:
        self.text = text
        self.ellipsis = glyph(source, "ellipsis")

    @property
    def plain(self) -> str:
        """The whole text, uncut."""
        return self.text.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self.text.split("\n", allow_blank=True)
        for line in lines:
            line.no_wrap, line.overflow = True, "crop"
            _cut(line, options.max_width, self.ellipsis)
        shown = Text("\n", style=self.text.style, no_wrap=True, overflow="crop").join(lines)
        shown.justify = self.text.justify
        yield shown

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((line.cell_len for line in self.text.split("\n", allow_blank=True)), default=0)
        return Measurement(min(1, widest), widest)
