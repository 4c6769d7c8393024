"""Disclosure publisher (行政执法公示): owns the publications of an agency's enforcement
decisions after the fact (事后公开; 000《公示办法》第十二、十五条, 002《公示办法》第十三、十四条,
004 第十八条): each drafted from the record keeper's decision_issued.v1 or by RPC with the rule
set's summary fields and the 双公示 record, due 7 working days after a licence or penalty
decision and 20 after any other (国办发〔2018〕118号); reviewed before it is published (002
第七条, 004 第十九条), withheld wholly or in part only as a recorded decision on a ground of the
rule set (000 第十三条, 002 第十五条, 004 第十九条); withdrawn within 3 working days when the
decision is changed, revoked, declared illegal or void (行政处罚法 第四十八条). The history of
every publication is kept, and every public act is a leaf of the agency's append-only Merkle
log (RFC 9162) whose tree heads the service signs. A penalty decided from 2026-04-01 is shown
for the window of the class its review gives it (信用修复管理办法: 一般 3 months–1 year, 严重
1–3 years from the decision date; 轻微 never published), taken down the day after the window
ends, or earlier on a recorded 信用修复 once the class's minimum has passed (usecases.windows).
Anyone may ask for a publication to be corrected (000 第十九条, 002 第十八条, 004 第二十一条),
entered by staff or through the portal's form — the one public write path (http,
usecases.submissions) — and is answered in writing with a rendered 更正申请答复书
(usecases.corrections).
The annual statistics report (000《公示办法》第十六条, 003 二(一)1(3); usecases.annual) is compiled
from its own figures and the record keeper's, rendered with its charts and published on the
portal; the supervisor's view lists what 004 第五十七条（一）至（四）names across agencies."""
