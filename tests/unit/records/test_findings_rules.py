"""The findings as pure rules (services.records.domain.findings), over value types and the
shipped rule sets — no database: each finding code, its article and message, and the order
a case's findings come in."""
from __future__ import annotations

import json
import weakref
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.records.domain import chain, findings
from services.records.domain.findings import AvRecord, CaseState, EntryRow, RefusedAccess
from shared.rulesets.provider import Rules
from shared.rulesets.vocabulary import FINDINGS
from tests.agencies import ANZE, LINGCHUAN, QINYUAN, ZHOUCUN, agencies

RULES = Rules.from_config({"AGENCIES": agencies(LINGCHUAN, QINYUAN, ANZE, ZHOUCUN)})
NOW = datetime(2025, 10, 20, 2, 0, tzinfo=UTC)
CASE = CaseState(id="case-1", case_no="陵应急立〔2025〕1号", act_type="penalty", status="open",
                 start_state="approved")
AT = "2025-10-10T10:00:00+08:00"


def rs(code: str):
    return RULES.agency(code).ruleset


def chain_of(*specs: tuple) -> list[EntryRow]:
    """Entries linked as the store writes them: (kind, stage, content) each."""
    out, prev = [], chain.GENESIS
    for seq, (kind, stage, content) in enumerate(specs, start=1):
        body = chain.canonical({"seq": seq, "kind": kind, "stage": stage, "occurred_at": AT,
                                "content": content})
        entry_hash = chain.link_hash(prev, body)
        out.append(EntryRow(seq, kind, stage, body, prev, entry_hash))
        prev = entry_hash
    return out


def record(record_type: str, **content) -> dict:
    return {"record_type": record_type, **content}


def found(case: CaseState, entries: list[EntryRow], code: str = LINGCHUAN, *, avs=(),
          refused=(), now: datetime = NOW) -> list[dict]:
    return findings.case_findings(case, entries, list(avs), list(refused), rs(code), now)


def codes(found_: list[dict]) -> list[tuple[str, int | None]]:
    return [(f["code"], f["seq"]) for f in found_]


OPENED: tuple[str, str, dict] = ("case_opened", "initiation", {})
# base's article where an agency's seeds are silent (陵川's are, on most findings)
GUIDANCE = "国办发〔2018〕118号（执法全过程记录制度）"


def test_a_clean_case_has_no_findings():
    assert found(CASE, chain_of(OPENED)) == []


# ---- (六) altered ----------------------------------------------------------------------

def test_record_altered_names_the_first_entry_that_does_not_recompute():
    entries = chain_of(OPENED, ("record", "initiation", record("note", summary="三人")))
    entries[1] = replace(entries[1], body=entries[1].body.replace("三人", "一人"))
    assert found(CASE, entries) == [{
        "code": "record_altered", "article": GUIDANCE,  # 陵川: 001 silent, base's
        "case_id": "case-1", "case_no": CASE.case_no, "seq": 2,
        "message": "chain broken at seq 2: content does not match its hash",
        "due": None, "at": None}]


# ---- the emergency start's approval ------------------------------------------------------

EMERGENCY_DUE = {"due": "2025-10-10T14:00:00+00:00", "basis": "000《全过程记录办法》第十二条"}


@pytest.mark.parametrize("approved, at", [
    (datetime(2025, 10, 11, 1, 0, tzinfo=UTC), "2025-10-11T01:00:00+00:00"),
    (None, None)], ids=["approved_late", "not_approved"])
def test_emergency_approval_late(approved, at):
    case = replace(CASE, emergency_due=EMERGENCY_DUE, emergency_approved_at=approved)
    [late] = found(case, chain_of(OPENED))
    assert (late["code"], late["article"], late["message"], late["due"], late["at"]) == (
        "emergency_approval_late", EMERGENCY_DUE["basis"], "紧急先行启动未在期限内补办审批手续",
        "2025-10-10T14:00:00+00:00", at)


def test_an_emergency_start_approved_in_time_is_no_finding():
    case = replace(CASE, emergency_due=EMERGENCY_DUE,
                   emergency_approved_at=datetime(2025, 10, 10, 9, tzinfo=UTC))
    assert found(case, chain_of(OPENED)) == []


def test_emergency_approval_missing_when_the_case_closes_unapproved():
    case = replace(CASE, start_state="pending_approval", status="closed")
    assert [(f["code"], f["article"], f["message"]) for f in found(case, chain_of(OPENED))] == [
        ("emergency_approval_missing", "000《全过程记录办法》第十二条；004 第二十八条第三款"
         "（情况紧急的可先行启动，事后补办审批）",
         "紧急先行启动的案件结案时仍未补办立案审批手续")]


# ---- AV records ---------------------------------------------------------------------------

def av(seq: int, *situations: str, late: bool = False, day: int = 10) -> AvRecord:
    """An AV record that ran 09:00–09:40 CST on 2025-10-`day` (AT's day by default)."""
    return AvRecord(seq, late, {"due": "2025-10-10", "basis": "001 附件2 第四条"},
                    datetime(2025, 10, 11, 9, tzinfo=UTC), situations,
                    started_at=datetime(2025, 10, day, 1, tzinfo=UTC),
                    ended_at=datetime(2025, 10, day, 1, 40, tzinfo=UTC))


def test_av_storage_late():
    [late] = found(CASE, chain_of(OPENED), avs=[av(1, late=True), av(2)])
    assert late == {"code": "av_storage_late", "article": "001 附件2 第四条",
                    "case_id": "case-1", "case_no": CASE.case_no, "seq": 1,
                    "message": "音像记录未在规定期限内存储 (due 2025-10-10)",
                    "due": "2025-10-10", "at": "2025-10-11T09:00:00+00:00"}


INSPECTION = ("record", "investigation", record("investigation_document",
                                               document_kind="onsite_inspection"))


def test_av_missing_where_a_records_content_makes_av_mandatory():
    entries = chain_of(OPENED, INSPECTION)
    rule = rs(LINGCHUAN).av_mandatory_situations["onsite_inspection"]
    [missing] = found(CASE, entries)
    assert (missing["code"], missing["seq"], missing["article"], missing["message"]) == (
        "av_missing", 2, rule["basis"], f"应当进行音像记录而未记录: {rule['label']}")
    assert found(CASE, entries, avs=[av(3, "onsite_inspection")]) == []


def test_an_av_record_covers_only_an_act_of_its_day_and_one_act_it_did_not_span():
    """Judged act by act: an AV record of another day covers nothing; one of the act's day
    that was not recording during the act covers that act only."""
    entries = chain_of(OPENED, INSPECTION, INSPECTION)
    assert codes(found(CASE, entries, avs=[av(4, "onsite_inspection", day=1)])) == [
        ("av_missing", 2), ("av_missing", 3)]
    assert codes(found(CASE, entries, avs=[av(4, "onsite_inspection")])) == [("av_missing", 3)]
    spanning = replace(av(4, "onsite_inspection"),
                       ended_at=datetime(2025, 10, 10, 3, tzinfo=UTC))
    assert found(CASE, entries, avs=[spanning]) == []


def test_a_service_whose_method_requires_av_is_covered_by_an_av_record_of_the_service():
    service = ("record", "service_execution", record("service", method="direct"))
    entries = chain_of(OPENED, service)
    assert codes(found(CASE, entries, ZHOUCUN)) == [("av_missing", 2)]
    assert found(CASE, entries, ZHOUCUN, avs=[av(3, "service")]) == []
    assert found(CASE, entries, LINGCHUAN) == []   # 陵川 requires none for a direct service


# ---- (七) released outside the procedure -----------------------------------------------------

def release(kind: str = "court", approval: dict | None = None) -> tuple:
    return ("record", "investigation", record(
        "external_release", recipient={"kind": kind, "name": "某某人民法院"},
        **({"approval": approval} if approval else {})))


def approval(role: str = "agency_head", at: str = "2025-10-10T09:00:00+08:00") -> dict:
    return {"approved_by": "王建军", "approver_role": role, "approved_at": at}


@pytest.mark.parametrize("given, message", [
    (None, "未经行政机关负责人批准对外提供执法记录 (to 某某人民法院)"),
    (approval("unit_head"),
     "未经行政机关负责人批准对外提供执法记录: approved by 王建军 (unit_head)"),
    (approval(at="2025-10-10T11:00:00+08:00"),
     "对外提供执法记录后才批准 (approved 2025-10-10T03:00:00+00:00, released "
     "2025-10-10T02:00:00+00:00)")], ids=["none", "not_the_head", "after"])
def test_release_unapproved_where_the_rule_set_requires_the_heads_prior_approval(given,
                                                                                message):
    [unapproved] = found(CASE, chain_of(OPENED, release(approval=given)), ANZE)
    assert (unapproved["code"], unapproved["seq"], unapproved["message"]) == (
        "release_unapproved", 2, message)
    assert unapproved["article"] == ("002《全过程记录办法》第十八条第一款；第二十条第二款; "
                                     "002《全过程记录办法》第二十二条（五）")


def test_a_release_approved_before_it_by_the_head_is_no_finding():
    assert found(CASE, chain_of(OPENED, release(approval=approval())), ANZE) == []


def test_records_kept_by_officer_where_officers_may_not_keep_records():
    officer = release("officer")
    assert codes(found(CASE, chain_of(OPENED, officer), ZHOUCUN)) == [
        ("release_unapproved", 2), ("records_kept_by_officer", 2)]
    [kept] = found(CASE, chain_of(OPENED, officer), LINGCHUAN)  # by legal procedure
    assert (kept["code"], kept["message"]) == (
        "records_kept_by_officer", "行政执法人员不得自行保存执法记录资料: released to 某某人民法院")
    assert found(CASE, chain_of(OPENED, release()), LINGCHUAN) == []


# ---- (五) records a stage requires ----------------------------------------------------------

PROPOSED = ("decision_proposed", "decision", {"classification": {"major": False}})


def issued(proposal_seq: int, **content) -> tuple:
    return ("decision_issued", "decision", {"proposal_seq": proposal_seq, **content})


def test_credentials_not_recorded_once_the_case_reaches_decision():
    entries = chain_of(OPENED, ("stage_changed", "decision", {}))
    [missing] = found(CASE, entries)
    assert (missing["code"], missing["article"], missing["message"], missing["seq"]) == (
        "credentials_not_recorded", "行政处罚法 第五十五条第一款（主动出示执法证件）；"
        + GUIDANCE,
        "调查取证未记录执法人员姓名、证件编号及出示情况", None)
    assert found(replace(CASE, act_type="licence"), entries) == []
    shown = ("record", "investigation", record("credentials_shown"))
    assert found(CASE, chain_of(OPENED, shown, ("stage_changed", "decision", {}))) == []


def test_rights_notice_missing_and_service_not_recorded_for_an_issued_penalty():
    shown = ("record", "investigation", record("credentials_shown"))
    entries = chain_of(OPENED, shown, PROPOSED, issued(3))
    assert codes(found(CASE, entries)) == [("rights_notice_missing", 4)]
    closed = found(replace(CASE, status="closed"), entries)
    assert [(f["code"], f["seq"], f["article"], f["message"]) for f in closed] == [
        ("rights_notice_missing", 4, "行政处罚法 第四十四条（告知陈述、申辩、要求听证等权利）",
         "作出处罚决定前未记录告知当事人陈述、申辩权利"),
        ("service_not_recorded", 4, GUIDANCE,
         "执法决定未记录送达过程")]
    notified = ("record", "investigation", record("rights_notice"))
    served = ("record", "service_execution", record("service", method="direct"))
    assert found(replace(CASE, status="closed"),
                 chain_of(OPENED, shown, notified, PROPOSED, issued(4), served)) == []


# ---- (九)(十三) a decision issued around the board's opinion --------------------------------

def review(proposal_seq: int, *, board: bool) -> tuple:
    content = {"proposal_seq": proposal_seq, "opinion": "approve", "approving": True}
    return ("legal_review", "decision", dict(content, review_id="review-1") if board else content)


SHOWN_AND_NOTIFIED = (("record", "investigation", record("credentials_shown")),
                      ("record", "investigation", record("rights_notice")))


def test_a_decision_on_anything_but_the_boards_last_opinion_is_a_finding():
    entries = chain_of(OPENED, *SHOWN_AND_NOTIFIED, PROPOSED, review(4, board=True),
                       review(4, board=False), issued(4, major=True, legal_review_seq=6))
    [around] = found(CASE, entries)
    assert (around["code"], around["seq"], around["message"]) == (
        "decision_not_on_board_opinion", 7, "决定未依据法制审核机构的最后审核意见作出: issued on "
        "seq 6, the board's last opinion on proposal 4 is seq 5")
    assert around["article"] == "001 工作方案 四(三)（未经法制审核或者审核未通过的，不得作出决定）"
    on_none = chain_of(OPENED, *SHOWN_AND_NOTIFIED, PROPOSED, review(4, board=True),
                       issued(4, major=True, legal_review_seq=None))
    assert "issued on no legal review" in found(CASE, on_none)[0]["message"]
    on_board = chain_of(OPENED, *SHOWN_AND_NOTIFIED, PROPOSED, review(4, board=True),
                        issued(4, major=True, legal_review_seq=5))
    assert found(CASE, on_board) == []


def test_a_decision_on_an_entry_by_hand_the_board_then_answered_is_a_finding():
    entries = chain_of(OPENED, *SHOWN_AND_NOTIFIED, PROPOSED, review(4, board=False),
                       issued(4, major=True, legal_review_seq=5), review(4, board=True))
    assert [(f["code"], f["seq"], f["message"]) for f in found(CASE, entries)] == [
        ("decision_not_on_board_opinion", 6,
         "决定依据法制审核机构以外录入的审核意见 (seq 5) 作出, "
         "法制审核机构其后出具审核意见 (seq 7)")]
    other_proposal = chain_of(OPENED, *SHOWN_AND_NOTIFIED, PROPOSED, review(4, board=False),
                              issued(4, major=True, legal_review_seq=5), review(9, board=True))
    assert found(CASE, other_proposal) == []


# ---- (八) archiving, (七) refused reads ------------------------------------------------------

ARCHIVE_DUE = {"due": "2025-10-15", "basis": "000《全过程记录办法》第三十二条第一款"}


@pytest.mark.parametrize("archived, at", [
    (datetime(2025, 10, 16, 2, tzinfo=UTC), "2025-10-16T02:00:00+00:00"),
    (None, None)], ids=["archived_late", "not_archived"])
def test_archive_late(archived, at):
    case = replace(CASE, status="archived" if archived else "closed", archive_due=ARCHIVE_DUE,
                   archived_at=archived)
    assert found(case, chain_of(OPENED)) == [{
        "code": "archive_late", "article": ARCHIVE_DUE["basis"], "case_id": "case-1",
        "case_no": CASE.case_no, "seq": None,
        "message": "案卷未在行政执法行为终结之日起规定期限内立卷归档", "due": "2025-10-15",
        "at": at}]


def test_archiving_on_the_due_day_in_law_is_on_time():
    # 2025-10-15 23:30 CST is still the due day, though it is 15:30 UTC
    case = replace(CASE, status="archived", archive_due=ARCHIVE_DUE,
                   archived_at=datetime(2025, 10, 15, 15, 30, tzinfo=UTC))
    assert found(case, chain_of(OPENED)) == []
    unarchived = replace(CASE, status="closed", archive_due=ARCHIVE_DUE)
    assert found(unarchived, chain_of(OPENED),
                 now=datetime(2025, 10, 15, 15, 59, tzinfo=UTC)) == []


def test_access_refused():
    refusal = RefusedAccess(datetime(2025, 10, 11, 1, tzinfo=UTC), "citizen-9",
                            "party", "qinyuan-energy", "get_case", "out of reach")
    assert found(CASE, chain_of(OPENED), refused=[refusal]) == [{
        "code": "access_refused", "article": GUIDANCE,
        "case_id": "case-1", "case_no": CASE.case_no, "seq": None,
        "message": "party citizen-9 (qinyuan-energy) was refused get_case: out of reach",
        "due": None, "at": "2025-10-11T01:00:00+00:00"}]


# ---- each finding cites the rule set it was judged under ----------------------------------

@pytest.mark.parametrize("agency, altered, refused", [
    (LINGCHUAN, GUIDANCE, GUIDANCE),
    (QINYUAN, "000《全过程记录办法》第三十五条", "000《全过程记录办法》第三十三条、第三十四条"),
    (ANZE, "002《全过程记录办法》第二十条第一款、第二十二条（四）", GUIDANCE),
    (ZHOUCUN, "004 第五十七条（六）", "004 第五十七条（七）")])
def test_a_finding_cites_the_article_of_the_rule_set_it_was_judged_under(agency, altered,
                                                                       refused):
    entries = chain_of(OPENED, ("record", "initiation", record("note", summary="三人")))
    entries[1] = replace(entries[1], body=entries[1].body.replace("三人", "一人"))
    refusal = RefusedAccess(datetime(2025, 10, 11, 1, tzinfo=UTC), "citizen-9",
                            "party", agency, "get_case", "out of reach")
    cited = {f["code"]: f["article"] for f in found(CASE, entries, agency, refused=[refusal])}
    assert cited == {"record_altered": altered, "access_refused": refused}


def test_every_finding_without_a_rule_of_its_own_has_an_article_in_every_rule_set():
    own = {"emergency_approval_late", "av_storage_late", "av_missing", "release_unapproved",
           "records_kept_by_officer", "source_result_not_told", "archive_late",
           "emergency_approval_missing"}
    for ruleset in RULES.repository.all():
        for code in set(FINDINGS) - own:
            assert findings.article(ruleset, code), (ruleset.ref, code)


# ---- the order of a case's findings ----------------------------------------------------------

def test_a_cases_findings_come_in_their_fixed_order():
    case = replace(CASE, status="closed", start_state="pending_approval",
                   emergency_due=EMERGENCY_DUE, archive_due=ARCHIVE_DUE)
    entries = chain_of(OPENED, INSPECTION, release("officer"), PROPOSED,
                       review(4, board=True), issued(4, major=True, legal_review_seq=None))
    entries[0] = replace(entries[0], body=entries[0].body.replace("case_opened", "case_opene"))
    refusal = RefusedAccess(NOW, "officer-9", "officer", "anze-county", "get_case", "no")
    assert [f["code"] for f in found(case, entries, ZHOUCUN, avs=[av(9, late=True)],
                                     refused=[refusal])] == [
        "record_altered", "emergency_approval_late", "emergency_approval_missing",
        "av_storage_late", "av_missing", "release_unapproved", "records_kept_by_officer",
        "credentials_not_recorded", "rights_notice_missing", "service_not_recorded",
        "decision_not_on_board_opinion", "archive_late", "access_refused"]


def test_the_findings_read_an_entrys_body_as_stored():
    entry = chain_of(("record", "investigation", record("note", summary="x")))[0]
    assert entry.content() == json.loads(entry.body)["content"] == {"record_type": "note",
                                                                   "summary": "x"}
    assert findings.text_records([entry])[0].occurred_at == AT


# ---- a long chain, read once as it comes -----------------------------------------------------

def once(entries: list[EntryRow]):
    """The entries as a stream that can be read only once, as the store hands them over."""
    yield from entries


def test_the_findings_read_the_chain_once_as_it_comes(monkeypatch):
    monkeypatch.setattr(findings, "FOLD_CHUNK", 3)  # the chain spans several chunks
    case = replace(CASE, status="closed", start_state="pending_approval",
                   emergency_due=EMERGENCY_DUE, archive_due=ARCHIVE_DUE)
    entries = chain_of(OPENED, INSPECTION, release("officer"), PROPOSED, INSPECTION,
                       review(4, board=False), issued(4, major=True, legal_review_seq=6),
                       release(), review(4, board=True), ("stage_changed", "decision", {}),
                       INSPECTION)
    entries[7] = replace(entries[7], body=entries[7].body.replace("court", "cour"))
    whole = found(case, entries, ZHOUCUN, avs=[av(9, late=True)])
    assert found(case, once(entries), ZHOUCUN, avs=[av(9, late=True)]) == whole
    assert [f["code"] for f in whole] == [
        "record_altered", "emergency_approval_late", "emergency_approval_missing",
        "av_storage_late", "av_missing", "av_missing", "av_missing", "release_unapproved",
        "records_kept_by_officer", "release_unapproved", "credentials_not_recorded",
        "rights_notice_missing", "service_not_recorded", "decision_not_on_board_opinion",
        "archive_late"]


def test_the_findings_hold_at_most_a_chunk_of_a_long_chain(monkeypatch):
    """Counted by the entries still alive while the chain streams in (CPython frees each as
    its last reference goes): a chunk, and the few entries kept for the rules over the whole
    chain — not the chain."""
    monkeypatch.setattr(findings, "FOLD_CHUNK", 10)
    alive, peak = [0], [0]

    def gone() -> None:
        alive[0] -= 1

    def streamed(count: int):
        prev = chain.GENESIS
        for seq in range(1, count + 1):
            kind, stage, content = (OPENED if seq == 1 else
                                    ("record", "investigation", record("note", n=seq)))
            body = chain.canonical({"seq": seq, "kind": kind, "stage": stage,
                                    "occurred_at": AT, "content": content})
            entry = EntryRow(seq, kind, stage, body, prev, chain.link_hash(prev, body))
            prev = entry.entry_hash
            alive[0] += 1
            peak[0] = max(peak[0], alive[0])
            weakref.finalize(entry, gone)
            yield entry
            del entry

    assert found(CASE, streamed(400)) == []
    assert peak[0] <= 10 + 2  # a chunk, the first entry of each of the two stages
