"""The process exit codes (CONTRACTS §2): the one place they are defined."""

from __future__ import annotations

OK = 0
FINDINGS = 1  # assess: failures at or above --fail-on; test: a test failed; policy/rollout: a guard refused
USAGE = 2  # usage or configuration error (the message names the file, line and key)
SOURCE = 3  # the source could not be read, or an analysis's data sets were not read completely
INTERNAL = 70  # a bug: one line with the cause (EX_SOFTWARE)
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


def signalled(signum: int) -> int:
    """The exit code after ending on signal ``signum`` (143 for SIGTERM, 129 for SIGHUP)."""
    return 128 + signum
