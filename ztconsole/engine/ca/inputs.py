"""What If inputs as an admin types them: ``--user`` (an id or a UPN), ``--app`` (an id, an alias or a
display name), ``--client-app``... resolved against the tenant into a :class:`~ztconsole.engine.whatif.Scenario`,
with a message that names the option for anything it cannot use (CONTRACTS §2).

The one path from typed inputs to a scenario, shared by the ``whatif`` and ``test`` commands and the
console's What If form (which, a layer below the commands, cannot import them); pure, no I/O."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ztconsole.engine import ca_catalog
from ztconsole.engine.ca.context import Context
from ztconsole.engine.ca.scenario import (
    APP_ALIASES,
    AUTH_CONTEXT,
    AUTH_FLOWS,
    CLIENT_APPS,
    COUNTRY,
    GUID,
    INSIDER_RISK_LEVELS,
    PLATFORMS,
    RISK_LEVELS,
    UNKNOWN_COUNTRY,
    USER_ACTIONS,
    Scenario,
    choice,
)
from ztconsole.engine.device_filter import parse_device_assignments
from ztconsole.model.ca import AZURE_MANAGEMENT_APP_ID
from ztconsole.model.tenant import Tenant

__all__ = ["resolve_scenario"]


def resolve_scenario(
    source: Context | Tenant,
    *,
    user: str,
    app: str | None = None,
    user_action: str | None = None,
    auth_context: str | None = None,
    client_app: str | None = None,
    platform: str | None = None,
    ip: str | None = None,
    country: str | None = None,
    compliant_network: bool = False,
    sign_in_risk: str | None = None,
    user_risk: str | None = None,
    insider_risk: str | None = None,
    device: Mapping[str, Any] | Sequence[str] | None = None,
    auth_flow: str | None = None,
) -> Scenario:
    """Turn command-line inputs (CONTRACTS §2) into a :class:`Scenario`; ValueError with a clear message.

    ``source``: a :class:`Context` or a Tenant. ``user``: object id or UPN. ``app``: app id, ``All``,
    ``Office365``, ``MicrosoftAdminPortals``, ``AzureManagement`` or the display name of exactly one
    service principal. ``device``: a mapping, or ``KEY=VALUE`` strings as ``--device`` takes them.
    ``country``: ISO alpha-2, or ``unknown`` / ``ZZ`` for a sign-in that maps to no country/region.
    """
    ctx = source if isinstance(source, Context) else Context.from_tenant(source)
    found = ctx.find_user(user.strip())
    if found is None:
        known = sorted(ctx.users_by_upn)
        import difflib  # a spelling to suggest: imported only when one is needed
        close = difflib.get_close_matches(user.strip().lower(), known, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"--user {user!r}: no user has that object id or UPN{hint}")
    targets = [n for n, v in (("--app", app), ("--user-action", user_action), ("--auth-context", auth_context))
               if v is not None]
    if not targets:
        raise ValueError("--app is required unless --user-action or --auth-context is given")
    if len(targets) > 1:
        raise ValueError(f"give only one of {', '.join(targets)}")
    resolved_app = _resolve_app(ctx, app) if app is not None else None
    if user_action is not None:
        user_action = choice("--user-action", user_action, USER_ACTIONS)
    if auth_context is not None and not AUTH_CONTEXT.match(auth_context.strip().lower()):
        raise ValueError(f"--auth-context must be c1 ... c99; got {auth_context!r}")
    if country is not None and country.strip().lower() in ("unknown", UNKNOWN_COUNTRY.lower()):
        country = UNKNOWN_COUNTRY
    elif country is not None and not COUNTRY.match(country.strip().upper()):
        raise ValueError(f"--country must be an ISO 3166-1 alpha-2 code such as NL or US, or 'unknown'; "
                         f"got {country!r}")
    if ip is not None:
        try:
            ipaddress.ip_address(ip.strip())
        except ValueError:
            raise ValueError(f"--ip must be an IPv4 or IPv6 address; got {ip!r}") from None
    if device is not None and not isinstance(device, Mapping):
        device = parse_device_assignments(list(device))
    return Scenario(
        user_id=found.id,
        app=resolved_app,
        user_action=user_action,
        auth_context=auth_context.strip().lower() if auth_context is not None else None,
        client_app=choice("--client-app", client_app or "browser", CLIENT_APPS),
        platform=choice("--platform", platform, PLATFORMS) if platform is not None else None,
        ip=ip.strip() if ip is not None else None,
        country=country.strip().upper() if country is not None else None,
        compliant_network=bool(compliant_network),
        sign_in_risk=choice("--sign-in-risk", sign_in_risk or "none", RISK_LEVELS),
        user_risk=choice("--user-risk", user_risk or "none", RISK_LEVELS),
        insider_risk=(choice("--insider-risk", insider_risk, INSIDER_RISK_LEVELS)
                      if insider_risk is not None else None),
        device=device,
        auth_flow=choice("--auth-flow", auth_flow, AUTH_FLOWS) if auth_flow is not None else None,
    )


def _resolve_app(ctx: Context, app: str) -> str:
    value = app.strip()
    for alias in APP_ALIASES:
        if value.lower() == alias.lower():
            return alias
    if value.lower() == ca_catalog.AZURE_MANAGEMENT_ALIAS.lower():
        return AZURE_MANAGEMENT_APP_ID
    if GUID.match(value):
        return value.lower()
    exact = sorted({a for a, n in ctx.service_principals if n == value})
    if not exact:
        exact = sorted({a for a, n in ctx.service_principals if n.lower() == value.lower()})
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        listed = "; ".join(f"{ctx.app_name(a)} ({a})" for a in exact)
        raise ValueError(f"--app {app!r} matches {len(exact)} service principals: {listed}; give the app id")
    names = sorted({n for _, n in ctx.service_principals if n})
    import difflib  # a spelling to suggest: imported only when one is needed
    close = difflib.get_close_matches(value, names, n=5, cutoff=0.5)
    close += [n for n in names if value.lower() in n.lower() and n not in close][: 5 - len(close)]
    hint = ("; candidates: " + "; ".join(f"{n} ({a})" for a, n in ctx.service_principals if n in close)
            if close else "")
    raise ValueError(f"--app {app!r} is not an app id, an alias ({', '.join(APP_ALIASES)}, "
                     f"{ca_catalog.AZURE_MANAGEMENT_ALIAS}) or the display name of a service principal{hint}")
