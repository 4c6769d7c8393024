"""Pure rules of the record keeper: transitions, the chain, masking."""
import pytest

from services.records import domain
from shared.errors import DomainRuleViolated


def test_stages_move_forward_one_at_a_time():
    domain.check_advance("initiation", "investigation")
    domain.check_advance("service_execution", "archive")
    with pytest.raises(DomainRuleViolated) as err:
        domain.check_advance("initiation", "decision")
    assert err.value.code == "illegal_transition"
    assert err.value.details == {"from": "initiation", "to": "decision",
                                 "allowed": ["investigation"]}
    with pytest.raises(DomainRuleViolated) as err:
        domain.check_advance("decision", "investigation")
    assert err.value.details["allowed"] == ["service_execution"]
    with pytest.raises(DomainRuleViolated) as err:
        domain.check_advance("archive", "initiation")
    assert err.value.code == "case_closed"


def test_record_types_belong_to_their_stages():
    domain.check_record_stage("evidence_preservation", "investigation")
    with pytest.raises(DomainRuleViolated) as err:
        domain.check_record_stage("reminder", "investigation")
    assert err.value.details["allowed"] == ["service_execution"]


def test_lien_service_implies_the_av_situation():
    assert domain.implied_situations("service", {"method": "lien"}) == {"service_lien"}
    assert domain.implied_situations("service", {"method": "direct"}) == set()
    assert domain.implied_situations("refusal_to_cooperate", {}) == {"non_cooperation"}


def _chain(bodies):
    rows, prev = [], domain.GENESIS
    for i, body in enumerate(bodies, 1):
        text = domain.canonical(body)
        h = domain.link_hash(prev, text)
        rows.append((i, text, prev, h))
        prev = h
    return rows


def test_canonical_form_is_key_order_free_and_keeps_chinese():
    assert domain.canonical({"b": 1, "a": "案号"}) == '{"a":"案号","b":1}'


def test_intact_chain_verifies():
    rows = _chain([{"n": i} for i in range(5)])
    assert domain.verify_chain(rows, note_seq=3) == (5, None, rows[2][3])


def test_edited_body_is_named_at_its_seq():
    rows = _chain([{"n": i} for i in range(5)])
    seq, body, prev, h = rows[2]
    rows[2] = (seq, body.replace("2", "7"), prev, h)
    checked, bad, _ = domain.verify_chain(rows)
    assert checked == 2
    assert bad.seq == 3 and bad.problem == "content does not match its hash"


def test_rehashed_entry_breaks_the_next_link():
    rows = _chain([{"n": i} for i in range(5)])
    seq, _body, prev, _h = rows[1]
    forged = domain.canonical({"n": 99})
    rows[1] = (seq, forged, prev, domain.link_hash(prev, forged))
    _, bad, _ = domain.verify_chain(rows)
    assert bad.seq == 3 and bad.problem == "previous-hash link broken"


def test_deleted_entry_is_named():
    rows = _chain([{"n": i} for i in range(5)])
    del rows[3]
    _, bad, _ = domain.verify_chain(rows)
    assert bad.seq == 4 and bad.problem == "missing entry"


def test_party_view_masks_informants_everywhere():
    persons = [{"id": "p1", "role": "informant", "name": "张三丰", "phone": "13800138000"},
               {"id": "p2", "role": "applicant", "name": "李四"}]
    masked, secrets = domain.protected_persons(persons)
    assert masked[0] == {"id": "p1", "role": "informant", "name": domain.MASK}
    assert masked[1]["name"] == "李四"
    text = {"summary": "举报人张三丰（电话13800138000）反映", "list": ["张三丰"]}
    assert domain.mask_for_party(text, secrets) == {
        "summary": f"举报人{domain.MASK}（电话{domain.MASK}）反映", "list": [domain.MASK]}


def test_chain_read_as_bytes_verifies_the_same():
    rows = _chain([{"n": i, "名": "张三"} for i in range(5)])
    as_bytes = [(seq, body.encode(), prev.encode(), h.encode()) for seq, body, prev, h in rows]
    assert domain.verify_chain(as_bytes, note_seq=3) == (5, None, rows[2][3])
    seq, body, prev, h = as_bytes[2]
    as_bytes[2] = (seq, body.replace("张".encode(), "李".encode()), prev, h)
    checked, bad, _ = domain.verify_chain(as_bytes)
    assert checked == 2 and bad.seq == 3 and bad.problem == "content does not match its hash"
    assert bad.found == h.decode() and isinstance(bad.expected, str)
    assert domain.verify_chain([]) == (0, None, None)
