// SPDX-License-Identifier: BSD-3-Clause
/*
 * The IOVA side of an IOAS: areas, the allowed and reserved ranges, the
 * IOVA allocator, map/copy/unmap and the alignment rules.
 *
 * `last` is inclusive throughout; every iova + length - 1 is checked for
 * overflow (EOVERFLOW).
 */
#include <errno.h>
#include <string.h>

#include "access.h"
#include "io_pagetable.h"
#include "iommu.h"

static inline uint64_t roundup_pow_of_two(uint64_t x)
{
	return x <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(x - 1));
}

/* ---- contiguous area walk ------------------------------------------ */

/*
 * An access attached to an io_pagetable. An entry of its own, not a node
 * in the access, because while an access moves between IOAS it is briefly
 * in both.
 */
struct iopt_access_entry {
	struct list_head item;
	struct iommufd_access *access;
};

/*
 * Walks the areas covering [iova, last_iova] without a gap, stopping at a
 * gap or at an area that is not fully built; done() tells whether the walk
 * reached last_iova.
 */
struct iopt_contig_iter {
	uint64_t cur_iova;
	uint64_t last_iova;
	struct iopt_area *area;
};

static struct iopt_area *iopt_node_to_area(struct itree_node *node)
{
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

static struct iopt_area *iopt_contig_first(struct iopt_contig_iter *iter,
					   struct io_pagetable *iopt,
					   uint64_t iova, uint64_t last_iova)
{
	iter->cur_iova = iova;
	iter->last_iova = last_iova;
	iter->area = iopt_node_to_area(
		itree_iter_first(&iopt->area_itree, iova, iova));
	if (iter->area && !iter->area->pages)
		iter->area = NULL;
	return iter->area;
}

static struct iopt_area *iopt_contig_next(struct iopt_contig_iter *iter)
{
	uint64_t last = iopt_area_last_iova(iter->area);

	if (iter->last_iova <= last)
		return NULL;
	iter->cur_iova = last + 1;
	iter->area = iopt_node_to_area(itree_iter_next(
		&iter->area->node, iter->cur_iova, iter->last_iova));
	if (iter->area && (iter->cur_iova != iopt_area_iova(iter->area) ||
			   !iter->area->pages))
		iter->area = NULL;
	return iter->area;
}

static bool iopt_contig_done(const struct iopt_contig_iter *iter)
{
	return iter->area && iter->last_iova <= iopt_area_last_iova(iter->area);
}

#define iopt_for_each_contig_area(iter, area, iopt, iova, last)      \
	for (area = iopt_contig_first(iter, iopt, iova, last); area; \
	     area = iopt_contig_next(iter))

/* ---- IOVA allocation ----------------------------------------------- */

/*
 * Whether [*start, last] holds @length bytes at an IOVA aligned to
 * @alignment that keeps the user address's offset in its page. The kernel
 * ORs the offset in after aligning and wants the start strictly below
 * last; both quirks are part of where it places mappings, so we keep them.
 */
static bool iopt_fit_range(uint64_t *start, uint64_t last, uint64_t length,
			   uint64_t alignment, uint64_t page_offset)
{
	uint64_t aligned;

	if (__builtin_add_overflow(*start, alignment - 1, &aligned))
		return false;
	aligned &= ~(alignment - 1);
	aligned |= page_offset;
	if (aligned >= last || last - aligned < length - 1)
		return false;
	*start = aligned;
	return true;
}

/*
 * Lowest fit in [start, last] that neither an area nor a reserved range
 * covers. Holes between areas come from the tree's gap index in O(log n);
 * only a hole big enough is then cut by the (few) reserved ranges.
 */
static bool iopt_find_free(struct io_pagetable *iopt, uint64_t start,
			   uint64_t last, uint64_t length, uint64_t alignment,
			   uint64_t page_offset, uint64_t *iova)
{
	uint64_t hole_start, hole_last;
	uint64_t lo = start;

	while (itree_find_hole(&iopt->area_itree, lo, last, length, &hole_start,
			       &hole_last)) {
		struct itree_span_iter span;

		for (itree_span_iter_first(&span, &iopt->reserved_itree,
					   hole_start, hole_last);
		     !itree_span_iter_done(&span);
		     itree_span_iter_next(&span)) {
			uint64_t candidate = span.start_hole;

			if (!span.is_hole)
				continue;
			if (iopt_fit_range(&candidate, span.last_hole, length,
					   alignment, page_offset)) {
				*iova = candidate;
				return true;
			}
		}
		if (hole_last >= last)
			break;
		lo = hole_last + 1;
	}
	return false;
}

static int iopt_alloc_iova(struct io_pagetable *iopt, uint64_t *iova,
			   uint64_t uptr, uint64_t length)
{
	const uint64_t lowest = IOMMUFD_PAGE_SIZE;
	const uint64_t highest = IOMMUFD_ULONG_MAX - IOMMUFD_PAGE_SIZE;
	uint64_t page_offset = uptr % IOMMUFD_PAGE_SIZE;
	struct itree_span_iter span;
	uint64_t alignment;
	uint64_t start;

	if (length == 0 || length >= IOMMUFD_ULONG_MAX / 2)
		return -EOVERFLOW;

	/* Keep the alignment the user address has: it favours huge pages. */
	alignment = roundup_pow_of_two(length);
	if (uptr)
		alignment = IOMMUFD_MIN(alignment, uptr & -uptr);
	if (alignment >= IOMMUFD_HPAGE_SIZE)
		alignment = IOMMUFD_HPAGE_SIZE;
	if (alignment < iopt->iova_alignment)
		return -EINVAL;

	if (!iopt->allowed_itree.root) {
		start = lowest;
		if (iopt_fit_range(&start, highest, length, alignment,
				   page_offset) &&
		    iopt_find_free(iopt, start, highest, length, alignment,
				   page_offset, iova))
			return 0;
		return -ENOSPC;
	}

	for (itree_span_iter_first(&span, &iopt->allowed_itree, lowest,
				   highest);
	     !itree_span_iter_done(&span); itree_span_iter_next(&span)) {
		if (span.is_hole)
			continue;
		start = span.start_used;
		if (!iopt_fit_range(&start, span.last_used, length, alignment,
				    page_offset))
			continue;
		if (iopt_find_free(iopt, start, span.last_used, length,
				   alignment, page_offset, iova))
			return 0;
	}
	return -ENOSPC;
}

static int iopt_check_iova(struct io_pagetable *iopt, uint64_t iova,
			   uint64_t length)
{
	uint64_t last;

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (itree_iter_first(&iopt->reserved_itree, iova, last))
		return -EINVAL;
	if (itree_iter_first(&iopt->area_itree, iova, last))
		return -EEXIST;
	return 0;
}

/* ---- areas --------------------------------------------------------- */

static int iopt_insert_area(struct io_pagetable *iopt, struct iopt_area *area,
			    struct iopt_pages *pages, uint64_t iova,
			    uint64_t start_byte, uint64_t length,
			    int iommu_prot)
{
	uint64_t last_byte;

	if ((iommu_prot & IOMMUFD_PROT_WRITE) && !pages->writable)
		return -EPERM;
	area->iommu_prot = iommu_prot;
	area->page_offset = start_byte % IOMMUFD_PAGE_SIZE;
	if (area->page_offset & (iopt->iova_alignment - 1))
		return -EINVAL;
	area->node.start = iova;
	if (__builtin_add_overflow(iova, length - 1, &area->node.last))
		return -EOVERFLOW;
	area->start_index = start_byte / IOMMUFD_PAGE_SIZE;
	if (__builtin_add_overflow(start_byte, length - 1, &last_byte))
		return -EOVERFLOW;
	area->last_index = last_byte / IOMMUFD_PAGE_SIZE;
	if (area->last_index >= pages->npages)
		return -EOVERFLOW;
	/* Visible from here on, but busy until ->pages is set. */
	area->iopt = iopt;
	itree_insert(&iopt->area_itree, &area->node);
	return 0;
}

static void iopt_abort_area(struct iopt_area *area)
{
	if (area->iopt) {
		pthread_rwlock_wrlock(&area->iopt->iova_rwsem);
		itree_remove(&area->iopt->area_itree, &area->node);
		pthread_rwlock_unlock(&area->iopt->iova_rwsem);
	}
	iommufd_free(area);
}

void iopt_free_pages_list(struct iopt_pages_list *list, size_t nr)
{
	size_t i;

	for (i = 0; i != nr; i++) {
		if (list[i].area)
			iopt_abort_area(list[i].area);
		if (list[i].pages)
			iopt_put_pages(list[i].pages);
	}
}

static int iopt_alloc_area_pages(struct io_pagetable *iopt,
				 struct iopt_pages_list *list, size_t nr,
				 uint64_t length, uint64_t *dst_iova,
				 int iommu_prot, unsigned int flags)
{
	uint64_t iova;
	size_t i;
	int rc = 0;

	for (i = 0; i != nr; i++) {
		list[i].area = iommufd_zalloc(sizeof(*list[i].area));
		if (!list[i].area)
			return -ENOMEM;
	}

	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	if ((length & (iopt->iova_alignment - 1)) || !length) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (flags & IOPT_ALLOC_IOVA) {
		/* The first slice's address decides the best alignment. */
		rc = iopt_alloc_iova(iopt, dst_iova,
				     list[0].pages->uptr + list[0].start_byte,
				     length);
	} else {
		rc = iopt_check_iova(iopt, *dst_iova, length);
	}
	if (rc)
		goto out_unlock;

	iova = *dst_iova;
	for (i = 0; i != nr; i++) {
		rc = iopt_insert_area(iopt, list[i].area, list[i].pages, iova,
				      list[i].start_byte, list[i].length,
				      iommu_prot);
		if (rc)
			goto out_unlock;
		iova += list[i].length;
	}
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

/* ---- mirroring areas into domains ---------------------------------- */

static int iopt_area_fill_domain(struct iopt_area *area,
				 struct iopt_pages *pages,
				 struct iommu_domain *domain)
{
	uint64_t iova = iopt_area_iova(area), size = iopt_area_length(area);
	uint64_t paddr = pages->uptr + area->start_index * IOMMUFD_PAGE_SIZE +
			 area->page_offset;
	uint64_t done = 0;
	int rc;

	if (!area->iopt->disable_large_pages)
		return iommu_map(domain, iova, paddr, size, area->iommu_prot);
	/* One CPU page per call keeps the domain from using large pages. */
	while (done < size) {
		uint64_t n = IOMMUFD_MIN(IOMMUFD_PAGE_SIZE, size - done);

		rc = iommu_map(domain, iova + done, paddr + done, n,
			       area->iommu_prot);
		if (rc) {
			if (done)
				iommu_unmap(domain, iova, done);
			return rc;
		}
		done += n;
	}
	return 0;
}

static void iopt_area_unfill_domain(struct iopt_area *area,
				    struct iommu_domain *domain)
{
	iommu_unmap(domain, iopt_area_iova(area), iopt_area_length(area));
}

static int iopt_area_pin(struct iopt_area *area, struct iopt_pages *pages)
{
	int rc;

	area->pages_node.start = area->start_index;
	area->pages_node.last = area->last_index;
	rc = iopt_pages_pin(pages, &area->pages_node);
	if (!rc)
		area->domains_pinned = true;
	return rc;
}

static void iopt_area_unpin(struct iopt_area *area, struct iopt_pages *pages)
{
	if (!area->domains_pinned)
		return;
	iopt_pages_unpin(pages, &area->pages_node);
	area->domains_pinned = false;
}

/* Pin @area and map it into every domain; on failure nothing changed. */
static int iopt_area_fill_domains(struct iopt_area *area,
				  struct iopt_pages *pages)
{
	struct io_pagetable *iopt = area->iopt;
	unsigned int i;
	int rc;

	if (!iopt->nr_domains)
		return 0;
	rc = iopt_area_pin(area, pages);
	if (rc)
		return rc;
	for (i = 0; i != iopt->nr_domains; i++) {
		rc = iopt_area_fill_domain(area, pages, iopt->domains[i]);
		if (rc)
			goto err_unfill;
	}
	return 0;
err_unfill:
	while (i--)
		iopt_area_unfill_domain(area, iopt->domains[i]);
	iopt_area_unpin(area, pages);
	return rc;
}

static void iopt_area_unfill_domains(struct iopt_area *area,
				     struct iopt_pages *pages)
{
	struct io_pagetable *iopt = area->iopt;
	unsigned int i;

	for (i = 0; i != iopt->nr_domains; i++)
		iopt_area_unfill_domain(area, iopt->domains[i]);
	iopt_area_unpin(area, pages);
}

/*
 * Map the slices of @list at consecutive IOVA. On success the areas own
 * the list's pages references; on failure the caller frees the list.
 */
int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_list *list,
		   size_t nr, uint64_t length, uint64_t *dst_iova,
		   int iommu_prot, unsigned int flags)
{
	size_t i;
	int rc;

	rc = iopt_alloc_area_pages(iopt, list, nr, length, dst_iova, iommu_prot,
				   flags);
	if (rc)
		return rc;

	/* Domains cannot come or go until the areas are published. */
	pthread_rwlock_rdlock(&iopt->domains_rwsem);
	for (i = 0; i != nr; i++) {
		rc = iopt_area_fill_domains(list[i].area, list[i].pages);
		if (rc) {
			while (i--)
				iopt_area_unfill_domains(list[i].area,
							 list[i].pages);
			goto out_unlock_domains;
		}
	}

	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	for (i = 0; i != nr; i++) {
		list[i].area->pages = list[i].pages;
		list[i].pages = NULL;
		list[i].area = NULL;
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
out_unlock_domains:
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc;
}

int iopt_map_user_pages(struct uiommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, uint64_t uptr, uint64_t length,
			int iommu_prot, unsigned int flags)
{
	struct iopt_pages_list elm = {};
	int rc;

	rc = iopt_alloc_pages(iommufd_umem_self(), uptr, length,
			      iommu_prot & IOMMUFD_PROT_WRITE, &elm.pages);
	if (rc)
		return rc;
	if (atomic_load(&ictx->account_mode) == IOPT_PAGES_ACCOUNT_MM &&
	    elm.pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		elm.pages->account_mode = IOPT_PAGES_ACCOUNT_MM;
	elm.start_byte = uptr - elm.pages->uptr;
	elm.length = length;

	rc = iopt_map_pages(iopt, &elm, 1, length, iova, iommu_prot, flags);
	if (rc)
		iopt_free_pages_list(&elm, 1);
	return rc;
}

/*
 * Collect the pages behind [iova, iova + length - 1], which must be mapped
 * without a gap, each slice holding a reference on its pages.
 */
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct iopt_pages_list **out_list, size_t *out_nr)
{
	struct iopt_pages_list *list = NULL;
	struct iopt_contig_iter iter;
	struct iopt_area *area;
	size_t nr = 0, cap = 0;
	uint64_t last_iova;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last_iova))
		return -EOVERFLOW;

	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t last =
			IOMMUFD_MIN(last_iova, iopt_area_last_iova(area));

		if (nr == cap) {
			struct iopt_pages_list *grown;

			cap = cap ? cap * 2 : 4;
			grown = iommufd_realloc_array(list, cap, sizeof(*list));
			if (!grown) {
				rc = -ENOMEM;
				goto err_free;
			}
			list = grown;
		}
		list[nr] = (struct iopt_pages_list){
			.pages = area->pages,
			.start_byte = iopt_area_start_byte(area, iter.cur_iova),
			.length = last - iter.cur_iova + 1,
		};
		iopt_get_pages_ref(area->pages);
		nr++;
	}
	if (!iopt_contig_done(&iter)) {
		rc = -ENOENT;
		goto err_free;
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	*out_list = list;
	*out_nr = nr;
	return 0;

err_free:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	iopt_free_pages_list(list, nr);
	iommufd_free(list);
	return rc;
}

/*
 * Unmap every area inside [start, last]. An area that reaches outside the
 * range stops the walk with -ENOENT, and one still being built with
 * -EBUSY; like the kernel, what was unmapped before that stays unmapped
 * and is counted in *unmapped.
 */
static void iopt_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova,
				     uint64_t length);

static int iopt_unmap_iova_range(struct io_pagetable *iopt, uint64_t start,
				 uint64_t last, uint64_t *unmapped)
{
	uint64_t unmapped_bytes = 0;
	unsigned int tries = 0;
	struct iopt_area *area;
	int rc = 0;

again:
	pthread_rwlock_rdlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	while ((area = iopt_node_to_area(
			itree_iter_first(&iopt->area_itree, start, last)))) {
		uint64_t area_first = iopt_area_iova(area);
		uint64_t area_last = iopt_area_last_iova(area);
		struct iopt_pages *pages = area->pages;

		if (!pages) {
			rc = -EBUSY;
			break;
		}
		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			break;
		}
		if (area_first != start)
			tries = 0;
		/*
		 * Accesses hold pins here: ask them to let go, without the
		 * locks they need for that, then look again.
		 */
		if (area->num_accesses) {
			start = area_first;
			area->prevent_access = true;
			pthread_rwlock_unlock(&iopt->iova_rwsem);
			pthread_rwlock_unlock(&iopt->domains_rwsem);
			iopt_access_notify_unmap(iopt, area_first,
						 iopt_area_length(area));
			if (++tries > 100) {
				rc = -EDEADLK;
				goto out_unmapped;
			}
			goto again;
		}
		itree_remove(&iopt->area_itree, &area->node);
		iopt_area_unfill_domains(area, pages);
		iommufd_free(area);
		iopt_put_pages(pages);
		unmapped_bytes += area_last - area_first + 1;
		if (area_last >= last)
			break;
		start = area_last + 1;
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
out_unmapped:
	if (unmapped)
		*unmapped = unmapped_bytes;
	return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_iova_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped)
{
	return iopt_unmap_iova_range(iopt, 0, IOMMUFD_ULONG_MAX, unmapped);
}

/*
 * Split @area so that it ends at @iova: two areas over the same pages take
 * its place, and its pins pass to them unchanged. Nothing to do when @iova
 * already ends or starts it. Refused while an access uses the area
 * (EINVAL), or when the domains may hold it as large pages (EINVAL): a
 * large IO page cannot be unmapped in part. Caller holds iova_rwsem for
 * writing.
 */
static int iopt_area_split(struct iopt_area *area, uint64_t iova)
{
	struct io_pagetable *iopt = area->iopt;
	uint64_t alignment = iopt->iova_alignment;
	uint64_t start_iova = iopt_area_iova(area);
	uint64_t last_iova = iopt_area_last_iova(area);
	struct iopt_pages *pages = area->pages;
	uint64_t new_start = iova + 1;
	struct iopt_area *lhs, *rhs;
	int rc;

	if (iova == start_iova || iova == last_iova)
		return 0;
	if (!pages || area->prevent_access)
		return -EBUSY;
	if ((new_start & (alignment - 1)) ||
	    (iopt_area_start_byte(area, new_start) & (alignment - 1)))
		return -EINVAL;

	lhs = iommufd_zalloc(sizeof(*lhs));
	rhs = iommufd_zalloc(sizeof(*rhs));
	if (!lhs || !rhs) {
		rc = -ENOMEM;
		goto err_free;
	}

	pthread_mutex_lock(&pages->mutex);
	if (area->num_accesses ||
	    (area->domains_pinned && !iopt->disable_large_pages)) {
		rc = -EINVAL;
		goto err_unlock;
	}
	itree_remove(&iopt->area_itree, &area->node);
	/* Both halves lie inside what was a valid area: these cannot fail. */
	(void)iopt_insert_area(iopt, lhs, pages, start_iova,
			       iopt_area_start_byte(area, start_iova),
			       new_start - start_iova, area->iommu_prot);
	(void)iopt_insert_area(iopt, rhs, pages, new_start,
			       iopt_area_start_byte(area, new_start),
			       last_iova - new_start + 1, area->iommu_prot);
	if (area->domains_pinned) {
		lhs->pages_node.start = lhs->start_index;
		lhs->pages_node.last = lhs->last_index;
		rhs->pages_node.start = rhs->start_index;
		rhs->pages_node.last = rhs->last_index;
		iopt_pages_split_pin_locked(pages, &area->pages_node,
					    &lhs->pages_node, &rhs->pages_node);
		lhs->domains_pinned = rhs->domains_pinned = true;
	}
	/* lhs inherits the area's reference on the pages, rhs takes one. */
	lhs->pages = pages;
	rhs->pages = pages;
	iopt_get_pages_ref(pages);
	pthread_mutex_unlock(&pages->mutex);
	iommufd_free(area);
	return 0;

err_unlock:
	pthread_mutex_unlock(&pages->mutex);
err_free:
	iommufd_free(lhs);
	iommufd_free(rhs);
	return rc;
}

int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas,
		  size_t num_iovas)
{
	size_t i;
	int rc = 0;

	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	for (i = 0; i != num_iovas; i++) {
		struct iopt_area *area = iopt_node_to_area(itree_iter_first(
			&iopt->area_itree, iovas[i], iovas[i]));

		if (!area)
			continue;
		rc = iopt_area_split(area, iovas[i]);
		if (rc)
			break;
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

/* ---- allowed and reserved ranges ----------------------------------- */

void iopt_free_allowed(struct itree *allowed)
{
	struct itree_node *node;

	while ((node = itree_first(allowed))) {
		itree_remove(allowed, node);
		iommufd_free(container_of(node, struct iopt_allowed, node));
	}
}

/*
 * Swap in a new allowed set, refused if it touches reserved IOVA. On
 * return @allowed holds whichever set is not in use, for the caller to
 * free.
 */
int iopt_set_allow_iova(struct io_pagetable *iopt, struct itree *allowed)
{
	struct itree swap;
	struct itree_node *node;
	int rc = 0;

	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	for (node = itree_first(allowed); node; node = itree_next(node)) {
		if (itree_iter_first(&iopt->reserved_itree, node->start,
				     node->last)) {
			rc = -EADDRINUSE;
			goto out_unlock;
		}
	}
	swap = iopt->allowed_itree;
	iopt->allowed_itree = *allowed;
	*allowed = swap;
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

/* Caller holds iova_rwsem for writing. */
static int __iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start,
			       uint64_t last, void *owner)
{
	struct iopt_reserved *reserved;

	if (itree_iter_first(&iopt->area_itree, start, last) ||
	    itree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;
	reserved = iommufd_zalloc(sizeof(*reserved));
	if (!reserved)
		return -ENOMEM;
	reserved->node.start = start;
	reserved->node.last = last;
	reserved->owner = owner;
	itree_insert(&iopt->reserved_itree, &reserved->node);
	return 0;
}

int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last,
		      void *owner)
{
	int rc;

	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	rc = __iopt_reserve_iova(iopt, start, last, owner);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

static void __iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner,
					bool any_owner)
{
	struct itree_node *node, *next;

	for (node = itree_first(&iopt->reserved_itree); node; node = next) {
		struct iopt_reserved *reserved =
			container_of(node, struct iopt_reserved, node);

		next = itree_next(node);
		if (any_owner || reserved->owner == owner) {
			itree_remove(&iopt->reserved_itree, node);
			iommufd_free(reserved);
		}
	}
}

void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner)
{
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	__iopt_remove_reserved_iova(iopt, owner, false);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
}

/* ---- table and alignment ------------------------------------------- */

void iopt_init_table(struct io_pagetable *iopt)
{
	*iopt = (struct io_pagetable){ .iova_alignment = 1 };
	pthread_rwlock_init(&iopt->domains_rwsem, NULL);
	pthread_mutex_init(&iopt->access_list_lock, NULL);
	list_init(&iopt->access_list);
	pthread_rwlock_init(&iopt->iova_rwsem, NULL);
}

/* The areas must be gone already (iopt_unmap_all). */
void iopt_destroy_table(struct io_pagetable *iopt)
{
	__iopt_remove_reserved_iova(iopt, NULL, true);
	iommufd_free(iopt->domains);
	pthread_mutex_destroy(&iopt->access_list_lock);
	iopt_free_allowed(&iopt->allowed_itree);
	pthread_rwlock_destroy(&iopt->iova_rwsem);
	pthread_rwlock_destroy(&iopt->domains_rwsem);
}

static int iopt_check_iova_alignment(struct io_pagetable *iopt,
				     uint64_t new_iova_alignment)
{
	uint64_t mask = new_iova_alignment - 1;
	struct itree_node *node;

	for (node = itree_first(&iopt->area_itree); node;
	     node = itree_next(node)) {
		struct iopt_area *area = iopt_node_to_area(node);

		if ((iopt_area_iova(area) & mask) ||
		    (iopt_area_length(area) & mask) ||
		    (area->page_offset & mask))
			return -EADDRINUSE;
	}
	return 0;
}

/* Caller holds both locks for writing. */
static int iopt_calculate_iova_alignment(struct io_pagetable *iopt)
{
	uint64_t new_iova_alignment =
		iopt->disable_large_pages ? IOMMUFD_PAGE_SIZE : 1;
	struct list_head *pos;
	unsigned int i;
	int rc;

	for (i = 0; i != iopt->nr_domains; i++)
		new_iova_alignment =
			IOMMUFD_MAX(new_iova_alignment,
				    1ULL << __builtin_ctzll(
					    iopt->domains[i]->pgsize_bitmap));
	pthread_mutex_lock(&iopt->access_list_lock);
	list_for_each(pos, &iopt->access_list)
	{
		struct iopt_access_entry *entry =
			list_entry(pos, struct iopt_access_entry, item);

		new_iova_alignment = IOMMUFD_MAX(new_iova_alignment,
						 entry->access->iova_alignment);
	}
	pthread_mutex_unlock(&iopt->access_list_lock);

	if (new_iova_alignment > iopt->iova_alignment) {
		rc = iopt_check_iova_alignment(iopt, new_iova_alignment);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = new_iova_alignment;
	return 0;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	iopt->disable_large_pages = false;
	/* Lowering the alignment cannot fail. */
	(void)iopt_calculate_iova_alignment(iopt);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
}

int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc = 0;

	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	if (!iopt->disable_large_pages) {
		/* Domains already filled with large pages stay as they are. */
		if (iopt->nr_domains && itree_first(&iopt->area_itree)) {
			rc = -EINVAL;
			goto out_unlock;
		}
		iopt->disable_large_pages = true;
		rc = iopt_calculate_iova_alignment(iopt);
		if (rc)
			iopt->disable_large_pages = false;
	}
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc;
}

/* ---- domains ------------------------------------------------------- */

/* Caller holds both locks for writing. */
static int iopt_fill_domain(struct io_pagetable *iopt,
			    struct iommu_domain *domain)
{
	struct itree_node *node, *end;
	int rc;

	for (node = itree_first(&iopt->area_itree); node;
	     node = itree_next(node)) {
		struct iopt_area *area = iopt_node_to_area(node);
		struct iopt_pages *pages = area->pages;

		if (!pages)
			continue;
		if (!iopt->nr_domains) {
			rc = iopt_area_pin(area, pages);
			if (rc)
				goto out_unfill;
		}
		rc = iopt_area_fill_domain(area, pages, domain);
		if (rc) {
			if (!iopt->nr_domains)
				iopt_area_unpin(area, pages);
			goto out_unfill;
		}
	}
	return 0;
out_unfill:
	end = node;
	for (node = itree_first(&iopt->area_itree); node != end;
	     node = itree_next(node)) {
		struct iopt_area *area = iopt_node_to_area(node);

		if (!area->pages)
			continue;
		iopt_area_unfill_domain(area, domain);
		if (!iopt->nr_domains)
			iopt_area_unpin(area, area->pages);
	}
	return rc;
}

/*
 * Mirror the IOAS into @domain: the IOVA outside its aperture becomes
 * reserved, the IOAS's alignment grows to the domain's smallest page,
 * and every area is mapped. Existing areas that conflict: -EADDRINUSE.
 */
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain)
{
	uint64_t new_iova_alignment;
	struct iommu_domain **domains;
	unsigned int i;
	int rc;

	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	for (i = 0; i != iopt->nr_domains; i++) {
		if (iopt->domains[i] == domain) {
			rc = -EEXIST;
			goto out_unlock;
		}
	}
	new_iova_alignment =
		IOMMUFD_MAX(1ULL << __builtin_ctzll(domain->pgsize_bitmap),
			    iopt->iova_alignment);
	if (new_iova_alignment > IOMMUFD_PAGE_SIZE) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (new_iova_alignment != iopt->iova_alignment) {
		rc = iopt_check_iova_alignment(iopt, new_iova_alignment);
		if (rc)
			goto out_unlock;
	}
	if (domain->aperture_start != 0) {
		rc = __iopt_reserve_iova(iopt, 0, domain->aperture_start - 1,
					 domain);
		if (rc)
			goto out_reserved;
	}
	if (domain->aperture_end != IOMMUFD_ULONG_MAX) {
		rc = __iopt_reserve_iova(iopt, domain->aperture_end + 1,
					 IOMMUFD_ULONG_MAX, domain);
		if (rc)
			goto out_reserved;
	}
	domains = iommufd_realloc_array(iopt->domains, iopt->nr_domains + 1,
					sizeof(*domains));
	if (!domains) {
		rc = -ENOMEM;
		goto out_reserved;
	}
	iopt->domains = domains;
	rc = iopt_fill_domain(iopt, domain);
	if (rc)
		goto out_reserved;
	iopt->iova_alignment = new_iova_alignment;
	iopt->domains[iopt->nr_domains++] = domain;
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return 0;
out_reserved:
	__iopt_remove_reserved_iova(iopt, domain, false);
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc;
}

void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain)
{
	struct itree_node *node;
	unsigned int i;

	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	for (i = 0; i != iopt->nr_domains; i++)
		if (iopt->domains[i] == domain)
			break;
	if (i == iopt->nr_domains)
		goto out_unlock;
	iopt->domains[i] = iopt->domains[--iopt->nr_domains];

	for (node = itree_first(&iopt->area_itree); node;
	     node = itree_next(node)) {
		struct iopt_area *area = iopt_node_to_area(node);

		if (!area->pages)
			continue;
		iopt_area_unfill_domain(area, domain);
		if (!iopt->nr_domains)
			iopt_area_unpin(area, area->pages);
	}
	__iopt_remove_reserved_iova(iopt, domain, false);
	/* Lowering the alignment cannot fail. */
	(void)iopt_calculate_iova_alignment(iopt);
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
}

/* ---- dirty tracking ------------------------------------------------ */

int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct iommu_dirty_bitmap clear = { 0 };
	struct itree_node *node;
	int rc = 0;

	if (!ops)
		return -EOPNOTSUPP;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	/* Tracking starts from clean: what was dirty before is forgotten. */
	for (node = itree_first(&iopt->area_itree); enable && node;
	     node = itree_next(node)) {
		struct iopt_area *area = iopt_node_to_area(node);

		if (!area->pages)
			continue;
		rc = ops->read_and_clear_dirty(domain, iopt_area_iova(area),
					       iopt_area_length(area), 0,
					       &clear);
		if (rc)
			goto out_unlock;
	}
	rc = ops->set_dirty_tracking(domain, enable);
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

/*
 * The caller's bitmap, one bit per page_size from the request's iova,
 * filled as 6.12's iova_bitmap does: one walk over the whole range clears
 * the dirty bits; what it finds is ORed into the caller's bytes a window
 * at a time, and a window that cannot be written is lost, silently.
 */
#define DIRTY_WINDOW_BYTES 4096UL

struct dirty_window {
	struct iommu_dirty_bitmap dirty;
	struct iommufd_umem *umem;
	uint64_t data; /* the caller's bitmap */
	uint64_t nbytes; /* its size */
	uint64_t iova; /* of bit 0 */
	uint64_t last; /* last IOVA the bitmap covers */
	unsigned int pgshift;
	uint64_t base; /* byte of the bitmap bits[0] stands for */
	bool loaded; /* bits[] holds pending bits */
	unsigned char bits[DIRTY_WINDOW_BYTES];
};

static void dirty_window_flush(struct dirty_window *win)
{
	uint64_t n = IOMMUFD_MIN(DIRTY_WINDOW_BYTES, win->nbytes - win->base);
	unsigned char cur[DIRTY_WINDOW_BYTES];
	uint64_t i;

	if (!win->loaded)
		return;
	win->loaded = false;
	if (iommufd_copy_from_user(win->umem, cur, win->data + win->base, n))
		return;
	for (i = 0; i != n; i++)
		cur[i] |= win->bits[i];
	(void)iommufd_copy_to_user(win->umem, win->data + win->base, cur, n);
}

static void dirty_window_record(struct iommu_dirty_bitmap *dirty, uint64_t iova,
				uint64_t length)
{
	struct dirty_window *win =
		container_of(dirty, struct dirty_window, dirty);
	uint64_t first = IOMMUFD_MAX(iova, win->iova);
	uint64_t last = IOMMUFD_MIN(iova + length - 1, win->last);
	uint64_t bit;

	if (first > last)
		return;
	for (bit = (first - win->iova) >> win->pgshift;
	     bit <= (last - win->iova) >> win->pgshift; bit++) {
		uint64_t byte = bit / 8;

		if (!win->loaded || byte < win->base ||
		    byte >= win->base + DIRTY_WINDOW_BYTES) {
			dirty_window_flush(win);
			win->base = byte - byte % DIRTY_WINDOW_BYTES;
			memset(win->bits, 0, sizeof(win->bits));
			win->loaded = true;
		}
		win->bits[byte - win->base] |= 1U << (bit % 8);
	}
}

int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt,
				   struct iommufd_umem *umem,
				   struct iommu_domain *domain,
				   unsigned long flags,
				   struct iommu_hwpt_get_dirty_bitmap *bitmap)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct iopt_contig_iter iter;
	struct dirty_window *win;
	struct iopt_area *area;
	uint64_t last_iova;

	/* The range must suit both the IOAS and the bitmap's page size. */
	if (!bitmap->length)
		return -EINVAL;
	if (__builtin_add_overflow(bitmap->iova, bitmap->length - 1,
				   &last_iova))
		return -EOVERFLOW;
	if ((bitmap->iova & (iopt->iova_alignment - 1)) ||
	    ((last_iova + 1) & (iopt->iova_alignment - 1)))
		return -EINVAL;
	if (!bitmap->page_size)
		return -EINVAL;
	if ((bitmap->iova & (bitmap->page_size - 1)) ||
	    ((last_iova + 1) & (bitmap->page_size - 1)))
		return -EINVAL;
	if (!ops || !ops->read_and_clear_dirty)
		return -EOPNOTSUPP;

	win = iommufd_zalloc(sizeof(*win));
	if (!win)
		return -ENOMEM;
	win->dirty.record = dirty_window_record;
	win->umem = umem;
	win->data = bitmap->data;
	win->iova = bitmap->iova;
	win->last = last_iova;
	win->pgshift = __builtin_ctzll(bitmap->page_size);
	win->nbytes = (((last_iova - bitmap->iova) >> win->pgshift) + 8) / 8;

	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	/* A hole or a driver error ends the walk, without an error (6.12). */
	iopt_for_each_contig_area(&iter, area, iopt, bitmap->iova, last_iova) {
		uint64_t last =
			IOMMUFD_MIN(last_iova, iopt_area_last_iova(area));

		if (ops->read_and_clear_dirty(
			    domain, iter.cur_iova, last - iter.cur_iova + 1,
			    flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR ?
				    IOMMU_DIRTY_NO_CLEAR_FLAG :
				    0,
			    &win->dirty))
			break;
	}
	dirty_window_flush(win);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	iommufd_free(win);
	return 0;
}

/* ---- accesses ------------------------------------------------------ */

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	struct iopt_access_entry *entry = iommufd_zalloc(sizeof(*entry));
	int rc;

	if (!entry)
		return -ENOMEM;
	entry->access = access;
	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	pthread_mutex_lock(&iopt->access_list_lock);
	list_add_tail(&entry->item, &iopt->access_list);
	pthread_mutex_unlock(&iopt->access_list_lock);
	rc = iopt_calculate_iova_alignment(iopt);
	if (rc) {
		pthread_mutex_lock(&iopt->access_list_lock);
		list_del_init(&entry->item);
		pthread_mutex_unlock(&iopt->access_list_lock);
		iommufd_free(entry);
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return rc;
}

void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access)
{
	struct iopt_access_entry *found = NULL;
	struct list_head *pos;

	pthread_rwlock_wrlock(&iopt->domains_rwsem);
	pthread_rwlock_wrlock(&iopt->iova_rwsem);
	pthread_mutex_lock(&iopt->access_list_lock);
	list_for_each(pos, &iopt->access_list)
	{
		struct iopt_access_entry *entry =
			list_entry(pos, struct iopt_access_entry, item);

		if (entry->access == access) {
			found = entry;
			break;
		}
	}
	if (found)
		list_del_init(&found->item);
	pthread_mutex_unlock(&iopt->access_list_lock);
	iommufd_free(found);
	/* Lowering the alignment cannot fail. */
	(void)iopt_calculate_iova_alignment(iopt);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
}

/* Tell every access of @iopt that [iova, iova + length) is going away. */
static void iopt_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova,
				     uint64_t length)
{
	struct iommufd_access **snap = NULL;
	struct list_head *pos;
	size_t n = 0, i;

	pthread_mutex_lock(&iopt->access_list_lock);
	list_for_each(pos, &iopt->access_list) n++;
	if (n)
		snap = iommufd_alloc_array(n, sizeof(*snap));
	n = 0;
	list_for_each(pos, &iopt->access_list)
	{
		struct iommufd_access *access =
			list_entry(pos, struct iopt_access_entry, item)->access;

		if (!snap)
			break;
		pthread_mutex_lock(&access->notify_lock);
		if (!access->dying) {
			access->notify_refs++;
			snap[n++] = access;
		}
		pthread_mutex_unlock(&access->notify_lock);
	}
	pthread_mutex_unlock(&iopt->access_list_lock);

	for (i = 0; i != n; i++) {
		struct iommufd_access *access = snap[i];

		access->ops->unmap(access->data, iova, length);
		pthread_mutex_lock(&access->notify_lock);
		if (!--access->notify_refs)
			pthread_cond_broadcast(&access->notify_done);
		pthread_mutex_unlock(&access->notify_lock);
	}
	iommufd_free(snap);
}

static uint64_t iopt_area_iova_to_index(const struct iopt_area *area,
					uint64_t iova)
{
	return iopt_area_start_byte(area, iova) / IOMMUFD_PAGE_SIZE;
}

/* Pins must cover whole pages: the range's ends sit on page boundaries. */
static bool iopt_area_contig_is_aligned(struct iopt_contig_iter *iter)
{
	if (iopt_area_start_byte(iter->area, iter->cur_iova) %
	    IOMMUFD_PAGE_SIZE)
		return false;
	if (!iopt_contig_done(iter) &&
	    (iopt_area_start_byte(iter->area, iopt_area_last_iova(iter->area)) %
	     IOMMUFD_PAGE_SIZE) != IOMMUFD_PAGE_SIZE - 1)
		return false;
	return true;
}

static bool check_area_prot(struct iopt_area *area, unsigned int flags)
{
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		return area->iommu_prot & IOMMUFD_PROT_WRITE;
	return area->iommu_prot & IOMMUFD_PROT_READ;
}

static void iopt_access_remove_range(struct io_pagetable *iopt, uint64_t iova,
				     uint64_t last_iova)
{
	struct iopt_contig_iter iter;
	struct iopt_area *area;

	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova)
		iopt_area_remove_access(
			area, iopt_area_iova_to_index(area, iter.cur_iova),
			iopt_area_iova_to_index(
				area, IOMMUFD_MIN(last_iova,
						  iopt_area_last_iova(area))));
}

int iopt_access_pin_pages(struct io_pagetable *iopt, uint64_t iova,
			  uint64_t length, uint64_t *out_pages,
			  unsigned int flags)
{
	struct iopt_contig_iter iter;
	struct iopt_area *area;
	uint64_t last_iova;
	int rc = 0;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t last =
			IOMMUFD_MIN(last_iova, iopt_area_last_iova(area));
		uint64_t last_index = iopt_area_iova_to_index(area, last);
		uint64_t index = iopt_area_iova_to_index(area, iter.cur_iova);

		if (area->prevent_access ||
		    !iopt_area_contig_is_aligned(&iter)) {
			rc = -EINVAL;
			goto err_remove;
		}
		if (!check_area_prot(area, flags)) {
			rc = -EPERM;
			goto err_remove;
		}
		rc = iopt_area_add_access(area, index, last_index, out_pages,
					  flags);
		if (rc)
			goto err_remove;
		out_pages += last_index - index + 1;
	}
	if (!iopt_contig_done(&iter)) {
		rc = -ENOENT;
		goto err_remove;
	}
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return 0;

err_remove:
	if (iova < iter.cur_iova)
		iopt_access_remove_range(iopt, iova, iter.cur_iova - 1);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}

void iopt_access_unpin_pages(struct io_pagetable *iopt, uint64_t iova,
			     uint64_t length)
{
	uint64_t last_iova;

	if (!length || __builtin_add_overflow(iova, length - 1, &last_iova))
		return;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_access_remove_range(iopt, iova, last_iova);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
}

int iopt_access_rw(struct io_pagetable *iopt, uint64_t iova, void *data,
		   uint64_t length, unsigned int flags)
{
	struct iopt_contig_iter iter;
	struct iopt_area *area;
	uint64_t last_iova;
	int rc = -EINVAL;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last_iova))
		return -EOVERFLOW;
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t last =
			IOMMUFD_MIN(last_iova, iopt_area_last_iova(area));
		uint64_t bytes = last - iter.cur_iova + 1;

		if (area->prevent_access) {
			rc = -EINVAL;
			goto out_unlock;
		}
		if (!check_area_prot(area, flags)) {
			rc = -EPERM;
			goto out_unlock;
		}
		rc = iopt_pages_rw_access(
			area->pages, iopt_area_start_byte(area, iter.cur_iova),
			data, bytes, flags);
		if (rc)
			goto out_unlock;
		data = (char *)data + bytes;
	}
	if (!iopt_contig_done(&iter))
		rc = -ENOENT;
out_unlock:
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	return rc;
}
