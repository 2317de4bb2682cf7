"""Tenant directories (CONTRACTS §1): reading them into the model, and writing them."""

from ztconsole.model.tenant import DataSetResult, LoadIssue, Tenant, TenantInfo
from ztconsole.tenantdir.reader import (
    FORMAT_VERSION,
    LinkOutside,
    TenantDir,
    TenantDirError,
    TenantFiles,
    dataset_for_record_key,
    load_tenant,
    read_tenant_toml,
)

__all__ = [
    "FORMAT_VERSION",
    "DataSetResult",
    "LinkOutside",
    "LoadIssue",
    "Tenant",
    "TenantDir",
    "TenantDirError",
    "TenantFiles",
    "TenantInfo",
    "dataset_for_record_key",
    "load_tenant",
    "read_tenant_toml",
]
