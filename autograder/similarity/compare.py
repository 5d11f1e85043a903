"""Pairwise similarity of student-written code with ``copydetect`` (MOSS-style k-gram fingerprints).

We call the library's own pieces and nothing else: :class:`copydetect.CodeFingerprint` tokenises
the code with Pygments and replaces every name by ``V``/``F``/``O`` and every string by ``S``
(so renamed variables and changed comments do not hide a copy), hashes its k-grams of
characters of that filtered text, drops the fingerprints of the released notebook's code
(``boilerplate``), and :func:`copydetect.compare_files` finds the shared fingerprints and the
spans of original text they cover.

Parameters (copydetect's own defaults): ``k = 25`` characters of filtered code (noise
threshold: shorter shared runs never count) and winnowing window 1 (guarantee threshold = 25:
every shared run of >= 25 filtered characters is found). A window above 1 keeps fewer
fingerprints, chosen by the smallest hash in each window; copydetect hashes with Python's
``hash()``, which is salted per process unless ``PYTHONHASHSEED`` is set, so with a window above
1 the scores would change from run to run. Window 1 selects every k-gram: scores do not depend on
the salt (up to 64-bit hash collisions).

Unit of comparison: one solution cell (``grade_id``) of one notebook, so a student who copied one
cell and wrote the rest is scored on that cell, not diluted by the rest of the notebook.
Score of a pair (one cell): ``max(similarity_a, similarity_b)``, where ``similarity_a`` is the
fraction of a's fingerprinted code (characters of filtered text covered by k-grams) that also
occurs in b. The max is what survives dead code: padding a copy lowers the copier's fraction,
not the original's.
"""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np

NOISE_T = 25   # k: characters of filtered code (copydetect.defaults.NOISE_THRESHOLD)
WINDOW = 1     # winnowing window (guarantee threshold NOISE_T + WINDOW - 1; see the module docstring)


@dataclass(frozen=True)
class Match:
    """One compared pair in one solution cell (``cell`` = its grade_id) of one notebook.

    score: max(similarity_a, similarity_b), a fraction in [0, 1];
    similarity_a/_b: fraction of a's / b's fingerprinted code shared with the other;
    overlap: characters of filtered code shared (copydetect's token overlap, counted in a);
    spans_a/_b: (start, end) character spans of the shared code in a's / b's compared text.
    """

    notebook: str
    cell: str
    student_a: str
    student_b: str
    score: float
    similarity_a: float
    similarity_b: float
    overlap: int
    spans_a: tuple[tuple[int, int], ...]
    spans_b: tuple[tuple[int, int], ...]

    def sort_key(self):
        """Highest score first; ties broken by notebook, cell and names, so the order is the same every run."""
        return (-round(self.score, 6), -self.overlap, self.notebook, self.cell, self.student_a, self.student_b)


def fingerprint(name: str, code: str, boilerplate: np.ndarray | None = None):
    """copydetect's fingerprint of ``code`` (Python), template fingerprints removed."""
    from copydetect import CodeFingerprint

    return CodeFingerprint(f"{name}.py", NOISE_T, WINDOW, boilerplate=boilerplate, fp=io.StringIO(code),
                           language="python")


@functools.lru_cache(maxsize=8)
def boilerplate_hashes(sources: tuple[str, ...]) -> np.ndarray:
    """Every k-gram fingerprint of the released code (copydetect computes boilerplate with window 1)."""
    hashes: set[int] = set()
    for i, src in enumerate(sources):
        hashes |= fingerprint(f"released{i}", src).hashes
    return np.unique(np.array(sorted(hashes), dtype=np.int64))


def compare_cell(notebook: str, cell: str, codes: dict[str, str], given: tuple[str, ...]) -> list[Match]:
    """Every pair of students (names sorted, a < b) whose code in one cell shares a fingerprint.

    codes: student -> the student-written text of the cell; given: the released notebook's code cells
    (their fingerprints are boilerplate: never a match, wherever a student pasted them).
    """
    from copydetect import compare_files

    boiler = boilerplate_hashes(tuple(given))
    names = sorted(codes)
    fps = {n: fingerprint(f"{n}/{notebook}/{cell}", codes[n], boiler) for n in names}
    names = [n for n in names if fps[n].token_coverage > 0]
    out = []
    for i, a in enumerate(names):
        fa = fps[a]
        for b in names[i + 1:]:
            fb = fps[b]
            if fa.hashes.isdisjoint(fb.hashes):
                continue
            overlap, (sim_a, sim_b), (sl_a, sl_b) = compare_files(fa, fb)
            if overlap <= 0:
                continue
            out.append(Match(notebook, cell, a, b, float(max(sim_a, sim_b)), float(sim_a), float(sim_b),
                             int(overlap), _spans(sl_a), _spans(sl_b)))
    return out


def _spans(slices: np.ndarray) -> tuple[tuple[int, int], ...]:
    if slices.size == 0:
        return ()
    return tuple((int(s), int(e)) for s, e in zip(slices[0], slices[1]))
