"""The built course site in a real browser (headless Chromium driven by Playwright).

Needs Debian's chromium at /usr/bin/chromium; `make browser-deps` installs it
when run as root (CI does). Without it the test skips and says so.
Screenshots go to out/screenshots/ (home and one notes page).
"""
from __future__ import annotations

import functools
import http.server
import threading
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "out" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_PAGES = 200
ENABLE = "install it with `make browser-deps` as root (apt-get install chromium), then rerun"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def server(built_site):
    """Serve the built html on 127.0.0.1:<free port> in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser test needs {CHROMIUM}: {ENABLE}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test needs the playwright Python package (requirements/pins.txt)")
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except Exception as exc:  # a broken chromium install: say how to fix it
            pytest.skip(f"chromium at {CHROMIUM} does not start ({exc}); {ENABLE}")
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def crawl(server, browser):
    """Visit every page reachable from the home page; collect what each page did."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    external: list[str] = []

    def guard(route):  # the site must work offline: never let a request leave 127.0.0.1
        if urlparse(route.request.url).hostname != "127.0.0.1":
            external.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    seen, queue, files, anchors, ids, images = set(), deque([server + "index.html"]), set(), [], {}, {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
        ids[url] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        images[url] = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth, e.naturalHeight])")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target, fragment = urldefrag(urljoin(url, href))
            if not target.startswith(server):
                continue
            if fragment:
                anchors.append((url, target, fragment))
            if target.endswith(".html") or target.endswith("/"):
                queue.append(target if target.endswith(".html") else target + "index.html")
            else:
                files.add(target)
    result = dict(pages=seen, errors=errors, external=external, files=files, anchors=anchors, ids=ids,
                  images=images, context=context)
    yield result
    context.close()


def test_every_page_loads_without_console_errors(crawl):
    """Do all pages load with no console error, no script error and no request off the machine?"""
    assert len(crawl["pages"]) >= 12
    assert crawl["errors"] == []
    assert crawl["external"] == []


def test_every_internal_link_resolves(crawl, server):
    """Does every internal link (pages, downloads, #anchors) point at something that exists?"""
    broken = []
    for url in sorted(crawl["files"]):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status != 200:
                    broken.append(f"{url}: HTTP {response.status}")
        except urllib.error.URLError as exc:
            broken.append(f"{url}: {exc}")
    for source, target, fragment in crawl["anchors"]:
        if target in crawl["ids"] and fragment not in crawl["ids"][target]:
            broken.append(f"{source} -> {target}#{fragment}: no such anchor")
    assert broken == []
    assert any(f.endswith(".ipynb") for f in crawl["files"]), "no notebook download link was found"


def test_every_image_has_a_size(crawl):
    """Did every image on every page load with a non-zero natural size?"""
    bad = [(page, src) for page, imgs in crawl["images"].items() for src, done, w, h in imgs
           if not (done and w > 0 and h > 0)]
    assert bad == []
    assert sum(len(imgs) for imgs in crawl["images"].values()) >= 7


def test_math_renders_as_native_mathml(crawl, server):
    """Is math laid out by the browser's MathML engine (fractions stacked, no LaTeX fallback)?"""
    page = crawl["context"].new_page()
    page.goto(server + "notes/01_chain_rule.html", wait_until="load")
    facts = page.evaluate("""() => {
        const maths = [...document.querySelectorAll('math')];
        const frac = document.querySelector('math[display="block"] mfrac');
        const [num, den] = frac ? [...frac.children].map(c => c.getBoundingClientRect()) : [null, null];
        return {
            count: maths.length,
            native: maths.every(m => m instanceof MathMLElement),
            sized: maths.every(m => { const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; }),
            stacked: !!frac && num.bottom <= den.top + 1,
            fallbacks: document.querySelectorAll('code.math-fallback').length,
        };
    }""")
    page.close()
    assert facts == {"count": facts["count"], "native": True, "sized": True, "stacked": True, "fallbacks": 0}
    assert facts["count"] >= 10


def test_screenshots_of_home_and_notes(crawl, server):
    """Save full-page screenshots of the home page and the PixelCNN notes under out/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = crawl["context"].new_page()
    for name, path in (("home", "index.html"), ("notes_pixelcnn", "notes/03_pixelcnn.html")):
        page.goto(server + path, wait_until="load")
        target = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
    page.close()
