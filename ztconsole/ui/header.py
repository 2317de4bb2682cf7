"""The header line: which tenant this is, where its data comes from, and whether writes are possible."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ztconsole.ui.safe import text

if TYPE_CHECKING:
    from ztconsole.tenantdir import TenantInfo

__all__ = ["BADGES", "TenantHeader"]

BADGES = ("DEMO", "OFFLINE", "LIVE")
"""Where the data comes from: the bundled demo, a tenant directory, the real tenant."""


class TenantHeader(Horizontal):
    """Tenant name (bold), tenant id, default domain and capture time (dim), then the badges."""

    def __init__(self, info: TenantInfo, *, badge: str, read_only: bool) -> None:
        super().__init__(id="header")
        self._info = info
        self._badge = badge
        self._read_only = read_only

    def show_info(self, info: TenantInfo) -> None:
        """The tenant's identity changed (a live tenant: once its organization has been read)."""
        if info != self._info:
            self._info = info
            self.refresh(recompose=True)

    def compose(self) -> ComposeResult:
        info = self._info
        yield Static(Text("ztconsole"), id="brand")
        yield Static(text(info.display_name or info.id), id="tenant-name")
        parts = [info.default_domain]
        if info.captured_at is not None:
            parts.append(f"captured {info.captured_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
        meta = text(info.id)
        for part in parts:
            if part:
                meta.append(" · ")
                meta.append_text(text(part))
        yield Static(meta, id="tenant-meta")
        yield Static(Text(self._badge), id="source-badge", classes=f"badge -{self._badge.lower()}")
        mode, mode_class = ("READ-ONLY", "-read-only") if self._read_only else ("WRITE", "-write")
        yield Static(Text(mode), id="mode-badge", classes=f"badge {mode_class}")
