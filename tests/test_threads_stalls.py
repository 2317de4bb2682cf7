"""Workers that do not stall the event loop (ztconsole.threads): a shorter switch interval while one runs
(``responsive``), and a large structure freed in pieces (``release``) without changing anything else holds.
The stalls themselves are measured by ``benchmarks/bench_stalls.py`` (never timed here: a shared machine)."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import threading
import weakref
from typing import Any

import pytest

from ztconsole import threads
from ztconsole.demo import demo_dir
from ztconsole.engine.checks import CheckContext, run_all
from ztconsole.tenantdir import load_tenant
from ztconsole.threads import SWITCH_INTERVAL, release, responsive
from ztconsole.ui.analysis import Analysis


class Node:
    def __init__(self, *children: object) -> None:
        self.children = list(children)


@pytest.fixture
def switch_interval() -> object:
    was = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    sys.setswitchinterval(was)


def test_release_frees_in_pieces_what_only_it_holds_and_changes_nothing_shared() -> None:
    shared = Node("kept", Node("deep"))
    shared_list = [Node() for _ in range(10)]
    leaves = [Node(f"leaf {i}") for i in range(5000)]
    watched = [weakref.ref(n) for n in leaves[::500]]
    root = Node({"many": leaves, "shared": shared, "list": shared_list, "text": "x" * 10},
                (Node(Node(Node(shared))), [1, 2.5, "three"]), {frozenset({("a", 1)})})
    del leaves
    gone = weakref.ref(root)
    parts = [root]
    del root
    release(parts)
    assert parts == []
    assert gone() is None and all(w() is None for w in watched)  # freed (by reference counting: no collection)
    # what others hold is as it was
    assert shared.children[0] == "kept" and isinstance(shared.children[1], Node)
    assert shared.children[1].children == ["deep"]
    assert len(shared_list) == 10 and all(isinstance(n, Node) and n.children == [] for n in shared_list)


def test_release_leaves_reference_cycles_to_the_collector() -> None:
    a = Node()
    b = Node(a)
    a.children.append(b)
    gone = weakref.ref(a)
    parts: list[object] = [a, b]
    del a, b
    release(parts)
    gc.collect()
    assert gone() is None


def test_release_of_objects_held_elsewhere_only_drops_the_references() -> None:
    held: dict[str, Any] = {"k": [Node(), Node()], "n": Node("v")}
    before = repr(sorted(held))
    parts: list[object] = [held, held["k"]]
    release(parts)
    assert parts == [] and repr(sorted(held)) == before
    assert len(held["k"]) == 2 and isinstance(held["n"], Node) and held["n"].children == ["v"]


def test_release_of_the_checks_context_keeps_the_findings() -> None:
    tenant = load_tenant(demo_dir())
    parts = [CheckContext(tenant, source_args=("--demo",))]
    findings = [json.dumps(f.to_json()) for f in run_all(parts[0])]
    release(parts)
    again = [json.dumps(f.to_json()) for f in run_all(CheckContext(tenant, source_args=("--demo",)))]
    assert findings == again
    assert tenant.users and tenant.ca_policies  # the tenant the context read is untouched


@pytest.mark.usefixtures("switch_interval")
def test_responsive_shortens_the_switch_interval_while_a_worker_runs_and_restores_it() -> None:
    assert SWITCH_INTERVAL < 0.005
    with responsive():
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        with responsive():  # nested (a second worker)
            assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)  # the first one still runs
    assert sys.getswitchinterval() == pytest.approx(0.005)
    with responsive(0.01):  # never longer than the process's setting
        assert sys.getswitchinterval() == pytest.approx(0.005)
    assert sys.getswitchinterval() == pytest.approx(0.005)


@pytest.mark.usefixtures("switch_interval")
def test_responsive_from_threads_that_overlap_restores_the_setting_once_the_last_ends() -> None:
    started, go = threading.Barrier(4), threading.Event()

    def worker() -> None:
        with responsive():
            started.wait()
            go.wait(5)

    workers = [threading.Thread(target=worker) for _ in range(3)]
    for t in workers:
        t.start()
    started.wait()
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    go.set()
    for t in workers:
        t.join(5)
    assert sys.getswitchinterval() == pytest.approx(0.005)


@pytest.mark.usefixtures("switch_interval")
async def test_the_checks_run_responsive_free_their_context_and_restore_the_switch_interval(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    released: list[int] = []
    real = threads.release

    def spy(parts: list[object]) -> None:
        seen.append(sys.getswitchinterval())
        released.append(len(parts))
        real(parts)

    monkeypatch.setattr(threads, "release", spy)
    tenant = load_tenant(demo_dir())
    result = await Analysis(source_args=("--demo",)).assess(tenant)
    expected = run_all(CheckContext(tenant, source_args=("--demo",)))
    assert [json.dumps(f.to_json()) for f in result.findings] == [json.dumps(f.to_json()) for f in expected]
    for t in threading.enumerate():
        if t.name == "ztconsole-release":
            t.join(10)
    assert released == [1] and seen == [pytest.approx(SWITCH_INTERVAL)]
    await asyncio.sleep(0)
    assert sys.getswitchinterval() == pytest.approx(0.005)


async def test_the_sign_ins_made_again_show_the_same_rows_and_the_previous_ones_are_released(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import until
    from test_ui_pane_signins import SIZE, make_app, ready

    handed: list[list[int]] = []
    real = threads.release_in_background

    def spy(parts: list[Any]) -> None:
        handed.append([id(p) for p in parts])
        real(parts)

    monkeypatch.setattr(threads, "release_in_background", spy)
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        every = pane.table.shown_keys()
        pane.table.set_filter("status:failure")
        await until(lambda: pane.table.shown_count < len(every))
        failures = pane.table.shown_keys()
        first, entries, sign_ins = pane._all, pane._entries, pane.sign_ins
        assert first is not None and entries is not None
        handed.clear()
        pane.theme_changed()  # the log made into rows again (as a reload that brings new sign-ins does)
        await until(lambda: pane._all is not first)
        assert handed == [[id(first), id(entries), id(sign_ins)]]  # the previous rows: freed in a thread
        assert pane.table.shown_keys() == failures and pane.table.filter_query == "status:failure"
        assert [r.key for r in first.rows] == [r.key for r in pane._all.rows]  # what the test holds: intact
        pane.table.set_filter("")
        await until(lambda: pane.table.shown_count == len(every))
        assert pane.table.shown_keys() == every


async def test_the_filter_worker_shows_exactly_the_rows_a_plain_filter_keeps() -> None:
    from conftest import until
    from test_ui_pane_signins import SIZE, make_app, ready
    from ztconsole.ui.panes.signins import _order, build, entries, parse_query

    tenant = load_tenant(demo_dir())
    prepared, by_key = build(_order(tenant.sign_ins), {}, 9)
    found = entries(prepared.rows, by_key)
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        for text in ("status:failure", "teams", "country:nl,be -ca:notapplied", "ip:10.0.0.0/8", "zzz-none", ""):
            query = parse_query(text)
            want = [row.key for row, e in zip(prepared.rows, found, strict=True) if not query or query.matches(e)]
            pane.table.set_filter(text)
            await until(lambda w=want: pane.table.shown_keys() == w)  # type: ignore[misc]
            assert pane.table.filter_query == text
