"""Similarity of student-written code across a class (``autograder similarity``).

Small steps, in this order (:func:`.run.run` enforces it):

1. :mod:`.collect` -- the grader's intake finds every student's notebooks;
2. :mod:`.extract` -- each notebook's solution cells (by ``grade_id`` of the released notebook), minus
   the released template text: what the student typed;
3. :mod:`.compare` -- ``copydetect`` fingerprints and compares every pair, per notebook;
4. :mod:`.report` -- ``pairs.csv`` and ``report.html`` (top pairs side by side).

No fingerprinting is written here: tokenising, hashing and matching are copydetect's.
"""
