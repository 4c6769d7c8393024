"""Findings: every violation the recorded data shows, so a supervisor can see each item of
004 第五十七条 that concerns records — (五) not recorded, (六) altered, (七) released outside
procedure, (八) not archived, (九)(十三) a decision issued around the review board's
opinion — plus the periods of the case's rule set."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, or_, select

from contracts.records.messages import MAX_FINDINGS_PAGE
from services.records import chain, domain, gate
from services.records.models import access_log, av_records, cases, entries
from services.records.queries import cursor_moment, log_access
from shared.persistence import paging
from shared.calendar.clock import iso, local_date, utc
from shared.errors import DomainRuleViolated


def _finding(case, code, article, message, *, seq=None, due=None, at=None) -> dict:
    return {"code": code, "article": article, "case_id": case["id"], "case_no": case["case_no"],
            "seq": seq, "message": message, "due": due, "at": at}


def case_findings(session, case: dict, rules, now: datetime) -> list[dict]:
    rs = rules.ruleset(case["ruleset"])
    out: list[dict] = []
    rows = session.execute(select(entries.c.seq, entries.c.kind, entries.c.stage,
                                  entries.c.body, entries.c.prev_hash, entries.c.entry_hash)
                           .where(entries.c.case_id == case["id"])
                           .order_by(entries.c.seq)).all()
    kinds = [(seq, kind, stage, body) for seq, kind, stage, body, _, _ in rows]

    # (六) altered: the chain must recompute
    _, bad, _ = domain.verify_chain((seq, body, prev, h) for seq, _, _, body, prev, h in rows)
    if bad:
        out.append(_finding(case, "record_altered", "周村 第五十七条(六); 沁源 第三十五条",
                            f"chain broken at seq {bad.seq}: {bad.problem}", seq=bad.seq))

    # emergency start approved late or not at all (沁源 第十二条: within 24 hours)
    if case["emergency_due"]:
        due = datetime.fromisoformat(case["emergency_due"]["due"])
        approved = case["emergency_approved_at"]
        if (approved and utc(approved) > due) or (not approved and now > due):
            out.append(_finding(case, "emergency_approval_late", case["emergency_due"]["basis"],
                                "紧急先行启动未在期限内补办审批手续", due=iso(due),
                                at=iso(approved) if approved else None))

    if case["start_state"] == "pending_approval" and case["status"] != "open":
        out.append(_finding(case, "emergency_approval_missing", "周村 第二十八条; 沁源 第十二条",
                            "紧急先行启动的案件结案时仍未补办立案审批手续"))

    # AV stored late (沁源 第三十二条 2 工作日; 陵川 当日)
    for row in session.execute(select(av_records).where(av_records.c.case_id == case["id"])
                               ).mappings():
        if row["late"]:
            out.append(_finding(case, "av_storage_late", row["storage_due"]["basis"],
                                f"音像记录未在规定期限内存储 (due {row['storage_due']['due']})",
                                seq=row["seq"], due=row["storage_due"]["due"],
                                at=iso(row["stored_at"])))

    # (五) a mandatory-AV situation without an AV record covering it
    records = []  # (seq, occurred_at, content) of each text record
    for seq, kind, _, body in kinds:
        if kind == "record":
            body = json.loads(body)
            records.append((seq, body["occurred_at"], body["content"]))
    covered = set()
    for sits in session.execute(select(av_records.c.situations)
                                .where(av_records.c.case_id == case["id"])).scalars():
        covered.update(sits)
    for seq, code, info in _av_required(rs, records):
        if code not in covered and not (code in _SERVICE_CODES and "service" in covered):
            out.append(_finding(case, "av_missing", info.get("basis", ""),
                                f"应当进行音像记录而未记录: {info.get('label', code)}", seq=seq))

    # (七) records provided outside the procedure without what the rule set requires
    for seq, occurred_at, content in records:
        if content.get("record_type") == "external_release":
            out.extend(_release_findings(case, rs, seq, occurred_at, content))

    # (五) records a stage requires but that are missing
    record_types = {content.get("record_type") for _, _, content in records}
    stages_reached = {st for _, _, st, _ in kinds}
    if "decision" in stages_reached and "credentials_shown" not in record_types \
            and case["act_type"] != "licence":
        out.append(_finding(case, "credentials_not_recorded", "沁源 第十四条; 周村 第三十一条",
                            "调查取证未记录执法人员姓名、证件编号及出示情况"))
    issued = [seq for seq, k, _, _ in kinds if k == "decision_issued"]
    if issued and case["act_type"] == "penalty" and "rights_notice" not in record_types:
        out.append(_finding(case, "rights_notice_missing", "周村 第三十五条",
                            "作出处罚决定前未记录告知当事人陈述、申辩权利", seq=issued[0]))
    if issued and case["status"] != "open" and "service" not in record_types:
        out.append(_finding(case, "service_not_recorded", "沁源 第二十七条; 周村 第三十九条",
                            "执法决定未记录送达过程", seq=issued[0]))

    # (九)(十三) a decision issued on anything but the board's last opinion
    out.extend(_gate_findings(case, kinds))

    # (八) not archived within the period after closing
    if case["archive_due"]:
        due = case["archive_due"]["due"]
        archived = case["archived_at"]
        day = local_date(archived) if archived else local_date(now)
        if day.isoformat() > due:
            out.append(_finding(case, "archive_late", case["archive_due"]["basis"],
                                "案卷未在行政执法行为终结之日起规定期限内立卷归档", due=due,
                                at=iso(archived) if archived else None))

    # (七) attempts to read outside procedure, blocked and recorded
    for row in session.execute(select(access_log).where(access_log.c.case_id == case["id"])
                               .where(access_log.c.outcome == "refused")).mappings():
        out.append(_finding(case, "access_refused", "沁源 第三十三条; 周村 第五十七条(七)",
                            f"{row['actor_role']} {row['actor_id']} ({row['actor_agency']}) "
                            f"was refused {row['action']}: {row['reason']}", at=iso(row["at"])))
    return out


# A service's AV requirement is met by an AV record of that service or of "service" itself.
_SERVICE_CODES = {"service", "service_lien", "service_public_notice"}
_SERVICE_BY_METHOD = {"lien": "service_lien", "public_notice": "service_public_notice"}


def _av_required(rs, records):
    """(seq, situation, rule) for each situation of each record that the rule set makes AV
    mandatory: the situations declared with the record and those its content shows
    (domain.implied_situations — also for records appended before a situation was derived),
    plus a service whose method the rule set marks `av: required` (004 第三十九条)."""
    mandatory = rs.av_mandatory_situations
    methods = {m["code"]: m for m in rs.section("records")["service_methods"]
               if m.get("av") == "required"}
    for seq, _, content in records:
        record_type = content.get("record_type")
        found = set(content.get("situations") or ()) | domain.implied_situations(record_type,
                                                                                 content)
        required = {code: mandatory[code] for code in found if code in mandatory}
        method = methods.get(content.get("method")) if record_type == "service" else None
        if method and not required.keys() & _SERVICE_CODES:
            code = _SERVICE_BY_METHOD.get(method["code"], "service")
            required[code] = {"label": method["label"], "basis": method["basis"]}
        for code in sorted(required):
            yield seq, code, required[code]


_RELEASE_APPROVER = {"approval": None, "head_approval": "agency_head"}
_RELEASE_ARTICLE = "周村 第五十七条(七)"


def _release_findings(case, rs, seq: int, released_at: str, content: dict) -> list[dict]:
    """004 第五十七条（七）: 擅自保存或者对外提供. The rule set says what a release needs
    (records.access.external_release): legal_procedure — its legal basis, which the content
    must name; approval — an approval given before the release; head_approval — the
    agency head's. Where officers may not keep records, none may be released to one."""
    access = rs.section("records")["access"]
    out = []
    rule = access["external_release"]
    article = f"{rule['basis']}; {_RELEASE_ARTICLE}"
    approval = content.get("approval")
    recipient = content["recipient"]
    if rule["value"] in _RELEASE_APPROVER:
        role = _RELEASE_APPROVER[rule["value"]]
        who = "行政机关负责人批准" if role else "批准"
        if not approval:
            out.append(_finding(case, "release_unapproved", article,
                                f"未经{who}对外提供执法记录 (to {recipient['name']})", seq=seq))
        elif role and approval["approver_role"] != role:
            out.append(_finding(case, "release_unapproved", article,
                                f"未经{who}对外提供执法记录: approved by {approval['approved_by']}"
                                f" ({approval['approver_role']})", seq=seq,
                                at=approval["approved_at"]))
        elif (approved := utc(datetime.fromisoformat(approval["approved_at"]))) \
                > (released := utc(datetime.fromisoformat(released_at))):
            out.append(_finding(case, "release_unapproved", article,
                                f"对外提供执法记录后才批准 (approved {iso(approved)}, released "
                                f"{iso(released)})", seq=seq, at=iso(approved)))
    keep = access.get("officers_may_keep_records")
    if recipient["kind"] == "officer" and keep and keep["value"] is False:
        out.append(_finding(case, "records_kept_by_officer",
                            f"{keep['basis']}; {_RELEASE_ARTICLE}",
                            f"行政执法人员不得自行保存执法记录资料: released to {recipient['name']}",
                            seq=seq))
    return out


_GATE_ARTICLE = "沁源《法制审核办法》第十一条; 安泽《法制审核办法》第十六条; 周村 第五十七条(九)(十三)"


def _gate_findings(case, kinds) -> list[dict]:
    """Where the review board gave an opinion on a proposal, a decision on it stands on the
    board's last opinion before it — also in chains written before records refused a review
    entered beside the board's: a decision on such an entry, on an older board opinion, or
    major and on none is flagged; so is one on an entry by hand that the board's opinion on
    the proposal followed (the entry pre-empted the board)."""
    reviews: list[tuple[int, dict]] = []
    out = []
    for seq, kind, _, raw in kinds:
        if kind == "legal_review":
            reviews.append((seq, json.loads(raw)["content"]))
        if kind != "decision_issued":
            continue
        decision = json.loads(raw)["content"]
        on = decision.get("legal_review_seq")
        if not (decision.get("major") or on is not None):
            continue
        about = [(s, c) for s, c in reviews if c["proposal_seq"] == decision["proposal_seq"]]
        board = [s for s, c in about if gate.is_board_opinion(c)]
        if board and on != board[-1]:
            what = f"seq {on}" if on is not None else "no legal review"
            out.append(_finding(case, "decision_not_on_board_opinion", _GATE_ARTICLE,
                                f"决定未依据法制审核机构的最后审核意见作出: issued on {what}, "
                                f"the board's last opinion on proposal "
                                f"{decision['proposal_seq']} is seq {board[-1]}", seq=seq))
        elif not board and on is not None:
            later = _board_opinions_after(kinds, seq, decision["proposal_seq"])
            if later:
                out.append(_finding(case, "decision_not_on_board_opinion", _GATE_ARTICLE,
                                    f"决定依据法制审核机构以外录入的审核意见 (seq {on}) 作出, "
                                    f"法制审核机构其后出具审核意见 (seq {later[0]})", seq=seq))
    return out


def _board_opinions_after(kinds, after: int, proposal_seq: int) -> list[int]:
    out = []
    for seq, kind, _, raw in kinds:
        if seq > after and kind == "legal_review":
            content = json.loads(raw)["content"]
            if content["proposal_seq"] == proposal_seq and gate.is_board_opinion(content):
                out.append(seq)
    return out


def agency_findings(session, agency: str, rules, now: datetime, *, limit: int,
                    cursor: str | None = None) -> dict:
    """The findings of a page of the agency's cases — at most `limit` cases, in opening
    order (ties by id), after `cursor` — and the cursor after the last case examined: a
    supervisor walks an agency's history a bounded page at a time."""
    query = select(cases).where(cases.c.agency == agency)
    if cursor:
        at, case_id = paging.decode(cursor, 2)
        at = cursor_moment(at)
        query = query.where(or_(cases.c.opened_at > at,
                                and_(cases.c.opened_at == at, cases.c.id > case_id)))
    rows = session.execute(query.order_by(cases.c.opened_at, cases.c.id)
                           .limit(limit + 1)).mappings().all()
    rows, after = paging.page(rows, limit, lambda r: (iso(r["opened_at"]), r["id"]))
    out = []
    for case in rows:
        out.extend(case_findings(session, dict(case), rules, now))
    return {"items": out, "cases": len(rows), "next": after}


def for_case(p, *, actor, db, rules, now) -> list[dict]:
    with db.transaction() as session:
        case = chain.load_case(session, p["case_id"])
        actor.require("head", "legal_unit", "supervisor", agency=case["agency"])
        log_access(session, actor, "case_findings", case=case, outcome="granted", now=now)
        return case_findings(session, case, rules, now)


def for_agency(p, *, actor, db, rules, now) -> list[dict]:
    """agency_findings (v1): every finding of the agency in one list — for an agency of at
    most MAX_FINDINGS_PAGE cases; a larger one is refused (too_many_cases) rather than walked
    whole, and pages through agency_findings_v2."""
    _granted(p, actor, rules, db, now, "agency_findings")
    with db.read() as session:
        found = agency_findings(session, p["agency"], rules, now, limit=MAX_FINDINGS_PAGE)
    if found["next"] is not None:
        raise DomainRuleViolated(
            f"agency {p['agency']} has more than {MAX_FINDINGS_PAGE} cases: agency_findings "
            f"answers only that many in one list; page through them with agency_findings_v2",
            code="too_many_cases", details={"limit": MAX_FINDINGS_PAGE})
    return found["items"]


def for_agency_page(p, *, actor, db, rules, now) -> dict:
    """agency_findings_v2: the findings of a page of the agency's cases."""
    _granted(p, actor, rules, db, now, "agency_findings_v2")
    with db.read() as session:
        return agency_findings(session, p["agency"], rules, now, limit=p["limit"],
                               cursor=p.get("cursor"))


def _granted(p, actor, rules, db, now, method: str) -> None:
    actor.require("head", "legal_unit", "supervisor", agency=p["agency"])
    rules.agency(p["agency"])
    with db.autocommit() as session:  # every read is recorded (002 第十九条), as list_cases
        log_access(session, actor, method, case=None, outcome="granted", now=now,
                   reason=f"agency={p['agency']}")
