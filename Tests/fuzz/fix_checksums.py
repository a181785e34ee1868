"""Rewrites the file size and every crc32 of a .dlrt file (as fuzz_dlrt does before loading), so
a fuzzer input can be inspected or loaded with the CLI: fix_checksums.py IN OUT"""
import struct
import sys
import zlib


def fix(b: bytearray) -> bytearray:
    n = len(b)
    if n < 64:
        return b
    struct.pack_into("<Q", b, 16, n)
    table, count = struct.unpack_from("<QI", b, 24)
    if table <= n and count * 32 <= n - table:
        for i in range(count):
            e = table + 32 * i
            off, size = struct.unpack_from("<QQ", b, e + 8)
            if off <= n and size <= n - off:
                struct.pack_into("<I", b, e + 24, zlib.crc32(b[off:off + size]))
        struct.pack_into("<I", b, 36, zlib.crc32(b[table:table + 32 * count]))
    struct.pack_into("<I", b, 60, zlib.crc32(b[:60]))
    return b


if __name__ == "__main__":
    data = bytearray(open(sys.argv[1], "rb").read())
    open(sys.argv[2], "wb").write(fix(data))
