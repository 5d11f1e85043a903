"""Implementations of the likelihood contracts that are wrong in ONE named way (mutants)
or right but written differently (correct variants). Used only by the tests."""
