"""Trusted likelihoods (instructor-only). Every function returns natural-log values (nats).

* :mod:`.dmol` -- 1D discretized logistic mixture (``dmol_log_prob`` contract), two variants;
* :mod:`.pixelcnnpp` -- PixelCNN++ mixture for 8-bit 1/3-channel images, two variants;
* :mod:`.discrete` -- categorical and Bernoulli;
* :mod:`.logistic` -- the stable log-space bin mass they share.
"""
from autograder.reference.likelihoods.discrete import bernoulli_log_prob, categorical_log_prob
from autograder.reference.likelihoods.dmol import dmol_log_prob, dmol_log_prob_small_mass
from autograder.reference.likelihoods.pixelcnnpp import (
    logistic_mixture_log_prob,
    logistic_mixture_log_prob_per_pixel,
    logistic_mixture_log_prob_small_mass,
)

__all__ = ["bernoulli_log_prob", "categorical_log_prob", "dmol_log_prob", "dmol_log_prob_small_mass",
           "logistic_mixture_log_prob", "logistic_mixture_log_prob_per_pixel",
           "logistic_mixture_log_prob_small_mass"]
