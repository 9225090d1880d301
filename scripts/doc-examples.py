#!/usr/bin/env python3
"""Runs the shell sessions the docs show and checks their output.

Every ```console block of the Markdown files named is a session: a line that starts with "$ "
is a command (a line ending in a backslash continues it), the lines after it up to the next
command are what it prints, stdout and stderr together. In the expected text "…" matches any
run of characters within a line, and a line that is only "…" matches any number of lines.
A command that exits non-zero fails unless the block shows its status (`; echo "exit $?"`).

The blocks of one file run in order in one bash process, so a file reads as one session: a
daemon started with `&` in one block serves the next, a variable set stays set. The session
runs in an empty directory that is also $HOME (so the default database is the session's own),
with fixtures/, schemas/ and scripts/ of the repository linked into it, and the directory of
the binaries under test (--bin, default .build/debug) first on PATH. What the session starts is
killed when it ends. DATABASE_URL, when set, passes through (a PostgreSQL database the docs'
cluster examples may use).

Usage: doc-examples.py [--bin DIR] [--timeout SECONDS] FILE.md...
Exit status 0 when every block printed what it shows; 1 otherwise, with a diff per failure.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

MARK = "\x1edoc-example"


def sessions(path):
    """Yields (line number, command, expected lines) for each command of each console block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    in_block = False
    commands = []
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = line.strip()
        if not in_block:
            if fence.startswith("```") and fence[3:].strip() == "console":
                in_block = True
            index += 1
            continue
        if fence.startswith("```"):
            in_block = False
            index += 1
            continue
        if line.startswith("$ "):
            start = index + 1
            command = line[2:]
            while command.endswith("\\") and index + 1 < len(lines):
                index += 1
                command = command + "\n" + lines[index]
            commands.append([start, command, []])
        elif commands:
            commands[-1][2].append(line)
        else:
            raise SystemExit(f"{path}:{index + 1}: output before any command in a console block")
        index += 1
    if in_block:
        raise SystemExit(f"{path}: a console block is not closed")
    return commands


def matches(expected, actual):
    """Whether the actual lines match the expected ones, "…" lines and spans as wildcards."""
    patterns = []
    for line in expected:
        line = line.rstrip()
        if line == "…":
            patterns.append(None)
        else:
            pieces = [re.escape(piece) for piece in line.split("…")]
            patterns.append(re.compile(".*".join(pieces) + r"\Z", re.DOTALL))
    actual = [line.rstrip() for line in actual]
    memo = {}

    def match(p, a):
        key = (p, a)
        if key in memo:
            return memo[key]
        if p == len(patterns):
            result = a == len(actual)
        elif patterns[p] is None:
            result = any(match(p + 1, later) for later in range(a, len(actual) + 1))
        else:
            result = a < len(actual) and patterns[p].match(actual[a]) is not None \
                and match(p + 1, a + 1)
        memo[key] = result
        return result

    return match(0, 0)


def run(path, binaries, timeout, repository):
    commands = sessions(path)
    if not commands:
        return 0, 0
    directory = tempfile.mkdtemp(prefix="momd-docs-")
    try:
        for name in ("fixtures", "schemas", "scripts"):
            os.symlink(os.path.join(repository, name), os.path.join(directory, name))
        script = ["set +e"]
        for number, (line, command, _) in enumerate(commands):
            script.append(f"printf '\\n{MARK} {number}\\n'")
            script.append("{\n" + command + "\n} 2>&1")
            script.append(f"printf '\\n{MARK} {number} status %d\\n' $?")
        environment = {
            key: value for key, value in os.environ.items()
            if not key.startswith("MOMD_") and key not in ("XDG_DATA_HOME",)
        }
        environment.update(HOME=directory, PATH=binaries + os.pathsep + environment["PATH"],
                           LC_ALL="C.UTF-8", TERM="dumb")
        process = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=directory,
                                   env=environment, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if timed_out:
            output, _ = process.communicate()
        text = output.decode("utf-8", errors="replace")
        printed = {}
        statuses = {}
        current = None
        for row in text.split("\n"):
            if row.startswith(MARK + " "):
                fields = row[len(MARK) + 1:].split()
                number = int(fields[0])
                if len(fields) == 3 and fields[1] == "status":
                    statuses[number] = int(fields[2])
                    if printed.get(number) and printed[number][-1] == "":
                        printed[number].pop()
                    current = None
                else:
                    current = number
                    printed[number] = []
            elif current is not None:
                printed[current].append(row)
        failures = 0
        for number, (line, command, expected) in enumerate(commands):
            while expected and expected[-1].strip() == "":
                expected = expected[:-1]
            actual = printed.get(number)
            where = f"{path}:{line}: $ {command.splitlines()[0]}"
            if actual is None or number not in statuses:
                print(f"FAIL {where}\n  did not finish" + (" (timed out)" if timed_out else ""))
                failures += 1
                break
            status = statuses[number]
            if status != 0 and "$?" not in command:
                print(f"FAIL {where}\n  exit status {status}; it printed:")
                print("\n".join("  | " + row for row in actual))
                failures += 1
            elif not matches(expected, actual):
                print(f"FAIL {where}\n  expected:")
                print("\n".join("  | " + row for row in expected))
                print("  printed:")
                print("\n".join("  | " + row for row in actual))
                failures += 1
        return len(commands), failures
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=".build/debug")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("files", nargs="+")
    arguments = parser.parse_args()
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binaries = os.path.abspath(arguments.bin)
    for name in ("momd", "momd-server"):
        if not os.access(os.path.join(binaries, name), os.X_OK):
            raise SystemExit(f"doc-examples: no executable {name} in {binaries}")
    total = failed = 0
    for path in arguments.files:
        count, failures = run(path, binaries, arguments.timeout, repository)
        print(f"{path}: {count} commands, {failures} failed")
        total += count
        failed += failures
    print(f"doc-examples: {total} commands, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
