"""Homework 2: beyond masked convolutions. Importing this package registers every question of
the four notebooks (one module per notebook):

=================  ==========================  =====================================================
module             notebook                    topic
=================  ==========================  =====================================================
``sequence``       ``01_sequence_models``      NADE, RNNs over pixels (with/without coordinates), Row LSTM
``wavenet``        ``02_wavenet``              causal dilated convolutions, cached generation
``attention``      ``03_attention``            causal masks, a pixel transformer, KV cache, PixelSNAIL block
``multiscale``     ``04_multiscale_fisher``    parallel multiscale sampling, Fisher-score features
=================  ==========================  =====================================================

Each module may define ``MUTATIONS`` (a tuple of :class:`autograder.examples.Mutation`): its
one-bug example submissions, collected by :func:`mutations`.
"""
import importlib

MODULES = ("sequence", "wavenet", "attention", "multiscale")

for _module in MODULES:
    try:
        importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:  # a notebook's questions not written yet
        if exc.name != f"{__name__}.{_module}":
            raise


def mutations() -> tuple:
    """The one-bug example submissions of every hw2 notebook, in notebook order."""
    found = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        found += list(getattr(module, "MUTATIONS", ()))
    return tuple(found)
