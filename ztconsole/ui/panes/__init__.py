"""The console's panes, in the order the console offers them (and the number keys 1..9 pick them); the first
is the one it opens on.

A new pane is a :class:`~ztconsole.ui.panes.base.Pane` subclass in a module of this package, added to
:data:`PANES`. Their ``:`` aliases are checked here, at import: two panes that claim one alias (or an alias
that is a registry command such as ``:q``) stop the console from starting, naming both.
"""

from __future__ import annotations

from ztconsole.ui.panes.access import AccessPane
from ztconsole.ui.panes.base import AliasTable, Pane, alias_table
from ztconsole.ui.panes.breakglass import BreakGlassPane
from ztconsole.ui.panes.ca import CaPane
from ztconsole.ui.panes.cae import CaePane
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.panes.findings import FindingsPane
from ztconsole.ui.panes.network import NetworkPane
from ztconsole.ui.panes.overview import OverviewPane
from ztconsole.ui.panes.signins import SignInsPane

__all__ = ["ALIASES", "PANES", "Pane"]

PANES: tuple[type[Pane], ...] = (OverviewPane, CaPane, AccessPane, NetworkPane, BreakGlassPane, CaePane, FindingsPane,
                                 SignInsPane, DataPane)

ALIASES: AliasTable = alias_table(PANES)
"""Every pane alias, with its pane and the sub-view it opens."""
