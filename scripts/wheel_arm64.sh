#!/usr/bin/env bash
# The aarch64 wheel where it runs: an arm64 Debian 12 made by debootstrap and
# run by qemu-user-static, with Debian's python3, python3-venv and ffmpeg
# (arm64 builds) and no Rust, nasm or compiler. Inside, scripts/wheel_test.sh
# installs the wheel into a fresh venv (numpy, matplotlib and the test tools
# from PyPI's aarch64 wheels) and runs the portable pytest files, test_wheel.py
# with its examples among them; ffprobe/ffmpeg inside check every movie.
#
#   bash scripts/wheel.sh aarch64 && sudo bash scripts/wheel_arm64.sh [ROOT] [-- PYTEST ARGS]
#
# ROOT (default target/arm64-bookworm) is made once and kept (about 10 minutes
# cold). Not part of CI: it needs root, binfmt_misc and downloads. Timings
# under qemu mean nothing: quote none. Results: bench/results/2026-12-07-platforms.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(realpath -m "${1:-target/arm64-bookworm}")
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
[ "$(id -u)" -eq 0 ] || {
  echo "needs root (binfmt_misc, debootstrap, chroot)" >&2
  exit 1
}

shopt -s nullglob
wheels=(dist/framesink-*-cp39-abi3-*manylinux_2_17_aarch64.whl)
[ ${#wheels[@]} -eq 1 ] || {
  echo "expected one aarch64 wheel in dist/ (bash scripts/wheel.sh aarch64), found ${#wheels[@]}" >&2
  exit 1
}

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
command -v update-binfmts >/dev/null || missing+=(binfmt-support)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The kernel runs arm64 programs through qemu once binfmt_misc knows it.
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 2>/dev/null || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || {
  echo "binfmt_misc has no qemu-aarch64 entry: arm64 programs cannot run here" >&2
  exit 1
}

if [ ! -x "$root/usr/bin/ffprobe" ]; then
  debootstrap --arch=arm64 --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$root" http://deb.debian.org/debian
  chroot "$root" apt-get update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
fi
# This machine's certificates (a proxy may sign PyPI's), /proc, /sys, /dev
# (the bad-input tests write to read-only kernel files), and the repository
# (its tests and scripts) at /src.
cp /etc/ssl/certs/ca-certificates.crt "$root/host-ca.crt"
mkdir -p "$root/src"
cleanup() { umount "$root/src" "$root/dev" "$root/sys" "$root/proc" 2>/dev/null || true; }
trap cleanup EXIT
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/sys" || mount -t sysfs sysfs "$root/sys"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
mountpoint -q "$root/src" || mount --bind "$(pwd)" "$root/src"

inside() {
  chroot "$root" env -i PATH=/usr/bin:/bin HOME=/tmp/home LC_ALL=C.UTF-8 \
    PIP_CERT=/host-ca.crt TMPDIR=/tmp "$@"
}
echo "== $(inside uname -m); $(inside ldd --version | sed -n 1p); $(inside python3 --version)"
echo "== $(inside ffmpeg -hide_banner -version | sed -n 1p)"
for tool in cargo rustc nasm cc gcc; do
  if inside sh -c "command -v $tool" >/dev/null; then
    echo "$tool is in the chroot" >&2
    exit 1
  fi
done
inside bash /src/scripts/wheel_test.sh "/src/${wheels[0]}" "$@"
