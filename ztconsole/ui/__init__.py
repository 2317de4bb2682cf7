"""The Textual console, the only package that imports Textual (entry: ``ui.app.run_console``).

This module itself imports nothing: it holds what must be settled before Textual is imported.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = ["MAX_FPS", "set_frame_rate"]

MAX_FPS = 120
"""The most frames a second the console paints (Textual's ``TEXTUAL_FPS``; its default is 60). Textual paints
only what changed, and only when something did, on a timer of this rate: a key waits for the next tick, up to
one frame, before its answer is on screen. At 120 a key's answer is on screen within about 13 ms at p95 on a
50,000-row table (``benchmarks/bench_table.py``), against 19 ms at 60; what a screen at rest sends is the same."""


def set_frame_rate(env: MutableMapping[str, str] = os.environ) -> None:
    """Make :data:`MAX_FPS` Textual's frame rate, unless the user set ``TEXTUAL_FPS``; before Textual is
    imported (it reads the variable once, at import)."""
    env.setdefault("TEXTUAL_FPS", str(MAX_FPS))
