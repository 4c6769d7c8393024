"""The compose deployment, checked without a Docker engine (none runs in CI):
schema validity, files it points at, health and start order, which services each subset
(profile) starts, variables, images pinned by digest, secrets only from files, and every
config file a service reads rendered with the environment compose gives it and checked with
the service's own readers."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.compose import (
    COMPOSE,
    COMPOSE_VAR,
    FULL,
    NAMEKO_VAR,
    ROOT,
    SECRET_VALUE,
    SERVICES,
    SUBSETS,
    compose_env,
    entrypoint,
    env_items,
    image_env,
    interpolate,
    load,
    nameko_load,
    profiles_of,
    secret_files,
    started,
    walk_strings,
)

COMPOSE_FILES = [FULL]
# What a subset needs besides its services: broker, database and keys always; MinIO for the
# vault (the renderer keeps nothing itself: every document it renders goes to the vault),
# unoserver for the renderer, the portal for the disclosure service; a migrate container for
# each service.
INFRA_ALWAYS = {"rabbitmq", "rabbitmq-init", "keys-init", "postgres"}
INFRA_OF = {"renderer": {"unoserver"}, "vault": {"minio", "minio-init"},
            "disclosure": {"portal"}}
README = (COMPOSE / "README.md").read_text(encoding="utf-8")


def compose_vars(doc) -> dict[str, str | None]:
    """Variable name -> operator (None when used bare)."""
    found: dict[str, str | None] = {}
    for s in walk_strings(doc):
        for m in COMPOSE_VAR.finditer(s.replace("$$", "")):
            found.setdefault(m.group("name"), m.group("op"))
            if m.group("op") in (":?", "?"):
                found[m.group("name")] = m.group("op")
    return found


def required_vars(doc) -> set[str]:
    return {n for n, op in compose_vars(doc).items() if op in (":?", "?")}


@pytest.fixture(scope="module")
def schema():
    return json.loads((COMPOSE / "_meta" / "compose-spec.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_valid_against_compose_spec_before_and_after_interpolation(path, schema):
    doc = load(path)
    validator = jsonschema.Draft7Validator(schema)
    for label, candidate in [
        ("raw", doc),
        ("interpolated", interpolate(doc, dict.fromkeys(required_vars(doc), "x"))),
    ]:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(candidate)]
        assert not errors, f"{path.name} ({label}):\n" + "\n".join(errors)


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_referenced_files_exist(path):
    doc = load(path)
    for name, svc in doc["services"].items():
        build = svc.get("build")
        if build:
            folder = build if isinstance(build, str) else build["context"]
            context = (path.parent / folder).resolve()
            assert context.is_dir(), f"{name}: build context {context} missing"
            dockerfile = ("Dockerfile" if isinstance(build, str)
                          else build.get("dockerfile", "Dockerfile"))
            assert (context / dockerfile).is_file(), f"{name}: {dockerfile} missing in {context}"
        for vol in svc.get("volumes", []):
            source = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if source.startswith((".", "/")):
                assert (path.parent / source).exists(), f"{name}: bind mount {source} missing"


def test_dockerfile_copies_existing_compose_files_and_runs_nameko_as_non_root():
    text = (COMPOSE / "Dockerfile").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for src in line.split()[1:-1]:
                if src.startswith("compose/"):
                    assert (ROOT / src).is_file(), f"Dockerfile copies missing {src}"
                    ignore = (COMPOSE / "Dockerfile.dockerignore").read_text(encoding="utf-8")
                    assert f"!{src}" in ignore, f"{src} is excluded from the build context"
    assert re.search(r"^USER (?!root)\S+", text, re.M), "image must not run as root"
    assert 'ENTRYPOINT ["python", "/usr/local/lib/sanxiang/entrypoint.py"]' in text
    # no command of its own (nor the base image's): the entrypoint runs the service
    assert [ln for ln in text.splitlines() if ln.startswith("CMD ")][-1] == "CMD []"
    entry = entrypoint()
    for name in SERVICES:
        command = entry.service_command({"SANXIANG_SERVICE": name})
        assert command[1:5] == ["-m", "nameko", "run", "--config"]
        assert command[5] == "/etc/sanxiang/config.yml"
        module, _, cls = command[6].partition(":")
        assert module == f"services.{name}.service" and cls, command


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_health_start_order_and_volumes(path):
    doc = load(path)
    services = doc["services"]
    declared_volumes = set(doc.get("volumes") or {})
    one_shots = {n for n, s in services.items() if s.get("restart") == "no"}
    for name, svc in services.items():
        if name in one_shots:
            assert "healthcheck" not in svc
        else:
            assert svc.get("healthcheck", {}).get("test"), f"{name}: no healthcheck"
            assert svc.get("restart") in ("always", "unless-stopped"), f"{name}: restart policy"
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on {dep}, which {path.name} lacks"
            want = "service_completed_successfully" if dep in one_shots else "service_healthy"
            assert spec["condition"] == want, f"{name} -> {dep}: condition {spec['condition']}"
        for vol in svc.get("volumes", []):
            source = vol.split(":", 1)[0] if isinstance(vol, str) else vol["source"]
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{name}: volume {source} not declared"


def test_full_suite_runs_every_service_with_its_config():
    services = load(FULL)["services"]
    for name in SERVICES:
        svc = services[name]
        assert env_items(svc)["SANXIANG_SERVICE"] == name
        assert f"./{name}/config.yml:/etc/sanxiang/config.yml:ro" in svc["volumes"]
        db_var = f"{name.upper()}_DATABASE_URL"
        assert env_items(svc)[db_var].startswith("postgresql://"), db_var
        assert f"${{{db_var}:" in (COMPOSE / name / "config.yml").read_text(encoding="utf-8")


def test_every_secret_is_a_file_under_compose_secrets_made_by_the_recipe():
    doc = load(FULL)
    assert doc["secrets"], "secrets come from files"
    for name, spec in doc["secrets"].items():
        assert spec == {"file": f"./secrets/{name}"}, name
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "compose/secrets/" in ignored
    used = {s for svc in doc["services"].values() for s in svc.get("secrets", [])}
    assert used == set(doc["secrets"]), "a secret declared but never mounted, or the reverse"


def test_make_secrets_makes_every_secret_once_and_never_overwrites(tmp_path):
    for name in ("docker-compose.yml", "make-secrets.sh"):
        (tmp_path / name).write_bytes((COMPOSE / name).read_bytes())
    subprocess.run(["sh", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True)
    folder = tmp_path / "secrets"
    made = {p.name: p.read_text() for p in folder.iterdir()}
    assert set(made) == set(load(FULL)["secrets"])
    assert all(re.fullmatch(r"[0-9a-f]{48}", v) for v in made.values()), made
    assert len(set(made.values())) == len(made)
    assert folder.stat().st_mode & 0o777 == 0o700
    (folder / "postgres-password").unlink()
    subprocess.run(["sh", str(tmp_path / "make-secrets.sh")], check=True, capture_output=True)
    again = {p.name: p.read_text() for p in folder.iterdir()}
    assert {k: v for k, v in again.items() if k != "postgres-password"} == \
        {k: v for k, v in made.items() if k != "postgres-password"}
    assert again["postgres-password"] != made["postgres-password"]


def expected(subset_services: list[str]) -> set[str]:
    need = set(INFRA_ALWAYS)
    for name in subset_services:
        need |= {name, f"{name}-migrate"} | INFRA_OF.get(name, set())
    return need


def test_every_service_has_profiles_and_the_profiles_are_the_documented_ones():
    doc = load(FULL)
    known = set(SUBSETS) | set(SERVICES) | {"observability"}
    for name, svc in doc["services"].items():
        assert profiles_of(svc), f"{name} has no profile: it would start in every subset"
        assert profiles_of(svc) <= known, (name, profiles_of(svc) - known)
    for profile in known:
        assert f"`{profile}`" in README, f"compose/README.md does not name the profile {profile}"


@pytest.mark.parametrize("subset", [*SUBSETS, *SERVICES])
def test_each_subset_starts_exactly_what_it_needs_and_nothing_outside_it(subset):
    doc = load(FULL)
    runs = started(doc, [subset])
    assert runs == expected(SUBSETS.get(subset, [subset])), subset
    for name in runs:
        for dep in doc["services"][name].get("depends_on") or {}:
            assert dep in runs, f"{subset}: {name} depends on {dep}, which it does not start"


def test_observability_starts_prometheus_and_grafana_beside_any_subset():
    doc = load(FULL)
    assert started(doc, ["observability"]) == {"prometheus", "grafana"}
    assert started(doc, ["records-only", "observability"]) == \
        expected(["records"]) | {"prometheus", "grafana"}
    prom, grafana = doc["services"]["prometheus"], doc["services"]["grafana"]
    assert "./observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prom["volumes"]
    assert "./observability/alerts.yml:/etc/prometheus/alerts.yml:ro" in prom["volumes"]
    assert "./observability/grafana/provisioning:/etc/grafana/provisioning:ro" in \
        grafana["volumes"]
    assert "./observability/grafana/dashboards:/var/lib/grafana/dashboards:ro" in \
        grafana["volumes"]
    for name in SERVICES:
        env = env_items(doc["services"][name])
        assert env["METRICS_ADDRESS"] == "0.0.0.0:9464" and env["LOG_FORMAT"] == "json", name
        # scraped on the compose network, never published on the host
        assert not [p for p in doc["services"][name].get("ports", []) if "9464" in str(p)]


def test_the_entrypoint_knows_the_subsets_the_compose_file_defines():
    entry = entrypoint()
    doc = load(FULL)
    subsets = {k: tuple(v) for k, v in SUBSETS.items()}
    assert subsets == entry.SUBSETS
    for subset, members in SUBSETS.items():
        assert started(doc, [subset]) & set(SERVICES) == set(members)
        assert entry.deployed(subset) == members
    assert entry.deployed("records-review,observability") == ["records", "review"]
    assert entry.deployed("records,vault") == ["records", "vault"]


IMAGE_PIN = re.compile(r"^[a-z0-9./-]+(?::[A-Za-z0-9._-]+)@sha256:[0-9a-f]{64}$")
BUILT_HERE = ("sanxiang:", "sanxiang-unoserver:")


def test_every_image_from_a_registry_is_pinned_by_tag_and_digest():
    for name, svc in load(FULL)["services"].items():
        image = svc["image"]
        if image.startswith(BUILT_HERE):
            assert "build" in svc, f"{name}: {image} is built here, so it has a build"
            continue
        assert IMAGE_PIN.match(image), f"{name}: {image} is not name:tag@sha256:<64 hex>"
        tag = image.split("@")[0]
        assert f"`{tag}`" in README, f"{name}: compose/README.md does not say where {tag} came from"
    dockerfile = (COMPOSE / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.M)
    assert base and IMAGE_PIN.match(base.group(1)), "the Python base image is pinned"
    froms = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert froms and all(f.startswith("${PYTHON_IMAGE}") for f in froms), froms


def test_rabbitmq_is_a_supported_4x_release_and_postgres_on_bookworm():
    services = load(FULL)["services"]
    assert re.match(r"rabbitmq:4\.\d+(\.\d+)?-management@", services["rabbitmq"]["image"])
    assert re.match(r"postgres:1[5-8]-bookworm@", services["postgres"]["image"])


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_compose_variable_is_documented(path):
    missing = [v for v in compose_vars(load(path)) if f"`{v}`" not in README]
    assert not missing, f"add to compose/README.md: {missing}"


SECRET_NAME = re.compile(r"PASSWORD|PASS$|SECRET")
URL_PASSWORD = re.compile(r"://[^/:@\s]+:(?P<pw>[^@\s]+)@")
# a password in a URL: a reference the entrypoint fills from a secret file, `$${NAME}`
FILE_REFERENCE = re.compile(r"^\$\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}$")


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_no_committed_secrets(path):
    """A secret reaches a container only as a file (NAME_FILE -> /run/secrets/<name>); a
    password inside a URL is a reference to such a file's variable, never a value, and no
    ${VAR} from the environment carries one."""
    doc = load(path)
    for name, svc in doc["services"].items():
        env = env_items(svc)
        mounted = set(svc.get("secrets", []))
        for key, value in env.items():
            if key.endswith("_FILE"):
                assert value.startswith("/run/secrets/"), f"{name}.{key}"
                assert value.removeprefix("/run/secrets/") in mounted, f"{name}.{key}"
            elif SECRET_NAME.search(key):
                raise AssertionError(f"{name}.{key}: a secret must come from a file ({key}_FILE)")
        for value in env.values():
            for m in URL_PASSWORD.finditer(value):
                ref = FILE_REFERENCE.match(m.group("pw"))
                assert ref and f"{ref.group('name')}_FILE" in env, f"password in URL {value!r}"
    for var in compose_vars(doc):
        assert not SECRET_NAME.search(var), f"${{{var}}}: secrets come from files, not variables"


@pytest.mark.parametrize("service", SERVICES)
def test_service_config_parses_with_embedded_defaults(service):
    path = COMPOSE / service / "config.yml"
    config = nameko_load(path, env={})
    assert config["AMQP_URI"] == "pyamqp://guest:guest@127.0.0.1:5672/"
    assert config["max_workers"] == 10
    assert config["DATABASE_URL"] == f"sqlite:///data/{service}.sqlite3"
    assert config["LOGGING"]["version"] == 1
    assert config["LOGGING"]["root"]["level"] == "INFO"
    # Every nameko ${VAR} has a default, or README names it.
    for m in NAMEKO_VAR.finditer(path.read_text(encoding="utf-8")):
        assert m.group("colon") or f"`{m.group('name')}`" in README, m.group(0)


def test_service_config_follows_the_environment():
    path = COMPOSE / "vault" / "config.yml"
    config = nameko_load(path, env={"VAULT_DATABASE_URL": "postgresql://u:p@db/vault",
                                    "MAX_WORKERS": "4", "S3_SECURE": "true"})
    assert config["DATABASE_URL"] == "postgresql://u:p@db/vault"
    assert config["max_workers"] == 4
    assert config["VAULT_S3_SECURE"] is True
    assert config["VAULT_RETENTION_MODE"] == "COMPLIANCE"


def test_the_vault_reads_every_setting_of_its_stores_from_its_config_file():
    """The keys services/vault/storage/config.py reads are all in compose/vault/config.yml —
    a key missing there is one neither compose nor `sanxiang run` can ever set."""
    source = (ROOT / "services" / "vault" / "storage" / "config.py").read_text("utf-8")
    read = set(re.findall(r"""config(?:\.get\(|\[)["'](VAULT_[A-Z0-9_]+)["']""", source))
    assert len(read) >= 10, read
    config = nameko_load(COMPOSE / "vault" / "config.yml", env={})
    assert sorted(read - set(config)) == []


# Read by the image (SANXIANG_SERVICE, the entrypoint's SANXIANG_PROFILES and *_FILE), or by
# the metrics and log settings the observability work adds to each config.yml.
NOT_IN_CONFIG = {"SANXIANG_SERVICE", "SANXIANG_PROFILES"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_compose_sets_for_a_service_reaches_its_config(service, tmp_path):
    """What compose (and the entrypoint after it) sets in a service's container is read by its
    config file (or by the image) — none is set for nothing."""
    text = (COMPOSE / service / "config.yml").read_text(encoding="utf-8")
    used = {m.group("name") for m in NAMEKO_VAR.finditer(text)}
    env = compose_env(FULL, service, secrets=secret_files(tmp_path))
    unread = sorted(k for k in set(env) - used - NOT_IN_CONFIG
                    if not k.endswith("_FILE") and f"{k}_FILE" not in env)
    assert unread == [], f"{service}: compose sets {unread}, its config.yml reads none of them"
    # and a secret's variable reaches its config too
    for key in env:
        if key.endswith("_FILE") and key[:-5] in used:
            assert env[key[:-5]] == SECRET_VALUE.format(name=Path(env[key]).name)


def test_the_vault_on_embedded_defaults_keeps_its_store_and_replica_in_the_data_folder(
        tmp_path):
    from services.vault.storage.config import open_stores
    config = nameko_load(COMPOSE / "vault" / "config.yml", env={"SANXIANG_DATA": str(tmp_path)})
    stores = open_stores(config)
    assert stores.primary.kind == "local" and stores.replica is not None
    assert stores.replica.kind == "local"
    assert stores.primary.where == str(tmp_path / "vault-store")
    assert stores.replica.where == str(tmp_path / "vault-replica")
    assert stores.mode == "COMPLIANCE" and stores.fixity_cycle_days == 90
    # the upload endpoint it hands out is where it listens, on loopback
    assert config["WEB_SERVER_ADDRESS"] == "127.0.0.1:8010"
    assert config["VAULT_UPLOAD_URL"] == "http://127.0.0.1:8010"


@pytest.mark.parametrize("profiles", ["disclosure-renderer", "all", "vault"])
def test_the_compose_vault_opens_the_locked_buckets_minio_init_makes_on_a_real_s3_peer(
        profiles, tmp_path):
    """The vault's config rendered with the environment compose gives it, against a real S3
    peer (moto in server mode) standing in for MinIO: an S3 store on a bucket with object
    lock, its replica on a second one — the buckets minio-init makes with lock, the staging
    bucket the one it makes without."""
    from services.vault.storage.config import open_stores
    from services.vault.storage.s3 import S3Store
    from tests.unit.vault.support import moto_server

    secrets = secret_files(tmp_path)
    env = compose_env(FULL, "vault", profiles, secrets)
    init = compose_env(FULL, "minio-init", profiles)
    locked, staging = init["BUCKETS"].split(), init["STAGING_BUCKETS"].split()
    assert env["VAULT_STORE"] == "s3" and env["S3_ENDPOINT"] == "minio:9000"
    assert env["S3_SECRET_KEY"] == SECRET_VALUE.format(name="s3-secret-key")
    with moto_server() as endpoint:
        config = nameko_load(COMPOSE / "vault" / "config.yml",
                             env=dict(env, S3_ENDPOINT=endpoint, S3_REGION="us-east-1"))
        stores = open_stores(config)
        primary, replica = stores.primary, stores.replica
        assert isinstance(primary, S3Store) and isinstance(replica, S3Store)
        assert stores.mode == "COMPLIANCE"
        assert config["VAULT_S3_SECRET_KEY"] == env["S3_SECRET_KEY"]
        for store in (primary, replica):
            assert store.bucket in locked
            assert store.client.get_object_lock_config(store.bucket) is not None
        assert primary.staging in staging
    assert primary.bucket != replica.bucket


def test_minio_init_makes_staging_buckets_without_lock():
    script = (COMPOSE / "minio" / "init.sh").read_text(encoding="utf-8")
    assert 'for bucket in ${STAGING_BUCKETS:-}; do' in script
    assert 'mc mb --ignore-existing "local/$bucket"' in script
    assert 'mc mb --with-lock "local/$bucket"' in script


def test_records_config_serves_every_registered_agency():
    from shared.rulesets.agencies import configured
    config = nameko_load(COMPOSE / "records" / "config.yml", env={})
    assert config["AGENCIES"] is None
    assert configured(config) == {
        "lingchuan-emergency": {"name": "陵川县应急管理局", "ruleset": "lingchuan-emergency"},
        "qinyuan-energy": {"name": "沁源县能源局", "ruleset": "qinyuan-energy"},
        "anze-county": {"name": "安泽县司法局", "ruleset": "anze-county"},
        "changzhi-energy": {"name": "长治市能源局", "ruleset": "changzhi-energy"},
        "zhoucun-district": {"name": "淄博市周村区人民政府", "ruleset": "zhoucun-district"},
    }
    chosen = nameko_load(COMPOSE / "records" / "config.yml",
                         env={"SANXIANG_AGENCIES": "anze-county,qinyuan-energy"})
    assert list(configured(chosen)) == ["anze-county", "qinyuan-energy"]
    assert config["KEYS_DIR"] == "data/keys"
    assert config["RULESETS_DIR"] is None and config["CALENDAR_FILES"] is None


def test_nameko_reads_the_records_config_like_our_loader(monkeypatch, tmp_path):
    """Guards nameko_load above against drift from nameko's real parser."""
    from nameko.cli.main import setup_yaml_parser

    for var in ("AMQP_URI", "MAX_WORKERS", "RECORDS_DATABASE_URL", "SANXIANG_KEYS",
                "SANXIANG_RULESETS", "SANXIANG_CALENDARS", "SANXIANG_AGENCIES", "LOG_LEVEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RECORDS_DATABASE_URL", "postgresql://u:p@db/records")
    resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    constructors = dict(yaml.SafeLoader.yaml_constructors)
    try:
        setup_yaml_parser()
        path = COMPOSE / "records" / "config.yml"
        real = yaml.safe_load(path.read_text(encoding="utf-8"))
    finally:  # leave yaml.SafeLoader as we found it
        yaml.SafeLoader.yaml_implicit_resolvers = resolvers
        yaml.SafeLoader.yaml_constructors = constructors
    assert real == nameko_load(path, env={"RECORDS_DATABASE_URL": "postgresql://u:p@db/records"})


@pytest.mark.parametrize("script, shell", [
    ("postgres/create-databases.sh", "bash"),
    ("minio/init.sh", "sh"),
])
def test_init_scripts_parse(script, shell):
    result = subprocess.run([shell, "-n", str(COMPOSE / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", ["healthcheck.py", "rabbitmq/init_rabbitmq.py"])
def test_python_helpers_compile(script):
    source = (COMPOSE / script).read_text(encoding="utf-8")
    compile(source, script, "exec")


# --- least privilege: broker users, database roles, keys ---------------------------------

def _present(path: Path) -> list[str]:
    return [s for s in SERVICES if s in load(path)["services"]]


def _mounts(svc: dict) -> list[dict]:
    """Volume mounts in long form (short ones converted)."""
    out = []
    for vol in svc.get("volumes", []):
        if isinstance(vol, str):
            source, target, *mode = vol.split(":")
            out.append({"source": source, "target": target, "read_only": mode == ["ro"]})
        else:
            out.append(vol)
    return out


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_each_service_has_its_own_broker_user_and_database_role(path):
    doc = load(path)
    services = doc["services"]
    amqp_users, db_roles = set(), set()
    for name in _present(path):
        env = env_items(services[name])
        up = name.upper()
        assert env["AMQP_URI"] == f"pyamqp://{name}:$${{AMQP_PASSWORD}}@rabbitmq:5672/sanxiang"
        assert env["AMQP_PASSWORD_FILE"] == f"/run/secrets/rabbitmq-{name}-password"
        assert env[f"{up}_DATABASE_URL"] == (f"postgresql://{name}:$${{DATABASE_PASSWORD}}"
                                             f"@postgres:5432/{name}")
        assert env["DATABASE_PASSWORD_FILE"] == f"/run/secrets/{name}-db-password"
        # never the owner's password in a service container
        assert not [k for k, v in env.items() if "OWNER" in k or "OWNER" in v], name
        assert env["DECLARE_EVENT_EXCHANGES"] == "false"
        amqp_users.add(env["AMQP_URI"].split("//")[1].split(":")[0])
        db_roles.add(env[f"{up}_DATABASE_URL"].split("//")[1].split(":")[0])
        # migrated by its own one-shot, as the owner, granting the service's role
        migrate = services[f"{name}-migrate"]
        assert migrate["restart"] == "no" and "healthcheck" not in migrate
        assert migrate["command"] == ["sanxiang", "db", "upgrade", name, "--grant-to", name]
        assert env_items(migrate) == {
            "DATABASE_OWNER_PASSWORD_FILE": f"/run/secrets/{name}-db-owner-password",
            "DATABASE_OWNER_URL": (f"postgresql://{name}_owner:$${{DATABASE_OWNER_PASSWORD}}"
                                   f"@postgres:5432/{name}")}
        assert migrate["secrets"] == [f"{name}-db-owner-password"]
        assert set(services[name]["secrets"]) & {f"{s}-db-owner-password" for s in SERVICES} \
            == set(), f"{name} holds an owner's password"
        for dep in ("rabbitmq-init", "keys-init", f"{name}-migrate"):
            assert services[name]["depends_on"][dep]["condition"] == \
                "service_completed_successfully", (name, dep)
    assert len(amqp_users) == len(db_roles) == len(_present(path))
    # one broker user per service, all of them made by rabbitmq-init
    init = env_items(services["rabbitmq-init"])
    assert init["SANXIANG_SERVICES"].split(",") == SERVICES
    for name in SERVICES:
        assert init[f"RABBITMQ_{name.upper()}_PASSWORD_FILE"] == \
            f"/run/secrets/rabbitmq-{name}-password"
    assert "RABBITMQ_USER" not in compose_vars(doc) and "RABBITMQ_PASSWORD" not in compose_vars(doc)
    # and both roles per database, for create-databases.sh
    pg = env_items(services["postgres"])
    for name in SERVICES:
        assert {f"{name.upper()}_DB_OWNER_PASSWORD_FILE", f"{name.upper()}_DB_PASSWORD_FILE"} \
            <= set(pg)


def test_init_scripts_use_the_per_service_names():
    script = (COMPOSE / "postgres" / "create-databases.sh").read_text(encoding="utf-8")
    loop = re.search(r"^for db in (.+); do$", script, re.M)
    assert loop and loop.group(1).split() == SERVICES
    for part in ('CREATE ROLE :"owner" LOGIN', 'CREATE ROLE :"service" LOGIN',
                 'OWNER \\"${db}_owner\\"', "REVOKE CONNECT, TEMPORARY ON DATABASE",
                 "REVOKE CREATE ON SCHEMA public FROM PUBLIC"):
        assert part in script, part
    assert "SUPERUSER" not in script and "CREATEROLE" not in script


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_keys_public_to_every_service_private_only_where_it_signs(path):
    doc = load(path)
    services = doc["services"]
    init = services["keys-init"]
    assert init["restart"] == "no"
    assert init["command"] == ["sanxiang", "keys", "init", "--keys", "/keys",
                               "--services", ",".join(SERVICES)]
    assert "keys:/keys" in init["volumes"]
    assert "keys" in doc["volumes"]
    for name, svc in services.items():
        keys = [m for m in _mounts(svc) if m["source"] == "keys"]
        if name == "keys-init":
            continue
        if name not in SERVICES:
            assert keys == [], f"{name} must not see the keys"
            continue
        root = "/var/lib/sanxiang/keys"   # SANXIANG_KEYS of the image
        got = {(m.get("volume", {}).get("subpath"), m["target"], m.get("read_only")) for m in keys}
        assert got == {("public", f"{root}/public", True),
                       (f"private/{name}", f"{root}/private/{name}", True)}, name
    text = path.read_text(encoding="utf-8")
    assert "private/issuer" not in text.replace("(private/issuer) is mounted into no service", "")


def test_the_image_lets_keys_init_write_its_volume_and_points_services_at_the_keys():
    text = (COMPOSE / "Dockerfile").read_text(encoding="utf-8")
    assert "SANXIANG_KEYS=/var/lib/sanxiang/keys" in text
    assert re.search(r"install -d -o sanxiang -g sanxiang -m 0750 /keys", text)


@pytest.mark.parametrize("service", SERVICES)
def test_event_exchanges_are_declared_unless_the_deployment_says_not(service):
    path = COMPOSE / service / "config.yml"
    assert nameko_load(path, env={})["DECLARE_EVENT_EXCHANGES"] is True
    assert nameko_load(path, env={"DECLARE_EVENT_EXCHANGES": "false"})[
        "DECLARE_EVENT_EXCHANGES"] is False


def test_rabbitmq_init_grants_what_shared_broker_derives():
    """The one place the rights come from: the init script runs `sanxiang broker setup`."""
    text = (COMPOSE / "rabbitmq" / "init_rabbitmq.py").read_text(encoding="utf-8")
    assert '"broker", "setup"' in text and "SANXIANG_SERVICES" in text
    from shared.messaging import broker
    grant = broker.service_grant("review", broker.contract_consumes(["review"])["review"])
    assert grant.allows("write", "review.events") and not grant.allows("write", "records.events")
    assert grant.allows("read", "records.events") and not grant.allows("configure",
                                                                       "records.events")
    caller = broker.caller_grant("case-system")
    assert not caller.allows("read", "rpc-records") and not caller.allows("write",
                                                                         "records.events")


PRESENCE = {
    # service -> its presence settings -> the peer each names
    "records": {"REVIEW_BOARD": "review", "VAULT": "vault", "DISCLOSURE": "disclosure"},
    "renderer": {"DOCUMENT_VAULT": "vault"},
    "vault": {"INDEX_RENDERER": "renderer"},
    "disclosure": {"VAULT": "vault", "RENDERER": "renderer", "RECORD_KEEPER": "records"},
}


@pytest.mark.parametrize("subset", SUBSETS)
def test_each_service_knows_which_peers_its_subset_deploys(subset, tmp_path):
    """In COMPOSE_PROFILES' subset a peer that runs is required (a restart of it is never
    taken for its absence: a legal unit's review by hand never slips in while the board
    restarts), one that does not is absent (a clear error naming it)."""
    from shared.messaging.calls import presence
    secrets = secret_files(tmp_path)
    for name in SUBSETS[subset]:
        env = compose_env(FULL, name, subset, secrets)
        config = nameko_load(COMPOSE / name / "config.yml", env)
        for key, peer in PRESENCE.get(name, {}).items():
            want = "required" if peer in SUBSETS[subset] else "absent"
            assert presence(config, key, "auto") == want, (subset, name, key)


def test_without_profiles_named_the_peers_are_found_at_run_time(tmp_path):
    """`docker compose --profile x up` alone leaves COMPOSE_PROFILES empty: the services then
    ask the broker whether a peer runs (presence `auto`, the config files' default)."""
    env = compose_env(FULL, "records", "", secret_files(tmp_path))
    assert env["SANXIANG_PROFILES"] == ""
    config = nameko_load(COMPOSE / "records" / "config.yml", env)
    assert config["REVIEW_BOARD"] == "auto" and config["VAULT"] == "auto"


def test_broker_permissions_print_every_installed_service_by_default(capsys):
    """`sanxiang broker permissions` shows the rights rabbitmq-init gives: every installed
    service's (the vault's among them), not a list written down before it existed."""
    from shared.cli import main as cli_main
    from shared.cli.services import installed

    assert cli_main(["broker", "permissions"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert list(shown) == list(installed())
    assert "rpc-vault" in shown["vault"]["read"] and "dlq" in shown["vault"]["write"]


# ---- every config file a service reads, rendered per subset and read by the service ----------


def rendered(service: str, subset: str, secrets: Path) -> tuple[dict, dict[str, str]]:
    """`service`'s config.yml as it reads it in `subset`'s container: the image's environment,
    then compose's, through the entrypoint."""
    env = {**image_env(), **compose_env(FULL, service, subset, secrets)}
    return nameko_load(COMPOSE / service / "config.yml", env), env


@pytest.mark.parametrize("subset", SUBSETS)
def test_every_config_file_renders_in_each_subset_and_its_service_reads_it(subset, tmp_path):
    """Each service's config rendered with what its container holds in the subset, checked by
    the service's own readers: the broker login (kombu), the database URL (the kernel's
    make_engine), the rule sets and agencies, the event retries, the peers' presence — and
    every value its config file takes from the environment without a default is one compose
    sets (else neither it nor the operator could ever set it)."""
    from kombu import Connection

    from shared.messaging.calls import presence
    from shared.messaging.consumer import RetryBudget
    from shared.persistence.db import make_engine
    from shared.rulesets.provider import Rules

    secrets = secret_files(tmp_path)
    for name in SUBSETS[subset]:
        config, env = rendered(name, subset, secrets)
        text = (COMPOSE / name / "config.yml").read_text(encoding="utf-8")
        for m in NAMEKO_VAR.finditer(text):
            assert m.group("colon") or m.group("name") in env, (name, m.group(0))
        amqp = Connection(config["AMQP_URI"])
        assert (amqp.userid, amqp.password, amqp.hostname, amqp.port, amqp.virtual_host) == (
            name, SECRET_VALUE.format(name=f"rabbitmq-{name}-password"), "rabbitmq", 5672,
            "sanxiang"), name
        engine = make_engine(config["DATABASE_URL"])
        try:
            url = engine.url
            assert (url.drivername, url.username, url.password, url.host, url.database) == (
                "postgresql", name, SECRET_VALUE.format(name=f"{name}-db-password"),
                "postgres", name), name
        finally:
            engine.dispose()
        assert config["DECLARE_EVENT_EXCHANGES"] is False and config["max_workers"] == 10
        assert config["KEYS_DIR"] == "/var/lib/sanxiang/keys"
        if "RULESETS_DIR" in config:
            assert Rules.from_config(config).agencies, name
        RetryBudget.from_config(config)
        for key, peer in PRESENCE.get(name, {}).items():
            assert presence(config, key, "auto") == (
                "required" if peer in SUBSETS[subset] else "absent"), (subset, name, key)


def test_the_disclosure_form_and_the_renderer_read_what_compose_gives_them(tmp_path):
    from services.disclosure.domain.limits import FormLimits

    secrets = secret_files(tmp_path)
    config, _ = rendered("disclosure", "all", secrets)
    FormLimits.from_config(config)
    assert config["WEB_SERVER_ADDRESS"] == "0.0.0.0:8000"
    renderer, _ = rendered("renderer", "all", secrets)
    assert (renderer["UNOSERVER_HOST"], int(renderer["UNOSERVER_PORT"])) == ("unoserver", 2003)
    assert Path(renderer["TEMPLATES_DIR"]) == ROOT / "templates"
