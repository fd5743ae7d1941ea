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

int iopt_pages_pin(struct iopt_pages *pages, struct itree_node *pin)
{
	struct itree_span_iter span;
	uint64_t newly = 0;
	int rc;

	if (pin->last < pin->start || pin->last >= pages->npages)
		return -EINVAL;

	pthread_mutex_lock(&pages->mutex);
	if (iommufd_should_fail()) {
		rc = -EFAULT;
		goto out_unlock;
	}
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
			goto out_unlock;
		newly += count;
	}
	rc = iopt_pages_update_pinned(pages, newly, true);
	if (rc)
		goto out_unlock;
	pages->npinned += newly;
	itree_insert(&pages->pin_itree, pin);
out_unlock:
	pthread_mutex_unlock(&pages->mutex);
	return rc;
}

void iopt_pages_unpin(struct iopt_pages *pages, struct itree_node *pin)
{
	struct itree_span_iter span;
	uint64_t released = 0;

	pthread_mutex_lock(&pages->mutex);
	itree_remove(&pages->pin_itree, pin);
	for (itree_span_iter_first(&span, &pages->pin_itree, pin->start,
				   pin->last);
	     !itree_span_iter_done(&span); itree_span_iter_next(&span)) {
		if (span.is_hole)
			released += span.last_hole - span.start_hole + 1;
	}
	pages->npinned -= released;
	(void)iopt_pages_update_pinned(pages, released, false);
	pthread_mutex_unlock(&pages->mutex);
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
