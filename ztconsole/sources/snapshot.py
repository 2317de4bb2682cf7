"""Recording any source as a tenant directory (``ztconsole snapshot``).

The raw wire items are written as they arrive, one JSON array per file, one item per line (readable and
diff-friendly), so a snapshot of a large tenant never holds the whole log in memory. ``tenant.toml`` is
written last: a directory without it is visibly unfinished.
"""

from __future__ import annotations

import json
import shutil
from datetime import timezone
from pathlib import Path
from typing import IO, Any

import tomli_w

from ztconsole.datasets import DataSet
from ztconsole.model.tenant import TenantInfo
from ztconsole.tenantdir.reader import FORMAT_VERSION


class SnapshotWriter:
    """A :class:`~ztconsole.sources.loader.Recorder` that writes a tenant directory."""

    def __init__(self, out: Path):
        self.out = out
        self._open: dict[str, tuple[IO[str], list[int]]] = {}
        self.files = 0

    @staticmethod
    def prepare(out: Path, *, force: bool = False) -> None:
        """Refuse to write into a non-empty directory unless it is a tenant directory or ``force``."""
        if out.exists():
            if not out.is_dir():
                raise FileExistsError(f"{out} exists and is not a directory")
            if any(out.iterdir()):
                if not (out / "tenant.toml").is_file() and not force:
                    raise FileExistsError(f"{out} is not empty and is not a tenant directory "
                                          "(use --force to write into it)")
                for sub in ("graph", "arm"):
                    shutil.rmtree(out / sub, ignore_errors=True)
                (out / "tenant.toml").unlink(missing_ok=True)
        out.mkdir(parents=True, exist_ok=True)

    def _path(self, ds: DataSet, sub: str, parent: str) -> Path:
        return self.out / ds.file_path(sub=sub, parent=parent)

    def collection(self, ds: DataSet, sub: str, parent: str, items: list[Any], last: bool) -> None:
        path = self._path(ds, sub, parent)
        key = str(path)
        entry = self._open.get(key)
        if entry is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = path.open("w", encoding="utf-8")
            fh.write("[")
            entry = (fh, [0])
            self._open[key] = entry
        fh, count = entry
        for item in items:
            fh.write(",\n" if count[0] else "\n")
            fh.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            count[0] += 1
        if last:
            fh.write("\n]\n" if count[0] else "]\n")
            fh.close()
            del self._open[key]
            self.files += 1

    def single(self, ds: DataSet, sub: str, parent: str, obj: Any) -> None:
        path = self._path(ds, sub, parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.files += 1

    def finish(self, info: TenantInfo) -> None:
        """Close anything left open and write ``tenant.toml``."""
        for fh, count in self._open.values():
            fh.write("\n]\n" if count[0] else "]\n")
            fh.close()
        self._open.clear()
        meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "tenant": {"id": info.id, "display_name": info.display_name,
                       "default_domain": info.default_domain},
            "azure": {"subscriptions": list(info.subscriptions)},
            "capture": {"source": info.source},
            "break_glass": {"accounts": list(info.break_glass)},
        }
        if info.captured_at is not None:
            meta["capture"]["captured_at"] = info.captured_at.astimezone(timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
        (self.out / "tenant.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
