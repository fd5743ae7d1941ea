/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IO page-table formats behind an IOMMU domain. Today: the x86-64 style
 * 4-level radix table (48-bit IOVA, 4 KiB / 2 MiB / 1 GiB leaves).
 *
 * Errors are negative errno values. A table serves two kinds of callers:
 *  - one writer at a time: map, unmap, read_and_clear_dirty (the caller
 *    serialises them, as the domain code does under its IOAS lock);
 *  - any number of readers at any time: iova_to_va and translate, e.g. from
 *    the threads of emulated devices, concurrently with the writer working
 *    on other IOVA ranges.
 */
#ifndef UIOMMUFD_PGTABLE_H
#define UIOMMUFD_PGTABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PGTABLE_PROT_READ 1
#define PGTABLE_PROT_WRITE 2

/* read_and_clear_dirty(): report the dirty leaves but leave them dirty. */
#define PGTABLE_DIRTY_NO_CLEAR 1

#define PGTABLE_X86_SZ_4K (1ULL << 12)
#define PGTABLE_X86_SZ_2M (1ULL << 21)
#define PGTABLE_X86_SZ_1G (1ULL << 30)
#define PGTABLE_X86_PGSIZES \
	(PGTABLE_X86_SZ_4K | PGTABLE_X86_SZ_2M | PGTABLE_X86_SZ_1G)
#define PGTABLE_X86_IOVA_BITS 48

#define PGTABLE_X86_ENTRIES 512

/*
 * The table. Its layout is visible only so that pgtable_x86_translate() can
 * check the caller's TLB inline; everything but the functions below is
 * private to pgtable_x86_64.c.
 *
 * @root: the level-4 table (entries described in pgtable_x86_64.c), first
 *	so that indexing it needs no displacement.
 * @gen: the generation of the translations. Every operation that takes a
 *	translation away or makes a cached one stale (unmap, clearing dirty
 *	bits) stores a new value, after its entry updates, with a release
 *	store. Values come from one process-wide counter, so no two tables
 *	and no two moments of one table share a value, and a TLB entry tagged
 *	with one can only ever match the table and moment that filled it.
 *	Alone in its cache line: every TLB hit reads it.
 */
struct pgtable_x86 {
	_Alignas(64) _Atomic uint64_t root[PGTABLE_X86_ENTRIES];
	_Alignas(64) _Atomic uint64_t gen;
	char gen_pad[56];
	/* Writer-only bookkeeping, see pgtable_x86_64.c. */
	uint64_t root_side[PGTABLE_X86_ENTRIES];
	uint64_t gen_next, gen_end;
	uint64_t nr_tables;
};

/*
 * A caller's IOTLB: the last leaf a read translation walked to and the last
 * leaf a write translation walked to. Owned by one thread (a device's DMA
 * engine, say), never shared; all zeroes is a valid empty TLB. Entries are
 * tagged with the table's generation, so one TLB may be used with several
 * tables, and unmap invalidates it without knowing about it.
 */
struct pgtable_x86_tlb_entry {
	uint64_t iova; /* first IOVA of the cached leaf */
	uint64_t size; /* its size; 0 when empty */
	uintptr_t host; /* host address its first byte translates to */
	uint64_t gen; /* the table's generation when it was filled */
};

struct pgtable_x86_tlb {
	struct pgtable_x86_tlb_entry e[2]; /* [0]: reads, [1]: writes */
};

/* NULL when out of memory. */
struct pgtable_x86 *pgtable_x86_alloc(void);
void pgtable_x86_free(struct pgtable_x86 *pt);

/*
 * Map [iova, iova + len) to the host range [va, va + len) with @prot
 * (PGTABLE_PROT_READ and/or _WRITE; the format has no write-only entries,
 * so a writable entry is readable too). Each step uses the largest size in
 * @pgsize_bitmap that iova and va are both aligned to and that fits in what
 * is left, as the kernel's iommu_map() does.
 * -EINVAL: misaligned (to the smallest size allowed), empty, beyond the
 *	48-bit IOVA space, va of 0 or beyond 52 bits, bad prot or bitmap.
 * -EEXIST: some of the range is already mapped.
 * -ENOMEM: a table could not be allocated.
 * On error nothing is left mapped by this call.
 */
int pgtable_x86_map(struct pgtable_x86 *pt, uint64_t iova, uintptr_t va,
		    uint64_t len, unsigned int prot, uint64_t pgsize_bitmap);

/*
 * Unmap every leaf that overlaps [iova, iova + len) -- a large leaf only
 * partly inside is unmapped whole -- and return the total size of those
 * leaves. The part of the range past the 48-bit IOVA space is ignored.
 */
uint64_t pgtable_x86_unmap(struct pgtable_x86 *pt, uint64_t iova, uint64_t len);

/*
 * The host address @iova translates to (0 when unmapped), with the
 * entry's protection and size in *prot and *pgsize when not NULL. Sets no
 * accessed or dirty bit.
 */
uintptr_t pgtable_x86_iova_to_va(const struct pgtable_x86 *pt, uint64_t iova,
				 unsigned int *prot, uint64_t *pgsize);

/*
 * Report each dirty leaf overlapping [iova, iova + len) as
 * cb(leaf iova, leaf size, opaque), in IOVA order, and clear its dirty bit
 * unless @flags has PGTABLE_DIRTY_NO_CLEAR. -EINVAL for unknown flags.
 */
int pgtable_x86_read_and_clear_dirty(
	struct pgtable_x86 *pt, uint64_t iova, uint64_t len, unsigned int flags,
	void (*cb)(uint64_t iova, uint64_t size, void *opaque), void *opaque);

/* The walks behind pgtable_x86_translate(): fill *ent, or return 0. */
uintptr_t pgtable_x86_translate_miss_read(struct pgtable_x86 *pt,
					  struct pgtable_x86_tlb_entry *ent,
					  uint64_t iova);
uintptr_t pgtable_x86_translate_miss_write(struct pgtable_x86 *pt,
					   struct pgtable_x86_tlb_entry *ent,
					   uint64_t iova);

/*
 * Translate @iova for a DMA access (@access: PGTABLE_PROT_READ or _WRITE).
 * Returns the host address, or 0 when the IOVA is unmapped or the access is
 * not allowed. A write marks the leaf dirty, any access marks it accessed.
 * *bytes_left (when not NULL) gets the number of bytes from iova to the end
 * of the leaf, so that a caller can check a multi-byte access stays inside.
 */
static inline uintptr_t
pgtable_x86_translate(struct pgtable_x86 *pt, struct pgtable_x86_tlb *tlb,
		      uint64_t iova, unsigned int access, uint64_t *bytes_left)
{
	const int write = !!(access & PGTABLE_PROT_WRITE);
	struct pgtable_x86_tlb_entry *ent = &tlb->e[write];
	uint64_t off = iova - ent->iova;
	uintptr_t host;

	if (__builtin_expect(off < ent->size, 1) &&
	    __builtin_expect(ent->gen ==
				     atomic_load_explicit(&pt->gen,
							  memory_order_relaxed),
			     1)) {
		if (bytes_left)
			*bytes_left = ent->size - off;
		return ent->host + off;
	}
	if (write)
		host = pgtable_x86_translate_miss_write(pt, ent, iova);
	else
		host = pgtable_x86_translate_miss_read(pt, ent, iova);
	if (bytes_left && host)
		*bytes_left = ent->size - (iova - ent->iova);
	return host;
}

#endif /* UIOMMUFD_PGTABLE_H */
