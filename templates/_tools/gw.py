"""GB/T 9704-2012 page layout for the Sanxiang 文书 templates, built with python-docx.

Only python-docx and the standard library are used. The official font names stay in the
documents (仿宋_GB2312, 方正小标宋简体, 楷体_GB2312, 黑体, 宋体); the renderer maps them to free
fonts with fontconfig aliases.

Layout (GB/T 9704-2012 5.2, 7.5):
- A4, top margin 37 mm, left 28 mm, text block 156 mm x 225 mm (right 26 mm, bottom 35 mm);
- body 3号 (16 pt) 仿宋, 22 lines x 28 characters: document grid "linesAndChars" with
  linePitch 579 twips (28.95 pt; 22 x 28.95 pt = 224.7 mm) and charSpace -842
  (16 pt - 842/4096 pt = 15.794 pt a character; 28 x 15.794 pt = 156 mm), the section
  grid Word's 公文 templates use. LibreOffice does not compress characters to a grid
  narrower than the font: a 16 pt character takes two 15.8 pt cells, 14 characters a line.
  So the text styles do not snap to the character grid; they carry exact 28.95 pt line
  spacing (22 lines) and character spacing -0.25 pt (28 x 15.75 pt = 441 pt <= 442.2 pt,
  28 characters), which Word and LibreOffice lay out alike;
- title 2号 (22 pt) 方正小标宋简体, centred; level-1 headings 黑体, level-2 楷体_GB2312;
- page number "— 1 —" in 4号 (14 pt) 半角宋体, 7 mm below the text block: odd pages on the
  right and even pages on the left, one character in from the edge of the text block
  (GB/T 9704 7.5: 单页码居右空一字，双页码居左空一字).
"""

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
KAITI = "楷体_GB2312"
HEITI = "黑体"
SONGTI = "宋体"

LINE_PITCH_TWIPS = 579        # 28.95 pt
CHAR_SPACE = -842             # 4096ths of a point added to the 16 pt default character
BODY_PT = 16
TABLE_PT = 14
BODY_CONDENSE = 6         # twentieths of a point: 16 pt - 0.3 pt = 15.7 pt a character


def _set_rfonts(rpr, font):
    """All four font slots to one font; drop theme fonts, which override named ones."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme"):
            del rfonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), font)


def _set_lang(rpr):
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _ppr_flag(ppr, tag, val):
    el = ppr.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        ppr.append(el)
    el.set(qn("w:val"), val)


RED = RGBColor(0xFF, 0x00, 0x00)


def _border(p, side, size, space, color):
    """A line on one side of a paragraph: size in eighths of a point, space in points."""
    ppr = p._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        # pBdr comes right after the keep/page-break flags in pPr's schema order
        anchor = next((el for el in ppr if el.tag in (qn("w:shd"), qn("w:tabs"),
                                                      qn("w:spacing"), qn("w:ind"),
                                                      qn("w:jc"))), None)
        if anchor is None:
            ppr.append(bdr)
        else:
            anchor.addprevious(bdr)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), str(space))
    el.set(qn("w:color"), color)
    bdr.append(el)


class GwDocument:
    """One template document. Paragraph helpers write each text in a single run, so a
    Jinja tag is never split across runs."""

    def __init__(self, title):
        self.doc = Document()
        body = self.doc.element.body
        for p in body.findall(qn("w:p")):
            body.remove(p)
        self._page()
        self._defaults()
        self._styles()
        self._footer()
        cp = self.doc.core_properties
        cp.title = title
        cp.author = "Sanxiang"
        cp.last_modified_by = "Sanxiang"
        cp.comments = "GB/T 9704-2012 layout; docxtpl template"

    # ---- page, grid, footer -------------------------------------------------------------
    def _page(self):
        s = self.doc.sections[0]
        s.page_width, s.page_height = Mm(210), Mm(297)
        s.top_margin, s.bottom_margin = Mm(37), Mm(35)
        s.left_margin, s.right_margin = Mm(28), Mm(26)
        s.header_distance = Mm(15)
        # The number's line (14 pt, about 5 mm) ends 35 - 7 - 5 = 23 mm above the page edge.
        s.footer_distance = Mm(23)
        sect = s._sectPr
        grid = sect.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect.append(grid)
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
        grid.set(qn("w:charSpace"), str(CHAR_SPACE))

    def _defaults(self):
        styles = self.doc.styles.element
        rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_rfonts(rpr, FANGSONG)
        _set_lang(rpr)
        for tag, val in (("w:sz", str(BODY_PT * 2)), ("w:szCs", str(BODY_PT * 2))):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), val)
        self.doc.settings.odd_and_even_pages_header_footer = True

    def _style(self, name, font, size, align=None, exact=None, first_chars=0, right_chars=0,
               left_chars=0, snap=True, bold=False, keep_next=False, space_before=0,
               space_after=0, base="Normal", condense=0):
        st = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH) if name != "Normal" \
            else self.doc.styles["Normal"]
        if name != "Normal":
            st.base_style = self.doc.styles[base]
            st.quick_style = True
        st.font.name = font
        st.font.size = Pt(size)
        st.font.bold = bold
        rpr = st.element.get_or_add_rPr()
        _set_rfonts(rpr, font)
        _set_lang(rpr)
        pf = st.paragraph_format
        if align is not None:
            pf.alignment = align
        if exact:
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = Pt(exact)
        pf.space_before = Pt(space_before)
        pf.space_after = Pt(space_after)
        pf.keep_with_next = keep_next
        pf.widow_control = False
        ppr = st.element.get_or_add_pPr()
        ind = OxmlElement("w:ind")
        # Indents in characters (firstLineChars=200 is two characters) and in twips for
        # programs that ignore the character form.
        char_twips = size * 20
        if first_chars:
            ind.set(qn("w:firstLineChars"), str(first_chars * 100))
            ind.set(qn("w:firstLine"), str(first_chars * char_twips))
        else:
            ind.set(qn("w:firstLineChars"), "0")
            ind.set(qn("w:firstLine"), "0")
        ind.set(qn("w:leftChars"), str(left_chars * 100))
        ind.set(qn("w:left"), str(left_chars * char_twips))
        ind.set(qn("w:rightChars"), str(right_chars * 100))
        ind.set(qn("w:right"), str(right_chars * char_twips))
        ppr.append(ind)
        if not snap:
            _ppr_flag(ppr, "w:snapToGrid", "0")
        if condense:
            sp = OxmlElement("w:spacing")
            sp.set(qn("w:val"), str(-condense))
            rpr.append(sp)
        return st

    def _styles(self):
        J, C, R, L = (WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.CENTER,
                      WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT)
        self._style("Normal", FANGSONG, BODY_PT, align=J, exact=28.95,
                    snap=False, condense=BODY_CONDENSE)
        self._style("公文标题", XIAOBIAOSONG, 22, align=C, exact=35, snap=False,
                    keep_next=True)
        self._style("文号", FANGSONG, BODY_PT, align=R, exact=28.95, keep_next=True,
                    snap=False, condense=BODY_CONDENSE)
        self._style("正文", FANGSONG, BODY_PT, align=J, exact=28.95, first_chars=2,
                    snap=False, condense=BODY_CONDENSE)
        self._style("主送", FANGSONG, BODY_PT, align=J, exact=28.95,
                    snap=False, condense=BODY_CONDENSE)
        self._style("一级标题", HEITI, BODY_PT, align=J, exact=28.95, first_chars=2,
                    keep_next=True,
                    snap=False, condense=BODY_CONDENSE)
        self._style("二级标题", KAITI, BODY_PT, align=J, exact=28.95, first_chars=2,
                    keep_next=True,
                    snap=False, condense=BODY_CONDENSE)
        self._style("落款", FANGSONG, BODY_PT, align=R, exact=28.95, right_chars=4,
                    snap=False, condense=BODY_CONDENSE)
        self._style("附注", FANGSONG, BODY_PT, align=J, exact=28.95, first_chars=2,
                    snap=False, condense=BODY_CONDENSE)
        self._style("表格文字", FANGSONG, TABLE_PT, align=L, exact=21, snap=False)
        self._style("表格居中", FANGSONG, TABLE_PT, align=C, exact=21, snap=False)
        self._style("表格签名", FANGSONG, TABLE_PT, align=R, exact=21, snap=False)
        self._style("表头", HEITI, TABLE_PT, align=C, exact=21, snap=False)
        self._style("页码", SONGTI, 14, exact=20, snap=False)
        self._style("发文机关标志", XIAOBIAOSONG, 36, align=C, exact=48, snap=False,
                    keep_next=True)
        self._style("发文字号", FANGSONG, BODY_PT, align=C, exact=28.95, keep_next=True,
                    snap=False, condense=BODY_CONDENSE)
        self._style("版记", FANGSONG, 14, align=J, exact=28.95, left_chars=1, right_chars=1,
                    snap=False)
        # The table style cells inherit from: its own fonts must not fall back to a theme.
        tg = self.doc.styles["Table Grid"]
        _set_rfonts(tg.element.get_or_add_rPr(), FANGSONG)

    def _page_field(self, p):
        def run(text=None, fld=None, instr=None):
            r = OxmlElement("w:r")
            if fld:
                fc = OxmlElement("w:fldChar")
                fc.set(qn("w:fldCharType"), fld)
                r.append(fc)
            elif instr:
                it = OxmlElement("w:instrText")
                it.set(qn("xml:space"), "preserve")
                it.text = instr
                r.append(it)
            else:
                t = OxmlElement("w:t")
                t.set(qn("xml:space"), "preserve")
                t.text = text
                r.append(t)
            p._p.append(r)
        run("— ")
        run(fld="begin")
        run(instr=" PAGE ")
        run(fld="separate")
        run("1")
        run(fld="end")
        run(" —")

    def _footer(self):
        s = self.doc.sections[0]
        odd = s.footer.paragraphs[0]
        odd.style = self.doc.styles["页码"]
        odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        odd.paragraph_format.right_indent = Pt(14)
        self._page_field(odd)
        even = s.even_page_footer.paragraphs[0]
        even.style = self.doc.styles["页码"]
        even.alignment = WD_ALIGN_PARAGRAPH.LEFT
        even.paragraph_format.left_indent = Pt(14)
        self._page_field(even)

    # ---- paragraphs ---------------------------------------------------------------------
    def para(self, text, style="正文", container=None):
        target = container if container is not None else self.doc
        p = target.add_paragraph(style=self.doc.styles[style])
        if text:
            p.add_run(text)
        return p

    def title(self, text):
        return self.para(text, "公文标题")

    def docno(self, text):
        return self.para(text, "文号")

    def blank(self, n=1):
        for _ in range(n):
            self.para("", "Normal")

    def p(self, text):
        return self.para(text, "正文")

    def np(self, text):
        return self.para(text, "主送")

    def h1(self, text):
        return self.para(text, "一级标题")

    def h2(self, text):
        return self.para(text, "二级标题")

    def tag(self, text):
        """A paragraph holding only a {%p %} tag; docxtpl removes the paragraph."""
        return self.para(text, "Normal")

    def note(self, text):
        """附注, never split over two pages; one right after the 落款 (its date, or blank
        lines after it) goes on the same page as the 落款."""
        for p in reversed(self.doc.paragraphs):
            if p.style.name != "落款" and p.text.strip():
                break
            p.paragraph_format.keep_with_next = True
            if p.style.name == "落款":
                break
        p = self.para(text, "附注")
        p.paragraph_format.keep_together = True
        return p

    def keep_with_body(self):
        """The 落款 never stands alone on a page (GB/T 9704 7.3.5.1 asks the text to be
        adjusted instead): the last paragraph of text keeps with what follows it, with its last
        two lines at least (widow and orphan control), and so do the paragraphs holding only
        a {%p %} tag between them, which docxtpl removes."""
        for p in reversed(self.doc.paragraphs):
            p.paragraph_format.keep_with_next = True
            text = p.text.strip()
            if text and not text.startswith("{%p"):
                p.paragraph_format.widow_control = True
                return

    def signature(self, authority, date, seal=True):
        """署名 and 成文日期 (GB/T 9704 7.3.5.1: 成文日期右空四字), kept on one page with the
        last lines of the text (keep_with_body). The empty lines above the name are where the
        seal goes; the bookmark "seal" marks the place for an e-seal."""
        self.keep_with_body()
        for _ in range(2):
            self.para("", "Normal").paragraph_format.keep_with_next = True
        p = self.para(authority, "落款")
        p.paragraph_format.keep_with_next = True
        if seal:
            start = OxmlElement("w:bookmarkStart")
            start.set(qn("w:id"), "0")
            start.set(qn("w:name"), "seal")
            end = OxmlElement("w:bookmarkEnd")
            end.set(qn("w:id"), "0")
            p._p.insert(1 if p._p.pPr is not None else 0, start)
            p._p.append(end)
        self.para(date, "落款")

    # ---- 版头 and 版记 (GB/T 9704 7.2, 7.4) -------------------------------------------------
    def masthead(self, mark, number):
        """版头: the 发文机关标志 in red 方正小标宋 centred, the 发文字号 two lines below it and
        the red separating line 4 mm under the number, as wide as the text block."""
        p = self.para(mark, "发文机关标志")
        for run in p.runs:
            run.font.color.rgb = RED
        self.blank(2)
        p = self.para(number, "发文字号")
        _border(p, "bottom", size=8, space=11, color="FF0000")
        self.blank()

    def colophon(self, lines):
        """版记 at the end: each line in 4号仿宋 one character in from either side, between a
        thick line above the first and below the last (0.35 mm) and thin lines (0.25 mm)
        between them; kept on one page."""
        for i, text in enumerate(lines):
            p = self.para(text, "版记")
            p.paragraph_format.keep_with_next = i < len(lines) - 1
            _border(p, "top", size=8 if i == 0 else 6, space=1, color="000000")
            if i == len(lines) - 1:
                _border(p, "bottom", size=8, space=1, color="000000")

    # ---- tables -------------------------------------------------------------------------
    def table(self, widths_mm, rows, heights=None):
        """rows: each row is a list of cells, or ("tag", "{%tr ... %}") for a docxtpl row tag.
        A cell is a str (表格文字), or a dict: text (str or list of str / (style, str)),
        span (columns), style, height (mm, minimum row height, on the first cell)."""
        ncols = len(widths_mm)
        t = self.doc.add_table(rows=0, cols=ncols)
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        tblPr = t._tbl.tblPr
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tblPr.append(layout)
        for col, w in zip(t.columns, widths_mm):
            col.width = Mm(w)
        for spec in rows:
            row = t.add_row()
            if isinstance(spec, tuple) and spec[0] == "tag":
                cell = row.cells[0].merge(row.cells[-1]) if ncols > 1 else row.cells[0]
                self._cell_text(cell, spec[1], "表格文字")
                self._widths(row, widths_mm)
                continue
            col = 0
            min_height = None
            for cspec in spec:
                if isinstance(cspec, str):
                    cspec = {"text": cspec}
                span = cspec.get("span", 1)
                cell = row.cells[col]
                if span > 1:
                    cell = cell.merge(row.cells[col + span - 1])
                cell.vertical_alignment = cspec.get("valign", WD_CELL_VERTICAL_ALIGNMENT.CENTER)
                self._cell_text(cell, cspec["text"], cspec.get("style", "表格文字"))
                if cspec.get("height"):
                    min_height = cspec["height"]
                col += span
            assert col == ncols, (spec, col, ncols)
            if min_height:
                row.height = Mm(min_height)
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
            if all(isinstance(c, dict) and c.get("style") == "表头" for c in spec):
                # a heading row is repeated on every page the table runs onto
                trPr = row._tr.get_or_add_trPr()
                hdr = OxmlElement("w:tblHeader")
                trPr.append(hdr)
            self._widths(row, widths_mm)
        return t

    def compact(self, table, size=12, exact=18):
        """A form that must fit one page: its table in 小四 (12 pt) on 18 pt lines."""
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.line_spacing = Pt(exact)
                    for run in p.runs:
                        run.font.size = Pt(size)

    def _widths(self, row, widths_mm):
        # python-docx wants a width on every cell for LibreOffice to honour a fixed layout.
        grid_index = 0
        for tc in row._tr.tc_lst:
            span = tc.grid_span
            w = sum(widths_mm[grid_index:grid_index + span])
            tcPr = tc.get_or_add_tcPr()
            tcW = tcPr.find(qn("w:tcW"))
            if tcW is None:
                tcW = OxmlElement("w:tcW")
                tcPr.insert(0, tcW)
            tcW.set(qn("w:w"), str(int(w * 56.6929)))
            tcW.set(qn("w:type"), "dxa")
            grid_index += span

    def _cell_text(self, cell, text, style):
        items = text if isinstance(text, list) else [text]
        first = True
        for item in items:
            st, tx = item if isinstance(item, tuple) else (style, item)
            if first:
                p = cell.paragraphs[0]
                for r in list(p.runs):
                    r._r.getparent().remove(r._r)
                p.style = self.doc.styles[st]
                if tx:
                    p.add_run(tx)
                first = False
            else:
                self.para(tx, st, container=cell)

    def save(self, path):
        self.doc.save(path)
