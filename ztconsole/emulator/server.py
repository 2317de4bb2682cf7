"""``ztconsole emulator``: the emulator on a loopback port, served by uvicorn."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ztconsole.datasets import BY_KEY
from ztconsole.safetext import clean, command_line

from .app import Emulator
from .faults import FaultPlan

TOKEN_ENV = "ZTCONSOLE_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(tenant_dir: Path, *, host: str = "127.0.0.1", port: int = 0, token: str | None = None,
          page_size: int = 100, faults: FaultPlan | None = None,
          ready: Callable[[str, str], None] | None = None,
          what_if: Callable[[Any], list[dict[str, Any]]] | None = None) -> None:
    """Serve ``tenant_dir`` as Graph + ARM on ``host:port`` until interrupted (Ctrl-C / SIGTERM).

    The token is ``token``, else ``$ZTCONSOLE_TOKEN``, else a random one. Once the port is listening,
    ``ready(base_url, token)`` is called, or the base URL, the token and how to point a ``custom`` cloud
    profile at it are printed.
    """
    import uvicorn

    if not is_loopback(host):
        raise ValueError(f"the emulator serves on loopback only (127.0.0.1, ::1, localhost), not {host!r}")
    from_env = token is None and bool(os.environ.get(TOKEN_ENV))
    token = token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(32)
    emulator = Emulator(Path(tenant_dir), token=token, page_size=page_size, faults=faults, what_if=what_if)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
        bound = sock.getsockname()[1]
        shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
        base = f"http://{shown}:{bound}"
        if ready is not None:
            ready(base, token)
        else:
            print(_banner(emulator, base, token, from_env), flush=True)
        config = uvicorn.Config(emulator.app, log_level="warning", access_log=False, lifespan="off")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _banner(emulator: Emulator, base: str, token: str, from_env: bool) -> str:
    """What ``serve`` prints at start. The tenant's display name and the directory's path are tenant text
    (escape sequences, bidi overrides): cleaned, like everything else ztconsole shows of a tenant."""
    info = emulator.store.info
    shown = f"the value of ${TOKEN_ENV}" if from_env else token
    export = "" if from_env else f"\n  export {TOKEN_ENV}=" + command_line([token])
    incomplete = "".join(f"  {BY_KEY[key].label}: {status}: {clean(message)}\n"
                         for key, status, message in info.recorded)
    if incomplete:  # served as recorded: a client sees them as complete, so say so here
        incomplete = ("Not read completely when recorded (served as they were recorded, which looks "
                      "complete to a client):\n" + incomplete)
    return (
        f"ztconsole emulator: {clean(info.display_name)} ({clean(emulator.store.root)})\n"
        f"  Graph  {base}/v1.0/  and  {base}/beta/\n"
        f"  ARM    {base}/subscriptions/  and  {base}/providers/\n"
        f"  Token  {shown}  (send 'Authorization: Bearer <token>')\n"
        "Point ztconsole at it with a tenant profile in the config file:\n"
        "  [tenants.emulator]\n"
        '  cloud = "custom"\n'
        f'  graph_url = "{base}"\n'
        f'  arm_url = "{base}"\n'
        '  auth = "static-token"\n'
        f"and the token in the environment:{export or f' ${TOKEN_ENV} is already set'}\n"
        f"{incomplete}Ctrl-C stops it."
    )
