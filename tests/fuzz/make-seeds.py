#!/usr/bin/env python3
"""Writes a seed corpus for fuzz-boot: one small kernel per format the loader knows.

    tests/fuzz/make-seeds.py DIR
"""
import lzma
import os
import struct
import sys
import zlib

PVH_LOAD = 0x1000000


def elf(is64, pvh, paddr, code, memsz, entry):
    ehsz, phsz = (64, 56) if is64 else (52, 32)
    nph = 2 if pvh else 1
    desc = 8 if is64 else 4
    note = struct.pack('<III', 4, desc, 18) + b'Xen\0' + (paddr + 0x10).to_bytes(desc, 'little') if pvh else b''
    note_off = ehsz + nph * phsz
    seg_off = note_off + len(note)
    ident = b'\x7fELF' + bytes([2 if is64 else 1, 1, 1]) + bytes(9)
    if is64:
        eh = ident + struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, entry, ehsz, 0, 0, ehsz, phsz, nph, 0, 0, 0)
        ph = struct.pack('<IIQQQQQQ', 1, 5, seg_off, paddr, paddr, len(code), memsz, 4096)
        if pvh:
            ph += struct.pack('<IIQQQQQQ', 4, 4, note_off, 0, 0, len(note), 0, 4)
    else:
        eh = ident + struct.pack('<HHIIIIIHHHHHH', 2, 3, 1, entry, ehsz, 0, 0, ehsz, phsz, nph, 0, 0, 0)
        ph = struct.pack('<IIIIIIII', 1, seg_off, paddr, paddr, len(code), memsz, 5, 4096)
        if pvh:
            ph += struct.pack('<IIIIIIII', 4, note_off, 0, 0, len(note), 0, 4, 4)
    return eh + ph + note + code


def multiboot_header(flags, addrs=()):
    magic = 0x1BADB002
    return struct.pack('<III', magic, flags, (-(magic + flags)) & 0xffffffff) + struct.pack('<' + 'I' * len(addrs), *addrs)


def bzimage(pm, payload_off, payload_len):
    setup = bytearray(5 * 512)
    hdr = struct.pack('<BHIHHHHHIHIHHBBHIIIIHBBIIIBBHIIQIIQQIII',
                      4, 0, len(pm) // 16, 0, 0, 0, 0xAA55, 0x66eb, 0x53726448, 0x20f, 0, 0, 0, 0, 1, 0,
                      0, 0, 0, 0, 0, 0, 0, 0, 0x7fffffff, 0x200000, 1, 0, 1, 255, 0, 0,
                      payload_off, payload_len, 0, 0x1000000, 0x400000, 0, 0)
    setup[0x1f1:0x1f1 + len(hdr)] = hdr
    return bytes(setup) + pm


def with_payload(compressed, size):
    body = bytes(0x200) + compressed + struct.pack('<I', size)
    body += bytes(-len(body) % 16)
    return bzimage(body, 0x200, len(compressed) + 4)


def lz4_literal_frame(data):
    # One literal-only block: valid LZ4 legacy framing without an lz4 module.
    rest = len(data) - 15
    block = bytes([0xF0]) + bytes([255]) * (rest // 255) + bytes([rest % 255]) + data
    return struct.pack('<II', 0x184C2102, len(block)) + block


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    code = bytes(range(256)) * 4
    vmlinux = elf(True, True, PVH_LOAD, code, 0x2000, 0xffffffff81000000)
    seeds = {
        'pvh-elf64': vmlinux,
        'pvh-elf32': elf(False, True, PVH_LOAD, code, 0x2000, PVH_LOAD),
        'multiboot-elf': elf(False, False, 0x400000, multiboot_header(2) + code, 0x1000, 0x400010),
        'multiboot-aout': multiboot_header(0x10003, (0x200000, 0x200000, 0x200400, 0x201000, 0x200040)) + code[:0x3e0],
        'bzimage': bzimage(code * 2, 0, 0),
        'bzimage-xz': with_payload(lzma.compress(vmlinux, check=lzma.CHECK_CRC32), len(vmlinux)),
        'bzimage-gzip': with_payload(zlib.compress(vmlinux, wbits=31), len(vmlinux)),
        'bzimage-lzma': with_payload(lzma.compress(vmlinux, format=lzma.FORMAT_ALONE), len(vmlinux)),
        'bzimage-lz4': with_payload(lz4_literal_frame(vmlinux), len(vmlinux)),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
