#!/usr/bin/env bash
# Reproduces the question benchmark in docs/benchmarks.md: RULER's retrieval tasks and natural
# questions over the Devil's Dictionary the repository ships (the text the question layer was
# developed on), and the same over the Jargon File (public domain, Debian's dict-jargon package),
# which it was not tuned on.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
out="${1:-docs}"
trials="${TRIALS:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bash scripts/release-build.sh
momd=.build/release/momd

(cd "$work" && apt-get download dict-jargon >/dev/null && dpkg -x dict-jargon_*.deb jargon)
zcat "$work"/jargon/usr/share/dictd/jargon.dict.dz > "$work/jargon.txt"

"$momd" bench qa --trials "$trials" --svg "$out/qa-devil.svg" --outcomes "$work/devil.jsonl" --json > "$out/qa-devil.json"
"$momd" bench qa --trials "$trials" --haystack "$work/jargon.txt" --svg "$out/qa-jargon.svg" --json > "$out/qa-jargon.json"
echo "results in $out/"
