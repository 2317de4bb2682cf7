"""The console's frame rate: 120 frames a second at most, unless the user set ``TEXTUAL_FPS``."""

from __future__ import annotations

import os
import subprocess
import sys

from ztconsole.ui import MAX_FPS, set_frame_rate


def test_the_console_frame_rate_is_set_unless_the_user_chose_one() -> None:
    env: dict[str, str] = {}
    set_frame_rate(env)
    assert env == {"TEXTUAL_FPS": str(MAX_FPS)} and MAX_FPS == 120
    chosen = {"TEXTUAL_FPS": "30"}
    set_frame_rate(chosen)
    assert chosen == {"TEXTUAL_FPS": "30"}


def test_textual_reads_it_when_the_console_starts() -> None:
    """Set before Textual is imported: its constant is what the console asked for."""
    code = ("import os; from ztconsole.ui import set_frame_rate; set_frame_rate();"
            "import textual.constants as c; print(c.MAX_FPS)")
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == str(MAX_FPS)
