#!/usr/bin/env bash
# A private PostgreSQL server on loopback for momd's tests and benchmarks, from Debian's
# `postgresql` package (installed here if missing): its own cluster in a scratch directory, its
# own port, a `momd` role that may create databases. Nothing of the system's clusters is touched.
#
#   scripts/postgres.sh start   # prints the URL of its `postgres` database
#   scripts/postgres.sh stop    # stops it and deletes the cluster
#   scripts/postgres.sh url
#
# MOMD_PG_PORT (default 54329) and MOMD_PG_DIR (default /tmp/momd-postgres-$UID) move it.
set -euo pipefail

port="${MOMD_PG_PORT:-54329}"
dir="${MOMD_PG_DIR:-/tmp/momd-postgres-$(id -u)}"
url="postgres://momd:momd@127.0.0.1:$port/postgres"

bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$found" ] && echo "$found"
}

install() {
    if [ -z "$(bin)" ]; then
        local sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    fi
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user the
# package creates.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts and stops take turns: test targets run in parallel may both find no server and start
# one at once. The lock is on a file beside the cluster; the server does not inherit it (9>&-).
if [ "${1:-}" = start ] || [ "${1:-}" = stop ]; then
    exec 9>"$dir.lock"
    flock 9
fi

case "${1:-}" in
start)
    install
    pg="$(bin)"
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$pg/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        echo "$url"
        exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_owner "$pg/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # Loopback only, password logins for the momd role (scram), no Unix socket outside $dir.
    cat >"$dir/data/pg_hba.conf" <<HBA
local all postgres trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
    as_owner "$pg/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=on" start >/dev/null 9>&- \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$pg/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE momd LOGIN CREATEDB PASSWORD 'momd'" >/dev/null
    echo "$url"
    ;;
stop)
    pg="$(bin || true)"
    if [ -n "$pg" ] && [ -d "$dir/data" ]; then
        as_owner "$pg/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
url)
    echo "$url"
    ;;
*)
    echo "usage: $0 start|stop|url" >&2
    exit 64
    ;;
esac
