"""Trusted reference implementations (instructor-only): likelihoods, masks, models."""
