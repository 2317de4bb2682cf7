"""What every command shares: its source (``--demo``, ``--tenant-dir``, a live profile), loading it, and
the completeness of what an analysis answers with (CONTRACTS §2 "Incomplete sources").

A recording (the demo, a tenant directory) is served by the emulator in process and read through the real
adapters, as a live tenant is; only the data sets a command uses are read, so a command loads only the
adapters it needs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ztconsole.commands.failures import SourceUnreadable
from ztconsole.safetext import clean, dump_json

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Settings
    from ztconsole.model.completeness import Incomplete
    from ztconsole.model.tenant import Tenant

__all__ = ["add_allow_partial", "add_source", "answerable", "check_settings", "device_code_prompt", "load_source",
           "print_json", "print_text", "recording", "source_args"]


def add_source(p: argparse.ArgumentParser) -> None:
    """The source options every command takes (CONTRACTS §2)."""
    g = p.add_argument_group("source (one of; default: the live tenant from the config file)")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--demo", action="store_true", help="the bundled demo tenant (Contoso)")
    x.add_argument("--tenant-dir", metavar="DIR", type=Path, help="a recorded tenant directory")
    x.add_argument("--tenant", metavar="NAME",
                   help="the live tenant profile [tenants.NAME] (default: default_tenant in the config)")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="config file (default: $ZTCONSOLE_CONFIG, else ~/.config/ztconsole/config.toml)")


def add_allow_partial(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-partial", action="store_true",
                   help="answer even when a data set it uses was not read completely (the answer says which; "
                        "without it such a source exits 3)")


def recording(args: argparse.Namespace) -> tuple[Path, str] | None:
    """The recording a command reads (demo or tenant directory) and its kind, or None for the live tenant."""
    if getattr(args, "demo", False):
        from ztconsole.demo import demo_dir

        return demo_dir(), "demo"
    if getattr(args, "tenant_dir", None) is not None:
        return Path(args.tenant_dir), "tenant-dir"
    return None


def device_code_prompt(err: TextIO) -> Callable[[str], None]:
    """Show the identity service's sign-in instructions on ``err``, as data."""
    def show(message: str) -> None:
        err.write("\n".join(clean(line) for line in message.rstrip().splitlines()) + "\n")
        err.flush()
    return show


def load_source(args: argparse.Namespace, err: TextIO, *, keys: Sequence[str] | None = None,
                recorder: Any = None, after: Callable[[Any, Any], Any] | None = None,
                break_glass_sign_ins: bool = False) -> Any:
    """The tenant of a command's source (only ``keys``, if given).

    ``break_glass_sign_ins``: read only the sign-ins of the declared emergency access accounts (the
    tenant's ``info.break_glass``: ``tenant.toml`` or the config file), for a command that judges no one
    else's (``assess``): the whole log of a large tenant is long to read, and beyond the live bound it would
    be partial, leaving those accounts unjudged.

    ``after(stack, tenant)``, a coroutine function, runs with the stack still open (for requests beyond the
    reads, such as What If): then ``(tenant, its result)`` is returned. Raises what cannot be read
    (:class:`~ztconsole.tenantdir.TenantDirError`, :class:`~ztconsole.sources.errors.SourceError`, a
    :class:`~ztconsole.config.ConfigError` for a live profile) for the funnel to report.
    """
    from ztconsole.gcpause import gc_paused

    with gc_paused():  # modules that live as long as the process (see the ca_data module)
        import asyncio

        from ztconsole.sources.stack import open_live, open_recording
    wanted = list(keys) if keys else None
    rec = recording(args)
    if rec is not None:
        opening = open_recording(rec[0], keys=wanted)
    else:
        from ztconsole import config as cfgmod

        cfg = cfgmod.load_config(args.config, env=os.environ)
        profile = cfg.profile(getattr(args, "tenant", None))
        opening = open_live(profile, break_glass=cfg.break_glass_for(profile),
                            signin_days=getattr(args, "signin_days", 30), on_device_code=device_code_prompt(err),
                            keys=wanted)
    return asyncio.run(_with_stack(opening, wanted, recorder, after, break_glass_sign_ins))


async def _with_stack(opening: Any, keys: list[str] | None, recorder: Any,
                      after: Callable[[Any, Any], Any] | None, break_glass_sign_ins: bool = False) -> Any:
    from dataclasses import replace

    from ztconsole.sources.loader import Loader

    async with await opening as stack:
        options = stack.options
        if break_glass_sign_ins:
            options = replace(options, signins_of=tuple(dict.fromkeys(stack.info.break_glass)))
        tenant = await Loader(stack.readers, stack.info, options=options, recorder=recorder).load(keys)
        return tenant if after is None else (tenant, await after(stack, tenant))


def answerable(args: argparse.Namespace, tenant: Tenant, uses: Sequence[str], err: TextIO,
               notes: Sequence[tuple[str, str]] = ()) -> list[Incomplete]:
    """The data sets among ``uses`` not read completely, each named on ``err``: the answer carries them with
    ``--allow-partial``, else there is no answer (exit 3). ``notes``: ``(data set, what is not shown)`` for
    data sets read only to say more, which never decide the answer."""
    from ztconsole.model.completeness import incomplete

    prog = f"ztconsole {args.command}"
    missing = incomplete(tenant, uses)
    for item in missing:
        err.write(f"{prog}: {item.data_set} is {item.status}: {clean(item.message)}\n")
    for key, not_shown in notes:
        for item in incomplete(tenant, [key]):
            err.write(f"{prog}: note: {item.data_set} is {item.status} ({clean(item.message)}): {not_shown}\n")
    if missing and not getattr(args, "allow_partial", False):
        raise SourceUnreadable("no answer on incomplete data; --allow-partial answers anyway, marked as incomplete")
    return missing


def _banner(missing: Sequence[Incomplete]) -> list[str]:
    """The first lines of a human answer computed on incomplete data (``--allow-partial``)."""
    if not missing:
        return []
    return ["INCOMPLETE: answered without all of its data (--allow-partial); not read completely:",
            *(f"  {m.data_set}: {m.status}: {m.message}" for m in missing), ""]


def print_text(out: TextIO, lines: Sequence[str], missing: Sequence[Incomplete] = ()) -> None:
    """A human answer: the incomplete banner first, every line cleaned of terminal sequences."""
    out.write("\n".join(clean(x) for x in (*_banner(missing), *lines)) + "\n")


def print_json(out: TextIO, doc: dict[str, Any], missing: Sequence[Incomplete] = ()) -> None:
    """A JSON answer with its ``incomplete`` list (always present, empty when complete)."""
    out.write(dump_json({**doc, "incomplete": [m.to_json() for m in missing]}))


def source_args(args: argparse.Namespace) -> tuple[str, ...]:
    """The source options of this command line, as ``whatif`` takes them (reproduction lines)."""
    if getattr(args, "demo", False):
        return ("--demo",)
    if getattr(args, "tenant_dir", None) is not None:
        return ("--tenant-dir", str(args.tenant_dir))
    out: tuple[str, ...] = ()
    if getattr(args, "tenant", None):
        out += ("--tenant", args.tenant)
    if getattr(args, "config", None) is not None:
        out += ("--config", str(args.config))
    return out


def check_settings(args: argparse.Namespace) -> Settings:
    """The checks' limits: the config file's ``[thresholds]`` mapped by name (see the module)."""
    from ztconsole.engine.checks.base import settings_from

    return settings_from(threshold_values(args))


def threshold_values(args: argparse.Namespace) -> dict[str, Any]:
    """The config file's ``[thresholds]`` by name, for a live profile, and for a recording only when
    ``--config`` names a file (a recording's verdicts are otherwise reproducible anywhere); no engine import
    (the console passes them on before its first frame)."""
    import dataclasses

    if recording(args) is not None and getattr(args, "config", None) is None:
        return {}
    from ztconsole import config as cfgmod

    thresholds = cfgmod.load_config(args.config, env=os.environ).thresholds
    return {f.name: getattr(thresholds, f.name) for f in dataclasses.fields(thresholds)}
