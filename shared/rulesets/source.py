"""Reading a rule-set file: YAML that keeps the line of each key (so an error names it), no
merge keys, dates left as text, and the files of a directory."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: the schema parses them, and canonical JSON
    (hence the fingerprint) needs plain strings anyway."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

MAX_DEPTH = 40


class Document:
    """One file as read: its data, where each key path sits, and reading errors."""

    def __init__(self, file: str, data: Any, lines: dict[tuple, int], errors: list[dict]):
        self.file = file
        self.data = data
        self.lines = lines
        self.errors = errors

    @property
    def key(self) -> tuple[Any, Any]:
        data = self.data if isinstance(self.data, dict) else {}
        return data.get("id"), data.get("version")

    @property
    def ref(self) -> str:
        ident, version = self.key
        return f"{ident}@{version}"


def error_dict(file: str, line: int | None, path: Iterable, rule: str) -> dict:
    return {"file": file, "line": line, "path": ".".join(str(p) for p in path), "rule": rule}


def read_document(path: Path) -> Document:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Document(file, None, {}, [error_dict(file, None, (), "file not found")])
    except (OSError, UnicodeDecodeError) as exc:
        return Document(file, None, {}, [error_dict(file, None, (), f"cannot read: {exc}")])
    builder = _Builder(file, _Loader(text))
    try:
        node = builder.loader.get_single_node()
        if node is None:
            return Document(file, None, builder.lines,
                            [error_dict(file, 1, (), "file is empty")])
        data = builder.build(node, (), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return Document(file, None, builder.lines,
                        [error_dict(file, line, (), f"YAML syntax: {exc.problem}")])
    except yaml.YAMLError as exc:
        return Document(file, None, builder.lines,
                        [error_dict(file, None, (), f"YAML: {exc}")])
    finally:
        builder.loader.dispose()
    if not isinstance(data, dict):
        builder.errors.append(error_dict(file, 1, (),
                                         "the file must be a mapping of keys to values"))
        data = None
    return Document(file, data, builder.lines, builder.errors)


class _Builder:
    """Builds a file's data from its YAML nodes, noting the line of every key path and what
    is refused: merge keys, keys that are not text, duplicate keys, nesting beyond MAX_DEPTH."""

    def __init__(self, file: str, loader: _Loader):
        self.file = file
        self.loader = loader
        self.lines: dict[tuple, int] = {(): 1}
        self.errors: list[dict] = []

    def refuse(self, line: int, path: tuple, rule: str) -> None:
        self.errors.append(error_dict(self.file, line, path, rule))

    def build(self, node: yaml.Node, path: tuple, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.refuse(node.start_mark.line + 1, path, "nested too deeply (recursive alias?)")
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.lines[path + (i,)] = item.start_mark.line + 1
                items.append(self.build(item, path + (i,), depth + 1))
            return items
        return self.loader.construct_object(node)

    def mapping(self, node: yaml.MappingNode, path: tuple, depth: int) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.key(key_node, line, path)
            if key is None:
                continue
            if key in out:
                self.refuse(line, path + (key,), f"duplicate key {key!r} (first on line "
                                                 f"{self.lines[path + (key,)]})")
                continue
            self.lines[path + (key,)] = line
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out

    def key(self, key_node: yaml.Node, line: int, path: tuple) -> str | None:
        """The key as text, or None (refused: a merge key, or a key YAML reads as no text)."""
        if key_node.tag == "tag:yaml.org,2002:merge":
            self.refuse(line, path, "YAML merge keys (<<) are not allowed; use extends")
            return None
        key = (self.loader.construct_object(key_node)
               if isinstance(key_node, yaml.ScalarNode) else None)
        if not isinstance(key, str):
            self.refuse(line, path, f"key must be text, YAML read {key!r}; quote it")
            return None
        return key


def yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith("."))

