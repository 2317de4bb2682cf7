"""Synthetic tenant directories at scale: ``generate(out, scale, seed)``.

``scale``: ``"demo"`` writes the curated Contoso demo; ``"large"`` is 20,000 users, 200 CA policies, 2,000
(nested) groups, 300 Private Access apps with 3,000 segments, 20 firewall policies with 20,000 rules,
1,000 NSGs with 15,000 rules and 100,000 sign-ins; an integer N is N users with everything else scaled by
N/20,000 (with sensible minimums).

Deterministic from ``seed`` (seeded ``random.Random`` streams, never the clock or the global generator).
The tenant carries the same kinds of deliberate flaws as the demo: an all-users MFA policy with a
service-account exclusion, a break-glass account not excluded everywhere, report-only policies of varied
ages, a policy naming a deleted group, CAE disabled and strict location on a country location; an
over-broad Quick Access, duplicate and over-broad segments, unassigned apps, apps on the default or an
unhealthy connector group; an any-any rule, shadowed and redundant rules, network egress to any
destination; NSGs admitting RDP or HTTP from the Internet or the VPN pool, subnets without NSG, spokes
egressing straight to the Internet or peered with each other; old TLS and Detection-mode WAFs; risky,
legacy and blocked-country sign-ins.

JSON is compact; the sign-in log is streamed item by item; ``auth_methods`` files are written only for
break-glass accounts and privileged role holders and ``transitiveMemberOf`` never (membership and nesting
are in the ``group_members`` files).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ztconsole.datasets import DATASETS
from ztconsole.demo import DEMO_CAPTURED_AT, contoso
from ztconsole.demo import wirebuild as wb
from ztconsole.demo.wirebuild import Json

LARGE_USERS = 20_000
YUBIKEY_NFC = "ee882879-721c-4913-9775-3dfcce97072a"  # FIDO2 AAGUID of the YubiKey 5 NFC
MIN_USERS = 10
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
_Segment = tuple[str, str, list[str], str]  # a Private Access segment: (type, destination, ports, protocol)
REGIONS = ("westeurope", "northeurope", "eastus2", "southeastasia", "uksouth", "germanywestcentral")

FIRST = ("Aaron", "Abigail", "Adam", "Aisha", "Alba", "Ali", "Amara", "Ana", "Andrei", "Anna", "Arjun", "Ava",
         "Ben", "Bram", "Carla", "Chen", "Chloe", "Daan", "Daniel", "David", "Elena", "Elif", "Emma", "Eva",
         "Fatima", "Finn", "Gabriel", "Hana", "Hugo", "Ines", "Isla", "Ivan", "Jack", "Jan", "Jasper", "Julia",
         "Kai", "Kenji", "Lars", "Laura", "Leo", "Lina", "Lucas", "Maria", "Mateo", "Maya", "Mia", "Milan",
         "Nadia", "Nina", "Noah", "Olga", "Omar", "Pablo", "Priya", "Rosa", "Ruben", "Sam", "Sara", "Sofia",
         "Tariq", "Tess", "Tom", "Valentina", "Wei", "Yara", "Yusuf", "Zoe")
LAST = ("Adams", "Bakker", "Bauer", "Becker", "Brown", "Castro", "Chen", "Costa", "Dekker", "Diaz", "Dubois",
        "Evans", "Fischer", "Garcia", "Hansen", "Hoffmann", "Ito", "Jansen", "Jensen", "Kaya", "Khan", "Kim",
        "Kowalski", "Kumar", "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Muller", "Nagy", "Nguyen",
        "Novak", "Olsen", "Patel", "Peeters", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Smit", "Smith",
        "Suzuki", "Tanaka", "Visser", "Wagner", "Walsh", "Wang", "Weber", "Williams", "Wilson", "Yilmaz")
DEPARTMENTS = ("Finance", "Engineering", "Sales", "Marketing", "HR", "Legal", "IT", "Operations", "Research",
               "Manufacturing", "Customer Service", "Procurement")
SAAS = (("M365", ["*.office.com", "*.sharepoint.com"]), ("GitHub", ["github.com", "*.github.com"]),
        ("Docker", ["*.docker.io", "mcr.microsoft.com"]), ("PyPI", ["pypi.org", "files.pythonhosted.org"]),
        ("Npm", ["registry.npmjs.org"]), ("Salesforce", ["*.salesforce.com"]), ("SAP", ["*.sap.com"]),
        ("Datadog", ["*.datadoghq.eu"]), ("Atlassian", ["*.atlassian.net"]), ("Zoom", ["*.zoom.us"]),
        ("Okta", ["*.okta.com"]), ("Ubuntu", ["*.ubuntu.com"]), ("Certificates", ["*.digicert.com"]))
COUNTRIES_OK = (("Amsterdam", "NL", "84.241."), ("London", "GB", "86.12."), ("Berlin", "DE", "91.64."),
                ("Seattle", "US", "73.118."), ("Paris", "FR", "90.84."), ("Singapore", "SG", "116.86."))
COUNTRIES_BAD = (("Moscow", "RU", "5.8."), ("Pyongyang", "KP", "175.45."), ("Tehran", "IR", "5.160."))
APPS = (("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
        ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
        ("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services"),
        ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
        ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API"),
        ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
        ("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
        ("2793995e-0a7d-40d7-bd35-6968ba142197", "My Apps"))
#: ``conditions.devices.deviceFilter`` (mode, rule) of some generated policies: the grammar of
#: ztconsole/engine/device_filter.py, a few shapes of rule (-or, -and, -in, -not, parentheses, string and
#: boolean properties, an extension attribute) in both modes
DEVICE_FILTERS = (
    ("include", 'device.trustType -eq "AzureAD" -or device.isCompliant -eq True'),
    ("exclude", 'device.isCompliant -eq True -and device.trustType -ne "Workplace"'),
    ("include", 'device.operatingSystem -in ["iOS", "Android"] -and -not (device.isCompliant -eq True)'),
    ("exclude", 'device.extensionAttribute1 -eq "kiosk" -or device.model -startsWith "Surface"'),
    ("include", 'device.deviceOwnership -eq "Company" -and (device.manufacturer -ne "Samsung" -or '
                'device.trustType -eq "AzureAD")'),
)
DEVICES = (("Windows10", "Edge 131.0.0", True, "Azure AD joined"),
           ("Windows10", "Edge 131.0.0", False, "Hybrid Azure AD joined"),
           ("MacOs", "Safari 18.1", True, "Azure AD registered"),
           ("Ios 18.1", "Mobile Safari", True, "Azure AD registered"),
           ("Android 14", "Chrome Mobile 131.0.6778", False, None),
           ("Windows10", "Chrome 131.0.0", False, None))


def _scaled(n: int, large: int, minimum: int) -> int:
    return max(minimum, round(large * n / LARGE_USERS))


def generate(out: Path, scale: str | int, seed: int = 1, *, force: bool = False) -> dict[str, int]:
    """Write a tenant directory at ``out`` and return the item count of each data set written.

    ``out`` must be absent, empty or a tenant directory (replaced); ``force`` writes into any directory.
    Raises ``ValueError`` for a bad ``scale`` and ``FileExistsError`` for a directory it may not write to.
    """
    out = Path(out)
    wb.check_target(out, force=force)
    if scale == "demo":
        meta, files = contoso.build_files()
        wb.write_tenant_dir(out, meta, files, pretty=True, force=force)
        counts: dict[str, int] = {}
        for rel, value in files.items():
            key = _key_of(rel)
            counts[key] = counts.get(key, 0) + (len(value) if isinstance(value, list) else 1)
        return counts
    if scale == "large":
        users = LARGE_USERS
    elif isinstance(scale, int) or (isinstance(scale, str) and scale.isdigit()):
        users = int(scale)
    else:
        raise ValueError(f"scale must be 'demo', 'large' or a number of users, not {scale!r}")
    if users < MIN_USERS:
        raise ValueError(f"scale must be at least {MIN_USERS} users, not {users}")
    synth = _Synth(users, seed)
    meta, files = synth.build()
    wb.write_tenant_dir(out, meta, files, pretty=False, force=force)
    return dict(sorted(synth.counts.items()))


def _key_of(rel: str) -> str:
    """The data set key of a tenant-directory path."""
    for ds in DATASETS:
        pattern = re.escape(ds.file_path(sub="\0", parent="\0"))
        pattern = pattern.replace("\0", ".+" if ds.api == "arm" else "[^/]+")
        if re.fullmatch(pattern, rel):
            return ds.key
    raise KeyError(rel)


class _Synth:
    """One synthetic tenant, built in a fixed order from seeded random streams."""

    def __init__(self, users: int, seed: int):
        self.n = users
        self.seed = seed
        self.rng = random.Random(seed)
        self.tenant_id = wb.uid("synthetic-tenant", str(seed))
        self.domain = "fabrikam.onmicrosoft.com"
        self.files: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        n = users
        self.n_groups = _scaled(n, 2000, 7 + len(DEPARTMENTS) + 6)  # fixed groups, departments, a pool
        self.n_policies = _scaled(n, 200, 14)
        self.n_locations = _scaled(n, 60, 4)
        self.n_pa = _scaled(n, 300, 5)
        self.n_segments = _scaled(n, 3000, 20)
        self.n_cgroups = _scaled(n, 40, 3)
        self.n_fw_policies = _scaled(n, 20, 3)
        self.n_fw_rules = _scaled(n, 20000, 90)
        self.n_spokes = min(3800, _scaled(n, 250, 3))  # 10.16.0.0/20 ... 10.253.240.0/20
        self.n_nsg_rules = _scaled(n, 15000, 60)
        self.n_sign_ins = _scaled(n, 100000, 300)
        self.n_hubs = min(16, _scaled(n, 5, 1))  # 10.0.0.0/16 ... 10.15.0.0/16
        self.n_subs = _scaled(n, 10, 1)
        self.n_admins = _scaled(n, 120, 6)
        self.n_custom_apps = _scaled(n, 400, 5)
        self.n_app_gateways = _scaled(n, 10, 2)

    def t(self, days: float = 0, hours: float = 0) -> str:
        return wb.ago(NOW, days=days, hours=hours)

    def add(self, key: str, value: Any, *, sub: str = "", parent: str = "", count: int | None = None) -> None:
        self.files[wb.file_path(key, sub=sub, parent=parent)] = value
        items = count if count is not None else (len(value) if isinstance(value, list) else 1)
        self.counts[key] = self.counts.get(key, 0) + items

    def build(self) -> tuple[Json, dict[str, Any]]:
        self._directory()
        self._private_access()
        self._conditional_access()
        self._tenant_objects()
        self._azure()
        self.add("sign_ins", self._sign_ins(), count=self.n_sign_ins)
        meta = wb.tenant_meta(tenant_id=self.tenant_id, display_name=f"Fabrikam (synthetic, {self.n} users)",
                              default_domain=self.domain, subscriptions=self.subs, captured_at=DEMO_CAPTURED_AT,
                              source="synthetic", break_glass=[f"bg-admin-01@{self.domain}",
                                                               f"bg-admin-02@{self.domain}"])
        return meta, self.files

    # --- directory ------------------------------------------------------------------------------------

    def _directory(self) -> None:
        rng = random.Random(self.seed * 1000 + 1)
        users: list[Json] = []
        seen: dict[str, int] = {}
        self.bg = [wb.user(wb.uid("syn-user", str(self.seed), f"bg{i}"), f"bg-admin-0{i}@{self.domain}",
                           f"Emergency Access 0{i}", created=self.t(1500), usage_location="NL",
                           last_sign_in=self.t(30 if i == 1 else 200), last_success=self.t(30 if i == 1 else 200))
                   for i in (1, 2)]
        users += self.bg
        self.svc: list[Json] = []
        for i in range(self.n - 2):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{first}.{last}".lower()
            seen[local] = seen.get(local, 0) + 1
            if seen[local] > 1:
                local += str(seen[local])
            kind = 0.5 if i < 4 else rng.random()  # the first few are always enabled members
            uid = wb.uid("syn-user", str(self.seed), str(i))
            if i % 97 == 5:  # service accounts
                u = wb.user(uid, f"svc-{local.replace('.', '-')}@fabrikam.com", f"svc-{last.lower()}-{i}",
                            created=self.t(rng.randrange(100, 2000)), department="IT", job_title="Service account",
                            last_sign_in=self.t(rng.uniform(0, 40)), last_success=self.t(rng.uniform(0, 40)))
                self.svc.append(u)
            elif kind < 0.04:  # guests
                domain = rng.choice(("contoso.com", "northwindtraders.com", "woodgrovebank.com", "litware.com"))
                u = wb.user(uid, f"{local}_{domain}#EXT#@{self.domain}", f"{first} {last} ({domain.split('.')[0]})",
                            created=self.t(rng.randrange(10, 900)), given=first, surname=last,
                            mail=f"{local}@{domain}", user_type="Guest", usage_location=None,
                            last_sign_in=self.t(rng.uniform(0, 120)), last_success=self.t(rng.uniform(0, 120)))
            else:
                seen_days = rng.uniform(0, 30) if kind > 0.1 else rng.uniform(30, 400)
                u = wb.user(uid, f"{local}@fabrikam.com", f"{first} {last}", created=self.t(rng.randrange(5, 2500)),
                            given=first, surname=last, mail=f"{local}@fabrikam.com",
                            job_title=rng.choice(("Analyst", "Engineer", "Manager", "Specialist", "Director",
                                                  "Consultant", "Administrator")),
                            department=rng.choice(DEPARTMENTS), enabled=kind > 0.07 or kind < 0.04,
                            synced=kind > 0.45, last_sign_in=self.t(seen_days),
                            last_success=self.t(seen_days + rng.choice((0, 0, 0, 0.2))),
                            last_non_interactive=self.t(seen_days * 0.5))
            users.append(u)
        self.users = users
        svc_ids = {u["id"] for u in self.svc}
        self.members = [u for u in users[2:] if u["userType"] == "Member" and u["accountEnabled"]
                        and u["id"] not in svc_ids]
        self.add("users", users)

        # groups: department groups, a nested tree (three levels), and the CA/PA groups
        names = ["SG-Emergency-Access", "SG-CA-Exclusions-BreakGlass", "SG-Service-Accounts", "SG-Vendor-VPN",
                 "SG-CAE-Legacy-Exempt", "SG-Private-Access-Users", "Contractors"]
        names += [f"Dept - {d}" for d in DEPARTMENTS]
        while len(names) < self.n_groups:
            dept = rng.choice(DEPARTMENTS).replace(" ", "")
            purpose = rng.choice(("App", "Project", "Site", "Team", "Role"))
            names.append(f"SG-{dept}-{purpose}-{len(names):04d}")
        self.groups = [wb.group(wb.uid("syn-group", str(self.seed), name), name,
                                created=self.t(rng.randrange(30, 2000)), description=None, role_assignable=i < 2,
                                synced=name.startswith("Dept"))
                       for i, name in enumerate(names[: self.n_groups])]
        g = {grp["displayName"]: grp for grp in self.groups}
        membership: dict[str, list[Json]] = {grp["id"]: [] for grp in self.groups}
        membership[g["SG-Emergency-Access"]["id"]] = [wb.member_user(self.bg[0])]
        membership[g["SG-CA-Exclusions-BreakGlass"]["id"]] = [wb.member_group(g["SG-Emergency-Access"])]
        membership[g["SG-Service-Accounts"]["id"]] = [wb.member_user(u) for u in self.svc]
        for u in self.members:
            membership[g[f"Dept - {u['department']}"]["id"]].append(wb.member_user(u))
        pool = self.groups[len(DEPARTMENTS) + 7:] or self.groups[7:]
        for u in self.members:
            for grp in rng.sample(pool, min(len(pool), rng.randint(1, 4))):
                membership[grp["id"]].append(wb.member_user(u))
        for group_name in ("SG-Vendor-VPN", "SG-CAE-Legacy-Exempt", "Contractors"):
            membership[g[group_name]["id"]] = [wb.member_user(u)
                                               for u in rng.sample(self.members, min(8, len(self.members)))]
        # nesting: every tenth pool group holds two others, and one of those holds one more
        for i in range(0, len(pool) - 3, 10):
            parent, mid, leaf = pool[i], pool[i + 1], pool[i + 2]
            membership[parent["id"]] += [wb.member_group(mid)]
            membership[mid["id"]] += [wb.member_group(leaf)]
        membership[g["SG-Private-Access-Users"]["id"]] = [wb.member_group(pool[0])] + [
            wb.member_user(u) for u in rng.sample(self.members, min(25, len(self.members)))]
        for gid, items in membership.items():
            self.add("group_members", items, parent=gid)
        self.add("groups", self.groups)
        self.g = g

        # roles
        self.add("role_definitions", [wb.role_definition(*r) for r in contoso.ROLES])
        admins = rng.sample(self.members, min(self.n_admins, len(self.members)))
        active = [(u, contoso.GA) for u in self.bg] + [(admins[0], contoso.GA), (admins[1], contoso.PRA)]
        active += [(u, rng.choice((contoso.HELPDESK, contoso.GLOBAL_READER, contoso.SEC_READER)))
                   for u in admins[2: len(admins) // 3]]
        self.add("role_assignments", [wb.role_assignment(role, u["id"]) for u, role in active])
        eligible = [(u, rng.choice(contoso.PRIVILEGED_ROLES)) for u in admins[2:]]
        self.add("role_eligibility", [
            wb.role_eligibility(role, u["id"], created=self.t(rng.randrange(10, 500)),
                                end=(wb.iso(NOW + timedelta(days=rng.randrange(30, 365))) if rng.random() < 0.7
                                     else None))
            for u, role in eligible])
        holders = {u["id"]: u for u, _ in active + eligible}
        bg1, bg2 = self.bg
        for u in holders.values():
            if u is bg1:
                methods = [wb.password_method(self.t(1500)),
                           wb.fido2_method(u["id"], "BG01 key A", "YubiKey 5 NFC", YUBIKEY_NFC, self.t(400))]
            elif u is bg2:
                methods = [wb.password_method(self.t(1500)), wb.phone_method("+31 20 555 0199")]
            else:
                methods = [wb.password_method(self.t(700)), wb.authenticator_method(u["id"], "iPhone", self.t(300))]
                if rng.random() < 0.5:
                    methods.append(wb.fido2_method(u["id"], "Security key", "YubiKey 5 NFC", YUBIKEY_NFC,
                                                   self.t(200)))
            self.add("auth_methods", methods, parent=u["id"])
        self.add("registration_details", [
            wb.registration_details(u, ["fido2"] if u is bg1 else ["mobilePhone"] if u is bg2 else
                                    [] if u["id"] in svc_ids else ["microsoftAuthenticatorPush"],
                                    is_admin=u["id"] in holders, updated=self.t(1)) for u in users])

    # --- Private Access -----------------------------------------------------------------------------

    def _private_access(self) -> None:
        rng = random.Random(self.seed * 1000 + 2)
        cgroups: list[Json] = [
            {"id": wb.uid("syn-cg", str(self.seed), str(i)), "name": "Default" if i == 0 else f"CG-Site-{i:02d}",
             "connectorGroupType": "applicationProxy", "isDefault": i == 0, "region": ("eur", "nam", "asia")[i % 3]}
            for i in range(self.n_cgroups)]
        connectors = []
        for i, cg in enumerate(cgroups):
            members = [{"id": wb.uid("syn-connector", str(self.seed), str(i), str(j)),
                        "machineName": f"pa-conn-{i:02d}-{j}.corp.fabrikam.com",
                        "externalIp": f"198.51.{100 + i % 50}.{10 + j}",
                        "status": "inactive" if (i == 1 and j == 1) else "active", "version": "1.5.3974.0"}
                       for j in range(1 if i == 0 else 2)]
            connectors += members
            self.add("connector_group_members", members, parent=cg["id"])
        self.add("connector_groups", cgroups)
        self.add("connectors", connectors)

        apps, sps = [], []
        per_app = max(1, self.n_segments // self.n_pa)
        previous: _Segment | None = None
        assignable = self.groups[len(DEPARTMENTS) + 7:] or self.groups
        for i in range(self.n_pa):
            quick = i == 0
            name = "Quick Access" if quick else f"PA - {rng.choice(DEPARTMENTS)} App {i:03d}"
            app_id = wb.uid("syn-appid", str(self.seed), str(i))
            roles = [wb.app_role(app_id, "User")]
            tags = ["NetworkAccessQuickAccessApplication" if quick else "PrivateAccessNonWebApplication", "HideApp"]
            app: Json = {"id": wb.uid("syn-app", str(self.seed), str(i)), "appId": app_id,
                         "createdDateTime": self.t(rng.randrange(5, 400)), "displayName": name,
                         "signInAudience": "AzureADMyOrg", "tags": tags, "appRoles": roles,
                         "onPremisesPublishing": {"applicationType": "quickaccessapp" if quick else "nonwebapp",
                                                  "externalAuthenticationType": "aadPreAuthentication",
                                                  "isAccessibleViaZTNAClient": True, "isOnPremPublishingEnabled": True,
                                                  "applicationServerTimeout": "default", "externalUrl": None,
                                                  "internalUrl": None}}
            sp = wb.service_principal(wb.uid("syn-sp", str(self.seed), str(i)), app_id, name,
                                      owner_tenant=self.tenant_id, tags=tags, assignment_required=True, app_roles=roles)
            apps.append(app)
            sps.append(sp)
            segments: list[_Segment] = []
            if quick:
                segments = [("ipRangeCidr", "10.0.0.0/8", ["1-65535"], "tcp"),
                            ("dnsSuffix", "corp.fabrikam.com", ["1-65535"], "tcp")]
            for j in range(per_app - len(segments)):
                octet = (i * 7 + j) % 250
                roll = rng.random()
                if roll < 0.4:
                    seg = ("ipAddress", f"10.100.{octet}.{10 + j}", [rng.choice(("443-443", "3389-3389", "22-22",
                                                                                   "1433-1433", "445-445"))], "tcp")
                elif roll < 0.7:
                    seg = ("fqdn", f"app{i:03d}-{j}.corp.fabrikam.com", ["443-443"], "tcp")
                elif roll < 0.9:
                    seg = ("ipRangeCidr", f"10.101.{octet}.0/{24 if rng.random() < 0.8 else 20}",
                           ["443-443", "8443-8443"] if rng.random() < 0.8 else ["8000-8100"], "tcp")
                else:
                    seg = ("ipRange", f"10.102.{octet}.10-10.102.{octet}.60", ["5000-5005"], "udp")
                segments.append(seg)
            if i == 2:
                segments.append(("dnsSuffix", "corp", ["443-443"], "tcp"))
            if previous is not None and i % 25 == 0:  # a destination published by two apps
                segments.append(previous)
            previous = segments[-1] if not quick else None
            self.add("app_segments", [
                {"@odata.type": "#microsoft.graph.ipApplicationSegment",
                 "id": wb.uid("syn-seg", str(self.seed), str(i), str(j)), "destinationHost": host,
                 "destinationType": dtype, "port": 0, "ports": ports, "protocol": proto}
                for j, (dtype, host, ports, proto) in enumerate(segments)], parent=app["id"])
            cg = cgroups[0] if i % 30 == 7 else cgroups[1 + i % (len(cgroups) - 1)]
            self.add("app_connector_group", cg, parent=app["id"])
            assigned = [] if i % 40 == 9 else ([self.g["SG-Private-Access-Users"]] if quick
                                               else rng.sample(assignable, min(2, len(assignable))))
            self.add("app_role_assignments", [wb.app_role_assignment(sp, grp, "Group", roles[0]["id"], self.t(30))
                                              for grp in assigned], parent=sp["id"])
        custom = []
        for i in range(self.n_custom_apps):
            app_id = wb.uid("syn-custom-appid", str(self.seed), str(i))
            vendor = rng.choice(("Fabrikam", "Contoso", "Northwind", "Tailspin"))
            kind = rng.choice(("Portal", "CRM", "Reporting", "Intranet", "API", "HR"))
            custom.append(wb.service_principal(wb.uid("syn-custom-sp", str(self.seed), str(i)), app_id,
                                               f"{vendor} {kind} {i}", owner_tenant=self.tenant_id,
                                               tags=["WindowsAzureActiveDirectoryIntegratedApp"]))
        first_party = [wb.service_principal(wb.uid("sp", app_id), app_id, name) for app_id, name in contoso.FIRST_PARTY]
        self.pa_apps, self.pa_sps, self.custom_sps = apps, sps, custom
        self.add("applications", apps)
        self.add("service_principals", first_party + sps + custom)
        self.add("forwarding_profiles", [
            {"trafficForwardingType": t_, "priority": p, "id": wb.uid("syn-fp", t_), "name": f"{t_} profile",
             "description": None, "state": s, "version": "1.0.0", "lastModifiedDateTime": self.t(100),
             "associations": []}
            for t_, p, s in (("m365", 0, "enabled"), ("private", 1, "enabled"), ("internet", 2, "disabled"))])
        self.add("gsa_ca_settings", {"signalingStatus": "disabled"})

    # --- Conditional Access ---------------------------------------------------------------------------

    def _conditional_access(self) -> None:
        rng = random.Random(self.seed * 1000 + 3)
        ip_locations = [wb.ip_location(wb.uid("syn-loc", str(self.seed), "corp"), "Corporate egress",
                                       ["203.0.113.0/24", "198.51.100.0/24"], trusted=True, created=self.t(900),
                                       modified=self.t(100))]
        for i in range(self.n_locations - 3):
            ip_locations.append(wb.ip_location(wb.uid("syn-loc", str(self.seed), str(i)), f"Site {i:03d} egress",
                                               [f"100.{64 + i % 64}.{i // 64}.0/24"], trusted=rng.random() < 0.6,
                                               created=self.t(rng.randrange(30, 900)),
                                               modified=self.t(rng.randrange(1, 30))))
        blocked = wb.country_location(wb.uid("syn-loc", str(self.seed), "blocked"), "Blocked countries",
                                      ["KP", "IR", "RU", "BY", "SY"], created=self.t(900), modified=self.t(300))
        operating = wb.country_location(wb.uid("syn-loc", str(self.seed), "operating"), "Operating countries",
                                        ["NL", "GB", "DE", "US", "FR", "SG"], created=self.t(900), modified=self.t(60))
        self.add("named_locations", ip_locations + [blocked, operating])
        strengths = [{"id": sid, "createdDateTime": "2021-12-01T00:00:00Z", "modifiedDateTime": "2021-12-01T00:00:00Z",
                      "displayName": name, "description": None, "policyType": "builtIn", "requirementsSatisfied": "mfa",
                      "allowedCombinations": combos, "combinationConfigurations": []}
                     for sid, name, combos in (
                         (wb.STRENGTH_MFA, "Multifactor authentication",
                          ["fido2", "password,microsoftAuthenticatorPush", "password,sms"]),
                         (wb.STRENGTH_PASSWORDLESS, "Passwordless MFA", ["windowsHelloForBusiness", "fido2",
                                                                          "deviceBasedPush"]),
                         (wb.STRENGTH_PHISHING_RESISTANT, "Phishing resistant MFA",
                          ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"]))]
        self.add("auth_strengths", strengths)
        g = {k: v["id"] for k, v in self.g.items()}
        bg_excl, bg2 = [g["SG-CA-Exclusions-BreakGlass"]], [self.bg[1]["id"]]
        E, R, D = "enabled", "enabledForReportingButNotEnforced", "disabled"
        P, U, A, G, S = wb.ca_policy, wb.ca_users, wb.ca_apps, wb.ca_grant, wb.ca_session
        def pid(i: int) -> str:
            return wb.uid("syn-ca", str(self.seed), str(i))

        all_but_bg = U(include_users=["All"], exclude_users=bg2, exclude_groups=bg_excl)
        pols = [
            P(pid(0), "CA000-AllUsers-AllApps-MFA", E, created=self.t(900), modified=self.t(80),
              users=U(include_users=["All"], exclude_groups=bg_excl + [g["SG-Service-Accounts"]]), apps=A(["All"]),
              grant=G("OR", ["mfa"])),
            P(pid(1), "CA001-Global-BlockLegacyAuthentication", E, created=self.t(900), modified=self.t(300),
              users=all_but_bg, apps=A(["All"]), client_app_types=["exchangeActiveSync", "other"],
              grant=G("OR", ["block"])),
            P(pid(2), "CA002-AzureManagement-RequireCompliantDevice", R, created=self.t(250), modified=self.t(200),
              users=all_but_bg, apps=A([contoso.AZURE_MGMT]), grant=G("OR", ["compliantDevice", "domainJoinedDevice"])),
            P(pid(3), "CA003-Admins-RequirePhishingResistantMFA", E, created=self.t(400), modified=self.t(60),
              users=U(include_roles=list(contoso.PRIVILEGED_ROLES), exclude_users=bg2, exclude_groups=bg_excl),
              apps=A(["All"]), grant=G("OR", strength=strengths[2])),
            P(pid(4), "CA004-Global-BlockCountries", E, created=self.t(800), modified=self.t(300), users=all_but_bg,
              apps=A(["All"]), include_locations=[blocked["id"]], grant=G("OR", ["block"])),
            P(pid(5), "CA005-Global-SignInRisk-RequireMFA", E, created=self.t(600), modified=self.t(100),
              users=all_but_bg, apps=A(["All"]), sign_in_risk=["high", "medium"], grant=G("OR", ["mfa"]),
              session=S(every_time=True)),
            P(pid(6), "CA006-Global-BlockDeviceCodeFlow", E, created=self.t(200), modified=self.t(200),
              users=all_but_bg, apps=A(["All"]), transfer_methods="deviceCodeFlow", grant=G("OR", ["block"])),
            P(pid(7), "CA007-Guests-RequireMFA", E, created=self.t(500), modified=self.t(100),
              users=U(include_guests=wb.ALL_GUEST_TYPES), apps=A(["All"]), grant=G("OR", ["mfa"])),
            P(pid(8), "CA008-Vendors-DisableCAE", E, created=self.t(400), modified=self.t(400),
              users=U(include_groups=[g["SG-Vendor-VPN"]]), apps=A(["All"]), grant=G("OR", ["mfa"]),
              session=S(cae_mode="disabled")),
            P(pid(9), "CA009-Office365-StrictLocation-Countries", R, created=self.t(40), modified=self.t(40),
              users=all_but_bg, apps=A(["Office365"]), include_locations=["All"], exclude_locations=[operating["id"]],
              grant=G("OR", ["block"]), session=S(cae_mode="strictLocation")),
            P(pid(10), "CA010-Contractors-BlockOutsideOperatingCountries", E, created=self.t(500), modified=self.t(300),
              users=U(include_groups=[g["Contractors"]], exclude_groups=[wb.uid("syn-deleted-group", str(self.seed))]),
              apps=A(["All"]), include_locations=["All"], exclude_locations=[operating["id"]],
              grant=G("OR", ["block"])),
            P(pid(11), "CA011-Global-RequireCompliantDevice", R, created=self.t(5), modified=self.t(5),
              users=U(include_users=["All"], exclude_groups=bg_excl), apps=A(["All"]),
              grant=G("OR", ["compliantDevice", "domainJoinedDevice"])),
            P(pid(12), "CA012-PrivateAccess-RequireMFA-Compliant", E, created=self.t(100), modified=self.t(20),
              users=all_but_bg, apps=A([a["appId"] for a in self.pa_apps[1:][: max(1, len(self.pa_apps) // 2)]]),
              grant=G("AND", ["mfa", "compliantDevice"])),
            P(pid(13), "CA013-QuickAccess-RequireMFA", E, created=self.t(100), modified=self.t(100), users=all_but_bg,
              apps=A([self.pa_apps[0]["appId"]]), grant=G("OR", ["mfa"])),
        ]
        groups = self.groups[len(DEPARTMENTS) + 7:] or self.groups
        targets = [a["appId"] for a in self.pa_apps] + [s["appId"] for s in self.custom_sps] + ["Office365"]
        grants = (G("OR", ["mfa"]), G("OR", ["compliantDevice", "domainJoinedDevice"]),
                  G("AND", ["mfa", "compliantDevice"]), G("OR", ["block"]), G("OR", strength=strengths[1]))
        device_rng = random.Random(self.seed * 1000 + 7)  # its own stream: the other draws stay as they were
        for i in range(len(pols), self.n_policies):
            state = rng.choices((E, R, D), (70, 20, 10))[0]
            created = rng.choice((2, 5, 10, 20, 40, 90, 200, 400, 800))
            extra: dict[str, Any] = {}
            roll = rng.random()
            if roll < 0.2:
                extra["include_platforms"] = rng.sample(["android", "iOS", "windows", "macOS"], 2)
            elif roll < 0.35:
                extra["include_locations"], extra["exclude_locations"] = ["All"], ["AllTrusted"]
            elif roll < 0.45:
                extra["client_app_types"] = ["browser"]
            elif roll < 0.5:
                extra["sign_in_risk"] = ["high"]
            if rng.random() < 0.1:
                extra["session"] = S(sign_in_frequency=(rng.choice((1, 4, 8, 12)), "hours"), persistent_browser="never")
            name = f"CA{i:03d}-{rng.choice(DEPARTMENTS).replace(' ', '')}-Apps-{i}"
            modified = self.t(created * rng.choice((0.1, 0.5, 1)))
            users = U(include_groups=[grp["id"] for grp in rng.sample(groups, min(2, len(groups)))],
                      exclude_users=bg2, exclude_groups=bg_excl)
            apps = A(rng.sample(targets, min(len(targets), rng.randint(1, 4))))
            grant = rng.choice(grants)
            if device_rng.random() < 0.15:
                extra["device_filter"] = device_rng.choice(DEVICE_FILTERS)
                if device_rng.random() < 0.3:  # now and then for everyone on Office 365: filters decide sign-ins
                    name = f"CA{i:03d}-Office365-DeviceFilter-{i}"
                    users, apps, grant = all_but_bg, A(["Office365"]), device_rng.choice(grants[:3])
            pols.append(P(pid(i), name, state, created=self.t(created), modified=modified, users=users, apps=apps,
                          grant=grant, **extra))
        self.policies = pols
        self.add("ca_policies", pols)
        self.add("cae_policy", {"id": wb.CAE_POLICY_ID, "displayName": "Continuous Access Evaluation",
                                "description": "Continuous Access Evaluation", "isEnabled": True, "users": [],
                                "groups": [g["SG-CAE-Legacy-Exempt"]], "migrate": False})

    def _tenant_objects(self) -> None:
        self.add("organization", [{
            "id": self.tenant_id, "displayName": "Fabrikam", "tenantType": "AAD", "countryLetterCode": "NL",
            "createdDateTime": "2018-05-02T08:00:00Z", "onPremisesSyncEnabled": True,
            "onPremisesLastSyncDateTime": self.t(hours=0.5),
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True,
                                 "isInitial": True, "name": self.domain, "type": "Managed"},
                                {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": False,
                                 "isInitial": False, "name": "fabrikam.com", "type": "Managed"}]}])
        self.add("subscribed_skus", [
            {"accountId": self.tenant_id, "accountName": "Fabrikam", "appliesTo": "User", "capabilityStatus": "Enabled",
             "consumedUnits": self.n, "id": f"{self.tenant_id}_{sku}", "skuId": sku, "skuPartNumber": part,
             "prepaidUnits": {"enabled": self.n + 500, "suspended": 0, "warning": 0, "lockedOut": 0},
             "servicePlans": [{"servicePlanId": pid, "servicePlanName": pname, "provisioningStatus": "Success",
                               "appliesTo": "User"} for pid, pname in plans]}
            for sku, part, plans in (
                ("84a661c4-e949-4bd2-a560-ed7766fcaf2b", "AAD_PREMIUM_P2",
                 [("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2")]),
                ("f9602137-2203-447b-9fff-41b36e08ce5d", "Microsoft_Entra_Suite",
                 [("f057aab1-b184-49b2-85c0-881b02a405c5", "Entra_Premium_Private_Access")]))])

    # --- Azure ----------------------------------------------------------------------------------------

    def _azure(self) -> None:
        rng = random.Random(self.seed * 1000 + 4)
        seed = str(self.seed)
        conn = wb.uid("syn-sub", seed, "connectivity")
        lzs = [wb.uid("syn-sub", seed, f"lz{i}") for i in range(self.n_subs)]
        self.subs = [conn] + lzs
        hub_rg, nw_rg = "rg-connectivity-hubs", "NetworkWatcherRG"
        N = "Microsoft.Network"
        monitoring = f"/subscriptions/{conn}/resourceGroups/rg-monitoring/providers"
        law = f"{monitoring}/Microsoft.OperationalInsights/workspaces/law-sec"
        storage = f"{monitoring}/Microsoft.Storage/storageAccounts/stflowlogs"
        rgs: dict[str, list[Json]] = {conn: [wb.resource_group(conn, n, REGIONS[0]) for n in
                                             (hub_rg, "rg-monitoring", "rg-legacy", nw_rg)]}
        for s in lzs:
            rgs[s] = [wb.resource_group(s, nw_rg, REGIONS[0])]
        nsgs: dict[str, list[Json]] = {s: [] for s in self.subs}
        rts: dict[str, list[Json]] = {s: [] for s in self.subs}
        vnets: dict[str, list[Json]] = {s: [] for s in self.subs}

        # hubs, firewalls, policies
        parent = wb.arm_id(conn, hub_rg, f"{N}/firewallPolicies", "afwp-parent-premium")
        policy_ids = [wb.arm_id(conn, hub_rg, f"{N}/firewallPolicies", f"afwp-{i:02d}")
                      for i in range(1, self.n_fw_policies)]
        hubs, fw_ips, firewalls, diags = [], [], [], {}
        ddos = wb.arm_id(conn, hub_rg, f"{N}/ddosProtectionPlans", "ddos-global")
        for h in range(self.n_hubs):
            region = REGIONS[h % len(REGIONS)]
            vid = wb.arm_id(conn, hub_rg, f"{N}/virtualNetworks", f"vnet-hub-{h:02d}")
            fw_ip = f"10.{h}.1.4"
            fw = wb.arm_id(conn, hub_rg, f"{N}/azureFirewalls", f"afw-hub-{h:02d}")
            hubs.append((vid, region, [f"10.{h}.0.0/16"]))
            fw_ips.append(fw_ip)
            pip = wb.arm_id(conn, hub_rg, f"{N}/publicIPAddresses", f"pip-afw-{h:02d}")
            firewalls.append(wb.azure_firewall(fw, region, tier="Premium",
                                               subnet_id=f"{vid}/subnets/AzureFirewallSubnet", public_ip_id=pip,
                                               private_ip=fw_ip, policy_id=policy_ids[h % len(policy_ids)]))
            diags[fw] = ([] if h == self.n_hubs - 1 and self.n_hubs > 1 else
                         [wb.diagnostic_setting(fw, "to-law", law, category_group="allLogs")])
        legacy_fw = wb.arm_id(conn, "rg-legacy", f"{N}/azureFirewalls", "afw-legacy")
        legacy_vnet = wb.arm_id(conn, "rg-legacy", f"{N}/virtualNetworks", "vnet-legacy")
        firewalls.append(wb.azure_firewall(
            legacy_fw, REGIONS[0], tier="Standard", subnet_id=f"{legacy_vnet}/subnets/AzureFirewallSubnet",
            public_ip_id=wb.arm_id(conn, "rg-legacy", f"{N}/publicIPAddresses", "pip-afw-legacy"),
            private_ip="10.250.0.4",
            classic={"networkRuleCollections": [wb.classic_collection(legacy_fw, "network", "legacy", 100, "Allow", [
                {"name": "any-any", "protocols": ["Any"], "sourceAddresses": ["*"], "destinationAddresses": ["*"],
                 "destinationPorts": ["*"]}])]}))
        diags[legacy_fw] = []
        vnets[conn].append(wb.vnet(legacy_vnet, REGIONS[0], ["10.250.0.0/24"],
                                   [wb.subnet(legacy_vnet, "AzureFirewallSubnet", "10.250.0.0/26")]))
        self.add("firewalls", firewalls, sub=conn)
        for fw, items in diags.items():
            self.add("firewall_diagnostics", items, parent=fw)
        self.add("ddos_plans", [wb.arm_resource(ddos, f"{N}/ddosProtectionPlans", REGIONS[0],
                                                {"virtualNetworks": [wb.ref(v) for v, _, _ in hubs]})], sub=conn)
        self._firewall_policies(rng, conn, parent, policy_ids)

        # spokes
        spokes: list[tuple[str, str, list[str], str, int]] = []  # (vnet id, subscription, prefixes, region, hub)
        vpn_pool = "172.16.201.0/24"
        pa_dest = "10.100.0.10"
        for k in range(self.n_spokes):
            sub = lzs[k % len(lzs)]
            hub_i = k % self.n_hubs
            hub_id, region, hub_px = hubs[hub_i]
            rg = f"rg-spoke-{k:04d}"
            rgs[sub].append(wb.resource_group(sub, rg, region))
            second, third = 16 + k // 16, (k % 16) * 16
            px = f"10.{second}.{third}.0/20"
            vid = wb.arm_id(sub, rg, f"{N}/virtualNetworks", f"vnet-spoke-{k:04d}")
            rt = wb.arm_id(sub, rg, f"{N}/routeTables", f"rt-spoke-{k:04d}")
            direct = k % 60 == 7
            routes = [wb.route(rt, "default", "0.0.0.0/0", "Internet" if direct else "VirtualAppliance",
                               None if direct else fw_ips[hub_i])]
            subnet_objs, rt_subnets = [], []
            per_nsg = max(3, self.n_nsg_rules // (self.n_spokes * 4))
            for j, sname in enumerate(("snet-web", "snet-app", "snet-data", "snet-mgmt")):
                sid = f"{vid}/subnets/{sname}"
                prefix = f"10.{second}.{third + j}.0/24"
                no_nsg = j == 3 and k % 50 == 3
                nsg_id = wb.arm_id(sub, rg, f"{N}/networkSecurityGroups", f"nsg-{k:04d}-{sname}")
                rules = self._nsg_rules(rng, nsg_id, prefix, per_nsg, k * 4 + j, vpn_pool, pa_dest)
                nsgs[sub].append(wb.nsg(nsg_id, region, rules, [] if no_nsg else [sid]))
                # detached: the NSG still exists, the subnet has none
                subnet_objs.append(wb.subnet(vid, sname, prefix, nsg_id=None if no_nsg else nsg_id, rt_id=rt))
                rt_subnets.append(sid)
            rts[sub].append(wb.route_table(rt, region, routes, rt_subnets))
            peer = [wb.peering(vid, "to-hub", hub_id, hub_px, use_remote_gateways=hub_i == 0)]
            if k % 90 == 11 and spokes:
                other_id, other_px = spokes[-1][0], spokes[-1][2]
                peer.append(wb.peering(vid, "to-spoke", other_id, other_px))
            spokes.append((vid, sub, [px], region, hub_i))
            vnets[sub].append(wb.vnet(vid, region, [px], subnet_objs, peer))
        for h, (vid, region, hub_prefixes) in enumerate(hubs):
            subs = [wb.subnet(vid, "GatewaySubnet", f"10.{h}.0.0/27"),
                    wb.subnet(vid, "AzureFirewallSubnet", f"10.{h}.1.0/26"),
                    wb.subnet(vid, "AzureBastionSubnet", f"10.{h}.2.0/26")]
            peers = [wb.peering(vid, f"to-{s[0].rsplit('/', 1)[1]}", s[0], s[2], gateway_transit=h == 0)
                     for s in spokes if s[4] == h]
            vnets[conn].append(wb.vnet(vid, region, hub_prefixes, subs, peers, ddos_plan=ddos))
        gw = wb.arm_id(conn, hub_rg, f"{N}/virtualNetworkGateways", "vgw-hub-00")
        self.add("vnet_gateways", [wb.arm_resource(gw, f"{N}/virtualNetworkGateways", REGIONS[0], {
            "gatewayType": "Vpn", "vpnType": "RouteBased", "sku": {"name": "VpnGw2AZ", "tier": "VpnGw2AZ"},
            "ipConfigurations": [wb.child(f"{gw}/ipConfigurations/default", {
                "subnet": wb.ref(f"{hubs[0][0]}/subnets/GatewaySubnet"),
                "publicIPAddress": wb.ref(wb.arm_id(conn, hub_rg, f"{N}/publicIPAddresses", "pip-vgw"))})],
            "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": [vpn_pool]},
                                       "vpnClientProtocols": ["OpenVPN"], "vpnAuthenticationTypes": ["AAD"]}})],
                 parent=f"/subscriptions/{conn}/resourceGroups/{hub_rg}")

        # application gateways and WAF policies (in the first landing zone)
        sub0 = lzs[0]
        agws, wafs = [], []
        for i in range(self.n_app_gateways):
            old = i % 2 == 1
            aid = wb.arm_id(sub0, "rg-spoke-0000", f"{N}/applicationGateways", f"agw-{i:02d}")
            wid = wb.arm_id(sub0, "rg-spoke-0000", f"{N}/ApplicationGatewayWebApplicationFirewallPolicies",
                            f"wafp-{i:02d}")
            pip = wb.arm_id(sub0, "rg-spoke-0000", f"{N}/publicIPAddresses", f"pip-agw-{i:02d}")
            wafs.append(wb.arm_resource(wid, f"{N}/ApplicationGatewayWebApplicationFirewallPolicies", REGIONS[0], {
                "policySettings": {"state": "Enabled", "mode": "Detection" if old else "Prevention"},
                "managedRules": {"managedRuleSets": [{"ruleSetType": "OWASP", "ruleSetVersion": "3.0"}] if old else
                                 [{"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1"},
                                  {"ruleSetType": "Microsoft_BotManagerRuleSet", "ruleSetVersion": "1.0"}],
                                 "exclusions": []},
                "customRules": [], "applicationGateways": [wb.ref(aid)]}))
            agws.append(wb.arm_resource(aid, f"{N}/applicationGateways", REGIONS[0], {
                "sku": {"name": "WAF_v2", "tier": "WAF_v2"}, "operationalState": "Running",
                "gatewayIPConfigurations": [wb.child(f"{aid}/gatewayIPConfigurations/ipconfig",
                                                     {"subnet": wb.ref(f"{spokes[0][0]}/subnets/snet-web")})],
                "frontendIPConfigurations": [wb.child(f"{aid}/frontendIPConfigurations/public", {
                    "publicIPAddress": wb.ref(pip)})],
                "sslPolicy": {"policyType": "Predefined",
                              "policyName": "AppGwSslPolicy20150501" if old else "AppGwSslPolicy20220101S"},
                "firewallPolicy": wb.ref(wid)}))
        self.add("app_gateways", agws, sub=sub0)
        self.add("waf_policies", wafs, sub=sub0)

        for s in self.subs:
            self.add("resource_groups", rgs[s], sub=s)
            self.add("nsgs", nsgs[s], sub=s)
            self.add("route_tables", rts[s], sub=s)
            self.add("virtual_networks", vnets[s], sub=s)
            watcher = wb.arm_id(s, nw_rg, f"{N}/networkWatchers", "NetworkWatcher_westeurope")
            self.add("network_watchers", [wb.arm_resource(watcher, f"{N}/networkWatchers", REGIONS[0], {})], sub=s)
            targets = [v["id"] for v in vnets[s] if "legacy" not in v["id"]]
            self.add("flow_logs", [
                wb.flow_log(watcher, f"fl-{i:04d}", REGIONS[0], tid, storage,
                            workspace=(law, wb.uid("syn-law", seed)) if i % 5 else None)
                for i, tid in enumerate(targets) if i % 3 != 2], parent=watcher)
        self.add("entra_diagnostics", [wb.diagnostic_setting("", "entra-to-sentinel", law, tenant_level=True,
                                                             categories=["AuditLogs", "SignInLogs"])])

    def _nsg_rules(self, rng: random.Random, nsg_id: str, prefix: str, count: int, k: int, vpn_pool: str,
                   pa_dest: str) -> list[Json]:
        R = wb.nsg_rule
        rules = []
        if k % 100 == 13:
            rules.append(R(nsg_id, "Allow-RDP-Internet", 100, "Inbound", "Allow", src="Internet", dst="*",
                           ports="3389"))
        if k % 80 == 21:
            rules.append(R(nsg_id, "Allow-HTTP-Internet", 105, "Inbound", "Allow", src="Internet", dst=prefix,
                           ports="80"))
        if k % 120 == 33:
            rules.append(R(nsg_id, "Allow-VPN-Pool", 110, "Inbound", "Allow", src=vpn_pool, dst=pa_dest,
                           ports=["443", "3389"]))
        while len(rules) < count - 1:
            i = len(rules)
            rules.append(R(nsg_id, f"Allow-App-{i:02d}", 200 + i * 10, "Inbound", "Allow",
                           src=[f"10.{rng.randrange(16, 40)}.{rng.randrange(0, 256)}.0/24"], dst=prefix,
                           ports=[rng.choice(("443", "8443", "1433", "5432", "6379", "9000-9010", "22"))]))
        rules.append(R(nsg_id, "DenyAllInbound", 4096, "Inbound", "Deny", protocol="*"))
        return rules

    def _firewall_policies(self, rng: random.Random, conn: str, parent: str, policy_ids: list[str]) -> None:
        location = REGIONS[0]
        kv = "https://kv-fw.vault.azure.net/secrets/tls-ica"
        policies = [wb.firewall_policy(parent, location, tier="Premium", threat_intel="Alert", idps="Deny",
                                       tls_ca=("tls-ica", kv), child_policies=policy_ids, groups=["rcg-baseline"])]
        policies += [wb.firewall_policy(pid, location, tier="Premium", threat_intel="Deny" if i % 5 else "Alert",
                                        idps="Deny" if i % 3 else "Alert", tls_ca=("tls-ica", kv) if i % 4 else None,
                                        base_policy=parent, groups=["rcg-network", "rcg-application"]
                                        + (["rcg-zz-temp"] if i == 0 else []))
                     for i, pid in enumerate(policy_ids)]
        self.add("firewall_policies", policies, sub=conn)
        N_, A_ = wb.net_rule, wb.app_rule
        self.add("rule_collection_groups", [wb.rule_collection_group(parent, "rcg-baseline", 100, [
            wb.filter_collection("deny", 100, "Deny", [N_("Deny-SMB-Out", ["10.0.0.0/8"], ["*"], ["445"])]),
            wb.filter_collection("allow", 200, "Allow", [N_("Allow-DNS", ["10.0.0.0/8"], ["10.0.3.4"], ["53"],
                                                            protocols=["UDP", "TCP"])])])], parent=parent)
        per_policy = max(10, self.n_fw_rules // len(policy_ids))
        for i, pid in enumerate(policy_ids):
            net: list[Json] = []
            app: list[Json] = []
            n_net = per_policy * 2 // 3
            for r in range(n_net):
                src = f"10.{rng.randrange(16, 40)}.{rng.randrange(0, 256)}.0/24"
                dst = f"10.{rng.randrange(16, 40)}.{rng.randrange(0, 256)}.{rng.randrange(4, 250)}"
                port = rng.choice(("443", "1433", "5432", "22", "3389", "8080-8090", "389", "445"))
                if r % 200 == 50 and net:  # redundant: a copy of an earlier rule
                    net.append({**net[-7 if len(net) > 7 else 0], "name": f"net-{r:05d}-copy"})
                    continue
                if r % 200 == 120 and net:  # shadowed: a narrower rule after a broader one
                    base = net[-1]
                    net.append(N_(f"net-{r:05d}-narrow", [base["sourceAddresses"][0].replace(".0/24", ".10")],
                                  base["destinationAddresses"], base["destinationPorts"]))
                    continue
                net.append(N_(f"net-{r:05d}", [src], [dst], [port]))
            if i == 0:
                net.insert(5, N_("Allow-HTTPS-Any-Internet", ["10.0.0.0/8"], ["*"], ["443"]))
            for r in range(per_policy - n_net):
                name, fqdns = rng.choice(SAAS)
                app.append(A_(f"app-{r:05d}-{name}", [f"10.{rng.randrange(16, 40)}.0.0/16"], fqdns,
                              terminate_tls=rng.random() < 0.7))
            def chunks(rules: list[Json], prefix: str, action: str, base: int) -> list[Json]:
                return [wb.filter_collection(f"{prefix}-{c:03d}", base + c * 10, action, rules[c * 100:(c + 1) * 100])
                        for c in range((len(rules) + 99) // 100)]
            groups = [wb.rule_collection_group(pid, "rcg-network", 200, chunks(net, "net", "Allow", 100)),
                      wb.rule_collection_group(pid, "rcg-application", 300, chunks(app, "app", "Allow", 100))]
            if i == 0:
                groups.append(wb.rule_collection_group(pid, "rcg-zz-temp", 65000, [wb.filter_collection(
                    "temp", 100, "Allow", [N_("TEMP-AllowAll", ["*"], ["*"], ["*"], protocols=["Any"])])]))
            self.add("rule_collection_groups", groups, parent=pid)

    # --- sign-ins -------------------------------------------------------------------------------------

    def _sign_ins(self) -> Iterator[Json]:
        """The sign-in log, newest first, produced lazily (the writer streams it)."""
        rng = random.Random(self.seed * 1000 + 5)
        active = [u for u in self.users if u["accountEnabled"] and u is not self.bg[1]]
        enabled = [p for p in self.policies[12:] if p["state"] == "enabled" and p["grantControls"]
                   and "block" not in p["grantControls"]["builtInControls"]] or self.policies[:1]
        report_only = [p for p in self.policies if p["state"] == "enabledForReportingButNotEnforced"]
        mfa, legacy, countries, risk = self.policies[0], self.policies[1], self.policies[4], self.policies[5]
        pa = [(a["appId"], a["displayName"]) for a in self.pa_apps]
        span = 30 * 24 * 3600
        count = self.n_sign_ins
        for i in range(count):
            when = NOW - timedelta(seconds=span * (i + rng.random()) / count)
            u = self.bg[0] if i == count * 99 // 100 else rng.choice(active)
            roll = rng.random()
            app = rng.choice(pa) if roll < 0.15 else APPS[rng.randrange(len(APPS))]
            client = "Browser" if rng.random() < 0.6 else "Mobile Apps and Desktop clients"
            place = COUNTRIES_OK[rng.randrange(len(COUNTRIES_OK))]
            corp = rng.random() < 0.55
            ip = (f"203.0.113.{rng.randrange(1, 255)}" if corp
                  else f"{place[2]}{rng.randrange(256)}.{rng.randrange(1, 255)}")
            level = rng.choices(("none", "low", "medium", "high"), (95, 2.5, 2, 0.5))[0]
            applied = [wb.applied_policy(mfa, "success")]
            error: tuple[int, str | None]  # (error code, failure reason)
            status, error = "success", (0, None)
            if rng.random() < 0.01:
                client = rng.choice(("Exchange ActiveSync", "IMAP4", "Authenticated SMTP"))
                applied = [wb.applied_policy(legacy, "failure")]
                status, error = "failure", (53003, "Access has been blocked by Conditional Access policies.")
            elif rng.random() < 0.004:
                place = COUNTRIES_BAD[rng.randrange(len(COUNTRIES_BAD))]
                ip = f"{place[2]}{rng.randrange(256)}.{rng.randrange(1, 255)}"
                applied.append(wb.applied_policy(countries, "failure"))
                status, error = "failure", (53003, "Access has been blocked by Conditional Access policies.")
            elif level in ("medium", "high"):
                ok = rng.random() < 0.7
                applied.append(wb.applied_policy(risk, "success" if ok else "failure"))
                if not ok:
                    status, error = "failure", (500121, "Authentication failed during strong authentication request.")
            else:
                applied.append(wb.applied_policy(enabled[rng.randrange(len(enabled))], "success"))
            if report_only:
                applied.append(wb.applied_policy(report_only[rng.randrange(len(report_only))],
                                                 rng.choice(("reportOnlySuccess", "reportOnlyFailure",
                                                             "reportOnlyNotApplied"))))
            os_, browser, compliant, trust = DEVICES[rng.randrange(len(DEVICES))]
            yield {
                "id": wb.uid("syn-signin", str(self.seed), str(i)),
                "createdDateTime": wb.iso(when.replace(microsecond=0)),
                "userDisplayName": u["displayName"], "userPrincipalName": u["userPrincipalName"], "userId": u["id"],
                "appId": app[0], "appDisplayName": app[1], "ipAddress": ip, "clientAppUsed": client,
                "conditionalAccessStatus": status, "riskLevelDuringSignIn": level,
                "riskState": "none" if level in ("none", "low") else "atRisk" if error[0] else "remediated",
                "resourceId": app[0],
                "status": {"errorCode": error[0], "failureReason": error[1]} if error[0] else {"errorCode": 0},
                "deviceDetail": {"operatingSystem": os_, "browser": browser, "isCompliant": compliant,
                                 "trustType": trust},
                "location": {"city": place[0], "countryOrRegion": place[1]},
                "appliedConditionalAccessPolicies": applied,
            }
