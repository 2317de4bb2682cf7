"""Network analysis: exact set algebra (:mod:`.sets`) and the Azure Firewall Policy rule book
(:mod:`.firewall`). Pure: no I/O, no SDK, no Textual."""

from __future__ import annotations

from .sets import AddressSet, IntervalSet, PortSet, ProtocolSet

__all__ = ["AddressSet", "IntervalSet", "PortSet", "ProtocolSet"]
