"""Exact set algebra for firewall and NSG rules: address sets, port sets, protocol sets.

Every set is a sorted tuple of disjoint, non-adjacent, inclusive integer intervals (:class:`IntervalSet`),
so union, intersection, difference and containment are linear merges and a point lookup is a bisect.

Addresses (:class:`AddressSet`) live on one integer line: IPv4 ``a.b.c.d`` is ``0 .. 2**32 - 1`` and IPv6
is shifted above it (``2**32 + address``), so one interval set holds both families. ``*`` (and ``Any``) is
every IPv4 and IPv6 address; ``0.0.0.0/0`` is every IPv4 address only.

Named sets (service tags such as ``Storage`` or ``Sql.WestEurope``, IP groups the caller could not resolve)
are resolved by the caller where it can (:meth:`AddressSet.parse` takes a resolver). A name left unresolved
stays *symbolic*, with one clear rule: a symbolic set is covered only by a set holding the identical name
(case-insensitively) or by the whole address space (``*``). It is never assumed to overlap, or to be
disjoint from, any concrete prefix: :meth:`AddressSet.covers` only says "yes" when that is certain, and
:meth:`AddressSet.intersection` keeps a name only where it is certainly inside both sides.

``Internet`` and ``VirtualNetwork`` are NSG service tags whose addresses depend on the deployment
(``VirtualNetwork`` is the virtual network's address space plus peered and connected on-premises space;
``Internet`` is the public address space outside it). They are kept symbolic like any other name unless the
caller resolves them; the firewall analysis treats a destination naming ``Internet`` as internet egress.

Ports (:class:`PortSet`) are ``0 .. 65535``; ``"*"``, ``"80"``, ``"3380-3390"`` and lists of them parse.
Protocols (:class:`ProtocolSet`) are ``TCP``, ``UDP``, ``ICMP`` and ``OTHER`` (every other IP protocol);
``Any`` is all four, so ``TCP`` + ``UDP`` + ``ICMP`` does not cover ``Any``.

Malformed input raises :class:`ValueError` naming the value.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Final

__all__ = [
    "IntervalSet",
    "AddressSet",
    "PortSet",
    "ProtocolSet",
    "V4_SIZE",
    "V6_OFFSET",
    "ADDRESS_MAX",
    "PORT_MAX",
    "PROTOCOLS",
]

V4_SIZE: Final = 1 << 32
V6_OFFSET: Final = V4_SIZE
ADDRESS_MAX: Final = V6_OFFSET + (1 << 128) - 1
PORT_MAX: Final = 65535
#: the protocol universe: ``Any`` is all of these
PROTOCOLS: Final = ("TCP", "UDP", "ICMP", "OTHER")


class IntervalSet:
    """A set of integers as sorted, disjoint, non-adjacent inclusive intervals (immutable)."""

    __slots__ = ("starts", "ends")

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __init__(self, pairs: Iterable[tuple[int, int]] = ()) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for lo, hi in sorted(p for p in pairs if p[0] <= p[1]):
            if ends and lo <= ends[-1] + 1:
                if hi > ends[-1]:
                    ends[-1] = hi
            else:
                starts.append(lo)
                ends.append(hi)
        self.starts = tuple(starts)
        self.ends = tuple(ends)

    @classmethod
    def _raw(cls, starts: list[int], ends: list[int]) -> IntervalSet:
        """Build from lists already normalised (sorted, disjoint, non-adjacent)."""
        out = cls.__new__(cls)
        out.starts = tuple(starts)
        out.ends = tuple(ends)
        return out

    def pairs(self) -> Iterator[tuple[int, int]]:
        return zip(self.starts, self.ends)

    def __bool__(self) -> bool:
        return bool(self.starts)

    def __len__(self) -> int:
        """The number of intervals (not of members: see :meth:`size`)."""
        return len(self.starts)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, IntervalSet) and self.starts == other.starts
                and self.ends == other.ends)

    def __hash__(self) -> int:
        return hash((self.starts, self.ends))

    def __repr__(self) -> str:
        return f"IntervalSet({list(self.pairs())!r})"

    def size(self) -> int:
        return sum(e - s + 1 for s, e in self.pairs())

    def __contains__(self, point: int) -> bool:
        i = bisect_right(self.starts, point) - 1
        return i >= 0 and point <= self.ends[i]

    def contains_interval(self, lo: int, hi: int) -> bool:
        i = bisect_right(self.starts, lo) - 1
        return i >= 0 and hi <= self.ends[i]

    def union(self, other: IntervalSet) -> IntervalSet:
        if not other.starts:
            return self
        if not self.starts:
            return other
        return IntervalSet((*self.pairs(), *other.pairs()))

    def intersection(self, other: IntervalSet) -> IntervalSet:
        a_s, a_e, b_s, b_e = self.starts, self.ends, other.starts, other.ends
        i = j = 0
        starts: list[int] = []
        ends: list[int] = []
        while i < len(a_s) and j < len(b_s):
            lo = a_s[i] if a_s[i] > b_s[j] else b_s[j]
            hi = a_e[i] if a_e[i] < b_e[j] else b_e[j]
            if lo <= hi:
                starts.append(lo)
                ends.append(hi)
            if a_e[i] < b_e[j]:
                i += 1
            else:
                j += 1
        return IntervalSet._raw(starts, ends)

    def difference(self, other: IntervalSet) -> IntervalSet:
        b_s, b_e = other.starts, other.ends
        starts: list[int] = []
        ends: list[int] = []
        j = 0
        for lo, hi in self.pairs():
            while j < len(b_s) and b_e[j] < lo:
                j += 1
            k = j
            cur = lo
            while k < len(b_s) and b_s[k] <= hi:
                if b_s[k] > cur:
                    starts.append(cur)
                    ends.append(b_s[k] - 1)
                cur = max(cur, b_e[k] + 1)
                if cur > hi:
                    break
                k += 1
            if cur <= hi:
                starts.append(cur)
                ends.append(hi)
        return IntervalSet._raw(starts, ends)

    def issubset(self, other: IntervalSet) -> bool:
        o_s, o_e = other.starts, other.ends
        for lo, hi in self.pairs():
            i = bisect_right(o_s, lo) - 1
            if i < 0 or hi > o_e[i]:
                return False
        return True

    def isdisjoint(self, other: IntervalSet) -> bool:
        return not self.intersection(other)


_EMPTY: Final = IntervalSet()


# --- addresses ---------------------------------------------------------------------------------------

_V4_ALL: Final = IntervalSet([(0, V4_SIZE - 1)])
_V6_ALL: Final = IntervalSet([(V6_OFFSET, ADDRESS_MAX)])
_ALL: Final = IntervalSet([(0, ADDRESS_MAX)])
_ANY_WORDS: Final = frozenset({"*", "any"})


def _v4_int(text: str) -> int | None:
    """A dotted-quad IPv4 address as ``ipaddress`` reads it (decimal octets up to 255, no leading zero),
    without its objects; None for anything else (left to ``ipaddress``, which says what is wrong)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    out = 0
    for p in parts:
        if not (p.isascii() and p.isdigit()) or len(p) > 3 or (len(p) > 1 and p[0] == "0"):
            return None
        octet = int(p)
        if octet > 255:
            return None
        out = (out << 8) | octet
    return out


def _ip_int(text: str) -> int:
    fast = _v4_int(text)
    if fast is not None:
        return fast
    ip = ipaddress.ip_address(text)
    return int(ip) if ip.version == 4 else V6_OFFSET + int(ip)


@lru_cache(maxsize=65536)
def _parse_token(token: str) -> tuple[IntervalSet, str | None]:
    """One address token -> (intervals, symbolic name or None). Raises ValueError naming the token."""
    text = token.strip()
    if not text:
        raise ValueError(f"empty address value {token!r}")
    if text.lower() in _ANY_WORDS:
        return _ALL, None
    head = text[0]
    if head.isdigit() or ":" in text:
        try:
            if "/" in text:
                addr, _, bits = text.partition("/")
                fast = _v4_int(addr)
                if fast is not None and "/" not in bits and bits.isascii() and bits.isdigit() and int(bits) <= 32:
                    size = 1 << (32 - int(bits))
                    lo = fast & ~(size - 1)  # strict=False: the network of the address
                    return IntervalSet([(lo, lo + size - 1)]), None
                net = ipaddress.ip_network(text, strict=False)
                base = 0 if net.version == 4 else V6_OFFSET
                lo = base + int(net.network_address)
                return IntervalSet([(lo, lo + net.num_addresses - 1)]), None
            if "-" in text:
                a, b = (p.strip() for p in text.split("-", 1))
                lo_ip, hi_ip = ipaddress.ip_address(a), ipaddress.ip_address(b)
                if lo_ip.version != hi_ip.version or int(lo_ip) > int(hi_ip):
                    raise ValueError("bad range")
                return IntervalSet([(_ip_int(a), _ip_int(b))]), None
            point = _ip_int(text)
            return IntervalSet([(point, point)]), None
        except ValueError:
            raise ValueError(f"not an IP address, CIDR prefix or range: {token!r}") from None
    if all(c.isalnum() or c in "._-" for c in text) and head.isalpha():
        return _EMPTY, text
    raise ValueError(f"not an IP address, prefix, range or service tag: {token!r}")


class AddressSet:
    """IPv4 and IPv6 addresses (exact intervals) plus symbolic named sets (see the module docstring)."""

    __slots__ = ("ivs", "names", "_display")

    ivs: IntervalSet
    #: case-folded symbolic names
    names: frozenset[str]
    _display: tuple[str, ...]

    def __init__(self, ivs: IntervalSet = _EMPTY, names: Iterable[str] = ()) -> None:
        self.ivs = ivs
        shown = sorted(set(names), key=str.casefold)
        self.names = frozenset(n.casefold() for n in shown)
        self._display = tuple(shown)

    # -- constructors --
    @classmethod
    def empty(cls) -> AddressSet:
        return cls()

    @classmethod
    def any(cls) -> AddressSet:
        """Every IPv4 and IPv6 address (``*``)."""
        return cls(_ALL)

    @classmethod
    def named(cls, name: str) -> AddressSet:
        """A symbolic set: covered only by itself (same name, any case) or by :meth:`any`."""
        return cls(_EMPTY, (name,))

    @classmethod
    def parse(cls, values: Iterable[str] | str,
              resolve: Callable[[str], AddressSet | None] | None = None) -> AddressSet:
        """Addresses, CIDRs, ranges (``10.0.0.1-10.0.0.9``), ``*``/``Any`` and names (service tags).

        ``resolve(name)`` may turn a name into a concrete set; a name it returns None for stays symbolic.
        Raises :class:`ValueError` naming the first malformed value.
        """
        if isinstance(values, str):
            values = (values,)
        pairs: list[tuple[int, int]] = []
        names: list[str] = []
        extra: list[AddressSet] = []
        for v in values:
            ivs, name = _parse_token(v)
            if name is None:
                pairs.extend(ivs.pairs())
                continue
            resolved = resolve(name) if resolve is not None else None
            if resolved is None:
                names.append(name)
            else:
                extra.append(resolved)
        out = cls(IntervalSet(pairs), names)
        for e in extra:
            out = out | e
        return out

    # -- predicates --
    @property
    def is_any(self) -> bool:
        """Every IPv4 and IPv6 address."""
        return self.ivs.contains_interval(0, ADDRESS_MAX)

    @property
    def all_ipv4(self) -> bool:
        """Every IPv4 address (``0.0.0.0/0`` or ``*``)."""
        return self.ivs.contains_interval(0, V4_SIZE - 1)

    @property
    def display_names(self) -> tuple[str, ...]:
        return self._display

    def is_empty(self) -> bool:
        return not self.ivs and not self.names

    def __bool__(self) -> bool:
        return not self.is_empty()

    def has_name(self, name: str) -> bool:
        return name.casefold() in self.names

    def size(self) -> int:
        """How many concrete addresses (symbolic names count 0)."""
        return self.ivs.size()

    def ipv4(self) -> IntervalSet:
        return self.ivs.intersection(_V4_ALL)

    def ipv6(self) -> IntervalSet:
        return self.ivs.intersection(_V6_ALL)

    # -- algebra --
    def union(self, other: AddressSet) -> AddressSet:
        return AddressSet(self.ivs.union(other.ivs), (*self._display, *other._display))

    def intersection(self, other: AddressSet) -> AddressSet:
        """Exact on addresses; a name is kept only where it is certainly in both sides."""
        names = [n for n in self._display if n.casefold() in other.names or other.is_any]
        names += [n for n in other._display if self.is_any and n.casefold() not in self.names]
        return AddressSet(self.ivs.intersection(other.ivs), names)

    def difference(self, other: AddressSet) -> AddressSet:
        """Exact on addresses; a name of ``self`` is dropped when ``other`` holds it or is ``*``."""
        keep = [] if other.is_any else [n for n in self._display if n.casefold() not in other.names]
        return AddressSet(self.ivs.difference(other.ivs), keep)

    def covers(self, other: AddressSet) -> bool:
        """True when every address of ``other`` is certainly in ``self``."""
        if not other.ivs.issubset(self.ivs):
            return False
        return not other.names or other.names <= self.names or self.is_any

    def issubset(self, other: AddressSet) -> bool:
        return other.covers(self)

    __or__ = union
    __and__ = intersection
    __sub__ = difference

    def __le__(self, other: AddressSet) -> bool:
        return other.covers(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AddressSet) and self.ivs == other.ivs and self.names == other.names

    def __hash__(self) -> int:
        return hash((self.ivs, self.names))

    def first_point(self) -> int | None:
        return self.ivs.starts[0] if self.ivs else None

    def cidrs(self) -> list[str]:
        """The addresses as the fewest CIDR prefixes (what an NSG rule's address prefixes can hold)."""
        out: list[str] = []
        for lo, hi in self.ivs.pairs():
            if hi < V4_SIZE:
                nets = ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))
                out.extend(str(n) for n in nets)
            elif lo >= V6_OFFSET:
                nets6 = ipaddress.summarize_address_range(ipaddress.IPv6Address(lo - V6_OFFSET),
                                                          ipaddress.IPv6Address(hi - V6_OFFSET))
                out.extend(str(n) for n in nets6)
            else:
                out.extend(AddressSet(IntervalSet([(lo, V4_SIZE - 1)])).cidrs())
                out.extend(AddressSet(IntervalSet([(V6_OFFSET, hi)])).cidrs())
        return out

    def __str__(self) -> str:
        if self.is_any:
            return "*"
        parts = [_show_range(lo, hi) for lo, hi in self.ivs.pairs()]
        return ", ".join([*parts, *self._display]) or "(none)"

    def __repr__(self) -> str:
        return f"AddressSet({str(self)!r})"


def _show_range(lo: int, hi: int) -> str:
    if hi < V4_SIZE:
        a, b = ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)
    elif lo >= V6_OFFSET:
        a6, b6 = ipaddress.IPv6Address(lo - V6_OFFSET), ipaddress.IPv6Address(hi - V6_OFFSET)
        nets6 = list(ipaddress.summarize_address_range(a6, b6))
        return str(nets6[0]) if len(nets6) == 1 else f"{a6}-{b6}"
    else:
        return f"{ipaddress.IPv4Address(lo)}-{ipaddress.IPv6Address(hi - V6_OFFSET)}"
    nets = list(ipaddress.summarize_address_range(a, b))
    if len(nets) == 1:
        return str(nets[0]) if nets[0].prefixlen != 32 else str(a)
    return f"{a}-{b}"


# --- ports ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _parse_port(token: str) -> tuple[int, int]:
    text = token.strip()
    if text in ("*", "Any", "any"):
        return 0, PORT_MAX
    lo_s, sep, hi_s = text.partition("-")
    try:
        lo = int(lo_s.strip())
        hi = int(hi_s.strip()) if sep else lo
    except ValueError:
        raise ValueError(f"not a port or port range: {token!r}") from None
    if not (0 <= lo <= hi <= PORT_MAX):
        raise ValueError(f"port out of range 0-65535 or reversed: {token!r}")
    return lo, hi


class PortSet:
    """Ports ``0 .. 65535`` as intervals."""

    __slots__ = ("ivs",)

    ivs: IntervalSet

    def __init__(self, ivs: IntervalSet = _EMPTY) -> None:
        self.ivs = ivs

    @classmethod
    def any(cls) -> PortSet:
        return cls(_PORTS_ALL)

    @classmethod
    def empty(cls) -> PortSet:
        return cls()

    @classmethod
    def parse(cls, values: Iterable[str | int] | str | int) -> PortSet:
        """``"*"``, ``"80"``, ``"3380-3390"``, ``"80,443"`` or a list of them; ValueError names a bad value."""
        if isinstance(values, (str, int)):
            values = (values,)
        pairs: list[tuple[int, int]] = []
        for v in values:
            if isinstance(v, int):
                if not 0 <= v <= PORT_MAX:
                    raise ValueError(f"port out of range 0-65535: {v!r}")
                pairs.append((v, v))
                continue
            for part in v.split(","):
                pairs.append(_parse_port(part))
        return cls(IntervalSet(pairs))

    @property
    def is_any(self) -> bool:
        return self.ivs.contains_interval(0, PORT_MAX)

    def size(self) -> int:
        return self.ivs.size()

    def __bool__(self) -> bool:
        return bool(self.ivs)

    def __contains__(self, port: int) -> bool:
        return port in self.ivs

    def union(self, other: PortSet) -> PortSet:
        return PortSet(self.ivs.union(other.ivs))

    def intersection(self, other: PortSet) -> PortSet:
        return PortSet(self.ivs.intersection(other.ivs))

    def difference(self, other: PortSet) -> PortSet:
        return PortSet(self.ivs.difference(other.ivs))

    def covers(self, other: PortSet) -> bool:
        return other.ivs.issubset(self.ivs)

    def issubset(self, other: PortSet) -> bool:
        return self.ivs.issubset(other.ivs)

    __or__ = union
    __and__ = intersection
    __sub__ = difference

    def __le__(self, other: PortSet) -> bool:
        return self.issubset(other)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortSet) and self.ivs == other.ivs

    def __hash__(self) -> int:
        return hash(self.ivs)

    def __str__(self) -> str:
        if self.is_any:
            return "*"
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ivs.pairs()) or "(none)"

    def __repr__(self) -> str:
        return f"PortSet({str(self)!r})"


_PORTS_ALL: Final = IntervalSet([(0, PORT_MAX)])


# --- protocols -----------------------------------------------------------------------------------------


class ProtocolSet:
    """A subset of :data:`PROTOCOLS`; ``Any`` is all of them."""

    __slots__ = ("members",)

    members: frozenset[str]

    def __init__(self, members: Iterable[str] = ()) -> None:
        m = frozenset(members)
        bad = m - set(PROTOCOLS)
        if bad:
            raise ValueError(f"unknown protocol: {sorted(bad)[0]!r}")
        self.members = m

    @classmethod
    def any(cls) -> ProtocolSet:
        return cls(PROTOCOLS)

    @classmethod
    def parse(cls, values: Iterable[str] | str) -> ProtocolSet:
        """``TCP``, ``UDP``, ``ICMP``, ``Any`` (any case); ValueError names an unknown value."""
        if isinstance(values, str):
            values = (values,)
        out: set[str] = set()
        for v in values:
            key = v.strip().upper()
            if key in ("ANY", "*"):
                out.update(PROTOCOLS)
            elif key in ("TCP", "UDP", "ICMP"):
                out.add(key)
            else:
                raise ValueError(f"unknown protocol: {v!r}")
        return cls(out)

    @property
    def is_any(self) -> bool:
        return len(self.members) == len(PROTOCOLS)

    def __bool__(self) -> bool:
        return bool(self.members)

    def __contains__(self, proto: str) -> bool:
        return proto.upper() in self.members

    def __iter__(self) -> Iterator[str]:
        return iter(p for p in PROTOCOLS if p in self.members)

    def size(self) -> int:
        return len(self.members)

    def union(self, other: ProtocolSet) -> ProtocolSet:
        return ProtocolSet(self.members | other.members)

    def intersection(self, other: ProtocolSet) -> ProtocolSet:
        return ProtocolSet(self.members & other.members)

    def difference(self, other: ProtocolSet) -> ProtocolSet:
        return ProtocolSet(self.members - other.members)

    def covers(self, other: ProtocolSet) -> bool:
        return other.members <= self.members

    def issubset(self, other: ProtocolSet) -> bool:
        return self.members <= other.members

    __or__ = union
    __and__ = intersection
    __sub__ = difference

    def __le__(self, other: ProtocolSet) -> bool:
        return self.issubset(other)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProtocolSet) and self.members == other.members

    def __hash__(self) -> int:
        return hash(self.members)

    def __str__(self) -> str:
        return "Any" if self.is_any else ",".join(self) or "(none)"

    def __repr__(self) -> str:
        return f"ProtocolSet({str(self)!r})"
