"""The feedback page of a one-bug submission in headless Chromium: it renders offline, its figure
loads, and a screenshot lands in out/screenshots/ (feedback.png, feedback_fix.png) to look at.

Reuses the course-site browser test's Chromium fixture and skip logic
(tests/course_site/test_browser.py: skips with a message when Chromium or playwright is missing).
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from autograder.grading import feedback

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("_site_browser", ROOT / "tests" / "course_site" / "test_browser.py")
_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_site)
browser = _site.browser  # the same module-scoped fixture (skips when Chromium is absent)
SCREENSHOTS = _site.SCREENSHOTS


@pytest.mark.parametrize("level, name", [("cause", "feedback.png"), ("fix", "feedback_fix.png")])
def test_one_bug_feedback_page_screenshot(browser, tmp_path, level, name):
    from feedback_fixture import one_bug_result

    page_html = feedback.render(one_bug_result(), hint_level=level)
    path = tmp_path / "feedback.html"
    path.write_text(page_html)
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    external: list[str] = []

    def guard(route):  # the page must be self-contained: nothing but the file itself loads
        if not route.request.url.startswith(("file://", "data:")):
            external.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    assert not external and not errors
    img = page.locator("article.failed img").first
    assert img.evaluate("i => i.complete && i.naturalWidth > 200"), "the heatmap did not load"
    assert "PixelCNN: autoregressive and live" in (img.get_attribute("alt") or "")
    # summary first: "what to fix first" is above the first question, and visible without scrolling
    box = page.locator("text=What to fix first").bounding_box()
    assert box is not None and box["y"] < 900
    assert page.locator(".hint").count() == (2 if level == "fix" else 0)
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    context.close()
    assert shot.stat().st_size > 10_000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / name)
