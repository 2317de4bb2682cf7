"""The VPN-to-ZTNA rollout wizard (CONTRACTS §9), without Textual: the ten steps as a state machine whose
statuses come from the tenant as it is now plus the rollout state persisted per tenant
(:mod:`ztconsole.wizard.state`), so a rollout resumes after a restart, a crash or on another machine.

It sits below the console and the commands and above :mod:`ztconsole.actions`.
"""
