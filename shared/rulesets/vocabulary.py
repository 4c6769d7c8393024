"""The shared code vocabularies of the rule-set format and of the contracts: codes are the
contract between services (records, review, disclosure); labels are the canonical Chinese names.
A rule-set entry may carry its seed's own wording as its label."""
from __future__ import annotations

ACT_TYPES = {  # 004 第三条
    "inspection": "行政检查", "penalty": "行政处罚", "coercion": "行政强制",
    "licence": "行政许可", "confirmation": "行政确认", "registration": "行政登记",
    "levy": "行政征收", "requisition": "行政征用", "charge": "行政收费",
    "benefit": "行政给付", "adjudication": "行政裁决",
}

AV_SITUATIONS = {
    "restrict_liberty": "限制人身自由",
    "seal": "查封场所、设施或者财物",
    "seize": "扣押财物",
    "demolish": "强制拆除",
    "substitute_performance": "代履行",
    "remove_obstruction": "排除妨碍",
    "restore_original_state": "恢复原状",
    "non_cooperation": "当事人或者有关人员不配合执法",
    "life_health_major_property": "直接涉及人身自由、生命健康、重大财产权益的现场执法",
    "onsite_inspection": "现场检查",
    "random_inspection": "随机抽查",
    "evidence_collection": "调查取证",
    "evidence_preservation": "证据保全、先行登记保存",
    "sampling": "抽样取证",
    "interview": "询问",
    "hearing": "听证",
    "coercive_measure": "行政强制",
    "service": "执法文书送达",
    "service_lien": "留置送达",
    "service_public_notice": "公告送达",
    "dispute_prone": "容易引发争议的现场执法",
    "mass_incident": "处置群体性事件、重大突发事件",
    # Added for 000《全过程记录办法》第二十六条第二款 (dispute-prone simple-procedure acts).
    "simple_procedure_dispute_prone": "容易引起行政争议的简易程序执法行为",
    # Added for 000《全过程记录办法》第二十八条 and 004 第四十条 (checking rectification).
    "rectification_check": "责令改正后的改正情况核查",
    # Added for 001 附件2 第八条: whole-case recording "where conditions permit".
    "case_handling": "查处违法行为、处理违法案件",
}

MEASURES = {
    "suspend_production_rectify": "责令停产停业整顿",
    "suspend_production": "责令停产停业",
    "stop_construction": "责令停止建设",
    "stop_work": "责令停止施工",
    "revoke_licence": "吊销许可证件",
    "cancel_qualification": "撤销执业资格或者岗位证书",
    "withdraw_licence": "撤回行政许可",
    "annul_licence": "撤销行政许可",
    # The remaining kinds of 行政处罚法 第九条, so proposals can name them; no seed lists them.
    "warning": "警告",
    "notice_of_criticism": "通报批评",
    "confiscation": "没收违法所得、没收非法财物",
    "reduce_qualification": "降低资质等级",
    "restrict_business": "限制开展生产经营活动",
    "close_order": "责令关闭",
    "restrict_employment": "限制从业",
    "detention": "行政拘留",
}

# 所属领域 (002《法制审核办法》第九条第二款): the fields of enforcement a catalogue item may be
# confined to. A rule set declares others in its `vocabulary` section.
SECTORS = {
    "work_safety": "安全生产", "energy": "能源", "coal_mining": "煤矿安全",
    "natural_resources": "自然资源", "ecology_environment": "生态环境",
    "market_regulation": "市场监管", "transport": "交通运输",
    "housing_construction": "住房城乡建设",
    "agriculture": "农业农村", "culture_tourism": "文化旅游", "health": "卫生健康",
    "urban_management": "城市管理", "comprehensive": "综合行政执法",
}

# 执法层级 (002《法制审核办法》第九条第二款): the level of the body that decides.
ENFORCEMENT_LEVELS = {"province": "省级", "city": "设区的市级", "county": "县级",
                      "township": "乡镇（街道）"}

GROUNDS = {
    "public_interest": "涉及重大公共利益",
    "social_impact_risk": "可能造成重大社会影响或者引发社会风险",
    "major_rights": "直接关系当事人或者第三人重大权益",
    "after_hearing": "经过听证程序作出",
    "complex_legal_relations": "案件情况疑难复杂、涉及多个法律关系",
    "required_by_law": "法律、法规、规章规定应当进行法制审核",
    "other": "其他需要进行法制审核的情形",
}

COERCIVE_EXECUTION_METHODS = {  # 行政强制法 第十二条, 第五十条, 第五十二条
    "late_payment_penalty": "加处罚款或者滞纳金",
    "transfer_deposits": "划拨存款、汇款",
    "dispose_seized": "拍卖或者依法处理查封、扣押的场所、设施或者财物",
    "remove_obstruction": "排除妨碍",
    "restore_original_state": "恢复原状",
    "substitute_performance": "代履行",
    "immediate_substitute_performance": "立即代履行",
    "other": "其他强制执行方式",
}

# licence_action names what a decision does to a licence. On a licence decision (行政许可法
# 第八、六十九、七十条) “revoke” is taken as 撤销, its usual English; in a penalty it can only
# be 吊销许可证件 (行政处罚法 第九条（三）). Either way it counts as the catalogued measure.
LICENCE_ACTIONS = {
    "grant": "准予行政许可", "refuse": "不予行政许可", "change": "变更行政许可",
    "renew": "延续行政许可", "deregister": "注销行政许可", "withdraw": "撤回行政许可",
    "annul": "撤销行政许可", "revoke": "撤销行政许可（行政处罚中为吊销许可证件）",
}
LICENCE_ACTION_MEASURES = {
    ("withdraw", "licence"): "withdraw_licence",
    ("annul", "licence"): "annul_licence",
    ("revoke", "licence"): "annul_licence",
    ("revoke", "penalty"): "revoke_licence",
}

# The codes of the findings a supervisor reads (the record keeper's 004 第五十七条 list and the
# periods): a rule set names the article each is judged under in its `findings` section.
FINDINGS = {
    "record_altered": "执法记录被篡改、删改",
    "emergency_approval_late": "紧急先行启动未在期限内补办审批",
    "emergency_approval_missing": "紧急先行启动结案时仍未补办审批",
    "av_storage_late": "音像记录未在期限内存储",
    "av_missing": "应当音像记录而未记录",
    "release_unapproved": "未经批准对外提供执法记录",
    "records_kept_by_officer": "执法人员自行保存执法记录",
    "execution_without_reminder": "强制执行或者申请法院强制执行前未催告",
    "credentials_not_recorded": "未记录执法人员姓名、证件编号及出示情况",
    "rights_notice_missing": "未记录告知当事人陈述、申辩权利",
    "service_not_recorded": "未记录送达过程",
    "source_result_not_told": "未告知案源提供人执法情况、执法结果",
    "decision_not_on_board_opinion": "决定未依据法制审核意见作出",
    "archive_late": "未在期限内立卷归档",
    "access_refused": "违反程序调阅执法记录",
    "officer_unqualified": "执法记录所列执法人员当日不具备执法资格"
                           "（证件未生效、已过期、已移出清单或执法类别不符）",
    "officer_unknown": "执法记录所列执法人员不在行政执法人员清单中",
    "officer_unverified": "无法核验执法记录所列执法人员的执法资格（行政执法人员清单无法查询）",
}

PARTY_KINDS = {"organisation": "单位", "individual": "个人"}
PROCEDURES = {"simple": "简易程序", "general": "普通程序"}
PERIOD_UNITS = {"workdays": "个工作日", "natural_days": "日（自然日）", "hours": "小时",
                # Only for recurring cycles such as 001 附件2 第五条 “每半年”.
                "months": "个月"}
SERVICE_METHODS = {
    "direct": "直接送达", "lien": "留置送达", "entrusted": "委托送达", "forwarded": "转交送达",
    "post": "邮寄送达", "fax_email": "传真、电子邮件送达", "public_notice": "公告送达",
}
START_MODES = {"ex_officio": "依职权启动", "application": "依申请启动",
               "complaint": "投诉、举报", "referral": "移送案件线索"}
RETENTION_CONDITIONS = {
    "penalty_evidence": "作为行政处罚证据使用",
    "obstruction": "当事人或者现场其他人员阻碍执法、妨碍公务",
    "major_emergency_mass_incident": "处置重大突发事件、群体性事件",
    "major_difficult_complex": "其他重大、疑难、复杂的执法活动",
    "used_as_evidence": "音像资料作为证据使用（制作光盘附卷）",
}
DIGEST_ALGORITHMS = {"sha256": "SHA-256", "sm3": "SM3（GB/T 32905）"}
RETENTION_SUBJECTS = {"av": "音像记录", "case_file": "执法案卷", "text_record": "文字记录"}
MASKED_INFORMATION = {
    "state_secret": "国家秘密", "trade_secret": "商业秘密", "privacy": "个人隐私",
    "informant": "举报人信息", "complainant": "投诉人信息", "third_party": "其他第三人信息",
}
REPORT_RECIPIENTS = {"government": "本级人民政府", "superior": "上级主管部门", "public": "社会公众"}
# the figure groups an annual statistics report may carry (000《公示办法》第十六条 (一)–(三); the
# publisher's own: publications, withheld, corrections, withdrawals, overdue)
ANNUAL_FIGURES = {
    "publications": "行政执法决定信息公示情况", "withheld": "不予公开情况",
    "corrections": "更正申请办理情况", "withdrawals": "撤回情况", "overdue": "逾期公示情况",
    "penalties": "行政处罚案件办理情况", "coercive_measures": "行政强制案件办理情况",
    "inspection_plan": "执法检查计划执行情况", "complaints": "投诉、举报受理和分类办理情况",
}

# How a case may start (the records contract's start_mode): the start modes a rule set describes,
# and "emergency" — an ex-officio start begun first and approved afterwards, which a rule set
# allows under ex_officio.emergency_start (000《全过程记录办法》第十二条; 004 第二十八条第三款).
CASE_START_MODES = ("ex_officio", "emergency", "application", "complaint", "referral")

# The vocabularies a rule set may extend with codes of its own (its `vocabulary` section: a
# new agency's measures, AV situations or fields need no change of code), by the section's key,
# each with the name its entries' codes are checked under.
EXTENSIBLE = {"measures": (MEASURES, "measure"), "av_situations": (AV_SITUATIONS, "AV-situation"),
              "sectors": (SECTORS, "sector")}
