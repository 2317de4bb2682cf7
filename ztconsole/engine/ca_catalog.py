"""Conditional Access app groupings and well-known applications, as data.

Microsoft Learn, "Conditional Access: Target resources":

* **Office 365** (``includeApplications: ["Office365"]``) targets the services listed in "Apps included in
  Conditional Access Office 365 app suite". That page lists display names only; the app ids below are
  the first-party ids of the listed services (one id per listed name where the name is unambiguous).
  A tenant's own service principals are matched by these ids.
* **Microsoft Admin Portals** (``"MicrosoftAdminPortals"``) is "enforced for tokens issued to specific
  underlying resource application IDs associated with Microsoft admin portals", and the page names four:
  Exchange Admin Center, Azure portal (which also covers the Microsoft Entra admin center), Microsoft
  Office 365 Portal (the Microsoft 365 admin center) and Microsoft 365 Security and Compliance Center
  (Protection Center). The grouping "doesn't include the backend services that those portals might call",
  so the Windows Azure Service Management API is *not* a member.
* **Windows Azure Service Management API** (797f4846-...) is a single application id that Azure Resource
  Manager tools (portal, CLI, PowerShell) sign in to; ``AzureManagement`` is ztconsole's alias for it.

Pure data: no imports beyond the model's constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ztconsole.model.ca import AZURE_MANAGEMENT_APP_ID, MICROSOFT_ADMIN_PORTALS, OFFICE_365

__all__ = [
    "OFFICE_365_APPS",
    "MICROSOFT_ADMIN_PORTALS_APPS",
    "WELL_KNOWN_APPS",
    "APP_GROUPS",
    "APP_GROUP_NAMES",
    "AZURE_MANAGEMENT_ALIAS",
]

#: app id -> display name: the services of the Office 365 app group (Microsoft Learn list, ids known).
OFFICE_365_APPS: Mapping[str, str] = MappingProxyType({
    "00000002-0000-0ff1-ce00-000000000000": "Office 365 Exchange Online",
    "00000003-0000-0ff1-ce00-000000000000": "Office 365 SharePoint Online",
    "00000004-0000-0ff1-ce00-000000000000": "Skype for Business Online",
    "00000005-0000-0ff1-ce00-000000000000": "Viva Engage",
    "00000006-0000-0ff1-ce00-000000000000": "Microsoft Office 365 Portal",
    "00000007-0000-0ff1-ce00-000000000000": "Microsoft Exchange Online Protection",
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264": "Microsoft Teams",
    "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe": "Microsoft Teams Services",
    "5e3ce6c0-2b1f-4285-8d4b-75ee78787346": "Microsoft Teams Web Client",
    "48ac35b8-9aa8-4d74-927d-1f4a14a0b239": "Skype and Teams Tenant Admin API",
    "1e70cd27-4707-4589-8ec5-9bd20c472a46": "Skype Presence Service",
    "d3590ed6-52b3-4102-aeff-aad2292ab01c": "Microsoft Office",
    "4765445b-32c6-49b0-83e6-1d93765276ca": "OfficeHome",
    "4b233688-031c-404b-9a80-a4f3f2351f90": "Office.com",
    "0f698dd4-f011-4d23-a33e-b36416dcb1e6": "OfficeClientService",
    "e03a13ee-9730-4cae-8525-47559c8cf18a": "Office Online Service",
    "243c63a3-247d-41c5-9d83-7788c43f1c43": "Office Online Core SSO",
    "66a88757-258c-4c72-893c-3e8bed4d6899": "Office 365 Search Service",
    "b97b6bd4-a49f-4a0c-af18-af507d1da76c": "Office Shredding Service",
    "166f1b03-5b19-416f-a94b-1d7aa2d247dc": "Office Hive",
    "94c63fef-13a3-47bc-8074-75af8c65887a": "Office Delve",
    "4345a7b9-9a63-4910-a426-35363201d503": "O365 Suite UX",
    "23c898c1-f7e8-41da-9501-f16571f8d097": "OCPS Checkin Service",
    "6b91db1b-f05b-405a-a0b2-e3f60b28d645": "M365 Admin Services",
    "dcad865d-9257-4521-ad4d-bae3e137b345": "Microsoft SharePoint Online - SharePoint Home",
    "b26aadf8-566f-4478-926f-589f601d9c74": "OneDrive",
    "ab9b8c07-8f02-4f72-87fa-80105867a763": "OneDrive SyncEngine",
    "2d4d3d8e-2be3-4bef-9f87-7875a61c29de": "OneNote",
    "9199bf20-a13f-4107-85dc-02114787ef48": "One Outlook Web",
    "13d54852-ae25-4f0b-823a-b09eea89f431": "Outlook Service for Exchange",
    "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87": "Microsoft Forms",
    "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "Microsoft Planner",
    "75f31797-37c9-498e-8dc9-53c16a36afca": "Microsoft Planner Client",
    "09abbdfd-ed23-44ee-a2d9-a627aa1c90f3": "ProjectWorkManagement",
    "cf53fce8-def6-4aeb-8d30-b158e7b1cf83": "Microsoft Stream Portal",
    "2634dd23-5e5a-431c-81ca-11710d9079f4": "Microsoft Stream Service",
    "3ff8e6ba-7dc3-4e9e-ba40-ee12b60d6d48": "Microsoft To-Do web app",
    "95de633a-083e-42f5-b444-a4295d8e9314": "Microsoft Whiteboard Services",
    "40775b29-2688-46b6-a3b5-b256bd04df9f": "Microsoft Information Protection API",
    "394866fc-eedb-4f01-8536-3ff84b16be2a": "Microsoft People Cards Service",
    "86b4b4b4-db10-481c-876b-07447e7f204f": "Groups Service",
    "48af08dc-f6d2-435f-b2a7-069abd99c086": "Connectors",
    "4354e225-50c9-4423-9ece-2d5afd904870": "Augmentation Loop",
    "0922ef46-e1b9-4f7e-9134-9ad00547eb41": "Loop",
    "905fcf26-4eb7-48a0-9ff0-8dcc7194b5ba": "Sway",
    "475226c6-020e-4fb2-8a90-7a972cbfc1d4": "PowerApps Service",
    "a8f7a65c-f5ba-4859-b2d6-df772c264e9d": "make.powerapps.com",
    "6204c1d1-4712-4c46-a7d9-3ed63d992682": "Microsoft Flow Portal",
})

#: app id -> display name: the Microsoft Admin Portals grouping (the four ids Microsoft Learn names).
MICROSOFT_ADMIN_PORTALS_APPS: Mapping[str, str] = MappingProxyType({
    "497effe9-df71-4043-a8bb-14cf78c4b63b": "Exchange Admin Center",
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c": "Azure Portal",
    "00000006-0000-0ff1-ce00-000000000000": "Microsoft Office 365 Portal",
    "80ccca67-54bd-44ab-8625-4b79c4dc7775": "Microsoft 365 Security and Compliance Center",
})

#: app id -> display name for first-party apps a tenant may not hold a service principal for.
WELL_KNOWN_APPS: Mapping[str, str] = MappingProxyType({
    **OFFICE_365_APPS,
    **MICROSOFT_ADMIN_PORTALS_APPS,
    AZURE_MANAGEMENT_APP_ID: "Windows Azure Service Management API",
    "00000003-0000-0000-c000-000000000000": "Microsoft Graph",
    "00000002-0000-0000-c000-000000000000": "Windows Azure Active Directory",
})

#: ``includeApplications`` group value -> member app ids.
APP_GROUPS: Mapping[str, frozenset[str]] = MappingProxyType({
    OFFICE_365: frozenset(OFFICE_365_APPS),
    MICROSOFT_ADMIN_PORTALS: frozenset(MICROSOFT_ADMIN_PORTALS_APPS),
})

#: group value -> how the admin center names it.
APP_GROUP_NAMES: Mapping[str, str] = MappingProxyType({
    OFFICE_365: "Office 365",
    MICROSOFT_ADMIN_PORTALS: "Microsoft Admin Portals",
})

#: ``--app AzureManagement``.
AZURE_MANAGEMENT_ALIAS = "AzureManagement"
