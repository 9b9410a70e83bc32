"""Every page of the built book, opened in headless Chromium with the network cut off.

Run after the book is built (``make test`` does both).  For each page:
no console errors, no request leaves the loopback interface, every image
loads, the math is typeset by MathJax, no reference is left unresolved
(``??``), every image has alt text, and a full-page screenshot is saved
under ``_build/screenshots``.  Every figure is also published as SVG and PNG.
"""

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without these Chromium tries to reach Google's services at start-up.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
               if "_static" not in p.parts and "_sources" not in p.parts) if HTML.exists() else []


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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_page(server, browser, page_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, outside, missing = [], [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)

    def route(request_route):
        host = urlparse(request_route.request.url).hostname
        if host in ("127.0.0.1", "localhost", None):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(f"{server}/{page_path}", wait_until="networkidle")
    has_math = page.evaluate("() => document.querySelectorAll('.math, .MathJax_Preview, span.math').length > 0")
    if has_math:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
    text = page.evaluate("() => document.body.innerText")
    no_alt = page.evaluate("() => Array.from(document.images).filter(i => !(i.getAttribute('alt') || '').trim())"
                           ".map(i => i.getAttribute('src'))")
    broken = page.evaluate("() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                           ".map(i => i.getAttribute('src'))")
    typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / (page_path.replace("/", "__").removesuffix(".html") + ".png")),
                    full_page=True)
    page.close()

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


def test_figures_are_published_as_svg_and_png():
    figures = HTML / "figures"
    svgs = {p.stem for p in figures.glob("*.svg")}
    pngs = {p.stem for p in figures.glob("*.png")}
    assert len(svgs) >= 10, f"expected every figure under {figures}, found {sorted(svgs)}"
    assert svgs == pngs
