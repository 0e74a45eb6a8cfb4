#!/usr/bin/env bash
# Installs what building and testing framesink needs on Debian: nasm (OpenH264's
# assembly: without it the encoder builds silently as 3x slower C), ffmpeg
# (the independent decoder the tests check outputs with) and Chromium (the
# browser the playback tests use). Idempotent.
set -euo pipefail
need=()
command -v nasm >/dev/null 2>&1 || need+=(nasm)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
# The playback tests open the movies in Debian's Chromium, headless.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
