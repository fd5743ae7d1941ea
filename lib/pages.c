// SPDX-License-Identifier: BSD-3-Clause
/*
 * User pages behind areas: creation, sharing between areas (COPY), and
 * pinning with its RLIMIT_MEMLOCK accounting.
 *
 * Like the kernel, mapping records the user range but pins nothing: pages
 * are pinned only when something must reach them (an IOMMU domain to fill,
 * an access). Pinning here faults the range in (see uaccess.c) and charges
 * the pages, once each however many holders pin them.
 */
#include <errno.h>
#include <stdint.h>

#include "io_pagetable.h"

int iopt_alloc_pages(struct iommufd_umem *umem, uint64_t uptr, uint64_t length,
		     bool writable, struct iopt_pages **out)
{
	struct iopt_pages *pages;
	uint64_t end;

	if (length > SIZE_MAX - IOMMUFD_PAGE_SIZE || length == 0)
		return -EINVAL;
	if (__builtin_add_overflow(uptr, length, &end))
		return -EOVERFLOW;

	pages = iommufd_zalloc(sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	atomic_init(&pages->refcount, 1);
	pthread_mutex_init(&pages->mutex, NULL);
	iommufd_umem_get(umem);
	pages->umem = umem;
	pages->uptr = uptr & ~(IOMMUFD_PAGE_SIZE - 1);
	pages->npages =
		(length + (uptr - pages->uptr) + IOMMUFD_PAGE_SIZE - 1) /
		IOMMUFD_PAGE_SIZE;
	pages->writable = writable;
	/* Whoever may lock memory at will is not charged. */
	if (umem->ops->capable(umem, IOMMUFD_CAP_IPC_LOCK))
		pages->account_mode = IOPT_PAGES_ACCOUNT_NONE;
	else
		pages->account_mode = IOPT_PAGES_ACCOUNT_USER;
	pthread_mutex_lock(&umem->pages_lock);
	list_add_tail(&pages->umem_item, &umem->pages_list);
	pthread_mutex_unlock(&umem->pages_lock);
	*out = pages;
	return 0;
}

void iopt_get_pages_ref(struct iopt_pages *pages)
{
	atomic_fetch_add(&pages->refcount, 1);
}

void iopt_put_pages(struct iopt_pages *pages)
{
	if (atomic_fetch_sub(&pages->refcount, 1) != 1)
		return;
	pthread_mutex_lock(&pages->umem->pages_lock);
	list_del_init(&pages->umem_item);
	pthread_mutex_unlock(&pages->umem->pages_lock);
	pthread_mutex_destroy(&pages->mutex);
	iommufd_umem_put(pages->umem);
	iommufd_free(pages);
}

/* Raise *counter by @npages unless that passes @limit. */
static int charge_locked_vm(atomic_ulong *counter, uint64_t npages,
			    uint64_t limit)
{
	unsigned long cur = atomic_load(counter);

	do {
		if (cur + npages < cur || cur + npages > limit)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak(counter, &cur, cur + npages));
	return 0;
}

/*
 * Charge (@inc) or release @npages under the pages' accounting mode:
 * USER charges the user's locked_vm against RLIMIT_MEMLOCK, MM the
 * process's locked_vm against it unless CAP_IPC_LOCK is held.
 */
static int iopt_pages_update_pinned(struct iopt_pages *pages, uint64_t npages,
				    bool inc)
{
	struct iommufd_umem *umem = pages->umem;
	uint64_t limit = 0;
	int rc;

	if (!npages)
		return 0;
	if (inc && iommufd_should_fail())
		return -ENOMEM;

	/* Only a charge against a limit needs to know the limit. */
	if (inc && pages->account_mode != IOPT_PAGES_ACCOUNT_NONE)
		limit = umem->ops->memlock_limit(umem) >> IOMMUFD_PAGE_SHIFT;
	switch (pages->account_mode) {
	case IOPT_PAGES_ACCOUNT_USER:
		if (!inc) {
			atomic_fetch_sub(&umem->user_locked_vm, npages);
			break;
		}
		rc = charge_locked_vm(&umem->user_locked_vm, npages, limit);
		if (rc)
			return rc;
		break;
	case IOPT_PAGES_ACCOUNT_MM:
		if (!inc) {
			atomic_fetch_sub(&umem->mm_locked_vm, npages);
			break;
		}
		if (umem->ops->capable(umem, IOMMUFD_CAP_IPC_LOCK))
			limit = UINT64_MAX;
		rc = charge_locked_vm(&umem->mm_locked_vm, npages, limit);
		if (rc)
			return rc;
		break;
	default:
		break;
	}
	if (inc)
		atomic_fetch_add(&umem->mm_pinned_vm, npages);
	else
		atomic_fetch_sub(&umem->mm_pinned_vm, npages);
	return 0;
}

/* Caller holds pages->mutex. */
static int iopt_pages_pin_locked(struct iopt_pages *pages,
				 struct itree_node *pin)
{
	struct itree_span_iter span;
	uint64_t newly = 0;
	int rc;

	if (pin->last < pin->start || pin->last >= pages->npages)
		return -EINVAL;
	if (iommufd_should_fail())
		return -EFAULT;
	/* Only what no other holder covers needs faulting in and charging. */
	for (itree_span_iter_first(&span, &pages->pin_itree, pin->start,
				   pin->last);
	     !itree_span_iter_done(&span); itree_span_iter_next(&span)) {
		uint64_t count;

		if (!span.is_hole)
			continue;
		count = span.last_hole - span.start_hole + 1;
		rc = pages->umem->ops->populate(
			pages->umem,
			pages->uptr + span.start_hole * IOMMUFD_PAGE_SIZE,
			count * IOMMUFD_PAGE_SIZE, pages->writable);
		if (rc)
			return rc;
		newly += count;
	}
	rc = iopt_pages_update_pinned(pages, newly, true);
	if (rc)
		return rc;
	pages->npinned += newly;
	itree_insert(&pages->pin_itree, pin);
	return 0;
}

int iopt_pages_pin(struct iopt_pages *pages, struct itree_node *pin)
{
	int rc;

	pthread_mutex_lock(&pages->mutex);
	rc = iopt_pages_pin_locked(pages, pin);
	pthread_mutex_unlock(&pages->mutex);
	return rc;
}

/* Caller holds pages->mutex. */
static void iopt_pages_unpin_locked(struct iopt_pages *pages,
				    struct itree_node *pin)
{
	struct itree_span_iter span;
	uint64_t released = 0;

	itree_remove(&pages->pin_itree, pin);
	for (itree_span_iter_first(&span, &pages->pin_itree, pin->start,
				   pin->last);
	     !itree_span_iter_done(&span); itree_span_iter_next(&span)) {
		if (span.is_hole)
			released += span.last_hole - span.start_hole + 1;
	}
	pages->npinned -= released;
	(void)iopt_pages_update_pinned(pages, released, false);
}

void iopt_pages_unpin(struct iopt_pages *pages, struct itree_node *pin)
{
	pthread_mutex_lock(&pages->mutex);
	iopt_pages_unpin_locked(pages, pin);
	pthread_mutex_unlock(&pages->mutex);
}

/*
 * Hand the pins of holder @old to @lhs and @rhs, which together cover
 * exactly what it covered: nothing is pinned or released. Caller holds
 * pages->mutex.
 */
void iopt_pages_split_pin_locked(struct iopt_pages *pages,
				 struct itree_node *old, struct itree_node *lhs,
				 struct itree_node *rhs)
{
	itree_remove(&pages->pin_itree, old);
	itree_insert(&pages->pin_itree, lhs);
	itree_insert(&pages->pin_itree, rhs);
}

/* ---- pins of accesses ------------------------------------------------ */

/*
 * One range of page indexes pinned for accesses. Accesses pinning exactly
 * the same range share it (@users), as in the kernel.
 */
struct iopt_pages_access {
	struct itree_node node; /* in pages->access_itree */
	struct itree_node pin; /* in pages->pin_itree */
	unsigned int users;
};

static struct iopt_pages_access *
iopt_pages_get_exact_access(struct iopt_pages *pages, uint64_t start_index,
			    uint64_t last_index)
{
	struct itree_node *node;

	for (node = itree_iter_first(&pages->access_itree, start_index,
				     last_index);
	     node; node = itree_iter_next(node, start_index, last_index)) {
		if (node->start == start_index && node->last == last_index)
			return container_of(node, struct iopt_pages_access,
					    node);
	}
	return NULL;
}

/*
 * Pin [start_index, last_index] of @area's pages for an access and report
 * their addresses in @out_pages (one per page).
 */
int iopt_area_add_access(struct iopt_area *area, uint64_t start_index,
			 uint64_t last_index, uint64_t *out_pages,
			 unsigned int flags)
{
	struct iopt_pages *pages = area->pages;
	struct iopt_pages_access *access;
	uint64_t i;
	int rc;

	if ((flags & IOMMUFD_ACCESS_RW_WRITE) && !pages->writable)
		return -EPERM;
	pthread_mutex_lock(&pages->mutex);
	access = iopt_pages_get_exact_access(pages, start_index, last_index);
	if (access) {
		access->users++;
	} else {
		access = iommufd_zalloc(sizeof(*access));
		if (!access) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		access->pin.start = access->node.start = start_index;
		access->pin.last = access->node.last = last_index;
		rc = iopt_pages_pin_locked(pages, &access->pin);
		if (rc) {
			iommufd_free(access);
			goto out_unlock;
		}
		access->users = 1;
		itree_insert(&pages->access_itree, &access->node);
	}
	area->num_accesses++;
	for (i = start_index; i <= last_index; i++)
		*out_pages++ = pages->uptr + i * IOMMUFD_PAGE_SIZE;
	rc = 0;
out_unlock:
	pthread_mutex_unlock(&pages->mutex);
	return rc;
}

void iopt_area_remove_access(struct iopt_area *area, uint64_t start_index,
			     uint64_t last_index)
{
	struct iopt_pages *pages = area->pages;
	struct iopt_pages_access *access;

	pthread_mutex_lock(&pages->mutex);
	access = iopt_pages_get_exact_access(pages, start_index, last_index);
	if (!access)
		goto out_unlock;
	area->num_accesses--;
	if (--access->users)
		goto out_unlock;
	itree_remove(&pages->access_itree, &access->node);
	iopt_pages_unpin_locked(pages, &access->pin);
	iommufd_free(access);
out_unlock:
	pthread_mutex_unlock(&pages->mutex);
}

/* Is every page of [start_index, last_index] pinned by some holder? */
static bool iopt_pages_all_pinned(struct iopt_pages *pages,
				  uint64_t start_index, uint64_t last_index)
{
	struct itree_span_iter span;
	bool all = true;

	pthread_mutex_lock(&pages->mutex);
	for (itree_span_iter_first(&span, &pages->pin_itree, start_index,
				   last_index);
	     !itree_span_iter_done(&span); itree_span_iter_next(&span))
		if (span.is_hole)
			all = false;
	pthread_mutex_unlock(&pages->mutex);
	return all;
}

/*
 * Copy between @data and the user memory at @start_byte of @pages, for an
 * access reading or writing through the IOAS. Whether the pages are
 * pinned or not, a hole or a read-only page gives -EFAULT, as the kernel's
 * copy or its temporary pin would.
 *
 * Pages of another process that are pinned are read where the pin left
 * them, as the kernel reads pinned pages whether or not their mm is still
 * there: a pin of another process's memory succeeds only for memory this
 * process maps at the same address (see uaccess.c), so that is here.
 */
int iopt_pages_rw_access(struct iopt_pages *pages, uint64_t start_byte,
			 void *data, uint64_t length, unsigned int flags)
{
	struct iommufd_umem *umem = pages->umem;

	if ((flags & IOMMUFD_ACCESS_RW_WRITE) && !pages->writable)
		return -EPERM;
	if (umem != iommufd_umem_local() && length &&
	    iopt_pages_all_pinned(pages, start_byte / IOMMUFD_PAGE_SIZE,
				  (start_byte + length - 1) /
					  IOMMUFD_PAGE_SIZE))
		umem = iommufd_umem_local();
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		return iommufd_copy_to_user(umem, pages->uptr + start_byte,
					    data, length);
	return iommufd_copy_from_user(umem, data, pages->uptr + start_byte,
				      length);
}

/*
 * A page is pinned once per iopt_pages that pins it, however many areas,
 * domains or accesses of that iopt_pages need it: the count the kernel's
 * page refcount carries, which IOMMU_TEST_OP_MD_CHECK_REFS checks.
 */
unsigned int iopt_pages_count_pins(struct iommufd_umem *umem, uint64_t uptr)
{
	struct list_head *pos;
	unsigned int refs = 0;

	uptr &= ~(IOMMUFD_PAGE_SIZE - 1);
	pthread_mutex_lock(&umem->pages_lock);
	list_for_each(pos, &umem->pages_list)
	{
		struct iopt_pages *pages =
			list_entry(pos, struct iopt_pages, umem_item);
		uint64_t index;

		if (uptr < pages->uptr)
			continue;
		index = (uptr - pages->uptr) / IOMMUFD_PAGE_SIZE;
		if (index >= pages->npages)
			continue;
		pthread_mutex_lock(&pages->mutex);
		if (itree_iter_first(&pages->pin_itree, index, index))
			refs++;
		pthread_mutex_unlock(&pages->mutex);
	}
	pthread_mutex_unlock(&umem->pages_lock);
	return refs;
}
