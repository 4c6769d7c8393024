"""The `sanxiang` command as a whole: --version, and --json on every command that answers and
ends — its own JSON where it has some, else what it printed as one JSON object."""
import argparse
import json

import pytest

from shared.cli import build_parser, main, version


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"sanxiang {version()}"
    assert version() != "unknown"


def leaves(parser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from leaves(child, (*path, name))
            return
    yield path, parser


def test_every_command_but_run_takes_json():
    missing = [" ".join(path) for path, parser in leaves(build_parser())
               if path and path[0] != "run" and "--json" not in parser._option_string_actions]
    assert not missing


def test_a_text_command_under_json_gives_its_output_as_one_object(capsys):
    code = main(["calendar", "is-workday", "2025年10月11日", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and answer["exit_code"] == 0
    assert answer["command"] == ["calendar", "is-workday", "2025年10月11日"]
    assert answer["stdout"] == ["workday 工作日  调休上班: 国庆节"] and answer["stderr"] == []


def test_a_command_with_json_of_its_own_prints_it_unwrapped(capsys):
    code = main(["ruleset", "show", "lingchuan-emergency", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and answer["id"] == "lingchuan-emergency"
