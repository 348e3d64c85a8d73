// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ELF32/ELF64 kernels (PVH vmlinux, Multiboot ELF): validation of every header
 * field against the file and guest RAM, the XEN_ELFNOTE_PHYS32_ENTRY note, and
 * loading PT_LOAD segments at their physical addresses.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "boot/boot_internal.h"

#define BOOT_ELF_MAX_PHDRS	 256
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* A program header, whatever the class. */
struct boot_phdr {
	uint32_t type;
	uint64_t offset, filesz, paddr, memsz;
};

bool boot__is_elf(const struct boot_image *img)
{
	return img->size >= SELFMAG && memcmp(img->data, ELFMAG, SELFMAG) == 0;
}

static bool boot__range_in_file(const struct boot_image *img, uint64_t off, uint64_t len)
{
	return off <= img->size && len <= img->size - off;
}

static void boot__phdr_get(const struct boot_image *img, bool is64, uint64_t phoff, unsigned i,
			   struct boot_phdr *ph)
{
	if (is64) {
		Elf64_Phdr p;

		memcpy(&p, img->data + phoff + (uint64_t)i * sizeof(p), sizeof(p));
		*ph = (struct boot_phdr){p.p_type, p.p_offset, p.p_filesz, p.p_paddr, p.p_memsz};
	} else {
		Elf32_Phdr p;

		memcpy(&p, img->data + phoff + (uint64_t)i * sizeof(p), sizeof(p));
		*ph = (struct boot_phdr){p.p_type, p.p_offset, p.p_filesz, p.p_paddr, p.p_memsz};
	}
}

/* The ELF header fields the loader needs, validated: class, program header table. */
static int boot__elf_header(const struct boot_image *img, bool *is64, uint64_t *entry, uint64_t *phoff,
			    unsigned *phnum, cella_err_t *err)
{
	uint16_t machine, phentsize;

	if (img->size < EI_NIDENT || !boot__is_elf(img))
		return cella_error_make(err, 0, "%s: not an ELF file", img->path);
	if (img->data[EI_CLASS] != ELFCLASS32 && img->data[EI_CLASS] != ELFCLASS64)
		return cella_error_make(err, 0, "%s: ELF class %u is neither ELF32 nor ELF64", img->path,
					img->data[EI_CLASS]);
	if (img->data[EI_DATA] != ELFDATA2LSB)
		return cella_error_make(err, 0, "%s: ELF is not little-endian", img->path);
	*is64 = img->data[EI_CLASS] == ELFCLASS64;
	if (*is64) {
		Elf64_Ehdr h;

		if (img->size < sizeof(h))
			return cella_error_make(err, 0, "%s: truncated ELF header", img->path);
		memcpy(&h, img->data, sizeof(h));
		machine = h.e_machine;
		phentsize = h.e_phentsize;
		*phoff = h.e_phoff;
		*phnum = h.e_phnum;
		*entry = h.e_entry;
		if (phentsize != sizeof(Elf64_Phdr))
			return cella_error_make(err, 0, "%s: e_phentsize %u, expected %zu", img->path,
						phentsize, sizeof(Elf64_Phdr));
	} else {
		Elf32_Ehdr h;

		if (img->size < sizeof(h))
			return cella_error_make(err, 0, "%s: truncated ELF header", img->path);
		memcpy(&h, img->data, sizeof(h));
		machine = h.e_machine;
		phentsize = h.e_phentsize;
		*phoff = h.e_phoff;
		*phnum = h.e_phnum;
		*entry = h.e_entry;
		if (phentsize != sizeof(Elf32_Phdr))
			return cella_error_make(err, 0, "%s: e_phentsize %u, expected %zu", img->path,
						phentsize, sizeof(Elf32_Phdr));
	}
	if (machine != EM_X86_64 && machine != EM_386)
		return cella_error_make(err, 0, "%s: ELF machine %u is not x86", img->path, machine);
	if (*phnum == 0 || *phnum > BOOT_ELF_MAX_PHDRS)
		return cella_error_make(err, 0, "%s: e_phnum %u (expected 1..%u)", img->path, *phnum,
					BOOT_ELF_MAX_PHDRS);
	if (!boot__range_in_file(img, *phoff, (uint64_t)*phnum * phentsize))
		return cella_error_make(err, 0,
					"%s: program headers (e_phoff 0x%llx, %u entries) past the end of "
					"the file",
					img->path, (unsigned long long)*phoff, *phnum);
	return 0;
}

/* Looks for the PVH entry note in one PT_NOTE segment. */
static int boot__elf_notes(const struct boot_image *img, const struct boot_phdr *ph, unsigned idx,
			   struct boot_elf *elf, cella_err_t *err)
{
	uint64_t off = ph->offset, end;

	if (!boot__range_in_file(img, ph->offset, ph->filesz))
		return cella_error_make(err, 0,
					"%s: note segment %u (offset 0x%llx, size 0x%llx) past the end "
					"of the file",
					img->path, idx, (unsigned long long)ph->offset,
					(unsigned long long)ph->filesz);
	end = ph->offset + ph->filesz;
	while (end - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		memcpy(&namesz, img->data + off, 4);
		memcpy(&descsz, img->data + off + 4, 4);
		memcpy(&type, img->data + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + (((uint64_t)namesz + 3) & ~3ULL);
		next = desc_off + (((uint64_t)descsz + 3) & ~3ULL);
		if (desc_off > end || next > end)
			return cella_error_make(err, 0,
						"%s: note segment %u: note at 0x%llx overruns the segment",
						img->path, idx, (unsigned long long)off);
		if (namesz == 4 && memcmp(img->data + name_off, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY) {
			uint64_t v = 0;

			if (descsz != 4 && descsz != 8)
				return cella_error_make(err, 0,
							"%s: PVH entry note has %u bytes, expected 4 or 8",
							img->path, descsz);
			memcpy(&v, img->data + desc_off, descsz); /* little-endian host and file */
			elf->has_pvh = true;
			elf->pvh_entry = v;
		}
		off = next;
	}
	return 0;
}

int boot__elf_parse(struct guest_mem *mem, const struct boot_image *img, struct boot_elf *elf,
		    cella_err_t *err)
{
	uint64_t phoff;
	unsigned phnum, nload = 0;

	*elf = (struct boot_elf){.lo = UINT64_MAX};
	if (boot__elf_header(img, &elf->is64, &elf->entry, &phoff, &phnum, err) < 0)
		return -1;
	for (unsigned i = 0; i < phnum; i++) {
		struct boot_phdr ph;
		char what[64];

		boot__phdr_get(img, elf->is64, phoff, i, &ph);
		if (ph.type == PT_NOTE && boot__elf_notes(img, &ph, i, elf, err) < 0)
			return -1;
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (ph.filesz > ph.memsz)
			return cella_error_make(err, 0, "%s: segment %u: p_filesz 0x%llx > p_memsz 0x%llx",
						img->path, i, (unsigned long long)ph.filesz,
						(unsigned long long)ph.memsz);
		if (!boot__range_in_file(img, ph.offset, ph.filesz))
			return cella_error_make(err, 0,
						"%s: segment %u (offset 0x%llx, size 0x%llx) past the end "
						"of the file (%zu bytes)",
						img->path, i, (unsigned long long)ph.offset,
						(unsigned long long)ph.filesz, img->size);
		if (ph.paddr < BOOT_KERNEL_MIN_GPA)
			return cella_error_make(err, 0,
						"%s: segment %u at 0x%llx is below 1 MiB, where the boot "
						"structures live",
						img->path, i, (unsigned long long)ph.paddr);
		snprintf(what, sizeof(what), "segment %u", i);
		if (!boot__low_ptr(mem, ph.paddr, ph.memsz, what, err))
			return cella_error_wrap(err, "%s", img->path);
		if (ph.paddr < elf->lo)
			elf->lo = ph.paddr;
		if (ph.paddr + ph.memsz > elf->hi)
			elf->hi = ph.paddr + ph.memsz;
		nload++;
	}
	if (nload == 0)
		return cella_error_make(err, 0, "%s: no loadable segment", img->path);
	return 0;
}

int boot__elf_load(struct guest_mem *mem, const struct boot_image *img, cella_err_t *err)
{
	struct boot_elf elf;
	uint64_t phoff;
	unsigned phnum;

	/* Cheap, and keeps this function safe on its own: re-validate before writing anything. */
	if (boot__elf_parse(mem, img, &elf, err) < 0)
		return -1;
	if (boot__elf_header(img, &elf.is64, &elf.entry, &phoff, &phnum, err) < 0)
		return -1;
	for (unsigned i = 0; i < phnum; i++) {
		struct boot_phdr ph;
		uint8_t *dst;

		boot__phdr_get(img, elf.is64, phoff, i, &ph);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		dst = guest_mem__ptr(mem, ph.paddr, ph.memsz);
		if (!dst)
			return cella_error_make(err, 0, "%s: segment %u vanished", img->path, i);
		memcpy(dst, img->data + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
	}
	return 0;
}
