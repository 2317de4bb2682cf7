"""The console's load against the same stack load run alone, and how fast a key is handled while it loads.

Issue #11, item 5. In one run, in alternation round by round (this machine is shared and noisy), each in a
fresh process:

* **the stack alone**: ``RecordingSource(DIR).load()`` in a thread of its own, as the console's store runs it
  (the built-in emulator in process, the real msgraph-sdk and azure-mgmt-network adapters, the loader);
* **the console**: ``ZtApp`` on the same tenant, headless (``run_async(headless=True)``, a 120x40 screen),
  started as ``ztconsole --tenant-dir DIR`` starts it (the collector paused until the first frame), timed
  from the start of its load (the store's ``reload``) to the app handling the store's ``Finished``;
  while it loads, and for a few seconds after, a thread standing in for the terminal driver's input thread
  posts a key (F12, bound in this benchmark to an action that only notes the time) every 30 to 70 ms, and
  each key's latency is the time from that post to the action running (the key goes the way every key
  goes: the app's queue, the focused table's, back up to the app's bindings).

Printed: the median load of each (wall clock and the process's CPU time over the load), the ratio
console / stack (target <= 1.15x) and that of the best run of each, the key latency p50 / p95 / max while
loading (target p95 <= 40 ms) and after, the CPU time the UI thread used while loading, and the load
thread's own CPU time in the console and alone (what sharing the interpreter costs the load). At the end of
each console run every row of the data-set table is checked against the store's final results (status and
count), so a faster console that shows less is caught.

    .venv/bin/python benchmarks/bench_console.py [--dir DIR] [--rounds N] [--after SECONDS]

``--dir DIR`` reuses (or generates into) a large tenant directory (else one is generated in a temporary
directory and removed). ``--tree TREE`` runs ztconsole from another checkout (e.g. the last commit:
``mkdir /tmp/before && git archive HEAD | tar -x -C /tmp/before``); ``--baseline TREE`` measures that
checkout too, in the same rounds.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

KEY = "f12"
SIZE = (120, 40)


# --- children ---------------------------------------------------------------------------------------


def _task_cpu(tid: int) -> float:
    """CPU seconds thread ``tid`` of this process has run (the scheduler's count)."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def child_stack(tenant_dir: str) -> dict[str, Any]:
    """Load the tenant through the stack in a thread, as the console's store does; nothing else runs."""
    from ztconsole.sources.stack import RecordingSource

    source = RecordingSource(Path(tenant_dir))
    out: dict[str, Any] = {}

    def load() -> None:
        out["tenant"] = source.load(on_start=lambda ds: None, on_result=lambda result: None)
        out["load_cpu"] = time.thread_time()

    cpu, started = time.process_time(), time.perf_counter()
    thread = threading.Thread(target=load, name="ztconsole-load", daemon=True)
    thread.start()
    thread.join()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tenant = out["tenant"]
    return {"seconds": seconds, "cpu": cpu, "load_cpu": out["load_cpu"],
            "items": sum(r.count for r in tenant.results.values()),
            "statuses": {k: (r.status, r.count) for k, r in tenant.results.items()}}


def child_console(tenant_dir: str, after: float) -> dict[str, Any]:
    """Run the console headless on the tenant, pressing the key while it loads and after."""
    import asyncio
    import random
    from contextlib import ExitStack

    from textual import events
    from textual.binding import Binding

    from ztconsole.gcpause import gc_paused
    from ztconsole.sources.stack import RecordingSource
    from ztconsole.ui.app import ZtApp
    from ztconsole.ui.datasets_view import DataSetTable
    from ztconsole.ui.status import LOOKS, final
    from ztconsole.ui.store import TenantStore

    presses: list[float] = []
    handled: list[float] = []
    marks: dict[str, float] = {}

    class BenchApp(ZtApp):
        BINDINGS = [Binding(KEY, "bench_ping", show=False)]

        def action_bench_ping(self) -> None:
            handled.append(time.perf_counter())

        def on_tenant_store_finished(self, message: TenantStore.Finished) -> None:
            if "finished" not in marks:
                marks["finished"] = time.perf_counter()
                marks["cpu_finished"] = time.process_time()
                marks["ui_cpu_finished"] = _task_cpu(threading.get_native_id())
            super().on_tenant_store_finished(message)

    stop = threading.Event()

    def press(app: BenchApp) -> None:
        """The terminal driver's input thread, as it were: a key every 30 to 70 ms."""
        rng = random.Random(11)
        while not stop.wait(rng.uniform(0.03, 0.07)):
            presses.append(time.perf_counter())
            app.post_message(events.Key(KEY, None))

    result: dict[str, Any] = {}

    async def drive(pilot: Any) -> None:
        app = pilot.app
        store = app.store
        while not store.loads:
            await asyncio.sleep(0.005)
        marks["cpu_started"] = time.process_time()
        marks["ui_cpu_started"] = _task_cpu(threading.get_native_id())
        presser = threading.Thread(target=press, args=(app,), name="bench-keys", daemon=True)
        presser.start()
        await asyncio.wait_for(store.loaded.wait(), 600)
        while "finished" not in marks:
            await asyncio.sleep(0.005)
        await asyncio.sleep(after)
        stop.set()
        presser.join()
        deadline = time.perf_counter() + 10
        while len(handled) < len(presses) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        await pilot.pause()
        table = app.query_one(DataSetTable)
        wrong = []
        for key, res in store.results.items():
            status = final(res.status)
            shown_status = table.get_cell(key, "status").plain
            shown_count = table.get_cell(key, "count").plain
            count = f"{res.count:,}" if res.count is not None and LOOKS[status].counted else ""
            if not shown_status.startswith(f"{LOOKS[status].mark} {status}") or shown_count != count:
                wrong.append((key, status, res.count, shown_status, shown_count))
        result.update(started=store._started_at, elapsed=store.elapsed, wrong=wrong,
                      statuses={k: (r.status, r.count) for k, r in store.results.items()},
                      items=sum(r.count for r in store.results.values()))
        app.exit()

    class TimedSource(RecordingSource):
        def load(self, **kwargs: Any) -> Any:
            try:
                return super().load(**kwargs)
            finally:
                marks["load_cpu"] = time.thread_time()  # the load thread's own CPU time

    with ExitStack() as starting:  # as `ztconsole --tenant-dir` starts the console
        starting.enter_context(gc_paused())
        app = BenchApp(TimedSource(Path(tenant_dir)), badge="OFFLINE", clock=time.perf_counter,
                       on_first_frame=starting.close)
        asyncio.run(app.run_async(headless=True, size=SIZE, auto_pilot=drive))
    if "started" not in result:
        raise SystemExit(f"the console ended before its load finished: {app.return_code}")
    started, finished = result["started"], marks["finished"]
    during, later = [], []
    for pressed, seen in zip(presses, handled):
        if started <= pressed < finished:
            during.append(seen - pressed)
        elif pressed >= finished + 0.3:  # what the load left queued has been handled by then
            later.append(seen - pressed)
    return {"seconds": finished - started, "elapsed": result["elapsed"],
            "cpu": marks["cpu_finished"] - marks["cpu_started"],
            "ui_cpu": marks["ui_cpu_finished"] - marks["ui_cpu_started"], "load_cpu": marks["load_cpu"],
            "during": during, "after": later, "lost": len(presses) - len(handled),
            "wrong": result["wrong"], "items": result["items"], "statuses": result["statuses"]}


# --- the parent -------------------------------------------------------------------------------------


def child(kind: str, tenant_dir: Path, tree: Path | None, *extra: str) -> dict[str, Any]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree.resolve())
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--dir", str(tenant_dir), *extra]
    out = subprocess.run(argv, capture_output=True, text=True, env=env,
                         cwd=str(tree.resolve()) if tree is not None else None)
    if out.returncode:
        sys.exit(f"benchmark child {kind} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return result


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def report(label: str, stacks: list[dict[str, Any]], consoles: list[dict[str, Any]]) -> None:
    med = statistics.median
    stack_s, console_s = med(s["seconds"] for s in stacks), med(c["seconds"] for c in consoles)
    stack_cpu, console_cpu = med(s["cpu"] for s in stacks), med(c["cpu"] for c in consoles)
    ratios = [c["seconds"] / s["seconds"] for s, c in zip(stacks, consoles)]
    during = [x for c in consoles for x in c["during"]]
    after = [x for c in consoles for x in c["after"]]
    print(f"\n== {label} ({len(consoles)} rounds; medians)")
    print(f"stack alone:   {stack_s:6.2f} s   (CPU {stack_cpu:5.2f} s)   runs: "
          + ", ".join(f"{s['seconds']:.2f}" for s in stacks))
    print(f"console load:  {console_s:6.2f} s   (CPU {console_cpu:5.2f} s)   runs: "
          + ", ".join(f"{c['seconds']:.2f}" for c in consoles))
    verdict = "met" if console_s / stack_s <= 1.15 else "MISSED"
    print(f"console / stack: {console_s / stack_s:.2f}x wall (per round: "
          + ", ".join(f"{r:.2f}" for r in ratios) + f"), {console_cpu / stack_cpu:.2f}x CPU; "
          f"target <= 1.15x: {verdict}")
    best = min(c["seconds"] for c in consoles) / min(s["seconds"] for s in stacks)
    best_cpu = min(c["cpu"] for c in consoles) / min(s["cpu"] for s in stacks)
    print(f"best of each: console / stack {best:.2f}x wall, {best_cpu:.2f}x CPU")
    print(f"UI thread CPU while loading: {med(c['ui_cpu'] for c in consoles):.2f} s; the load thread's own CPU: "
          f"{med(c['load_cpu'] for c in consoles):.2f} s in the console, {med(s['load_cpu'] for s in stacks):.2f} s "
          "alone")
    p95 = quantile(during, 0.95)
    print(f"key latency while loading ({len(during)} keys): p50 {ms(quantile(during, 0.5))}, p95 {ms(p95)}, "
          f"max {ms(max(during, default=float('nan')))}; target p95 <= 40 ms: "
          f"{'met' if p95 <= 0.040 else 'MISSED'}")
    print(f"key latency after the load ({len(after)} keys): p50 {ms(quantile(after, 0.5))}, "
          f"p95 {ms(quantile(after, 0.95))}, max {ms(max(after, default=float('nan')))}")
    lost = sum(c["lost"] for c in consoles)
    if lost:
        print(f"WARNING: {lost} key(s) never handled")
    for c in consoles:
        if c["wrong"]:
            print(f"WARNING: rows not showing the final status and count: {c['wrong']}")
    if any(c["statuses"] != stacks[0]["statuses"] for c in consoles):
        print("WARNING: the console's results differ from the stack's")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="a generated large tenant to reuse (else one is generated)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, each one stack load and one console (3)")
    ap.add_argument("--after", type=float, default=3.0, help="seconds of key presses after the load (3)")
    ap.add_argument("--tree", type=Path, help="run ztconsole from this checkout (default: this one)")
    ap.add_argument("--baseline", type=Path, metavar="TREE", help="also measure another checkout, in alternation")
    ap.add_argument("--child", choices=("stack", "console"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "stack":
        print(repr(child_stack(str(args.dir))))
        return 0
    if args.child == "console":
        print(repr(child_console(str(args.dir), args.after)))
        return 0
    work = args.dir or Path(tempfile.mkdtemp(prefix="ztc-console-"))
    try:
        if not (work / "tenant.toml").exists():
            subprocess.run([sys.executable, "-m", "ztconsole", "generate", "--out", str(work), "--scale", "large",
                            "--force"], check=True, stdout=subprocess.DEVNULL)
        trees: dict[str, Path | None] = {"this tree" if args.tree is None else str(args.tree): args.tree}
        if args.baseline is not None:
            trees = {f"baseline {args.baseline}": args.baseline, **trees}
        runs: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {label: ([], []) for label in trees}
        for round_no in range(1, args.rounds + 1):
            for label, tree in trees.items():
                runs[label][0].append(child("stack", work, tree))
                runs[label][1].append(child("console", work, tree, "--after", str(args.after)))
                print(f"  round {round_no}/{args.rounds} {label}: stack {runs[label][0][-1]['seconds']:.2f} s, "
                      f"console {runs[label][1][-1]['seconds']:.2f} s", file=sys.stderr)
        print(f"tenant: {work} ({runs[next(iter(runs))][0][0]['items']:,} items); load average "
              f"{os.getloadavg()[0]:.1f}")
        for label, (stacks, consoles) in runs.items():
            report(label, stacks, consoles)
        return 0
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
