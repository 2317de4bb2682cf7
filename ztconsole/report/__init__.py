"""The formats of ``ztconsole assess`` (CONTRACTS §2, §4): one :class:`~ztconsole.report.base.Assessment`
rendered as ``table`` (80 columns), ``json`` (exactly §4 plus §2's ``incomplete``), ``markdown``, ``junit``
(one testcase per finding) or ``sarif`` (2.1.0). Each format is a module with ``render(assessment) -> str``,
imported when asked for.

Tenant text (display names, UPNs, evidence that quotes them) is data in every format: the human formats clean
it of escape sequences and control characters (:func:`ztconsole.safetext.clean`) and Markdown escapes its
markup; JSON and SARIF escape control and bidirectional characters (:func:`ztconsole.safetext.dump_json`); XML
carries cleaned text, escaped by the serializer.

This package imports the engine and the model, never the commands, the console or the sources.
"""

from __future__ import annotations

import importlib

from ztconsole.report.base import Assessment, failing

__all__ = ["FORMATS", "Assessment", "failing", "render"]

FORMATS = ("table", "json", "markdown", "junit", "sarif")
_MODULES = {"table": "table", "json": "json_format", "markdown": "markdown", "junit": "junit", "sarif": "sarif"}


def render(fmt: str, assessment: Assessment) -> str:
    """``assessment`` in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in _MODULES:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    text: str = module.render(assessment)
    return text
