"""Contract of the document renderer (renderer), major version 1: its RPC methods and its
event, each with an example a non-Python caller can copy.

1.2: with the archive vault deployed, every rendered document is stored there (the answer's
and the event's object_ref; content_base64 null); render takes an optional case_id, the case
the document belongs to — additive.
1.3: the archive vault renders a case's 卷内目录 (template case_file_index) as itself:
"service:vault" may call render — additive.
1.4: the disclosure publisher renders as itself ("service:disclosure" may call render) the
written answer to a request to correct a publication (template correction_answer,
更正申请答复书) and the annual statistics report; a template's field may be of type `image` (a
PNG as base64 with its text alternative, checked: see the template's field schema; template
annual_statistics_report version 2 draws its charts so) — additive."""
from contracts.renderer import messages as m
from shared.contracts import operations
from shared.contracts.registry import CALENDAR_COVERAGE_EXAMPLE, Contract, Event, Rpc

VERSION = "1.5.0"

RENDER_ROLES = ("officer", "head", "legal_unit", "reviewer", "publisher")
READ_ROLES = RENDER_ROLES + ("supervisor",)
# the archive vault renders each case package's 卷内目录 as itself (services.vault.usecases.package),
# the disclosure publisher each 更正申请答复书 (services.disclosure.usecases.corrections) and its
# annual statistics report (services.disclosure.usecases.annual)
RENDER_CALLERS = RENDER_ROLES + ("service:vault", "service:disclosure")
TEMPLATE_SHA = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"
DATA_SHA = "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"
DOCX_SHA = "7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730"
PDF_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
RENDER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
DATA = {"agency_name": "陵川县应急管理局", "decision_no": "陵应急罚〔2025〕12号",
        "party_name": "陵川县某某煤业有限公司", "fine_amount": "60000",
        "issued_on": "2025-10-27",
        "rows": [{"item": "未如实记录安全生产教育和培训情况", "amount": "30000"}]}
SUMMARY = {"template_id": "penalty_decision", "version": 1, "title": "行政处罚决定书",
           "description": "一般程序作出的行政处罚决定", "sha256": TEMPLATE_SHA,
           "source": "penalty_decision/1"}
FIELDS = {"decision_no": {"type": "string", "label": "文号", "pattern": r".+〔\d{4}〕\d+号"},
          "fine_amount": {"type": "money", "label": "罚款金额"},
          "issued_on": {"type": "date", "label": "作出决定日期"}}

RPCS = (
    Rpc("health", m.Empty, m.Health, "Service name, version, contract versions, whether it "
        "is ready (the template library registered; pending names what is not yet), whether "
        "PDF can be made (and why not), whether the converter is warm and how long the first "
        "PDF should take, how far the legal calendar reaches (calendar: covered "
        "range, days left, a warning from 60 days before its end). Open to any caller, no token.", ("any",), {},
        {"service": "renderer", "version": "0.1.0", "rulesets": ["lingchuan-emergency@1"],
         "contracts": {"contract": VERSION, "events": ["document_rendered.v1"]},
         "missing_peers": ["vault"], "ready": True, "pending": [],
         "pdf": {"available": True, "reason": None, "warm": True, "first_pdf_seconds": 0.21,
                 "basis": "measured at warm-up"},
         "templates": 13, "calendar": CALENDAR_COVERAGE_EXAMPLE,
         **operations.example("renderer", {"vault": False})}, writes=False),
    Rpc("render", m.Render, m.Rendered,
        "Render a template version with the caller's data: validated against the template's "
        "field schema, rendered with autoescape, stamped (document properties: identifier "
        "sanxiang:<id>@<version>, keywords with template and data sha256). The docx is the "
        "same bytes for the same template version and data. Where the archive vault is "
        "deployed (config DOCUMENT_VAULT: required, absent, or auto — whether it runs now), "
        "each output is stored there by the renderer as itself (vault.store_document: "
        "write-once under the case-file retention class, with this stamp and case_id) and "
        "comes back as object_ref, the vault object's id, content_base64 null — a vault that "
        "is part of the deployment but does not answer refuses the render as unavailable, "
        "nothing recorded; the same document rendered again is not stored twice. While no "
        "vault is deployed the outputs come back base64 in content_base64 (object_ref null). "
        "Without LibreOffice a "
        "PDF request gives docx only and a note pdf_unavailable saying why. Unknown template "
        "or version: not_found listing what exists. Sent while the service starts, it waits "
        "for the template library to be registered (see health: ready), at most "
        "TEMPLATES_START_TIMEOUT (60 s), then is refused as unavailable (retry). The archive "
        "vault calls it as itself for a case package's 卷内目录; the disclosure publisher for the "
        "更正申请答复书 (correction_answer) of each request it answers and for the annual "
        "statistics report.", RENDER_CALLERS,
        {"template_id": "penalty_decision", "version": 1, "data": DATA,
         "formats": ["docx", "pdf"], "reference": "陵应急立〔2025〕12号",
         "case_id": "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"},
        {"render_id": RENDER_ID, "template_id": "penalty_decision", "version": 1,
         "title": "行政处罚决定书", "template_sha256": TEMPLATE_SHA, "data_sha256": DATA_SHA,
         "outputs": [
             {"format": "docx", "media_type": "application/vnd.openxmlformats-officedocument."
              "wordprocessingml.document", "sha256": DOCX_SHA, "size": 18234,
              "object_ref": None, "content_base64": "UEsDBBQAAAAIAAAAIQ…"},
             {"format": "pdf", "media_type": "application/pdf", "sha256": PDF_SHA,
              "size": 52311, "object_ref": None, "content_base64": "JVBERi0xLjYK…"}],
         "notes": []},
        ("validation_failed", "not_found", "forbidden", "unauthenticated", "unavailable")),
    Rpc("list_templates", m.ListTemplates, m.TemplateSummary,
        "Templates the registry knows: the latest version of each, or every version.",
        READ_ROLES, {"template_id": None, "all_versions": False}, [SUMMARY],
        ("validation_failed", "forbidden", "unauthenticated"), many=True, writes=False),
    Rpc("get_template", m.TemplateRef, m.TemplateDetail,
        "One template version with its field schema (also as JSON Schema) and sample data.",
        READ_ROLES, {"template_id": "penalty_decision", "version": 1},
        dict(SUMMARY, fields=FIELDS, json_schema={
            "type": "object", "additionalProperties": False,
            "required": ["decision_no", "fine_amount", "issued_on"],
            "properties": {"decision_no": {"title": "文号", "type": "string",
                                           "pattern": r"^(?:.+〔\d{4}〕\d+号)$"},
                           "fine_amount": {"title": "罚款金额", "type": "string",
                                           "pattern": r"^\d{1,12}(\.\d{1,2})?$"},
                           "issued_on": {"title": "作出决定日期", "type": "string",
                                         "format": "date"}}},
            sample={"decision_no": "陵应急罚〔2025〕12号", "fine_amount": "60000",
                    "issued_on": "2025-10-27"}),
        ("not_found", "forbidden", "unauthenticated"), writes=False),
)

EVENTS = (
    Event("document_rendered.v1", m.DocumentRendered,
          "A document was rendered (once per render call; what from and what came out).",
          {"render_id": RENDER_ID, "template_id": "penalty_decision", "version": 1,
           "template_sha256": TEMPLATE_SHA, "data_sha256": DATA_SHA,
           "reference": "陵应急立〔2025〕12号",
           "outputs": [{"format": "docx", "sha256": DOCX_SHA, "size": 18234, "object_ref": None},
                       {"format": "pdf", "sha256": PDF_SHA, "size": 52311, "object_ref": None}]}),
)

CONTRACT = Contract(
    service="renderer", version=VERSION, title="文书生成 Document renderer",
    description="The template registry (every template id, version and content hash seen, "
                "with its bytes) and rendering of official documents (执法文书) to docx and PDF.",
    rpcs=RPCS, events=EVENTS,
)
