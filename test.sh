#!/usr/bin/env bash
# Runs every ECB test on this machine, installing what a fresh machine lacks.
# CI calls exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

need() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
    if [ -z "${apt_updated:-}" ]; then apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

echo "== tools"
# Rust (stable, with rustfmt and clippy) and a C compiler for ring's few C files.
need cc || apt_install build-essential
if ! need cargo; then
    need curl || apt_install curl ca-certificates
    curl -sSf https://sh.rustup.rs | sh -s -- -y -q --profile minimal --component rustfmt,clippy
    . "$HOME/.cargo/env"
fi
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
need node && need npm || apt_install nodejs npm
need chromium || apt_install chromium
# python3 with venv (Debian and Ubuntu ship venv/ensurepip as a separate package).
need python3 && python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3 python3-venv
npm_ci() { (cd "$1" && { [ -d node_modules ] && npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund --silent; }); }
npm_ci tests/node
npm_ci clients/js
npm_ci tests/browser
(cd clients/js && npm run --silent build)
# ecb-backend links ecb-client (file:../js), so it installs after clients/js.
npm_ci clients/backend
(cd clients/backend && npm run --silent build)
# cargo-lambda (the Lambda runtime emulator), cfn-lint and python-socketio
# (a second stock Socket.IO client), in a venv of our own.
venv="$root/.tools/venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
[ -x "$venv/bin/cargo-lambda" ] && [ -x "$venv/bin/cfn-lint" ] && "$venv/bin/python" -c 'import socketio, websocket' 2>/dev/null ||
    "$venv/bin/pip" install -q cargo-lambda cfn-lint 'python-socketio[client]==5.*'
export PATH="$venv/bin:$PATH"
# The SAM CLI, for `sam validate --lint`, in a venv of its own (it pins its own cfn-lint).
sam_venv="$root/.tools/sam"
[ -x "$sam_venv/bin/sam" ] || { python3 -m venv "$sam_venv" && "$sam_venv/bin/pip" install -q aws-sam-cli; }

echo "== SAM template"
cfn-lint template.yaml
SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} "$sam_venv/bin/sam" validate --lint --template template.yaml

echo "== cargo fmt / clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings

echo "== Rust: unit and end-to-end tests (real servers on loopback)"
# The end-to-end tests run the real `ecb` binary and the function binaries
# (cargo lambda runs those from functions/), so build them first.
cargo build --workspace --bins -q
(cd functions && cargo build --bins -q)
cargo test --workspace

echo "== Node: stock socket.io-client, python-socketio and ws against the real ecb binary and the serverless stack"
(cd tests/node && ECB_BIN="$root/target/debug/ecb" node --test --test-concurrency=1 --test-reporter=spec)

echo "== ecb-client (TypeScript) against the real ecb binary, both transports"
(cd clients/js && ECB_BIN="$root/target/debug/ecb" node --test --test-concurrency=1 --test-reporter=spec test/*.test.mjs)

echo "== ecb-backend (the Node backend library): unit tests, and a backend built with it behind the real ecb binary"
(cd clients/backend && ECB_BIN="$root/target/debug/ecb" node --test --test-concurrency=1 --test-reporter=spec test/*.test.mjs)

echo "== The demo chat page in a real browser (chromium)"
(cd tests/browser && ECB_BIN="$root/target/debug/ecb" node --test --test-concurrency=1 --test-reporter=spec chat.test.mjs)
