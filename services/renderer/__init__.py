"""Document renderer (文书生成): owns the template registry (every template id, version and
content hash it has seen, with the bytes) and renders official documents (执法文书) from it to
docx and, through a warm LibreOffice, PDF — the 文书 that 行政处罚法 第五十九条 and 第六十一条
require."""
