// SPDX-License-Identifier: BSD-3-Clause
/*
 * Red-black interval tree, see interval_tree.h.
 *
 * Summaries kept in every node x (max over x and its descendants):
 *  - subtree_last: of `last`;
 *  - subtree_gap: of node_gap(), an upper bound on the hole that ends just
 *    before a node. node_gap() looks at the left subtree's subtree_last when
 *    there is a left child, else at the in-order predecessor, which is then
 *    an ancestor. Without overlaps both are exactly the predecessor's
 *    `last`, so the bound is exact. Deriving the gap instead of storing it
 *    saves 8 bytes per node (56 instead of 64); the ancestor walk it
 *    sometimes needs only happens for nodes without a left child, which in
 *    a red-black tree have at most one red leaf below them, so any path
 *    holds O(1) of them and updates stay O(log n).
 *
 * Because node_gap() of a node depends on its predecessor, updates must
 * refresh: nodes whose children changed, the successor of an inserted or
 * removed node, and both nodes of a rotation (whose subtree's gap summary
 * may change when the tree overlaps, so it is propagated too).
 */
#include "interval_tree.h"

#define ITREE_BLACK ((uintptr_t)1)

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline struct itree_node *node_parent(const struct itree_node *n)
{
	return (struct itree_node *)(n->parent_color & ~ITREE_BLACK);
}

/* NULL children count as black. */
static inline bool is_black(const struct itree_node *n)
{
	return !n || (n->parent_color & ITREE_BLACK);
}

static inline bool is_red(const struct itree_node *n)
{
	return !is_black(n);
}

static inline void set_parent(struct itree_node *n, struct itree_node *p)
{
	n->parent_color = (uintptr_t)p | (n->parent_color & ITREE_BLACK);
}

static inline void set_black(struct itree_node *n)
{
	n->parent_color |= ITREE_BLACK;
}

static inline void set_red(struct itree_node *n)
{
	n->parent_color &= ~ITREE_BLACK;
}

static inline void copy_color(struct itree_node *to,
			      const struct itree_node *from)
{
	to->parent_color = (to->parent_color & ~ITREE_BLACK) |
			   (from->parent_color & ITREE_BLACK);
}

/* Strict total order: start, then last, then address. */
static bool node_before(const struct itree_node *a, const struct itree_node *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	if (a->last != b->last)
		return a->last < b->last;
	return (uintptr_t)a < (uintptr_t)b;
}

static struct itree_node *leftmost(struct itree_node *n)
{
	while (n->left)
		n = n->left;
	return n;
}

static struct itree_node *rightmost(struct itree_node *n)
{
	while (n->right)
		n = n->right;
	return n;
}

/* Predecessor of a node that has no left child: the first right turn up. */
static struct itree_node *pred_ancestor(const struct itree_node *n)
{
	struct itree_node *p;

	for (p = node_parent(n); p; n = p, p = node_parent(p))
		if (n == p->right)
			return p;
	return NULL;
}

/*
 * Length of the hole between the preceding range (see file comment) and
 * n->start; a first node owns the hole [0, start - 1].
 */
static uint64_t node_gap(const struct itree_node *n)
{
	const struct itree_node *p;
	uint64_t prev_last;

	if (n->left) {
		prev_last = n->left->subtree_last;
	} else {
		p = pred_ancestor(n);
		if (!p)
			return n->start;
		prev_last = p->last;
	}
	return n->start > prev_last ? n->start - prev_last - 1 : 0;
}

/* Recomputes n's summaries from its children; true if they changed. */
static bool recompute(struct itree_node *n)
{
	uint64_t last = n->last;
	uint64_t gap = node_gap(n);

	if (n->left) {
		last = max_u64(last, n->left->subtree_last);
		gap = max_u64(gap, n->left->subtree_gap);
	}
	if (n->right) {
		last = max_u64(last, n->right->subtree_last);
		gap = max_u64(gap, n->right->subtree_gap);
	}
	if (last == n->subtree_last && gap == n->subtree_gap)
		return false;
	n->subtree_last = last;
	n->subtree_gap = gap;
	return true;
}

/* Refreshes n and its ancestors until a summary comes out unchanged. */
static void propagate(struct itree_node *n)
{
	while (n && recompute(n))
		n = node_parent(n);
}

static void replace_child(struct itree *t, struct itree_node *parent,
			  struct itree_node *old, struct itree_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/*
 * Rotations keep the set of nodes under the top slot, but node_gap() of
 * the two moved nodes may change (the left child of each is different),
 * so both are recomputed and the slot's summary is pushed up if needed.
 */
static void rotate_finish(struct itree_node *low, struct itree_node *top,
			  uint64_t old_last, uint64_t old_gap)
{
	struct itree_node *p = node_parent(top);

	recompute(low);
	recompute(top);
	if (p && (top->subtree_last != old_last || top->subtree_gap != old_gap))
		propagate(p);
}

static void rotate_left(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->right;
	struct itree_node *p = node_parent(x);
	uint64_t old_last = x->subtree_last;
	uint64_t old_gap = x->subtree_gap;

	x->right = y->left;
	if (y->left)
		set_parent(y->left, x);
	replace_child(t, p, x, y);
	set_parent(y, p);
	y->left = x;
	set_parent(x, y);
	rotate_finish(x, y, old_last, old_gap);
}

static void rotate_right(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->left;
	struct itree_node *p = node_parent(x);
	uint64_t old_last = x->subtree_last;
	uint64_t old_gap = x->subtree_gap;

	x->left = y->right;
	if (y->right)
		set_parent(y->right, x);
	replace_child(t, p, x, y);
	set_parent(y, p);
	y->right = x;
	set_parent(x, y);
	rotate_finish(x, y, old_last, old_gap);
}

static void insert_fixup(struct itree *t, struct itree_node *n)
{
	struct itree_node *p, *g, *u;

	while ((p = node_parent(n)) && is_red(p)) {
		/* A red node is never the root, so g exists. */
		g = node_parent(p);
		if (p == g->left) {
			u = g->right;
			if (is_red(u)) {
				set_black(p);
				set_black(u);
				set_red(g);
				n = g;
				continue;
			}
			if (n == p->right) {
				rotate_left(t, p);
				n = p;
				p = node_parent(n);
			}
			set_black(p);
			set_red(g);
			rotate_right(t, g);
		} else {
			u = g->left;
			if (is_red(u)) {
				set_black(p);
				set_black(u);
				set_red(g);
				n = g;
				continue;
			}
			if (n == p->left) {
				rotate_right(t, p);
				n = p;
				p = node_parent(n);
			}
			set_black(p);
			set_red(g);
			rotate_left(t, g);
		}
		break;
	}
	set_black(t->root);
}

void itree_insert(struct itree *t, struct itree_node *n)
{
	struct itree_node **link = &t->root;
	struct itree_node *parent = NULL;

	while (*link) {
		parent = *link;
		link = node_before(n, parent) ? &parent->left : &parent->right;
	}
	n->left = NULL;
	n->right = NULL;
	n->parent_color = (uintptr_t)parent; /* red */
	*link = n;
	t->count++;

	/*
	 * n's successor is an ancestor holding n in its left subtree, so the
	 * walk up from the parent also refreshes its gap.
	 */
	recompute(n);
	propagate(parent);
	insert_fixup(t, n);
}

/* x (possibly NULL, child of xp) is one black short of its sibling. */
static void erase_fixup(struct itree *t, struct itree_node *x,
			struct itree_node *xp)
{
	struct itree_node *w;

	while (x != t->root && is_black(x)) {
		/* The sibling w is non-NULL: its side has a black to spare. */
		if (x == xp->left) {
			w = xp->right;
			if (is_red(w)) {
				set_black(w);
				set_red(xp);
				rotate_left(t, xp);
				w = xp->right;
			}
			if (is_black(w->left) && is_black(w->right)) {
				set_red(w);
				x = xp;
				xp = node_parent(x);
				continue;
			}
			if (is_black(w->right)) {
				set_black(w->left);
				set_red(w);
				rotate_right(t, w);
				w = xp->right;
			}
			copy_color(w, xp);
			set_black(xp);
			set_black(w->right);
			rotate_left(t, xp);
		} else {
			w = xp->left;
			if (is_red(w)) {
				set_black(w);
				set_red(xp);
				rotate_right(t, xp);
				w = xp->left;
			}
			if (is_black(w->left) && is_black(w->right)) {
				set_red(w);
				x = xp;
				xp = node_parent(x);
				continue;
			}
			if (is_black(w->left)) {
				set_black(w->right);
				set_red(w);
				rotate_left(t, w);
				w = xp->left;
			}
			copy_color(w, xp);
			set_black(xp);
			set_black(w->left);
			rotate_right(t, xp);
		}
		x = t->root;
	}
	if (x)
		set_black(x);
}

void itree_remove(struct itree *t, struct itree_node *z)
{
	struct itree_node *succ = itree_next(z);
	struct itree_node *parent = node_parent(z);
	struct itree_node *child, *fix_parent;
	bool removed_black;

	if (!z->left || !z->right) {
		child = z->left ? z->left : z->right;
		removed_black = is_black(z);
		replace_child(t, parent, z, child);
		if (child)
			set_parent(child, parent);
		fix_parent = parent;
		propagate(parent);
	} else {
		/* succ is the leftmost node of z->right; it takes z's place. */
		child = succ->right;
		removed_black = is_black(succ);
		if (node_parent(succ) == z) {
			fix_parent = succ;
		} else {
			fix_parent = node_parent(succ);
			fix_parent->left = child;
			if (child)
				set_parent(child, fix_parent);
			succ->right = z->right;
			set_parent(succ->right, succ);
		}
		succ->left = z->left;
		set_parent(succ->left, succ);
		succ->parent_color = z->parent_color;
		replace_child(t, parent, z, succ);
		/* What z's parent last saw, so propagation compares right. */
		succ->subtree_last = z->subtree_last;
		succ->subtree_gap = z->subtree_gap;
		propagate(fix_parent);
	}
	/* succ's predecessor changed (or it moved): refresh its gap. */
	if (succ)
		propagate(succ);
	t->count--;

	if (removed_black)
		erase_fixup(t, child, fix_parent);

	z->left = NULL;
	z->right = NULL;
	z->parent_color = 0;
}

struct itree_node *itree_first(const struct itree *t)
{
	return t->root ? leftmost(t->root) : NULL;
}

struct itree_node *itree_last(const struct itree *t)
{
	return t->root ? rightmost(t->root) : NULL;
}

struct itree_node *itree_next(const struct itree_node *n)
{
	struct itree_node *p;

	if (n->right)
		return leftmost(n->right);
	for (p = node_parent(n); p && n == p->right; n = p, p = node_parent(p))
		;
	return p;
}

struct itree_node *itree_prev(const struct itree_node *n)
{
	struct itree_node *p;

	if (n->left)
		return rightmost(n->left);
	for (p = node_parent(n); p && n == p->left; n = p, p = node_parent(p))
		;
	return p;
}

/*
 * Lowest node of subtree x intersecting [start, last], given
 * x->subtree_last >= start. The first node in order with last >= start is
 * found; if it starts after `last`, so does every later node in the whole
 * tree, so NULL is a final answer for the caller too.
 */
static struct itree_node *subtree_search(struct itree_node *x, uint64_t start,
					 uint64_t last)
{
	while (x) {
		if (x->left && x->left->subtree_last >= start) {
			x = x->left;
			continue;
		}
		if (x->start > last)
			return NULL;
		if (x->last >= start)
			return x;
		x = x->right;
		if (x && x->subtree_last < start)
			return NULL; /* unreachable while summaries hold */
	}
	return NULL;
}

struct itree_node *itree_iter_first(const struct itree *t, uint64_t start,
				    uint64_t last)
{
	if (!t->root || start > last || t->root->subtree_last < start)
		return NULL;
	return subtree_search(t->root, start, last);
}

struct itree_node *itree_iter_next(const struct itree_node *n, uint64_t start,
				   uint64_t last)
{
	struct itree_node *p;

	if (start > last)
		return NULL;
	if (n->right && n->right->subtree_last >= start)
		return subtree_search(n->right, start, last);
	/* Climb; each parent reached from its left comes next in order. */
	for (p = node_parent(n); p; n = p, p = node_parent(p)) {
		if (n != p->left)
			continue;
		if (p->start > last)
			return NULL;
		if (p->last >= start)
			return p;
		if (p->right && p->right->subtree_last >= start)
			return subtree_search(p->right, start, last);
	}
	return NULL;
}

/*
 * it->node is the lowest node intersecting [cur, last_index] (or NULL);
 * produce the span starting at cur.
 */
static void span_emit(struct itree_span_iter *it, uint64_t cur)
{
	struct itree_node *n = it->node;
	struct itree_node *m;
	uint64_t end;

	if (!n || n->start > cur) {
		it->is_hole = true;
		it->start_hole = cur;
		/* n intersects the range, so n->start <= last_index. */
		it->last_hole = n ? n->start - 1 : it->last_index;
		it->at_end = !n;
		return;
	}

	/*
	 * Nodes before n end below cur. Extend with the next node that starts
	 * at or before end + 1 and reaches past end; nodes skipped over end
	 * inside the span, so the last one merged bounds everything so far.
	 */
	end = n->last;
	while (end < it->last_index) {
		m = itree_iter_next(n, end + 1, end + 1);
		if (!m)
			break;
		n = m;
		end = m->last;
	}
	it->is_hole = false;
	it->start_used = cur;
	it->at_end = end >= it->last_index;
	it->last_used = it->at_end ? it->last_index : end;
	it->node = n;
}

void itree_span_iter_first(struct itree_span_iter *it, const struct itree *t,
			   uint64_t first_index, uint64_t last_index)
{
	it->is_hole = false;
	it->start_hole = 0;
	it->last_hole = 0;
	it->start_used = 0;
	it->last_used = 0;
	it->last_index = last_index;
	it->at_end = false;
	it->done = first_index > last_index;
	it->node = NULL;
	if (it->done)
		return;
	it->node = itree_iter_first(t, first_index, last_index);
	span_emit(it, first_index);
}

void itree_span_iter_next(struct itree_span_iter *it)
{
	uint64_t cur;

	if (it->done)
		return;
	if (it->at_end) {
		it->done = true;
		return;
	}
	if (it->is_hole) {
		/* The hole ended just before it->node, which stays lowest. */
		cur = it->last_hole + 1;
	} else {
		/* Every node up to it->node ends at or before last_used. */
		cur = it->last_used + 1;
		it->node = itree_iter_next(it->node, cur, it->last_index);
	}
	span_emit(it, cur);
}

/* Lowest node in subtree x with node_gap() >= len; x->subtree_gap >= len. */
static struct itree_node *gap_descend(struct itree_node *x, uint64_t len)
{
	while (x) {
		if (x->left && x->left->subtree_gap >= len)
			x = x->left;
		else if (node_gap(x) >= len)
			return x;
		else
			x = x->right;
	}
	return NULL; /* unreachable while summaries hold */
}

/* Next node after n in order with node_gap() >= len. */
static struct itree_node *gap_next(const struct itree_node *n, uint64_t len)
{
	struct itree_node *p;

	if (n->right && n->right->subtree_gap >= len)
		return gap_descend(n->right, len);
	for (p = node_parent(n); p; n = p, p = node_parent(p)) {
		if (n != p->left)
			continue;
		if (node_gap(p) >= len)
			return p;
		if (p->right && p->right->subtree_gap >= len)
			return gap_descend(p->right, len);
	}
	return NULL;
}

/* Largest `last` among nodes before n in order; false if there are none. */
static bool prefix_max_last(const struct itree_node *n, uint64_t *out)
{
	const struct itree_node *p;
	bool any = false;
	uint64_t m = 0;

	if (n->left) {
		any = true;
		m = n->left->subtree_last;
	}
	for (p = node_parent(n); p; n = p, p = node_parent(p)) {
		if (n != p->right)
			continue;
		any = true;
		m = max_u64(m, p->last);
		if (p->left)
			m = max_u64(m, p->left->subtree_last);
	}
	*out = m;
	return any;
}

/* Clips hole [hs, he] to [lo, hi]; true if at least len indexes remain. */
static bool hole_fits(uint64_t hs, uint64_t he, uint64_t lo, uint64_t hi,
		      uint64_t len, uint64_t *hole_start, uint64_t *hole_last)
{
	if (hs < lo)
		hs = lo;
	if (he > hi)
		he = hi;
	/* he - hs + 1 >= len, without overflowing for the full range */
	if (hs > he || he - hs < len - 1)
		return false;
	*hole_start = hs;
	*hole_last = he;
	return true;
}

/*
 * Every hole but the last ends just before some node n, as
 * [prefix_max_last(n) + 1, n->start - 1], and node_gap(n) bounds its
 * length. Holes that reach lo have n->start > lo. So: visit nodes with
 * start > lo and node_gap() >= min_len in order, using subtree_gap to
 * skip the rest. Without overlaps at most two are visited: only the first
 * can be cut short by lo, and one cut short by hi ends the search.
 */
bool itree_find_hole(const struct itree *t, uint64_t lo, uint64_t hi,
		     uint64_t min_len, uint64_t *hole_start,
		     uint64_t *hole_last)
{
	struct itree_node *n = NULL;
	struct itree_node *x;
	uint64_t hs, m;

	if (!min_len)
		min_len = 1;
	if (lo > hi || hi - lo < min_len - 1)
		return false;

	for (x = t->root; x;) {
		if (x->start > lo) {
			n = x;
			x = x->left;
		} else {
			x = x->right;
		}
	}
	if (n && node_gap(n) < min_len)
		n = gap_next(n, min_len);

	for (; n; n = gap_next(n, min_len)) {
		if (prefix_max_last(n, &m)) {
			/* Later holes all start past m. */
			if (m >= hi)
				return false;
			hs = m + 1;
		} else {
			hs = 0;
		}
		/* n->start > lo >= 0, so n->start - 1 does not wrap. */
		if (hs > n->start - 1)
			continue; /* covered by an overlapping earlier node */
		if (hole_fits(hs, n->start - 1, lo, hi, min_len, hole_start,
			      hole_last))
			return true;
		if (n->start - 1 >= hi)
			return false;
	}

	/* The hole after every node, or the whole space if empty. */
	hs = 0;
	if (t->root) {
		m = t->root->subtree_last;
		if (m >= hi)
			return false;
		hs = m + 1;
	}
	return hole_fits(hs, UINT64_MAX, lo, hi, min_len, hole_start,
			 hole_last);
}

static unsigned int black_depth(const struct itree_node *n)
{
	unsigned int d = 0;

	for (; n; n = node_parent(n))
		d += is_black(n);
	return d;
}

bool itree_validate(const struct itree *t)
{
	const struct itree_node *n, *prev = NULL;
	unsigned int leaf_depth = 0;
	uint64_t last, gap;
	size_t count = 0;

	if (!t->root)
		return t->count == 0;
	if (node_parent(t->root) || is_red(t->root))
		return false;

	for (n = itree_first(t); n; prev = n, n = itree_next(n)) {
		if (++count > t->count)
			return false;
		if (n->start > n->last)
			return false;
		if (prev && !node_before(prev, n))
			return false;
		if (n->left && node_parent(n->left) != n)
			return false;
		if (n->right && node_parent(n->right) != n)
			return false;
		if (is_red(n) && (is_red(n->left) || is_red(n->right)))
			return false;
		/* Every path to a missing child crosses as many blacks. */
		if (!n->left || !n->right) {
			if (!leaf_depth)
				leaf_depth = black_depth(n);
			else if (black_depth(n) != leaf_depth)
				return false;
		}

		last = n->last;
		gap = node_gap(n);
		if (n->left) {
			last = max_u64(last, n->left->subtree_last);
			gap = max_u64(gap, n->left->subtree_gap);
		}
		if (n->right) {
			last = max_u64(last, n->right->subtree_last);
			gap = max_u64(gap, n->right->subtree_gap);
		}
		if (last != n->subtree_last || gap != n->subtree_gap)
			return false;
	}
	return count == t->count;
}
