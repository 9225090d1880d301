#!/usr/bin/env bash
# Installs the system libraries momd links (liblz4, SQLite) and the tools the tests use (lz4,
# sqlite3) when they are missing; then, unless --deps-only is given, builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/opt/swift/usr/bin:$PATH"
packages=(liblz4-dev lz4 libsqlite3-dev sqlite3)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
fi

if [ "${1:-}" != "--deps-only" ]; then
    swift build -c release
fi
