"""Request, response and event schemas of the document renderer (renderer), major version 1.
RPC methods take keyword arguments only; each request schema describes those kwargs."""
from marshmallow import ValidationError, fields, validate, validates

from shared.contracts import operations
from shared.contracts.registry import CalendarCoverage, StrictSchema

FORMATS = ["docx", "pdf"]
TemplateId = lambda **kw: fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$"),
                                        metadata={"description":
                                                  "template id, e.g. penalty_decision"},
                                        **kw)
Sha256 = lambda **kw: fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$"), **kw)
Version = lambda **kw: fields.Integer(validate=validate.Range(min=1), **kw)


class Empty(StrictSchema):
    pass


class Health(StrictSchema):
    service = fields.String(required=True)
    version = fields.String(required=True)
    rulesets = fields.List(fields.String(), required=True)
    contracts = fields.Dict(required=True)
    missing_peers = fields.List(fields.String(), required=True)
    calendar = fields.Nested(CalendarCoverage, required=True)
    peers = operations.peers_field()
    outbox = operations.outbox_field()
    dead_letters = operations.dead_letters_field()
    ready = fields.Boolean(required=True, metadata={
        "description": "true once the template library is registered: a render sent before "
                       "waits for it (at most TEMPLATES_START_TIMEOUT, 60 s) rather than "
                       "failing"})
    pending = fields.List(fields.String(), required=True, metadata={
        "description": "what the service still does before it is ready (empty when ready)"})
    pdf = fields.Dict(required=True, metadata={
        "description": "{available: bool, reason: why not (null when available), warm: the "
                       "converter has made a PDF since start, first_pdf_seconds: how long the "
                       "next document's PDF should take (null when not known), basis: "
                       "'measured at warm-up' once warm, else 'last cold start' (what is left "
                       "of the last local LibreOffice start measured in this process) or "
                       "'typical cold start'}"})
    templates = fields.Integer(required=True,
                               metadata={"description": "template versions registered (0 while "
                                                        "pending)"})


class Render(StrictSchema):
    template_id = TemplateId(required=True)
    version = Version(load_default=None, allow_none=True,
                      metadata={"description": "template version; null or absent: the latest"})
    data = fields.Dict(required=True, metadata={
        "description": "the template's fields (see get_template: json_schema); undeclared "
                       "fields and missing required fields are errors"})
    formats = fields.List(fields.String(validate=validate.OneOf(FORMATS)),
                          load_default=lambda: ["docx"],
                          validate=validate.Length(min=1, max=2),
                          metadata={"description": "[\"docx\"] or [\"docx\", \"pdf\"]"})
    reference = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=200),
                              metadata={"description": "the caller's reference (e.g. 案号), kept "
                                                       "with the render and in its event"})
    case_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=36),
                            metadata={"description": "the case (records) the document belongs "
                                                     "to: its vault object names it, so the "
                                                     "case's archive package includes it. New "
                                                     "in 1.2"})

    @validates("formats")
    def _formats(self, value, **kw):
        if "docx" not in value or len(set(value)) != len(value):
            raise ValidationError("must be [\"docx\"] or [\"docx\", \"pdf\"]")


class Output(StrictSchema):
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    media_type = fields.String(required=True)
    sha256 = Sha256(required=True, metadata={"description": "of the output's bytes"})
    size = fields.Integer(required=True)
    object_ref = fields.String(required=True, allow_none=True, metadata={
        "description": "the vault object it is stored as (vault.get_object); null where no "
                       "vault is deployed"})
    content_base64 = fields.String(required=True, allow_none=True, metadata={
        "description": "the bytes, base64, where no vault is deployed; null when stored in the "
                       "vault (object_ref)"})


class Note(StrictSchema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class Rendered(StrictSchema):
    render_id = fields.String(required=True)
    template_id = TemplateId(required=True)
    version = Version(required=True)
    title = fields.String(required=True)
    template_sha256 = Sha256(required=True)
    data_sha256 = Sha256(required=True, metadata={
        "description": "sha256 of the validated data as canonical JSON (sorted keys, no spaces)"})
    outputs = fields.List(fields.Nested(Output), required=True, metadata={
        "description": "docx first. The docx is byte-for-byte the same for the same template "
                       "version and data; a PDF carries its creation time, so only its "
                       "content repeats"})
    notes = fields.List(fields.Nested(Note), required=True, metadata={
        "description": "e.g. pdf_unavailable: why only docx was made"})


class ListTemplates(StrictSchema):
    template_id = TemplateId(load_default=None, allow_none=True)
    all_versions = fields.Boolean(load_default=False, metadata={
        "description": "every registered version, not only the latest of each template"})


class TemplateSummary(StrictSchema):
    template_id = TemplateId(required=True)
    version = Version(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    sha256 = Sha256(required=True, metadata={"description": "of template.docx"})
    source = fields.String(required=True, metadata={
        "description": "folder it was read from (<id>/<n>); differs from version when an "
                       "edited file was registered as the next version"})


class TemplateRef(StrictSchema):
    template_id = TemplateId(required=True)
    version = Version(load_default=None, allow_none=True)


class TemplateDetail(TemplateSummary):
    fields_ = fields.Dict(required=True, data_key="fields", attribute="fields",
                          metadata={"description": "the manifest's field schema"})
    json_schema = fields.Dict(required=True, metadata={
        "description": "the field schema as JSON Schema (draft 2020-12) for `data`"})
    sample = fields.Dict(required=True, metadata={"description": "sample data that renders"})


class RenderedOutput(StrictSchema):
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    sha256 = Sha256(required=True)
    size = fields.Integer(required=True)
    object_ref = fields.String(required=True, allow_none=True)


class DocumentRendered(StrictSchema):
    render_id = fields.String(required=True)
    template_id = TemplateId(required=True)
    version = Version(required=True)
    template_sha256 = Sha256(required=True)
    data_sha256 = Sha256(required=True)
    reference = fields.String(required=True, allow_none=True)
    outputs = fields.List(fields.Nested(RenderedOutput), required=True)
