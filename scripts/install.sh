#!/usr/bin/env bash
# Builds the release binaries (scripts/release-build.sh), strips them, installs both into
# PREFIX/bin (default /usr/local; `momd` hands `serve`, `bench` and PostgreSQL to `momd-server`
# beside it, so both go together) and reports their sizes.
#
#   scripts/install.sh [--prefix DIR] [--no-build] [--from DIR]
#
# --no-build installs what .build/release (or --from DIR, e.g. .build/debug) already holds.
# The release binaries link Swift's runtime statically; they need liblz4 and libsqlite3 at run
# time (scripts/setup.sh --deps-only installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
build=yes
from=.build/release
while [ "$#" -gt 0 ]; do
    case "$1" in
        --prefix) [ "$#" -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 64; }
                  prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --no-build) build=no; shift ;;
        --from) [ "$#" -ge 2 ] || { echo "install.sh: --from needs a directory" >&2; exit 64; }
                from="$2"; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (usage: scripts/install.sh [--prefix DIR] [--no-build] [--from DIR])" >&2; exit 64 ;;
    esac
done

if [ "$build" = yes ]; then
    bash scripts/release-build.sh
fi
for binary in momd momd-server; do
    if [ ! -x "$from/$binary" ]; then
        echo "install.sh: $from/$binary is missing; build it (scripts/release-build.sh) or run without --no-build" >&2
        exit 66
    fi
done

mkdir -p "$prefix/bin"
total=0
for binary in momd momd-server; do
    built=$(stat -c %s "$from/$binary")
    # Strip into a temporary file beside the target, then rename: a running daemon keeps the
    # old binary it has open, and nobody ever sees a half-written one.
    temporary=$(mktemp "$prefix/bin/.$binary.XXXXXX")
    strip --strip-all -o "$temporary" "$from/$binary"
    chmod 755 "$temporary"
    mv -f "$temporary" "$prefix/bin/$binary"
    installed=$(stat -c %s "$prefix/bin/$binary")
    total=$((total + installed))
    awk -v name="$binary" -v installed="$installed" -v built="$built" \
        'BEGIN { printf "%-12s %6.1f MB (%.1f MB as built)\n", name, installed / 1e6, built / 1e6 }'
done
awk -v total="$total" -v where="$prefix/bin" 'BEGIN { printf "%-12s %6.1f MB in %s\n", "total", total / 1e6, where }'
"$prefix/bin/momd" --version >/dev/null
