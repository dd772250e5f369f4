#!/usr/bin/env bash
# Runs ECB's Lambda functions on this machine the way AWS runs them:
#   dynalite (DynamoDB)  <- functions under `cargo lambda watch` (Lambda)  <- `ecb gateway` (API Gateway)
# with the demo backend behind them. Ctrl-C stops everything.
#
# Point the functions at your own backend or table by exporting ECB_* before
# running it (see the README's configuration table). Arguments go to
# `ecb gateway` (e.g. --idle-timeout-ms 5000 --schedule-every-ms 1000 for a
# quick look at Socket.IO's heartbeat; `ecb gateway --help` lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

backend=${ECB_DEMO_BACKEND:-127.0.0.1:8081}
invoke_port=${ECB_INVOKE_PORT:-9000}
gateway=${ECB_GATEWAY:-127.0.0.1:9001}
dynamo_port=${ECB_DYNALITE_PORT:-4567}

# Tools: cargo-lambda from PyPI and dynalite from npm, installed locally.
venv="$root/.tools/venv"
if ! cargo lambda --version >/dev/null 2>&1; then
    [ -x "$venv/bin/cargo-lambda" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q cargo-lambda; }
    export PATH="$venv/bin:$PATH"
fi
[ -f tests/node/node_modules/dynalite/cli.js ] || (cd tests/node && npm ci --no-audit --no-fund --silent)

# The same builds as ./test.sh and ./run.sh (the whole workspace's feature set),
# so a tree they built has nothing left to build here.
cargo build --workspace --bins -q
(cd functions && cargo build --bins -q)

trap 'trap - EXIT; kill 0' EXIT INT TERM
run() { echo "+ $*" >&2; "$@" & }

run node tests/node/node_modules/dynalite/cli.js --host 127.0.0.1 --port "$dynamo_port" --createTableMs 0
run target/debug/ecb demo --backend-only --backend-listen "$backend"

export ECB_BACKEND_URL=${ECB_BACKEND_URL:-http://$backend}
export ECB_PUBLIC_KEY_FILE=${ECB_PUBLIC_KEY_FILE:-$root/demo/backend/keys/public/demo.pem}
export ECB_TABLE=${ECB_TABLE:-ecb}
export ECB_DYNAMODB_ENDPOINT=${ECB_DYNAMODB_ENDPOINT:-http://127.0.0.1:$dynamo_port}
export ECB_MANAGEMENT_ENDPOINT=${ECB_MANAGEMENT_ENDPOINT:-http://$gateway}
# Asynchronous invocations (a Socket.IO client's open packet) go through the
# gateway, which queues them the way Lambda does.
export ECB_LAMBDA_ENDPOINT=${ECB_LAMBDA_ENDPOINT:-http://$gateway}
# The functions sign their Management API calls with it and the gateway
# refuses any call that is not signed (as API Gateway wants SigV4); a fresh
# one per run unless given.
export ECB_MANAGEMENT_SECRET=${ECB_MANAGEMENT_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
export AWS_REGION=${AWS_REGION:-us-east-1}
(cd functions && run cargo lambda watch --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$invoke_port")
run target/debug/ecb gateway --listen "$gateway" --invoke-url "http://127.0.0.1:$invoke_port" "$@"

cat >&2 <<MSG

ECB on Lambda (locally):
  WebSocket  ws://$gateway/local?token=<userToken>
  Socket.IO  io("http://$gateway", { path: "/local", transports: ["websocket"], auth: { token } })
  REST       http://$gateway/v1/{action}
  userTokens curl -s -X POST http://$gateway/v1/getUserToken -d '{"accessToken":"alice"}'
MSG
wait
