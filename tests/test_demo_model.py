"""The bundled demo tenant loads completely, and every one of its objects round-trips wire -> model."""

from __future__ import annotations

import pytest

from ztconsole.datasets import DATASETS
from ztconsole.demo import demo_dir
from ztconsole.model.wire import parse_one
from ztconsole.tenantdir import load_tenant


@pytest.fixture(scope="module")
def demo():
    return load_tenant(demo_dir())


def test_every_data_set_loads_without_errors(demo) -> None:
    problems = {k: r.message for k, r in demo.results.items() if r.status != "ok" or r.errors}
    assert problems == {}
    assert demo.info.display_name == "Contoso"


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_every_demo_object_round_trips(demo, ds) -> None:
    value = demo.get(ds.key)
    if ds.per_item:
        objs = [o for v in value.values() for o in (v if isinstance(v, tuple) else (v,))]
    elif ds.shape == "singleton":
        objs = [value] if value is not None else []
    else:
        objs = list(value)
    if not ds.optional and ds.key != "user_member_of":
        assert objs, f"the demo has no {ds.title}"
    cls = ds.model_class()
    for obj in objs:
        assert parse_one(cls, obj.to_wire()) == obj
