#!/usr/bin/env bash
# The test suite: starts the private PostgreSQL server the store's contract tests and the
# cluster tests use (scripts/postgres.sh, on loopback), runs `swift test` with its URL in
# MOMD_TEST_POSTGRES, and stops the server afterwards, whatever the outcome. Arguments go to
# `swift test` (e.g. --filter ClusterTests).
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/opt/swift/usr/bin:$PATH"
MOMD_TEST_POSTGRES="$(bash scripts/postgres.sh start | tail -1)"
export MOMD_TEST_POSTGRES
trap 'bash scripts/postgres.sh stop' EXIT
swift test "$@"
