"""Check the template set: every sample validates against its field schema, renders with
jinja2.StrictUndefined and autoescape, and every declared field is used (and nothing
undeclared is). Local stand-ins for the renderer's filters (cn_date, cny_upper, cny,
cn_number) are defined here.

    python templates/_tools/check.py [--out DIR] [template_id ...]

With --out, rendered samples are written to DIR/<id>.docx (for a look in LibreOffice).
Imports docxtpl (and its jinja2), python-docx and the standard library only.
"""

import datetime
import decimal
import os
import re
import sys

import jinja2
from docxtpl import DocxTemplate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from specs import TEMPLATES  # noqa: E402

TEMPLATES_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MONEY = re.compile(r"^\d+(\.\d{1,2})?$")

# ---- filter stand-ins --------------------------------------------------------------------
DIGITS = "零一二三四五六七八九"


def cn_date(value):
    d = datetime.date.fromisoformat(str(value))
    return f"{d.year}年{d.month}月{d.day}日"


def cn_number(n):
    n = int(n)
    if n < 10:
        return DIGITS[n]
    units = ["", "十", "百", "千", "万"]
    s = str(n)
    out = ""
    zero = False
    for i, ch in enumerate(s):
        pos = len(s) - 1 - i
        d = int(ch)
        if d == 0:
            zero = True
            continue
        if zero and out:
            out += "零"
        zero = False
        out += DIGITS[d] + units[pos]
    if out.startswith("一十"):
        out = out[1:]
    return out


def cny(value):
    return f"{decimal.Decimal(str(value)):,.2f}"


def cny_upper(value):
    nums = "零壹贰叁肆伍陆柒捌玖"
    amount = decimal.Decimal(str(value)).quantize(decimal.Decimal("0.01"))
    yuan, frac = divmod(int(amount * 100), 100)
    jiao, fen = divmod(frac, 10)

    def section(n):  # 0..9999
        units = ["", "拾", "佰", "仟"]
        s, zero = "", False
        for pos in range(3, -1, -1):
            d = n // 10 ** pos % 10
            if d == 0:
                zero = bool(s)
                continue
            if zero:
                s += "零"
                zero = False
            s += nums[d] + units[pos]
        return s

    parts, big = [], ["", "万", "亿"]
    i, n, need_zero = 0, yuan, False
    while n:
        sec = n % 10000
        if sec:
            text = section(sec) + big[i]
            if need_zero:
                text += "零"
            parts.insert(0, text)
            need_zero = sec < 1000
        else:
            need_zero = bool(parts)
        n //= 10000
        i += 1
    out = "".join(parts).rstrip("零")
    out = (out + "元") if out else ""
    if jiao == 0 and fen == 0:
        return (out or "零元") + "整"
    if jiao:
        out += nums[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += nums[fen] + "分"
    else:
        out += "整"
    return out


def environment():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    env.filters.update(cn_date=cn_date, cny_upper=cny_upper, cny=cny, cn_number=cn_number)
    return env


# ---- schema validation -----------------------------------------------------------------
def validate(fields, data, path=""):
    errors = []
    for name in data:
        if name not in fields:
            errors.append(f"{path}{name}: not declared")
    for name, spec in fields.items():
        where = f"{path}{name}"
        if name not in data or data[name] is None:
            if spec.get("required", True):
                errors.append(f"{where}: required")
            continue
        v, t = data[name], spec["type"]
        if t in ("string", "text"):
            if not isinstance(v, str):
                errors.append(f"{where}: not a string")
                continue
            if "max_length" in spec and len(v) > spec["max_length"]:
                errors.append(f"{where}: longer than {spec['max_length']}")
            if "pattern" in spec and v and not re.search(spec["pattern"], v):
                errors.append(f"{where}: does not match {spec['pattern']}")
            if "enum" in spec and v not in spec["enum"]:
                errors.append(f"{where}: not in {spec['enum']}")
        elif t == "integer":
            if not isinstance(v, int) or isinstance(v, bool):
                errors.append(f"{where}: not an integer")
        elif t == "boolean":
            if not isinstance(v, bool):
                errors.append(f"{where}: not a boolean")
        elif t == "money":
            if not isinstance(v, str) or not MONEY.match(v):
                errors.append(f"{where}: not a money string")
        elif t == "date":
            try:
                datetime.date.fromisoformat(v)
            except (TypeError, ValueError):
                errors.append(f"{where}: not an ISO date")
        elif t == "object":
            errors += validate(spec["fields"], v, where + ".")
        elif t == "list":
            if not isinstance(v, list):
                errors.append(f"{where}: not a list")
                continue
            for i, item in enumerate(v):
                errors += validate(spec["items"]["fields"], item, f"{where}[{i}].")
        else:
            errors.append(f"{where}: unknown type {t}")
    return errors


# ---- usage tracking ----------------------------------------------------------------------
class Tracked(dict):
    """A dict that records which keys a template read (jinja falls back to item access)."""

    def __init__(self, data, path, seen):
        super().__init__()
        self._path, self._seen = path, seen
        for k, v in data.items():
            super().__setitem__(k, wrap(v, f"{path}{k}", seen))

    def __getitem__(self, key):
        value = super().__getitem__(key)
        self._seen.add(f"{self._path}{key}")
        return value


def wrap(v, path, seen):
    if isinstance(v, dict):
        return Tracked(v, path + ".", seen)
    if isinstance(v, list):
        return [wrap(x, path + "[]", seen) for x in v]
    return v


def declared_paths(fields, path=""):
    out = set()
    for name, spec in fields.items():
        p = f"{path}{name}"
        out.add(p)
        if spec["type"] == "object":
            out |= declared_paths(spec["fields"], p + ".")
        elif spec["type"] == "list":
            out |= declared_paths(spec["items"]["fields"], p + "[].")
    return out


def _sample_has(sample, path):
    """True when the sample gives a non-empty value at path (so the render should read it)."""
    values = [sample]
    for part in path.split("."):
        name, is_list = part.rstrip("[]"), part.endswith("[]")
        nxt = []
        for v in values:
            if isinstance(v, dict) and v.get(name) not in (None, "", [], False):
                nxt.extend(v[name] if is_list else [v[name]])
        values = nxt
    return bool(values)


def check(t, out_dir=None):
    errors = []
    folder = os.path.join(TEMPLATES_DIR, t["id"], "1")
    errors += [f"sample {e}" for e in validate(t["fields"], t["sample"])]
    env = environment()
    tpl = DocxTemplate(os.path.join(folder, "template.docx"))
    top = tpl.get_undeclared_template_variables(env)
    tpl.init_docx()
    xml = tpl.get_xml()
    for name in sorted(top - set(t["fields"])):
        errors.append(f"template uses undeclared {name}")
    seen = set()
    context = {k: wrap(v, k, seen) for k, v in t["sample"].items()}
    tpl.render(context, env, autoescape=True)
    seen |= top
    for p in sorted(declared_paths(t["fields"]) - seen):
        # A field the sample leaves empty may sit in a branch the sample does not take:
        # then it must at least appear in the template's text.
        leaf = re.split(r"[.\]\[]+", p.rstrip("]"))[-1]
        if not re.search(r"\b%s\b" % re.escape(leaf), xml) or _sample_has(t["sample"], p):
            errors.append(f"declared but unused: {p}")
    if out_dir:
        tpl.save(os.path.join(out_dir, f"{t['id']}.docx"))
    return errors


def main(argv):
    out_dir = None
    if "--out" in argv:
        i = argv.index("--out")
        out_dir = argv[i + 1]
        del argv[i:i + 2]
        os.makedirs(out_dir, exist_ok=True)
    wanted = set(argv[1:])
    failed = False
    for t in TEMPLATES:
        if wanted and t["id"] not in wanted:
            continue
        errors = check(t, out_dir)
        print(f"{t['id']}: {'ok' if not errors else 'FAILED'}")
        for e in errors:
            print(f"  {e}")
        failed |= bool(errors)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv)
