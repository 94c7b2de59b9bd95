"""A pytest plugin that turns every skipped test into a failure when CI is set.

Tests skip when a tool they need (Dovecot, Postfix, sieve-connect, mbsync...) is missing, which
is right on a developer's machine but hides a missing install step in CI: there `.ci/run`
installs every tool, so a skip means the run did not test what it claims. Loaded by tests/run
with ``-p strict_skips`` (tests/ is on PYTHONPATH).
"""

import os

import pytest


def _strict() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _strict() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped while CI is set (install the missing tool in .ci/run): {reason}"
