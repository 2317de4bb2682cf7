"""Writes as plans (DESIGN "Layers"): preview (before/after) -> guards -> apply -> audit -> verify.

:mod:`~ztconsole.actions.guards` gives each change its verdicts; :mod:`~ztconsole.actions.audit` is the
append-only, hash-chained audit log every write records itself in, before and after it runs.
"""
