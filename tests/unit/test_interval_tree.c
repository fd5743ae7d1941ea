// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit and differential tests for lib/interval_tree.c.
 *
 * The random tests compare against a brute-force model. Range ends are
 * drawn from a small set of "keys" (always including 0 and UINT64_MAX), so
 * the 64-bit space splits into a few hundred cells that every range covers
 * either wholly or not at all; coverage is then a per-cell counter.
 * ITREE_TEST_SEED=<n> in the environment replays one seed.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "interval_tree.h"

#define MAX64 UINT64_MAX

/* ---- helpers ---------------------------------------------------------- */

static uint64_t g_seed;
static uint64_t g_rng;
static const char *g_what = "";
static unsigned long g_step;

/* Reports the seed so a failing random run can be replayed. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			print_error("FAILED %s at %s:%d (%s, step %lu); "      \
				    "replay with ITREE_TEST_SEED=%" PRIu64     \
				    "\n",                                      \
				    #cond, __FILE__, __LINE__, g_what, g_step, \
				    g_seed);                                   \
			fail();                                                \
		}                                                              \
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
	return n ? rnd() % n : 0;
}

static void seed_rng(uint64_t salt)
{
	g_rng = g_seed ^ (salt * 0x2545f4914f6cdd1dULL);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_node(struct itree_node *n, uint64_t start, uint64_t last)
{
	memset(n, 0xa5, sizeof(*n)); /* the tree must not read stale links */
	n->start = start;
	n->last = last;
}

static void add(struct itree *t, struct itree_node *n, uint64_t start,
		uint64_t last)
{
	set_node(n, start, last);
	itree_insert(t, n);
	assert_true(itree_validate(t));
}

static void del(struct itree *t, struct itree_node *n)
{
	itree_remove(t, n);
	assert_true(itree_validate(t));
}

struct span {
	bool hole;
	uint64_t start;
	uint64_t last;
};

static void expect_spans(const struct itree *t, uint64_t a, uint64_t b,
			 const struct span *exp, size_t nexp)
{
	struct itree_span_iter it;
	size_t i = 0;

	for (itree_span_iter_first(&it, t, a, b); !itree_span_iter_done(&it);
	     itree_span_iter_next(&it)) {
		assert_true(i < nexp);
		assert_int_equal(it.is_hole, exp[i].hole);
		if (it.is_hole) {
			assert_int_equal(it.start_hole, exp[i].start);
			assert_int_equal(it.last_hole, exp[i].last);
		} else {
			assert_int_equal(it.start_used, exp[i].start);
			assert_int_equal(it.last_used, exp[i].last);
		}
		i++;
	}
	assert_int_equal(i, nexp);
	/* next after done stays done */
	itree_span_iter_next(&it);
	assert_true(itree_span_iter_done(&it));
}

static void expect_iter(const struct itree *t, uint64_t s, uint64_t l,
			struct itree_node *const *exp, size_t nexp)
{
	struct itree_node *n = itree_iter_first(t, s, l);
	size_t i;

	for (i = 0; i < nexp; i++) {
		assert_ptr_equal(n, exp[i]);
		n = itree_iter_next(n, s, l);
	}
	assert_null(n);
}

static void expect_hole(const struct itree *t, uint64_t lo, uint64_t hi,
			uint64_t len, uint64_t want_s, uint64_t want_l)
{
	uint64_t s = 1, l = 0;

	assert_true(itree_find_hole(t, lo, hi, len, &s, &l));
	assert_int_equal(s, want_s);
	assert_int_equal(l, want_l);
}

static void expect_no_hole(const struct itree *t, uint64_t lo, uint64_t hi,
			   uint64_t len)
{
	uint64_t s = 7, l = 9;

	assert_false(itree_find_hole(t, lo, hi, len, &s, &l));
	/* outputs untouched on failure */
	assert_int_equal(s, 7);
	assert_int_equal(l, 9);
}

/* ---- unit tests ------------------------------------------------------- */

static void test_node_size(void **state)
{
	(void)state;
	print_message("sizeof(struct itree_node) = %zu\n",
		      sizeof(struct itree_node));
	assert_true(sizeof(struct itree_node) <= 56);
}

static void test_empty(void **state)
{
	struct itree t = ITREE_INIT;
	struct itree t2;
	struct itree_span_iter it;
	const struct span whole[] = { { true, 0, MAX64 } };
	const struct span one[] = { { true, 5, 5 } };

	(void)state;
	itree_init(&t2);
	assert_true(itree_empty(&t));
	assert_true(itree_empty(&t2));
	assert_true(itree_validate(&t));
	assert_null(itree_first(&t));
	assert_null(itree_last(&t));
	assert_null(itree_iter_first(&t, 0, MAX64));
	assert_null(itree_iter_first(&t, 5, 3));

	expect_spans(&t, 0, MAX64, whole, 1);
	expect_spans(&t, 5, 5, one, 1);
	itree_span_iter_first(&it, &t, 6, 5);
	assert_true(itree_span_iter_done(&it));

	expect_hole(&t, 0, MAX64, 1, 0, MAX64);
	expect_hole(&t, 0, MAX64, 0, 0, MAX64);
	expect_hole(&t, 0, MAX64, MAX64, 0, MAX64);
	expect_hole(&t, 1, MAX64, MAX64, 1, MAX64);
	expect_no_hole(&t, 2, MAX64, MAX64);
	expect_hole(&t, 0, MAX64 - 1, MAX64, 0, MAX64 - 1);
	expect_hole(&t, 10, 20, 11, 10, 20);
	expect_no_hole(&t, 10, 20, 12);
	expect_no_hole(&t, 21, 20, 1);
	expect_hole(&t, MAX64, MAX64, 1, MAX64, MAX64);
	expect_no_hole(&t, MAX64, MAX64, 2);
}

static int cmp_node_ptr(const void *a, const void *b)
{
	const struct itree_node *x = *(struct itree_node *const *)a;
	const struct itree_node *y = *(struct itree_node *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	if (x == y)
		return 0;
	return (uintptr_t)x < (uintptr_t)y ? -1 : 1;
}

static void expect_order(const struct itree *t, struct itree_node **v, size_t n)
{
	struct itree_node *x;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_node_ptr);
	assert_int_equal(t->count, n);
	x = itree_first(t);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(x, v[i]);
		x = itree_next(x);
	}
	assert_null(x);
	x = itree_last(t);
	for (i = n; i-- > 0;) {
		assert_ptr_equal(x, v[i]);
		x = itree_prev(x);
	}
	assert_null(x);
}

static void test_insert_remove_order(void **state)
{
	static const uint64_t r[][2] = {
		{ 50, 60 },	  { 10, 20 },	{ 10, 15 }, { 10, 20 },
		{ 0, 0 },	  { 70, 80 },	{ 10, 20 }, { 5, 100 },
		{ MAX64, MAX64 }, { 0, MAX64 }, { 30, 30 }, { 31, 31 },
		{ 29, 29 },	  { 60, 61 },	{ 45, 46 }, { 12, 12 },
	};
	enum { N = sizeof(r) / sizeof(r[0]) };
	struct itree_node nodes[N];
	struct itree_node *v[N];
	struct itree t = ITREE_INIT;
	size_t i, n, j;
	/* remove root, middle, ends, then the rest */
	static const unsigned del_order[N] = { 3, 0,  8, 4,  15, 1, 6,	9,
					       2, 14, 5, 11, 13, 7, 10, 12 };

	(void)state;
	for (i = 0; i < N; i++) {
		add(&t, &nodes[i], r[i][0], r[i][1]);
		v[i] = &nodes[i];
		expect_order(&t, v, i + 1);
	}
	assert_false(itree_empty(&t));
	assert_int_equal(itree_first(&t)->start, 0);
	assert_int_equal(itree_last(&t)->start, MAX64);

	/* remove the root first (two children), then in a fixed order */
	del(&t, t.root);
	n = 0;
	for (struct itree_node *x = itree_first(&t); x; x = itree_next(x))
		v[n++] = x;
	assert_int_equal(n, N - 1);
	expect_order(&t, v, n);

	for (j = 0; j < N && t.count; j++) {
		struct itree_node *victim = &nodes[del_order[j]];
		bool present = false;

		for (i = 0; i < n; i++)
			if (v[i] == victim)
				present = true;
		if (!present)
			continue;
		del(&t, victim);
		for (i = 0; i < n; i++)
			if (v[i] == victim)
				v[i] = v[--n];
		expect_order(&t, v, n);
	}
	assert_int_equal(t.count, 0);
	assert_null(t.root);
	assert_true(itree_validate(&t));

	/* removed nodes can be inserted again */
	for (i = 0; i < N; i++)
		add(&t, &nodes[i], r[i][0], r[i][1]);
	for (i = 0; i < N; i++)
		del(&t, &nodes[i]);
	assert_true(itree_empty(&t));
}

static void test_duplicates(void **state)
{
	struct itree_node d[5];
	struct itree_node *v[5];
	struct itree t = ITREE_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		add(&t, &d[i], 7, 9);
		v[i] = &d[i];
	}
	expect_order(&t, v, 5);
	expect_iter(&t, 8, 8, v, 5);
	expect_iter(&t, 0, 6, NULL, 0);
	expect_iter(&t, 10, MAX64, NULL, 0);
	del(&t, &d[2]);
	v[2] = v[4];
	expect_order(&t, v, 4);
	expect_iter(&t, 9, 100, v, 4);
}

static void test_iter_overlap(void **state)
{
	struct itree_node a, b, c, d, e, f;
	struct itree t = ITREE_INIT;

	(void)state;
	add(&t, &a, 0, 100);
	add(&t, &b, 10, 20);
	add(&t, &c, 15, 16);
	add(&t, &d, 50, 60);
	add(&t, &e, 90, 200);
	add(&t, &f, 300, 300);

	{
		struct itree_node *exp[] = { &a, &b, &c, &d, &e, &f };

		expect_iter(&t, 0, MAX64, exp, 6);
	}
	{
		struct itree_node *exp[] = { &a, &b, &c };

		expect_iter(&t, 16, 16, exp, 3);
	}
	{
		struct itree_node *exp[] = { &a, &b };

		expect_iter(&t, 17, 20, exp, 2);
	}
	{
		struct itree_node *exp[] = { &a, &d, &e };

		expect_iter(&t, 60, 95, exp, 3);
	}
	{
		struct itree_node *exp[] = { &e };

		expect_iter(&t, 101, 299, exp, 1);
	}
	{
		struct itree_node *exp[] = { &f };

		expect_iter(&t, 300, MAX64, exp, 1);
	}
	expect_iter(&t, 301, MAX64, NULL, 0);
	expect_iter(&t, 201, 299, NULL, 0);
	assert_null(itree_iter_first(&t, 20, 10));
	assert_null(itree_iter_next(&a, 20, 10));
	/* iter_next from a node that does not itself match */
	assert_ptr_equal(itree_iter_next(&c, 55, 55), &d);
	assert_ptr_equal(itree_iter_next(&b, 0, 0), NULL);
	assert_ptr_equal(itree_iter_next(&a, 15, 15), &b);
}

static void test_iter_bounds(void **state)
{
	struct itree_node lo, hi, mid;
	struct itree t = ITREE_INIT;

	(void)state;
	add(&t, &lo, 0, 0);
	add(&t, &hi, MAX64, MAX64);
	add(&t, &mid, 1, MAX64 - 1);
	{
		struct itree_node *exp[] = { &lo };

		expect_iter(&t, 0, 0, exp, 1);
	}
	{
		struct itree_node *exp[] = { &hi };

		expect_iter(&t, MAX64, MAX64, exp, 1);
	}
	{
		struct itree_node *exp[] = { &lo, &mid, &hi };

		expect_iter(&t, 0, MAX64, exp, 3);
	}
	{
		struct itree_node *exp[] = { &mid, &hi };

		expect_iter(&t, MAX64 - 1, MAX64, exp, 2);
	}
	{
		const struct span s[] = { { false, 0, MAX64 } };

		expect_spans(&t, 0, MAX64, s, 1);
	}
	expect_no_hole(&t, 0, MAX64, 1);
	del(&t, &mid);
	{
		const struct span s[] = { { false, 0, 0 },
					  { true, 1, MAX64 - 1 },
					  { false, MAX64, MAX64 } };

		expect_spans(&t, 0, MAX64, s, 3);
	}
	expect_hole(&t, 0, MAX64, MAX64 - 1, 1, MAX64 - 1);
	expect_no_hole(&t, 0, MAX64, MAX64);
	expect_no_hole(&t, MAX64, MAX64, 1);
	expect_no_hole(&t, 0, 0, 1);
}

static void test_spans(void **state)
{
	struct itree_node n[6];
	struct itree t = ITREE_INIT;

	(void)state;
	/* adjacent ranges merge into one used span */
	add(&t, &n[0], 0, 9);
	add(&t, &n[1], 10, 19);
	{
		const struct span s[] = { { false, 0, 19 },
					  { true, 20, MAX64 } };

		expect_spans(&t, 0, MAX64, s, 2);
	}
	{
		const struct span s[] = { { false, 5, 14 } };

		expect_spans(&t, 5, 14, s, 1);
	}
	{
		const struct span s[] = { { false, 19, 19 }, { true, 20, 20 } };

		expect_spans(&t, 19, 20, s, 2);
	}
	{
		const struct span s[] = { { true, 20, 20 } };

		expect_spans(&t, 20, 20, s, 1);
	}

	/* nested and overlapping ranges, reached out of order */
	add(&t, &n[2], 30, 100);
	add(&t, &n[3], 40, 50);
	add(&t, &n[4], 95, 120);
	add(&t, &n[5], 122, 122);
	{
		const struct span s[] = {
			{ false, 0, 19 },    { true, 20, 29 },
			{ false, 30, 120 },  { true, 121, 121 },
			{ false, 122, 122 }, { true, 123, MAX64 },
		};

		expect_spans(&t, 0, MAX64, s, 6);
	}
	{
		const struct span s[] = { { false, 45, 120 },
					  { true, 121, 121 },
					  { false, 122, 122 } };

		expect_spans(&t, 45, 122, s, 3);
	}
	{
		const struct span s[] = { { true, 25, 29 }, { false, 30, 35 } };

		expect_spans(&t, 25, 35, s, 2);
	}
	{
		const struct span s[] = { { false, 101, 101 } };

		expect_spans(&t, 101, 101, s, 1);
	}
	/* removing the long range splits the used span */
	del(&t, &n[2]);
	{
		const struct span s[] = {
			{ true, 21, 39 },   { false, 40, 50 },
			{ true, 51, 94 },   { false, 95, 120 },
			{ true, 121, 121 }, { false, 122, 122 },
			{ true, 123, 200 },
		};

		expect_spans(&t, 21, 200, s, 7);
	}
}

static void test_span_top(void **state)
{
	struct itree_node a, b, c;
	struct itree t = ITREE_INIT;

	(void)state;
	add(&t, &a, MAX64 - 10, MAX64 - 5);
	add(&t, &b, MAX64 - 4, MAX64);
	add(&t, &c, MAX64 - 20, MAX64 - 20);
	{
		const struct span s[] = { { true, 0, MAX64 - 21 },
					  { false, MAX64 - 20, MAX64 - 20 },
					  { true, MAX64 - 19, MAX64 - 11 },
					  { false, MAX64 - 10, MAX64 } };

		expect_spans(&t, 0, MAX64, s, 4);
	}
	{
		const struct span s[] = { { false, MAX64, MAX64 } };

		expect_spans(&t, MAX64, MAX64, s, 1);
	}
	expect_hole(&t, 0, MAX64, 1, 0, MAX64 - 21);
	expect_hole(&t, MAX64 - 20, MAX64, 1, MAX64 - 19, MAX64 - 11);
	expect_hole(&t, MAX64 - 21, MAX64, 2, MAX64 - 19, MAX64 - 11);
	expect_no_hole(&t, MAX64 - 21, MAX64, 10);
	expect_no_hole(&t, MAX64 - 10, MAX64, 1);
	expect_hole(&t, 0, MAX64, MAX64 - 20, 0, MAX64 - 21);
	expect_no_hole(&t, 0, MAX64, MAX64 - 19);
}

static void test_find_hole_edges(void **state)
{
	struct itree_node a, b, c, d, full;
	struct itree t = ITREE_INIT;
	uint64_t s, l;

	(void)state;
	/* range touching 0 */
	add(&t, &a, 0, 9);
	expect_hole(&t, 0, MAX64, 1, 10, MAX64);
	expect_hole(&t, 0, MAX64, MAX64 - 9, 10, MAX64);
	expect_no_hole(&t, 0, MAX64, MAX64 - 8);
	expect_no_hole(&t, 0, 9, 1);
	expect_hole(&t, 5, 10, 1, 10, 10);
	expect_hole(&t, 10, 10, 1, 10, 10);

	/* range touching UINT64_MAX */
	add(&t, &b, MAX64 - 9, MAX64);
	expect_hole(&t, 0, MAX64, 1, 10, MAX64 - 10);
	expect_hole(&t, 0, MAX64, MAX64 - 19, 10, MAX64 - 10);
	expect_no_hole(&t, 0, MAX64, MAX64 - 18);
	expect_no_hole(&t, MAX64 - 9, MAX64, 1);
	expect_hole(&t, MAX64 - 10, MAX64, 1, MAX64 - 10, MAX64 - 10);

	/* gaps of 5, 1 and 30 between [0,9] .. [MAX-9,MAX] */
	add(&t, &c, 15, 20);
	add(&t, &d, 22, 99);
	expect_hole(&t, 0, MAX64, 1, 10, 14);
	expect_hole(&t, 0, MAX64, 5, 10, 14);
	expect_hole(&t, 0, MAX64, 6, 100, MAX64 - 10);
	expect_hole(&t, 11, MAX64, 5, 100, MAX64 - 10);
	expect_hole(&t, 11, MAX64, 4, 11, 14);
	expect_hole(&t, 15, MAX64, 1, 21, 21);
	expect_hole(&t, 0, 120, 21, 100, 120);
	expect_no_hole(&t, 0, 120, 22);
	expect_hole(&t, 0, 12, 3, 10, 12);
	expect_no_hole(&t, 0, 12, 4);
	expect_no_hole(&t, 22, 99, 1);
	expect_no_hole(&t, 15, 20, 1);

	/* retry pattern: walk all holes with lo = hole_last + 1 */
	{
		static const uint64_t want[][2] = { { 10, 14 },
						    { 21, 21 },
						    { 100, MAX64 - 10 } };
		uint64_t lo = 0;
		unsigned i = 0;

		while (itree_find_hole(&t, lo, MAX64, 1, &s, &l)) {
			assert_true(i < 3);
			assert_int_equal(s, want[i][0]);
			assert_int_equal(l, want[i][1]);
			i++;
			if (l == MAX64)
				break;
			lo = l + 1;
		}
		assert_int_equal(i, 3);
	}

	/* a range covering everything */
	del(&t, &a);
	del(&t, &b);
	del(&t, &c);
	del(&t, &d);
	add(&t, &full, 0, MAX64);
	expect_no_hole(&t, 0, MAX64, 1);
	expect_no_hole(&t, MAX64, MAX64, 1);
	del(&t, &full);
	expect_hole(&t, 0, MAX64, MAX64, 0, MAX64);
}

/* find_hole on overlapping ranges: the per-node bound overestimates. */
static void test_find_hole_overlap(void **state)
{
	struct itree_node a, b, c, d, e;
	struct itree t = ITREE_INIT;

	(void)state;
	add(&t, &a, 5, 100);
	add(&t, &b, 10, 20);
	add(&t, &c, 30, 40); /* 9 free after b, but inside a */
	add(&t, &d, 60, 200);
	add(&t, &e, 205, 210);
	expect_hole(&t, 0, MAX64, 1, 0, 4);
	expect_hole(&t, 0, MAX64, 5, 0, 4);
	expect_hole(&t, 0, MAX64, 6, 211, MAX64);
	expect_hole(&t, 1, MAX64, 4, 1, 4);
	expect_hole(&t, 1, MAX64, 5, 211, MAX64);
	expect_hole(&t, 5, MAX64, 4, 201, 204);
	expect_hole(&t, 5, MAX64, 1, 201, 204);
	expect_hole(&t, 25, 202, 1, 201, 202);
	expect_no_hole(&t, 25, 200, 1);
	expect_no_hole(&t, 5, 210, 1 + 4);
	{
		const struct span s[] = { { true, 0, 4 },
					  { false, 5, 200 },
					  { true, 201, 204 },
					  { false, 205, 210 },
					  { true, 211, MAX64 } };

		expect_spans(&t, 0, MAX64, s, 5);
	}
}

/* ---- randomized differential test -------------------------------------- */

#define KMAX 160
#define CMAX (2 * KMAX + 1)
#define POOL 400

struct model {
	uint64_t key[KMAX]; /* sorted, distinct; has 0 and MAX64 */
	unsigned nkeys;
	uint64_t clo[CMAX]; /* cells: the keys and the gaps between */
	uint64_t chi[CMAX];
	unsigned ncells;
	unsigned key_cell[KMAX];
	unsigned cov[CMAX]; /* how many live ranges cover each cell */
};

struct tnode {
	struct itree_node node;
	unsigned ks, kl; /* key indexes of start and last */
	bool live;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void model_build(struct model *m, const uint64_t *keys, unsigned n)
{
	uint64_t tmp[KMAX + 2];
	unsigned i, k = 0, c = 0;

	assert_true(n + 2 <= KMAX);
	memcpy(tmp, keys, n * sizeof(*keys));
	tmp[n++] = 0;
	tmp[n++] = MAX64;
	qsort(tmp, n, sizeof(*tmp), cmp_u64);
	for (i = 0; i < n; i++)
		if (!k || tmp[i] != m->key[k - 1])
			m->key[k++] = tmp[i];
	m->nkeys = k;

	for (i = 0; i < k; i++) {
		m->key_cell[i] = c;
		m->clo[c] = m->chi[c] = m->key[i];
		c++;
		if (i + 1 < k && m->key[i + 1] > m->key[i] + 1) {
			m->clo[c] = m->key[i] + 1;
			m->chi[c] = m->key[i + 1] - 1;
			c++;
		}
	}
	m->ncells = c;
	memset(m->cov, 0, sizeof(m->cov));
}

/* Cell that starts at @v (v must be a cell start). */
static unsigned cell_from_start(const struct model *m, uint64_t v)
{
	unsigned lo = 0, hi = m->ncells;

	while (lo + 1 < hi) {
		unsigned mid = (lo + hi) / 2;

		if (m->clo[mid] <= v)
			lo = mid;
		else
			hi = mid;
	}
	CHECK(m->clo[lo] == v);
	return lo;
}

static void model_cover(struct model *m, const struct tnode *tn, int delta)
{
	unsigned c;

	for (c = m->key_cell[tn->ks]; c <= m->key_cell[tn->kl]; c++) {
		if (delta > 0)
			m->cov[c]++;
		else
			m->cov[c]--;
	}
}

static size_t live_sorted(struct tnode *pool, struct itree_node **out)
{
	size_t i, n = 0;

	for (i = 0; i < POOL; i++)
		if (pool[i].live)
			out[n++] = &pool[i].node;
	qsort(out, n, sizeof(*out), cmp_node_ptr);
	return n;
}

static void check_order(const struct itree *t, struct tnode *pool)
{
	struct itree_node *v[POOL];
	struct itree_node *x;
	size_t n = live_sorted(pool, v), i;

	CHECK(t->count == n);
	x = itree_first(t);
	for (i = 0; i < n; i++) {
		CHECK(x == v[i]);
		x = itree_next(x);
	}
	CHECK(x == NULL);
	x = itree_last(t);
	for (i = n; i-- > 0;) {
		CHECK(x == v[i]);
		x = itree_prev(x);
	}
	CHECK(x == NULL);
}

static void check_iter(const struct itree *t, struct tnode *pool, uint64_t s,
		       uint64_t l)
{
	struct itree_node *v[POOL];
	struct itree_node *x;
	size_t n = live_sorted(pool, v), i;

	x = itree_iter_first(t, s, l);
	if (s > l) {
		CHECK(x == NULL);
		return;
	}
	for (i = 0; i < n; i++) {
		if (v[i]->start > l || v[i]->last < s)
			continue;
		CHECK(x == v[i]);
		x = itree_iter_next(x, s, l);
	}
	CHECK(x == NULL);
}

static void check_spans(const struct itree *t, const struct model *m,
			uint64_t a, uint64_t b)
{
	struct itree_span_iter it;
	unsigned c, c_end, guard = 0;

	itree_span_iter_first(&it, t, a, b);
	if (a > b) {
		CHECK(itree_span_iter_done(&it));
		return;
	}
	c = cell_from_start(m, a);
	c_end = cell_from_start(m, b);
	CHECK(m->chi[c_end] == b);
	while (c <= c_end) {
		bool used = m->cov[c] > 0;
		unsigned e = c;

		while (e + 1 <= c_end && (m->cov[e + 1] > 0) == used)
			e++;
		CHECK(!itree_span_iter_done(&it));
		CHECK(it.is_hole == !used);
		if (used) {
			CHECK(it.start_used == m->clo[c]);
			CHECK(it.last_used == m->chi[e]);
		} else {
			CHECK(it.start_hole == m->clo[c]);
			CHECK(it.last_hole == m->chi[e]);
		}
		itree_span_iter_next(&it);
		c = e + 1;
		CHECK(++guard <= m->ncells);
	}
	CHECK(itree_span_iter_done(&it));
}

/* Brute force: first uncovered run within [lo, hi] of >= len indexes. */
static bool ref_find_hole(const struct model *m, uint64_t lo, uint64_t hi,
			  uint64_t len, uint64_t *hs, uint64_t *hl)
{
	unsigned c, c_end, e;

	if (lo > hi)
		return false;
	if (!len)
		len = 1;
	c = cell_from_start(m, lo);
	c_end = cell_from_start(m, hi);
	CHECK(m->chi[c_end] == hi);
	for (; c <= c_end; c = e + 1) {
		e = c;
		if (m->cov[c])
			continue;
		while (e + 1 <= c_end && !m->cov[e + 1])
			e++;
		if (m->chi[e] - m->clo[c] >= len - 1) {
			*hs = m->clo[c];
			*hl = m->chi[e];
			return true;
		}
	}
	return false;
}

/* Some hole length inside [lo, hi] minus one, to hit exact boundaries. */
static bool ref_pick_hole(const struct model *m, uint64_t lo, uint64_t hi,
			  uint64_t *len_m1)
{
	uint64_t s, l;
	unsigned skip = (unsigned)rnd_below(4);

	while (ref_find_hole(m, lo, hi, 1, &s, &l)) {
		*len_m1 = l - s;
		if (!skip-- || l == hi)
			return true;
		lo = l + 1;
	}
	return false;
}

static uint64_t pick_len(const struct model *m, uint64_t lo, uint64_t hi)
{
	uint64_t lm1;

	switch (rnd_below(8)) {
	case 0:
		return 0;
	case 1:
		return 1 + rnd_below(4);
	case 2:
	case 3:
		if (lo > hi || !ref_pick_hole(m, lo, hi, &lm1))
			return 1;
		switch (rnd_below(3)) {
		case 0:
			return lm1 == MAX64 ? MAX64 : lm1 + 1;
		case 1:
			return lm1 >= MAX64 - 1 ? MAX64 : lm1 + 2;
		default:
			return lm1 ? lm1 : 1;
		}
	case 4:
		return MAX64;
	case 5:
		return (uint64_t)1 << rnd_below(64);
	case 6:
		return rnd();
	default:
		return 2 + rnd_below(64);
	}
}

static void check_find_hole(const struct itree *t, const struct model *m,
			    uint64_t lo, uint64_t hi)
{
	uint64_t len = pick_len(m, lo, hi);
	unsigned round;

	/* also follow the caller's retry pattern a few times */
	for (round = 0; round < 4; round++) {
		uint64_t rs = 0, rl = 0, ts = 0, tl = 0;
		bool want = ref_find_hole(m, lo, hi, len, &rs, &rl);
		bool got = itree_find_hole(t, lo, hi, len, &ts, &tl);

		CHECK(want == got);
		if (!want)
			return;
		CHECK(ts == rs);
		CHECK(tl == rl);
		if (tl == MAX64)
			return;
		lo = tl + 1;
	}
}

struct workload {
	const char *name;
	bool overlap;
	unsigned nrand; /* random 64-bit keys */
	unsigned nlow; /* keys 1..nlow */
	unsigned nhigh; /* keys MAX-nhigh..MAX-1 */
	unsigned max_span; /* usual range length, in keys */
	unsigned steps;
};

static void run_workload(const struct workload *w, uint64_t salt)
{
	static struct tnode pool[POOL];
	static struct model m;
	uint64_t keys[KMAX];
	struct itree t = ITREE_INIT;
	unsigned live[POOL];
	unsigned nlive = 0, nk = 0, i;

	g_what = w->name;
	seed_rng(salt);
	for (i = 0; i < w->nlow; i++)
		keys[nk++] = 1 + i;
	for (i = 0; i < w->nhigh; i++)
		keys[nk++] = MAX64 - 1 - i;
	for (i = 0; i < w->nrand; i++)
		keys[nk++] = rnd();
	model_build(&m, keys, nk);
	memset(pool, 0, sizeof(pool));

	for (g_step = 0; g_step < w->steps; g_step++) {
		/* grow, churn, shrink, churn; drain fully near the end */
		unsigned phase = (unsigned)(g_step * 8 / w->steps);
		unsigned p_ins = phase == 7  ? 0 :
				 (phase & 1) ? 50 :
				 (phase & 2) ? 25 :
					       80;
		bool do_ins = phase != 7 &&
			      (nlive == 0 ||
			       (nlive < POOL && rnd_below(100) < p_ins));

		if (phase == 7 && !nlive)
			break;

		if (do_ins) {
			struct tnode *tn = NULL;
			unsigned tries;

			for (i = 0; i < POOL && !tn; i++)
				if (!pool[(g_step + i) % POOL].live)
					tn = &pool[(g_step + i) % POOL];
			for (tries = 0; tries < 8; tries++) {
				unsigned ks = (unsigned)rnd_below(m.nkeys);
				unsigned span =
					rnd_below(8) ?
						(unsigned)rnd_below(
							w->max_span) :
						(unsigned)rnd_below(m.nkeys);
				unsigned kl = ks + span < m.nkeys ? ks + span :
								    m.nkeys - 1;
				bool clash = false;

				for (i = 0; i < nlive && !w->overlap; i++) {
					const struct tnode *o = &pool[live[i]];

					if (o->ks <= kl && ks <= o->kl)
						clash = true;
				}
				if (clash)
					continue;
				tn->ks = ks;
				tn->kl = kl;
				set_node(&tn->node, m.key[ks], m.key[kl]);
				itree_insert(&t, &tn->node);
				tn->live = true;
				live[nlive++] = (unsigned)(tn - pool);
				model_cover(&m, tn, 1);
				break;
			}
		} else {
			unsigned k = (unsigned)rnd_below(nlive);
			struct tnode *tn = &pool[live[k]];

			itree_remove(&t, &tn->node);
			tn->live = false;
			live[k] = live[--nlive];
			model_cover(&m, tn, -1);
		}
		CHECK(itree_validate(&t));
		CHECK(t.count == nlive);

		if (g_step % 16 == 0)
			check_order(&t, pool);
		{
			uint64_t a = m.key[rnd_below(m.nkeys)];
			uint64_t b = m.key[rnd_below(m.nkeys)];

			check_iter(&t, pool, a, b);
			check_iter(&t, pool, a, a);
		}
		{
			unsigned a = (unsigned)rnd_below(m.nkeys);
			unsigned b = (unsigned)rnd_below(m.nkeys);

			if (rnd_below(16) == 0) {
				a = 0;
				b = m.nkeys - 1;
			}
			if (rnd_below(16) == 0 && a < b)
				check_spans(&t, &m, m.key[b], m.key[a]);
			if (a > b) {
				unsigned tmp = a;

				a = b;
				b = tmp;
			}
			check_spans(&t, &m, m.key[a], m.key[b]);
		}
		{
			unsigned a = (unsigned)rnd_below(m.nkeys);
			unsigned b = (unsigned)rnd_below(m.nkeys);

			if (rnd_below(4) == 0) {
				a = 0;
				b = m.nkeys - 1;
			}
			if (a > b) {
				unsigned tmp = a;

				a = b;
				b = tmp;
			}
			check_find_hole(&t, &m, m.key[a], m.key[b]);
		}
	}
	CHECK(nlive == 0);
	CHECK(itree_empty(&t));
	g_what = "";
}

static const struct workload workloads[] = {
	{ "overlap-edges", true, 0, 30, 30, 4, 12000 },
	{ "overlap-dense", true, 0, 20, 0, 6, 12000 },
	{ "overlap-wide", true, 80, 8, 8, 3, 12000 },
	{ "disjoint-edges", false, 0, 60, 60, 3, 12000 },
	{ "disjoint-wide", false, 120, 10, 10, 2, 12000 },
	{ "disjoint-dense", false, 0, 150, 0, 2, 12000 },
};

static void test_random_diff(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		run_workload(&workloads[i], i + 1);
}

/* ---- scaling sanity check ---------------------------------------------- */

static void shuffle(uint32_t *v, uint32_t n)
{
	uint32_t i, j, tmp;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = (uint32_t)rnd_below(i + 1);
		tmp = v[i];
		v[i] = v[j];
		v[j] = tmp;
	}
}

static void test_scale(void **state)
{
	enum { N = 1000000, STRIDE = 5 }; /* 4 used, 1 free */
	const uint64_t end = (uint64_t)N * STRIDE - 1; /* last gap byte */
	const uint64_t punch = 700000;
	struct itree_node *nodes = calloc(N, sizeof(*nodes));
	uint32_t *perm = calloc(N, sizeof(*perm));
	struct itree t = ITREE_INIT;
	struct itree_span_iter it;
	uint64_t s, l, lo;
	double t0, t_ins, t_find, t_q, t_churn;
	unsigned i;

	(void)state;
	assert_non_null(nodes);
	assert_non_null(perm);
	g_what = "scale";
	seed_rng(99);
	for (i = 0; i < N; i++) {
		nodes[i].start = (uint64_t)i * STRIDE;
		nodes[i].last = nodes[i].start + STRIDE - 2;
	}

	/* The required check: 1M inserts in address order, then one search */
	t0 = now_sec();
	for (i = 0; i < N; i++)
		itree_insert(&t, &nodes[i]);
	t_ins = now_sec() - t0;
	assert_int_equal(t.count, N);
	/* a million 1-byte gaps before the only big hole */
	t0 = now_sec();
	expect_hole(&t, 0, MAX64, 2, end, MAX64);
	t_find = now_sec() - t0;

	t0 = now_sec();
	expect_hole(&t, 0, MAX64, 1, STRIDE - 1, STRIDE - 1);
	expect_no_hole(&t, 0, end - 1, 2);
	/* punch a 9-byte hole and find it past the 1-byte ones */
	itree_remove(&t, &nodes[punch]);
	expect_hole(&t, 0, MAX64, 2, punch * STRIDE - 1,
		    (punch + 1) * STRIDE - 1);
	expect_hole(&t, 0, MAX64, 10, end, MAX64);
	/* many searches from random places: each must be O(log n) */
	for (i = 0; i < 100000; i++) {
		lo = rnd_below(end);
		assert_true(itree_find_hole(&t, lo, MAX64, 3, &s, &l));
		if (lo <= (punch + 1) * STRIDE - 3) {
			/* the punched hole [punch*STRIDE-1, +5], clipped */
			if (lo < punch * STRIDE)
				assert_int_equal(s, punch * STRIDE - 1);
			else
				assert_int_equal(s, lo);
			assert_int_equal(l, (punch + 1) * STRIDE - 1);
		} else {
			assert_int_equal(s, lo > end ? lo : end);
			assert_int_equal(l, MAX64);
		}
	}
	/* the retry pattern over the first 10000 holes */
	lo = 0;
	for (i = 0; i < 10000; i++) {
		assert_true(itree_find_hole(&t, lo, MAX64, 1, &s, &l));
		assert_int_equal(s, (uint64_t)i * STRIDE + STRIDE - 1);
		assert_int_equal(l, s);
		lo = l + 1;
	}
	/* spans and overlap queries stay cheap too */
	i = 0;
	for (itree_span_iter_first(&it, &t, 0, 100000);
	     !itree_span_iter_done(&it); itree_span_iter_next(&it))
		i++;
	assert_int_equal(i, 2 * 20000 + 1);
	for (i = 0; i < 100000; i++) {
		struct itree_node *n;

		lo = rnd_below(end);
		n = itree_iter_first(&t, lo, lo + 2 * STRIDE);
		assert_non_null(n);
		assert_true(n->last >= lo && n->start <= lo + 2 * STRIDE);
	}
	t_q = now_sec() - t0;
	assert_true(itree_validate(&t));

	/* random-order removal and insertion at full size */
	t0 = now_sec();
	shuffle(perm, N);
	for (i = 0; i < N; i++)
		if (perm[i] != punch)
			itree_remove(&t, &nodes[perm[i]]);
	assert_true(itree_empty(&t));
	shuffle(perm, N);
	for (i = 0; i < N; i++)
		itree_insert(&t, &nodes[perm[i]]);
	t_churn = now_sec() - t0;
	assert_true(itree_validate(&t));
	expect_hole(&t, 0, MAX64, 2, end, MAX64);
	expect_hole(&t, end - 100, end, 1, end - 100, end - 100);
	for (i = 0; i < N; i++)
		itree_remove(&t, &nodes[i]);
	assert_true(itree_empty(&t));
	assert_int_equal(t.count, 0);

	print_message("scale: insert %.3fs + find_hole %.6fs; other queries "
		      "%.3fs; shuffled remove+insert %.3fs\n",
		      t_ins, t_find, t_q, t_churn);
	/* Speed is the benchmark's business (bench/); this only reports. */
	free(perm);
	free(nodes);
	g_what = "";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_size),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_insert_remove_order),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_iter_overlap),
		cmocka_unit_test(test_iter_bounds),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_span_top),
		cmocka_unit_test(test_find_hole_edges),
		cmocka_unit_test(test_find_hole_overlap),
		cmocka_unit_test(test_random_diff),
		cmocka_unit_test(test_scale),
	};
	const char *env = getenv("ITREE_TEST_SEED");

	g_seed = env ? strtoull(env, NULL, 0) : 0x5eed1e55ULL;
	print_message("interval tree test seed %" PRIu64 "\n", g_seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
