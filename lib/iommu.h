/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOMMU layer beneath iommufd: devices, the driver that owns them, and
 * domains, the address spaces device DMA is translated through.
 *
 * A domain is a set of ops over a page-table format; "physical" addresses
 * in this library are addresses in the memory of the process whose pages
 * are mapped, since that is what an emulated device reaches. A driver
 * (struct iommu_driver) allocates domains for its devices and answers the
 * questions iommufd asks about them; the mock driver of the kernel's
 * selftests is one (mock_iommu.c).
 */
#ifndef IOMMUFD_IOMMU_H
#define IOMMUFD_IOMMU_H

#include "iommufd_private.h"

struct iommu_domain;
struct iommufd_dev;
struct iopf_group;
struct iommu_user_data_array;

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED,
	IOMMU_DOMAIN_PAGING,
	IOMMU_DOMAIN_NESTED,
};

struct iommu_domain_ops {
	/* May @dev use @domain? -EINVAL means "not this one, try another" */
	int (*attach_dev)(struct iommu_domain *domain, struct iommufd_dev *dev);
	/* Map @pgcount pages of @pgsize; *mapped grows as pages are mapped. */
	int (*map_pages)(struct iommu_domain *domain, uint64_t iova,
			 uint64_t paddr, uint64_t pgsize, uint64_t pgcount,
			 int prot, uint64_t *mapped);
	/* Returns the bytes unmapped. */
	uint64_t (*unmap_pages)(struct iommu_domain *domain, uint64_t iova,
				uint64_t pgsize, uint64_t pgcount);
	uint64_t (*iova_to_phys)(struct iommu_domain *domain, uint64_t iova);
	/*
	 * A nested domain's cache invalidation from user space: walks the
	 * array and sets array->entry_num to the entries handled.
	 */
	int (*cache_invalidate_user)(struct iommu_domain *domain,
				     struct iommu_user_data_array *array);
	void (*free)(struct iommu_domain *domain);
};

/*
 * One dirty-tracking report being filled: @record is told each dirty
 * range. A NULL @record only clears (IOMMU_HWPT_SET_DIRTY_TRACKING does
 * that when tracking starts).
 */
struct iommu_dirty_bitmap {
	void (*record)(struct iommu_dirty_bitmap *dirty, uint64_t iova,
		       uint64_t length);
	void *priv;
};

enum {
	IOMMU_DIRTY_NO_CLEAR_FLAG = 1 << 0,
};

struct iommu_dirty_ops {
	int (*set_dirty_tracking)(struct iommu_domain *domain, bool enable);
	int (*read_and_clear_dirty)(struct iommu_domain *domain, uint64_t iova,
				    uint64_t size, unsigned long flags,
				    struct iommu_dirty_bitmap *dirty);
};

struct iommu_domain {
	enum iommu_domain_type type;
	const struct iommu_domain_ops *ops;
	const struct iommu_dirty_ops *dirty_ops; /* NULL: no dirty tracking */
	const struct iommu_driver *owner;
	uint64_t pgsize_bitmap;
	uint64_t aperture_start;
	uint64_t aperture_end; /* inclusive */
	/* Who takes the page requests of devices attached here; NULL: none */
	int (*iopf_handler)(struct iopf_group *group);
	void *fault_data;
};

/* Driver data a domain allocation request carries (IOMMU_HWPT_ALLOC). */
struct iommu_user_data {
	uint32_t type;
	uint64_t uptr;
	uint64_t len;
	struct iommufd_umem *umem;
};

/* An array of driver entries (IOMMU_HWPT_INVALIDATE). */
struct iommu_user_data_array {
	uint32_t type;
	uint64_t uptr;
	uint32_t entry_len;
	uint32_t entry_num;
	struct iommufd_umem *umem;
};

/*
 * Copy driver data of @type into @dst (@size bytes, of which the first
 * @min_size must come from the user): -EINVAL for another type or a length
 * outside [min_size, size], -EFAULT, zero-filling a shorter struct.
 */
int iommu_copy_struct_from_user(void *dst, const struct iommu_user_data *src,
				uint32_t type, size_t size, size_t min_size);
/* Entry @index of @array, as iommu_copy_struct_from_user() copies one. */
int iommu_copy_struct_from_user_array(void *dst,
				      const struct iommu_user_data_array *array,
				      uint32_t type, uint32_t index,
				      size_t size, size_t min_size);

/* A page request of a device (PRI), as the IOMMU reports it. */
struct iommu_fault {
	uint32_t flags; /* IOMMU_PGFAULT_FLAGS_* */
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm; /* IOMMU_PGFAULT_PERM_* */
	uint64_t addr;
};

/*
 * A group of page requests ending with the last-page one, handed to the
 * handler of the domain the device is attached to. @attach_handle is the
 * attachment it came through (see iommu_attach_device_handle()); @cookie
 * is for the handler. Answered once, with iopf_group_response().
 */
struct iopf_group {
	struct list_head node;
	struct iommu_fault fault;
	struct iommufd_dev *dev;
	struct iommu_domain *domain;
	void *attach_handle;
	uint32_t cookie;
};

/* Answers to a page request. */
enum iommu_page_response_code {
	IOMMU_PAGE_RESP_SUCCESS = 0,
	IOMMU_PAGE_RESP_INVALID,
	IOMMU_PAGE_RESP_FAILURE,
};

enum iommu_cap {
	IOMMU_CAP_CACHE_COHERENCY,
	IOMMU_CAP_DIRTY_TRACKING,
};

struct iommu_driver {
	const char *name;
	/* Hardware description for IOMMU_GET_HW_INFO: iommufd_free()'d. */
	void *(*hw_info)(struct iommufd_dev *dev, uint32_t *length,
			 uint32_t *type, int *err);
	/* Returns the domain, or NULL with *err set. */
	struct iommu_domain *(*domain_alloc_user)(
		struct iommufd_dev *dev, uint32_t flags,
		struct iommu_domain *parent,
		const struct iommu_user_data *user_data, int *err);
	bool (*capable)(struct iommufd_dev *dev, enum iommu_cap cap);
	/* Let the device issue page requests (IOPF); NULL: it cannot. */
	int (*enable_iopf)(struct iommufd_dev *dev);
	void (*disable_iopf)(struct iommufd_dev *dev);
	/* Send the answer to a page request back to the device. */
	void (*page_response)(struct iommufd_dev *dev,
			      const struct iommu_fault *fault,
			      enum iommu_page_response_code code);
	/*
	 * A PASID-tagged page request of a device attached without PASID
	 * goes to its nested domain: the guest owns the PASID table.
	 */
	bool user_pasid_table;
	/* What a device not attached to anything is attached to. */
	struct iommu_domain *blocked_domain;
};

/* IOVA a device cannot use (an MSI window, say); @last inclusive. */
struct iommu_resv_region {
	uint64_t start;
	uint64_t last;
};

/*
 * A device as the IOMMU layer sees it ("struct device"). @domain is the
 * domain it is attached to, the driver's blocked domain when none.
 */
struct iommufd_dev {
	const struct iommu_driver *driver;
	/*
	 * Changes under @domain_lock (written), which the device's own DMA
	 * holds (read) while it uses the domain, so that a domain is never
	 * freed under a transfer.
	 */
	struct iommu_domain *domain;
	pthread_rwlock_t domain_lock;
	unsigned long flags; /* the driver's */
	void *priv;
	/* Become reserved IOVA of every IOAS the device is attached to */
	const struct iommu_resv_region *resv_regions;
	unsigned int nr_resv_regions;
	/* Whether some iommufd context has bound it (one at a time). */
	bool bound;
	/* The attachment's handle (see iommu_attach_device_handle()) */
	void *attach_handle;
};

/*
 * Map [iova, iova + size) to [paddr, paddr + size) with the largest page
 * sizes of the domain that alignment allows, as the kernel's iommu_map()
 * splits a range. On failure nothing stays mapped.
 */
int iommu_map(struct iommu_domain *domain, uint64_t iova, uint64_t paddr,
	      uint64_t size, int prot);
/* Returns the bytes unmapped; stops at the first hole a driver reports. */
uint64_t iommu_unmap(struct iommu_domain *domain, uint64_t iova, uint64_t size);
void iommu_domain_free(struct iommu_domain *domain);
/* Attach @dev to @domain (replacing what it had); -errno from the driver */
int iommu_attach_device(struct iommu_domain *domain, struct iommufd_dev *dev);
/*
 * As iommu_attach_device(), recording @handle (the attacher's, NULL for
 * none) as what the device's page requests come through from now.
 */
int iommu_attach_device_handle(struct iommu_domain *domain,
			       struct iommufd_dev *dev, void *handle);
void iommu_detach_device(struct iommufd_dev *dev);
/* -ENODEV when the device cannot issue page requests. */
int iommu_dev_enable_iopf(struct iommufd_dev *dev);
void iommu_dev_disable_iopf(struct iommufd_dev *dev);
/*
 * A device's page request: to the handler of the domain it is attached
 * to, or, with none, answered INVALID at once (-EINVAL).
 */
int iommu_report_device_fault(struct iommufd_dev *dev,
			      const struct iommu_fault *fault);
void iopf_group_response(struct iopf_group *group,
			 enum iommu_page_response_code code);
void iopf_free_group(struct iopf_group *group);
bool iommu_device_capable(struct iommufd_dev *dev, enum iommu_cap cap);

#endif /* IOMMUFD_IOMMU_H */
