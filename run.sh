#!/usr/bin/env bash
# Runs the ECB demo: ECB (127.0.0.1:8080), a demo backend, and the demo chat
# page (127.0.0.1:8081). No AWS account, no setup. Extra flags go to `ecb demo`.
set -euo pipefail
cd "$(dirname "$0")"
# The chat page loads the browser bundle of the TypeScript client: build it once.
if [ ! -f clients/js/dist/ecb-client.js ]; then
    if command -v npm >/dev/null 2>&1; then
        (cd clients/js && npm ci --no-audit --no-fund --silent && npm run --silent build)
    else
        echo "run.sh: npm not found; ECB runs, but the chat page needs clients/js built" >&2
    fi
fi
# The same build as ./test.sh's (`--workspace --bins`, one feature set), so
# running after testing starts at once instead of compiling again.
cargo build --workspace --bins --quiet
exec target/debug/ecb demo "$@"
