"""framesink's exceptions and warnings.

Each error also inherits the builtin a Python user would catch for it:
a bad frame or setting is a ``ValueError``, an I/O failure an ``OSError``.
"""

from __future__ import annotations


class FramesinkError(Exception):
    """Base class of every framesink error."""


class InvalidFrameError(FramesinkError, ValueError):
    """A frame was rejected (shape, dtype, size, values, timestamp)."""


class InvalidConfigError(FramesinkError, ValueError):
    """A setting (fps, quality, ...) is out of range."""


class UnsupportedError(FramesinkError, ValueError):
    """A codec, container or size this build cannot write."""


class EncoderError(FramesinkError, RuntimeError):
    """The encoder failed."""


class FramesinkIOError(FramesinkError, OSError):
    """Writing the movie failed (disk full, bad path, closed file, ...)."""


class FramesinkWarning(UserWarning):
    """Something worth knowing that is not an error (odd size padded, values clipped)."""
