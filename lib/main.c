// SPDX-License-Identifier: BSD-3-Clause
/*
 * The context, its object table and the ioctl dispatcher.
 *
 * Objects are built in two phases: iommufd_object_alloc() reserves the
 * lowest free ID (lookups still fail with ENOENT), the caller builds the
 * object, then iommufd_object_finalize() publishes it, or
 * iommufd_object_abort*() gives the ID back. Destroy never fails once the
 * object is out of the table.
 */
#include <errno.h>
#include <linux/ioctl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "device.h"
#include "io_pagetable.h"
#include "iommufd_private.h"

/* Marks a reserved ID whose object is still being built. */
#define IOMMUFD_OBJ_RESERVED ((struct iommufd_object *)1)

/* The kernel's object IDs are limited to 31 bits. */
#define IOMMUFD_MAX_ID 0x7fffffffU

struct iommufd_object_ops {
	void (*destroy)(struct iommufd_object *obj);
	/* Undo a never-published object, if that differs from destroy. */
	void (*abort)(struct iommufd_object *obj);
};

static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_DEVICE] = { .destroy = iommufd_device_destroy },
	[IOMMUFD_OBJ_ACCESS] = { .destroy = iommufd_access_destroy_object },
	[IOMMUFD_OBJ_HWPT_PAGING] = { .destroy = iommufd_hwpt_paging_destroy,
				      .abort = iommufd_hwpt_paging_abort },
	[IOMMUFD_OBJ_HWPT_NESTED] = { .destroy = iommufd_hwpt_nested_destroy },
	[IOMMUFD_OBJ_IOAS] = { .destroy = iommufd_ioas_destroy },
	[IOMMUFD_OBJ_FAULT] = { .destroy = iommufd_fault_destroy },
	[IOMMUFD_OBJ_SELFTEST] = { .destroy = iommufd_selftest_destroy },
};

/* ---- free ID min-heap ---------------------------------------------- */

static void free_ids_push(struct uiommufd_ctx *ictx, uint32_t id)
{
	uint32_t i = ictx->nr_free_ids++;

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (ictx->free_ids[parent] <= id)
			break;
		ictx->free_ids[i] = ictx->free_ids[parent];
		i = parent;
	}
	ictx->free_ids[i] = id;
}

static uint32_t free_ids_pop(struct uiommufd_ctx *ictx)
{
	uint32_t top = ictx->free_ids[0];
	uint32_t last = ictx->free_ids[--ictx->nr_free_ids];
	uint32_t n = ictx->nr_free_ids;
	uint32_t i = 0;

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= n)
			break;
		if (child + 1 < n &&
		    ictx->free_ids[child + 1] < ictx->free_ids[child])
			child++;
		if (last <= ictx->free_ids[child])
			break;
		ictx->free_ids[i] = ictx->free_ids[child];
		i = child;
	}
	if (n)
		ictx->free_ids[i] = last;
	return top;
}

/* Both arrays grow together so that freeing an ID never allocates. */
static int objects_grow(struct uiommufd_ctx *ictx)
{
	uint32_t new_cap = ictx->capacity ? ictx->capacity * 2 : 16;
	struct iommufd_object **objects;
	uint32_t *free_ids;

	objects =
		iommufd_realloc_array(ictx->objects, new_cap, sizeof(*objects));
	if (!objects)
		return -ENOMEM;
	ictx->objects = objects;
	memset(objects + ictx->capacity, 0,
	       (new_cap - ictx->capacity) * sizeof(*objects));
	free_ids = iommufd_realloc_array(ictx->free_ids, new_cap,
					 sizeof(*free_ids));
	if (!free_ids)
		return -ENOMEM;
	ictx->free_ids = free_ids;
	ictx->capacity = new_cap;
	return 0;
}

/* Caller holds objects_lock. IDs start at 1. */
static int objects_reserve_id(struct uiommufd_ctx *ictx, uint32_t *id)
{
	int rc;

	if (ictx->nr_free_ids) {
		*id = free_ids_pop(ictx);
	} else {
		if (ictx->next_id > IOMMUFD_MAX_ID)
			return -EBUSY;
		if (ictx->next_id >= ictx->capacity) {
			rc = objects_grow(ictx);
			if (rc)
				return rc;
		}
		*id = ictx->next_id++;
	}
	ictx->objects[*id] = IOMMUFD_OBJ_RESERVED;
	ictx->nr_objects++;
	return 0;
}

/* Caller holds objects_lock. */
static void objects_release_id(struct uiommufd_ctx *ictx, uint32_t id)
{
	ictx->objects[id] = NULL;
	ictx->nr_objects--;
	free_ids_push(ictx, id);
}

struct iommufd_object *iommufd_object_alloc_raw(struct uiommufd_ctx *ictx,
						size_t size,
						enum iommufd_object_type type)
{
	struct iommufd_object *obj;
	int rc;

	obj = iommufd_zalloc(size);
	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	obj->type = type;
	atomic_init(&obj->users, 1);

	pthread_mutex_lock(&ictx->objects_lock);
	rc = objects_reserve_id(ictx, &obj->id);
	pthread_mutex_unlock(&ictx->objects_lock);
	if (rc) {
		iommufd_free(obj);
		errno = -rc;
		return NULL;
	}
	return obj;
}

void iommufd_object_finalize(struct uiommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	pthread_mutex_lock(&ictx->objects_lock);
	ictx->objects[obj->id] = obj;
	pthread_mutex_unlock(&ictx->objects_lock);
}

void iommufd_object_abort(struct uiommufd_ctx *ictx, struct iommufd_object *obj)
{
	pthread_mutex_lock(&ictx->objects_lock);
	objects_release_id(ictx, obj->id);
	pthread_mutex_unlock(&ictx->objects_lock);
	iommufd_free(obj);
}

void iommufd_object_abort_and_destroy(struct uiommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops = &iommufd_object_ops[obj->type];

	if (ops->abort)
		ops->abort(obj);
	else
		ops->destroy(obj);
	iommufd_object_abort(ictx, obj);
}

struct iommufd_object *iommufd_get_object(struct uiommufd_ctx *ictx,
					  uint32_t id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj = NULL;

	pthread_mutex_lock(&ictx->objects_lock);
	if (id && id < ictx->next_id) {
		obj = ictx->objects[id];
		if (obj == IOMMUFD_OBJ_RESERVED ||
		    (obj && type != IOMMUFD_OBJ_ANY && obj->type != type))
			obj = NULL;
		if (obj)
			atomic_fetch_add(&obj->users, 1);
	}
	pthread_mutex_unlock(&ictx->objects_lock);
	if (!obj)
		errno = ENOENT;
	return obj;
}

/* A reference on @obj unless it is already being destroyed (users 0). */
bool iommufd_lock_obj(struct iommufd_object *obj)
{
	unsigned int users = atomic_load(&obj->users);

	do {
		if (!users)
			return false;
	} while (!atomic_compare_exchange_weak(&obj->users, &users, users + 1));
	return true;
}

void iommufd_put_object(struct iommufd_object *obj)
{
	atomic_fetch_sub(&obj->users, 1);
}

static void iommufd_object_destroy(struct iommufd_object *obj)
{
	iommufd_object_ops[obj->type].destroy(obj);
	iommufd_free(obj);
}

/*
 * Take @id out of the table and destroy it if nothing but the table uses
 * it; with @expect, only if @id is still that object.
 */
int iommufd_object_remove(struct uiommufd_ctx *ictx, uint32_t id,
			  struct iommufd_object *expect)
{
	struct iommufd_object *obj = NULL;
	unsigned int one = 1;

	pthread_mutex_lock(&ictx->objects_lock);
	if (id && id < ictx->next_id)
		obj = ictx->objects[id];
	if (!obj || obj == IOMMUFD_OBJ_RESERVED || (expect && obj != expect)) {
		pthread_mutex_unlock(&ictx->objects_lock);
		return -ENOENT;
	}
	if (!atomic_compare_exchange_strong(&obj->users, &one, 0)) {
		pthread_mutex_unlock(&ictx->objects_lock);
		return -EBUSY;
	}
	objects_release_id(ictx, id);
	if (ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
	pthread_mutex_unlock(&ictx->objects_lock);

	iommufd_object_destroy(obj);
	return 0;
}

/*
 * Remove @obj for its owner (unbind, the last close of an access fd): the
 * only other users left are ioctls in flight on it, which finish soon, so
 * wait for them as the kernel does rather than leave it behind.
 */
void iommufd_object_destroy_user(struct uiommufd_ctx *ictx,
				 struct iommufd_object *obj)
{
	while (iommufd_object_remove(ictx, obj->id, obj) == -EBUSY)
		sched_yield();
}

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	return iommufd_copy_to_user(iommufd_umem_self(), ucmd->ubuffer,
				    ucmd->cmd,
				    IOMMUFD_MIN(ucmd->user_size, cmd_len));
}

/* ---- context ------------------------------------------------------- */

UIOMMUFD_EXPORT struct uiommufd_ctx *uiommufd_open(void)
{
	struct uiommufd_ctx *ictx;

	ictx = iommufd_zalloc(sizeof(*ictx));
	if (!ictx) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&ictx->objects_lock, NULL);
	atomic_init(&ictx->refs, 1);
	ictx->next_id = 1;
	return ictx;
}

void iommufd_ctx_get(struct uiommufd_ctx *ictx)
{
	atomic_fetch_add(&ictx->refs, 1);
}

/*
 * The last reference (the fd's, or an access that outlived it, as an
 * access holds the file in the kernel) tears the context down.
 */
void iommufd_ctx_put(struct uiommufd_ctx *ictx)
{
	if (atomic_fetch_sub(&ictx->refs, 1) != 1)
		return;
	/*
	 * Dependents hold a user on what they depend on, so destroying every
	 * object the table alone holds, pass after pass, goes leaves first.
	 */
	while (ictx->nr_objects) {
		unsigned int destroyed = 0;
		uint32_t id;

		for (id = 1; id < ictx->next_id; id++)
			if (!iommufd_object_remove(ictx, id, NULL))
				destroyed++;
		if (!destroyed)
			break;
	}
	pthread_mutex_destroy(&ictx->objects_lock);
	iommufd_free(ictx->objects);
	iommufd_free(ictx->free_ids);
	iommufd_free(ictx);
}

UIOMMUFD_EXPORT struct uiommufd_ctx *uiommufd_open_vfio_container(void)
{
	struct uiommufd_ctx *ictx = uiommufd_open();

	if (ictx)
		atomic_store(&ictx->account_mode, IOPT_PAGES_ACCOUNT_MM);
	return ictx;
}

UIOMMUFD_EXPORT void uiommufd_close(struct uiommufd_ctx *ictx)
{
	if (ictx)
		iommufd_ctx_put(ictx);
}

UIOMMUFD_EXPORT const char *uiommufd_version(void)
{
	return UIOMMUFD_VERSION;
}

/* ---- ioctls owned by the context ----------------------------------- */

static int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_remove(ucmd->ictx, cmd->id, NULL);
}

int iommufd_option_rlimit_mode(struct iommu_option *cmd,
			       struct uiommufd_ctx *ictx)
{
	int rc = 0;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = atomic_load(&ictx->account_mode) ==
			     IOPT_PAGES_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (!iommufd_umem_self()->ops->capable(iommufd_umem_self(),
					       IOMMUFD_CAP_SYS_RESOURCE))
		return -EPERM;

	/* The mode may only change while nothing could have pinned yet. */
	pthread_mutex_lock(&ictx->objects_lock);
	if (ictx->nr_objects)
		rc = -EBUSY;
	else if (cmd->val64 == 0)
		atomic_store(&ictx->account_mode, IOPT_PAGES_ACCOUNT_USER);
	else if (cmd->val64 == 1)
		atomic_store(&ictx->account_mode, IOPT_PAGES_ACCOUNT_MM);
	else
		rc = -EINVAL;
	pthread_mutex_unlock(&ictx->objects_lock);
	return rc;
}

static int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only val64 is an output. */
	return iommufd_copy_to_user(
		iommufd_umem_self(),
		ucmd->ubuffer + offsetof(struct iommu_option, val64),
		&cmd->val64, sizeof(cmd->val64));
}

/* ---- dispatch ------------------------------------------------------ */

struct iommufd_ioctl_op {
	uint32_t size;
	uint32_t min_size;
	uint32_t ioctl_num;
	int (*execute)(struct iommufd_ucmd *ucmd);
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last)              \
	[_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {           \
		.size = sizeof(_struct),                   \
		.min_size = offsetof(_struct, _last) +     \
			    sizeof(((_struct *)0)->_last), \
		.ioctl_num = _ioctl,                       \
		.execute = _fn,                            \
	}

/*
 * Indexed by command number. The table spans up to IOMMU_TEST_CMD (base +
 * 32), as in a kernel built with CONFIG_IOMMUFD_TEST: numbers inside it
 * with no handler read the size word and then fail with ENOTTY, numbers
 * outside it go to the VFIO container ioctls.
 */
static const struct iommufd_ioctl_op iommufd_ioctl_ops[33] = {
	IOCTL_OP(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl,
		 struct iommu_ioas_alloc, out_ioas_id),
	IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas,
		 struct iommu_ioas_allow_iovas, allowed_iovas),
	IOCTL_OP(IOMMU_IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy,
		 src_iova),
	IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges,
		 struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOCTL_OP(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map, iova),
	IOCTL_OP(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap,
		 length),
	IOCTL_OP(IOMMU_VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas,
		 __reserved),
	IOCTL_OP(IOMMU_OPTION, iommufd_option, struct iommu_option, val64),
	IOCTL_OP(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc, struct iommu_hwpt_alloc,
		 __reserved),
	IOCTL_OP(IOMMU_GET_HW_INFO, iommufd_get_hw_info, struct iommu_hw_info,
		 __reserved),
	IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, iommufd_hwpt_set_dirty_tracking,
		 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		 struct iommu_hwpt_get_dirty_bitmap, data),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate,
		 struct iommu_hwpt_invalidate, __reserved),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, iommufd_fault_alloc,
		 struct iommu_fault_alloc, out_fault_fd),
	IOCTL_OP(IOMMU_TEST_CMD, iommufd_test, struct iommu_test_cmd, last),
};

/* Big enough for every request struct this library knows. */
union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	uint8_t any[128];
};

static int iommufd_dispatch(struct uiommufd_ctx *ictx, unsigned int cmd,
			    uint64_t arg)
{
	const struct iommufd_ioctl_op *op;
	struct iommufd_ucmd ucmd = {};
	union ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	if (nr < IOMMUFD_CMD_BASE ||
	    nr - IOMMUFD_CMD_BASE >= IOMMUFD_ARRAY_SIZE(iommufd_ioctl_ops))
		return iommufd_vfio_ioctl(ictx, cmd, arg);

	ucmd.ictx = ictx;
	ucmd.ubuffer = arg;
	rc = iommufd_copy_from_user(iommufd_umem_self(), &ucmd.user_size, arg,
				    sizeof(ucmd.user_size));
	if (rc)
		return rc;

	op = &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	if (!op->execute || op->ioctl_num != cmd)
		return -ENOTTY;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	ucmd.cmd = &buf;
	rc = iommufd_copy_struct_from_user(iommufd_umem_self(), ucmd.cmd,
					   op->size, arg, ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

UIOMMUFD_EXPORT int uiommufd_ioctl(struct uiommufd_ctx *ictx,
				   unsigned long request, void *arg)
{
	int rc;

	/* The syscall carries the request as a 32-bit unsigned int. */
	rc = iommufd_dispatch(ictx, (unsigned int)request,
			      (uint64_t)(uintptr_t)arg);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

UIOMMUFD_EXPORT struct uiommufd_ctx *uiommufd_ctx_ref(struct uiommufd_ctx *ictx)
{
	iommufd_ctx_get(ictx);
	return ictx;
}
