"""``autograder`` command line: one verb per stage, each in its own module.

Usage: ``autograder VERB [args...]`` (``python -m autograder.cli VERB``).
Each verb's module exposes ``main(argv: list[str]) -> int``.
"""
from __future__ import annotations

import importlib
import sys

# verb -> (module, one-line help). Modules are imported lazily so that a
# broken or missing stage never stops the others from running.
VERBS: dict[str, tuple[str, str]] = {
    "demo": ("autograder.demo", "run the main job end to end on bundled data"),
    "release": ("autograder.release.cli", "build notebooks from sources and the nbgrader student release"),
    "grade": ("autograder.grading.cli", "grade a folder of submissions into results, feedback, gradebook"),
    "gradescope": ("autograder.grading.gradescope", "build the Gradescope autograder zip"),
    "calibrate": ("autograder.calibration.cli", "train the reference under a profile and write thresholds"),
    "bench": ("autograder.bench", "run the benchmarks in bench/"),
    "colab": ("autograder.colab", "build Colab-ready solution notebooks without hidden tests"),
    "site": ("autograder.site", "build the static course site offline"),
    "publish": ("autograder.publish", "write the public student repository tree (kit, notebooks, Colab solutions)"),
    "similarity": ("autograder.similarity.cli", "compare students' solution code across a class (copydetect)"),
}


def _usage() -> str:
    lines = ["usage: autograder VERB [args...]", "", "verbs:"]
    lines += [f"  {verb:<11} {text}" for verb, (_, text) in VERBS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    verb, rest = argv[0], argv[1:]
    if verb not in VERBS:
        print(f"autograder: unknown verb {verb!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _ = VERBS[verb]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        print(f"autograder: verb {verb!r} is not available ({exc})", file=sys.stderr)
        return 2
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
