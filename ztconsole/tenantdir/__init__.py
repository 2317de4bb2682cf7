"""Tenant directories (CONTRACTS §1): reading them into the model, and writing them."""

from ztconsole.model.tenant import DataSetResult, LoadIssue, Tenant, TenantInfo
from ztconsole.tenantdir.reader import (
    FORMAT_VERSION,
    TenantDir,
    TenantDirError,
    TenantFiles,
    iter_json_array,
    load_tenant,
    read_tenant_toml,
)

__all__ = [
    "FORMAT_VERSION",
    "DataSetResult",
    "LoadIssue",
    "Tenant",
    "TenantDir",
    "TenantDirError",
    "TenantFiles",
    "TenantInfo",
    "iter_json_array",
    "load_tenant",
    "read_tenant_toml",
]
