/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accesses: how an emulated mediated device reaches an IOAS without an
 * IOMMU domain, by pinning its pages or reading and writing through it.
 *
 * An access is attached to one IOAS at a time (@ioas, under @ioas_lock).
 * Pins it holds must be given back when the IOVA is unmapped: the unmap
 * calls ops->unmap of every access of the IOAS and waits for the pins to
 * go. @ioas_unpin is where its pins live, which differs from @ioas only
 * in the middle of a change of IOAS.
 *
 * The unmap notification runs without the IOAS's locks, on a snapshot of
 * the IOAS's accesses taken under iopt->access_list_lock; each access in
 * the snapshot holds a @notify_refs, and a dying access first waits for
 * them to drain (see iommufd_access_destroy()).
 */
#ifndef IOMMUFD_ACCESS_H
#define IOMMUFD_ACCESS_H

#include "io_pagetable.h"

struct iommufd_access_ops {
	bool needs_pin_pages;
	/* Unpin whatever is pinned in [iova, iova + length). */
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
};

struct iommufd_access {
	struct iommufd_object obj;
	struct uiommufd_ctx *ictx;
	const struct iommufd_access_ops *ops;
	void *data;
	uint64_t iova_alignment;
	pthread_mutex_t ioas_lock;
	struct iommufd_ioas *ioas;
	struct iommufd_ioas *ioas_unpin;
	pthread_mutex_t notify_lock;
	pthread_cond_t notify_done;
	unsigned int notify_refs;
	bool dying;
};

struct iommufd_access *
iommufd_access_create(struct uiommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      uint32_t *id, int *err);
void iommufd_access_destroy(struct iommufd_access *access);
void iommufd_access_destroy_object(struct iommufd_object *obj);
int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id);
int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id);
int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova,
			     uint64_t length, uint64_t *out_pages,
			     unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova,
				uint64_t length);
int iommufd_access_rw(struct iommufd_access *access, uint64_t iova, void *data,
		      uint64_t length, unsigned int flags);

#endif /* IOMMUFD_ACCESS_H */
