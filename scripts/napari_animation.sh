#!/usr/bin/env bash
# napari-animation itself, with framesink as its imageio writer: a venv with
# napari (PyQt5), napari-animation and the wheel in dist/, imageio-ffmpeg
# removed, no ffmpeg on the Python's PATH; napari draws under Xvfb. Then this
# machine's ffprobe/ffmpeg check the MP4 and the GIF, and that the square moves.
#
#   bash scripts/wheel.sh && sudo bash scripts/napari_animation.sh [VENV]
#
# Not part of CI: napari and Qt are some 300 MB and need a display server
# (Xvfb and Qt's xcb libraries, from Debian). Results are in
# bench/results/2026-12-02-wheel.md.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(realpath -m "${1:-target/napari-venv}")
out=$(realpath -m target/napari-out)
shopt -s nullglob
wheels=(dist/framesink-*-cp39-abi3-*manylinux*_x86_64.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "expected one wheel in dist/ (bash scripts/wheel.sh), found ${#wheels[@]}" >&2; exit 1; }

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq xvfb xauth libgl1 libegl1 libgl1-mesa-dri \
  libxkbcommon-x11-0 libxcb-xinerama0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-cursor0 >/dev/null
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "napari[pyqt5]" napari-animation
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "${wheels[0]}"
"$venv/bin/pip" uninstall -q -y imageio-ffmpeg 2>/dev/null || true
"$venv/bin/pip" list 2>/dev/null | grep -iE '^(napari|napari-animation|imageio|pyqt5|vispy|framesink) '

rm -rf "$out"
mkdir -p "$out"
env -i PATH=/usr/bin:/bin HOME="$out/home" xvfb-run -a -s "-screen 0 1280x1024x24" \
  env PATH="$venv/bin" QT_LOGGING_RULES="*.debug=false" \
  "$venv/bin/python" scripts/napari_animate.py "$out" >"$out/log.txt" 2>&1 ||
  { tail -20 "$out/log.txt"; exit 1; }

status=0
for movie in napari.mp4 napari.gif; do
  info=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries \
    stream=codec_name,width,height,r_frame_rate,nb_read_frames -of csv=p=0 "$out/$movie")
  errors=$(ffmpeg -v error -i "$out/$movie" -f null - 2>&1)
  # The square's columns in the first and last frames, from ffmpeg's gray.
  moved=$(python3 - "$out/$movie" <<'PY'
import subprocess, sys
import numpy as np
path = sys.argv[1]
w, h = map(int, subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
    "stream=width,height", "-of", "csv=p=0", path], capture_output=True, text=True, check=True).stdout.split(","))
raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-"],
    capture_output=True, check=True).stdout
frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w)
def left(f):
    cols = np.flatnonzero((f > 128).any(axis=0))
    return int(cols[0]) if cols.size else -1
print(left(frames[0]), left(frames[-1]))
PY
)
  read -r first last <<<"$moved"
  if [ -n "$errors" ] || [ "$(cut -d, -f5 <<<"$info")" != 30 ] || [ "$first" -lt 0 ] || [ "$last" -le "$first" ]; then
    echo "FAIL $movie: $info; square from column $first to $last; $errors"
    status=1
  else
    echo "ok   $movie: $info; the square moves from column $first to $last"
  fi
done
echo "title of napari.mp4: $(ffprobe -v error -show_entries format_tags=title -of default=nw=1:nk=1 "$out/napari.mp4")"
exit $status
