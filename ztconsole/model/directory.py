"""The directory model: organisation, users, groups, roles, authentication methods, sign-ins, licences.

Graph v1.0 wire shapes, built by :mod:`ztconsole.model.wire`. Field names are the wire names in
snake_case; derived values (``User.is_guest``, ``AuthenticationMethod.phishing_resistant``, ...) are
properties. Sign-ins are the bulk data set (hundreds of thousands per tenant), so their repeating
strings are interned and identical nested parts are shared between sign-ins.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from ztconsole.model.wire import (
    F,
    JsonPath,
    Poly,
    Wire,
    WireError,
    WireNote,
    model,
    parse_time,
    polymorphic,
    share,
)

#: A directory object id (a GUID), as Graph writes it: what tells an id from a name or a UPN.
OBJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

__all__ = [
    "AAD_PREMIUM",
    "AAD_PREMIUM_P2",
    "ENTRA_INTERNET_ACCESS",
    "ENTRA_PRIVATE_ACCESS",
    "GLOBAL_ADMINISTRATOR",
    "INTUNE",
    "PHISHING_RESISTANT_REGISTRATIONS",
    "PRIVILEGED_ROLE_TEMPLATES",
    "SERVICE_PLAN_IDS",
    "AndroidCompliancePolicy",
    "AppliedConditionalAccessPolicy",
    "AssignedLicense",
    "AuthenticationMethod",
    "DeviceCompliancePolicy",
    "DeviceDetail",
    "DirectoryObject",
    "EmailAuthenticationMethod",
    "ExpirationPattern",
    "ExternalAuthenticationMethod",
    "Fido2AuthenticationMethod",
    "GeoCoordinates",
    "Group",
    "IosCompliancePolicy",
    "LicenseUnitsDetail",
    "MacOSCompliancePolicy",
    "MicrosoftAuthenticatorAuthenticationMethod",
    "ObjectIdentity",
    "Organization",
    "PasswordAuthenticationMethod",
    "PhoneAuthenticationMethod",
    "PlatformCredentialAuthenticationMethod",
    "QrCodePinAuthenticationMethod",
    "RequestSchedule",
    "RoleAssignment",
    "RoleDefinition",
    "RoleEligibilitySchedule",
    "RolePermission",
    "ServicePlanInfo",
    "SignIn",
    "SignInActivity",
    "SignInLocation",
    "SignInStatus",
    "SoftwareOathAuthenticationMethod",
    "SubscribedSku",
    "TemporaryAccessPassAuthenticationMethod",
    "User",
    "UserRegistrationDetails",
    "VerifiedDomain",
    "Windows10CompliancePolicy",
    "WindowsHelloForBusinessAuthenticationMethod",
]

_GRAPH = "#microsoft.graph."

# --- constants --------------------------------------------------------------------------------

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"

#: Well-known privileged directory roles (template id -> name): the roles Microsoft labels privileged
#: that matter for Zero Trust, the administrator roles of Microsoft's "require MFA for administrators"
#: Conditional Access template, and Global Secure Access Administrator (it publishes Private Access).
PRIVILEGED_ROLE_TEMPLATES: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "ac434307-12b9-4fa1-a708-88bf58caabc1": "Global Secure Access Administrator",
}

# Service plan names (``servicePlans[].servicePlanName``) that decide what a tenant can do.
AAD_PREMIUM = "AAD_PREMIUM"  # Microsoft Entra ID P1: Conditional Access, sign-in logs
AAD_PREMIUM_P2 = "AAD_PREMIUM_P2"  # Microsoft Entra ID P2: risk-based policies, PIM
ENTRA_PRIVATE_ACCESS = "Entra_Premium_Private_Access"  # Microsoft Entra Private Access
ENTRA_INTERNET_ACCESS = "Entra_Premium_Internet_Access"  # Microsoft Entra Internet Access
INTUNE = "INTUNE_A"  # Microsoft Intune: device compliance

#: The service plan ids of the plans above (stable across tenants).
SERVICE_PLAN_IDS: dict[str, str] = {
    AAD_PREMIUM: "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
    AAD_PREMIUM_P2: "eec0eb4f-6444-4f95-aba0-50c24d67f998",
    ENTRA_PRIVATE_ACCESS: "f057aab1-b184-49b2-85c0-881b02a405c5",
    ENTRA_INTERNET_ACCESS: "8d23cb83-ab07-418f-8517-d7aca77307dc",
    INTUNE: "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
}

#: ``userRegistrationDetails.methodsRegistered`` values that are phishing-resistant credentials.
PHISHING_RESISTANT_REGISTRATIONS = frozenset({
    "fido2", "fido2SecurityKey", "passKeyDeviceBound", "passKeyDeviceBoundAuthenticator",
    "passKeyDeviceBoundWindowsHello", "passKeySynced", "windowsHelloForBusiness",
    "macOsSecureEnclaveKey", "platformCredential", "x509Certificate",
})

# --- enums this version knows (others are kept and noted) -------------------------------------

_RISK_LEVEL = ("none", "low", "medium", "high", "hidden", "unknownFutureValue")
_RISK_STATE = ("none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised",
               "unknownFutureValue")
_RISK_DETAIL = (
    "none", "adminGeneratedTemporaryPassword", "userPerformedSecuredPasswordChange",
    "userPerformedSecuredPasswordReset", "adminConfirmedSigninSafe", "aiConfirmedSigninSafe",
    "userPassedMFADrivenByRiskBasedPolicy", "adminDismissedAllRiskForUser",
    "adminConfirmedSigninCompromised", "hidden", "adminConfirmedUserCompromised", "unknownFutureValue",
    "m365DAdminDismissedDetection", "adminConfirmedServicePrincipalCompromised",
    "adminDismissedAllRiskForServicePrincipal", "userChangedPasswordOnPremises",
    "adminDismissedRiskForSignIn", "adminConfirmedAccountSafe", "microsoftRevokedSessions",
)
_CA_STATUS = ("success", "failure", "notApplied", "unknownFutureValue")
_CA_RESULT = ("success", "failure", "notApplied", "notEnabled", "unknown", "unknownFutureValue",
              "reportOnlySuccess", "reportOnlyFailure", "reportOnlyNotApplied", "reportOnlyInterrupted")
_KEY_STRENGTH = ("normal", "weak", "unknown")


def _type_name(odata_type: str | None) -> str:
    """``#microsoft.graph.user`` -> ``user``."""
    if not odata_type:
        return ""
    return odata_type[len(_GRAPH):] if odata_type.startswith(_GRAPH) else odata_type.lstrip("#")


# --- organisation -----------------------------------------------------------------------------


@model
class VerifiedDomain(Wire):
    name: str | None = F("name")
    is_default: bool | None = F("isDefault", "bool")
    is_initial: bool | None = F("isInitial", "bool")
    type: str | None = F("type", doc="Managed or Federated")
    capabilities: str | None = F("capabilities")


@model
class Organization(Wire):
    """The tenant (``GET /organization``)."""

    id: str = F("id", required=True)
    display_name: str | None = F("displayName")
    tenant_type: str | None = F("tenantType", doc="AAD (workforce) or AAD B2C")
    verified_domains: tuple[VerifiedDomain, ...] = F("verifiedDomains", "objs", VerifiedDomain)
    created_date_time: datetime | None = F("createdDateTime", "time")
    on_premises_sync_enabled: bool | None = F("onPremisesSyncEnabled", "bool")
    country_letter_code: str | None = F("countryLetterCode")

    @property
    def default_domain(self) -> str | None:
        return next((d.name for d in self.verified_domains if d.is_default), None)

    @property
    def initial_domain(self) -> str | None:
        """The ``*.onmicrosoft.com`` domain the tenant was created with."""
        return next((d.name for d in self.verified_domains if d.is_initial), None)


# --- users and groups -------------------------------------------------------------------------


@model
class AssignedLicense(Wire):
    sku_id: str | None = F("skuId", intern=True)
    disabled_plans: tuple[str, ...] = F("disabledPlans", "strs", intern=True)


@model
class ObjectIdentity(Wire):
    sign_in_type: str | None = F("signInType", doc="userPrincipalName, emailAddress, federated, ...")
    issuer: str | None = F("issuer")
    issuer_assigned_id: str | None = F("issuerAssignedId")


def _activity_time(value: str | None) -> datetime | None:
    # Graph writes "never" as an empty string or 0001-01-01T00:00:00Z.
    if not value or value.startswith("0001-01-01"):
        return None
    return parse_time(value)


@model
class SignInActivity(Wire):
    """A user's last sign-ins, as Graph reports them (needs AuditLog.Read.All and Entra ID P1).

    The ``*_date_time`` fields keep the wire text because Graph writes "never" as ``""`` or
    ``0001-01-01T00:00:00Z``; the properties give the time, or None for never.
    """

    last_sign_in_date_time: str | None = F("lastSignInDateTime")
    last_sign_in_request_id: str | None = F("lastSignInRequestId")
    last_non_interactive_sign_in_date_time: str | None = F("lastNonInteractiveSignInDateTime")
    last_non_interactive_sign_in_request_id: str | None = F("lastNonInteractiveSignInRequestId")
    last_successful_sign_in_date_time: str | None = F("lastSuccessfulSignInDateTime")
    last_successful_sign_in_request_id: str | None = F("lastSuccessfulSignInRequestId")

    @property
    def last_sign_in(self) -> datetime | None:
        """Last interactive sign-in attempt (successful or not)."""
        return _activity_time(self.last_sign_in_date_time)

    @property
    def last_non_interactive_sign_in(self) -> datetime | None:
        return _activity_time(self.last_non_interactive_sign_in_date_time)

    @property
    def last_successful_sign_in(self) -> datetime | None:
        """Last successful sign-in, interactive or not."""
        return _activity_time(self.last_successful_sign_in_date_time)

    @property
    def last_any_sign_in(self) -> datetime | None:
        """The latest of the three times, or None when the user never signed in."""
        times = [t for t in (self.last_sign_in, self.last_non_interactive_sign_in,
                             self.last_successful_sign_in) if t is not None]
        return max(times, default=None)


def _check_activity_times(cls: type[Wire]) -> None:
    """Make ``cls.from_wire`` reject activity times that are neither "never" nor a timestamp."""
    generated = cls.from_wire.__func__  # type: ignore[attr-defined]
    checked = [(name, spec.key) for name, spec in cls.wire_fields if name.endswith("_date_time")]
    fromisoformat = datetime.fromisoformat

    def from_wire(klass: type, d: Any, p: JsonPath = (), notes: list[WireNote] | None = None) -> Any:
        obj = generated(klass, d, p, notes)
        for name, key in checked:
            value = getattr(obj, name)
            if not value or value.startswith("0001-01-01"):  # never (_activity_time)
                continue
            try:  # parse_time(value), inline: a UTC timestamp needs no conversion
                if fromisoformat(value).tzinfo is not UTC:
                    parse_time(value)
            except ValueError:
                raise WireError(p + (key,), f"not a timestamp: {value[:40]!r}") from None
        return obj

    cls.from_wire = classmethod(from_wire)  # type: ignore[method-assign,assignment]


_check_activity_times(SignInActivity)


@model
class User(Wire):
    """A user (``GET /users``)."""

    id: str = F("id", required=True, intern=True)
    display_name: str | None = F("displayName")
    user_principal_name: str | None = F("userPrincipalName")
    mail: str | None = F("mail")
    user_type: str | None = F("userType", enum=("Member", "Guest"), intern=True)
    account_enabled: bool | None = F("accountEnabled", "bool")
    on_premises_sync_enabled: bool | None = F(
        "onPremisesSyncEnabled", "bool",
        doc="true: synced now; false: was synced, no longer; null: never synced")
    on_premises_immutable_id: str | None = F("onPremisesImmutableId")
    created_date_time: datetime | None = F("createdDateTime", "time")
    creation_type: str | None = F("creationType", intern=True)
    external_user_state: str | None = F("externalUserState", intern=True)
    department: str | None = F("department", intern=True)
    job_title: str | None = F("jobTitle", intern=True)
    usage_location: str | None = F("usageLocation", intern=True)
    other_mails: tuple[str, ...] = F("otherMails", "strs")
    assigned_licenses: tuple[AssignedLicense, ...] = F("assignedLicenses", "objs", AssignedLicense)
    identities: tuple[ObjectIdentity, ...] = F("identities", "objs", ObjectIdentity)
    sign_in_activity: SignInActivity | None = F("signInActivity", "obj", SignInActivity)

    @property
    def is_guest(self) -> bool:
        """A guest (B2B) user; without ``userType``, judged by the ``#EXT#`` UPN of invited users."""
        if self.user_type is not None:
            return self.user_type == "Guest"
        return "#EXT#" in (self.user_principal_name or "")

    @property
    def is_cloud_only(self) -> bool:
        """Mastered in Entra ID: never synced from on-premises, or no longer synced."""
        return self.on_premises_sync_enabled is not True


@model
class Group(Wire):
    """A group (``GET /groups``)."""

    id: str = F("id", required=True, intern=True)
    display_name: str | None = F("displayName")
    description: str | None = F("description")
    group_types: tuple[str, ...] = F("groupTypes", "strs", intern=True)
    security_enabled: bool | None = F("securityEnabled", "bool")
    mail_enabled: bool | None = F("mailEnabled", "bool")
    membership_rule: str | None = F("membershipRule")
    membership_rule_processing_state: str | None = F("membershipRuleProcessingState",
                                                     enum=("On", "Paused"))
    is_assignable_to_role: bool | None = F("isAssignableToRole", "bool")
    on_premises_sync_enabled: bool | None = F("onPremisesSyncEnabled", "bool")
    created_date_time: datetime | None = F("createdDateTime", "time")

    @property
    def is_dynamic(self) -> bool:
        """Membership computed from ``membershipRule``, not assigned."""
        return "DynamicMembership" in self.group_types

    @property
    def is_microsoft_365(self) -> bool:
        return "Unified" in self.group_types


@model
class DirectoryObject(Wire):
    """A member or memberOf entry, or an expanded principal: any directory object, typed by
    ``@odata.type``. Only the properties of its type are present."""

    id: str = F("id", required=True, intern=True)
    display_name: str | None = F("displayName")
    user_principal_name: str | None = F("userPrincipalName")
    mail: str | None = F("mail")
    user_type: str | None = F("userType", intern=True)
    account_enabled: bool | None = F("accountEnabled", "bool")
    security_enabled: bool | None = F("securityEnabled", "bool")
    group_types: tuple[str, ...] = F("groupTypes", "strs", intern=True)
    app_id: str | None = F("appId", intern=True, doc="service principals")
    role_template_id: str | None = F("roleTemplateId", intern=True, doc="directory roles")

    @property
    def odata_type(self) -> str | None:
        """``@odata.type``, kept in ``extra`` (the framework reads dotted keys as paths)."""
        return self.unknown("@odata.type")  # type: ignore[no-any-return]  # a str: checked by from_wire

    @property
    def kind(self) -> str:
        """``user``, ``group``, ``servicePrincipal``, ``device``, another Graph type name
        (``directoryRole``, ``orgContact``, ...), or ``unknown`` without ``@odata.type``."""
        return _type_name(self.odata_type) or "unknown"


# --- directory roles --------------------------------------------------------------------------


@model
class RolePermission(Wire):
    allowed_resource_actions: tuple[str, ...] = F("allowedResourceActions", "strs")
    excluded_resource_actions: tuple[str, ...] = F("excludedResourceActions", "strs")
    condition: str | None = F("condition")


@model
class RoleDefinition(Wire):
    """A directory role definition (``roleManagement/directory/roleDefinitions``)."""

    id: str = F("id", required=True, intern=True)
    display_name: str | None = F("displayName")
    description: str | None = F("description")
    is_built_in: bool | None = F("isBuiltIn", "bool")
    is_enabled: bool | None = F("isEnabled", "bool")
    is_privileged: bool | None = F("isPrivileged", "bool", doc="beta only")
    template_id: str | None = F("templateId", intern=True)
    role_permissions: tuple[RolePermission, ...] = F("rolePermissions", "objs", RolePermission)

    @property
    def privileged(self) -> bool:
        """Marked privileged by Graph, or one of :data:`PRIVILEGED_ROLE_TEMPLATES`."""
        return bool(self.is_privileged) or (self.template_id or self.id) in PRIVILEGED_ROLE_TEMPLATES


@model
class RoleAssignment(Wire):
    """An active directory role assignment (``roleManagement/directory/roleAssignments``)."""

    id: str = F("id", required=True)
    principal_id: str | None = F("principalId", intern=True)
    role_definition_id: str | None = F("roleDefinitionId", intern=True,
                                       doc="the template id for built-in roles")
    directory_scope_id: str | None = F("directoryScopeId", intern=True, doc="'/' is tenant-wide")
    app_scope_id: str | None = F("appScopeId", intern=True)
    principal: DirectoryObject | None = F("principal", "obj", DirectoryObject,
                                          doc="with $expand=principal")
    role_definition: RoleDefinition | None = F("roleDefinition", "obj", RoleDefinition,
                                               doc="with $expand=roleDefinition")


@model
class ExpirationPattern(Wire):
    type: str | None = F("type", enum=("notSpecified", "noExpiration", "afterDateTime",
                                       "afterDuration", "unknownFutureValue"))
    end_date_time: datetime | None = F("endDateTime", "time")
    duration: str | None = F("duration", doc="ISO 8601 duration, e.g. PT8H")


@model
class RequestSchedule(Wire):
    start_date_time: datetime | None = F("startDateTime", "time")
    expiration: ExpirationPattern | None = F("expiration", "obj", ExpirationPattern)
    recurrence: Any = F("recurrence", "json")


@model
class RoleEligibilitySchedule(Wire):
    """An eligible (PIM, just-in-time) role assignment (``roleEligibilitySchedules``)."""

    id: str = F("id", required=True)
    principal_id: str | None = F("principalId", intern=True)
    role_definition_id: str | None = F("roleDefinitionId", intern=True)
    directory_scope_id: str | None = F("directoryScopeId", intern=True)
    app_scope_id: str | None = F("appScopeId", intern=True)
    member_type: str | None = F("memberType", intern=True, doc="Direct, Group or Inherited")
    status: str | None = F("status", intern=True)
    created_date_time: datetime | None = F("createdDateTime", "time")
    modified_date_time: datetime | None = F("modifiedDateTime", "time")
    schedule_info: RequestSchedule | None = F("scheduleInfo", "obj", RequestSchedule)
    principal: DirectoryObject | None = F("principal", "obj", DirectoryObject)
    role_definition: RoleDefinition | None = F("roleDefinition", "obj", RoleDefinition)

    @property
    def ends(self) -> datetime | None:
        """When the eligibility ends, or None when it does not expire (or has no end time)."""
        exp = self.schedule_info.expiration if self.schedule_info else None
        if exp is None or exp.type == "noExpiration":
            return None
        return exp.end_date_time


# --- authentication methods -------------------------------------------------------------------


@model
class AuthenticationMethod(Wire):
    """A registered authentication method (``users/{id}/authentication/methods``); the subclass
    follows ``@odata.type``. An unknown type stays an ``AuthenticationMethod`` with everything kept."""

    KIND: ClassVar[str] = ""
    PHISHING_RESISTANT: ClassVar[bool] = False

    id: str = F("id", required=True)
    created_date_time: datetime | None = F("createdDateTime", "time")

    @property
    def odata_type(self) -> str | None:
        """``@odata.type``, kept in ``extra`` (the framework reads dotted keys as paths)."""
        return self.unknown("@odata.type")  # type: ignore[no-any-return]  # a str: checked by from_wire

    @property
    def method_kind(self) -> str:
        """``password``, ``phone``, ``email``, ``fido2``, ``microsoftAuthenticator``, ... (the type
        name without ``AuthenticationMethod``), also for types this version does not know."""
        if self.KIND:
            return self.KIND
        name = _type_name(self.odata_type)
        return name.removesuffix("AuthenticationMethod") or "unknown"

    @property
    def phishing_resistant(self) -> bool:
        """FIDO2 security key or passkey, Windows Hello for Business, or platform credential."""
        return self.PHISHING_RESISTANT

    @property
    def registered_at(self) -> datetime | None:
        return self.created_date_time


@model
class PasswordAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "password"


@model
class PhoneAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "phone"

    phone_number: str | None = F("phoneNumber")
    phone_type: str | None = F("phoneType", enum=("mobile", "alternateMobile", "office",
                                                   "unknownFutureValue"))
    sms_sign_in_state: str | None = F("smsSignInState")


@model
class EmailAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "email"

    email_address: str | None = F("emailAddress")


@model
class Fido2AuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "fido2"
    PHISHING_RESISTANT: ClassVar[bool] = True

    display_name: str | None = F("displayName")
    model: str | None = F("model")
    aa_guid: str | None = F("aaGuid")
    attestation_level: str | None = F("attestationLevel",
                                      enum=("attested", "notAttested", "unknownFutureValue"))
    attestation_certificates: tuple[str, ...] = F("attestationCertificates", "strs")
    passkey_type: str | None = F("passkeyType", enum=("deviceBound", "synced", "unknownFutureValue"))
    creation_date_time: datetime | None = F("creationDateTime", "time",
                                            doc="older name of createdDateTime")

    @property
    def registered_at(self) -> datetime | None:
        return self.created_date_time or self.creation_date_time


@model
class MicrosoftAuthenticatorAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "microsoftAuthenticator"

    display_name: str | None = F("displayName", doc="the device the app is on")
    device_tag: str | None = F("deviceTag")
    phone_app_version: str | None = F("phoneAppVersion")


@model
class SoftwareOathAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "softwareOath"

    secret_key: str | None = F("secretKey")


@model
class TemporaryAccessPassAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "temporaryAccessPass"

    start_date_time: datetime | None = F("startDateTime", "time")
    lifetime_in_minutes: int | None = F("lifetimeInMinutes", "int")
    is_usable_once: bool | None = F("isUsableOnce", "bool")
    is_usable: bool | None = F("isUsable", "bool")
    method_usability_reason: str | None = F("methodUsabilityReason")


@model
class WindowsHelloForBusinessAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "windowsHelloForBusiness"
    PHISHING_RESISTANT: ClassVar[bool] = True

    display_name: str | None = F("displayName", doc="the device it is registered on")
    key_strength: str | None = F("keyStrength", enum=_KEY_STRENGTH)


@model
class PlatformCredentialAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "platformCredential"
    PHISHING_RESISTANT: ClassVar[bool] = True

    display_name: str | None = F("displayName")
    key_strength: str | None = F("keyStrength", enum=_KEY_STRENGTH)
    platform: str | None = F("platform", enum=("unknown", "windows", "macOS", "iOS", "android",
                                               "linux", "unknownFutureValue"))


@model
class QrCodePinAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "qrCodePin"


@model
class ExternalAuthenticationMethod(AuthenticationMethod):
    KIND: ClassVar[str] = "external"

    display_name: str | None = F("displayName")
    configuration_id: str | None = F("configurationId")


polymorphic(AuthenticationMethod, Poly("@odata.type", {
    "passwordAuthenticationMethod": PasswordAuthenticationMethod,
    "phoneAuthenticationMethod": PhoneAuthenticationMethod,
    "emailAuthenticationMethod": EmailAuthenticationMethod,
    "fido2AuthenticationMethod": Fido2AuthenticationMethod,
    "microsoftAuthenticatorAuthenticationMethod": MicrosoftAuthenticatorAuthenticationMethod,
    "softwareOathAuthenticationMethod": SoftwareOathAuthenticationMethod,
    "temporaryAccessPassAuthenticationMethod": TemporaryAccessPassAuthenticationMethod,
    "windowsHelloForBusinessAuthenticationMethod": WindowsHelloForBusinessAuthenticationMethod,
    "platformCredentialAuthenticationMethod": PlatformCredentialAuthenticationMethod,
    "qrCodePinAuthenticationMethod": QrCodePinAuthenticationMethod,
    "externalAuthenticationMethod": ExternalAuthenticationMethod,
}, fallback=AuthenticationMethod, strip=_GRAPH))


@model
class UserRegistrationDetails(Wire):
    """A user's method registration summary (``reports/authenticationMethods/userRegistrationDetails``)."""

    id: str = F("id", required=True, intern=True)
    user_principal_name: str | None = F("userPrincipalName")
    user_display_name: str | None = F("userDisplayName")
    user_type: str | None = F("userType", enum=("member", "guest", "unknownFutureValue"), intern=True)
    is_admin: bool | None = F("isAdmin", "bool")
    is_mfa_registered: bool | None = F("isMfaRegistered", "bool")
    is_mfa_capable: bool | None = F("isMfaCapable", "bool")
    is_passwordless_capable: bool | None = F("isPasswordlessCapable", "bool")
    is_sspr_registered: bool | None = F("isSsprRegistered", "bool")
    is_sspr_capable: bool | None = F("isSsprCapable", "bool")
    is_sspr_enabled: bool | None = F("isSsprEnabled", "bool")
    methods_registered: tuple[str, ...] = F("methodsRegistered", "strs", intern=True)
    default_mfa_method: str | None = F("defaultMfaMethod", intern=True, doc="beta only")
    user_preferred_method_for_secondary_authentication: str | None = F(
        "userPreferredMethodForSecondaryAuthentication", intern=True)
    system_preferred_authentication_methods: tuple[str, ...] = F(
        "systemPreferredAuthenticationMethods", "strs", intern=True)
    is_system_preferred_authentication_method_enabled: bool | None = F(
        "isSystemPreferredAuthenticationMethodEnabled", "bool")
    last_updated_date_time: datetime | None = F("lastUpdatedDateTime", "time")

    @property
    def has_phishing_resistant(self) -> bool:
        """A phishing-resistant credential is among ``methodsRegistered``."""
        return not PHISHING_RESISTANT_REGISTRATIONS.isdisjoint(self.methods_registered)


# --- sign-ins ---------------------------------------------------------------------------------


@model
class SignInStatus(Wire):
    error_code: int | None = F("errorCode", "int", doc="0 is success")
    failure_reason: str | None = F("failureReason", intern=True)
    additional_details: str | None = F("additionalDetails", intern=True)


@model
class DeviceDetail(Wire):
    device_id: str | None = F("deviceId", intern=True, doc="'' for unregistered devices")
    display_name: str | None = F("displayName", intern=True)
    operating_system: str | None = F("operatingSystem", intern=True)
    browser: str | None = F("browser", intern=True)
    is_compliant: bool | None = F("isCompliant", "bool")
    is_managed: bool | None = F("isManaged", "bool")
    trust_type: str | None = F("trustType", intern=True,
                               doc="Azure AD registered / joined / Hybrid Azure AD joined")


@model
class GeoCoordinates(Wire):
    altitude: float | None = F("altitude", "float")
    latitude: float | None = F("latitude", "float")
    longitude: float | None = F("longitude", "float")


@model
class SignInLocation(Wire):
    city: str | None = F("city", intern=True)
    state: str | None = F("state", intern=True)
    country_or_region: str | None = F("countryOrRegion", intern=True, doc="ISO 3166 alpha-2")
    geo_coordinates: GeoCoordinates | None = F("geoCoordinates", "obj", GeoCoordinates)


@model
class AppliedConditionalAccessPolicy(Wire):
    id: str | None = F("id", intern=True)
    display_name: str | None = F("displayName", intern=True)
    enforced_grant_controls: tuple[str, ...] = F("enforcedGrantControls", "strs", intern=True)
    enforced_session_controls: tuple[str, ...] = F("enforcedSessionControls", "strs", intern=True)
    result: str | None = F("result", enum=_CA_RESULT, intern=True)

    @property
    def report_only(self) -> bool:
        return (self.result or "").startswith("reportOnly")


for _cls in (SignInStatus, DeviceDetail, SignInLocation, AppliedConditionalAccessPolicy):
    share(_cls)


@model
class SignIn(Wire):
    """One entry of the sign-in log (``auditLogs/signIns``, v1.0)."""

    id: str = F("id", required=True)
    created_date_time: datetime | None = F("createdDateTime", "time")
    user_id: str | None = F("userId", intern=True)
    user_principal_name: str | None = F("userPrincipalName", intern=True)
    user_display_name: str | None = F("userDisplayName", intern=True)
    app_id: str | None = F("appId", intern=True)
    app_display_name: str | None = F("appDisplayName", intern=True)
    resource_id: str | None = F("resourceId", intern=True)
    resource_display_name: str | None = F("resourceDisplayName", intern=True)
    resource_tenant_id: str | None = F("resourceTenantId", intern=True)
    home_tenant_id: str | None = F("homeTenantId", intern=True)
    service_principal_id: str | None = F("servicePrincipalId", intern=True)
    service_principal_name: str | None = F("servicePrincipalName", intern=True)
    ip_address: str | None = F("ipAddress", intern=True)
    client_app_used: str | None = F("clientAppUsed", intern=True,
                                    doc="Browser, Mobile Apps and Desktop clients, IMAP4, ...")
    user_agent: str | None = F("userAgent", intern=True)
    correlation_id: str | None = F("correlationId")
    conditional_access_status: str | None = F("conditionalAccessStatus", enum=_CA_STATUS,
                                              intern=True)
    is_interactive: bool | None = F("isInteractive", "bool")
    risk_level_aggregated: str | None = F("riskLevelAggregated", enum=_RISK_LEVEL, intern=True)
    risk_level_during_sign_in: str | None = F("riskLevelDuringSignIn", enum=_RISK_LEVEL, intern=True)
    risk_state: str | None = F("riskState", enum=_RISK_STATE, intern=True)
    risk_detail: str | None = F("riskDetail", enum=_RISK_DETAIL, intern=True)
    risk_event_types: tuple[str, ...] = F("riskEventTypes", "strs", intern=True, doc="deprecated")
    risk_event_types_v2: tuple[str, ...] = F("riskEventTypes_v2", "strs", intern=True)
    status: SignInStatus | None = F("status", "obj", SignInStatus)
    device_detail: DeviceDetail | None = F("deviceDetail", "obj", DeviceDetail)
    location: SignInLocation | None = F("location", "obj", SignInLocation)
    applied_conditional_access_policies: tuple[AppliedConditionalAccessPolicy, ...] = F(
        "appliedConditionalAccessPolicies", "objs", AppliedConditionalAccessPolicy)
    authentication_app_device_details: Any = F("authenticationAppDeviceDetails", "json")

    @property
    def succeeded(self) -> bool:
        """Graph reports success as error code 0."""
        return self.status is not None and self.status.error_code == 0

    @property
    def country(self) -> str | None:
        return self.location.country_or_region if self.location else None



# --- device compliance ------------------------------------------------------------------------


@model
class DeviceCompliancePolicy(Wire):
    """An Intune device compliance policy (``deviceManagement/deviceCompliancePolicies``); the
    subclass follows ``@odata.type``; other platforms stay this class with everything kept."""

    PLATFORM: ClassVar[str | None] = None

    id: str = F("id", required=True)
    display_name: str | None = F("displayName")
    description: str | None = F("description")
    created_date_time: datetime | None = F("createdDateTime", "time")
    last_modified_date_time: datetime | None = F("lastModifiedDateTime", "time")
    version: int | None = F("version", "int")

    @property
    def odata_type(self) -> str | None:
        """``@odata.type``, kept in ``extra`` (the framework reads dotted keys as paths)."""
        return self.unknown("@odata.type")  # type: ignore[no-any-return]  # a str: checked by from_wire

    @property
    def platform(self) -> str | None:
        """The Conditional Access device platform it judges (``windows``, ``iOS``, ``android``,
        ``macOS``), or None for platforms this version does not model."""
        return self.PLATFORM


_THREAT_LEVEL = ("unavailable", "secured", "low", "medium", "high", "notSet")


@model
class Windows10CompliancePolicy(DeviceCompliancePolicy):
    PLATFORM: ClassVar[str | None] = "windows"

    os_minimum_version: str | None = F("osMinimumVersion")
    os_maximum_version: str | None = F("osMaximumVersion")
    password_required: bool | None = F("passwordRequired", "bool")
    bit_locker_enabled: bool | None = F("bitLockerEnabled", "bool")
    secure_boot_enabled: bool | None = F("secureBootEnabled", "bool")
    code_integrity_enabled: bool | None = F("codeIntegrityEnabled", "bool")
    storage_require_encryption: bool | None = F("storageRequireEncryption", "bool")


@model
class IosCompliancePolicy(DeviceCompliancePolicy):
    PLATFORM: ClassVar[str | None] = "iOS"

    os_minimum_version: str | None = F("osMinimumVersion")
    os_maximum_version: str | None = F("osMaximumVersion")
    passcode_required: bool | None = F("passcodeRequired", "bool")
    security_block_jailbroken_devices: bool | None = F("securityBlockJailbrokenDevices", "bool")
    device_threat_protection_enabled: bool | None = F("deviceThreatProtectionEnabled", "bool")
    device_threat_protection_required_security_level: str | None = F(
        "deviceThreatProtectionRequiredSecurityLevel", enum=_THREAT_LEVEL)
    managed_email_profile_required: bool | None = F("managedEmailProfileRequired", "bool")


@model
class AndroidCompliancePolicy(DeviceCompliancePolicy):
    PLATFORM: ClassVar[str | None] = "android"

    os_minimum_version: str | None = F("osMinimumVersion")
    os_maximum_version: str | None = F("osMaximumVersion")
    password_required: bool | None = F("passwordRequired", "bool")
    security_block_jailbroken_devices: bool | None = F("securityBlockJailbrokenDevices", "bool")
    storage_require_encryption: bool | None = F("storageRequireEncryption", "bool")
    min_android_security_patch_level: str | None = F("minAndroidSecurityPatchLevel")
    device_threat_protection_enabled: bool | None = F("deviceThreatProtectionEnabled", "bool")
    device_threat_protection_required_security_level: str | None = F(
        "deviceThreatProtectionRequiredSecurityLevel", enum=_THREAT_LEVEL)


@model
class MacOSCompliancePolicy(DeviceCompliancePolicy):
    PLATFORM: ClassVar[str | None] = "macOS"

    os_minimum_version: str | None = F("osMinimumVersion")
    os_maximum_version: str | None = F("osMaximumVersion")
    password_required: bool | None = F("passwordRequired", "bool")
    storage_require_encryption: bool | None = F("storageRequireEncryption", "bool")
    system_integrity_protection_enabled: bool | None = F("systemIntegrityProtectionEnabled", "bool")
    firewall_enabled: bool | None = F("firewallEnabled", "bool")
    device_threat_protection_enabled: bool | None = F("deviceThreatProtectionEnabled", "bool")


polymorphic(DeviceCompliancePolicy, Poly("@odata.type", {
    "windows10CompliancePolicy": Windows10CompliancePolicy,
    "iosCompliancePolicy": IosCompliancePolicy,
    "androidCompliancePolicy": AndroidCompliancePolicy,
    "macOSCompliancePolicy": MacOSCompliancePolicy,
}, fallback=DeviceCompliancePolicy, strip=_GRAPH))


# --- licences ---------------------------------------------------------------------------------


@model
class LicenseUnitsDetail(Wire):
    enabled: int | None = F("enabled", "int")
    suspended: int | None = F("suspended", "int")
    warning: int | None = F("warning", "int")
    locked_out: int | None = F("lockedOut", "int")


@model
class ServicePlanInfo(Wire):
    service_plan_id: str | None = F("servicePlanId", intern=True)
    service_plan_name: str | None = F("servicePlanName", intern=True)
    provisioning_status: str | None = F(
        "provisioningStatus", intern=True,
        doc="Success, Disabled, Error, PendingInput, PendingActivation, PendingProvisioning")
    applies_to: str | None = F("appliesTo", intern=True, doc="User or Company")


@model
class SubscribedSku(Wire):
    """A licence the tenant holds (``GET /subscribedSkus``)."""

    id: str = F("id", required=True)
    sku_id: str | None = F("skuId", intern=True)
    sku_part_number: str | None = F("skuPartNumber", intern=True)
    capability_status: str | None = F(
        "capabilityStatus", enum=("Enabled", "Warning", "Suspended", "Deleted", "LockedOut"))
    applies_to: str | None = F("appliesTo", intern=True)
    consumed_units: int | None = F("consumedUnits", "int")
    prepaid_units: LicenseUnitsDetail | None = F("prepaidUnits", "obj", LicenseUnitsDetail)
    service_plans: tuple[ServicePlanInfo, ...] = F("servicePlans", "objs", ServicePlanInfo)
    account_id: str | None = F("accountId")
    account_name: str | None = F("accountName")
    subscription_ids: tuple[str, ...] = F("subscriptionIds", "strs")

    @property
    def active(self) -> bool:
        """The subscription still works (``Enabled``, or ``Warning`` in its grace period)."""
        return self.capability_status in ("Enabled", "Warning")

    def provides(self, service_plan_name: str) -> bool:
        """An active subscription with that service plan provisioned (not disabled or failed)."""
        return self.active and any(
            p.service_plan_name == service_plan_name
            and p.provisioning_status not in ("Disabled", "Error")
            for p in self.service_plans
        )

    @property
    def available_units(self) -> int | None:
        """Enabled seats not yet assigned."""
        if self.prepaid_units is None or self.prepaid_units.enabled is None:
            return None
        return self.prepaid_units.enabled - (self.consumed_units or 0)
