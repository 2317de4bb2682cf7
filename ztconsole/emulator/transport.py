"""Reaching the emulator in process: an httpx transport over the ASGI app, with the real service URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .faults import ConnectionResetFault

if TYPE_CHECKING:
    from .app import Emulator


class EmulatorTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=EmulatorTransport(emu))``: requests to any host reach the emulator.

    A ``reset`` fault surfaces as ``httpx.ReadError("Connection reset by peer")``, as a real reset does.
    """

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self._inner = httpx.ASGITransport(app=emulator.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionResetFault as e:
            raise httpx.ReadError("Connection reset by peer", request=request) from e

    async def aclose(self) -> None:
        await self._inner.aclose()
