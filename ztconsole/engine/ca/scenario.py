"""One sign-in as the evaluators take it (:class:`Scenario`), and the values each of its inputs takes
(CONTRACTS §2)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ztconsole.engine.device_filter import prepare_device
from ztconsole.model.ca import (
    ALL,
    MICROSOFT_ADMIN_PORTALS,
    OFFICE_365,
    USER_ACTION_REGISTER_DEVICE,
    USER_ACTION_REGISTER_SECURITY_INFO,
)
from ztconsole.model.directory import OBJECT_ID

__all__ = [
    "CLIENT_APPS",
    "PLATFORMS",
    "RISK_LEVELS",
    "INSIDER_RISK_LEVELS",
    "USER_ACTIONS",
    "USER_ACTION_NAMES",
    "AUTH_FLOWS",
    "APP_ALIASES",
    "GUEST_OR_EXTERNAL_USER_TYPES",
    "UNKNOWN_COUNTRY",
    "ENABLED",
    "REPORT_ONLY",
    "GUID",
    "AUTH_CONTEXT",
    "COUNTRY",
    "choice",
    "Scenario",
]

CLIENT_APPS = ("browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other")
PLATFORMS = ("android", "iOS", "windows", "windowsPhone", "macOS", "linux")
RISK_LEVELS = ("none", "low", "medium", "high")
INSIDER_RISK_LEVELS = ("minor", "moderate", "elevated")
#: scenario user action -> the ``includeUserActions`` URN
USER_ACTIONS: Mapping[str, str] = MappingProxyType({
    "registerSecurityInformation": USER_ACTION_REGISTER_SECURITY_INFO,
    "registerOrJoinDevices": USER_ACTION_REGISTER_DEVICE,
})
#: ``includeUserActions`` URN -> how the admin center names it
USER_ACTION_NAMES: Mapping[str, str] = MappingProxyType({
    USER_ACTION_REGISTER_SECURITY_INFO: "Register security information",
    USER_ACTION_REGISTER_DEVICE: "Register or join devices",
})
AUTH_FLOWS = ("deviceCodeFlow", "authenticationTransfer")
#: scenario ``app`` values that are not app ids
APP_ALIASES = (ALL, OFFICE_365, MICROSOFT_ADMIN_PORTALS)
GUEST_OR_EXTERNAL_USER_TYPES = (
    "internalGuest", "b2bCollaborationGuest", "b2bCollaborationMember", "b2bDirectConnectUser",
    "otherExternalUser", "serviceProvider",
)
#: ``Scenario.country`` when the country lookup found no country/region (ISO 3166 user-assigned "ZZ",
#: CLDR's "Unknown Region").
UNKNOWN_COUNTRY = "ZZ"
#: the policy states that are evaluated: enforced, and report-only (judged and reported apart)
ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"

GUID = OBJECT_ID
AUTH_CONTEXT = re.compile(r"^c([1-9]|[1-9][0-9])$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


def choice(name: str, value: str, allowed: Iterable[str]) -> str:
    """``value`` as spelled in ``allowed`` (matched without regard to case), or ValueError naming ``name``."""
    allowed = tuple(allowed)
    for a in allowed:
        if a.lower() == str(value).lower():
            return a
    raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


@dataclass(frozen=True)
class Scenario:
    """One sign-in. Exactly one of ``app``, ``user_action``, ``auth_context`` says what is signed in to.

    ``app``: an application (client) id, or ``All`` / ``Office365`` / ``MicrosoftAdminPortals``.
    ``platform``/``ip``/``country`` None: unknown. ``country``: ISO 3166-1 alpha-2 of the lookup result,
    :data:`UNKNOWN_COUNTRY` when the lookup found none. ``device`` None: an unregistered device; else
    device-filter properties (``isCompliant``, ``trustType``, ``extensionAttribute1``...).
    """

    user_id: str
    app: str | None = None
    user_action: str | None = None
    auth_context: str | None = None
    client_app: str = "browser"
    platform: str | None = None
    ip: str | None = None
    country: str | None = None
    compliant_network: bool = False
    sign_in_risk: str = "none"
    user_risk: str = "none"
    insider_risk: str | None = None
    device: Mapping[str, Any] | None = field(default=None, hash=False)
    auth_flow: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        targets = [v for v in (self.app, self.user_action, self.auth_context) if v is not None]
        if len(targets) != 1:
            raise ValueError("a scenario names exactly one of app, user_action or auth_context")
        if self.app is not None and self.app not in APP_ALIASES:
            if not GUID.match(self.app):
                raise ValueError(f"app must be an application id (GUID) or one of {', '.join(APP_ALIASES)}; "
                                 f"got {self.app!r}")
            set_(self, "app", self.app.lower())
        if self.user_action is not None:
            set_(self, "user_action", choice("user_action", self.user_action, USER_ACTIONS))
        if self.auth_context is not None and not AUTH_CONTEXT.match(self.auth_context):
            raise ValueError(f"auth_context must be c1 ... c99; got {self.auth_context!r}")
        set_(self, "client_app", choice("client_app", self.client_app, CLIENT_APPS))
        if self.platform is not None:
            set_(self, "platform", choice("platform", self.platform, PLATFORMS))
        if self.ip is not None:
            try:
                set_(self, "ip", str(ipaddress.ip_address(self.ip.strip())))
            except ValueError:
                raise ValueError(f"ip must be an IPv4 or IPv6 address; got {self.ip!r}") from None
        if self.country is not None:
            country = self.country.strip().upper()
            if not COUNTRY.match(country):
                raise ValueError(f"country must be an ISO 3166-1 alpha-2 code (or {UNKNOWN_COUNTRY} for "
                                 f"'no country/region'); got {self.country!r}")
            set_(self, "country", country)
        set_(self, "sign_in_risk", choice("sign_in_risk", self.sign_in_risk, RISK_LEVELS))
        set_(self, "user_risk", choice("user_risk", self.user_risk, RISK_LEVELS))
        if self.insider_risk is not None:
            set_(self, "insider_risk", choice("insider_risk", self.insider_risk, INSIDER_RISK_LEVELS))
        if self.auth_flow is not None:
            set_(self, "auth_flow", choice("auth_flow", self.auth_flow, AUTH_FLOWS))
        if not isinstance(self.compliant_network, bool):
            raise ValueError(f"compliant_network must be True or False; got {self.compliant_network!r}")
        if self.device is not None:
            if not isinstance(self.device, Mapping):
                raise ValueError(f"device must be a mapping of device properties; got {self.device!r}")
            frozen = {str(k): (tuple(v) if isinstance(v, list) else v) for k, v in self.device.items()}
            prepare_device(frozen)  # validates with the device filter's own reader: a DeviceInputError (ValueError)
            set_(self, "device", MappingProxyType(frozen))

    @property
    def target(self) -> str:
        """What is signed in to, in words."""
        if self.user_action is not None:
            return f"the user action '{USER_ACTION_NAMES[USER_ACTIONS[self.user_action]]}'"
        if self.auth_context is not None:
            return f"the authentication context {self.auth_context}"
        return f"app {self.app}"
