"""Movie metadata from Python: a mapping of tag names (ffmpeg's, as in
``-metadata title=...``) to strings; the native writer checks the names and
values and stores them as each format can."""

from __future__ import annotations

import datetime as _dt
import numbers
from collections.abc import Mapping
from typing import Union

from ._errors import InvalidTypeError

Value = Union[str, int, _dt.datetime, _dt.date]
Metadata = Mapping[str, Value]

_ALLOWED = (
    "allowed: a dict of tag names to strings, e.g. {'title': 'Flow', 'artist': 'Lab', "
    "'comment': ..., 'genre': ..., 'subject': ..., 'copyright': ..., 'date': '2024', "
    "'creation_time': '2024-05-17T14:30:00Z' or a datetime}"
)


def _text(key: str, value: object) -> str:
    """A tag's value as the native writer takes it; datetimes in RFC 3339 (UTC)."""
    if isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        # A naive datetime is local time, as datetime.timestamp() takes it.
        utc = value.astimezone(_dt.timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, _dt.date):
        if key == "creation_time":
            return f"{value.isoformat()}T00:00:00Z"
        return value.isoformat()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))  # a year, a track number
    raise InvalidTypeError(
        f"metadata {key!r}: {value!r} ({type(value).__name__}) is not a string; {_ALLOWED}"
    )


def metadata_pairs(metadata: Metadata | None) -> list[tuple[str, str]] | None:
    """``metadata`` as (key, value) pairs in their order, or None for none."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise InvalidTypeError(
            f"metadata {metadata!r} ({type(metadata).__name__}) is not a mapping; {_ALLOWED}"
        )
    pairs = []
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise InvalidTypeError(f"metadata key {key!r} is not a string; {_ALLOWED}")
        pairs.append((key, _text(key, value)))
    return pairs
