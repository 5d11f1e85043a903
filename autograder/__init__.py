"""autograder: the instructor side of the autoregressive-models homework kit.

Never installed by students. Holds the trusted reference implementations,
the reference-based and threshold checks, calibration files, the release
tooling and the grading pipeline. Public, solution-free checks live in the
student package ``arkit.checks`` and are re-exported by ``autograder.checks``.
"""

__version__ = "0.1.0"
