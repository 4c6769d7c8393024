"""Green the standard library before anything under test is imported.

nameko 2.14's pytest plugin no longer calls ``eventlet.monkey_patch()``, and
monkey patching after kombu, socket users or psycopg2 were imported leaves them
half green (hangs, lost heartbeats).  ``./scripts/test`` loads this module with
``-p tests.eventlet_plugin``: pytest imports ``-p`` plugins while it parses the
command line, before the capture manager starts, before entry-point plugins
(nameko's) and before any conftest.py or test module — the earliest point
pytest offers, and one at which output capture keeps working.

Running pytest by hand: ``.venv/bin/python -m pytest -p tests.eventlet_plugin ...``
(tests/conftest.py refuses to run unpatched and says so).
"""
import warnings

with warnings.catch_warnings():
    # eventlet >= 0.36 warns on import that it is in maintenance mode; nameko
    # 2.14 is built on it, so the warning says nothing actionable here.
    # (Its category derives from Warning, not DeprecationWarning.)
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

eventlet.monkey_patch()

# psycopg2 is a C extension that blocks the whole process on I/O unless it is
# told to yield to the eventlet hub between waits.
from psycogreen.eventlet import patch_psycopg  # noqa: E402  must follow the patch

patch_psycopg()


# A hung test must fail on its own, naming itself, rather than stall the run
# until CI's limit kills it silently.  An eventlet.Timeout fires in the test's
# greenlet at its next green wait (socket, pipe, sleep, queue), which is where
# nameko/broker/database hangs sit.  Per phase (setup, call, teardown) so a
# stuck fixture is reported as such.  SANXIANG_TEST_TIMEOUT seconds, 0 = off.
import os  # noqa: E402

import pytest  # noqa: E402

_PHASE_TIMEOUT = float(os.environ.get("SANXIANG_TEST_TIMEOUT", "300"))


class PhaseTimeout(Exception):
    """Raised into a test phase that outlived SANXIANG_TEST_TIMEOUT."""


def _limited(phase, item):
    if _PHASE_TIMEOUT <= 0:
        return (yield)
    error = PhaseTimeout(
        f"{item.nodeid} {phase} still running after {_PHASE_TIMEOUT:g} s "
        "(SANXIANG_TEST_TIMEOUT)")
    with eventlet.Timeout(_PHASE_TIMEOUT, error):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _limited("setup", item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _limited("call", item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _limited("teardown", item))
