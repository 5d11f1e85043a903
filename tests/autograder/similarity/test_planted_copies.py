"""Does ``autograder similarity`` find planted copies in a class and leave honest students alone?

The class (``synthetic_class.build_class``): five students who solved hw1's histogram, DMoL and
MADE-mask cells independently and differently (``solutions_written_differently``), and five who
copied one of them and disguised it: renamed variables, reordered functions, changed comments,
added dead code, and all four at once. Precision and recall are over student pairs per notebook
at the default threshold (printed with ``-s``).
"""
from __future__ import annotations

import csv
import itertools

import pytest
from solutions_written_differently import A, B, C, D, E, INDEPENDENT
from synthetic_class import add_dead_code, build_class, disguise_all, recomment, rename, reorder

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
    }


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    build_class(root, {**INDEPENDENT, **copiers()})
    return run(root, "hw1", ASSIGNMENTS_DIR / "hw1", root / "out", threshold=DEFAULT_THRESHOLD,
               min_overlap=DEFAULT_MIN_OVERLAP, top_k=10)


def _pairs(students):
    return {frozenset(p) for p in itertools.combinations(sorted(students), 2)}


def test_planted_copies_found_and_independent_solutions_not_flagged(class_run):
    """Every planted pair is flagged in every notebook it copied; no other pair is flagged anywhere."""
    flagged = {(m.notebook, frozenset((m.student_a, m.student_b))) for m in class_run.flagged}
    planted = {(nb, frozenset((c, o))) for c, (o, _) in PLANTED.items() for nb in ("01_warmup", "02_made")}
    missed = planted - flagged
    assert not missed, "planted copies not found: " + ", ".join(
        f"{nb}: {'/'.join(sorted(p))} ({PLANTED[next(iter(p & PLANTED.keys()))][1]})" for nb, p in sorted(missed, key=str))
    false = flagged - planted
    assert not false, f"independent solutions flagged: {sorted((nb, sorted(p)) for nb, p in false)}"
    students = set(INDEPENDENT) | set(PLANTED)
    negatives = len(_pairs(students)) * 2 - len(planted)
    scores = {(m.notebook, frozenset((m.student_a, m.student_b))): m.score for m in class_run.matches}
    worst_planted = min(scores[p] for p in planted)
    best_honest = max((s for p, s in scores.items() if p not in planted), default=0.0)
    tp = len(planted & flagged)
    print(f"\nsimilarity at threshold {DEFAULT_THRESHOLD}: precision {tp / max(1, len(flagged)):.2f}, recall "
          f"{tp / len(planted):.2f} ({tp} of {len(planted)} planted notebook pairs, {len(false)} false flags among "
          f"{negatives} honest notebook pairs); lowest planted score {worst_planted:.3f}, highest honest score "
          f"{best_honest:.3f}")
    assert worst_planted > DEFAULT_THRESHOLD > best_honest


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
    assert flags == sorted(flags, reverse=True) and flags.count("1") == 10
    html = class_run.html.read_text()
    assert html.count("<section>") == 10 and "<mark>" in html


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
