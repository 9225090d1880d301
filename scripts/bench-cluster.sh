#!/usr/bin/env bash
# Reproduces the figures of docs/benchmarks.md, "bench cluster": starts the private
# PostgreSQL server of scripts/postgres.sh on loopback, makes a fresh database, runs
# `momd bench cluster` on it with the release build (arguments are passed on, e.g. --json), and
# stops the server afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/opt/swift/usr/bin:$PATH"
[ -x .build/release/momd-server ] || bash scripts/release-build.sh
server="$(bash scripts/postgres.sh start | tail -1)"
trap 'bash scripts/postgres.sh stop' EXIT
database="momd_bench_cluster_$$"
psql -X -q -v ON_ERROR_STOP=1 "$server" -c "CREATE DATABASE $database"
.build/release/momd bench cluster --db "${server%/*}/$database" "$@"
