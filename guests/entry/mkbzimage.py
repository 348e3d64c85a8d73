#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Wraps a freestanding ELF64 linked at 1 MiB into a bzImage for the Linux x86
64-bit boot protocol: a 512-byte boot sector holding the setup header ("HdrS",
protocol 2.15, LOADED_HIGH, XLF_KERNEL_64, relocatable, pref_address = the
link address, init_size covering the bss), one setup sector, then the flat
protected-mode image (uncompressed: payload_length 0, so the VMM boots it
through the 64-bit protocol, not by decompressing it on the host).

usage: mkbzimage.py IN.elf OUT.bzImage
"""
import struct
import sys

LOAD = 0x100000
SETUP_SECTS = 1


def flat_image(elf):
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        sys.exit("mkbzimage: input is not an ELF64 file")
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", elf, phoff + i * phentsize)
        if p_type == 1 and p_memsz:
            if p_paddr < LOAD:
                sys.exit("mkbzimage: segment at 0x%x is below 1 MiB" % p_paddr)
            segs.append((p_paddr, elf[p_offset:p_offset + p_filesz], p_memsz))
    if not segs:
        sys.exit("mkbzimage: no loadable segment")
    file_end = max(pa + len(data) for pa, data, _ in segs)
    mem_end = max(pa + memsz for pa, _, memsz in segs)
    image = bytearray(file_end - LOAD)
    for pa, data, _ in segs:
        image[pa - LOAD:pa - LOAD + len(data)] = data
    image += bytes(-len(image) % 16)
    init_size = (max(mem_end - LOAD, len(image)) + 0xfff) & ~0xfff
    return bytes(image), init_size


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], "rb") as f:
        image, init_size = flat_image(f.read())
    setup = bytearray((SETUP_SECTS + 1) * 512)
    struct.pack_into("<B", setup, 0x1f1, SETUP_SECTS)
    struct.pack_into("<I", setup, 0x1f4, len(image) // 16)  # syssize
    struct.pack_into("<H", setup, 0x1fe, 0xAA55)  # boot_flag
    struct.pack_into("<BB", setup, 0x200, 0xEB, 0x26C - 0x202)  # jump over the header
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020F)  # protocol 2.15
    struct.pack_into("<B", setup, 0x211, 0x01)  # loadflags: LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, LOAD)  # code32_start
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x100000)  # kernel_alignment
    struct.pack_into("<BB", setup, 0x234, 1, 12)  # relocatable_kernel, min_alignment
    struct.pack_into("<H", setup, 0x236, 0x0003)  # xloadflags: KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
    struct.pack_into("<I", setup, 0x238, 2047)  # cmdline_size
    struct.pack_into("<Q", setup, 0x258, LOAD)  # pref_address
    struct.pack_into("<I", setup, 0x260, init_size)
    with open(sys.argv[2], "wb") as f:
        f.write(setup + image)


main()
