"""The generated wire parsers (ztconsole/model/wire.py) after the speed-ups of issue #11: the same objects,
values, types, notes and errors as before, however they are now built (inline timestamps, lists of
strings and enum values, shared nested objects keyed by their msgpack encoding, code compiled on first
use)."""

from __future__ import annotations

import copy
import dataclasses
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ztconsole.model.directory import DeviceDetail, SignIn, SignInLocation, User
from ztconsole.model.network import NetworkRule
from ztconsole.model.wire import F, Wire, WireError, WireNote, model, parse_time, share

SIGN_IN: dict[str, Any] = {
    "id": "s1", "createdDateTime": "2026-11-13T19:15:41.6195833Z", "userId": "u1",
    "status": {"errorCode": 0},
    "deviceDetail": {"operatingSystem": "Windows10", "isCompliant": True, "trustType": "AzureAD"},
    "location": {"city": "Redmond", "countryOrRegion": "US",
                 "geoCoordinates": {"latitude": 47, "longitude": -122.5}},
    "appliedConditionalAccessPolicies": [
        {"id": "p1", "displayName": "P1", "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [],
         "result": "success"}],
}


def sign_in(**changes: Any) -> dict[str, Any]:
    wire = copy.deepcopy(SIGN_IN)
    wire.update(changes)
    return wire


def test_shared_parts_are_keyed_exactly() -> None:
    """A nested part equal in JSON is one object; a part that differs only in a value's type is not."""
    a, b = SignIn.from_wire(sign_in()), SignIn.from_wire(sign_in(id="s2"))
    assert a.device_detail is b.device_detail and a.location is b.location and a.status is b.status
    assert a.applied_conditional_access_policies[0] is b.applied_conditional_access_policies[0]
    # 47 and 47.0 are different JSON to the model: the float field keeps the type it was sent
    c = SignIn.from_wire(sign_in(id="s3", location={"city": "Redmond", "countryOrRegion": "US",
                                                    "geoCoordinates": {"latitude": 47.0, "longitude": -122.5}}))
    assert c.location is not a.location
    assert type(a.location.geo_coordinates.latitude) is int and type(c.location.geo_coordinates.latitude) is float
    # true and 1: a boolean field refuses 1 even after an equal-looking part was shared
    with pytest.raises(WireError) as e:
        SignIn.from_wire(sign_in(deviceDetail={"operatingSystem": "Windows10", "isCompliant": 1,
                                               "trustType": "AzureAD"}))
    assert str(e.value) == "$.deviceDetail.isCompliant: expected a boolean, got a number"
    # key order is part of the key: the same part in another order is parsed (and equal), not mixed up
    d = SignIn.from_wire(sign_in(id="s4", deviceDetail={"trustType": "AzureAD", "isCompliant": True,
                                                        "operatingSystem": "Windows10"}))
    assert d.device_detail == a.device_detail


def test_parts_msgpack_cannot_encode_are_parsed_not_shared() -> None:
    """An integer beyond 64 bits or a lone surrogate cannot be a cache key: the part is parsed as usual."""
    big = SignIn.from_wire(sign_in(status={"errorCode": 2**70}))
    assert big.status.error_code == 2**70
    odd = sign_in(deviceDetail={"operatingSystem": "Windows\ud800", "isCompliant": True},
                  appliedConditionalAccessPolicies=[{"id": "p\ud800", "result": "success"}, SIGN_IN[
                      "appliedConditionalAccessPolicies"][0]])
    first, again = SignIn.from_wire(odd), SignIn.from_wire(copy.deepcopy(odd))
    assert first.device_detail.operating_system == "Windows\ud800"
    assert first.device_detail == again.device_detail
    assert [p.id for p in first.applied_conditional_access_policies] == ["p\ud800", "p1"]
    assert DeviceDetail.from_wire({"browser": "Edge\ud800"}).browser == "Edge\ud800"


def test_a_malformed_part_in_a_list_names_its_index_after_shared_ones() -> None:
    good = SIGN_IN["appliedConditionalAccessPolicies"][0]
    SignIn.from_wire(sign_in())  # the good part is now shared
    with pytest.raises(WireError) as e:
        SignIn.from_wire(sign_in(appliedConditionalAccessPolicies=[good, good, {"id": 5}]))
    assert str(e.value) == "$.appliedConditionalAccessPolicies[2].id: expected a string, got a number"
    with pytest.raises(WireError) as e:
        SignIn.from_wire(sign_in(appliedConditionalAccessPolicies={"id": "p1"}))
    assert str(e.value) == "$.appliedConditionalAccessPolicies: expected a list of objects, got an object"


def test_notes_of_shared_classes_are_made_at_every_path() -> None:
    notes: list[WireNote] = []
    part = {"id": "p9", "result": "reportOnlyMaybe"}
    SignIn.from_wire(sign_in(appliedConditionalAccessPolicies=[part, part]), (7,), notes)
    assert [str(n) for n in notes] == [
        "$[7].appliedConditionalAccessPolicies[0].result: unknown value 'reportOnlyMaybe'; kept as is",
        "$[7].appliedConditionalAccessPolicies[1].result: unknown value 'reportOnlyMaybe'; kept as is"]


def test_share_on_a_class_of_its_own() -> None:
    @model
    class Part(Wire):
        name: str | None = F("name", enum=("a", "b"))

    share(Part, limit=1)

    @model
    class Whole(Wire):
        part: Part | None = F("part", "obj", Part)
        parts: tuple[Part, ...] = F("parts", "objs", Part)

    one = Whole.from_wire({"part": {"name": "a"}, "parts": [{"name": "a"}, {"name": "b"}]})
    assert one.part is one.parts[0] and one.parts[1].name == "b"
    assert Whole.from_wire({"part": {"name": "b"}}).part is not one.parts[1]  # the cache holds one part
    notes: list[WireNote] = []
    assert Part.from_wire({"name": "c"}, ("x",), notes).name == "c" and len(notes) == 1
    assert Part.from_wire({"name": "c"}, ("y",), notes) is not None and len(notes) == 2


def test_the_odata_type_annotation_is_a_string_or_nothing() -> None:
    for cls in (User, SignIn, DeviceDetail):
        with pytest.raises(WireError) as e:
            cls.from_wire({"id": "x", "@odata.type": 5})
        assert str(e.value) == "$['@odata.type']: expected a string, got a number"
        assert cls.from_wire({"id": "x", "@odata.type": "#microsoft.graph.x"}).unknown("@odata.type") == \
            "#microsoft.graph.x"


def test_timestamps() -> None:
    def at(value: Any) -> datetime:
        return User.from_wire({"id": "u", "createdDateTime": value}).created_date_time

    z = at("2026-11-22T10:00:00Z")
    assert z == datetime(2026, 11, 22, 10, tzinfo=UTC) and z.tzinfo is UTC
    assert at("2026-11-22T12:00:00+02:00") == z and at("2026-11-22T12:00:00+02:00").tzinfo is UTC
    assert at("2026-11-22T10:00:00") == z and at("2026-11-22T10:00:00").tzinfo is UTC
    assert at("2026-11-22T10:00:00+00:00").utcoffset() == timedelta(0)
    assert at("2019-09-26T23:12:16.0792706Z") == parse_time("2019-09-26T23:12:16.0792706Z")
    for value in ("2026-11-22T10:00:00Z", "2026-11-22T12:00:00+02:00", "2026-11-22"):
        assert at(value) == parse_time(value)
    assert at(None) is None
    with pytest.raises(WireError) as e:
        at("last tuesday")
    assert str(e.value) == "$.createdDateTime: not a timestamp: 'last tuesday'"
    with pytest.raises(WireError) as e:
        at(20261122)
    assert str(e.value) == "$.createdDateTime: expected a timestamp string, got a number"
    with pytest.raises(OverflowError):  # as before: out of range after conversion to UTC
        at("0001-01-01T00:00:00+01:00")
    assert datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1))).astimezone(UTC).tzinfo is UTC


def test_lists_of_strings_and_enum_values() -> None:
    def rule(**kw: Any) -> NetworkRule:
        return NetworkRule.from_wire({"ruleType": "NetworkRule", "name": "r", **kw}, (), notes)

    notes: list[WireNote] = []
    r = rule(ipProtocols=["TCP", "QUIC"], sourceAddresses=[], destinationPorts=["443", "80"])
    assert r.ip_protocols == ("TCP", "QUIC") and r.source_addresses == () and r.destination_ports == ("443", "80")
    assert r.ip_protocols[0] is sys.intern("TCP") and r.destination_ports[0] is sys.intern("443")
    assert [str(n) for n in notes] == ["$.ipProtocols: unknown value 'QUIC'; kept as is"]
    assert rule().source_addresses == () and rule(sourceAddresses=None).source_addresses == ()
    with pytest.raises(WireError) as e:
        rule(destinationPorts="443")
    assert str(e.value) == "$.destinationPorts: expected a list of strings, got a string"
    with pytest.raises(WireError) as e:
        rule(destinationPorts=["443", 80, None])
    assert str(e.value) == "$.destinationPorts[1]: expected a string, got a number"
    notes.clear()
    u = User.from_wire({"id": "u", "userType": "Member"}, (), notes)
    assert u.user_type is sys.intern("Member") and not notes
    u = User.from_wire({"id": "u", "userType": "Robot"}, (), notes)
    assert u.user_type == "Robot" and u.user_type is sys.intern("Robot")
    assert [str(n) for n in notes] == ["$.userType: unknown value 'Robot'; kept as is"]


def test_parsers_are_compiled_on_first_use_and_objects_stay_frozen() -> None:
    @model
    class Lazy(Wire):
        name: str | None = F("name")
        when: datetime | None = F("when", "time")

    assert not isinstance(Lazy.__dict__["from_wire"], classmethod)  # not compiled yet
    parse = Lazy.from_wire
    assert isinstance(Lazy.__dict__["from_wire"], classmethod)  # compiled by that look-up, once
    assert Lazy.from_wire.__func__ is parse.__func__
    obj = parse({"name": "x", "when": "2026-11-22T10:00:00Z", "more": 1})
    assert type(obj) is Lazy and obj.name == "x" and obj.unknown("more") == 1
    assert obj.to_wire() == {"name": "x", "when": "2026-11-22T10:00:00Z", "more": 1}
    assert obj.to_wire() == {"name": "x", "when": "2026-11-22T10:00:00Z", "more": 1}  # compiled, in place
    with pytest.raises(dataclasses.FrozenInstanceError):
        obj.name = "y"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del obj.name  # type: ignore[misc]
    s = SignIn.from_wire(sign_in())
    assert type(s) is SignIn and type(s.location) is SignInLocation
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.location.city = "Paris"  # type: ignore[misc]
    assert SignIn.from_wire(s.to_wire()) == s


def test_model_classes_behave_as_the_standard_librarys_frozen_dataclasses() -> None:
    """@model makes __init__, __repr__, __eq__ and __hash__ on first use (not when the class is created);
    they, the docstring and the signature are those dataclasses gives the same class body."""
    import inspect

    def body() -> dict[str, Any]:
        calls: list[str] = []

        def __post_init__(self: Any) -> None:
            calls.append(self.name)

        return {
            "__annotations__": {"name": "str | None", "ports": "tuple[int, ...]", "tags": "list[str]",
                                "hidden": "int"},
            "__module__": __name__,
            "name": F("name"),
            "ports": F("ports", "ints"),
            "tags": dataclasses.field(default_factory=list),
            "hidden": dataclasses.field(default=3, repr=False, compare=False),
            "__post_init__": __post_init__,
            "calls": calls,
        }

    ours = model(type("Thing", (Wire,), body()))
    theirs = dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(type("Thing", (Wire,), body()))
    assert not isinstance(ours.__dict__["__repr__"], type(theirs.__repr__))  # not made yet
    assert ours.__doc__ == theirs.__doc__
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    def described(cls: type) -> list[tuple[Any, ...]]:
        return [(f.name, f.default, f.default_factory, f.repr, f.compare, f.hash, f.kw_only)
                for f in dataclasses.fields(cls)]

    assert described(ours) == described(theirs)
    assert repr(ours.__dataclass_params__) == repr(theirs.__dataclass_params__)  # type: ignore[attr-defined]
    assert ours.__slots__ == theirs.__slots__ and ours.__match_args__ == theirs.__match_args__  # type: ignore[attr-defined]
    for cls in (ours, theirs):
        a, b = cls(name="a", ports=(1,), hidden=4), cls(name="a", ports=(1,))
        assert cls.calls == ["a", "a"]  # type: ignore[attr-defined]  # __post_init__ ran
        assert repr(a) == "Thing(name='a', ports=(1,), tags=[])"
        assert a == b and not a != b and a != cls(name="b") and a.__eq__(5) is NotImplemented
        with pytest.raises(TypeError, match="unhashable type: 'list'"):
            hash(a)
        assert hash(cls(name="a", tags=None)) == hash(cls(name="a", tags=None, hidden=9))  # type: ignore[arg-type]
        assert cls(name="x").tags is not cls(name="x").tags  # a new list each time
        assert copy.deepcopy(a) == a and dataclasses.replace(a, name="c").name == "c"
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'name'"):
            a.name = "z"  # type: ignore[misc]
        with pytest.raises(TypeError, match="unexpected keyword argument 'zzz'"):
            cls(zzz=1)
        with pytest.raises(TypeError, match="takes 1 positional argument but 2 were given"):
            cls("a")
    assert isinstance(ours.__dict__["__repr__"], type(theirs.__dict__["__repr__"]))  # made, in place
    assert ours.__init__.__qualname__ == theirs.__init__.__qualname__ == "Thing.__init__"
