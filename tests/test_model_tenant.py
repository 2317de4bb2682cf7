"""The Tenant aggregate: one typed property per data set of the catalogue, of the data set's shape and model
class, so the engine is checked against the model (mypy) instead of reaching into ``Any``; group membership
(nested groups, cycles, the recorded transitiveMemberOf first) worked out for every member at once."""

from __future__ import annotations

import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ztconsole.model.tenant as tenant_module
from ztconsole.datasets import DATASETS
from ztconsole.model.directory import DirectoryObject
from ztconsole.model.tenant import DataSetResult, Tenant, TenantInfo


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_every_data_set_has_a_property_of_its_shape_and_class(ds) -> None:
    prop = Tenant.__dict__.get(ds.key)
    assert prop is not None, f"Tenant has no property for {ds.key}"
    kind = {(False, "collection"): "_Items", (False, "singleton"): "_Single",
            (True, "collection"): "_Children", (True, "singleton"): "_Each"}[(ds.per_item, ds.shape)]
    assert type(prop).__name__ == kind and prop.key == ds.key
    assert Tenant.__annotations__[ds.key] == f"{kind}[{ds.model_class().__name__}]"


def test_the_annotations_resolve_to_the_catalogue_classes() -> None:
    """What mypy sees: the TYPE_CHECKING imports name the classes the catalogue builds."""
    namespace = dict(vars(tenant_module))
    for ds in DATASETS:
        module, _, name = ds.model.partition(":")
        namespace[name] = ds.model_class()
    hints = typing.get_type_hints(Tenant, globalns=namespace)
    for ds in DATASETS:
        assert typing.get_args(hints[ds.key]) == (ds.model_class(),), ds.key


def test_an_unread_data_set_is_the_empty_value_of_its_shape() -> None:
    t = Tenant(TenantInfo(id="t", display_name="T"), {"users": DataSetResult("users", "failed", None)})
    assert t.users == () and t.group_members == {} and t.cae_policy is None and t.app_connector_group == {}
    with pytest.raises(AttributeError):
        t.no_such_data_set  # type: ignore[attr-defined]  # noqa: B018 - the lookup is what raises


# --- group membership (CONTRACTS §1: nesting followed; a recorded transitiveMemberOf takes precedence) -----------

G = [f"00000000-0000-4000-8000-0000000001{i:02d}" for i in range(12)]
U = [f"00000000-0000-4000-8000-0000000002{i:02d}" for i in range(8)]


def _member(oid: str, kind: str = "user") -> DirectoryObject:
    return DirectoryObject.from_wire({"@odata.type": f"#microsoft.graph.{kind}", "id": oid})


def membership_tenant(members: dict[str, list[tuple[str, str]]],
                      recorded: dict[str, list[tuple[str, str]]] | None = None) -> Tenant:
    """A tenant whose group_members (and user_member_of, when given) hold these (id, kind) entries."""
    results = {"group_members": DataSetResult("group_members", "ok", {
        g: tuple(_member(oid, kind) for oid, kind in ms) for g, ms in members.items()})}
    if recorded is not None:
        results["user_member_of"] = DataSetResult("user_member_of", "ok", {
            u: tuple(_member(oid, kind) for oid, kind in ms) for u, ms in recorded.items()})
    return Tenant(TenantInfo(id="t", display_name="T"), results)


def naive_ancestors(members: dict[str, list[tuple[str, str]]], group: str) -> set[str]:
    """Every group reachable from ``group`` through one or more "is a member of" links: a walk, no memo."""
    parents: dict[str, set[str]] = {}
    for g, ms in members.items():
        for oid, kind in ms:
            if kind == "group":
                parents.setdefault(oid, set()).add(g)
    seen: set[str] = set()
    todo = list(parents.get(group, ()))
    while todo:
        g = todo.pop()
        if g not in seen:
            seen.add(g)
            todo.extend(parents.get(g, ()))
    return seen


def naive_groups(members: dict[str, list[tuple[str, str]]], recorded: dict[str, list[tuple[str, str]]] | None,
                 who: str) -> set[str]:
    if recorded and who in recorded:
        return {oid for oid, kind in recorded[who] if kind == "group"}
    direct = {g for g, ms in members.items() if (who, "user") in ms or (who, "servicePrincipal") in ms}
    return direct.union(*(naive_ancestors(members, g) for g in direct))


def test_nested_groups_cycles_and_the_recorded_reading() -> None:
    # U0 in G0; G0 in G1; G1 in G2; G2 in G1 (a cycle); G3 in itself; U1 in G3 and G4; G4 top-level;
    # U2 has a recorded transitiveMemberOf (G4 only) that wins over its recorded membership of G0;
    # U3 has an empty recorded reading; U4 is in G4 only; a service principal in G0 is a member too
    members = {
        G[0]: [(U[0], "user"), (U[2], "user"), ("sp-1", "servicePrincipal")],
        G[1]: [(G[0], "group"), (G[2], "group")],
        G[2]: [(G[1], "group")],
        G[3]: [(G[3], "group"), (U[1], "user")],
        G[4]: [(U[1], "user"), (U[3], "user"), (U[4], "user")],
    }
    recorded = {U[2]: [(G[4], "group"), ("role-1", "directoryRole")], U[3]: []}
    t = membership_tenant(members, recorded)
    assert t.group_parents == {G[0]: {G[1]}, G[2]: {G[1]}, G[1]: {G[2]}, G[3]: {G[3]}}
    assert t.direct_groups == {U[0]: {G[0]}, U[2]: {G[0]}, "sp-1": {G[0]}, U[1]: {G[3], G[4]}, U[3]: {G[4]},
                               U[4]: {G[4]}}
    assert t.group_ancestors(G[0]) == {G[1], G[2]}
    assert t.group_ancestors(G[1]) == t.group_ancestors(G[2]) == {G[1], G[2]}  # in a cycle: itself too
    assert t.group_ancestors(G[3]) == {G[3]} and t.group_ancestors(G[4]) == frozenset()
    assert t.transitive_groups(U[0]) == {G[0], G[1], G[2]}
    assert t.transitive_groups("sp-1") == {G[0], G[1], G[2]}
    assert t.transitive_groups(U[1]) == {G[3], G[4]}
    assert t.transitive_groups(U[2]) == {G[4]}  # the recorded reading, not the members
    assert t.transitive_groups(U[3]) == frozenset()
    assert t.transitive_groups("nobody") == frozenset()
    everyone = t.transitive_memberships
    assert set(everyone) == {U[0], U[1], U[2], U[3], U[4], "sp-1"}
    assert all(everyone[m] == t.transitive_groups(m) for m in everyone)
    # a member of no nested group shares its direct set (no copy per user)
    assert everyone[U[4]] is t.direct_groups[U[4]] and everyone[U[4]] == {G[4]}


def test_membership_without_recorded_readings_or_members() -> None:
    t = membership_tenant({})
    assert t.transitive_memberships == {} and t.transitive_groups(U[0]) == frozenset()
    assert t.group_parents == {} and t.group_ancestors(G[0]) == frozenset()


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.sampled_from(G), st.lists(st.one_of(st.tuples(st.sampled_from(G), st.just("group")),
                                                                st.tuples(st.sampled_from(U), st.just("user"))),
                                                      max_size=6, unique=True), max_size=len(G)),
       st.none() | st.dictionaries(st.sampled_from(U), st.lists(st.tuples(st.sampled_from(G), st.just("group")),
                                                                max_size=3, unique=True), max_size=3))
def test_membership_matches_a_plain_walk(members: dict[str, list[tuple[str, str]]],
                                         recorded: dict[str, list[tuple[str, str]]] | None) -> None:
    """Random group graphs (cycles, self-membership, chains, diamonds) against a walk from each group."""
    t = membership_tenant(members, recorded)
    for g in G:
        assert t.group_ancestors(g) == naive_ancestors(members, g), g
    everyone = t.transitive_memberships
    for u in U:
        want = naive_groups(members, recorded, u)
        assert t.transitive_groups(u) == want, u
        assert everyone.get(u, frozenset()) == want, u
