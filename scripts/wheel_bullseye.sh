#!/usr/bin/env bash
# The wheel in dist/ on an older system than this one: Debian 11 (glibc 2.31,
# CPython 3.9, the oldest Python the abi3 wheel is for), in a chroot made by
# debootstrap, with no Rust, nasm or ffmpeg in it. There it installs the wheel
# with numpy and matplotlib from PyPI (binary wheels only), and runs the three
# examples and test_wheel.py's matplotlib save (MP4, GIF, AV1); the movies are
# then checked here with Debian's ffprobe and ffmpeg.
#
#   bash scripts/wheel.sh && sudo bash scripts/wheel_bullseye.sh [ROOT]
#
# ROOT (default target/bullseye) is made once and kept. Not part of CI: it
# needs root, debootstrap and some minutes of downloads. Results are in
# bench/results/2026-12-02-wheel.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(realpath -m "${1:-target/bullseye}")
[ "$(id -u)" -eq 0 ] || { echo "needs root (chroot, debootstrap)" >&2; exit 1; }

shopt -s nullglob
wheels=(dist/framesink-*-cp39-abi3-*manylinux*_x86_64.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "expected one wheel in dist/ (bash scripts/wheel.sh), found ${#wheels[@]}" >&2; exit 1; }

if [ ! -x "$root/usr/bin/python3" ]; then
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  debootstrap --variant=minbase --include=python3,python3-venv bullseye "$root" http://deb.debian.org/debian
fi
# This machine's certificates (a proxy may sign PyPI's), and /proc for Python.
cp /etc/ssl/certs/ca-certificates.crt "$root/host-ca.crt"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT

work="$root/wheel"
rm -rf "$work"
mkdir -p "$work/out"
cp "${wheels[0]}" examples/*.py "$work/"
python3 -c 'import sys; sys.path.insert(0, "crates/framesink-py/tests"); from test_wheel import SAVE; print(SAVE)' >"$work/out/save.py"

inside() { chroot "$root" env -i PATH=/wheel/venv/bin:/usr/bin:/bin HOME=/wheel/home MPLBACKEND=Agg LC_ALL=C.UTF-8 "$@"; }
echo "== $(inside ldd --version | sed -n 1p); $(inside python3 --version)"
inside python3 -m venv /wheel/venv
inside pip install -q --cert /host-ca.crt --upgrade pip
inside pip install -q --cert /host-ca.crt --only-binary=:all: "/wheel/$(basename "${wheels[0]}")" numpy matplotlib
# From here on no network and nothing but the venv and the base system.
for tool in cargo rustc nasm ffmpeg ffprobe; do
  if inside sh -c "command -v $tool" >/dev/null; then echo "$tool is in the chroot" >&2; exit 1; fi
done
inside python -c "import matplotlib.font_manager" # font cache, once
inside python -c "import sys, numpy, matplotlib; print('numpy', numpy.__version__, 'matplotlib', matplotlib.__version__)"
inside python -X importtime -c "import framesink" 2>&1 | grep -E '\| framesink$'
for script in a_funcanimation b_savefig_loop c_videosink; do
  inside sh -c "cd /wheel/out && python /wheel/$script.py $script.mp4"
done
inside sh -c "cd /wheel/out && python save.py"

# The movies, read by this machine's ffprobe and decoded by its ffmpeg.
status=0
check() { # movie codec W,H,pix_fmt frames (ffprobe's order)
  local got
  got=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries \
    stream=codec_name,width,height,pix_fmt,nb_read_frames -of csv=p=0 "$work/out/$1")
  if [ "$got" != "$2,$3,$4" ] || [ -n "$(ffmpeg -v error -i "$work/out/$1" -f null - 2>&1)" ]; then
    echo "FAIL $1: $got (want $2,$3,$4, decoded without a message)"
    status=1
  else
    echo "ok   $1: $got"
  fi
}
check a_funcanimation.mp4 h264 500,500,yuv420p 300
check b_savefig_loop.mp4 h264 640,480,yuv420p 10
check c_videosink.mp4 h264 320,240,yuv420p 60
check anim.mp4 h264 320,240,yuv420p 48
check anim.gif gif 320,240,bgra 48
check av1.mp4 av1 96,64,yuv420p 12
exit $status
