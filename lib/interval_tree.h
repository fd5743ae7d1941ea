/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intrusive interval tree of closed ranges [start, last] on uint64_t.
 *
 * `last` is inclusive everywhere in this API: [0, UINT64_MAX] is the whole
 * 64-bit space and a range never needs an end that overflows.
 *
 * The tree is a red-black tree ordered by (start, last, node address), so
 * identical ranges may be inserted several times. Nodes are embedded in the
 * caller's structures; the tree never allocates and never recurses. Every
 * node keeps two subtree summaries:
 *  - the largest `last` below it, so intersection queries are O(log n) even
 *    when ranges overlap;
 *  - the largest gap before any node below it, so itree_find_hole() is
 *    O(log n) on trees whose ranges do not overlap.
 *
 * Start/last of a node must not change while it is in a tree. There is no
 * locking: callers serialise writers against everything else.
 */
#ifndef INTERVAL_TREE_H
#define INTERVAL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itree_node {
	/* Set by the caller before itree_insert(); read-only afterwards. */
	uint64_t start;
	uint64_t last;

	/* Private to interval_tree.c. */
	uint64_t subtree_last; /* max `last` in this subtree */
	uint64_t subtree_gap; /* max node gap in this subtree, see .c */
	uintptr_t parent_color; /* parent pointer, colour in bit 0 */
	struct itree_node *left;
	struct itree_node *right;
};

struct itree {
	struct itree_node *root;
	size_t count;
};

#define ITREE_INIT                       \
	{                                \
		.root = NULL, .count = 0 \
	}

static inline void itree_init(struct itree *t)
{
	t->root = NULL;
	t->count = 0;
}

static inline bool itree_empty(const struct itree *t)
{
	return !t->root;
}

/* O(log n). @n must not be in any tree; n->start <= n->last. */
void itree_insert(struct itree *t, struct itree_node *n);
/* O(log n). @n must be in @t. */
void itree_remove(struct itree *t, struct itree_node *n);

/*
 * Lowest-ordered node intersecting [start, last], or NULL (also when
 * start > last). O(log n).
 */
struct itree_node *itree_iter_first(const struct itree *t, uint64_t start,
				    uint64_t last);
/*
 * Next node after @n in tree order that intersects [start, last], or NULL.
 * O(log n) worst case; O(1) amortised when walking a run of consecutive
 * intersecting nodes, as in a tree without overlaps.
 */
struct itree_node *itree_iter_next(const struct itree_node *n, uint64_t start,
				   uint64_t last);

/* Plain in-order walk; NULL at the ends. */
struct itree_node *itree_first(const struct itree *t);
struct itree_node *itree_last(const struct itree *t);
struct itree_node *itree_next(const struct itree_node *n);
struct itree_node *itree_prev(const struct itree_node *n);

/*
 * Walks [first_index, last_index] as alternating maximal spans that are
 * "used" (every index covered by some node; overlapping and adjacent nodes
 * merge, so [0,9] + [10,19] is one span) or "holes" (covered by none).
 * The spans are ascending, clipped, and cover the range exactly:
 *
 *	for (itree_span_iter_first(&it, t, a, b); !itree_span_iter_done(&it);
 *	     itree_span_iter_next(&it))
 *		if (it.is_hole) ... [it.start_hole, it.last_hole] ...
 *		else ... [it.start_used, it.last_used] ...
 *
 * Only the pair matching is_hole is meaningful. first_index > last_index
 * gives no spans. The tree must not change during the walk. Each step is
 * O(log n) plus O(1) amortised per node merged into a used span.
 */
struct itree_span_iter {
	/* Outputs. */
	bool is_hole;
	uint64_t start_hole;
	uint64_t last_hole;
	uint64_t start_used;
	uint64_t last_used;

	/* Private. */
	struct itree_node *node;
	uint64_t last_index;
	bool at_end;
	bool done;
};

void itree_span_iter_first(struct itree_span_iter *it, const struct itree *t,
			   uint64_t first_index, uint64_t last_index);
void itree_span_iter_next(struct itree_span_iter *it);

static inline bool itree_span_iter_done(const struct itree_span_iter *it)
{
	return it->done;
}

/*
 * Finds the lowest hole (maximal range covered by no node) whose part inside
 * [lo, hi] holds at least @min_len indexes, and returns that part in
 * *hole_start and *hole_last. min_len 0 is treated as 1; a hole of the full
 * 2^64 indexes is long enough for any min_len. Returns false if there is
 * none (or lo > hi).
 *
 * O(log n) when no two nodes overlap, including the retry pattern of
 * calling again with lo = *hole_last + 1 after rejecting a hole. Trees with
 * overlaps give correct answers too, but may take longer.
 */
bool itree_find_hole(const struct itree *t, uint64_t lo, uint64_t hi,
		     uint64_t min_len, uint64_t *hole_start,
		     uint64_t *hole_last);

/*
 * Checks every structural and summary invariant; O(n log n). For tests
 * and debugging: true if the tree is consistent.
 */
bool itree_validate(const struct itree *t);

#endif /* INTERVAL_TREE_H */
