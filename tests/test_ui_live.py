"""The console on a live tenant: device-code sign-in shown in the console, the header filled in by the
tenant's own identity, and a real live read of ``ztconsole emulator`` on loopback."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from test_live_loopback import TOKEN, start_emulator
from test_ui_first_screen import SIZE, DataFirst, cell, screen_text
from ztconsole.config import parse_config
from ztconsole.datasets import BY_KEY
from ztconsole.demo import demo_dir
from ztconsole.model.tenant import TenantInfo
from ztconsole.sources.stack import LiveSource
from ztconsole.tenantdir import TenantDir
from ztconsole.ui.screens import SignInScreen

DEVICE_CODE = ("To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter "
               "the code K7Q2ZP9XM to authenticate.")


class SigningIn:
    """A live source whose sign-in asks the user, then reads two data sets from the demo."""

    def __init__(self) -> None:
        self.info = TenantInfo(id="", display_name="prod", source="live")
        self.on_device_code = None
        self.signed_in = threading.Event()
        self._demo = TenantDir.open(demo_dir())

    def load(self, *, on_start, on_result):
        self.on_device_code(DEVICE_CODE)
        assert self.signed_in.wait(10)
        self.info = self._demo.info
        for ds in (BY_KEY["ca_policies"], BY_KEY["users"]):
            on_start(ds)
            on_result(self._demo.read(ds))
        for ds in BY_KEY.values():
            if ds.key not in ("ca_policies", "users"):
                on_result(self._demo.read(ds))


async def test_device_code_is_shown_in_the_console_and_closes_when_data_arrives() -> None:
    source = SigningIn()
    app = DataFirst(source, badge="LIVE", clock=lambda: 0.0)  # the Data pane shown
    async with app.run_test(size=SIZE) as pilot:
        shown = ""
        for _ in range(100):  # until the dialog is painted (bounded: 5 s)
            await pilot.pause(0.05)
            shown = screen_text(app)
            if isinstance(app.screen, SignInScreen) and "K7Q2ZP9XM" in shown:
                break
        assert isinstance(app.screen, SignInScreen)
        assert "K7Q2ZP9XM" in shown and "https://microsoft.com/devicelogin" in shown
        assert "prod" in shown.splitlines()[0]
        source.signed_in.set()
        await app.loaded.wait()
        await pilot.pause()
        assert not isinstance(app.screen, SignInScreen)
        header = screen_text(app).splitlines()[0]
        assert "Contoso" in header and "LIVE" in header
        assert cell(app, "ca_policies", "status") == "✓ ok"


async def test_live_console_reads_the_loopback_emulator(tmp_path: Path, monkeypatch) -> None:
    demo = TenantDir.open(demo_dir()).info
    proc, base = start_emulator({**os.environ, "ZTCONSOLE_TOKEN": TOKEN})
    try:
        monkeypatch.setenv("ZTCONSOLE_TOKEN", TOKEN)
        subs = ", ".join(f'"{s}"' for s in demo.subscriptions)
        cfg = parse_config(f'[tenants.lab]\ncloud = "custom"\ngraph_url = "{base}"\narm_url = "{base}"\n'
                           f'auth = "static-token"\nsubscriptions = [{subs}]\n', "config.toml")
        profile = cfg.profile("lab")
        source = LiveSource(profile, break_glass=demo.break_glass, signin_days=36500)
        app = DataFirst(source, badge="LIVE", clock=lambda: 0.0)  # the Data pane shown
        async with app.run_test(size=SIZE) as pilot:
            await app.loaded.wait()
            await pilot.pause()
            header = screen_text(app).splitlines()[0]
            assert "Contoso" in header and demo.id in header and "LIVE" in header
            assert cell(app, "ca_policies", "count") == "27"
            assert cell(app, "nsgs", "status") == "✓ ok"
            assert "44 data sets: 44 ok" in screen_text(app)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
