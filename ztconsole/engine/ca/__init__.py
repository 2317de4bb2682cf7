"""Conditional Access, evaluated locally: one rule book, three evaluators.

``scenario``: one sign-in and the values its inputs take. ``context``: what the evaluators know of a tenant.
``conditions``: the rule book, each condition decided in one place with a fast face (gaps, impact, the
compiled evaluator) and a full face with reasons (the reference evaluator). ``controls``: grant and session
controls and how applied policies combine. ``evaluation``: the reference evaluator (``evaluate``,
``what_if``). :mod:`ztconsole.engine.whatif` is the public face of all of it.
"""
