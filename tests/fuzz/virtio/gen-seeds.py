#!/usr/bin/env python3
"""Writes the seed corpora for the virtio fuzz harnesses (seeds/virtqueue, seeds/virtio-pci)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def desc(addr, length, flags, nxt):
    return struct.pack('<QIHH', addr, length, flags, nxt)


def ram_with(parts, size=0x5000):
    ram = bytearray(size)
    for off, blob in parts:
        ram[off:off + len(blob)] = blob
    return bytes(ram)


def vq_seed(log2, feats, parts):
    # rings: desc 0x1000, avail 0x2000, used 0x3000 (offsets in 16/2/4-byte units)
    hdr = bytes([log2, feats]) + struct.pack('<HHH', 0x1000 // 16, 0x2000 // 2, 0x3000 // 4)
    return hdr + ram_with(parts)


def avail(heads):
    return struct.pack('<HH', 0, len(heads)) + b''.join(struct.pack('<H', h) for h in heads)


def write_vq_seeds():
    out = os.path.join(HERE, 'seeds', 'virtqueue')
    os.makedirs(out, exist_ok=True)
    seeds = {
        'direct': vq_seed(4, 0, [(0x1000, desc(0x4000, 16, 1, 1) + desc(0x4100, 32, 2, 0)),
                                 (0x2000, avail([0]))]),
        'indirect': vq_seed(4, 3, [(0x1000, desc(0x4800, 48, 4, 0)),
                                   (0x4800, desc(0x4000, 8, 1, 1) + desc(0x4010, 8, 3, 2) + desc(0x4020, 8, 2, 0)),
                                   (0x2000, avail([0, 0]))]),
        'mixed': vq_seed(3, 1, [(0x1000, desc(0x4000, 4, 1, 1) + desc(0x4800, 32, 4, 0)),
                                (0x4800, desc(0x4000, 8, 1, 1) + desc(0x4010, 8, 2, 0)),
                                (0x2000, avail([0]))]),
        'loop': vq_seed(4, 0, [(0x1000, desc(0x4000, 16, 1, 1) + desc(0x4000, 16, 1, 0)), (0x2000, avail([0]))]),
        'high': vq_seed(2, 2, [(0x1000, desc(0x100000000, 64, 2, 0)), (0x2000, avail([0, 0, 0]))]),
    }
    for name, blob in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(blob)


# ---- virtio-pci programs: 12-byte operations ----
BAR_READ, BAR_WRITE, CONF1, ECAM_READ, ECAM_WRITE, RAM, DEVICE = range(7)


def op(kind, off, length, value=0):
    return struct.pack('<BHBQ', kind, off, length, value)


def bar_w(off, length, value):
    return op(BAR_WRITE, off, length, value)


def bar_r(off, length):
    return op(BAR_READ, off, length)


# Capabilities: common 0x40, ISR 0x50, notify 0x60 (20 bytes), device 0x74, MSI-X 0x84, PCI_CFG 0x90.
MSIX_CTRL = 0x86
PCI_CFG = 0x90


def ram_w(gpa, blob):
    blob = blob + bytes(-len(blob) % 8)
    return b''.join(op(RAM, (gpa + i) // 8, 0, struct.unpack('<Q', blob[i:i + 8])[0])
                    for i in range(0, len(blob), 8))


def pci_driver_init(feats_lo=1, feats_hi=1):
    prog = op(ECAM_WRITE, 4, 2, 0x6)                       # command: memory + bus master
    prog += bar_w(0x14, 1, 1) + bar_w(0x14, 1, 3)          # ACKNOWLEDGE, DRIVER
    prog += bar_w(0x08, 4, 0) + bar_w(0x0C, 4, feats_lo)
    prog += bar_w(0x08, 4, 1) + bar_w(0x0C, 4, feats_hi)
    prog += bar_w(0x14, 1, 0xB) + bar_r(0x14, 1)           # FEATURES_OK, read back
    prog += bar_w(0x16, 2, 0) + bar_w(0x18, 2, 16)
    prog += bar_w(0x20, 4, 0x1000) + bar_w(0x28, 4, 0x2000) + bar_w(0x30, 4, 0x3000)
    prog += bar_w(0x1C, 2, 1) + bar_w(0x14, 1, 0xF)        # queue_enable, DRIVER_OK
    return prog


def write_pci_seeds():
    out = os.path.join(HERE, 'seeds', 'virtio-pci')
    os.makedirs(out, exist_ok=True)
    chain = ram_w(0x1000, desc(0x8000, 16, 1, 1) + desc(0x8100, 64, 2, 0)) + ram_w(0x2000, avail([0]))
    seeds = {
        'init': pci_driver_init(),
        'request': pci_driver_init() + chain + bar_w(0x3000, 2, 0) + op(DEVICE, 0, 2) + bar_r(0x1000, 1),
        'msix': pci_driver_init() + op(ECAM_WRITE, MSIX_CTRL, 2, 0x8000) + bar_w(0x1A, 2, 1) +
        bar_w(0x4010, 8, 0xFEE00000) + bar_w(0x4018, 4, 0x30) + bar_w(0x401C, 4, 0) + chain + op(DEVICE, 0, 3),
        'conf1': op(CONF1, 0, 4, 0x80000800) + op(CONF1, 4, 4) + op(CONF1, 0, 4, 0x80000810) +
        op(CONF1, 4, 0x84, 0xFFFFFFFF) + op(CONF1, 4, 4),
        'pci-cfg': op(ECAM_WRITE, PCI_CFG + 4, 1, 0) + op(ECAM_WRITE, PCI_CFG + 8, 4, 0x14) +
        op(ECAM_WRITE, PCI_CFG + 12, 4, 1) + op(ECAM_WRITE, PCI_CFG + 16, 1, 1) + op(ECAM_READ, PCI_CFG + 16, 4) +
        op(ECAM_WRITE, PCI_CFG + 8, 4, 0x4000) + op(ECAM_WRITE, PCI_CFG + 12, 4, 4) + op(ECAM_READ, PCI_CFG + 16, 4),
        'bad-feature': pci_driver_init(feats_lo=0x2, feats_hi=0x5) + op(DEVICE, 0, 1) + bar_w(0x14, 1, 0),
    }
    for name, blob in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(blob)


if __name__ == '__main__':
    write_vq_seeds()
    write_pci_seeds()
