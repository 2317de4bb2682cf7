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

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_SOURCE = 3


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
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="config file (default: $ZTCONSOLE_CONFIG, else ~/.config/ztconsole/config.toml)")


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
    cfg_sub.add_parser("locate", help="print every path ztconsole reads and writes")

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
    if args.command == "config":
        return _config(args, out, err)
    if args.command == "generate":
        return _generate(args, out, err)
    return _console(args, out, err)


def _config(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole import config

    if args.config_command == "validate":
        return config.validate_command(args.config, env=os.environ, out=out, err=err)
    return config.locate_command(env=os.environ, out=out)


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


def _console(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ztconsole import config as cfgmod

    try:
        cfg = cfgmod.load_config(args.config, env=os.environ)
    except cfgmod.ConfigError as e:
        err.write(f"ztconsole: {e}\n")
        return EXIT_USAGE
    if args.demo:
        from ztconsole.demo import demo_dir

        tenant_dir, badge = demo_dir(), "DEMO"
    elif args.tenant_dir is not None:
        tenant_dir, badge = args.tenant_dir, "OFFLINE"
    else:
        err.write(
            "ztconsole: reading a live tenant arrives with the live adapters; for now use --demo or "
            "--tenant-dir DIR (see 'ztconsole --help')\n")
        return EXIT_USAGE
    from ztconsole.tenantdir import TenantDir, TenantDirError

    try:
        TenantDir.open(tenant_dir)
    except TenantDirError as e:
        err.write(f"ztconsole: cannot read the tenant directory: {e}\n")
        return EXIT_SOURCE
    from ztconsole.paths import themes_dir
    from ztconsole.ui.app import run_console

    theme = args.theme or cfg.ui.theme
    return run_console(Path(tenant_dir), badge=badge, read_only=True, theme=theme,
                       user_themes=themes_dir(os.environ))
