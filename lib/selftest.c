// SPDX-License-Identifier: BSD-3-Clause
/*
 * IOMMU_TEST_CMD: the test-only ioctl of a kernel built with
 * CONFIG_IOMMUFD_TEST, with the semantics of Linux 6.12. It creates mock
 * devices bound and attached to the context (a "selftest" object owns
 * each), reserves IOVA, makes a mock device fault, and inspects what
 * iommufd did: the entries of a mock domain, the IOTLB of a nested one,
 * how many times a page is pinned.
 */
#include <errno.h>
#include <stdlib.h>

#include "access.h"
#include "device.h"
#include "file.h"
#include "mock_iommu.h"

/* The object standing for one mock device created by MOCK_DOMAIN. */
struct selftest_obj {
	struct iommufd_object obj;
	struct uiommufd_ctx *ictx;
	struct iommufd_device *idev;
	struct iommufd_dev *mock_dev;
};

void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct selftest_obj *sobj = container_of(obj, struct selftest_obj, obj);

	iommufd_device_detach(sobj->idev);
	iommufd_device_unbind(sobj->idev);
	mock_dev_destroy(sobj->mock_dev);
}

static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev;
	struct selftest_obj *sobj;
	uint32_t pt_id = cmd->id;
	uint32_t dev_flags = 0;
	uint32_t idev_id;
	int rc;

	sobj = iommufd_object_alloc(ucmd->ictx, sobj, IOMMUFD_OBJ_SELFTEST);
	if (!sobj)
		return -errno;
	sobj->ictx = ucmd->ictx;
	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;
	sobj->mock_dev = mock_dev_create(dev_flags, &rc);
	if (!sobj->mock_dev)
		goto out_sobj;
	idev = iommufd_device_bind(ucmd->ictx, sobj->mock_dev, &idev_id, &rc);
	if (!idev)
		goto out_mdev;
	sobj->idev = idev;
	rc = iommufd_device_attach(idev, &pt_id);
	if (rc)
		goto out_unbind;

	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_detach;
	iommufd_object_finalize(ucmd->ictx, &sobj->obj);
	return 0;

out_detach:
	iommufd_device_detach(idev);
out_unbind:
	iommufd_device_unbind(idev);
out_mdev:
	mock_dev_destroy(sobj->mock_dev);
out_sobj:
	iommufd_object_abort(ucmd->ictx, &sobj->obj);
	return rc;
}

static int iommufd_test_mock_domain_replace(struct iommufd_ucmd *ucmd,
					    uint32_t device_id, uint32_t pt_id,
					    struct iommu_test_cmd *cmd)
{
	struct iommufd_object *dev_obj;
	struct selftest_obj *sobj;
	int rc;

	dev_obj =
		iommufd_get_object(ucmd->ictx, device_id, IOMMUFD_OBJ_SELFTEST);
	if (!dev_obj)
		return -ENOENT;
	sobj = container_of(dev_obj, struct selftest_obj, obj);
	rc = iommufd_device_replace(sobj->idev, &pt_id);
	if (rc)
		goto out_put;
	cmd->mock_domain_replace.pt_id = pt_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	iommufd_put_object(dev_obj);
	return rc;
}

static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd,
				     uint32_t mockpt_id, uint64_t start,
				     uint64_t length)
{
	struct iommufd_ioas *ioas;
	uint64_t last;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	ioas = iommufd_get_ioas(ucmd->ictx, mockpt_id);
	if (!ioas)
		return -ENOENT;
	rc = iopt_reserve_iova(&ioas->iopt, start, last, NULL);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* The paging HWPT @mockpt_id, if its domain is a mock one. */
static struct iommufd_hw_pagetable *
get_md_pagetable(struct iommufd_ucmd *ucmd, uint32_t mockpt_id, int *err)
{
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, mockpt_id,
				 IOMMUFD_OBJ_HWPT_PAGING);
	if (!obj) {
		*err = -ENOENT;
		return NULL;
	}
	hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
	if (hwpt->domain->type != IOMMU_DOMAIN_PAGING ||
	    !mock_domain_is_mock(hwpt->domain)) {
		iommufd_put_object(obj);
		*err = -EINVAL;
		return NULL;
	}
	return hwpt;
}

/* Does each IO page of [iova, iova + length) map the memory at uptr? */
static int iommufd_test_md_check_pa(struct iommufd_ucmd *ucmd,
				    uint32_t mockpt_id, uint64_t iova,
				    uint64_t length, uint64_t uptr)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	struct iommufd_hw_pagetable *hwpt;
	uint64_t end;
	int rc;

	if (iova % MOCK_IO_PAGE_SIZE || length % MOCK_IO_PAGE_SIZE ||
	    uptr % MOCK_IO_PAGE_SIZE ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	hwpt = get_md_pagetable(ucmd, mockpt_id, &rc);
	if (!hwpt)
		return rc;
	for (; length; length -= MOCK_IO_PAGE_SIZE) {
		uint64_t ent;

		/* As get_user_pages_fast(): the page must be there. */
		rc = umem->ops->populate(umem, uptr & ~(IOMMUFD_PAGE_SIZE - 1),
					 IOMMUFD_PAGE_SIZE, false);
		if (rc)
			goto out_put;
		ent = mock_domain_entry(hwpt->domain, iova);
		if (!(ent & MOCK_PFN_PRESENT) ||
		    (ent & MOCK_PFN_MASK) * MOCK_IO_PAGE_SIZE != uptr) {
			rc = -EINVAL;
			goto out_put;
		}
		iova += MOCK_IO_PAGE_SIZE;
		uptr += MOCK_IO_PAGE_SIZE;
	}
	rc = 0;
out_put:
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/* Is each page of [uptr, uptr + length) pinned exactly @refs times? */
static int iommufd_test_md_check_refs(struct iommufd_ucmd *ucmd, uint64_t uptr,
				      uint64_t length, unsigned int refs)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	uint64_t end;
	int rc;

	(void)ucmd;
	if (length % IOMMUFD_PAGE_SIZE || uptr % IOMMUFD_PAGE_SIZE ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; length; length -= IOMMUFD_PAGE_SIZE) {
		rc = umem->ops->populate(umem, uptr, IOMMUFD_PAGE_SIZE, false);
		if (rc)
			return rc;
		if (iopt_pages_count_pins(umem, uptr) != refs)
			return -EIO;
		uptr += IOMMUFD_PAGE_SIZE;
	}
	return 0;
}

/*
 * Mark dirty the mock entries that the caller's bitmap names, one bit per
 * @page_size from @iova. Like 6.12's mock, the entry of bit i is looked up
 * at index (iova + i * page_size) / page_size of the mock table.
 */
static int iommufd_test_dirty(struct iommufd_ucmd *ucmd, uint32_t mockpt_id,
			      uint64_t iova, uint64_t length,
			      uint64_t page_size, uint64_t uptr)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_hw_pagetable *hwpt;
	uint64_t i, max, count = 0;
	unsigned char *bitmap;
	int rc;

	if (!page_size || !length || iova % page_size || length % page_size ||
	    !uptr)
		return -EINVAL;
	max = length / page_size;
	if (max > (16ULL << 20) * 8)
		return -EOVERFLOW;
	hwpt = get_md_pagetable(ucmd, mockpt_id, &rc);
	if (!hwpt)
		return rc;
	if (!mock_domain_dirty_tracking(hwpt->domain)) {
		rc = -EINVAL;
		goto out_put;
	}
	bitmap = iommufd_zalloc((max + 7) / 8);
	if (!bitmap) {
		rc = -ENOMEM;
		goto out_put;
	}
	rc = iommufd_copy_from_user(iommufd_umem_self(), bitmap, uptr,
				    (max + 7) / 8);
	if (rc)
		goto out_free;
	for (i = 0; i < max; i++) {
		uint64_t cur = iova + i * page_size;

		if (!(bitmap[i / 8] & (1U << (i % 8))))
			continue;
		if (!mock_domain_set_dirty(hwpt->domain,
					   cur / page_size * MOCK_IO_PAGE_SIZE))
			count++;
	}
	cmd->dirty.out_nr_dirty = count;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	iommufd_free(bitmap);
out_put:
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/* ---- accesses ------------------------------------------------------- */

/*
 * The file behind an access fd of CREATE_ACCESS: an access object, and the
 * ranges pinned through it by ACCESS_PAGES (items, numbered from 0).
 */
struct selftest_access {
	struct uiommufd_file file;
	struct iommufd_access *access;
	pthread_mutex_t lock;
	struct list_head items;
	unsigned int next_id;
};

struct selftest_access_item {
	struct list_head items_elm;
	uint64_t iova;
	uint64_t length;
	unsigned int id;
};

/* The access's ops->unmap: drop every item the range touches. */
static void iommufd_test_access_unmap(void *data, uint64_t iova,
				      uint64_t length)
{
	uint64_t iova_last = iova + length - 1;
	struct selftest_access *staccess = data;
	struct list_head *pos, *tmp;

	pthread_mutex_lock(&staccess->lock);
	list_for_each_safe(pos, tmp, &staccess->items)
	{
		struct selftest_access_item *item =
			list_entry(pos, struct selftest_access_item, items_elm);

		if (iova > item->iova + item->length - 1 ||
		    iova_last < item->iova)
			continue;
		list_del_init(&item->items_elm);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		iommufd_free(item);
	}
	pthread_mutex_unlock(&staccess->lock);
}

static const struct iommufd_access_ops selftest_access_ops_pin = {
	.needs_pin_pages = true,
	.unmap = iommufd_test_access_unmap,
};

static const struct iommufd_access_ops selftest_access_ops = {
	.unmap = iommufd_test_access_unmap,
};

/* The last close of the access fd. */
static void iommufd_test_staccess_release(struct uiommufd_file *file)
{
	struct selftest_access *staccess =
		container_of(file, struct selftest_access, file);

	if (staccess->access) {
		iommufd_test_access_unmap(staccess, 0, IOMMUFD_ULONG_MAX);
		iommufd_access_destroy(staccess->access);
	}
	pthread_mutex_destroy(&staccess->lock);
	iommufd_free(staccess);
}

/* The access behind fd @access_id, referenced; -EBADFD if none. */
static struct selftest_access *iommufd_access_get(struct iommufd_ucmd *ucmd,
						  uint32_t access_id)
{
	struct uiommufd_file *file;

	file = iommufd_file_get(ucmd->ictx, (int)access_id,
				iommufd_test_staccess_release);
	return file ? container_of(file, struct selftest_access, file) : NULL;
}

static int iommufd_test_create_access(struct iommufd_ucmd *ucmd,
				      uint32_t ioas_id, uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access *staccess;
	struct iommufd_access *access;
	uint32_t id;
	int fdno, rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	staccess = iommufd_zalloc(sizeof(*staccess));
	if (!staccess)
		return -ENOMEM;
	iommufd_file_init(&staccess->file, iommufd_test_staccess_release);
	pthread_mutex_init(&staccess->lock, NULL);
	list_init(&staccess->items);

	/* The fd comes first, as in the kernel; it owns the file from now. */
	fdno = iommufd_file_install(ucmd->ictx, &staccess->file);
	if (fdno < 0) {
		uiommufd_file_put(&staccess->file);
		return -ENOMEM;
	}
	access = iommufd_access_create(
		ucmd->ictx,
		(flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) ?
			&selftest_access_ops_pin :
			&selftest_access_ops,
		staccess, &id, &rc);
	if (!access)
		goto out_discard;
	rc = iommufd_access_attach(access, ioas_id);
	if (rc)
		goto out_destroy;
	cmd->create_access.out_access_fd = (uint32_t)fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_destroy;
	staccess->access = access;
	return 0;

out_destroy:
	iommufd_access_destroy(access);
out_discard:
	iommufd_file_discard(ucmd->ictx, fdno);
	return rc;
}

static int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd,
					    uint32_t access_id,
					    uint32_t ioas_id)
{
	struct selftest_access *staccess = iommufd_access_get(ucmd, access_id);
	int rc;

	if (!staccess)
		return -EBADFD;
	rc = iommufd_access_replace(staccess->access, ioas_id);
	uiommufd_file_put(&staccess->file);
	return rc;
}

static int iommufd_test_access_pages(struct iommufd_ucmd *ucmd,
				     uint32_t access_id, uint64_t iova,
				     uint64_t length, uint64_t uptr,
				     uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	uint64_t *pages, npages, i, first_page;
	int rc;

	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	staccess = iommufd_access_get(ucmd, access_id);
	if (!staccess)
		return -EBADFD;
	if (staccess->access->ops != &selftest_access_ops_pin) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	if (iova + length < iova) {
		rc = -EOVERFLOW;
		goto out_put;
	}
	first_page = iova & ~(IOMMUFD_PAGE_SIZE - 1);
	npages = ((iova + length + IOMMUFD_PAGE_SIZE - 1) &
		  ~(IOMMUFD_PAGE_SIZE - 1)) -
		 first_page;
	npages /= IOMMUFD_PAGE_SIZE;
	pages = iommufd_alloc_array(npages, sizeof(*pages));
	if (!pages) {
		rc = -ENOMEM;
		goto out_put;
	}

	/* One pin at a time: an unmap must find every pin it waits for. */
	pthread_mutex_lock(&staccess->lock);
	rc = iommufd_access_pin_pages(staccess->access, iova, length, pages,
				      flags & MOCK_FLAGS_ACCESS_WRITE);
	if (rc)
		goto out_unlock;
	/* The pinned pages must be those at uptr (NULL skips the check). */
	if (uptr) {
		uint64_t upage = uptr - (iova - first_page);

		for (i = 0; i != npages; i++) {
			rc = iommufd_umem_self()->ops->populate(
				iommufd_umem_self(),
				(upage + i * IOMMUFD_PAGE_SIZE) &
					~(IOMMUFD_PAGE_SIZE - 1),
				IOMMUFD_PAGE_SIZE, false);
			if (rc)
				goto out_unaccess;
			if (pages[i] != upage + i * IOMMUFD_PAGE_SIZE) {
				rc = -EBADE;
				goto out_unaccess;
			}
		}
	}
	item = iommufd_zalloc(sizeof(*item));
	if (!item) {
		rc = -ENOMEM;
		goto out_unaccess;
	}
	item->iova = iova;
	item->length = length;
	item->id = staccess->next_id++;
	list_add_tail(&item->items_elm, &staccess->items);
	cmd->access_pages.out_access_pages_id = item->id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		list_del_init(&item->items_elm);
		iommufd_free(item);
		goto out_unaccess;
	}
	goto out_unlock;

out_unaccess:
	iommufd_access_unpin_pages(staccess->access, iova, length);
out_unlock:
	pthread_mutex_unlock(&staccess->lock);
	iommufd_free(pages);
out_put:
	uiommufd_file_put(&staccess->file);
	return rc;
}

static int iommufd_test_access_item_destroy(struct iommufd_ucmd *ucmd,
					    uint32_t access_id,
					    uint32_t item_id)
{
	struct selftest_access *staccess = iommufd_access_get(ucmd, access_id);
	struct list_head *pos;

	if (!staccess)
		return -EBADFD;
	pthread_mutex_lock(&staccess->lock);
	list_for_each(pos, &staccess->items)
	{
		struct selftest_access_item *item =
			list_entry(pos, struct selftest_access_item, items_elm);

		if (item->id != item_id)
			continue;
		list_del_init(&item->items_elm);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		pthread_mutex_unlock(&staccess->lock);
		iommufd_free(item);
		uiommufd_file_put(&staccess->file);
		return 0;
	}
	pthread_mutex_unlock(&staccess->lock);
	uiommufd_file_put(&staccess->file);
	return -ENOENT;
}

static int iommufd_test_access_rw(struct iommufd_ucmd *ucmd, uint32_t access_id,
				  uint64_t iova, uint64_t length, uint64_t ubuf,
				  uint32_t flags)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	struct selftest_access *staccess;
	void *tmp;
	int rc;

	if (length > 16 * 1024 * 1024)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
		      MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	staccess = iommufd_access_get(ucmd, access_id);
	if (!staccess)
		return -EBADFD;
	tmp = iommufd_zalloc(length ? length : 1);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (flags & MOCK_ACCESS_RW_WRITE) {
		rc = iommufd_copy_from_user(umem, tmp, ubuf, length);
		if (rc)
			goto out_free;
	}
	rc = iommufd_access_rw(staccess->access, iova, tmp, length,
			       flags & (MOCK_ACCESS_RW_WRITE |
					MOCK_ACCESS_RW_SLOW_PATH));
	if (rc)
		goto out_free;
	if (!(flags & MOCK_ACCESS_RW_WRITE))
		rc = iommufd_copy_to_user(umem, ubuf, tmp, length);
out_free:
	iommufd_free(tmp);
out_put:
	uiommufd_file_put(&staccess->file);
	return rc;
}

/* Does IOTLB entry @iotlb_id of nested mock HWPT @mockpt_id hold @iotlb? */
static int iommufd_test_md_check_iotlb(struct iommufd_ucmd *ucmd,
				       uint32_t mockpt_id,
				       unsigned int iotlb_id, uint32_t iotlb)
{
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *obj;
	uint32_t value;
	int rc;

	obj = iommufd_get_object(ucmd->ictx, mockpt_id,
				 IOMMUFD_OBJ_HWPT_NESTED);
	if (!obj)
		return -ENOENT;
	hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
	if (!mock_domain_is_nested(hwpt->domain))
		rc = -EINVAL;
	else
		rc = mock_domain_nested_iotlb(hwpt->domain, iotlb_id, &value);
	if (!rc && value != iotlb)
		rc = -EINVAL;
	iommufd_put_object(obj);
	return rc;
}

/*
 * The mock device behind device @dev_id issues one page request (its
 * last page); it succeeds whether or not anything takes it, as the
 * kernel's does.
 */
static int iommufd_test_trigger_iopf(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct iommu_fault fault = {
		.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE,
		.pasid = cmd->trigger_iopf.pasid,
		.grpid = cmd->trigger_iopf.grpid,
		.perm = cmd->trigger_iopf.perm,
		.addr = cmd->trigger_iopf.addr,
	};
	struct iommufd_device *idev;

	idev = iommufd_get_device(ucmd->ictx, cmd->trigger_iopf.dev_id);
	if (!idev)
		return -ENOENT;
	if (!mock_dev_is_mock(idev->dev)) {
		iommufd_put_object(&idev->obj);
		return -EINVAL;
	}
	/* PASID 0 is the kernel's IOMMU_NO_PASID. */
	if (fault.pasid)
		fault.flags |= IOMMU_PGFAULT_FLAGS_PASID_VALID;
	(void)iommu_report_device_fault(idev->dev, &fault);
	iommufd_put_object(&idev->obj);
	return 0;
}

int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd, cmd->id,
						 cmd->add_reserved.start,
						 cmd->add_reserved.length);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_mock_domain_replace(
			ucmd, cmd->id, cmd->mock_domain_replace.pt_id, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_pa(ucmd, cmd->id,
						cmd->check_map.iova,
						cmd->check_map.length,
						cmd->check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_md_check_refs(ucmd, cmd->check_refs.uptr,
						  cmd->check_refs.length,
						  cmd->check_refs.refs);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd->id,
						  cmd->create_access.flags);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(
			ucmd, cmd->id, cmd->access_replace_ioas.ioas_id);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd->id,
						 cmd->access_pages.iova,
						 cmd->access_pages.length,
						 cmd->access_pages.uptr,
						 cmd->access_pages.flags);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(ucmd, cmd->id,
					      cmd->access_rw.iova,
					      cmd->access_rw.length,
					      cmd->access_rw.uptr,
					      cmd->access_rw.flags);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_access_item_destroy(
			ucmd, cmd->id,
			cmd->destroy_access_pages.access_pages_id);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* The limit only sizes the kernel's internal pin batches,
		 * which have no counterpart here: it is checked, not kept. */
		if (cmd->memory_limit.limit <
		    sizeof(unsigned long) + sizeof(uint32_t))
			return -EINVAL;
		return 0;
	case IOMMU_TEST_OP_DIRTY:
		return iommufd_test_dirty(ucmd, cmd->id, cmd->dirty.iova,
					  cmd->dirty.length,
					  cmd->dirty.page_size,
					  cmd->dirty.uptr);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return iommufd_test_md_check_iotlb(ucmd, cmd->id,
						   cmd->check_iotlb.id,
						   cmd->check_iotlb.iotlb);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return iommufd_test_trigger_iopf(ucmd, cmd);
	default:
		return -EOPNOTSUPP;
	}
}
