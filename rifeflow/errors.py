"""Errors a user can act on: each names the file and the reason."""
from __future__ import annotations


class RifeflowError(Exception):
    """Base of rifeflow's own errors; the CLI prints these without a traceback."""


class VideoError(RifeflowError, ValueError):
    """The input is not a video rifeflow can interpolate (a bad video: retrying cannot help)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class OptionError(RifeflowError, ValueError):
    """An option outside what rifeflow supports."""


class WeightsError(RuntimeError):
    """Weights missing, unreadable, or not the file they claim to be."""
