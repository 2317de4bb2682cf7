"""Small pure builders for Graph and ARM wire objects, deterministic ids, and the tenant-directory writer.

Shared by the curated demo (:mod:`ztconsole.demo.contoso`) and the synthetic generator
(:mod:`ztconsole.demo.synthetic`). Every builder returns plain JSON-ready dicts in the real wire shape
(Graph v1.0/beta, ARM 2024-05-01): property names, nesting, ARM ``properties`` envelope, full resource ids.
Nothing here reads the clock or a global random generator.
"""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from ztconsole.datasets import BY_KEY

Json = dict[str, Any]

_NAMESPACE = uuid.UUID("6f1e5c43-2b0a-4f7d-9c52-7a1d0e3b8c19")

MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # appOwnerOrganizationId of first-party apps
PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"  # fixed id Graph gives the password method
MOBILE_PHONE_METHOD_ID = "3179e48a-750b-4051-897c-87b9720928f7"  # fixed id of the "mobile" phone method
COMPLIANT_NETWORK_LOCATION = "3d46dbda-8382-466a-856d-eb00cbc6b910"  # "All Compliant Network locations"
STRENGTH_MFA = "00000000-0000-0000-0000-000000000002"
STRENGTH_PASSWORDLESS = "00000000-0000-0000-0000-000000000003"
STRENGTH_PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"
CAE_POLICY_ID = "00000000-0000-0000-0000-000000000006"
ALL_GUEST_TYPES = ("internalGuest,b2bCollaborationGuest,b2bCollaborationMember,b2bDirectConnectUser,"
                   "otherExternalUser,serviceProvider")


# --- ids and times ---------------------------------------------------------------------------------

def uid(*parts: str) -> str:
    """A deterministic GUID for an object named by ``parts``."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def opaque_id(*parts: str) -> str:
    """A deterministic Graph-style opaque id (role and app role assignments use base64url ids)."""
    raw = uuid.uuid5(_NAMESPACE, "|".join(parts)).bytes + uuid.uuid5(_NAMESPACE, "#".join(parts)).bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "-1"


def iso(dt: datetime) -> str:
    """Graph/ARM timestamp text (UTC, ``Z``)."""
    dt = dt.astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(now: datetime, *, days: float = 0, hours: float = 0, minutes: float = 0) -> str:
    """The timestamp ``days``/``hours``/``minutes`` before ``now``."""
    return iso(now - timedelta(days=days, hours=hours, minutes=minutes))


# --- Graph: directory ------------------------------------------------------------------------------

def user(id: str, upn: str, display_name: str, *, created: str, given: str | None = None,
         surname: str | None = None, mail: str | None = None, job_title: str | None = None,
         department: str | None = None, enabled: bool = True, user_type: str = "Member",
         synced: bool = False, usage_location: str | None = "NL", last_sign_in: str | None = None,
         last_success: str | None = None, last_non_interactive: str | None = None) -> Json:
    """A user as ``GET /users?$select=...,signInActivity`` returns it."""
    return {
        "id": id,
        "displayName": display_name,
        "givenName": given,
        "surname": surname,
        "userPrincipalName": upn,
        "mail": mail,
        "jobTitle": job_title,
        "department": department,
        "accountEnabled": enabled,
        "userType": user_type,
        "createdDateTime": created,
        "onPremisesSyncEnabled": True if synced else None,
        "onPremisesImmutableId": base64.b64encode(uuid.UUID(id).bytes).decode() if synced else None,
        "usageLocation": usage_location,
        "signInActivity": {
            "lastSignInDateTime": last_sign_in,
            "lastSignInRequestId": uid("req", id, "i") if last_sign_in else None,
            "lastNonInteractiveSignInDateTime": last_non_interactive,
            "lastNonInteractiveSignInRequestId": uid("req", id, "n") if last_non_interactive else None,
            "lastSuccessfulSignInDateTime": last_success,
            "lastSuccessfulSignInRequestId": uid("req", id, "s") if last_success else None,
        },
    }


def group(id: str, name: str, *, created: str, description: str | None = None,
          role_assignable: bool = False, synced: bool = False, mail_enabled: bool = False,
          dynamic_rule: str | None = None) -> Json:
    """A security (or mail-enabled security) group as ``GET /groups`` returns it."""
    return {
        "id": id,
        "displayName": name,
        "description": description,
        "createdDateTime": created,
        "groupTypes": ["DynamicMembership"] if dynamic_rule else [],
        "isAssignableToRole": True if role_assignable else None,
        "mail": None,
        "mailEnabled": mail_enabled,
        "mailNickname": "".join(c for c in name if c.isalnum() or c in "-_")[:64] or "group",
        "membershipRule": dynamic_rule,
        "membershipRuleProcessingState": "On" if dynamic_rule else None,
        "onPremisesSyncEnabled": True if synced else None,
        "securityEnabled": True,
        "securityIdentifier": "S-1-12-1-" + "-".join(str(int.from_bytes(uuid.UUID(id).bytes[i:i + 4], "little"))
                                                    for i in range(0, 16, 4)),
        "visibility": None,
    }


def member_user(u: Json) -> Json:
    """A user as it appears in ``/groups/{id}/members``."""
    return {"@odata.type": "#microsoft.graph.user", "id": u["id"], "displayName": u["displayName"],
            "userPrincipalName": u["userPrincipalName"], "userType": u["userType"]}


def member_group(g: Json) -> Json:
    """A nested group as it appears in ``/groups/{id}/members``."""
    return {"@odata.type": "#microsoft.graph.group", "id": g["id"], "displayName": g["displayName"],
            "securityEnabled": True}


def role_definition(template_id: str, name: str, description: str, actions: Sequence[str]) -> Json:
    """A built-in directory role definition (its id is the role template id)."""
    return {
        "id": template_id,
        "description": description,
        "displayName": name,
        "isBuiltIn": True,
        "isEnabled": True,
        "resourceScopes": ["/"],
        "templateId": template_id,
        "version": "1",
        "rolePermissions": [{"allowedResourceActions": list(actions), "condition": None}],
        "inheritsPermissionsFrom": [],
    }


def role_assignment(role_id: str, principal_id: str) -> Json:
    """An active directory role assignment (``/roleManagement/directory/roleAssignments``)."""
    return {"id": opaque_id("ra", role_id, principal_id), "principalId": principal_id,
            "resourceScope": "/", "directoryScopeId": "/", "roleDefinitionId": role_id}


def role_eligibility(role_id: str, principal_id: str, *, created: str, end: str | None) -> Json:
    """A PIM eligibility schedule (``/roleManagement/directory/roleEligibilitySchedules``)."""
    return {
        "id": uid("eligibility", role_id, principal_id),
        "principalId": principal_id,
        "roleDefinitionId": role_id,
        "directoryScopeId": "/",
        "appScopeId": None,
        "createdUsing": uid("eligibility-request", role_id, principal_id),
        "createdDateTime": created,
        "modifiedDateTime": None,
        "status": "Provisioned",
        "memberType": "Direct",
        "scheduleInfo": {
            "startDateTime": created,
            "recurrence": None,
            "expiration": ({"type": "afterDateTime", "endDateTime": end, "duration": None} if end
                           else {"type": "noExpiration", "endDateTime": None, "duration": None}),
        },
    }


def password_method(created: str) -> Json:
    return {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": PASSWORD_METHOD_ID,
            "password": None, "createdDateTime": created}


def phone_method(number: str) -> Json:
    return {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": MOBILE_PHONE_METHOD_ID,
            "phoneNumber": number, "phoneType": "mobile", "smsSignInState": "notAllowedByPolicy"}


def fido2_method(user_id: str, name: str, model: str, aaguid: str, created: str) -> Json:
    return {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": uid("fido2", user_id, name),
            "displayName": name, "creationDateTime": created, "aaGuid": aaguid, "model": model,
            "attestationCertificates": [uuid.uuid5(_NAMESPACE, name).hex + "0c1d2e3f"],
            "attestationLevel": "attested"}


def authenticator_method(user_id: str, device: str, created: str) -> Json:
    return {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "id": uid("authenticator", user_id, device), "displayName": device,
            "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.8.21", "createdDateTime": created}


def whfb_method(user_id: str, device: str, created: str) -> Json:
    return {"@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
            "id": uid("whfb", user_id, device), "displayName": device, "createdDateTime": created,
            "keyStrength": "normal"}


def registration_details(u: Json, methods: Sequence[str], *, is_admin: bool, updated: str) -> Json:
    """One row of ``/reports/authenticationMethods/userRegistrationDetails``."""
    mfa = any(m not in ("email",) for m in methods)
    passwordless = any(m in ("fido2", "windowsHelloForBusiness", "passKeyDeviceBound",
                             "microsoftAuthenticatorPasswordless") for m in methods)
    return {
        "id": u["id"],
        "userPrincipalName": u["userPrincipalName"],
        "userDisplayName": u["displayName"],
        "userType": "guest" if u["userType"] == "Guest" else "member",
        "isAdmin": is_admin,
        "isSsprRegistered": mfa,
        "isSsprEnabled": u["userType"] != "Guest",
        "isSsprCapable": mfa and u["userType"] != "Guest",
        "isMfaRegistered": mfa,
        "isMfaCapable": mfa,
        "isPasswordlessCapable": passwordless,
        "methodsRegistered": list(methods),
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": (["Fido2"] if "fido2" in methods else
                                                 ["PhoneAppNotification"] if "microsoftAuthenticatorPush" in methods
                                                 else ["Sms"] if "mobilePhone" in methods else []),
        "userPreferredMethodForSecondaryAuthentication": ("push" if "microsoftAuthenticatorPush" in methods
                                                          else "sms" if "mobilePhone" in methods else "none"),
        "lastUpdatedDateTime": updated,
    }


def service_principal(id: str, app_id: str, name: str, *, owner_tenant: str = MICROSOFT_TENANT,
                      tags: Sequence[str] = (), assignment_required: bool = False,
                      app_roles: Sequence[Json] = (), sp_type: str = "Application",
                      created: str | None = None) -> Json:
    """A service principal as ``GET /servicePrincipals`` returns it."""
    return {
        "id": id,
        "accountEnabled": True,
        "appId": app_id,
        "appDisplayName": name,
        "appOwnerOrganizationId": owner_tenant,
        "appRoleAssignmentRequired": assignment_required,
        "appRoles": list(app_roles),
        "createdDateTime": created,
        "displayName": name,
        "preferredSingleSignOnMode": None,
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": sp_type,
        "signInAudience": "AzureADMultipleOrgs" if owner_tenant == MICROSOFT_TENANT else "AzureADMyOrg",
        "tags": list(tags),
    }


def app_role(app_id: str, name: str) -> Json:
    return {"allowedMemberTypes": ["User"], "description": name, "displayName": name,
            "id": uid("approle", app_id, name), "isEnabled": True, "origin": "Application", "value": None}


def app_role_assignment(sp: Json, principal: Json, principal_type: str, role_id: str, created: str) -> Json:
    """One item of ``/servicePrincipals/{id}/appRoleAssignedTo``."""
    return {"id": opaque_id("ara", sp["id"], principal["id"]), "deletedDateTime": None, "appRoleId": role_id,
            "createdDateTime": created, "principalDisplayName": principal["displayName"],
            "principalId": principal["id"], "principalType": principal_type,
            "resourceDisplayName": sp["displayName"], "resourceId": sp["id"]}


# --- Graph: Conditional Access ---------------------------------------------------------------------

def ca_users(*, include_users: Sequence[str] = (), exclude_users: Sequence[str] = (),
             include_groups: Sequence[str] = (), exclude_groups: Sequence[str] = (),
             include_roles: Sequence[str] = (), exclude_roles: Sequence[str] = (),
             include_guests: str | None = None, exclude_guests: str | None = None) -> Json:
    """``conditions.users``; ``include_guests``/``exclude_guests`` are guestOrExternalUserTypes flags."""
    def guests(types: str | None) -> Json | None:
        if types is None:
            return None
        return {"guestOrExternalUserTypes": types,
                "externalTenants": {"@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
                                    "membershipKind": "all"}}
    return {"includeUsers": list(include_users), "excludeUsers": list(exclude_users),
            "includeGroups": list(include_groups), "excludeGroups": list(exclude_groups),
            "includeRoles": list(include_roles), "excludeRoles": list(exclude_roles),
            "includeGuestsOrExternalUsers": guests(include_guests),
            "excludeGuestsOrExternalUsers": guests(exclude_guests)}


def ca_apps(include: Sequence[str] = (), exclude: Sequence[str] = (), *, user_actions: Sequence[str] = (),
            auth_context: Sequence[str] = ()) -> Json:
    return {"includeApplications": list(include), "excludeApplications": list(exclude),
            "includeUserActions": list(user_actions),
            "includeAuthenticationContextClassReferences": list(auth_context), "applicationFilter": None}


def ca_grant(operator: str, controls: Sequence[str] = (), *, strength: Json | None = None,
             terms: Sequence[str] = ()) -> Json:
    """``grantControls``; ``strength`` is the expanded authentication strength policy object."""
    return {"operator": operator, "builtInControls": list(controls), "customAuthenticationFactors": [],
            "termsOfUse": list(terms), "authenticationStrength": strength}


def ca_session(*, sign_in_frequency: tuple[int, str] | None = None, every_time: bool = False,
               persistent_browser: str | None = None, cae_mode: str | None = None,
               app_enforced: bool = False) -> Json | None:
    """``sessionControls``: frequency ``(value, "hours"|"days")``, browser ``always|never``,
    CAE mode ``strictEnforcement|strictLocation|disabled``."""
    if not (sign_in_frequency or every_time or persistent_browser or cae_mode or app_enforced):
        return None
    freq: Json | None = None
    if every_time:
        freq = {"value": None, "type": None, "authenticationType": "primaryAndSecondaryAuthentication",
                "frequencyInterval": "everyTime", "isEnabled": True}
    elif sign_in_frequency:
        freq = {"value": sign_in_frequency[0], "type": sign_in_frequency[1],
                "authenticationType": "primaryAndSecondaryAuthentication", "frequencyInterval": "timeBased",
                "isEnabled": True}
    return {
        "disableResilienceDefaults": None,
        "applicationEnforcedRestrictions": {"isEnabled": True} if app_enforced else None,
        "cloudAppSecurity": None,
        "persistentBrowser": {"mode": persistent_browser, "isEnabled": True} if persistent_browser else None,
        "continuousAccessEvaluation": {"mode": cae_mode} if cae_mode else None,
        "secureSignInSession": None,
        "signInFrequency": freq,
    }


def ca_policy(id: str, name: str, state: str, *, created: str, modified: str | None, users: Json,
              apps: Json, client_app_types: Sequence[str] = ("all",), grant: Json | None = None,
              session: Json | None = None, include_platforms: Sequence[str] = (),
              exclude_platforms: Sequence[str] = (), include_locations: Sequence[str] = (),
              exclude_locations: Sequence[str] = (), sign_in_risk: Sequence[str] = (),
              user_risk: Sequence[str] = (), device_filter: tuple[str, str] | None = None,
              transfer_methods: str | None = None, template_id: str | None = None) -> Json:
    """A Conditional Access policy as ``GET /identity/conditionalAccess/policies`` returns it."""
    platforms = ({"includePlatforms": list(include_platforms), "excludePlatforms": list(exclude_platforms)}
                 if include_platforms or exclude_platforms else None)
    locations = ({"includeLocations": list(include_locations), "excludeLocations": list(exclude_locations)}
                 if include_locations or exclude_locations else None)
    return {
        "id": id,
        "templateId": template_id,
        "displayName": name,
        "createdDateTime": created,
        "modifiedDateTime": modified,
        "state": state,
        "conditions": {
            "userRiskLevels": list(user_risk),
            "signInRiskLevels": list(sign_in_risk),
            "clientAppTypes": list(client_app_types),
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": platforms,
            "locations": locations,
            "devices": ({"deviceFilter": {"mode": device_filter[0], "rule": device_filter[1]}}
                        if device_filter else None),
            "clientApplications": None,
            "authenticationFlows": {"transferMethods": transfer_methods} if transfer_methods else None,
            "applications": apps,
            "users": users,
        },
        "grantControls": grant,
        "sessionControls": session,
    }


def ip_location(id: str, name: str, cidrs: Sequence[str], *, trusted: bool, created: str,
                modified: str) -> Json:
    ranges = [{"@odata.type": "#microsoft.graph.iPv6CidrRange" if ":" in c else "#microsoft.graph.iPv4CidrRange",
               "cidrAddress": c} for c in cidrs]
    return {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": id, "displayName": name,
            "modifiedDateTime": modified, "createdDateTime": created, "isTrusted": trusted, "ipRanges": ranges}


def country_location(id: str, name: str, countries: Sequence[str], *, created: str, modified: str,
                     include_unknown: bool = False) -> Json:
    return {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": id, "displayName": name,
            "modifiedDateTime": modified, "createdDateTime": created, "countriesAndRegions": list(countries),
            "includeUnknownCountriesAndRegions": include_unknown, "countryLookupMethod": "clientIpAddress"}


def compliant_network_location(created: str) -> Json:
    """The named location Global Secure Access creates for compliant networks (a beta type)."""
    return {"@odata.type": "#microsoft.graph.compliantNetworkNamedLocation", "id": COMPLIANT_NETWORK_LOCATION,
            "displayName": "All Compliant Network locations", "modifiedDateTime": created,
            "createdDateTime": created, "compliantNetworkType": "allTenantCompliantNetworks", "isTrusted": True}


def applied_policy(policy: Json, result: str) -> Json:
    """One ``appliedConditionalAccessPolicies`` entry of a sign-in, with the controls the policy names."""
    grant = policy.get("grantControls") or {}
    session = policy.get("sessionControls") or {}
    applies = result in ("success", "failure", "reportOnlySuccess", "reportOnlyFailure", "reportOnlyInterrupted")
    controls = [c[0].upper() + c[1:] for c in grant.get("builtInControls", [])] if applies else []
    if applies and grant.get("authenticationStrength"):
        controls.append("AuthenticationStrength")
    sessions = []
    if applies and session:
        if session.get("signInFrequency"):
            sessions.append("SignInFrequency")
        if session.get("persistentBrowser"):
            sessions.append("PersistentBrowserSessionMode")
        if session.get("continuousAccessEvaluation"):
            sessions.append("ContinuousAccessEvaluation")
    return {"id": policy["id"], "displayName": policy["displayName"], "enforcedGrantControls": controls,
            "enforcedSessionControls": sessions, "result": result}


_CLIENT_APP_USED = {"browser": "Browser", "mobileAppsAndDesktopClients": "Mobile Apps and Desktop clients",
                    "exchangeActiveSync": "Exchange ActiveSync", "other": "Other clients"}


def sign_in(id: str, created: str, u: Json, *, app_id: str, app_name: str, resource_id: str,
            resource_name: str, ip: str, city: str, country: str, client_app: str, os: str, browser: str,
            compliant: bool, managed: bool, trust_type: str | None, ca_status: str,
            applied: Sequence[Json], error_code: int = 0, failure_reason: str | None = None,
            risk: str = "none", risk_state: str = "none", interactive: bool = True,
            device_id: str = "", lean: bool = False) -> Json:
    """A sign-in (``/auditLogs/signIns``). ``client_app`` is a CA client app type key (``browser``, ...)
    or the literal ``clientAppUsed`` text (``IMAP4``). ``lean`` drops the properties a console never shows."""
    out: Json = {
        "id": id,
        "createdDateTime": created,
        "userDisplayName": u["displayName"],
        "userPrincipalName": u["userPrincipalName"],
        "userId": u["id"],
        "appId": app_id,
        "appDisplayName": app_name,
        "ipAddress": ip,
        "clientAppUsed": _CLIENT_APP_USED.get(client_app, client_app),
        "conditionalAccessStatus": ca_status,
        "isInteractive": interactive,
        "riskDetail": "none",
        "riskLevelAggregated": risk,
        "riskLevelDuringSignIn": risk,
        "riskState": risk_state,
        "resourceDisplayName": resource_name,
        "resourceId": resource_id,
        "status": {"errorCode": error_code, "failureReason": failure_reason or "Other.",
                   "additionalDetails": None} if error_code else {"errorCode": 0, "failureReason": None,
                                                                  "additionalDetails": None},
        "deviceDetail": {"deviceId": device_id, "displayName": None, "operatingSystem": os, "browser": browser,
                         "isCompliant": compliant, "isManaged": managed, "trustType": trust_type},
        "location": {"city": city, "state": None, "countryOrRegion": country},
        "appliedConditionalAccessPolicies": list(applied),
    }
    if not lean:
        out["correlationId"] = uid("corr", id)
        out["riskEventTypes_v2"] = ["unfamiliarFeatures"] if risk in ("medium", "high") else []
    return out


# --- ARM -------------------------------------------------------------------------------------------

def arm_id(sub: str, rg: str, rtype: str, name: str, *children: str) -> str:
    """``/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/{name}[/{child}...]``."""
    tail = "/".join(children)
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/{name}" + (f"/{tail}" if tail else "")


def etag(rid: str) -> str:
    return f'W/"{uid("etag", rid.lower())}"'


def arm_resource(rid: str, rtype: str, location: str, properties: Json, *, tags: Mapping[str, str] | None = None,
                 **extra: Any) -> Json:
    """A top-level ARM resource envelope: name, id, etag, type, location, tags, properties."""
    out: Json = {"name": rid.rsplit("/", 1)[1], "id": rid, "etag": etag(rid), "type": rtype, "location": location}
    out.update(extra)
    out["tags"] = dict(tags or {})
    out["properties"] = {"provisioningState": "Succeeded", **properties}
    return out


def child(rid: str, properties: Json, *, rtype: str | None = None) -> Json:
    """A child resource (subnet, rule, peering, ip configuration) as nested in its parent."""
    out: Json = {"name": rid.rsplit("/", 1)[1], "id": rid, "etag": etag(rid)}
    if rtype:
        out["type"] = rtype
    out["properties"] = {"provisioningState": "Succeeded", **properties}
    return out


def ref(rid: str) -> Json:
    return {"id": rid}


def resource_group(sub: str, name: str, location: str, tags: Mapping[str, str] | None = None) -> Json:
    return {"id": f"/subscriptions/{sub}/resourceGroups/{name}", "name": name,
            "type": "Microsoft.Resources/resourceGroups", "location": location, "tags": dict(tags or {}),
            "properties": {"provisioningState": "Succeeded"}}


def nsg_rule(nsg_id: str, name: str, priority: int, direction: str, access: str, *, protocol: str = "Tcp",
             src: str | Sequence[str] = "*", dst: str | Sequence[str] = "*", ports: str | Sequence[str] = "*",
             description: str | None = None) -> Json:
    """One NSG security rule; a list for ``src``/``dst``/``ports`` fills the plural property instead."""
    props: Json = {"description": description} if description else {}
    props.update({"protocol": protocol, "sourcePortRange": "*", "sourcePortRanges": []})
    for single, plural, value in (("destinationPortRange", "destinationPortRanges", ports),
                                  ("sourceAddressPrefix", "sourceAddressPrefixes", src),
                                  ("destinationAddressPrefix", "destinationAddressPrefixes", dst)):
        if isinstance(value, str):
            props[single] = value
            props[plural] = []
        else:
            props[plural] = list(value)
    props.update({"access": access, "priority": priority, "direction": direction})
    return child(f"{nsg_id}/securityRules/{name}", props, rtype="Microsoft.Network/networkSecurityGroups/securityRules")


_DEFAULT_RULES = (
    ("AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork",
     "Allow", 65000, "Inbound"),
    ("AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "AzureLoadBalancer", "*",
     "Allow", 65001, "Inbound"),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    ("AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork",
     "VirtualNetwork", "Allow", 65000, "Outbound"),
    ("AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet", "Allow", 65001,
     "Outbound"),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
)


def nsg(rid: str, location: str, rules: Sequence[Json], subnets: Sequence[str] = (),
        tags: Mapping[str, str] | None = None) -> Json:
    """A network security group with its rules, the six default rules and the subnets it is attached to."""
    defaults = [child(f"{rid}/defaultSecurityRules/{n}",
                      {"description": d, "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                       "sourceAddressPrefix": s, "destinationAddressPrefix": t, "access": a, "priority": p,
                       "direction": dr, "sourcePortRanges": [], "destinationPortRanges": [],
                       "sourceAddressPrefixes": [], "destinationAddressPrefixes": []},
                      rtype="Microsoft.Network/networkSecurityGroups/defaultSecurityRules")
                for n, d, s, t, a, p, dr in _DEFAULT_RULES]
    props: Json = {"resourceGuid": uid("guid", rid.lower()), "securityRules": list(rules),
                   "defaultSecurityRules": defaults}
    if subnets:
        props["subnets"] = [ref(s) for s in subnets]
    return arm_resource(rid, "Microsoft.Network/networkSecurityGroups", location, props, tags=tags)


def subnet(vnet_id: str, name: str, prefix: str, *, nsg_id: str | None = None, rt_id: str | None = None,
           service_endpoints: Sequence[str] = ()) -> Json:
    props: Json = {"addressPrefix": prefix}
    if nsg_id:
        props["networkSecurityGroup"] = ref(nsg_id)
    if rt_id:
        props["routeTable"] = ref(rt_id)
    if service_endpoints:
        props["serviceEndpoints"] = [{"service": s, "locations": ["*"], "provisioningState": "Succeeded"}
                                     for s in service_endpoints]
    props["delegations"] = []
    props["privateEndpointNetworkPolicies"] = "Disabled"
    props["privateLinkServiceNetworkPolicies"] = "Enabled"
    return child(f"{vnet_id}/subnets/{name}", props, rtype="Microsoft.Network/virtualNetworks/subnets")


def peering(vnet_id: str, name: str, remote_id: str, remote_prefixes: Sequence[str], *,
            allow_forwarded: bool = True, gateway_transit: bool = False, use_remote_gateways: bool = False) -> Json:
    return child(f"{vnet_id}/virtualNetworkPeerings/{name}", {
        "allowVirtualNetworkAccess": True,
        "allowForwardedTraffic": allow_forwarded,
        "allowGatewayTransit": gateway_transit,
        "useRemoteGateways": use_remote_gateways,
        "remoteVirtualNetwork": ref(remote_id),
        "remoteAddressSpace": {"addressPrefixes": list(remote_prefixes)},
        "remoteVirtualNetworkAddressSpace": {"addressPrefixes": list(remote_prefixes)},
        "peeringState": "Connected",
        "peeringSyncLevel": "FullyInSync",
    }, rtype="Microsoft.Network/virtualNetworks/virtualNetworkPeerings")


def vnet(rid: str, location: str, prefixes: Sequence[str], subnets: Sequence[Json], peerings: Sequence[Json] = (),
         *, ddos_plan: str | None = None, dns_servers: Sequence[str] = (),
         tags: Mapping[str, str] | None = None) -> Json:
    props: Json = {
        "resourceGuid": uid("guid", rid.lower()),
        "addressSpace": {"addressPrefixes": list(prefixes)},
        "dhcpOptions": {"dnsServers": list(dns_servers)},
        "subnets": list(subnets),
        "virtualNetworkPeerings": list(peerings),
        "enableDdosProtection": ddos_plan is not None,
    }
    if ddos_plan:
        props["ddosProtectionPlan"] = ref(ddos_plan)
    return arm_resource(rid, "Microsoft.Network/virtualNetworks", location, props, tags=tags)


def route(rt_id: str, name: str, prefix: str, next_hop: str, next_hop_ip: str | None = None) -> Json:
    props: Json = {"addressPrefix": prefix, "nextHopType": next_hop}
    if next_hop_ip:
        props["nextHopIpAddress"] = next_hop_ip
    return child(f"{rt_id}/routes/{name}", props, rtype="Microsoft.Network/routeTables/routes")


def route_table(rid: str, location: str, routes: Sequence[Json], subnets: Sequence[str] = (), *,
                disable_bgp: bool = True, tags: Mapping[str, str] | None = None) -> Json:
    props: Json = {"disableBgpRoutePropagation": disable_bgp, "routes": list(routes)}
    if subnets:
        props["subnets"] = [ref(s) for s in subnets]
    return arm_resource(rid, "Microsoft.Network/routeTables", location, props, tags=tags)


def net_rule(name: str, src: Sequence[str], dst: Sequence[str], ports: Sequence[str], *,
             protocols: Sequence[str] = ("TCP",), src_groups: Sequence[str] = (), dst_groups: Sequence[str] = (),
             dst_fqdns: Sequence[str] = (), description: str | None = None) -> Json:
    """A firewall policy network rule."""
    out: Json = {"ruleType": "NetworkRule", "name": name}
    if description:
        out["description"] = description
    out.update({"ipProtocols": list(protocols), "sourceAddresses": list(src), "sourceIpGroups": list(src_groups),
                "destinationAddresses": list(dst), "destinationIpGroups": list(dst_groups),
                "destinationFqdns": list(dst_fqdns), "destinationPorts": list(ports)})
    return out


def app_rule(name: str, src: Sequence[str], fqdns: Sequence[str], *,
             protocols: Sequence[tuple[str, int]] = (("Https", 443),),
             src_groups: Sequence[str] = (), fqdn_tags: Sequence[str] = (), web_categories: Sequence[str] = (),
             terminate_tls: bool = False, description: str | None = None) -> Json:
    """A firewall policy application rule."""
    out: Json = {"ruleType": "ApplicationRule", "name": name}
    if description:
        out["description"] = description
    out.update({"protocols": [{"protocolType": p, "port": n} for p, n in protocols],
                "sourceAddresses": list(src), "sourceIpGroups": list(src_groups), "targetFqdns": list(fqdns),
                "targetUrls": [], "fqdnTags": list(fqdn_tags), "webCategories": list(web_categories),
                "destinationAddresses": [], "terminateTLS": terminate_tls, "httpHeadersToInsert": []})
    return out


def nat_rule(name: str, src: Sequence[str], dst: str, port: str, translated: str, translated_port: str, *,
             protocols: Sequence[str] = ("TCP",), description: str | None = None) -> Json:
    """A firewall policy DNAT rule."""
    out: Json = {"ruleType": "NatRule", "name": name}
    if description:
        out["description"] = description
    out.update({"translatedAddress": translated, "translatedPort": translated_port, "ipProtocols": list(protocols),
                "sourceAddresses": list(src), "sourceIpGroups": [], "destinationAddresses": [dst],
                "destinationPorts": [port]})
    return out


def filter_collection(name: str, priority: int, action: str, rules: Sequence[Json]) -> Json:
    return {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": name, "priority": priority,
            "action": {"type": action}, "rules": list(rules)}


def nat_collection(name: str, priority: int, rules: Sequence[Json]) -> Json:
    return {"ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": name, "priority": priority,
            "action": {"type": "DNAT"}, "rules": list(rules)}


def rule_collection_group(policy_id: str, name: str, priority: int, collections: Sequence[Json]) -> Json:
    rid = f"{policy_id}/ruleCollectionGroups/{name}"
    return {"name": name, "id": rid, "etag": etag(rid),
            "type": "Microsoft.Network/FirewallPolicies/RuleCollectionGroups",
            "properties": {"provisioningState": "Succeeded", "priority": priority,
                           "ruleCollections": list(collections)}}


def firewall_policy(rid: str, location: str, *, tier: str, threat_intel: str, idps: str | None = None,
                    tls_ca: tuple[str, str] | None = None, base_policy: str | None = None,
                    child_policies: Sequence[str] = (), firewalls: Sequence[str] = (),
                    groups: Sequence[str] = (), dns_proxy: bool = True,
                    tags: Mapping[str, str] | None = None) -> Json:
    """An Azure Firewall Policy; ``tls_ca`` = (certificate name, Key Vault secret id) enables TLS inspection,
    ``idps`` is the intrusion detection mode (Premium)."""
    props: Json = {"sku": {"tier": tier}, "threatIntelMode": threat_intel,
                   "threatIntelWhitelist": {"ipAddresses": [], "fqdns": []}}
    if base_policy:
        props["basePolicy"] = ref(base_policy)
    props["childPolicies"] = [ref(c) for c in child_policies]
    props["firewalls"] = [ref(f) for f in firewalls]
    props["ruleCollectionGroups"] = [ref(f"{rid}/ruleCollectionGroups/{g}") for g in groups]
    props["dnsSettings"] = {"servers": [], "enableProxy": dns_proxy}
    props["snat"] = {"privateRanges": ["IANAPrivateRanges"]}
    if idps:
        props["intrusionDetection"] = {"mode": idps, "configuration": {"signatureOverrides": [],
                                                                       "bypassTrafficSettings": []}}
    if tls_ca:
        props["transportSecurity"] = {"certificateAuthority": {"name": tls_ca[0], "keyVaultSecretId": tls_ca[1]}}
    return arm_resource(rid, "Microsoft.Network/firewallPolicies", location, props, tags=tags)


def azure_firewall(rid: str, location: str, *, tier: str, subnet_id: str, public_ip_id: str, private_ip: str,
                   policy_id: str | None = None, threat_intel: str = "Alert",
                   classic: Mapping[str, Sequence[Json]] | None = None, zones: Sequence[str] = (),
                   tags: Mapping[str, str] | None = None) -> Json:
    """An Azure Firewall (AZFW_VNet). ``classic`` holds ``natRuleCollections``/``networkRuleCollections``/
    ``applicationRuleCollections`` for a firewall managed without a policy."""
    props: Json = {
        "sku": {"name": "AZFW_VNet", "tier": tier},
        "threatIntelMode": threat_intel,
        "ipConfigurations": [child(f"{rid}/azureFirewallIpConfigurations/ipconfig1", {
            "privateIPAddress": private_ip, "subnet": ref(subnet_id), "publicIPAddress": ref(public_ip_id)})],
        "hubIPAddresses": {"privateIPAddress": private_ip},
        "additionalProperties": {},
    }
    if policy_id:
        props["firewallPolicy"] = ref(policy_id)
    for key in ("applicationRuleCollections", "natRuleCollections", "networkRuleCollections"):
        props[key] = list((classic or {}).get(key, ()))
    return arm_resource(rid, "Microsoft.Network/azureFirewalls", location, props, tags=tags, zones=list(zones))


def classic_collection(fw_id: str, kind: str, name: str, priority: int, action: str, rules: Sequence[Json]) -> Json:
    """A classic Azure Firewall rule collection; ``kind`` is ``nat``, ``network`` or ``application``."""
    return child(f"{fw_id}/{kind}RuleCollections/{name}",
                 {"priority": priority, "action": {"type": action}, "rules": list(rules)})


def ip_group(rid: str, location: str, addresses: Sequence[str], *, policies: Sequence[str] = (),
             tags: Mapping[str, str] | None = None) -> Json:
    return arm_resource(rid, "Microsoft.Network/ipGroups", location,
                        {"ipAddresses": list(addresses), "firewalls": [],
                         "firewallPolicies": [ref(p) for p in policies]}, tags=tags)


def diagnostic_setting(resource_id: str, name: str, workspace_id: str, *, categories: Sequence[str] = (),
                       category_group: str | None = None, tenant_level: bool = False) -> Json:
    """A ``Microsoft.Insights/diagnosticSettings`` (or ``microsoft.aadiam``) setting sending logs to a workspace."""
    logs: list[Json] = []
    if category_group:
        logs.append({"category": None, "categoryGroup": category_group, "enabled": True,
                     "retentionPolicy": {"enabled": False, "days": 0}})
    logs += [{"category": c, "categoryGroup": None, "enabled": True,
              "retentionPolicy": {"enabled": False, "days": 0}} for c in categories]
    props: Json = {"workspaceId": workspace_id, "logs": logs}
    if not tenant_level:
        props["metrics"] = [{"category": "AllMetrics", "enabled": True, "timeGrain": None,
                             "retentionPolicy": {"enabled": False, "days": 0}}]
        props["logAnalyticsDestinationType"] = "Dedicated"
    rtype = "microsoft.aadiam/diagnosticSettings" if tenant_level else "Microsoft.Insights/diagnosticSettings"
    prefix = "/providers/microsoft.aadiam" if tenant_level else f"{resource_id}/providers/microsoft.insights"
    return {"id": f"{prefix}/diagnosticSettings/{name}", "type": rtype, "name": name, "location": None,
            "properties": props}


def flow_log(watcher_id: str, name: str, location: str, target_id: str, storage_id: str, *,
             workspace: tuple[str, str] | None, enabled: bool = True) -> Json:
    """A network watcher flow log; ``workspace`` = (workspace resource id, workspace guid) turns on traffic
    analytics."""
    analytics: Json = {"enabled": workspace is not None}
    if workspace:
        analytics.update({"workspaceId": workspace[1], "workspaceRegion": location,
                          "workspaceResourceId": workspace[0], "trafficAnalyticsInterval": 10})
    return arm_resource(f"{watcher_id}/flowLogs/{name}", "Microsoft.Network/networkWatchers/flowLogs", location, {
        "targetResourceId": target_id,
        "targetResourceGuid": uid("guid", target_id.lower()),
        "storageId": storage_id,
        "enabled": enabled,
        "retentionPolicy": {"days": 30, "enabled": True},
        "format": {"type": "JSON", "version": 2},
        "flowAnalyticsConfiguration": {"networkWatcherFlowAnalyticsConfiguration": analytics},
    })


# --- the tenant directory --------------------------------------------------------------------------

def file_path(key: str, *, sub: str = "", parent: str = "") -> str:
    """The tenant-directory path of data set ``key`` (see :mod:`ztconsole.datasets`)."""
    return BY_KEY[key].file_path(sub=sub, parent=parent)


def tenant_meta(*, tenant_id: str, display_name: str, default_domain: str, subscriptions: Sequence[str],
                captured_at: str, source: str, break_glass: Sequence[str]) -> Json:
    """The contents of ``tenant.toml`` (CONTRACTS §1)."""
    return {"format": 1,
            "tenant": {"id": tenant_id, "display_name": display_name, "default_domain": default_domain},
            "azure": {"subscriptions": list(subscriptions)},
            "capture": {"captured_at": captured_at, "source": source},
            "break_glass": {"accounts": list(break_glass)}}


def check_target(out: Path, *, force: bool = False) -> None:
    """Raise unless ``out`` is absent, empty, a tenant directory (which a write replaces) or ``force`` is set."""
    if not out.exists():
        return
    if not out.is_dir():
        raise NotADirectoryError(f"{out}: not a directory")
    if not force and any(out.iterdir()) and not (out / "tenant.toml").is_file():
        raise FileExistsError(f"{out}: not empty and not a tenant directory (no tenant.toml); refusing to write")


def write_tenant_dir(out: Path, meta: Json, files: Mapping[str, Any], *, pretty: bool, force: bool = False) -> int:
    """Write ``tenant.toml`` and every ``files[relative path]`` as JSON under ``out``; returns the file count.

    ``pretty`` indents (for the demo, read and diffed by humans); otherwise a collection is written one
    compact item per line, as ``snapshot`` writes it (still diff-friendly, and quick to split). A value
    that is an iterator is streamed as a JSON array, item by item, so a large sign-in log is never one
    string.
    An existing tenant directory at ``out`` is replaced (its ``graph/`` and ``arm/`` trees are removed first,
    so no stale file survives); any other non-empty directory is refused unless ``force`` is set, and then
    nothing in it is removed.
    """
    out = Path(out)
    check_target(out, force=force)
    if (out / "tenant.toml").is_file():
        for sub in ("graph", "arm"):
            if (out / sub).is_dir():
                shutil.rmtree(out / sub)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tenant.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
    dump = _pretty if pretty else _compact
    dirs: set[Path] = set()
    for rel in sorted(files):
        target = out / rel
        if target.parent not in dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            dirs.add(target.parent)
        value = files[rel]
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            if isinstance(value, Iterator):
                _stream_array(fh, value)
            else:
                fh.write(dump(value))
                fh.write("\n")
    return len(files)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _compact(value: Any) -> str:
    if isinstance(value, list):
        return "[\n" + ",\n".join(map(_COMPACT.encode, value)) + "\n]" if value else "[]"
    return _COMPACT.encode(value)


def _stream_array(fh: Any, items: Iterable[Any], batch: int = 2000) -> None:
    """``[``, one compact item per line, ``]`` (the same layout as :func:`_compact` and ``snapshot``)."""
    fh.write("[")
    first = True
    chunk: list[str] = []
    for item in items:
        chunk.append(_COMPACT.encode(item))
        if len(chunk) >= batch:
            fh.write(("\n" if first else ",\n") + ",\n".join(chunk))
            first = False
            chunk = []
    if chunk:
        fh.write(("\n" if first else ",\n") + ",\n".join(chunk))
    fh.write("]\n" if first else "\n]\n")
