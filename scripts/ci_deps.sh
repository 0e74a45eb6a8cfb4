#!/usr/bin/env bash
# Installs what the release runners (.github/workflows/wheels.yml) need
# besides Rust and Python: nasm (OpenH264's assembly: without it the encoder
# builds silently as 3x slower C; scripts/wheel.sh refuses that) and ffmpeg
# with ffprobe (the independent decoder scripts/wheel_test.sh verifies the
# movies with). One script for Linux (apt), macOS (Homebrew) and Windows
# (Chocolatey, run from Git Bash), so the workflow stays one line per step.
# Idempotent: installs only what is missing. scripts/setup.sh is the Debian
# development machine's counterpart (it also installs Chromium).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

case "$(uname -s)" in
  Linux)
    need=()
    have nasm || need+=(nasm)
    { have ffmpeg && have ffprobe; } || need+=(ffmpeg)
    if [ ${#need[@]} -gt 0 ]; then
      sudo=""
      [ "$(id -u)" -ne 0 ] && sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    ;;
  Darwin)
    need=()
    have nasm || need+=(nasm)
    { have ffmpeg && have ffprobe; } || need+=(ffmpeg)
    if [ ${#need[@]} -gt 0 ]; then
      # No `brew update` first: the runner image's formulae are recent enough,
      # and updating takes minutes.
      HOMEBREW_NO_AUTO_UPDATE=1 HOMEBREW_NO_INSTALL_CLEANUP=1 brew install "${need[@]}"
    fi
    ;;
  MINGW* | MSYS* | CYGWIN*)
    nasm_dir='C:\Program Files\NASM'
    need=()
    have nasm || [ -x "/c/Program Files/NASM/nasm.exe" ] || need+=(nasm)
    { have ffmpeg && have ffprobe; } || need+=(ffmpeg)
    if [ ${#need[@]} -gt 0 ]; then
      choco install "${need[@]}" -y --no-progress
    fi
    # Chocolatey's nasm package does not put nasm on PATH (ffmpeg's gets a
    # shim in Chocolatey's bin, which is on PATH). $GITHUB_PATH takes effect
    # from the next step on; this step's own check uses the full path.
    if [ -n "${GITHUB_PATH:-}" ]; then
      echo "$nasm_dir" >>"$GITHUB_PATH"
    else
      echo "not on GitHub Actions: add $nasm_dir to PATH yourself" >&2
    fi
    export PATH="/c/Program Files/NASM:$PATH"
    ;;
  *)
    echo "ci_deps.sh: unsupported system $(uname -s)" >&2
    exit 1
    ;;
esac

# Fail here, by name, rather than in the middle of a build or a test.
for tool in nasm ffmpeg ffprobe; do
  if ! have "$tool"; then
    echo "ci_deps.sh: $tool is still not on PATH after the install" >&2
    exit 1
  fi
done
nasm -v
ffmpeg -hide_banner -version | sed -n 1p # sed reads it all: no SIGPIPE
