"""The console's panes, in the order the console offers them (and the number keys 1..9 pick them); the first
is the one it opens on.

A new pane is a :class:`~ztconsole.ui.panes.base.Pane` subclass in a module of this package, added to
:data:`CATALOGUE`. A pane's module is imported when the pane is first shown (a Textual mode made by its
:class:`PaneEntry`), so the console's first frame waits for the pane it opens on only; :data:`PANES` (the
classes) and :data:`ALIASES` import them all, on first use. Their ``:`` aliases are checked then: two panes
that claim one alias (or an alias that is a registry command such as ``:q``) stop the console, naming both.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from ztconsole.ui.panes.base import AliasTable, Pane, alias_table

__all__ = ["ALIASES", "CATALOGUE", "PANES", "Pane", "PaneEntry"]


@dataclass(frozen=True, slots=True)
class PaneEntry:
    """One pane of the console: its id (the mode's name, the class's ``ID``) and where its class is."""

    id: str
    module: str  # in this package
    name: str  # the class

    def load(self) -> type[Pane]:
        """The pane's class (its module imported now if it was not yet)."""
        cls = getattr(import_module(f"{__name__}.{self.module}"), self.name)
        if not (isinstance(cls, type) and issubclass(cls, Pane)) or cls.ID != self.id:
            raise TypeError(f"pane catalogue: {self.module}.{self.name} is not the pane {self.id!r}")
        return cls

    def __call__(self) -> Pane:
        """A new pane: what Textual calls to make the mode's screen when the pane is first shown."""
        return self.load()()


CATALOGUE: tuple[PaneEntry, ...] = (
    PaneEntry("overview", "overview", "OverviewPane"),
    PaneEntry("ca", "ca", "CaPane"),
    PaneEntry("pa", "access", "AccessPane"),
    PaneEntry("network", "network", "NetworkPane"),
    PaneEntry("breakglass", "breakglass", "BreakGlassPane"),
    PaneEntry("cae", "cae", "CaePane"),
    PaneEntry("findings", "findings", "FindingsPane"),
    PaneEntry("signins", "signins", "SignInsPane"),
    PaneEntry("data", "data", "DataPane"),
    PaneEntry("rollout", "rollout", "RolloutPane"),
)

if TYPE_CHECKING:
    PANES: tuple[type[Pane], ...]
    """Every pane's class, in catalogue order (imports every pane)."""
    ALIASES: AliasTable
    """Every pane alias, with its pane and the sub-view it opens."""


def __getattr__(name: str) -> object:
    """``PANES`` and ``ALIASES``, made on first use (they import every pane's module)."""
    if name == "PANES":
        value: object = tuple(entry.load() for entry in CATALOGUE)
    elif name == "ALIASES":
        panes = globals().get("PANES") or __getattr__("PANES")
        value = alias_table(panes)  # type: ignore[arg-type]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
