"""The bundled demo tenant ("Contoso") and the synthetic tenant generator.

Light on purpose: the console imports this at start-up, so the builders (``contoso``, ``synthetic``,
``wirebuild``) are imported only by whoever writes a tenant directory.
"""

from __future__ import annotations

from pathlib import Path

DEMO_CAPTURED_AT = "2026-11-22T10:00:00Z"


def demo_dir() -> Path:
    """The bundled demo tenant directory (package data ``ztconsole/data/demo``, beside the package's modules:
    the package is installed as files, never run from a zip)."""
    return Path(__file__).resolve().parent.parent / "data" / "demo"
