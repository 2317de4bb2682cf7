"""The Rollout pane (``:rollout``): the ten steps and the selected one's plan; read-only, no apply anywhere; with
writes on, apply through the confirmation (which opens on Cancel), and the whole rollout walked in the UI on the
demo, the bake overridden with a reason where the guard refuses. The demo is a private copy served by the
source's own emulator (what the console writes is what it reads next); the rollout state and the audit log go
to a temporary state directory."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input

from conftest import copy_demo, until
from test_ui_first_screen import screen_text
from ztconsole.sources.stack import RecordingSource
from ztconsole.ui.app import ZtApp
from ztconsole.ui.commandbar import Flash
from ztconsole.ui.palette import ActionCommands
from ztconsole.ui.panes.rollout import READS, ConfirmApplyScreen, RolloutPane, bake_refusals, detail_text

SIZE = (150, 45)
STEP_IDS = ["preflight", "baseline", "inventory", "apps", "assign", "protect", "bake", "enforce", "tighten",
            "decommission"]


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


def make_app(tmp_path: Path, *, read_only: bool) -> ZtApp:
    return ZtApp(RecordingSource(copy_demo(tmp_path)), badge="DEMO", read_only=read_only, clock=lambda: 0.0)


async def open_rollout(app: ZtApp, pilot: Any) -> RolloutPane:
    await asyncio.wait_for(app.loaded.wait(), 60)
    await pilot.press("colon", *"rollout", "enter")
    await until(lambda: isinstance(app.screen, RolloutPane))
    pane = app.screen
    assert isinstance(pane, RolloutPane)
    await until(lambda: len(pane.steps) == 10 and not pane._computing, 60)
    await pilot.pause()
    return pane


def statuses(pane: RolloutPane) -> dict[str, str]:
    return {key: view.status.status for key, view in pane.steps.items()}


def test_the_pane_reads_what_the_rollout_command_reads() -> None:
    from ztconsole.commands.rollout import NOTES, USES

    assert set(READS) == set(USES) | {key for key, _ in NOTES}


async def test_read_only_shows_the_steps_and_offers_no_apply(tmp_path: Path, state_home: Path) -> None:
    app = make_app(tmp_path, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_rollout(app, pilot)
        assert list(pane.steps) == STEP_IDS
        shown = screen_text(app)
        for n in range(10):
            assert pane.table.row(STEP_IDS[n]) is not None
        assert "Preflight" in shown and "Decommission" in shown and "READ-ONLY" in shown
        assert pane.table.cursor_key == "preflight"  # the first step not done
        assert "would send: PATCH" in shown and "[allow] break-glass" in shown
        selected = pane.selected
        assert selected is not None
        plan = detail_text(app, selected, read_only=True).plain  # what the detail shows, unwrapped
        assert "would send: PATCH https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies/" in plan
        assert '"excludeUsers": [' in plan and "start the console with --write" in plan
        footer = shown.splitlines()[-1]
        assert "Apply" not in footer
        offered = [str(h.text) async for h in ActionCommands(app.screen).search("apply")]
        assert "Apply" not in offered
        discovered = [str(h.text) async for h in ActionCommands(app.screen).discover()]
        assert "Apply" not in discovered
        await pilot.press("a")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmApplyScreen) and pane.applying is None
        await pilot.press("colon", *"apply", "enter")
        await pilot.pause()
        assert "start with --write" in pane.query_one(Flash).message
        assert statuses(pane)["preflight"] == "ready"
    assert not state_home.exists() or not any(state_home.rglob("*.jsonl"))  # no audit record: nothing written
    assert not state_home.exists() or not any(state_home.rglob("*.toml"))  # no rollout state


async def confirm(app: ZtApp, pilot: Any, pane: RolloutPane, step: str, reason: str = "") -> None:
    """Move to ``step``, press a, check the dialog opened on Cancel, give the override reason if it asks for one
    (the confirming button disabled until then), and confirm."""
    while pane.table.cursor_key != step:
        here = STEP_IDS.index(pane.table.cursor_key or "preflight")
        await pilot.press("down" if here < STEP_IDS.index(step) else "up")
    await pilot.pause()
    await pilot.press("a")
    await until(lambda: isinstance(app.screen, ConfirmApplyScreen))
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ConfirmApplyScreen)
    assert dialog.focused is not None and dialog.focused.id == "cancel"  # a reflexive Enter cancels
    button = dialog.query_one("#apply", Button)
    if dialog.bake:
        assert button.disabled and "Override bake" in str(button.label)
        assert reason, f"step {step}: the bake guard refuses, a reason is needed"
        dialog.query_one("#override-reason", Input).focus()
        await pilot.press(*"   ")
        await pilot.pause()
        assert button.disabled  # blank is no reason
        await pilot.press(*reason)
        await pilot.pause()
        assert not button.disabled
    else:
        assert not button.disabled
    await pilot.click("#apply")
    await until(lambda: not isinstance(app.screen, ConfirmApplyScreen))


async def applied(app: ZtApp, pilot: Any, pane: RolloutPane, loads: int) -> None:
    """Wait for the apply, the store's re-read after it and the statuses computed from it."""
    await until(lambda: pane.applying is None and app.store.loads > loads and not app.store.loading, 60)
    await until(lambda: not pane._computing, 60)
    await pilot.pause(0.1)
    await until(lambda: not pane._computing, 60)


async def test_with_writes_step_0_is_applied_through_the_dialog(tmp_path: Path, state_home: Path) -> None:
    app = make_app(tmp_path, read_only=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_rollout(app, pilot)
        assert "Apply" in screen_text(app).splitlines()[-1]  # in the footer
        assert "Apply" in [str(h.text) async for h in ActionCommands(app.screen).search("apply")]
        # Enter on the dialog as it opens is Cancel: nothing written
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, ConfirmApplyScreen))
        await pilot.pause()
        await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, ConfirmApplyScreen))
        assert "not applied" in pane.query_one(Flash).message
        assert not (state_home / "ztconsole" / "audit.jsonl").exists()

        loads = app.store.loads
        await confirm(app, pilot, pane, "preflight")
        await applied(app, pilot, pane, loads)
        assert statuses(pane)["preflight"] == "done"
        assert statuses(pane)["baseline"] == "ready"
        assert pane.table.cursor_key == "baseline"  # on to the next step
    log = state_home / "ztconsole" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(r["action"], r["phase"], r["result"]) for r in records] == [
        ("rollout.preflight.update", "before", "pending"), ("rollout.preflight.update", "after", "ok")]


async def test_the_whole_rollout_walked_in_the_ui(tmp_path: Path, state_home: Path) -> None:
    app = make_app(tmp_path, read_only=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_rollout(app, pilot)
        overridden = []
        for step in STEP_IDS:
            view = pane.steps[step]
            assert view.plan is not None, (step, view.error)
            needs_reason = bool(bake_refusals(view.plan))
            if needs_reason:
                overridden.append(step)
            loads = app.store.loads
            await confirm(app, pilot, pane, step, reason="quick lab demo: baked elsewhere" if needs_reason else "")
            await applied(app, pilot, pane, loads)
            assert not pane.state_error and "applied" in pane.state_message, (step, pane.state_message)
        assert statuses(pane) == dict.fromkeys(STEP_IDS, "done")
        assert overridden == ["bake", "enforce"]
        # every pane reads what was written: the Private Access pane lists the apps step 3 created
        assert any(app_.display_name.startswith("ZTNA - ") for app_ in app.store.tenant.applications)  # type: ignore[union-attr]
    state = next((state_home / "ztconsole" / "rollout").glob("*.toml")).read_text(encoding="utf-8")
    assert "quick lab demo: baked elsewhere" in state  # q typed into the reason, not closing the dialog


async def test_the_pane_and_its_dialog_stay_ascii_where_the_theme_draws_ascii(
        tmp_path: Path, state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "linux")
    app = make_app(tmp_path, read_only=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_rollout(app, pilot)
        pane_text = screen_text(app)
        assert "-> ready" in pane_text and ". pending" in pane_text  # the ASCII marks, with the words
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, ConfirmApplyScreen))
        await pilot.pause()
        dialog_text = screen_text(app)
        assert "Cancel" in dialog_text
    for shown in (pane_text, dialog_text):
        assert shown.isascii(), [line for line in shown.splitlines() if not line.isascii()]


async def test_a_failed_apply_is_said_and_no_reload_runs_while_it_writes(
        tmp_path: Path, state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from ztconsole.ui.panes import rollout

    release = threading.Event()

    def failing_write(*_args: Any) -> Any:
        release.wait(30)
        raise RuntimeError("the tenant said no [bold]markup[/bold]")

    monkeypatch.setattr(rollout, "write_step", failing_write)
    app = make_app(tmp_path, read_only=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_rollout(app, pilot)
        loads = app.store.loads
        await confirm(app, pilot, pane, "preflight")
        await until(lambda: app.write_in_flight)
        assert "Applying step 0" in pane.state_message
        await pilot.press("r")  # the app's reload waits for the write
        await pilot.pause()
        assert app.store.loads == loads and not app.store.loading
        release.set()
        await applied(app, pilot, pane, loads)
        assert pane.state_error and "Step 0 (preflight) failed: RuntimeError" in pane.state_message
        assert "[bold]markup[/bold]" in screen_text(app)  # the tenant's words, shown literally
        assert pane.query_one(Flash).message.startswith("Step 0 (preflight) failed")
        assert statuses(pane)["preflight"] == "ready"  # nothing written; the steps still shown
        assert app.store.tenant is not None and app.store.tenant.ca_policies  # the other panes keep the tenant


def test_snapshot_rollout_pane(snap_compare: Any, tmp_path: Path, state_home: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Read-only, at 120x36: the steps with their marks, the first step not done selected, its plan."""
    from datetime import datetime

    from ztconsole.ui import header

    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))
    app = make_app(tmp_path, read_only=True)

    async def wait(pilot: Any) -> None:
        await open_rollout(app, pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=wait)


async def test_hostile_names_in_a_plan_are_shown_inert(tmp_path: Path, state_home: Path) -> None:
    """The policy step 0 changes is named with markup, escapes, a bidi override and 10,000 characters: the pane's
    plan and the confirmation show it as the text it is."""
    from conftest import HOSTILE_NAMES
    from ztconsole.datasets import BY_KEY

    root = copy_demo(tmp_path)
    path = root / BY_KEY["ca_policies"].file_path()
    items = json.loads(path.read_text(encoding="utf-8"))
    hostile = "[bold red]x[/] " + " ".join(HOSTILE_NAMES[1:4]) + " " + "L" * 10_000
    for p in items:
        if p["displayName"].startswith("CA001"):
            p["displayName"] = hostile
    path.write_text(json.dumps(items), encoding="utf-8")
    app = ZtApp(RecordingSource(root), badge="DEMO", read_only=False, clock=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_rollout(app, pilot)
        assert pane.table.cursor_key == "preflight"

        def inert() -> None:
            svg = app.export_screenshot()
            assert "\x1b" not in svg and "\u202e" not in svg and "\x07" not in svg
            assert "[bold red]x[/]" in screen_text(app)  # markup shown as the text it is

        inert()  # the plan in the pane
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, ConfirmApplyScreen))
        await pilot.pause()
        inert()  # the plan's summary in the confirmation
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmApplyScreen)
