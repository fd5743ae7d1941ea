/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libuiommufd: the Linux 6.12 iommufd uAPI served from userspace.
 *
 * A context stands for one open file description of /dev/iommu. Requests
 * are the ioctl numbers and structs of <uiommufd/abi.h> (the same as the
 * kernel's <linux/iommufd.h>); every pointer inside a request refers to the
 * memory of the calling process, exactly as for the real ioctl(2).
 */
#ifndef UIOMMUFD_H
#define UIOMMUFD_H

#ifdef __cplusplus
extern "C" {
#endif

#define UIOMMUFD_EXPORT __attribute__((visibility("default")))

struct uiommufd_ctx;

/**
 * uiommufd_open() - create a context, as open("/dev/iommu") creates a file.
 *
 * Return: the new context, or NULL with errno set (ENOMEM).
 */
UIOMMUFD_EXPORT struct uiommufd_ctx *uiommufd_open(void);

/**
 * uiommufd_close() - release a context, as the last close() of the file.
 * @ctx: a context from uiommufd_open(); NULL is ignored.
 *
 * Every object of the context is destroyed, dependents before the objects
 * they use. The caller must make sure no other thread is still inside
 * uiommufd_ioctl() on @ctx (the kernel guarantees the same by holding a
 * reference on the file for the duration of each ioctl).
 */
UIOMMUFD_EXPORT void uiommufd_close(struct uiommufd_ctx *ctx);

/**
 * uiommufd_ioctl() - issue one iommufd ioctl on a context.
 * @ctx: the context.
 * @request: the ioctl number, e.g. IOMMU_IOAS_MAP. As with the syscall,
 *	only its low 32 bits are significant.
 * @arg: the ioctl's argument: a pointer to the request struct in the
 *	calling process.
 *
 * Behaves as ioctl(2) on a /dev/iommu file descriptor of Linux 6.12: the
 * same validation, the same results written back, the same errno. Bad
 * pointers in @arg or in arrays it points to yield EFAULT, never a crash.
 * Safe to call from many threads at once on the same context.
 *
 * Return: 0 (or a non-negative ioctl result) on success, -1 with errno set
 * on failure.
 */
UIOMMUFD_EXPORT int uiommufd_ioctl(struct uiommufd_ctx *ctx,
				   unsigned long request, void *arg);

/**
 * uiommufd_version() - the library's version string, e.g. "0.1.0".
 */
UIOMMUFD_EXPORT const char *uiommufd_version(void);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMUFD_H */
