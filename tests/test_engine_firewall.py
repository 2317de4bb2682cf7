"""The Azure Firewall Policy rule book (issue #12): processing order, match spaces, any-any (ZT-NET-004),
broad egress (ZT-NET-005), shadowed and redundant rules (ZT-NET-006), on hand-made and Microsoft's payloads."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ztconsole.engine.network.firewall import (
    FirewallRuleBook,
    FlatPolicy,
    any_any_rules,
    broad_egress,
    covers,
    shadowed_rules,
)
from ztconsole.model.network import FirewallPolicy, IpGroup, RuleCollectionGroup
from ztconsole.model.wire import parse_items, parse_one, unwrap_collection, unwrap_single

SUB = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network"
PARENT = f"{SUB}/firewallPolicies/parent"
CHILD = f"{SUB}/firewallPolicies/child"


def policy(pid: str, base: str | None = None) -> FirewallPolicy:
    props: dict[str, Any] = {"ruleCollectionGroups": []}
    if base:
        props["basePolicy"] = {"id": base}
    return FirewallPolicy.from_wire({"id": pid, "name": pid.rsplit("/", 1)[1], "properties": props})


def net(name: str, src: Any = "*", dst: Any = "*", ports: Any = "*", protos: Any = "TCP", **extra: Any
        ) -> dict[str, Any]:
    def lst(v: Any) -> list[str]:
        return [v] if isinstance(v, str) else list(v)
    return {"ruleType": "NetworkRule", "name": name, "ipProtocols": lst(protos), "sourceAddresses": lst(src),
            "destinationAddresses": lst(dst), "destinationPorts": lst(ports), **extra}


def app(name: str, fqdns: Any = ("*",), src: str = "10.0.0.0/8", protocols: Any = (("Https", 443),),
        **extra: Any) -> dict[str, Any]:
    return {"ruleType": "ApplicationRule", "name": name, "sourceAddresses": [src], "targetFqdns": list(fqdns),
            "protocols": [{"protocolType": t, "port": p} for t, p in protocols], **extra}


def dnat(name: str, dst: str = "20.0.0.1", port: str = "443", to: str = "10.0.0.4", src: str = "*"
         ) -> dict[str, Any]:
    return {"ruleType": "NatRule", "name": name, "ipProtocols": ["TCP"], "sourceAddresses": [src],
            "destinationAddresses": [dst], "destinationPorts": [port], "translatedAddress": to,
            "translatedPort": port}


def coll(name: str, priority: int, action: str, *rules: dict[str, Any]) -> dict[str, Any]:
    kind = "FirewallPolicyNatRuleCollection" if action == "DNAT" else "FirewallPolicyFilterRuleCollection"
    return {"ruleCollectionType": kind, "name": name, "priority": priority, "action": {"type": action},
            "rules": list(rules)}


def group(pid: str, name: str, priority: int, *collections: dict[str, Any]) -> RuleCollectionGroup:
    return RuleCollectionGroup.from_wire({"id": f"{pid}/ruleCollectionGroups/{name}", "name": name,
                                          "properties": {"priority": priority,
                                                         "ruleCollections": list(collections)}})


def flatten(groups: dict[str, list[RuleCollectionGroup]], pid: str = CHILD, ip_groups: list[IpGroup] = (),
            **kw: Any) -> FlatPolicy:
    policies = [policy(PARENT), policy(CHILD, PARENT)]
    return FirewallRuleBook(policies, {k.lower(): v for k, v in groups.items()}, ip_groups, **kw).flatten(pid)


def names(flat: FlatPolicy) -> list[str]:
    return [r.name for r in flat.rules]


# --- processing order ---------------------------------------------------------------------------------


def test_dnat_then_network_then_application_parent_first_then_priorities() -> None:
    groups = {
        PARENT: [group(PARENT, "p-late", 500, coll("p-app", 100, "Allow", app("p-app1")),
                       coll("p-net", 200, "Allow", net("p-net1", ports="22")))],
        CHILD: [
            group(CHILD, "c-300", 300, coll("c-net-b", 200, "Allow", net("c-net3"), net("c-net4")),
                  coll("c-net-a", 100, "Deny", net("c-net2", ports="23"))),
            group(CHILD, "c-100", 100, coll("c-app", 100, "Allow", app("c-app1")),
                  coll("c-nat", 300, "DNAT", dnat("c-dnat1")), coll("c-net", 900, "Allow", net("c-net1"))),
        ],
    }
    flat = flatten(groups)
    assert names(flat) == ["c-dnat1",  # DNAT first whatever its group's and policy's place
                           "p-net1",  # parent network rules before the child's despite priority 500
                           "c-net1",  # child group 100 before group 300
                           "c-net2",  # in group 300: collection 100 (Deny) before collection 200
                           "c-net3", "c-net4",  # rules in listed order
                           "p-app1", "c-app1"]  # application rules last, parent first
    assert [r.position for r in flat.rules] == list(range(8))
    assert flat.chain == (PARENT, CHILD)
    by = {r.name: r for r in flat.rules}
    assert by["p-net1"].inherited and not by["c-net1"].inherited
    assert by["c-net3"].id == f"{CHILD}/ruleCollectionGroups/c-300/ruleCollections/c-net-b/rules/c-net3"
    assert by["c-dnat1"].action == "DNAT" and by["c-dnat1"].translation == "10.0.0.4:443"
    # the parent alone holds only its own rules
    assert names(flatten(groups, PARENT)) == ["p-net1", "p-app1"]


def test_a_missing_parent_is_a_note_not_an_error() -> None:
    book = FirewallRuleBook([policy(CHILD, PARENT)], {CHILD.lower(): [group(CHILD, "g", 100, coll(
        "c", 100, "Allow", net("r")))]})
    flat = book.flatten(CHILD)
    assert names(flat) == ["r"]
    assert any("parent policy" in n for n in flat.notes)


# --- ZT-NET-006 ----------------------------------------------------------------------------------------


def test_deny_above_allow_shadows_the_allow_and_names_the_covering_rule() -> None:
    groups = {CHILD: [group(CHILD, "g", 100,
                            coll("deny-mgmt", 100, "Deny", net("deny-rdp", src="*", dst="10.0.0.0/8",
                                                               ports="3000-4000")),
                            coll("allow", 200, "Allow", net("allow-rdp", src="192.168.1.0/24",
                                                            dst="10.1.2.3", ports="3380-3390")))]}
    flat = flatten(groups)
    [finding] = shadowed_rules(flat)
    assert finding.rule.name == "allow-rdp" and finding.covering.name == "deny-rdp"
    assert finding.kind == "shadowed"
    assert finding.covering.id in finding.reason and "denied" in finding.reason


def test_a_narrower_rule_above_is_not_a_cover_and_same_action_is_redundant() -> None:
    groups = {CHILD: [group(CHILD, "g", 100, coll("a", 100, "Allow",
                                                  net("narrow", dst="10.1.2.3", ports="3380-3390"),
                                                  net("wide", dst="10.0.0.0/8", ports="3000-4000"),
                                                  net("inside", dst="10.9.0.0/16", ports="3389")))]}
    [finding] = shadowed_rules(flatten(groups))
    assert (finding.rule.name, finding.covering.name, finding.kind) == ("inside", "wide", "redundant")


def test_partial_overlap_protocol_and_port_differences_are_not_covers() -> None:
    groups = {CHILD: [group(CHILD, "g", 100, coll("d", 100, "Deny",
                                                  net("tcp-only", ports="*", protos="TCP"),
                                                  net("half", dst="10.0.0.0/25", ports="*", protos="Any")),
                            coll("a", 200, "Allow",
                                 net("udp", dst="10.0.0.1", ports="53", protos="UDP"),
                                 net("any-proto", dst="10.0.0.200", ports="53", protos="Any"),
                                 net("tcp-udp", dst="10.0.0.1", ports="53", protos=["TCP", "UDP"])))]}
    found = {s.rule.name: s.covering.name for s in shadowed_rules(flatten(groups))}
    assert found == {"udp": "half", "tcp-udp": "half"}


def test_ip_groups_are_resolved_and_unknown_ones_stay_symbolic() -> None:
    ipg = IpGroup.from_wire({"id": f"{SUB}/ipGroups/spokes", "name": "spokes",
                             "properties": {"ipAddresses": ["10.1.0.0/16", "10.2.0.1-10.2.0.9"]}})
    empty = IpGroup.from_wire({"id": f"{SUB}/ipGroups/empty", "name": "empty", "properties": {"ipAddresses": []}})
    groups = {CHILD: [group(CHILD, "g", 100, coll("d", 100, "Deny",
                                                  net("by-group", src=[], sourceIpGroups=[f"{SUB}/IPGROUPS/SPOKES"],
                                                      ports="445"),
                                                  net("by-unknown", src=[], sourceIpGroups=[f"{SUB}/ipGroups/x"])),
                            coll("a", 200, "Allow",
                                 net("inside", src="10.2.0.5", ports="445"),
                                 net("unknown-too", src=[], sourceIpGroups=[f"{SUB}/ipGroups/X"]),
                                 net("skipped", src=[], sourceIpGroups=[f"{SUB}/ipGroups/empty"])))]}
    flat = flatten(groups, ip_groups=[ipg, empty])
    by = {r.name: r for r in flat.rules}
    assert by["by-group"].sources.covers(by["inside"].sources)
    assert by["skipped"].problem is not None and "no addresses" in by["skipped"].problem
    found = {s.rule.name: s.covering.name for s in shadowed_rules(flat)}
    assert found == {"inside": "by-group", "unknown-too": "by-unknown"}


def test_network_rules_cover_application_rules_only_with_any_destination() -> None:
    groups = {CHILD: [group(CHILD, "g", 100,
                            coll("n", 100, "Allow", net("web-to-one-ip", src="10.0.0.0/8", dst="20.1.1.1",
                                                        ports="443"),
                                 net("fqdn-net", src="10.0.0.0/8", dst=[], ports="443",
                                     destinationFqdns=["www.contoso.com"])),
                            coll("a", 200, "Allow", app("contoso", fqdns=["www.contoso.com"]),
                                 app("sap", fqdns=["*.sap.com"], terminateTLS=True)))],
              PARENT: [group(PARENT, "base", 100, coll("n", 100, "Allow",
                                                      net("https-anywhere", src="10.0.0.0/8", dst="*",
                                                          ports="443")))]}
    flat = flatten(groups)
    found = {s.rule.name: (s.covering.name, s.kind) for s in shadowed_rules(flat)}
    # the parent's network rule to * matches every packet the application rules could see
    assert found["contoso"] == ("https-anywhere", "redundant")
    assert found["sap"] == ("https-anywhere", "shadowed")  # its TLS inspection never applies
    # a network rule to one IP or to an FQDN is never claimed to cover an FQDN application rule
    by = {r.name: r for r in flat.rules}
    assert not covers(by["web-to-one-ip"], by["contoso"]) and not covers(by["fqdn-net"], by["contoso"])


def test_application_rules_cover_by_fqdn_wildcard_protocol_and_port() -> None:
    groups = {CHILD: [group(CHILD, "g", 100,
                            coll("deny", 100, "Deny", app("no-contoso", fqdns=["*.contoso.com"],
                                                          protocols=[("Https", 443), ("Http", 80)])),
                            coll("allow", 200, "Allow",
                                 app("www", fqdns=["www.contoso.com"]),
                                 app("deep", fqdns=["a.b.contoso.com"]),
                                 app("other-port", fqdns=["api.contoso.com"], protocols=[("Https", 8443)]),
                                 app("sql", fqdns=["db.contoso.com"], protocols=[("Mssql", 1433)])))]}
    found = {s.rule.name: s.covering.name for s in shadowed_rules(flatten(groups))}
    assert found == {"www": "no-contoso"}


def test_dnat_rules_shadow_by_translation() -> None:
    groups = {CHILD: [group(CHILD, "g", 100, coll("nat", 100, "DNAT",
                                                  dnat("web", to="10.0.0.4"), dnat("web-again", to="10.0.0.4"),
                                                  dnat("web-elsewhere", to="10.0.0.5")),
                            coll("n", 200, "Deny", net("deny-inbound", src="*", dst="20.0.0.1", ports="443")))]}
    found = {s.rule.name: (s.covering.name, s.kind) for s in shadowed_rules(flatten(groups))}
    assert found == {"web-again": ("web", "redundant"), "web-elsewhere": ("web", "shadowed"),
                     "deny-inbound": ("web", "shadowed")}


# --- ZT-NET-004 and ZT-NET-005 --------------------------------------------------------------------------


def test_any_any_and_broad_egress() -> None:
    groups = {CHILD: [group(CHILD, "g", 100,
                            coll("a", 100, "Allow", net("any-any", src="*", dst="*", ports="*", protos="Any"),
                                 net("all-v4", src="0.0.0.0/0", dst="0.0.0.0/0", ports="0-65535"),
                                 net("dns-out", src="10.0.0.0/8", dst="*", ports="53", protos="UDP"),
                                 net("to-internet", src="10.0.0.0/8", dst="Internet", ports="443"),
                                 net("narrow", src="10.0.0.0/8", dst="10.1.0.0/16", ports="*")),
                            coll("d", 50, "Deny", net("deny-all", src="*", dst="*", ports="*")),
                            coll("web", 300, "Allow", app("all-web", fqdns=["*"]), app("ok", fqdns=["a.b.com"])))]}
    flat = flatten(groups)
    assert [r.name for r in any_any_rules(flat)] == ["any-any", "all-v4"]
    assert [e.rule.name for e in broad_egress(flat)] == ["any-any", "all-v4", "dns-out", "to-internet", "all-web"]


# --- Microsoft's payloads ------------------------------------------------------------------------------


def test_the_realworld_firewall_payloads_parse_and_analyse(realworld: Path) -> None:
    folder = realworld / "network"
    groups: list[RuleCollectionGroup] = []
    for name in ("FirewallPolicyRuleCollectionGroupGet.json", "FirewallPolicyNatRuleCollectionGroupGet.json",
                 "FirewallPolicyRuleCollectionGroupWithIpGroupsGet.json",
                 "FirewallPolicyRuleCollectionGroupWithHttpHeadersToInsert.json"):
        groups.append(parse_one(RuleCollectionGroup, unwrap_single(json.loads((folder / name).read_text()))))
    for name in ("FirewallPolicyRuleCollectionGroupList.json",
                 "FirewallPolicyRuleCollectionGroupWithWebCategoriesList.json"):
        items, base = unwrap_collection(json.loads((folder / name).read_text()))
        got, errors = parse_items(RuleCollectionGroup, items, base)
        assert errors == []
        groups.extend(got)
    body = json.loads((folder / "IpGroupsListBySubscription.json").read_text())
    items, base = unwrap_collection(body)
    ip_groups, _ = parse_items(IpGroup, items, base)
    pol = parse_one(FirewallPolicy, unwrap_single(json.loads((folder / "FirewallPolicyGet.json").read_text())))
    book = FirewallRuleBook([pol], {pol.id: groups}, ip_groups)
    flat = book.flatten(pol.id)
    assert len(flat.rules) >= len(groups)
    kinds = [r.kind for r in flat.rules]
    assert kinds == sorted(kinds, key=["dnat", "network", "application"].index)
    for r in flat.rules:
        assert r.id.startswith(r.group_id + "/ruleCollections/")
    shadowed_rules(flat)
    any_any_rules(flat)
    broad_egress(flat)


# --- the index gives the pairwise answer ---------------------------------------------------------------


def naive(flat: FlatPolicy) -> list[tuple[str, str]]:
    out = []
    for j, b in enumerate(flat.rules):
        for a in flat.rules[:j]:
            if covers(a, b):
                out.append((b.name, a.name))
                break
    return out


def random_groups(seed: int, n: int) -> dict[str, list[RuleCollectionGroup]]:
    rnd = random.Random(seed)

    def addr() -> list[str]:
        return [rnd.choice(["*", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "10.1.2.1-10.1.2.9",
                            "Storage", "0.0.0.0/0", "2001:db8::/32"]) for _ in range(rnd.randint(1, 2))]

    def one(i: int) -> dict[str, Any]:
        roll = rnd.random()
        if roll < 0.6:
            return net(f"n{i}", src=addr(), dst=addr(), ports=rnd.choice(["*", "22", "3380-3390", "3000-4000",
                                                                          "53", "80,443"]),
                       protos=rnd.choice(["TCP", "UDP", "Any", "ICMP", ["TCP", "UDP"]]))
        if roll < 0.9:
            return app(f"a{i}", fqdns=[rnd.choice(["*", "*.contoso.com", "www.contoso.com", "x.org"])],
                       src=rnd.choice(["10.0.0.0/8", "10.1.2.3", "*"]),
                       protocols=rnd.choice([[("Https", 443)], [("Http", 80), ("Https", 443)]]))
        return dnat(f"d{i}", to=rnd.choice(["10.0.0.4", "10.0.0.5"]), port=rnd.choice(["443", "80"]),
                    src=rnd.choice(["*", "1.2.3.0/24"]))

    rules = [one(i) for i in range(n)]
    nat = [r for r in rules if r["ruleType"] == "NatRule"]
    filt = [r for r in rules if r["ruleType"] != "NatRule"]
    colls = [coll(f"c{k}", 100 + k, rnd.choice(["Allow", "Deny"]),
                  *[r for r in filt[k::4] if (r["ruleType"] == "NetworkRule") == (k % 2 == 0)])
             for k in range(4)]
    colls.append(coll("nat", 50, "DNAT", *nat))
    half = len(colls) // 2
    return {PARENT: [group(PARENT, "p", 300, *colls[:half])], CHILD: [group(CHILD, "c", 100, *colls[half:])]}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 60))
def test_the_indexed_analysis_equals_the_pairwise_comparison(seed: int, n: int) -> None:
    flat = flatten(random_groups(seed, n))
    assert [(s.rule.name, s.covering.name) for s in shadowed_rules(flat)] == naive(flat)
