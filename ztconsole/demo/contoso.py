"""The curated demo tenant "Contoso": ``build(out)`` writes it as a tenant directory (CONTRACTS §1).

Fully deterministic (fixed ids, a seeded generator for the sign-in log, every date relative to
``CAPTURED_AT``). The bundled copy in ``ztconsole/data/demo`` is this module's output; a test keeps the two
byte-identical, so regenerate it after any change: ``python -m ztconsole.demo.contoso``.

What in the demo passes or fails each check (CONTRACTS §6):

check       passes                                              fails / warns
ZT-CA-001   -                                                   CA001 all-users MFA also excludes SG-Service-Accounts
                                                                and guests (left to CA009, which covers Office 365 only)
ZT-CA-002   CA002 blocks exchangeActiveSync+other, all users    -
ZT-CA-003   -                                                   CA003 (Azure management, compliant device): report-only
ZT-CA-004   CA006 medium+high sign-in risk -> MFA               -
ZT-CA-005   CA005 blocks "Blocked countries" (KP, IR, RU, ...)  -
ZT-CA-006   CA021 report-only for 5 days                        CA019 report-only 40 days, CA003 + CA025 200 days (warn)
ZT-CA-007   CA004 privileged roles -> phishing-resistant        -
ZT-CA-008   CA008 blocks deviceCodeFlow                         -
ZT-CA-009   every other policy                                  CA024 excludes a deleted group and named location
ZT-CA-010   -                                                   gaps: SG-Service-Accounts members on every app but the
                                                                admin portals (CA026); guests on every app outside
                                                                Office 365 (CA009) and the admin portals
ZT-CA-011   PIM-eligible admins (Alex, Lidia, Nestor, ...)      Megan Bowen: permanent Global Administrator, not
                                                                break-glass; Patti: permanent Helpdesk Administrator
ZT-BG-001   bg-admin-01 and bg-admin-02 declared and exist      -
ZT-BG-002   both cloud-only on contoso.onmicrosoft.com          -
ZT-BG-003   both enabled                                        -
ZT-BG-004   both permanent Global Administrators                -
ZT-BG-005   bg-admin-01 (excluded by nested group everywhere)   bg-admin-02 not excluded from CA001 (MFA)
ZT-BG-006   bg-admin-01 has two FIDO2 keys                      bg-admin-02 has only password + phone
ZT-BG-007   bg-admin-01 signed in once, ~30 days ago            bg-admin-02 last signed in ~200 days ago
ZT-BG-008   bg-admin-01                                         bg-admin-02 locked out by report-only CA025 (warn)
ZT-CAE-001  every policy but one                                CA022 sets continuousAccessEvaluation.mode = disabled
ZT-CAE-002  -                                                   tenant CAE policy scoped to a group, not migrated
ZT-CAE-003  CA020 strictLocation on an IP named location        CA021 strictLocation on a country location
ZT-CAE-004  -                                                   GSA signalling disabled while Private Access is in use
ZT-PA-001   SAP, File servers, Jump hosts, SQL, Intranet, Admin Quick Access (MFA only), Legacy ERP (no policy)
ZT-PA-002   SQL, File servers, Jump hosts                       Quick Access 10.0.0.0/8 all ports, ERP suffix "local";
                                                                SAP 3200-3299 and Intranet 80-443 (warn)
ZT-PA-003   every app but one                                   Legacy ERP has no user or group assigned
ZT-PA-004   CG-Datacenter-Amsterdam, CG-Azure-WestEurope        Intranet (CG-Branch-London 1 of 2 active), ERP (Default)
ZT-PA-005   -                                                   10.100.20.10:3389/tcp published by Jump hosts and Admin
ZT-PA-006   -                                                   Quick Access publishes 10.0.0.0/8 (warn)
ZT-NET-001  child policy (threat intel Deny)                    parent policy (Alert), dev policy (Off)
ZT-NET-002  parent and child Premium policies (IDPS Deny)       -
ZT-NET-003  parent and child (TLS inspection, terminateTLS)     -
ZT-NET-004  parent policy                                       child: TEMP-AllowAll-Troubleshooting; legacy firewall
ZT-NET-005  application rules by FQDN                           child: Allow-HTTPS-Any-Internet (network rule to *)
ZT-NET-006  most network rules                                  Allow-Web01-To-SQL, Allow-WebApi-To-SQL-Copy,
                                                                Deny-HTTP-To-Internet, Allow-GitHub-SAP-Dev; and the
                                                                application rules, behind TEMP-AllowAll-Troubleshooting
ZT-NET-007  nsg-snet-sap-app (deny before allow, ranges)        nsg-snet-jumphost admits 3389 from Internet
ZT-NET-008  nsg-snet-appgw (443 only)                           nsg-snet-web admits 80, nsg-snet-dmz-legacy admits 21
ZT-NET-009  vnet-spoke-sap (0/0 -> 10.0.1.4, hub only)          vnet-spoke-web egresses to Internet; data peers with web
ZT-NET-010  -                                                   nsg-snet-data admits 172.16.201.0/24 to 10.3.1.10:1433
ZT-NET-011  every other workload subnet                         snet-api (vnet-spoke-web) has no NSG
ZT-NET-012  vnet-hub (DDoS plan)                                vnet-spoke-web, vnet-legacy-dmz (public, no DDoS)
ZT-NET-013  agw-contoso-web (AppGwSslPolicy20220101S)           agw-contoso-legacy (AppGwSslPolicy20150501)
ZT-NET-014  wafp-contoso-web (Prevention, DRS 2.1, bots)        wafp-contoso-legacy (Detection, OWASP 3.0)
ZT-NET-015  afw-hub (policy)                                    afw-legacy-dmz (classic rule collections)
ZT-MON-001  afw-hub -> law-contoso-sec                          afw-legacy-dmz has no diagnostic setting
ZT-MON-002  vnet-hub, vnet-spoke-sap (traffic analytics)        vnet-spoke-data (NSG flow log, no TA), spoke-web (none)
ZT-MON-003  Entra SignInLogs + AuditLogs -> law-contoso-sec     -
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ztconsole.demo import DEMO_CAPTURED_AT
from ztconsole.demo import wirebuild as wb
from ztconsole.demo.wirebuild import Json, uid

CAPTURED_AT = DEMO_CAPTURED_AT
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
TENANT_ID = "2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64"
DOMAIN = "contoso.onmicrosoft.com"
SUB_CONN = "1b4e2c8a-7d3f-4a6b-9c5e-2f8d1a7b3e90"  # Contoso-Connectivity
SUB_LZ = "8c3d5f1a-2e6b-4d9c-a7f4-6b0e9d2c1a35"  # Contoso-LandingZone-Corp
REGION = "westeurope"
BREAK_GLASS = ("bg-admin-01@contoso.onmicrosoft.com", "bg-admin-02@contoso.onmicrosoft.com")
SIGN_IN_COUNT = 500
FW_PRIVATE_IP = "10.0.1.4"
VPN_POOL = "172.16.201.0/24"


def t(days: float = 0, hours: float = 0, minutes: float = 0) -> str:
    """The timestamp this long before ``CAPTURED_AT``."""
    return wb.ago(NOW, days=days, hours=hours, minutes=minutes)


# --- first-party applications (real app ids) ----------------------------------------------------------

EXO = "00000002-0000-0ff1-ce00-000000000000"
SPO = "00000003-0000-0ff1-ce00-000000000000"
GRAPH = "00000003-0000-0000-c000-000000000000"
AZURE_MGMT = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"
TEAMS_SVC = "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe"
TEAMS = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"
OFFICE = "d3590ed6-52b3-4102-aeff-aad2292ab01c"
OFFICE_HOME = "4765445b-32c6-49b0-83e6-1d93765276ca"
OUTLOOK_MOBILE = "27922004-5251-4030-b22d-91ecd9a37ea4"
AZ_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
AZ_PS = "1950a258-227b-4e31-a9cf-717495945fc2"
MY_APPS = "2793995e-0a7d-40d7-bd35-6968ba142197"

FIRST_PARTY = (
    (EXO, "Office 365 Exchange Online"), (SPO, "Office 365 SharePoint Online"), (GRAPH, "Microsoft Graph"),
    (AZURE_MGMT, "Windows Azure Service Management API"), (AZURE_PORTAL, "Azure Portal"),
    (TEAMS_SVC, "Microsoft Teams Services"), (TEAMS, "Microsoft Teams"), (OFFICE, "Microsoft Office"),
    (OFFICE_HOME, "OfficeHome"), (OUTLOOK_MOBILE, "Outlook Mobile"), (AZ_CLI, "Microsoft Azure CLI"),
    (AZ_PS, "Microsoft Azure PowerShell"), (MY_APPS, "My Apps"),
    ("00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory"),
    ("0000000a-0000-0000-c000-000000000000", "Microsoft Intune"),
    ("d4ebce55-015a-49b5-a083-c84d1797ae8c", "Microsoft Intune Enrollment"),
    ("9ba1a5c7-f17a-4de9-a1f1-6178c8d51223", "Microsoft Intune Company Portal"),
    ("29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker"),
    ("38aa3b87-a06d-4817-b275-7a316988d93b", "Windows Sign In"),
)

# --- built-in directory roles (real template ids) ---------------------------------------------------

GA = "62e90394-69f5-4237-9190-012177145e10"
PRA = "e8611ab8-c189-46e8-94e1-60213ab1f814"
SEC_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
CA_ADMIN = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
EXCH_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SP_ADMIN = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APP_ADMIN = "158c047a-c907-4556-b7ef-446551a6b5f7"
HELPDESK = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
SEC_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"
AUTH_ADMIN = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
PRIV_AUTH_ADMIN = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
INTUNE_ADMIN = "3a2c62db-5318-420d-8d74-23affee5d9d5"
GSA_ADMIN = "ac434307-12b9-4fa1-a708-88bf58caabc1"
DIR_SYNC = "d29b2b05-8046-44ba-8758-1e26182fcf32"
HYBRID_ADMIN = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"

ROLES = (
    (GA, "Global Administrator", "Can manage all aspects of Microsoft Entra ID and Microsoft services that use "
     "Microsoft Entra identities.", ["microsoft.directory/*/allProperties/allTasks"]),
    (PRA, "Privileged Role Administrator", "Can manage role assignments in Microsoft Entra ID, and all aspects "
     "of Privileged Identity Management.", ["microsoft.directory/roleAssignments/allProperties/allTasks"]),
    (SEC_ADMIN, "Security Administrator", "Can read security information and reports, and manage "
     "configuration in Microsoft Entra ID and Office 365.", ["microsoft.directory/conditionalAccessPolicies/create"]),
    (CA_ADMIN, "Conditional Access Administrator", "Can manage Conditional Access capabilities.",
     ["microsoft.directory/conditionalAccessPolicies/create", "microsoft.directory/namedLocations/create"]),
    (EXCH_ADMIN, "Exchange Administrator", "Can manage all aspects of the Exchange product.",
     ["microsoft.office365.exchange/allEntities/basic/allTasks"]),
    (SP_ADMIN, "SharePoint Administrator", "Can manage all aspects of the SharePoint service.",
     ["microsoft.office365.sharePoint/allEntities/allTasks"]),
    (USER_ADMIN, "User Administrator", "Can manage all aspects of users and groups, including resetting "
     "passwords for limited admins.", ["microsoft.directory/users/create"]),
    (APP_ADMIN, "Application Administrator", "Can create and manage all aspects of app registrations and "
     "enterprise apps.", ["microsoft.directory/applications/create"]),
    (CLOUD_APP_ADMIN, "Cloud Application Administrator", "Can create and manage all aspects of app "
     "registrations and enterprise apps except App Proxy.", ["microsoft.directory/applications/create"]),
    (HELPDESK, "Helpdesk Administrator", "Can reset passwords for non-administrators and Helpdesk "
     "Administrators.", ["microsoft.directory/users/password/update"]),
    (GLOBAL_READER, "Global Reader", "Can read everything that a Global Administrator can, but not update "
     "anything.", ["microsoft.directory/*/allProperties/read"]),
    (SEC_READER, "Security Reader", "Can read security information and reports in Microsoft Entra ID and "
     "Office 365.", ["microsoft.directory/auditLogs/allProperties/read"]),
    (AUTH_ADMIN, "Authentication Administrator", "Can access to view, set and reset authentication method "
     "information for any non-admin user.", ["microsoft.directory/users/authenticationMethods/create"]),
    (PRIV_AUTH_ADMIN, "Privileged Authentication Administrator", "Can access to view, set and reset "
     "authentication method information for any user (admin or non-admin).",
     ["microsoft.directory/users/authenticationMethods/create"]),
    (INTUNE_ADMIN, "Intune Administrator", "Can manage all aspects of the Intune product.",
     ["microsoft.intune/allEntities/allTasks"]),
    (GSA_ADMIN, "Global Secure Access Administrator", "Create and manage all aspects of Microsoft Entra "
     "Internet Access and Microsoft Entra Private Access.",
     ["microsoft.networkAccess/allEntities/allProperties/allTasks"]),
    (DIR_SYNC, "Directory Synchronization Accounts", "Only used by Microsoft Entra Connect service.",
     ["microsoft.directory/organization/dirSync/update"]),
    (HYBRID_ADMIN, "Hybrid Identity Administrator", "Can manage Microsoft Entra Connect, Pass-through "
     "Authentication, Password Hash Synchronization and federation.",
     ["microsoft.directory/hybridAuthenticationPolicy/allProperties/allTasks"]),
)
PRIVILEGED_ROLES = (GA, PRA, SEC_ADMIN, CA_ADMIN, EXCH_ADMIN, SP_ADMIN, USER_ADMIN, APP_ADMIN, CLOUD_APP_ADMIN,
                    HELPDESK, AUTH_ADMIN, PRIV_AUTH_ADMIN, INTUNE_ADMIN, GSA_ADMIN, HYBRID_ADMIN)

# --- people -------------------------------------------------------------------------------------------
# key, display name, UPN local part, department, job title, created (days ago), kind
# kinds: member, sync, disabled, guest:<domain>, svc, bg, contractor, admin

PEOPLE = (
    ("bg01", "Emergency Access 01", "bg-admin-01", None, None, 1460, "bg"),
    ("bg02", "Emergency Access 02", "bg-admin-02", None, None, 1460, "bg"),
    ("megan", "Megan Bowen", "MeganB", "IT", "IT Manager", 1400, "admin"),
    ("alex", "Alex Wilber", "AlexW", "IT", "Security Engineer", 1380, "admin"),
    ("lidia", "Lidia Holloway", "LidiaH", "IT", "Identity Architect", 1350, "admin"),
    ("nestor", "Nestor Wilke", "NestorW", "IT", "Messaging Engineer", 1300, "admin"),
    ("isaiah", "Isaiah Langer", "IsaiahL", "IT", "Cloud Platform Lead", 1200, "admin"),
    ("christie", "Christie Cline", "ChristieC", "IT", "CISO", 1100, "admin"),
    ("patti", "Patti Fernandez", "PattiF", "IT", "Service Desk Lead", 1000, "admin"),
    ("allan", "Allan Deyoung", "AllanD", "IT", "Network Engineer", 980, "sync"),
    ("adele", "Adele Vance", "AdeleV", "Retail", "Retail Manager", 1390, "sync"),
    ("diego", "Diego Siciliani", "DiegoS", "HR", "HR Manager", 1390, "sync"),
    ("grady", "Grady Archie", "GradyA", "R&D", "Designer", 1370, "sync"),
    ("henrietta", "Henrietta Mueller", "HenriettaM", "R&D", "Developer", 1360, "member"),
    ("irvin", "Irvin Sayers", "IrvinS", "Finance", "Director", 1340, "sync"),
    ("johanna", "Johanna Lorenz", "JohannaL", "Engineering", "Senior Engineer", 1330, "member"),
    ("joni", "Joni Sherman", "JoniS", "Legal", "Paralegal", 1320, "member"),
    ("lee", "Lee Gu", "LeeG", "Manufacturing", "Director", 1310, "sync"),
    ("lynne", "Lynne Robbins", "LynneR", "Retail", "Planner", 1300, "member"),
    ("miriam", "Miriam Graham", "MiriamG", "Sales & Marketing", "Director", 1290, "member"),
    ("pradeep", "Pradeep Gupta", "PradeepG", "Finance", "Accountant", 1280, "sync"),
    ("debra", "Debra Berger", "DebraB", "Executive Management", "Administrative Assistant", 1270, "member"),
    ("emily", "Emily Braun", "EmilyB", "Finance", "Budget Analyst", 1260, "member"),
    ("enrico", "Enrico Cattaneo", "EnricoC", "Legal", "Attorney", 1250, "member"),
    ("ben", "Ben Walters", "BenW", "Sales & Marketing", "Account Manager", 900, "member"),
    ("brian", "Brian Johnson", "BrianJ", "Sales & Marketing", "Sales Representative", 880, "member"),
    ("cameron", "Cameron White", "CameronW", "Engineering", "Data Engineer", 860, "member"),
    ("delia", "Delia Dennis", "DeliaD", "Engineering", "Site Reliability Engineer", 840, "member"),
    ("gerhart", "Gerhart Moller", "GerhartM", "Manufacturing", "Plant Manager", 820, "sync"),
    ("raul", "Raul Razo", "RaulR", "Engineering", "SAP Basis Administrator", 800, "member"),
    ("sara", "Sara Davis", "SaraD", "Finance", "Controller", 780, "member"),
    ("bianca", "Bianca Pisani", "BiancaP", "Sales & Marketing", "Marketing Specialist", 760, "member"),
    ("nora", "Nora Jansen", "NoraJ", "Engineering", "Software Engineer", 500, "member"),
    ("pieter", "Pieter de Vries", "PieterV", "Engineering", "DevOps Engineer", 420, "member"),
    ("sanne", "Sanne Bakker", "SanneB", "Finance", "Financial Analyst", 380, "member"),
    ("thomas", "Thomas Muller", "ThomasM", "Manufacturing", "Quality Engineer", 360, "sync"),
    ("olivia", "Olivia Brown", "OliviaB", "HR", "Recruiter", 300, "member"),
    ("lucas", "Lucas Martin", "LucasM", "Retail", "Store Manager", 280, "member"),
    ("ella", "Ella Visser", "EllaV", "Sales & Marketing", "Account Executive", 200, "member"),
    ("noah", "Noah Smit", "NoahS", "R&D", "Research Scientist", 150, "member"),
    ("fleur", "Fleur Peeters", "FleurP", "Legal", "Compliance Officer", 90, "member"),
    ("jordan", "Jordan Miller", "JordanM", "Sales & Marketing", "Sales Representative", 1100, "disabled"),
    ("ashley", "Ashley Schroeder", "AshleyS", "Finance", "Accountant", 950, "disabled"),
    ("kevin", "Kevin Brouwer", "KevinB", "Engineering", "Intern", 210, "disabled"),
    ("tom", "Tom Hansen (Contractor)", "ext-tom.hansen", "Engineering", "Contractor - SAP", 240, "contractor"),
    ("mila", "Mila Novak (Contractor)", "ext-mila.novak", "Engineering", "Contractor - Data", 180, "contractor"),
    ("raj", "Raj Patel (Contractor)", "ext-raj.patel", "IT", "Contractor - Network", 120, "contractor"),
    ("ravi", "Ravi Kumar (Fabrikam)", "ravi.kumar", None, None, 400, "guest:fabrikam.com"),
    ("sofia", "Sofia Costa (Northwind)", "sofia.costa", None, None, 350, "guest:northwindtraders.com"),
    ("mark", "Mark Chen (Woodgrove)", "mark.chen", None, None, 300, "guest:woodgrovebank.com"),
    ("lena", "Lena Fischer (Tailspin)", "lena.fischer", None, None, 150, "guest:tailspintoys.com"),
    ("omar", "Omar Haddad (Litware)", "omar.haddad", None, None, 60, "guest:litwareinc.com"),
    ("svc_scanner", "svc-scanner (MFP scan to email)", "svc-scanner", "IT", "Service account", 1500, "svc"),
    ("svc_backup", "svc-backup (Veeam)", "svc-backup", "IT", "Service account", 1200, "svc"),
    ("svc_migration", "svc-spo-migration", "svc-spo-migration", "IT", "Service account", 700, "svc"),
    ("svc_room", "Teams Room AMS-01", "mtr-ams-01", "Facilities", "Meeting room", 600, "svc"),
    ("sync", "On-Premises Directory Synchronization Service Account", "Sync_CONTOSO-DC01_8f3a1c2e4b6d", None,
     None, 1450, "svc"),
)
# last sign-in (days ago) for people the 30-day sign-in log does not show
LAST_SEEN = {"bg02": 200, "jordan": 95, "ashley": 140, "kevin": 48, "lena": 44, "svc_backup": 31,
             "svc_migration": 75, "sync": 0.02}


@dataclass
class _Ctx:
    """Everything built so far, for cross references."""

    users: dict[str, Json] = field(default_factory=dict)
    groups: dict[str, Json] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)  # group key -> member keys ("g:" groups)
    policies: list[Json] = field(default_factory=list)
    locations: dict[str, Json] = field(default_factory=dict)
    strengths: dict[str, Json] = field(default_factory=dict)
    roles_active: dict[str, set[str]] = field(default_factory=dict)  # user key -> role ids
    methods: dict[str, list[str]] = field(default_factory=dict)  # user key -> registered method names
    pa_apps: dict[str, Json] = field(default_factory=dict)
    pa_sps: dict[str, Json] = field(default_factory=dict)
    custom_sps: dict[str, Json] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)

    def transitive_groups(self, user_key: str) -> set[str]:
        direct = {g for g, ms in self.members.items() if user_key in ms}
        out = set(direct)
        frontier = list(direct)
        while frontier:
            g = frontier.pop()
            for parent, ms in self.members.items():
                if f"g:{g}" in ms and parent not in out:
                    out.add(parent)
                    frontier.append(parent)
        return out


def _upn(local: str, kind: str) -> tuple[str, str | None]:
    if kind == "bg" or local.startswith("Sync_"):
        return f"{local}@{DOMAIN}", None
    if kind.startswith("guest:"):
        domain = kind.split(":", 1)[1]
        return f"{local}_{domain}#EXT#@{DOMAIN}", f"{local}@{domain}"
    return f"{local}@contoso.com", f"{local}@contoso.com"


# --- directory ------------------------------------------------------------------------------------------

def _directory(ctx: _Ctx) -> None:
    for key, name, local, dept, title, created, kind in PEOPLE:
        upn, mail = _upn(local, kind)
        given, _, surname = name.partition(" ")
        person = kind in ("member", "sync", "disabled", "admin", "contractor") or kind.startswith("guest:")
        ctx.users[key] = wb.user(
            uid("user", key), upn, name, created=t(created, hours=created % 9),
            given=given if person else None, surname=surname.split(" (")[0] if person else None, mail=mail,
            job_title=title, department=dept, enabled=kind != "disabled",
            user_type="Guest" if kind.startswith("guest:") else "Member",
            synced=kind in ("sync", "disabled") and key != "kevin",
            usage_location=None if kind.startswith("guest:") else "GB" if key in ("ben", "brian", "olivia")
            else "NL")

    groups = (
        ("all_staff", "All Staff", "Every enabled employee (dynamic).",
         '(user.userType -eq "Member") and (user.accountEnabled -eq true) and (user.department -ne null)'),
        ("finance", "Dept - Finance", "Finance department.", None),
        ("engineering", "Dept - Engineering", "Engineering department.", None),
        ("sales", "Dept - Sales & Marketing", "Sales and Marketing.", None),
        ("it", "Dept - IT", "IT department.", None),
        ("hr", "Dept - HR", "Human Resources.", None),
        ("emergency", "SG-Emergency-Access", "Emergency access (break-glass) accounts. Do not add members "
         "without a change record.", None),
        ("ca_excl_bg", "SG-CA-Exclusions-BreakGlass", "Excluded from every Conditional Access policy. Holds "
         "SG-Emergency-Access.", None),
        ("svc_accounts", "SG-Service-Accounts", "Non-interactive service accounts (legacy exclusions).", None),
        ("rooms", "SG-Teams-Rooms-DeviceCode", "Teams Rooms devices allowed to use device code flow.", None),
        ("pa_users", "SG-Private-Access-Users", "Users of Entra Private Access (Quick Access).", None),
        ("pa_eng", "SG-PA-Engineering", "Engineering access through Private Access.", None),
        ("pa_eng_ext", "SG-PA-Eng-Contractors", "Engineering contractors with Private Access.", None),
        ("pa_sap", "SG-PA-SAP-Users", "SAP GUI users.", None),
        ("pa_data", "SG-PA-Data-Engineers", "SQL data platform users.", None),
        ("server_admins", "SG-Server-Admins", "Windows and Linux server administrators (Tier 1).", None),
        ("vendor_vpn", "SG-Vendor-VPN", "Vendors still on the legacy VPN profile.", None),
        ("cae_pilot", "SG-CAE-StrictLocation-Pilot", "Pilot for CAE strict location enforcement.", None),
        ("cae_exempt", "SG-CAE-Legacy-Exempt", "Kept out of continuous access evaluation (legacy clients).", None),
        ("contractors", "Contractors", "External contractors with Contoso accounts.", None),
        ("guests_fabrikam", "Guests - Fabrikam Project", "B2B guests on the Fabrikam joint project.", None),
        ("azure_admins", "SG-Azure-Platform-Admins", "Azure RBAC: platform administrators.", None),
    )
    for key, name, desc, rule in groups:
        ctx.groups[key] = wb.group(uid("group", key), name, created=t(900 - len(key) * 17), description=desc,
                                   dynamic_rule=rule, role_assignable=key in ("emergency", "ca_excl_bg"),
                                   synced=key in ("finance", "sales", "hr"))
    dept_group = {"Finance": "finance", "Engineering": "engineering", "Sales & Marketing": "sales", "IT": "it",
                  "HR": "hr"}
    m = ctx.members
    m["all_staff"] = [k for k, _, _, dept, _, _, kind in PEOPLE
                      if kind in ("member", "sync", "admin", "contractor") and dept]
    for k, _, _, dept, _, _, kind in PEOPLE:
        if dept in dept_group and kind in ("member", "sync", "admin", "disabled"):
            m.setdefault(dept_group[dept], []).append(k)
    m["emergency"] = ["bg01"]
    m["ca_excl_bg"] = ["g:emergency"]
    m["svc_accounts"] = ["svc_scanner", "svc_backup", "svc_migration"]
    m["rooms"] = ["svc_room"]
    m["pa_users"] = ["g:pa_eng", "g:pa_sap", "allan", "megan", "irvin", "sara"]
    m["pa_eng"] = ["g:pa_eng_ext", "johanna", "cameron", "delia", "nora", "pieter", "henrietta"]
    m["pa_eng_ext"] = ["tom", "mila"]
    m["pa_sap"] = ["raul", "lee", "gerhart", "thomas", "pradeep", "tom"]
    m["pa_data"] = ["cameron", "mila", "johanna", "sanne"]
    m["server_admins"] = ["allan", "megan", "isaiah", "raj", "delia"]
    m["vendor_vpn"] = ["tom", "mila", "raj"]
    m["cae_pilot"] = ["alex", "lidia", "allan", "christie"]
    m["cae_exempt"] = ["lee", "gerhart"]
    m["contractors"] = ["tom", "mila", "raj"]
    m["guests_fabrikam"] = ["ravi", "sofia"]
    m["azure_admins"] = ["isaiah", "megan", "delia", "pieter"]
    for gkey, keys in sorted(m.items()):
        items = [wb.member_group(ctx.groups[k[2:]]) if k.startswith("g:") else wb.member_user(ctx.users[k])
                 for k in keys]
        ctx.files[wb.file_path("group_members", parent=ctx.groups[gkey]["id"])] = items

    # roles: active (permanent) and PIM-eligible
    ctx.files[wb.file_path("role_definitions")] = [wb.role_definition(*r) for r in ROLES]
    active = (("bg01", GA), ("bg02", GA), ("megan", GA), ("sync", DIR_SYNC), ("patti", HELPDESK),
              ("alex", SEC_READER), ("lidia", GLOBAL_READER))
    for k, role in active:
        ctx.roles_active.setdefault(k, set()).add(role)
    ctx.files[wb.file_path("role_assignments")] = [wb.role_assignment(role, ctx.users[k]["id"]) for k, role in active]
    eligible = (("christie", GA, None), ("alex", SEC_ADMIN, 300), ("lidia", CA_ADMIN, 300),
                ("nestor", EXCH_ADMIN, 200), ("isaiah", PRA, None), ("isaiah", GSA_ADMIN, 150),
                ("allan", GSA_ADMIN, 150), ("patti", AUTH_ADMIN, 120), ("megan", INTUNE_ADMIN, 90),
                ("nestor", SP_ADMIN, 200), ("lidia", PRIV_AUTH_ADMIN, 60))
    ctx.files[wb.file_path("role_eligibility")] = [
        wb.role_eligibility(role, ctx.users[k]["id"], created=t(365 - (days or 0) // 3),
                            end=wb.iso(NOW + timedelta(days=days)) if days else None)
        for k, role, days in eligible]

    # authentication methods (break-glass accounts and privileged role holders)
    yubikey = "cb69481e-8ff7-4039-93ec-0a2729a154a8"  # YubiKey 5 (USB-A, firmware 5.1)
    yubikey_nfc = "ee882879-721c-4913-9775-3dfcce97072a"  # YubiKey 5 NFC
    methods: dict[str, list[Json]] = {
        "bg01": [wb.password_method(t(1460)),
                 wb.fido2_method(ctx.users["bg01"]["id"], "BG01 YubiKey 5 NFC (safe A)", "YubiKey 5 NFC",
                                 yubikey_nfc, t(400)),
                 wb.fido2_method(ctx.users["bg01"]["id"], "BG01 YubiKey 5 (safe B)", "YubiKey 5 Series",
                                 yubikey, t(400))],
        "bg02": [wb.password_method(t(1460)), wb.phone_method("+31 20 555 0142")],
        "megan": [wb.password_method(t(1400)), wb.authenticator_method(ctx.users["megan"]["id"], "iPhone 15 Pro",
                                                                       t(500)),
                  wb.fido2_method(ctx.users["megan"]["id"], "Megan's YubiKey", "YubiKey 5 NFC", yubikey_nfc, t(300)),
                  wb.phone_method("+31 6 5550 1001")],
        "alex": [wb.password_method(t(1380)), wb.whfb_method(ctx.users["alex"]["id"], "CONTOSO-LT-0412", t(420)),
                 wb.authenticator_method(ctx.users["alex"]["id"], "Pixel 8", t(410))],
        "lidia": [wb.password_method(t(1350)), wb.fido2_method(ctx.users["lidia"]["id"], "Lidia key", "YubiKey 5 NFC",
                                                               yubikey_nfc, t(380)),
                  wb.authenticator_method(ctx.users["lidia"]["id"], "iPhone 14", t(600))],
        "nestor": [wb.password_method(t(1300)), wb.authenticator_method(ctx.users["nestor"]["id"], "Galaxy S23",
                                                                        t(520))],
        "isaiah": [wb.password_method(t(1200)), wb.whfb_method(ctx.users["isaiah"]["id"], "CONTOSO-LT-0077", t(350)),
                   wb.authenticator_method(ctx.users["isaiah"]["id"], "iPhone 15", t(340))],
        "christie": [wb.password_method(t(1100)), wb.fido2_method(ctx.users["christie"]["id"], "CISO key",
                                                                  "YubiKey 5 NFC", yubikey_nfc, t(280)),
                     wb.authenticator_method(ctx.users["christie"]["id"], "iPhone 15 Pro Max", t(290))],
        "patti": [wb.password_method(t(1000)), wb.authenticator_method(ctx.users["patti"]["id"], "iPhone 13", t(700)),
                  wb.fido2_method(ctx.users["patti"]["id"], "Service desk key", "YubiKey 5 NFC", yubikey_nfc, t(95)),
                  wb.phone_method("+31 6 5550 1077")],
        "allan": [wb.password_method(t(980)), wb.authenticator_method(ctx.users["allan"]["id"], "Pixel 7", t(640))],
        "sync": [wb.password_method(t(1450))],
    }
    for k, items in methods.items():
        ctx.files[wb.file_path("auth_methods", parent=ctx.users[k]["id"])] = items
    kinds = {"#microsoft.graph.fido2AuthenticationMethod": "fido2",
             "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusiness",
             "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": "microsoftAuthenticatorPush",
             "#microsoft.graph.phoneAuthenticationMethod": "mobilePhone"}
    for k, _, _, _, _, _, kind in PEOPLE:
        if k in methods:
            ctx.methods[k] = sorted({kinds[m["@odata.type"]] for m in methods[k] if m["@odata.type"] in kinds})
        elif kind in ("svc",) or k in ("kevin", "omar"):
            ctx.methods[k] = []
        elif kind.startswith("guest:"):
            ctx.methods[k] = ["microsoftAuthenticatorPush"] if k != "lena" else ["mobilePhone"]
        else:
            ctx.methods[k] = (["microsoftAuthenticatorPush", "windowsHelloForBusiness"] if len(k) % 3 else
                              ["microsoftAuthenticatorPush", "mobilePhone"])
    privileged = {k for k, r in ctx.roles_active.items() if r & set(PRIVILEGED_ROLES)} | {
        k for k, _, _ in eligible}
    ctx.files[wb.file_path("registration_details")] = [
        wb.registration_details(ctx.users[k], ctx.methods[k], is_admin=k in privileged, updated=t(1, hours=3))
        for k, *_ in PEOPLE]


# --- Conditional Access ---------------------------------------------------------------------------------

def _strengths(ctx: _Ctx) -> None:
    created = "2021-12-01T00:00:00Z"
    mfa_combos = ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush",
                  "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse", "password,microsoftAuthenticatorPush",
                  "password,softwareOath", "password,hardwareOath", "password,x509CertificateSingleFactor",
                  "password,x509CertificateMultiFactor", "password,sms", "password,voice", "federatedMultiFactor",
                  "microsoftAuthenticatorPush,federatedSingleFactor", "softwareOath,federatedSingleFactor",
                  "hardwareOath,federatedSingleFactor", "sms,federatedSingleFactor", "voice,federatedSingleFactor"]

    def strength(id: str, name: str, desc: str, ptype: str, combos: list[str], created: str, modified: str,
                 configs: list[Json] | None = None) -> Json:
        return {"id": id, "createdDateTime": created, "modifiedDateTime": modified, "displayName": name,
                "description": desc, "policyType": ptype, "requirementsSatisfied": "mfa",
                "allowedCombinations": combos, "combinationConfigurations": configs or []}

    custom_id = uid("authstrength", "fido2-whfb")
    ctx.strengths = {
        "mfa": strength(wb.STRENGTH_MFA, "Multifactor authentication", "Combinations of methods that satisfy "
                        "strong authentication, such as a password + SMS", "builtIn", mfa_combos, created, created),
        "passwordless": strength(wb.STRENGTH_PASSWORDLESS, "Passwordless MFA", "Passwordless methods that satisfy "
                                 "strong authentication, such as Passwordless sign-in with the Microsoft "
                                 "Authenticator", "builtIn", ["windowsHelloForBusiness", "fido2",
                                                              "x509CertificateMultiFactor", "deviceBasedPush"],
                                 created, created),
        "phishing": strength(wb.STRENGTH_PHISHING_RESISTANT, "Phishing resistant MFA", "Phishing resistant, "
                             "Passwordless methods for the strongest authentication, such as a FIDO2 security key",
                             "builtIn", ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
                             created, created),
        "custom": strength(custom_id, "Contoso - FIDO2 (YubiKey) or Windows Hello", "Finance approvals: Contoso-issued "
                           "YubiKeys or Windows Hello for Business only.", "custom",
                           ["fido2", "windowsHelloForBusiness"], t(310), t(120), [
                               {"@odata.type": "#microsoft.graph.fido2CombinationConfiguration",
                                "id": uid("authstrength-config", "fido2"), "appliesToCombinations": ["fido2"],
                                "allowedAAGUIDs": ["cb69481e-8ff7-4039-93ec-0a2729a154a8",
                                                   "ee882879-721c-4913-9775-3dfcce97072a"]}]),
    }
    ctx.files[wb.file_path("auth_strengths")] = list(ctx.strengths.values())


def _named_locations(ctx: _Ctx) -> None:
    ctx.locations = {
        "corp": wb.ip_location(uid("namedlocation", "corp"), "Contoso Corporate Egress (Amsterdam HQ, London)",
                               ["203.0.113.0/27", "198.51.100.16/28", "2001:db8:1000::/48"], trusted=True,
                               created=t(1300), modified=t(210)),
        "azure": wb.ip_location(uid("namedlocation", "azure"), "Contoso Azure Egress (afw-hub-weu)",
                                ["20.101.12.34/32"], trusted=True, created=t(700), modified=t(700)),
        "blocked": wb.country_location(uid("namedlocation", "blocked"), "Blocked countries",
                                       ["KP", "IR", "RU", "BY", "SY", "CU"], created=t(1200), modified=t(400)),
        "operating": wb.country_location(uid("namedlocation", "operating"), "Operating countries",
                                         ["NL", "GB", "DE", "BE", "FR", "IE", "US"], created=t(1200),
                                         modified=t(90)),
        "compliant": wb.compliant_network_location(t(160)),
    }
    ctx.files[wb.file_path("named_locations")] = list(ctx.locations.values())


def _policies(ctx: _Ctx) -> None:
    g = {k: v["id"] for k, v in ctx.groups.items()}
    u = {k: v["id"] for k, v in ctx.users.items()}
    loc = {k: v["id"] for k, v in ctx.locations.items()}
    bg_group, bg02 = [g["ca_excl_bg"]], [u["bg02"]]
    pa = {k: a["appId"] for k, a in ctx.pa_apps.items()}
    tou = uid("termsofuse", "contoso-guest-tou")
    deleted_group = uid("group", "SG-Project-Phoenix (deleted)")
    deleted_location = uid("namedlocation", "Rotterdam branch office (deleted)")
    P = wb.ca_policy
    E, R, D = "enabled", "enabledForReportingButNotEnforced", "disabled"

    def pid(code: str) -> str:
        return uid("capolicy", code)

    ctx.policies = [
        P(pid("CA001"), "CA001-Global-AllApps-AnyPlatform-RequireMFA", E, created=t(1100), modified=t(75),
          users=wb.ca_users(include_users=["All"], exclude_users=["GuestsOrExternalUsers"],
                            exclude_groups=bg_group + [g["svc_accounts"]]),
          apps=wb.ca_apps(["All"]), grant=wb.ca_grant("OR", ["mfa"])),
        P(pid("CA002"), "CA002-Global-AllApps-BlockLegacyAuthentication", E, created=t(1090), modified=t(300),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), client_app_types=["exchangeActiveSync", "other"],
          grant=wb.ca_grant("OR", ["block"]), template_id="0b2282f9-2862-4178-88b5-d79340b36cb8"),
        P(pid("CA003"), "CA003-Admins-AzureManagement-RequireCompliantOrHybridDevice", R, created=t(260),
          modified=t(200), users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps([AZURE_MGMT]), grant=wb.ca_grant("OR", ["compliantDevice", "domainJoinedDevice"])),
        P(pid("CA004"), "CA004-Admins-AllApps-RequirePhishingResistantMFA", E, created=t(480), modified=t(60),
          users=wb.ca_users(include_roles=list(PRIVILEGED_ROLES), exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), grant=wb.ca_grant("OR", strength=ctx.strengths["phishing"])),
        P(pid("CA005"), "CA005-Global-AllApps-BlockCountriesNotOperatingIn", E, created=t(1000), modified=t(400),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), include_locations=[loc["blocked"]], grant=wb.ca_grant("OR", ["block"])),
        P(pid("CA006"), "CA006-Global-AllApps-SignInRiskMediumHigh-RequireMFA", E, created=t(700), modified=t(150),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), sign_in_risk=["high", "medium"], grant=wb.ca_grant("OR", ["mfa"]),
          session=wb.ca_session(every_time=True)),
        P(pid("CA007"), "CA007-Global-AllApps-UserRiskHigh-RequirePasswordChange", E, created=t(700), modified=t(150),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group + [g["svc_accounts"]]),
          apps=wb.ca_apps(["All"]), user_risk=["high"], grant=wb.ca_grant("AND", ["mfa", "passwordChange"]),
          session=wb.ca_session(every_time=True)),
        P(pid("CA008"), "CA008-Global-AllApps-BlockDeviceCodeFlow", E, created=t(240), modified=t(240),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group + [g["rooms"]]),
          apps=wb.ca_apps(["All"]), transfer_methods="deviceCodeFlow", grant=wb.ca_grant("OR", ["block"])),
        P(pid("CA009"), "CA009-Guests-Office365-RequireMFA-TermsOfUse", E, created=t(600), modified=t(100),
          users=wb.ca_users(include_guests=wb.ALL_GUEST_TYPES), apps=wb.ca_apps(["Office365"]),
          grant=wb.ca_grant("AND", ["mfa"], terms=[tou])),
        P(pid("CA010"), "CA010-Internals-Office365-RequireCompliantOrHybridDevice", E, created=t(800), modified=t(45),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02 + ["GuestsOrExternalUsers"],
                            exclude_groups=bg_group + [g["svc_accounts"], g["rooms"]]),
          apps=wb.ca_apps(["Office365"]), include_platforms=["windows", "macOS"], client_app_types=["all"],
          grant=wb.ca_grant("OR", ["compliantDevice", "domainJoinedDevice"])),
        P(pid("CA011"), "CA011-Internals-Office365-Mobile-RequireAppProtectionOrCompliant", E, created=t(800),
          modified=t(45), users=wb.ca_users(include_users=["All"], exclude_users=bg02 + ["GuestsOrExternalUsers"],
                                            exclude_groups=bg_group),
          apps=wb.ca_apps(["Office365"]), include_platforms=["android", "iOS"],
          client_app_types=["browser", "mobileAppsAndDesktopClients"],
          grant=wb.ca_grant("OR", ["compliantApplication", "compliantDevice"])),
        P(pid("CA012"), "CA012-Admins-AllApps-SignInFrequency4h-NoPersistentBrowser", E, created=t(480),
          modified=t(60), users=wb.ca_users(include_roles=list(PRIVILEGED_ROLES), exclude_users=bg02,
                                            exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), session=wb.ca_session(sign_in_frequency=(4, "hours"), persistent_browser="never")),
        P(pid("CA013"), "CA013-Global-AllApps-UnmanagedDevices-SessionLimits", E, created=t(380), modified=t(30),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), client_app_types=["browser"],
          device_filter=("exclude", 'device.isCompliant -eq True -or device.trustType -eq "ServerAD"'),
          session=wb.ca_session(sign_in_frequency=(12, "hours"), persistent_browser="never", app_enforced=True)),
        P(pid("CA014"), "CA014-Internals-RegisterSecurityInfo-TrustedLocationsOnly", E, created=t(650), modified=t(650),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02 + ["GuestsOrExternalUsers"],
                            exclude_groups=bg_group),
          apps=wb.ca_apps(user_actions=["urn:user:registersecurityinfo"]), include_locations=["All"],
          exclude_locations=["AllTrusted"], grant=wb.ca_grant("OR", ["block"])),
        P(pid("CA015"), "CA015-Global-RegisterOrJoinDevices-RequireMFA", E, created=t(650), modified=t(650),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(user_actions=["urn:user:registerdevice"]), grant=wb.ca_grant("OR", ["mfa"])),
        P(pid("CA016"), "CA016-Finance-AuthContextC1-RequireContosoKeys", E, created=t(300), modified=t(120),
          users=wb.ca_users(include_groups=[g["finance"]]), apps=wb.ca_apps(auth_context=["c1"]),
          grant=wb.ca_grant("OR", strength=ctx.strengths["custom"])),
        P(pid("CA017"), "CA017-PrivateAccess-Apps-RequireMFA-CompliantDevice", E, created=t(150), modified=t(20),
          users=wb.ca_users(include_groups=[g["pa_users"], g["server_admins"], g["pa_data"], g["all_staff"]],
                            exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps([pa[k] for k in ("sap", "files", "jump", "sql", "intranet", "admin")]),
          grant=wb.ca_grant("AND", ["mfa", "compliantDevice"])),
        P(pid("CA018"), "CA018-PrivateAccess-QuickAccess-RequireMFA", E, created=t(150), modified=t(150),
          users=wb.ca_users(include_groups=[g["pa_users"]], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps([pa["quick"]]), grant=wb.ca_grant("OR", ["mfa"])),
        P(pid("CA019"), "CA019-Admins-AzureManagement-BlockOutsideCompliantNetwork", R, created=t(40),
          modified=t(40), users=wb.ca_users(include_roles=[GA, PRA, SEC_ADMIN, CA_ADMIN, GSA_ADMIN],
                                            exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps([AZURE_MGMT]), include_locations=["All"], exclude_locations=[wb.COMPLIANT_NETWORK_LOCATION],
          grant=wb.ca_grant("OR", ["block"])),
        P(pid("CA020"), "CA020-Pilot-Office365-CAEStrictLocation-TrustedIPs", E, created=t(120), modified=t(25),
          users=wb.ca_users(include_groups=[g["cae_pilot"]]), apps=wb.ca_apps(["Office365"]),
          include_locations=["All"], exclude_locations=[loc["corp"], loc["azure"]],
          grant=wb.ca_grant("OR", ["block"]), session=wb.ca_session(cae_mode="strictLocation")),
        P(pid("CA021"), "CA021-Sales-Office365-CAEStrictLocation-Countries", R, created=t(5), modified=t(5),
          users=wb.ca_users(include_groups=[g["sales"]]), apps=wb.ca_apps(["Office365"]),
          include_locations=["All"], exclude_locations=[loc["operating"]],
          grant=wb.ca_grant("OR", ["block"]), session=wb.ca_session(cae_mode="strictLocation")),
        P(pid("CA022"), "CA022-Vendors-AllApps-DisableCAE-LegacyVPN", E, created=t(500), modified=t(500),
          users=wb.ca_users(include_groups=[g["vendor_vpn"]]), apps=wb.ca_apps(["All"]),
          grant=wb.ca_grant("OR", ["mfa"]), session=wb.ca_session(cae_mode="disabled")),
        P(pid("CA023"), "CA023-Global-AllApps-BlockUnsupportedPlatforms", D, created=t(900), modified=t(610),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), include_platforms=["all"],
          exclude_platforms=["android", "iOS", "windows", "macOS", "linux"], grant=wb.ca_grant("OR", ["block"])),
        P(pid("CA024"), "CA024-Contractors-AllApps-BlockOutsideOperatingCountries", E, created=t(700),
          modified=t(330), users=wb.ca_users(include_groups=[g["contractors"]], exclude_groups=[deleted_group]),
          apps=wb.ca_apps(["All"]), include_locations=["All"],
          exclude_locations=[loc["operating"], deleted_location], grant=wb.ca_grant("OR", ["block"])),
        P(pid("CA025"), "CA025-Global-AllApps-RequireCompliantOrHybridDevice", R, created=t(230), modified=t(200),
          users=wb.ca_users(include_users=["All"], exclude_users=["GuestsOrExternalUsers"],
                            exclude_groups=bg_group + [g["svc_accounts"], g["rooms"]]),
          apps=wb.ca_apps(["All"], [pa["quick"]]), grant=wb.ca_grant("OR", ["compliantDevice", "domainJoinedDevice"])),
        P(pid("CA026"), "CA026-Admins-AdminPortals-RequireMFA", E, created=t(900), modified=t(300),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["MicrosoftAdminPortals"]), grant=wb.ca_grant("OR", ["mfa"])),
        P(pid("CA027"), "CA027-OLD-Require-HybridJoin-Windows (retired)", D, created=t(1500), modified=t(800),
          users=wb.ca_users(include_users=["All"], exclude_users=bg02, exclude_groups=bg_group),
          apps=wb.ca_apps(["All"]), include_platforms=["windows"], grant=wb.ca_grant("OR", ["domainJoinedDevice"])),
    ]
    ctx.files[wb.file_path("ca_policies")] = ctx.policies
    ctx.files[wb.file_path("cae_policy")] = {
        "@odata.context": ("https://graph.microsoft.com/beta/$metadata#identity/continuousAccessEvaluationPolicy"
                           "/$entity"),
        "id": wb.CAE_POLICY_ID,
        "description": "Continuous Access Evaluation automatically blocks access to resources and applications in "
                       "near real time when a user's access is removed or a client IP address changes.",
        "displayName": "Continuous Access Evaluation",
        "isEnabled": True,
        "users": [],
        "groups": [g["cae_exempt"]],
        "migrate": False,
    }


# --- applications and Private Access ------------------------------------------------------------------

PA_APPS = (
    # key, name, connector group, assigned groups, segments (type, host, ports, protocol)
    ("sap", "PA - SAP GUI (Production)", "azure", ("pa_sap",),
     (("fqdn", "sap-prd.corp.contoso.com", ["3200-3299"], "tcp"), ("ipAddress", "10.1.1.20", ["3200-3299"], "tcp"),
      ("ipAddress", "10.1.1.21", ["3300-3300", "3600-3600"], "tcp"))),
    ("files", "PA - File Servers (SMB)", "ams", ("all_staff",),
     (("fqdn", "fs01.corp.contoso.com", ["445-445"], "tcp"), ("fqdn", "fs02.corp.contoso.com", ["445-445"], "tcp"),
      ("ipRangeCidr", "10.100.10.0/24", ["445-445"], "tcp"))),
    ("jump", "PA - Jump Hosts (RDP)", "ams", ("server_admins",),
     (("ipAddress", "10.100.20.10", ["3389-3389"], "tcp"), ("ipAddress", "10.100.20.11", ["3389-3389"], "tcp"),
      ("fqdn", "jump01.corp.contoso.com", ["3389-3389"], "tcp"))),
    ("sql", "PA - SQL Data Platform", "azure", ("pa_data",),
     (("ipAddress", "10.3.1.10", ["1433-1433"], "tcp"), ("fqdn", "sql-prd.corp.contoso.com", ["1433-1433"], "tcp"))),
    ("intranet", "PA - Intranet Web (HTTP/HTTPS)", "london", ("all_staff",),
     (("fqdn", "intranet.corp.contoso.com", ["80-443"], "tcp"),
      ("ipRangeCidr", "10.100.30.0/24", ["80-80", "443-443"], "tcp"))),
    ("erp", "PA - Legacy ERP (Contractors)", "default", (),
     (("ipRange", "10.100.40.10-10.100.40.50", ["8000-8100"], "tcp"), ("dnsSuffix", "local", ["8000-8100"], "tcp"))),
    ("admin", "PA - Server Admin Tools (SSH/WinRM)", "ams", ("server_admins",),
     (("ipRangeCidr", "10.100.20.0/24", ["22-22", "5985-5986"], "tcp"),
      ("ipAddress", "10.100.20.10", ["3389-3389"], "tcp"),
      ("dnsSuffix", "corp.contoso.com", ["22-22"], "tcp"))),
    ("quick", "Quick Access", "ams", ("pa_users",),
     (("ipRangeCidr", "10.0.0.0/8", ["1-65535"], "tcp"), ("ipRangeCidr", "10.0.0.0/8", ["1-65535"], "udp"),
      ("dnsSuffix", "corp.contoso.com", ["1-65535"], "tcp"))),
)
CONNECTOR_GROUPS = (
    # key, name, region, default, connectors (machine, external ip, status)
    ("default", "Default", "eur", True, (("pa-conn-ams-03.corp.contoso.com", "203.0.113.21", "active"),)),
    ("ams", "CG-Datacenter-Amsterdam", "eur", False,
     (("pa-conn-ams-01.corp.contoso.com", "203.0.113.11", "active"),
      ("pa-conn-ams-02.corp.contoso.com", "203.0.113.12", "active"))),
    ("azure", "CG-Azure-WestEurope", "eur", False,
     (("pa-conn-azweu-01.corp.contoso.com", "20.101.12.34", "active"),
      ("pa-conn-azweu-02.corp.contoso.com", "20.101.12.34", "active"))),
    ("london", "CG-Branch-London", "eur", False,
     (("pa-conn-lon-01.corp.contoso.com", "198.51.100.21", "active"),
      ("pa-conn-lon-02.corp.contoso.com", "198.51.100.22", "inactive"))),
)


def _applications(ctx: _Ctx) -> None:
    groups_wire: dict[str, Json] = {}
    connectors_all: list[Json] = []
    for key, name, region, default, conns in CONNECTOR_GROUPS:
        cg: Json = {"id": uid("connectorgroup", key), "name": name, "connectorGroupType": "applicationProxy",
                    "isDefault": default, "region": region}
        groups_wire[key] = cg
        members = [{"id": uid("connector", machine), "machineName": machine, "externalIp": ip, "status": status,
                    "version": "1.5.3974.0" if status == "active" else "1.5.3437.0"}
                   for machine, ip, status in conns]
        connectors_all += members
        ctx.files[wb.file_path("connector_group_members", parent=cg["id"])] = members
    ctx.files[wb.file_path("connector_groups")] = list(groups_wire.values())
    ctx.files[wb.file_path("connectors")] = connectors_all

    applications: list[Json] = []
    for key, name, cg_key, assigned, segments in PA_APPS:
        quick = key == "quick"
        app_id = uid("appid", key)
        roles = [wb.app_role(app_id, "User"), wb.app_role(app_id, "msiam_access")]
        created = t(160 if quick else 140 - len(key) * 9)
        tags = ["NetworkAccessQuickAccessApplication" if quick else "PrivateAccessNonWebApplication",
                "HideApp", "WindowsAzureActiveDirectoryOnPremApp"]
        app: Json = {
            "id": uid("application", key), "appId": app_id,
            "applicationTemplateId": "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
            "createdDateTime": created, "deletedDateTime": None, "displayName": name, "description": None,
            "identifierUris": [], "publisherDomain": DOMAIN, "signInAudience": "AzureADMyOrg", "tags": tags,
            "appRoles": roles,
            "onPremisesPublishing": {
                "alternateUrl": "", "applicationServerTimeout": "default",
                "applicationType": "quickaccessapp" if quick else "nonwebapp",
                "externalAuthenticationType": "aadPreAuthentication", "externalUrl": None, "internalUrl": None,
                "isAccessibleViaZTNAClient": True, "isBackendCertificateValidationEnabled": False,
                "isDnsResolutionEnabled": False, "isHttpOnlyCookieEnabled": False, "isOnPremPublishingEnabled": True,
                "isPersistentCookieEnabled": False, "isSecureCookieEnabled": False, "isStateSessionEnabled": False,
                "isTranslateHostHeaderEnabled": False, "isTranslateLinksInBodyEnabled": False,
                "useAlternateUrlForTranslationAndRedirect": False},
        }
        applications.append(app)
        ctx.pa_apps[key] = app
        sp = wb.service_principal(uid("sp", key), app_id, name, owner_tenant=TENANT_ID, tags=tags,
                                  assignment_required=True, app_roles=roles, created=created)
        ctx.pa_sps[key] = sp
        ctx.files[wb.file_path("app_segments", parent=app["id"])] = [
            {"@odata.type": "#microsoft.graph.ipApplicationSegment", "id": uid("segment", key, str(i)),
             "destinationHost": host, "destinationType": dtype, "port": 0, "ports": ports, "protocol": proto}
            for i, (dtype, host, ports, proto) in enumerate(segments)]
        ctx.files[wb.file_path("app_connector_group", parent=app["id"])] = groups_wire[cg_key]
        ctx.files[wb.file_path("app_role_assignments", parent=sp["id"])] = [
            wb.app_role_assignment(sp, ctx.groups[gk], "Group", roles[0]["id"], t(100)) for gk in assigned]

    for key, name in (("hr", "Contoso HR Portal (Workday)"), ("expenses", "Contoso Expenses")):
        app_id = uid("appid", key)
        roles = [wb.app_role(app_id, "User")]
        applications.append({
            "id": uid("application", key), "appId": app_id, "applicationTemplateId": None,
            "createdDateTime": t(800), "deletedDateTime": None, "displayName": name, "description": None,
            "identifierUris": [f"https://{key}.contoso.com"], "publisherDomain": DOMAIN,
            "signInAudience": "AzureADMyOrg", "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
            "appRoles": roles, "onPremisesPublishing": None})
        ctx.custom_sps[key] = wb.service_principal(uid("sp", key), app_id, name, owner_tenant=TENANT_ID,
                                                   tags=["WindowsAzureActiveDirectoryIntegratedApp"],
                                                   assignment_required=key == "hr", app_roles=roles, created=t(800))
    ctx.files[wb.file_path("applications")] = applications
    first_party = [wb.service_principal(uid("sp", app_id), app_id, name) for app_id, name in FIRST_PARTY]
    ctx.files[wb.file_path("service_principals")] = (first_party + list(ctx.pa_sps.values())
                                                     + list(ctx.custom_sps.values()))

    ctx.files[wb.file_path("forwarding_profiles")] = [
        {"trafficForwardingType": ftype, "priority": prio, "id": uid("forwardingprofile", ftype), "name": name,
         "description": desc, "state": state, "version": "1.0.0", "lastModifiedDateTime": modified,
         "associations": []}
        for ftype, prio, name, desc, state, modified in (
            ("m365", 0, "Microsoft 365 traffic forwarding profile", "Default traffic forwarding profile for "
             "Microsoft 365 traffic acquisition.", "enabled", t(170)),
            ("private", 1, "Private access traffic forwarding profile", "Default traffic forwarding profile for "
             "Private access traffic acquisition.", "enabled", t(160)),
            ("internet", 2, "Internet traffic forwarding profile", "Default traffic forwarding profile for "
             "Internet traffic acquisition.", "disabled", t(170)))]
    ctx.files[wb.file_path("gsa_ca_settings")] = {
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#networkAccess/settings/conditionalAccess/$entity",
        "signalingStatus": "disabled"}


def _tenant_objects(ctx: _Ctx) -> None:
    ctx.files[wb.file_path("organization")] = [{
        "id": TENANT_ID, "deletedDateTime": None, "businessPhones": ["+31 20 555 0100"], "city": "Amsterdam",
        "country": None, "countryLetterCode": "NL", "createdDateTime": "2019-03-14T09:21:44Z",
        "displayName": "Contoso", "marketingNotificationEmails": [], "onPremisesLastSyncDateTime": t(minutes=31),
        "onPremisesSyncEnabled": True, "postalCode": "1011 AB", "preferredLanguage": "en-US",
        "securityComplianceNotificationMails": ["secops@contoso.com"],
        "securityComplianceNotificationPhones": [], "state": None, "street": "Herengracht 100",
        "technicalNotificationMails": ["it-admins@contoso.com"], "tenantType": "AAD",
        "directorySizeQuota": {"used": 2841, "total": 300000},
        "verifiedDomains": [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True, "isInitial": True,
             "name": DOMAIN, "type": "Managed"},
            {"capabilities": "Email, OfficeCommunicationsOnline, MoeraDomain", "isDefault": False,
             "isInitial": False, "name": "contoso.com", "type": "Managed"}],
        "assignedPlans": [], "privacyProfile": None}]

    def sku(sku_id: str, part: str, units: int, consumed: int, plans: list[tuple[str, str]]) -> Json:
        return {"accountId": TENANT_ID, "accountName": "Contoso", "appliesTo": "User", "capabilityStatus": "Enabled",
                "consumedUnits": consumed, "id": f"{TENANT_ID}_{sku_id}", "skuId": sku_id, "skuPartNumber": part,
                "subscriptionIds": [uid("licence-subscription", part)],
                "prepaidUnits": {"enabled": units, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": [{"servicePlanId": pid, "servicePlanName": pname, "provisioningStatus": "Success",
                                  "appliesTo": "User"} for pid, pname in plans]}
    ctx.files[wb.file_path("subscribed_skus")] = [
        sku("84a661c4-e949-4bd2-a560-ed7766fcaf2b", "AAD_PREMIUM_P2", 75, 58, [
            ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
            ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2"),
            ("8a256a2b-b617-496d-b51b-e76466e88db0", "MFA_PREMIUM"),
            ("113feb6c-3fe4-4440-bddc-54d774bf0318", "EXCHANGE_S_FOUNDATION")]),
        sku("f9602137-2203-447b-9fff-41b36e08ce5d", "Microsoft_Entra_Suite", 50, 41, [
            ("f057aab1-b184-49b2-85c0-881b02a405c5", "Entra_Premium_Private_Access"),
            ("8d23cb83-ab07-418f-8517-d7aca77307dc", "Entra_Premium_Internet_Access"),
            ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2")]),
        sku("05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", 75, 52, [
            ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
            ("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A"),  # Microsoft 365 E3 includes Intune
            ("113feb6c-3fe4-4440-bddc-54d774bf0318", "EXCHANGE_S_FOUNDATION")]),
    ]
    ctx.files[wb.file_path("device_compliance")] = [
        {"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "id": uid("compliance", "win"),
         "createdDateTime": t(900), "description": "Windows 11 corporate baseline", "lastModifiedDateTime": t(60),
         "displayName": "Contoso - Windows 11 baseline", "version": 7, "passwordRequired": True,
         "passwordMinimumLength": 12, "osMinimumVersion": "10.0.22621", "bitLockerEnabled": True,
         "secureBootEnabled": True, "codeIntegrityEnabled": True, "storageRequireEncryption": True,
         "activeFirewallRequired": True, "defenderEnabled": True, "antivirusRequired": True,
         "deviceThreatProtectionEnabled": True, "deviceThreatProtectionRequiredSecurityLevel": "medium"},
        {"@odata.type": "#microsoft.graph.macOSCompliancePolicy", "id": uid("compliance", "mac"),
         "createdDateTime": t(700), "description": "macOS baseline", "lastModifiedDateTime": t(120),
         "displayName": "Contoso - macOS baseline", "version": 3, "passwordRequired": True,
         "osMinimumVersion": "14.0", "storageRequireEncryption": True, "firewallEnabled": True,
         "systemIntegrityProtectionEnabled": True, "deviceThreatProtectionEnabled": False},
        {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "id": uid("compliance", "ios"),
         "createdDateTime": t(800), "description": "iOS/iPadOS baseline", "lastModifiedDateTime": t(90),
         "displayName": "Contoso - iOS baseline", "version": 4, "passcodeRequired": True,
         "passcodeMinimumLength": 6, "osMinimumVersion": "17.0", "securityBlockJailbrokenDevices": True,
         "managedEmailProfileRequired": False, "deviceThreatProtectionEnabled": False},
        {"@odata.type": "#microsoft.graph.androidWorkProfileCompliancePolicy", "id": uid("compliance", "android"),
         "createdDateTime": t(800), "description": "Android Enterprise work profile baseline",
         "lastModifiedDateTime": t(90), "displayName": "Contoso - Android work profile", "version": 2,
         "passwordRequired": True, "passwordMinimumLength": 6, "osMinimumVersion": "13.0",
         "securityBlockJailbrokenDevices": True, "storageRequireEncryption": True,
         "securityRequireSafetyNetAttestationBasicIntegrity": True},
    ]


# --- the sign-in log ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Device:
    os: str  # deviceDetail.operatingSystem
    platform: str  # CA platform
    browser: str
    compliant: bool
    trust: str | None  # deviceDetail.trustType


WIN_CORP = _Device("Windows10", "windows", "Edge 131.0.0", True, "Azure AD joined")
WIN_HYBRID = _Device("Windows10", "windows", "Edge 131.0.0", False, "Hybrid Azure AD joined")
MAC_CORP = _Device("MacOs", "macOS", "Safari 18.1", True, "Azure AD registered")
IOS_MANAGED = _Device("Ios 18.1", "iOS", "Mobile Safari", True, "Azure AD registered")
ANDROID_BYOD = _Device("Android 14", "android", "Chrome Mobile 131.0.6778", False, "Azure AD registered")
WIN_HOME = _Device("Windows10", "windows", "Chrome 131.0.0", False, None)
LINUX_DEV = _Device("Linux", "linux", "Firefox 132.0", False, None)

# city, country code, ip prefix (last octet random), named location keys the address falls in
PLACES = {
    "hq": ("Amsterdam", "NL", "203.0.113."),
    "london": ("London", "GB", "198.51.100."),
    "home_nl": ("Utrecht", "NL", "84.241.198."),
    "home_gb": ("Manchester", "GB", "86.12.77."),
    "home_de": ("Berlin", "DE", "91.64.120."),
    "travel_us": ("Seattle", "US", "73.118.40."),
    "travel_fr": ("Paris", "FR", "90.84.12."),
    "azure": ("Amsterdam", "NL", "20.101.12."),
    "ru": ("Moscow", "RU", "5.8.18."),
    "kp": ("Pyongyang", "KP", "175.45.176."),
    "tor": ("Frankfurt am Main", "DE", "185.220.101."),
}


@dataclass
class _Attempt:
    user: str
    when: datetime
    app: tuple[str, str]  # client app id, name
    resource: tuple[str, str]
    client: str  # CA client app type
    used: str | None  # clientAppUsed text when not the default for the type
    device: _Device
    place: str
    risk: str = "none"
    mfa_ok: bool = True
    pre_ca_error: tuple[int, str] | None = None  # failures before Conditional Access is evaluated


class _Outcomes:
    """Which policies apply to an attempt, decided by the engine (``ztconsole.engine``): the sign-in record is
    read back through the model and mapped to a What If scenario exactly as ``impact`` maps a logged
    sign-in, so the log and the evaluator can never disagree. Whether the user then satisfied a policy's
    grant controls is the demo's story (``satisfied``)."""

    def __init__(self, ctx: _Ctx):
        from ztconsole.engine.compiled import CompiledPolicies
        from ztconsole.engine.whatif import Context
        from ztconsole.model.tenant import TenantInfo
        from ztconsole.tenantdir import TenantFiles

        self.ctx = ctx
        files = dict(ctx.files)
        files[wb.file_path("users")] = list(ctx.users.values())
        files[wb.file_path("groups")] = list(ctx.groups.values())
        info = TenantInfo(id=TENANT_ID, display_name="Contoso", default_domain=DOMAIN,
                          break_glass=tuple(BREAK_GLASS))
        keys = ["ca_policies", "named_locations", "users", "groups", "group_members", "role_definitions",
                "role_assignments", "role_eligibility", "service_principals", "auth_strengths"]
        tenant = TenantFiles(files, info).load(keys=keys, workers=1)
        bad = [r for r in tenant.results.values() if r.status != "ok" or r.issues]
        if bad:
            raise RuntimeError(f"the demo does not read back: {bad[0].key}: {bad[0].message}")
        self.compiled = CompiledPolicies.build(tenant.ca_policies, Context.from_tenant(tenant))

    def applied(self, record: Json) -> tuple[frozenset[str], frozenset[str]]:
        """(enforced, report-only) ids of the policies that apply to the sign-in ``record``."""
        from ztconsole.engine.impact import scenario_of
        from ztconsole.model.directory import SignIn

        d = self.compiled.decide(scenario_of(SignIn.from_wire(record)))
        return frozenset(d.applied), frozenset(d.report_only)

    def satisfied(self, p: Json, a: _Attempt) -> bool:
        grant = p["grantControls"]
        if grant is None:
            return True
        methods = self.ctx.methods.get(a.user, [])
        checks = []
        for control in grant["builtInControls"]:
            checks.append({"block": False, "mfa": a.mfa_ok, "compliantDevice": a.device.compliant,
                           "domainJoinedDevice": a.device.trust == "Hybrid Azure AD joined",
                           "compliantApplication": a.client == "mobileAppsAndDesktopClients"
                           and a.device.platform in ("iOS", "android"),
                           "passwordChange": False}.get(control, False))
        if grant["authenticationStrength"]:
            allowed = set(grant["authenticationStrength"]["allowedCombinations"])
            checks.append(a.mfa_ok and bool(allowed & set(methods)))
        return all(checks) if grant["operator"] == "AND" else any(checks)


def _attempts(ctx: _Ctx, rng: random.Random) -> list[_Attempt]:
    """The scenarios of the 30-day sign-in log, most of them drawn, a few placed by hand."""
    apps_web = [((EXO, "Office 365 Exchange Online"), (EXO, "Office 365 Exchange Online"), "browser"),
                ((OFFICE_HOME, "OfficeHome"), (OFFICE_HOME, "OfficeHome"), "browser"),
                ((SPO, "Office 365 SharePoint Online"), (SPO, "Office 365 SharePoint Online"), "browser"),
                ((MY_APPS, "My Apps"), (MY_APPS, "My Apps"), "browser")]
    apps_rich = [((TEAMS, "Microsoft Teams"), (TEAMS_SVC, "Microsoft Teams Services"), "mobileAppsAndDesktopClients"),
                 ((OFFICE, "Microsoft Office"), (EXO, "Office 365 Exchange Online"), "mobileAppsAndDesktopClients")]
    hr = ctx.custom_sps["hr"]
    staff = [k for k, _, _, _, _, _, kind in PEOPLE if kind in ("member", "sync", "admin", "contractor")]
    primary: dict[str, _Device] = {}
    for i, k in enumerate(staff):
        primary[k] = (MAC_CORP if i % 7 == 3 else WIN_HYBRID if i % 4 == 1 else WIN_CORP)
    primary.update({"tom": WIN_HOME, "mila": LINUX_DEV, "raj": WIN_HOME, "pieter": LINUX_DEV})
    mobile = {k: (IOS_MANAGED if i % 3 else ANDROID_BYOD) for i, k in enumerate(staff)}
    home = {k: ("home_gb" if ctx.users[k]["usageLocation"] == "GB" else "home_de" if i % 9 == 4 else "home_nl")
            for i, k in enumerate(staff)}
    out: list[_Attempt] = []

    def when(days_max: int = 30) -> datetime:
        """A working-hours moment within the last ``days_max`` days (never after ``NOW``)."""
        day = NOW.replace(hour=0, minute=0, second=0) - timedelta(days=rng.randrange(days_max))
        hour = rng.choice((7, 8, 8, 9, 9, 10, 11, 13, 14, 15, 16, 17, 19, 21))
        moment = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
        return moment if moment < NOW else moment - timedelta(days=1)

    drawn = SIGN_IN_COUNT - 47  # the hand-placed scenarios below
    for _ in range(drawn):
        k = rng.choice(staff + ["megan", "allan", "alex", "isaiah", "johanna", "raul"])
        place = rng.choices(["hq", "london", "home", "travel_us", "travel_fr"], [58, 9, 28, 3, 2])[0]
        place = home[k] if place == "home" else place
        roll = rng.random()
        if roll < 0.55:
            app, res, client = rng.choice(apps_web)
            dev = primary[k] if rng.random() < 0.8 else WIN_HOME if place.startswith("home") else primary[k]
        elif roll < 0.82:
            app, res, client = rng.choice(apps_rich)
            dev = primary[k] if rng.random() < 0.7 else mobile[k]
        elif roll < 0.90:
            app = (OUTLOOK_MOBILE, "Outlook Mobile")
            res, client, dev = (EXO, "Office 365 Exchange Online"), "mobileAppsAndDesktopClients", mobile[k]
        elif roll < 0.95:
            pa_keys = [pk for pk, _, _, assigned, _ in PA_APPS if assigned and k in _assigned_users(ctx, assigned)]
            if not pa_keys:
                app, res, client = rng.choice(apps_web)
                dev = primary[k]
            else:
                sp = ctx.pa_sps[rng.choice(pa_keys)]
                app = res = (sp["appId"], sp["displayName"])
                client, dev = "mobileAppsAndDesktopClients", primary[k]
                place = place if place != "london" else "home_gb"
        else:
            app = res = (hr["appId"], hr["displayName"])
            client, dev = "browser", primary[k]
        risk = rng.choices(["none", "low", "medium"], [95, 3, 2])[0]
        out.append(_Attempt(k, when(), app, res, client, None, dev, place, risk=risk))
    # admins in the Azure portal and CLI
    for i in range(20):
        k = ("megan", "isaiah", "allan", "delia", "pieter")[i % 5]
        via = ((AZURE_PORTAL, "Azure Portal"), "browser") if i % 3 else ((AZ_CLI, "Microsoft Azure CLI"),
                                                                          "mobileAppsAndDesktopClients")
        dev = primary[k] if i % 4 else WIN_HOME
        out.append(_Attempt(k, when(), via[0], (AZURE_MGMT, "Windows Azure Service Management API"), via[1], None,
                            dev, "hq" if i % 2 else home.get(k, "home_nl")))
    # guests on SharePoint and Teams
    for i, k in enumerate(("ravi", "sofia", "mark", "ravi", "sofia", "omar")):
        out.append(_Attempt(k, when(), (SPO, "Office 365 SharePoint Online"), (SPO, "Office 365 SharePoint Online"),
                            "browser", None, WIN_HOME, ("home_gb", "travel_fr", "travel_us")[i % 3],
                            mfa_ok=k != "omar"))
    # legacy protocols, all blocked by CA002
    for _ in range(4):
        out.append(_Attempt("grady", when(), (EXO, "Office 365 Exchange Online"), (EXO, "Office 365 Exchange Online"),
                            "exchangeActiveSync", None, ANDROID_BYOD, "home_nl"))
    for _ in range(5):
        out.append(_Attempt("svc_scanner", when(), (EXO, "Office 365 Exchange Online"),
                            (EXO, "Office 365 Exchange Online"), "other", "Authenticated SMTP",
                            _Device("", "windows", "", False, None), "hq"))
    for _ in range(2):
        out.append(_Attempt("diego", when(), (EXO, "Office 365 Exchange Online"), (EXO, "Office 365 Exchange Online"),
                            "other", "IMAP4", WIN_HOME, "home_nl"))
    # a password spray from blocked countries, one success stopped by CA005
    for i, k in enumerate(("irvin", "sara", "emily", "pradeep", "sanne", "irvin")):
        err = None if i == 5 else (50126, "Error validating credentials due to invalid username or password.")
        out.append(_Attempt(k, when(3), (OFFICE_HOME, "OfficeHome"), (OFFICE_HOME, "OfficeHome"), "browser", None,
                            WIN_HOME, "ru" if i % 2 else "kp", risk="high" if i == 5 else "medium",
                            pre_ca_error=err))
    # risky sign-ins: one remediated by MFA, one failing MFA from Tor
    out.append(_Attempt("adele", when(10), (OFFICE_HOME, "OfficeHome"), (OFFICE_HOME, "OfficeHome"), "browser",
                        None, WIN_HOME, "travel_us", risk="medium"))
    out.append(_Attempt("joni", when(2), (EXO, "Office 365 Exchange Online"), (EXO, "Office 365 Exchange Online"),
                        "browser", None, WIN_HOME, "tor", risk="high", mfa_ok=False))
    # a disabled account
    out.append(_Attempt("jordan", when(20), (OFFICE_HOME, "OfficeHome"), (OFFICE_HOME, "OfficeHome"), "browser",
                        None, WIN_HOME, "home_nl",
                        pre_ca_error=(50057, "User account is disabled. The account has been disabled by an "
                                             "administrator.")))
    # break-glass: bg-admin-01 once, about 30 days ago (validation of the account)
    out.append(_Attempt("bg01", NOW - timedelta(days=29, hours=20, minutes=14), (AZURE_PORTAL, "Azure Portal"),
                        (AZURE_MGMT, "Windows Azure Service Management API"), "browser", None, WIN_CORP, "hq"))
    return out


def _assigned_users(ctx: _Ctx, group_keys: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for k in ctx.users:
        if ctx.transitive_groups(k) & set(group_keys):
            out.add(k)
    return out


def _sign_in_record(i: int, a: _Attempt, usr: Json, where: tuple[str, str, str], status: str,
                    applied: list[Json], error: tuple[int, str] | None) -> Json:
    """The sign-in log record of attempt number ``i`` by user ``usr`` from ``where`` (ip, city, country)."""
    ip, city, country = where
    risk_state = "none" if a.risk in ("none", "low") else "remediated" if error is None else "atRisk"
    return wb.sign_in(
        uid("signin", str(i), a.user), wb.iso(a.when), usr, app_id=a.app[0], app_name=a.app[1],
        resource_id=a.resource[0], resource_name=a.resource[1], ip=ip, city=city, country=country,
        client_app=a.used or a.client, os=a.device.os, browser=a.device.browser,
        compliant=a.device.compliant, managed=a.device.trust is not None and a.device.compliant,
        trust_type=a.device.trust, ca_status=status, applied=applied, error_code=error[0] if error else 0,
        failure_reason=error[1] if error else None, risk=a.risk, risk_state=risk_state,
        interactive=a.client != "other",
        device_id=uid("device", a.user, a.device.os) if a.device.trust else "")


def _sign_ins(ctx: _Ctx) -> None:
    rng = random.Random(20261122)
    attempts = _attempts(ctx, rng)
    attempts.sort(key=lambda a: a.when, reverse=True)
    ev = _Outcomes(ctx)
    enabled = [p for p in ctx.policies if p["state"] == "enabled"]
    reporting = [p for p in ctx.policies if p["state"] == "enabledForReportingButNotEnforced"]
    last: dict[str, datetime] = {}
    last_ok: dict[str, datetime] = {}
    out: list[Json] = []
    for i, a in enumerate(attempts):
        city, country, prefix = PLACES[a.place]
        ip = prefix + str(10 + (i * 37 + len(a.user) * 11) % 17 if a.place == "hq"
                          else 16 + i % 16 if a.place == "london" else 2 + (i * 53) % 240)
        usr = ctx.users[a.user]
        where = (ip, city, country)
        applied: list[Json] = []
        status = "notApplied"
        error: tuple[int, str] | None = a.pre_ca_error
        if error is None:
            on, report = ev.applied(_sign_in_record(i, a, usr, where, status, [], None))
            hits = [(p, "success" if ev.satisfied(p, a) else "failure") for p in enabled if p["id"] in on]
            applied = [wb.applied_policy(p, r) for p, r in hits]
            for p in reporting:
                r = ("reportOnlySuccess" if ev.satisfied(p, a) else "reportOnlyFailure") if p["id"] in report \
                    else "reportOnlyNotApplied"
                applied.append(wb.applied_policy(p, r))
            failed = [p for p, r in hits if r == "failure"]
            if failed:
                status = "failure"
                controls = failed[0]["grantControls"]["builtInControls"]
                error = ((53003, "Access has been blocked by Conditional Access policies. The access policy does "
                                 "not allow token issuance.") if "block" in controls or not controls else
                         (53000, "Device is not in required device state: compliant. Conditional Access policy "
                                 "requires a compliant device, and the device is not compliant.")
                         if "compliantDevice" in controls and a.mfa_ok else
                         (500121, "Authentication failed during strong authentication request."))
            elif hits:
                status = "success"
        out.append(_sign_in_record(i, a, usr, where, status, applied, error))
        last[a.user] = max(last.get(a.user, a.when), a.when)
        if error is None:
            last_ok[a.user] = max(last_ok.get(a.user, a.when), a.when)
    ctx.files[wb.file_path("sign_ins")] = out

    for key, usr in ctx.users.items():
        seen = last.get(key)
        ok = last_ok.get(key)
        if seen is None and key in LAST_SEEN:
            seen = ok = NOW - timedelta(days=LAST_SEEN[key])
        act = usr["signInActivity"]
        if seen:
            act["lastSignInDateTime"] = wb.iso(seen)
            act["lastSignInRequestId"] = uid("req", key, "i")
            act["lastNonInteractiveSignInDateTime"] = wb.iso(seen + timedelta(minutes=47)) if seen + timedelta(
                minutes=47) < NOW and key not in ("bg01", "bg02") else None
            act["lastNonInteractiveSignInRequestId"] = (uid("req", key, "n")
                                                        if act["lastNonInteractiveSignInDateTime"] else None)
        if ok:
            act["lastSuccessfulSignInDateTime"] = wb.iso(ok)
            act["lastSuccessfulSignInRequestId"] = uid("req", key, "s")
    ctx.files[wb.file_path("users")] = list(ctx.users.values())
    ctx.files[wb.file_path("groups")] = list(ctx.groups.values())


# --- Global Secure Access traffic log -------------------------------------------------------------------

TRAFFIC_DAYS = 14
#: Private Access destinations the Quick Access / VPN users reach: key, FQDN (None: IP only), IP, port,
#: protocol, the app whose segment carries it (the most specific one: an app's own segment, else Quick
#: Access), who goes there (the members of every group named), weight. The Azure ones are what the
#: point-to-site VPN reaches today (snet-data admits the pool on 1433 and 3389, snet-jumphost has no deny
#: rule, snet-privateendpoints admits VirtualNetwork on 443, snet-api has no NSG); the hub's DNS server is in
#: the gateway's space but no rule admits the pool there; the file servers are on premises (not behind the
#: VPN gateway: the connectors in Amsterdam reach them).
TRAFFIC_DESTINATIONS = (
    ("sql", "sql-prd.corp.contoso.com", "10.3.1.10", 1433, "tcp", "sql", ("pa_data",), 24),
    ("sql_ip", None, "10.3.1.10", 1433, "tcp", "sql", ("pa_data",), 12),
    ("sql_rpt", None, "10.3.1.11", 1433, "tcp", "quick", ("pa_users",), 10),
    ("sql_rdp", None, "10.3.1.10", 3389, "tcp", "quick", ("pa_users", "server_admins"), 4),
    ("jump", "jump01.corp.contoso.com", "10.1.3.4", 3389, "tcp", "jump", ("server_admins",), 14),
    ("jump_ssh", None, "10.1.3.5", 22, "tcp", "quick", ("pa_users", "server_admins"), 8),
    ("fs01", "fs01.corp.contoso.com", "10.100.10.21", 445, "tcp", "files", ("pa_users", "all_staff"), 14),
    ("fs02", "fs02.corp.contoso.com", "10.100.10.22", 445, "tcp", "files", ("pa_users", "all_staff"), 6),
    ("api", "api.corp.contoso.com", "10.2.2.10", 443, "tcp", "quick", ("pa_users",), 6),
    ("blob", "stcontosodata.privatelink.blob.core.windows.net", "10.3.2.5", 443, "tcp", "quick",
     ("pa_users", "pa_data"), 5),
    ("dns", None, "10.0.3.4", 53, "udp", "quick", ("pa_users",), 6),
)
TRAFFIC_PRIVATE_COUNT = 260
TRAFFIC_M365_COUNT = 70
#: Microsoft 365 traffic through the same clients (forwarding profile m365): FQDN, IP, app id
TRAFFIC_M365 = (
    ("outlook.office365.com", "52.97.146.162", EXO),
    ("contoso.sharepoint.com", "13.107.136.10", SPO),
    ("contoso-my.sharepoint.com", "13.107.138.10", SPO),
    ("teams.microsoft.com", "52.113.194.132", TEAMS_SVC),
)


def _traffic_logs(ctx: _Ctx) -> None:
    """The Global Secure Access traffic log of the last ``TRAFFIC_DAYS`` days: Private Access traffic of the
    users assigned to the Private Access apps (the evidence of the rollout's inventory), a few entries blocked
    (not assigned), and Microsoft 365 traffic, which consumers of Private Access traffic ignore. The Internet
    Access profile is disabled, so there is no internet traffic."""
    rng = random.Random(20261123)  # its own generator: the sign-in log stays as it is
    assigned = {gk: {k for k in _assigned_users(ctx, (gk,)) if ctx.users[k]["accountEnabled"]}
                for gk in ("pa_users", "pa_data", "server_admins", "all_staff")}
    quick_users = sorted(assigned["pa_users"])
    policy = {ttype: uid("forwardingpolicy", ttype) for ttype in ("private", "microsoft365")}

    def when() -> datetime:
        day = NOW.replace(hour=0, minute=0, second=0) - timedelta(days=rng.randrange(TRAFFIC_DAYS))
        hour = rng.choice((7, 8, 8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 20))
        moment = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60),
                                 milliseconds=rng.randrange(1000))
        return moment if moment < NOW else moment - timedelta(days=1)

    def source_ip(k: str) -> str:
        place = ("hq" if rng.random() < 0.4 else
                 "home_gb" if ctx.users[k]["usageLocation"] == "GB" else "home_nl")
        prefix = PLACES[place][2]
        return prefix + str(10 + rng.randrange(7) if place == "hq" else 2 + rng.randrange(240))

    def entry(k: str, moment: datetime, ttype: str, fqdn: str | None, ip: str, port: int, proto: str,
              app_id: str, rule: str, action: str = "allow") -> Json:
        usr = ctx.users[k]
        sent = rng.randrange(800, 60_000) if action == "allow" else 0
        return {
            "tenantId": TENANT_ID, "createdDateTime": wb.iso(moment),
            "transactionId": uid("gsa-transaction", k, wb.iso(moment), ip, str(port)),
            "connectionId": f"{uid('gsa-connection', k, wb.iso(moment))[:18]}.{rng.randrange(1, 9)}",
            "sessionId": uid("gsa-session", k, moment.date().isoformat()),
            "trafficType": ttype, "deviceCategory": "client",
            "destinationIp": ip, "destinationPort": port, "destinationFQDN": fqdn,
            "sourceIp": source_ip(k), "sourcePort": rng.randrange(49152, 65535),
            "deviceOperatingSystem": "Windows 11 Enterprise", "deviceOperatingSystemVersion": "10.0.26100",
            "agentVersion": "2.10.54", "deviceId": uid("device", k, "Windows10"),
            "userId": usr["id"], "userPrincipalName": usr["userPrincipalName"],
            "transportProtocol": proto, "networkProtocol": "ipv4", "action": action,
            "policyRuleId": uid("forwardingrule", rule), "policyId": policy[ttype],
            "sentBytes": sent, "receivedBytes": sent * rng.randrange(2, 40) if sent else 0,
            "applicationSnapshot": {"appId": app_id},
        }

    out: list[Json] = []
    weights = [d[-1] for d in TRAFFIC_DESTINATIONS]
    for _ in range(TRAFFIC_PRIVATE_COUNT):
        _, fqdn, ip, port, proto, app, groups, _w = rng.choices(TRAFFIC_DESTINATIONS, weights)[0]
        who = sorted(set.intersection(*(assigned[gk] for gk in groups)))
        k = rng.choice(who)
        out.append(entry(k, when(), "private", fqdn, ip, port, proto, ctx.pa_sps[app]["appId"], app))
    # not assigned to the SQL or jump host apps, whose segments carry these: Private Access blocks them
    for k, fqdn, ip, port, app in (("tom", "sql-prd.corp.contoso.com", "10.3.1.10", 1433, "sql"),
                                    ("mila", "jump01.corp.contoso.com", "10.1.3.4", 3389, "jump"),
                                    ("raul", None, "10.3.1.10", 1433, "sql")):
        out.append(entry(k, when(), "private", fqdn, ip, port, "tcp", ctx.pa_sps[app]["appId"], app,
                         action="block"))
    for _ in range(TRAFFIC_M365_COUNT):
        fqdn, ip, app_id = rng.choice(TRAFFIC_M365)
        out.append(entry(rng.choice(quick_users), when(), "microsoft365", fqdn, ip, 443, "tcp", app_id, "m365"))
    out.sort(key=lambda e: (e["createdDateTime"], e["transactionId"]), reverse=True)
    ctx.files[wb.file_path("traffic_logs")] = out


# --- Azure --------------------------------------------------------------------------------------------

def _azure(ctx: _Ctx) -> None:
    f = ctx.files
    C, L = SUB_CONN, SUB_LZ
    hub_rg, legacy_rg, mon_rg = "rg-connectivity-hub-weu", "rg-network-legacy-weu", "rg-monitoring-weu"
    sap_rg, web_rg, data_rg, nw_rg = "rg-spoke-sap-weu", "rg-spoke-web-weu", "rg-spoke-data-weu", "NetworkWatcherRG"
    tags = {"environment": "prod", "owner": "platform-team@contoso.com", "costCenter": "IT-4410"}
    N = "Microsoft.Network"

    def rid(sub: str, rg: str, rtype: str, name: str, *rest: str) -> str:
        return wb.arm_id(sub, rg, f"{N}/{rtype}", name, *rest)

    f[wb.file_path("resource_groups", sub=C)] = [wb.resource_group(C, n, REGION, tags) for n in
                                                 (hub_rg, legacy_rg, mon_rg, nw_rg)]
    f[wb.file_path("resource_groups", sub=L)] = [wb.resource_group(L, n, REGION, tags) for n in
                                                 (sap_rg, web_rg, data_rg, nw_rg)]
    law = (f"/subscriptions/{C}/resourceGroups/{mon_rg}/providers/Microsoft.OperationalInsights/workspaces/"
           "law-contoso-sec-weu")
    law_guid = uid("workspace", "law-contoso-sec-weu")
    storage = (f"/subscriptions/{C}/resourceGroups/{mon_rg}/providers/Microsoft.Storage/storageAccounts/"
               "stcontosoflowlogsweu")

    hub = rid(C, hub_rg, "virtualNetworks", "vnet-hub-weu")
    legacy = rid(C, legacy_rg, "virtualNetworks", "vnet-legacy-dmz-weu")
    sap = rid(L, sap_rg, "virtualNetworks", "vnet-spoke-sap-weu")
    web = rid(L, web_rg, "virtualNetworks", "vnet-spoke-web-weu")
    data = rid(L, data_rg, "virtualNetworks", "vnet-spoke-data-weu")
    ddos = rid(C, hub_rg, "ddosProtectionPlans", "ddos-contoso-weu")

    # NSGs
    def nsg_id(sub: str, rg: str, name: str) -> str:
        return rid(sub, rg, "networkSecurityGroups", name)
    n_shared = nsg_id(C, hub_rg, "nsg-snet-shared-services-weu")
    n_dmz = nsg_id(C, legacy_rg, "nsg-snet-dmz-legacy-weu")
    n_sap_app = nsg_id(L, sap_rg, "nsg-snet-sap-app-weu")
    n_sap_db = nsg_id(L, sap_rg, "nsg-snet-sap-db-weu")
    n_jump = nsg_id(L, sap_rg, "nsg-snet-jumphost-weu")
    n_agw = nsg_id(L, web_rg, "nsg-snet-appgw-weu")
    n_web = nsg_id(L, web_rg, "nsg-snet-web-weu")
    n_data = nsg_id(L, data_rg, "nsg-snet-data-weu")
    n_pe = nsg_id(L, data_rg, "nsg-snet-privateendpoints-weu")
    R = wb.nsg_rule
    deny_in = ("DenyAllInbound", 4096, "Inbound", "Deny")
    onprem = ["10.100.0.0/16", "10.110.0.0/16"]
    adds_ports = ["53", "88", "135", "389", "445", "464", "636", "3268-3269", "49152-65535"]
    nsg_rules = {
        n_shared: [R(n_shared, "Allow-DNS-From-Azure-And-OnPrem", 100, "Inbound", "Allow", protocol="*",
                     src=["10.0.0.0/8"], dst="10.0.3.0/24", ports="53"),
                   R(n_shared, "Allow-ADDS-From-Spokes", 110, "Inbound", "Allow", protocol="*",
                     src=["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"] + onprem, dst=["10.0.3.4", "10.0.3.5"],
                     ports=adds_ports),
                   R(n_shared, "Allow-RDP-From-Bastion", 200, "Inbound", "Allow", src="10.0.2.0/26", dst="*",
                     ports="3389"),
                   R(n_shared, *deny_in, protocol="*")],
        n_dmz: [R(n_dmz, "Allow-FTP-Partners-Legacy", 100, "Inbound", "Allow", src="Internet", dst="10.250.0.64/26",
                  ports=["20-21", "50000-50100"], description="Legacy partner FTP drop. Ticket CHG-2019-0412."),
                R(n_dmz, *deny_in, protocol="*")],
        n_sap_app: [R(n_sap_app, "Deny-Mgmt-From-Internet", 100, "Inbound", "Deny", protocol="*", src="Internet",
                      dst="*", ports=["22", "3389", "5985-5986"]),
                    R(n_sap_app, "Allow-SAPGUI-From-OnPrem-And-Connectors", 200, "Inbound", "Allow",
                      src=onprem + ["10.0.3.0/24"], dst="10.1.1.0/24", ports="3200-3299"),
                    R(n_sap_app, "Allow-Mgmt-From-Bastion-And-OnPrem", 300, "Inbound", "Allow",
                      src=["10.0.2.0/26"] + onprem, dst="10.1.1.0/24", ports=["22", "3389", "5985-5986"]),
                    R(n_sap_app, *deny_in, protocol="*")],
        n_sap_db: [R(n_sap_db, "Allow-HANA-From-SAP-App", 100, "Inbound", "Allow", src="10.1.1.0/24",
                     dst="10.1.2.0/24", ports=["30013", "30015", "30040-30044"]),
                   R(n_sap_db, *deny_in, protocol="*")],
        n_jump: [R(n_jump, "Allow-RDP-Internet", 100, "Inbound", "Allow", src="Internet", dst="10.1.3.4",
                   ports="3389", description="Temporary: vendor access during SAP upgrade (2024)."),
                 R(n_jump, "Allow-RDP-OnPrem", 110, "Inbound", "Allow", src=onprem, dst="10.1.3.0/24", ports="3389")],
        n_agw: [R(n_agw, "Allow-GatewayManager", 100, "Inbound", "Allow", src="GatewayManager", dst="*",
                  ports="65200-65535"),
                R(n_agw, "Allow-HTTPS-Internet", 110, "Inbound", "Allow", src="Internet", dst="10.2.0.0/24",
                  ports="443"),
                R(n_agw, "Allow-AzureLoadBalancer", 120, "Inbound", "Allow", protocol="*", src="AzureLoadBalancer",
                  dst="*", ports="*")],
        n_web: [R(n_web, "Allow-HTTP-Internet", 100, "Inbound", "Allow", src="Internet", dst="10.2.1.0/24",
                  ports="80", description="Health probe of the old load balancer"),
                R(n_web, "Allow-HTTPS-From-AppGw", 110, "Inbound", "Allow", src="10.2.0.0/24", dst="10.2.1.0/24",
                  ports="443"),
                R(n_web, *deny_in, protocol="*")],
        n_data: [R(n_data, "Allow-SQL-From-Web-And-Api", 100, "Inbound", "Allow", src=["10.2.1.0/24", "10.2.2.0/24"],
                   dst="10.3.1.10", ports="1433"),
                 R(n_data, "Allow-SQL-From-PA-Connectors", 110, "Inbound", "Allow",
                   src=["10.0.3.0/24"], dst="10.3.1.10", ports="1433"),
                 R(n_data, "Allow-VPN-P2S-Users", 120, "Inbound", "Allow", src=VPN_POOL, dst="10.3.1.0/24",
                   ports=["1433", "3389"], description="Legacy P2S VPN users. Remove after ZTNA rollout."),
                 R(n_data, "Deny-SMB-From-Internet", 200, "Inbound", "Deny", src="Internet", dst="*", ports="445"),
                 R(n_data, *deny_in, protocol="*")],
        n_pe: [R(n_pe, "Allow-HTTPS-From-VNet", 100, "Inbound", "Allow", src="VirtualNetwork", dst="10.3.2.0/24",
                 ports="443"),
               R(n_pe, *deny_in, protocol="*")],
    }

    # route tables
    def rt_id(sub: str, rg: str, name: str) -> str:
        return rid(sub, rg, "routeTables", name)
    rt_gw = rt_id(C, hub_rg, "rt-gatewaysubnet-weu")
    rt_shared = rt_id(C, hub_rg, "rt-snet-shared-services-weu")
    rt_sap = rt_id(L, sap_rg, "rt-spoke-sap-weu")
    rt_web = rt_id(L, web_rg, "rt-spoke-web-weu")
    rt_data = rt_id(L, data_rg, "rt-spoke-data-weu")

    # subnets
    S = wb.subnet
    subnets = {
        hub: [S(hub, "GatewaySubnet", "10.0.0.0/27", rt_id=rt_gw), S(hub, "AzureFirewallSubnet", "10.0.1.0/26"),
              S(hub, "AzureBastionSubnet", "10.0.2.0/26"),
              S(hub, "snet-shared-services", "10.0.3.0/24", nsg_id=n_shared, rt_id=rt_shared)],
        legacy: [S(legacy, "AzureFirewallSubnet", "10.250.0.0/26"),
                 S(legacy, "snet-dmz-legacy", "10.250.0.64/26", nsg_id=n_dmz)],
        sap: [S(sap, "snet-sap-app", "10.1.1.0/24", nsg_id=n_sap_app, rt_id=rt_sap),
              S(sap, "snet-sap-db", "10.1.2.0/24", nsg_id=n_sap_db, rt_id=rt_sap),
              S(sap, "snet-jumphost", "10.1.3.0/24", nsg_id=n_jump, rt_id=rt_sap)],
        web: [S(web, "snet-appgw", "10.2.0.0/24", nsg_id=n_agw),
              S(web, "snet-web", "10.2.1.0/24", nsg_id=n_web, rt_id=rt_web),
              S(web, "snet-api", "10.2.2.0/24", rt_id=rt_web)],
        data: [S(data, "snet-data", "10.3.1.0/24", nsg_id=n_data, rt_id=rt_data, service_endpoints=["Microsoft.Sql"]),
               S(data, "snet-privateendpoints", "10.3.2.0/24", nsg_id=n_pe, rt_id=rt_data)],
    }
    attached: dict[str, list[str]] = {}
    rt_attached: dict[str, list[str]] = {}
    for items in subnets.values():
        for s in items:
            if "networkSecurityGroup" in s["properties"]:
                attached.setdefault(s["properties"]["networkSecurityGroup"]["id"], []).append(s["id"])
            if "routeTable" in s["properties"]:
                rt_attached.setdefault(s["properties"]["routeTable"]["id"], []).append(s["id"])

    nsgs_by_sub: dict[str, list[Json]] = {C: [], L: []}
    for nid, rules in nsg_rules.items():
        nsgs_by_sub[nid.split("/")[2]].append(wb.nsg(nid, REGION, rules, attached.get(nid, ()), tags))
    for sub, items in nsgs_by_sub.items():
        f[wb.file_path("nsgs", sub=sub)] = items

    RT = wb.route
    spokes = ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]
    tables = {
        rt_gw: [RT(rt_gw, f"to-spoke-{n}", p, "VirtualAppliance", FW_PRIVATE_IP)
                for n, p in zip(("sap", "web", "data"), spokes)],
        rt_shared: [RT(rt_shared, "default-to-firewall", "0.0.0.0/0", "VirtualAppliance", FW_PRIVATE_IP)],
        rt_sap: [RT(rt_sap, "default-to-firewall", "0.0.0.0/0", "VirtualAppliance", FW_PRIVATE_IP),
                 RT(rt_sap, "onprem-to-firewall", "10.100.0.0/16", "VirtualAppliance", FW_PRIVATE_IP)],
        rt_web: [RT(rt_web, "default-to-internet", "0.0.0.0/0", "Internet"),
                 RT(rt_web, "onprem-to-firewall", "10.100.0.0/16", "VirtualAppliance", FW_PRIVATE_IP)],
        rt_data: [RT(rt_data, "default-to-firewall", "0.0.0.0/0", "VirtualAppliance", FW_PRIVATE_IP)],
    }
    rts_by_sub: dict[str, list[Json]] = {C: [], L: []}
    for tid, routes in tables.items():
        rts_by_sub[tid.split("/")[2]].append(wb.route_table(tid, REGION, routes, rt_attached.get(tid, ()),
                                                            disable_bgp=tid != rt_gw, tags=tags))
    for sub, items in rts_by_sub.items():
        f[wb.file_path("route_tables", sub=sub)] = items

    # virtual networks and peerings
    P = wb.peering
    hub_px, sap_px, web_px, data_px = ["10.0.0.0/16"], ["10.1.0.0/16"], ["10.2.0.0/16"], ["10.3.0.0/16"]
    dns = ["10.0.3.4", "10.0.3.5"]
    vnets_c = [
        wb.vnet(hub, REGION, hub_px, subnets[hub], [
            P(hub, "peer-hub-to-spoke-sap", sap, sap_px, gateway_transit=True),
            P(hub, "peer-hub-to-spoke-web", web, web_px, gateway_transit=True),
            P(hub, "peer-hub-to-spoke-data", data, data_px, gateway_transit=True)], ddos_plan=ddos, dns_servers=dns,
            tags=tags),
        wb.vnet(legacy, REGION, ["10.250.0.0/24"], subnets[legacy], tags=tags),
    ]
    vnets_l = [
        wb.vnet(sap, REGION, sap_px, subnets[sap], [P(sap, "peer-spoke-sap-to-hub", hub, hub_px,
                                                      use_remote_gateways=True)], dns_servers=dns, tags=tags),
        wb.vnet(web, REGION, web_px, subnets[web], [
            P(web, "peer-spoke-web-to-hub", hub, hub_px, use_remote_gateways=True),
            P(web, "peer-spoke-web-to-spoke-data", data, data_px)], dns_servers=dns, tags=tags),
        wb.vnet(data, REGION, data_px, subnets[data], [
            P(data, "peer-spoke-data-to-hub", hub, hub_px, use_remote_gateways=True),
            P(data, "peer-spoke-data-to-spoke-web", web, web_px)], dns_servers=dns, tags=tags),
    ]
    f[wb.file_path("virtual_networks", sub=C)] = vnets_c
    f[wb.file_path("virtual_networks", sub=L)] = vnets_l

    f[wb.file_path("ddos_plans", sub=C)] = [wb.arm_resource(ddos, "Microsoft.Network/ddosProtectionPlans", REGION, {
        "resourceGuid": uid("guid", ddos.lower()), "virtualNetworks": [wb.ref(hub)]}, tags=tags)]

    # VPN gateway (point-to-site pool still in use)
    gw = rid(C, hub_rg, "virtualNetworkGateways", "vgw-hub-weu")
    gw_pip = rid(C, hub_rg, "publicIPAddresses", "pip-vgw-hub-weu")
    f[wb.file_path("vnet_gateways", parent=f"/subscriptions/{C}/resourceGroups/{hub_rg}")] = [
        wb.arm_resource(gw, "Microsoft.Network/virtualNetworkGateways", REGION, {
            "resourceGuid": uid("guid", gw.lower()),
            "ipConfigurations": [wb.child(f"{gw}/ipConfigurations/default", {
                "privateIPAllocationMethod": "Dynamic", "subnet": wb.ref(f"{hub}/subnets/GatewaySubnet"),
                "publicIPAddress": wb.ref(gw_pip)})],
            "gatewayType": "Vpn", "vpnType": "RouteBased", "vpnGatewayGeneration": "Generation2",
            "enableBgp": False, "activeActive": False, "sku": {"name": "VpnGw2AZ", "tier": "VpnGw2AZ", "capacity": 2},
            "vpnClientConfiguration": {
                "vpnClientAddressPool": {"addressPrefixes": [VPN_POOL]},
                "vpnClientProtocols": ["OpenVPN"], "vpnAuthenticationTypes": ["AAD"],
                "vpnClientRootCertificates": [], "vpnClientRevokedCertificates": [],
                "aadTenant": f"https://login.microsoftonline.com/{TENANT_ID}/",
                "aadAudience": "c632b3df-fb67-4d84-bdcf-b95ad541b5c8",
                "aadIssuer": f"https://sts.windows.net/{TENANT_ID}/"},
        }, tags=tags)]

    # IP groups and firewall policies
    parent = rid(C, hub_rg, "firewallPolicies", "afwp-contoso-parent-premium")
    childp = rid(C, hub_rg, "firewallPolicies", "afwp-contoso-hub-weu")
    devp = rid(C, hub_rg, "firewallPolicies", "afwp-contoso-dev-standard")
    ipg = {k: rid(C, hub_rg, "ipGroups", n) for k, n in (
        ("onprem", "ipg-onprem-datacenters"), ("spokes", "ipg-azure-spokes"), ("blocklist", "ipg-threat-blocklist"),
        ("partners", "ipg-partner-sftp"))}
    f[wb.file_path("ip_groups", sub=C)] = [
        wb.ip_group(ipg["onprem"], REGION, onprem, policies=[childp], tags=tags),
        wb.ip_group(ipg["spokes"], REGION, spokes, policies=[parent, childp], tags=tags),
        wb.ip_group(ipg["blocklist"], REGION, ["45.155.205.0/24", "185.220.101.0/24", "194.26.29.0/24"],
                    policies=[childp], tags=tags),
        wb.ip_group(ipg["partners"], REGION, ["192.0.2.64/28", "198.18.10.0/24"], policies=[childp], tags=tags)]
    hub_fw = rid(C, hub_rg, "azureFirewalls", "afw-hub-weu")
    legacy_fw = rid(C, legacy_rg, "azureFirewalls", "afw-legacy-dmz-weu")
    kv = "https://kv-contoso-fw-weu.vault.azure.net/secrets/contoso-tls-inspection-ica/0d3f7c2b8e1a4f5c9b6d2e7a1c8f3b40"
    f[wb.file_path("firewall_policies", sub=C)] = [
        wb.firewall_policy(parent, REGION, tier="Premium", threat_intel="Alert", idps="Deny",
                           tls_ca=("contoso-tls-inspection-ica", kv), child_policies=[childp],
                           groups=["rcg-platform-baseline"], tags=tags),
        wb.firewall_policy(childp, REGION, tier="Premium", threat_intel="Deny", idps="Deny",
                           tls_ca=("contoso-tls-inspection-ica", kv), base_policy=parent, firewalls=[hub_fw],
                           groups=["rcg-dnat", "rcg-network", "rcg-application", "rcg-zz-temporary"], tags=tags),
        wb.firewall_policy(devp, REGION, tier="Standard", threat_intel="Off", groups=["rcg-dev"],
                           tags={**tags, "environment": "dev"}),
    ]
    N_, A_ = wb.net_rule, wb.app_rule
    all_az = ["10.0.0.0/8"]
    f[wb.file_path("rule_collection_groups", parent=parent)] = [
        wb.rule_collection_group(parent, "rcg-platform-baseline", 100, [
            wb.filter_collection("net-platform-deny", 100, "Deny", [
                N_("Deny-SMB-To-Internet", all_az, ["*"], ["445"], description="No SMB leaves Azure"),
                N_("Deny-Blocklist", ["*"], [], ["*"], protocols=["Any"], dst_groups=[ipg["blocklist"]])]),
            wb.filter_collection("net-platform-allow", 200, "Allow", [
                N_("Allow-DNS-To-DCs", all_az, ["10.0.3.4", "10.0.3.5"], ["53"], protocols=["UDP", "TCP"]),
                N_("Allow-NTP", all_az, [], ["123"], protocols=["UDP"], dst_fqdns=["time.windows.com"]),
                N_("Allow-KMS", all_az, [], ["1688"], dst_fqdns=["azkms.core.windows.net", "kms.core.windows.net"]),
                N_("Allow-ADDS-To-DCs", [], ["10.0.3.4", "10.0.3.5"], adds_ports, protocols=["TCP", "UDP"],
                   src_groups=[ipg["spokes"]]),
                N_("Allow-AzureMonitor", all_az, ["AzureMonitor"], ["443"])]),
            wb.filter_collection("app-platform-allow", 300, "Allow", [
                A_("Allow-WindowsUpdate", all_az, [], protocols=(("Http", 80), ("Https", 443)),
                   fqdn_tags=["WindowsUpdate"]),
                A_("Allow-AzureBackup", all_az, [], fqdn_tags=["AzureBackup"]),
                A_("Allow-Defender", all_az, ["*.wdcp.microsoft.com", "*.wd.microsoft.com",
                                              "winatp-gw-weu.microsoft.com"]),
                A_("Allow-Ubuntu-Updates", all_az, ["azure.archive.ubuntu.com", "security.ubuntu.com"],
                   protocols=(("Http", 80), ("Https", 443)), terminate_tls=True)]),
        ])]
    saas = (
        ("M365", ["*.office.com", "*.office365.com", "*.sharepoint.com", "*.microsoftonline.com"]),
        ("GitHub", ["github.com", "*.github.com", "*.githubusercontent.com"]),
        ("SAP-Support", ["*.sap.com", "launchpad.support.sap.com"]),
        ("PyPI", ["pypi.org", "files.pythonhosted.org"]),
        ("Docker", ["*.docker.io", "*.docker.com", "mcr.microsoft.com", "*.data.mcr.microsoft.com"]),
        ("Npm", ["registry.npmjs.org"]),
        ("Salesforce", ["*.salesforce.com", "*.force.com"]),
        ("Payments", ["api.adyen.com", "checkout-test.adyen.com"]),
        ("Monitoring", ["*.datadoghq.eu", "*.pagerduty.com"]),
        ("Certificates", ["*.digicert.com", "ocsp.digicert.com", "crl3.digicert.com"]),
    )
    spokes_named = (("SAP", "10.1.0.0/16"), ("Web", "10.2.0.0/16"), ("Data", "10.3.0.0/16"))
    app_rules = [A_(f"Allow-{name}-{sp}", [px], fqdns, terminate_tls=name not in ("Payments", "M365", "Certificates"))
                 for sp, px in spokes_named for name, fqdns in saas if not (sp == "SAP" and name == "Npm")]
    f[wb.file_path("rule_collection_groups", parent=childp)] = [
        wb.rule_collection_group(childp, "rcg-dnat", 100, [
            wb.nat_collection("dnat-inbound", 100, [
                wb.nat_rule("DNAT-SFTP-Partners", ["192.0.2.64/28"], "20.101.12.34", "22", "10.3.1.20", "22"),
                wb.nat_rule("DNAT-HTTPS-Legacy-Web", ["*"], "20.101.12.34", "443", "10.2.1.10", "443"),
                wb.nat_rule("DNAT-RDP-JumpHost", ["*"], "20.101.12.34", "50001", "10.1.3.4", "3389",
                            description="Vendor access; expires 2024-12-31"),
                wb.nat_rule("DNAT-SMTP-Relay", ["203.0.113.0/27"], "20.101.12.34", "25", "10.0.3.25", "25")])]),
        wb.rule_collection_group(childp, "rcg-network", 200, [
            wb.filter_collection("net-deny-blocklist", 100, "Deny", [
                N_("Deny-Threat-Blocklist-In", [], ["*"], ["*"], protocols=["Any"], src_groups=[ipg["blocklist"]]),
                N_("Deny-Telnet-Anywhere", ["*"], ["*"], ["23"])]),
            wb.filter_collection("net-spoke-to-spoke", 200, "Allow", [
                N_("Allow-WebTier-To-SQL", ["10.2.1.0/24"], ["10.3.1.10"], ["1433"]),
                N_("Allow-WebApi-To-SQL", ["10.2.2.0/24"], ["10.3.1.10"], ["1433"]),
                N_("Allow-SAP-To-DataPlatform", ["10.1.1.0/24"], ["10.3.1.0/24"], ["1433"]),
                N_("Allow-Web01-To-SQL", ["10.2.1.10"], ["10.3.1.10"], ["1433"],
                   description="Added for INC-20431"),
                N_("Allow-WebApi-To-SQL-Copy", ["10.2.2.0/24"], ["10.3.1.10"], ["1433"]),
                N_("Allow-SAP-To-Web-API", ["10.1.1.0/24"], ["10.2.2.0/24"], ["443"]),
                N_("Allow-Data-To-SAP-RFC", ["10.3.1.0/24"], ["10.1.1.20", "10.1.1.21"], ["3300-3399"])]),
            wb.filter_collection("net-onprem", 300, "Allow", [
                N_("Allow-OnPrem-To-SAP", [], ["10.1.1.0/24"], ["3200-3299", "3300-3399", "443"],
                   src_groups=[ipg["onprem"]]),
                N_("Allow-OnPrem-To-Web", [], ["10.2.1.0/24", "10.2.2.0/24"], ["443"], src_groups=[ipg["onprem"]]),
                N_("Allow-OnPrem-To-SQL", [], ["10.3.1.10"], ["1433"], src_groups=[ipg["onprem"]]),
                N_("Allow-OnPrem-Mgmt-To-Spokes", [], spokes, ["22", "3389", "5985-5986"], src_groups=[ipg["onprem"]]),
                N_("Allow-VPN-P2S-To-Spokes", [VPN_POOL], spokes, ["22", "445", "1433", "3389"],
                   description="Legacy point-to-site VPN. Remove after ZTNA rollout."),
                N_("Allow-Spokes-To-OnPrem-FileServers", spokes, ["10.100.10.0/24"], ["445"]),
                N_("Allow-Spokes-To-OnPrem-LDAP", spokes, ["10.100.1.10", "10.100.1.11"], ["389", "636"])]),
            wb.filter_collection("net-internet-egress", 400, "Allow", [
                N_("Allow-HTTPS-Any-Internet", ["10.2.2.0/24"], ["*"], ["443"],
                   description="Broad egress for the API tier, added during migration"),
                N_("Allow-HTTP-Any", ["10.2.1.0/24"], ["*"], ["80"]),
                N_("Allow-SMTP-Relay-To-EXO", ["10.0.3.25"], [], ["25", "587"],
                   dst_fqdns=["contoso-com.mail.protection.outlook.com"]),
                N_("Allow-SSH-To-GitHub", ["10.1.0.0/16"], [], ["22"], dst_fqdns=["github.com"])]),
            wb.filter_collection("net-deny-cleartext", 600, "Deny", [
                N_("Deny-HTTP-To-Internet", ["10.2.1.0/24"], ["*"], ["80"], description="Block cleartext web egress"),
                N_("Deny-FTP-To-Internet", all_az, ["*"], ["20-21"])]),
        ]),
        wb.rule_collection_group(childp, "rcg-application", 300, [
            wb.filter_collection("app-deny-categories", 100, "Deny", [
                A_("Deny-Gambling-Adult", all_az, [], protocols=(("Http", 80), ("Https", 443)),
                   web_categories=["Gambling", "Nudity", "PornographyAndSexuallyExplicit"], terminate_tls=True),
                A_("Deny-Anonymizers", all_az, [], web_categories=["AnonymizerProxy"], terminate_tls=True)]),
            wb.filter_collection("app-saas-allow", 200, "Allow", app_rules[:15]),
            wb.filter_collection("app-saas-allow-2", 210, "Allow", app_rules[15:]),
            wb.filter_collection("app-dev-tools", 300, "Allow", [
                A_("Allow-DevTools", all_az, ["github.com", "*.github.com", "*.visualstudio.com", "dev.azure.com"],
                   terminate_tls=True),
                A_("Allow-GitHub-SAP-Dev", ["10.1.0.0/16"], ["github.com"], terminate_tls=True),
                A_("Allow-Terraform-Registry", all_az, ["registry.terraform.io", "releases.hashicorp.com"],
                   terminate_tls=True)]),
        ]),
        wb.rule_collection_group(childp, "rcg-zz-temporary", 65000, [
            wb.filter_collection("net-temp-troubleshooting", 100, "Allow", [
                N_("TEMP-AllowAll-Troubleshooting", ["*"], ["*"], ["*"], protocols=["Any"],
                   description="Temporary for INC-19877 - remove!")])]),
    ]
    f[wb.file_path("rule_collection_groups", parent=devp)] = [
        wb.rule_collection_group(devp, "rcg-dev", 100, [
            wb.filter_collection("net-dev-allow", 100, "Allow", [
                N_("Allow-Dev-HTTPS", ["10.9.0.0/16"], ["*"], ["443"])])])]

    # firewalls
    classic = {
        "networkRuleCollections": [wb.classic_collection(legacy_fw, "network", "legacy-allow-outbound", 100, "Allow", [
            {"name": "dmz-web-out", "description": "DMZ servers to Internet", "protocols": ["TCP"],
             "sourceAddresses": ["10.250.0.64/26"], "destinationAddresses": ["*"], "destinationPorts": ["80", "443"],
             "sourceIpGroups": [], "destinationIpGroups": [], "destinationFqdns": []},
            {"name": "any-any-legacy", "description": "Migrated from the Checkpoint ruleset", "protocols": ["Any"],
             "sourceAddresses": ["*"], "destinationAddresses": ["*"], "destinationPorts": ["*"],
             "sourceIpGroups": [], "destinationIpGroups": [], "destinationFqdns": []}])],
        "natRuleCollections": [wb.classic_collection(legacy_fw, "nat", "legacy-dnat-ftp", 100, "Dnat", [
            {"name": "dnat-ftp", "description": "Partner FTP", "protocols": ["TCP"], "sourceAddresses": ["*"],
             "destinationAddresses": ["20.101.40.7"], "destinationPorts": ["21"], "translatedAddress": "10.250.0.70",
             "translatedPort": "21", "sourceIpGroups": []}])],
        "applicationRuleCollections": [],
    }
    f[wb.file_path("firewalls", sub=C)] = [
        wb.azure_firewall(hub_fw, REGION, tier="Premium", subnet_id=f"{hub}/subnets/AzureFirewallSubnet",
                          public_ip_id=rid(C, hub_rg, "publicIPAddresses", "pip-afw-hub-weu"),
                          private_ip=FW_PRIVATE_IP, policy_id=childp, threat_intel="Deny", zones=["1", "2", "3"],
                          tags=tags),
        wb.azure_firewall(legacy_fw, REGION, tier="Standard", subnet_id=f"{legacy}/subnets/AzureFirewallSubnet",
                          public_ip_id=rid(C, legacy_rg, "publicIPAddresses", "pip-afw-legacy-dmz-weu"),
                          private_ip="10.250.0.4", classic=classic, tags=tags),
    ]
    f[wb.file_path("firewall_diagnostics", parent=hub_fw)] = [
        wb.diagnostic_setting(hub_fw, "diag-afw-hub-to-law", law,
                              categories=["AZFWNetworkRule", "AZFWApplicationRule", "AZFWNatRule",
                                          "AZFWThreatIntel", "AZFWIdpsSignature", "AZFWDnsQuery"])]
    f[wb.file_path("firewall_diagnostics", parent=legacy_fw)] = []

    # application gateways and WAF policies
    waf_good = rid(L, web_rg, "ApplicationGatewayWebApplicationFirewallPolicies", "wafp-contoso-web-weu")
    waf_old = rid(L, web_rg, "ApplicationGatewayWebApplicationFirewallPolicies", "wafp-contoso-legacy-weu")
    agw_good = rid(L, web_rg, "applicationGateways", "agw-contoso-web-weu")
    agw_old = rid(L, web_rg, "applicationGateways", "agw-contoso-legacy-weu")

    def waf(wid: str, mode: str, sets: list[tuple[str, str]], gateways: list[str]) -> Json:
        return wb.arm_resource(wid, "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", REGION, {
            "resourceState": "Enabled", "customRules": [],
            "policySettings": {"state": "Enabled", "mode": mode, "requestBodyCheck": True,
                               "maxRequestBodySizeInKb": 128, "fileUploadLimitInMb": 100,
                               "requestBodyInspectLimitInKB": 128, "requestBodyEnforcement": True,
                               "fileUploadEnforcement": True},
            "managedRules": {"managedRuleSets": [{"ruleSetType": t_, "ruleSetVersion": v, "ruleGroupOverrides": []}
                                                 for t_, v in sets], "exclusions": []},
            "applicationGateways": [wb.ref(g_) for g_ in gateways]}, tags=tags)
    f[wb.file_path("waf_policies", sub=L)] = [
        waf(waf_good, "Prevention", [("Microsoft_DefaultRuleSet", "2.1"), ("Microsoft_BotManagerRuleSet", "1.0")],
            [agw_good]),
        waf(waf_old, "Detection", [("OWASP", "3.0")], [agw_old])]

    def agw(aid: str, pip: str, ssl: Json, waf_id: str, backend: str, host: str, http_listener: bool) -> Json:
        c = wb.child
        fe, port443, port80 = (f"{aid}/frontendIPConfigurations/appGwPublicFrontendIp",
                               f"{aid}/frontendPorts/port_443", f"{aid}/frontendPorts/port_80")
        pool, settings, cert = (f"{aid}/backendAddressPools/pool-web", f"{aid}/backendHttpSettingsCollection/https-443",
                                f"{aid}/sslCertificates/wildcard-contoso-com")
        listeners = [c(f"{aid}/httpListeners/listener-https", {
            "frontendIPConfiguration": wb.ref(fe), "frontendPort": wb.ref(port443), "protocol": "Https",
            "sslCertificate": wb.ref(cert), "hostName": host, "requireServerNameIndication": True})]
        rules = [c(f"{aid}/requestRoutingRules/rule-https", {
            "ruleType": "Basic", "priority": 100, "httpListener": wb.ref(listeners[0]["id"]),
            "backendAddressPool": wb.ref(pool), "backendHttpSettings": wb.ref(settings)})]
        if http_listener:
            listeners.append(c(f"{aid}/httpListeners/listener-http", {
                "frontendIPConfiguration": wb.ref(fe), "frontendPort": wb.ref(port80), "protocol": "Http",
                "hostName": host, "requireServerNameIndication": False}))
            rules.append(c(f"{aid}/requestRoutingRules/rule-http", {
                "ruleType": "Basic", "priority": 200, "httpListener": wb.ref(listeners[1]["id"]),
                "backendAddressPool": wb.ref(pool), "backendHttpSettings": wb.ref(settings)}))
        return wb.arm_resource(aid, "Microsoft.Network/applicationGateways", REGION, {
            "resourceGuid": uid("guid", aid.lower()),
            "sku": {"name": "WAF_v2", "tier": "WAF_v2"},
            "autoscaleConfiguration": {"minCapacity": 1, "maxCapacity": 4},
            "operationalState": "Running",
            "gatewayIPConfigurations": [c(f"{aid}/gatewayIPConfigurations/appGatewayIpConfig",
                                          {"subnet": wb.ref(f"{web}/subnets/snet-appgw")})],
            "frontendIPConfigurations": [c(fe, {"privateIPAllocationMethod": "Dynamic",
                                                "publicIPAddress": wb.ref(pip)})],
            "frontendPorts": [c(port443, {"port": 443}), c(port80, {"port": 80})],
            "backendAddressPools": [c(pool, {"backendAddresses": [{"ipAddress": backend}]})],
            "backendHttpSettingsCollection": [c(settings, {"port": 443, "protocol": "Https",
                                                           "cookieBasedAffinity": "Disabled",
                                                           "requestTimeout": 30,
                                                           "pickHostNameFromBackendAddress": False})],
            "httpListeners": listeners,
            "requestRoutingRules": rules,
            "sslCertificates": [c(cert, {"keyVaultSecretId": "https://kv-contoso-web-weu.vault.azure.net/secrets/"
                                                             "wildcard-contoso-com"})],
            "sslPolicy": ssl,
            "enableHttp2": True,
            "firewallPolicy": wb.ref(waf_id),
        }, tags=tags, zones=["1", "2", "3"])
    f[wb.file_path("app_gateways", sub=L)] = [
        agw(agw_good, rid(L, web_rg, "publicIPAddresses", "pip-agw-contoso-web-weu"),
            {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"}, waf_good, "10.2.1.10",
            "www.contoso.com", False),
        agw(agw_old, rid(L, web_rg, "publicIPAddresses", "pip-agw-contoso-legacy-weu"),
            {"policyType": "Predefined", "policyName": "AppGwSslPolicy20150501"}, waf_old, "10.2.1.20",
            "legacy.contoso.com", True),
    ]

    # network watchers and flow logs
    for sub, flows in ((C, [("fl-vnet-hub-weu", hub, True)]),
                       (L, [("fl-vnet-spoke-sap-weu", sap, True), ("fl-nsg-snet-data-weu", n_data, False)])):
        watcher = rid(sub, nw_rg, "networkWatchers", "NetworkWatcher_westeurope")
        f[wb.file_path("network_watchers", sub=sub)] = [
            wb.arm_resource(watcher, "Microsoft.Network/networkWatchers", REGION, {})]
        f[wb.file_path("flow_logs", parent=watcher)] = [
            wb.flow_log(watcher, name, REGION, target, storage, workspace=(law, law_guid) if analytics else None)
            for name, target, analytics in flows]

    f[wb.file_path("entra_diagnostics")] = [
        wb.diagnostic_setting("", "entra-to-sentinel", law, tenant_level=True,
                              categories=["AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs",
                                          "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs",
                                          "ProvisioningLogs", "RiskyUsers", "UserRiskEvents"])]


def build_files() -> tuple[Json, dict[str, Any]]:
    """The demo tenant as (tenant.toml contents, {relative path: JSON value})."""
    ctx = _Ctx()
    _directory(ctx)
    _strengths(ctx)
    _named_locations(ctx)
    _applications(ctx)
    _policies(ctx)
    _tenant_objects(ctx)
    _sign_ins(ctx)
    _traffic_logs(ctx)
    _azure(ctx)
    meta = wb.tenant_meta(tenant_id=TENANT_ID, display_name="Contoso", default_domain=DOMAIN,
                          subscriptions=[SUB_CONN, SUB_LZ], captured_at=CAPTURED_AT, source="demo",
                          break_glass=BREAK_GLASS)
    return meta, ctx.files


def build(out: Path) -> None:
    """Write the curated demo tenant to ``out`` (indented JSON, for humans to read and diff)."""
    meta, files = build_files()
    wb.write_tenant_dir(Path(out), meta, files, pretty=True)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data" / "demo"
    build(target)
    print(f"wrote {target}")
