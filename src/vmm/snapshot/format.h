/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_SNAPSHOT_FORMAT_H
#define CELLA_VMM_SNAPSHOT_FORMAT_H

/*
 * The on-disk layout of a snapshot's state file (docs/snapshots.md is the
 * specification; keep the two in step). Every integer is little-endian and
 * read or written through the helpers below, never by casting a struct onto
 * the bytes, so the layout does not depend on the compiler or the host.
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#define SNAPSHOT_MAGIC	      "CELLASNP" /* 8 bytes, no NUL */
#define SNAPSHOT_MAGIC_LEN    8
#define SNAPSHOT_FORMAT_MAJOR 1
#define SNAPSHOT_FORMAT_MINOR 0
#define SNAPSHOT_STATE_FILE   "state"
#define SNAPSHOT_MEMORY_FILE  "memory"
#define SNAPSHOT_PAGE_SIZE    4096U
#define SNAPSHOT_ALIGN	      8U	   /* section data and the table start 8-byte aligned */
#define SNAPSHOT_STATE_MAX    (1ULL << 30) /* a state file is device/vCPU state: KBs, never GBs */
#define SNAPSHOT_MAX_SECTIONS 65536U

/* Header, version 1.0: 96 bytes; its CRC32 is always its last 4 bytes. */
#define SNAPSHOT_HEADER_SIZE   96U
#define SNAPSHOT_HEADER_MAX    4096U /* a later 1.x may grow the header up to this */
#define SNAPSHOT_HDR_MAGIC     0     /* u8[8] "CELLASNP" */
#define SNAPSHOT_HDR_MAJOR     8     /* u16 */
#define SNAPSHOT_HDR_MINOR     10    /* u16 */
#define SNAPSHOT_HDR_SIZE      12    /* u32 header size in bytes */
#define SNAPSHOT_HDR_FLAGS     16    /* u32 SNAPSHOT_FLAG_* */
#define SNAPSHOT_HDR_NSECTIONS 20    /* u32 entries in the section table */
#define SNAPSHOT_HDR_TABLE_OFF 24    /* u64 file offset of the section table */
#define SNAPSHOT_HDR_FILE_SIZE 32    /* u64 size of the whole state file */
#define SNAPSHOT_HDR_TABLE_CRC 40    /* u32 CRC32 of the section table */
#define SNAPSHOT_HDR_RESERVED0 44    /* u32, zero in 1.0 */
#define SNAPSHOT_HDR_ID	       48    /* u8[16] random id of this snapshot */
#define SNAPSHOT_HDR_BASE_ID   64    /* u8[16] id of the base of a diff snapshot, else zero */
#define SNAPSHOT_HDR_RESERVED1 80    /* u8[12], zero in 1.0 */
#define SNAPSHOT_ID_LEN	       16

#define SNAPSHOT_FLAG_DIFF   1U /* memory file holds only the pages dirtied since the base */
#define SNAPSHOT_FLAGS_KNOWN SNAPSHOT_FLAG_DIFF

/* Section table entry: 64 bytes. */
#define SNAPSHOT_ENTRY_SIZE   64U
#define SNAPSHOT_ENT_NAME     0	  /* char[32], NUL-terminated and NUL-padded */
#define SNAPSHOT_ENT_VERSION  32  /* u32 the section's own format version */
#define SNAPSHOT_ENT_CRC      36  /* u32 CRC32 of the section's data */
#define SNAPSHOT_ENT_OFFSET   40  /* u64 file offset of the data */
#define SNAPSHOT_ENT_LENGTH   48  /* u64 length of the data */
#define SNAPSHOT_ENT_RESERVED 56  /* u64, zero in 1.0 */
#define SNAPSHOT_NAME_SIZE    32U /* so at most 31 characters */

/* Sections the format itself writes; callers may not use the "snapshot." prefix. */
#define SNAPSHOT_RESERVED_PREFIX "snapshot."
#define SNAPSHOT_SEC_MEMORY	 "snapshot.memory"
#define SNAPSHOT_SEC_MEMORY_VER	 1U
#define SNAPSHOT_SEC_DIRTY	 "snapshot.dirty"
#define SNAPSHOT_SEC_DIRTY_VER	 1U

/* snapshot.memory, version 1: 24 bytes, then 24 bytes per region. */
#define SNAPSHOT_MEM_RAM_SIZE	 0  /* u64 */
#define SNAPSHOT_MEM_PAGE_SIZE	 8  /* u32 */
#define SNAPSHOT_MEM_NREGIONS	 12 /* u32 */
#define SNAPSHOT_MEM_CRC	 16 /* u32 memory checksum (docs/snapshots.md) */
#define SNAPSHOT_MEM_RESERVED	 20 /* u32 */
#define SNAPSHOT_MEM_REGIONS	 24
#define SNAPSHOT_MEM_REGION_SIZE 24 /* u64 gpa, u64 size, u64 file offset */
#define SNAPSHOT_MEM_MAX_REGIONS 2

static inline void snapshot_put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void snapshot_put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void snapshot_put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t snapshot_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t snapshot_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t snapshot_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

#endif
