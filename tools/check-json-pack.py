#!/usr/bin/env python3
"""Checks that every json_pack() and bwd_logf() call passes as many
arguments as its format asks for. The compiler cannot check jansson's
formats, and a missing key turns the next value into a pointer (a crash
found this way in bulwarkd). Usage: check-json-pack.py FILE..."""

import re
import sys


def call_args(text, start):
    """Top-level arguments of the call whose '(' ends at start."""
    args, cur, depth, k = [], "", 1, start
    while k < len(text) and depth:
        c = text[k]
        if c == '"':
            e = k + 1
            while text[e] != '"':
                e += 2 if text[e] == "\\" else 1
            cur += text[k:e + 1]
            k = e + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if not depth:
                break
        if c == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
        k += 1
    args.append(cur.strip())
    return args


bad = 0
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"\b(bwd_logf|json_pack)\(", text):
        args = call_args(text, m.end())
        if m.group(1) == "bwd_logf":
            args = args[2:]
        if not args or not args[0].startswith('"'):
            continue
        fmt = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', args[0]))
        wanted = len(re.findall(r"[sifIobO]", re.sub(r"[\s:,\[\]{}*#%+?]", "", fmt)))
        if wanted != len(args) - 1:
            line = text.count("\n", 0, m.start()) + 1
            print("%s:%d: format %r takes %d arguments, %d given"
                  % (path, line, fmt, wanted, len(args) - 1))
            bad += 1
print("json_pack formats: %d mismatched" % bad)
sys.exit(1 if bad else 0)
