#!/bin/sh
# Writes the seed corpus of fuzz_chat_envelope.c: message plaintexts as
# bulwark-chat lays them out (u8 kind, u16 name length, name, u32 content
# length, content, zero padding).
#   fuzz/make-chat-corpus.sh fuzz/corpus/chat
set -eu
out=${1:?usage: make-chat-corpus.sh DIR}
mkdir -p "$out"
python3 - "$out" <<'PY'
import struct, sys
out = sys.argv[1]
def plain(kind, name, content, pad=0):
    n = name.encode()
    return bytes([kind]) + struct.pack("<H", len(n)) + n + struct.pack("<I", len(content)) + \
        content + b"\0" * pad
cases = {
    "text.bin": plain(1, "", b"hello bob", 40),
    "file.bin": plain(2, "photo.jpg", bytes(range(256)) * 2, 100),
    "empty-text.bin": plain(1, "", b""),
    "odd-name.bin": plain(2, "../..\x01name with spaces", b"x" * 10),
}
for name, data in cases.items():
    open(out + "/" + name, "wb").write(data)
PY
