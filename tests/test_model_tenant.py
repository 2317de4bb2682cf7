"""The Tenant aggregate: one typed property per data set of the catalogue, of the data set's shape and model
class, so the engine is checked against the model (mypy) instead of reaching into ``Any``."""

from __future__ import annotations

import typing

import pytest

import ztconsole.model.tenant as tenant_module
from ztconsole.datasets import DATASETS
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
