"""Publishing one decision into a large portal against a small one, and the search index's
update after it against a full rebuild, in the same run.

    .venv/bin/python bench/portal_publish.py [--quick] [--small 1000] [--large 100000]
                                             [--runs 15] [--search-large]

Two sites are written into temporary directories by `Portal.build` (untimed): --small and
--large publications of 97 agencies, 5 kinds, decisions over three years, with the summary
fields of the 000 rule set. Then one fresh decision is published into each (`Portal.publish`
into the local directory, atomic writes: its page and JSON, the newest page of each of its
four lists, their index, the agency's feed), alternating small and large --runs times; the
medians compared (target ≤ 1.5×). Then the search: the Pagefind index of the small site built
whole (every shard), against the update after one publish (its agency's shard rebuilt and
copied in); with --search-large the same on the large site (the full rebuild then indexes
every page of it, minutes). Beside each publish, the bare baseline: the files it wrote, written
again by a bare loop (temporary file, write, rename) — what the filesystem alone costs at
each size."""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import main, parser, row

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHINA = timezone(timedelta(hours=8))
# a prime: the lists of a round-sized site do not all end on a full page at once (each
# publish into such a site would open a new page on every list, 1 in 50 in a real one)
AGENCIES = 97
KINDS = [("penalty", "行政处罚"), ("license", "行政许可"), ("inspection", "行政检查"),
         ("coercion", "行政强制"), ("collection", "行政征收")]
START = datetime(2023, 7, 1, 9, tzinfo=CHINA)  # three years of decisions to mid 2026
FACTS = ["未按规定组织特种作业人员参加安全培训", "未如实记录安全生产教育和培训情况",
         "危险物品储存场所未设置明显安全警示标志", "未对重大危险源登记建档并定期检测评估"]


def decision(n: int, minutes_apart: float):
    """The n-th decision: its agency, kind and dates spread over three years."""
    from services.disclosure.portal import Publication
    agency = n % AGENCIES
    kind, kind_name = KINDS[n % len(KINDS)]
    published = START + timedelta(minutes=n * minutes_apart)
    return Publication(
        id=f"d-{n:07d}", agency_code=f"agency-{agency:03d}",
        agency_name=f"第{agency}号县应急管理局",
        kind=kind, kind_name=kind_name,
        title=f"某化工有限公司{FACTS[n % len(FACTS)]}案（{n}）",
        summary=(("决定书文号", f"应急罚〔{published.year}〕{n}号"),
                 ("案件名称", f"某化工有限公司{FACTS[n % len(FACTS)]}案"),
                 ("执法机关", f"第{agency}号县应急管理局"),
                 ("违法事实", f"经查，该公司{FACTS[n % len(FACTS)]}，违反了有关规定。"),
                 ("法律依据", "《中华人民共和国安全生产法》第九十七条第（三）项"),
                 ("执法结论", "责令限期改正，处罚款人民币二万元"),
                 ("决定日期", (published.date() - timedelta(days=3)).isoformat())),
        decision_date=published.date() - timedelta(days=3), published_at=published)


def _site(root: Path, size: int):
    from services.disclosure.portal import LocalDirectory, Portal, SearchIndex
    minutes = 3 * 365 * 24 * 60 / size   # three years of decisions, whatever the size
    pubs = [decision(n, minutes) for n in range(size)]
    target = LocalDirectory(root)
    portal = Portal(target, base_url="https://gs.example.cn/")
    t0 = time.perf_counter()
    files = portal.build(pubs)
    took = time.perf_counter() - t0
    search = SearchIndex(target)
    shards = search.record_all(pubs)
    return target, portal, (search, shards), minutes, files, took


def _publish(target, portal, n: int, minutes: float) -> tuple[float, int, float]:
    """One publish, timed; then the bare baseline: the same files (same paths, same bytes)
    written again the same atomic way by a bare loop — temporary file, write, rename."""
    import os
    p = decision(n, minutes)
    target.written.clear()
    t0 = time.perf_counter()
    portal.publish(p)
    took = time.perf_counter() - t0
    files = [(target.root / path, target.read(path)) for path in target.written]
    t0 = time.perf_counter()
    for i, (final, data) in enumerate(files):
        tmp = final.parent / f".bare-{n}-{i}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, final)
    return took, len(files), time.perf_counter() - t0


def _search(search, shards, portal, n: int, minutes: float) -> tuple[float, float, int, int]:
    from services.disclosure.portal import shard_of
    t0 = time.perf_counter()
    full_files = search.rebuild(shards)
    full = time.perf_counter() - t0
    p = decision(n, minutes)
    portal.publish(p)
    members = len(search._members(shard_of(p))) + 1
    t0 = time.perf_counter()
    search.update(p)
    update = time.perf_counter() - t0
    return full, update, full_files, members


def run(args) -> tuple[list[dict], list[str]]:
    small, large = (args.small, 10_000) if args.quick else (args.small, args.large)
    runs = 5 if args.quick else args.runs
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        sites = {}
        for size in (small, large):
            target, portal, search, minutes, files, took = _site(Path(tmp) / str(size), size)
            sites[size] = (target, portal, search, minutes)
            notes.append(f"site of {size:,} publications built whole: {files:,} files in "
                         f"{took:.1f} s")
        times: dict[int, list[float]] = {small: [], large: []}
        bare: dict[int, list[float]] = {small: [], large: []}
        written: dict[int, set[int]] = {small: set(), large: set()}
        for i in range(runs + 1):                  # the first of each is a warm-up
            for size in (small, large) if i % 2 else (large, small):
                target, portal, _, minutes = sites[size]
                took, files, bare_took = _publish(target, portal, size + i, minutes)
                if i:
                    times[size].append(took)
                    bare[size].append(bare_took)
                    written[size].add(files)
        s, g = statistics.median(times[small]), statistics.median(times[large])
        bs, bg = statistics.median(bare[small]), statistics.median(bare[large])
        rows += [row("portal", f"publish one into {small:,}", f"{s * 1000:.2f} ms"),
                 row("portal", f"publish one into {large:,}", f"{g * 1000:.2f} ms"),
                 row("portal", f"{large:,} / {small:,}", f"{g / s:.2f}×", "≤ 1.5×",
                     g / s <= 1.5),
                 row("portal", "bare writes of the same files, small / large",
                     f"{bs * 1000:.2f} / {bg * 1000:.2f} ms"),
                 row("portal", f"bare writes {large:,} / {small:,}", f"{bg / bs:.2f}×"),
                 row("portal", "publish less its writes, large / small",
                     f"{(g - bg) / (s - bs):.2f}×")]
        notes.append(f"files written per publish: {sorted(written[small])} into {small:,}, "
                     f"{sorted(written[large])} into {large:,} (medians of {runs} publishes "
                     "each, alternating)")
        search_sizes = [small, large] if args.search_large else [small]
        for size in search_sizes:
            target, portal, (search, shards), minutes = sites[size]
            full, update, full_files, members = _search(search, shards, portal,
                                                         size + runs + 1, minutes)
            rows += [row("portal", f"search: full rebuild, {size:,} pages",
                         f"{full * 1000:.0f} ms"),
                     row("portal", f"search: update after a publish ({members} in its shard)",
                         f"{update * 1000:.0f} ms"),
                     row("portal", f"search: update / full rebuild ({size:,})",
                         f"{update / full:.3f}×")]
            notes.append(f"search over {size:,}: full rebuild wrote {full_files:,} files "
                         f"({len(search.shards())} shards, one per agency)")
    return rows, notes


if __name__ == "__main__":
    p = parser("publishing one decision into a large portal against a small one; the search "
               "index's update against a full rebuild")
    p.add_argument("--small", type=int, default=1_000)
    p.add_argument("--large", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=15, help="publishes timed per site")
    p.add_argument("--search-large", action="store_true",
                   help="also rebuild the large site's whole search index (minutes)")
    sys.exit(main(run, p))
