"""The agencies every test deploys, one entry per agency of the seeds, each under the code of
its rule set: a test names an agency by these constants, so no two test packages can disagree
about what an agency is called or which rules it runs."""
from __future__ import annotations

from shared.rulesets.agencies import registry

LINGCHUAN = "lingchuan-emergency"   # 陵川县应急管理局 (seed 001)
QINYUAN = "qinyuan-energy"          # 沁源县能源局 (seed 000)
ANZE = "anze-county"                # 安泽县司法局 (seed 002)
CHANGZHI = "changzhi-energy"        # 长治市能源局 (seed 003)
ZHOUCUN = "zhoucun-district"        # 淄博市周村区人民政府 (seed 004)

# the registry of agencies (rulesets/agencies/, one file each) names them
REGISTRY = registry()
NAMES = {code: spec["name"] for code, spec in REGISTRY.items()}
assert set(NAMES) == {LINGCHUAN, QINYUAN, ANZE, CHANGZHI, ZHOUCUN}, NAMES


def agencies(*codes: str) -> dict[str, dict[str, str]]:
    """A deployment's AGENCIES setting for the named agencies (all of them by default)."""
    return {code: dict(REGISTRY[code]) for code in (codes or tuple(NAMES))}


AGENCIES = agencies()
