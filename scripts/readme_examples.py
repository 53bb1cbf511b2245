#!/usr/bin/env python3
"""Runs the README's `buf curl` examples against a fresh server and checks their answers.

Every ```sh block of README.md that calls `buf curl` is run with bash (`set -e`), in order, against
one fresh `escalation-router serve` (SQLite in a temporary directory) on a free port in place of
127.0.0.1:50051. When the next fenced block is ```json, the last JSON document the block printed must
contain it: objects may have more keys, lists must have the same length, numbers agree to 1e-4, and
the string "…" matches anything. The ```sh blocks that call `grpcurl` are not run (grpcurl is not
packaged here), but they must make the same calls (method and request JSON) in the same order as the
`buf curl` blocks, so the two cannot drift apart.

Usage: scripts/readme_examples.py --bin target/release/escalation-router [--buf PATH] [--readme FILE]
Prints one line per example and a summary; exits non-zero when any example fails.
"""

import argparse
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time

README_ADDR = "127.0.0.1:50051"
ANY = "…"


def fenced_blocks(text):
    """(info string, body, line number) of every fenced block, in order."""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, body = i + 1, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        blocks.append((m.group(1), "\n".join(body) + "\n", start))
        i += 1
    return blocks


def commands(script, tool):
    """(method, request JSON or None) of each `tool` command in a shell block."""
    out, lines, i = [], script.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + lines[i]
        i += 1
        if not line.startswith(tool + " "):
            continue
        heredoc = re.search(r"<<'(\w+)'\s*$", line)
        stdin = None
        if heredoc:
            end = heredoc.group(1)
            line = line[: heredoc.start()]
            body = []
            while i < len(lines) and lines[i] != end:
                body.append(lines[i])
                i += 1
            i += 1
            stdin = "\n".join(body)
        words = shlex.split(line)
        data = None
        for flag in ("-d", "--data"):
            if flag in words:
                data = words[words.index(flag) + 1]
        if data in ("@", "@-"):
            data = stdin
        method = words[-1].split("/", 3)[-1] if tool == "buf curl" else words[-1]
        out.append((method, json.loads(data) if data else None))
    return out


def contains(actual, expected, path="$"):
    """None when `actual` contains `expected`, else where and why not."""
    if expected == ANY:
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key}: missing"
            why = contains(actual[key], value, f"{path}.{key}")
            if why:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: expected {len(expected)} items, got {actual!r}"
        for n, (a, e) in enumerate(zip(actual, expected)):
            why = contains(a, e, f"{path}[{n}]")
            if why:
                return why
        return None
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if isinstance(actual, (int, float)) and abs(actual - expected) <= 1e-4:
            return None
        return f"{path}: expected {expected!r}, got {actual!r}"
    if actual != expected:
        return f"{path}: expected {expected!r}, got {actual!r}"
    return None


def last_json(output):
    """The last of the JSON documents printed one after another."""
    decoder, pos, last = json.JSONDecoder(), 0, None
    while True:
        while pos < len(output) and output[pos].isspace():
            pos += 1
        if pos >= len(output):
            return last
        last, pos = decoder.raw_decode(output, pos)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, workdir):
    port = free_port()
    env = dict(os.environ)
    env.update(
        ESCALATION__SERVER__LISTEN=f"127.0.0.1:{port}",
        ESCALATION__STORE__URL=f"sqlite://{workdir}/escalation.db",
        ESCALATION__SERVER__DRAIN_SECONDS="0",
    )
    log = open(os.path.join(workdir, "server.log"), "w")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited: see {workdir}/server.log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("the server did not listen within 60 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="the escalation-router binary")
    parser.add_argument("--buf", default="buf", help="the buf binary")
    parser.add_argument("--readme", default="README.md")
    args = parser.parse_args()

    blocks = fenced_blocks(open(args.readme, encoding="utf-8").read())
    grpcurl, bufcurl, examples = [], [], []
    for n, (info, body, line) in enumerate(blocks):
        if info != "sh":
            continue
        if re.search(r"^grpcurl ", body, re.M):
            grpcurl += commands(body, "grpcurl")
        if re.search(r"^buf curl ", body, re.M):
            bufcurl += commands(body, "buf curl")
            after = blocks[n + 1] if n + 1 < len(blocks) else None
            expected = after[1] if after and after[0] == "json" else None
            examples.append((line, body, expected))
    if not examples:
        sys.exit("no `buf curl` examples in the README")
    if grpcurl != bufcurl:
        sys.exit(
            "the grpcurl and buf curl examples make different calls:\n"
            f"grpcurl:  {grpcurl}\nbuf curl: {bufcurl}"
        )
    print(f"grpcurl and buf curl blocks make the same {len(bufcurl)} calls")

    buf_dir = os.path.dirname(os.path.abspath(args.buf)) if os.sep in args.buf else None
    env = dict(os.environ)
    if buf_dir:
        env["PATH"] = buf_dir + os.pathsep + env["PATH"]
    passed, failed = 0, 0
    with tempfile.TemporaryDirectory() as workdir:
        server, addr = start_server(os.path.abspath(args.bin), workdir)
        try:
            for line, body, expected in examples:
                script = "set -euo pipefail\n" + body.replace(README_ADDR, addr)
                run = subprocess.run(
                    ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120
                )
                why = None
                if run.returncode != 0:
                    why = f"exit {run.returncode}: {run.stderr.strip()}"
                elif expected is not None:
                    why = contains(last_json(run.stdout), json.loads(expected))
                if why:
                    failed += 1
                    print(f"README.md:{line}: FAILED: {why}\n{run.stdout}")
                else:
                    passed += 1
                    print(f"README.md:{line}: ok")
        finally:
            server.terminate()
            server.wait()
    if failed:
        print(f"README examples: {failed} of {passed + failed} failed")
    else:
        print(f"README examples: all {passed} ran as documented")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
