"""Errors raised by :mod:`arkit.data`; each message names the cause and the fix."""
from __future__ import annotations


class DataError(Exception):
    """Base class of every dataset error."""


class DataNotFoundError(DataError, FileNotFoundError):
    """A data file is in none of the searched places and could not be downloaded."""


class DataChecksumError(DataError, ValueError):
    """A data file (local or downloaded) does not have the published sha256."""


class DataFormatError(DataError, ValueError):
    """A data file has the right name but cannot be parsed (truncated, wrong magic, ...)."""


class SplitNotAvailableError(DataError, ValueError):
    """The requested split is not handed out by ``arkit`` (e.g. the held-out ``"test"`` split)."""
