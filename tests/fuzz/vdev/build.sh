#!/usr/bin/env bash
# Builds the virtio device libFuzzer harnesses with clang (ASan + UBSan) into ${1:-/tmp/cella-fuzz}.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-/tmp/cella-fuzz}
mkdir -p "$out"
flags=(-g -O1 -std=gnu17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I include -I src/vmm)
clang "${flags[@]}" -o "$out/fuzz-blk-req" tests/fuzz/vdev/fuzz-blk-req.c src/vmm/vdev/blk_req.c \
	src/vmm/vdev/iov.c
clang "${flags[@]}" -o "$out/fuzz-vsock-pkt" tests/fuzz/vdev/fuzz-vsock-pkt.c src/vmm/vdev/vsock_pkt.c \
	src/vmm/vdev/iov.c
clang "${flags[@]}" -o "$out/fuzz-vsock-dev" tests/fuzz/vdev/fuzz-vsock-dev.c src/vmm/vdev/*.c \
	src/vmm/virtio/virtio_pci.c src/vmm/virtio/virtio_pci_state.c src/vmm/virtio/virtqueue.c src/vmm/pci/pci_bus.c src/vmm/pci/pci_device.c \
	src/vmm/pci/msix.c src/lib/error.c -ljansson -lpthread
clang "${flags[@]}" -o "$out/fuzz-blk-dev" tests/fuzz/vdev/fuzz-blk-dev.c src/vmm/vdev/*.c \
	src/vmm/virtio/virtio_pci.c src/vmm/virtio/virtio_pci_state.c src/vmm/virtio/virtqueue.c src/vmm/pci/pci_bus.c src/vmm/pci/pci_device.c \
	src/vmm/pci/msix.c src/lib/error.c -ljansson -lpthread
echo "built $out/fuzz-blk-req $out/fuzz-vsock-pkt $out/fuzz-vsock-dev $out/fuzz-blk-dev"
