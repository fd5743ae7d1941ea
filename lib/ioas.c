// SPDX-License-Identifier: BSD-3-Clause
/*
 * The IOAS object and its ioctls. Argument checks live here, in the order
 * the kernel makes them (the order decides which errno a call with several
 * faults gets); the mechanism is in io_pagetable.c.
 */
#include <errno.h>

#include "io_pagetable.h"

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);

	iopt_unmap_all(&ioas->iopt, NULL);
	iopt_destroy_table(&ioas->iopt);
	pthread_mutex_destroy(&ioas->mutex);
}

struct iommufd_ioas *iommufd_get_ioas(struct uiommufd_ctx *ictx, uint32_t id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS);
	return obj ? container_of(obj, struct iommufd_ioas, obj) : NULL;
}

/* A new, empty IOAS with its ID reserved; finalize or abort it. */
struct iommufd_ioas *iommufd_ioas_alloc(struct uiommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_object_alloc(ictx, ioas, IOMMUFD_OBJ_IOAS);
	if (!ioas)
		return NULL;
	iopt_init_table(&ioas->iopt);
	pthread_mutex_init(&ioas->mutex, NULL);
	list_init(&ioas->hwpt_list);
	return ioas;
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = iommufd_ioas_alloc(ucmd->ictx);
	if (!ioas)
		return -errno;

	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;
}

/*
 * Reports the IOVA not reserved. The count is written back even when the
 * caller's array was too short (EMSGSIZE), so it can size a second call.
 */
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommufd_umem *umem = iommufd_umem_self();
	struct itree_span_iter span;
	struct iommufd_ioas *ioas;
	uint32_t max_iovas;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	pthread_rwlock_rdlock(&ioas->iopt.iova_rwsem);
	max_iovas = cmd->num_iovas;
	cmd->num_iovas = 0;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	for (itree_span_iter_first(&span, &ioas->iopt.reserved_itree, 0,
				   IOMMUFD_ULONG_MAX);
	     !itree_span_iter_done(&span); itree_span_iter_next(&span)) {
		struct iommu_iova_range elm = {
			.start = span.start_hole,
			.last = span.last_hole,
		};

		if (!span.is_hole)
			continue;
		if (cmd->num_iovas < max_iovas) {
			rc = iommufd_copy_to_user(
				umem,
				cmd->allowed_iovas +
					(uint64_t)cmd->num_iovas * sizeof(elm),
				&elm, sizeof(elm));
			if (rc)
				goto out_put;
		}
		cmd->num_iovas++;
	}
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && cmd->num_iovas > max_iovas)
		rc = -EMSGSIZE;
out_put:
	pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* Ranges must be non-empty (start < last) and must not overlap. */
static int iommufd_ioas_load_iovas(struct iommufd_umem *umem,
				   struct itree *allowed, uint64_t uranges,
				   uint32_t num)
{
	uint32_t i;

	for (i = 0; i != num; i++) {
		struct iommu_iova_range range;
		struct iopt_allowed *elm;
		int rc;

		rc = iommufd_copy_from_user(
			umem, &range, uranges + (uint64_t)i * sizeof(range),
			sizeof(range));
		if (rc)
			return rc;
		if (range.start >= range.last)
			return -EINVAL;
		if (itree_iter_first(allowed, range.start, range.last))
			return -EINVAL;
		elm = iommufd_zalloc(sizeof(*elm));
		if (!elm)
			return -ENOMEM;
		elm->node.start = range.start;
		elm->node.last = range.last;
		itree_insert(allowed, &elm->node);
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct itree allowed = {};
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	rc = iommufd_ioas_load_iovas(iommufd_umem_self(), &allowed,
				     cmd->allowed_iovas, cmd->num_iovas);
	if (!rc)
		rc = iopt_set_allow_iova(&ioas->iopt, &allowed);
	iopt_free_allowed(&allowed);
	iommufd_put_object(&ioas->obj);
	return rc;
}

static int conv_iommu_prot(uint32_t map_flags)
{
	/* Userspace memory is always cache coherent. */
	int iommu_prot = IOMMUFD_PROT_CACHE;

	if (map_flags & IOMMU_IOAS_MAP_WRITEABLE)
		iommu_prot |= IOMMUFD_PROT_WRITE;
	if (map_flags & IOMMU_IOAS_MAP_READABLE)
		iommu_prot |= IOMMUFD_PROT_READ;
	return iommu_prot;
}

#define IOAS_MAP_FLAGS                                          \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
	 IOMMU_IOAS_MAP_READABLE)

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	uint64_t iova = cmd->iova;
	struct iommufd_ioas *ioas;
	unsigned int flags = 0;
	int rc;

	if ((cmd->flags & ~IOAS_MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= IOMMUFD_ULONG_MAX || cmd->length >= IOMMUFD_ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	rc = iopt_map_user_pages(ucmd->ictx, &ioas->iopt, &iova, cmd->user_va,
				 cmd->length, conv_iommu_prot(cmd->flags),
				 flags);
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iopt_pages_list *list = NULL;
	struct iommufd_ioas *src_ioas;
	struct iommufd_ioas *dst_ioas;
	unsigned int flags = 0;
	size_t nr = 0;
	uint64_t iova;
	int rc;

	if (cmd->flags & ~IOAS_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= IOMMUFD_ULONG_MAX ||
	    cmd->src_iova >= IOMMUFD_ULONG_MAX ||
	    cmd->dst_iova >= IOMMUFD_ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	src_ioas = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (!src_ioas)
		return -ENOENT;
	rc = iopt_get_pages(&src_ioas->iopt, cmd->src_iova, cmd->length, &list,
			    &nr);
	iommufd_put_object(&src_ioas->obj);
	if (rc)
		return rc;

	dst_ioas = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (!dst_ioas) {
		rc = -ENOENT;
		goto out_pages;
	}
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	iova = cmd->dst_iova;
	rc = iopt_map_pages(&dst_ioas->iopt, list, nr, cmd->length, &iova,
			    conv_iommu_prot(cmd->flags), flags);
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&dst_ioas->obj);
out_pages:
	iopt_free_pages_list(list, nr);
	iommufd_free(list);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		/* Everything; an empty IOAS is not an error here. */
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (cmd->iova >= IOMMUFD_ULONG_MAX ||
		   cmd->length >= IOMMUFD_ULONG_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length,
				     &unmapped);
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	if (!rc) {
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

static int iommufd_ioas_option_huge_pages(struct iommu_option *cmd,
					  struct iommufd_ioas *ioas)
{
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		pthread_rwlock_rdlock(&ioas->iopt.iova_rwsem);
		cmd->val64 = !ioas->iopt.disable_large_pages;
		pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (cmd->val64 == 0)
		return iopt_disable_large_pages(&ioas->iopt);
	if (cmd->val64 == 1) {
		iopt_enable_large_pages(&ioas->iopt);
		return 0;
	}
	return -EINVAL;
}

int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (!ioas)
		return -ENOENT;
	if (cmd->option_id == IOMMU_OPTION_HUGE_PAGES)
		rc = iommufd_ioas_option_huge_pages(cmd, ioas);
	else
		rc = -EOPNOTSUPP;
	iommufd_put_object(&ioas->obj);
	return rc;
}
