"""`sanxiang templates list|lint|preview`: the template maintainer's tools. They read the
templates folder (templates/<id>/<version>/), the same one the renderer polls, so what lints
and previews here is what the service registers once the files are in place."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from services.renderer.library import default_root

    parser = subparsers.add_parser("templates", help="list, lint and preview document templates")
    sub = parser.add_subparsers(dest="templates_command", metavar="ACTION")
    common = {"type": Path, "default": Path(os.environ.get("SANXIANG_TEMPLATES") or default_root()),
              "help": "templates folder (default: $SANXIANG_TEMPLATES or the shipped templates/)"}
    p = sub.add_parser("list", help="ids, versions and Chinese titles")
    p.add_argument("--dir", **common)
    p.set_defaults(func=run_list)
    p = sub.add_parser("lint", help="check manifests, variables, split tags and a sample render; "
                                    "exit 1 naming each file and problem")
    p.add_argument("template_id", nargs="?", metavar="ID")
    p.add_argument("--dir", **common)
    p.set_defaults(func=run_lint)
    p = sub.add_parser("preview", help="render the sample data to docx, PDF and a PNG of page 1")
    p.add_argument("template_id", metavar="ID")
    p.add_argument("--version", type=int, help="version folder (default: the highest)")
    p.add_argument("--out", type=Path, default=Path("preview"),
                   help="output folder (default ./preview)")
    p.add_argument("--dir", **common)
    p.set_defaults(func=run_preview)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_list(args: argparse.Namespace) -> int:
    from services.renderer.library import scan
    folders = scan(args.dir)
    if not folders:
        print(f"no templates under {args.dir}", file=sys.stderr)
        return 1
    width = max(len(f.template_id) for f in folders)
    for f in folders:
        title = f.template.title if f.template else "(unreadable: run `sanxiang templates lint`)"
        print(f"{f.template_id.ljust(width)}  v{f.version}  {title}")
    return 0


def run_lint(args: argparse.Namespace) -> int:
    from services.renderer.library import scan
    from services.renderer.lint import lint_folder
    folders = scan(args.dir, args.template_id)
    if not folders:
        what = f"template {args.template_id!r}" if args.template_id else "templates"
        print(f"no {what} under {args.dir}", file=sys.stderr)
        return 1
    problems = 0
    for folder in folders:
        errs, warns = lint_folder(folder, args.dir.name)
        for line in warns:
            print(f"warning: {line}")
        for line in errs:
            print(line)
        problems += len(errs)
    print(f"{len(folders)} template version(s) checked, {problems} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def run_preview(args: argparse.Namespace) -> int:
    from services.renderer import fields
    from services.renderer.domain import stamp_for
    from services.renderer.library import scan
    from services.renderer.pdf import LocalUnoserver, PdfUnavailable, UnoserverClient
    from services.renderer.rendering import render_docx
    found = [f for f in scan(args.dir, args.template_id)
             if args.version is None or f.version == args.version]
    if not found:
        print(f"no template {args.template_id!r}"
              f"{f' version {args.version}' if args.version else ''} under {args.dir}",
              file=sys.stderr)
        return 1
    folder = found[-1]
    if folder.template is None:
        print("\n".join(folder.problems), file=sys.stderr)
        return 1
    t = folder.template
    data = fields.validate(t.fields, t.sample)
    docx = render_docx(t.docx, data, stamp_for(t, data))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{t.template_id}-v{t.version}"
    docx_path = stem.with_suffix(".docx")
    docx_path.write_bytes(docx)
    print(f"docx: {docx_path}")
    local = None
    try:
        host = os.environ.get("UNOSERVER_HOST")
        if host:
            client = UnoserverClient(host, int(os.environ.get("UNOSERVER_PORT") or 2003))
        else:
            local = LocalUnoserver().start()
            client = local.wait_ready()
        pdf = client.convert(docx)
    except PdfUnavailable as exc:
        print(f"pdf: not made: {exc}")
        return 0
    finally:
        if local is not None:
            local.stop()
    pdf_path = stem.with_suffix(".pdf")
    pdf_path.write_bytes(pdf)
    print(f"pdf: {pdf_path}")
    png = Path(f"{stem}-page1")
    try:
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf_path), str(png)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"png: not made: pdftoppm (poppler-utils) failed: {exc}")
        return 0
    print(f"png: {png}.png")
    return 0
