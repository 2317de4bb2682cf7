"""Conditional Access: policies, named locations, authentication strengths, the CAE policy, What If.

Wire shapes are Graph v1.0 (``identity/conditionalAccess/...``, ``policies/authenticationStrengthPolicies``)
plus the beta-only properties a tenant may send (legacy device states, the CAE session control, Global
Secure Access session and application markers, the compliant-network named location) and the beta
``identity/continuousAccessEvaluationPolicy`` singleton.

Several Graph properties are *flags* strings: one string holding comma-separated members
(``"b2bCollaborationGuest,internalGuest"``). They are kept as sent (so ``to_wire`` is faithful) and read
through the ``*_values`` properties, which split them with :func:`split_flags`.

Sub-typed objects (``@odata.type``) keep their discriminator in ``extra`` as the framework keeps every
property it does not declare; a sub-type built in code (``UserSignIn(user_id=...)``) stamps its own
``@odata.type`` there, so ``to_wire`` always names the type Graph needs.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any, ClassVar

from ztconsole.model.wire import F, Poly, Wire, model, polymorphic

__all__ = [
    # well-known values
    "ALL",
    "NONE",
    "GUESTS_OR_EXTERNAL_USERS",
    "OFFICE_365",
    "MICROSOFT_ADMIN_PORTALS",
    "AZURE_MANAGEMENT_APP_ID",
    "USER_ACTION_REGISTER_SECURITY_INFO",
    "USER_ACTION_REGISTER_DEVICE",
    "LOCATION_ALL",
    "LOCATION_ALL_TRUSTED",
    "LOCATION_COMPLIANT_NETWORK",
    "LOCATION_MFA_TRUSTED_IPS",
    "AUTH_STRENGTH_MFA",
    "AUTH_STRENGTH_PASSWORDLESS_MFA",
    "AUTH_STRENGTH_PHISHING_RESISTANT_MFA",
    "BUILT_IN_AUTH_STRENGTHS",
    "PHISHING_RESISTANT_METHODS",
    "split_flags",
    # policy
    "ConditionalAccessPolicy",
    "ConditionalAccessConditionSet",
    "ConditionalAccessUsers",
    "ConditionalAccessGuestsOrExternalUsers",
    "ConditionalAccessExternalTenants",
    "ConditionalAccessAllExternalTenants",
    "ConditionalAccessEnumeratedExternalTenants",
    "ConditionalAccessApplications",
    "ConditionalAccessClientApplications",
    "ConditionalAccessFilter",
    "ConditionalAccessPlatforms",
    "ConditionalAccessLocations",
    "ConditionalAccessDevices",
    "ConditionalAccessAuthenticationFlows",
    "ConditionalAccessGrantControls",
    "ConditionalAccessSessionControls",
    "SessionControl",
    "CloudAppSecuritySessionControl",
    "SignInFrequencySessionControl",
    "PersistentBrowserSessionControl",
    "ContinuousAccessEvaluationSessionControl",
    "GlobalSecureAccessFilteringProfileSessionControl",
    # named locations
    "NamedLocation",
    "IpNamedLocation",
    "CountryNamedLocation",
    "CompliantNetworkNamedLocation",
    "IpRange",
    "IPv4CidrRange",
    "IPv6CidrRange",
    # authentication strengths
    "AuthenticationStrengthPolicy",
    "AuthenticationCombinationConfiguration",
    "Fido2CombinationConfiguration",
    "X509CertificateCombinationConfiguration",
    # CAE
    "ContinuousAccessEvaluationPolicy",
    # What If
    "WhatIfAnalysisResult",
    "WhatIfRequest",
    "SignInIdentity",
    "UserSignIn",
    "ServicePrincipalSignIn",
    "SignInContext",
    "ApplicationContext",
    "UserActionContext",
    "AuthContext",
    "SignInConditions",
    "AuthenticationFlow",
    "DeviceInfo",
]

# --- well-known values --------------------------------------------------------------------------------------

#: ``includeUsers`` / ``includeApplications`` / ``includeLocations``... special values.
ALL = "All"
NONE = "None"
GUESTS_OR_EXTERNAL_USERS = "GuestsOrExternalUsers"
OFFICE_365 = "Office365"
MICROSOFT_ADMIN_PORTALS = "MicrosoftAdminPortals"
#: Windows Azure Service Management API (Azure portal, ARM, CLI, PowerShell).
AZURE_MANAGEMENT_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

#: ``conditions.applications.includeUserActions`` values.
USER_ACTION_REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"
USER_ACTION_REGISTER_DEVICE = "urn:user:registerdevice"

# Location ids a policy's ``includeLocations`` / ``excludeLocations`` may hold besides named-location ids:
#   "All"         any location;
#   "AllTrusted"  every named location marked trusted (plus MFA trusted IPs);
#   3d46dbda-...  "All Compliant Network locations": the compliantNetworkNamedLocation (beta) that Global
#                 Secure Access creates in every tenant when signalling for Conditional Access is on;
#                 the same id in every tenant, listed under namedLocations only through /beta;
#   00000000-...  the legacy "MFA trusted IPs" (per-user MFA service settings), not a namedLocation.
LOCATION_ALL = "All"
LOCATION_ALL_TRUSTED = "AllTrusted"
LOCATION_COMPLIANT_NETWORK = "3d46dbda-8382-466a-856d-eb00cbc6b910"
LOCATION_MFA_TRUSTED_IPS = "00000000-0000-0000-0000-000000000000"

#: The built-in authentication strengths (same ids in every tenant).
AUTH_STRENGTH_MFA = "00000000-0000-0000-0000-000000000002"
AUTH_STRENGTH_PASSWORDLESS_MFA = "00000000-0000-0000-0000-000000000003"
AUTH_STRENGTH_PHISHING_RESISTANT_MFA = "00000000-0000-0000-0000-000000000004"
BUILT_IN_AUTH_STRENGTHS = frozenset(
    {AUTH_STRENGTH_MFA, AUTH_STRENGTH_PASSWORDLESS_MFA, AUTH_STRENGTH_PHISHING_RESISTANT_MFA}
)

#: Authentication methods (``authenticationMethodModes``) that are phishing-resistant: the allowed
#: combinations of the built-in "Phishing-resistant MFA" strength. FIDO2 covers passkeys.
PHISHING_RESISTANT_METHODS = frozenset({"fido2", "windowsHelloForBusiness", "x509CertificateMultiFactor"})

# --- enums (documented values; others are kept and noted) ---------------------------------------------------

_POLICY_STATES = ("enabled", "disabled", "enabledForReportingButNotEnforced")
_CLIENT_APP_TYPES = (
    "all", "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "easSupported", "other",
    "unknownFutureValue",
)
_PLATFORMS = ("android", "iOS", "windows", "windowsPhone", "macOS", "linux", "all", "unknownFutureValue")
_RISK_LEVELS = ("low", "medium", "high", "hidden", "none", "unknownFutureValue")
_INSIDER_RISK_LEVELS = ("none", "minor", "moderate", "elevated", "unknownFutureValue")
_GRANT_CONTROLS = (
    "block", "mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication",
    "passwordChange", "riskRemediation", "unknownFutureValue",
)
_OPERATORS = ("AND", "OR")
_FILTER_MODES = ("include", "exclude")
_MEMBERSHIP_KINDS = ("all", "enumerated", "unknownFutureValue")
_CLOUD_APP_SECURITY_TYPES = ("mcasConfigured", "monitorOnly", "blockDownloads", "unknownFutureValue")
_FREQUENCY_TYPES = ("days", "hours")
_FREQUENCY_AUTH_TYPES = ("primaryAndSecondaryAuthentication", "secondaryAuthentication", "unknownFutureValue")
_FREQUENCY_INTERVALS = ("timeBased", "everyTime", "unknownFutureValue")
_PERSISTENT_BROWSER_MODES = ("always", "never")
_CAE_MODES = ("strictEnforcement", "disabled", "unknownFutureValue", "strictLocation")
_COUNTRY_LOOKUP_METHODS = ("clientIpAddress", "authenticatorAppGps", "unknownFutureValue")
_ALPHA2 = re.compile(r"[A-Za-z]{2}")


def _country_code(value: str) -> str | None:
    """Graph lists countries and regions as ISO 3166-1 alpha-2 codes; anything else is not a country."""
    return None if _ALPHA2.fullmatch(value) else f"not an ISO 3166-1 alpha-2 country code: {value[:20]!r}"


def _cidr(value: str) -> str | None:
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return f"not an IPv4 or IPv6 range in CIDR notation: {value[:50]!r}"
    return None


_COMPLIANT_NETWORK_TYPES = ("allTenantCompliantNetworks", "unknownFutureValue")
_STRENGTH_POLICY_TYPES = ("builtIn", "custom", "unknownFutureValue")
_USER_ACTIONS = ("registerSecurityInformation", "registerOrJoinDevices", "unknownFutureValue")
_TRANSFER_METHODS = ("none", "deviceCodeFlow", "authenticationTransfer", "unknownFutureValue")


def split_flags(value: str | None) -> tuple[str, ...]:
    """The members of a Graph flags string: ``"a, b"`` -> ``("a", "b")``; None or ``""`` -> ``()``."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


# --- sub-typed objects --------------------------------------------------------------------------------------


@model
class _Typed(Wire):
    """Base of classes chosen by ``@odata.type``; a sub-type built in code stamps its type in ``extra``."""

    ODATA_TYPE: ClassVar[str | None] = None

    def __post_init__(self) -> None:
        tag = self.ODATA_TYPE
        if tag is None:
            return
        extra = self.extra
        top = extra.get("") if extra else None
        if top is not None and "@odata.type" in top:
            return
        new = dict(extra) if extra else {}
        new[""] = {"@odata.type": tag, **(top or {})}
        object.__setattr__(self, "extra", new)

    @property
    def odata_type(self) -> str | None:
        """The ``@odata.type`` this object was read with (or stamped with), if any."""
        return self.unknown("@odata.type")  # type: ignore[no-any-return]  # a str: checked by from_wire


def _by_type(fallback: type[Wire], *classes: type[_Typed]) -> Poly:
    """A :class:`Poly` on ``@odata.type`` accepting ``#microsoft.graph.x`` and ``microsoft.graph.x``."""
    table: dict[str, type[Wire]] = {}
    for cls in classes:
        tag = cls.ODATA_TYPE
        if tag is None:
            raise TypeError(f"{cls.__qualname__} names no ODATA_TYPE to be chosen by")
        table[tag] = cls
        table[tag.lstrip("#")] = cls
    return Poly("@odata.type", table, fallback=fallback)


# --- authentication strengths (also expanded inside grant controls) -----------------------------------------


@model
class AuthenticationCombinationConfiguration(_Typed):
    """Extra restrictions on one method of a custom authentication strength."""

    id: str | None = F("id", intern=True)
    applies_to_combinations: tuple[str, ...] = F("appliesToCombinations", "strs", intern=True)


@model
class Fido2CombinationConfiguration(AuthenticationCombinationConfiguration):
    """FIDO2 keys restricted to authenticator models (AAGUIDs)."""

    ODATA_TYPE = "#microsoft.graph.fido2CombinationConfiguration"
    allowed_aaguids: tuple[str, ...] = F("allowedAAGUIDs", "strs")


@model
class X509CertificateCombinationConfiguration(AuthenticationCombinationConfiguration):
    """Certificates restricted to issuers (SKIs) and policy OIDs."""

    ODATA_TYPE = "#microsoft.graph.x509CertificateCombinationConfiguration"
    allowed_issuer_skis: tuple[str, ...] = F("allowedIssuerSkis", "strs")
    allowed_policy_oids: tuple[str, ...] = F("allowedPolicyOIDs", "strs")


_COMBINATION_CONFIG = _by_type(
    AuthenticationCombinationConfiguration,
    Fido2CombinationConfiguration,
    X509CertificateCombinationConfiguration,
)


@model
class AuthenticationStrengthPolicy(Wire):
    """An authentication strength: the method combinations that satisfy it."""

    id: str = F("id", required=True, intern=True)
    display_name: str | None = F("displayName")
    description: str | None = F("description")
    policy_type: str | None = F("policyType", enum=_STRENGTH_POLICY_TYPES, intern=True)
    requirements_satisfied: str | None = F("requirementsSatisfied", intern=True, doc="flags string")
    allowed_combinations: tuple[str, ...] = F(
        "allowedCombinations", "strs", intern=True, doc="each a comma-separated set of method modes"
    )
    combination_configurations: tuple[AuthenticationCombinationConfiguration, ...] = F(
        "combinationConfigurations", "objs", _COMBINATION_CONFIG
    )
    created_date_time: datetime | None = F("createdDateTime", "time")
    modified_date_time: datetime | None = F("modifiedDateTime", "time")

    @property
    def is_built_in(self) -> bool:
        return self.policy_type == "builtIn"

    @property
    def requirement_values(self) -> tuple[str, ...]:
        """``requirementsSatisfied`` split, e.g. ``("mfa",)``."""
        return split_flags(self.requirements_satisfied)

    @property
    def combination_sets(self) -> tuple[frozenset[str], ...]:
        """Each allowed combination as a set of methods: ``"password,sms"`` -> ``{"password", "sms"}``."""
        return tuple(frozenset(split_flags(c)) for c in self.allowed_combinations)

    @property
    def is_phishing_resistant(self) -> bool:
        """Every allowed combination includes a phishing-resistant method (and there is at least one)."""
        return bool(self.allowed_combinations) and all(
            not PHISHING_RESISTANT_METHODS.isdisjoint(c) for c in self.combination_sets
        )


# --- conditions ---------------------------------------------------------------------------------------------


@model
class ConditionalAccessExternalTenants(_Typed):
    """External tenants of guest / external users: all, or an enumerated list (by ``@odata.type``)."""

    membership_kind: str | None = F("membershipKind", enum=_MEMBERSHIP_KINDS, intern=True)


@model
class ConditionalAccessAllExternalTenants(ConditionalAccessExternalTenants):
    ODATA_TYPE = "#microsoft.graph.conditionalAccessAllExternalTenants"


@model
class ConditionalAccessEnumeratedExternalTenants(ConditionalAccessExternalTenants):
    ODATA_TYPE = "#microsoft.graph.conditionalAccessEnumeratedExternalTenants"
    members: tuple[str, ...] = F("members", "strs", intern=True, doc="tenant ids")


_EXTERNAL_TENANTS = _by_type(
    ConditionalAccessExternalTenants,
    ConditionalAccessAllExternalTenants,
    ConditionalAccessEnumeratedExternalTenants,
)


@model
class ConditionalAccessGuestsOrExternalUsers(Wire):
    """Guest / external user types (a flags string) and, optionally, their home tenants."""

    guest_or_external_user_types: str | None = F("guestOrExternalUserTypes", intern=True, doc="flags string")
    external_tenants: ConditionalAccessExternalTenants | None = F("externalTenants", "obj", _EXTERNAL_TENANTS)

    @property
    def user_types(self) -> tuple[str, ...]:
        """E.g. ``("internalGuest", "b2bCollaborationGuest")``."""
        return split_flags(self.guest_or_external_user_types)


@model
class ConditionalAccessUsers(Wire):
    """Users, groups and roles in and out of scope: ids, or ``All``, ``None``, ``GuestsOrExternalUsers``."""

    include_users: tuple[str, ...] = F("includeUsers", "strs", intern=True)
    exclude_users: tuple[str, ...] = F("excludeUsers", "strs", intern=True)
    include_groups: tuple[str, ...] = F("includeGroups", "strs", intern=True)
    exclude_groups: tuple[str, ...] = F("excludeGroups", "strs", intern=True)
    include_roles: tuple[str, ...] = F("includeRoles", "strs", intern=True, doc="role template ids")
    exclude_roles: tuple[str, ...] = F("excludeRoles", "strs", intern=True, doc="role template ids")
    include_guests_or_external_users: ConditionalAccessGuestsOrExternalUsers | None = F(
        "includeGuestsOrExternalUsers", "obj", ConditionalAccessGuestsOrExternalUsers
    )
    exclude_guests_or_external_users: ConditionalAccessGuestsOrExternalUsers | None = F(
        "excludeGuestsOrExternalUsers", "obj", ConditionalAccessGuestsOrExternalUsers
    )


@model
class ConditionalAccessFilter(Wire):
    """A filter rule (device, application or service principal attributes) that includes or excludes."""

    mode: str | None = F("mode", enum=_FILTER_MODES, intern=True)
    rule: str | None = F("rule")


@model
class ConditionalAccessApplications(Wire):
    """Target resources: application ids (or ``All``, ``Office365``...), user actions, auth contexts."""

    include_applications: tuple[str, ...] = F("includeApplications", "strs", intern=True)
    exclude_applications: tuple[str, ...] = F("excludeApplications", "strs", intern=True)
    include_user_actions: tuple[str, ...] = F("includeUserActions", "strs", intern=True)
    include_authentication_context_class_references: tuple[str, ...] = F(
        "includeAuthenticationContextClassReferences", "strs", intern=True
    )
    application_filter: ConditionalAccessFilter | None = F(
        "applicationFilter", "obj", ConditionalAccessFilter
    )
    global_secure_access: Any = F("globalSecureAccess", "json", doc="beta marker object: GSA traffic")
    network_access: Any = F("networkAccess", "json", doc="beta marker object (older name)")


@model
class ConditionalAccessClientApplications(Wire):
    """Workload identities (service principal ids, or ``ServicePrincipalsInMyTenant``) in and out of scope."""

    include_service_principals: tuple[str, ...] = F("includeServicePrincipals", "strs", intern=True)
    exclude_service_principals: tuple[str, ...] = F("excludeServicePrincipals", "strs", intern=True)
    service_principal_filter: ConditionalAccessFilter | None = F(
        "servicePrincipalFilter", "obj", ConditionalAccessFilter
    )


@model
class ConditionalAccessPlatforms(Wire):
    include_platforms: tuple[str, ...] = F("includePlatforms", "strs", enum=_PLATFORMS, intern=True)
    exclude_platforms: tuple[str, ...] = F("excludePlatforms", "strs", enum=_PLATFORMS, intern=True)


@model
class ConditionalAccessLocations(Wire):
    """Named-location ids, or ``All`` / ``AllTrusted`` (see the ``LOCATION_*`` constants)."""

    include_locations: tuple[str, ...] = F("includeLocations", "strs", intern=True)
    exclude_locations: tuple[str, ...] = F("excludeLocations", "strs", intern=True)


@model
class ConditionalAccessDevices(Wire):
    """A device filter; the legacy (beta) device-state lists are kept for old policies."""

    device_filter: ConditionalAccessFilter | None = F("deviceFilter", "obj", ConditionalAccessFilter)
    include_devices: tuple[str, ...] = F("includeDevices", "strs", intern=True, doc="legacy: All")
    exclude_devices: tuple[str, ...] = F(
        "excludeDevices", "strs", intern=True, doc="legacy: Compliant, DomainJoined"
    )
    include_device_states: tuple[str, ...] = F("includeDeviceStates", "strs", intern=True, doc="deprecated")
    exclude_device_states: tuple[str, ...] = F("excludeDeviceStates", "strs", intern=True, doc="deprecated")


@model
class ConditionalAccessAuthenticationFlows(Wire):
    transfer_methods: str | None = F("transferMethods", intern=True, doc="flags string")

    @property
    def transfer_method_values(self) -> tuple[str, ...]:
        """E.g. ``("deviceCodeFlow", "authenticationTransfer")``."""
        return split_flags(self.transfer_methods)


@model
class ConditionalAccessConditionSet(Wire):
    """When a policy applies."""

    users: ConditionalAccessUsers | None = F("users", "obj", ConditionalAccessUsers)
    applications: ConditionalAccessApplications | None = F(
        "applications", "obj", ConditionalAccessApplications
    )
    client_applications: ConditionalAccessClientApplications | None = F(
        "clientApplications", "obj", ConditionalAccessClientApplications
    )
    client_app_types: tuple[str, ...] = F("clientAppTypes", "strs", enum=_CLIENT_APP_TYPES, intern=True)
    platforms: ConditionalAccessPlatforms | None = F("platforms", "obj", ConditionalAccessPlatforms)
    locations: ConditionalAccessLocations | None = F("locations", "obj", ConditionalAccessLocations)
    devices: ConditionalAccessDevices | None = F("devices", "obj", ConditionalAccessDevices)
    sign_in_risk_levels: tuple[str, ...] = F("signInRiskLevels", "strs", enum=_RISK_LEVELS, intern=True)
    user_risk_levels: tuple[str, ...] = F("userRiskLevels", "strs", enum=_RISK_LEVELS, intern=True)
    service_principal_risk_levels: tuple[str, ...] = F(
        "servicePrincipalRiskLevels", "strs", enum=_RISK_LEVELS, intern=True
    )
    insider_risk_levels: str | None = F("insiderRiskLevels", intern=True, doc="flags string")
    agent_id_risk_levels: str | None = F("agentIdRiskLevels", intern=True, doc="beta; flags string")
    authentication_flows: ConditionalAccessAuthenticationFlows | None = F(
        "authenticationFlows", "obj", ConditionalAccessAuthenticationFlows
    )

    @property
    def insider_risk_level_values(self) -> tuple[str, ...]:
        """E.g. ``("moderate", "elevated")``."""
        return split_flags(self.insider_risk_levels)

    @property
    def agent_id_risk_level_values(self) -> tuple[str, ...]:
        return split_flags(self.agent_id_risk_levels)


# --- controls -----------------------------------------------------------------------------------------------


@model
class ConditionalAccessGrantControls(Wire):
    """What a user must satisfy: built-in controls, terms of use, custom controls, a strength."""

    operator: str | None = F("operator", enum=_OPERATORS, intern=True)
    built_in_controls: tuple[str, ...] = F("builtInControls", "strs", enum=_GRANT_CONTROLS, intern=True)
    custom_authentication_factors: tuple[str, ...] = F("customAuthenticationFactors", "strs", intern=True)
    terms_of_use: tuple[str, ...] = F("termsOfUse", "strs", intern=True)
    authentication_strength: AuthenticationStrengthPolicy | None = F(
        "authenticationStrength", "obj", AuthenticationStrengthPolicy
    )

    @property
    def blocks(self) -> bool:
        return "block" in self.built_in_controls

    @property
    def control_names(self) -> tuple[str, ...]:
        """Every control by the names of CONTRACTS §3: built-in values, ``authenticationStrength:<id>``,
        ``termsOfUse:<id>``, ``customControl:<id>`` (combined by :attr:`operator`)."""
        names = list(self.built_in_controls)
        if self.authentication_strength is not None:
            names.append(f"authenticationStrength:{self.authentication_strength.id}")
        names.extend(f"termsOfUse:{t}" for t in self.terms_of_use)
        names.extend(f"customControl:{c}" for c in self.custom_authentication_factors)
        return tuple(names)


@model
class SessionControl(Wire):
    """A session control that is only switched on or off (application enforced restrictions,
    secure sign-in session)."""

    is_enabled: bool | None = F("isEnabled", "bool")


@model
class CloudAppSecuritySessionControl(SessionControl):
    cloud_app_security_type: str | None = F(
        "cloudAppSecurityType", enum=_CLOUD_APP_SECURITY_TYPES, intern=True
    )


@model
class SignInFrequencySessionControl(SessionControl):
    value: int | None = F("value", "int")
    type: str | None = F("type", enum=_FREQUENCY_TYPES, intern=True, doc="unit of value")
    authentication_type: str | None = F("authenticationType", enum=_FREQUENCY_AUTH_TYPES, intern=True)
    frequency_interval: str | None = F("frequencyInterval", enum=_FREQUENCY_INTERVALS, intern=True)


@model
class PersistentBrowserSessionControl(SessionControl):
    mode: str | None = F("mode", enum=_PERSISTENT_BROWSER_MODES, intern=True)


@model
class ContinuousAccessEvaluationSessionControl(Wire):
    """Beta: CAE customisation; ``disabled`` switches CAE off for the policy's sign-ins."""

    mode: str | None = F("mode", enum=_CAE_MODES, intern=True)


@model
class GlobalSecureAccessFilteringProfileSessionControl(SessionControl):
    """Beta: links a Global Secure Access security (filtering) profile."""

    profile_id: str | None = F("profileId", intern=True)


@model
class ConditionalAccessSessionControls(Wire):
    """What a policy does to the session after sign-in."""

    application_enforced_restrictions: SessionControl | None = F(
        "applicationEnforcedRestrictions", "obj", SessionControl
    )
    cloud_app_security: CloudAppSecuritySessionControl | None = F(
        "cloudAppSecurity", "obj", CloudAppSecuritySessionControl
    )
    sign_in_frequency: SignInFrequencySessionControl | None = F(
        "signInFrequency", "obj", SignInFrequencySessionControl
    )
    persistent_browser: PersistentBrowserSessionControl | None = F(
        "persistentBrowser", "obj", PersistentBrowserSessionControl
    )
    continuous_access_evaluation: ContinuousAccessEvaluationSessionControl | None = F(
        "continuousAccessEvaluation", "obj", ContinuousAccessEvaluationSessionControl
    )
    disable_resilience_defaults: bool | None = F("disableResilienceDefaults", "bool")
    secure_sign_in_session: SessionControl | None = F("secureSignInSession", "obj", SessionControl)
    global_secure_access_filtering_profile: GlobalSecureAccessFilteringProfileSessionControl | None = F(
        "globalSecureAccessFilteringProfile", "obj", GlobalSecureAccessFilteringProfileSessionControl
    )

    @property
    def cae_mode(self) -> str | None:
        """``continuousAccessEvaluation.mode``, or None when the policy does not customise CAE."""
        cae = self.continuous_access_evaluation
        return cae.mode if cae is not None else None


# --- the policy ---------------------------------------------------------------------------------------------


@model
class ConditionalAccessPolicy(Wire):
    """A Conditional Access policy."""

    id: str = F("id", required=True, intern=True)
    display_name: str | None = F("displayName")
    description: str | None = F("description")
    state: str | None = F("state", enum=_POLICY_STATES, intern=True)
    template_id: str | None = F("templateId", intern=True)
    created_date_time: datetime | None = F("createdDateTime", "time")
    modified_date_time: datetime | None = F("modifiedDateTime", "time")
    conditions: ConditionalAccessConditionSet | None = F("conditions", "obj", ConditionalAccessConditionSet)
    grant_controls: ConditionalAccessGrantControls | None = F(
        "grantControls", "obj", ConditionalAccessGrantControls
    )
    session_controls: ConditionalAccessSessionControls | None = F(
        "sessionControls", "obj", ConditionalAccessSessionControls
    )

    @property
    def is_enabled(self) -> bool:
        """Enforced (``state == "enabled"``)."""
        return self.state == "enabled"

    @property
    def is_report_only(self) -> bool:
        return self.state == "enabledForReportingButNotEnforced"

    @property
    def is_disabled(self) -> bool:
        return self.state == "disabled"

    @property
    def blocks(self) -> bool:
        """The grant controls block access."""
        return self.grant_controls is not None and self.grant_controls.blocks


# --- named locations ----------------------------------------------------------------------------------------


@model
class IpRange(_Typed):
    """An IP range of an IP named location; a type this version does not know is kept in ``extra``."""

    cidr_address: str | None = F("cidrAddress", check=_cidr)


@model
class IPv4CidrRange(IpRange):
    ODATA_TYPE = "#microsoft.graph.iPv4CidrRange"


@model
class IPv6CidrRange(IpRange):
    ODATA_TYPE = "#microsoft.graph.iPv6CidrRange"


_IP_RANGE = _by_type(IpRange, IPv4CidrRange, IPv6CidrRange)


@model
class NamedLocation(_Typed):
    """A named location; parse with ``parse_one`` / ``parse_items`` to get the sub-type."""

    id: str = F("id", required=True, intern=True)
    display_name: str | None = F("displayName")
    created_date_time: datetime | None = F("createdDateTime", "time")
    modified_date_time: datetime | None = F("modifiedDateTime", "time")


@model
class IpNamedLocation(NamedLocation):
    ODATA_TYPE = "#microsoft.graph.ipNamedLocation"
    is_trusted: bool | None = F("isTrusted", "bool")
    ip_ranges: tuple[IpRange, ...] = F("ipRanges", "objs", _IP_RANGE)

    @property
    def cidrs(self) -> tuple[str, ...]:
        """The ranges' CIDR addresses, as sent."""
        return tuple(r.cidr_address for r in self.ip_ranges if r.cidr_address is not None)


@model
class CountryNamedLocation(NamedLocation):
    ODATA_TYPE = "#microsoft.graph.countryNamedLocation"
    countries_and_regions: tuple[str, ...] = F(
        "countriesAndRegions", "strs", intern=True, check=_country_code, doc="ISO 3166-1 alpha-2"
    )
    include_unknown_countries_and_regions: bool | None = F("includeUnknownCountriesAndRegions", "bool")
    country_lookup_method: str | None = F("countryLookupMethod", enum=_COUNTRY_LOOKUP_METHODS, intern=True)


@model
class CompliantNetworkNamedLocation(NamedLocation):
    """Beta: "All Compliant Network locations", created by Global Secure Access (id
    :data:`LOCATION_COMPLIANT_NETWORK`)."""

    ODATA_TYPE = "#microsoft.graph.compliantNetworkNamedLocation"
    compliant_network_type: str | None = F("compliantNetworkType", enum=_COMPLIANT_NETWORK_TYPES, intern=True)
    is_trusted: bool | None = F("isTrusted", "bool")


polymorphic(
    NamedLocation,
    _by_type(NamedLocation, IpNamedLocation, CountryNamedLocation, CompliantNetworkNamedLocation),
)


# --- continuous access evaluation (beta singleton) ----------------------------------------------------------


@model
class ContinuousAccessEvaluationPolicy(Wire):
    """The tenant's legacy CAE policy; ``migrate`` says its settings moved into CA policies."""

    id: str | None = F("id", intern=True)
    display_name: str | None = F("displayName")
    description: str | None = F("description")
    is_enabled: bool | None = F("isEnabled", "bool")
    users: tuple[str, ...] = F("users", "strs", intern=True, doc="empty: all users")
    groups: tuple[str, ...] = F("groups", "strs", intern=True, doc="empty: all groups")
    migrate: bool | None = F("migrate", "bool")


# --- What If: POST identity/conditionalAccess/evaluate ------------------------------------------------------


@model
class WhatIfAnalysisResult(ConditionalAccessPolicy):
    """One policy in the evaluate response, with whether it applies and why not."""

    policy_applies: bool | None = F("policyApplies", "bool")
    analysis_reasons: str | None = F("analysisReasons", intern=True, doc="flags string")

    @property
    def analysis_reason_values(self) -> tuple[str, ...]:
        """E.g. ``("users", "location")``; ``("notSet",)`` when the policy applies."""
        return split_flags(self.analysis_reasons)


@model
class SignInIdentity(_Typed):
    """Who signs in (base; the sub-type says whether a user or a service principal)."""


@model
class UserSignIn(SignInIdentity):
    ODATA_TYPE = "#microsoft.graph.userSignIn"
    user_id: str | None = F("userId", intern=True)
    external_tenant_id: str | None = F("externalTenantId", intern=True)
    external_user_type: str | None = F("externalUserType", intern=True, doc="flags string")


@model
class ServicePrincipalSignIn(SignInIdentity):
    ODATA_TYPE = "#microsoft.graph.servicePrincipalSignIn"
    service_principal_id: str | None = F("servicePrincipalId", intern=True)


@model
class SignInContext(_Typed):
    """What is signed in to (base; application, user action or authentication context)."""


@model
class ApplicationContext(SignInContext):
    ODATA_TYPE = "#microsoft.graph.applicationContext"
    include_applications: tuple[str, ...] = F("includeApplications", "strs", intern=True)


@model
class UserActionContext(SignInContext):
    ODATA_TYPE = "#microsoft.graph.userActionContext"
    user_action: str | None = F("userAction", enum=_USER_ACTIONS, intern=True)


@model
class AuthContext(SignInContext):
    ODATA_TYPE = "#microsoft.graph.authContext"
    authentication_context_value: str | None = F("authenticationContextValue", intern=True)


@model
class AuthenticationFlow(Wire):
    transfer_method: str | None = F("transferMethod", enum=_TRANSFER_METHODS, intern=True)


@model
class DeviceInfo(Wire):
    """Device attributes a device filter can test (names as in the filter rule syntax)."""

    device_id: str | None = F("deviceId")
    display_name: str | None = F("displayName")
    enrollment_profile_name: str | None = F("enrollmentProfileName")
    extension_attribute1: str | None = F("extensionAttribute1")
    extension_attribute2: str | None = F("extensionAttribute2")
    extension_attribute3: str | None = F("extensionAttribute3")
    extension_attribute4: str | None = F("extensionAttribute4")
    extension_attribute5: str | None = F("extensionAttribute5")
    extension_attribute6: str | None = F("extensionAttribute6")
    extension_attribute7: str | None = F("extensionAttribute7")
    extension_attribute8: str | None = F("extensionAttribute8")
    extension_attribute9: str | None = F("extensionAttribute9")
    extension_attribute10: str | None = F("extensionAttribute10")
    extension_attribute11: str | None = F("extensionAttribute11")
    extension_attribute12: str | None = F("extensionAttribute12")
    extension_attribute13: str | None = F("extensionAttribute13")
    extension_attribute14: str | None = F("extensionAttribute14")
    extension_attribute15: str | None = F("extensionAttribute15")
    is_compliant: bool | None = F("isCompliant", "bool")
    manufacturer: str | None = F("manufacturer")
    mdm_app_id: str | None = F("mdmAppId")
    model: str | None = F("model")
    operating_system: str | None = F("operatingSystem")
    operating_system_version: str | None = F("operatingSystemVersion")
    ownership: str | None = F("ownership")
    physical_ids: tuple[str, ...] = F("physicalIds", "strs")
    profile_type: str | None = F("profileType")
    system_labels: tuple[str, ...] = F("systemLabels", "strs")
    trust_type: str | None = F("trustType", doc="AzureAD, ServerAD or Workplace")


@model
class SignInConditions(Wire):
    """The sign-in's circumstances."""

    client_app_type: str | None = F("clientAppType", enum=_CLIENT_APP_TYPES, intern=True)
    device_platform: str | None = F("devicePlatform", enum=_PLATFORMS, intern=True)
    country: str | None = F("country")
    ip_address: str | None = F("ipAddress")
    insider_risk_level: str | None = F("insiderRiskLevel", enum=_INSIDER_RISK_LEVELS, intern=True)
    user_risk_level: str | None = F("userRiskLevel", enum=_RISK_LEVELS, intern=True)
    sign_in_risk_level: str | None = F("signInRiskLevel", enum=_RISK_LEVELS, intern=True)
    service_principal_risk_level: str | None = F("servicePrincipalRiskLevel", enum=_RISK_LEVELS, intern=True)
    authentication_flow: AuthenticationFlow | None = F("authenticationFlow", "obj", AuthenticationFlow)
    device_info: DeviceInfo | None = F("deviceInfo", "obj", DeviceInfo)


@model
class WhatIfRequest(Wire):
    """The body of ``POST identity/conditionalAccess/evaluate``; send ``to_wire()``."""

    sign_in_identity: SignInIdentity | None = F(
        "signInIdentity", "obj", _by_type(SignInIdentity, UserSignIn, ServicePrincipalSignIn)
    )
    sign_in_context: SignInContext | None = F(
        "signInContext", "obj", _by_type(SignInContext, ApplicationContext, UserActionContext, AuthContext)
    )
    sign_in_conditions: SignInConditions | None = F("signInConditions", "obj", SignInConditions)
    applied_policies_only: bool | None = F("appliedPoliciesOnly", "bool")
