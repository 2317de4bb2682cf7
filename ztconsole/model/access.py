"""Private Access / Global Secure Access: applications, segments, connectors, forwarding profiles.

Graph shapes (mostly beta): ``servicePrincipals`` and their ``appRoleAssignedTo`` (v1.0), ``applications``
with ``onPremisesPublishing``, ``ipApplicationSegment``, application proxy ``connectorGroup`` and
``connector``, ``networkAccess/forwardingProfiles``, ``networkAccess/settings/conditionalAccess`` and the
traffic log ``networkAccess/logs/traffic``.

Upstream sample payloads for segments and connector groups are type templates (``"port": "Integer"``);
the fields they disagree on are declared leniently and the derived properties ignore what they cannot
read, so such a payload loads (with notes) instead of failing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .wire import F, Poly, Wire, model

__all__ = [
    "TAG_PRIVATE_ACCESS",
    "TAG_QUICK_ACCESS",
    "TAG_NETWORK_ACCESS_MANAGED",
    "TAG_ZTNA_CLIENT",
    "TAG_HIDE_APP",
    "PRIVATE_ACCESS_TAGS",
    "DEFAULT_APP_ROLE_ID",
    "AppRole",
    "ServicePrincipal",
    "AppRoleAssignment",
    "CertificateMetadata",
    "ApplicationSegment",
    "SegmentConfiguration",
    "IpSegmentConfiguration",
    "WebSegmentConfiguration",
    "OnPremisesPublishing",
    "Application",
    "ApplicationServicePrincipal",
    "ConnectorGroup",
    "Connector",
    "Association",
    "AssociatedBranch",
    "NetworkAccessPolicy",
    "PolicyLink",
    "ForwardingProfile",
    "ConditionalAccessSettings",
    "ApplicationSnapshot",
    "NetworkAccessTraffic",
]

# --- tags Entra puts on Private Access applications and their service principals ------------------
TAG_PRIVATE_ACCESS = "PrivateAccessNonWebApplication"
TAG_QUICK_ACCESS = "NetworkAccessQuickAccessApplication"
TAG_NETWORK_ACCESS_MANAGED = "NetworkAccessManagedApplication"
TAG_ZTNA_CLIENT = "IsAccessibleViaZTNAClient"
TAG_HIDE_APP = "HideApp"
#: the tags that mark a Private Access application (enterprise app or Quick Access), as Entra's own
#: tooling selects them
PRIVATE_ACCESS_TAGS = frozenset({TAG_PRIVATE_ACCESS, TAG_QUICK_ACCESS, TAG_NETWORK_ACCESS_MANAGED})

#: appRoleId of an assignment that grants default access (the app defines no roles, or none chosen)
DEFAULT_APP_ROLE_ID = "00000000-0000-0000-0000-000000000000"

_PA_TAGS_FOLDED = frozenset(t.casefold() for t in PRIVATE_ACCESS_TAGS)
_PA_APP_TYPES = frozenset({"nonwebapp", "quickaccessapp"})
_STATUS = ("enabled", "disabled")


def _folded(tags: tuple[str, ...]) -> frozenset[str]:
    return frozenset(t.casefold() for t in tags)


# --- service principals and assignments (v1.0) ------------------------------------------------------


@model
class AppRole(Wire):
    """A role an application defines; ``appRoleAssignment.appRoleId`` points at ``id``."""

    id: str | None = F("id", intern=True)
    value: str | None = F("value")
    display_name: str | None = F("displayName")
    description: str | None = F("description")
    allowed_member_types: tuple[str, ...] = F(
        "allowedMemberTypes", "strs", intern=True, enum=("User", "Application")
    )
    is_enabled: bool | None = F("isEnabled", "bool")
    origin: str | None = F("origin", intern=True)


@model
class ServicePrincipal(Wire):
    """An enterprise application (service principal)."""

    id: str = F("id", required=True, intern=True)
    app_id: str | None = F("appId", intern=True)
    display_name: str | None = F("displayName")
    service_principal_type: str | None = F(
        "servicePrincipalType", intern=True,
        enum=("Application", "ManagedIdentity", "Legacy", "SocialIdp"),
    )
    account_enabled: bool | None = F("accountEnabled", "bool")
    tags: tuple[str, ...] = F("tags", "strs", intern=True)
    app_role_assignment_required: bool | None = F("appRoleAssignmentRequired", "bool")
    app_owner_organization_id: str | None = F("appOwnerOrganizationId", intern=True)
    app_roles: tuple[AppRole, ...] = F("appRoles", "objs", AppRole)
    service_principal_names: tuple[str, ...] = F("servicePrincipalNames", "strs")
    preferred_single_sign_on_mode: str | None = F(
        "preferredSingleSignOnMode", intern=True, enum=("password", "saml", "notSupported", "oidc")
    )

    @property
    def is_private_access(self) -> bool:
        """Tagged as a Private Access application (including Quick Access)."""
        return not _PA_TAGS_FOLDED.isdisjoint(_folded(self.tags))

    @property
    def is_quick_access(self) -> bool:
        """Tagged as the tenant's Quick Access application."""
        return TAG_QUICK_ACCESS.casefold() in _folded(self.tags)


@model
class AppRoleAssignment(Wire):
    """A user, group or service principal assigned to an application (``appRoleAssignedTo``)."""

    id: str = F("id", required=True, intern=True)
    principal_id: str | None = F("principalId", intern=True)
    principal_type: str | None = F(
        "principalType", intern=True, enum=("User", "Group", "ServicePrincipal")
    )
    principal_display_name: str | None = F("principalDisplayName")
    resource_id: str | None = F("resourceId", intern=True)
    resource_display_name: str | None = F("resourceDisplayName")
    app_role_id: str | None = F("appRoleId", intern=True)
    created_date_time: datetime | None = F("createdDateTime", "time")


# --- applications and on-premises publishing (beta) -----------------------------------------------


@model
class CertificateMetadata(Wire):
    """The custom domain certificate of an app (verifiedCustomDomainCertificatesMetadata)."""

    expiry_date: datetime | None = F("expiryDate", "time")
    issue_date: datetime | None = F("issueDate", "time")
    issuer_name: str | None = F("issuerName")
    subject_name: str | None = F("subjectName")
    thumbprint: str | None = F("thumbprint")


def _port_range(text: str) -> tuple[int, int] | None:
    """``"445-445"`` or ``"445"`` -> (low, high); None when it is not a valid TCP/UDP port range."""
    low_s, dash, high_s = text.partition("-")
    low_s, high_s = low_s.strip(), high_s.strip()
    if not dash:
        high_s = low_s
    if not (low_s.isascii() and low_s.isdigit() and high_s.isascii() and high_s.isdigit()):
        return None
    low, high = int(low_s), int(high_s)
    if 1 <= low <= high <= 65535:
        return low, high
    return None


@model
class ApplicationSegment(Wire):
    """A destination a Private Access app publishes (ipApplicationSegment): host, ports, protocol."""

    id: str | None = F("id", intern=True)
    destination_host: str | None = F("destinationHost")
    destination_type: str | None = F(
        "destinationType", intern=True,
        enum=("ipAddress", "ipRange", "ipRangeCidr", "fqdn", "dnsSuffix"),
    )
    port: Any = F("port", "json", doc="deprecated Int32; 0 means none; kept as sent")
    ports: tuple[str, ...] = F("ports", "strs", intern=True)
    protocol: str | None = F(
        "protocol", intern=True, enum=("tcp", "udp", "tcp,udp", "udp,tcp")
    )

    @property
    def port_ranges(self) -> tuple[tuple[int, int], ...]:
        """The ports published, from ``port`` and ``ports``: sorted (low, high) ranges, overlaps merged.

        Entries that are not valid ports (``0``, ``"Integer"``, ``"90-80"``) contribute nothing.
        """
        found: list[tuple[int, int]] = []
        port = self.port
        if type(port) is int and 1 <= port <= 65535:
            found.append((port, port))
        for text in self.ports:
            rng = _port_range(text)
            if rng is not None:
                found.append(rng)
        found.sort()
        merged: list[tuple[int, int]] = []
        for low, high in found:
            if merged and low <= merged[-1][1] + 1:
                if high > merged[-1][1]:
                    merged[-1] = (merged[-1][0], high)
            else:
                merged.append((low, high))
        return tuple(merged)

    @property
    def protocols(self) -> tuple[str, ...]:
        """The protocols published, lower case, in wire order: ``"tcp,udp"`` -> ("tcp", "udp")."""
        if not self.protocol:
            return ()
        out: list[str] = []
        for part in self.protocol.split(","):
            name = part.strip().lower()
            if name and name not in out:
                out.append(name)
        return tuple(out)


@model
class SegmentConfiguration(Wire):
    """The segments of an on-premises application, of a kind this version does not model."""


@model
class IpSegmentConfiguration(SegmentConfiguration):
    """The IP/FQDN segments of a Private Access (non-web) application."""

    application_segments: tuple[ApplicationSegment, ...] = F(
        "applicationSegments", "objs", ApplicationSegment
    )


@model
class WebSegmentConfiguration(SegmentConfiguration):
    """The segments of an application proxy wildcard web app (kept as sent, in ``extra``)."""


_SEGMENT_CONFIGURATIONS = Poly(
    "@odata.type",
    {"ipSegmentConfiguration": IpSegmentConfiguration, "webSegmentConfiguration": WebSegmentConfiguration},
    fallback=SegmentConfiguration,
    strip="#microsoft.graph.",
)


@model
class OnPremisesPublishing(Wire):
    """How an application is published through application proxy / Private Access."""

    alternate_url: str | None = F("alternateUrl")
    application_server_timeout: str | None = F(
        "applicationServerTimeout", intern=True, enum=("default", "long")
    )
    application_type: str | None = F(
        "applicationType", intern=True, enum=("quickaccessapp", "nonwebapp")
    )
    external_authentication_type: str | None = F(
        "externalAuthenticationType", intern=True, enum=("passthru", "aadPreAuthentication")
    )
    external_url: str | None = F("externalUrl")
    internal_url: str | None = F("internalUrl")
    is_accessible_via_ztna_client: bool | None = F("isAccessibleViaZTNAClient", "bool")
    is_backend_certificate_validation_enabled: bool | None = F(
        "isBackendCertificateValidationEnabled", "bool"
    )
    is_dns_resolution_enabled: bool | None = F("isDnsResolutionEnabled", "bool")
    is_http_only_cookie_enabled: bool | None = F("isHttpOnlyCookieEnabled", "bool")
    is_on_prem_publishing_enabled: bool | None = F("isOnPremPublishingEnabled", "bool")
    is_persistent_cookie_enabled: bool | None = F("isPersistentCookieEnabled", "bool")
    is_secure_cookie_enabled: bool | None = F("isSecureCookieEnabled", "bool")
    is_state_session_enabled: bool | None = F("isStateSessionEnabled", "bool")
    is_translate_host_header_enabled: bool | None = F("isTranslateHostHeaderEnabled", "bool")
    is_translate_links_in_body_enabled: bool | None = F("isTranslateLinksInBodyEnabled", "bool")
    segments_configuration: SegmentConfiguration | None = F(
        "segmentsConfiguration", "obj", _SEGMENT_CONFIGURATIONS
    )
    use_alternate_url_for_translation_and_redirect: bool | None = F(
        "useAlternateUrlForTranslationAndRedirect", "bool"
    )
    verified_custom_domain_certificates_metadata: CertificateMetadata | None = F(
        "verifiedCustomDomainCertificatesMetadata", "obj", CertificateMetadata
    )


@model
class Application(Wire):
    """An application registration as Private Access uses it (beta: tags and onPremisesPublishing)."""

    id: str = F("id", required=True, intern=True)
    app_id: str | None = F("appId", intern=True)
    display_name: str | None = F("displayName")
    tags: tuple[str, ...] = F("tags", "strs", intern=True)
    created_date_time: datetime | None = F("createdDateTime", "time")
    sign_in_audience: str | None = F(
        "signInAudience", intern=True,
        enum=("AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount",
              "PersonalMicrosoftAccount"),
    )
    application_template_id: str | None = F("applicationTemplateId", intern=True)
    on_premises_publishing: OnPremisesPublishing | None = F(
        "onPremisesPublishing", "obj", OnPremisesPublishing
    )

    @property
    def _app_type(self) -> str | None:
        opp = self.on_premises_publishing
        return opp.application_type if opp is not None else None

    @property
    def is_private_access(self) -> bool:
        """A Private Access application: a Private Access tag, or published as a non-web/Quick Access app."""
        return not _PA_TAGS_FOLDED.isdisjoint(_folded(self.tags)) or self._app_type in _PA_APP_TYPES

    @property
    def is_quick_access(self) -> bool:
        """The tenant's Quick Access application."""
        return TAG_QUICK_ACCESS.casefold() in _folded(self.tags) or self._app_type == "quickaccessapp"

    @property
    def is_ztna(self) -> bool:
        """Reachable through the Global Secure Access client: any Private Access tag, the ZTNA tag, or
        ``onPremisesPublishing.isAccessibleViaZTNAClient``."""
        if self.is_private_access or TAG_ZTNA_CLIENT.casefold() in _folded(self.tags):
            return True
        opp = self.on_premises_publishing
        return opp is not None and opp.is_accessible_via_ztna_client is True

    @property
    def segments(self) -> tuple[ApplicationSegment, ...]:
        """The segments inlined in ``onPremisesPublishing.segmentsConfiguration``, if any."""
        opp = self.on_premises_publishing
        if opp is not None and isinstance(opp.segments_configuration, IpSegmentConfiguration):
            return opp.segments_configuration.application_segments
        return ()


@model
class ApplicationServicePrincipal(Wire):
    """The answer to ``applicationTemplates/{id}/instantiate``: the new application and service principal."""

    application: Application | None = F("application", "obj", Application)
    service_principal: ServicePrincipal | None = F("servicePrincipal", "obj", ServicePrincipal)


# --- connectors (beta, application proxy) ----------------------------------------------------------


@model
class ConnectorGroup(Wire):
    """A group of private network connectors that serves applications."""

    id: str = F("id", required=True, intern=True)
    name: str | None = F("name")
    connector_group_type: str | None = F(
        "connectorGroupType", intern=True, enum=("applicationProxy", "syncFabric")
    )
    is_default: bool | None = F("isDefault", "bool")
    region: str | None = F("region", intern=True, enum=("nam", "eur", "aus", "asia", "ind"))


@model
class Connector(Wire):
    """A private network (application proxy) connector."""

    id: str = F("id", required=True, intern=True)
    machine_name: str | None = F("machineName")
    external_ip: str | None = F("externalIp")
    status: str | None = F("status", intern=True, enum=("active", "inactive"))
    version: str | None = F("version", intern=True)

    @property
    def is_active(self) -> bool:
        return self.status == "active"


# --- Global Secure Access (beta, networkAccess) ----------------------------------------------------


@model
class Association(Wire):
    """Who or what a forwarding profile is associated with, of a kind this version does not model."""


@model
class AssociatedBranch(Association):
    """A forwarding profile associated with a branch (remote network)."""

    branch_id: str | None = F("branchId", intern=True)


_ASSOCIATIONS = Poly(
    "@odata.type",
    {"associatedBranch": AssociatedBranch},
    fallback=Association,
    strip="#microsoft.graph.networkaccess.",
)


@model
class NetworkAccessPolicy(Wire):
    """A forwarding or filtering policy linked to a profile (``$expand=policies($expand=policy)``)."""

    id: str | None = F("id", intern=True)
    name: str | None = F("name")
    description: str | None = F("description")
    version: str | None = F("version", intern=True)
    traffic_forwarding_type: str | None = F(
        "trafficForwardingType", intern=True, enum=("m365", "internet", "private")
    )


@model
class PolicyLink(Wire):
    """The link between a profile and one policy."""

    id: str | None = F("id", intern=True)
    state: str | None = F("state", intern=True, enum=_STATUS)
    version: str | None = F("version", intern=True)
    policy: NetworkAccessPolicy | None = F("policy", "obj", NetworkAccessPolicy)


@model
class ForwardingProfile(Wire):
    """A traffic forwarding profile (Microsoft 365, Internet or Private Access traffic)."""

    id: str = F("id", required=True, intern=True)
    name: str | None = F("name")
    description: str | None = F("description")
    state: str | None = F("state", intern=True, enum=_STATUS)
    version: str | None = F("version", intern=True)
    last_modified_date_time: datetime | None = F("lastModifiedDateTime", "time")
    traffic_forwarding_type: str | None = F(
        "trafficForwardingType", intern=True, enum=("m365", "internet", "private")
    )
    priority: int | None = F("priority", "int")
    associations: tuple[Association, ...] = F("associations", "objs", _ASSOCIATIONS)
    policies: tuple[PolicyLink, ...] = F("policies", "objs", PolicyLink)
    service_principal: ServicePrincipal | None = F("servicePrincipal", "obj", ServicePrincipal)

    @property
    def is_enabled(self) -> bool:
        return self.state == "enabled"


@model
class ConditionalAccessSettings(Wire):
    """Global Secure Access signalling to Conditional Access (source IP restoration)."""

    id: str | None = F("id", intern=True)
    signaling_status: str | None = F("signalingStatus", intern=True, enum=_STATUS)

    @property
    def is_enabled(self) -> bool:
        return self.signaling_status == "enabled"


#: ``microsoft.graph.networkaccess.networkingProtocol`` (transportProtocol, networkProtocol)
_NETWORKING_PROTOCOLS = (
    "ip", "icmp", "igmp", "ggp", "ipv4", "tcp", "pup", "udp", "idp", "ipv6", "ipv6RoutingHeader",
    "ipv6FragmentHeader", "ipSecEncapsulatingSecurityPayload", "ipSecAuthenticationHeader", "icmpV6",
    "ipv6NoNextHeader", "ipv6DestinationOptions", "nd", "raw", "ipx", "spx", "spxII", "unknownFutureValue",
)


@model
class ApplicationSnapshot(Wire):
    """The application a traffic log entry was attributed to (for Private Access, the enterprise app)."""

    app_id: str | None = F("appId", intern=True)


@model
class NetworkAccessTraffic(Wire):
    """One Global Secure Access traffic log entry (beta ``networkAccess/logs/traffic``,
    ``microsoft.graph.networkaccess.networkAccessTraffic``); ``transactionId`` is its key.

    The service's values are kept as sent: consumers compare ``trafficType``, ``action`` and the protocols
    without regard to case (the documented example writes ``"TCP"`` and ``"allowed"``).
    """

    transaction_id: str | None = F("transactionId")
    created_date_time: datetime | None = F("createdDateTime", "time")
    tenant_id: str | None = F("tenantId", intern=True)
    connection_id: str | None = F("connectionId")
    session_id: str | None = F("sessionId")
    traffic_type: str | None = F(
        "trafficType", intern=True, enum=("internet", "private", "microsoft365", "all", "unknownFutureValue")
    )
    device_category: str | None = F(
        "deviceCategory", intern=True, enum=("client", "branch", "unknownFutureValue")
    )
    destination_ip: str | None = F("destinationIp", intern=True)
    destination_port: int | None = F("destinationPort", "int")
    destination_fqdn: str | None = F("destinationFQDN", intern=True)
    source_ip: str | None = F("sourceIp", intern=True)
    source_port: int | None = F("sourcePort", "int")
    device_operating_system: str | None = F("deviceOperatingSystem", intern=True)
    device_operating_system_version: str | None = F("deviceOperatingSystemVersion", intern=True)
    agent_version: str | None = F("agentVersion", intern=True)
    device_id: str | None = F("deviceId", intern=True)
    user_id: str | None = F("userId", intern=True)
    user_principal_name: str | None = F("userPrincipalName", intern=True)
    transport_protocol: str | None = F("transportProtocol", intern=True, enum=_NETWORKING_PROTOCOLS)
    network_protocol: str | None = F("networkProtocol", intern=True, enum=_NETWORKING_PROTOCOLS)
    action: str | None = F("action", intern=True, enum=("block", "allow", "unknownFutureValue"))
    policy_id: str | None = F("policyId", intern=True)
    policy_rule_id: str | None = F("policyRuleId", intern=True)
    sent_bytes: int | None = F("sentBytes", "int")
    received_bytes: int | None = F("receivedBytes", "int")
    headers: Any = F("headers", "json", doc="networkaccess.headers (referrer, origin, xForwardedFor); kept as sent")
    application_snapshot: ApplicationSnapshot | None = F("applicationSnapshot", "obj", ApplicationSnapshot)

    @property
    def is_private(self) -> bool:
        """Private Access traffic (``trafficType`` ``private``, in any case)."""
        return (self.traffic_type or "").casefold() == "private"

    @property
    def is_blocked(self) -> bool:
        """Blocked by a policy (``action`` ``block``, in any case)."""
        return (self.action or "").casefold() == "block"
