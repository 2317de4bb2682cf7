"""``ztconsole config validate [--live]`` and ``ztconsole config locate``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from ztconsole import exitcodes

NAME = "config"


def add_parser(sub: Any) -> None:
    cfg = sub.add_parser(NAME, help="check the config file; print every path ztconsole uses")
    actions = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True,
                                 parser_class=type(cfg))
    v = actions.add_parser("validate", help="check the config file and report every problem")
    v.add_argument("--config", metavar="FILE", type=Path, help="the file to check")
    v.add_argument("--live", action="store_true",
                   help="also sign in and report, per pane, which permission is granted, missing or unknown")
    v.add_argument("--tenant", metavar="NAME", help="the profile to check with --live")
    actions.add_parser("locate", help="print every path ztconsole reads and writes")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.config_command == "locate":
        return locate_command(env=os.environ, out=out)
    code = validate_command(args.config, env=os.environ, out=out, err=err)
    if code != exitcodes.OK or not args.live:
        return code
    return _preflight(args, out, err)


def validate_command(path: Path | None = None, *, env: Mapping[str, str] = os.environ,
                     out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``ztconsole config validate``: print a summary (exit 0) or every problem (exit 2)."""
    from ztconsole import paths
    from ztconsole.config import ConfigError, ConfigErrors, load_config, summary

    out = out or sys.stdout
    err = err or sys.stderr
    target = path if path is not None else paths.config_path(env)
    try:
        config = load_config(path, env=env)
    except ConfigErrors as errors:
        for error in errors.errors:
            print(error, file=err)
        count = len(errors.errors)
        print(f"{count} problem{'s' if count != 1 else ''} in {target}: not loaded", file=err)
        return exitcodes.USAGE
    except ConfigError as error:
        print(error, file=err)
        return exitcodes.USAGE
    print(f"{target}: no config file; using the defaults" if config.source is None else f"{target}: OK",
          file=out)
    for line in summary(config):
        print(line, file=out)
    return exitcodes.OK


def locate_command(*, env: Mapping[str, str] = os.environ, out: TextIO | None = None) -> int:
    """``ztconsole config locate``: print every path ztconsole reads and writes, and whether it exists."""
    from ztconsole import paths

    out = out or sys.stdout
    locations = paths.all_paths(env)
    label_width = max(len(location.label) for location in locations)
    path_width = max(len(str(location.path)) for location in locations)
    for location in locations:
        state = "exists " if location.path.exists() else "missing"
        label, where = f"{location.label:<{label_width}}", f"{str(location.path):<{path_width}}"
        print(f"{label}  {where}  {state}  {location.purpose}", file=out)
    return exitcodes.OK


def _preflight(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``--live``: sign in and report, per pane, which permission is granted, missing or unknown."""
    import asyncio

    from ztconsole.commands.source import device_code_prompt
    from ztconsole.config import load_config
    from ztconsole.sources.credentials import credential_for
    from ztconsole.sources.preflight import format_preflight, preflight

    cfg = load_config(args.config, env=os.environ)
    profile = cfg.profile(args.tenant)

    async def check() -> list[Any]:
        credential = credential_for(profile, env=os.environ, on_device_code=device_code_prompt(err))
        try:
            return await preflight(credential, profile.endpoints, subscriptions=profile.subscriptions)
        finally:
            close = getattr(credential, "close", None)
            if close is not None:
                await close()

    out.write(format_preflight(asyncio.run(check())) + "\n")
    return exitcodes.OK
