"""Every service tells how far its legal calendar reaches: `health` reports the covered range
(as the exported contract declares it) and, from 60 days before the end, a warning the
service also logs at start and on each daily tick — on a controlled today."""
from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook

from shared.calendar.clock import frozen
from tests import suite
from tests.agencies import LINGCHUAN, agencies
from tests.calendar_notices import FIXTURE_2027

AGENCIES = agencies(LINGCHUAN)
# every installed service (the sanxiang.services entry points): the next one is checked too
SERVICES = suite.classes()
CONTRACTS = Path(__file__).parents[2] / "contracts"


def cst(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T09:00:00+08:00").astimezone(UTC)


@pytest.fixture
def start_suite(container_factory, rabbit_config, tmp_path, keys_dir):
    def start(**extra):
        config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES, **extra)
        containers = {name: container_factory(cls, dict(
            config, DATABASE_URL=f"sqlite:///{tmp_path / name}.sqlite3",
            **suite.settings(name, tmp_path)))
            for name, cls in SERVICES.items()}
        for container in containers.values():
            container.start()
        return containers, config
    return start


def health(config, service: str) -> dict:
    with ServiceRpcProxy(service, config, timeout=20) as rpc:
        answer = rpc.health()
    schema = json.loads((CONTRACTS / service / "schemas" / "rpc.health.response.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(answer, schema, format_checker=jsonschema.FormatChecker())
    return answer["calendar"]


def warnings_logged(caplog, timeout=5.0) -> set[str]:
    """Services that logged the calendar warning (the start-up tick runs in its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        found = {r.getMessage().split(":", 1)[0] for r in caplog.records
                 if r.levelno >= logging.WARNING and "legal calendar" in r.getMessage()}
        if found >= set(SERVICES) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_four_weeks_before_the_end_every_service_warns_and_health_says_so(start_suite, caplog):
    with frozen(cst("2026-12-04")):
        _, config = start_suite()
        assert warnings_logged(caplog) == set(SERVICES)          # logged at start
        for service in SERVICES:
            calendar = health(config, service)
            assert calendar["covered_from"] == "2004-01-01"
            assert calendar["covered_until"] == "2026-12-31"
            assert calendar["days_left"] == 27 and calendar["warn_days"] == 60
            assert "2027" in calendar["warning"] and "sanxiang calendar load" in \
                calendar["warning"]


def test_the_daily_tick_warns_again_and_a_loaded_year_ends_the_warning(start_suite, caplog,
                                                                        tmp_path):
    with frozen(cst("2026-09-01")):                              # 121 days left: quiet
        containers, config = start_suite()
        for service in SERVICES:
            assert health(config, service)["warning"] is None
    assert warnings_logged(caplog, timeout=1.0) == set()

    with frozen(cst("2026-11-01")):                              # the daily tick, 60 days on
        for name, container in containers.items():
            with entrypoint_hook(container, "watch_calendar") as tick:
                assert tick()["days_left"] == 60
            assert health(config, name)["warning"] is not None
    assert warnings_logged(caplog) == set(SERVICES)


def test_with_next_years_notice_loaded_the_calendar_reaches_on(start_suite, tmp_path):
    notice = tmp_path / "deployment-calendar.yaml"
    notice.write_text(FIXTURE_2027, encoding="utf-8")
    with frozen(cst("2026-12-04")):
        _, config = start_suite(CALENDAR_FILES=str(notice))
        for service in SERVICES:
            calendar = health(config, service)
            assert calendar["covered_until"] == "2027-12-31" and calendar["warning"] is None
