"""The student-written code of a notebook: its solution cells, minus the text the release gave everyone.

A solution cell is one whose nbgrader metadata says ``solution: true`` in the **released** notebook
(``assignments/<assignment>/<stem>.ipynb``); a student's cell is matched to it by ``grade_id``, so
a reordered or renamed cell still counts and a cell the student added does not. From each such
cell we remove

* every line whose text (stripped of indentation) is a line of the released cell: the signature,
  ``# YOUR CODE HERE``, ``raise NotImplementedError()``, given code;
* docstrings, first (a student who edits one line of a released docstring would otherwise leave
  half a string literal behind, which swallows the code after it when tokenised).

What is left is the text the student typed, in cell order, one block per ``grade_id``.
"""
from __future__ import annotations

import io
import json
import token
import tokenize
from dataclasses import dataclass, field
from pathlib import Path


#: Characters of a solution cell's source read (a solution cell is a few hundred to a few thousand); the
#: rest is cut at a line end, so one pasted megabyte cannot make the class's comparison slow.
MAX_CELL_CHARS = 50_000


class NotebookUnreadable(ValueError):
    """A notebook that is not UTF-8 JSON in the nbformat layout: the message says which."""


@dataclass(frozen=True)
class Template:
    """One released notebook: its solution cells (``grade_id -> released source``, in release order) and
    ``given``, the source of every code cell of the release (what every student has, wherever they paste it)."""

    stem: str
    cells: dict[str, str]
    given: tuple[str, ...] = ()

    def lines(self, grade_id: str) -> frozenset[str]:
        """The released cell's lines, stripped (empty lines left out)."""
        return frozenset(s for s in (ln.strip() for ln in _strip_docstrings(self.cells[grade_id]).splitlines()) if s)


@dataclass
class StudentCode:
    """What one student wrote in one notebook.

    blocks: grade_id -> the student's lines of that cell (template and docstrings removed), release order;
    missing: grade_ids of the release that the notebook does not have (deleted cell or lost metadata);
    cut: grade_ids whose source was longer than :data:`MAX_CELL_CHARS` (only the start is compared).
    """

    stem: str
    blocks: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(code.strip() for code in self.blocks.values())


def load_template(path: Path) -> Template:
    """The solution cells of a released notebook (raises :class:`NotebookUnreadable`)."""
    nb = read_notebook(Path(path).read_bytes(), str(path))
    cells = _solution_cells(nb)
    if not cells:
        raise NotebookUnreadable(f"{path}: the released notebook has no solution cells (nbgrader metadata "
                                 f"solution: true); is it the nbgrader release?")
    given = tuple(_source(c) for c in nb["cells"] if isinstance(c, dict) and c.get("cell_type") == "code")
    return Template(Path(path).stem, {gid: src for gid, src in cells}, given)


def read_notebook(data: bytes, name: str) -> dict:
    """Parse notebook bytes; every failure is a :class:`NotebookUnreadable` naming the cause."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookUnreadable(f"{name}: not UTF-8 text (byte {exc.start}); a notebook is UTF-8 JSON") from None
    if not text.strip():
        raise NotebookUnreadable(f"{name}: the file is empty")
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookUnreadable(f"{name}: not a notebook (broken JSON at line {exc.lineno}, column {exc.colno})") \
            from None
    except RecursionError:
        raise NotebookUnreadable(f"{name}: not a notebook (JSON nested too deeply)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookUnreadable(f"{name}: JSON without a list of cells; not a notebook")
    return nb


def student_code(nb: dict, template: Template) -> StudentCode:
    """The student-written part of each solution cell of ``nb`` (a parsed notebook)."""
    found: dict[str, list[str]] = {}
    for gid, src in _solution_cells(nb, require_solution=False):
        if gid in template.cells:
            found.setdefault(gid, []).append(src)
    out = StudentCode(template.stem)
    for gid in template.cells:
        if gid not in found:
            out.missing.append(gid)
            continue
        released = template.lines(gid)
        source = "\n".join(found[gid])
        if len(source) > MAX_CELL_CHARS:  # cut before any work on it
            source = source[:source.rfind("\n", 0, MAX_CELL_CHARS) + 1 or MAX_CELL_CHARS]
            out.cut.append(gid)
        kept = [ln.rstrip() for ln in _strip_docstrings(source).splitlines()
                if ln.strip() and ln.strip() not in released]
        out.blocks[gid] = "\n".join(kept)
    return out


def _solution_cells(nb: dict, require_solution: bool = True) -> list[tuple[str, str]]:
    """(grade_id, source) of the code cells with nbgrader metadata (solution cells only if asked)."""
    out = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str):
            continue
        if require_solution and not meta.get("solution"):
            continue
        out.append((meta["grade_id"], _source(cell)))
    return out


def _source(cell: dict) -> str:
    """A cell's source as one string (nbformat allows a string or a list of lines; anything else is empty)."""
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _strip_docstrings(src: str) -> str:
    """``src`` without string literals that stand alone as a statement (docstrings), lines kept in place.

    Code that does not tokenise (a syntax error, IPython magics that confuse the tokenizer) is
    returned unchanged.
    """
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return src
    lines = src.splitlines(keepends=True)
    sig = [t for t in toks if t.type not in (token.COMMENT, tokenize.NL)]
    starts = (token.NEWLINE, token.INDENT, token.DEDENT)
    cuts = [(t.start, t.end) for i, t in enumerate(sig)
            if t.type == token.STRING and (i == 0 or sig[i - 1].type in starts)
            and i + 1 < len(sig) and sig[i + 1].type in (token.NEWLINE, token.ENDMARKER)]
    for (r0, c0), (r1, c1) in reversed(cuts):
        head, tail = lines[r0 - 1][:c0], lines[r1 - 1][c1:]
        lines[r0 - 1:r1] = [head + tail]
    return "".join(lines)
