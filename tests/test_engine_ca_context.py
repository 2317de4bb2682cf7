"""The evaluator context (ztconsole.engine.ca.context.Context.from_tenant) built in one pass over the users:
each user's facts as the plain constructor makes them, emergency access accounts by id or UPN, roles held
directly or through a group, eligible roles, groups from the tenant's membership (nesting followed, a
recorded transitiveMemberOf first)."""

from __future__ import annotations

import dataclasses

import pytest

from tenants import make_tenant, member, uid
from ztconsole.engine.ca.context import Context, UserFacts, _user_facts
from ztconsole.model.directory import DirectoryObject
from ztconsole.model.tenant import DataSetResult, Tenant

ANN, BOB, GUS, BG = uid(1), uid(2), uid(3), uid(4)
G_ADMINS, G_OUTER, G_RECORDED = uid(101), uid(102), uid(103)
GA, SEC, READER = uid(201), uid(202), uid(203)


def test_user_facts_made_in_bulk_equal_the_constructor() -> None:
    """``_user_facts`` skips the frozen dataclass's ``__init__``: it must set every field, as the constructor
    would for a directory user who is not an emergency access account."""
    args = dict(id=ANN, user_principal_name="ann@contoso.com", display_name="Ann", user_type="Member",
                groups=frozenset({G_ADMINS}), roles={GA: None}, eligible_roles=frozenset({SEC}),
                external_type="b2bCollaborationMember", external_basis="userType Member, authenticates elsewhere")
    made = _user_facts(ANN, "ann@contoso.com", "Ann", "Member", frozenset({G_ADMINS}), {GA: None},
                       frozenset({SEC}), "b2bCollaborationMember", "userType Member, authenticates elsewhere")
    want = UserFacts(**args)  # type: ignore[arg-type]
    assert made == want and hash(made) == hash(want) and repr(made) == repr(want)
    assert set(vars(made)) == {f.name for f in dataclasses.fields(UserFacts)}
    assert made.label == want.label and not made.break_glass and made.in_directory and made.home_tenant is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.id = BOB  # type: ignore[misc]


def test_from_tenant_in_one_pass() -> None:
    tenant = make_tenant(
        users=[{"id": ANN, "userPrincipalName": "Ann@Contoso.com", "displayName": "Ann", "userType": "Member"},
               {"id": BOB, "userPrincipalName": "bob@contoso.com", "userType": "Member"},
               {"id": GUS, "userPrincipalName": "gus_x.com#EXT#@contoso.onmicrosoft.com", "userType": "Guest"},
               {"id": BG, "userPrincipalName": "bg-01@contoso.onmicrosoft.com", "userType": "Member"}],
        groups=[{"id": G_ADMINS, "displayName": "Admins"}, {"id": G_OUTER, "displayName": "Outer"},
                {"id": G_RECORDED, "displayName": "Recorded"}],
        members={G_ADMINS: [member(ANN)], G_OUTER: [member(G_ADMINS, "group"), member(BOB)]},
        roles=[{"id": GA, "templateId": GA, "displayName": "Global Administrator"},
               {"id": SEC, "templateId": SEC, "displayName": "Security Administrator"},
               {"id": READER, "templateId": READER, "displayName": "Reader"}],
        assignments=[{"id": "a1", "principalId": G_ADMINS, "roleDefinitionId": GA, "directoryScopeId": "/"},
                     {"id": "a2", "principalId": BOB, "roleDefinitionId": READER, "directoryScopeId": "/"},
                     {"id": "a3", "principalId": GUS, "roleDefinitionId": SEC, "directoryScopeId": "/au/1"}],
        eligibility=[{"id": "e1", "principalId": G_OUTER, "roleDefinitionId": SEC, "directoryScopeId": "/"},
                     {"id": "e2", "principalId": BOB, "roleDefinitionId": READER, "directoryScopeId": "/"}],
        break_glass=("BG-01@contoso.onmicrosoft.com",))
    # Gus's recorded transitiveMemberOf wins over the members (he is in none of the recorded groups)
    results = dict(tenant.results)
    results["user_member_of"] = DataSetResult("user_member_of", "ok", {
        GUS: (DirectoryObject.from_wire(member(G_RECORDED, "group")),)})
    tenant = Tenant(tenant.info, results)
    ctx = Context.from_tenant(tenant, break_glass=(BOB,))
    ann, bob, gus, bg = (ctx.users[u] for u in (ANN, BOB, GUS, BG))
    assert ann.groups == {G_ADMINS, G_OUTER} and dict(ann.roles) == {GA: G_ADMINS}
    assert ann.eligible_roles == {SEC}  # through Outer, nested
    assert bob.groups == {G_OUTER} and dict(bob.roles) == {READER: None} and bob.eligible_roles == {SEC}
    assert gus.groups == {G_RECORDED} and dict(gus.roles) == {} and gus.external_type == "b2bCollaborationGuest"
    assert [u.id for u in ctx.users.values() if u.break_glass] == [BOB, BG]  # extra by id; tenant.toml by UPN
    assert ctx.find_user("ann@contoso.com") is ann and ctx.users_by_upn["bg-01@contoso.onmicrosoft.com"] == BG
    assert ctx.direct_groups[ANN] == {G_ADMINS} and ctx.group_parents[G_ADMINS] == {G_OUTER}
    assert ctx.membership_path(ANN, G_OUTER) == (G_ADMINS,)
    # the same facts as the plain constructor gives
    assert ann == UserFacts(id=ANN, user_principal_name="Ann@Contoso.com", display_name="Ann", user_type="Member",
                            groups=frozenset({G_ADMINS, G_OUTER}), roles=ann.roles, eligible_roles=frozenset({SEC}))
    assert bg == UserFacts(id=BG, user_principal_name="bg-01@contoso.onmicrosoft.com", user_type="Member",
                           break_glass=True)
