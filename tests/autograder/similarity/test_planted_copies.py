"""Does ``autograder similarity`` find planted copies in a class and leave honest students alone?

The class (``synthetic_class.build_class``): five students who solved hw1's histogram, DMoL and
MADE-mask cells independently and differently (``solutions_written_differently``), and five who
copied one of them and disguised it: renamed variables, reordered functions, changed comments,
added dead code, and all four at once; and one who wrote three warmup cells and copied only the
DMoL cell (renamed). Precision and recall are over (student pair, solution cell) at the default
threshold (printed with ``-s``).
"""
from __future__ import annotations

import csv
import itertools
import json

import pytest
from solutions_written_differently import A, B, C, D, E, F_OWN, INDEPENDENT
from synthetic_class import RELEASE, add_dead_code, build_class, disguise_all, recomment, rename, reorder

from autograder.paths import ASSIGNMENTS_DIR
from autograder.similarity.cli import DEFAULT_MIN_OVERLAP, DEFAULT_THRESHOLD
from autograder.similarity.report import Rule
from autograder.similarity.run import run

PLANTED = {  # copier -> (original, disguise)
    "pat": ("alice", "renamed variables"),
    "quinn": ("dana", "reordered functions"),
    "rosa": ("chen", "changed comments"),
    "sam": ("emil", "added dead code"),
    "tess": ("bruno", "all four disguises"),
    "uma": ("chen", "one cell copied, renamed; the rest her own"),
}


def copiers() -> dict[str, dict]:
    return {
        "pat": rename(A, {"centered": "diff", "inv_stdv": "inv_s", "plus_in": "upper", "min_in": "lower",
                          "cdf_delta": "mass", "rank": "position", "masks": "result", "lo": "floor", "m": "degrees",
                          "rng": "random_state", "log_probs": "lp"}),
        "quinn": reorder(D),
        "rosa": recomment(C),
        "sam": add_dead_code(E),
        "tess": disguise_all(B, {"cdf": "c", "idx": "j", "upper": "hi", "lower": "lo", "log_bin": "lb",
                                 "masks": "ms", "prev": "p", "cur": "now", "log_sub_exp": "diff_of_exps",
                                 "M": "mask", "logz": "normaliser", "picked": "chosen"}),
        "uma": {**F_OWN, **rename({"warmup_dmol": C["warmup_dmol"]}, {"weights": "w", "total": "acc", "xf": "xd"})},
    }


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    build_class(root, {**INDEPENDENT, **copiers()})
    return run(root, "hw1", ASSIGNMENTS_DIR / "hw1", root / "out", threshold=DEFAULT_THRESHOLD,
               min_overlap=DEFAULT_MIN_OVERLAP, top_k=10)


def _pairs(students):
    return {frozenset(p) for p in itertools.combinations(sorted(students), 2)}


def _key(m):
    return (m.notebook, m.cell, frozenset((m.student_a, m.student_b)))


def _truth():
    """(student implementations; planted: (notebook, cell, pair) -> the original student, for every pair whose
    cell comes from the same student's work (two copiers of one original included); every (notebook, cell,
    pair) both students wrote in)."""
    impls = {**INDEPENDENT, **copiers()}
    cells = {c["metadata"]["nbgrader"]["grade_id"]: stem for stem in ("01_warmup", "02_made")
             for c in json.loads((RELEASE / f"{stem}.ipynb").read_text())["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("solution")}

    def origin(who, gid):
        if who in PLANTED and (who != "uma" or gid == "warmup_dmol"):
            return PLANTED[who][0]
        return who
    both = {(cells[gid], gid, frozenset((a, b))) for a, b in itertools.combinations(sorted(impls), 2)
            for gid in cells if gid in impls[a] and gid in impls[b]}
    planted = {(nb, gid, p): origin(min(p), gid) for nb, gid, p in both if len({origin(w, gid) for w in p}) == 1}
    return impls, planted, both


def _code_lines(impl_cell) -> int:
    return sum(1 for ln in "".join(impl_cell[:2]).splitlines() if ln.strip() and not ln.strip().startswith("#"))


def test_planted_copies_found_and_independent_solutions_not_flagged(class_run):
    """Nothing honest is flagged in any cell; every copied notebook of every planted pair is flagged; every
    copied cell of 5 code lines or more is flagged (a copied loss of 1-4 lines is as short as what honest students
    write alike: scored, not flagged, by design)."""
    _, planted, both = _truth()
    flagged = {_key(m) for m in class_run.flagged}
    false = flagged - planted.keys()
    assert not false, f"independent solutions flagged: {sorted((gid, sorted(p)) for _, gid, p in false)}"
    by_notebook = {(nb, p) for nb, _, p in flagged}
    missed_nb = {(nb, p) for nb, _, p in planted} - by_notebook
    assert not missed_nb, f"planted copies not found: {sorted((nb, sorted(p)) for nb, p in missed_nb)}"
    long = {k for k, original in planted.items() if _code_lines(INDEPENDENT[original][k[1]]) >= 5}
    missed = long - flagged
    assert not missed, "copied cells of 5+ lines not found: " + ", ".join(
        f"{gid}: {'/'.join(sorted(p))}" for _, gid, p in sorted(missed, key=str))
    scores = {_key(m): m.score for m in class_run.matches}
    honest = max((s for k, s in scores.items() if k not in planted), default=0.0)
    tp = len(planted.keys() & flagged)
    nb_planted = {(nb, p) for nb, _, p in planted}
    print(f"\nsimilarity at threshold {DEFAULT_THRESHOLD}, min overlap {DEFAULT_MIN_OVERLAP}: per notebook "
          f"precision {len(by_notebook & nb_planted) / max(1, len(by_notebook)):.2f} recall "
          f"{len(by_notebook & nb_planted) / len(nb_planted):.2f} ({len(nb_planted)} planted, "
          f"{len({(nb, p) for nb, _, p in both}) - len(nb_planted)} honest notebook pairs); per cell precision "
          f"{tp / max(1, len(flagged)):.2f} recall {tp / len(planted):.2f} ({tp}/{len(planted)}; cells of 5+ lines "
          f"{len(long & flagged)}/{len(long)}; {len(both) - len(planted)} honest cell pairs); lowest flagged planted "
          f"score {min(scores[k] for k in long):.3f}, highest honest score {honest:.3f}")


def test_every_disguise_alone_is_found(class_run):
    """Each disguise is planted on its own, so a disguise that defeats the detector is named."""
    flagged = {frozenset((m.student_a, m.student_b)) for m in class_run.flagged}
    for copier, (original, disguise) in PLANTED.items():
        assert frozenset((copier, original)) in flagged, f"a copy with {disguise} ({copier} of {original}) was missed"


def test_report_lists_flagged_pairs_first_and_is_identical_on_a_rerun(class_run, tmp_path):
    """Same class, second run: byte-identical CSV; the flagged pairs come first, highest score first."""
    again = run(class_run.csv.parent.parent, "hw1", ASSIGNMENTS_DIR / "hw1", tmp_path, threshold=DEFAULT_THRESHOLD,
                min_overlap=DEFAULT_MIN_OVERLAP, top_k=10)
    assert again.csv.read_bytes() == class_run.csv.read_bytes()
    rows = list(csv.DictReader(class_run.csv.open()))
    flags = [r["flagged"] for r in rows]
    assert flags == sorted(flags, reverse=True) and flags.count("1") == len(class_run.flagged) > 10
    html = class_run.html.read_text()
    assert html.count("<section>") == 10 and "<mark>" in html
    table = html.split("<h2>Flagged pairs of students</h2>")[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 7, "one row per flagged pair of students (5 copiers, uma with chen and rosa)"
    assert "<tr><td>chen</td><td>rosa</td><td>3</td><td>1.00</td>" in table


def test_threshold_and_top_k_options(class_run, tmp_path):
    """--threshold 1.0 flags only pairs that share all of someone's code; --top-k 3 shows three pairs."""
    strict = run(class_run.csv.parent.parent, "hw1", ASSIGNMENTS_DIR / "hw1", tmp_path, threshold=1.0,
                 min_overlap=DEFAULT_MIN_OVERLAP, top_k=3)
    assert strict.flagged and all(m.score >= 1.0 - 1e-9 for m in strict.flagged)
    assert len(strict.flagged) < len(class_run.flagged)
    assert strict.html.read_text().count("<section>") == 3


def test_identical_one_line_solutions_are_not_flagged(tmp_path):
    """Two honest students who wrote only the same obvious one-line loss share 100% of their code, but
    too little of it to mean anything: scored, not flagged (the minimum overlap)."""
    one_liner = {"warmup_dmol_loss": ("", "return -dmol_log_prob(x, *model(x), model.num_values).mean()")}
    build_class(tmp_path, {"ann": one_liner, "ben": one_liner})
    out = run(tmp_path, "hw1", ASSIGNMENTS_DIR / "hw1", tmp_path / "out", threshold=DEFAULT_THRESHOLD,
              min_overlap=DEFAULT_MIN_OVERLAP, top_k=5)
    assert [(m.score, m.overlap < DEFAULT_MIN_OVERLAP) for m in out.matches] == [(1.0, True)]
    assert not out.flagged
    assert Rule(DEFAULT_THRESHOLD, 0).flags(out.matches[0]), "without the minimum overlap it would be flagged"
