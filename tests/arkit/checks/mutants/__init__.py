"""Implementations of the graded contracts, each WRONG in one named way or RIGHT but
written differently. Shared by the tests of the checks (tests/arkit/checks) and of
the hidden checks (tests/autograder/checks). Every module exposes ``WRONG`` and
``RIGHT``: dicts name -> implementation (or model factory)."""
