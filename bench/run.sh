#!/usr/bin/env bash
# ECB's benchmarks in one command: builds ECB, its Lambda functions, the load
# generator and the peers (socketioxide, Socket.IO on Node) in release mode,
# installs what they need, runs every scenario against the three servers and
# writes docs/BENCHMARKS.md (figures, machine, versions, this command).
#
#   bench/run.sh            the whole comparison (10 to 11 minutes of measuring; a cold build adds about 25 minutes on 2 cores, most of it fat LTO linking each binary)
#   bench/run.sh --smoke    a few seconds of tiny load against ECB only (report in target/bench/)
#
# Any other flag goes to `ecb-bench suite` (see `target/release/ecb-bench suite --help`),
# e.g. --skip-lambda, --only ecb,node, --measure-secs 10. BENCH_SERVER_CPUS and
# BENCH_LOAD_CPUS (default 0 and 1) choose the CPUs on a machine of 2 or more.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
command_line="bench/run.sh${*:+ $*}"

smoke=
for arg in "$@"; do
    [ "$arg" = "--smoke" ] && smoke=1
done

need() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
    if [ -z "${apt_updated:-}" ]; then apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# As many open files as this machine lets a process have (idle connections).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"

started=$(date +%s)
echo "== build (release)"
need taskset || apt_install util-linux
need strip || apt_install binutils
if [ -n "$smoke" ]; then
    cargo build --release --locked -q -p ecb-server -p ecb-bench --bins
else
    # ECB and the generator; then the Lambda functions alone, with the
    # feature set of their own that `cargo lambda watch --release` builds
    # (as test.sh builds them in debug), so that the Lambda scenario's first
    # invocation finds them built. Building them within the workspace too
    # would link each twice with another feature set (fat LTO: minutes).
    cargo build --release --locked -q -p ecb-server -p ecb-bench --bins
    (cd functions && cargo build --release --locked -q --bins)
    # The socketioxide peer: its own crate and lock file, outside the
    # workspace, but in the same target directory, where it reuses what it
    # shares with ECB (same versions and features): about 1 min from cold.
    cargo build --release --locked -q \
        --manifest-path bench/peers/socketioxide/Cargo.toml --target-dir "$root/target"
    # The Node peer (socket.io, jsonwebtoken, undici) and dynalite.
    need node && need npm || apt_install nodejs npm
    (cd bench/peers/node && { [ -d node_modules ] && npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund --silent; })
    # cargo-lambda (the Lambda runtime emulator): the test suite's venv, else our own.
    if ! need cargo-lambda; then
        venv="$root/.tools/venv"
        [ -x "$venv/bin/cargo-lambda" ] || venv="$root/target/bench/venv"
        [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
        [ -x "$venv/bin/cargo-lambda" ] || "$venv/bin/pip" install -q cargo-lambda
        export PATH="$venv/bin:$PATH"
    fi
fi
build_seconds=$(( $(date +%s) - started ))
echo "== builds and installs took ${build_seconds} s"

# The servers under test get CPU 0 to themselves; the generator (this
# process), the bench backend and everything else of the suite share CPU 1.
if [ "$(nproc)" -ge 2 ]; then
    server_cpus=${BENCH_SERVER_CPUS:-0}
    load_cpus=${BENCH_LOAD_CPUS:-1}
    pin=(taskset -c "$load_cpus")
else
    server_cpus=none
    load_cpus=none
    pin=()
fi
exec "${pin[@]}" "$root/target/release/ecb-bench" suite --root "$root" \
    --server-cpus "$server_cpus" --load-cpus "$load_cpus" \
    --command "$command_line" --build-seconds "$build_seconds" "$@"
