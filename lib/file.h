/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Library files: what an ioctl hands out as a new fd besides an object
 * (see struct uiommufd_file in uiommufd.h). Each kind embeds a
 * uiommufd_file and names its release function, which also tells the
 * kinds apart when an fd comes back in a later ioctl.
 */
#ifndef IOMMUFD_FILE_H
#define IOMMUFD_FILE_H

#include "iommufd_private.h"

/*
 * What a kind of file answers besides close (NULL members: the file has no
 * such method, and the call fails as the kernel fails it for such a file).
 * Each returns a -errno on failure; @arg and @buf are the caller's.
 */
struct iommufd_file_ops {
	enum uiommufd_file_kind kind;
	int (*ioctl)(struct uiommufd_file *file, unsigned int cmd,
		     uint64_t arg);
	ssize_t (*rw)(struct uiommufd_file *file, uint64_t buf, size_t count,
		      uint64_t offset, bool write);
	int (*mmap)(struct uiommufd_file *file, uint64_t offset, uint64_t len,
		    int flags, int *fd, uint64_t *fd_offset);
};

struct uiommufd_file {
	atomic_uint refs;
	void (*release)(struct uiommufd_file *file);
	const struct iommufd_file_ops *ops; /* NULL: none of them */
	/* A real fd whose poll() readiness is the file's; -1: none. */
	int pollfd;
};

void iommufd_file_init(struct uiommufd_file *file,
		       void (*release)(struct uiommufd_file *file));
/* A new fd for @file, owning the caller's reference; -errno on failure. */
int iommufd_file_install(struct uiommufd_ctx *ictx, struct uiommufd_file *file);
/* Undo iommufd_file_install() of @fd: the fd's reference is dropped. */
void iommufd_file_discard(struct uiommufd_ctx *ictx, int fd);
/* The file of kind @release behind @fd, referenced; NULL otherwise. */
struct uiommufd_file *iommufd_file_get(struct uiommufd_ctx *ictx, int fd,
				       void (*release)(struct uiommufd_file *));

#endif /* IOMMUFD_FILE_H */
