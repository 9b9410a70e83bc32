"""Every page of the built book, opened in headless Chromium with the network cut off.

Run after the book is built (``make test`` does both); ``OPSD_BOOK_HTML``
names another built HTML directory (default ``_build/html``).  Every page is
opened three ways: on a desktop (1280x900), on a phone (390x844) and on a
desktop in the theme's dark mode.  Each time: no console errors, no request
leaves the loopback interface, every image loads, the math is typeset by
MathJax, no reference is left unresolved (``??``), every image has alt text,
and nothing makes the page scroll sideways: a table, output, code block or
equation wider than the text column must scroll inside its own box, and no
formula, table or figure may be cut off by a box that hides its overflow
(the failure names each element that sticks out, its section and its text).
In dark mode every content image must sit on a light background (or be
opaque), so that Matplotlib's black text stays legible.  A full-page
screenshot of each is saved under ``_build/screenshots`` (``<page>.png``,
``<page>.phone.png``, ``<page>.dark.png``).  Every figure is also published
as SVG and PNG, and every notebook chapter offers its executed notebook
(``.ipynb``, with outputs) in the download menu.
"""

import functools
import http.server
import os
import threading
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("OPSD_BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without these Chromium tries to reach Google's services at start-up.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
               if "_static" not in p.parts and "_sources" not in p.parts) if HTML.exists() else []


def _is_notebook(page_path):
    # A MyST Markdown notebook names its kernel in the front matter of its source.
    source = HTML / "_sources" / page_path.replace(".html", ".md")
    return source.exists() and "\nkernelspec:" in source.read_text(encoding="utf-8").split("\n---", 1)[0]


NOTEBOOKS = [p for p in PAGES if _is_notebook(p)]

# name -> (viewport, colour mode); the screenshot of "desktop" keeps the plain name.
VARIANTS = {
    "desktop": ({"width": 1280, "height": 900}, "light"),
    "phone": ({"width": 390, "height": 844}, "light"),
    "dark": ({"width": 1280, "height": 900}, "dark"),
}

# pydata-sphinx-theme reads the reader's choice from localStorage before the page is drawn.
DARK_MODE = "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"

# Whether the page scrolls sideways, and which elements stick out of the viewport
# or out of the text column without a box of their own that scrolls (or hides) the excess.
LAYOUT = """() => {
  const doc = document.documentElement, width = doc.clientWidth;
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const column = article.getBoundingClientRect();
  const style = el => getComputedStyle(el);
  const right = el => el.getBoundingClientRect().right;
  const scrolls = el => ['auto', 'scroll'].includes(style(el).overflowX);
  const visible = el => { const r = el.getBoundingClientRect(), s = style(el);
                          return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
  // an ancestor (the element included) that scrolls, clips, or is taken out of the page flow
  const contained = (el, stop) => { for (let a = el; a && a !== stop; a = a.parentElement) {
      const s = style(a);
      if (scrolls(a) || s.overflowX === 'hidden' || s.overflowX === 'clip' || s.position === 'fixed') return true; }
    return false; };
  const describe = el => { const r = el.getBoundingClientRect();
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
    const section = el.closest('section[id]');
    return `${name} in #${section ? section.id : '-'} (${Math.round(r.left)}..${Math.round(r.right)} px): ` +
      JSON.stringify((el.tagName === 'MJX-MATH' ? el.closest('mjx-container').textContent
                      : el.innerText || el.getAttribute('src') || '').trim().slice(0, 80)); };
  // outside the viewport: only the outermost element that sticks out, not its descendants
  const outside = Array.from(document.body.querySelectorAll('*')).filter(el =>
    visible(el) && right(el) > width + 1 && right(el.parentElement) <= width + 1 &&
    style(el).position !== 'fixed' && !contained(el.parentElement, document.body));
  // and text that runs past the edge of its own box (a long unbreakable word)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const box = node.parentElement, range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && right(box) <= width + 1 && node.textContent.trim() &&
        !contained(box, document.body) && !outside.includes(box)) outside.push(box);
  }
  // wider than the text column: tables, outputs, code and display math need a scrolling box
  const wide = Array.from(article.querySelectorAll('table, pre, img, mjx-container[display="true"], .output'))
    .filter(visible)
    .filter(el => right(el) > column.right + 1 && !contained(el.parentElement, article));
  // cut off sideways: reaching past the edge of the nearest box that hides its overflow, with no
  // scrolling box in between (a formula, inline or displayed, a table, an output or a figure)
  const clipped = Array.from(article.querySelectorAll('table, pre, img, mjx-math, .output')).filter(visible)
    .filter(el => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const o = style(a).overflowX;
        if (scrolls(a)) return false;
        if (o === 'hidden' || o === 'clip') return right(el) > right(a) + 1; }
      return false; });
  return {scrollWidth: doc.scrollWidth, clientWidth: width, outside: outside.map(describe),
          wide: wide.map(describe), clipped: clipped.map(describe)};
}"""

# Content images whose nearest painted background is dark and that have transparent pixels.
ILLEGIBLE_IN_DARK = """() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const light = el => { for (let a = el; a; a = a.parentElement) {
      const m = getComputedStyle(a).backgroundColor.match(/[\\d.]+/g).map(Number);
      if (m.length === 4 && m[3] < 0.5) continue;  // (nearly) transparent: look further up
      return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255 > 0.8; }
    return false; };
  const opaque = img => { const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] < 255) return false;
    return true; };
  return Array.from(article ? article.querySelectorAll('img') : [])
    .filter(img => !light(img) && !opaque(img)).map(img => img.getAttribute('src'));
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    if not PAGES:
        pytest.fail(f"no built book in {HTML}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


#: Pages open at once: page loads mostly wait (for MathJax, for the network to go idle), so a few in
#: parallel finish the whole visit sooner, also on a machine whose other core is busy.
CONCURRENT = int(os.environ.get("OPSD_BROWSER_PAGES", "4"))


async def _visit(browser, server, page_path, variant) -> dict:
    """Open ``page_path`` as ``variant``, save its screenshot and return what the test checks."""
    viewport, mode = VARIANTS[variant]
    page = await browser.new_page(viewport=viewport)
    if mode == "dark":
        await page.add_init_script(DARK_MODE)
    seen = {"errors": [], "outside": [], "missing": [], "mode": mode}
    page.on("console", lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on("response", lambda response: seen["missing"].append(response.url) if response.status >= 400 else None)

    async def route(request_route):
        host = urlparse(request_route.request.url).hostname
        if host in ("127.0.0.1", "localhost", None):
            await request_route.continue_()
        else:
            seen["outside"].append(request_route.request.url)
            await request_route.abort()

    await page.route("**/*", route)
    await page.goto(f"{server}/{page_path}", wait_until="networkidle")
    seen["has_math"] = await page.evaluate(
        "() => document.querySelectorAll('.math, .MathJax_Preview, span.math').length > 0")
    if seen["has_math"]:
        await page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        await page.evaluate("() => MathJax.startup.promise")
    seen["text"] = await page.evaluate("() => document.body.innerText")
    seen["no_alt"] = await page.evaluate(
        "() => Array.from(document.images).filter(i => !(i.getAttribute('alt') || '').trim())"
        ".map(i => i.getAttribute('src'))")
    seen["broken"] = await page.evaluate(
        "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.getAttribute('src'))")
    seen["typeset"] = await page.evaluate("() => document.querySelectorAll('mjx-container').length")
    seen["layout"] = await page.evaluate(LAYOUT)
    seen["theme"] = await page.evaluate("() => document.documentElement.dataset.theme")
    seen["illegible"] = await page.evaluate(ILLEGIBLE_IN_DARK) if mode == "dark" else []
    name = page_path.replace("/", "__").removesuffix(".html") + ("" if variant == "desktop" else f".{variant}")
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    await page.close()
    return seen


@pytest.fixture(scope="module")
def visits(server, request):
    """Every (page, variant) a selected test asks for, visited CONCURRENT at a time in one Chromium:
    (page, variant) -> what was seen there, or the exception the visit raised."""
    import asyncio

    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async def visit_all():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            gate = asyncio.Semaphore(CONCURRENT)

            async def one(page_path, variant):
                async with gate:
                    try:
                        return (page_path, variant), await _visit(browser, server, page_path, variant)
                    except Exception as error:  # reported by that page's test, not by every test
                        return (page_path, variant), error

            wanted = sorted({(item.callspec.params["page_path"], item.callspec.params["variant"])
                             for item in request.session.items if item.originalname == "test_page"})
            seen = dict(await asyncio.gather(*(one(p, v) for p, v in wanted)))
            await browser.close()
            return seen

    return asyncio.run(visit_all())


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("page_path", PAGES)
def test_page(visits, page_path, variant):
    seen = visits[(page_path, variant)]
    if isinstance(seen, Exception):
        raise seen
    mode, text, layout, has_math = seen["mode"], seen["text"], seen["layout"], seen["has_math"]
    outside, missing, errors = seen["outside"], seen["missing"], seen["errors"]
    broken, no_alt, typeset, theme, illegible = (seen[k] for k in ("broken", "no_alt", "typeset", "theme",
                                                                  "illegible"))

    assert not outside, f"requests left the machine: {outside}"
    assert not missing, f"resources that failed to load: {missing}"
    assert not errors, f"console errors: {errors}"
    assert not broken, f"images that did not load: {broken}"
    assert not no_alt, f"images without alt text: {no_alt}"
    assert "??" not in text, "an unresolved reference (??) is on the page"
    if has_math:
        assert typeset > 0, "the page has math but MathJax typeset none of it"
        for raw in ("$$", "\\(", "\\["):
            assert raw not in text, f"raw TeX delimiter {raw!r} left in the text"
    assert theme == mode, f"the page is drawn in {theme} mode, not {mode}"
    assert layout["scrollWidth"] <= layout["clientWidth"] + 1 and not layout["outside"], (
        f"the page scrolls sideways ({layout['scrollWidth']} px wide in a {layout['clientWidth']} px window); "
        f"sticking out: {layout['outside']}")
    assert not layout["wide"], f"wider than the text column without a scrolling box: {layout['wide']}"
    assert not layout["clipped"], f"cut off at the right edge of a box that hides it: {layout['clipped']}"
    assert not illegible, f"transparent figures on a dark background in dark mode: {illegible}"


def test_figures_are_published_as_svg_and_png():
    figures = HTML / "figures"
    svgs = {p.stem for p in figures.glob("*.svg")}
    pngs = {p.stem for p in figures.glob("*.png")}
    assert len(svgs) >= 10, f"expected every figure under {figures}, found {sorted(svgs)}"
    assert svgs == pngs


@pytest.mark.parametrize("page_path", NOTEBOOKS)
def test_notebook_page_offers_its_executed_notebook(server, page_path):
    import nbformat
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((HTML / page_path).read_text(encoding="utf-8"), "html.parser")
    links = [a["href"] for a in soup.select("a[href]") if a.get_text(strip=True) == ".ipynb"]
    assert len(links) == 1, f"expected one .ipynb download link, found {links}"
    with urllib.request.urlopen(urljoin(f"{server}/{page_path}", links[0])) as response:
        notebook = nbformat.reads(response.read().decode("utf-8"), as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count for cell in code), f"{links[0]} is not the executed notebook"
    assert any(cell.outputs for cell in code), f"{links[0]} has no outputs"
