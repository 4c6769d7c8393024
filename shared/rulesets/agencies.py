"""The registry of agencies: one file per agency under <rule-set folder>/agencies/ — its code,
name and rule set — so that adding an agency is adding one file. A deployment serves all of
them, or those its AGENCIES setting names (codes, comma-separated: ${SANXIANG_AGENCIES:});
a test may still give AGENCIES as a mapping of its own (code → name and rule set)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shared.errors import ConfigurationError

FOLDER = "agencies"
KEYS = ("code", "name", "ruleset")


def registry(rulesets_dir: str | Path | None = None) -> dict[str, dict[str, str]]:
    """Code → {"name", "ruleset"} of every agency file under `rulesets_dir`/agencies (the
    default rule-set folder's when that folder has none)."""
    from shared.rulesets.repository import default_directory
    folder = Path(rulesets_dir or default_directory()) / FOLDER
    if not folder.is_dir():
        folder = default_directory() / FOLDER
    found: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.yaml")):
        entry = _read(path)
        found[entry["code"]] = {"name": entry["name"], "ruleset": entry["ruleset"]}
    return found


def _read(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot read the agency: {exc}",
                                 message_zh=f"{path}：无法读取执法机关登记：{exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: an agency is a mapping of {', '.join(KEYS)}",
                                 message_zh=f"{path}：执法机关登记应为含 {'、'.join(KEYS)} 的映射")
    problems = [f"{key}: missing or not text" for key in KEYS
                if not isinstance(data.get(key), str) or not data[key].strip()]
    problems += [f"{key}: unknown key" for key in sorted(set(data) - set(KEYS))]
    if not problems and data["code"] != path.stem:
        problems.append(f"code: {data['code']!r} is not the file's name {path.stem!r}")
    if problems:
        raise ConfigurationError(f"{path}: " + "; ".join(problems),
                                 message_zh=f"执法机关登记文件 {path} 无效：" + "；".join(problems),
                                 details={"file": str(path), "problems": problems})
    return {key: data[key].strip() for key in KEYS}


def configured(config: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The agencies a service's config serves: AGENCIES as codes (a list, or comma-separated
    text) picked from the registry, every registered agency when it is empty, or a mapping
    given whole."""
    chosen = config.get("AGENCIES")
    if isinstance(chosen, Mapping) and chosen:
        return {str(code): dict(spec) for code, spec in chosen.items()}
    known = registry(config.get("RULESETS_DIR") or None)
    if not chosen:
        return known
    codes = [c.strip() for c in (chosen.split(",") if isinstance(chosen, str) else chosen)
             if str(c).strip()]
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ConfigurationError(
            f"AGENCIES names {', '.join(unknown)}, not registered; known: "
            f"{', '.join(sorted(known))} (one file each under rulesets/{FOLDER}/)",
            details={"AGENCIES": unknown},
            message_zh=f"AGENCIES 列出的 {'、'.join(unknown)} 未登记；已登记："
                       f"{'、'.join(sorted(known))}"
                       f"（每个执法机关一个文件，位于 rulesets/{FOLDER}/）")
    return {code: known[code] for code in codes}
