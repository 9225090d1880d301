#!/usr/bin/env bash
# A private PostgreSQL server on loopback for momd's tests and benchmarks, from Debian's
# `postgresql` package (installed here if missing): its own cluster in a scratch directory, its
# own port, a `momd` role that may create databases. Nothing of the system's clusters is touched.
# It also speaks TLS (ssl=on) with a certificate for 127.0.0.1 and localhost from a throwaway CA
# made here with openssl, and has a second role, `momd_tls` (password `momd`), that may log in
# over TLS only: a test that connects as it with sslmode=verify-full and the CA as sslrootcert
# knows the connection was encrypted and the server verified.
#
#   scripts/postgres.sh start   # prints the URL of its `postgres` database
#   scripts/postgres.sh stop    # stops it and deletes the cluster
#   scripts/postgres.sh url
#   scripts/postgres.sh ca      # the CA certificate that signed the server's (sslrootcert=)
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
    if ! command -v openssl >/dev/null 2>&1; then
        local sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssl >/dev/null
    fi
}

# A CA and the server's certificate, signed by it for 127.0.0.1 and localhost, in $dir/tls.
make_certificates() {
    local tls="$dir/tls"
    mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj "/CN=momd test PostgreSQL CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -set_serial "$RANDOM$RANDOM" -days 7 \
        -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
    chmod 600 "$tls/server.key" "$tls/ca.key"
    chmod 644 "$tls/ca.pem"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$tls"; fi
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
    make_certificates
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_owner "$pg/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # Loopback only, password logins for the momd role (scram), no Unix socket outside $dir;
    # momd_tls over TLS only.
    cat >"$dir/data/pg_hba.conf" <<HBA
local all postgres trust
host all postgres 127.0.0.1/32 trust
hostnossl all momd_tls 127.0.0.1/32 reject
host all all 127.0.0.1/32 scram-sha-256
HBA
    as_owner "$pg/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=on -c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key" \
        start >/dev/null 9>&- \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$pg/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE momd LOGIN CREATEDB PASSWORD 'momd'" -c "CREATE ROLE momd_tls LOGIN CREATEDB PASSWORD 'momd'" >/dev/null
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
ca)
    echo "$dir/tls/ca.pem"
    ;;
*)
    echo "usage: $0 start|stop|url|ca" >&2
    exit 64
    ;;
esac
