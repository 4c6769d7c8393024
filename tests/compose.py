"""The compose deployment as the tests read it without a Docker engine: the compose file with
compose's interpolation, which services a set of profiles starts, the environment a container
gets (compose's, then the image's entrypoint with stand-in secret files), and a service's
config.yml read the way `nameko run --config` reads it."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose"
FULL = COMPOSE / "docker-compose.yml"
SERVICES = ["records", "review", "disclosure", "renderer", "vault"]
# The named subsets: profile -> the Sanxiang services it runs.
SUBSETS = {
    "records-only": ["records"],
    "records-review": ["records", "review"],
    "disclosure-renderer": ["disclosure", "renderer", "vault"],
    "all": SERVICES,
}
# Compose interpolation: $$ escapes; ${NAME}, ${NAME:-x}, ${NAME-x}, ${NAME:?msg}, ${NAME?msg}.
COMPOSE_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
# nameko config substitution: ${NAME} or ${NAME:default}.
NAMEKO_VAR = re.compile(r"\$\{(?P<name>[^}:\s]+)(?P<colon>:?)(?P<default>[^}]*)\}")
# What a stand-in secret file holds: URL-unsafe on purpose, the entrypoint must quote it.
SECRET_VALUE = "pw/{name}:@"
# Where the image keeps what it ships, and where that is in this repository.
IMAGE_PATHS = {"/opt/sanxiang/rulesets": ROOT / "rulesets",
               "/opt/sanxiang/templates": ROOT / "templates"}


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


def env_items(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def profiles_of(svc: dict) -> set[str]:
    return set(svc.get("profiles") or [])


def started(doc, profiles: list[str]) -> set[str]:
    """What `docker compose --profile <each> up` starts: the services with an active profile
    (every service here has profiles, so none starts without one)."""
    return {n for n, s in doc["services"].items() if profiles_of(s) & set(profiles)}


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


def entrypoint() -> ModuleType:
    """compose/entrypoint.py, as the image runs it."""
    spec = importlib.util.spec_from_file_location("compose_entrypoint", COMPOSE / "entrypoint.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def secret_files(folder: Path) -> Path:
    """Every secret of the compose file as a file in `folder`, each with its own value."""
    folder.mkdir(exist_ok=True)
    for name in load(FULL)["secrets"]:
        (folder / name).write_text(SECRET_VALUE.format(name=name) + "\n", encoding="utf-8")
    return folder


def compose_env(path: Path, service: str, profiles: str = "all",
                 secrets: Path | None = None) -> dict[str, str]:
    """The environment `service`'s container gets in the deployment of `profiles`: what compose
    gives it (COMPOSE_PROFILES set, nothing else), then — with `secrets`, a folder standing in
    for /run/secrets — what the image's entrypoint makes of it."""
    doc = interpolate(load(path), {"COMPOSE_PROFILES": profiles})
    env = env_items(doc["services"][service])
    if secrets is None:
        return env
    env = {k: v.replace("/run/secrets/", f"{secrets}/") for k, v in env.items()}
    return entrypoint().prepared(env)


def image_env() -> dict[str, str]:
    """The ENV of the image's last stage (compose/Dockerfile), its own paths mapped here."""
    text = (COMPOSE / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    last = text[text.rindex("\nFROM "):]
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", last, re.M):
        for key, value in re.findall(r"(\w+)=(\S+)", line):
            if "$" not in value:
                env[key] = str(IMAGE_PATHS.get(value, value))
    return env
