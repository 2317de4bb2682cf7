"""Recording any source as a tenant directory (``ztconsole snapshot``).

The raw wire items are written as they arrive, one JSON array per file, one item per line (readable and
diff-friendly), so a snapshot of a large tenant never holds the whole log in memory. ``tenant.toml`` is
written last: a directory without it is visibly unfinished.

A snapshot never presents an incomplete read as complete (CONTRACTS §1 ``[datasets]``): pages are on disk
before the read ends, so :meth:`SnapshotWriter.finish` settles each data set by its final result: one
that ended failed, forbidden or throttled loses every file it streamed (an absent file would otherwise
read back as "none"), a partial one keeps what it read, and both are listed under ``[datasets]`` with
their status and message.

Nothing is written outside the output directory, whatever ids the tenant holds: an item-scoped file's
path is built from its parent's id (a Graph object id, an ARM resource id), so every path is checked
(its segments, then where it resolves) before it is created. An item whose path is unsafe is not
recorded: an issue names it and its data set is recorded as partial.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import MutableMapping
from datetime import UTC
from pathlib import Path
from typing import IO, Any

import tomli_w

from ztconsole.datasets import DATASETS, DataSet
from ztconsole.model.tenant import (
    MAX_ISSUES,
    RECORDED_STATUSES,
    DataSetResult,
    LoadIssue,
    TenantInfo,
    apply_recorded,
)
from ztconsole.tenantdir.reader import FORMAT_VERSION, inside

# statuses whose data set keeps no file at all: nothing it read may look like a complete answer
_NOTHING_KEPT = ("failed", "forbidden", "throttled")

_Part = tuple[str, str, str]  # (data set key, subscription id, parent id): one file


class SnapshotWriter:
    """A :class:`~ztconsole.sources.loader.Recorder` that writes a tenant directory.

    ``issues`` lists what could not be recorded (unsafe paths), at most ``MAX_ISSUES`` of them.
    """

    def __init__(self, out: Path):
        self.out = out
        self._real_out = os.path.realpath(out)
        self._open: dict[_Part, tuple[IO[str], list[int]]] = {}
        self._written: dict[str, list[Path]] = {}  # data set key -> the files written for it
        self._refused: set[_Part] = set()
        self._refusals: dict[str, tuple[int, str]] = {}  # data set key -> (files refused, first reason)
        self.issues: list[LoadIssue] = []
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
                    if (out / sub).is_symlink():  # rmtree refuses links: the link goes, not its target
                        (out / sub).unlink()
                    else:
                        shutil.rmtree(out / sub, ignore_errors=True)
                (out / "tenant.toml").unlink(missing_ok=True)
        out.mkdir(parents=True, exist_ok=True)

    # --- paths -----------------------------------------------------------------------------------
    def _target(self, ds: DataSet, sub: str, parent: str) -> Path | None:
        """Where this part of ``ds`` is written, or None (refused, with an issue) when that path would not
        be a file of the data set inside the output directory."""
        rel = ds.file_path(sub=sub, parent=parent)
        why = _unsafe(ds, sub, parent, rel)
        path = self.out / rel
        if why is None and not inside(os.path.realpath(path), self._real_out):
            why = f"{rel} resolves outside the snapshot directory (through a linked directory)"
        if why is not None:
            self._refuse(ds, sub, parent, why)
            return None
        return path

    def _refuse(self, ds: DataSet, sub: str, parent: str, why: str) -> None:
        self._refused.add((ds.key, sub, parent))
        count, first = self._refusals.get(ds.key, (0, why))
        self._refusals[ds.key] = (count + 1, first)
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(LoadIssue(ds.label, "", f"not recorded: {why}"))

    def _create(self, ds: DataSet, sub: str, parent: str) -> Path | None:
        """The checked path, with its directory made; None when refused."""
        if (ds.key, sub, parent) in self._refused:
            return None
        path = self._target(ds, sub, parent)
        if path is None:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # e.g. a name longer than the file system takes
            self._cannot_create(ds, sub, parent, path, e)
            return None
        self._written.setdefault(ds.key, []).append(path)
        return path

    def _cannot_create(self, ds: DataSet, sub: str, parent: str, path: Path, e: OSError) -> None:
        """A file that could not be created is refused like an unsafe one: its data set is partial."""
        if path in self._written.get(ds.key, ()):
            self._written[ds.key].remove(path)
        self._refuse(ds, sub, parent, f"{path.relative_to(self.out)} cannot be created: {e.strerror or e}")

    # --- Recorder --------------------------------------------------------------------------------
    def collection(self, ds: DataSet, sub: str, parent: str, items: list[Any], last: bool) -> None:
        part = (ds.key, sub, parent)
        entry = self._open.get(part)
        if entry is None:
            path = self._create(ds, sub, parent)
            if path is None:
                return
            try:
                fh: IO[str] = path.open("w", encoding="utf-8")
            except OSError as e:
                self._cannot_create(ds, sub, parent, path, e)
                return
            fh.write("[")
            entry = (fh, [0])
            self._open[part] = entry
        fh, count = entry
        for item in items:
            fh.write(",\n" if count[0] else "\n")
            fh.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            count[0] += 1
        if last:
            fh.write("\n]\n" if count[0] else "]\n")
            fh.close()
            del self._open[part]
            self.files += 1

    def single(self, ds: DataSet, sub: str, parent: str, obj: Any) -> None:
        path = self._create(ds, sub, parent)
        if path is None:
            return
        try:
            path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        except OSError as e:
            self._cannot_create(ds, sub, parent, path, e)
            return
        self.files += 1

    # --- the end ---------------------------------------------------------------------------------
    def finish(self, info: TenantInfo, results: MutableMapping[str, DataSetResult] | None = None) -> None:
        """Close anything left open, settle each data set by its final result, write ``tenant.toml``.

        ``results`` (the loader's, by data set key) decide what stays: a data set that ended failed,
        forbidden or throttled loses every file it streamed here; a partial one keeps what it read; both
        are listed under ``[datasets]``. A data set some of whose files this writer refused (unsafe
        paths) is recorded partial, and its entry in ``results`` replaced by the partial result, so that
        the caller reports it as well. Without ``results`` the statuses the source was itself recorded
        with (``info.recorded``) are carried on, with the writer's own refusals.
        """
        for fh, count in self._open.values():
            fh.write("\n]\n" if count[0] else "]\n")
            fh.close()
            self.files += 1
        self._open.clear()
        if results is None:
            settled = [DataSetResult(key, status, None, message=message)
                       for key, status, message in info.recorded]
            settled += [DataSetResult(key, "ok", None) for key in self._refusals
                        if info.recorded_status(key) is None]
        else:
            settled = list(results.values())
        incomplete: dict[str, tuple[str, str]] = {}
        for res in settled:
            refused = self._refusals.get(res.key)
            if refused is not None:
                n_refused, first = refused
                res = apply_recorded(res, "partial", f"not recorded: {n_refused:,} file(s) with an unsafe path; "
                                                     f"first: {first}", label="also")
                if results is not None:
                    results[res.key] = res
            if res.status in _NOTHING_KEPT:
                self._discard(res.key)
            if res.status in RECORDED_STATUSES:
                incomplete[res.key] = (res.status, res.message)
        meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "tenant": {"id": info.id, "display_name": info.display_name,
                       "default_domain": info.default_domain},
            "azure": {"subscriptions": list(info.subscriptions)},
            "capture": {"source": info.source},
            "break_glass": {"accounts": list(info.break_glass)},
        }
        if info.captured_at is not None:
            meta["capture"]["captured_at"] = info.captured_at.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
        if incomplete:
            meta["datasets"] = {ds.label: {"status": incomplete[ds.key][0],
                                                 "message": incomplete[ds.key][1]}
                                for ds in DATASETS if ds.key in incomplete}
        toml = self.out / "tenant.toml"
        if toml.is_symlink():  # written here, never through a link
            toml.unlink()
        toml.write_text(tomli_w.dumps(meta), encoding="utf-8")

    def _discard(self, key: str) -> None:
        """Remove every file written for data set ``key``, and the directories that leaves empty."""
        for path in self._written.pop(key, []):
            if path.is_file():
                path.unlink()
                self.files -= 1
            folder = path.parent
            while folder != self.out and folder != folder.parent:
                try:
                    folder.rmdir()
                except OSError:  # not empty (or not ours to remove): the pruning stops here
                    break
                folder = folder.parent


def _unsafe(ds: DataSet, sub: str, parent: str, rel: str) -> str | None:
    """Why ``rel`` (the file of ``ds`` for ``sub``/``parent``) is not a path to write, or None.

    The ids come from the tenant: a Graph object id is one path segment, an ARM resource id a sequence of
    them; neither may make an empty, ``.`` or ``..`` segment, nor hold a NUL or a backslash."""
    what, value = ("parent id", parent) if parent else ("subscription id", sub)
    if ds.api == "graph" and "/" in parent:
        return f"{what} {value!r} holds '/' (a Graph object id is one path segment)"
    for seg in rel.split("/"):
        if seg in ("", ".", ".."):
            return f"{what} {value!r} makes {f'a {seg!r}' if seg else 'an empty'} path segment"
        if "\x00" in seg or "\\" in seg:
            return f"{what} {value!r} holds a {'NUL' if chr(0) in seg else 'backslash'}"
    return None
