"""``ztconsole [SOURCE]``: the console on the demo, a tenant directory or a live tenant profile."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, TextIO

NAME = ""  # no command word: what ``ztconsole`` alone runs


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole.gcpause import gc_paused
    from ztconsole.ui import set_frame_rate

    set_frame_rate()  # before Textual is imported

    # Start-up makes a few hundred thousand objects that live as long as the console (modules, classes,
    # Textual's widgets): the cyclic garbage collector would walk them again and again before the first
    # frame (a tenth of the time to it). It is paused until the first frame is on screen, then what
    # start-up made is frozen out of its reach (gc_paused) and it runs again.
    with ExitStack() as starting:
        starting.enter_context(gc_paused())
        return _run(args, on_first_frame=starting.close)


def _run(args: argparse.Namespace, *, on_first_frame: Callable[[], object]) -> int:
    from ztconsole import config as cfgmod
    from ztconsole.commands.source import recording
    from ztconsole.paths import themes_dir

    cfg = cfgmod.load_config(args.config, env=os.environ)
    theme = args.theme or cfg.ui.theme
    rec = recording(args)
    source: Any
    if rec is not None:
        from ztconsole.sources.stack import RecordingSource

        source = RecordingSource(rec[0])
        badge = "DEMO" if rec[1] == "demo" else "OFFLINE"
    else:
        from ztconsole.sources.stack import LiveSource

        profile = cfg.profile(args.tenant)
        source = LiveSource(profile, break_glass=cfg.break_glass_for(profile))
        badge = "LIVE"
        theme = args.theme or profile.theme or cfg.ui.theme
    from ztconsole.commands.policy import bake_days
    from ztconsole.commands.source import source_args, threshold_values
    from ztconsole.ui.analysis import Analysis
    from ztconsole.ui.app import RolloutSettings, run_console

    declared = () if rec is not None else cfg.break_glass_for(profile)
    analysis = Analysis(thresholds=threshold_values(args), source_args=source_args(args), break_glass=declared)
    rollout = RolloutSettings(bake_days=bake_days(args), declared=tuple(declared), source_args=source_args(args),
                              recorded=rec is not None)
    # as policy and rollout apply: --write, or a live profile with read_only = false
    writes = bool(getattr(args, "console_write", False)) or (rec is None and not profile.read_only)

    # refresh re-reads a live tenant; a recording does not change by itself
    return run_console(source, badge=badge, read_only=not writes, theme=theme, user_themes=themes_dir(os.environ),
                       keymap=cfg.keymap, refresh_interval=cfg.ui.refresh_interval if badge == "LIVE" else None,
                       on_first_frame=on_first_frame, analysis=analysis, rollout=rollout)
