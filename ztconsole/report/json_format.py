"""``assess --format json``: exactly CONTRACTS §4, with §2's ``incomplete`` list (always present), written
with every control and bidirectional character escaped (:func:`ztconsole.safetext.dump_json`)."""

from __future__ import annotations

from ztconsole.report.base import Assessment
from ztconsole.safetext import dump_json

__all__ = ["render"]


def render(assessment: Assessment) -> str:
    return dump_json(assessment.to_json())
