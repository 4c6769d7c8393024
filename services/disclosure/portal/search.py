"""The site's search: Pagefind (the extended build, which segments Chinese) over the
publication pages, in shards of one agency each, so one change re-indexes its agency and not
the country (Pagefind costs ≈ 0.4 s a run plus ≈ 0.4 ms a page here: an agency of 20,000
publications re-indexes in ≈ 8 s; one far larger would want its shard split by year). The
search page loads the list of shards (search/shards.json) and Pagefind's UI merges them
(`mergeIndex`); the filters 机关, 类别, 年份 and 状态 come from the pages'
`data-pagefind-filter` attributes. Expired publications leave the index; withdrawn ones stay,
filtered by 状态. The result URLs are /p/<id>.html: a site served under another path tells
Pagefind's UI its root (assets/search.js passes it as baseUrl).

Each shard is built from the pages as the target holds them, copied into a temporary folder
and indexed there by the Pagefind binary (its CLI: the Python wrapper's service answers one
message per 100 ms), then copied into the target: content-addressed files (index/, fragment/,
filter/, *.pf_meta) only when new, the others when their bytes changed, pagefind-entry.json
last; files of the generation before the last one are deleted. Pagefind runs as a child
process: a service on eventlet calls this from a real thread (eventlet.tpool) or a worker."""
from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from . import layout
from .portal import shard_of
from .publication import Publication
from .target import Target

SHARDS = "search/shards.json"
_HASHED = ("index/", "fragment/", "filter/")


def pagefind_binary() -> Path:
    """The Pagefind binary with CJK segmentation, as PyPI's pagefind[extended] installs it."""
    from pagefind_bin_extended import get_executable
    return Path(get_executable())


def _hashed(name: str) -> bool:
    return name.startswith(_HASHED) or name.endswith(".pf_meta")


class SearchIndex:
    def __init__(self, target: Target, *, root: str = "/"):
        self.target = target
        self.root = root if root.endswith("/") else root + "/"

    # ---- membership -------------------------------------------------------------------

    def record(self, p: Publication, previous_shard: str | None = None) -> tuple[str, ...]:
        """Put the publication in its shard's member list (out of it once expired, and out of
        the shard it was in before when its agency or year changed); the shards changed."""
        changed = []
        shard = shard_of(p)
        if previous_shard and previous_shard != shard \
                and self._set_member(previous_shard, p.id, False):
            changed.append(previous_shard)
        if self._set_member(shard, p.id, p.state != "expired"):
            changed.append(shard)
        return tuple(changed)

    def record_all(self, publications: Iterable[Publication]) -> tuple[str, ...]:
        """The member lists of every shard at once, for a site written by `Portal.build`."""
        shards: dict[str, list[str]] = {}
        for p in publications:
            if p.state != "expired":
                shards.setdefault(shard_of(p), []).append(p.id)
        for shard, ids in shards.items():
            self.target.write(f"search/{shard}/members.json",
                              json.dumps({"ids": sorted(ids)}, separators=(",", ":")).encode())
        return tuple(sorted(shards))

    def _members(self, shard: str) -> list[str]:
        data = self.target.read(f"search/{shard}/members.json")
        return [] if data is None else list(json.loads(data)["ids"])

    def _set_member(self, shard: str, pid: str, present: bool) -> bool:
        ids = self._members(shard)
        if (pid in ids) == present:
            return False
        ids = sorted({*ids, pid}) if present else [i for i in ids if i != pid]
        self.target.write(f"search/{shard}/members.json",
                          json.dumps({"ids": ids}, separators=(",", ":")).encode())
        return True

    def shards(self) -> list[str]:
        data = self.target.read(SHARDS)
        bundles = [] if data is None else json.loads(data)["bundles"]
        return [b.removeprefix("search/").removesuffix("/bundle") for b in bundles]

    # ---- building ---------------------------------------------------------------------

    def update(self, p: Publication, previous_shard: str | None = None) -> int:
        """After a publish: the publication's shard(s) re-indexed. Files written."""
        self.record(p, previous_shard)
        shards = {shard_of(p)} | ({previous_shard} if previous_shard else set())
        return self.rebuild(sorted(shards))

    def rebuild(self, shards: Iterable[str] | None = None) -> int:
        """Every shard in shards.json (or these) re-indexed from its members' pages.
        Files written."""
        chosen = sorted(shards if shards is not None else self.shards())
        written = sum(self._build_shard(shard) for shard in chosen)
        return written + self._write_shard_list(chosen)

    def _build_shard(self, shard: str) -> int:
        ids = self._members(shard)
        if not ids:
            return 0
        with tempfile.TemporaryDirectory(prefix="portal-search-") as tmp:
            site = Path(tmp) / "site"
            (site / "p").mkdir(parents=True)
            for pid in ids:
                page = self.target.read(layout.publication_html(pid))
                if page is not None:
                    (site / "p" / f"{pid}.html").write_bytes(page)
            bundle = Path(tmp) / "bundle"
            done = subprocess.run(
                [str(pagefind_binary()), "--site", str(site), "--output-path", str(bundle),
                 "--glob", "p/*.html", "--force-language", "zh", "--silent"],
                capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"pagefind failed on shard {shard}: {done.stderr.strip()}")
            return self._copy_bundle(bundle, f"search/{shard}/bundle")

    def _copy_bundle(self, built: Path, prefix: str) -> int:
        names = sorted(str(f.relative_to(built)) for f in built.rglob("*") if f.is_file())
        written = 0
        for name in [n for n in names if n != "pagefind-entry.json"] + ["pagefind-entry.json"]:
            path = f"{prefix}/{name}"
            data = (built / name).read_bytes()
            if (_hashed(name) and self.target.exists(path)) or self.target.read(path) == data:
                continue
            self.target.write(path, data)
            written += 1
        generations = json.loads(self.target.read(f"{prefix}/files.json") or b"{}")
        keep = set(names) | set(generations.get("current", []))
        for old in set(generations.get("previous", [])) - keep:
            self.target.delete(f"{prefix}/{old}")
        self.target.write(f"{prefix}/files.json", json.dumps(
            {"current": names, "previous": generations.get("current", [])}).encode())
        return written + 1

    def _write_shard_list(self, built: list[str]) -> int:
        live = [s for s in sorted(set(self.shards()) | set(built)) if self._members(s)]
        bundles = [f"search/{s}/bundle" for s in live]
        data = json.dumps({"bundles": bundles}, separators=(",", ":")).encode()
        if self.target.read(SHARDS) == data:
            return 0
        self.target.write(SHARDS, data)
        return 1
