"""The command line: exit codes and messages a script relies on (CONTRACTS §2)."""

from __future__ import annotations

import io
from pathlib import Path

from ztconsole import __version__
from ztconsole.cli import run


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_version(capsys) -> None:
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ztconsole {__version__}"


def test_unknown_option_is_a_usage_error(capsys) -> None:
    assert run(["--frobnicate"]) == 2
    assert "unrecognized arguments: --frobnicate" in capsys.readouterr().err


def test_demo_and_tenant_dir_are_exclusive(capsys, tmp_path: Path) -> None:
    assert run(["--demo", "--tenant-dir", str(tmp_path)]) == 2


def test_unreadable_tenant_dir_exits_3(tmp_path: Path) -> None:
    code, _, err = call("--tenant-dir", str(tmp_path / "nope"))
    assert code == 3
    assert "not a directory" in err


def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path, monkeypatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[ui]\nthme = "nord"\n', encoding="utf-8")
    monkeypatch.setenv("ZTCONSOLE_CONFIG", str(cfg))
    code, _, err = call("--demo")
    assert code == 2
    assert "config.toml:2" in err and "thme" in err and "did you mean 'theme'" in err


def test_generate_rejects_a_bad_scale_and_a_non_empty_directory(tmp_path: Path) -> None:
    code, _, err = call("generate", "--out", str(tmp_path / "x"), "--scale", "huge")
    assert code == 2 and "--scale must be demo, large or a number" in err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    code, _, err = call("generate", "--out", str(tmp_path / "full"), "--scale", "demo")
    assert code == 2 and "not empty" in err
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_generate_demo_writes_a_loadable_tenant(tmp_path: Path) -> None:
    from ztconsole.tenantdir import load_tenant

    code, out, _ = call("generate", "--out", str(tmp_path / "t"), "--scale", "demo")
    assert code == 0 and "wrote" in out
    tenant = load_tenant(tmp_path / "t")
    assert tenant.info.display_name == "Contoso"
    assert all(r.status == "ok" for r in tenant.results.values())


def test_snapshot_of_the_demo_loads_equal_to_the_demo(tmp_path: Path) -> None:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir import load_tenant

    code, out, err = call("snapshot", "--demo", "--out", str(tmp_path / "d"))
    assert code == 0, err
    assert "wrote" in out and "files" in out
    assert load_tenant(tmp_path / "d") == load_tenant(demo_dir())
    code, _, err = call("snapshot", "--demo", "--out", str(tmp_path / "d"))
    assert code == 0, "a tenant directory may be recorded again in place"


def test_snapshot_refuses_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = call("snapshot", "--demo", "--out", str(tmp_path))
    assert code == 2 and "not empty" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_live_preflight_against_a_static_token_is_unknown_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[tenants.lab]\ncloud = "custom"\ngraph_url = "http://127.0.0.1:9"\n'
                   'arm_url = "http://127.0.0.1:9"\nauth = "static-token"\n', encoding="utf-8")
    cfg.chmod(0o600)
    monkeypatch.setenv("ZTCONSOLE_CONFIG", str(cfg))
    monkeypatch.setenv("ZTCONSOLE_TOKEN", "not-a-jwt")
    code, out, err = call("config", "validate", "--live")
    assert code == 0, err
    assert "unknown" in out and "Policy.Read.All" in out
    assert "not-a-jwt" not in out + err


def test_a_live_source_without_a_profile_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ZTCONSOLE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no config file there: defaults, no profile
    code, _, err = call("snapshot", "--out", str(tmp_path / "x"))
    assert code == 2
    assert "profile" in err or "tenant" in err
