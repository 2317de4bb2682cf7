"""The ``Tenant`` aggregate: every data set of one tenant, with the indexes the engine needs.

Pure: built by a loader (tenant directory, emulator, live adapters) from model objects. Indexes are
computed on first use, so loading stays as fast as parsing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from ztconsole.datasets import BY_KEY

if TYPE_CHECKING:  # the model classes are named, not imported, until a data set is read (start-up)
    from ztconsole.model.access import (
        Application,
        ApplicationSegment,
        AppRoleAssignment,
        ConditionalAccessSettings,
        Connector,
        ConnectorGroup,
        ForwardingProfile,
        NetworkAccessTraffic,
        ServicePrincipal,
    )
    from ztconsole.model.ca import (
        AuthenticationStrengthPolicy,
        ConditionalAccessPolicy,
        ContinuousAccessEvaluationPolicy,
        NamedLocation,
    )
    from ztconsole.model.directory import (
        AuthenticationMethod,
        DeviceCompliancePolicy,
        DirectoryObject,
        Group,
        Organization,
        RoleAssignment,
        RoleDefinition,
        RoleEligibilitySchedule,
        SignIn,
        SubscribedSku,
        User,
        UserRegistrationDetails,
    )
    from ztconsole.model.network import (
        ApplicationGateway,
        AzureFirewall,
        DdosProtectionPlan,
        DiagnosticSetting,
        FirewallPolicy,
        FlowLog,
        IpGroup,
        NetworkSecurityGroup,
        NetworkWatcher,
        ResourceGroup,
        RouteTable,
        RuleCollectionGroup,
        VirtualNetwork,
        VirtualNetworkGateway,
        WafPolicy,
    )

_T = TypeVar("_T")

Status = Literal["ok", "partial", "missing", "failed", "loading", "throttled", "forbidden"]

#: The statuses a recording keeps for a data set it did not read completely (``[datasets]`` of
#: tenant.toml, CONTRACTS §1). A missing singleton is not among them: its absent file says so already.
RECORDED_STATUSES: tuple[str, ...] = ("partial", "forbidden", "throttled", "failed")

#: How bad a status is, for combining two of them (ok and missing are complete reads).
_RANK: dict[str, int] = {"ok": 0, "missing": 0, "loading": 0, "partial": 1, "throttled": 2, "forbidden": 2,
                         "failed": 2}

#: Issues kept per data set and kind (errors, notes); the rest are counted (see :class:`IssueLog`).
MAX_ISSUES = 1_000


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """What ``tenant.toml`` (or the live tenant's organization object and config) says of the tenant."""

    id: str
    display_name: str
    default_domain: str = ""
    subscriptions: tuple[str, ...] = ()
    captured_at: datetime | None = None
    source: str = "demo"
    break_glass: tuple[str, ...] = ()
    # ``(data set key, status, message)`` of each data set the recording did not read completely
    # (tenant.toml ``[datasets]``): reading it back must say so, never ``ok``
    recorded: tuple[tuple[str, Status, str], ...] = ()

    def recorded_status(self, key: str) -> tuple[Status, str] | None:
        """``(status, message)`` recorded for data set ``key``, or None when it was read completely."""
        for k, status, message in self.recorded:
            if k == key:
                return status, message
        return None


@dataclass(frozen=True, slots=True)
class LoadIssue:
    """One problem met while loading: a file (or URL) and the JSON path inside it."""

    file: str
    path: str
    message: str
    severity: Literal["error", "note"] = "error"

    def __str__(self) -> str:
        where = f"{self.file} {self.path}" if self.path and self.path != "$" else self.file
        return f"{where}: {self.message}"


@dataclass(slots=True)
class DataSetResult:
    """The outcome of reading one data set.

    ``value`` is a tuple of items (collections), one object or None (singletons), or for item-scoped data
    sets a dict from the parent's key to that (Graph: object id; ARM: the lower-cased resource id).
    ``status``: ok; partial (some items or files could not be read; what could is kept); missing (a
    singleton that is not readable); failed (nothing could be read).

    A refresh (a load given the last one's tenant) says how it got the data set in ``refresh``: ``""`` (not a
    refresh), ``"delta"`` (only what changed was read and merged into what was held: a Graph delta round,
    or the sign-ins newer than the newest held), ``"whole"`` (read whole again), ``"resync"`` (read whole
    because the service no longer knew the delta token) or ``"kept"`` (the read failed: what was held is
    kept, ``partial``, and the message says why, see :func:`keep_previous`). ``changed`` is False when the
    value is the last load's own object (every item unchanged, kept by identity) and the status is the
    same; a load that is not a refresh sets it.
    """

    key: str
    status: Status
    value: Any
    count: int = 0
    issues: list[LoadIssue] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    refresh: str = ""
    changed: bool = True

    @property
    def errors(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == "error"]


class IssueLog(list[LoadIssue]):
    """A data set's issues as they are met, bounded: the first ``cap`` errors and ``cap`` notes are kept,
    the rest only counted, so a file of two million malformed items costs two counters, not two million
    objects. ``error_count``/``note_count`` are the true totals (status messages use them); ``close()``
    gives the list a :class:`DataSetResult` keeps, with one "... and N more" issue per kind that
    overflowed."""

    def __init__(self, cap: int = MAX_ISSUES):
        super().__init__()
        self.cap = cap
        self.error_count = 0
        self.note_count = 0
        self.first_error: LoadIssue | None = None
        self._dropped: dict[str, tuple[int, str]] = {}  # severity -> (count, file of the first dropped)

    def room(self, severity: str = "error") -> bool:
        """Whether an issue of this kind would still be kept (callers skip building one that would not)."""
        return (self.error_count if severity == "error" else self.note_count) < self.cap

    def drop(self, file: str, severity: str = "error", count: int = 1) -> None:
        """Count ``count`` issues of ``file`` that are not kept."""
        if severity == "error":
            self.error_count += count
        else:
            self.note_count += count
        dropped, first = self._dropped.get(severity, (0, file))
        self._dropped[severity] = (dropped + count, first)

    def append(self, issue: LoadIssue) -> None:
        if not self.room(issue.severity):
            self.drop(issue.file, issue.severity)
            return
        if issue.severity == "error":
            self.error_count += 1
            if self.first_error is None:
                self.first_error = issue
        else:
            self.note_count += 1
        super().append(issue)

    def extend(self, issues: Iterable[LoadIssue]) -> None:
        for issue in issues:
            self.append(issue)

    def close(self) -> list[LoadIssue]:
        out = list(self)
        for severity, (count, first) in self._dropped.items():
            what = "problem(s)" if severity == "error" else "note(s)"
            out.append(LoadIssue(first, "", f"... and {count:,} more {what} not listed", severity))  # type: ignore[arg-type]
        return out


def apply_recorded(result: DataSetResult, status: Status, message: str, *, label: str = "recorded as"
                   ) -> DataSetResult:
    """Give a fresh read of a recording the status the recording was made with (``[datasets]``).

    What a recording holds of a data set it did not read completely looks complete (an absent file is
    "none", a partial file a shorter list), so a fresh read that is complete (``ok``, or ``missing``
    for an absent singleton) takes the recorded status and message, exactly as the recorded read said.
    A fresh read that is itself incomplete keeps its own account and mentions the recorded one; the
    status is the worse of the two. Both readers of recordings (the tenant directory reader and the
    loader) use this one rule. Returns a new result (``result`` itself when nothing changes).
    """
    if _RANK.get(result.status, 2) == 0:
        return replace(result, status=status, message=message)
    if (result.status, result.message) == (status, message):
        return result
    worse = status if _RANK.get(status, 2) > _RANK.get(result.status, 2) else result.status
    return replace(result, status=worse, message=f"{result.message} ({label} {status}: {message})")


#: The start of the issue (and message) of a data set whose refresh failed and whose last value is kept.
NOT_REFRESHED = "not refreshed"


def keep_previous(previous: DataSetResult, why: str) -> DataSetResult:
    """The last load's result of a data set kept because its refresh failed (``why``: the cause, one line):
    ``partial``, never ``ok`` (it may be stale), with the same value (the same objects) and an issue and a
    message that say so. A data set that held nothing is not kept: the failure itself is the answer."""
    issues = [i for i in previous.issues if not i.message.startswith(NOT_REFRESHED)]
    label = BY_KEY[previous.key].label if previous.key in BY_KEY else previous.key
    issues.append(LoadIssue(label, "", f"{NOT_REFRESHED}: {why}"))
    return DataSetResult(previous.key, "partial", previous.value, previous.count, issues,
                         f"{NOT_REFRESHED} ({why}); kept the {previous.count:,} item(s) read before",
                         refresh="kept")


def holds_items(result: DataSetResult | None) -> bool:
    """Whether a result holds anything (an item, an object, a parent's items)."""
    return result is not None and result.value is not None and (not isinstance(result.value, (tuple, dict))
                                                                 or len(result.value) > 0)


def arm_key(resource_id: str) -> str:
    """The case-insensitive key of an ARM resource id: lower case, one leading slash, no trailing slash."""
    return "/" + resource_id.strip("/").lower()


class _DataSetValue(Generic[_T]):
    """A typed view of one data set's value on :class:`Tenant` (``tenant.users``): what it holds when read,
    and an empty value of its shape when it was not (see :meth:`Tenant.get`)."""

    __slots__ = ("key",)

    def __init__(self, key: str):
        if key not in BY_KEY:
            raise KeyError(f"unknown data set {key!r}")
        self.key = key


class _Items(_DataSetValue[_T]):
    """A collection: its items, in the order read."""

    @overload
    def __get__(self, tenant: None, owner: type) -> _Items[_T]: ...
    @overload
    def __get__(self, tenant: Tenant, owner: type) -> tuple[_T, ...]: ...
    def __get__(self, tenant: Tenant | None, owner: type) -> tuple[_T, ...] | _Items[_T]:
        return self if tenant is None else tenant.get(self.key)


class _Single(_DataSetValue[_T]):
    """A singleton: the object, or None when not readable."""

    @overload
    def __get__(self, tenant: None, owner: type) -> _Single[_T]: ...
    @overload
    def __get__(self, tenant: Tenant, owner: type) -> _T | None: ...
    def __get__(self, tenant: Tenant | None, owner: type) -> _T | None | _Single[_T]:
        return self if tenant is None else tenant.get(self.key)


class _Children(_DataSetValue[_T]):
    """An item-scoped collection: parent key (Graph object id, lower-cased ARM resource id) -> items."""

    @overload
    def __get__(self, tenant: None, owner: type) -> _Children[_T]: ...
    @overload
    def __get__(self, tenant: Tenant, owner: type) -> Mapping[str, tuple[_T, ...]]: ...
    def __get__(self, tenant: Tenant | None, owner: type) -> Mapping[str, tuple[_T, ...]] | _Children[_T]:
        return self if tenant is None else tenant.get(self.key)


class _Each(_DataSetValue[_T]):
    """An item-scoped singleton: parent key -> the object."""

    @overload
    def __get__(self, tenant: None, owner: type) -> _Each[_T]: ...
    @overload
    def __get__(self, tenant: Tenant, owner: type) -> Mapping[str, _T]: ...
    def __get__(self, tenant: Tenant | None, owner: type) -> Mapping[str, _T] | _Each[_T]:
        return self if tenant is None else tenant.get(self.key)


class Tenant:
    """All data sets of one tenant: ``tenant.<key>`` is a data set's value, typed (one property per data set
    of the catalogue, :mod:`ztconsole.datasets`), with the indexes the engine needs.

    A data set that was not read gives the empty value of its shape; whether it was read completely is
    ``results[key].status`` (see :mod:`ztconsole.model.completeness`).
    """

    ca_policies: _Items[ConditionalAccessPolicy] = _Items("ca_policies")
    named_locations: _Items[NamedLocation] = _Items("named_locations")
    auth_strengths: _Items[AuthenticationStrengthPolicy] = _Items("auth_strengths")
    cae_policy: _Single[ContinuousAccessEvaluationPolicy] = _Single("cae_policy")
    organization: _Items[Organization] = _Items("organization")
    users: _Items[User] = _Items("users")
    groups: _Items[Group] = _Items("groups")
    group_members: _Children[DirectoryObject] = _Children("group_members")
    user_member_of: _Children[DirectoryObject] = _Children("user_member_of")
    role_definitions: _Items[RoleDefinition] = _Items("role_definitions")
    role_assignments: _Items[RoleAssignment] = _Items("role_assignments")
    role_eligibility: _Items[RoleEligibilitySchedule] = _Items("role_eligibility")
    auth_methods: _Children[AuthenticationMethod] = _Children("auth_methods")
    registration_details: _Items[UserRegistrationDetails] = _Items("registration_details")
    service_principals: _Items[ServicePrincipal] = _Items("service_principals")
    app_role_assignments: _Children[AppRoleAssignment] = _Children("app_role_assignments")
    sign_ins: _Items[SignIn] = _Items("sign_ins")
    device_compliance: _Items[DeviceCompliancePolicy] = _Items("device_compliance")
    subscribed_skus: _Items[SubscribedSku] = _Items("subscribed_skus")
    applications: _Items[Application] = _Items("applications")
    app_segments: _Children[ApplicationSegment] = _Children("app_segments")
    app_connector_group: _Each[ConnectorGroup] = _Each("app_connector_group")
    connector_groups: _Items[ConnectorGroup] = _Items("connector_groups")
    connector_group_members: _Children[Connector] = _Children("connector_group_members")
    connectors: _Items[Connector] = _Items("connectors")
    forwarding_profiles: _Items[ForwardingProfile] = _Items("forwarding_profiles")
    gsa_ca_settings: _Single[ConditionalAccessSettings] = _Single("gsa_ca_settings")
    traffic_logs: _Items[NetworkAccessTraffic] = _Items("traffic_logs")
    resource_groups: _Items[ResourceGroup] = _Items("resource_groups")
    firewalls: _Items[AzureFirewall] = _Items("firewalls")
    firewall_policies: _Items[FirewallPolicy] = _Items("firewall_policies")
    rule_collection_groups: _Children[RuleCollectionGroup] = _Children("rule_collection_groups")
    ip_groups: _Items[IpGroup] = _Items("ip_groups")
    nsgs: _Items[NetworkSecurityGroup] = _Items("nsgs")
    route_tables: _Items[RouteTable] = _Items("route_tables")
    virtual_networks: _Items[VirtualNetwork] = _Items("virtual_networks")
    vnet_gateways: _Children[VirtualNetworkGateway] = _Children("vnet_gateways")
    ddos_plans: _Items[DdosProtectionPlan] = _Items("ddos_plans")
    app_gateways: _Items[ApplicationGateway] = _Items("app_gateways")
    waf_policies: _Items[WafPolicy] = _Items("waf_policies")
    network_watchers: _Items[NetworkWatcher] = _Items("network_watchers")
    flow_logs: _Children[FlowLog] = _Children("flow_logs")
    firewall_diagnostics: _Children[DiagnosticSetting] = _Children("firewall_diagnostics")
    entra_diagnostics: _Items[DiagnosticSetting] = _Items("entra_diagnostics")

    def __init__(self, info: TenantInfo, results: dict[str, DataSetResult]):
        self.info = info
        self.results = results

    # --- raw access ------------------------------------------------------------------------------
    def get(self, key: str) -> Any:
        """Data set ``key``'s value, by name (for code that walks the catalogue; else the typed properties)."""
        if key not in BY_KEY:
            raise KeyError(f"unknown data set {key!r}")
        res = self.results.get(key)
        ds = BY_KEY[key]
        if res is None or res.value is None:
            if ds.per_item:
                return {}
            return None if ds.shape == "singleton" else ()
        return res.value

    def children(self, key: str, parent_id: str) -> Any:
        """An item-scoped data set's value under one parent (Graph object id or ARM resource id)."""
        ds = BY_KEY[key]
        value = self.get(key)
        pk = arm_key(parent_id) if ds.api == "arm" else parent_id
        default: Any = None if ds.shape == "singleton" else ()
        return value.get(pk, default)

    def status(self, key: str) -> Status:
        res = self.results.get(key)
        return res.status if res is not None else "missing"

    @property
    def changed(self) -> frozenset[str]:
        """The data sets whose value or status differs from the load this one refreshed (every data set
        read, after a load that is not a refresh)."""
        return frozenset(k for k, r in self.results.items() if r.changed)

    @property
    def issues(self) -> list[LoadIssue]:
        return [i for r in self.results.values() for i in r.issues]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tenant):
            return NotImplemented
        keys = set(self.results) | set(other.results)
        return self.info == other.info and all(
            _canonical(self.get(k)) == _canonical(other.get(k)) for k in keys
        )

    __hash__ = None  # type: ignore[assignment]

    # --- indexes ---------------------------------------------------------------------------------
    @cached_property
    def users_by_id(self) -> dict[str, Any]:
        return {u.id: u for u in self.users}

    @cached_property
    def users_by_upn(self) -> dict[str, Any]:
        return {u.user_principal_name.lower(): u for u in self.users if u.user_principal_name}

    def find_user(self, ref: str) -> Any:
        """A user by object id or UPN (case-insensitive), or None."""
        return self.users_by_id.get(ref) or self.users_by_upn.get(ref.lower())

    @cached_property
    def groups_by_id(self) -> dict[str, Any]:
        return {g.id: g for g in self.groups}

    @cached_property
    def service_principals_by_id(self) -> dict[str, Any]:
        return {sp.id: sp for sp in self.service_principals}

    @cached_property
    def service_principals_by_app_id(self) -> dict[str, Any]:
        return {sp.app_id: sp for sp in self.service_principals if sp.app_id}

    @cached_property
    def applications_by_id(self) -> dict[str, Any]:
        return {a.id: a for a in self.applications}

    @cached_property
    def named_locations_by_id(self) -> dict[str, Any]:
        return {n.id: n for n in self.named_locations}

    @cached_property
    def ca_policies_by_id(self) -> dict[str, Any]:
        return {p.id: p for p in self.ca_policies}

    @cached_property
    def role_definitions_by_id(self) -> dict[str, Any]:
        """Role definitions by id and by template id (the ids CA policies and assignments use)."""
        out: dict[str, Any] = {}
        for r in self.role_definitions:
            out[r.id] = r
            if r.template_id:
                out.setdefault(r.template_id, r)
        return out

    # --- group membership: the recorded members read once, every group's ancestors in one pass ------------
    @cached_property
    def _membership(self) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
        """(group id -> the groups it is a direct member of, other member id -> the groups holding it
        directly), from one pass over the group_members data set."""
        parents: defaultdict[str, list[str]] = defaultdict(list)
        direct: defaultdict[str, list[str]] = defaultdict(list)
        for gid, members in self.group_members.items():
            ids = [m.id for m in members if not _is_group(m)]
            if len(ids) < len(members):
                for m in members:
                    if _is_group(m):
                        parents[m.id].append(gid)
            for member in ids:
                direct[member].append(gid)
        return ({k: frozenset(v) for k, v in parents.items()}, {k: frozenset(v) for k, v in direct.items()})

    @property
    def group_parents(self) -> Mapping[str, frozenset[str]]:
        """Group id -> ids of the groups it is a direct member of (from the group_members data set)."""
        return self._membership[0]

    @property
    def direct_groups(self) -> Mapping[str, frozenset[str]]:
        """Member (user, service principal, device) id -> ids of the groups holding it directly."""
        return self._membership[1]

    @cached_property
    def _ancestors(self) -> dict[str, frozenset[str]]:
        """Group id -> every group containing it, directly or through nesting, for each group that is in
        one: :func:`_ancestor_sets` over the whole group graph at once."""
        return _ancestor_sets(self.group_parents)

    def group_ancestors(self, group_id: str) -> frozenset[str]:
        """Every group that contains ``group_id``, directly or through nesting (cycle-safe: a group in a
        cycle contains itself)."""
        return self._ancestors.get(group_id, _NO_GROUPS)

    def _derived_groups(self, direct: frozenset[str]) -> frozenset[str]:
        """The groups held directly and every group containing one of them (``direct`` itself, shared, when
        none of them is nested in another group)."""
        ancestors = self._ancestors
        if ancestors.keys().isdisjoint(direct):
            return direct
        return direct.union(*[ancestors[g] for g in direct if g in ancestors])

    def transitive_groups(self, member_id: str) -> frozenset[str]:
        """The ids of every group a user (or service principal) belongs to, nested groups followed.

        Uses the recorded ``transitiveMemberOf`` where present (CONTRACTS §1), else derives it from the
        recorded group members.
        """
        recorded = self.user_member_of.get(member_id) if self.user_member_of else None
        if recorded is not None:
            return frozenset(m.id for m in recorded if _is_group(m))
        return self._derived_groups(self.direct_groups.get(member_id, _NO_GROUPS))

    @cached_property
    def transitive_memberships(self) -> Mapping[str, frozenset[str]]:
        """:meth:`transitive_groups` of every member at once: member id -> its groups, for each member that
        the recorded members or a recorded ``transitiveMemberOf`` name (anyone else is in no group). One
        pass: every group's ancestors are worked out once, and a member of no nested group shares its
        direct set."""
        nested = self._ancestors.keys()
        out = {member: direct if nested.isdisjoint(direct) else self._derived_groups(direct)
               for member, direct in self.direct_groups.items()}
        for member, recorded in self.user_member_of.items():  # the recorded reading takes precedence
            out[member] = frozenset(m.id for m in recorded if _is_group(m))
        return out

    @cached_property
    def active_roles_by_principal(self) -> dict[str, set[str]]:
        """Principal id -> role definition ids held as active assignments (directory-wide or scoped)."""
        out: dict[str, set[str]] = {}
        for a in self.role_assignments:
            if a.principal_id and a.role_definition_id:
                out.setdefault(a.principal_id, set()).add(a.role_definition_id)
        return out

    @cached_property
    def eligible_roles_by_principal(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for e in self.role_eligibility:
            if e.principal_id and e.role_definition_id:
                out.setdefault(e.principal_id, set()).add(e.role_definition_id)
        return out

    def break_glass_users(self, extra: Iterable[str] = ()) -> list[Any]:
        """The declared emergency access accounts that exist (tenant.toml plus ``extra`` from config)."""
        found = []
        seen: set[str] = set()
        for ref in (*self.info.break_glass, *extra):
            u = self.find_user(ref)
            if u is not None and u.id not in seen:
                seen.add(u.id)
                found.append(u)
        return found


_NO_GROUPS: frozenset[str] = frozenset()


def _is_group(obj: Any) -> bool:
    return (getattr(obj, "odata_type", None) or "").endswith("group")


def _ancestor_sets(parents: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """Group id -> the groups reachable from it through one or more parent links, for every group with a
    parent; linear in the graph plus the sets written. The groups are taken in strongly connected
    components (Tarjan's algorithm, iterative), which come out in reverse topological order: every
    component above a group is done before it, so a component's set is its parents' sets joined, once, and
    shared by its members. A component with a cycle (or a group in itself) contains its own members."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: dict[str, frozenset[str]] = {}
    for root in parents:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, Iterator[str]]] = [(root, iter(parents.get(root, ())))]
        while work:
            node, todo = work[-1]
            for p in todo:
                if p not in index:
                    index[p] = low[p] = len(index)
                    stack.append(p)
                    on_stack.add(p)
                    work.append((p, iter(parents.get(p, ()))))
                    break
                if p in on_stack and index[p] < low[node]:
                    low[node] = index[p]
            else:
                work.pop()
                if work and low[node] < low[work[-1][0]]:
                    low[work[-1][0]] = low[node]
                if low[node] != index[node]:
                    continue
                component: list[str] = []
                while True:
                    g = stack.pop()
                    on_stack.discard(g)
                    component.append(g)
                    if g == node:
                        break
                members = frozenset(component)
                cyclic = len(component) > 1
                reach: set[str] = set()
                for g in component:
                    for p in parents.get(g, ()):
                        if p in members:
                            cyclic = True
                        else:
                            reach.add(p)
                            reach |= out.get(p, _NO_GROUPS)
                if cyclic:
                    reach |= members
                if reach:
                    shared = frozenset(reach)
                    for g in component:
                        out[g] = shared
    return out


def _canonical(value: Any) -> Any:
    """A comparable form of a data set's value (item order does not matter for equality)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return sorted(repr(x) for x in value)
    return repr(value) if value is not None else None
