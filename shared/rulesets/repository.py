"""Agency rule sets: YAML files validated on load, ``extends`` resolved, effective rules served.
Inheritance: maps deep-merge, lists replace, ``null`` drops an inherited key, and a map holding
a ``basis`` is one rule, replaced whole, so a value never travels without its basis."""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from shared.errors import NotFound, RuleSetInvalid
from shared.rulesets.checks import cross_check, messages_to_paths
from shared.rulesets.merge import canonical_json, merge, walk_paths
from shared.rulesets.schema import IDENTITY_KEYS, ORPHAN_PARTIAL, REF_RE, validate_ruleset
from shared.rulesets.source import Document, error_dict, read_document, yaml_files
from shared.rulesets.vocabulary import EXTENSIBLE

REPO_ROOT = Path(__file__).resolve().parents[2]
# the folder of the rule sets, for the services (config RULESETS_DIR: ${SANXIANG_RULESETS:})
# and the command line alike
ENV_DIR = "SANXIANG_RULESETS"


class Period(NamedTuple):
    name: str
    amount: int
    unit: str          # workdays | natural_days | hours | months
    basis: str


class _Resolved:
    def __init__(self, data: dict, origins: dict[tuple, tuple[str, int, str] | None],
                 chain: list[str], complete: bool):
        self.data = data
        self.origins = origins      # path → (file, line, ref of the file that set it)
        self.chain = chain          # refs of ancestors, nearest first
        self.complete = complete    # False when an ancestor could not be found


class _Resolver:
    """Resolves ``extends`` over a set of read documents; later documents win a tie of
    (id, version), which is how ``check_file`` lets a file shadow its installed copy."""

    def __init__(self, documents: list[Document]):
        self.by_key: dict[tuple, Document] = {}
        for doc in documents:
            ident, version = doc.key
            if isinstance(ident, str) and isinstance(version, int) \
                    and not isinstance(version, bool):
                self.by_key[(ident, version)] = doc
        self._done: dict[str, tuple[_Resolved | None, list[dict]]] = {}

    def find(self, ident: str, version: int | None) -> Document | None:
        if version is not None:
            return self.by_key.get((ident, version))
        versions = [v for (i, v) in self.by_key if i == ident]
        return self.by_key[(ident, max(versions))] if versions else None

    def resolve(self, doc: Document,
                stack: tuple[str, ...] = ()) -> tuple[_Resolved | None, list[dict]]:
        if doc.file in self._done:
            return self._done[doc.file]
        if doc.data is None:
            return None, list(doc.errors)
        errors = list(doc.errors)
        own = doc.data
        origins: dict[tuple, tuple[str, int, str] | None] = {
            p: (doc.file, doc.lines.get(p) or _nearest_line(doc.lines, p), doc.ref)
            for p in walk_paths(own)}
        chain: list[str] = []
        complete = True
        data = own
        extends = own.get("extends")
        if extends is not None:
            match = REF_RE.match(extends) if isinstance(extends, str) else None
            parent_doc = None
            if match:
                version = int(match["version"]) if match["version"] else None
                parent_doc = self.find(match["id"], version)
                if parent_doc is None:
                    known = sorted({f"{i}@{v}" for (i, v) in self.by_key})
                    errors.append(error_dict(
                        doc.file, doc.lines.get(("extends",)), ("extends",),
                        f"extends {extends!r}, but no such rule set was found "
                        f"(known: {', '.join(known) or 'none'})"))
                elif parent_doc.file in stack or parent_doc.file == doc.file:
                    errors.append(error_dict(doc.file, doc.lines.get(("extends",)),
                                             ("extends",), f"extends {extends!r} makes a cycle"))
                    parent_doc = None
            if parent_doc is None:
                complete = False
            else:
                parent, parent_errors = self.resolve(parent_doc, stack + (doc.file,))
                errors.extend(parent_errors)
                if parent is None:
                    complete = False
                else:
                    base = {k: v for k, v in parent.data.items() if k not in IDENTITY_KEYS}
                    data = merge(base, own)
                    origins = {p: origins[p] if p in origins else parent.origins.get(p)
                               for p in walk_paths(data)}
                    chain = [parent_doc.ref] + parent.chain
                    complete = parent.complete
        resolved = _Resolved(data, origins, chain, complete)
        errors.extend(self._validate(doc, resolved))
        result = (resolved, _dedupe(errors))
        self._done[doc.file] = result
        return result

    @staticmethod
    def _validate(doc: Document, resolved: _Resolved) -> list[dict]:
        orphan = not resolved.complete
        problems = messages_to_paths(validate_ruleset(
            resolved.data, partial=ORPHAN_PARTIAL if orphan else False))
        problems += cross_check(resolved.data, orphan)
        out = []
        for path, rule in problems:
            file, line, _ = _origin(resolved.origins, path) or (doc.file, None, doc.ref)
            out.append(error_dict(file, line, path, rule))
        return out


def _nearest_line(lines: dict[tuple, int], path: tuple) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _origin(origins: dict, path: tuple) -> tuple | None:
    path = tuple(path)
    while path and origins.get(path) is None:
        path = path[:-1]
    return origins.get(path)


def _dedupe(errors: list[dict]) -> list[dict]:
    seen, out = set(), []
    for err in errors:
        key = (err["file"], err["line"], err["path"], err["rule"])
        if key not in seen:
            seen.add(key)
            out.append(err)
    return out


# --- The public objects ---------------------------------------------------------------------

class RuleSet:
    """The effective rules of one rule-set version, after inheritance."""

    def __init__(self, data: dict, origins: dict, chain: list[str], file: str):
        self._data = data
        self._origins = origins
        self.file = file
        self.extends_chain = tuple(chain)
        self.id: str = data["id"]
        self.version: int = data["version"]
        self.ref = f"{self.id}@{self.version}"
        self.effective: _dt.date = _dt.date.fromisoformat(data["effective"])
        self.title: str = data["title"]
        self.fingerprint = hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"<RuleSet {self.ref} {self.fingerprint[:12]}>"

    @property
    def data(self) -> dict:
        return copy.deepcopy(self._data)

    def section(self, name: str) -> dict:
        if name not in self._data or not isinstance(self._data[name], dict):
            raise NotFound(f"rule set {self.ref} has no section {name!r}",
                           message_zh=f"规则集 {self.ref} 没有 {name!r} 部分",
                           details={"ruleset": self.ref, "section": name})
        return copy.deepcopy(self._data[name])

    def period(self, name: str) -> Period:
        entry = self._data["periods"].get(name)
        if entry is None:
            raise NotFound(f"rule set {self.ref} defines no period {name!r}",
                           message_zh=f"规则集 {self.ref} 未规定期限 {name!r}",
                           details={"ruleset": self.ref, "period": name,
                                    "known": sorted(self._data["periods"])})
        return Period(name, entry["amount"], entry["unit"], entry["basis"])

    def periods(self) -> dict[str, Period]:
        return {name: self.period(name) for name in self._data["periods"]}

    @property
    def av_mandatory_situations(self) -> dict[str, dict]:
        return {e["code"]: dict(e) for e in self._data["av"]["mandatory_situations"]}

    @property
    def av_discretionary_situations(self) -> dict[str, dict]:
        return {e["code"]: dict(e) for e in self._data["av"]["discretionary_situations"]}

    def vocabulary(self, key: str) -> dict[str, str]:
        """A vocabulary the rule-set format lets a rule set extend (vocabulary.EXTENSIBLE:
        measures, av_situations, sectors): the shared codes and this rule set's own, code →
        label."""
        shared, _ = EXTENSIBLE[key]
        declared = (self._data.get("vocabulary") or {}).get(key) or ()
        return {**shared, **{e["code"]: e["label"] for e in declared}}

    def finding_article(self, code: str) -> str | None:
        """The article this rule set judges finding `code` under (its `findings` section),
        None where it names none."""
        entry = (self._data.get("findings") or {}).get(code)
        return entry["basis"] if entry else None

    def origin(self, *path: str | int) -> str:
        """The ref (id@version) of the file that set the value at ``path``."""
        found = _origin(self._origins, tuple(path))
        return found[2] if found else self.ref

    def inherited(self, *path: str | int) -> bool:
        return self.origin(*path) != self.ref

    def to_dict(self) -> dict:
        return {"id": self.id, "version": self.version, "ref": self.ref,
                "effective": self.effective.isoformat(), "title": self.title,
                "extends_chain": list(self.extends_chain), "fingerprint": self.fingerprint,
                "rules": self.data}


def parse_ref(ref: str, version: int | None = None) -> tuple[str, int | None]:
    match = REF_RE.match(ref or "")
    if not match:
        raise NotFound(f"not a rule-set reference: {ref!r} (expected id or id@version)",
                       message_zh=f"{ref!r} 不是规则集引用（应为 id 或 id@version）",
                       details={"ref": ref})
    pinned = int(match["version"]) if match["version"] else None
    if pinned is not None and version is not None and pinned != version:
        raise NotFound(f"{ref!r} names version {pinned} but version={version} was asked",
                       message_zh=f"{ref!r} 指明第 {pinned} 版，但所请求的是第 {version} 版",
                       details={"ref": ref, "version": version})
    return match["id"], pinned if pinned is not None else version


def default_directory() -> Path:
    return Path(os.environ.get(ENV_DIR) or REPO_ROOT / "rulesets")


class RuleSetRepository:
    """Every rule set in some files/folders, loaded and validated once, all or nothing."""

    _default_cache: dict[Path, RuleSetRepository] = {}

    def __init__(self, paths: Iterable[str | os.PathLike]):
        files: list[Path] = []
        for raw in paths:
            path = Path(raw)
            files.extend(yaml_files(path) if path.is_dir() else [path])
        documents = [read_document(f) for f in files]
        errors: list[dict] = []
        seen: dict[tuple, Document] = {}
        for doc in documents:
            if doc.data is None:
                continue
            if doc.key in seen:
                errors.append(error_dict(doc.file, doc.lines.get(("id",)), ("id",),
                                         f"{doc.ref} is also defined in {seen[doc.key].file}"))
            seen.setdefault(doc.key, doc)
        resolver = _Resolver(documents)
        self._sets: dict[str, dict[int, RuleSet]] = {}
        for doc in documents:
            resolved, doc_errors = resolver.resolve(doc)
            errors.extend(doc_errors)
            if resolved is not None and not doc_errors:
                rs = RuleSet(resolved.data, resolved.origins, resolved.chain, doc.file)
                self._sets.setdefault(rs.id, {})[rs.version] = rs
        errors = _dedupe(errors)
        if errors:
            first = errors[0]
            raise RuleSetInvalid(
                f"{len(errors)} problem(s) in rule sets; first: {first['file']}:"
                f"{first['line']}: {first['path']}: {first['rule']}", details=errors,
                message_zh=f"规则集有 {len(errors)} 处问题；第一处：{first['file']}:"
                           f"{first['line']}：{first['path']}：{first['rule']}")

    @classmethod
    def default(cls, reload: bool = False) -> RuleSetRepository:
        directory = default_directory().resolve()
        if reload or directory not in cls._default_cache:
            cls._default_cache[directory] = cls([directory])
        return cls._default_cache[directory]

    def ids(self) -> list[str]:
        return sorted(self._sets)

    def versions(self, ident: str) -> list[int]:
        return sorted(self._sets.get(ident, {}))

    def all(self) -> list[RuleSet]:
        return [self._sets[i][v] for i in self.ids() for v in self.versions(i)]

    def get(self, ref: str, version: int | None = None) -> RuleSet:
        ident, version = parse_ref(ref, version)
        versions = self._sets.get(ident)
        if not versions:
            raise NotFound(f"no rule set {ident!r} (known: {', '.join(self.ids())})",
                           message_zh=f"未找到规则集 {ident!r}（已知：{'、'.join(self.ids())}）",
                           details={"id": ident, "known": self.ids()})
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise NotFound(f"rule set {ident!r} has no version {version} "
                           f"(known: {sorted(versions)})",
                           message_zh=f"规则集 {ident!r} 没有第 {version} 版（已知版本："
                                      f"{'、'.join(map(str, sorted(versions)))}）",
                           details={"id": ident, "version": version, "known": sorted(versions)})
        return versions[version]

    def effective_on(self, ident: str, day: _dt.date) -> RuleSet:
        """The version in force on ``day``: the highest whose effective date is not later."""
        candidates = [rs for rs in (self._sets.get(ident) or {}).values() if rs.effective <= day]
        if not candidates:
            raise NotFound(f"no version of rule set {ident!r} is in force on {day.isoformat()}",
                           message_zh=f"规则集 {ident!r} 在 {day.isoformat()} 没有施行中的版本",
                           details={"id": ident, "day": day.isoformat()})
        return max(candidates, key=lambda rs: rs.version)

    @staticmethod
    def check_file(path: str | os.PathLike) -> list[dict]:
        """Errors for one file (empty when valid). ``extends`` is looked up beside the file
        first, then in the default folder; errors in those ancestors are reported too."""
        return _load_one(Path(path))[1]

    @staticmethod
    def load_file(path: str | os.PathLike) -> RuleSet:
        """One file's effective rule set, looked up as ``check_file`` does."""
        rs, errors = _load_one(Path(path))
        if errors or rs is None:
            raise RuleSetInvalid(f"{len(errors)} problem(s) in {path}", details=errors,
                                 message_zh=f"规则集文件 {path} 有 {len(errors)} 处问题")
        return rs


def _load_one(target_path: Path) -> tuple[RuleSet | None, list[dict]]:
    target = read_document(target_path)
    if target.data is None:
        return None, target.errors
    documents: list[Document] = []
    folders = [default_directory()]
    if target_path.parent.resolve() != folders[0].resolve():
        folders.append(target_path.parent)
    for folder in folders:
        if folder.is_dir():
            documents.extend(read_document(f) for f in yaml_files(folder)
                             if f.resolve() != target_path.resolve())
    documents.append(target)
    resolved, errors = _Resolver(documents).resolve(target)
    if errors or resolved is None:
        return None, errors
    return RuleSet(resolved.data, resolved.origins, resolved.chain, target.file), []
