// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fault queues (IOMMU_FAULT_QUEUE_ALLOC): how page requests of devices
 * attached to a HWPT allocated with IOMMU_HWPT_FAULT_ID_VALID reach user
 * space. Each queue is an object and a file: read() takes the requests
 * waiting in @deliver as struct iommu_hwpt_pgfault records, each group
 * getting a cookie; write() answers a cookie with struct
 * iommu_hwpt_page_response. The file holds a user on the object and a
 * reference on the context, as the kernel's does, so the object cannot be
 * destroyed while its fd is open.
 *
 * poll() works on the fd because it is a real eventfd (see
 * uiommufd_file_pollfd()): its count is 1 exactly while requests wait to
 * be read, so it polls readable then, and always writable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "device.h"
#include "file.h"

static void fault_file_release(struct uiommufd_file *file);

/* Caller holds fault->lock. */
static void fault_update_pollfd(struct iommufd_fault *fault)
{
	bool readable = !list_empty(&fault->deliver);
	uint64_t count = 1;
	ssize_t n;

	if (readable == fault->readable)
		return;
	if (readable)
		n = write(fault->eventfd, &count, sizeof(count));
	else
		n = read(fault->eventfd, &count, sizeof(count));
	/*
	 * Neither blocks, even if the program cleared O_NONBLOCK on the
	 * shared description: we read only a count of 1, write only to 0.
	 */
	if (n == sizeof(count))
		fault->readable = readable;
}

static struct iopf_group *fault_deliver_fetch(struct iommufd_fault *fault)
{
	struct iopf_group *group = NULL;

	pthread_mutex_lock(&fault->lock);
	if (!list_empty(&fault->deliver)) {
		group = list_first_entry(&fault->deliver, struct iopf_group,
					 node);
		list_del_init(&group->node);
		fault_update_pollfd(fault);
	}
	pthread_mutex_unlock(&fault->lock);
	return group;
}

static void fault_deliver_restore(struct iommufd_fault *fault,
				  struct iopf_group *group)
{
	pthread_mutex_lock(&fault->lock);
	list_add(&group->node, &fault->deliver);
	fault_update_pollfd(fault);
	pthread_mutex_unlock(&fault->lock);
}

/* A cookie for @group; caller holds fault->mutex. */
static int fault_response_alloc(struct iommufd_fault *fault,
				struct iopf_group *group)
{
	struct iopf_group **response;
	uint32_t cookie, size;

	for (cookie = 1; cookie < fault->response_size; cookie++)
		if (!fault->response[cookie])
			goto found;
	size = fault->response_size ? fault->response_size * 2 : 16;
	response =
		iommufd_realloc_array(fault->response, size, sizeof(*response));
	if (!response)
		return -ENOMEM;
	memset(response + fault->response_size, 0,
	       (size - fault->response_size) * sizeof(*response));
	cookie = fault->response_size ? fault->response_size : 1;
	fault->response = response;
	fault->response_size = size;
found:
	fault->response[cookie] = group;
	group->cookie = cookie;
	return 0;
}

static struct iopf_group *fault_response_erase(struct iommufd_fault *fault,
					       uint32_t cookie)
{
	struct iopf_group *group = NULL;

	if (cookie < fault->response_size) {
		group = fault->response[cookie];
		fault->response[cookie] = NULL;
	}
	return group;
}

/* ---- the file ---------------------------------------------------------- */

static ssize_t fault_read(struct iommufd_fault *fault, uint64_t buf,
			  size_t count)
{
	const size_t fault_size = sizeof(struct iommu_hwpt_pgfault);
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	pthread_mutex_lock(&fault->mutex);
	while ((group = fault_deliver_fetch(fault))) {
		struct iommufd_attach_handle *handle = group->attach_handle;
		struct iommu_hwpt_pgfault data = {
			.flags = group->fault.flags,
			.dev_id = handle->idev->obj.id,
			.pasid = group->fault.pasid,
			.grpid = group->fault.grpid,
			.perm = group->fault.perm,
			.addr = group->fault.addr,
		};

		/* Whole groups only: one that does not fit stays queued. */
		if (done >= count || fault_size > count - done) {
			fault_deliver_restore(fault, group);
			if (!done)
				rc = -EINVAL;
			break;
		}
		rc = fault_response_alloc(fault, group);
		if (rc) {
			fault_deliver_restore(fault, group);
			break;
		}
		data.cookie = group->cookie;
		rc = iommufd_copy_to_user(iommufd_umem_self(), buf + done,
					  &data, fault_size);
		if (rc) {
			fault_response_erase(fault, group->cookie);
			fault_deliver_restore(fault, group);
			break;
		}
		done += fault_size;
	}
	pthread_mutex_unlock(&fault->mutex);
	return done ? (ssize_t)done : rc;
}

static ssize_t fault_write(struct iommufd_fault *fault, uint64_t buf,
			   size_t count)
{
	const size_t response_size = sizeof(struct iommu_hwpt_page_response);
	struct iommu_hwpt_page_response response;
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	_Static_assert((int)IOMMUFD_PAGE_RESP_SUCCESS ==
			       (int)IOMMU_PAGE_RESP_SUCCESS,
		       "response codes pass through");
	_Static_assert((int)IOMMUFD_PAGE_RESP_INVALID ==
			       (int)IOMMU_PAGE_RESP_INVALID,
		       "response codes pass through");

	pthread_mutex_lock(&fault->mutex);
	while (count > done) {
		rc = iommufd_copy_from_user(iommufd_umem_self(), &response,
					    buf + done, response_size);
		if (rc)
			break;
		if (response.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    response.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		group = fault_response_erase(fault, response.cookie);
		if (!group) {
			rc = -EINVAL;
			break;
		}
		iopf_group_response(group, response.code);
		iopf_free_group(group);
		done += response_size;
	}
	pthread_mutex_unlock(&fault->mutex);
	return done ? (ssize_t)done : rc;
}

/*
 * The kernel's file has no position to read at (pread is ESPIPE before it
 * gets here) and takes whole records only.
 */
static ssize_t fault_file_rw(struct uiommufd_file *file, uint64_t buf,
			     size_t count, uint64_t offset, bool write)
{
	struct iommufd_fault *fault =
		container_of(file, struct iommufd_fault, file);
	size_t unit = write ? sizeof(struct iommu_hwpt_page_response) :
			      sizeof(struct iommu_hwpt_pgfault);

	if (offset || count % unit)
		return -ESPIPE;
	return write ? fault_write(fault, buf, count) :
		       fault_read(fault, buf, count);
}

static const struct iommufd_file_ops fault_file_ops = {
	.kind = UIOMMUFD_FILE_FAULT,
	.rw = fault_file_rw,
};

static void fault_file_release(struct uiommufd_file *file)
{
	struct iommufd_fault *fault =
		container_of(file, struct iommufd_fault, file);
	struct uiommufd_ctx *ictx = fault->ictx;

	/* After this the object may be destroyed: touch nothing of it. */
	iommufd_put_object(&fault->obj);
	iommufd_ctx_put(ictx);
}

struct uiommufd_file *iommufd_fault_file_get(struct uiommufd_ctx *ictx, int fd)
{
	return iommufd_file_get(ictx, fd, fault_file_release);
}

/* ---- the object -------------------------------------------------------- */

struct iommufd_fault *iommufd_get_fault(struct uiommufd_ctx *ictx, uint32_t id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_FAULT);
	return obj ? container_of(obj, struct iommufd_fault, obj) : NULL;
}

/* Answer INVALID and free every group of @free_list. */
static void fault_respond_invalid(struct list_head *free_list)
{
	while (!list_empty(free_list)) {
		struct iopf_group *group =
			list_first_entry(free_list, struct iopf_group, node);

		list_del_init(&group->node);
		iopf_group_response(group, IOMMU_PAGE_RESP_INVALID);
		iopf_free_group(group);
	}
}

void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault =
		container_of(obj, struct iommufd_fault, obj);
	struct list_head free_list;
	uint32_t cookie;

	/* Nothing can be left from an attachment; answer it anyway. */
	list_init(&free_list);
	while (!list_empty(&fault->deliver)) {
		struct iopf_group *group = list_first_entry(
			&fault->deliver, struct iopf_group, node);

		list_del_init(&group->node);
		list_add_tail(&group->node, &free_list);
	}
	for (cookie = 1; cookie < fault->response_size; cookie++) {
		struct iopf_group *group = fault->response[cookie];

		if (group)
			list_add_tail(&group->node, &free_list);
	}
	fault_respond_invalid(&free_list);
	iommufd_free(fault->response);
	uiommufd_private_fd_close(fault->eventfd);
	pthread_mutex_destroy(&fault->lock);
	pthread_mutex_destroy(&fault->mutex);
}

int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_fault *fault;
	int fdno, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fault = iommufd_object_alloc(ucmd->ictx, fault, IOMMUFD_OBJ_FAULT);
	if (!fault)
		return -errno;
	fault->ictx = ucmd->ictx;
	list_init(&fault->deliver);
	pthread_mutex_init(&fault->mutex, NULL);
	pthread_mutex_init(&fault->lock, NULL);
	/* Where the kernel allocates the queue's file (a few hundred bytes) */
	fault->eventfd =
		iommufd_should_failslab(256) ?
			-1 :
			uiommufd_private_fd_add(eventfd(0, EFD_CLOEXEC));
	if (fault->eventfd < 0) {
		rc = -ENOMEM;
		goto out_abort;
	}

	iommufd_file_init(&fault->file, fault_file_release);
	fault->file.ops = &fault_file_ops;
	fault->file.pollfd = fault->eventfd;
	/* The file's own hold on the object and the context. */
	atomic_fetch_add(&fault->obj.users, 1);
	iommufd_ctx_get(fault->ictx);
	fdno = iommufd_file_install(ucmd->ictx, &fault->file);
	if (fdno < 0) {
		rc = fdno;
		/* No fd took the file: let its reference go by hand. */
		iommufd_put_object(&fault->obj);
		iommufd_ctx_put(fault->ictx);
		goto out_abort;
	}

	cmd->out_fault_id = fault->obj.id;
	cmd->out_fault_fd = (uint32_t)fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_file_discard(ucmd->ictx, fdno);
		goto out_abort;
	}
	iommufd_object_finalize(ucmd->ictx, &fault->obj);
	return 0;

out_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &fault->obj);
	return rc;
}

/* ---- page requests ------------------------------------------------------ */

int iommufd_fault_iopf_enable(struct iommufd_device *idev)
{
	int rc;

	if (idev->iopf_enabled++)
		return 0;
	rc = iommu_dev_enable_iopf(idev->dev);
	if (rc)
		idev->iopf_enabled--;
	return rc;
}

void iommufd_fault_iopf_disable(struct iommufd_device *idev)
{
	if (idev->iopf_enabled && !--idev->iopf_enabled)
		iommu_dev_disable_iopf(idev->dev);
}

int iommufd_fault_iopf_handler(struct iopf_group *group)
{
	struct iommufd_hw_pagetable *hwpt = group->domain->fault_data;
	struct iommufd_fault *fault = hwpt->fault;

	pthread_mutex_lock(&fault->lock);
	list_add_tail(&group->node, &fault->deliver);
	fault_update_pollfd(fault);
	pthread_mutex_unlock(&fault->lock);
	return 0;
}

void iommufd_auto_response_faults(struct iommufd_hw_pagetable *hwpt,
				  struct iommufd_attach_handle *handle)
{
	struct iommufd_fault *fault = hwpt->fault;
	struct list_head free_list, *pos, *next;
	uint32_t cookie;

	if (!fault)
		return;
	list_init(&free_list);
	pthread_mutex_lock(&fault->mutex);
	pthread_mutex_lock(&fault->lock);
	list_for_each_safe(pos, next, &fault->deliver)
	{
		struct iopf_group *group =
			list_entry(pos, struct iopf_group, node);

		if (group->attach_handle != handle)
			continue;
		list_del_init(&group->node);
		list_add_tail(&group->node, &free_list);
	}
	fault_update_pollfd(fault);
	pthread_mutex_unlock(&fault->lock);
	for (cookie = 1; cookie < fault->response_size; cookie++) {
		struct iopf_group *group = fault->response[cookie];

		if (!group || group->attach_handle != handle)
			continue;
		fault->response[cookie] = NULL;
		list_add_tail(&group->node, &free_list);
	}
	fault_respond_invalid(&free_list);
	pthread_mutex_unlock(&fault->mutex);
}
