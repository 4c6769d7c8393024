"""The portal generator: `Portal.publish(publication)` writes what one change alters, and only
that; `Portal.build(publications)` writes a whole site at once (a first load, or a rebuild from
the service's tables).

What one publish writes: the publication's page and JSON; on each of its four lists (the site's,
its agency's, its kind's, its agency's of that kind) the page it sits on (HTML, JSON, CSV,
Excel), the
list's index.json and, when that page is one of the last two, its index.html — plus the page
before when a new page was opened (its link to the newer one); its agency's feed (Atom and
JSON); the home page and site.json only when an agency or kind is new. Publishing the same
state again writes nothing. The portal keeps no state but its files: a publication's JSON says
which list pages hold it (`listed_on`), a list's index.json how many pages it has.
One writer at a time: the service publishes its changes in order."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.disclosure.domain.limits import FormLimits

from . import layout, render
from .layout import ListKey
from .publication import LISTED, Publication
from .target import Target
from .templates import SEARCH_SCRIPT, STYLE
from .verifier import VERIFY_SCRIPT

# where the correction form posts: the disclosure service's entrypoint behind the portal's proxy
FORM_ACTION = "/api/disclosure/corrections"


@dataclass(frozen=True)
class Published:
    """What a publish wrote, and the search shards (agency codes) it changed."""

    paths: tuple[str, ...]
    search_shards: tuple[str, ...]


def shard_of(p: Publication | dict[str, Any]) -> str:
    """The search shard a publication is indexed in: its agency's."""
    return p.agency_code if isinstance(p, Publication) else str(p["agency_code"])


class Portal:
    def __init__(self, target: Target, *, site_name: str = "行政执法公示平台",
                 base_url: str = "/", root: str = "/", page_size: int = layout.PAGE_SIZE,
                 feed_size: int = layout.FEED_SIZE,
                 form_action: str = FORM_ACTION, form_limits: FormLimits | None = None):
        if page_size < 1 or feed_size < 1:
            raise ValueError("page_size and feed_size must be positive")
        self.target = target
        self.site_name = site_name
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.root = root if root.endswith("/") else root + "/"
        self.page_size = page_size
        self.feed_size = feed_size
        self.form_action = form_action
        self.form_limits = form_limits or FormLimits()
        self.env = render.environment()
        self._site: dict[str, Any] | None = None
        self._written: list[str] = []

    # ---- the one change ---------------------------------------------------------------

    def publish(self, p: Publication) -> Published:
        self._written = []
        before = self._read(layout.publication_json(p.id))
        data = render.publication_json(p)
        if before is not None and {k: v for k, v in before.items() if k != "listed_on"} == data:
            return Published((), ())
        self._note_site(p)  # first: an agency's index lists its kinds
        slots = list(before["listed_on"]) if before else []
        keys = layout.lists_of(p)
        if slots and {s["folder"] for s in slots} != {k.folder for k in keys}:
            for slot in slots:  # moved to another agency or kind: off the old lists
                self._remove(slot, p.id)
            slots = []
        if p.listed and not slots:
            slots = [self._append(key, p) for key in keys]
        elif p.listed:
            for slot in slots:
                self._replace(slot, p)
        else:
            for slot in slots:
                self._remove(slot, p.id)
            slots = []
        self._feed(p)
        if before is None or (before.get("state") in LISTED, before.get("title")) != (
                p.listed, p.title):   # the form page changes only with these
            self._write(layout.correction_html(p.id), self._form(p))
        self._write(layout.publication_html(p.id), self._page(
            "publication.html", title=p.title if p.state != "expired" else "公示信息已撤下",
            p=p, searchable=p.state != "expired"))
        # last: the publish is done once its JSON says so (a retry after a crash redoes it)
        self._write_json(layout.publication_json(p.id), {**data, "listed_on": slots})
        shards = {shard_of(p)} | ({shard_of(before)} if before else set())
        return Published(tuple(self._written), tuple(sorted(shards)))

    # ---- lists ------------------------------------------------------------------------

    def _meta(self, key: ListKey) -> dict[str, Any]:
        return self._read(key.index_json) or {"folder": key.folder, "title": key.title,
                                              "pages": 0, "listed": 0}

    def _append(self, key: ListKey, p: Publication) -> dict[str, Any]:
        meta = self._meta(key)
        n = meta["pages"]
        page = self._read(key.page(n, "json")) if n else None
        if page is not None and any(i["id"] == p.id for i in page["items"]):
            # listed before a crash cut the publish short: keep that slot
            return self._replace({"folder": key.folder, "title": key.title, "page": n}, p)
        if page is None or page["assigned"] >= self.page_size:
            n += 1
            page = {"folder": key.folder, "title": key.title, "page": n, "assigned": 0,
                    "items": []}
            if n > 1:  # the page before gets its link to this one
                self._write_page_html(key, self._read(key.page(n - 1, "json")) or {}, newer=True)
        page["items"] = _newest_first([render.item(p), *page["items"]])
        page["assigned"] += 1
        meta["pages"] = n
        self._write_page(key, page, newer=False)
        self._write_index(key, meta, page)
        return {"folder": key.folder, "title": key.title, "page": n}

    def _replace(self, slot: dict[str, Any], p: Publication) -> dict[str, Any]:
        key = ListKey(slot["folder"], slot["title"])
        page = self._read(key.page(slot["page"], "json"))
        if page is None:
            raise RuntimeError(f"{key.page(slot['page'], 'json')} is missing from the site")
        others = [i for i in page["items"] if i["id"] != p.id]
        page["items"] = _newest_first([render.item(p), *others])
        meta = self._meta(key)
        self._write_page(key, page, newer=slot["page"] < meta["pages"])
        if slot["page"] >= meta["pages"] - 1:
            self._write_index(key, meta, None)
        return slot

    def _remove(self, slot: dict[str, Any], pid: str) -> None:
        key = ListKey(slot["folder"], slot["title"])
        page = self._read(key.page(slot["page"], "json"))
        if page is None or not any(i["id"] == pid for i in page["items"]):
            return
        page["items"] = [i for i in page["items"] if i["id"] != pid]
        meta = self._meta(key)
        self._write_page(key, page, newer=slot["page"] < meta["pages"])
        if slot["page"] >= meta["pages"] - 1:
            self._write_index(key, meta, None)

    def _write_page(self, key: ListKey, page: dict[str, Any], *, newer: bool) -> None:
        self._write_json(key.page(page["page"], "json"), page)
        self._write(key.page(page["page"], "csv"), render.items_csv(page["items"],
                                                                    self.base_url))
        self._write(key.page(page["page"], "xlsx"), render.items_xlsx(page["items"],
                                                                      self.base_url))
        self._write_page_html(key, page, newer=newer)

    def _write_page_html(self, key: ListKey, page: dict[str, Any], *, newer: bool) -> None:
        if not page:
            return
        self._write(key.page(page["page"], "html"), self._page(
            "list_page.html", title=f"{key.title}（第 {page['page']} 页）", heading=key.title,
            folder=key.folder, n=page["page"], newer=newer, items=page["items"]))

    def _write_index(self, key: ListKey, meta: dict[str, Any],
                     last: dict[str, Any] | None) -> None:
        """The list's index: its newest items (from its last two pages) and its counts, each
        derived from the pages themselves (so a publish cut short and retried counts once)."""
        n = meta["pages"]
        if last is None and n:
            last = self._read(key.page(n, "json"))
        before = self._read(key.page(n - 1, "json")) if n > 1 else None
        items = [*(last or {}).get("items", []), *(before or {}).get("items", [])]
        meta["listed"] = (n - 1) * self.page_size + last["assigned"] if last else 0
        self._write_json(key.index_json, meta)
        agency = key.folder.split("/")[1] if key.folder.count("/") == 1 \
            and key.folder.startswith("agency/") else None
        kinds = sorted(self.site()["agencies"].get(agency, {}).get("kinds", {}).items()) \
            if agency else []
        registers = agency is not None and agency in self.site().get("registers", {})
        older = n - 1 if n >= 2 else None
        self._write(key.index_html, self._page(
            "list_index.html", title=key.title, heading=key.title, folder=key.folder,
            items=items[:self.page_size], pages=n, older=older,
            kinds=kinds, feed=layout.feed_xml(agency) if agency else None,
            registers=registers))

    # ---- the agency's feed, the site's registry ---------------------------------------

    def _feed(self, p: Publication) -> None:
        feed = self._read(layout.feed_json(p.agency_code)) or {"entries": []}
        entries = [e for e in feed["entries"] if e["id"] != p.id]
        entries = sorted([render.feed_entry(p), *entries],  # ties by id: one order
                         key=lambda e: (e["updated"], e["id"]), reverse=True)[:self.feed_size]
        self._write_json(layout.feed_json(p.agency_code), {
            "agency_code": p.agency_code, "agency_name": p.agency_name, "entries": entries})
        self._write(layout.feed_xml(p.agency_code),
                    render.atom(p.agency_code, p.agency_name, entries, self.base_url))

    def site(self) -> dict[str, Any]:
        if self._site is None:
            self._site = self._read(layout.SITE_JSON) or {"agencies": {}, "kinds": {}}
        return self._site

    def _note_site(self, p: Publication) -> None:
        site = self.site()
        agency = site["agencies"].get(p.agency_code)
        if agency is not None and agency["name"] == p.agency_name \
                and agency["kinds"].get(p.kind) == p.kind_name \
                and site["kinds"].get(p.kind) == p.kind_name:
            return
        agency = agency or {"name": p.agency_name, "kinds": {}}
        agency["name"] = p.agency_name
        agency["kinds"][p.kind] = p.kind_name
        site["agencies"][p.agency_code] = agency
        site["kinds"][p.kind] = p.kind_name
        self._write_site()

    def _write_site(self) -> None:
        # in code order, whatever order the agencies and kinds came in (a rebuild writes the
        # same bytes)
        site = self.site()
        for agency in site["agencies"].values():
            agency["kinds"] = dict(sorted(agency["kinds"].items()))
        site["agencies"] = dict(sorted(site["agencies"].items()))
        site["kinds"] = dict(sorted(site["kinds"].items()))
        if "registers" in site:
            site["registers"] = dict(sorted(site["registers"].items()))
        self._write_json(layout.SITE_JSON, site)
        self._write(layout.HOME, self._page(
            "home.html", title="首页", agencies=sorted(site["agencies"].items()),
            kinds=sorted(site["kinds"].items()),
            registers=sorted(site.get("registers", {}).items())))

    def note_registers(self, agency: str, name: str) -> tuple[str, ...]:
        """The agency has registers on the portal (agency/<code>/registers/): the home page
        and the agency's page link them. Writes only when the agency is new to them (or
        renamed)."""
        self._written = []
        registers = self.site().setdefault("registers", {})
        if registers.get(agency) == name:
            return ()
        registers[agency] = name
        self._write_site()
        key = ListKey(f"agency/{agency}", "")
        meta = self._read(key.index_json)
        if meta is not None:
            self._write_index(ListKey(meta["folder"], meta["title"]), meta, None)
        return tuple(self._written)

    def install(self) -> tuple[str, ...]:
        """The files every site has whatever it publishes: style, search page and script,
        verifier page and script, home page. Idempotent; run once when the site is created
        (and after an upgrade)."""
        self._written = []
        self._write(layout.STYLE, STYLE.encode())
        self._write(layout.SEARCH_SCRIPT, SEARCH_SCRIPT.encode())
        self._write(layout.SEARCH_PAGE, self._page("search.html", title="搜索"))
        self._write(layout.CORRECTION_FORM, self._form(None))
        self._write(layout.VERIFY_SCRIPT, VERIFY_SCRIPT.encode())
        self._write(layout.VERIFY_PAGE, self._page("verify.html", title="核验"))
        if not self.target.exists("search/shards.json"):
            self._write_json("search/shards.json", {"bundles": []})
        self._write_site()
        return tuple(self._written)

    # ---- the whole site at once -------------------------------------------------------

    def build(self, publications: Iterable[Publication],
              slots: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
              registers: Mapping[str, str] | None = None) -> int:
        """Write a whole site for these publications into an empty target, each list page
        once (a first load, or a rebuild). `slots` are the list pages each publication was
        given when first listed (by id: folder, title, page), kept after it left the list: a
        rebuild laying them again writes the lists byte for byte as the publishes left them
        (holes included); a listed publication with no slot there is appended, oldest first,
        as a publish would. `registers`: the agencies with registers on the portal (code →
        name), linked from the home page and their pages. Returns the number of files written."""
        self._written = []
        if registers:  # the agencies with registers on the portal (note_registers)
            self.site()["registers"] = dict(registers)
        self.install()
        pubs = sorted(publications, key=lambda p: (p.published_at, p.id))
        lists: dict[str, _Laid] = {}
        feeds: dict[str, list[Publication]] = {}
        for p in pubs:
            feeds.setdefault(p.agency_code, []).append(p)
            self._add_to_site(p)
            for slot in (slots or {}).get(p.id, ()):
                laid = lists.setdefault(slot["folder"], _Laid(slot["folder"], slot["title"]))
                laid.assign(p, int(slot["page"]))
        for p in pubs:
            for key in layout.lists_of(p) if p.listed else ():
                lists.setdefault(key.folder, _Laid(key.folder, key.title)).add(p, self.page_size)
        self._write_site()
        listed_on: dict[str, list[dict[str, Any]]] = {}
        for laid in lists.values():
            self._build_list(laid, listed_on)
        for p in pubs:
            order = [k.folder for k in layout.lists_of(p)]
            on = sorted(listed_on.get(p.id, []), key=lambda s: order.index(s["folder"])
                        if s["folder"] in order else len(order))
            self._write_json(layout.publication_json(p.id),
                             {**render.publication_json(p), "listed_on": on})
            self._write(layout.correction_html(p.id), self._form(p))
            self._write(layout.publication_html(p.id), self._page(
                "publication.html", title=p.title if p.state != "expired" else "公示信息已撤下",
                p=p, searchable=p.state != "expired"))
        for members in feeds.values():
            newest = sorted(members, key=lambda p: (p.updated_at, p.id))[-self.feed_size:]
            for p in newest:
                self._feed(p)
        return len(self._written)

    def _add_to_site(self, p: Publication) -> None:
        site = self.site()
        agency = site["agencies"].setdefault(p.agency_code, {"name": p.agency_name, "kinds": {}})
        agency["kinds"][p.kind] = p.kind_name
        site["kinds"][p.kind] = p.kind_name

    def _build_list(self, laid: _Laid, listed_on: dict[str, list[dict[str, Any]]]) -> None:
        key = ListKey(laid.folder, laid.title)
        n_pages = max(laid.pages, default=0)
        last: dict[str, Any] | None = None
        for n in range(1, n_pages + 1):
            members = laid.pages.get(n, [])
            last = {"folder": key.folder, "title": key.title, "page": n,
                    "assigned": len(members),
                    "items": _newest_first([render.item(p) for p in members if p.listed])}
            self._write_page(key, last, newer=n < n_pages)
            for p in members:
                if p.listed:
                    listed_on.setdefault(p.id, []).append(
                        {"folder": key.folder, "title": key.title, "page": n})
        meta = {"folder": key.folder, "title": key.title, "pages": n_pages, "listed": 0}
        self._write_index(key, meta, last)

    # ---- files ------------------------------------------------------------------------

    def _page(self, template: str, **values: Any) -> bytes:
        return self.env.get_template(template).render(
            site_name=self.site_name, root=self.root, **values).encode()

    def _form(self, p: Publication | None) -> bytes:
        """The correction form: for `p` while it is listed (a notice once it is not), or the
        general one asking for the publication's id."""
        mib = 1024 * 1024
        return self._page("correction.html", title="申请更正", p=p,
                          closed=p is not None and not p.listed, action=self.form_action,
                          max_files=self.form_limits.max_files,
                          max_file_mib=self.form_limits.max_file_bytes // mib,
                          max_mib=self.form_limits.max_bytes // mib)

    def _read(self, path: str) -> dict[str, Any] | None:
        data = self.target.read(path)
        return None if data is None else json.loads(data)

    def _write(self, path: str, data: bytes) -> None:
        self.target.write(path, data)
        self._written.append(path)

    def _write_json(self, path: str, data: Any) -> None:
        self._write(path, render.to_json(data))


class _Laid:
    """One list as a build lays it: the publications of each page, holes included."""

    def __init__(self, folder: str, title: str):
        self.folder = folder
        self.title = title
        self.pages: dict[int, list[Publication]] = {}
        self._placed: set[str] = set()

    def assign(self, p: Publication, page: int) -> None:
        if p.id not in self._placed:
            self._placed.add(p.id)
            self.pages.setdefault(page, []).append(p)

    def add(self, p: Publication, page_size: int) -> None:
        """A listed publication with no slot yet: on the last page, or a new one when full."""
        if p.id in self._placed:
            return
        n = max(self.pages, default=0)
        if n == 0 or len(self.pages[n]) >= page_size:
            n += 1
        self.assign(p, n)


def _newest_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: (i["published_at"], i["id"]), reverse=True)
