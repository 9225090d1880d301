#!/usr/bin/env bash
# Installs the system libraries momd links (liblz4, SQLite) and the tools the tests and the docs'
# examples use (lz4, sqlite3, openssl, jq, curl, schemathesis, Chromium with chromedriver and
# Selenium) when they are missing; then, unless --deps-only is given, builds the release binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/opt/swift/usr/bin:$PATH"

# Installs the Debian packages given that are not installed yet (with sudo when not root).
install_packages() {
    if ! dpkg -s "$@" >/dev/null 2>&1; then
        local sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
    fi
}

# Makes a virtual environment at $1 and installs the pinned PyPI package $2 into it.
install_venv() {
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then install_packages python3 python3-venv; fi
    python3 -m venv "$1"
    "$1/bin/pip" install -q "$2"
}

install_packages liblz4-dev lz4 libsqlite3-dev sqlite3 openssl jq curl

# schemathesis checks the daemon against schemas/openapi.yaml in the test suite
# (Tests/momdTests/SchemathesisTests.swift). A pinned version, used from PATH when it is that
# version, else installed into a virtual environment under .build/tools.
schemathesis_version=4.32.5
schemathesis_venv=.build/tools/schemathesis
if ! { command -v schemathesis >/dev/null 2>&1 && schemathesis --version 2>/dev/null | grep -qx "schemathesis, version $schemathesis_version"; } \
    && ! [ -x "$schemathesis_venv/bin/schemathesis" ]; then
    install_venv "$schemathesis_venv" "schemathesis==$schemathesis_version"
fi

# The web page's tests drive Debian's Chromium through chromedriver with Selenium
# (Tests/momdTests/WebPageBrowserTests.swift runs scripts/web-page-check.py). Chromium and its
# driver from apt; a pinned Selenium in a virtual environment under .build/tools.
install_packages chromium chromium-driver
selenium_version=4.41.0
selenium_venv=.build/tools/selenium
if ! "$selenium_venv/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$selenium_version')" >/dev/null 2>&1; then
    install_venv "$selenium_venv" "selenium==$selenium_version"
fi

if [ "${1:-}" != "--deps-only" ]; then
    bash scripts/release-build.sh
fi
