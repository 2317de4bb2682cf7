"""The console's panes, in the order the console offers them; the first is the one it opens on.

A new pane is a :class:`~ztconsole.ui.panes.base.Pane` subclass in a module of this package, added to
:data:`PANES`.
"""

from __future__ import annotations

from ztconsole.ui.panes.base import Pane
from ztconsole.ui.panes.data import DataPane

__all__ = ["PANES", "Pane"]

PANES: tuple[type[Pane], ...] = (DataPane,)
