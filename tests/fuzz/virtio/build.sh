#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) into ${1:-/tmp/cella-fuzz}.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/cella-fuzz}
mkdir -p "$out"
flags=(-g -O1 -std=gnu17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I include -I src/vmm)
clang "${flags[@]}" -o "$out/fuzz-virtqueue" tests/fuzz/virtio/fuzz-virtqueue.c \
	src/vmm/virtio/virtqueue.c src/lib/error.c
clang "${flags[@]}" -o "$out/fuzz-virtio-pci" tests/fuzz/virtio/fuzz-virtio-pci.c \
	src/vmm/virtio/virtio_pci.c src/vmm/virtio/virtqueue.c src/vmm/pci/pci_bus.c src/vmm/pci/pci_device.c \
	src/vmm/pci/msix.c src/lib/error.c -lpthread
echo "built $out/fuzz-virtqueue $out/fuzz-virtio-pci"
