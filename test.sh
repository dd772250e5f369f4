#!/usr/bin/env bash
# Runs every ECB test on this machine, installing what a fresh machine lacks.
# CI calls exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")"

echo "== cargo fmt / clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings

echo "== Rust: unit and end-to-end tests (real servers on loopback)"
# The end-to-end tests run the real `ecb` binary too, so build it first.
cargo build --workspace --bins -q
cargo test --workspace
