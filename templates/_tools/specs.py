"""The standard template set: for each template its manifest (id, title, description, field
schema, sample) and the function that lays out its .docx (gw.GwDocument).

Jinja filters the renderer provides: cn_date, cny_upper, cny, cn_number. Dates and amounts
stay ISO / decimal strings in the data. Optional fields are guarded with `is defined` or
`|default('', true)` so a template renders with jinja2.StrictUndefined whether the renderer
drops an absent optional field or passes it as null.
"""

from contextlib import contextmanager

from gw import GwDocument

# ---------------------------------------------------------------------------------------
# field-schema helpers
DOC_NUMBER = r"^\S+〔\d{4}〕\d+号$"
TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


def S(label, required=True, **kw):
    return _f("string", label, required, kw)


def T(label, required=True, **kw):
    return _f("text", label, required, kw)


def D(label, required=True, **kw):
    return _f("date", label, required, kw)


def M(label, required=True, **kw):
    return _f("money", label, required, kw)


def I(label, required=True, **kw):  # noqa: E743
    return _f("integer", label, required, kw)


def B(label, required=True, **kw):
    return _f("boolean", label, required, kw)


def O(label, fields, required=True):  # noqa: E743
    return _f("object", label, required, {"fields": fields})


def L(label, fields, required=True, **kw):
    return _f("list", label, required, dict(kw, items={"type": "object", "fields": fields}))


def _f(type_, label, required, kw):
    spec = {"type": type_, "label": label}
    if not required:
        spec["required"] = False
    spec.update(kw)
    return spec


def authority():
    return S("执法机关名称", max_length=60)


def doc_number(label="文书编号"):
    return S(label, max_length=40, pattern=DOC_NUMBER)


def party_addressee(label="当事人"):
    """Only what a notice addressed to the party prints: its name, and its kind for 你单位/你."""
    return O(label, {
        "name": S("名称或姓名", max_length=100),
        "kind": S("当事人类别", enum=["organisation", "individual"]),
    })


def party(label="当事人", phone=True):
    fields = {
        "name": S("名称或姓名", max_length=100),
        "kind": S("当事人类别", enum=["organisation", "individual"]),
        "id_number": S("统一社会信用代码或身份证件号码", max_length=18,
                       pattern=r"^[0-9A-Z]{18}$"),
        "legal_representative": S("法定代表人（负责人）", required=False, max_length=30),
        "address": S("住所（地址）", max_length=120),
    }
    if phone:
        fields["phone"] = S("联系电话", required=False, max_length=30)
    return O(label, fields)


def officers(label="执法人员"):
    return L(label, {
        "name": S("姓名", max_length=30),
        "certificate_number": S("执法证件号", max_length=30),
    })


def contact():
    return O("本机关联系方式", {
        "address": S("地址", max_length=120),
        "person": S("联系人", max_length=30),
        "phone": S("联系电话", max_length=30),
    })


# ---------------------------------------------------------------------------------------
# the running example: 陵川县应急管理局, a safety-production case, fine 60,000 CNY
AUTH = "陵川县应急管理局"
PARTY = {
    "name": "陵川县太行石材有限公司",
    "kind": "organisation",
    "id_number": "91140524MA0H3K8X2T",
    "legal_representative": "王建军",
    "address": "山西省晋城市陵川县崇文镇北街村东",
    "phone": "0356-6212345",
}
OFFICERS = [
    {"name": "李志刚", "certificate_number": "14052400321"},
    {"name": "赵文华", "certificate_number": "14052400357"},
]
CASE_NAME = "陵川县太行石材有限公司未按规定对从业人员进行安全生产教育和培训案"
CASE_NUMBER = "陵应急立〔2025〕12号"
CONTACT = {"address": "陵川县崇文镇梅园东街68号", "person": "李志刚", "phone": "0356-6223110"}
FACTS = ("2025年8月12日，本局执法人员李志刚、赵文华对你单位石料加工车间进行安全生产监督检查，"
         "发现你单位破碎工段新招用的从业人员张某、刘某、陈某3人自2025年7月21日起上岗作业，"
         "上岗前未经安全生产教育和培训；你单位2025年度安全生产教育和培训档案中无上述3人的培训记录，"
         "且档案所载2025年6月18日全员培训签到表中有2名当日未在岗人员的签名，培训情况记录不实。")
VIOLATED = "《中华人民共和国安全生产法》第二十八条第一款、第四款"
PENALTY_BASIS = "《中华人民共和国安全生产法》第九十七条第三项、第四项"
AS_ORG = "{%p set you = '你单位' if party.kind == 'organisation' else '你' %}"
PARTY_ADDRESSEE = {"name": PARTY["name"], "kind": PARTY["kind"]}
PARTY_NO_PHONE = {k: v for k, v in PARTY.items() if k != "phone"}
PARTY_ID_LABEL = ("{% if party.kind == 'organisation' %}统一社会信用代码"
                  "{% else %}身份证件号码{% endif %}")
OFFICER_LIST = ("{% for o in officers %}{{ o.name }}（执法证号：{{ o.certificate_number }}）"
                "{% if not loop.last %}、{% endif %}{% endfor %}")


def party_block(g):
    g.np("当事人：{{ party.name }}")
    g.np(PARTY_ID_LABEL + "：{{ party.id_number }}")
    with given(g, "party.legal_representative"):
        g.np("法定代表人（负责人）：{{ party.legal_representative }}")
    g.np("住所（地址）：{{ party.address }}")


def contact_block(g):
    g.p("本机关地址：{{ contact.address }}；联系人：{{ contact.person }}；"
        "联系电话：{{ contact.phone }}。")


def lab(text):
    return {"text": text, "style": "表格居中"}


def head(text):
    return {"text": text, "style": "表头"}


def numbered_table(g, widths, headings, loop, cells):
    """A table with a heading row, then one row per item of `loop` (e.g. "e in evidence"):
    its number (序号) and `cells`."""
    g.table(widths, [
        [head(h) for h in ("序号", *headings)],
        ("tag", f"{{%tr for {loop} %}}"),
        [lab("{{ loop.index }}"), *cells],
        ("tag", "{%tr endfor %}"),
    ])


@contextmanager
def given(g, name):
    """The paragraphs written inside appear only when the optional field `name` is given."""
    g.tag(f"{{%p if {name} is defined and {name} %}}")
    yield
    g.tag("{%p endif %}")


# ---------------------------------------------------------------------------------------
# 行政处罚决定书 — 行政处罚法 第五十九条
def build_penalty_decision():
    g = GwDocument("行政处罚决定书")
    g.tag(AS_ORG)
    g.title("{{ authority_name }}")
    g.title("行政处罚决定书")
    g.docno("{{ doc_number }}")
    party_block(g)
    g.p("{{ case_origin }}")
    g.h1("一、违法事实")
    g.p("{{ facts }}")
    g.h1("二、证据")
    g.p("上述事实有下列证据证明：")
    numbered_table(g, [14, 62, 80], ["证据名称", "证明事项"],
                   "e in evidence", ["{{ e.name }}", "{{ e.proves }}"])
    g.h1("三、违反的规定和处罚依据")
    g.p("{{ you }}的上述行为违反了下列规定，依法应当给予行政处罚：")
    numbered_table(g, [14, 56, 43, 43], ["违法行为", "违反的规定", "处罚依据"],
                   "v in violations",
                   ["{{ v.act }}", "{{ v.violated_provision }}", "{{ v.penalty_provision }}"])
    g.h1("四、告知及陈述、申辩、听证和法制审核情况")
    g.p("{{ procedure }}")
    g.h1("五、行政处罚决定")
    g.p("依据{{ penalty_basis }}的规定，本机关决定对{{ you }}作出{{ penalty_kinds }}的行政处罚：")
    with given(g, "fine_amount"):
        g.p("罚款人民币{{ fine_amount|cny_upper }}（¥{{ fine_amount|cny }}）。")
    with given(g, "other_penalty"):
        g.p("{{ other_penalty }}")
    with given(g, "correction_order"):
        g.p("{{ correction_order }}")
    g.h1("六、履行方式和期限")
    with given(g, "fine_amount"):
        g.p("{{ you }}应当自收到本决定书之日起{{ payment_days|cn_number }}日内，将罚款缴至"
            "{{ payment.bank }}（户名：{{ payment.account_name }}；账号：{{ payment.account_number }}）。"
            "到期不缴纳罚款的，本机关可以依据《中华人民共和国行政处罚法》第七十二条第一款第一项的规定，"
            "每日按罚款数额的百分之三加处罚款，加处罚款的数额不超出罚款的数额。")
    with given(g, "performance_note"):
        g.p("{{ performance_note }}")
    g.h1("七、救济途径和期限")
    g.p("{{ you }}如不服本决定，可以自收到本决定书之日起{{ reconsideration_days|cn_number }}日内"
        "向{{ reconsideration_body }}申请行政复议，也可以自收到本决定书之日起"
        "{{ litigation_months|cn_number }}个月内依法向{{ court }}提起行政诉讼。"
        "申请行政复议或者提起行政诉讼的，行政处罚不停止执行，法律另有规定的除外。")
    g.p("{{ you }}逾期不申请行政复议、不提起行政诉讼，又不履行本决定的，本机关将依法申请人民法院强制执行。")
    g.signature("{{ authority_name }}", "{{ decision_date|cn_date }}")
    return g


PENALTY_DECISION = {
    "id": "penalty_decision",
    "title": "行政处罚决定书",
    "description": ("行政处罚决定书（行政处罚法 第五十九条）：当事人、违法事实和证据、违反的规定、"
                    "处罚种类和依据、履行方式和期限、复议和诉讼的途径和期限、机关名称和日期、印章。"),
    "build": build_penalty_decision,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number("决定书文号"),
        "party": party(phone=False),
        "case_origin": T("案件来源及立案情况", max_length=1000),
        "facts": T("违法事实", max_length=5000),
        "evidence": L("证据", {
            "name": S("证据名称", max_length=200),
            "proves": S("证明事项", max_length=500),
        }),
        "violations": L("违法行为及依据", {
            "act": S("违法行为", max_length=500),
            "violated_provision": S("违反的规定", max_length=300),
            "penalty_provision": S("处罚依据", max_length=300),
        }),
        "procedure": T("告知、陈述申辩、听证及法制审核情况", max_length=3000),
        "penalty_basis": S("处罚依据（条款）", max_length=500),
        "penalty_kinds": S("处罚种类", max_length=100),
        "fine_amount": M("罚款金额", required=False),
        "other_penalty": T("其他处罚内容", required=False, max_length=1000),
        "correction_order": T("责令改正内容", required=False, max_length=1000),
        "payment_days": I("缴纳罚款期限（日）", required=False),
        "payment": O("罚款缴纳账户", {
            "bank": S("开户银行", max_length=100),
            "account_name": S("户名", max_length=100),
            "account_number": S("账号", max_length=40),
        }, required=False),
        "performance_note": T("其他履行方式和期限", required=False, max_length=1000),
        "reconsideration_days": I("申请行政复议期限（日）"),
        "reconsideration_body": S("行政复议机关", max_length=100),
        "litigation_months": I("提起行政诉讼期限（月）"),
        "court": S("人民法院", max_length=100),
        "decision_date": D("决定日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急罚〔2025〕12号",
        "party": PARTY_NO_PHONE,
        "case_origin": ("2025年8月12日，本机关执法人员在对你单位进行安全生产监督检查时，发现你单位涉嫌存在"
                        "安全生产违法行为，本机关于2025年8月13日依法立案调查（陵应急立〔2025〕12号）。"),
        "facts": FACTS,
        "evidence": [
            {"name": "现场检查记录（2025年8月12日）",
             "proves": "检查时破碎工段有3名新招用从业人员在岗作业"},
            {"name": "现场照片4张及执法记录仪音像资料1份",
             "proves": "现场检查的过程和现场情况"},
            {"name": "询问笔录（王建军，2025年8月14日）",
             "proves": "当事人法定代表人承认新招用人员上岗前未经安全生产教育和培训"},
            {"name": "询问笔录（张某，2025年8月14日）",
             "proves": "从业人员自2025年7月21日上岗，未接受任何安全生产教育和培训"},
            {"name": "先行登记保存的2025年度安全生产教育和培训档案（陵应急先保〔2025〕5号）",
             "proves": "档案中无上述3人的培训记录，6月18日培训签到表记录不实"},
            {"name": "劳动合同及2025年7、8月考勤记录复印件",
             "proves": "上述3人的入职和上岗时间"},
            {"name": "营业执照复印件、法定代表人身份证明",
             "proves": "当事人的主体资格和法定代表人身份"},
        ],
        "violations": [
            {"act": "未按照规定对新招用的3名从业人员进行上岗前安全生产教育和培训",
             "violated_provision": "《中华人民共和国安全生产法》第二十八条第一款",
             "penalty_provision": "《中华人民共和国安全生产法》第九十七条第三项"},
            {"act": "未如实记录安全生产教育和培训情况",
             "violated_provision": "《中华人民共和国安全生产法》第二十八条第四款",
             "penalty_provision": "《中华人民共和国安全生产法》第九十七条第四项"},
        ],
        "procedure": ("本机关于2025年9月10日向你单位送达了《行政处罚告知书》（陵应急告〔2025〕12号）和"
                      "《听证告知书》（陵应急听告〔2025〕12号），告知你单位拟作出行政处罚的事实、理由、依据和"
                      "处罚内容，以及你单位依法享有的陈述、申辩和要求听证的权利。你单位在规定期限内未提出"
                      "陈述、申辩，也未要求听证。本案属重大行政执法决定，经本机关法制审核（陵应急法审〔2025〕12号，"
                      "审核意见：同意），并经本机关负责人集体讨论决定。"),
        "penalty_basis": PENALTY_BASIS,
        "penalty_kinds": "罚款",
        "fine_amount": "60000",
        "other_penalty": "上述两项违法行为分别裁量，各处罚款人民币叁万元整，合并处罚。",
        "correction_order": ("你单位已按本机关2025年8月12日作出的《责令限期整改指令书》对新招用从业人员进行了"
                             "安全生产教育和培训并如实记录，经2025年8月27日复查合格。"),
        "payment_days": 15,
        "payment": {
            "bank": "中国农业银行陵川县支行",
            "account_name": "陵川县财政局非税收入汇缴结算户",
            "account_number": "14520101040001234",
        },
        "performance_note": "缴纳罚款后，请将缴款凭证复印件送本机关备案。",
        "reconsideration_days": 60,
        "reconsideration_body": "陵川县人民政府",
        "litigation_months": 6,
        "court": "陵川县人民法院",
        "decision_date": "2025-10-09",
    },
}


# ---------------------------------------------------------------------------------------
# 立案审批表 — 000《全过程记录办法》第十二条；004 第二十八条
def build_case_approval():
    g = GwDocument("立案审批表")
    g.title("{{ authority_name }}")
    g.title("立案审批表")
    g.docno("立案编号：{{ case_number }}")
    sign_handlers = ("承办人：{% for o in handlers %}{{ o.name }}（执法证号：{{ o.certificate_number }}）"
                     "{% if not loop.last %}、{% endif %}{% endfor %}　{{ handler_date|cn_date }}")
    table = g.table([40, 40, 36, 40], [
        [lab("案　　由"), {"text": "{{ case_name }}", "span": 3}],
        [lab("案件来源"), "{{ case_source }}", lab("发现（受理）日期"),
         "{{ discovered_date|cn_date }}"],
        [lab("当 事 人"), {"text": "{{ party.name }}", "span": 3}],
        [lab(PARTY_ID_LABEL), {"text": "{{ party.id_number }}", "span": 3}],
        [lab("法定代表人（负责人）"), "{{ party.legal_representative|default('', true) }}",
         lab("联系电话"), "{{ party.phone|default('', true) }}"],
        [lab("住所（地址）"), {"text": "{{ party.address }}", "span": 3}],
        [lab("启动原因"), {"text": "{{ start_reason }}", "span": 3, "height": 12}],
        [lab("掌握的事实情况"), {"text": "{{ facts }}", "span": 3, "height": 24}],
        [lab("法律依据"), {"text": "{{ legal_basis }}", "span": 3, "height": 10}],
        [lab("承办人意见"), {"text": ["{{ handler_opinion }}", ("表格签名", sign_handlers)],
                             "span": 3, "height": 16}],
        [lab("承办机构意见"), {"text": ["{{ unit_opinion }}",
                                       ("表格签名", "负责人：{{ unit_head }}　{{ unit_date|cn_date }}")],
                               "span": 3, "height": 14}],
        [lab("行政机关负责人意见"), {"text": ["{{ head_opinion }}",
                                             ("表格签名", "负责人：{{ head_name }}　{{ head_date|cn_date }}")],
                                     "span": 3, "height": 14}],
        [lab("备　　注"), {"text": "{% if emergency_start %}情况紧急，已于{{ emergency_started_at }}"
                                  "先行启动执法程序，本表系启动后二十四小时内补办的审批手续。{% endif %}"
                                  "{{ remarks|default('', true) }}", "span": 3, "height": 10}],
    ])
    g.compact(table)  # one page (GB/T 9704 forms: a table may use a smaller size)
    return g


CASE_APPROVAL = {
    "id": "case_approval",
    "title": "立案审批表",
    "description": ("立案（程序启动）审批表：启动原因、当事人基本情况、掌握的事实情况、法律依据、承办人意见、"
                    "承办机构意见、负责人意见、签名和日期；情况紧急先行启动的，24小时内补办"
                    "（000《全过程记录办法》第十二条，004 第二十八条）。"),
    "build": build_case_approval,
    "fields": {
        "authority_name": authority(),
        "case_number": doc_number("立案编号"),
        "case_name": S("案由", max_length=200),
        "case_source": S("案件来源", max_length=100),
        "discovered_date": D("发现（受理）日期"),
        "party": party(),
        "start_reason": T("启动原因", max_length=1000),
        "facts": T("掌握的事实情况", max_length=3000),
        "legal_basis": T("法律依据", max_length=1000),
        "handler_opinion": T("承办人意见", max_length=1000),
        "handlers": officers("承办人"),
        "handler_date": D("承办人签署日期"),
        "unit_opinion": T("承办机构意见", max_length=1000),
        "unit_head": S("承办机构负责人", max_length=30),
        "unit_date": D("承办机构签署日期"),
        "head_opinion": T("行政机关负责人意见", max_length=1000),
        "head_name": S("行政机关负责人", max_length=30),
        "head_date": D("负责人签署日期"),
        "emergency_start": B("情况紧急先行启动"),
        "emergency_started_at": S("先行启动时间", required=False, max_length=30),
        "remarks": T("备注", required=False, max_length=500),
    },
    "sample": {
        "authority_name": AUTH,
        "case_number": CASE_NUMBER,
        "case_name": CASE_NAME,
        "case_source": "监督检查发现",
        "discovered_date": "2025-08-12",
        "party": PARTY,
        "start_reason": ("2025年8月12日安全生产监督检查中发现当事人涉嫌未按规定对从业人员进行安全生产教育和培训、"
                         "未如实记录培训情况，需立案调查。"),
        "facts": ("检查时当事人破碎工段有新招用的从业人员3名在岗作业，现场询问称上岗前未参加安全培训；"
                  "当事人提供的2025年度安全生产教育和培训档案中无上述人员的培训记录。"),
        "legal_basis": ("《中华人民共和国安全生产法》第二十八条第一款、第四款，第九十七条第三项、第四项；"
                        "《中华人民共和国行政处罚法》第五十四条。"),
        "handler_opinion": "当事人涉嫌违法，事实初步清楚，属本局管辖，建议立案调查。",
        "handlers": OFFICERS,
        "handler_date": "2025-08-13",
        "unit_opinion": "同意立案，由李志刚、赵文华承办。",
        "unit_head": "郭海涛",
        "unit_date": "2025-08-13",
        "head_opinion": "同意立案。",
        "head_name": "申建平",
        "head_date": "2025-08-13",
        "emergency_start": False,
        "emergency_started_at": "",
        "remarks": "现场检查全程执法记录仪录像，设备编号LCYJ-07。",
    },
}


# ---------------------------------------------------------------------------------------
# 现场检查记录 — 000《全过程记录办法》第十四条、第十五条（三）
def build_onsite_inspection_record():
    g = GwDocument("现场检查记录")
    g.title("{{ authority_name }}")
    g.title("现场检查记录")
    g.docno("{{ record_number }}")
    g.np("被检查单位：{{ inspected.name }}")
    g.np("地址：{{ inspected.address }}")
    g.np("法定代表人（负责人）：{{ inspected.legal_representative }}　联系电话：{{ inspected.phone }}")
    g.np("检查场所：{{ place }}")
    g.np("检查时间：{{ inspection_date|cn_date }} {{ start_time }}至{{ end_time }}")
    g.np("执法人员：" + OFFICER_LIST)
    g.np("记录人：{{ recorder }}")
    g.np("现场负责人：{{ present_person.name }}（{{ present_person.position }}）")
    g.p("执法人员{% if certificates_shown %}已向现场负责人出示执法证件，表明身份，"
        "{% else %}未出示执法证件（原因：{{ certificates_note }}），{% endif %}"
        "告知其检查依据和检查内容，以及依法享有的陈述、申辩和申请回避的权利；"
        "{% if av_recorded %}检查过程使用执法记录仪（设备编号：{{ av_device }}）进行音像记录，已告知在场人员。"
        "{% else %}检查过程未进行音像记录。{% endif %}")
    g.h1("一、检查情况")
    numbered_table(g, [14, 56, 86], ["检查项目", "检查情况"],
                   "it in check_items", ["{{ it.item }}", "{{ it.result }}"])
    g.h1("二、检查发现的问题")
    g.p("{{ findings }}")
    g.h1("三、现场处理措施")
    g.p("{{ measures }}")
    g.h1("四、被检查单位意见")
    g.p("{{ party_opinion }}")
    g.blank()
    g.np("现场负责人签名：{{ present_person.name }}　　　　日期：{{ inspection_date|cn_date }}")
    g.np("执法人员签名：{% for o in officers %}{{ o.name }}{% if not loop.last %}、{% endif %}{% endfor %}"
         "　　　　日期：{{ inspection_date|cn_date }}")
    return g


ONSITE_INSPECTION_RECORD = {
    "id": "onsite_inspection_record",
    "title": "现场检查记录",
    "description": ("现场检查记录：执法人员数量、姓名、执法证件编号及出示情况，检查项目和情况，发现的问题，"
                    "处理措施，音像记录情况，当事人签名（000《全过程记录办法》第十四条、第十五条（三））。"),
    "build": build_onsite_inspection_record,
    "fields": {
        "authority_name": authority(),
        "record_number": S("记录编号", max_length=40),
        "inspected": O("被检查单位", {
            "name": S("名称", max_length=100),
            "address": S("地址", max_length=120),
            "legal_representative": S("法定代表人（负责人）", max_length=30),
            "phone": S("联系电话", max_length=30),
        }),
        "place": S("检查场所", max_length=200),
        "inspection_date": D("检查日期"),
        "start_time": S("开始时间", pattern=TIME),
        "end_time": S("结束时间", pattern=TIME),
        "officers": officers(),
        "recorder": S("记录人", max_length=30),
        "present_person": O("现场负责人", {
            "name": S("姓名", max_length=30),
            "position": S("职务", max_length=50),
        }),
        "certificates_shown": B("出示执法证件"),
        "certificates_note": S("未出示证件的原因", required=False, max_length=200),
        "av_recorded": B("进行音像记录"),
        "av_device": S("执法记录设备编号", required=False, max_length=40),
        "check_items": L("检查项目", {
            "item": S("检查项目", max_length=200),
            "result": S("检查情况", max_length=1000),
        }),
        "findings": T("检查发现的问题", max_length=3000),
        "measures": T("现场处理措施", max_length=2000),
        "party_opinion": T("被检查单位意见", max_length=1000),
    },
    "sample": {
        "authority_name": AUTH,
        "record_number": "陵应急检记〔2025〕37号",
        "inspected": {k: PARTY[k] for k in ("name", "address", "legal_representative", "phone")},
        "place": "陵川县太行石材有限公司石料加工车间、安全管理办公室",
        "inspection_date": "2025-08-12",
        "start_time": "09:30",
        "end_time": "11:20",
        "officers": OFFICERS,
        "recorder": "赵文华",
        "present_person": {"name": "王建军", "position": "法定代表人"},
        "certificates_shown": True,
        "certificates_note": "",
        "av_recorded": True,
        "av_device": "LCYJ-07",
        "check_items": [
            {"item": "安全生产责任制和安全管理制度", "result": "已建立，张贴于安全管理办公室。"},
            {"item": "从业人员安全生产教育和培训", "result": "破碎工段新招用的张某、刘某、陈某3人已上岗作业，"
                                                    "现场询问称上岗前未参加安全培训。"},
            {"item": "安全生产教育和培训档案", "result": "2025年度档案中无上述3人培训记录；6月18日签到表有2名当日未在岗人员签名。"},
            {"item": "破碎机防护装置", "result": "防护罩完好，急停按钮有效。"},
            {"item": "作业场所粉尘防护", "result": "喷淋降尘设施运行正常，作业人员佩戴防尘口罩。"},
        ],
        "findings": ("1.新招用的3名从业人员上岗前未经安全生产教育和培训；"
                     "2.安全生产教育和培训档案记录不实。"),
        "measures": ("当场下达《责令限期整改指令书》，责令于2025年8月26日前完成整改；"
                     "对2025年度安全生产教育和培训档案先行登记保存（陵应急先保〔2025〕5号）。"),
        "party_opinion": "对检查情况无异议，将按要求整改。",
    },
}


# ---------------------------------------------------------------------------------------
# 询问笔录 — 000《全过程记录办法》第十四条、第十五条（一）
def build_interview_record():
    g = GwDocument("询问笔录")
    g.title("{{ authority_name }}")
    g.title("询问笔录")
    g.np("询问时间：{{ interview_date|cn_date }} {{ start_time }}至{{ end_time }}")
    g.np("询问地点：{{ place }}")
    g.np("被询问人：{{ interviewee.name }}　性别：{{ interviewee.gender }}　"
         "身份证件号码：{{ interviewee.id_number }}")
    g.np("工作单位及职务：{{ interviewee.employer }}　{{ interviewee.position }}")
    g.np("住址：{{ interviewee.address }}　联系电话：{{ interviewee.phone }}")
    g.np("询问人：" + OFFICER_LIST)
    g.np("记录人：{{ recorder }}")
    with given(g, "others_present"):
        g.np("其他在场人员：{{ others_present }}")
    g.p("我们是{{ authority_name }}的执法人员，这是我们的执法证件（出示执法证件）。现依法就{{ case_name }}"
        "向你进行询问调查，请你如实回答问题，不得作伪证或者隐匿证据。你有权进行陈述和申辩；"
        "认为执法人员与本案有直接利害关系或者其他关系可能影响公正执法的，有权申请回避。"
        "{% if av_recorded %}本次询问全程录音录像。{% endif %}")
    g.tag("{%p for qa in questions %}")
    g.np("问：{{ qa.question }}")
    g.np("答：{{ qa.answer }}")
    g.tag("{%p endfor %}")
    g.np("被询问人意见：{{ interviewee_statement }}")
    g.blank()
    g.np("被询问人签名：{{ interviewee.name }}　　　　日期：{{ interview_date|cn_date }}")
    g.np("询问人签名：{% for o in officers %}{{ o.name }}{% if not loop.last %}、{% endif %}{% endfor %}"
         "　　记录人签名：{{ recorder }}")
    return g


INTERVIEW_RECORD = {
    "id": "interview_record",
    "title": "询问笔录",
    "description": ("询问笔录：询问时间地点，被询问人、询问人（执法证件编号及出示情况）、记录人，"
                    "权利告知，问答，被询问人核对意见和签名（000《全过程记录办法》第十四条、第十五条（一））。"),
    "build": build_interview_record,
    "fields": {
        "authority_name": authority(),
        "case_name": S("案由", max_length=200),
        "interview_date": D("询问日期"),
        "start_time": S("开始时间", pattern=TIME),
        "end_time": S("结束时间", pattern=TIME),
        "place": S("询问地点", max_length=200),
        "interviewee": O("被询问人", {
            "name": S("姓名", max_length=30),
            "gender": S("性别", enum=["男", "女"]),
            "id_number": S("身份证件号码", max_length=18, pattern=r"^[0-9]{17}[0-9X]$"),
            "employer": S("工作单位", max_length=100),
            "position": S("职务", max_length=50),
            "address": S("住址", max_length=120),
            "phone": S("联系电话", max_length=30),
        }),
        "officers": officers("询问人"),
        "recorder": S("记录人", max_length=30),
        "others_present": S("其他在场人员", required=False, max_length=200),
        "av_recorded": B("全程录音录像"),
        "questions": L("问答", {
            "question": T("问", max_length=1000),
            "answer": T("答", max_length=3000),
        }),
        "interviewee_statement": S("被询问人核对意见", max_length=200),
    },
    "sample": {
        "authority_name": AUTH,
        "case_name": CASE_NAME,
        "interview_date": "2025-08-14",
        "start_time": "09:00",
        "end_time": "09:50",
        "place": "陵川县应急管理局询问室",
        "interviewee": {
            "name": "王建军", "gender": "男", "id_number": "140524197803150016",
            "employer": "陵川县太行石材有限公司", "position": "法定代表人",
            "address": "山西省晋城市陵川县崇文镇北街村", "phone": "13934560123",
        },
        "officers": OFFICERS,
        "recorder": "赵文华",
        "others_present": "",
        "av_recorded": True,
        "questions": [
            {"question": "你是否看清了我们的执法证件？是否申请回避？",
             "answer": "看清了，不申请回避。"},
            {"question": "请介绍一下你的身份和你公司的基本情况。",
             "answer": "我是陵川县太行石材有限公司法定代表人，公司主要从事建筑石料加工，现有从业人员26人。"},
            {"question": "破碎工段的张某、刘某、陈某是什么时候到你公司上岗的？上岗前是否接受过安全生产教育和培训？",
             "answer": "他们是2025年7月21日开始上班的。当时生产任务紧，没有组织培训就让他们上岗了。"},
            {"question": "你公司2025年6月18日全员培训签到表上有2人当天并不在岗，是怎么回事？",
             "answer": "签到表是事后补签的，有两人当天请假，也签了名。这是我们工作失误。"},
            {"question": "你还有什么要补充的吗？", "answer": "没有了，我们会尽快整改。"},
        ],
        "interviewee_statement": "以上笔录我已看过，与我所说的相符。",
    },
}


# ---------------------------------------------------------------------------------------
# 先行登记保存证据通知书 — 行政处罚法 第五十六条
def build_evidence_preservation_notice():
    g = GwDocument("先行登记保存证据通知书")
    g.tag(AS_ORG)
    g.title("{{ authority_name }}")
    g.title("先行登记保存证据通知书")
    g.docno("{{ doc_number }}")
    g.np("{{ party.name }}：")
    g.p("{{ reason }}因证据可能灭失或者以后难以取得，经本机关负责人批准，依据《中华人民共和国行政处罚法》"
        "第五十六条的规定，本机关决定自{{ preservation_date|cn_date }}起对{{ you }}的下列物品（证据）"
        "予以先行登记保存，保存方式为{{ preservation_method }}，保存地点为{{ preservation_place }}：")
    numbered_table(g, [12, 60, 30, 20, 34], ["物品（证据）名称", "规格（型号）", "数量", "备注"],
                   "it in preserved_items",
                   ["{{ it.name }}", "{{ it.specification }}", lab("{{ it.quantity }}"),
                    "{{ it.note|default('', true) }}"])
    g.p("在先行登记保存期间，{{ you }}或者有关人员不得损毁、销毁、转移、隐匿或者擅自使用上述物品（证据）。"
        "本机关将在七日内依法对先行登记保存的证据作出处理决定。")
    contact_block(g)
    g.signature("{{ authority_name }}", "{{ notice_date|cn_date }}")
    g.blank()
    g.np("执法人员：" + OFFICER_LIST)
    g.np("当事人签收：　　　　　　　　　　　　　年　　月　　日")
    return g


EVIDENCE_PRESERVATION_NOTICE = {
    "id": "evidence_preservation_notice",
    "title": "先行登记保存证据通知书",
    "description": ("先行登记保存证据通知书（行政处罚法 第五十六条）：保存理由、经负责人批准、标的物清单、"
                    "保存方式和地点、七日内作出处理决定（000《全过程记录办法》第十九条）。"),
    "build": build_evidence_preservation_notice,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number(),
        "party": party_addressee(),
        "reason": T("先行登记保存的理由", max_length=1000),
        "preservation_date": D("先行登记保存日期"),
        "preservation_method": S("保存方式", enum=["就地保存", "异地保存"]),
        "preservation_place": S("保存地点", max_length=200),
        "preserved_items": L("先行登记保存物品（证据）清单", {
            "name": S("名称", max_length=200),
            "specification": S("规格（型号）", max_length=100),
            "quantity": S("数量", max_length=30),
            "note": S("备注", required=False, max_length=200),
        }),
        "contact": contact(),
        "officers": officers(),
        "notice_date": D("通知日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急先保〔2025〕5号",
        "party": PARTY_ADDRESSEE,
        "reason": "本机关在对你单位进行安全生产监督检查时，发现你单位涉嫌未按照规定对从业人员进行安全生产教育和培训、未如实记录培训情况。",
        "preservation_date": "2025-08-12",
        "preservation_method": "异地保存",
        "preservation_place": "陵川县应急管理局证据保存室",
        "preserved_items": [
            {"name": "2025年度安全生产教育和培训档案", "specification": "A4活页夹", "quantity": "1册",
             "note": "共86页"},
            {"name": "2025年6月18日全员培训签到表（原件）", "specification": "A4", "quantity": "2页",
             "note": ""},
            {"name": "2025年7月、8月考勤记录", "specification": "A4", "quantity": "4页", "note": "复印件，当事人签章确认"},
        ],
        "contact": CONTACT,
        "officers": OFFICERS,
        "notice_date": "2025-08-12",
    },
}


# ---------------------------------------------------------------------------------------
# 行政处罚告知书 — 行政处罚法 第四十四条、第四十五条
def build_penalty_notice():
    g = GwDocument("行政处罚告知书")
    g.tag(AS_ORG)
    g.title("{{ authority_name }}")
    g.title("行政处罚告知书")
    g.docno("{{ doc_number }}")
    g.np("{{ party.name }}：")
    g.p("{{ facts }}")
    g.p("以上事实有{{ evidence_summary }}等证据证明。")
    g.p("{{ you }}的上述行为违反了{{ violated_provisions }}的规定，依据{{ penalty_basis }}的规定，"
        "本机关拟对{{ you }}作出如下行政处罚：{{ proposed_penalty }}"
        "{% if fine_amount is defined and fine_amount %}，罚款人民币{{ fine_amount|cny_upper }}"
        "（¥{{ fine_amount|cny }}）{% endif %}。")
    g.p("根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，{{ you }}有权进行陈述和申辩。"
        "如需陈述和申辩，请于收到本告知书之日起{{ statement_days|cn_number }}日内向本机关提出，"
        "可以书面提出，也可以口头提出；逾期未提出的，视为放弃陈述和申辩的权利。"
        "本机关将充分听取{{ you }}的意见，对提出的事实、理由和证据进行复核，"
        "不因{{ you }}陈述、申辩而给予更重的处罚。")
    contact_block(g)
    g.signature("{{ authority_name }}", "{{ notice_date|cn_date }}")
    return g


PENALTY_NOTICE = {
    "id": "penalty_notice",
    "title": "行政处罚告知书",
    "description": ("行政处罚告知书（行政处罚法 第四十四条、第四十五条）：拟作出处罚的事实、证据、理由、依据和"
                    "内容，陈述、申辩的权利及期限。"),
    "build": build_penalty_notice,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number(),
        "party": party_addressee(),
        "facts": T("违法事实", max_length=5000),
        "evidence_summary": T("证据", max_length=2000),
        "violated_provisions": S("违反的规定", max_length=500),
        "penalty_basis": S("处罚依据", max_length=500),
        "proposed_penalty": S("拟作出的行政处罚", max_length=500),
        "fine_amount": M("拟罚款金额", required=False),
        "statement_days": I("陈述申辩期限（日）"),
        "contact": contact(),
        "notice_date": D("告知日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急告〔2025〕12号",
        "party": PARTY_ADDRESSEE,
        "facts": FACTS,
        "evidence_summary": ("现场检查记录、现场照片及音像资料、询问笔录2份、先行登记保存的安全生产教育和培训档案、"
                             "劳动合同及考勤记录复印件、营业执照复印件"),
        "violated_provisions": VIOLATED,
        "penalty_basis": PENALTY_BASIS,
        "proposed_penalty": "罚款",
        "fine_amount": "60000",
        "statement_days": 3,
        "contact": CONTACT,
        "notice_date": "2025-09-10",
    },
}


# ---------------------------------------------------------------------------------------
# 听证告知书 — 行政处罚法 第六十三条、第六十四条
def build_hearing_notice():
    g = GwDocument("听证告知书")
    g.tag(AS_ORG)
    g.title("{{ authority_name }}")
    g.title("听证告知书")
    g.docno("{{ doc_number }}")
    g.np("{{ party.name }}：")
    g.p("本机关对{{ you }}{{ case_name_short }}一案，经调查终结，拟依据{{ penalty_basis }}的规定，"
        "对{{ you }}作出{{ proposed_penalty }}"
        "{% if fine_amount is defined and fine_amount %}（罚款人民币{{ fine_amount|cny_upper }}，"
        "¥{{ fine_amount|cny }}）{% endif %}的行政处罚。")
    g.p("根据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，{{ you }}有要求举行听证的权利。"
        "如要求听证，应当在收到本告知书之日起五日内向本机关提出；逾期未提出的，视为放弃听证权利。")
    g.p("听证由本机关指定的非本案调查人员主持；{{ you }}认为主持人与本案有直接利害关系的，有权申请回避。"
        "{{ you }}可以亲自参加听证，也可以委托一至二人代理。听证除涉及国家秘密、商业秘密或者个人隐私"
        "依法予以保密外，公开举行。")
    contact_block(g)
    g.signature("{{ authority_name }}", "{{ notice_date|cn_date }}")
    return g


HEARING_NOTICE = {
    "id": "hearing_notice",
    "title": "听证告知书",
    "description": ("听证告知书（行政处罚法 第六十三条、第六十四条）：拟作出的处罚及依据，要求听证的权利，"
                    "收到告知书之日起五日内提出，回避和委托代理的权利。"),
    "build": build_hearing_notice,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number(),
        "party": party_addressee(),
        "case_name_short": S("案由（简称）", max_length=200),
        "penalty_basis": S("处罚依据", max_length=500),
        "proposed_penalty": S("拟作出的行政处罚", max_length=500),
        "fine_amount": M("拟罚款金额", required=False),
        "contact": contact(),
        "notice_date": D("告知日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急听告〔2025〕12号",
        "party": PARTY_ADDRESSEE,
        "case_name_short": "未按规定对从业人员进行安全生产教育和培训、未如实记录培训情况",
        "penalty_basis": PENALTY_BASIS,
        "proposed_penalty": "罚款",
        "fine_amount": "60000",
        "contact": CONTACT,
        "notice_date": "2025-09-10",
    },
}


# ---------------------------------------------------------------------------------------
# 重大行政执法决定法制审核意见书 — DOMAIN §3; 000《法制审核办法》第六、八、九条; 001 附件3
def build_legal_review_opinion():
    g = GwDocument("重大行政执法决定法制审核意见书")
    g.title("{{ authority_name }}")
    g.title("重大行政执法决定法制审核意见书")
    g.docno("{{ doc_number }}")
    g.np("{{ submitting_unit }}：")
    g.p("你{{ submitting_unit_kind }}于{{ submitted_date|cn_date }}报送的{{ case_name }}（立案编号：{{ case_number }}）"
        "重大行政执法决定法制审核材料收悉，送审材料于{{ materials_complete_date|cn_date }}齐全。"
        "依据{{ review_rule }}，{{ reviewing_unit }}对拟作出的决定进行了审核，现提出审核意见如下。")
    g.h1("一、送审材料")
    g.tag("{%p for m in materials %}")
    g.p("{{ loop.index }}. {{ m.name }}")
    g.tag("{%p endfor %}")
    g.h1("二、拟作出的决定")
    g.p("{{ proposed_decision }}")
    g.h1("三、审核情况")
    numbered_table(g, [14, 52, 90], ["审核事项", "审核情况"],
                   "rp in review_points", ["{{ rp.point }}", "{{ rp.finding }}"])
    g.h1("四、审核意见")
    g.p("审核意见：{{ opinion_kind }}。")
    g.p("{{ opinion_reasons }}")
    with given(g, "suggestions"):
        g.p("建议：{{ suggestions }}")
    with given(g, "counsel_opinion"):
        g.h2("法律顾问意见")
        g.p("{{ counsel_opinion }}")
    with given(g, "decisions"):
        g.h2("审核意见后的决定")
        g.tag("{%p for d in decisions %}")
        g.p("{{ d.by }}于{{ d.date|cn_date }}决定：{{ d.kind }}。{{ d.reasons }}")
        g.tag("{%p endfor %}")
    g.h1("五、审核人员")
    g.p("{% for r in reviewers %}{{ r.name }}（{{ r.position }}）{% if not loop.last %}、{% endif %}{% endfor %}")
    g.signature("{{ reviewing_unit }}", "{{ review_date|cn_date }}")
    g.blank()
    g.note("本意见书一式两份，一份送{{ submitting_unit }}存入执法案卷，一份由{{ reviewing_unit }}留存归档。")
    return g


LEGAL_REVIEW_OPINION = {
    "id": "legal_review_opinion",
    "title": "重大行政执法决定法制审核意见书",
    "description": ("重大行政执法决定法制审核意见书：送审材料、审核事项及审核情况、审核意见种类和理由、审核人员；"
                    "一式两份，一份存入执法案卷，一份由法制审核机构留存（000《法制审核办法》第六、八、九条，"
                    "002 第十三条，001 附件3 第五、七条）。"),
    "build": build_legal_review_opinion,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number(),
        "submitting_unit": S("送审机构", max_length=60),
        "submitting_unit_kind": S("送审机构类别称谓", max_length=10),
        "submitted_date": D("送审日期"),
        "materials_complete_date": D("材料齐全日期"),
        "case_name": S("案件名称", max_length=200),
        "case_number": S("立案编号", max_length=40),
        "review_rule": S("审核所依据的制度", max_length=200),
        "reviewing_unit": S("法制审核机构", max_length=60),
        "materials": L("送审材料", {"name": S("材料名称", max_length=200)}),
        "proposed_decision": T("拟作出的决定", max_length=2000),
        "review_points": L("审核事项", {
            "point": S("审核事项", max_length=100),
            "finding": T("审核情况", max_length=2000),
        }),
        "opinion_kind": S("审核意见", max_length=40),
        "opinion_reasons": T("审核意见理由", max_length=3000),
        "suggestions": T("建议", required=False, max_length=2000),
        "counsel_opinion": T("法律顾问意见", required=False, max_length=2000),
        # the head's decision on a contested opinion, the leaders' collective discussion:
        # each under whoever made it, never under the reviewers' names
        "decisions": L("审核意见后的决定", {
            "by": S("决定者", max_length=200),
            "kind": S("决定", max_length=40),
            "reasons": T("理由", max_length=3000),
            "date": D("决定日期"),
        }, required=False),
        "reviewers": L("审核人员", {
            "name": S("姓名", max_length=30),
            "position": S("职务", max_length=50),
        }),
        "review_date": D("审核日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急法审〔2025〕12号",
        "submitting_unit": "安全生产执法监察股",
        "submitting_unit_kind": "股",
        "submitted_date": "2025-09-19",
        "materials_complete_date": "2025-09-19",
        "case_name": CASE_NAME,
        "case_number": CASE_NUMBER,
        "review_rule": "《陵川县应急管理局重大执法决定法制审核制度》第五条、第七条",
        "reviewing_unit": "政策法规股",
        "materials": [
            {"name": "重大行政执法决定建议及其情况说明"},
            {"name": "案件调查终结报告"},
            {"name": "行政处罚决定书（代拟稿）"},
            {"name": "法律依据及证据材料（立案审批表、现场检查记录、询问笔录2份、先行登记保存证据通知书等）"},
            {"name": "行政处罚告知书、听证告知书及送达回证"},
        ],
        "proposed_decision": "依据《中华人民共和国安全生产法》第九十七条第三项、第四项，对当事人处罚款人民币60000元。",
        "review_points": [
            {"point": "当事人的基本情况是否查清", "finding": "营业执照、法定代表人身份证明在卷，已查清。"},
            {"point": "本机关对该案是否具有管辖权", "finding": "当事人位于本县，属本局安全生产监督管理职责，具有管辖权。"},
            {"point": "事实是否清楚，证据是否确凿、充分，材料是否齐全",
             "finding": "现场检查记录、询问笔录、培训档案等证据相互印证，事实清楚，材料齐全。"},
            {"point": "定性是否准确，适用法律、法规、规章是否正确",
             "finding": "定性准确，适用《中华人民共和国安全生产法》第二十八条、第九十七条正确。"},
            {"point": "处理结果是否适当", "finding": "两项违法行为各处3万元罚款，符合本局自由裁量基准。"},
            {"point": "程序是否合法", "finding": "立案、调查、告知、听证告知程序合法，执法人员均持有效执法证件。"},
        ],
        "opinion_kind": "同意",
        "opinion_reasons": "本案事实清楚，证据确凿充分，定性准确，适用依据正确，处罚适当，程序合法，同意作出行政处罚决定。",
        "suggestions": "决定书中应载明罚款缴纳账户和加处罚款的规定。",
        "counsel_opinion": "经审阅案卷，同意法制审核意见。（法律顾问：山西晋陵律师事务所 杨律师）",
        "reviewers": [
            {"name": "韩丽萍", "position": "政策法规股股长"},
            {"name": "牛国庆", "position": "法制审核员"},
        ],
        "review_date": "2025-09-24",
    },
}


# ---------------------------------------------------------------------------------------
# 送达回证 — 000《全过程记录办法》第二十七条；行政处罚法 第六十一条
def build_service_receipt():
    g = GwDocument("送达回证")
    g.title("{{ authority_name }}")
    g.title("送达回证")
    g.table([32, 46, 32, 46], [
        [{"text": "送达文书名称", "style": "表头", "span": 2},
         {"text": "文书编号", "style": "表头", "span": 2}],
        ("tag", "{%tr for d in documents %}"),
        [{"text": "{{ d.name }}", "style": "表格居中", "span": 2, "height": 12},
         {"text": "{{ d.number }}", "style": "表格居中", "span": 2}],
        ("tag", "{%tr endfor %}"),
        [lab("受送达人"), {"text": "{{ recipient }}", "span": 3, "height": 12}],
        [lab("送达地点"), {"text": "{{ place }}", "span": 3, "height": 14}],
        [lab("送达方式"), "{{ method }}", lab("送达时间"),
         {"text": "{{ served_date|cn_date }} {{ served_time }}", "height": 14}],
        [lab("受送达人签名或盖章"), {"text": "{{ recipient_signature|default('', true) }}", "height": 24},
         lab("代收人及与受送达人关系"), "{{ proxy|default('', true) }}"],
        [lab("留置送达拒收事由和日期"), {"text": "{{ refusal|default('', true) }}", "span": 3,
                                         "height": 22}],
        [lab("见证人"), {"text": "{% for w in witnesses %}{{ w.name }}（{{ w.organisation }}）"
                                 "{% if not loop.last %}、{% endif %}{% endfor %}", "span": 3, "height": 16}],
        [lab("委托、转交、邮寄或公告的原因和经过"), {"text": "{{ method_note|default('', true) }}",
                                                     "span": 3, "height": 22}],
        [lab("送达人"), {"text": OFFICER_LIST.replace("officers", "servers"), "span": 3, "height": 16}],
        [lab("备　　注"), {"text": "{{ remarks|default('', true) }}", "span": 3, "height": 20}],
    ])
    return g


SERVICE_RECEIPT = {
    "id": "service_receipt",
    "title": "送达回证",
    "description": ("送达回证：送达文书名称和文号、受送达人、送达方式、地点、时间、受送达人签名；留置送达的拒收事由"
                    "和日期及见证人；委托、转交、邮寄、公告的原因和经过（000《全过程记录办法》第二十七条）。"),
    "build": build_service_receipt,
    "fields": {
        "authority_name": authority(),
        "documents": L("送达文书", {
            "name": S("文书名称", max_length=100),
            "number": S("文书编号", max_length=40),
        }),
        "recipient": S("受送达人", max_length=100),
        "place": S("送达地点", max_length=200),
        "method": S("送达方式", enum=["直接送达", "留置送达", "委托送达", "转交送达", "邮寄送达",
                                     "公告送达", "电子送达"]),
        "served_date": D("送达日期"),
        "served_time": S("送达时间", pattern=TIME),
        "recipient_signature": S("受送达人签名或盖章", required=False, max_length=100),
        "proxy": S("代收人及与受送达人关系", required=False, max_length=100),
        "refusal": T("留置送达拒收事由和日期", required=False, max_length=500),
        "witnesses": L("见证人", {
            "name": S("姓名", max_length=30),
            "organisation": S("单位或身份", max_length=100),
        }),
        "method_note": T("委托、转交、邮寄或公告送达的原因和经过", required=False, max_length=1000),
        "servers": officers("送达人"),
        "remarks": T("备注", required=False, max_length=500),
    },
    "sample": {
        "authority_name": AUTH,
        "documents": [
            {"name": "行政处罚决定书", "number": "陵应急罚〔2025〕12号"},
        ],
        "recipient": "陵川县太行石材有限公司",
        "place": "山西省晋城市陵川县崇文镇北街村东 陵川县太行石材有限公司办公室",
        "method": "直接送达",
        "served_date": "2025-10-10",
        "served_time": "10:15",
        "recipient_signature": "王建军（加盖公司公章）",
        "proxy": "",
        "refusal": "",
        "witnesses": [],
        "method_note": "",
        "servers": OFFICERS,
        "remarks": "送达过程使用执法记录仪（LCYJ-07）录像。",
    },
}


# ---------------------------------------------------------------------------------------
# 催告书 — 行政强制法 第三十五条、第三十六条、第四十五条、第五十四条
def build_reminder_notice():
    g = GwDocument("催告书")
    g.tag(AS_ORG)
    g.title("{{ authority_name }}")
    g.title("催告书")
    g.docno("{{ doc_number }}")
    g.np("{{ party.name }}：")
    g.p("本机关于{{ decision_date|cn_date }}作出的{{ decision_title }}（{{ decision_number }}），"
        "已于{{ served_date|cn_date }}送达{{ you }}。{{ you }}应当{{ obligation }}，"
        "但至今未履行。根据《中华人民共和国行政强制法》第三十五条的规定，现催告{{ you }}履行下列义务：")
    g.p("一、履行期限：自收到本催告书之日起{{ deadline_days|cn_number }}日内。")
    g.p("二、履行方式：{{ performance_method }}")
    with given(g, "amount"):
        g.p("三、金额：应缴纳罚款人民币{{ amount|cny_upper }}（¥{{ amount|cny }}）"
            "{% if surcharge_amount is defined and surcharge_amount %}，截至{{ surcharge_until|cn_date }}"
            "加处罚款人民币{{ surcharge_amount|cny_upper }}（¥{{ surcharge_amount|cny }}）{% endif %}。")
    g.p("{{ you }}收到本催告书后有权进行陈述和申辩，可以于收到本催告书之日起"
        "{{ statement_days|cn_number }}日内向本机关书面或者口头提出。本机关将充分听取{{ you }}的意见，"
        "对{{ you }}提出的事实、理由和证据进行记录、复核；事实、理由或者证据成立的，本机关将予以采纳。")
    g.p("{{ you }}逾期仍不履行的，本机关将{{ enforcement_measure }}。")
    contact_block(g)
    g.signature("{{ authority_name }}", "{{ notice_date|cn_date }}")
    return g


REMINDER_NOTICE = {
    "id": "reminder_notice",
    "title": "催告书",
    "description": ("催告书（行政强制法 第三十五条）：履行义务的期限、方式，金钱给付的明确金额和给付方式，"
                    "陈述和申辩的权利；逾期不履行的后果（第四十五条、第五十四条）。"),
    "build": build_reminder_notice,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number(),
        "party": party_addressee(),
        "decision_title": S("决定文书名称", max_length=60),
        "decision_number": doc_number("决定文书编号"),
        "decision_date": D("决定日期"),
        "served_date": D("决定送达日期"),
        "obligation": T("应当履行的义务", max_length=1000),
        "deadline_days": I("履行期限（日）"),
        "performance_method": T("履行方式", max_length=1000),
        "amount": M("应缴金额", required=False),
        "surcharge_amount": M("加处罚款金额", required=False),
        "surcharge_until": D("加处罚款计算截止日期", required=False),
        "statement_days": I("陈述申辩期限（日）"),
        "enforcement_measure": S("逾期不履行的强制执行措施", max_length=300),
        "contact": contact(),
        "notice_date": D("催告日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急催〔2025〕3号",
        "party": PARTY_ADDRESSEE,
        "decision_title": "《行政处罚决定书》",
        "decision_number": "陵应急罚〔2025〕12号",
        "decision_date": "2025-10-09",
        "served_date": "2025-10-10",
        "obligation": "自收到行政处罚决定书之日起十五日内缴纳罚款人民币60000元",
        "deadline_days": 10,
        "performance_method": ("将罚款及加处罚款缴至中国农业银行陵川县支行（户名：陵川县财政局非税收入汇缴结算户；"
                               "账号：14520101040001234），并将缴款凭证复印件送本机关。"),
        "amount": "60000",
        "surcharge_amount": "14400",
        "surcharge_until": "2025-11-02",
        "statement_days": 3,
        "enforcement_measure": "依据《中华人民共和国行政强制法》第五十三条、第五十四条的规定申请人民法院强制执行",
        "contact": CONTACT,
        "notice_date": "2025-11-03",
    },
}


# ---------------------------------------------------------------------------------------
# 结案审批表 — 000《全过程记录办法》第二十八条至第三十二条；004 第四十三条
def build_case_closing_approval():
    g = GwDocument("结案审批表")
    g.title("{{ authority_name }}")
    g.title("结案审批表")
    g.docno("立案编号：{{ case_number }}")
    sign_handlers = ("承办人：{% for o in handlers %}{{ o.name }}（执法证号：{{ o.certificate_number }}）"
                     "{% if not loop.last %}、{% endif %}{% endfor %}　{{ handler_date|cn_date }}")
    g.table([32, 46, 32, 46], [
        [lab("案　　由"), {"text": "{{ case_name }}", "span": 3}],
        [lab("当 事 人"), {"text": "{{ party.name }}", "span": 3}],
        [lab("住所（地址）"), {"text": "{{ party.address }}", "span": 3}],
        [lab("立案日期"), "{{ filed_date|cn_date }}", lab("决定日期"), "{{ decision_date|cn_date }}"],
        [lab("决定书文号"), {"text": "{{ decision_number }}", "span": 3}],
        [lab("处理决定"), {"text": "{{ decision_content }}"
                                   "{% if fine_amount is defined and fine_amount %}（罚款人民币"
                                   "{{ fine_amount|cny_upper }}，¥{{ fine_amount|cny }}）{% endif %}",
                           "span": 3, "height": 18}],
        [lab("执行情况"), {"text": "{{ execution }}", "span": 3, "height": 24}],
        [lab("执行完毕日期"), "{{ executed_date|cn_date }}", lab("复议、诉讼情况"),
         "{{ remedies }}"],
        [lab("承办人意见"), {"text": ["{{ handler_opinion }}", ("表格签名", sign_handlers)],
                             "span": 3, "height": 24}],
        [lab("承办机构意见"), {"text": ["{{ unit_opinion }}",
                                       ("表格签名", "负责人：{{ unit_head }}　{{ unit_date|cn_date }}")],
                               "span": 3, "height": 22}],
        [lab("行政机关负责人意见"), {"text": ["{{ head_opinion }}",
                                             ("表格签名", "负责人：{{ head_name }}　{{ head_date|cn_date }}")],
                                     "span": 3, "height": 22}],
        [lab("备　　注"), {"text": "{{ remarks|default('', true) }}", "span": 3, "height": 14}],
    ])
    return g


CASE_CLOSING_APPROVAL = {
    "id": "case_closing_approval",
    "title": "结案审批表",
    "description": ("结案审批表：处理决定、执行情况、复议诉讼情况，承办人、承办机构和负责人意见（000《全过程记录办法》"
                    "第二十八条至第三十条；案卷在执法行为终结之日起30日内归档，000 第三十二条、004 第四十三条）。"),
    "build": build_case_closing_approval,
    "fields": {
        "authority_name": authority(),
        "case_number": doc_number("立案编号"),
        "case_name": S("案由", max_length=200),
        "party": O("当事人", {
            "name": S("名称或姓名", max_length=100),
            "address": S("住所（地址）", max_length=120),
        }),
        "filed_date": D("立案日期"),
        "decision_date": D("决定日期"),
        "decision_number": doc_number("决定书文号"),
        "decision_content": T("处理决定", max_length=1000),
        "fine_amount": M("罚款金额", required=False),
        "execution": T("执行情况", max_length=2000),
        "executed_date": D("执行完毕日期"),
        "remedies": S("复议、诉讼情况", max_length=200),
        "handler_opinion": T("承办人意见", max_length=1000),
        "handlers": officers("承办人"),
        "handler_date": D("承办人签署日期"),
        "unit_opinion": T("承办机构意见", max_length=1000),
        "unit_head": S("承办机构负责人", max_length=30),
        "unit_date": D("承办机构签署日期"),
        "head_opinion": T("行政机关负责人意见", max_length=1000),
        "head_name": S("行政机关负责人", max_length=30),
        "head_date": D("负责人签署日期"),
        "remarks": T("备注", required=False, max_length=500),
    },
    "sample": {
        "authority_name": AUTH,
        "case_number": CASE_NUMBER,
        "case_name": CASE_NAME,
        "party": {"name": PARTY["name"], "address": PARTY["address"]},
        "filed_date": "2025-08-13",
        "decision_date": "2025-10-09",
        "decision_number": "陵应急罚〔2025〕12号",
        "decision_content": "依据《中华人民共和国安全生产法》第九十七条第三项、第四项，处罚款",
        "fine_amount": "60000",
        "execution": ("当事人逾期未缴纳罚款，本局于2025年11月3日送达《催告书》（陵应急催〔2025〕3号）。"
                      "当事人于2025年11月6日缴纳罚款人民币60000元及加处罚款人民币14400元，缴款凭证在卷。"),
        "executed_date": "2025-11-06",
        "remedies": "未申请行政复议，未提起行政诉讼",
        "handler_opinion": "处罚决定已执行完毕，建议结案归档。",
        "handlers": OFFICERS,
        "handler_date": "2025-11-10",
        "unit_opinion": "同意结案。",
        "unit_head": "郭海涛",
        "unit_date": "2025-11-10",
        "head_opinion": "同意结案，按规定归档。",
        "head_name": "申建平",
        "head_date": "2025-11-11",
        "remarks": "音像记录3份已于当日存储并随案卷移交政策法规股。",
    },
}


# ---------------------------------------------------------------------------------------
# 行政执法决定信息公示摘要 — DOMAIN §1; 000《公示办法》第十二条; 002; 004
def build_decision_summary():
    g = GwDocument("行政执法决定信息公示摘要")
    g.title("行政执法决定信息公示摘要")
    g.table([40, 116], [
        [lab("决定书文号"), "{{ doc_number }}"],
        [lab("案件名称"), "{{ case_name }}"],
        [lab("执法机关（执法主体）"), "{{ authority_name }}"],
        [lab("执法类别"), "{{ category }}"],
        [lab("执法对象"), "{{ party_name }}"
                          "{% if party_code is defined and party_code %}（统一社会信用代码：{{ party_code }}）"
                          "{% endif %}"],
        [lab("违法事实"), {"text": "{{ facts }}", "height": 30}],
        [lab("法律依据"), {"text": "{{ legal_basis }}", "height": 16}],
        [lab("执法结论"), {"text": "{{ conclusion }}"
                                   "{% if fine_amount is defined and fine_amount %}（罚款人民币"
                                   "{{ fine_amount|cny_upper }}，¥{{ fine_amount|cny }}）{% endif %}",
                           "height": 16}],
        [lab("决定日期"), "{{ decision_date|cn_date }}"],
        [lab("履行情况"), "{{ performance|default('', true) }}"],
        [lab("公示日期"), "{{ publish_date|cn_date }}"],
        [lab("公示期限"), "{{ publish_period }}"],
    ])
    g.blank()
    g.note("对公示信息有异议的，可以向{{ authority_name }}提出更正申请（联系电话：{{ correction_phone }}）。")
    return g


DECISION_SUMMARY = {
    "id": "decision_summary",
    "title": "行政执法决定信息公示摘要",
    "description": ("行政执法决定信息摘要：决定书文号、案件名称、执法机关、执法类别、执法对象、违法事实、法律依据、"
                    "执法结论、决定日期（000《公示办法》第十二条；002、004；国办发〔2018〕118号）；"
                    "行政处罚决定作出之日起7个工作日内公示。"),
    "build": build_decision_summary,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number("决定书文号"),
        "case_name": S("案件名称", max_length=200),
        "category": S("执法类别", max_length=30),
        "party_name": S("执法对象", max_length=100),
        "party_code": S("统一社会信用代码", required=False, max_length=18, pattern=r"^[0-9A-Z]{18}$"),
        "facts": T("违法事实", max_length=3000),
        "legal_basis": T("法律依据", max_length=1000),
        "conclusion": T("执法结论", max_length=1000),
        "fine_amount": M("罚款金额", required=False),
        "decision_date": D("决定日期"),
        "performance": S("履行情况", required=False, max_length=500),
        "publish_date": D("公示日期"),
        "publish_period": S("公示期限", max_length=100),
        "correction_phone": S("更正申请联系电话", max_length=30),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急罚〔2025〕12号",
        "case_name": CASE_NAME,
        "category": "行政处罚",
        "party_name": PARTY["name"],
        "party_code": PARTY["id_number"],
        "facts": ("当事人新招用的3名从业人员上岗前未经安全生产教育和培训，2025年度安全生产教育和培训档案"
                  "未如实记录培训情况。"),
        "legal_basis": "违反《中华人民共和国安全生产法》第二十八条第一款、第四款，依据该法第九十七条第三项、第四项予以处罚。",
        "conclusion": "罚款",
        "fine_amount": "60000",
        "decision_date": "2025-10-09",
        "performance": "尚在履行期限内",
        "publish_date": "2025-10-14",
        "publish_period": "三年（自公示之日起）",
        "correction_phone": "0356-6223110",
    },
}


# ---------------------------------------------------------------------------------------
# 年度行政执法数据统计报告 — DOMAIN §1; 000《公示办法》第十一条（二）、第十六条; 003; 国办发〔2018〕118号
def build_annual_statistics_report():
    g = GwDocument("年度行政执法数据统计报告")
    g.masthead("{{ authority_name }}文件", "{{ doc_number }}")
    g.title("关于{{ year }}年度行政执法数据统计情况的报告")
    g.blank()
    g.np("{{ recipients }}：")
    g.p("{{ introduction }}")
    g.h1("一、执法检查计划执行情况")
    g.p("{{ inspection_plan }}")
    g.h1("二、行政执法数据统计")
    g.p("{{ year }}年度本机关行政执法主要数据如下：")
    numbered_table(g, [14, 34, 66, 22, 20], ["类别", "项目", "数量", "单位"],
                   "s in statistics",
                   [lab("{{ s.category }}"), "{{ s.item }}", lab("{{ s.count }}"),
                    lab("{{ s.unit }}")])
    g.p("全年罚没款合计人民币{{ fines_total|cny_upper }}（¥{{ fines_total|cny }}）。")
    g.h1("三、行政处罚、行政强制等案件办理情况")
    g.p("{{ cases_summary }}")
    g.h1("四、投诉、举报案件的受理和分类办理情况")
    numbered_table(g, [14, 58, 28, 28, 28], ["投诉、举报类别", "受理（件）", "办结（件）", "移送（件）"],
                   "c in complaints",
                   ["{{ c.kind }}", lab("{{ c.received }}"), lab("{{ c.closed }}"),
                    lab("{{ c.transferred }}")])
    g.p("{{ complaints_summary }}")
    g.h1("五、行政复议、行政诉讼情况")
    g.p("{{ remedies_summary }}")
    with given(g, "other_matters"):
        g.h1("六、其他需要公示的情况")
        g.p("{{ other_matters }}")
    g.signature("{{ authority_name }}", "{{ report_date|cn_date }}")
    g.note("（{{ disclosure_note }}）")
    g.blank()
    g.colophon(["{% if copies_to %}抄送：{{ copies_to }}。{% endif %}",
                "{{ printed_by|default(authority_name, true) }}"
                "　　　　{{ printed_on|default(report_date, true)|cn_date }}印发"])
    return g


ANNUAL_STATISTICS_REPORT = {
    "id": "annual_statistics_report",
    "title": "年度行政执法数据统计报告",
    "description": ("年度行政执法数据统计报告：执法检查计划执行情况，行政处罚、行政强制等案件办理情况，投诉、举报的"
                    "受理和分类办理情况，行政复议、行政诉讼情况，其他（000《公示办法》第十一条（二）、第十六条；"
                    "国办发〔2018〕118号：每年1月31日前公开并报本级人民政府和上级主管部门）。"),
    "build": build_annual_statistics_report,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number("发文字号"),
        "year": I("统计年度"),
        "recipients": S("主送机关", max_length=200),
        "introduction": T("导语", max_length=1000),
        "inspection_plan": T("执法检查计划执行情况", max_length=3000),
        "statistics": L("统计数据", {
            "category": S("类别", max_length=30),
            "item": S("项目", max_length=100),
            "count": I("数量"),
            "unit": S("单位", max_length=10),
        }),
        "fines_total": M("罚没款合计"),
        "cases_summary": T("行政处罚、行政强制等案件办理情况", max_length=3000),
        "complaints": L("投诉、举报分类办理情况", {
            "kind": S("类别", max_length=60),
            "received": I("受理件数"),
            "closed": I("办结件数"),
            "transferred": I("移送件数"),
        }),
        "complaints_summary": T("投诉、举报办理情况说明", max_length=2000),
        "remedies_summary": T("行政复议、行政诉讼情况", max_length=2000),
        "other_matters": T("其他需要公示的情况", required=False, max_length=2000),
        "report_date": D("报告日期"),
        "disclosure_note": S("公开属性", max_length=30),
        "copies_to": S("抄送机关", required=False, max_length=200),
        "printed_by": S("印发机关（默认执法机关）", required=False, max_length=60),
        "printed_on": D("印发日期（默认报告日期）", required=False),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急发〔2026〕3号",
        "year": 2025,
        "recipients": "陵川县人民政府、晋城市应急管理局",
        "introduction": ("根据行政执法公示制度的规定，现将本局2025年度行政执法总体情况及有关数据报告如下。"),
        "inspection_plan": ("本局2025年度执法检查计划确定检查生产经营单位168家次，实际检查175家次，完成计划的104.2%；"
                            "其中“双随机、一公开”抽查42家次，抽查比例和频次符合随机抽查事项清单的规定。"),
        "statistics": [
            {"category": "行政检查", "item": "监督检查生产经营单位", "count": 175, "unit": "家次"},
            {"category": "行政检查", "item": "其中“双随机”抽查", "count": 42, "unit": "家次"},
            {"category": "行政检查", "item": "发现并责令整改安全隐患", "count": 386, "unit": "项"},
            {"category": "行政处罚", "item": "立案查处", "count": 23, "unit": "件"},
            {"category": "行政处罚", "item": "作出行政处罚决定", "count": 21, "unit": "件"},
            {"category": "行政处罚", "item": "其中经法制审核的重大行政执法决定", "count": 6, "unit": "件"},
            {"category": "行政处罚", "item": "其中经听证", "count": 1, "unit": "件"},
            {"category": "行政强制", "item": "查封、扣押", "count": 2, "unit": "件"},
            {"category": "行政强制", "item": "申请人民法院强制执行", "count": 1, "unit": "件"},
            {"category": "公示", "item": "公示行政处罚决定信息", "count": 21, "unit": "条"},
        ],
        "fines_total": "862000",
        "cases_summary": ("全年作出行政处罚决定21件，均在作出决定之日起7个工作日内公示；其中罚款5万元以上的重大"
                          "行政执法决定6件，全部经法制审核后作出。采取查封、扣押行政强制措施2件，均全程音像记录。"),
        "complaints": [
            {"kind": "非法违法生产经营", "received": 14, "closed": 13, "transferred": 1},
            {"kind": "重大事故隐患", "received": 9, "closed": 9, "transferred": 0},
            {"kind": "其他安全生产问题", "received": 6, "closed": 5, "transferred": 1},
        ],
        "complaints_summary": "全年受理投诉、举报29件，办结27件，移送有管辖权的部门2件，均已书面告知实名投诉人、举报人。",
        "remedies_summary": "全年发生行政复议案件1件（维持），行政诉讼案件0件，未发生行政执法决定被撤销、变更或者确认违法的情形。",
        "other_matters": "全年行政执法人员参加法律知识培训4期，新增取得行政执法证件人员5名。",
        "report_date": "2026-01-08",
        "disclosure_note": "此件公开发布",
        "copies_to": "山西省应急管理厅，陵川县司法局",
        "printed_on": "2026-01-09",
    },
}


# ---------------------------------------------------------------------------------------
# 责令改正通知书 — 行政处罚法 第二十八条第一款
def build_rectification_order():
    g = GwDocument("责令改正通知书")
    g.tag(AS_ORG)
    g.title("{{ authority_name }}")
    g.title("责令改正通知书")
    g.docno("{{ doc_number }}")
    g.np("{{ party.name }}：")
    g.p("本机关执法人员于{{ inspection_date|cn_date }}对{{ you }}进行{{ inspection_kind }}时，"
        "发现{{ you }}存在下列问题：")
    g.tag("{%p for f in findings %}")
    g.p("{{ loop.index|cn_number }}、{{ f.problem }}")
    g.tag("{%p endfor %}")
    g.p("上述行为违反了{{ violated_provisions }}的规定。依据《中华人民共和国行政处罚法》第二十八条"
        "第一款{% if order_basis is defined and order_basis %}和{{ order_basis }}{% endif %}的规定，"
        "现责令{{ you }}{% if immediate %}立即{% else %}于{{ deadline|cn_date }}前{% endif %}改正。")
    with given(g, "requirements"):
        g.p("改正要求：{{ requirements }}")
    g.p("{{ you }}应当按期改正，并将改正情况书面报告本机关；逾期未改正的，本机关将依法处理。")
    g.p("{{ you }}如不服本通知，可以自收到本通知书之日起六十日内向{{ reconsideration_body }}申请"
        "行政复议，也可以自收到本通知书之日起六个月内依法向{{ court }}提起行政诉讼。")
    contact_block(g)
    g.signature("{{ authority_name }}", "{{ notice_date|cn_date }}")
    g.blank()
    g.np("执法人员：" + OFFICER_LIST)
    g.np("当事人签收：　　　　　　　　　　　　　年　　月　　日")
    return g


RECTIFICATION_ORDER = {
    "id": "rectification_order",
    "title": "责令改正通知书",
    "description": ("责令改正通知书（行政处罚法 第二十八条第一款：实施行政处罚时责令当事人改正或者限期改正"
                    "违法行为）：发现的问题，违反的规定，立即或限期改正及要求，逾期不改的后果，复议和诉讼途径。"),
    "build": build_rectification_order,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number(),
        "party": party_addressee(),
        "inspection_date": D("检查日期"),
        "inspection_kind": S("检查种类", max_length=60),
        "findings": L("发现的问题", {"problem": T("问题", max_length=1000)}),
        "violated_provisions": S("违反的规定", max_length=500),
        "order_basis": S("责令改正的其他依据", required=False, max_length=500),
        "immediate": B("立即改正"),
        "deadline": D("改正期限（限期改正时）", required=False),
        "requirements": T("改正要求", required=False, max_length=2000),
        "reconsideration_body": S("行政复议机关", max_length=100),
        "court": S("管辖法院", max_length=100),
        "contact": contact(),
        "officers": officers(),
        "notice_date": D("通知日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急责改〔2025〕31号",
        "party": PARTY_ADDRESSEE,
        "inspection_date": "2025-08-12",
        "inspection_kind": "安全生产监督检查",
        "findings": [
            {"problem": "破碎工段新招用的从业人员张某、刘某、陈某3人上岗前未经安全生产教育和培训。"},
            {"problem": "2025年度安全生产教育和培训档案未如实记录培训情况。"},
        ],
        "violated_provisions": VIOLATED,
        "order_basis": PENALTY_BASIS,
        "immediate": False,
        "deadline": "2025-08-26",
        "requirements": "对上述3名从业人员进行不少于二十四学时的安全生产教育和培训，经考核合格后方可上岗；"
                        "如实补记培训档案。",
        "reconsideration_body": "陵川县人民政府",
        "court": "陵川县人民法院",
        "contact": CONTACT,
        "officers": OFFICERS,
        "notice_date": "2025-08-12",
    },
}


# ---------------------------------------------------------------------------------------
# 查封（扣押）决定书 — 行政强制法 第二十四条、第二十五条
def build_seizure_decision():
    g = GwDocument("查封（扣押）决定书")
    g.tag(AS_ORG)
    g.title("{{ authority_name }}")
    g.title("{{ measure }}决定书")
    g.docno("{{ doc_number }}")
    g.np("{{ party.name }}：")
    g.np("住所（地址）：{{ party_address }}")
    g.p("{{ reason }}依据{{ legal_basis }}的规定，经本机关负责人批准，本机关决定对{{ you }}的下列"
        "场所、设施或者财物予以{{ measure }}：")
    numbered_table(g, [12, 56, 30, 22, 36], ["名称", "规格（型号）", "数量", "存放地点"],
                   "it in items",
                   ["{{ it.name }}", "{{ it.specification }}", lab("{{ it.quantity }}"),
                    "{{ it.place }}"])
    g.p("{{ measure }}期限为{{ term_days|cn_number }}日，自{{ start_date|cn_date }}起至"
        "{{ end_date|cn_date }}止；情况复杂的，经本机关负责人批准可以延长，但延长期限不超过三十日，"
        "延长的决定将及时书面告知{{ you }}。对物品需要进行检测、检验、检疫或者技术鉴定的，"
        "其间不计入{{ measure }}期限。")
    g.p("{{ measure }}期间，{{ you }}不得擅自启封、转移、隐匿、损毁{{ measure }}的场所、设施或者财物。"
        "{{ you }}有权进行陈述和申辩。")
    g.p("{{ you }}如不服本决定，可以自收到本决定书之日起六十日内向{{ reconsideration_body }}申请"
        "行政复议，也可以自收到本决定书之日起六个月内依法向{{ court }}提起行政诉讼。")
    contact_block(g)
    g.signature("{{ authority_name }}", "{{ decision_date|cn_date }}")
    g.blank()
    g.np("执法人员：" + OFFICER_LIST)
    g.np("当事人签收：　　　　　　　　　　　　　年　　月　　日")
    return g


SEIZURE_DECISION = {
    "id": "seizure_decision",
    "title": "查封（扣押）决定书",
    "description": ("查封（扣押）决定书（行政强制法 第二十四条：当事人的名称和地址，查封、扣押的理由、依据和"
                    "期限，场所、设施或者财物的名称和数量，复议和诉讼的途径和期限，机关名称、印章和日期；"
                    "第二十五条：期限不超过三十日，经批准可延长不超过三十日）。期限的日期由调用方按"
                    "法定日历算出。"),
    "build": build_seizure_decision,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number(),
        "party": party_addressee(),
        "party_address": S("当事人住所（地址）", max_length=120),
        "measure": S("强制措施", enum=["查封", "扣押"]),
        "reason": T("理由", max_length=2000),
        "legal_basis": S("依据", max_length=500),
        "items": L("查封（扣押）的场所、设施或者财物", {
            "name": S("名称", max_length=200),
            "specification": S("规格（型号）", max_length=100),
            "quantity": S("数量", max_length=30),
            "place": S("存放地点", max_length=100),
        }),
        "term_days": I("期限（日）", minimum=1, maximum=30),
        "start_date": D("期限起始日"),
        "end_date": D("期限届满日"),
        "reconsideration_body": S("行政复议机关", max_length=100),
        "court": S("管辖法院", max_length=100),
        "contact": contact(),
        "officers": officers(),
        "decision_date": D("决定日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急查〔2025〕2号",
        "party": PARTY_ADDRESSEE,
        "party_address": PARTY["address"],
        "measure": "查封",
        "reason": "本机关执法人员于2025年8月12日检查发现，你单位破碎工段1号破碎机防护罩缺失、急停装置失效，"
                  "仍在组织生产，存在重大事故隐患，有根据认为不符合保障安全生产的国家标准。",
        "legal_basis": "《中华人民共和国安全生产法》第六十五条第一款第四项、《中华人民共和国行政强制法》第二十四条",
        "items": [
            {"name": "颚式破碎机", "specification": "PE-600×900", "quantity": "1台", "place": "破碎工段"},
            {"name": "破碎机配电柜", "specification": "XL-21", "quantity": "1台", "place": "破碎工段"},
        ],
        "term_days": 30,
        "start_date": "2025-08-12",
        "end_date": "2025-09-10",
        "reconsideration_body": "陵川县人民政府",
        "court": "陵川县人民法院",
        "contact": CONTACT,
        "officers": OFFICERS,
        "decision_date": "2025-08-12",
    },
}


# ---------------------------------------------------------------------------------------
# 陈述申辩笔录 — 行政处罚法 第四十五条; 000《全过程记录办法》第十五条（五）
def build_statement_record():
    g = GwDocument("陈述申辩笔录")
    g.title("{{ authority_name }}")
    g.title("陈述申辩笔录")
    g.np("案由：{{ case_name }}")
    g.np("时间：{{ record_date|cn_date }} {{ start_time }}至{{ end_time }}")
    g.np("地点：{{ place }}")
    g.np("陈述申辩人：{{ speaker.name }}　身份：{{ speaker.capacity }}")
    g.np("工作单位及职务：{{ speaker.employer }}　{{ speaker.position }}　联系电话：{{ speaker.phone }}")
    g.np("承办人：" + OFFICER_LIST)
    g.np("记录人：{{ recorder }}")
    g.p("本机关已于{{ notice_date|cn_date }}以{{ notice_doc_number }}行政处罚告知书告知拟作出的行政处罚"
        "及事实、理由、依据，现依据《中华人民共和国行政处罚法》第四十五条的规定听取你的陈述和申辩。"
        "你应当如实陈述，可以提出事实、理由和证据；本机关不因你的陈述、申辩而给予更重的处罚。")
    g.np("陈述申辩的事实和理由：")
    g.p("{{ statement }}")
    with given(g, "evidence_offered"):
        g.np("提供的证据：{{ evidence_offered }}")
    g.np("陈述申辩人核对意见：{{ speaker_confirmation }}")
    g.blank()
    g.np("陈述申辩人签名：{{ speaker.name }}　　　　日期：{{ record_date|cn_date }}")
    g.np("承办人签名：{% for o in officers %}{{ o.name }}{% if not loop.last %}、{% endif %}{% endfor %}"
         "　　记录人签名：{{ recorder }}")
    return g


STATEMENT_RECORD = {
    "id": "statement_record",
    "title": "陈述申辩笔录",
    "description": ("陈述申辩笔录（行政处罚法 第四十五条：当事人有权进行陈述和申辩，行政机关必须充分听取；"
                    "000《全过程记录办法》第十五条（五））：告知书文号，陈述申辩的事实、理由和证据，"
                    "核对意见和签名。"),
    "build": build_statement_record,
    "fields": {
        "authority_name": authority(),
        "case_name": S("案由", max_length=200),
        "record_date": D("日期"),
        "start_time": S("开始时间", pattern=TIME),
        "end_time": S("结束时间", pattern=TIME),
        "place": S("地点", max_length=200),
        "speaker": O("陈述申辩人", {
            "name": S("姓名", max_length=30),
            "capacity": S("身份", enum=["当事人", "法定代表人", "委托代理人"]),
            "employer": S("工作单位", max_length=100),
            "position": S("职务", max_length=50),
            "phone": S("联系电话", max_length=30),
        }),
        "officers": officers("承办人"),
        "recorder": S("记录人", max_length=30),
        "notice_date": D("告知日期"),
        "notice_doc_number": doc_number("告知书文号"),
        "statement": T("陈述申辩的事实和理由", max_length=5000),
        "evidence_offered": T("提供的证据", required=False, max_length=2000),
        "speaker_confirmation": S("核对意见", max_length=200),
    },
    "sample": {
        "authority_name": AUTH,
        "case_name": CASE_NAME,
        "record_date": "2025-09-12",
        "start_time": "14:30",
        "end_time": "15:10",
        "place": "陵川县应急管理局询问室",
        "speaker": {"name": "王建军", "capacity": "法定代表人", "employer": "陵川县太行石材有限公司",
                    "position": "法定代表人", "phone": "13934560123"},
        "officers": OFFICERS,
        "recorder": "赵文华",
        "notice_date": "2025-09-10",
        "notice_doc_number": "陵应急罚告〔2025〕12号",
        "statement": "对认定的事实没有异议。3名新员工上岗前未经培训，是因为当时订单集中、人手紧张；"
                     "事发后公司已于8月20日组织全员培训并补记档案。公司规模小，今年效益不好，"
                     "请求从轻处罚。",
        "evidence_offered": "2025年8月20日培训签到表、考核试卷复印件各1份。",
        "speaker_confirmation": "以上笔录我已看过，与我所说的相符。",
    },
}


# ---------------------------------------------------------------------------------------
# 听证笔录 — 行政处罚法 第六十四条（八）、第六十五条; 004 第三十六条
def build_hearing_record():
    g = GwDocument("听证笔录")
    g.title("{{ authority_name }}")
    g.title("听证笔录")
    g.np("案由：{{ case_name }}")
    g.np("听证时间：{{ hearing_date|cn_date }} {{ start_time }}至{{ end_time }}")
    g.np("听证地点：{{ place }}　听证方式：{% if public %}公开{% else %}不公开{% endif %}")
    g.np("听证主持人：{{ presider }}{% if hearing_officers %}　听证员：{{ hearing_officers }}"
         "{% endif %}　记录人：{{ recorder }}")
    g.np("案件调查人员：" + OFFICER_LIST)
    g.np("当事人：{{ party.name }}　法定代表人（负责人）："
         "{{ party.legal_representative|default('', true) }}")
    g.np("委托代理人：{% for a in agents %}{{ a.name }}（{{ a.employer }}）"
         "{% if not loop.last %}、{% endif %}{% else %}无{% endfor %}")
    g.p("主持人宣布听证开始，核对听证参加人身份，宣布听证纪律，告知当事人有申请回避、陈述、申辩和质证的"
        "权利。当事人{% if recusal_requested %}申请回避，经本机关负责人决定：{{ recusal_decision }}"
        "{% else %}表示不申请回避{% endif %}。")
    g.tag("{%p for s in proceedings %}")
    g.np("{{ s.speaker }}：{{ s.text }}")
    g.tag("{%p endfor %}")
    g.np("当事人最后陈述：{{ final_statement }}")
    g.np("主持人宣布听证结束。")
    g.np("听证参加人核对意见：{{ participants_confirmation }}")
    g.blank()
    g.np("当事人（代理人）签名：　　　　　　　　　　日期：{{ hearing_date|cn_date }}")
    g.np("案件调查人员签名：{% for o in officers %}{{ o.name }}{% if not loop.last %}、{% endif %}"
         "{% endfor %}")
    g.np("主持人签名：{{ presider }}　　记录人签名：{{ recorder }}")
    return g


HEARING_RECORD = {
    "id": "hearing_record",
    "title": "听证笔录",
    "description": ("听证笔录（行政处罚法 第六十四条（八）：听证应当制作笔录，交当事人或者其代理人核对无误后"
                    "签字或者盖章，拒绝的由主持人在笔录中注明；第六十五条：依据听证笔录作出决定；"
                    "004 第三十六条）：听证参加人，回避，调查人员的事实、证据和处罚建议，当事人的申辩和质证，"
                    "最后陈述，核对意见和签名。"),
    "build": build_hearing_record,
    "fields": {
        "authority_name": authority(),
        "case_name": S("案由", max_length=200),
        "hearing_date": D("听证日期"),
        "start_time": S("开始时间", pattern=TIME),
        "end_time": S("结束时间", pattern=TIME),
        "place": S("听证地点", max_length=200),
        "public": B("公开举行"),
        "presider": S("听证主持人", max_length=30),
        "hearing_officers": S("听证员", required=False, max_length=100),
        "recorder": S("记录人", max_length=30),
        "officers": officers("案件调查人员"),
        "party": O("当事人", {
            "name": S("名称或姓名", max_length=100),
            "legal_representative": S("法定代表人（负责人）", required=False, max_length=30),
        }),
        "agents": L("委托代理人", {
            "name": S("姓名", max_length=30),
            "employer": S("工作单位", max_length=100),
        }, required=False),
        "recusal_requested": B("申请回避"),
        "recusal_decision": S("回避决定", required=False, max_length=200),
        "proceedings": L("听证过程", {
            "speaker": S("发言人", max_length=30),
            "text": T("发言内容", max_length=5000),
        }),
        "final_statement": T("当事人最后陈述", max_length=2000),
        "participants_confirmation": S("核对意见", max_length=200),
    },
    "sample": {
        "authority_name": AUTH,
        "case_name": CASE_NAME,
        "hearing_date": "2025-09-19",
        "start_time": "09:30",
        "end_time": "10:40",
        "place": "陵川县应急管理局听证室",
        "public": True,
        "presider": "韩丽萍",
        "hearing_officers": "牛国庆",
        "recorder": "张晓燕",
        "officers": OFFICERS,
        "party": {"name": PARTY["name"], "legal_representative": PARTY["legal_representative"]},
        "agents": [{"name": "杜明", "employer": "山西太行律师事务所"}],
        "recusal_requested": False,
        "proceedings": [
            {"speaker": "调查人员李志刚", "text": "2025年8月12日检查发现当事人3名新招用从业人员上岗前未经"
                                             "安全生产教育和培训，培训档案记录不实，有现场检查笔录、询问笔录、"
                                             "培训档案等证据证明；建议依据" + PENALTY_BASIS + "罚款人民币陆万元整。"},
            {"speaker": "代理人杜明", "text": "对事实无异议。当事人已于8月20日完成培训并补记档案，"
                                           "主动消除违法行为危害后果，请求依法从轻处罚。"},
            {"speaker": "调查人员赵文华", "text": "当事人整改情况属实，已在处罚建议中考虑。"},
        ],
        "final_statement": "请求从轻处罚，今后严格落实培训制度。",
        "participants_confirmation": "以上笔录已核对，与听证情况相符。",
    },
}


# ---------------------------------------------------------------------------------------
# 卷内目录 — 000《全过程记录办法》执法案卷管理; 档案 DA/T 22 归档文件目录的栏目
def build_case_file_index():
    g = GwDocument("卷内目录")
    g.title("卷内目录")
    g.docno("案号：{{ case_number }}")
    g.np("案件名称：{{ case_name }}")
    table = g.table([10, 46, 40, 32, 14, 14], [
        [head(h) for h in ("序号", "文书（材料）名称", "文书编号", "日期", "页号", "备注")],
        ("tag", "{%tr for e in entries %}"),
        [lab("{{ loop.index }}"), "{{ e.title }}", "{{ e.doc_number|default('', true) }}",
         lab("{{ e.date|cn_date }}"), lab("{{ e.pages }}"), "{{ e.note|default('', true) }}"],
        ("tag", "{%tr endfor %}"),
        [{"text": "立卷人：{{ compiled_by }}　　检查人：{{ checked_by }}　　"
                  "立卷日期：{{ compiled_date|cn_date }}", "span": 6}],
    ])
    g.compact(table)
    return g


CASE_FILE_INDEX = {
    "id": "case_file_index",
    "title": "卷内目录",
    "description": ("执法案卷的卷内目录：按办案顺序排列的每份文书（材料）的名称、编号、日期、页号和备注，"
                    "立卷人、检查人和立卷日期（000《全过程记录办法》第七条：执法案卷管理制度）。"),
    "build": build_case_file_index,
    "fields": {
        "case_name": S("案件名称", max_length=200),
        "case_number": S("案号", max_length=40, pattern=DOC_NUMBER),
        "entries": L("卷内文件", {
            "title": S("文书（材料）名称", max_length=100),
            "doc_number": S("文书编号", required=False, max_length=40),
            "date": D("日期"),
            "pages": S("页号", max_length=20, pattern=r"^\d+(-\d+)?$"),
            "note": S("备注", required=False, max_length=60),
        }),
        "compiled_by": S("立卷人", max_length=30),
        "checked_by": S("检查人", max_length=30),
        "compiled_date": D("立卷日期"),
    },
    "sample": {
        "case_name": CASE_NAME,
        "case_number": CASE_NUMBER,
        "entries": [
            {"title": "立案审批表", "doc_number": CASE_NUMBER, "date": "2025-08-13", "pages": "1"},
            {"title": "现场检查笔录", "date": "2025-08-12", "pages": "2-3"},
            {"title": "先行登记保存证据通知书", "doc_number": "陵应急先保〔2025〕5号",
             "date": "2025-08-12", "pages": "4-5"},
            {"title": "询问笔录", "date": "2025-08-14", "pages": "6-7", "note": "王建军"},
            {"title": "行政处罚告知书", "doc_number": "陵应急罚告〔2025〕12号", "date": "2025-09-10",
             "pages": "8-9"},
            {"title": "陈述申辩笔录", "date": "2025-09-12", "pages": "10-11"},
            {"title": "法制审核意见书", "doc_number": "陵应急法审〔2025〕12号", "date": "2025-09-24",
             "pages": "12-14"},
            {"title": "行政处罚决定书", "doc_number": "陵应急罚〔2025〕12号", "date": "2025-09-28",
             "pages": "15-18"},
            {"title": "送达回证", "date": "2025-10-10", "pages": "19"},
        ],
        "compiled_by": "赵文华",
        "checked_by": "韩丽萍",
        "compiled_date": "2025-11-20",
    },
}


# ---------------------------------------------------------------------------------------
# 更正申请答复书 — 000《公示办法》第十九条；002 第十八条；004 第二十一条（书面答复申请人）
AS_REQUESTER = "{%p set you = '你单位' if requester.kind == 'organisation' else '你' %}"


def build_correction_answer():
    g = GwDocument("更正申请答复书")
    g.tag(AS_REQUESTER)
    g.title("{{ authority_name }}")
    g.title("更正申请答复书")
    g.docno("{{ doc_number }}")
    g.np("{{ requester.name }}：")
    g.p("本机关于{{ received_date|cn_date }}收到{{ you }}对本机关公示的行政执法信息"
        "（{{ decision_number }}）提出的更正申请。{{ you }}反映：{{ problem }}")
    g.p("{% if outcome == 'correct' %}经核实，{{ you }}反映的情况属实，本机关已对该公示信息予以更正。"
        "{% elif outcome == 'reject' %}经核实，{{ you }}反映的情况不属实，本机关决定不予更正。"
        "{% else %}经核实，该信息不属于本机关职能范围，本机关已将{{ you }}的申请转送"
        "{{ forward_to|default('有权更正的行政执法机关', true) }}处理。{% endif %}"
        "理由：{{ reason }}")
    g.p("{{ answer_text }}")
    g.p("特此答复。")
    g.signature("{{ authority_name }}", "{{ answer_date|cn_date }}")
    return g


CORRECTION_ANSWER = {
    "id": "correction_answer",
    "title": "更正申请答复书",
    "description": ("更正申请答复书（000《公示办法》第十九条，002 第十八条，004 第二十一条）：对公民、法人或者其他组织"
                    "就公示信息提出的更正申请，核实后更正、不予更正或者转送有权机关的情况，书面答复申请人。"),
    "build": build_correction_answer,
    "fields": {
        "authority_name": authority(),
        "doc_number": doc_number("更正申请编号"),
        "requester": O("申请人", {
            "name": S("姓名或名称", max_length=100),
            "kind": S("申请人类别", enum=["person", "organisation"]),
        }),
        "received_date": D("收到申请日期"),
        "decision_number": S("公示信息（决定文书编号）", max_length=60),
        "problem": T("申请人反映的问题", max_length=2000),
        "outcome": S("办理结果", enum=["correct", "reject", "forward"]),
        "reason": T("理由", max_length=2000),
        "forward_to": S("转送机关", required=False, max_length=200),
        "answer_text": T("答复内容", max_length=2000),
        "answer_date": D("答复日期"),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "更正〔2025〕1号",
        "requester": {"name": "陵川县太行石材有限公司", "kind": "organisation"},
        "received_date": "2025-11-03",
        "decision_number": "陵应急罚〔2025〕12号",
        "problem": "公示的罚款金额与行政处罚决定书载明的金额不一致。",
        "outcome": "correct",
        "reason": "经核对行政处罚决定书，公示的罚款金额录入有误。",
        "answer_text": "本机关已于2025年11月5日将该公示信息中的罚款金额更正为人民币陆万元。",
        "answer_date": "2025-11-05",
    },
}


# 年度行政执法数据统计报告, version 2 — the report the disclosure publisher compiles from the data
# (services.disclosure.usecases.annual): the figures as a table, a bar chart per group (an image
# with its text alternative), the figures it could not obtain with the reason.
SAMPLE_CHART = ("iVBORw0KGgoAAAANSUhEUgAAADwAAAAYCAIAAAApowkFAAAATElEQVR42u3Vuw0AIAxDwRgxcsZg51BQ0yB"
                "+kZ6btFc4siLCsqVYwoC+lTpOk36T+fzZqAdo0KDXImYc9LlF9Bftoh6gQYNmEUFvTwfAUw8p8yKjUwAAAABJRU5ErkJggg==")


def build_annual_statistics_report_2():
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from gw import BODY_PT, FANGSONG
    g = GwDocument("年度行政执法数据统计报告")
    # an image's paragraph: single line spacing (an exact one would clip the picture)
    st = g._style("统计图", FANGSONG, BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER, snap=False)
    st.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    g.masthead("{{ authority_name }}文件", "{{ doc_number or '' }}")
    g.title("关于{{ year }}年度行政执法数据统计情况的报告")
    g.blank()
    g.np("{{ recipients }}：")
    g.p("{{ introduction }}")
    g.h1("一、行政执法数据统计")
    g.p("{{ year }}年度本机关行政执法主要数据如下（依据：{{ basis }}）：")
    numbered_table(g, [14, 34, 66, 22, 20], ["类别", "项目", "数量", "单位"],
                   "s in statistics",
                   [lab("{{ s.category }}"), "{{ s.item }}", lab("{{ s.count }}"),
                    lab("{{ s.unit }}")])
    with given(g, "fines_total"):
        g.p("全年罚没款合计人民币{{ fines_total|cny_upper }}（¥{{ fines_total|cny }}）。")
    with given(g, "charts"):
        g.h1("二、统计图")
        g.tag("{%p for c in charts %}")
        g.para("{{ c.chart }}", "统计图")
        g.para("图{{ loop.index }}　{{ c.title }}", "统计图")
        g.tag("{%p endfor %}")
    with given(g, "gaps"):
        g.h1("三、未能统计的数据")
        g.tag("{%p for x in gaps %}")
        g.p("{{ x.label }}：{{ x.reason }}")
        g.tag("{%p endfor %}")
    g.signature("{{ authority_name }}", "{{ report_date|cn_date }}")
    g.note("（{{ disclosure_note }}）")
    g.blank()
    g.colophon(["{% if copies_to %}抄送：{{ copies_to }}。{% endif %}",
                "{{ printed_by|default(authority_name, true) }}"
                "　　　　{{ printed_on|default(report_date, true)|cn_date }}印发"])
    return g


ANNUAL_STATISTICS_REPORT_2 = {
    "id": "annual_statistics_report",
    "version": 2,
    "title": "年度行政执法数据统计报告",
    "description": ("年度行政执法数据统计报告（由数据生成）：统计表、统计图（附文字说明）和未能统计的数据及原因"
                    "（000《公示办法》第十六条；003 二(一)1(3)；国办发〔2018〕118号）。"),
    "build": build_annual_statistics_report_2,
    "fields": {
        "authority_name": authority(),
        "doc_number": S("发文字号", required=False, max_length=40, pattern=DOC_NUMBER),
        "year": I("统计年度"),
        "recipients": S("主送机关", max_length=200),
        "introduction": T("导语", max_length=1000),
        "basis": S("依据", max_length=300),
        "statistics": L("统计数据", {
            "category": S("类别", max_length=30),
            "item": S("项目", max_length=100),
            "count": I("数量"),
            "unit": S("单位", max_length=10),
        }),
        "fines_total": M("罚没款合计", required=False),
        "charts": L("统计图", {
            "title": S("图题", max_length=60),
            "chart": {"type": "image", "label": "统计图（PNG）", "width_mm": 150},
        }, required=False, max_items=12),
        "gaps": L("未能统计的数据", {
            "label": S("数据", max_length=60),
            "reason": T("原因", max_length=500),
        }, required=False),
        "report_date": D("报告日期"),
        "disclosure_note": S("公开属性", max_length=30),
        "copies_to": S("抄送机关", required=False, max_length=200),
        "printed_by": S("印发机关（默认执法机关）", required=False, max_length=60),
        "printed_on": D("印发日期（默认报告日期）", required=False),
    },
    "sample": {
        "authority_name": AUTH,
        "doc_number": "陵应急发〔2026〕3号",
        "year": 2025,
        "recipients": "陵川县人民政府、晋城市应急管理局",
        "introduction": "根据行政执法公示制度的规定，现将本局2025年度行政执法总体情况及有关数据报告如下。",
        "basis": "国办发〔2018〕118号",
        "statistics": [
            {"category": "行政处罚案件办理情况", "item": "罚款", "count": 19, "unit": "件"},
            {"category": "行政处罚案件办理情况", "item": "警告", "count": 3, "unit": "件"},
        ],
        "fines_total": "862000",
        "charts": [{"title": "行政处罚案件办理情况",
                    "chart": {"png_base64": SAMPLE_CHART, "alt": "行政处罚案件办理情况：罚款19；警告3"}}],
        "gaps": [{"label": "执法检查计划执行情况",
                  "reason": "记录保管服务不保存执法检查计划：已开展的检查可统计，计划数无处可取"}],
        "report_date": "2026-01-08",
        "disclosure_note": "此件公开发布",
        "printed_on": "2026-01-09",
    },
}


TEMPLATES = [
    PENALTY_DECISION,
    CASE_APPROVAL,
    ONSITE_INSPECTION_RECORD,
    INTERVIEW_RECORD,
    EVIDENCE_PRESERVATION_NOTICE,
    PENALTY_NOTICE,
    HEARING_NOTICE,
    LEGAL_REVIEW_OPINION,
    SERVICE_RECEIPT,
    REMINDER_NOTICE,
    CASE_CLOSING_APPROVAL,
    DECISION_SUMMARY,
    ANNUAL_STATISTICS_REPORT,
    ANNUAL_STATISTICS_REPORT_2,
    RECTIFICATION_ORDER,
    SEIZURE_DECISION,
    STATEMENT_RECORD,
    HEARING_RECORD,
    CASE_FILE_INDEX,
    CORRECTION_ANSWER,
]
