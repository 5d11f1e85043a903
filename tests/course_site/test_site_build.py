"""The course site build (no browser): pages, figures, offline assets, no hidden tests."""
from __future__ import annotations

import datetime as dt
import html.parser
import re
from pathlib import Path

import pytest

from autograder import colab, site
from autograder.colab_config import load_config

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["index.html", "schedule.html", "grading.html", "assignments/hw1.html", "solutions/index.html",
         "solutions/hw0/01_tiny.html"] + [f"notes/{name}.html" for name in (
             "01_chain_rule", "02_made", "03_pixelcnn", "04_gated_pixelcnn", "05_logistic_mixtures", "06_sampling")]


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def page_text(path: Path) -> str:
    """Visible text of an HTML page (tags dropped, entities decoded: highlighted code reads as code)."""
    parser = _Text()
    parser.feed(path.read_text())
    return "".join(parser.parts)


def test_every_page_is_built(built_site, record_property):
    """Are all pages there? The build time is recorded (``site_build_s`` in the junit report), not
    asserted: a wall-clock limit in a unit test fails on a loaded shared machine (it did: 69.8 s
    against 60 s while a calibration ran on both cores)."""
    missing = [p for p in PAGES if not (built_site.html / p).is_file()]
    assert missing == []
    record_property("site_build_s", round(built_site.seconds, 1))


def test_figures_come_from_the_build(built_site):
    """Is every generated figure in the output and used by a page?"""
    import importlib.util

    spec = importlib.util.spec_from_file_location("figs", ROOT / "course_site" / "figures.py")
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    html_text = "".join(p.read_text() for p in built_site.html.rglob("*.html"))
    for name in figures.FIGURES:
        assert (built_site.html / "_images" / f"{name}.png").stat().st_size > 1000
        assert f"_images/{name}.png" in html_text, f"no page shows figure {name}"


def test_no_page_contains_hidden_tests(built_site):
    """Does any rendered page (solutions included) show a hidden-test line or import autograder?"""
    hidden = {line for src in built_site.solution_sources for line in colab.hidden_test_lines(src.read_text())}
    assert hidden, "the fixture has hidden tests, so this list cannot be empty"
    for page in built_site.html.rglob("*.html"):
        text = page_text(page)
        assert not [line for line in hidden if line in text], page
        assert not re.search(r"^\s*(?:from|import)\s+autograder\b", text, re.M), page


def test_solution_page_shows_the_solution_and_a_badge(built_site):
    text = (built_site.html / "solutions" / "hw0" / "01_tiny.html").read_text()
    assert "bincount" in text and "BEGIN SOLUTION" not in text
    assert "colab.research.google.com/github/" in text and "colab-badge.svg" in text


def test_assignment_page_links_the_student_notebooks(built_site):
    """Does the homework page offer each student notebook for download, with a Colab badge?"""
    text = (built_site.html / "assignments" / "hw1.html").read_text()
    links = re.findall(r'href="(\.\./_downloads/[^"]+\.ipynb)"', text)
    assert links and all((built_site.html / "assignments" / link).resolve().is_file() for link in links)
    assert "colab.research.google.com/github/" in text


def test_math_is_rendered_to_mathml_without_fallbacks(built_site):
    for page in built_site.html.joinpath("notes").glob("*.html"):
        text = page.read_text()
        assert "<math" in text and "math-fallback" not in text, page


def test_nothing_is_loaded_from_the_network(built_site):
    """Do pages load scripts, styles or images only from the site itself (offline build)?"""
    for page in built_site.html.rglob("*.html"):
        text = page.read_text()
        external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="((?:https?:)?//[^"]+)"', text)
        assert external == [], f"{page}: {external}"
        assert not re.search(r"<script[^>]*mathjax", text, re.I), page


def test_solutions_stay_hidden_before_the_release_date(tmp_path):
    """With solutions switched off, is the date announced and no notebook written?"""
    config = load_config()
    build = site.SiteBuild(source=ROOT / "course_site", build_dir=tmp_path, config=config, show_solutions=False,
                           solution_sources=[ROOT / "tests/autograder/fixtures/colab/hw0/01_tiny.py"],
                           assignments_dir=tmp_path / "none")
    site.add_solutions(build)
    text = (build.staging / "solutions" / "_solutions.md").read_text()
    assert config.solutions_release_date.isoformat() in text
    assert list(build.staging.rglob("*.ipynb")) == []


@pytest.mark.parametrize("env, today, expected", [
    ("1", "2000-01-01", True), ("0", "2999-01-01", False), ("", "2000-01-01", False), ("", "2999-01-01", True)])
def test_show_solutions_follows_env_then_date(monkeypatch, env, today, expected):
    monkeypatch.setenv("SITE_SHOW_SOLUTIONS", env)
    assert load_config().show_solutions(dt.date.fromisoformat(today)) is expected


def test_a_bad_switch_value_is_an_error(monkeypatch):
    monkeypatch.setenv("SITE_SHOW_SOLUTIONS", "maybe")
    with pytest.raises(ValueError, match="use 1 or 0"):
        load_config().show_solutions()


def test_a_rebuild_never_keeps_pages_of_an_earlier_build(tmp_path, monkeypatch):
    """After a build with solutions, does a build without them drop the old solution pages?"""
    import sphinx.cmd.build

    stale = tmp_path / "html" / "solutions" / "hw1" / "01_warmup.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old solution")
    monkeypatch.setattr(sphinx.cmd.build, "build_main", lambda args: 0)  # Sphinx itself is not the point
    build = site.SiteBuild(source=ROOT / "course_site", build_dir=tmp_path, config=load_config(),
                           show_solutions=False, solution_sources=[], assignments_dir=tmp_path / "none")
    assert site.run_sphinx(build) == 0
    assert not stale.exists()


def test_every_install_instruction_is_the_configured_command(built_site):
    """Does every page that tells students to pip install give exactly the configured, pinned command
    (never the unrelated `pip install arkit`), and do the index and homework pages give it?"""
    command = load_config().install_command()
    assert "@main" not in command and "arkit-autoregressive-hw" in command
    showing = set()
    for page in built_site.html.rglob("*.html"):
        text = page_text(page)
        for found in re.findall(r"pip install[^\n]*", text):
            assert found.strip() == command, f"{page.relative_to(built_site.html)}: {found!r}"
            showing.add(str(page.relative_to(built_site.html)))
    assert {"index.html", "assignments/hw1.html"} <= showing
