"""Themes and the header: shipped themes with every domain colour, readable on 16 colours and without
colour, ASCII glyphs where the theme or the terminal asks for them, the theme each source and profile
opens in, the session's theme switch, and the header's badges, last refresh and throttling."""

from __future__ import annotations

import io
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem

from test_ui_first_screen import DataFirst, GatedSource, cell, loaded, screen_text, write_tenant
from ztconsole.datasets import DataSet
from ztconsole.tenantdir import DataSetResult, TenantDir
from ztconsole.ui import header
from ztconsole.ui.app import ZtApp
from ztconsole.ui.status import GLYPHS, KINDS, VARIABLES, glyph, style_for
from ztconsole.ui.theme import (
    DEFAULT_THEME,
    DEMO_THEME,
    HIGH_CONTRAST_THEME,
    first_theme,
    load_themes,
    source_theme,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("ztconsole-dark", "ztconsole-light", "ztconsole-production", "ztconsole-demo", "ztconsole-high-contrast")
BADGE_VARIABLES = ("badge-demo", "badge-offline", "badge-live", "badge-read-only", "badge-write", "badge-throttled",
                   "badge-foreground")
NOON = datetime(2026, 11, 22, 12, 4, 31)


@pytest.fixture
def tenant_dir(tmp_path: Path) -> Path:
    return write_tenant(tmp_path / "tenant")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: NOON)


def shipped() -> dict[str, Any]:
    return {t.name: t for t in load_themes(None, env={}).themes}


def make(path: Path, **kwargs: Any) -> ZtApp:
    kwargs.setdefault("badge", "DEMO")
    return DataFirst(TenantDir.open(path), clock=lambda: 0.0, **kwargs)


def header_line(app: ZtApp) -> str:
    return screen_text(app).splitlines()[0]


# --- the shipped themes ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_theme_loads_with_every_domain_variable(name: str) -> None:
    loaded_themes = load_themes(None, env={})
    assert loaded_themes.problems == ()
    theme = shipped()[name]
    raw = tomllib.loads((ROOT / "themes" / f"{name}.toml").read_text(encoding="utf-8"))
    missing = [v for v in (*VARIABLES, *BADGE_VARIABLES) if v not in raw.get("variables", {})]
    assert not missing, f"{name} leaves out {missing}"  # in the file itself, not only filled in
    assert theme.variables["glyphs"] == ("ascii" if name == HIGH_CONTRAST_THEME else "unicode")
    assert set(VARIABLES) | set(BADGE_VARIABLES) <= set(loaded_themes.variable_defaults)


def test_the_shipped_theme_files_are_package_data() -> None:
    """``ztconsole/themes`` is the top-level folder, and the wheel takes every ``*.toml`` in it."""
    from importlib import resources

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "themes/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["ztconsole"]
    packaged = {p.name for p in resources.files("ztconsole").joinpath("themes").iterdir()}
    assert {f"{name}.toml" for name in SHIPPED} <= packaged


def test_every_domain_variable_has_a_kind_and_value() -> None:
    assert {"policy-enabled", "policy-report-only", "policy-disabled", "allow", "deny", "risk-none", "risk-low",
            "risk-medium", "risk-high", "severity-critical", "severity-high", "severity-medium", "severity-low",
            "severity-info", "status-pass", "status-fail", "status-warn", "status-skip",
            "status-error"} == set(VARIABLES)


def test_a_user_theme_takes_the_domain_variables_it_leaves_out_from_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "paper.toml").write_text('name = "paper"\ndark = false\n[colors]\nprimary = "#336699"\n'
                                         '[variables]\ndeny = "#aa0000"\n')
    (tmp_path / "night.toml").write_text('name = "night"\n[colors]\nprimary = "#336699"\n')
    themes = {t.name: t for t in load_themes(tmp_path, env={}).themes}
    light, dark = shipped()["ztconsole-light"], shipped()[DEFAULT_THEME]
    assert themes["paper"].variables["deny"] == "#aa0000"  # its own
    assert themes["paper"].variables["allow"] == light.variables["allow"]  # a light theme's
    assert themes["night"].variables["risk-high"] == dark.variables["risk-high"]
    assert themes["night"].variables["glyphs"] == "ascii"  # it did not ask for Unicode glyphs


def test_glyphs_in_variables_is_refused_with_the_key_to_use(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('name = "x"\n[colors]\nprimary = "#336699"\n[variables]\nglyphs = "ascii"\n')
    (problem,) = load_themes(tmp_path, env={}).problems
    assert "bad.toml:5: [variables] glyphs: set `unicode = true`" in problem


async def test_a_broken_theme_file_is_reported_once_and_the_console_falls_back(tenant_dir: Path,
                                                                              tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "ops.toml").write_text('name = "ops"\n[colors]\nprimary = "blurple"\n')
    app = make(tenant_dir, theme="ops", user_themes=themes)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await loaded(app)
        await pilot.press("r")  # a second load, another pane: still said once
        await loaded(app)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert app.theme == DEMO_THEME
    skipped = [m for m in messages if m.startswith("Theme skipped")]
    assert len(skipped) == 1 and "ops.toml:3: [colors] primary: 'blurple' is not a colour" in skipped[0]
    assert [m for m in messages if m.startswith("Unknown theme")] == [f"Unknown theme 'ops'; using {DEMO_THEME}."]


# --- which theme the console opens in ------------------------------------------------------------------


def test_first_theme_precedence() -> None:
    available = {*SHIPPED, "nord"}
    assert first_theme(None, "DEMO", available) == (DEMO_THEME, None)
    assert first_theme(None, "OFFLINE", available) == (DEMO_THEME, None)
    assert first_theme(None, "LIVE", available) == (DEFAULT_THEME, None)
    assert first_theme("nord", "DEMO", available) == ("nord", None)
    theme, warning = first_theme("ztconsole-prodution", "LIVE", available)
    assert theme == DEFAULT_THEME
    assert warning == ("Unknown theme 'ztconsole-prodution' (did you mean 'ztconsole-production'?); "
                       f"using {DEFAULT_THEME}.")
    assert first_theme(None, "DEMO", {DEFAULT_THEME}) == (DEFAULT_THEME, None)  # no demo theme: the default
    assert source_theme("LIVE") == DEFAULT_THEME and source_theme("DEMO") == DEMO_THEME


@pytest.mark.parametrize(("badge", "expected"), [("DEMO", DEMO_THEME), ("OFFLINE", DEMO_THEME),
                                                 ("LIVE", DEFAULT_THEME)])
async def test_each_source_opens_in_its_own_theme(tenant_dir: Path, badge: str, expected: str) -> None:
    app = make(tenant_dir, badge=badge)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        assert app.theme == expected


CONFIG = """\
default_tenant = "prod"
[ui]
theme = "nord"
[tenants.prod]
tenant_id = "11111111-2222-3333-4444-555555555555"
theme = "ztconsole-production"
[tenants.lab]
tenant_id = "11111111-2222-3333-4444-555555555555"
"""


@pytest.mark.parametrize(("argv", "config", "theme"), [
    ([], CONFIG, "ztconsole-production"),  # the profile's, over [ui]
    (["--theme", "gruvbox"], CONFIG, "gruvbox"),  # the command line's, over the profile's
    (["--tenant", "lab"], CONFIG, "nord"),  # no profile theme: [ui]'s
    (["--tenant", "lab"], CONFIG.replace('theme = "nord"\n', ""), None),  # none: the source's own (dark)
    (["--demo"], CONFIG, "nord"),  # a recording has no profile: [ui]'s
    (["--demo"], CONFIG.replace('theme = "nord"\n', ""), None),  # none: the demo theme
])
def test_the_command_line_passes_the_theme_by_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         argv: list[str], config: str, theme: str | None) -> None:
    from ztconsole import cli
    from ztconsole.ui import app as app_module

    path = tmp_path / "config.toml"
    path.write_text(config)
    path.chmod(0o600)
    monkeypatch.setenv("ZTCONSOLE_CONFIG", str(path))
    seen: dict[str, Any] = {}

    def run_console(source: object, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(app_module, "run_console", run_console)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert cli.run(argv, out=io.StringIO(), err=io.StringIO()) == 0
    assert seen["theme"] == theme
    assert seen["user_themes"] == tmp_path / "data" / "ztconsole" / "themes"  # user themes: the XDG data dir


def test_a_profile_theme_is_validated_with_file_line_and_key() -> None:
    from ztconsole.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as e:
        parse_config('[tenants.prod]\ntenant_id = "11111111-2222-3333-4444-555555555555"\ntheme = "dark red"\n')
    assert "config.toml:3" in str(e.value) and "theme" in str(e.value)
    with pytest.raises(ConfigError, match="did you mean 'theme'"):
        parse_config('[tenants.prod]\ntenant_id = "11111111-2222-3333-4444-555555555555"\nthem = "nord"\n')


# --- the header -------------------------------------------------------------------------------------


async def test_header_shows_loading_then_the_last_refresh(tenant_dir: Path) -> None:
    source = GatedSource(TenantDir.open(tenant_dir))
    app = DataFirst(source, badge="DEMO", clock=lambda: 0.0)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "loading…" in header_line(app)
        source.gate.set()
        await loaded(app)
        await pilot.pause()
        line = header_line(app)
        assert "refreshed 12:04:31" in line and "THROTTLED" not in line
        assert " DEMO " in line and line.endswith(" READ-ONLY") and "Contoso" in line


async def test_header_shows_throttling_from_the_last_load(tenant_dir: Path) -> None:
    class Throttled(GatedSource):
        def read(self, ds: DataSet) -> DataSetResult:
            if ds.key == "users":
                return DataSetResult(ds.key, "throttled", None, message="HTTP 429; retry after 30 s")
            return self.inner.read(ds)

    source = Throttled(TenantDir.open(tenant_dir))
    source.gate.set()
    app = DataFirst(source, badge="LIVE", read_only=False, clock=lambda: 0.0)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(app)
        await pilot.pause()
        line = header_line(app)
        assert "refreshed 12:04:31" in line and " THROTTLED " in line and " LIVE " in line and line.endswith(" WRITE")
        assert app.load_clock.last.throttled
        # a pane shown later says the same
        await app.switch_mode(app.PANES[1].ID)
        await pilot.pause()
        assert " THROTTLED " in header_line(app)
        # panes and the app may set it directly
        app.screen.query_one(header.TenantHeader).show_refresh(None, False)
        await pilot.pause()
        assert "THROTTLED" not in header_line(app) and "loading…" in header_line(app)


@pytest.mark.parametrize("badge", ["DEMO", "OFFLINE", "LIVE"])
async def test_header_fits_80_columns_cutting_the_tenant_name(tmp_path: Path, badge: str) -> None:
    name = "Contoso Pharmaceuticals International Holdings (Production, Europe, Middle East and Africa)"
    app = make(write_tenant(tmp_path / "t", name=name), badge=badge)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(app)
        app.screen.query_one(header.TenantHeader).show_refresh(NOON, True)
        await pilot.pause()
        lines = screen_text(app).splitlines()
    line = lines[0]
    assert len(line) <= 80
    assert line.rstrip().endswith("READ-ONLY")  # the last badge is on screen
    for part in ("refreshed 12:04:31", "THROTTLED", badge, "Contoso Pharma"):
        assert part in line
    assert "…" in line and "Africa" not in line  # the name is cut, on this one line
    assert "ztconsole" not in line  # the brand gives its room to the name below 100 columns
    assert "Africa" not in lines[1]  # never wrapped onto a second line


async def test_no_color_shows_the_badges_as_bracketed_text(tenant_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    class Throttled(GatedSource):
        def read(self, ds: DataSet) -> DataSetResult:
            if ds.key == "users":
                return DataSetResult(ds.key, "throttled", None, message="HTTP 429")
            return self.inner.read(ds)

    source = Throttled(TenantDir.open(tenant_dir))
    source.gate.set()
    app = DataFirst(source, badge="DEMO", clock=lambda: 0.0)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(app)
        await pilot.pause()
        assert app.no_color
        line = header_line(app)
        assert "[THROTTLED]" in line and "[DEMO]" in line and "[READ-ONLY]" in line
        assert "⧗ throttled" in cell(app, "users", "status")  # the status says it in words, not colour alone


async def test_with_colour_the_badges_are_not_bracketed(tenant_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = make(tenant_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(app)
        await pilot.pause()
        assert not app.no_color
        assert " DEMO " in header_line(app) and "[DEMO]" not in header_line(app)


# --- 16 colours, ASCII ------------------------------------------------------------------------------


def ansi16(value: str) -> int:
    """The colour of the 16 a 16-colour terminal (the Linux console's VGA palette) shows for ``value``."""
    from textual.color import Color

    number = RichColor.parse(Color.parse(value).hex6).downgrade(ColorSystem.STANDARD).number
    assert number is not None
    return number


MUST_DIFFER = [
    ("status-pass", "status-fail"), ("status-pass", "status-warn"), ("status-warn", "status-fail"),
    ("status-fail", "status-error"),
    ("allow", "deny"),
    ("policy-enabled", "policy-report-only"), ("policy-enabled", "policy-disabled"),
    ("policy-report-only", "policy-disabled"),
    ("risk-none", "risk-high"), ("risk-low", "risk-high"), ("risk-medium", "risk-high"),
    ("severity-critical", "severity-high"), ("severity-high", "severity-medium"), ("severity-medium", "severity-low"),
    ("badge-demo", "badge-live"), ("badge-offline", "badge-live"), ("badge-demo", "badge-offline"),
    ("badge-read-only", "badge-write"),
    ("success", "error"), ("warning", "error"),
]


@pytest.mark.parametrize("name", SHIPPED)
def test_on_16_colours_what_must_differ_still_differs(name: str) -> None:
    theme = shipped()[name]
    variables = {**theme.to_color_system().generate(), **theme.variables}
    collapsed = [(a, b) for a, b in MUST_DIFFER if ansi16(variables[a]) == ansi16(variables[b])]
    assert not collapsed, f"{name}: the same ANSI colour for {collapsed}"
    background = ansi16(variables["background"])
    unreadable = [v for v in VARIABLES if ansi16(variables[v]) == background]
    assert not unreadable, f"{name}: drawn in the background's ANSI colour: {unreadable}"


def test_every_glyph_has_an_ascii_stand_in() -> None:
    for name, (fancy, plain) in GLYPHS.items():
        assert plain and plain.isascii(), name
        assert fancy != plain, name
    assert glyph({}, "separator") == "|"  # a theme that did not ask: ASCII
    assert glyph({"glyphs": "unicode"}, "separator") == "·"
    assert glyph({"glyphs": "ascii"}, "ellipsis") == "..."
    assert glyph({"glyphs": "ascii"}, "mark-failed") == "x"
    themes = shipped()
    assert glyph(themes[DEFAULT_THEME].variables, "breadcrumb") == "›"
    assert glyph(themes[HIGH_CONTRAST_THEME].variables, "breadcrumb") == ">"
    with pytest.raises(KeyError):
        glyph({}, "sparkles")


@pytest.mark.parametrize("term", ["linux", "vt100", "dumb"])
def test_a_terminal_without_unicode_glyphs_gets_ascii_in_every_theme(term: str) -> None:
    themes = load_themes(None, env={"TERM": term}).themes
    assert {t.variables["glyphs"] for t in themes} == {"ascii"}
    assert {t.variables["glyphs"] for t in load_themes(None, env={"TERM": "xterm-256color"}).themes} == {
        "unicode", "ascii"}


async def test_the_high_contrast_theme_draws_ascii(tenant_dir: Path) -> None:
    app = make(tenant_dir, theme=HIGH_CONTRAST_THEME)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(app)
        await pilot.pause()
        assert cell(app, "ca_policies", "status") == "+ ok"
        assert cell(app, "groups", "status").startswith("x failed: ")
        line = header_line(app)
        assert " | contoso.onmicrosof" in line
        assert line.isascii()


# --- style_for ---------------------------------------------------------------------------------------


def test_style_for_colours_domain_values_from_the_theme() -> None:
    variables = shipped()[DEFAULT_THEME].variables
    assert style_for(variables, "policy", "enabledForReportingButNotEnforced") == variables["policy-report-only"]
    assert style_for(variables, "policy", "report-only") == variables["policy-report-only"]
    assert style_for(variables, "policy", "enabled") == variables["policy-enabled"]
    assert style_for(variables, "verdict", "deny") == f"bold {variables['deny']}"
    assert style_for(variables, "verdict", "block") == f"bold {variables['deny']}"
    assert style_for(variables, "verdict", "allow") == variables["allow"]
    assert style_for(variables, "risk", "elevated") == f"bold {variables['risk-high']}"
    assert style_for(variables, "risk", "low") == variables["risk-low"]
    assert style_for(variables, "severity", "critical") == f"bold {variables['severity-critical']}"
    assert style_for(variables, "severity", "info") == variables["severity-info"]
    assert style_for(variables, "check", "pass") == variables["status-pass"]
    assert style_for(variables, "check", "fail") == f"bold {variables['status-fail']}"
    assert style_for(variables, "risk", "unknownFutureValue") == ""  # not known: plain, never an error
    assert style_for({}, "risk", "high") == "bold"  # a theme without it: still bold
    with pytest.raises(ValueError, match="unknown kind 'colour'"):
        style_for(variables, "colour", "red")
    for kind, values in KINDS.items():
        for value in values:
            assert style_for(variables, kind, value).split()[-1].startswith("#"), (kind, value)


def test_style_for_takes_any_textual_colour_form() -> None:
    assert style_for({"deny": "rgb(255, 0, 0)"}, "verdict", "deny") == "bold #ff0000"
    assert style_for({"allow": "#0f08"}, "verdict", "allow") == "#00ff00"
    assert style_for({"allow": "not a colour"}, "verdict", "allow") == ""


async def test_style_for_reads_the_apps_current_theme(tenant_dir: Path) -> None:
    app = make(tenant_dir)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        for name in (*SHIPPED, "nord"):  # Textual's own themes have the domain variables too
            app.theme = name
            await pilot.pause()
            assert style_for(app, "check", "fail").startswith("bold #"), name
            assert style_for(app, "load", "failed").startswith("bold #"), name
            assert style_for(app, "load", "sideways") == style_for(app, "load", "failed")
        assert glyph(app, "separator") == "|"  # nord did not ask for Unicode glyphs


# --- the session's theme switch ------------------------------------------------------------------------


async def test_ctrl_t_chooses_a_theme_for_the_session(tenant_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make(tenant_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(app)
        await pilot.pause()
        assert app.theme == DEMO_THEME and " · contoso.onmicrosof" in header_line(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press(*"high-contrast")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.theme == HIGH_CONTRAST_THEME
        assert " | contoso.onmicrosof" in header_line(app)  # the header redrawn in its glyphs
    assert not (tmp_path / "config").exists()  # nothing written: for this session only


async def test_the_palette_offers_the_theme_switch(tenant_dir: Path) -> None:
    from ztconsole.ui.palette import ActionCommands

    app = make(tenant_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        provider = ActionCommands(app.screen)
        offered = {name: help_ for name, help_, _run in provider._offered()}
    assert "Theme" in offered and "(^t)" in offered["Theme"]
