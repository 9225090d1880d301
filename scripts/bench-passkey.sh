#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: the pass-key benchmark on the classic filler and on real prose
# (Ambrose Bierce's "The Devil's Dictionary", public domain, from Debian's dict-devil package).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
out="${1:-docs}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bash scripts/release-build.sh
momd=.build/release/momd

(cd "$work" && apt-get download dict-devil >/dev/null && dpkg -x dict-devil_*.deb devil)
zcat "$work"/devil/usr/share/dictd/devil.dict.dz > "$work/devil.txt"

"$momd" bench fold --json | tee "$out/fold.json"
"$momd" bench passkey --json --svg "$out/passkey-classic.svg" > "$out/passkey-classic.json"
"$momd" bench passkey --haystack "$work/devil.txt" --trials 4 --json --svg "$out/passkey-devil.svg" > "$out/passkey-devil.json"
echo "results in $out/"
