#!/usr/bin/env bash
# Sets up, builds the framesink CLI and writes a 10 s 720p demo movie.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -j2 -p framesink-cli
./target/release/framesink demo "${1:-demo.mp4}"
