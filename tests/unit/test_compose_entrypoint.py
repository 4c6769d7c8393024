"""The Sanxiang image's entrypoint (compose/entrypoint.py) run for real, as the image runs it:
secrets read from files into the variables and the URLs that name them, the peers of the
deployment's profiles, and a clear refusal of a missing or doubled secret."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kombu import Connection
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "compose" / "entrypoint.py"
DUMP = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]


def run(env: dict[str, str], command=DUMP) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ENTRYPOINT), *command], env={**base, **env},
                          capture_output=True, text=True, timeout=60)


def test_secrets_from_files_fill_the_urls_percent_encoded(tmp_path):
    (tmp_path / "amqp").write_text("p@ss/w:rd\n")
    (tmp_path / "db").write_text("hex0123")
    result = run({
        "AMQP_PASSWORD_FILE": str(tmp_path / "amqp"),
        "AMQP_URI": "pyamqp://records:${AMQP_PASSWORD}@rabbitmq:5672/sanxiang",
        "DATABASE_PASSWORD_FILE": str(tmp_path / "db"),
        "RECORDS_DATABASE_URL": "postgresql://records:${DATABASE_PASSWORD}@postgres:5432/records",
        "OTHER": "${NOT_A_SECRET} stays",
    })
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)
    assert env["AMQP_PASSWORD"] == "p@ss/w:rd"
    amqp = Connection(env["AMQP_URI"])
    assert (amqp.userid, amqp.password, amqp.hostname, amqp.virtual_host) == \
        ("records", "p@ss/w:rd", "rabbitmq", "sanxiang")
    db = make_url(env["RECORDS_DATABASE_URL"])
    assert (db.username, db.password, db.host, db.database) == \
        ("records", "hex0123", "postgres", "records")
    assert env["OTHER"] == "${NOT_A_SECRET} stays"


def test_the_profiles_tell_the_service_its_peers_and_a_set_value_wins():
    result = run({"SANXIANG_SERVICE": "records", "SANXIANG_PROFILES": "records-review",
                  "VAULT": "auto"})
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)
    assert env["REVIEW_BOARD"] == "required"
    assert env["DISCLOSURE"] == "absent"
    assert env["VAULT"] == "auto"   # the container's own setting wins
    other = json.loads(run({"SANXIANG_SERVICE": "renderer",
                            "SANXIANG_PROFILES": "disclosure-renderer"}).stdout)
    assert other["DOCUMENT_VAULT"] == "required"
    alone = json.loads(run({"SANXIANG_SERVICE": "renderer", "SANXIANG_PROFILES": "renderer"})
                       .stdout)
    assert alone["DOCUMENT_VAULT"] == "absent"


def test_a_missing_empty_or_doubled_secret_stops_the_container_naming_it(tmp_path):
    missing = run({"AMQP_PASSWORD_FILE": str(tmp_path / "nope")})
    assert missing.returncode == 1
    assert "AMQP_PASSWORD_FILE" in missing.stderr and "nope" in missing.stderr
    (tmp_path / "empty").write_text("\n")
    empty = run({"S3_SECRET_KEY_FILE": str(tmp_path / "empty")})
    assert empty.returncode == 1 and "S3_SECRET_KEY_FILE" in empty.stderr
    (tmp_path / "pw").write_text("x")
    both = run({"S3_SECRET_KEY_FILE": str(tmp_path / "pw"), "S3_SECRET_KEY": "y"})
    assert both.returncode == 1
    assert "S3_SECRET_KEY" in both.stderr and "S3_SECRET_KEY_FILE" in both.stderr


def test_the_healthcheck_reads_the_url_the_same_way(tmp_path):
    """The healthcheck runs beside the service, not through the entrypoint: with a password
    file and no broker answering it reports the queue unreachable, not a KeyError or a
    literal ${AMQP_PASSWORD} sent as the password."""
    (tmp_path / "pw").write_text("secret")
    result = subprocess.run(
        [sys.executable, str(ROOT / "compose" / "healthcheck.py")],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "SANXIANG_SERVICE": "records",
             "AMQP_PASSWORD_FILE": str(tmp_path / "pw"),
             "AMQP_URI": "pyamqp://records:${AMQP_PASSWORD}@127.0.0.1:1/x"},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("rpc-records:"), result.stderr


def test_without_a_command_it_runs_the_service_class_sanxiang_service_names(tmp_path):
    """nameko is given the class, as the installed package declares it: a module alone makes
    nameko refuse the base class the service module imports."""
    bad = run({"SANXIANG_SERVICE": "nonesuch"}, command=[])
    assert bad.returncode == 1 and "SANXIANG_SERVICE 'nonesuch'" in bad.stderr
