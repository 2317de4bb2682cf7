"""Exact set algebra for firewall rules (issue #12): addresses, ports, protocols, compared with brute force."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ztconsole.engine.network.sets import (
    V6_OFFSET,
    AddressSet,
    IntervalSet,
    PortSet,
    ProtocolSet,
)

# --- ports an admin writes ------------------------------------------------------------------------------


def test_a_port_range_is_covered_by_a_wider_range() -> None:
    assert PortSet.parse("3000-4000").covers(PortSet.parse("3380-3390"))
    assert not PortSet.parse("3380-3390").covers(PortSet.parse("3000-4000"))
    assert not PortSet.parse("3385-4000").covers(PortSet.parse("3380-3390"))


def test_star_lists_and_single_ports() -> None:
    assert PortSet.parse("*").is_any and PortSet.parse("0-65535").is_any
    ps = PortSet.parse(["80", "443", "8080-8090"])
    assert 443 in ps and 8085 in ps and 444 not in ps
    assert ps.size() == 13
    assert PortSet.parse("80,443") == PortSet.parse(["443", "80"])
    assert str(PortSet.parse(["22", "3380-3390"])) == "22,3380-3390"
    assert PortSet.parse(["1-100"]) - PortSet.parse("50") == PortSet.parse(["1-49", "51-100"])


@pytest.mark.parametrize("bad", ["http", "70000", "90-80", "-1", "", "1-2-3"])
def test_a_bad_port_names_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match=repr(bad).replace("-", r"\-") if bad else "port"):
        PortSet.parse(bad)


def test_protocols_any_is_more_than_tcp_udp_icmp() -> None:
    assert ProtocolSet.parse("Any").is_any
    assert not ProtocolSet.parse(["TCP", "UDP", "ICMP"]).covers(ProtocolSet.parse("Any"))
    assert ProtocolSet.parse("any").covers(ProtocolSet.parse(["udp"]))
    with pytest.raises(ValueError, match="'GRE'"):
        ProtocolSet.parse("GRE")


# --- addresses ------------------------------------------------------------------------------------------


def test_cidrs_single_addresses_and_ranges() -> None:
    net = AddressSet.parse("10.0.0.0/24")
    assert net.covers(AddressSet.parse("10.0.0.1-10.0.0.9"))
    assert net.covers(AddressSet.parse("10.0.0.255"))
    assert not net.covers(AddressSet.parse("10.0.0.250-10.0.1.1"))
    assert net.size() == 256
    assert AddressSet.parse("10.0.0.0-10.0.0.255") == net
    assert str(AddressSet.parse(["10.0.0.0/25", "10.0.0.128/25"])) == "10.0.0.0/24"
    assert AddressSet.parse("10.1.2.3/16") == AddressSet.parse("10.1.0.0/16")  # host bits ignored


def test_star_is_every_ipv4_and_ipv6_address_and_0_0_0_0_slash_0_only_ipv4() -> None:
    star = AddressSet.parse("*")
    assert star.is_any and star.all_ipv4
    v4 = AddressSet.parse("0.0.0.0/0")
    assert v4.all_ipv4 and not v4.is_any
    assert star.covers(AddressSet.parse("2001:db8::/32"))
    assert not v4.covers(AddressSet.parse("2001:db8::1"))
    assert AddressSet.parse("2001:db8::/126").size() == 4
    assert AddressSet.parse("::1").first_point() == V6_OFFSET + 1


def test_named_sets_are_symbolic_unless_resolved() -> None:
    storage = AddressSet.parse("Storage")
    assert storage.has_name("storage") and storage.size() == 0
    assert AddressSet.parse("STORAGE").covers(storage)  # the identical name, any case
    assert AddressSet.parse("*").covers(storage)  # the whole address space
    assert not AddressSet.parse("0.0.0.0/0").covers(storage)  # IPv4 only: the tag may hold IPv6
    assert not AddressSet.parse(["Sql"]).covers(storage)
    assert not storage.covers(AddressSet.parse("10.0.0.1"))
    # a name is kept in an intersection only where it is certainly in both sides
    assert (storage & AddressSet.parse("10.0.0.0/8")).is_empty()
    assert (storage & AddressSet.parse("*")) == storage
    # difference drops the name when the other side holds it or is everything
    assert (storage - AddressSet.parse("Storage")).is_empty()
    assert (AddressSet.parse("*") - AddressSet.parse("10.0.0.0/8")).covers(storage) is False
    resolved = AddressSet.parse(["Storage", "10.9.0.1"], lambda n: AddressSet.parse("20.0.0.0/8")
                                if n.casefold() == "storage" else None)
    assert resolved == AddressSet.parse(["20.0.0.0/8", "10.9.0.1"])


@pytest.mark.parametrize("bad", ["10.0.0.300", "10.0.0.9-10.0.0.1", "10.0.0.0/33", "1.2.3.4-::1", "a b", "%"])
def test_a_bad_address_names_the_value(bad: str) -> None:
    with pytest.raises(ValueError) as e:
        AddressSet.parse(["10.0.0.0/8", bad])
    assert repr(bad) in str(e.value)


# --- properties against brute force on small universes ---------------------------------------------------

UNIVERSE = 40
intervals = st.lists(st.tuples(st.integers(0, UNIVERSE), st.integers(0, UNIVERSE)), max_size=6)


def brute(pairs: list[tuple[int, int]]) -> set[int]:
    return {x for lo, hi in pairs for x in range(lo, hi + 1)}


def members(s: IntervalSet) -> set[int]:
    return brute(list(s.pairs()))


@settings(max_examples=300, deadline=None)
@given(intervals, intervals, st.integers(-1, UNIVERSE + 1))
def test_interval_algebra_matches_brute_force(a: list[tuple[int, int]], b: list[tuple[int, int]],
                                              point: int) -> None:
    sa, sb = IntervalSet(a), IntervalSet(b)
    ba, bb = brute(a), brute(b)
    assert members(sa) == ba
    assert members(sa.union(sb)) == ba | bb
    assert members(sa.intersection(sb)) == ba & bb
    assert members(sa.difference(sb)) == ba - bb
    assert sa.issubset(sb) == (ba <= bb)
    assert sa.isdisjoint(sb) == ba.isdisjoint(bb)
    assert sa.size() == len(ba)
    assert (point in sa) == (point in ba)
    # normal form: sorted, disjoint, not adjacent, so equal sets are equal objects
    assert all(e + 1 < s for e, s in zip(sa.ends, sa.starts[1:]))
    assert IntervalSet(sorted(ba and [(x, x) for x in ba])) == sa


ports = st.lists(st.one_of(st.integers(0, 30).map(str),
                           st.tuples(st.integers(0, 30), st.integers(0, 30)).map(
                               lambda t: f"{min(t)}-{max(t)}")), max_size=5)


@settings(max_examples=200, deadline=None)
@given(ports, ports)
def test_port_sets_match_brute_force(a: list[str], b: list[str]) -> None:
    def expand(vals: list[str]) -> set[int]:
        out: set[int] = set()
        for v in vals:
            lo, _, hi = v.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
        return out

    pa, pb = PortSet.parse(a), PortSet.parse(b)
    ea, eb = expand(a), expand(b)
    assert pa.covers(pb) == (eb <= ea)
    assert set(x for x in range(32) if x in (pa | pb)) == ea | eb
    assert set(x for x in range(32) if x in (pa & pb)) == ea & eb
    assert set(x for x in range(32) if x in (pa - pb)) == ea - eb


hosts = st.integers(0, 15).map(lambda i: f"10.0.0.{i}")
addr_tokens = st.lists(st.one_of(
    hosts,
    st.tuples(st.integers(0, 15), st.integers(0, 15)).map(lambda t: f"10.0.0.{min(t)}-10.0.0.{max(t)}"),
    st.sampled_from(["10.0.0.0/30", "10.0.0.4/30", "10.0.0.8/29", "Storage", "Sql"]),
), max_size=4)


@settings(max_examples=200, deadline=None)
@given(addr_tokens, addr_tokens)
def test_address_sets_match_brute_force_with_names_as_atoms(a: list[str], b: list[str]) -> None:
    """On a small universe with names as opaque atoms (never *), every operation is exact."""
    def expand(vals: list[str]) -> set[str]:
        out: set[str] = set()
        for v in vals:
            if v[0].isalpha():
                out.add(v.casefold())
            elif "/" in v:
                base, bits = v.rsplit(".", 1)[1].split("/")
                out.update(f"10.0.0.{i}" for i in range(int(base), int(base) + 2 ** (32 - int(bits))))
            elif "-" in v:
                lo, hi = (int(x.rsplit(".", 1)[1]) for x in v.split("-"))
                out.update(f"10.0.0.{i}" for i in range(lo, hi + 1))
            else:
                out.add(v)
        return out

    def back(s: AddressSet) -> set[str]:
        out = set(s.names)
        for lo, hi in s.ivs.pairs():
            out.update(f"10.0.0.{i - 0x0A000000}" for i in range(lo, hi + 1))
        return out

    sa, sb = AddressSet.parse(a), AddressSet.parse(b)
    ea, eb = expand(a), expand(b)
    assert back(sa) == ea
    assert sa.covers(sb) == (eb <= ea)
    assert back(sa | sb) == ea | eb
    assert back(sa & sb) == ea & eb
    assert back(sa - sb) == ea - eb
