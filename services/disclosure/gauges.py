"""The disclosure publisher's gauges for Prometheus (shared.observability.metrics, read every
METRICS_REFRESH_SECONDS): drafts past their publication deadline, per agency — from the
(state, due) index the deadline watch reads."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from services.disclosure.models import publications
from shared.calendar.clock import local_date
from shared.observability.metrics import Reading

HELP = "draft publications past their publication deadline"


def gauges(*, db: Any, rules: Any, config: dict, now: datetime) -> Iterator[Reading]:
    today = local_date(now)
    with db.read() as session:
        counts = dict(session.execute(
            select(publications.c.agency, func.count())
            .where(publications.c.state == "draft").where(publications.c.due < today)
            .group_by(publications.c.agency)).all())
    for agency in sorted(set(rules.agencies) | set(counts)):
        yield Reading("sanxiang_publications_overdue", HELP, {"agency": agency},
                      counts.get(agency, 0))
