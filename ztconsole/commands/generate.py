"""``ztconsole generate --out DIR [--scale demo|large|N]``: write a synthetic tenant directory."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, TextIO

from ztconsole import exitcodes
from ztconsole.commands.failures import UsageError

NAME = "generate"


def add_parser(sub: Any) -> None:
    gen = sub.add_parser(NAME, help="write a synthetic tenant directory")
    gen.add_argument("--out", metavar="DIR", type=Path, required=True, help="directory to write")
    gen.add_argument("--scale", default="demo",
                     help="demo (the curated Contoso tenant), large (20,000 users, 100,000 sign-ins), "
                          "or N (N users, everything else in proportion); default demo")
    gen.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    gen.add_argument("--force", action="store_true", help="write into a non-empty directory")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    scale: str | int = args.scale
    if scale not in ("demo", "large"):
        try:
            scale = int(scale)
        except ValueError:
            raise UsageError(f"--scale must be demo, large or a number of users, got {scale!r}") from None
    from ztconsole.demo.synthetic import generate

    started = time.perf_counter()
    try:
        counts = generate(args.out, scale, seed=args.seed, force=args.force)
    except (FileExistsError, ValueError) as e:
        raise UsageError(str(e)) from None
    summary = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
    out.write(f"wrote {args.out} in {time.perf_counter() - started:.1f} s: {summary}\n")
    return exitcodes.OK
