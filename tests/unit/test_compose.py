"""The compose deployment, checked without a Docker engine (none runs in CI):
schema validity, files it points at, health and start order, variables, and
that no secret is committed."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose"
FULL = COMPOSE / "docker-compose.yml"
SUBSETS = [COMPOSE / "records-only.yml", COMPOSE / "disclosure-renderer.yml"]
COMPOSE_FILES = [FULL, *SUBSETS]
SERVICES = ["records", "review", "disclosure", "renderer", "vault"]
README = (COMPOSE / "README.md").read_text(encoding="utf-8")

# Compose interpolation: $$ escapes; ${NAME}, ${NAME:-x}, ${NAME-x}, ${NAME:?msg}, ${NAME?msg}.
COMPOSE_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
# nameko config substitution: ${NAME} or ${NAME:default}.
NAMEKO_VAR = re.compile(r"\$\{(?P<name>[^}:\s]+)(?P<colon>:?)(?P<default>[^}]*)\}")


def plain_loader():
    """SafeLoader minus nameko's implicit ${VAR} resolver: nameko's CLI code
    registers it on yaml.SafeLoader globally, and compose files must be read
    with their ${VAR} strings intact whatever ran before in this process."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "!env_var"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def load(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=plain_loader())


def walk_strings(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk_strings(k)
            yield from walk_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk_strings(v)
    elif isinstance(node, str):
        yield node


def interpolate(node, env):
    """Apply compose interpolation with ``env``; a missing required variable raises."""
    def sub(m):
        name, op, arg = m.group("name"), m.group("op"), m.group("arg")
        val = env.get(name)
        if op in (":?", "?") and (val is None or (op == ":?" and val == "")):
            raise KeyError(f"required variable {name}: {arg}")
        if op == ":-" and not val:
            return arg
        if op == "-" and val is None:
            return arg
        return val or ""

    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if isinstance(node, str):
        return COMPOSE_VAR.sub(sub, node.replace("$$", "\0")).replace("\0", "$")
    return node


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


def env_items(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


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
def test_missing_secret_stops_compose(path):
    doc = load(path)
    required = required_vars(doc)
    assert required, "passwords must come from required ${VAR:?…} variables"
    for name in required:
        env = {v: "x" for v in required if v != name}
        with pytest.raises(KeyError, match=name):
            interpolate(doc, env)


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
    cmd = [ln for ln in text.splitlines() if ln.startswith("CMD ")][-1]
    for part in ("nameko run", "--config /etc/sanxiang/config.yml",
                 "services.${SANXIANG_SERVICE}.service"):
        assert part in cmd


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


# What a subset may say differently of a service: which peers are part of the deployment.
PER_SUBSET_ENV = ("REVIEW_BOARD", "VAULT", "DOCUMENT_VAULT", "INDEX_RENDERER", "DISCLOSURE")


def _without_per_subset_env(svc: dict) -> dict:
    env = {k: v for k, v in (svc.get("environment") or {}).items() if k not in PER_SUBSET_ENV}
    return dict(svc, environment=env) if "environment" in svc else svc


@pytest.mark.parametrize("path", SUBSETS, ids=lambda p: p.name)
def test_subset_definitions_match_the_full_suite(path):
    full, subset = load(FULL), load(path)
    assert subset["name"] == full["name"]
    for name, svc in subset["services"].items():
        assert _without_per_subset_env(svc) == _without_per_subset_env(full["services"][name]), \
            f"{path.name}: {name} differs from docker-compose.yml"
    for vol in subset.get("volumes") or {}:
        assert vol in full["volumes"]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_compose_variable_is_documented(path):
    missing = [v for v in compose_vars(load(path)) if f"`{v}`" not in README]
    assert not missing, f"add to compose/README.md: {missing}"


SECRET_NAME = re.compile(r"PASSWORD|PASS$|SECRET")
URL_PASSWORD = re.compile(r"://[^/:@\s]+:(?P<pw>[^@\s]+)@")
REQUIRED_VAR = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}$")


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_no_committed_secrets(path):
    doc = load(path)
    for name, svc in doc["services"].items():
        for key, value in env_items(svc).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_VAR.match(value), f"{name}.{key} must be a required ${{VAR:?…}}"
    for s in walk_strings(doc):
        for m in URL_PASSWORD.finditer(s):
            assert REQUIRED_VAR.match(m.group("pw")), f"password in URL {s!r}"


def nameko_load(path: Path, env: dict[str, str]):
    """Load a config.yml the way `nameko run --config` does, with ``env`` as
    the whole environment, on a private Loader (nameko's setup_yaml_parser
    patches yaml.SafeLoader globally)."""
    def constructor(loader, node):
        raw = loader.construct_scalar(node)

        def sub(m):
            return env.get(m.group("name"), m.group("default"))

        value = NAMEKO_VAR.sub(sub, raw)
        return value if value == raw else yaml.safe_load(value)

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!env_var", constructor)
    Loader.add_implicit_resolver("!env_var", re.compile(r".*\$\{.*\}.*"), None)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)


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


def _compose_env(path: Path, service: str) -> dict[str, str]:
    """The environment compose gives `service`'s container in `path`, every required
    variable set to a stand-in."""
    doc = load(path)
    doc = interpolate(doc, dict.fromkeys(required_vars(doc), "secret"))
    return env_items(doc["services"][service])


def test_the_vault_reads_every_setting_of_its_stores_from_its_config_file():
    """The keys services/vault/storage/config.py reads are all in compose/vault/config.yml —
    a key missing there is one neither compose nor `sanxiang run` can ever set."""
    source = (ROOT / "services" / "vault" / "storage" / "config.py").read_text("utf-8")
    read = set(re.findall(r"""config(?:\.get\(|\[)["'](VAULT_[A-Z0-9_]+)["']""", source))
    assert len(read) >= 10, read
    config = nameko_load(COMPOSE / "vault" / "config.yml", env={})
    assert sorted(read - set(config)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_compose_sets_for_a_service_reaches_its_config(service):
    """What compose sets in a service's container is read by its config file (or, for
    SANXIANG_SERVICE, by the image's command) — none is set for nothing."""
    text = (COMPOSE / service / "config.yml").read_text(encoding="utf-8")
    used = {m.group("name") for m in NAMEKO_VAR.finditer(text)}
    unread = sorted(set(_compose_env(FULL, service)) - used - {"SANXIANG_SERVICE"})
    assert unread == [], f"{service}: compose sets {unread}, its config.yml reads none of them"


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


@pytest.mark.parametrize("path", [p for p in COMPOSE_FILES if "vault" in load(p)["services"]],
                         ids=lambda p: p.name)
def test_the_compose_vault_opens_the_locked_buckets_minio_init_makes_on_a_real_s3_peer(path):
    """The vault's config rendered with the environment compose gives it, against a real S3
    peer (moto in server mode) standing in for MinIO: an S3 store on a bucket with object
    lock, its replica on a second one — the buckets minio-init makes with lock, the staging
    bucket the one it makes without."""
    from services.vault.storage.config import open_stores
    from services.vault.storage.s3 import S3Store
    from tests.unit.vault.support import moto_server

    env = _compose_env(path, "vault")
    init = _compose_env(path, "minio-init")
    locked, staging = init["BUCKETS"].split(), init["STAGING_BUCKETS"].split()
    assert env["VAULT_STORE"] == "s3" and env["S3_ENDPOINT"] == "minio:9000"
    with moto_server() as endpoint:
        config = nameko_load(COMPOSE / "vault" / "config.yml",
                             env=dict(env, S3_ENDPOINT=endpoint, S3_REGION="us-east-1"))
        stores = open_stores(config)
        primary, replica = stores.primary, stores.replica
        assert isinstance(primary, S3Store) and isinstance(replica, S3Store)
        assert stores.mode == "COMPLIANCE"
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
        assert env["AMQP_URI"] == (f"pyamqp://{name}:${{RABBITMQ_{up}_PASSWORD:?set "
                                   f"RABBITMQ_{up}_PASSWORD}}@rabbitmq:5672/sanxiang")
        assert env[f"{up}_DATABASE_URL"] == (f"postgresql://{name}:${{{up}_DB_PASSWORD:?set "
                                             f"{up}_DB_PASSWORD}}@postgres:5432/{name}")
        # never the owner's password in a service container
        assert not [k for k, v in env.items() if "OWNER" in k or "OWNER" in v], name
        assert env["DECLARE_EVENT_EXCHANGES"] == "false"
        amqp_users.add(env["AMQP_URI"].split("//")[1].split(":")[0])
        db_roles.add(env[f"{up}_DATABASE_URL"].split("//")[1].split(":")[0])
        # migrated by its own one-shot, as the owner, granting the service's role
        migrate = services[f"{name}-migrate"]
        assert migrate["restart"] == "no" and "healthcheck" not in migrate
        assert migrate["command"] == ["sanxiang", "db", "upgrade", name, "--grant-to", name]
        assert env_items(migrate) == {"DATABASE_OWNER_URL": (
            f"postgresql://{name}_owner:${{{up}_DB_OWNER_PASSWORD:?set {up}_DB_OWNER_PASSWORD}}"
            f"@postgres:5432/{name}")}
        for dep in ("rabbitmq-init", "keys-init", f"{name}-migrate"):
            assert services[name]["depends_on"][dep]["condition"] == \
                "service_completed_successfully", (name, dep)
    assert len(amqp_users) == len(db_roles) == len(_present(path))
    # one broker user per service, all of them made by rabbitmq-init
    init = env_items(services["rabbitmq-init"])
    assert init["SANXIANG_SERVICES"].split(",") == SERVICES
    for name in SERVICES:
        assert f"RABBITMQ_{name.upper()}_PASSWORD" in init
    assert "RABBITMQ_USER" not in compose_vars(doc) and "RABBITMQ_PASSWORD" not in compose_vars(doc)
    # and both roles per database, for create-databases.sh
    pg = env_items(services["postgres"])
    for name in SERVICES:
        assert {f"{name.upper()}_DB_OWNER_PASSWORD", f"{name.upper()}_DB_PASSWORD"} <= set(pg)


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


def test_the_record_keeper_knows_whether_the_review_board_is_deployed():
    """With the board in the deployment, a legal unit's review by hand never slips in while the
    board restarts; without it, the legal unit enters reviews."""
    subsets = {FULL.name: "required", "records-only.yml": "absent"}
    for path in COMPOSE_FILES:
        records = load(path)["services"].get("records")
        if records is not None:
            board = "review" in load(path)["services"]
            assert records["environment"]["REVIEW_BOARD"] == ("required" if board else "absent")
            assert subsets.get(path.name, records["environment"]["REVIEW_BOARD"]) == \
                records["environment"]["REVIEW_BOARD"]


def test_the_renderer_knows_whether_the_vault_is_deployed():
    """With the vault in the deployment every rendered document is stored there, even while it
    restarts (the render then waits to be retried); without it, the bytes come back."""
    for path in COMPOSE_FILES:
        services = load(path)["services"]
        if "renderer" in services:
            assert services["renderer"]["environment"]["DOCUMENT_VAULT"] == (
                "required" if "vault" in services else "absent"), path.name


def test_the_vault_knows_whether_the_renderer_is_deployed():
    """With the renderer in the deployment each case package's 卷内目录 is rendered, even while
    it restarts (the package then waits to be retried)."""
    for path in COMPOSE_FILES:
        services = load(path)["services"]
        if "vault" in services:
            assert services["vault"]["environment"]["INDEX_RENDERER"] == (
                "required" if "renderer" in services else "absent"), path.name


def test_broker_permissions_print_every_installed_service_by_default(capsys):
    """`sanxiang broker permissions` shows the rights rabbitmq-init gives: every installed
    service's (the vault's among them), not a list written down before it existed."""
    from shared.cli import main as cli_main
    from shared.cli.services import installed

    assert cli_main(["broker", "permissions"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert list(shown) == list(installed())
    assert "rpc-vault" in shown["vault"]["read"] and "dlq" in shown["vault"]["write"]
