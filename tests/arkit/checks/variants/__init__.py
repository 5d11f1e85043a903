"""Validity variants (issue 10): implementations written for this suite, not copied.

Each module has ``RIGHT`` (correct designs written differently from the reference: the
check must pass them) and ``WRONG`` (wrong in one named way: the check must fail them
and name the cause). ``tests/arkit/checks/test_validity_variants.py`` runs them.
"""
