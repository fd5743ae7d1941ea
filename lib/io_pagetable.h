/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IO page table of an IOAS and the user pages behind it.
 *
 * Data model: an io_pagetable maps IOVA ranges ("areas") to slices of
 * iopt_pages, each iopt_pages being one range of user memory as given to
 * IOMMU_IOAS_MAP. IOMMU_IOAS_COPY makes new areas that share the source
 * area's iopt_pages, so a pages object lives as long as any area uses it.
 *
 * Ranges: `last` is inclusive everywhere; `end` would be exclusive.
 *
 * Locks, in order: iopt->domains_rwsem, iopt->iova_rwsem, pages->mutex.
 * iova_rwsem protects the three trees and iova_alignment; pages->mutex
 * protects the pin state of its pages.
 */
#ifndef IO_PAGETABLE_H
#define IO_PAGETABLE_H

#include "interval_tree.h"
#include "iommufd_private.h"

/* Mirror of the kernel's IOMMU_READ/WRITE/CACHE protection bits. */
enum {
	IOMMUFD_PROT_READ = 1 << 0,
	IOMMUFD_PROT_WRITE = 1 << 1,
	IOMMUFD_PROT_CACHE = 1 << 2,
};

enum {
	IOPT_ALLOC_IOVA = 1 << 0,
};

struct iommu_domain;

/*
 * @domains: the IOMMU domains every area is mirrored into; changed with
 * both locks held for writing. Areas are pinned (pages_node) while at
 * least one domain exists.
 */
struct io_pagetable {
	pthread_rwlock_t domains_rwsem;
	struct iommu_domain **domains;
	unsigned int nr_domains;
	/* struct iommufd_access attached here; its own lock, see access.c */
	pthread_mutex_t access_list_lock;
	struct list_head access_list;
	pthread_rwlock_t iova_rwsem;
	struct itree area_itree;
	/* IOVA that automatic allocation may use; empty means all of it */
	struct itree allowed_itree;
	/* IOVA that can never be mapped */
	struct itree reserved_itree;
	uint64_t iova_alignment;
	bool disable_large_pages;
};

/*
 * One mapped IOVA range. @pages is NULL while the area is being built or
 * torn down: lookups treat such an area as busy.
 */
struct iopt_area {
	struct itree_node node;
	/* Pins of accesses in this area; an unmap must wait for them */
	unsigned int num_accesses;
	/* Being unmapped: accesses may not pin or use it any more */
	bool prevent_access;
	/* The area's hold on its pages while domains mirror it */
	struct itree_node pages_node;
	bool domains_pinned;
	struct io_pagetable *iopt;
	struct iopt_pages *pages;
	/* index range of @pages covered, in IOMMUFD_PAGE_SIZE units */
	uint64_t start_index;
	uint64_t last_index;
	uint32_t page_offset;
	int iommu_prot;
};

struct iopt_allowed {
	struct itree_node node;
};

struct iopt_reserved {
	struct itree_node node;
	void *owner;
};

static inline uint64_t iopt_area_iova(const struct iopt_area *area)
{
	return area->node.start;
}

static inline uint64_t iopt_area_last_iova(const struct iopt_area *area)
{
	return area->node.last;
}

static inline uint64_t iopt_area_length(const struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Byte offset inside the area's pages of @iova. */
static inline uint64_t iopt_area_start_byte(const struct iopt_area *area,
					    uint64_t iova)
{
	return (iova - iopt_area_iova(area)) + area->page_offset +
	       area->start_index * IOMMUFD_PAGE_SIZE;
}

/*
 * A run of user pages. @pin_itree holds one node per pin holder, keyed by
 * page index; a page counts as pinned once however many holders cover it,
 * and @npinned is charged to the accounting mode chosen at creation.
 */
struct iopt_pages {
	struct list_head umem_item; /* in umem->pages_list */
	atomic_uint refcount;
	pthread_mutex_t mutex;
	struct iommufd_umem *umem;
	uint64_t uptr;
	uint64_t npages;
	uint64_t npinned;
	struct itree pin_itree;
	/* struct iopt_pages_access, by page index range */
	struct itree access_itree;
	bool writable;
	uint8_t account_mode;
};

int iopt_alloc_pages(struct iommufd_umem *umem, uint64_t uptr, uint64_t length,
		     bool writable, struct iopt_pages **out);
void iopt_get_pages_ref(struct iopt_pages *pages);
void iopt_put_pages(struct iopt_pages *pages);
/*
 * Pin pages [@pin->start, @pin->last] (indexes) for the holder @pin: fault
 * in what no other holder has, then charge it. -EFAULT, -ENOMEM.
 */
int iopt_pages_pin(struct iopt_pages *pages, struct itree_node *pin);
void iopt_pages_unpin(struct iopt_pages *pages, struct itree_node *pin);
void iopt_pages_split_pin_locked(struct iopt_pages *pages,
				 struct itree_node *old, struct itree_node *lhs,
				 struct itree_node *rhs);
enum {
	IOMMUFD_ACCESS_RW_READ = 0,
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	/* test only: take the path that pins pages temporarily */
	IOMMUFD_ACCESS_RW_SLOW_PATH = 1 << 2,
};

int iopt_area_add_access(struct iopt_area *area, uint64_t start_index,
			 uint64_t last_index, uint64_t *out_pages,
			 unsigned int flags);
void iopt_area_remove_access(struct iopt_area *area, uint64_t start_index,
			     uint64_t last_index);
int iopt_pages_rw_access(struct iopt_pages *pages, uint64_t start_byte,
			 void *data, uint64_t length, unsigned int flags);
/* How many iopt_pages of @umem hold the page at @uptr pinned. */
unsigned int iopt_pages_count_pins(struct iommufd_umem *umem, uint64_t uptr);

/* One slice of pages to be mapped at consecutive IOVA. */
struct iopt_pages_list {
	struct iopt_pages *pages;
	struct iopt_area *area;
	uint64_t start_byte;
	uint64_t length;
};

void iopt_init_table(struct io_pagetable *iopt);
void iopt_destroy_table(struct io_pagetable *iopt);
int iopt_map_user_pages(struct uiommufd_ctx *ictx, struct io_pagetable *iopt,
			uint64_t *iova, uint64_t uptr, uint64_t length,
			int iommu_prot, unsigned int flags);
int iopt_map_pages(struct io_pagetable *iopt, struct iopt_pages_list *list,
		   size_t nr, uint64_t length, uint64_t *dst_iova,
		   int iommu_prot, unsigned int flags);
int iopt_get_pages(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		   struct iopt_pages_list **list, size_t *nr);
void iopt_free_pages_list(struct iopt_pages_list *list, size_t nr);
int iopt_unmap_iova(struct io_pagetable *iopt, uint64_t iova, uint64_t length,
		    uint64_t *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, uint64_t *unmapped);
/*
 * Split the areas holding each of @iovas so that an area ends there, as
 * VFIO type1 v1 needs before it unmaps part of a mapping.
 */
int iopt_cut_iova(struct io_pagetable *iopt, const uint64_t *iovas,
		  size_t num_iovas);
int iopt_set_allow_iova(struct io_pagetable *iopt, struct itree *allowed);
void iopt_free_allowed(struct itree *allowed);
int iopt_reserve_iova(struct io_pagetable *iopt, uint64_t start, uint64_t last,
		      void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner);
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain);
void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain);
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iommu_domain *domain, bool enable);
int iopt_read_and_clear_dirty_data(struct io_pagetable *iopt,
				   struct iommufd_umem *umem,
				   struct iommu_domain *domain,
				   unsigned long flags,
				   struct iommu_hwpt_get_dirty_bitmap *bitmap);
struct iommufd_access;
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access);
void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access);
int iopt_access_pin_pages(struct io_pagetable *iopt, uint64_t iova,
			  uint64_t length, uint64_t *out_pages,
			  unsigned int flags);
void iopt_access_unpin_pages(struct io_pagetable *iopt, uint64_t iova,
			     uint64_t length);
int iopt_access_rw(struct io_pagetable *iopt, uint64_t iova, void *data,
		   uint64_t length, unsigned int flags);
void iopt_enable_large_pages(struct io_pagetable *iopt);
int iopt_disable_large_pages(struct io_pagetable *iopt);

/*
 * @mutex serialises attaching to the IOAS and protects @hwpt_list, the
 * paging HWPTs built on it (candidates for an automatic domain).
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	pthread_mutex_t mutex;
	struct list_head hwpt_list;
};

struct iommufd_ioas *iommufd_get_ioas(struct uiommufd_ctx *ictx, uint32_t id);
/* Sets errno and returns NULL on failure. */
struct iommufd_ioas *iommufd_ioas_alloc(struct uiommufd_ctx *ictx);

#endif /* IO_PAGETABLE_H */
