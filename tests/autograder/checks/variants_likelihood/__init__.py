"""Likelihood implementations for the validity suite (issue 10), written for it."""
