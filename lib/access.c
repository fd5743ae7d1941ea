// SPDX-License-Identifier: BSD-3-Clause
/*
 * The access object: creation, attaching to an IOAS and moving to
 * another, pinning, reading and writing. The mechanism is in
 * io_pagetable.c; the model and locking are described in access.h.
 */
#include <errno.h>

#include "access.h"

/*
 * Move @access to @new_ioas (NULL: detach). Its pins must be gone from the
 * old one first, so the owner is asked to drop all of them.
 */
static int iommufd_access_change_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas)
{
	struct iommufd_ioas *cur_ioas = access->ioas;
	int rc;

	if (cur_ioas != access->ioas_unpin)
		return -EBUSY;
	if (cur_ioas == new_ioas)
		return 0;
	access->ioas = NULL;
	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, access);
		if (rc) {
			access->ioas = cur_ioas;
			return rc;
		}
		atomic_fetch_add(&new_ioas->obj.users, 1);
	}
	if (cur_ioas) {
		if (access->ops->unmap) {
			pthread_mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, IOMMUFD_ULONG_MAX);
			pthread_mutex_lock(&access->ioas_lock);
		}
		iopt_remove_access(&cur_ioas->iopt, access);
		iommufd_put_object(&cur_ioas->obj);
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	return 0;
}

static int iommufd_access_change_ioas_id(struct iommufd_access *access,
					 uint32_t id)
{
	struct iommufd_ioas *ioas = iommufd_get_ioas(access->ictx, id);
	int rc;

	if (!ioas)
		return -ENOENT;
	rc = iommufd_access_change_ioas(access, ioas);
	iommufd_put_object(&ioas->obj);
	return rc;
}

void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);

	pthread_mutex_lock(&access->ioas_lock);
	if (access->ioas)
		(void)iommufd_access_change_ioas(access, NULL);
	pthread_mutex_unlock(&access->ioas_lock);
	pthread_mutex_destroy(&access->ioas_lock);
	pthread_cond_destroy(&access->notify_done);
	pthread_mutex_destroy(&access->notify_lock);
}

/*
 * The access object is published at once; its creator keeps a reference
 * until iommufd_access_destroy(), so IOMMU_DESTROY of its ID is refused.
 */
struct iommufd_access *
iommufd_access_create(struct uiommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      uint32_t *id, int *err)
{
	struct iommufd_access *access;

	access = iommufd_object_alloc(ictx, access, IOMMUFD_OBJ_ACCESS);
	if (!access) {
		*err = -errno;
		return NULL;
	}
	access->data = data;
	access->ops = ops;
	access->iova_alignment = ops->needs_pin_pages ? IOMMUFD_PAGE_SIZE : 1;
	access->ictx = ictx;
	iommufd_ctx_get(ictx);
	pthread_mutex_init(&access->ioas_lock, NULL);
	pthread_mutex_init(&access->notify_lock, NULL);
	pthread_cond_init(&access->notify_done, NULL);
	atomic_fetch_add(&access->obj.users, 1);
	iommufd_object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}

/*
 * The creator lets go. Unmap notifications already under way finish
 * first (they may still call ops->unmap); no new one starts.
 */
void iommufd_access_destroy(struct iommufd_access *access)
{
	struct uiommufd_ctx *ictx = access->ictx;

	pthread_mutex_lock(&access->notify_lock);
	access->dying = true;
	while (access->notify_refs)
		pthread_cond_wait(&access->notify_done, &access->notify_lock);
	pthread_mutex_unlock(&access->notify_lock);
	iommufd_put_object(&access->obj);
	iommufd_object_destroy_user(ictx, &access->obj);
	/* The access held the context, as it holds the file in the kernel. */
	iommufd_ctx_put(ictx);
}

int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id)
{
	int rc;

	pthread_mutex_lock(&access->ioas_lock);
	if (access->ioas) {
		pthread_mutex_unlock(&access->ioas_lock);
		return -EINVAL;
	}
	rc = iommufd_access_change_ioas_id(access, ioas_id);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}

int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id)
{
	int rc;

	pthread_mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		pthread_mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	rc = iommufd_access_change_ioas_id(access, ioas_id);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}

int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova,
			     uint64_t length, uint64_t *out_pages,
			     unsigned int flags)
{
	int rc;

	if (access->iova_alignment != IOMMUFD_PAGE_SIZE || !access->ops->unmap)
		return -EINVAL;
	if (!length)
		return -EINVAL;
	if (iova + length - 1 < iova)
		return -EOVERFLOW;
	pthread_mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		pthread_mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	rc = iopt_access_pin_pages(&access->ioas->iopt, iova, length, out_pages,
				   flags);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}

void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova,
				uint64_t length)
{
	pthread_mutex_lock(&access->ioas_lock);
	if (access->ioas_unpin)
		iopt_access_unpin_pages(&access->ioas_unpin->iopt, iova,
					length);
	pthread_mutex_unlock(&access->ioas_lock);
}

int iommufd_access_rw(struct iommufd_access *access, uint64_t iova, void *data,
		      uint64_t length, unsigned int flags)
{
	int rc;

	if (!length)
		return -EINVAL;
	if (iova + length - 1 < iova)
		return -EOVERFLOW;
	pthread_mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		pthread_mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	rc = iopt_access_rw(&access->ioas->iopt, iova, data, length, flags);
	pthread_mutex_unlock(&access->ioas_lock);
	return rc;
}
