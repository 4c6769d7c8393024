"""The public portal (行政执法公示平台) as static files: a publication's page, the lists of each
agency and kind, JSON, CSV, an Atom feed per agency and a Pagefind search index, written
incrementally into a `Target` (a directory nginx serves, or a bucket) — machinery the
disclosure service drives after each change (002 第七条, 004 第十九条至二十一条 on what is
published, corrected and withdrawn; 行政处罚法 第四十八条 on withdrawal)."""
from . import layout, versions
from .portal import Portal, Published, shard_of
from .publication import Change, Publication, State
from .search import SearchIndex
from .target import LocalDirectory, Target

__all__ = ["Change", "LocalDirectory", "Portal", "Publication", "Published", "SearchIndex",
           "State", "Target", "layout", "shard_of",
           "versions"]
