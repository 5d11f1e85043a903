"""Every bad or malicious submission gets a clear message, no inflated score, and
harms neither the grader nor the other students graded in the same run."""
import pytest

from conftest import by_question, grade_cli, read_results
from corpus.cases import CASES
from fixture_assignment.build import SOURCE, student_notebook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, sandbox_ok):
    if not sandbox_ok:
        pytest.skip("the corpus needs root + unshare for bounded fork/memory tests (see sandbox.py)")
    root = tmp_path_factory.mktemp("corpus")
    subs, out = root / "subs", root / "out"
    subs.mkdir()
    for c in CASES:
        if c["raw"] is not None:
            data = c["raw"]
        else:
            fill = lambda s: s.replace("{out}", str(out)).replace("{source}", str(SOURCE))  # noqa: E731
            data = student_notebook({k: fill(v) for k, v in c["replace"].items()}, c["drop"], c["append"])
        (subs / f"{c['name']}_01_basics.ipynb").write_bytes(data)
    assert grade_cli(subs, out, "--workers", "2", "--cell-timeout", "10", "--memory-mb", "2500",
                     "--no-gradebook") == 0
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(corpus_run, case):
    res = read_results(corpus_run, case["name"])
    tests = by_question(res)
    for qid, expect in case["expect"].items():
        t = tests[qid]
        if expect == "pass":
            assert t["status"] == "passed" and t["score"] == t["max_score"], (qid, t["output"])
        else:
            assert t["status"] == "failed" and t["score"] == 0, (qid, t)
            assert expect in t["output"].lower(), (qid, t["output"])
    assert res["score"] <= res["max_score"] == 8.0
    if case["note"]:
        assert case["note"] in res["output"].lower(), res["output"]


def test_fake_results_were_not_written(corpus_run):
    """Could a submission overwrite its own or anyone's results? (It must not.)"""
    assert read_results(corpus_run, "fake_results_json")["score"] < 1000
    assert not (corpus_run / "results.json").exists()
