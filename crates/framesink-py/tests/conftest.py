"""Shared fixtures for framesink's Python tests.

Helpers live in ``_media.py`` (ffprobe/ffmpeg wrappers, PSNR, smooth content).
ffmpeg is used only to check the movies framesink writes, never to write them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import pytest
from _media import FFMPEG, FFPROBE, path_without
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Few, small examples: each one encodes and decodes a movie. No example
# database, and Hypothesis's own directory (failure patches) in the temporary
# directory: the test run leaves nothing behind in the working tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "framesink-tests-hypothesis")
settings.register_profile(
    "framesink",
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("framesink")


def pytest_configure(config: pytest.Config) -> None:
    for tool in (FFMPEG, FFPROBE):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            raise pytest.UsageError(
                f"{tool} not found: the tests check framesink's movies with ffmpeg/ffprobe"
            )


@pytest.fixture
def ffmpeg_hidden(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    """A context manager: inside it ffmpeg is not on PATH and no subprocess can start.

    ``with ffmpeg_hidden(): anim.save(...)`` proves the save needs no ffmpeg;
    PATH and subprocess are restored on exit, for the checks with ffprobe.
    """

    @contextmanager
    def hide() -> Iterator[None]:
        saved_path = os.environ.get("PATH", "")
        real_popen = subprocess.Popen

        def no_popen(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"a subprocess was started while ffmpeg was hidden: {args!r}")

        with monkeypatch.context() as m:
            m.setenv("PATH", path_without("ffmpeg", "ffprobe"))
            m.setattr(subprocess, "Popen", no_popen)
            assert shutil.which("ffmpeg") is None, "ffmpeg is still on PATH"
            yield
        assert subprocess.Popen is real_popen
        assert os.environ.get("PATH", "") == saved_path

    return hide
