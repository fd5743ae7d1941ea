// SPDX-License-Identifier: BSD-3-Clause
/*
 * The x86-64 style IO page table: a 4-level radix tree over a 48-bit IOVA
 * space, 512 entries of 64 bits per table, leaves of 4 KiB (level 1),
 * 2 MiB (level 2) and 1 GiB (level 3). Emulated devices translate through
 * it on every DMA, so the read side is lock-free and short; the write side
 * (map, unmap, dirty clearing) is serialised by the caller.
 *
 * Entry layout (the bits of an x86-64 PTE that matter here):
 *
 *   bit  0     P    present; a present entry is readable
 *   bit  1     W    writable (on a table entry: always set)
 *   bit  5     A    accessed: a translation went through this leaf
 *   bit  6     D    dirty: a write translation went through this leaf
 *   bit  7     PS   leaf at level 2 or 3 (a 2 MiB or 1 GiB page)
 *   bits 12-51      host virtual address of the next table, or of the
 *                   first byte of the page (aligned to the page size)
 *
 * An entry is either 0 or present: nothing ever stores a non-present
 * non-zero value, so "not present" and "0" mean the same.
 *
 * What is atomic and why:
 *  - Every entry is a C11 atomic. Readers (translate, iova_to_va) walk
 *    with acquire loads while the writer maps and unmaps other ranges; a
 *    new table is zeroed first and then published with a release store, so
 *    a reader that sees the entry also sees the zeroes. Readers set A and D
 *    with a compare-and-swap that only succeeds on a present entry, so a
 *    concurrent unmap can never be undone into a non-zero non-present
 *    entry.
 *  - pt->gen (see pgtable.h) tags the translations callers cache in their
 *    TLBs. Unmap and dirty clearing store a fresh value after their entry
 *    stores (release); a miss loads it (acquire) before walking and tags
 *    the filled TLB entry with it, so an entry filled from a stale walk
 *    carries a stale tag and can never hit again.
 *  - A table, once allocated, lives as long as the page table does: a
 *    reader that loaded a pointer to it just before the writer changed the
 *    parent entry may still be reading it. When a large leaf replaces an
 *    empty table, the table is "parked": it stays recorded for its slot
 *    and is published again, still empty, when that slot needs a table
 *    again -- a late reader then reads current entries for its own IOVA.
 *
 * Writer-only bookkeeping (plain memory, never read by readers): each table
 * at levels 2 to 4 has a side array, one 64-bit word per slot, holding the
 * slot's child table (live or parked; bits 12-63) and the child's count of
 * non-empty entries (bits 0-9). An entry is non-empty when it is a leaf or
 * points to a table whose count is not 0. The counts make "is this slot
 * free for a large leaf" and "skip this empty subtree" O(1). Tables at
 * levels 2 and 3 are 8 KiB: 4 KiB of entries, then the side array. Level-1
 * tables are the 4 KiB of entries alone. The root's side array is in
 * struct pgtable_x86.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_private.h"
#include "pgtable.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

#define TABLE_SIZE 4096UL
#define NR_ENTRIES PGTABLE_X86_ENTRIES
#define IOVA_LIMIT (1ULL << PGTABLE_X86_IOVA_BITS)
#define HOST_LIMIT (1ULL << 52)

#define SIDE_CNT 0xfffULL

typedef _Atomic uint64_t pte_t;

/*
 * Generations come from one counter for the whole process, a block at a
 * time so that unmap does not touch a shared cache line on every call.
 * The first block starts past 0: an all-zero TLB entry must never match.
 */
#define GEN_BLOCK (1ULL << 16)
static _Atomic uint64_t gen_source = GEN_BLOCK;

static uint64_t next_gen(struct pgtable_x86 *pt)
{
	if (pt->gen_next == pt->gen_end) {
		pt->gen_next = atomic_fetch_add_explicit(&gen_source, GEN_BLOCK,
							 memory_order_relaxed);
		pt->gen_end = pt->gen_next + GEN_BLOCK;
	}
	return pt->gen_next++;
}

static void bump_gen(struct pgtable_x86 *pt)
{
	atomic_store_explicit(&pt->gen, next_gen(pt), memory_order_release);
}

static inline unsigned int lvl_shift(int level)
{
	return 12 + 9 * (level - 1);
}

static inline unsigned int pt_idx(uint64_t iova, int level)
{
	return (iova >> lvl_shift(level)) & (NR_ENTRIES - 1);
}

static inline bool pte_is_leaf(uint64_t e, int level)
{
	return level == 1 || (e & PTE_PS);
}

static inline pte_t *pte_table(uint64_t e)
{
	return (pte_t *)(uintptr_t)(e & PTE_ADDR);
}

static inline pte_t *side_child(uint64_t side)
{
	return (pte_t *)(uintptr_t)(side & ~SIDE_CNT);
}

static inline uint64_t *table_side(struct pgtable_x86 *pt, pte_t *t, int level)
{
	if (level == 4)
		return pt->root_side;
	return (uint64_t *)(t + NR_ENTRIES);
}

/* A zeroed table for @level; with its side array from level 2 up. */
static pte_t *table_alloc(struct pgtable_x86 *pt, int level)
{
	size_t size = level >= 2 ? 2 * TABLE_SIZE : TABLE_SIZE;
	void *p;

	/* An order-0 page of the kernel's table. */
	if (iommufd_should_fail_page(0))
		return NULL;
	if (posix_memalign(&p, TABLE_SIZE, size))
		return NULL;
	memset(p, 0, size);
	pt->nr_tables++;
	return p;
}

/* Free every table below the level-@level table whose side array is given. */
static void free_children(uint64_t *side, int level)
{
	unsigned int i;

	for (i = 0; i < NR_ENTRIES; i++) {
		pte_t *child = side_child(side[i]);

		if (!child)
			continue;
		if (level - 1 >= 2)
			free_children((uint64_t *)(child + NR_ENTRIES),
				      level - 1);
		free(child);
	}
}

struct pgtable_x86 *pgtable_x86_alloc(void)
{
	struct pgtable_x86 *pt;
	void *p;

	if (iommufd_should_failslab(sizeof(*pt)))
		return NULL;
	if (posix_memalign(&p, 64, sizeof(*pt)))
		return NULL;
	memset(p, 0, sizeof(*pt));
	pt = p;
	atomic_store_explicit(&pt->gen, next_gen(pt), memory_order_relaxed);
	return pt;
}

void pgtable_x86_free(struct pgtable_x86 *pt)
{
	if (!pt)
		return;
	free_children(pt->root_side, 4);
	free(pt);
}

/* ---- the writer ----------------------------------------------------- */

/* The tables on the way from the root to one IOVA. */
struct pt_path {
	pte_t *table[5]; /* table[l]: the level-l table */
	uint64_t *side[5]; /* its side array (l >= 2) */
	uint64_t *cnt[5]; /* the side word holding its count (l <= 3) */
};

/* @n entries of path->table[level] became non-empty. */
static void count_add(struct pt_path *path, int level, unsigned int n)
{
	while (n && level < 4) {
		uint64_t *cnt = path->cnt[level];
		uint64_t old = *cnt & SIDE_CNT;

		*cnt += n;
		if (old)
			break;
		n = 1;
		level++;
	}
}

/*
 * Fill path->table[4 .. level] for @iova, allocating or republishing the
 * tables that are missing. -EEXIST if a leaf above @level covers @iova.
 */
static int descend(struct pgtable_x86 *pt, struct pt_path *path, uint64_t iova,
		   int level)
{
	int l;

	path->table[4] = pt->root;
	path->side[4] = pt->root_side;
	path->cnt[4] = NULL;
	for (l = 4; l > level; l--) {
		pte_t *t = path->table[l];
		uint64_t *side = path->side[l];
		unsigned int i = pt_idx(iova, l);
		uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);
		pte_t *child = side_child(side[i]);

		if (e & PTE_PS)
			return -EEXIST;
		if (!e) {
			if (!child) {
				child = table_alloc(pt, l - 1);
				if (!child)
					return -ENOMEM;
				side[i] = (uintptr_t)child;
			}
			atomic_store_explicit(&t[i],
					      (uintptr_t)child | PTE_P | PTE_W,
					      memory_order_release);
		}
		path->table[l - 1] = child;
		path->cnt[l - 1] = &side[i];
		if (l - 1 >= 2)
			path->side[l - 1] = table_side(pt, child, l - 1);
	}
	return 0;
}

/* The level of the largest leaf that can map the start of what is left. */
static int pick_level(uint64_t iova, uintptr_t va, uint64_t len,
		      uint64_t pgsize_bitmap)
{
	int level;

	for (level = 3; level > 1; level--) {
		uint64_t size = 1ULL << lvl_shift(level);

		if ((pgsize_bitmap & size) && !((iova | va) & (size - 1)) &&
		    len >= size)
			return level;
	}
	return 1;
}

/*
 * Map the leaves of one size that start the range and fall in one table.
 * Advances *iova, *va and *len past what it mapped, also on error.
 */
static int map_run(struct pgtable_x86 *pt, uint64_t *iova, uintptr_t *va,
		   uint64_t *len, uint64_t flags, uint64_t pgsize_bitmap)
{
	int level = pick_level(*iova, *va, *len, pgsize_bitmap);
	uint64_t size = 1ULL << lvl_shift(level);
	struct pt_path path;
	unsigned int i, n = 0;
	uint64_t *side;
	pte_t *t;
	int rc;

	rc = descend(pt, &path, *iova, level);
	if (rc)
		return rc;
	t = path.table[level];
	side = level >= 2 ? path.side[level] : NULL;
	if (level >= 2)
		flags |= PTE_PS;
	for (i = pt_idx(*iova, level); i < NR_ENTRIES && *len >= size; i++) {
		uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);

		/* A table with nothing mapped below it is parked, see top. */
		if (e && (pte_is_leaf(e, level) || (side[i] & SIDE_CNT))) {
			rc = -EEXIST;
			break;
		}
		atomic_store_explicit(&t[i], *va | flags, memory_order_release);
		n++;
		*iova += size;
		*va += size;
		*len -= size;
	}
	count_add(&path, level, n);
	return rc;
}

/*
 * Unmap the leaves overlapping [first, last] under the level-@level table
 * @t, which starts at IOVA @base; @cnt is the word holding its count (NULL
 * for the root). Returns the bytes unmapped.
 */
static uint64_t unmap_table(struct pgtable_x86 *pt, pte_t *t, int level,
			    uint64_t *cnt, uint64_t base, uint64_t first,
			    uint64_t last)
{
	unsigned int shift = lvl_shift(level);
	uint64_t span = 1ULL << shift;
	unsigned int i = (first - base) >> shift;
	unsigned int end = (last - base) >> shift;
	uint64_t *side = level >= 2 ? table_side(pt, t, level) : NULL;
	unsigned int removed = 0;
	uint64_t bytes = 0;

	for (; i <= end; i++) {
		uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);
		uint64_t start = base + ((uint64_t)i << shift);

		if (!e)
			continue;
		if (pte_is_leaf(e, level)) {
			atomic_store_explicit(&t[i], 0, memory_order_relaxed);
			bytes += span;
			removed++;
			continue;
		}
		if (!(side[i] & SIDE_CNT))
			continue;
		bytes += unmap_table(pt, pte_table(e), level - 1, &side[i],
				     start, IOMMUFD_MAX(first, start),
				     IOMMUFD_MIN(last, start + span - 1));
		if (!(side[i] & SIDE_CNT))
			removed++;
	}
	if (cnt)
		*cnt -= removed;
	return bytes;
}

static uint64_t unmap_range(struct pgtable_x86 *pt, uint64_t iova, uint64_t len)
{
	uint64_t last, bytes;

	if (!len || iova >= IOVA_LIMIT)
		return 0;
	last = iova + len - 1;
	if (last < iova || last >= IOVA_LIMIT)
		last = IOVA_LIMIT - 1;
	bytes = unmap_table(pt, pt->root, 4, NULL, 0, iova, last);
	if (bytes)
		bump_gen(pt);
	return bytes;
}

int pgtable_x86_map(struct pgtable_x86 *pt, uint64_t iova, uintptr_t va,
		    uint64_t len, unsigned int prot, uint64_t pgsize_bitmap)
{
	uint64_t start = iova, flags, min_size;
	int rc;

	if (!pgsize_bitmap || (pgsize_bitmap & ~PGTABLE_X86_PGSIZES))
		return -EINVAL;
	if (!prot || (prot & ~(PGTABLE_PROT_READ | PGTABLE_PROT_WRITE)))
		return -EINVAL;
	min_size = pgsize_bitmap & -pgsize_bitmap;
	if (!len || ((iova | va | len) & (min_size - 1)))
		return -EINVAL;
	if (iova + len < iova || iova + len > IOVA_LIMIT)
		return -EINVAL;
	if (!va || va + len < va || va + len > HOST_LIMIT)
		return -EINVAL;

	flags = PTE_P | (prot & PGTABLE_PROT_WRITE ? PTE_W : 0);
	while (len) {
		rc = map_run(pt, &iova, &va, &len, flags, pgsize_bitmap);
		if (unlikely(rc)) {
			/* All of [start, iova) is ours: it was empty. */
			unmap_range(pt, start, iova - start);
			return rc;
		}
	}
	return 0;
}

/*
 * The common case, a range inside one leaf (typically exactly one leaf),
 * without the general walk. Returns 0 when it does not apply.
 */
static uint64_t unmap_one_leaf(struct pgtable_x86 *pt, uint64_t iova,
			       uint64_t len)
{
	uint64_t *cnt[5], *side = pt->root_side, e, size;
	pte_t *t = pt->root;
	unsigned int i;
	int level;

	for (level = 4;; level--) {
		i = pt_idx(iova, level);
		e = atomic_load_explicit(&t[i], memory_order_relaxed);
		if (!e)
			return 0;
		if (pte_is_leaf(e, level))
			break;
		cnt[level - 1] = &side[i];
		t = pte_table(e);
		if (level - 1 >= 2)
			side = table_side(pt, t, level - 1);
	}
	size = 1ULL << lvl_shift(level);
	if ((iova & (size - 1)) + len > size)
		return 0;
	atomic_store_explicit(&t[i], 0, memory_order_relaxed);
	/* Drop a count; where one reaches 0, its table's parent loses one. */
	while (level < 4 && !(--*cnt[level] & SIDE_CNT))
		level++;
	bump_gen(pt);
	return size;
}

uint64_t pgtable_x86_unmap(struct pgtable_x86 *pt, uint64_t iova, uint64_t len)
{
	uint64_t bytes;

	if (likely(len && iova < IOVA_LIMIT && len <= PGTABLE_X86_SZ_1G)) {
		bytes = unmap_one_leaf(pt, iova, len);
		if (bytes)
			return bytes;
	}
	return unmap_range(pt, iova, len);
}

struct dirty_walk {
	bool clear;
	bool cleared;
	void (*cb)(uint64_t iova, uint64_t size, void *opaque);
	void *opaque;
};

static void dirty_table(struct pgtable_x86 *pt, struct dirty_walk *w, pte_t *t,
			int level, uint64_t base, uint64_t first, uint64_t last)
{
	unsigned int shift = lvl_shift(level);
	uint64_t span = 1ULL << shift;
	unsigned int i = (first - base) >> shift;
	unsigned int end = (last - base) >> shift;
	uint64_t *side = level >= 2 ? table_side(pt, t, level) : NULL;

	for (; i <= end; i++) {
		uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);
		uint64_t start = base + ((uint64_t)i << shift);

		if (!e)
			continue;
		if (pte_is_leaf(e, level)) {
			if (!(e & PTE_D))
				continue;
			w->cb(start, span, w->opaque);
			if (w->clear) {
				atomic_fetch_and_explicit(&t[i], ~PTE_D,
							  memory_order_relaxed);
				w->cleared = true;
			}
			continue;
		}
		if (!(side[i] & SIDE_CNT))
			continue;
		dirty_table(pt, w, pte_table(e), level - 1, start,
			    IOMMUFD_MAX(first, start),
			    IOMMUFD_MIN(last, start + span - 1));
	}
}

int pgtable_x86_read_and_clear_dirty(
	struct pgtable_x86 *pt, uint64_t iova, uint64_t len, unsigned int flags,
	void (*cb)(uint64_t iova, uint64_t size, void *opaque), void *opaque)
{
	struct dirty_walk w = {
		.clear = !(flags & PGTABLE_DIRTY_NO_CLEAR),
		.cb = cb,
		.opaque = opaque,
	};
	uint64_t last;

	if (flags & ~PGTABLE_DIRTY_NO_CLEAR || !cb)
		return -EINVAL;
	if (!len || iova >= IOVA_LIMIT)
		return 0;
	last = iova + len - 1;
	if (last < iova || last >= IOVA_LIMIT)
		last = IOVA_LIMIT - 1;
	dirty_table(pt, &w, pt->root, 4, 0, iova, last);
	/* Cached write translations would skip setting D again. */
	if (w.cleared)
		bump_gen(pt);
	return 0;
}

/* ---- the readers ---------------------------------------------------- */

uintptr_t pgtable_x86_iova_to_va(const struct pgtable_x86 *pt, uint64_t iova,
				 unsigned int *prot, uint64_t *pgsize)
{
	const pte_t *t = pt->root;
	uint64_t e, size;
	int level;

	if (iova >= IOVA_LIMIT)
		return 0;
	for (level = 4;; level--) {
		e = atomic_load_explicit(&t[pt_idx(iova, level)],
					 memory_order_acquire);
		if (!(e & PTE_P))
			return 0;
		if (pte_is_leaf(e, level))
			break;
		t = pte_table(e);
	}
	size = 1ULL << lvl_shift(level);
	if (prot)
		*prot = PGTABLE_PROT_READ |
			(e & PTE_W ? PGTABLE_PROT_WRITE : 0);
	if (pgsize)
		*pgsize = size;
	return (e & PTE_ADDR) + (iova & (size - 1));
}

/* Out of line, and reached by a tail call: the walk needs no frame. */
static uintptr_t __attribute__((noinline))
mark_and_walk(struct pgtable_x86 *pt, struct pgtable_x86_tlb_entry *ent,
	      uint64_t iova, uint64_t need);

/*
 * A table entry is the table's address plus exactly P|W: subtracting that
 * (folded by the compiler into the load's displacement) is cheaper than
 * masking.
 */
#define TABLE_FLAGS (PTE_P | PTE_W)

static inline __attribute__((always_inline)) uint64_t
load_next(uint64_t e, uint64_t iova, int level)
{
	const pte_t *slot = (const pte_t *)(uintptr_t)(e - TABLE_FLAGS) +
			    pt_idx(iova, level);

	return atomic_load_explicit(slot, memory_order_acquire);
}

static inline __attribute__((always_inline)) uintptr_t
fill(struct pgtable_x86_tlb_entry *ent, uint64_t e, uint64_t iova, uint64_t gen,
     const uint64_t size)
{
	/* The flags all sit below bit 12 and nothing is set above bit 51. */
	uintptr_t host = e & ~(size - 1);
	uint64_t start = iova & ~(size - 1);

	ent->iova = start;
	ent->size = size;
	ent->host = host;
	ent->gen = gen;
	return host + (iova - start);
}

/*
 * Does leaf @e allow an access that needs @need, without setting a bit?
 * A read needs A only: a leaf that is 0 has no A either.
 */
static inline __attribute__((always_inline)) bool leaf_ok(uint64_t e,
							  uint64_t need)
{
	if (!(need & PTE_W))
		return e & PTE_A;
	return (e & need) == need;
}

/*
 * The TLB-miss walk, unrolled: one dependent load per level, and on the
 * usual path no stores but the TLB entry's. Returns 0 for a fault.
 */
static inline __attribute__((always_inline)) uintptr_t
translate_walk(struct pgtable_x86 *pt, struct pgtable_x86_tlb_entry *ent,
	       uint64_t iova, const uint64_t need)
{
	uint64_t gen = atomic_load_explicit(&pt->gen, memory_order_acquire);
	uint64_t e, i4 = iova >> 39;

	if (unlikely(i4 >= NR_ENTRIES))
		return 0;
	e = atomic_load_explicit(&pt->root[i4], memory_order_acquire);
	if (unlikely(!e))
		return 0;
	e = load_next(e, iova, 3);
	if (unlikely(!e))
		return 0;
	if (unlikely(e & PTE_PS)) {
		if (unlikely(!leaf_ok(e, need)))
			goto mark;
		return fill(ent, e, iova, gen, PGTABLE_X86_SZ_1G);
	}
	e = load_next(e, iova, 2);
	if (e & PTE_PS) {
		if (unlikely(!leaf_ok(e, need)))
			goto mark;
		return fill(ent, e, iova, gen, PGTABLE_X86_SZ_2M);
	}
	if (unlikely(!e))
		return 0;
	e = load_next(e, iova, 1);
	if (unlikely(!leaf_ok(e, need)))
		goto mark;
	return fill(ent, e, iova, gen, PGTABLE_X86_SZ_4K);
mark:
	return mark_and_walk(pt, ent, iova, need);
}

/*
 * The leaf for @iova lacks a bit that @need asks for: set A (and D), if
 * the leaf allows the access, then walk again to fill the TLB entry.
 */
static uintptr_t mark_and_walk(struct pgtable_x86 *pt,
			       struct pgtable_x86_tlb_entry *ent, uint64_t iova,
			       uint64_t need)
{
	uint64_t set = need & (PTE_A | PTE_D);
	const pte_t *t;
	pte_t *slot;
	uint64_t e;
	int level;

again:
	t = pt->root;
	for (level = 4;; level--) {
		slot = (pte_t *)&t[pt_idx(iova, level)];
		e = atomic_load_explicit(slot, memory_order_acquire);
		if (!e)
			return 0;
		if (pte_is_leaf(e, level))
			break;
		t = pte_table(e);
	}
	for (;;) {
		if (!(e & PTE_P) || ((need & PTE_W) && !(e & PTE_W)))
			return 0;
		/*
		 * The writer may have unmapped the leaf and put a table in
		 * its place since: A or D set on a table entry would shift
		 * every address read through it. Walk to the new leaf.
		 */
		if (!pte_is_leaf(e, level))
			goto again;
		if ((e & set) == set)
			break;
		if (atomic_compare_exchange_weak_explicit(slot, &e, e | set,
							  memory_order_relaxed,
							  memory_order_relaxed))
			break;
	}
	/*
	 * Walk again rather than fill from @e: the generation must be read
	 * before the entry. A write walks again needing D, so that a D
	 * cleared meanwhile is set again before a write entry is cached.
	 */
	if (need & PTE_W)
		return translate_walk(pt, ent, iova, PTE_P | PTE_W | PTE_D);
	return translate_walk(pt, ent, iova, PTE_P);
}

uintptr_t pgtable_x86_translate_miss_read(struct pgtable_x86 *pt,
					  struct pgtable_x86_tlb_entry *ent,
					  uint64_t iova)
{
	return translate_walk(pt, ent, iova, PTE_P | PTE_A);
}

uintptr_t pgtable_x86_translate_miss_write(struct pgtable_x86 *pt,
					   struct pgtable_x86_tlb_entry *ent,
					   uint64_t iova)
{
	return translate_walk(pt, ent, iova, PTE_P | PTE_W | PTE_A | PTE_D);
}
