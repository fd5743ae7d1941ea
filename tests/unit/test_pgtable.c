// SPDX-License-Identifier: BSD-3-Clause
/*
 * Tests for lib/pgtable_x86_64.c, the x86-64 style IO page table: the
 * choice of page sizes, errors without side effects (including every
 * allocation failing in turn), partial unmaps, the 48-bit limit, dirty
 * tracking, the caller's TLB and its invalidation, a differential test
 * against a page-granular model, and readers translating while a writer
 * maps and unmaps around them (run it under ThreadSanitizer too).
 *
 * Host addresses are never dereferenced, so most tests use made-up ones.
 * PGTABLE_TEST_SEED=<n> in the environment replays one random seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "iommufd_private.h"
#include "pgtable.h"

#define SZ_4K PGTABLE_X86_SZ_4K
#define SZ_2M PGTABLE_X86_SZ_2M
#define SZ_1G PGTABLE_X86_SZ_1G
#define ALL PGTABLE_X86_PGSIZES
#define RD PGTABLE_PROT_READ
#define WR PGTABLE_PROT_WRITE
#define RW (RD | WR)
#define TOP (1ULL << 48)

/* A made-up host address space, 1 GiB aligned and far from 0. */
#define HOST 0x100000000000ULL

static uint64_t g_seed;
static uint64_t g_rng;
static unsigned long g_step;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			print_error("FAILED %s at %s:%d (step %lu); replay " \
				    "with PGTABLE_TEST_SEED=%" PRIu64 "\n",  \
				    #cond, __FILE__, __LINE__, g_step,       \
				    g_seed);                                 \
			fail();                                              \
		}                                                            \
	} while (0)

static uint64_t rnd(void)
{
	uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static void seed_rng(void)
{
	const char *env = getenv("PGTABLE_TEST_SEED");

	g_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	g_rng = g_seed;
	g_step = 0;
}

static int setup_pt(void **state)
{
	*state = pgtable_x86_alloc();
	return *state ? 0 : -1;
}

static int teardown_pt(void **state)
{
	pgtable_x86_free(*state);
	return 0;
}

/* iova_to_va, asserting the entry size and protection too. */
static void expect_map(struct pgtable_x86 *pt, uint64_t iova, uint64_t va,
		       uint64_t pgsize, unsigned int prot)
{
	unsigned int got_prot = 0;
	uint64_t got_size = 0;

	assert_int_equal(pgtable_x86_iova_to_va(pt, iova, &got_prot, &got_size),
			 va);
	assert_int_equal(got_size, pgsize);
	assert_int_equal(got_prot, prot);
}

static void expect_unmapped(struct pgtable_x86 *pt, uint64_t iova)
{
	assert_int_equal(pgtable_x86_iova_to_va(pt, iova, NULL, NULL), 0);
}

/* ---- dirty reports --------------------------------------------------- */

#define MAX_REPORTS 4096

struct reports {
	unsigned int n;
	uint64_t iova[MAX_REPORTS];
	uint64_t size[MAX_REPORTS];
};

static void record(uint64_t iova, uint64_t size, void *opaque)
{
	struct reports *r = opaque;

	assert_true(r->n < MAX_REPORTS);
	r->iova[r->n] = iova;
	r->size[r->n] = size;
	r->n++;
}

static unsigned int dirty(struct pgtable_x86 *pt, uint64_t iova, uint64_t len,
			  unsigned int flags, struct reports *r)
{
	r->n = 0;
	assert_int_equal(pgtable_x86_read_and_clear_dirty(pt, iova, len, flags,
							  record, r),
			 0);
	return r->n;
}

/*
 * Everything observable about [base, base + npages * 4K): each page's
 * translation, size and protection, then the dirty leaves.
 */
struct snap {
	size_t n;
	uint64_t *v;
};

static void take_snap(struct pgtable_x86 *pt, uint64_t base, size_t npages,
		      struct snap *s)
{
	struct reports r;
	size_t i;

	s->n = 3 * npages + 1 + 2 * MAX_REPORTS;
	s->v = calloc(s->n, sizeof(*s->v));
	assert_non_null(s->v);
	for (i = 0; i < npages; i++) {
		unsigned int prot = 0;
		uint64_t size = 0;

		s->v[3 * i] = pgtable_x86_iova_to_va(pt, base + i * SZ_4K,
						     &prot, &size);
		s->v[3 * i + 1] = s->v[3 * i] ? size : 0;
		s->v[3 * i + 2] = s->v[3 * i] ? prot : 0;
	}
	dirty(pt, base, npages * SZ_4K, PGTABLE_DIRTY_NO_CLEAR, &r);
	s->v[3 * npages] = r.n;
	memcpy(&s->v[3 * npages + 1], r.iova, r.n * sizeof(uint64_t));
	memcpy(&s->v[3 * npages + 1 + MAX_REPORTS], r.size,
	       r.n * sizeof(uint64_t));
}

static void expect_snap(struct pgtable_x86 *pt, uint64_t base, size_t npages,
			struct snap *before)
{
	struct snap now;

	take_snap(pt, base, npages, &now);
	assert_int_equal(now.n, before->n);
	assert_memory_equal(now.v, before->v, now.n * sizeof(uint64_t));
	free(now.v);
}

/* ---- basic mapping ---------------------------------------------------- */

static void test_empty(void **state)
{
	struct pgtable_x86 *pt = *state;
	struct pgtable_x86_tlb tlb = { 0 };
	struct reports r;

	expect_unmapped(pt, 0);
	expect_unmapped(pt, SZ_1G + 12345);
	expect_unmapped(pt, TOP - 1);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, 0, RD, NULL), 0);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, 0, WR, NULL), 0);
	assert_int_equal(pgtable_x86_unmap(pt, 0, TOP), 0);
	assert_int_equal(pgtable_x86_unmap(pt, 0, UINT64_MAX), 0);
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 0);
	/* Freeing an untouched table, and freeing NULL. */
	pgtable_x86_free(pgtable_x86_alloc());
	pgtable_x86_free(NULL);
}

static void test_map_4k(void **state)
{
	struct pgtable_x86 *pt = *state;
	uint64_t iova = 0x12345000;

	assert_int_equal(pgtable_x86_map(pt, iova, HOST + 0x7000, 3 * SZ_4K, RW,
					 ALL),
			 0);
	expect_map(pt, iova, HOST + 0x7000, SZ_4K, RW);
	expect_map(pt, iova + 0x123, HOST + 0x7123, SZ_4K, RW);
	expect_map(pt, iova + 2 * SZ_4K + 0xfff, HOST + 0x9fff, SZ_4K, RW);
	expect_unmapped(pt, iova - 1);
	expect_unmapped(pt, iova + 3 * SZ_4K);
	/* Read-only, and write-only (which the format makes readable). */
	assert_int_equal(pgtable_x86_map(pt, 0, HOST, SZ_4K, RD, ALL), 0);
	expect_map(pt, 0, HOST, SZ_4K, RD);
	assert_int_equal(pgtable_x86_map(pt, SZ_4K, HOST, SZ_4K, WR, ALL), 0);
	expect_map(pt, SZ_4K, HOST, SZ_4K, RW);
	assert_int_equal(pgtable_x86_unmap(pt, 0, TOP), 5 * SZ_4K);
	expect_unmapped(pt, iova);
}

/* Map one range, then check the size of the leaf at each given offset. */
struct size_case {
	uint64_t iova, va, len, bitmap;
	struct {
		uint64_t off, size;
	} at[4];
	unsigned int nr_leaves;
};

static void test_page_sizes(void **state)
{
	static const struct size_case cases[] = {
		/* Both 2 MiB aligned: one 2 MiB leaf. */
		{ SZ_2M, HOST, SZ_2M, ALL, { { 0, SZ_2M } }, 1 },
		/* The host address only 4 KiB aligned: 4 KiB leaves. */
		{ SZ_2M, HOST + SZ_4K, SZ_2M, ALL, { { 0, SZ_4K } }, 512 },
		/* The IOVA only 4 KiB aligned: the same. */
		{ SZ_2M + SZ_4K, HOST, SZ_2M, ALL, { { 0, SZ_4K } }, 512 },
		/* 1 GiB aligned: one 1 GiB leaf ... */
		{ SZ_1G, HOST, SZ_1G, ALL, { { 0, SZ_1G } }, 1 },
		/* ... unless the bitmap forbids it. */
		{ SZ_1G,
		  HOST,
		  SZ_1G,
		  SZ_4K | SZ_2M,
		  { { 0, SZ_2M }, { SZ_1G - 1, SZ_2M } },
		  512 },
		{ SZ_1G, HOST, 4 * SZ_2M, SZ_4K, { { 0, SZ_4K } }, 2048 },
		/* A 1 GiB host alignment is not enough on a 2 MiB IOVA. */
		{ 3 * SZ_2M, HOST, SZ_1G, ALL, { { 0, SZ_2M } }, 512 },
		/* 3 MiB: a 2 MiB leaf, then 4 KiB ones. */
		{ SZ_2M,
		  HOST,
		  3 * SZ_2M / 2,
		  ALL,
		  { { 0, SZ_2M },
		    { SZ_2M, SZ_4K },
		    { 3 * SZ_2M / 2 - 1, SZ_4K } },
		  1 + 256 },
		/* 4 KiB leaves up to the 2 MiB boundary, then 2 MiB ones. */
		{ SZ_2M - 2 * SZ_4K,
		  HOST + SZ_2M - 2 * SZ_4K,
		  2 * SZ_4K + 2 * SZ_2M + SZ_4K,
		  ALL,
		  { { 0, SZ_4K },
		    { 2 * SZ_4K, SZ_2M },
		    { 2 * SZ_4K + SZ_2M, SZ_2M },
		    { 2 * SZ_4K + 2 * SZ_2M, SZ_4K } },
		  2 + 2 + 1 },
		/* From 4 KiB to 2 MiB to 1 GiB and back down. */
		{ SZ_1G - SZ_2M - SZ_4K,
		  HOST + SZ_1G - SZ_2M - SZ_4K,
		  SZ_4K + SZ_2M + SZ_1G + SZ_2M + SZ_4K,
		  ALL,
		  { { 0, SZ_4K },
		    { SZ_4K, SZ_2M },
		    { SZ_4K + SZ_2M, SZ_1G },
		    { SZ_4K + SZ_2M + SZ_1G, SZ_2M } },
		  5 },
		/* Only 2 MiB allowed, and everything 2 MiB aligned. */
		{ 0, HOST, 2 * SZ_2M, SZ_2M, { { SZ_2M + 5, SZ_2M } }, 2 },
	};
	struct pgtable_x86 *pt = *state;
	size_t c;
	unsigned int j;

	for (c = 0; c < IOMMUFD_ARRAY_SIZE(cases); c++) {
		const struct size_case *k = &cases[c];
		struct reports r;
		uint64_t off;

		assert_int_equal(pgtable_x86_map(pt, k->iova, k->va, k->len, RW,
						 k->bitmap),
				 0);
		for (j = 0; j < 4 && k->at[j].size; j++) {
			off = k->at[j].off;
			expect_map(pt, k->iova + off, k->va + off,
				   k->at[j].size, RW);
		}
		/* Count the leaves: dirty them all with a write each. */
		for (off = 0; off < k->len;) {
			struct pgtable_x86_tlb tlb = { 0 };
			uint64_t left = 0;

			assert_int_equal(pgtable_x86_translate(pt, &tlb,
							       k->iova + off,
							       WR, &left),
					 k->va + off);
			off += left;
		}
		assert_int_equal(dirty(pt, 0, TOP, 0, &r), k->nr_leaves);
		expect_unmapped(pt, k->iova - 1);
		expect_unmapped(pt, k->iova + k->len);
		assert_int_equal(pgtable_x86_unmap(pt, k->iova, k->len),
				 k->len);
		expect_unmapped(pt, k->iova);
		assert_int_equal(pgtable_x86_unmap(pt, 0, TOP), 0);
	}
}

static void test_einval(void **state)
{
	struct pgtable_x86 *pt = *state;
	struct snap s;

	assert_int_equal(pgtable_x86_map(pt, SZ_1G, HOST, SZ_4K, RW, ALL), 0);
	take_snap(pt, SZ_1G - 16 * SZ_4K, 64, &s);
#define EINVAL_MAP(iova, va, len, prot, bitmap)                            \
	assert_int_equal(pgtable_x86_map(pt, iova, va, len, prot, bitmap), \
			 -EINVAL)
	EINVAL_MAP(SZ_1G + 1, HOST, SZ_4K, RW, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, HOST + 8, SZ_4K, RW, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, 100, RW, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, 0, RW, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, SZ_4K, 0, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, SZ_4K, 4, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, SZ_4K, RW, 0);
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, SZ_4K, RW, ALL | (1ULL << 13));
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, SZ_4K, RW, 1ULL << 39);
	/* Aligned to 4 KiB only, with 4 KiB entries not allowed. */
	EINVAL_MAP(SZ_1G - SZ_4K, HOST, SZ_4K, RW, SZ_2M | SZ_1G);
	EINVAL_MAP(SZ_1G - SZ_2M, HOST, SZ_2M + SZ_4K, RW, SZ_2M);
	EINVAL_MAP(SZ_1G - SZ_2M, HOST + SZ_4K, SZ_2M, RW, SZ_2M);
	/* Host address 0, or past 52 bits. */
	EINVAL_MAP(SZ_1G - SZ_4K, 0, SZ_4K, RW, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, (1ULL << 52) - SZ_4K, 2 * SZ_4K, RW, ALL);
	EINVAL_MAP(SZ_1G - SZ_4K, UINT64_MAX - SZ_4K + 1, SZ_4K, RW, ALL);
	/* Past 48 bits, and wrapping around. */
	EINVAL_MAP(TOP, HOST, SZ_4K, RW, ALL);
	EINVAL_MAP(TOP - SZ_4K, HOST, 2 * SZ_4K, RW, ALL);
	EINVAL_MAP(UINT64_MAX - SZ_4K + 1, HOST, SZ_4K, RW, ALL);
	EINVAL_MAP(SZ_4K, HOST, UINT64_MAX - SZ_4K + 1, RW, ALL);
#undef EINVAL_MAP
	expect_snap(pt, SZ_1G - 16 * SZ_4K, 64, &s);
	free(s.v);
	assert_int_equal(pgtable_x86_read_and_clear_dirty(pt, 0, TOP, 2, record,
							  NULL),
			 -EINVAL);
	assert_int_equal(pgtable_x86_read_and_clear_dirty(pt, 0, TOP, 0, NULL,
							  NULL),
			 -EINVAL);
}

static void test_top_of_iova_space(void **state)
{
	struct pgtable_x86 *pt = *state;
	struct pgtable_x86_tlb tlb = { 0 };

	assert_int_equal(pgtable_x86_map(pt, TOP - SZ_4K, HOST, SZ_4K, RW, ALL),
			 0);
	assert_int_equal(pgtable_x86_map(pt, TOP - SZ_1G - SZ_2M, HOST, SZ_1G,
					 RW, ALL),
			 0);
	assert_int_equal(
		pgtable_x86_map(pt, TOP - 3 * SZ_1G, HOST, SZ_1G, RW, ALL), 0);
	expect_map(pt, TOP - 1, HOST + SZ_4K - 1, SZ_4K, RW);
	expect_map(pt, TOP - SZ_2M - 1, HOST + SZ_1G - 1, SZ_2M, RW);
	expect_map(pt, TOP - 2 * SZ_1G - 1, HOST + SZ_1G - 1, SZ_1G, RW);
	expect_unmapped(pt, TOP - 2 * SZ_1G);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, TOP - 8, RD, NULL),
			 HOST + SZ_4K - 8);
	/* Past the top: unmapped, whatever the low 48 bits say. */
	expect_unmapped(pt, TOP);
	expect_unmapped(pt, TOP + TOP - 1);
	expect_unmapped(pt, UINT64_MAX);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, TOP, RD, NULL), 0);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, 2 * TOP - 8, RD, NULL),
			 0);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, UINT64_MAX, WR, NULL),
			 0);
	/* Unmap ranges beyond the top are cut at it. */
	assert_int_equal(pgtable_x86_unmap(pt, TOP, SZ_1G), 0);
	assert_int_equal(pgtable_x86_unmap(pt, TOP - SZ_4K, UINT64_MAX), SZ_4K);
	assert_int_equal(pgtable_x86_unmap(pt, TOP - SZ_1G, 2 * SZ_1G),
			 511 * SZ_2M);
	assert_int_equal(pgtable_x86_unmap(pt, 0, UINT64_MAX), SZ_1G + SZ_2M);
	expect_unmapped(pt, TOP - 1);
}

/* ---- errors leave nothing behind --------------------------------------- */

static void test_eexist(void **state)
{
	struct pgtable_x86 *pt = *state;
	const uint64_t base = 4 * SZ_1G;
	struct pgtable_x86_tlb tlb = { 0 };
	struct snap s;

	/* 4 KiB at 1 MiB, a 2 MiB leaf at 4 MiB, a 1 GiB leaf at 2 GiB. */
	assert_int_equal(
		pgtable_x86_map(pt, base + 0x100000, HOST, SZ_4K, RW, ALL), 0);
	assert_int_equal(
		pgtable_x86_map(pt, base + 2 * SZ_2M, HOST, SZ_2M, RD, ALL), 0);
	assert_int_equal(
		pgtable_x86_map(pt, base + 2 * SZ_1G, HOST, SZ_1G, RW, ALL), 0);
	/* Dirty one, so that the snapshot covers dirty bits too. */
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 0x100008, WR,
					       NULL),
			 HOST + 8);
	take_snap(pt, base, 4 * SZ_2M / SZ_4K, &s);

#define EEXIST_MAP(iova, va, len, bitmap)                                \
	assert_int_equal(pgtable_x86_map(pt, base + (iova), va, len, RW, \
					 bitmap),                        \
			 -EEXIST)
	/* The same page; a range ending, starting or passing on it. */
	EEXIST_MAP(0x100000, HOST, SZ_4K, ALL);
	EEXIST_MAP(0, HOST, 0x101000, ALL);
	EEXIST_MAP(0x100000, HOST, 0x80000, ALL);
	EEXIST_MAP(0xff000, HOST + SZ_4K, 3 * SZ_4K, ALL);
	/* A 2 MiB leaf over the 4 KiB page's table. */
	EEXIST_MAP(0, HOST, SZ_2M, ALL);
	/* 4 KiB pages, or a 2 MiB leaf, over the 2 MiB leaf. */
	EEXIST_MAP(2 * SZ_2M + 0x5000, HOST, SZ_4K, ALL);
	EEXIST_MAP(2 * SZ_2M - SZ_4K, HOST, 2 * SZ_4K, ALL);
	EEXIST_MAP(2 * SZ_2M, HOST, SZ_2M, ALL);
	EEXIST_MAP(SZ_2M, HOST, 2 * SZ_2M, ALL);
	/* Mapped halfway (one 2 MiB leaf, then 4 KiB up to the clash). */
	EEXIST_MAP(SZ_2M, HOST, 3 * SZ_2M, ALL);
	EEXIST_MAP(SZ_2M + SZ_4K, HOST, SZ_2M, ALL);
	/* A 1 GiB leaf over a table with something mapped under it. */
	EEXIST_MAP(0, HOST, SZ_1G, ALL);
	/* And anything over the 1 GiB leaf. */
	EEXIST_MAP(2 * SZ_1G + 77 * SZ_4K, HOST, SZ_4K, ALL);
	EEXIST_MAP(2 * SZ_1G + 5 * SZ_2M, HOST, SZ_2M, ALL);
	EEXIST_MAP(SZ_1G, HOST, 2 * SZ_1G, ALL);
	EEXIST_MAP(2 * SZ_1G - SZ_4K, HOST, 2 * SZ_4K, ALL);
#undef EEXIST_MAP
	expect_snap(pt, base, 4 * SZ_2M / SZ_4K, &s);
	free(s.v);
	expect_map(pt, base + 2 * SZ_1G + 5, HOST + 5, SZ_1G, RW);
	expect_unmapped(pt, base + SZ_1G);
	expect_unmapped(pt, base + 3 * SZ_1G);
	assert_int_equal(pgtable_x86_unmap(pt, 0, TOP), SZ_4K + SZ_2M + SZ_1G);
}

/*
 * Every allocation of a map failing in turn: on fresh tables (each failure
 * point once), then again and again on one table (which keeps the tables
 * a failed attempt made, so that fewer allocations are left each time).
 */
#define NOMEM_IOVA ((1ULL << 39) - SZ_1G - SZ_2M - SZ_4K)
#define NOMEM_VA (HOST + SZ_1G - SZ_2M - SZ_4K)
/* Across a 512 GiB, a 1 GiB and 2 MiB boundaries, with all sizes. */
#define NOMEM_LEN (SZ_4K + SZ_2M + SZ_1G + SZ_2M + 3 * SZ_4K)

static unsigned int nomem_sweep(struct pgtable_x86 *pt, bool fresh)
{
	const uint64_t snap_base = NOMEM_IOVA - SZ_2M;
	const size_t snap_pages = 4 * SZ_2M / SZ_4K;
	unsigned int nth, failures = 0;
	struct snap s;
	int rc;

	for (nth = 1;; nth++) {
		if (fresh) {
			pt = pgtable_x86_alloc();
			assert_non_null(pt);
		}
		/* Something to keep, right before the range. */
		if (fresh || nth == 1) {
			assert_int_equal(pgtable_x86_map(pt, NOMEM_IOVA - SZ_4K,
							 HOST, SZ_4K, RW, ALL),
					 0);
			take_snap(pt, snap_base, snap_pages, &s);
		}
		iommufd_fail_nth_set(nth);
		rc = pgtable_x86_map(pt, NOMEM_IOVA, NOMEM_VA, NOMEM_LEN, RW,
				     ALL);
		if (!rc) {
			assert_false(iommufd_fail_nth_clear());
			break;
		}
		assert_true(iommufd_fail_nth_clear());
		assert_int_equal(rc, -ENOMEM);
		failures++;
		expect_snap(pt, snap_base, snap_pages, &s);
		expect_unmapped(pt, NOMEM_IOVA + SZ_4K + SZ_2M + 12345);
		expect_unmapped(pt, NOMEM_IOVA + NOMEM_LEN - 1);
		if (fresh) {
			free(s.v);
			pgtable_x86_free(pt);
		}
	}
	free(s.v);
	expect_map(pt, NOMEM_IOVA, NOMEM_VA, SZ_4K, RW);
	expect_map(pt, NOMEM_IOVA + SZ_4K + SZ_2M, HOST + SZ_1G, SZ_1G, RW);
	expect_map(pt, NOMEM_IOVA + NOMEM_LEN - 1, NOMEM_VA + NOMEM_LEN - 1,
		   SZ_4K, RW);
	assert_int_equal(pgtable_x86_unmap(pt, NOMEM_IOVA, NOMEM_LEN),
			 NOMEM_LEN);
	expect_map(pt, NOMEM_IOVA - SZ_4K, HOST, SZ_4K, RW);
	if (fresh)
		pgtable_x86_free(pt);
	return failures;
}

static void test_enomem(void **state)
{
	struct pgtable_x86 *pt = *state;
	uint64_t tables;
	int rc;

	/* The new 512 GiB slot needs a level-3, a level-2 and a level-1
	 * table; the rest of the range has its tables already. */
	assert_int_equal(nomem_sweep(NULL, true), 3);
	assert_int_equal(nomem_sweep(pt, false), 2);

	/* Now mapping the same range again allocates nothing. */
	tables = pt->nr_tables;
	iommufd_fail_nth_set(1);
	rc = pgtable_x86_map(pt, NOMEM_IOVA, NOMEM_VA, NOMEM_LEN, RW, ALL);
	assert_false(iommufd_fail_nth_clear());
	assert_int_equal(rc, 0);
	assert_int_equal(pt->nr_tables, tables);

	/* And the table itself. */
	iommufd_fail_nth_set(1);
	assert_null(pgtable_x86_alloc());
	assert_true(iommufd_fail_nth_clear());
}

/* ---- unmap ------------------------------------------------------------- */

static void test_unmap_partial(void **state)
{
	struct pgtable_x86 *pt = *state;
	const uint64_t base = 7 * SZ_1G;
	unsigned int i;

	assert_int_equal(pgtable_x86_map(pt, base, HOST, 8 * SZ_4K, RW, ALL),
			 0);
	/* Two in the middle; the range's unaligned ends round outwards. */
	assert_int_equal(pgtable_x86_unmap(pt, base + 3 * SZ_4K + 1, SZ_4K + 2),
			 2 * SZ_4K);
	for (i = 0; i < 8; i++) {
		if (i == 3 || i == 4)
			expect_unmapped(pt, base + i * SZ_4K);
		else
			expect_map(pt, base + i * SZ_4K, HOST + i * SZ_4K,
				   SZ_4K, RW);
	}
	/* Over the hole: only what is mapped counts. */
	assert_int_equal(pgtable_x86_unmap(pt, base + 2 * SZ_4K, 4 * SZ_4K),
			 2 * SZ_4K);
	assert_int_equal(pgtable_x86_unmap(pt, base + 2 * SZ_4K, 4 * SZ_4K), 0);
	assert_int_equal(pgtable_x86_unmap(pt, base, 0), 0);
	assert_int_equal(pgtable_x86_unmap(pt, base, SZ_1G), 4 * SZ_4K);
}

static void test_unmap_large(void **state)
{
	struct pgtable_x86 *pt = *state;
	const uint64_t base = 9 * SZ_1G;

	/* 4K, 2M, 2M, 4K around a 2 MiB boundary at base + 4M. */
	assert_int_equal(pgtable_x86_map(pt, base + SZ_2M - SZ_4K,
					 HOST + SZ_2M - SZ_4K,
					 2 * SZ_2M + 2 * SZ_4K, RW, ALL),
			 0);
	/* One byte of the first 2 MiB leaf takes all of it. */
	assert_int_equal(pgtable_x86_unmap(pt, base + 2 * SZ_2M - 1, 1), SZ_2M);
	expect_unmapped(pt, base + SZ_2M);
	expect_map(pt, base + SZ_2M - SZ_4K, HOST + SZ_2M - SZ_4K, SZ_4K, RW);
	expect_map(pt, base + 2 * SZ_2M, HOST + 2 * SZ_2M, SZ_2M, RW);
	/* A range from the 4 KiB page into the start of the other leaf. */
	assert_int_equal(pgtable_x86_unmap(pt, base, 2 * SZ_2M + SZ_4K),
			 SZ_4K + SZ_2M);
	expect_unmapped(pt, base + 3 * SZ_2M - 1);
	expect_map(pt, base + 3 * SZ_2M, HOST + 3 * SZ_2M, SZ_4K, RW);
	/* A 1 GiB leaf unmapped by its last page. */
	assert_int_equal(
		pgtable_x86_map(pt, base + SZ_1G, HOST, SZ_1G, RW, ALL), 0);
	assert_int_equal(pgtable_x86_unmap(pt, base + 2 * SZ_1G - SZ_4K, SZ_4K),
			 SZ_1G);
	expect_unmapped(pt, base + SZ_1G);
	assert_int_equal(pgtable_x86_unmap(pt, 0, TOP), SZ_4K);
}

/* Tables emptied by unmap are used again, also after a large leaf. */
static void test_table_reuse(void **state)
{
	struct pgtable_x86 *pt = *state;
	const uint64_t base = 11 * SZ_1G;
	uint64_t tables;
	int round;

	assert_int_equal(pgtable_x86_map(pt, base, HOST, SZ_4K, RW, ALL), 0);
	tables = pt->nr_tables;
	for (round = 0; round < 100; round++) {
		assert_int_equal(pgtable_x86_unmap(pt, base, SZ_4K), SZ_4K);
		/* A 2 MiB leaf where the empty 4 KiB table hangs. */
		assert_int_equal(
			pgtable_x86_map(pt, base, HOST, SZ_2M, RD, ALL), 0);
		expect_map(pt, base + SZ_4K, HOST + SZ_4K, SZ_2M, RD);
		assert_int_equal(pgtable_x86_unmap(pt, base, SZ_4K), SZ_2M);
		/* A 1 GiB leaf over the emptied 2 MiB table. */
		assert_int_equal(
			pgtable_x86_map(pt, base, HOST, SZ_1G, RW, ALL), 0);
		expect_map(pt, base + SZ_2M, HOST + SZ_2M, SZ_1G, RW);
		assert_int_equal(pgtable_x86_unmap(pt, base, 1), SZ_1G);
		/* And 4 KiB again, through both parked tables. */
		assert_int_equal(
			pgtable_x86_map(pt, base, HOST, SZ_4K, RW, ALL), 0);
		expect_map(pt, base, HOST, SZ_4K, RW);
		expect_unmapped(pt, base + SZ_4K);
		expect_unmapped(pt, base + SZ_2M);
	}
	assert_int_equal(pt->nr_tables, tables);
	/* A 1 GiB leaf may not hide a table with a page under it. */
	assert_int_equal(pgtable_x86_map(pt, base, HOST, SZ_1G, RW, ALL),
			 -EEXIST);
	assert_int_equal(
		pgtable_x86_map(pt, base + SZ_2M, HOST, SZ_2M, RW, ALL), 0);
	assert_int_equal(pgtable_x86_unmap(pt, base, SZ_4K), SZ_4K);
	assert_int_equal(pgtable_x86_map(pt, base, HOST, SZ_1G, RW, ALL),
			 -EEXIST);
	assert_int_equal(pgtable_x86_unmap(pt, base + SZ_2M, SZ_4K), SZ_2M);
	assert_int_equal(pgtable_x86_map(pt, base, HOST, SZ_1G, RW, ALL), 0);
	assert_int_equal(pt->nr_tables, tables);
}

/* ---- translate, its TLB, permissions and dirty bits ---------------------- */

static void test_translate(void **state)
{
	struct pgtable_x86 *pt = *state;
	struct pgtable_x86_tlb tlb = { 0 };
	const uint64_t base = 13 * SZ_1G;
	uint64_t left = 0;
	int i;

	assert_int_equal(pgtable_x86_map(pt, base, HOST, SZ_2M, RD, ALL), 0);
	assert_int_equal(pgtable_x86_map(pt, base + SZ_2M, HOST + 0x5000, SZ_4K,
					 RW, ALL),
			 0);
	for (i = 0; i < 3; i++) {
		/* Twice from the TLB after the first walk. */
		assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 0x1238,
						       RD, &left),
				 HOST + 0x1238);
		assert_int_equal(left, SZ_2M - 0x1238);
		assert_int_equal(pgtable_x86_translate(pt, &tlb,
						       base + SZ_2M + 0x10, RW,
						       &left),
				 HOST + 0x5010);
		assert_int_equal(left, SZ_4K - 0x10);
		/* Write to a read-only leaf, also right after a read hit. */
		left = 77;
		assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 8, WR,
						       &left),
				 0);
		assert_int_equal(left, 77);
		assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 8, RD,
						       NULL),
				 HOST + 8);
		assert_int_equal(pgtable_x86_translate(
					 pt, &tlb, base + SZ_2M - 1, RD, &left),
				 HOST + SZ_2M - 1);
		assert_int_equal(left, 1);
		/* Just past each leaf. */
		assert_int_equal(pgtable_x86_translate(pt, &tlb,
						       base + SZ_2M + SZ_4K, RD,
						       NULL),
				 0);
		assert_int_equal(
			pgtable_x86_translate(pt, &tlb, base - 1, RD, NULL), 0);
	}
	/* access 0 counts as a read. */
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 16, 0, NULL),
			 HOST + 16);
}

static void test_tlb_invalidation(void **state)
{
	struct pgtable_x86 *pt = *state;
	struct pgtable_x86 *other = pgtable_x86_alloc();
	struct pgtable_x86_tlb tlb = { 0 };
	const uint64_t base = 15 * SZ_1G;

	assert_non_null(other);
	assert_int_equal(pgtable_x86_map(pt, base, HOST, SZ_2M, RW, ALL), 0);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 64, RD, NULL),
			 HOST + 64);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 64, WR, NULL),
			 HOST + 64);
	/* Unmapping something else entirely also invalidates (cheaply). */
	assert_int_equal(pgtable_x86_map(pt, 0, HOST, SZ_4K, RW, ALL), 0);
	assert_int_equal(pgtable_x86_unmap(pt, 0, SZ_4K), SZ_4K);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 72, RD, NULL),
			 HOST + 72);
	/* Unmapped: no stale hit, for reads or writes. */
	assert_int_equal(pgtable_x86_unmap(pt, base, SZ_2M), SZ_2M);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 64, RD, NULL),
			 0);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 64, WR, NULL),
			 0);
	/* Mapped again elsewhere, with 4 KiB pages read-only. */
	assert_int_equal(
		pgtable_x86_map(pt, base, HOST + SZ_4K, SZ_2M, RD, ALL), 0);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 64, RD, NULL),
			 HOST + SZ_4K + 64);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 64, WR, NULL),
			 0);
	/* The same TLB on another table: that table's answers only. */
	assert_int_equal(
		pgtable_x86_translate(other, &tlb, base + 64, RD, NULL), 0);
	assert_int_equal(
		pgtable_x86_map(other, base, HOST + SZ_1G, SZ_2M, RW, ALL), 0);
	assert_int_equal(pgtable_x86_translate(other, &tlb, base + 64, RD,
					       NULL),
			 HOST + SZ_1G + 64);
	assert_int_equal(pgtable_x86_translate(pt, &tlb, base + 64, RD, NULL),
			 HOST + SZ_4K + 64);
	/* A table freed and another allocated (maybe at the same address). */
	pgtable_x86_free(other);
	other = pgtable_x86_alloc();
	assert_non_null(other);
	assert_int_equal(
		pgtable_x86_translate(other, &tlb, base + 64, RD, NULL), 0);
	pgtable_x86_free(other);
}

static void test_dirty(void **state)
{
	struct pgtable_x86 *pt = *state;
	struct pgtable_x86_tlb tlb = { 0 };
	const uint64_t base = 17 * SZ_1G;
	struct reports r;

	assert_int_equal(pgtable_x86_map(pt, base, HOST, 4 * SZ_4K, RW, ALL),
			 0);
	assert_int_equal(
		pgtable_x86_map(pt, base + SZ_2M, HOST, 2 * SZ_2M, RW, ALL), 0);
	assert_int_equal(
		pgtable_x86_map(pt, base + SZ_1G, HOST, SZ_1G, RW, ALL), 0);
	/* Reads dirty nothing. */
	assert_int_not_equal(pgtable_x86_translate(pt, &tlb, base, RD, NULL),
			     0);
	assert_int_not_equal(
		pgtable_x86_translate(pt, &tlb, base + SZ_2M, RD, NULL), 0);
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 0);
	/* Writes to page 1, the second 2 MiB leaf and the 1 GiB leaf. */
	assert_int_not_equal(
		pgtable_x86_translate(pt, &tlb, base + SZ_4K + 4, WR, NULL), 0);
	assert_int_not_equal(
		pgtable_x86_translate(pt, &tlb, base + 2 * SZ_2M + 4, WR, NULL),
		0);
	assert_int_not_equal(
		pgtable_x86_translate(pt, &tlb, base + 2 * SZ_1G - 8, WR, NULL),
		0);
	assert_int_equal(dirty(pt, 0, TOP, PGTABLE_DIRTY_NO_CLEAR, &r), 3);
	assert_int_equal(r.iova[0], base + SZ_4K);
	assert_int_equal(r.size[0], SZ_4K);
	assert_int_equal(r.iova[1], base + 2 * SZ_2M);
	assert_int_equal(r.size[1], SZ_2M);
	assert_int_equal(r.iova[2], base + SZ_1G);
	assert_int_equal(r.size[2], SZ_1G);
	/* A range touching a leaf reports the whole leaf. */
	assert_int_equal(dirty(pt, base + 3 * SZ_2M - 1, 2,
			       PGTABLE_DIRTY_NO_CLEAR, &r),
			 1);
	assert_int_equal(r.iova[0], base + 2 * SZ_2M);
	assert_int_equal(dirty(pt, base, SZ_4K, 0, &r), 0);
	assert_int_equal(dirty(pt, base + SZ_4K, 1, 0, &r), 1);
	/* Cleared: reported once. */
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 2);
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 0);
	/* A write through the TLB that cached the writable leaf: dirty again
	 * (clearing invalidated the TLB). */
	assert_int_not_equal(pgtable_x86_translate(
				     pt, &tlb, base + 2 * SZ_1G - 16, WR, NULL),
			     0);
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 1);
	assert_int_equal(r.iova[0], base + SZ_1G);
	/* Dirty again, reported twice with NO_CLEAR, then once more. */
	assert_int_not_equal(pgtable_x86_translate(
				     pt, &tlb, base + 2 * SZ_1G - 24, WR, NULL),
			     0);
	assert_int_equal(dirty(pt, 0, TOP, PGTABLE_DIRTY_NO_CLEAR, &r), 1);
	assert_int_equal(dirty(pt, 0, TOP, PGTABLE_DIRTY_NO_CLEAR, &r), 1);
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 1);
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 0);
	/* Unmapping drops the dirty bit with the leaf. */
	assert_int_not_equal(
		pgtable_x86_translate(pt, &tlb, base + 8, WR, NULL), 0);
	assert_int_equal(pgtable_x86_unmap(pt, base, SZ_4K), SZ_4K);
	assert_int_equal(dirty(pt, 0, TOP, 0, &r), 0);
}

/* ---- differential test against a page-granular model -------------------- */

#define WIN (4 * SZ_1G) /* the IOVA window of the random operations */
#define WIN_PAGES (WIN / SZ_4K)

struct model_page {
	uint64_t leaf; /* IOVA of the leaf covering this page */
	uint64_t va; /* host address of the leaf */
	uint32_t size_shift; /* 0: unmapped */
	uint8_t prot;
	uint8_t dirty;
};

static struct model_page *model;

static struct model_page *mp(uint64_t iova)
{
	return &model[iova / SZ_4K];
}

static uint64_t pick_len(void)
{
	switch (rnd_below(20)) {
	case 0:
		return SZ_1G + rnd_below(3) * SZ_2M;
	case 1 ... 6:
		return (1 + rnd_below(4)) * SZ_2M + rnd_below(3) * SZ_4K;
	default:
		return (1 + rnd_below(16)) * SZ_4K;
	}
}

static uint64_t pick_iova(uint64_t len)
{
	uint64_t iova;

	switch (rnd_below(4)) {
	case 0:
		iova = rnd_below(WIN / SZ_1G) * SZ_1G;
		break;
	case 1:
		iova = rnd_below(WIN / SZ_2M) * SZ_2M;
		break;
	default:
		iova = rnd_below(WIN_PAGES) * SZ_4K;
		break;
	}
	if (rnd_below(4) == 0)
		iova += SZ_4K * (rnd_below(3) - 1);
	if (iova >= WIN)
		iova = 0;
	if (iova + len > WIN)
		iova = WIN - len;
	return iova;
}

static const uint64_t bitmaps[] = { ALL,   ALL,		  SZ_4K | SZ_2M,
				    SZ_4K, SZ_4K | SZ_1G, SZ_2M | SZ_1G };

static int model_map(uint64_t iova, uint64_t va, uint64_t len,
		     unsigned int prot, uint64_t bitmap)
{
	uint64_t min = bitmap & -bitmap, off, p;
	unsigned int shift;

	if ((iova | va | len) & (min - 1))
		return -EINVAL;
	for (off = 0; off < len; off += SZ_4K)
		if (mp(iova + off)->size_shift)
			return -EEXIST;
	for (off = 0; off < len; off += 1ULL << shift) {
		for (shift = 30; shift > 12; shift -= 9) {
			uint64_t size = 1ULL << shift;

			if ((bitmap & size) && !((iova + off) & (size - 1)) &&
			    !((va + off) & (size - 1)) && len - off >= size)
				break;
		}
		for (p = 0; p < (1ULL << shift); p += SZ_4K) {
			struct model_page *m = mp(iova + off + p);

			m->leaf = iova + off;
			m->va = va + off;
			m->size_shift = shift;
			m->prot = prot & WR ? RW : RD;
			m->dirty = 0;
		}
	}
	return 0;
}

static uint64_t model_unmap(uint64_t iova, uint64_t len)
{
	uint64_t at = iova, bytes = 0, p, size, leaf;

	while (at < iova + len) {
		struct model_page *m = mp(at);

		if (!m->size_shift) {
			at += SZ_4K;
			continue;
		}
		size = 1ULL << m->size_shift;
		leaf = m->leaf;
		for (p = 0; p < size; p += SZ_4K)
			mp(leaf + p)->size_shift = 0;
		bytes += size;
		at = leaf + size;
	}
	return bytes;
}

static uintptr_t model_translate(uint64_t iova, unsigned int access)
{
	struct model_page *m = mp(iova);
	uint64_t size, p;

	if (!m->size_shift || ((access & WR) && !(m->prot & WR)))
		return 0;
	if (access & WR) {
		size = 1ULL << m->size_shift;
		for (p = 0; p < size; p += SZ_4K)
			mp(m->leaf + p)->dirty = 1;
	}
	return m->va + (iova - m->leaf);
}

static void model_dirty(uint64_t iova, uint64_t len, bool clear,
			struct reports *want)
{
	uint64_t at = iova & ~(SZ_4K - 1), size, leaf, p;

	want->n = 0;
	while (at < iova + len) {
		struct model_page *m = mp(at);

		if (!m->size_shift) {
			at += SZ_4K;
			continue;
		}
		size = 1ULL << m->size_shift;
		leaf = m->leaf;
		if (m->dirty) {
			want->iova[want->n] = leaf;
			want->size[want->n] = size;
			want->n++;
			for (p = 0; clear && p < size; p += SZ_4K)
				mp(leaf + p)->dirty = 0;
		}
		at = leaf + size;
	}
}

static void compare_all(struct pgtable_x86 *pt)
{
	uint64_t iova;

	for (iova = 0; iova < WIN;) {
		struct model_page *m = mp(iova);
		unsigned int prot = 0;
		uint64_t size = 0, off = rnd_below(SZ_4K);
		uintptr_t va;

		va = pgtable_x86_iova_to_va(pt, iova + off, &prot, &size);
		if (!m->size_shift) {
			CHECK(va == 0);
			iova += SZ_4K;
			continue;
		}
		CHECK(va == m->va + (iova + off - m->leaf));
		CHECK(size == 1ULL << m->size_shift);
		CHECK(prot == m->prot);
		iova = m->leaf + size;
	}
}

static void test_random(void **state)
{
	struct pgtable_x86 *pt = *state;
	struct pgtable_x86_tlb tlb = { 0 };
	static struct reports got, want;
	const unsigned long steps = 20000;

	seed_rng();
	model = calloc(WIN_PAGES, sizeof(*model));
	assert_non_null(model);
	for (g_step = 0; g_step < steps; g_step++) {
		unsigned int op = rnd_below(100), prot, access, i;
		uint64_t len, iova, va, bitmap;
		int rc;

		if (op < 35) {
			len = pick_len();
			iova = pick_iova(len);
			va = HOST + iova;
			switch (rnd_below(4)) {
			case 0:
				va += SZ_4K * (1 + rnd_below(511));
				break;
			case 1:
				va += SZ_2M * (1 + rnd_below(511));
				break;
			}
			prot = 1 + rnd_below(3);
			bitmap =
				bitmaps[rnd_below(IOMMUFD_ARRAY_SIZE(bitmaps))];
			rc = pgtable_x86_map(pt, iova, va, len, prot, bitmap);
			CHECK(rc == model_map(iova, va, len, prot, bitmap));
		} else if (op < 60) {
			len = rnd_below(8) ? pick_len() : SZ_4K;
			iova = pick_iova(len);
			if (rnd_below(4) == 0)
				len = len - SZ_4K + rnd_below(SZ_4K) + 1;
			CHECK(pgtable_x86_unmap(pt, iova, len) ==
			      model_unmap(iova, len));
		} else if (op < 97) {
			/* A short burst, through the TLB. */
			iova = pick_iova(SZ_4K) + rnd_below(SZ_4K / 8) * 8;
			access = rnd_below(3) ? RD : WR;
			for (i = 0; i < 1 + rnd_below(4); i++) {
				uint64_t left = 0, at = iova + 8 * i;
				uintptr_t want_va;

				if (at >= WIN)
					break;
				want_va = model_translate(at, access);
				CHECK(pgtable_x86_translate(pt, &tlb, at,
							    access,
							    &left) == want_va);
				if (want_va)
					CHECK(left ==
					      mp(at)->leaf +
						      (1ULL
						       << mp(at)->size_shift) -
						      at);
			}
		} else {
			bool clear = rnd_below(2);

			len = rnd_below(2) ? WIN : pick_len();
			iova = pick_iova(len);
			model_dirty(iova, len, clear, &want);
			dirty(pt, iova, len, clear ? 0 : PGTABLE_DIRTY_NO_CLEAR,
			      &got);
			CHECK(got.n == want.n);
			for (i = 0; i < got.n; i++) {
				CHECK(got.iova[i] == want.iova[i]);
				CHECK(got.size[i] == want.size[i]);
			}
		}
		if (g_step % 2000 == 1999)
			compare_all(pt);
	}
	compare_all(pt);
	CHECK(pgtable_x86_unmap(pt, 0, WIN) == model_unmap(0, WIN));
	free(model);
	model = NULL;
}

/* ---- readers and a writer ------------------------------------------------ */

/*
 * Slots of 64 KiB over 256 MiB. Even slots are mapped once, before the
 * threads start, and must always translate. Odd slots are mapped and
 * unmapped by the writer, always to the same host addresses, so a reader
 * may see them mapped or not, but never see a wrong address. The writer
 * also flips whole 2 MiB blocks (slots 32k .. 32k+31 of a block it owns)
 * between one 2 MiB leaf and 4 KiB pages, parking and republishing tables.
 */
#define T_BASE (3 * SZ_1G - 128 * SZ_2M)
#define T_SLOT (64 * 1024ULL)
#define T_SLOTS (256 * 1024 * 1024ULL / T_SLOT)
#define T_READERS 3

static atomic_bool t_stop;
static atomic_ulong t_reads; /* summed by the readers as they go */
static atomic_uint t_started;

static uintptr_t t_va(uint64_t iova)
{
	return HOST + iova;
}

/* Blocks of 2 MiB with a multiple of 8 index belong to the writer alone. */
static bool t_writer_block(uint64_t slot)
{
	return (slot / (SZ_2M / T_SLOT)) % 8 == 0;
}

static void *t_reader(void *arg)
{
	struct pgtable_x86 *pt = arg;
	struct pgtable_x86_tlb tlb = { 0 };
	uint64_t rng = (uintptr_t)&tlb, n = 0;

	atomic_fetch_add(&t_started, 1);
	while (!atomic_load_explicit(&t_stop, memory_order_relaxed)) {
		uint64_t slot, iova, left = 0;
		unsigned int access, i;
		uintptr_t va;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		slot = (rng >> 20) % T_SLOTS;
		iova = T_BASE + slot * T_SLOT + ((rng >> 40) % T_SLOT & ~7ULL);
		access = (rng >> 60) & 1 ? WR : RD;
		for (i = 0; i < 4; i++, iova += 8) {
			va = pgtable_x86_translate(pt, &tlb, iova, access,
						   &left);
			if (slot % 2 == 0 && !t_writer_block(slot) &&
			    va != t_va(iova))
				return "stable slot mistranslated";
			if (va && va != t_va(iova))
				return "wrong address";
			if (va && (left == 0 || left > SZ_2M))
				return "bad bytes_left";
			if (iova % T_SLOT == T_SLOT - 8)
				break;
		}
		va = pgtable_x86_iova_to_va(pt, iova, NULL, NULL);
		if (va && va != t_va(iova))
			return "iova_to_va: wrong address";
		if (++n % 1024 == 0)
			atomic_fetch_add(&t_reads, 1024);
	}
	return NULL;
}

static void t_count(uint64_t iova, uint64_t size, void *opaque)
{
	(void)iova;
	(void)size;
	(*(uint64_t *)opaque)++;
}

/*
 * The writer's side: no cmocka assertion may jump out of here while the
 * readers run, so it returns what went wrong. It goes on for 20000 rounds
 * and until the readers have done a million lookups between them (or 60
 * seconds have passed: a loaded machine).
 */
static const char *t_writer(struct pgtable_x86 *pt)
{
	uint64_t slot, rng = 12345, nr_dirty = 0;
	time_t deadline = time(NULL) + 60;
	unsigned int round;

	while (atomic_load(&t_started) < T_READERS)
		sched_yield();
	for (round = 0; round < 20000 || (atomic_load(&t_reads) < 1000000 &&
					  time(NULL) < deadline);
	     round++) {
		uint64_t iova, len;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		slot = (rng >> 20) % T_SLOTS;
		if (t_writer_block(slot)) {
			/* The whole 2 MiB block: one leaf or 4 KiB pages. */
			iova = T_BASE + (slot * T_SLOT & ~(SZ_2M - 1));
			if (pgtable_x86_unmap(pt, iova, SZ_2M) > SZ_2M)
				return "unmap of a block";
			if (pgtable_x86_map(pt, iova, t_va(iova), SZ_2M, RW,
					    (rng >> 50) & 1 ? ALL : SZ_4K))
				return "map of a block";
			continue;
		}
		if (slot % 2 == 0)
			slot++;
		iova = T_BASE + slot * T_SLOT;
		len = T_SLOT;
		if (pgtable_x86_iova_to_va(pt, iova, NULL, NULL)) {
			if (pgtable_x86_unmap(pt, iova, len) != len)
				return "unmap of a slot";
		} else if (pgtable_x86_map(pt, iova, t_va(iova), len, RW,
					   ALL)) {
			return "map of a slot";
		}
		if (round % 1000 == 0 && pgtable_x86_read_and_clear_dirty(
						 pt, T_BASE, T_SLOTS * T_SLOT,
						 0, t_count, &nr_dirty))
			return "read_and_clear_dirty";
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct pgtable_x86 *pt = *state;
	pthread_t readers[T_READERS];
	const char *err, *reader_err = NULL;
	unsigned int i;
	uint64_t slot;
	void *res;

	for (slot = 0; slot < T_SLOTS; slot += 2) {
		uint64_t iova = T_BASE + slot * T_SLOT;

		if (t_writer_block(slot))
			continue;
		assert_int_equal(pgtable_x86_map(pt, iova, t_va(iova), T_SLOT,
						 RW, ALL),
				 0);
	}
	atomic_store(&t_stop, false);
	atomic_store(&t_reads, 0);
	atomic_store(&t_started, 0);
	for (i = 0; i < T_READERS; i++)
		assert_int_equal(
			pthread_create(&readers[i], NULL, t_reader, pt), 0);
	err = t_writer(pt);
	atomic_store(&t_stop, true);
	for (i = 0; i < T_READERS; i++) {
		assert_int_equal(pthread_join(readers[i], &res), 0);
		if (res && !reader_err)
			reader_err = res;
	}
	if (err)
		fail_msg("writer: %s", err);
	if (reader_err)
		fail_msg("reader: %s", reader_err);
	assert_true(atomic_load(&t_reads) > 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_pt, teardown_pt)
	const struct CMUnitTest tests[] = {
		T(test_empty),
		T(test_map_4k),
		T(test_page_sizes),
		T(test_einval),
		T(test_top_of_iova_space),
		T(test_eexist),
		T(test_enomem),
		T(test_unmap_partial),
		T(test_unmap_large),
		T(test_table_reuse),
		T(test_translate),
		T(test_tlb_invalidation),
		T(test_dirty),
		T(test_random),
		T(test_threads),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
