"""Release tooling: jupytext sources -> notebooks -> nbgrader student version."""
