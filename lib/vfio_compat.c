// SPDX-License-Identifier: BSD-3-Clause
/*
 * The VFIO type1 container ioctls, answered on an iommufd context as Linux
 * does with CONFIG_IOMMUFD_VFIO_CONTAINER: every request acts on one IOAS
 * of the context, the "compat IOAS", which IOMMU_VFIO_IOAS chooses or a
 * legacy group creates when it joins the container. Without one, the
 * requests that need it fail with ENODEV.
 *
 * The kernel this mirrors has no CONFIG_VFIO_NOIOMMU: the no-IOMMU type is
 * refused like any unknown one.
 */
#include <errno.h>
#include <linux/ioctl.h>

#include "device.h"
#include "io_pagetable.h"
#include "iommu.h"
#include "iommufd_private.h"

/* The compat IOAS with a reference, or NULL if there is none (ENODEV). */
static struct iommufd_ioas *get_compat_ioas(struct uiommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = NULL;

	pthread_mutex_lock(&ictx->objects_lock);
	if (ictx->vfio_ioas && iommufd_lock_obj(&ictx->vfio_ioas->obj))
		ioas = ictx->vfio_ioas;
	pthread_mutex_unlock(&ictx->objects_lock);
	return ioas;
}

int iommufd_vfio_compat_ioas_get_id(struct uiommufd_ctx *ictx,
				    uint32_t *out_ioas_id)
{
	struct iommufd_ioas *ioas = get_compat_ioas(ictx);

	if (!ioas)
		return -ENODEV;
	*out_ioas_id = ioas->obj.id;
	iommufd_put_object(&ioas->obj);
	return 0;
}

int iommufd_vfio_compat_set_no_iommu(struct uiommufd_ctx *ictx)
{
	int rc = 0;

	pthread_mutex_lock(&ictx->objects_lock);
	if (ictx->vfio_ioas)
		rc = -EINVAL;
	else
		ictx->no_iommu_mode = true;
	pthread_mutex_unlock(&ictx->objects_lock);
	return rc;
}

/*
 * Make sure a compat IOAS exists. The new IOAS is built before looking, so
 * two groups joining at once agree on one and the loser's is dropped.
 */
int iommufd_vfio_compat_ioas_create(struct uiommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = iommufd_ioas_alloc(ictx);
	int rc = 0;

	if (!ioas)
		return -errno;

	pthread_mutex_lock(&ictx->objects_lock);
	if (ictx->no_iommu_mode) {
		rc = -EINVAL;
		goto out_abort;
	}
	/* Destroying the compat IOAS clears this under the same lock. */
	if (ictx->vfio_ioas)
		goto out_abort;
	ictx->vfio_ioas = ioas;
	pthread_mutex_unlock(&ictx->objects_lock);
	iommufd_object_finalize(ictx, &ioas->obj);
	return 0;

out_abort:
	pthread_mutex_unlock(&ictx->objects_lock);
	iommufd_object_abort_and_destroy(ictx, &ioas->obj);
	return rc;
}

int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct uiommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = get_compat_ioas(ictx);
		if (!ioas)
			return -ENODEV;
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(&ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ictx, cmd->ioas_id);
		if (!ioas)
			return -ENOENT;
		pthread_mutex_lock(&ictx->objects_lock);
		ictx->vfio_ioas = ioas;
		pthread_mutex_unlock(&ictx->objects_lock);
		iommufd_put_object(&ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		pthread_mutex_lock(&ictx->objects_lock);
		ictx->vfio_ioas = NULL;
		pthread_mutex_unlock(&ictx->objects_lock);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ---- the container ioctls ------------------------------------------ */

static int vfio_map_dma(struct uiommufd_ctx *ictx, uint64_t arg)
{
	const uint32_t supported_flags = VFIO_DMA_MAP_FLAG_READ |
					 VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	int iommu_prot = IOMMUFD_PROT_CACHE;
	struct iommufd_ioas *ioas;
	uint64_t iova;
	int rc;

	if (iommufd_copy_from_user(iommufd_umem_self(), &map, arg, sizeof(map)))
		return -EFAULT;
	if (map.argsz < sizeof(map) || (map.flags & ~supported_flags))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		iommu_prot |= IOMMUFD_PROT_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		iommu_prot |= IOMMUFD_PROT_WRITE;

	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	iova = map.iova;
	rc = iopt_map_user_pages(ictx, &ioas->iopt, &iova, map.vaddr, map.size,
				 iommu_prot, 0);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/*
 * Type1 v1 (large pages off) may unmap part of a mapping: cut the areas at
 * both ends of the range first. v2 unmaps whole mappings only (ENOENT).
 * The bytes unmapped are written back even when the unmap failed midway.
 */
static int vfio_unmap_dma(struct uiommufd_ctx *ictx, uint64_t arg)
{
	struct vfio_iommu_type1_dma_unmap unmap;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	bool cut;
	int rc;

	if (iommufd_copy_from_user(iommufd_umem_self(), &unmap, arg,
				   sizeof(unmap)))
		return -EFAULT;
	if (unmap.argsz < sizeof(unmap) ||
	    (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;

	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size) {
			rc = -EINVAL;
			goto out_put;
		}
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		pthread_rwlock_rdlock(&ioas->iopt.iova_rwsem);
		cut = ioas->iopt.disable_large_pages;
		pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
		if (cut) {
			/* The last byte, then the byte before the range. */
			uint64_t iovas[] = { unmap.iova + unmap.size - 1,
					     unmap.iova - 1 };

			rc = iopt_cut_iova(&ioas->iopt, iovas,
					   unmap.iova ? 2 : 1);
			if (rc)
				goto out_put;
		}
		rc = iopt_unmap_iova(&ioas->iopt, unmap.iova, unmap.size,
				     &unmapped);
	}
	unmap.size = unmapped;
	if (iommufd_copy_to_user(iommufd_umem_self(), arg, &unmap,
				 sizeof(unmap)))
		rc = -EFAULT;
out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* Do all the paging domains of the compat IOAS enforce coherency? */
static int vfio_cc_iommu(struct uiommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = get_compat_ioas(ictx);
	struct list_head *pos;
	int rc = 1;

	if (!ioas)
		return -ENODEV;
	pthread_mutex_lock(&ioas->mutex);
	list_for_each(pos, &ioas->hwpt_list)
	{
		struct iommufd_hwpt_paging *hwpt_paging =
			list_entry(pos, struct iommufd_hwpt_paging, hwpt_item);

		if (!hwpt_paging->enforce_cache_coherency) {
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&ioas->mutex);
	iommufd_put_object(&ioas->obj);
	return rc;
}

static int vfio_check_extension(struct uiommufd_ctx *ictx, uint64_t type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return !ictx->no_iommu_mode;
	case VFIO_DMA_CC_IOMMU:
		return vfio_cc_iommu(ictx);
	default:
		/* Nesting, update-vaddr, SPAPR, EEH, no-IOMMU: not offered */
		return 0;
	}
}

/* v1 keeps the type1 v1 behaviour of small pages only. */
static int vfio_set_iommu(struct uiommufd_ctx *ictx, uint64_t type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	if ((type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) ||
	    ictx->no_iommu_mode)
		return -EINVAL;
	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/*
 * The IO page sizes every domain supports, never below the CPU page: a
 * domain with smaller pages maps a CPU page with several.
 */
static uint64_t vfio_pagesizes(struct io_pagetable *iopt)
{
	uint64_t pgsize_bitmap = UINT64_MAX;
	unsigned int i;

	pthread_rwlock_rdlock(&iopt->domains_rwsem);
	for (i = 0; i != iopt->nr_domains; i++)
		pgsize_bitmap &= iopt->domains[i]->pgsize_bitmap;
	if (pgsize_bitmap & (IOMMUFD_PAGE_SIZE - 1)) {
		pgsize_bitmap &= ~(IOMMUFD_PAGE_SIZE - 1);
		pgsize_bitmap |= IOMMUFD_PAGE_SIZE;
	}
	pthread_rwlock_rdlock(&iopt->iova_rwsem);
	pgsize_bitmap = IOMMUFD_MAX(pgsize_bitmap, iopt->iova_alignment);
	pthread_rwlock_unlock(&iopt->iova_rwsem);
	pthread_rwlock_unlock(&iopt->domains_rwsem);
	return pgsize_bitmap;
}

/*
 * A capability filler writes its capability at @cap when @avail bytes
 * there allow, and returns the size it needs (or -EFAULT). Its header's
 * next is left 0; the caller links the chain.
 */
typedef int (*vfio_fill_cap_fn)(struct uiommufd_ctx *ictx,
				struct iommufd_ioas *ioas, uint64_t cap,
				uint64_t avail);

/* No limit on the number of mappings: the most the field can say. */
static int vfio_fill_cap_dma_avail(struct uiommufd_ctx *ictx,
				   struct iommufd_ioas *ioas, uint64_t cap,
				   uint64_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap_dma = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			    .version = 1 },
		.avail = UINT32_MAX,
	};

	(void)ictx;
	(void)ioas;
	if (avail >= sizeof(cap_dma) &&
	    iommufd_copy_to_user(iommufd_umem_self(), cap, &cap_dma,
				 sizeof(cap_dma)))
		return -EFAULT;
	return sizeof(cap_dma);
}

/*
 * The usable IOVA: every hole between reserved ranges. As many ranges as
 * fit are written; the header only when all of them do.
 */
static int vfio_fill_cap_iova(struct uiommufd_ctx *ictx,
			      struct iommufd_ioas *ioas, uint64_t cap,
			      uint64_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range cap_iovas = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			    .version = 1 },
	};
	const uint64_t range_size = sizeof(struct vfio_iova_range);
	struct itree_span_iter span;

	(void)ictx;
	for (itree_span_iter_first(&span, &ioas->iopt.reserved_itree, 0,
				   IOMMUFD_ULONG_MAX);
	     !itree_span_iter_done(&span); itree_span_iter_next(&span)) {
		struct vfio_iova_range range = {
			.start = span.start_hole,
			.end = span.last_hole,
		};
		uint64_t n = cap_iovas.nr_iovas;

		if (!span.is_hole)
			continue;
		if (avail >= sizeof(cap_iovas) + (n + 1) * range_size &&
		    iommufd_copy_to_user(iommufd_umem_self(),
					 cap + sizeof(cap_iovas) +
						 n * range_size,
					 &range, sizeof(range)))
			return -EFAULT;
		cap_iovas.nr_iovas++;
	}
	if (avail >= sizeof(cap_iovas) + cap_iovas.nr_iovas * range_size &&
	    iommufd_copy_to_user(iommufd_umem_self(), cap, &cap_iovas,
				 sizeof(cap_iovas)))
		return -EFAULT;
	return sizeof(cap_iovas) + cap_iovas.nr_iovas * range_size;
}

/*
 * The argsz protocol: the fixed part is written up to argsz; capabilities
 * follow it only where argsz leaves room, each linked to the next when the
 * next one's offset is inside argsz; argsz comes back as the size that
 * holds them all, and cap_offset is set only when they all fit.
 */
static int vfio_iommu_get_info(struct uiommufd_ctx *ictx, uint64_t arg)
{
	static const vfio_fill_cap_fn fill_fns[] = {
		vfio_fill_cap_dma_avail,
		vfio_fill_cap_iova,
	};
	const size_t minsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	struct vfio_iommu_type1_info info = {};
	uint64_t total_cap_size, last_cap = 0;
	struct iommufd_ioas *ioas;
	size_t copy_size;
	unsigned int i;
	int rc = 0;

	if (iommufd_copy_from_user(iommufd_umem_self(), &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	copy_size = IOMMUFD_MIN(info.argsz, sizeof(info));

	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;

	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = vfio_pagesizes(&ioas->iopt);
	info.cap_offset = 0;

	pthread_rwlock_rdlock(&ioas->iopt.iova_rwsem);
	total_cap_size = sizeof(info);
	for (i = 0; i != IOMMUFD_ARRAY_SIZE(fill_fns); i++) {
		int cap_size;

		if (info.argsz > total_cap_size)
			cap_size = fill_fns[i](ictx, ioas, arg + total_cap_size,
					       info.argsz - total_cap_size);
		else
			cap_size = fill_fns[i](ictx, ioas, 0, 0);
		if (cap_size < 0) {
			rc = cap_size;
			goto out_unlock;
		}
		cap_size = (cap_size + 7) & ~7;
		if (last_cap && info.argsz >= total_cap_size) {
			uint32_t next = total_cap_size;

			if (iommufd_copy_to_user(
				    iommufd_umem_self(),
				    last_cap +
					    offsetof(struct vfio_info_cap_header,
						     next),
				    &next, sizeof(next))) {
				rc = -EFAULT;
				goto out_unlock;
			}
		}
		last_cap = arg + total_cap_size;
		total_cap_size += cap_size;
	}
	if (info.argsz >= total_cap_size)
		info.cap_offset = sizeof(info);
	info.argsz = total_cap_size;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (iommufd_copy_to_user(iommufd_umem_self(), arg, &info, copy_size))
		rc = -EFAULT;
out_unlock:
	pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
	iommufd_put_object(&ioas->obj);
	return rc;
}

int iommufd_vfio_ioctl(struct uiommufd_ctx *ictx, unsigned int cmd,
		       uint64_t arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
		return vfio_set_iommu(ictx, arg);
	case VFIO_CHECK_EXTENSION:
		return vfio_check_extension(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_iommu_get_info(ictx, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_map_dma(ictx, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_unmap_dma(ictx, arg);
	default:
		/* VFIO_IOMMU_DIRTY_PAGES included: no software dirty logging */
		return -ENOTTY;
	}
}
