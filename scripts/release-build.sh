#!/usr/bin/env bash
# The release build every script uses: Swift's runtime and Foundation linked in statically, and a
# position-dependent executable, so that a CLI run neither loads Swift's shared libraries nor
# relocates ~150,000 pointers at start; and without an exported
# dynamic symbol table (SwiftPM exports every symbol of an executable: 53,000 of them, which the
# loader's symbol lookups and the runtime's dladdr walk at every start). With no arguments it builds
# both binaries, momd-server and momd; arguments go to
# `swift build` instead (e.g. --product momd).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
build() { swift build -c release --static-swift-stdlib -Xswiftc -Xclang-linker -Xswiftc -no-pie -Xlinker --no-export-dynamic "$@"; }
if [ "$#" -gt 0 ]; then
    build "$@"
else
    build --product momd-server
    build --product momd
fi
