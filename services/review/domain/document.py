"""The data of the 法制审核意见书 (the renderer's `legal_review_opinion` template) and where
its copies go."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

from services.review.domain.opinions import review_points
from shared.law.review import counsel_opinion_material
from shared.rulesets.repository import RuleSet


def copies(rs: RuleSet) -> list[dict]:
    """Where the copies go (000 第九条, 002 第十三条): one into the case file, one kept by
    the reviewers; online review may replace the paper (002)."""
    doc = rs.section("review").get("opinion_document") or {"copies": 2,
                                                            "online_replaces_paper": False}
    routed = [{"copy": 1, "destination": "case_file", "label": "存入执法案卷"},
              {"copy": 2, "destination": "review_archive", "label": "法制审核机构留存归档"}]
    for n in range(3, doc["copies"] + 1):
        routed.append({"copy": n, "destination": "other", "label": "其他"})
    return [dict(c, online_replaces_paper=doc["online_replaces_paper"]) for c in routed]


RESULT_ZH: Final = {"pass": "符合", "flaw": "存在瑕疵", "fail": "不符合"}


def opinion_document(rs: RuleSet, review: Mapping, agency_name: str) -> dict:
    """The data of the renderer's `legal_review_opinion` template (its manifest's fields):
    what was submitted, each review point's finding, the opinion and its reasons, who
    reviewed — and where its copies go. Administrative names the review does not know
    (document number, units) take the request's values or the usual defaults."""
    doc = review.get("document_info") or {}
    opinion = review["opinion"]
    # the reviewers sign their own opinion; a later word (the head's decision, the leaders'
    # discussion) is printed apart, under whoever made it
    own = opinion.get("reviewers_opinion") or opinion
    data = {"authority_name": agency_name, **_submitted(review, doc),
            "review_rule": _review_rule(rs), **_examined(rs, review, doc),
            "opinion_kind": own["label"], "opinion_reasons": own["reasons"],
            "reviewers": [{"name": a["name"], "position": a.get("position") or "法制审核人员"}
                          for a in review["assignments"] if a["status"] == "active"],
            "review_date": own["issued_on"]}
    counsel = _counsel(rs, review)
    if counsel:
        data["counsel_opinion"] = counsel
    if opinion.get("decisions"):
        data["decisions"] = [_decision(d) for d in opinion["decisions"]]
    return {"template_id": "legal_review_opinion", "copies": copies(rs), "data": data}


DECIDED_BY_ZH: Final = {"head_decision": "行政执法机关负责人",
                        "collective_discussion": "机关负责人集体讨论"}


def _counsel(rs: RuleSet, review: Mapping) -> str | None:
    """The legal counsel's 法律意见书 the review has on file, where the rule set tracks it."""
    code = counsel_opinion_material(rs)
    filed = next((m for m in review["materials"] if code and m["code"] == code), None)
    if filed is None:
        return None
    return f"{filed['title']}" + (f"：{filed['note']}" if filed.get("note") else "")


def _decision(d: Mapping) -> dict:
    """A decision after the reviewers' opinion, as the 意见书 prints it: who made it, what
    and why, when."""
    who = DECIDED_BY_ZH[d["stage"]]
    names = "、".join(d.get("participants") or ()) or d.get("by_name") or d["by"]
    return {"by": f"{who}（{names}）", "kind": d["label"], "reasons": d["reasons"],
            "date": d["decided_on"]}


def _submitted(review: Mapping, doc: Mapping) -> dict:
    """Who submitted what case, when."""
    return {
        "doc_number": doc.get("doc_number") or _review_doc_number(review["case_no"]),
        "submitting_unit": doc.get("submitting_unit") or "执法承办机构",
        "submitting_unit_kind": doc.get("submitting_unit_kind") or "机构",
        "submitted_date": _iso(review["received_on"]),
        "materials_complete_date": _iso(review["complete_on"] or review["received_on"]),
        "case_name": review.get("case_title") or f"{(review.get('party') or {}).get('name', '')}案",
        "case_number": review["case_no"]}


def _review_rule(rs: RuleSet) -> str:
    """The rules reviewed under: the rule set's source document and article."""
    source = rs.data.get("source") or {}
    basis = rs.section("review")["review_points"][0]["basis"] if review_points(rs) else ""
    return ((f"《{source['document']}》" if source.get("document") else rs.ref)
            + (f"（{basis}）" if basis else ""))


def _examined(rs: RuleSet, review: Mapping, doc: Mapping) -> dict:
    """What the reviewers examined and what they found on each review point."""
    points = review_points(rs)
    decision = review["decision"]
    return {
        "reviewing_unit": doc.get("reviewing_unit") or "法制审核机构",
        "materials": [{"name": m["title"]} for m in review["materials"]],
        "proposed_decision": (f"依据{decision['legal_basis']}，" if decision.get("legal_basis")
                              else "") + (decision.get("conclusion") or ""),
        "review_points": [{"point": points[code]["label"] if code in points else code,
                           "finding": RESULT_ZH[f["result"]] + (f"：{f['note']}"
                                                                if f.get("note") else "。")}
                          for code, f in review["findings"].items()]}


def _review_doc_number(case_no: str) -> str:
    """陵应急立〔2025〕12号 → 陵应急法审〔2025〕12号: the opinion numbered after its case."""
    prefix, sep, rest = case_no.partition("〔")
    if not sep:
        return f"{case_no}法审"
    return f"{prefix.removesuffix('立')}法审{sep}{rest}"


def _iso(day: date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else day
