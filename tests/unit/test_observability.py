"""The observability profile's files (compose/observability): Prometheus' scrape config and alert
rules checked by the real `promtool` (check config, check rules, and the rules' own unit tests
in alerts_test.yml), Grafana's provisioning, and a dashboard that asks only for metrics the
services export. And LOG_FORMAT in each service's config file: the formatter it names, built as
nameko's dictConfig builds it. Needs the Debian package prometheus (scripts/bootstrap installs
it) for promtool."""
from __future__ import annotations

import json
import logging.config
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from shared.observability import logs
from shared.observability.metrics import ServiceMetrics

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "compose" / "observability"
SERVICES = ("records", "review", "disclosure", "renderer", "vault")
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package "
                                    "prometheus) not installed: run ./scripts/bootstrap")
METRIC = re.compile(r"\b(sanxiang_[a-z_]+)")
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def promtool(*args: str, cwd: Path = HERE) -> str:
    assert PROMTOOL is not None
    done = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@needs_promtool
def test_the_scrape_config_is_valid_and_scrapes_every_service(tmp_path):
    config = yaml.safe_load((HERE / "prometheus.yml").read_text("utf-8"))
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    targets = {job["job_name"]: job["static_configs"][0]["targets"]
               for job in config["scrape_configs"]}
    assert targets == {name: [f"{name}:9464"] for name in SERVICES}
    # promtool reads the rule file it names: the copy beside it here
    shutil.copy(HERE / "alerts.yml", tmp_path / "alerts.yml")
    config["rule_files"] = [str(tmp_path / "alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), "utf-8")
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml", cwd=tmp_path)


@needs_promtool
def test_the_alert_rules_are_valid_and_pass_their_tests():
    assert "SUCCESS: 10 rules found" in promtool("check", "rules", "alerts.yml")
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml")


@needs_promtool
def test_a_wrong_expectation_fails_the_rule_tests(tmp_path):
    """The rule tests can fail: one expected summary changed, promtool says so."""
    shutil.copy(HERE / "alerts.yml", tmp_path / "alerts.yml")
    text = (HERE / "alerts_test.yml").read_text("utf-8")
    assert "10% of calls fail" in text
    (tmp_path / "alerts_test.yml").write_text(text.replace("10% of calls fail",
                                                           "11% of calls fail"), "utf-8")
    done = subprocess.run([str(PROMTOOL), "test", "rules", "alerts_test.yml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "SanxiangRpcErrorRate" in done.stdout + done.stderr


def test_every_alert_is_tested():
    rules = yaml.safe_load((HERE / "alerts.yml").read_text("utf-8"))
    alerts = {r["alert"] for group in rules["groups"] for r in group["rules"]}
    tests = yaml.safe_load((HERE / "alerts_test.yml").read_text("utf-8"))
    fired = {t["alertname"] for case in tests["tests"] for t in case["alert_rule_test"]
             if t.get("exp_alerts")}
    assert alerts == fired


def exported() -> set[str]:
    """The metric names the services export: the kernel's (shared.observability.metrics), and
    the gauges each service and the kernel read (every Reading named in the sources)."""
    names = {family.name for family in ServiceMetrics("any").registry.collect()}
    for path in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]:
        names |= set(re.findall(r'Reading\(\s*"(sanxiang_[a-z_]+)"', path.read_text("utf-8")))
    return names


def asked(text: str) -> set[str]:
    found = set()
    for name in METRIC.findall(text):
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                name = name[:-len(suffix)]
                break
        found.add(name)
    return found


def test_the_dashboard_and_the_alerts_ask_only_for_exported_metrics():
    names = exported()
    assert {"sanxiang_rpc_calls", "sanxiang_rpc_duration_seconds", "sanxiang_review_clocks",
            "sanxiang_publications_overdue", "sanxiang_fixity_failures",
            "sanxiang_outbox_oldest_pending_age_seconds", "sanxiang_calendar_days_left"} <= names
    dashboard = json.loads((HERE / "grafana" / "dashboards" / "sanxiang.json").read_text("utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [v["query"]["query"] for v in dashboard["templating"]["list"]]
    assert sorted(asked("\n".join(exprs)) - names) == []
    # every exported metric is on the dashboard
    assert sorted(names - asked("\n".join(exprs))) == []
    assert sorted(asked((HERE / "alerts.yml").read_text("utf-8")) - names) == []
    assert all(t["datasource"]["uid"] == "prometheus" for p in dashboard["panels"]
               for t in p["targets"])


def test_grafana_provisioning_reads_prometheus_and_the_dashboards_folder():
    prov = HERE / "grafana" / "provisioning"
    sources = yaml.safe_load((prov / "datasources" / "prometheus.yml").read_text("utf-8"))
    (source,) = sources["datasources"]
    assert (source["type"], source["url"], source["uid"]) == (
        "prometheus", "http://prometheus:9090", "prometheus")
    providers = yaml.safe_load((prov / "dashboards" / "sanxiang.yml").read_text("utf-8"))
    (provider,) = providers["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


NAMEKO_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::(?P<default>[^}]*))?\}")


def nameko_load(path: Path, env: dict[str, str]) -> dict:
    """A config.yml read as `nameko run --config` reads it, `env` the whole environment."""
    def constructor(loader, node):
        raw = loader.construct_scalar(node)
        value = NAMEKO_VAR.sub(lambda m: env.get(m.group("name"), m.group("default") or ""),
                               raw)
        return value if value == raw else yaml.safe_load(value)

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!env_var", constructor)
    Loader.add_implicit_resolver("!env_var", re.compile(r".*\$\{.*\}.*"), None)
    return yaml.load(path.read_text("utf-8"), Loader=Loader)


def built_formatter(config: dict) -> logging.Formatter:
    """The formatter of the config's console handler, built as dictConfig builds it."""
    spec = dict(config["LOGGING"]["formatters"]["plain"])
    return logging.config.DictConfigurator({}).configure_formatter(spec)


@pytest.mark.parametrize("service", SERVICES)
def test_log_format_picks_the_formatter_and_metrics_address_is_empty_by_default(service):
    path = ROOT / "compose" / service / "config.yml"
    plain = nameko_load(path, {})
    assert plain["METRICS_ADDRESS"] is None and plain["LOG_FORMAT"] == "text"
    text = built_formatter(plain)
    assert not isinstance(text, logs.JsonFormatter)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    assert text.format(record).endswith("INFO x: hello there")
    as_json = built_formatter(nameko_load(path, {"LOG_FORMAT": "json",
                                                 "METRICS_ADDRESS": "0.0.0.0:9464"}))
    assert isinstance(as_json, logs.JsonFormatter)
    line = json.loads(as_json.format(record))
    assert (line["level"], line["logger"], line["message"]) == ("INFO", "x", "hello there")
    with pytest.raises(ValueError, match="LOG_FORMAT must be text or json, not 'xml'"):
        built_formatter(nameko_load(path, {"LOG_FORMAT": "xml"}))


def test_sanxiang_run_gives_each_service_its_own_loopback_port():
    from shared.cli.services import metrics_address
    ports = {"records": 9461, "review": 9462, "disclosure": 9463, "renderer": 9464,
             "vault": 9465}
    assert {name: metrics_address(name, {}) for name in ports} == {
        name: f"127.0.0.1:{port}" for name, port in ports.items()}
    assert metrics_address("records", {"METRICS_ADDRESS": ""}) is None
    assert metrics_address("records", {"METRICS_ADDRESS": "", "RECORDS_METRICS_ADDRESS":
                                       "0.0.0.0:9999"}) == "0.0.0.0:9999"
    assert metrics_address("review", {"RECORDS_METRICS_ADDRESS": "0.0.0.0:9999"}) == \
        "127.0.0.1:9462"


def test_a_bad_metrics_address_is_refused_naming_the_key():
    from shared.errors import ConfigurationError
    from shared.observability.metrics import parse_address
    assert parse_address("") is None and parse_address(None) is None
    assert parse_address("0.0.0.0:9464") == ("0.0.0.0", 9464)
    assert parse_address("[::1]:9464") == ("::1", 9464)
    for bad in ("9464", "host:", "host:http", "host:70000", ":9464"):
        with pytest.raises(ConfigurationError, match="METRICS_ADDRESS must be host:port"):
            parse_address(bad)
