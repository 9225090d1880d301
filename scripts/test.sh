#!/usr/bin/env bash
# The test suite: starts the private PostgreSQL server the store's contract tests and the
# cluster tests use (scripts/postgres.sh, on loopback), runs `swift test` with its URL in
# MOMD_TEST_POSTGRES (and the CA of its TLS certificate in MOMD_TEST_POSTGRES_CA), and stops the server afterwards, whatever the outcome. Arguments go to
# `swift test` (e.g. --filter ClusterTests).
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/opt/swift/usr/bin:$PATH"
MOMD_TEST_POSTGRES="$(bash scripts/postgres.sh start | tail -1)"
MOMD_TEST_POSTGRES_CA="$(bash scripts/postgres.sh ca)"
export MOMD_TEST_POSTGRES MOMD_TEST_POSTGRES_CA
trap 'bash scripts/postgres.sh stop' EXIT
swift test "$@"
