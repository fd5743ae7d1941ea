// SPDX-License-Identifier: BSD-3-Clause
/*
 * Model test: long random sequences of map / copy / unmap / allow /
 * reserve / huge-pages / destroy on two IOAS, each step checked against a
 * deliberately simple reference model (sorted arrays, brute-force IOVA
 * placement written from the kernel's rules) — the result, the output
 * fields and then the whole state.
 *
 * UIOMMUFD_MODEL_SEEDS=N runs N seeds (default 100), UIOMMUFD_MODEL_STEPS
 * the steps per seed (default 1500), UIOMMUFD_MODEL_SEED=S one given seed.
 * A failure prints the seed and the step.
 */
#include <stdio.h>

#include "test_util.h"

#include "io_pagetable.h"

#define MAX_AREAS 512
#define MAX_RANGES 16
#define U64_MAX UINT64_MAX
#define HPAGE (2UL << 20)

struct m_range {
	uint64_t start, last;
};

struct m_area {
	uint64_t iova, last;
	uint64_t uaddr; /* user address of the area's first byte */
	int pages_id;
	bool writable; /* of the pages */
	int prot;
};

struct m_ioas {
	uint32_t id;
	struct m_area areas[MAX_AREAS];
	int nr_areas;
	struct m_range allowed[MAX_RANGES];
	int nr_allowed;
	struct m_range reserved[MAX_RANGES];
	int nr_reserved;
	bool disable_large;
};

static struct model {
	struct uiommufd_ctx *ctx;
	struct m_ioas ioas[2];
	int next_pages_id;
	char *buf;
	unsigned long ok[8], failed[8]; /* per operation, for the summary */
	uint64_t seed;
	unsigned int step;
	uint64_t rng;
} m;

#define BUF_LEN (8UL << 20)

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed alone */
	m.rng ^= m.rng >> 12;
	m.rng ^= m.rng << 25;
	m.rng ^= m.rng >> 27;
	return m.rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

enum { OP_MAP, OP_COPY, OP_UNMAP, OP_ALLOW, OP_RESERVE, OP_HUGE };

static void count(int op, int rc)
{
	if (rc)
		m.failed[op]++;
	else
		m.ok[op]++;
}

#define model_check(cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			print_error(                                        \
				"model mismatch: %s (seed %llu step %u)\n", \
				#cond, (unsigned long long)m.seed, m.step); \
			fail();                                             \
		}                                                           \
	} while (0)

static bool intersects(uint64_t s1, uint64_t l1, uint64_t s2, uint64_t l2)
{
	return s1 <= l2 && s2 <= l1;
}

static uint64_t m_alignment(const struct m_ioas *io)
{
	return io->disable_large ? PAGE : 1;
}

static int m_area_at(const struct m_ioas *io, uint64_t start, uint64_t last)
{
	int i;

	for (i = 0; i < io->nr_areas; i++)
		if (intersects(io->areas[i].iova, io->areas[i].last, start,
			       last))
			return i;
	return -1;
}

static bool m_reserved_hits(const struct m_ioas *io, uint64_t start,
			    uint64_t last)
{
	int i;

	for (i = 0; i < io->nr_reserved; i++)
		if (intersects(io->reserved[i].start, io->reserved[i].last,
			       start, last))
			return true;
	return false;
}

static void m_insert_area(struct m_ioas *io, struct m_area a)
{
	int i = io->nr_areas;

	while (i && io->areas[i - 1].iova > a.iova) {
		io->areas[i] = io->areas[i - 1];
		i--;
	}
	io->areas[i] = a;
	io->nr_areas++;
}

static void m_remove_area(struct m_ioas *io, int idx)
{
	memmove(&io->areas[idx], &io->areas[idx + 1],
		(io->nr_areas - idx - 1) * sizeof(io->areas[0]));
	io->nr_areas--;
}

static int cmp_range(const void *a, const void *b)
{
	const struct m_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The kernel's placement test, written from its definition. */
static bool m_fit(uint64_t *start, uint64_t last, uint64_t length,
		  uint64_t align, uint64_t page_offset)
{
	uint64_t a;

	if (*start > U64_MAX - (align - 1))
		return false;
	a = ((*start + align - 1) & ~(align - 1)) | page_offset;
	if (a >= last || last - a < length - 1)
		return false;
	*start = a;
	return true;
}

/* Brute force: sweep the sorted union of areas and reserved ranges. */
static bool m_first_hole_fit(const struct m_ioas *io, uint64_t lo, uint64_t hi,
			     uint64_t length, uint64_t align, uint64_t off,
			     uint64_t *iova)
{
	struct m_range used[MAX_AREAS + MAX_RANGES];
	uint64_t cur = lo;
	int n = 0, i;

	for (i = 0; i < io->nr_areas; i++)
		used[n++] = (struct m_range){ io->areas[i].iova,
					      io->areas[i].last };
	for (i = 0; i < io->nr_reserved; i++)
		used[n++] = io->reserved[i];
	qsort(used, n, sizeof(used[0]), cmp_range);
	for (i = 0; i < n; i++) {
		if (used[i].last < cur)
			continue;
		if (used[i].start > hi)
			break;
		if (used[i].start > cur) {
			uint64_t s = cur;

			if (m_fit(&s, used[i].start - 1, length, align, off)) {
				*iova = s;
				return true;
			}
		}
		if (used[i].last >= hi)
			return false;
		cur = used[i].last + 1;
	}
	if (m_fit(&cur, hi, length, align, off)) {
		*iova = cur;
		return true;
	}
	return false;
}

static int m_alloc_iova(const struct m_ioas *io, uint64_t uptr, uint64_t length,
			uint64_t *iova)
{
	struct m_range spans[MAX_RANGES];
	uint64_t align, off = uptr % PAGE;
	int n = 0, i;

	if (length == 0 || length >= U64_MAX / 2)
		return EOVERFLOW;
	align = 1;
	while (align < length)
		align <<= 1;
	if (uptr && (uptr & -uptr) < align)
		align = uptr & -uptr;
	if (align >= HPAGE)
		align = HPAGE;
	if (align < m_alignment(io))
		return EINVAL;

	/* Allowed ranges merged into spans, clipped to [PAGE, MAX - PAGE]. */
	if (!io->nr_allowed) {
		spans[n++] = (struct m_range){ PAGE, U64_MAX - PAGE };
	} else {
		struct m_range sorted[MAX_RANGES];

		memcpy(sorted, io->allowed, io->nr_allowed * sizeof(sorted[0]));
		qsort(sorted, io->nr_allowed, sizeof(sorted[0]), cmp_range);
		for (i = 0; i < io->nr_allowed; i++) {
			struct m_range r = sorted[i];

			if (r.last < PAGE || r.start > U64_MAX - PAGE)
				continue;
			r.start = r.start < PAGE ? PAGE : r.start;
			r.last = r.last > U64_MAX - PAGE ? U64_MAX - PAGE :
							   r.last;
			if (n && spans[n - 1].last + 1 >= r.start) {
				if (r.last > spans[n - 1].last)
					spans[n - 1].last = r.last;
			} else {
				spans[n++] = r;
			}
		}
	}
	for (i = 0; i < n; i++) {
		uint64_t s = spans[i].start;

		if (!m_fit(&s, spans[i].last, length, align, off))
			continue;
		if (m_first_hole_fit(io, s, spans[i].last, length, align, off,
				     iova))
			return 0;
	}
	return ENOSPC;
}

/* Slices to place, as in a pages list. */
struct m_slice {
	uint64_t uaddr, length;
	int pages_id;
	bool writable;
};

static int m_map_slices(struct m_ioas *io, struct m_slice *sl, int nr,
			uint64_t length, uint64_t *iova, bool fixed, int prot)
{
	uint64_t align = m_alignment(io), cur, last;
	int i, rc;

	if ((length & (align - 1)) || !length)
		return EINVAL;
	if (!fixed) {
		rc = m_alloc_iova(io, sl[0].uaddr, length, iova);
		if (rc)
			return rc;
	} else {
		if (*iova & (align - 1))
			return EINVAL;
		if (*iova > U64_MAX - (length - 1))
			return EOVERFLOW;
		last = *iova + length - 1;
		if (m_reserved_hits(io, *iova, last))
			return EINVAL;
		if (m_area_at(io, *iova, last) >= 0)
			return EEXIST;
	}
	for (i = 0; i < nr; i++) {
		if ((prot & IOMMUFD_PROT_WRITE) && !sl[i].writable)
			return EPERM;
		if ((sl[i].uaddr % PAGE) & (align - 1))
			return EINVAL;
	}
	if (io->nr_areas + nr > MAX_AREAS)
		return -1; /* model capacity; callers avoid this */
	cur = *iova;
	for (i = 0; i < nr; i++) {
		m_insert_area(io, (struct m_area){
					  .iova = cur,
					  .last = cur + sl[i].length - 1,
					  .uaddr = sl[i].uaddr,
					  .pages_id = sl[i].pages_id,
					  .writable = sl[i].writable,
					  .prot = prot,
				  });
		cur += sl[i].length;
	}
	return 0;
}

static int m_prot(uint32_t flags)
{
	int prot = IOMMUFD_PROT_CACHE;

	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMUFD_PROT_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMUFD_PROT_READ;
	return prot;
}

static int m_map(struct m_ioas *io, uint64_t uptr, uint64_t length,
		 uint64_t *iova, uint32_t flags)
{
	struct m_slice sl;
	int rc;

	if (flags & ~(MAP_FIXED_RW))
		return EOPNOTSUPP;
	if (*iova >= U64_MAX || length >= U64_MAX)
		return EOVERFLOW;
	if (!(flags & MAP_RW))
		return EINVAL;
	if (length == 0 || length > U64_MAX - PAGE)
		return EINVAL;
	if (uptr > U64_MAX - length)
		return EOVERFLOW;
	sl = (struct m_slice){ uptr, length, m.next_pages_id,
			       !!(flags & IOMMU_IOAS_MAP_WRITEABLE) };
	rc = m_map_slices(io, &sl, 1, length, iova,
			  flags & IOMMU_IOAS_MAP_FIXED_IOVA, m_prot(flags));
	if (!rc)
		m.next_pages_id++;
	return rc;
}

static int m_copy(struct m_ioas *dst, struct m_ioas *src, uint64_t src_iova,
		  uint64_t length, uint64_t *dst_iova, uint32_t flags)
{
	struct m_slice sl[MAX_AREAS];
	uint64_t cur, last;
	int nr = 0, i;

	if (flags & ~(MAP_FIXED_RW))
		return EOPNOTSUPP;
	if (length >= U64_MAX || src_iova >= U64_MAX || *dst_iova >= U64_MAX)
		return EOVERFLOW;
	if (!(flags & MAP_RW))
		return EINVAL;
	if (!length)
		return EINVAL;
	if (src_iova > U64_MAX - (length - 1))
		return EOVERFLOW;
	last = src_iova + length - 1;
	cur = src_iova;
	for (;;) {
		i = m_area_at(src, cur, cur);
		if (i < 0 || src->areas[i].iova > cur)
			return ENOENT;
		if (nr && src->areas[i].iova != cur)
			return ENOENT;
		sl[nr++] = (struct m_slice){
			.uaddr = src->areas[i].uaddr +
				 (cur - src->areas[i].iova),
			.length = (src->areas[i].last < last ?
					   src->areas[i].last :
					   last) -
				  cur + 1,
			.pages_id = src->areas[i].pages_id,
			.writable = src->areas[i].writable,
		};
		if (src->areas[i].last >= last)
			break;
		cur = src->areas[i].last + 1;
	}
	return m_map_slices(dst, sl, nr, length, dst_iova,
			    flags & IOMMU_IOAS_MAP_FIXED_IOVA, m_prot(flags));
}

static int m_unmap(struct m_ioas *io, uint64_t iova, uint64_t length,
		   uint64_t *unmapped)
{
	uint64_t start = iova, last;
	int rc = 0;
	bool all = iova == 0 && length == U64_MAX;

	*unmapped = 0;
	if (!all) {
		if (iova >= U64_MAX || length >= U64_MAX)
			return EOVERFLOW;
		if (!length)
			return EINVAL;
		if (iova > U64_MAX - (length - 1))
			return EOVERFLOW;
	}
	last = all ? U64_MAX : iova + length - 1;
	for (;;) {
		int i = m_area_at(io, start, last);
		struct m_area a;

		if (i < 0)
			break;
		a = io->areas[i];
		if (a.iova < start || a.last > last) {
			rc = ENOENT;
			break;
		}
		m_remove_area(io, i);
		*unmapped += a.last - a.iova + 1;
		if (a.last >= last)
			break;
		start = a.last + 1;
	}
	if (!rc && !all && !*unmapped)
		rc = ENOENT;
	return rc;
}

static int m_allow(struct m_ioas *io, struct m_range *r, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		if (r[i].start >= r[i].last)
			return EINVAL;
		for (j = 0; j < i; j++)
			if (intersects(r[i].start, r[i].last, r[j].start,
				       r[j].last))
				return EINVAL;
	}
	for (i = 0; i < n; i++)
		if (m_reserved_hits(io, r[i].start, r[i].last))
			return EADDRINUSE;
	memcpy(io->allowed, r, n * sizeof(*r));
	io->nr_allowed = n;
	return 0;
}

static int m_reserve(struct m_ioas *io, uint64_t start, uint64_t last)
{
	int i;

	if (m_area_at(io, start, last) >= 0)
		return EADDRINUSE;
	for (i = 0; i < io->nr_allowed; i++)
		if (intersects(io->allowed[i].start, io->allowed[i].last, start,
			       last))
			return EADDRINUSE;
	io->reserved[io->nr_reserved++] = (struct m_range){ start, last };
	return 0;
}

static int m_huge_pages(struct m_ioas *io, bool enable)
{
	int i;

	if (enable || io->disable_large) {
		io->disable_large = !enable;
		return 0;
	}
	for (i = 0; i < io->nr_areas; i++) {
		struct m_area *a = &io->areas[i];

		if ((a->iova | (a->last + 1) | a->uaddr) & (PAGE - 1))
			return EADDRINUSE;
	}
	io->disable_large = true;
	return 0;
}

/* ---- comparing the library's state with the model ------------------ */

struct pages_pair {
	const void *pages;
	int id;
};

static int cmp_by_pages(const void *a, const void *b)
{
	const struct pages_pair *x = a, *y = b;

	return x->pages < y->pages ? -1 : x->pages > y->pages;
}

static int cmp_by_id(const void *a, const void *b)
{
	const struct pages_pair *x = a, *y = b;

	return x->id - y->id;
}

static void check_state(void)
{
	static struct pages_pair pairs[2 * MAX_AREAS];
	int k, nr_pairs = 0;

	for (k = 0; k < 2; k++) {
		struct m_ioas *io = &m.ioas[k];
		struct iommufd_ioas *ioas = iommufd_get_ioas(m.ctx, io->id);
		struct itree_node *node;
		int i = 0;

		model_check(ioas != NULL);
		model_check(ioas->iopt.iova_alignment == m_alignment(io));
		for (node = itree_first(&ioas->iopt.area_itree); node;
		     node = itree_next(node), i++) {
			struct iopt_area *area =
				container_of(node, struct iopt_area, node);
			struct m_area *ma = &io->areas[i];

			model_check(i < io->nr_areas);
			model_check(node->start == ma->iova);
			model_check(node->last == ma->last);
			model_check(area->pages->uptr +
					    iopt_area_start_byte(area,
								 node->start) ==
				    ma->uaddr);
			model_check(area->iommu_prot == ma->prot);
			model_check(area->pages->writable == ma->writable);
			pairs[nr_pairs++] = (struct pages_pair){ area->pages,
								 ma->pages_id };
		}
		model_check(i == io->nr_areas);

		i = 0;
		for (node = itree_first(&ioas->iopt.allowed_itree); node;
		     node = itree_next(node))
			i++;
		model_check(i == io->nr_allowed);
		i = 0;
		for (node = itree_first(&ioas->iopt.reserved_itree); node;
		     node = itree_next(node))
			i++;
		model_check(i == io->nr_reserved);
		iommufd_put_object(&ioas->obj);
	}
	/* Pages shared in the model are shared here, and only those. */
	qsort(pairs, nr_pairs, sizeof(pairs[0]), cmp_by_pages);
	for (k = 1; k < nr_pairs; k++)
		if (pairs[k].pages == pairs[k - 1].pages)
			model_check(pairs[k].id == pairs[k - 1].id);
	qsort(pairs, nr_pairs, sizeof(pairs[0]), cmp_by_id);
	for (k = 1; k < nr_pairs; k++)
		if (pairs[k].id == pairs[k - 1].id)
			model_check(pairs[k].pages == pairs[k - 1].pages);
}

static void check_ranges(struct m_ioas *io)
{
	struct iommu_iova_range got[MAX_RANGES + 1];
	struct m_range sorted[MAX_RANGES];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = io->id,
		.num_iovas = MAX_RANGES + 1,
		.allowed_iovas = (uintptr_t)got,
	};
	uint64_t cur = 0;
	uint32_t n = 0;
	bool end = false;
	int i;

	model_check(do_ioctl(m.ctx, IOMMU_IOAS_IOVA_RANGES, &cmd) == 0);
	model_check(cmd.out_iova_alignment == m_alignment(io));
	memcpy(sorted, io->reserved, io->nr_reserved * sizeof(sorted[0]));
	qsort(sorted, io->nr_reserved, sizeof(sorted[0]), cmp_range);
	for (i = 0; i < io->nr_reserved && !end; i++) {
		if (sorted[i].last < cur)
			continue;
		if (sorted[i].start > cur) {
			model_check(n < cmd.num_iovas);
			model_check(got[n].start == cur);
			model_check(got[n].last == sorted[i].start - 1);
			n++;
		}
		if (sorted[i].last == U64_MAX)
			end = true;
		else
			cur = sorted[i].last + 1;
	}
	if (!end) {
		model_check(n < cmd.num_iovas);
		model_check(got[n].start == cur && got[n].last == U64_MAX);
		n++;
	}
	model_check(n == cmd.num_iovas);
}

/* ---- random operations --------------------------------------------- */

static uint64_t rnd_iova(void)
{
	switch (rnd_below(16)) {
	case 0:
		return U64_MAX - rnd_below(4) * PAGE - rnd_below(2);
	case 1:
		return rnd_below(64 * PAGE);
	default:
		return rnd_below(64) * PAGE;
	}
}

static uint64_t rnd_length(void)
{
	switch (rnd_below(16)) {
	case 0:
		return rnd_below(3) ? rnd_below(3 * PAGE) : rnd_below(3);
	case 1:
		return U64_MAX - rnd_below(2);
	case 3:
		return 1 + rnd_below(3);
	case 2:
		return HPAGE * (1 + rnd_below(2));
	default:
		return (1 + rnd_below(8)) * PAGE;
	}
}

static uint64_t rnd_uptr(void)
{
	uint64_t off = rnd_below(4) ? rnd_below(32) * PAGE :
				      rnd_below(BUF_LEN / 2);

	if (!rnd_below(32))
		return rnd_below(2) ? 0 : U64_MAX - rnd_below(PAGE);
	return (uintptr_t)m.buf + off;
}

static uint32_t rnd_flags(void)
{
	uint32_t flags = rnd_below(8) ? MAP_RW : IOMMU_IOAS_MAP_READABLE;

	if (!rnd_below(3))
		flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	if (!rnd_below(64))
		flags = rnd_below(2) ? 0 : flags | 0x40;
	return flags;
}

static void step_map(struct m_ioas *io)
{
	uint64_t uptr = rnd_uptr(), length = rnd_length();
	uint32_t flags = rnd_flags();
	uint64_t iova = rnd_iova(), m_iova = iova;
	int want, got;

	if (io->nr_areas >= MAX_AREAS - 1)
		return;
	want = m_map(io, uptr, length, &m_iova, flags);
	got = ioas_map(m.ctx, io->id, (void *)(uintptr_t)uptr, length, &iova,
		       flags);
	model_check(got == want);
	count(OP_MAP, got);
	if (!got)
		model_check(iova == m_iova);
}

static void step_copy(struct m_ioas *dst, struct m_ioas *src)
{
	uint64_t src_iova, length, dst_iova = rnd_iova(), m_dst;
	uint32_t flags = rnd_flags();
	int want, got;

	if (src->nr_areas && rnd_below(4)) {
		struct m_area *a = &src->areas[rnd_below(src->nr_areas)];

		src_iova =
			a->iova + rnd_below(2) * rnd_below(a->last - a->iova);
		length = rnd_below(4) ? a->last - src_iova + 1 :
					rnd_below(4 * PAGE) + 1;
	} else {
		src_iova = rnd_iova();
		length = rnd_length();
	}
	if (dst->nr_areas + src->nr_areas >= MAX_AREAS - 1)
		return;
	m_dst = dst_iova;
	want = m_copy(dst, src, src_iova, length, &m_dst, flags);
	got = ioas_copy(m.ctx, dst->id, src->id, src_iova, length, &dst_iova,
			flags);
	model_check(got == want);
	count(OP_COPY, got);
	if (!got)
		model_check(dst_iova == m_dst);
}

static void step_unmap(struct m_ioas *io)
{
	uint64_t iova, length, want_len, got_len;
	int want, got;

	if (io->nr_areas && rnd_below(4)) {
		struct m_area *a = &io->areas[rnd_below(io->nr_areas)];
		struct m_area *b = &io->areas[rnd_below(io->nr_areas)];

		iova = a->iova < b->iova ? a->iova : b->iova;
		length = (a->last > b->last ? a->last : b->last) - iova + 1;
		if (!rnd_below(4))
			iova += rnd_below(2) ? PAGE : -PAGE;
	} else if (!rnd_below(8)) {
		iova = 0;
		length = U64_MAX;
	} else {
		iova = rnd_iova();
		length = rnd_length();
	}
	want = m_unmap(io, iova, length, &want_len);
	got = ioas_unmap(m.ctx, io->id, iova, length, &got_len);
	model_check(got == want);
	count(OP_UNMAP, got);
	if (!got)
		model_check(got_len == want_len);
}

static void step_allow(struct m_ioas *io)
{
	struct iommu_iova_range r[4];
	struct m_range mr[4];
	int n = rnd_below(4), i, want, got;
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = io->id,
		.num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	for (i = 0; i < n; i++) {
		uint64_t s = rnd_below(48) * PAGE;

		r[i].start = s;
		r[i].last = s + rnd_below(16) * PAGE + (rnd_below(8) ? -1 : 0);
		if (r[i].last < r[i].start)
			r[i].last = r[i].start; /* empty: refused */
		mr[i] = (struct m_range){ r[i].start, r[i].last };
	}
	want = m_allow(io, mr, n);
	got = do_ioctl(m.ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
	model_check(got == want);
	count(OP_ALLOW, got);
}

static void step_reserve(struct m_ioas *io)
{
	uint64_t start = rnd_below(64) * PAGE + rnd_below(2) * rnd_below(PAGE);
	uint64_t last = start + rnd_below(4 * PAGE);
	struct iommufd_ioas *ioas;
	int want, got;

	if (io->nr_reserved >= MAX_RANGES - 1)
		return;
	want = m_reserve(io, start, last);
	ioas = iommufd_get_ioas(m.ctx, io->id);
	got = -iopt_reserve_iova(&ioas->iopt, start, last, NULL);
	iommufd_put_object(&ioas->obj);
	model_check(got == want);
	count(OP_RESERVE, got);
}

static void step_huge_pages(struct m_ioas *io)
{
	bool enable = rnd_below(3) == 0;
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = io->id,
		.val64 = enable,
	};
	int want = m_huge_pages(io, enable);
	int got = do_ioctl(m.ctx, IOMMU_OPTION, &cmd);

	model_check(got == want);
	count(OP_HUGE, got);
}

static void step_destroy(int k)
{
	struct m_ioas *io = &m.ioas[k];
	uint32_t id, expect = io->id;

	model_check(object_destroy(m.ctx, io->id) == 0);
	model_check(object_destroy(m.ctx, io->id) == ENOENT);
	memset(io, 0, sizeof(*io));
	/* The freed ID is the lowest free one: it comes back. */
	model_check(ioas_alloc(m.ctx, &id) == 0);
	model_check(id == expect);
	io->id = id;
}

static void run_seed(uint64_t seed, unsigned int steps)
{
	memset(&m.ioas, 0, sizeof(m.ioas));
	m.seed = seed;
	m.rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	m.next_pages_id = 0;
	m.ctx = uiommufd_open();
	assert_non_null(m.ctx);
	assert_int_equal(ioas_alloc(m.ctx, &m.ioas[0].id), 0);
	assert_int_equal(ioas_alloc(m.ctx, &m.ioas[1].id), 0);

	for (m.step = 0; m.step < steps; m.step++) {
		int k = rnd_below(2);
		struct m_ioas *io = &m.ioas[k];

		switch (rnd_below(32)) {
		case 0 ... 9:
			step_map(io);
			break;
		case 10 ... 14:
			step_copy(io, &m.ioas[!k]);
			break;
		case 15 ... 23:
			step_unmap(io);
			break;
		case 24 ... 25:
			step_allow(io);
			break;
		case 26 ... 27:
			step_reserve(io);
			break;
		case 28 ... 29:
			step_huge_pages(io);
			break;
		case 30:
			if (!rnd_below(4))
				step_destroy(k);
			break;
		default:
			check_ranges(io);
			break;
		}
		check_state();
	}
	uiommufd_close(m.ctx);
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static void model_random_sequences(void **state)
{
	unsigned long steps = env_ul("UIOMMUFD_MODEL_STEPS", 1500);
	unsigned long seeds = env_ul("UIOMMUFD_MODEL_SEEDS", 100);
	unsigned long i;

	(void)state;
	m.buf = test_buffer(BUF_LEN, PROT_READ | PROT_WRITE);
	if (getenv("UIOMMUFD_MODEL_SEED")) {
		run_seed(env_ul("UIOMMUFD_MODEL_SEED", 1), steps);
	} else {
		for (i = 1; i <= seeds; i++)
			run_seed(i, steps);
	}
	munmap(m.buf, BUF_LEN);
	print_message(
		"ok/failed: map %lu/%lu copy %lu/%lu unmap %lu/%lu allow %lu/%lu reserve %lu/%lu huge %lu/%lu\n",
		m.ok[OP_MAP], m.failed[OP_MAP], m.ok[OP_COPY],
		m.failed[OP_COPY], m.ok[OP_UNMAP], m.failed[OP_UNMAP],
		m.ok[OP_ALLOW], m.failed[OP_ALLOW], m.ok[OP_RESERVE],
		m.failed[OP_RESERVE], m.ok[OP_HUGE], m.failed[OP_HUGE]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(model_random_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
