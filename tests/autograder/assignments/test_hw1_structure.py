"""Every graded cell of hw1 has a Question with the same id and points, and vice versa."""
import re

import jupytext
import pytest

from autograder.assignments import base
from autograder.paths import solution_sources

POINTS = {"01_warmup": 20, "02_made": 20, "03_pixelcnn": 45, "04_logistic_mixtures": 15}


@pytest.mark.parametrize("source", solution_sources("hw1"), ids=lambda p: p.stem)
def test_questions_match_graded_cells(source):
    """Do the notebook's questions add up to its points, each with a graded cell of the same id and
    points that calls grade_in_notebook, and is every object a question needs exposed?"""
    qs = [q for q in base.questions("hw1") if q.notebook == source.stem]
    assert sum(q.points for q in qs) == POINTS[source.stem]
    nb = jupytext.read(source, fmt="py:percent")
    graded = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(graded) == {q.id for q in qs}
    text = source.read_text()
    # names passed to expose(): literal strings, and f-strings turned into patterns
    exposed = [re.escape(n) for n in re.findall(r'expose\(\s*"([^"]+)"', text)]
    exposed += [re.sub(r"\\\{[^}]*\\\}", r"\\w+", re.escape(n)) for n in re.findall(r'expose\(\s*f"([^"]+)"', text)]
    for q in qs:
        assert graded[q.id].metadata["nbgrader"]["points"] == q.points
        assert f'grade_in_notebook("hw1", "{q.id}")' in graded[q.id].source
        for name in q.needs:
            assert any(re.fullmatch(p, name) for p in exposed), f"{q.id} needs {name!r}, which {source.name} never exposes"


def test_hw1_is_worth_100_points():
    assert sum(q.points for q in base.questions("hw1")) == sum(POINTS.values()) == 100


@pytest.mark.parametrize("source", solution_sources("hw1"), ids=lambda p: p.stem)
def test_no_graded_cell_exposes_anything(source):
    """The sandboxed pipeline never runs graded cells in the student's process, so an
    expose() there would hide the object from it: is every expose() in a non-graded cell?"""
    nb = jupytext.read(source, fmt="py:percent")
    bad = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
           if c.metadata.get("nbgrader", {}).get("grade") and "expose(" in c.source]
    assert not bad, f"move the expose() calls out of graded cells {bad} into a locked cell above them"
