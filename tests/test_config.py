"""The config file: locations, defaults, validation messages, secrets, writing, and the two commands."""

from __future__ import annotations

import io
import os
import stat
import textwrap
from dataclasses import fields
from pathlib import Path

import pytest

from ztconsole import paths
from ztconsole.commands.config import locate_command, validate_command
from ztconsole.config import (
    CLOUDS,
    Config,
    ConfigError,
    ConfigErrors,
    TenantProfile,
    Thresholds,
    UiConfig,
    load_config,
    parse_config,
    write_config,
)

ROOT = Path(__file__).resolve().parents[1]
TENANT = "11111111-2222-3333-4444-555555555555"
SUB = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT = "99999999-8888-7777-6666-555555555555"
SECRET_VALUE = "Zq8~s3cr3t-VALUE-do-not-print.0123456789"
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def toml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def errors_of(text: str, name: str = "config.toml") -> list[ConfigError]:
    with pytest.raises(ConfigErrors) as caught:
        parse_config(toml(text), name)
    return list(caught.value.errors)


def only_error(text: str) -> ConfigError:
    errors = errors_of(text)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), **extra}


# ----------------------------------------------------------------------------------------- locations


def test_config_path_follows_ztconsole_config_then_xdg_then_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert paths.config_path({"HOME": str(home)}) == home / ".config/ztconsole/config.toml"
    assert paths.config_path({"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}) == (
        tmp_path / "xdg/ztconsole/config.toml"
    )
    # A relative XDG value is invalid by the specification and ignored.
    assert paths.config_path({"HOME": str(home), "XDG_CONFIG_HOME": "rel"}) == home / ".config/ztconsole/config.toml"
    explicit = {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "ZTCONSOLE_CONFIG": "/etc/zt.toml"}
    assert paths.config_path(explicit) == Path("/etc/zt.toml")


def test_state_data_and_cache_paths_follow_xdg(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": "/d",
        "XDG_STATE_HOME": "/s",
        "XDG_CACHE_HOME": "/c",
    }
    assert paths.themes_dir(env) == Path("/d/ztconsole/themes")
    assert paths.audit_log_path(env) == Path("/s/ztconsole/audit.jsonl")
    assert paths.rollout_dir(env) == Path("/s/ztconsole/rollout")
    assert paths.auth_record_path("prod", env) == Path("/c/ztconsole/auth-record-prod.json")
    assert paths.token_cache_files({"HOME": "/h"}) == (Path("/h/.IdentityService/ztconsole.cae"),
                                                       Path("/h/.IdentityService/ztconsole.nocae"))
    assert paths.audit_log_path({"HOME": str(tmp_path)}) == tmp_path / ".local/state/ztconsole/audit.jsonl"


def test_load_reads_the_file_named_by_ztconsole_config(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.toml"
    target.write_text(f'[tenants.prod]\ntenant_id = "{TENANT}"\n')
    config = load_config(env=env_for(tmp_path, ZTCONSOLE_CONFIG=str(target)))
    assert config.profile().tenant_id == TENANT
    assert config.source == target


def test_load_reads_the_xdg_config_file(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "ztconsole").mkdir(parents=True)
    (xdg / "ztconsole/config.toml").write_text("[ui]\nrefresh_interval = 30\n")
    assert load_config(env=env_for(tmp_path, XDG_CONFIG_HOME=str(xdg))).ui.refresh_interval == 30


def test_missing_default_file_gives_the_documented_defaults(tmp_path: Path) -> None:
    config = load_config(env=env_for(tmp_path))
    assert config == Config()
    assert config.tenants == {}
    assert config.thresholds.report_only_bake_days == 14
    assert config.thresholds.break_glass_signin_days == 90
    assert (config.thresholds.segment_fail_prefix, config.thresholds.segment_warn_prefix) == (16, 24)
    assert config.thresholds.segment_warn_ports == 10
    assert config.thresholds.quick_access_warn_addresses == 65536
    assert config.ui.refresh_interval == 60
    out = io.StringIO()
    assert validate_command(env=env_for(tmp_path), out=out, err=io.StringIO()) == 0
    assert "using the defaults" in out.getvalue()


def test_missing_file_named_by_ztconsole_config_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    env = env_for(tmp_path, ZTCONSOLE_CONFIG=str(missing))
    with pytest.raises(ConfigError) as caught:
        load_config(env=env)
    assert str(missing) in str(caught.value) and "ZTCONSOLE_CONFIG" in str(caught.value)
    err = io.StringIO()
    assert validate_command(env=env, out=io.StringIO(), err=err) == 2
    assert str(missing) in err.getvalue()


# ---------------------------------------------------------------------------------------- the example


def test_the_example_config_validates_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    text = example.read_text()
    config = parse_config(text, str(example))
    assert set(config.tenants) >= {"prod"}
    documented = {line.split("=")[0].strip().strip('"') for line in text.splitlines() if "=" in line}
    for cls in (TenantProfile, Thresholds, UiConfig):
        for f in fields(cls):
            if f.name != "name":
                assert f.name in documented, f"config.example.toml does not show {cls.__name__}.{f.name}"
    assert {"default_tenant", "accounts"} <= documented
    out = io.StringIO()
    assert validate_command(example, env={}, out=out, err=io.StringIO()) == 0
    summary = out.getvalue()
    assert "OK" in summary and "default tenant: prod" in summary and "report-only bake 14 days" in summary


# ------------------------------------------------------------------------------------------ clouds


def test_cloud_endpoints_and_scopes() -> None:
    assert CLOUDS["public"].graph_scope == "https://graph.microsoft.com/.default"
    assert CLOUDS["public"].arm_scope == "https://management.azure.com/.default"
    assert CLOUDS["usgov"].graph_url == "https://graph.microsoft.us"
    assert CLOUDS["usgov"].arm_url == "https://management.usgovcloudapi.net"
    assert CLOUDS["usgov"].authority_host == "login.microsoftonline.us"
    assert CLOUDS["usgov-dod"].graph_url == "https://dod-graph.microsoft.us"
    assert CLOUDS["china"].graph_url == "https://microsoftgraph.chinacloudapi.cn"
    assert CLOUDS["china"].arm_url == "https://management.chinacloudapi.cn"
    assert CLOUDS["china"].authority_host == "login.chinacloudapi.cn"


def test_profiles_resolve_their_endpoints() -> None:
    config = parse_config(
        toml(f"""
        default_tenant = "gov"
        [tenants.gov]
        tenant_id = "{TENANT}"
        cloud = "usgov"
        [tenants.lab]
        cloud = "custom"
        graph_url = "http://[::1]:8765/"
        arm_url = "http://localhost:8765"
        auth = "static-token"
        """)
    )
    assert config.profile().endpoints.graph_url == "https://graph.microsoft.us"
    lab = config.profile("lab").endpoints
    assert (lab.graph_url, lab.arm_url) == ("http://[::1]:8765", "http://localhost:8765")
    assert lab.authority_host == "login.microsoftonline.com"
    assert config.profile("lab").read_only is True
    with pytest.raises(ConfigError, match="did you mean 'lab'"):
        config.profile("lan")


# -------------------------------------------------------------------------------------- validation

ERROR_CASES = {
    "unknown key": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        tenat_id = "{TENANT}"
        """,
        3, "tenants.prod.tenat_id", "unknown key", "did you mean 'tenant_id'?",
    ),
    "unknown table": (
        """
        # thresholds, misspelt
        [treshholds]
        report_only_bake_days = 7
        """,
        2, "treshholds", "unknown table", "did you mean [thresholds]?",
    ),
    "unknown top-level key": ("default_tenat = 'prod'\n", 1, "default_tenat", "unknown key", "'default_tenant'"),
    "wrong type": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        read_only = "no"
        """,
        3, "tenants.prod.read_only", "expected a boolean, got a string", None,
    ),
    "bad cloud": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        cloud = "usgovt"
        """,
        3, "tenants.prod.cloud", "public, usgov, usgov-dod, china, custom", "did you mean 'usgov'?",
    ),
    "bad auth": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        auth = "devicecode"
        """,
        3, "tenants.prod.auth", "is not one of", "did you mean 'device-code'?",
    ),
    "bad tenant id": (
        """
        [tenants.prod]
        tenant_id = "contoso.onmicrosoft.com"
        """,
        2, "tenants.prod.tenant_id", "not a GUID", None,
    ),
    "bad subscription": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        subscriptions = [
            "{SUB}",
            "prod-subscription",
        ]
        """,
        3, "tenants.prod.subscriptions", "item 2: not a subscription id", None,
    ),
    "bad client id": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        client_id = "ztconsole-app"
        """,
        3, "tenants.prod.client_id", "not a GUID", None,
    ),
    "missing tenant id": ("[tenants.prod]\ncloud = 'public'\n", 1, "tenants.prod.tenant_id", "required", None),
    "default tenant names no profile": (
        f"""
        default_tenant = "Prod"
        [tenants.prod]
        tenant_id = "{TENANT}"
        [tenants.dev]
        tenant_id = "{TENANT}"
        """,
        1, "default_tenant", "no tenant profile named 'Prod'", "did you mean 'prod'?",
    ),
    "custom cloud without urls": (
        f"""
        [tenants.lab]
        tenant_id = "{TENANT}"
        cloud = "custom"
        graph_url = "https://graph.lab.contoso.test"
        """,
        1, "tenants.lab.arm_url", 'required when cloud = "custom"', None,
    ),
    "url on a national cloud": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        graph_url = "https://graph.microsoft.com"
        """,
        3, "tenants.prod.graph_url", 'only used with cloud = "custom"', None,
    ),
    "http to a remote host": (
        f"""
        [tenants.lab]
        tenant_id = "{TENANT}"
        cloud = "custom"
        graph_url = "https://graph.lab.contoso.test"
        arm_url = "http://arm.lab.contoso.test"
        """,
        5, "tenants.lab.arm_url", "must use https (http is allowed only on loopback: 127.0.0.0/8", None,
    ),
    "static token on the public cloud": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        auth = "static-token"
        """,
        3, "tenants.prod.auth", "loopback", "ZTCONSOLE_TOKEN",
    ),
    "static token on a remote custom cloud": (
        """
        [tenants.lab]
        cloud = "custom"
        graph_url = "https://graph.lab.contoso.test"
        arm_url = "https://arm.lab.contoso.test"
        auth = "static-token"
        """,
        5, "tenants.lab.auth", "loopback", None,
    ),
    "certificate auth without a certificate": (
        f"""
        [tenants.prod]
        tenant_id = "{TENANT}"
        client_id = "{CLIENT}"
        auth = "client-certificate"
        """,
        1, "tenants.prod.certificate_path", "required for auth = \"client-certificate\"", None,
    ),
    "threshold out of range": (
        """
        [thresholds]
        report_only_bake_days = 0
        """,
        2, "thresholds.report_only_bake_days", "out of range: expected 1 to 365", None,
    ),
    "fail prefix narrower than warn prefix": (
        """
        [thresholds]
        segment_fail_prefix = 28
        """,
        2, "thresholds.segment_fail_prefix", "broader than segment_warn_prefix (/24)", None,
    ),
    "refresh too fast": ("[ui]\nrefresh_interval = 2\n", 2, "ui.refresh_interval", "expected 5 to", "throttled"),
    "keymap value not a key": (
        """
        [keymap]
        "app.quit" = "ctrl+q"
        "app.reload" = "ctrl+slahs"
        """,
        3, 'keymap."app.reload"', "is not a key", "did you mean 'ctrl+slash'?",
    ),
    "keymap unknown action id": (
        """
        [keymap]
        app.qiut = "ctrl+q"
        """,
        2, 'keymap."app.qiut"', "unknown action id", "did you mean 'app.quit'?",
    ),
    "keymap bad modifier": (
        """
        [keymap]
        app.quit = "strg+q"
        """,
        2, 'keymap."app.quit"', "'strg' is not a modifier", None,
    ),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_each_error_names_file_line_key_and_fix(case: str) -> None:
    text, line, key, message, suggestion = ERROR_CASES[case]
    error = only_error(text)
    assert (error.file, error.line, error.key) == ("config.toml", line, key)
    assert message in str(error)
    assert str(error).startswith(f"config.toml:{line}: ")
    if suggestion is not None:
        assert suggestion in (error.suggestion or "") and suggestion in str(error)


def test_unknown_key_message_has_the_documented_shape() -> None:
    error = only_error(f'# production\n\n[tenants.prod]\ntenant_id = "{TENANT}"\ntenat_id = "x"\n')
    assert str(error) == "config.toml:5: [tenants.prod] key 'tenat_id': unknown key (did you mean 'tenant_id'?)"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "[::1]", "localhost"])
def test_http_and_static_token_are_allowed_on_loopback(host: str) -> None:
    config = parse_config(
        toml(f"""
        [tenants.emu]
        cloud = "custom"
        graph_url = "http://{host}:8765"
        arm_url = "http://{host}:8765"
        auth = "static-token"
        """)
    )
    assert config.profile("emu").endpoints.graph_url == f"http://{host}:8765"


def test_keymap_is_a_plain_dict_of_action_ids() -> None:
    config = parse_config(
        toml("""
        [keymap]
        app.quit = "ctrl+q"
        "app.reload" = "f5, ctrl+r"
        "datasets.details" = "enter,space"
        """)
    )
    assert dict(config.keymap) == {
        "app.quit": "ctrl+q",
        "app.reload": "f5,ctrl+r",
        "datasets.details": "enter,space",
    }


def test_a_keymap_id_that_mentions_a_secret_word_is_an_action_not_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from ztconsole.ui import actions

    monkeypatch.setitem(actions.BY_ID, "session.revoke_tokens", actions.BY_ID["app.quit"])
    config = parse_config('[keymap]\n"session.revoke_tokens" = "ctrl+shift+r"\n')
    assert dict(config.keymap) == {"session.revoke_tokens": "ctrl+shift+r"}


def test_keymap_ids_and_key_names_are_all_checked_with_suggestions() -> None:
    errors = errors_of("""
    [keymap]
    "quit" = "crtl+q"
    "app.help" = "F1"
    "nonsense.thing" = "enter"
    "app.reload" = 5
    "app.quit" = "ctrl+q,"
    """)
    assert [(e.line, e.key, e.message, e.suggestion) for e in errors] == [
        (2, 'keymap.quit', "unknown action id", "did you mean 'app.quit'?"),
        (2, 'keymap.quit', "'crtl' is not a modifier (one of alt, ctrl, hyper, meta, shift, super)",
         "did you mean 'ctrl'?"),
        (3, 'keymap."app.help"',
         "'F1' is not a key (e.g. 'ctrl+q', 'f5', 'escape', 'question_mark', 'slash')", "did you mean 'f1'?"),
        (4, 'keymap."nonsense.thing"', "unknown action id", errors[3].suggestion),
        (5, 'keymap."app.reload"', 'expected a key string like "ctrl+q" or "f5,ctrl+r", got an integer', None),
        (6, 'keymap."app.quit"', "empty key (an empty string, two commas or a trailing comma)", None),
    ]
    suggestion = errors[3].suggestion
    assert suggestion.startswith("valid: app.") and "app.help" in suggestion and "app.quit" in suggestion


def test_toml_syntax_error_names_line_and_column() -> None:
    error = only_error('[ui]\ntheme = "nord"\nrefresh_interval = = 5\n')
    assert (error.line, error.column) == (3, 20)
    assert str(error).startswith("config.toml:3:20: TOML syntax error")


def test_all_errors_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = toml(f"""
    default_tenant = "prd"
    [tenants.prod]
    tenant_id = "{TENANT}"
    cloud = "azure"
    [thresholds]
    break_glass_signin_days = 1000
    [ui]
    refresh = 30
    """)
    errors = errors_of(text)
    assert [(e.line, e.key) for e in errors] == [
        (1, "default_tenant"),
        (4, "tenants.prod.cloud"),
        (6, "thresholds.break_glass_signin_days"),
        (8, "ui.refresh"),
    ]
    assert "did you mean 'refresh_interval'?" in str(errors[3])
    target = tmp_path / "config.toml"
    target.write_text(text)
    target.chmod(0o600)
    err = io.StringIO()
    assert validate_command(target, env={}, out=io.StringIO(), err=err) == 2
    printed = err.getvalue().splitlines()
    assert printed[:4] == [str(e).replace("config.toml", str(target), 1) for e in errors]
    assert printed[4] == f"4 problems in {target}: not loaded"


def test_every_problem_in_one_table_is_reported_not_only_the_first() -> None:
    errors = errors_of(f"""
    [tenants.prod]
    tenant_id = "not-a-guid"
    subscriptions = ["{SUB}", 7, "prod"]
    cloud = "publik"
    read_only = "no"
    colud = "public"
    token_cache = "keyring"
    [tenants.prod.more]
    x = 1
    """)
    zero = "00000000-0000-0000-0000-000000000000"
    assert [(e.line, e.key, e.message) for e in errors] == [
        (2, "tenants.prod.tenant_id", f"not a GUID: expected the directory (tenant) id like {zero}"),
        (3, "tenants.prod.subscriptions", "item 2: expected a string, got an integer"),
        (3, "tenants.prod.subscriptions", f"item 3: not a subscription id (a GUID like {zero})"),
        (4, "tenants.prod.cloud", "'publik' is not one of public, usgov, usgov-dod, china, custom"),
        (5, "tenants.prod.read_only", "expected a boolean, got a string"),
        (6, "tenants.prod.colud", "unknown key"),
        (7, "tenants.prod.token_cache", "'keyring' is not one of encrypted, plaintext, none"),
        (8, "tenants.prod.more", "unknown table"),
    ]
    assert [e.suggestion for e in errors][3:6] == ["did you mean 'public'?", None, "did you mean 'cloud'?"]
    assert str(errors[7]).startswith("config.toml:8: [tenants.prod.more]: unknown table (valid: arm_url, auth, ")


def test_the_schema_declares_exactly_the_model_fields() -> None:
    """The file's tables (msgspec Structs) and the model (dataclasses) name the same keys."""
    import msgspec

    from ztconsole import config as module

    def keys(struct: type) -> set[str]:
        return {f.encode_name for f in msgspec.structs.fields(struct)}

    assert keys(module._ProfileFile) == {f.name for f in fields(TenantProfile)} - {"name"}
    assert keys(module._ThresholdsFile) == {f.name for f in fields(Thresholds)}
    assert keys(module._UiFile) == {f.name for f in fields(UiConfig)}
    assert module.CLOUD_NAMES == (*CLOUDS, "custom")


def test_validating_a_keymap_loads_the_action_registry_but_no_textual(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "config.toml"
    target.write_text('[keymap]\n"app.quit" = "ctrl+q"\n')
    script = (
        "import sys\nfrom pathlib import Path\nfrom ztconsole.commands.config import validate_command\n"
        f"assert validate_command(Path({str(target)!r})) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m == 'ztconsole.ui.actions'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "['ztconsole.ui.actions']"


# ------------------------------------------------------------------------------------------ secrets

SECRET_CONFIG = toml(f"""
[tenants.prod]
tenant_id = "{TENANT}"
client_id = "{CLIENT}"
client_secret = "{SECRET_VALUE}"
""")


@posix_only
def test_a_secret_in_a_private_file_is_still_an_error(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text(SECRET_CONFIG)
    target.chmod(0o600)
    with pytest.raises(ConfigErrors) as caught:
        load_config(target)
    (error,) = caught.value.errors
    assert (error.line, error.key) == (4, "tenants.prod.client_secret")
    assert "AZURE_CLIENT_SECRET" in str(error)
    assert SECRET_VALUE not in str(caught.value)


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_secret_in_a_group_or_world_readable_file_is_refused(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "config.toml"
    target.write_text(SECRET_CONFIG + '[tenants.prod.extra]\n"api-key" = "also secret"\n')
    target.chmod(mode)
    err = io.StringIO()
    assert validate_command(target, env={}, out=io.StringIO(), err=err) == 2
    printed = err.getvalue()
    first = printed.splitlines()[0]
    assert "refused" in first and "group or others" in first and f"chmod 600 {target}" in first
    assert "client_secret" in printed and "api-key" in printed
    assert SECRET_VALUE not in printed and "also secret" not in printed


@posix_only
def test_a_readable_file_with_a_secret_is_refused_even_when_it_does_not_parse(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text(f'[tenants.prod]\nclientSecret = "{SECRET_VALUE}"\ntenant_id = \n')
    target.chmod(0o644)
    with pytest.raises(ConfigErrors) as caught:
        load_config(target)
    assert "refused" in str(caught.value.errors[0])
    assert SECRET_VALUE not in str(caught.value)


@pytest.mark.parametrize(
    "key", ["password", "ClientSecret", "api_key", "apiKey", "connection_string", "private_key", "SAS_TOKEN"]
)
def test_secret_named_keys_are_errors_anywhere(key: str) -> None:
    errors = errors_of(f'{key} = "{SECRET_VALUE}"\n[tenants.prod.extra]\n{key} = "{SECRET_VALUE}"\n')
    secret_errors = [e for e in errors if "secrets never live in the config file" in str(e)]
    assert [(e.line, e.key) for e in secret_errors] == [(1, key), (3, f"tenants.prod.extra.{key}")]
    assert all(SECRET_VALUE not in str(e) for e in errors)


# ------------------------------------------------------------------------------------------ writing


@posix_only
def test_write_config_round_trips_and_writes_0600(tmp_path: Path) -> None:
    config = Config(
        tenants={
            "prod": TenantProfile(name="prod", tenant_id=TENANT, subscriptions=(SUB,), theme="gruvbox"),
            "gov": TenantProfile(
                name="gov",
                tenant_id=TENANT,
                cloud="usgov-dod",
                auth="client-certificate",
                client_id=CLIENT,
                certificate_path=tmp_path / "cert.pem",
                read_only=False,
                break_glass_accounts=("bg1@fabrikam.onmicrosoft.us",),
            ),
            "lab": TenantProfile(
                name="lab", cloud="custom", graph_url="http://127.0.0.1:9", arm_url="http://127.0.0.1:9",
                auth="static-token",
            ),
        },
        default_tenant="prod",
        break_glass_accounts=("bg1@contoso.onmicrosoft.com", "6f0a2c41-9d5e-4b7a-8c3f-1e2d3b4a5c6d"),
        thresholds=Thresholds(report_only_bake_days=21),
        ui=UiConfig(theme="nord", refresh_interval=15),
        keymap={"app.quit": "ctrl+q"},
    )
    target = tmp_path / "new" / "config.toml"
    write_config(config, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert load_config(target) == config
    assert list(target.parent.iterdir()) == [target]


def test_write_config_refuses_an_invalid_config_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    with pytest.raises(ConfigError, match="no tenant profile named 'prod'"):
        write_config(Config(default_tenant="prod"), target)
    assert not target.exists()


# ------------------------------------------------------------------------------------------ locate


def test_locate_lists_every_path_and_whether_it_exists(tmp_path: Path) -> None:
    env = env_for(tmp_path, XDG_STATE_HOME=str(tmp_path / "state"))
    paths.audit_log_path(env).parent.mkdir(parents=True)
    paths.audit_log_path(env).write_text("")
    out = io.StringIO()
    assert locate_command(env=env, out=out) == 0
    rows = {line.split("  ")[0].strip(): line for line in out.getvalue().splitlines()}
    expected = {
        "config": paths.config_path(env),
        "themes": paths.themes_dir(env),
        "audit log": tmp_path / "state/ztconsole/audit.jsonl",
        "sign-in records": paths.cache_dir(env),
    }
    for label, path in expected.items():
        assert str(path) in rows[label]
    shown = out.getvalue()
    assert all(str(p) in shown for p in paths.token_cache_files(env))
    assert "exists" in rows["audit log"] and "missing" in rows["config"]
