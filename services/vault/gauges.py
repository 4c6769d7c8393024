"""The vault's gauges for Prometheus (shared.observability.metrics, read every
METRICS_REFRESH_SECONDS): the stored objects whose last fixity audit failed (`fail`: the
bytes differ from their digest; `missing`: not found in the store), per agency, until an audit
finds them whole again. (One read of the stored objects' audit outcomes per refresh.)"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from services.vault.models import objects
from shared.observability.metrics import Reading

HELP = "stored objects whose last fixity audit failed (fail) or did not find them (missing)"
FAILED = ("fail", "missing")


def gauges(*, db: Any, rules: Any, config: dict, now: datetime) -> Iterator[Reading]:
    with db.read() as session:
        counts = {(agency, outcome): n for agency, outcome, n in session.execute(
            select(objects.c.agency, objects.c.last_fixity_outcome, func.count())
            .where(objects.c.state == "stored")
            .where(objects.c.last_fixity_outcome.in_(FAILED))
            .group_by(objects.c.agency, objects.c.last_fixity_outcome)).all()}
    agencies = sorted(set(rules.agencies if rules is not None else ()) | {a for a, _ in counts})
    for agency in agencies:
        for outcome in FAILED:
            yield Reading("sanxiang_fixity_failures", HELP,
                          {"agency": agency, "outcome": outcome}, counts.get((agency, outcome), 0))
