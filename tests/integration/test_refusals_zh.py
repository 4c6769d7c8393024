"""Every refusal a caller can reach over real RabbitMQ carries a Chinese message that says what
its English one says — the case, stage, review, role, method or token at fault — never only its
class's category ("未找到", "违反执法程序规则", "无权执行此操作" …): an officer reading message_zh
learns what to do without reading the English."""
from __future__ import annotations

import uuid

import pytest

from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.contracts.messages import error_classes
from tests.agencies import LINGCHUAN, agencies
from tests.builders import open_case_request, proposal_request, step_request

LC = LINGCHUAN
CASE_NO = "陵应急立〔2025〕401号"


@pytest.fixture
def serve(container_factory, rabbit_config, db_url, keys_dir, raw_rpc):
    """serve(ServiceClass) -> call(method, token, **kwargs) over plain AMQP."""
    config = dict(rabbit_config, DATABASE_URL=db_url, KEYS_DIR=keys_dir, AGENCIES=agencies(LC))

    def start(cls):
        container_factory(cls, config).start()
        return lambda method, token, **kwargs: raw_rpc(config["AMQP_URI"], cls.name, method,
                                                       kwargs, token)
    return start


@pytest.fixture
def token(token_issuer):
    return lambda role="officer": token_issuer.issue(actor_id=f"{role}-lc", role=role, agency=LC)


def refusal(reply: dict, code: str) -> dict:
    """The refusal's payload, checked to be `code` with a Chinese message of its own."""
    assert reply["result"] is None, reply
    error = reply["error"]
    payload = error["exc_args"][0]
    assert payload["code"] == code, payload
    category = error_classes()[error["exc_type"]].message_zh
    assert payload["message_zh"] != category, payload
    return payload


def test_the_record_keepers_refusals_name_their_case_stage_role_and_method_in_chinese(
        serve, token):
    call = serve(RecordsService)
    opened = call("open_case", token(), **open_case_request(CASE_NO))
    assert opened["error"] is None, opened["error"]
    case_id = opened["result"]["id"]
    missing = str(uuid.uuid4())

    zh = refusal(call("get_case", token(), case_id=missing), "not_found")["message_zh"]
    assert missing in zh and "案件" in zh
    zh = refusal(call("open_case", token(), **open_case_request(CASE_NO)),
                 "duplicate_case_no")["message_zh"]
    assert CASE_NO in zh and LC in zh
    skip = step_request("service_stage", case_id, case_no=CASE_NO, to_stage="decision")
    zh = refusal(call("advance_stage", token(), **skip), "illegal_transition")["message_zh"]
    assert "程序启动" in zh and "调查取证" in zh and "审查决定" in zh
    zh = refusal(call("propose_decision", token(), **proposal_request(case_id)),
                 "wrong_stage")["message_zh"]
    assert "审查决定" in zh and "程序启动" in zh
    archive = {"case_id": case_id, "archived_at": "2025-12-01T10:00:00+08:00",
               "archive_no": "LCYJ-2025-WS-401", "location": "档案室3号柜"}
    zh = refusal(call("archive_case", token(), **archive), "case_not_closed")["message_zh"]
    assert CASE_NO in zh and "办理中" in zh
    issue = {"case_id": case_id, "proposal_seq": 1, "decision_no": "陵应急罚〔2025〕401号",
             "issued_at": "2025-11-01T10:00:00+08:00", "signed_by": "王某"}
    zh = refusal(call("issue_decision", token("officer"), **issue), "forbidden")["message_zh"]
    assert "'officer'" in zh and "head" in zh
    zh = refusal(call("get_case", None, case_id=case_id), "unauthenticated")["message_zh"]
    assert "nameko.actor_token" in zh
    zh = refusal(call("no_such_method", token(), case_id=case_id), "bad_request")["message_zh"]
    assert "'no_such_method'" in zh and "records" in zh


def test_the_review_boards_not_found_names_the_review_in_chinese(serve, token):
    call = serve(ReviewService)
    missing = str(uuid.uuid4())
    zh = refusal(call("get_review", token("legal_unit"), review_id=missing),
                 "not_found")["message_zh"]
    assert missing in zh and "审核" in zh
