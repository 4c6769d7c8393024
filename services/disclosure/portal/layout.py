"""Where each file of the site lives, and the lists a publication appears on.

Lists are paginated from the oldest: page 1 holds the first PAGE_SIZE publications ever listed,
and a publication keeps the page (its slot) it was given when first listed. Publishing one more
therefore touches only the newest page (or opens the next one), never the pages before it; each
page shows its items newest first, and a list's index shows the newest items of its last two
pages. A publication dropped from a list (withdrawn, expired) leaves its page one item shorter."""
from __future__ import annotations

from dataclasses import dataclass

from .publication import Publication

PAGE_SIZE = 20  # rows a list page shows (and its index): what one publish re-renders
FEED_SIZE = 50


@dataclass(frozen=True)
class ListKey:
    """One list of the site: its folder and its heading."""

    folder: str  # "list", "agency/<code>", "kind/<kind>", "agency/<code>/kind/<kind>"
    title: str

    def page(self, n: int, ext: str) -> str:
        return f"{self.folder}/page/{n}.{ext}"

    @property
    def index_html(self) -> str:
        return f"{self.folder}/index.html"

    @property
    def index_json(self) -> str:
        return f"{self.folder}/index.json"


def lists_of(p: Publication) -> list[ListKey]:
    """The lists a listed publication appears on."""
    return [ListKey("list", "全部公示信息"),
            ListKey(f"agency/{p.agency_code}", f"{p.agency_name}公示信息"),
            ListKey(f"kind/{p.kind}", f"{p.kind_name}公示信息"),
            ListKey(f"agency/{p.agency_code}/kind/{p.kind}",
                    f"{p.agency_name}{p.kind_name}公示信息")]


def publication_html(pid: str) -> str:
    return f"p/{pid}.html"


CORRECTION_FORM = "correction/index.html"


def correction_html(pid: str) -> str:
    return f"correction/{pid}.html"


def publication_json(pid: str) -> str:
    return f"p/{pid}.json"


def feed_xml(agency_code: str) -> str:
    return f"agency/{agency_code}/feed.xml"


def feed_json(agency_code: str) -> str:
    return f"agency/{agency_code}/feed.json"


SITE_JSON = "site.json"
HOME = "index.html"
SEARCH_PAGE = "search/index.html"
STYLE = "assets/site.css"
SEARCH_SCRIPT = "assets/search.js"
VERIFY_PAGE = "verify/index.html"
VERIFY_SCRIPT = "assets/verify.js"
