#!/usr/bin/env bash
# Builds every libFuzzer harness (kernel loaders, virtqueue, virtio-pci, virtio devices) with clang
# (ASan + UBSan) into ${1:-/tmp/cella-fuzz}. tests/integration/fuzz.sh runs them for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/cella-fuzz}
mkdir -p "$out"
clang -g -O1 -std=gnu17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I include -I src/vmm -o "$out/fuzz-boot" tests/fuzz/fuzz-boot.c src/vmm/boot/*.c src/vmm/platform/*.c \
	src/lib/error.c -llzma -lzstd -lz
tests/fuzz/virtio/build.sh "$out" >/dev/null
tests/fuzz/vdev/build.sh "$out" >/dev/null
echo "built the fuzzers in $out"
