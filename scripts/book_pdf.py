"""Print the built HTML book to one PDF, in table-of-contents order.

    python scripts/book_pdf.py            # after `make book`; writes _build/pdf/book.pdf

Each page is opened in headless Chromium (Debian's, driven by Playwright),
MathJax is allowed to finish, and the page is printed; the pages are then
joined into one PDF with bookmarks.  No LaTeX is involved: the PDF shows
exactly what the HTML shows, figures and typeset math included.
"""

import sys
import tempfile
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright
from pypdf import PdfWriter

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "pdf" / "book.pdf"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# Print the article only: the navigation sidebars make no sense on paper.
PRINT_CSS = """
.bd-sidebar-primary, .bd-sidebar-secondary, .bd-header, .header-article, .prev-next-area,
.bd-footer, .bd-footer-content, .bd-header-article { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
pre { white-space: pre-wrap !important; word-break: break-word; }
"""


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def main() -> int:
    if not (HTML / "index.html").exists():
        print(f"no built book in {HTML}: run `make book` first", file=sys.stderr)
        return 2
    OUT.parent.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page()
        for number, name in enumerate(toc_pages()):
            page.goto((HTML / f"{name}.html").as_uri(), wait_until="load")
            page.add_style_tag(content=PRINT_CSS)
            page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
            target = Path(tmp) / f"{number:03d}.pdf"
            page.pdf(path=str(target), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"})
            start = len(writer.pages)
            writer.append(str(target))
            writer.add_outline_item(title=page.title().split("—")[0].strip() or name, page_number=start)
        browser.close()
    with OUT.open("wb") as handle:
        writer.write(handle)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(writer.pages)} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
