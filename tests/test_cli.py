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
