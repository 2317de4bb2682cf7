"""The data sets the Conditional Access commands (``whatif``, ``gaps``, ``impact``) decide with, and their
load: only those data sets are read (so only the Graph adapter is loaded), and an answer is given only on
complete data unless ``--allow-partial`` (CONTRACTS §2 "Incomplete sources").

Start-up (#11): each command imports the engine (and with it the model classes of the data sets it reads)
with the cyclic garbage collector paused (:func:`ztconsole.gcpause.gc_paused`, which then freezes what the
imports made), as :func:`~ztconsole.commands.source.load_source` does the event loop and the source's
adapters: they live as long as the process, and the collector would otherwise walk them again and again
while they are imported, and once more at the end of the load."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from ztconsole.commands.source import answerable, load_source, recording

if TYPE_CHECKING:
    from ztconsole.model.completeness import Incomplete
    from ztconsole.model.tenant import Tenant

#: the data sets the CA engine decides with
CA_USES = ("ca_policies", "named_locations", "users", "groups", "group_members", "user_member_of",
           "role_definitions", "role_assignments", "service_principals")
#: read only to name PIM eligibility beside a user's roles: Entra judges active assignments, so eligibility
#: never decides a policy, and a tenant without Entra ID P2 has none to read
CA_NOTES = (("role_eligibility", "eligible (PIM) role assignments are not shown; they never decide a policy"),)
CA_KEYS = CA_USES + tuple(key for key, _ in CA_NOTES)
IMPACT_USES = CA_USES + ("sign_ins",)


def load_ca(args: argparse.Namespace, err: TextIO, uses: tuple[str, ...] = CA_USES
            ) -> tuple[Tenant, list[Incomplete]]:
    """The tenant (``uses`` and the notes' data sets) and the incomplete data sets it is answered with."""
    tenant = load_source(args, err, keys=(*uses, *(key for key, _ in CA_NOTES)))
    return tenant, answerable(args, tenant, uses, err, CA_NOTES)


def now(args: argparse.Namespace, tenant: Tenant) -> datetime:
    """"Now" for time windows: a recording's capture time (results are reproducible), else the clock."""
    if recording(args) is not None and tenant.info.captured_at is not None:
        return tenant.info.captured_at
    return datetime.now(UTC)
