"""The ``ztconsole`` command line (CONTRACTS §2).

Start-up matters: this module imports only the standard library at module level, and each command imports
what it needs when it runs, so ``ztconsole --version`` and ``config validate`` never load an SDK.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence, TextIO

from ztconsole.safetext import bug_report, clean

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_SOURCE = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 2 as CONTRACTS §2 says (argparse's own default, kept explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _add_source(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("source (one of; default: the live tenant from the config file)")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--demo", action="store_true", help="the bundled demo tenant (Contoso)")
    x.add_argument("--tenant-dir", metavar="DIR", type=Path, help="a recorded tenant directory")
    x.add_argument("--tenant", metavar="NAME",
                   help="the live tenant profile [tenants.NAME] (default: default_tenant in the config)")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="config file (default: $ZTCONSOLE_CONFIG, else ~/.config/ztconsole/config.toml)")


def _add_allow_partial(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-partial", action="store_true",
                   help="answer even when a data set it uses was not read completely (the answer says which; "
                        "without it such a source exits 3)")


def build_parser() -> argparse.ArgumentParser:
    from ztconsole import __version__

    parser = _Parser(
        prog="ztconsole",
        description="A terminal console for running Zero Trust networking on Microsoft Entra ID and Azure.",
        epilog="Run 'ztconsole COMMAND --help' for a command's options. Exit codes: 0 ok, 1 findings "
               "at or above --fail-on, 2 usage or configuration error, 3 source not readable.",
    )
    parser.add_argument("--version", action="version", version=f"ztconsole {__version__}")
    _add_source(parser)
    parser.add_argument("--theme", help="theme for this run (overrides config)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    cfg = sub.add_parser("config", help="check the config file; print every path ztconsole uses")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True,
                                 parser_class=_Parser)
    v = cfg_sub.add_parser("validate", help="check the config file and report every problem")
    v.add_argument("--config", metavar="FILE", type=Path, help="the file to check")
    v.add_argument("--live", action="store_true",
                   help="also sign in and report, per pane, which permission is granted, missing or unknown")
    v.add_argument("--tenant", metavar="NAME", help="the profile to check with --live")
    cfg_sub.add_parser("locate", help="print every path ztconsole reads and writes")

    emu = sub.add_parser("emulator", help="serve a tenant directory as Graph + ARM on loopback")
    _add_source(emu)
    emu.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    emu.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    emu.add_argument("--page-size", type=int, default=100, help="items per page (default 100)")
    emu.add_argument("--fault", metavar="SPEC", action="append", default=[],
                     help="inject a fault, e.g. 'GET /v1.0/users.*=throttle:retry_after=1:times=2' "
                          "(repeatable; kinds: latency, throttle, error, reset, malformed, truncated, forbidden)")

    snap = sub.add_parser("snapshot", help="record a source as a tenant directory")
    _add_source(snap)
    snap.add_argument("--out", metavar="DIR", type=Path, required=True, help="directory to write")
    snap.add_argument("--force", action="store_true", help="write into a non-empty directory")
    snap.add_argument("--signin-days", type=int, default=30, metavar="N",
                      help="live sources: sign-ins of the last N days (default 30)")

    wi = sub.add_parser("whatif", help="evaluate one sign-in against the CA policies locally")
    _add_source(wi)
    wi.add_argument("--user", required=True, metavar="U", help="object id or UPN")
    target = wi.add_mutually_exclusive_group()
    target.add_argument("--app", metavar="A",
                        help="application (client) id, All, Office365, MicrosoftAdminPortals, AzureManagement, "
                             "or the display name of one service principal")
    target.add_argument("--user-action", metavar="X",
                        help="registerSecurityInformation or registerOrJoinDevices")
    wi.add_argument("--client-app", metavar="C",
                    help="browser (default), mobileAppsAndDesktopClients, exchangeActiveSync or other")
    wi.add_argument("--platform", metavar="P",
                    help="android, iOS, windows, windowsPhone, macOS or linux (default: unknown)")
    wi.add_argument("--ip", metavar="IP", help="the sign-in's IP address (default: unknown location)")
    wi.add_argument("--country", metavar="CC", help="ISO 3166-1 alpha-2 country or region (default: unknown)")
    wi.add_argument("--compliant-network", action="store_true",
                    help="the sign-in comes through Global Secure Access (a compliant network location)")
    wi.add_argument("--sign-in-risk", metavar="L", help="none (default), low, medium or high")
    wi.add_argument("--user-risk", metavar="L", help="none (default), low, medium or high")
    wi.add_argument("--device", metavar="KEY=VALUE", action="append", default=None,
                    help="a device property for device filters, e.g. isCompliant=True (repeatable; "
                         "none: an unregistered device)")
    wi.add_argument("--json", action="store_true", help="JSON output (CONTRACTS 3)")
    _add_allow_partial(wi)
    wi.add_argument("--compare-server", action="store_true",
                    help="live tenants: also ask Microsoft Graph What If and show where it disagrees")

    gp = sub.add_parser("gaps", help="CA coverage gaps: sign-ins no policy blocks or asks MFA of")
    _add_source(gp)
    gp.add_argument("--include-report-only", action="store_true",
                    help="count report-only policies as if they were enforced")
    gp.add_argument("--json", action="store_true", help="JSON output (CONTRACTS 5)")
    _add_allow_partial(gp)

    imp = sub.add_parser("impact", help="what enforcing a (report-only) policy would do to the logged sign-ins")
    _add_source(imp)
    imp.add_argument("--policy", required=True, metavar="ID", help="the policy's id (or exact display name)")
    imp.add_argument("--days", type=int, metavar="N",
                     help="only sign-ins of the last N days (before the capture time of a recording)")
    imp.add_argument("--json", action="store_true", help="JSON output")
    _add_allow_partial(imp)

    gen = sub.add_parser("generate", help="write a synthetic tenant directory")
    gen.add_argument("--out", metavar="DIR", type=Path, required=True, help="directory to write")
    gen.add_argument("--scale", default="demo",
                     help="demo (the curated Contoso tenant), large (20,000 users, 100,000 sign-ins), "
                          "or N (N users, everything else in proportion); default demo")
    gen.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    gen.add_argument("--force", action="store_true", help="write into a non-empty directory")
    return parser


def run(argv: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as e:  # --help, --version, usage errors
        return int(e.code or 0)
    try:
        return _dispatch(args, out, err)
    except KeyboardInterrupt:
        err.write("ztconsole: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - the last resort: one line, never a traceback (CONTRACTS §2)
        return internal_error(e, err)


def internal_error(exc: BaseException, err: TextIO) -> int:
    """Report a bug: one line with the cause and what to send, exit 70. The traceback (without local
    variables, which may hold tokens) only with ``ZTCONSOLE_DEBUG=1``."""
    err.write(bug_report(exc, debug=os.environ.get("ZTCONSOLE_DEBUG") == "1") + "\n")
    return EXIT_INTERNAL


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "config":
        return _config(args, out, err)
    if args.command == "generate":
        return _generate(args, out, err)
    if args.command == "emulator":
        return _emulator(args, out, err)
    if args.command == "snapshot":
        return _snapshot(args, out, err)
    if args.command in ("whatif", "gaps", "impact"):
        from ztconsole.commands import ca

        return ca.run(args, out, err)
    return _console(args, out, err)


def _config(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole import config

    if args.config_command == "validate":
        code = config.validate_command(args.config, env=os.environ, out=out, err=err)
        if code != EXIT_OK or not args.live:
            return code
        return _preflight(args, out, err)
    return config.locate_command(env=os.environ, out=out)


def _preflight(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import asyncio

    from ztconsole import config as cfgmod
    from ztconsole.sources.errors import SourceError

    try:
        cfg = cfgmod.load_config(args.config, env=os.environ)
        profile = cfg.profile(args.tenant)
    except cfgmod.ConfigError as e:
        err.write(f"ztconsole: {e}\n")
        return EXIT_USAGE
    from ztconsole.sources.credentials import credential_for
    from ztconsole.sources.preflight import format_preflight, preflight

    async def check() -> list:
        credential = credential_for(profile, env=os.environ, on_device_code=_device_code_prompt(err))
        try:
            return await preflight(credential, profile.endpoints, subscriptions=profile.subscriptions)
        finally:
            close = getattr(credential, "close", None)
            if close is not None:
                await close()

    try:
        checks = asyncio.run(check())
    except SourceError as e:
        err.write(f"ztconsole: {e}\n")
        return EXIT_SOURCE
    out.write(format_preflight(checks) + "\n")
    return EXIT_OK


def _device_code_prompt(err: TextIO):
    def show(message: str) -> None:  # the identity service's words, shown as data
        err.write("\n".join(clean(line) for line in message.rstrip().splitlines()) + "\n")
        err.flush()
    return show


def _generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    scale: str | int = args.scale
    if scale not in ("demo", "large"):
        try:
            scale = int(scale)
        except ValueError:
            err.write(f"ztconsole generate: --scale must be demo, large or a number of users, got {scale!r}\n")
            return EXIT_USAGE
    import time

    from ztconsole.demo.synthetic import generate

    started = time.perf_counter()
    try:
        counts = generate(args.out, scale, seed=args.seed, force=args.force)
    except (FileExistsError, ValueError) as e:
        err.write(f"ztconsole generate: {e}\n")
        return EXIT_USAGE
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
    out.write(f"wrote {args.out} in {seconds:.1f} s: {summary}\n")
    return EXIT_OK


def _recording(args: argparse.Namespace) -> tuple[Path, str] | None:
    """The recording a command reads (demo or tenant directory), or None for the live tenant."""
    if getattr(args, "demo", False):
        from ztconsole.demo import demo_dir

        return demo_dir(), "demo"
    if getattr(args, "tenant_dir", None) is not None:
        return args.tenant_dir, "tenant-dir"
    return None


def _emulator(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rec = _recording(args)
    if rec is None:
        err.write("ztconsole emulator: serve --demo or --tenant-dir DIR\n")
        return EXIT_USAGE
    from ztconsole.emulator import FaultPlan, parse_fault, serve
    from ztconsole.tenantdir import TenantDir, TenantDirError

    try:
        TenantDir.open(rec[0])
        faults = FaultPlan([parse_fault(spec) for spec in args.fault])
    except TenantDirError as e:
        err.write(f"ztconsole emulator: cannot read the tenant directory: {clean(e)}\n")
        return EXIT_SOURCE
    except ValueError as e:
        err.write(f"ztconsole emulator: {e}\n")
        return EXIT_USAGE

    try:
        from ztconsole.sources.stack import recorded_what_if

        serve(Path(rec[0]), host=args.host, port=args.port, page_size=args.page_size, faults=faults,
              what_if=recorded_what_if(Path(rec[0])))
    except ValueError as e:
        err.write(f"ztconsole emulator: {e}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _snapshot(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import time

    from ztconsole.sources.snapshot import SnapshotWriter

    try:
        SnapshotWriter.prepare(args.out, force=args.force)
    except FileExistsError as e:
        err.write(f"ztconsole snapshot: {e}\n")
        return EXIT_USAGE
    writer = SnapshotWriter(args.out)
    started = time.perf_counter()
    tenant = load_source(args, err, recorder=writer)
    if isinstance(tenant, int):
        return tenant
    writer.finish(tenant.info, results=tenant.results)
    bad = {k: r for k, r in tenant.results.items() if r.status not in ("ok", "missing")}
    out.write(f"wrote {args.out} in {time.perf_counter() - started:.1f} s: {writer.files} files, "
              f"{sum(r.count for r in tenant.results.values()):,} items\n")
    for key, r in bad.items():
        err.write(f"  {key}: {r.status}: {clean(r.message)}\n")
    return EXIT_SOURCE if bad else EXIT_OK


def load_source(args: argparse.Namespace, err: TextIO, *, keys: Sequence[str] | None = None, recorder=None,
                after=None):
    """The tenant of a command's source, or an exit code with the reason on ``err`` naming the command.

    A recording (``--demo``, ``--tenant-dir``) is served by the emulator in process and read through the
    real adapters; otherwise the chosen profile's live tenant (see :func:`_load_live` for ``after``). Only
    ``keys``, if given. The one place a command turns an unreadable source into exit 3 (CONTRACTS §2)."""
    import asyncio

    from ztconsole.sources.errors import SourceError
    from ztconsole.tenantdir import TenantDirError

    prog = f"ztconsole {args.command}"
    rec = _recording(args)
    try:
        if rec is not None:
            from ztconsole.sources.stack import RecordingSource

            source = RecordingSource(Path(rec[0]))
            return asyncio.run(source.aload(keys=list(keys) if keys else None, recorder=recorder))
        return _load_live(args, err, recorder=recorder, keys=keys, after=after)
    except TenantDirError as e:
        err.write(f"{prog}: cannot read the tenant directory: {clean(e)}\n")
        return EXIT_SOURCE
    except SourceError as e:
        err.write(f"{prog}: {clean(e)}\n")
        return EXIT_SOURCE


def _load_live(args: argparse.Namespace, err: TextIO, *, recorder=None, keys=None, after=None):
    """Load the live tenant of the chosen profile (``keys`` only, if given); an exit code on a
    configuration error. ``after(stack, tenant)``, a coroutine function, runs with the stack still open
    (for requests beyond the reads, such as What If): then ``(tenant, its result)`` is returned."""
    import asyncio

    from ztconsole import config as cfgmod

    try:
        cfg = cfgmod.load_config(args.config, env=os.environ)
        profile = cfg.profile(getattr(args, "tenant", None))
    except cfgmod.ConfigError as e:
        err.write(f"ztconsole: {e}\n")
        return EXIT_USAGE
    from ztconsole.sources.loader import Loader
    from ztconsole.sources.stack import open_live

    async def load():
        async with await open_live(profile, break_glass=cfg.break_glass_for(profile),
                                   signin_days=getattr(args, "signin_days", 30),
                                   on_device_code=_device_code_prompt(err)) as stack:
            loader = Loader(stack.readers, stack.info, options=stack.options, recorder=recorder)
            tenant = await loader.load(list(keys) if keys else None)
            if after is None:
                return tenant
            return tenant, await after(stack, tenant)

    return asyncio.run(load())


def _console(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole import config as cfgmod

    try:
        cfg = cfgmod.load_config(args.config, env=os.environ)
    except cfgmod.ConfigError as e:
        err.write(f"ztconsole: {e}\n")
        return EXIT_USAGE
    theme = args.theme or cfg.ui.theme
    rec = _recording(args)
    if rec is not None:
        from ztconsole.sources.stack import RecordingSource
        from ztconsole.tenantdir import TenantDirError

        try:
            source = RecordingSource(Path(rec[0]))
        except TenantDirError as e:
            err.write(f"ztconsole: cannot read the tenant directory: {clean(e)}\n")
            return EXIT_SOURCE
        badge = "DEMO" if rec[1] == "demo" else "OFFLINE"
        read_only = True
    else:
        try:
            profile = cfg.profile(args.tenant)
        except cfgmod.ConfigError as e:
            err.write(f"ztconsole: {e}\n")
            return EXIT_USAGE
        from ztconsole.sources.stack import LiveSource

        source = LiveSource(profile, break_glass=cfg.break_glass_for(profile))  # type: ignore[assignment]
        badge, read_only = "LIVE", True
        theme = args.theme or profile.theme or cfg.ui.theme
    from ztconsole.paths import themes_dir
    from ztconsole.ui.app import run_console

    return run_console(source, badge=badge, read_only=read_only, theme=theme,
                       user_themes=themes_dir(os.environ), keymap=cfg.keymap,
                       refresh_interval=cfg.ui.refresh_interval)
