"""Movie metadata from Python (write, Writer, encode, join, render, the
matplotlib writer, the command line), checked with ffprobe: the tags
matplotlib's FFMpegWriter passes as ``-metadata`` show in ``ffprobe
-show_format`` under the same names."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import framesink
import numpy as np
import pytest
from _media import FFPROBE, probe

FRAMES = np.linspace(0, 1, 8 * 32 * 48).reshape(8, 32, 48)

# What matplotlib's writers document (title, artist, genre, subject, copyright,
# srcform, comment), a date, a creation time and non-ASCII text.
TAGS = {
    "title": "Café ☕ flow",
    "artist": "The Lab",
    "comment": "run 17, seed 3",
    "genre": "Science",
    "subject": "vortex shedding",
    "copyright": "© 2026 The Lab",
    "date": "2026",
}


def format_tags(path: Path | str) -> dict[str, str]:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    tags: dict[str, str] = json.loads(out)["format"].get("tags", {})
    return tags


def assert_tags(path: Path | str, expected: dict[str, str]) -> dict[str, str]:
    tags = format_tags(path)
    for key, value in expected.items():
        assert tags.get(key) == value, (key, tags)
    return tags


def test_write_puts_every_tag_where_ffprobe_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "tags.mp4"
    framesink.write(path, FRAMES, metadata={**TAGS, "creation_time": "2024-05-17T14:30:00Z"})
    tags = assert_tags(path, TAGS)
    assert tags["creation_time"] == "2024-05-17T14:30:00.000000Z"
    assert tags["encoder"].startswith("framesink ")
    assert probe(path).frames == len(FRAMES)


def test_without_metadata_the_file_has_no_tags_but_ffprobes_own(tmp_path: Path) -> None:
    path = tmp_path / "plain.mp4"
    framesink.write(path, FRAMES)
    assert set(format_tags(path)) <= {"major_brand", "minor_version", "compatible_brands"}


def test_a_datetime_is_a_creation_time_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "when.mp4"
    when = dt.datetime(2024, 5, 17, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    framesink.write(path, FRAMES, metadata={"creation_time": when})
    assert_tags(path, {"creation_time": "2024-05-17T14:30:00.000000Z"})


def test_writer_encode_and_a_stream_carry_the_tags(tmp_path: Path) -> None:
    path = tmp_path / "writer.mp4"
    with framesink.Writer(path, fps=24, metadata=TAGS) as w:
        for frame in FRAMES:
            w.write(frame)
    assert_tags(path, TAGS)
    data = framesink.encode(FRAMES, metadata={"title": "bytes"})
    (tmp_path / "encoded.mp4").write_bytes(data)
    assert_tags(tmp_path / "encoded.mp4", {"title": "bytes"})


class _Pipe(io.RawIOBase):
    """A sink that cannot seek: framesink writes a fragmented MP4 to it."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.data += bytes(b)
        return len(b)


def test_a_fragmented_mp4_carries_the_tags(tmp_path: Path) -> None:
    pipe = _Pipe()
    framesink.write(pipe, FRAMES, format="mp4", metadata=TAGS)
    path = tmp_path / "fragmented.mp4"
    path.write_bytes(bytes(pipe.data))
    assert b"moof" in pipe.data
    assert_tags(path, TAGS)


def test_av1_carries_the_tags(tmp_path: Path) -> None:
    path = tmp_path / "av1.mp4"
    framesink.write(path, FRAMES, codec="av1", metadata=TAGS)
    assert_tags(path, TAGS)
    assert probe(path).codec_name == "av1"


def test_join_and_render_write_the_tags_they_are_given(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    framesink.write(a, FRAMES, keyframe_interval=4, metadata={"title": "part a"})
    framesink.write(b, FRAMES, keyframe_interval=4, metadata={"title": "part b"})
    joined = tmp_path / "joined.mp4"
    framesink.join(joined, [a, b], metadata={"title": "joined", "artist": "Lab"})
    assert_tags(joined, {"title": "joined", "artist": "Lab"})
    assert probe(joined).frames == 2 * len(FRAMES)

    rendered = tmp_path / "rendered.mp4"
    framesink.render(
        rendered,
        _frame,
        range(16),
        fps=8,
        workers=2,
        keyframe_interval=4,
        segment_frames=8,
        metadata=TAGS,
    )
    assert_tags(rendered, TAGS)
    assert probe(rendered).frames == 16


def _frame(i: int) -> np.ndarray:
    return np.full((32, 48), i / 16)


def test_the_matplotlib_writer_writes_its_metadata(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
    (line,) = ax.plot([0, 1], [0, 1])
    anim = FuncAnimation(fig, lambda i: (line,), frames=4)
    path = tmp_path / "anim.mp4"
    # What a user of FFMpegWriter writes: the same dict, the same tags out.
    anim.save(path, writer="framesink", fps=10, metadata={"title": "Sine", "artist": "Me"})
    plt.close(fig)
    assert_tags(path, {"title": "Sine", "artist": "Me"})


def test_the_command_line_takes_repeated_metadata(tmp_path: Path) -> None:
    path = tmp_path / "cli.mp4"
    raw = np.zeros((4, 16, 16, 3), np.uint8).tobytes()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "framesink",
            "encode",
            str(path),
            "--size",
            "16x16",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "10",
            "--quiet",
            "--metadata",
            "title=a=b",
            "--metadata",
            "comment=x y",
        ],
        input=raw,
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert_tags(path, {"title": "a=b", "comment": "x y"})


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        pytest.param(["title"], ("metadata ['title'] (list) is not a mapping",), id="a list"),
        pytest.param({1: "x"}, ("metadata key 1 is not a string",), id="a number as key"),
        pytest.param({"title": None}, ("metadata 'title': None (NoneType)",), id="None"),
        pytest.param({"creation_time": "yesterday"}, ("creation_time", "yesterday"), id="bad time"),
        pytest.param({"a=b": "x"}, ("a=b",), id="a key with ="),
        pytest.param({"title": "a\x00b"}, ("title",), id="a control character"),
    ],
)
def test_bad_metadata_is_refused_before_anything_is_written(
    tmp_path: Path, metadata: Any, words: tuple[str, ...]
) -> None:
    path = tmp_path / "bad.mp4"
    with pytest.raises(framesink.InvalidConfigError) as info:
        framesink.write(path, FRAMES, metadata=metadata)
    for w in words:
        assert w in str(info.value), str(info.value)
    assert not path.exists()
