"""`sanxiang call`: the RPCs listed from the contracts with their roles; a request built from
FIELD=VALUE pairs, --json-args or stdin and checked against the contract before anything is
sent, each broken rule named with its field; exit codes that say what went wrong. (The call
itself, against the running suite, is in tests/e2e/test_demo.py.)"""
import io
import json
import subprocess
from pathlib import Path

from shared.cli import main
from shared.cli.call import contracts, request
from shared.trust.keys import init_deployment

ROOT = Path(__file__).resolve().parents[2]
CASE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def run(capsys, *argv):
    code = main(["call", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_names_every_rpc_of_the_contracts_with_its_roles(capsys):
    code, out, _ = run(capsys, "--list")
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("records.get_case "))
    assert "read" in line and "roles: officer, head, legal_unit, reviewer, supervisor, party" \
        in line
    assert any(row.startswith("review.issue_opinion ") and "write" in row
               for row in out.splitlines())
    total = sum(len(c.rpcs) for c in contracts().values())
    assert sum(1 for row in out.splitlines() if "roles:" in row) == total


def test_naming_a_service_lists_its_rpcs_only_and_json_lists_them_as_objects(capsys):
    code, out, _ = run(capsys, "records", "--json")
    rows = json.loads(out)
    assert code == 0 and {r["rpc"].split(".")[0] for r in rows} == {"records"}
    get_case = next(r for r in rows if r["rpc"] == "records.get_case")
    assert get_case["fields"] == ["case_id"] and get_case["writes"] is False


def test_values_are_json_where_the_field_takes_more_than_text():
    rpc = contracts()["records"].rpc("propose_decision")
    kwargs = request(rpc, ["case_id=12345", 'decision={"act_type": "penalty"}'], None, None)
    assert kwargs == {"case_id": "12345", "decision": {"act_type": "penalty"}}
    rpc = contracts()["records"].rpc("get_entries")
    assert request(rpc, ["case_id=" + CASE_ID, "limit=5"], None, None)["limit"] == 5


def test_json_args_and_stdin_give_the_request_and_pairs_override_them():
    rpc = contracts()["records"].rpc("get_case")
    stdin = io.StringIO(json.dumps({"case_id": "from-stdin"}))
    assert request(rpc, ["-"], None, stdin) == {"case_id": "from-stdin"}
    assert request(rpc, ["case_id=x"], '{"case_id": "y"}', None) == {"case_id": "x"}


def test_a_request_the_contract_refuses_is_not_sent_and_names_field_and_rule(capsys, tmp_path):
    code, out, err = run(capsys, "records.get_case", "--as", "officer", "--agency",
                         "lingchuan-emergency", "--keys", str(tmp_path), "case=1")
    assert code == 2 and out == ""
    assert "validation_failed" in err
    assert "case_id: Missing data for required field. (必填)" in err
    assert "case: Unknown field. (未知字段)" in err


def test_json_errors_carry_the_specific_reason_in_chinese(capsys, tmp_path):
    code, _, err = run(capsys, "records.get_case", "--as", "officer", "--agency",
                       "lingchuan-emergency", "--keys", str(tmp_path), "--json")
    error = json.loads(err)["error"]
    assert code == 2 and error["code"] == "validation_failed"
    assert error["details"] == {"case_id": ["Missing data for required field."]}
    assert error["message_zh"] == "提交的数据不符合要求：case_id：必填"


def test_an_unknown_method_is_refused_listing_the_services_methods(capsys):
    code, _, err = run(capsys, "records.get_kase", "case_id=x")
    assert code == 2 and "records has no method 'get_kase'" in err and "get_case" in err


def test_a_caller_needs_an_agency_and_a_key(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("SANXIANG_AGENCY", raising=False)
    code, _, err = run(capsys, "records.get_case", "--as", "officer", f"case_id={CASE_ID}")
    assert code == 2 and "--agency: required" in err
    code, _, err = run(capsys, "records.get_case", "--as", "officer", "--agency",
                       "lingchuan-emergency", "--keys", str(tmp_path / "none"),
                       f"case_id={CASE_ID}")
    assert code == 2 and "--keys" in err and "sanxiang keys init" in err


def test_no_broker_is_exit_code_3_as_a_process(tmp_path):
    init_deployment(tmp_path, ["records"], checkpoint_signers=[])
    env = {"PATH": "/usr/bin:/bin", "AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/",
           "SANXIANG_KEYS": str(tmp_path), "SANXIANG_AGENCY": "lingchuan-emergency"}
    done = subprocess.run([str(ROOT / "sanxiang"), "call", "records.get_case",
                           f"case_id={CASE_ID}", "--timeout", "2"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "cannot reach the broker" in done.stderr or "no answer" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_launcher_runs_sanxiang_from_the_project_root():
    done = subprocess.run([str(ROOT / "sanxiang"), "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("sanxiang ")
    assert done.stderr == ""
