"""How long the console's event loop stalls while its worker threads run, against the same loop idle.

The console's workers hold the interpreter (the GIL) while they run, and a key pressed meanwhile waits
for the loop to get it back:

* **checks**: :meth:`ztconsole.ui.analysis.Analysis.assess` on the large generated tenant (every check of the
  catalogue and the maturity, in a daemon thread, as every findings pane asks for them once per load);
* **filter**: the Sign-ins pane's ``/`` filter over the large tenant's 100,000 sign-ins (the worker that
  reads each sign-in's fields and keeps the rows matching, then the table taking them on the loop), for
  ``first`` (the first filter of a load: it also makes what the filter reads of each row) and ``next`` (a
  filter after that), over the queries of ``QUERIES`` in turn, and ``clear`` (back to every row);
* **rebuild**: the Sign-ins pane making the 100,000 sign-ins into rows again (what a reload that brings new
  sign-ins or a theme switch does), the rows of the previous load dropped.

The console runs headless (``run_test``, a 120x40 screen) with the Sign-ins pane on the large tenant. A task
on its loop sleeps 1 ms again and again and records how late it wakes (the lag: what a key or a frame
waits for the loop); the lag is measured with no worker running (``idle``) and while each worker runs, in
alternation, ``--rounds`` rounds, in the same run (the machine is shared and noisy: compare the columns of
one run, never figures of different runs). Printed per case: the lag's p50, p99 and max over every round,
the worst round's p99 and max, and the worker's median wall time (from starting it to its result on the
loop; the lag of the checks and of a rebuild counts the half second after their result too, while what
they dropped is freed).
Each case is measured ``before`` too (the workers as they were: the default switch interval, a large
structure freed at once where it is dropped; ``--no-before`` skips them), in alternation with the code as
it is. Target: p99 <= 16 ms (a 60 Hz frame) while a worker runs.

The results must not change when only speed does: the last lines give a digest of the findings and of the
keys of the rows each filter shows.

    .venv/bin/python benchmarks/bench_stalls.py [--dir DIR] [--rounds 5]
    [--only checks,filter,rebuild] [--switch SECONDS] [--no-before]

``--dir DIR`` reuses (or generates into) a large tenant directory (else one is generated in a temporary
directory and removed). ``--switch`` sets ``sys.setswitchinterval`` for the whole run (to compare with the
console's own setting).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SIZE = (120, 40)
TICK = 0.001
IDLE_SECONDS = 1.0
QUERIES = ("status:failure", "teams", "country:nl,be -ca:notapplied", "user:mia", "")


class Probe:
    """A task on the loop that sleeps ``TICK`` again and again, recording how late each wake-up is."""

    def __init__(self) -> None:
        self.lags: list[float] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        clock = time.perf_counter
        while True:
            started = clock()
            await asyncio.sleep(TICK)
            if self.lags is not None:
                self.lags.append(clock() - started - TICK)

    async def during(self, work: Callable[[], Awaitable[Any]]) -> tuple[list[float], float, Any]:
        """(the lags while ``work`` runs, its wall seconds, its result)."""
        await asyncio.sleep(0.05)  # one tick first: the lag of a tick begun before is not counted
        self.lags = []
        started = time.perf_counter()
        out = await work()
        seconds = time.perf_counter() - started
        lags, self.lags = self.lags, None
        return lags, seconds, out

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def findings_digest(assessment: Any) -> str:
    import json

    doc = {"findings": [f.to_json() for f in assessment.findings],
           "maturity": {k: v.to_json() for k, v in assessment.maturity.items()}}
    return f"{len(assessment.findings)} findings, digest " \
        f"{hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:12]}"


def keys_digest(keys: list[str]) -> str:
    return f"{len(keys):,} rows, digest {hashlib.sha256(chr(0).join(keys).encode()).hexdigest()[:12]}"


class Before:
    """The workers as they were before ``bench_stalls.py`` (its ``before`` cases), or as they are."""

    def __init__(self) -> None:
        import ztconsole.threads
        import ztconsole.ui.analysis

        self.threads: Any = ztconsole.threads
        self.analysis: Any = ztconsole.ui.analysis
        self.interval, self.release = self.threads.SWITCH_INTERVAL, self.threads.release_in_background

    def __call__(self, before: bool) -> None:
        self.threads.SWITCH_INTERVAL = sys.getswitchinterval() if before else self.interval
        # before: freed at once, where it was dropped
        self.analysis.release_in_background = self.threads.release_in_background = \
            list.clear if before else self.release


async def bench(tenant_dir: Path, rounds: int, only: set[str], modes: tuple[bool, ...]) -> dict[str, Any]:
    from ztconsole.tenantdir import TenantDir, load_tenant
    from ztconsole.ui.analysis import Analysis
    from ztconsole.ui.app import ZtApp
    from ztconsole.ui.panes.signins import SignInsPane
    from ztconsole.ui.vtable import PreparedRows

    shown = asyncio.Event()

    class Pane(SignInsPane):
        def _show(self, rows: PreparedRows, found: Any = None) -> None:
            super()._show(rows, found)
            shown.set()

    class BenchApp(ZtApp):
        PANES = (Pane,)

    full = load_tenant(tenant_dir) if "checks" in only else None
    app = BenchApp(TenantDir.open(tenant_dir), badge="DEMO")
    lags: dict[str, list[float]] = {}
    worst: dict[str, list[tuple[float, float]]] = {}
    seconds: dict[str, list[float]] = {}
    digests: dict[str, set[str]] = {}

    def keep(case: str, got: list[float], wall: float | None = None) -> None:
        lags.setdefault(case, []).extend(got)
        worst.setdefault(case, []).append((pct(got, 0.99), max(got, default=0.0)))
        if wall is not None:
            seconds.setdefault(case, []).append(wall)

    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 120)
        pane = app.screen
        assert isinstance(pane, Pane)
        deadline = time.monotonic() + 120
        while pane._all is None:
            assert time.monotonic() < deadline, "the sign-ins never arrived"
            await asyncio.sleep(0.05)
        await pilot.pause()
        print(f"{len(pane._all.rows):,} sign-ins in the pane", flush=True)
        probe = Probe()
        probe.start()

        async def idle() -> None:
            await asyncio.sleep(IDLE_SECONDS)

        async def checks() -> tuple[Any, float]:
            """The checks, and the next half second: what they made is freed after the result."""
            assert full is not None
            started = time.perf_counter()
            assessment = await Analysis().assess(full)
            wall = time.perf_counter() - started
            await asyncio.sleep(0.5)
            return assessment, wall

        async def apply(query: str) -> list[str]:
            if pane.table.filter_query == query.strip():
                return pane.table.shown_keys()
            shown.clear()
            pane.table.set_filter(query)
            await shown.wait()
            return pane.table.shown_keys()

        async def rebuild() -> list[str]:
            """The log made into rows again (a reload that brings new sign-ins, a theme switch), and the
            rows of the previous load dropped, then half a second (they are freed after the swap)."""
            shown.clear()
            pane._build(pane._tenant, dict(app.theme_variables), pane.table.filter_query)
            await shown.wait()
            keys = pane.table.shown_keys()
            await asyncio.sleep(0.5)
            return keys

        set_before = Before()
        for r in range(rounds):
            for before in modes if r % 2 == 0 else modes[::-1]:
                set_before(before)
                tag = " (before)" if before else ""
                gc.collect()
                got, _, _ = await probe.during(idle)
                keep("idle", got)
                if "checks" in only:
                    gc.collect()
                    got, _, (assessment, wall) = await probe.during(checks)
                    keep("checks" + tag, got, wall)
                    digests.setdefault("checks", set()).add(findings_digest(assessment))
                    del assessment
                if "filter" in only:
                    for i, query in enumerate(QUERIES):
                        await apply(QUERIES[0] if not query else "")
                        await pilot.pause()
                        gc.collect()
                        if i == 0:
                            pane._entries = None  # the first filter of a load: makes what the filter reads
                        case = ("filter first" if i == 0 else "filter next" if query else "filter clear") + tag
                        got, wall, keys = await probe.during(lambda q=query: apply(q))  # type: ignore[misc]
                        keep(case, got, wall)
                        digests.setdefault(f"filter {query!r}", set()).add(keys_digest(keys))
                if "rebuild" in only:
                    await apply("")
                    await pilot.pause()
                    gc.collect()
                    got, wall, keys = await probe.during(rebuild)
                    keep("rebuild" + tag, got, wall)
                    digests.setdefault("rebuild", set()).add(keys_digest(keys))
                got, _, _ = await probe.during(idle)
                keep("idle", got)
            print(f"round {r + 1} of {rounds} done", flush=True)
        probe.stop()
        await apply("")
    return {"lags": lags, "worst": worst, "seconds": seconds, "digests": digests}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a large tenant directory (generated there if missing)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="checks,filter,rebuild", help="comma-separated: checks, filter, rebuild")
    ap.add_argument("--switch", type=float, help="sys.setswitchinterval for the whole run (seconds)")
    ap.add_argument("--no-before", action="store_true",
                    help="skip the 'before' cases (the workers as they were: no shorter switch interval, the "
                         "checks' context freed in one go)")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="ztc-stalls-"))
    try:
        if not (root / "tenant.toml").exists():
            print(f"generating the large tenant in {root} ...", flush=True)
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(root), "--scale", "large",
                            "--force"], check=True, stdout=subprocess.DEVNULL)
        if args.switch is not None:
            sys.setswitchinterval(args.switch)
        modes = (False,) if args.no_before else (True, False)
        out = asyncio.run(bench(root, args.rounds, set(args.only.split(",")), modes))
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nevent-loop lag (a {TICK * 1000:.0f} ms sleep's late wake-up), {args.rounds} rounds in alternation; "
          f"switch interval {sys.getswitchinterval() * 1000:g} ms")
    print(f"{'case':22} {'ticks':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'worst p99':>10} {'worst max':>10}"
          f" {'p99/idle':>9} {'work s':>7}")
    idle_p99 = pct(out["lags"]["idle"], 0.99) or 1e-6
    for case, got in out["lags"].items():
        w = out["worst"][case]
        secs = out["seconds"].get(case)
        print(f"{case:22} {len(got):6} {pct(got, 0.5) * 1000:7.2f} {pct(got, 0.99) * 1000:7.2f} "
              f"{max(got) * 1000:7.2f} {max(x[0] for x in w) * 1000:10.2f} {max(x[1] for x in w) * 1000:10.2f} "
              f"{pct(got, 0.99) / idle_p99:8.1f}x {statistics.median(secs) if secs else 0.0:7.3f}")
    print("target: p99 <= 16 ms while a worker runs")
    for what, found in out["digests"].items():
        print(f"{what}: {' / '.join(sorted(found))}{'' if len(found) == 1 else '  (DIFFERS between rounds)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
