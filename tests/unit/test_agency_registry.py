"""One registry of agencies (rulesets/agencies/, one file each): a deployment serves every
agency registered, or those its AGENCIES setting names; adding an agency is adding one file."""
import shutil
from pathlib import Path

import pytest

from shared.errors import ConfigurationError
from shared.rulesets.agencies import configured, registry
from shared.rulesets.provider import Rules

SHIPPED = Path(__file__).resolve().parents[2] / "rulesets"


def test_the_shipped_registry_has_the_seeds_agencies_each_with_its_rule_set():
    found = registry()
    assert found["lingchuan-emergency"] == {"name": "陵川县应急管理局",
                                            "ruleset": "lingchuan-emergency"}
    assert found["anze-county"]["ruleset"] == "anze-county"
    assert len(found) == 5
    rules = Rules.from_config({})
    assert set(rules.agencies) == set(found)
    assert rules.agency("anze-county").ruleset.id == "anze-county"


def test_adding_an_agency_is_adding_one_file(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "rulesets")
    (tmp_path / "rulesets" / "agencies" / "lingchuan-transport.yaml").write_text(
        "code: lingchuan-transport\nname: 陵川县交通运输局\nruleset: lingchuan-emergency\n",
        encoding="utf-8")
    rules = Rules.from_config({"RULESETS_DIR": str(tmp_path / "rulesets")})
    assert rules.agency("lingchuan-transport").name == "陵川县交通运输局"
    assert rules.agency("lingchuan-transport").ruleset.id == "lingchuan-emergency"


def test_agencies_setting_picks_registered_codes_and_refuses_others():
    assert list(configured({"AGENCIES": "qinyuan-energy, anze-county"})) == [
        "qinyuan-energy", "anze-county"]
    with pytest.raises(ConfigurationError, match="anze-justice, not registered; known: "):
        configured({"AGENCIES": ["anze-justice"]})


def test_a_broken_agency_file_is_refused_naming_file_and_key(tmp_path):
    folder = tmp_path / "agencies"
    folder.mkdir()
    (folder / "x-agency.yaml").write_text("code: y-agency\nname: 某局\nruleset: base\nseat: 1\n",
                                          encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        registry(tmp_path)
    assert "x-agency.yaml" in str(err.value)
    assert "seat: unknown key" in str(err.value)
