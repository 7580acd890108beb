#!/usr/bin/python3
"""Prints the Markdown table of docs/hostile-input.md from the HOSTILE-ROW
lines the hostile-input tests print (one per row, each row a test):

  bazel test //tests/hostile/... --test_output=all 2>&1 | \\
      /usr/bin/python3 tests/hostile/rows_table.py
"""
import sys


def main():
    print("| row (test) | class | example | via | answer |")
    print("|---|---|---|---|---|")
    seen = set()
    for line in sys.stdin:
        i = line.find("HOSTILE-ROW ")
        if i < 0:
            continue
        parts = [p.strip() for p in line[i + len("HOSTILE-ROW "):].split(" | ")]
        if len(parts) != 5:
            continue
        via, name, klass, example, answer = parts
        if (via, name) in seen:
            continue
        seen.add((via, name))
        if via == "wamp":
            if example.endswith("(HTTP bridge)"):
                via, example = "WAMP call, HTTP bridge", example[:-len("(HTTP bridge)")].strip()
            elif example.endswith("(raw autobahn msgpack)"):
                via = "WAMP call, autobahn client"
                example = example[:-len("(raw autobahn msgpack)")].strip()
            elif name.startswith("raw_"):
                via = "WAMP, raw bytes (stand-in router)"
            else:
                via = "WAMP event via router"
        else:
            via = "gRPC"
        cell = lambda s: s.replace("|", "\\|")
        print("| `%s` | %s | %s | %s | %s |" % (name, cell(klass), cell(example), via,
                                                cell(answer)))


if __name__ == "__main__":
    main()
