"""Inline movies in Jupyter: ``framesink.show(frames, fps=30)``.

The movie is embedded as base64 MP4 in a ``<video>`` tag; above ``max_bytes``
(default 20 MB) it is written next to the notebook instead and linked, so no
frame is ever dropped to make it fit.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from typing import Any

from . import _WRITE_OPTIONS, _args, encode
from ._errors import unexpected_keyword

DEFAULT_MAX_BYTES = 20_000_000


class Movie:
    """An MP4 movie that displays itself in Jupyter."""

    def __init__(self, data: bytes, path: str | None = None, width: int | None = None):
        self.data = data
        self.path = path
        self.width = width

    def _repr_html_(self) -> str:
        width = f' width="{self.width}"' if self.width else ""
        attrs = f"controls autoplay loop muted playsinline{width}"
        if self.path is None:
            b64 = base64.b64encode(self.data).decode("ascii")
            src = f"data:video/mp4;base64,{b64}"
            return f'<video {attrs}><source type="video/mp4" src="{src}"></video>'
        src = html.escape(self.path)
        size = len(self.data) / 1e6
        return (
            f'<video {attrs}><source type="video/mp4" src="{src}"></video>'
            f'<div><a href="{src}" download>{src}</a> ({size:.1f} MB, too large to embed)</div>'
        )

    def __repr__(self) -> str:
        where = self.path or "embedded"
        return f"<framesink.notebook.Movie {len(self.data)} bytes, {where}>"


def show(
    frames: Any,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    directory: str = ".",
    width: int | None = None,
    **options: Any,
) -> Movie:
    """Encodes ``frames`` (see :func:`framesink.write` for options) for inline display."""
    for name in options:
        if name not in _WRITE_OPTIONS:
            raise unexpected_keyword(
                "show", name, (*_WRITE_OPTIONS, "max_bytes", "directory", "width")
            )
    _args.whole(
        "max_bytes",
        max_bytes,
        0,
        allowed="bytes to embed, 0 or more (default 20000000)",
        optional=False,
    )
    if not isinstance(directory, (str, os.PathLike)):
        raise _args.wrong_type(
            "directory",
            directory,
            "a path",
            "a directory (str or os.PathLike) for a movie too large to embed (default '.')",
        )
    _args.whole("width", width, 1, allowed="the player's width in pixels, 1 or more")
    data = encode(frames, **options)
    if len(data) <= max_bytes:
        return Movie(data, width=width)
    name = f"framesink-{hashlib.sha1(data).hexdigest()[:12]}.mp4"
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    return Movie(data, path=os.path.relpath(path) if directory == "." else path, width=width)
