"""Similarity benchmark: ``autograder similarity`` on a synthetic class of 300 hw1 submissions.

The class: every student fills the histogram, DMoL and MADE-mask cells with one of the five honest
solutions of ``tests/autograder/similarity`` (drawn at random per cell), renamed and re-commented
at random, some cells left unimplemented. Five sources for 300 students means most pairs share
code: more matches to score and render than a real class (a worst case for the comparison).

Prints wall seconds per stage (intake + extraction, comparison, writing) and, as the baseline in
the same run, copydetect's own driver (``CopyDetector`` with ``same_name_only``) on the same
extracted code written to files. Run: ``.venv/bin/python bench/bench_similarity.py [--n 300] [--quick]``.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "autograder" / "similarity"
LOCALS = ("x", "probs", "logits", "means", "order", "masks", "cdf", "u", "idx", "rank", "lo", "hi", "degs")


def synthetic_class(root: Path, n: int, seed: int = 0) -> Path:
    from solutions_written_differently import INDEPENDENT
    from synthetic_class import build_class, recomment, rename

    rng = random.Random(seed)
    sources = [INDEPENDENT[k] for k in sorted(INDEPENDENT)]
    students = {}
    for i in range(n):
        impl = {gid: rng.choice(sources)[gid] for gid in sources[0] if rng.random() > 0.1}
        names = {v: f"{v}_{rng.randrange(100)}" for v in LOCALS if rng.random() < 0.5 and v not in ("x", "order")}
        impl = rename(impl, names) if names else impl
        students[f"s{i:03d}"] = recomment(impl) if rng.random() < 0.5 else impl
    return build_class(root, students)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=None, help="submissions (default 300, 100 with --quick)")
    p.add_argument("--quick", action="store_true", help="100 submissions")
    args = p.parse_args(argv)
    n = args.n or (100 if args.quick else 300)
    sys.path.insert(0, str(FIXTURE))
    from autograder.paths import ASSIGNMENTS_DIR
    from autograder.similarity.cli import DEFAULT_MIN_OVERLAP, DEFAULT_THRESHOLD
    from autograder.similarity.collect import collect, load_templates
    from autograder.similarity.compare import NOISE_T, compare_cell
    from autograder.similarity.report import Rule, write_csv, write_html
    from autograder.similarity.run import cell_texts

    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        root = synthetic_class(Path(tmp) / "class", n)
        t0 = time.perf_counter()
        templates = load_templates(ASSIGNMENTS_DIR / "hw1")
        codes, notes = collect(root, "hw1", templates)
        t1 = time.perf_counter()
        texts = cell_texts(codes)
        matches = [m for (stem, cell), by in texts.items()
                   for m in compare_cell(stem, cell, by, templates[stem].given)]
        t2 = time.perf_counter()
        rule = Rule(DEFAULT_THRESHOLD, DEFAULT_MIN_OVERLAP)
        out = Path(tmp) / "out"
        out.mkdir()
        write_csv(out / "pairs.csv", matches, rule)
        write_html(out / "report.html", matches, texts, rule, 20, notes, "bench")
        t3 = time.perf_counter()
        ours = t3 - t0

        from copydetect import CopyDetector  # baseline: the library's own driver over the same code as files
        files = Path(tmp) / "files"
        for (stem, cell), by in texts.items():
            for who, text in by.items():
                (files / who).mkdir(parents=True, exist_ok=True)
                (files / who / f"{stem}-{cell}.py").write_text(text)
        t4 = time.perf_counter()
        det = CopyDetector(test_dirs=[str(files)], extensions=["py"], noise_t=NOISE_T, guarantee_t=NOISE_T,
                           same_name_only=True, silent=True, autoopen=False)
        det.run()
        base = time.perf_counter() - t4
    pairs = sum(len(by) * (len(by) - 1) // 2 for by in texts.values())
    flagged = sum(rule.flags(m) for m in matches)
    print(f"{n} submissions, {pairs} cell pairs compared, {len(matches)} share code, {flagged} flagged")
    print(f"ours: {ours:.1f} s total = intake+extraction {t1 - t0:.1f} s + comparison {t2 - t1:.1f} s "
          f"+ CSV/HTML {t3 - t2:.1f} s")
    print(f"baseline copydetect.CopyDetector (same code as files, comparison only): {base:.1f} s")
    print(f"ratio ours / baseline: {ours / base:.2f} (same run, same machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
