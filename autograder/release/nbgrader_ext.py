"""nbgrader plug-in for the course's ``nbgrader_config.py``: no false tamper warnings.

nbgrader stores a locked test cell in the gradebook *with* its hidden tests (and
the checksum of that text), but releases it *without* them. ``nbgrader autograde``
then compares an untouched submitted cell against the stored text, finds them
different and warns "Attribute 'checksum' for cell ... has changed!" on every
cell with hidden tests (jupyter/nbgrader#1961), which drowns the one warning that
matters: a student who edited a locked cell.

:class:`OverwriteReleasedCells` first recognises a locked cell that equals its
*released* form (the stored source with the hidden-test regions cleared, exactly
as ``ClearHiddenTests`` does) and restores the stored source silently; any other
difference still goes through nbgrader's own check, which warns and restores.

It also makes a graded cell's *public* lines (the checks a student runs before the
hidden region) unable to decide the points during autograde: they run inside a
``try`` that prints their failure, and the hidden ``grade_in_notebook`` below decides,
exactly as the sandboxed pipeline does (it never runs public lines). Without this a
public check that raises would score the cell 0 where the pipeline gives partial
credit. Students' own runs are unchanged: there the public lines raise as written.
"""
from __future__ import annotations

import copy
import textwrap

from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells


HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def guard_public_lines(source: str) -> str:
    """``source`` of a graded cell with its lines before the hidden region wrapped in ``try``.

    A failing public line prints ``public check failed: ...`` on stdout (nbgrader scores any
    cell that writes to stderr 0) and the hidden region runs. Cells without a hidden region
    or without public code are returned unchanged.
    """
    head, sep, tail = source.partition(HIDDEN_BEGIN)
    code = [ln for ln in head.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not sep or not code:
        return source
    return ("try:  # autograde: the public checks print their failure, the hidden test decides the points\n"
            + textwrap.indent(head.rstrip("\n") + "\n", "    ", lambda line: True)
            + "except Exception as _public_exc:\n"
            + "    print(f'public check failed: {type(_public_exc).__name__}: {_public_exc}')\n"
            + sep + tail)


class OverwriteReleasedCells(OverwriteCells):
    """``OverwriteCells`` that treats a locked cell equal to its released text as unmodified."""

    def released_source(self, stored_source: str, cell) -> str:
        """``stored_source`` as ``generate_assignment`` released it (hidden-test regions cleared)."""
        clear = ClearHiddenTests(config=self.config)
        probe = copy.deepcopy(cell)
        probe.source = stored_source
        clear._remove_hidden_test_region(probe)
        return probe.source

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and cell.cell_type == "code":
            try:
                stored = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                stored = None
            if (stored is not None and stored.locked and cell.source != stored.source
                    and cell.source == self.released_source(stored.source, cell)):
                cell.source = stored.source  # the released cell, untouched: put the hidden tests back
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = guard_public_lines(cell.source)
        return cell, resources
