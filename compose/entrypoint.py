"""Entrypoint of the Sanxiang image: prepares the environment from what compose gives the
container, then runs the command (by default the service's `nameko run`).

- Secrets from files: for every `NAME_FILE` (a compose secret, /run/secrets/<name>), `NAME`
  is set to the file's content, its trailing newline removed — as the postgres image's
  file_env does. `NAME` and `NAME_FILE` both set is an error (which one would win?).
- Passwords inside URLs: a `${NAME}` in another variable's value, NAME being one just read
  from a file, is replaced by that content, percent-encoded (it goes into a URL: AMQP_URI,
  the database URLs). compose passes `$${NAME}` through as `${NAME}`, so no password is ever
  written in the compose file or the container's configuration.
- The peers deployed beside the service: with SANXIANG_SERVICE and SANXIANG_PROFILES (the
  compose profiles of the deployment, COMPOSE_PROFILES), the services those profiles start
  are known, and the service's own `run_environment` (shared.cli.services, as for
  `sanxiang run`) says which of its peers are required or absent. A variable the container
  already has wins. Without profiles, the config files' defaults apply (presence `auto`).

Without a command it runs the service SANXIANG_SERVICE names: `nameko run --config
<SANXIANG_CONFIG, default /etc/sanxiang/config.yml> <module:Class>`, the class as the
installed package declares it (shared.cli.services) — a module path alone would make nameko
pick up the base class the service module imports as well, and refuse it.

The healthcheck imports `prepared` too: it runs beside the service, not through this
entrypoint."""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from urllib.parse import quote

# The subsets of compose/docker-compose.yml: profile -> the Sanxiang services it starts
# (tests/unit/test_compose.py keeps this equal to the compose file's profiles). A profile
# named after a service starts that service.
SUBSETS: dict[str, tuple[str, ...]] = {
    "records-only": ("records",),
    "records-review": ("records", "review"),
    "disclosure-renderer": ("disclosure", "renderer", "vault"),
    "all": ("records", "review", "disclosure", "renderer", "vault"),
}
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The service's config file (compose mounts compose/<service>/config.yml there).
DEFAULT_CONFIG = "/etc/sanxiang/config.yml"


class EntrypointError(Exception):
    pass


def file_values(env: Mapping[str, str]) -> dict[str, str]:
    """NAME -> content of the file NAME_FILE names, for every NAME_FILE in `env`."""
    values = {}
    for key, path in env.items():
        if not key.endswith("_FILE") or not path:
            continue
        name = key[:-len("_FILE")]
        if env.get(name):
            raise EntrypointError(f"both {name} and {key} are set: set only {key}")
        try:
            with open(path, encoding="utf-8") as fh:
                value = fh.read().rstrip("\r\n")
        except OSError as exc:
            raise EntrypointError(f"{key}: cannot read {path} ({exc.strerror})") from None
        if not value:
            raise EntrypointError(f"{key}: {path} is empty")
        values[name] = value
    return values


def deployed(profiles: str) -> list[str]:
    """The Sanxiang services the compose profiles (comma-separated) start, in order."""
    names: list[str] = []
    for profile in (p.strip() for p in profiles.split(",")):
        for name in SUBSETS.get(profile, (profile,) if profile in SUBSETS["all"] else ()):
            if name not in names:
                names.append(name)
    return names


def peer_settings(service: str, profiles: str) -> dict[str, str]:
    """What the service asks to be told of its peers, given the profiles deployed."""
    running = deployed(profiles)
    if not service or service not in running:
        return {}
    from shared.cli.services import run_environment
    return run_environment(service, running)


def prepared(env: Mapping[str, str], *, peers: bool = True) -> dict[str, str]:
    """The environment the command runs with (module docstring); `peers=False` leaves the
    peers' presence out (the healthcheck needs only the URLs)."""
    out = dict(env)
    secrets = file_values(env)
    out.update(secrets)

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return quote(secrets[name], safe="") if name in secrets else m.group(0)

    for key, value in list(out.items()):
        if key not in secrets and "${" in value:
            out[key] = REFERENCE.sub(sub, value)
    if peers and env.get("SANXIANG_PROFILES"):
        for key, value in peer_settings(env.get("SANXIANG_SERVICE", ""),
                                        env["SANXIANG_PROFILES"]).items():
            out.setdefault(key, value)
    return out


def service_command(env: Mapping[str, str]) -> list[str]:
    """`nameko run` of the service SANXIANG_SERVICE names (module docstring)."""
    from shared.cli.services import installed
    name = env.get("SANXIANG_SERVICE", "")
    target = installed().get(name)
    if target is None:
        raise EntrypointError(f"SANXIANG_SERVICE {name!r} is not an installed service "
                              f"(one of {', '.join(installed())})")
    return [sys.executable, "-m", "nameko", "run", "--config",
            env.get("SANXIANG_CONFIG") or DEFAULT_CONFIG, target]


def main(argv: list[str]) -> int:
    try:
        env = prepared(os.environ)
        command = argv or service_command(env)
    except EntrypointError as exc:
        print(f"sanxiang entrypoint: {exc}", file=sys.stderr)
        return 1
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
