"""The access log's messages (调阅监督: 002 第十九条; 003), the same in every service that keeps
one and answers `access_log` (the record keeper, the review board): the query of a page —
newest first, filtered by case, reader, time and outcome — and the rows it answers. A service's
contract may narrow a filter or add the subject it logs by (the review board's review_id)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from shared.contracts.registry import StrictSchema
from shared.persistence.paging import cursor_field

MAX_ACCESS_PAGE = 500
OUTCOMES = ["granted", "refused"]
NEXT = "the cursor for the next page (pass it as `cursor`); null on the last page"


def _when(**kw) -> fields.AwareDateTime:
    return fields.AwareDateTime(format="iso", **kw)


def _code(**kw) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=64), **kw)


class AccessLogQuery(StrictSchema):
    """A page of the agency's access log, newest first (调阅监督: 002 第十九条; 003)."""
    agency = _code(required=True)
    case_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=64),
                            metadata={"description": "only reads of this case"})
    reader = _code(load_default=None, allow_none=True,
                   metadata={"description": "only this reader's (actor id) reads"})
    since = _when(load_default=None, allow_none=True,
                  metadata={"description": "only reads at or after this moment"})
    until = _when(load_default=None, allow_none=True,
                  metadata={"description": "only reads before this moment"})
    outcome = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(OUTCOMES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_ACCESS_PAGE),
                           metadata={"description": f"rows per page, at most {MAX_ACCESS_PAGE}"})
    cursor = cursor_field()

    @validates_schema
    def _range(self, data: dict, **_: object) -> None:
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise ValidationError("must be after since", field_name="until")


class AccessRow(StrictSchema):
    """One read or refusal: who, when, which method, which case, for which agency, why."""
    id = fields.Integer(required=True)
    at = _when(required=True)
    actor_id = fields.String(required=True)
    actor_role = fields.String(required=True)
    actor_agency = fields.String(required=True)
    action = fields.String(required=True, metadata={"description": "the method called"})
    case_id = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.String(allow_none=True, metadata={
        "description": "why: the listing's scope, or the reason a call was refused"})


class AccessPage(StrictSchema):
    items = fields.List(fields.Nested(AccessRow), required=True)
    next = fields.String(required=True, allow_none=True, metadata={"description": NEXT})
