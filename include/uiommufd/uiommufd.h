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

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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
 * uiommufd_open_vfio_container() - create a context as open("/dev/vfio/vfio")
 * does on a kernel whose iommufd provides the VFIO container
 * (CONFIG_IOMMUFD_VFIO_CONTAINER).
 *
 * The context is the same as uiommufd_open()'s and answers the same ioctls,
 * the VFIO type1 container ioctls included; only its default accounting
 * differs: pinned pages are charged to the process (RLIMIT_MEMLOCK against
 * its locked memory), as the VFIO type1 driver charges them, instead of to
 * the user. IOMMU_OPTION_RLIMIT_MODE reads 1.
 *
 * Return: the new context, or NULL with errno set (ENOMEM).
 */
UIOMMUFD_EXPORT struct uiommufd_ctx *uiommufd_open_vfio_container(void);

/**
 * uiommufd_close() - release a context, as the last close() of the file.
 * @ctx: a context from uiommufd_open(); NULL is ignored.
 *
 * Drops the caller's reference; while a VFIO device bound to the context
 * (or a group set to it) holds another, the context lives on, as the
 * kernel's file does.
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
 * struct uiommufd_file - a file some ioctls create besides objects, which
 * the caller gets as a new file descriptor: the access fd of
 * IOMMU_TEST_CMD's CREATE_ACCESS (and, later, fault queues and VFIO
 * devices). The file lives while its fd (and any duplicate) is open.
 */
struct uiommufd_file;

/**
 * struct uiommufd_fd_ops - how a frontend gives library files their fds.
 * @install: put @file behind a new close-on-exec fd of the process and
 *	return it (or -errno). The fd owns the reference passed in; when its
 *	last duplicate closes, the frontend calls uiommufd_file_put().
 * @discard: close an fd @install just made, because the ioctl that made
 *	it failed after all; drops the fd's reference.
 * @get: the file behind @fd with a new reference (dropped with
 *	uiommufd_file_put()), or NULL if @fd is not a library file.
 *
 * A preload frontend maps them onto its fd table. Without fd ops set, the
 * library uses its own table: the fds are real (on /dev/null) and must be
 * closed with uiommufd_fd_close().
 */
struct uiommufd_fd_ops {
	int (*install)(void *opaque, struct uiommufd_file *file);
	void (*discard)(void *opaque, int fd);
	struct uiommufd_file *(*get)(void *opaque, int fd);
};

/**
 * uiommufd_set_fd_ops() - route the fds of @ctx's files through @ops.
 * @opaque is passed to every op. Set before the first ioctl.
 */
UIOMMUFD_EXPORT void uiommufd_set_fd_ops(struct uiommufd_ctx *ctx,
					 const struct uiommufd_fd_ops *ops,
					 void *opaque);

/**
 * uiommufd_file_get() - take another reference to a library file.
 * Return: @file.
 */
UIOMMUFD_EXPORT struct uiommufd_file *
uiommufd_file_get(struct uiommufd_file *file);

/**
 * uiommufd_file_put() - drop a reference to a library file; the last one
 * releases it, as the last close() of its fd would.
 */
UIOMMUFD_EXPORT void uiommufd_file_put(struct uiommufd_file *file);

/**
 * uiommufd_fd_close() - close an fd the library made with its own table
 * (no fd ops set): releases the file, then closes the fd.
 *
 * Return: 0, or -1 with errno EBADF if @fd is not such an fd.
 */
UIOMMUFD_EXPORT int uiommufd_fd_close(int fd);

/**
 * enum uiommufd_file_kind - what a library file is, for a frontend that
 * must answer fstat() or route calls: an access or fault fd, a VFIO device
 * fd, a VFIO group.
 */
enum uiommufd_file_kind {
	UIOMMUFD_FILE_OTHER,
	UIOMMUFD_FILE_VFIO_DEVICE,
	UIOMMUFD_FILE_VFIO_GROUP,
	UIOMMUFD_FILE_FAULT,
};

UIOMMUFD_EXPORT enum uiommufd_file_kind
uiommufd_file_kind(struct uiommufd_file *file);

/**
 * uiommufd_file_pollfd() - a real fd whose poll(2)/epoll readiness is
 * that of @file (a fault queue's), or -1 if @file has none. The frontend
 * gives the program a duplicate of it as the file's fd (F_DUPFD_CLOEXEC),
 * so that poll, select and epoll work on it unaided; reads and writes
 * still go to uiommufd_file_rw(). The library owns it: never close it.
 */
UIOMMUFD_EXPORT int uiommufd_file_pollfd(struct uiommufd_file *file);

/**
 * uiommufd_private_fd_add() - count @fd among the fds the library keeps for
 * itself (a fault queue's eventfd, a BAR's memfd, an interrupt eventfd's
 * duplicate, a pidfd; a frontend adds its own). A frontend interposing
 * close(), close_range() or closefrom() leaves these alone, as if nothing
 * of the program's were open there (uiommufd_private_fd_next()).
 * Return: @fd.
 */
UIOMMUFD_EXPORT int uiommufd_private_fd_add(int fd);

/**
 * uiommufd_private_fd_close() - forget @fd as private and close it (with the
 * raw system call: a frontend's close() would refuse it).
 */
UIOMMUFD_EXPORT void uiommufd_private_fd_close(int fd);

/**
 * uiommufd_private_fd_next() - the lowest private fd at or above @from, or
 * -1 if none.
 */
UIOMMUFD_EXPORT int uiommufd_private_fd_next(int from);

/**
 * uiommufd_fd_is_private() - is @fd one of them? Cheap enough for every
 * close().
 */
UIOMMUFD_EXPORT bool uiommufd_fd_is_private(int fd);

/**
 * uiommufd_file_ioctl() - ioctl(2) on a library file's fd. Same contract
 * as uiommufd_ioctl(): the kernel's results and errno (ENOTTY for a file
 * without ioctls).
 */
UIOMMUFD_EXPORT int uiommufd_file_ioctl(struct uiommufd_file *file,
					unsigned long request, void *arg);

/**
 * uiommufd_file_rw() - pread(2)/pwrite(2) of @count bytes at @offset of a
 * library file (a VFIO device's regions; a fault queue, which has no
 * position: its read(2)/write(2) pass @offset 0, and it refuses others
 * with ESPIPE). @buf is the caller's memory; a bad one gives EFAULT.
 * Return: bytes moved, or -1 with errno set.
 */
UIOMMUFD_EXPORT ssize_t uiommufd_file_rw(struct uiommufd_file *file, void *buf,
					 size_t count, uint64_t offset,
					 bool write);

/**
 * uiommufd_file_mmap() - what mmap(2) of @len bytes at @offset of a
 * library file with mmap @flags maps: the frontend maps *@fd at
 * *@fd_offset instead (the memory behind a mappable BAR).
 * Return: 0, or -1 with errno (EINVAL: not mappable there, as the
 * kernel's; ENODEV: the file cannot be mapped at all).
 */
UIOMMUFD_EXPORT int uiommufd_file_mmap(struct uiommufd_file *file,
				       uint64_t offset, uint64_t len, int flags,
				       int *fd, uint64_t *fd_offset);

/**
 * struct uiommufd_host_ops - how the library reaches the fds a VFIO
 * request names (VFIO_DEVICE_BIND_IOMMUFD's iommufd,
 * VFIO_GROUP_SET_CONTAINER's container, VFIO_DEVICE_PCI_HOT_RESET's
 * groups), process-wide.
 * @ctx_get: the context behind @fd with a new reference (taken with
 *	uiommufd_ctx_ref(), dropped by the library with uiommufd_close()),
 *	or NULL with *err set: -EBADF for no such fd, -EBADFD for an fd that
 *	is not an iommufd.
 * @file_get: the library file behind @fd, referenced, or NULL with *err
 *	set: -EBADF for no such fd, -EBADFD for an open fd that is not a
 *	library file (the kernel's answers differ: EBADF against EINVAL).
 */
struct uiommufd_host_ops {
	struct uiommufd_ctx *(*ctx_get)(void *opaque, int fd, int *err);
	struct uiommufd_file *(*file_get)(void *opaque, int fd, int *err);
};

UIOMMUFD_EXPORT void uiommufd_set_host_ops(const struct uiommufd_host_ops *ops,
					   void *opaque);

/**
 * uiommufd_ctx_ref() - one more reference to @ctx: uiommufd_close() then
 * drops one, and the last one releases the context.
 * Return: @ctx.
 */
UIOMMUFD_EXPORT struct uiommufd_ctx *uiommufd_ctx_ref(struct uiommufd_ctx *ctx);

/**
 * struct uiommufd_mm - the memory of another process, for a frontend that
 * issues calls on that process's behalf (the preload shim serving a child
 * that inherited its fds across fork()).
 *
 * While a thread uses it (uiommufd_mm_use()), every user pointer of the
 * calls it makes (ioctl structs, the arrays they point to, IOMMU_IOAS_MAP's
 * user_va, VFIO region buffers) is an address in that process, read and
 * written with process_vm_readv/writev; pins, RLIMIT_MEMLOCK and
 * capabilities are that process's. Pages mapped that way keep the mm
 * referenced and reach the process's memory as long as it lives.
 *
 * A pin of its memory (a domain to fill, an access) succeeds only where
 * the calling process maps the same shared memory at the same address
 * (MAP_SHARED memory both inherited from before a fork), because the
 * library's "physical address" of a page is an address of the calling
 * process; elsewhere it fails with EFAULT, where the kernel would pin the
 * other process's page. Pinned pages stay readable through accesses after
 * the other process is gone, as in the kernel.
 */
struct uiommufd_mm;

/**
 * uiommufd_mm_open() - the memory of process @pid (which the caller must
 * be allowed to ptrace).
 * Return: a reference, or NULL with errno set.
 */
UIOMMUFD_EXPORT struct uiommufd_mm *uiommufd_mm_open(pid_t pid);

/**
 * uiommufd_mm_gone() - say that the process of @mm exited or exec'd: from
 * now on its memory is not reached any more (EFAULT), even if its pid is
 * reused. Pins already taken stay valid. NULL is ignored.
 */
UIOMMUFD_EXPORT void uiommufd_mm_gone(struct uiommufd_mm *mm);

/**
 * uiommufd_mm_put() - drop the caller's reference to @mm; pages mapped from
 * it keep their own. NULL is ignored.
 */
UIOMMUFD_EXPORT void uiommufd_mm_put(struct uiommufd_mm *mm);

/**
 * uiommufd_mm_use() - make the calling thread's calls act for @mm (NULL:
 * for the calling process again), as the kernel's calls act for
 * current->mm. The caller keeps its reference to @mm while it is in use.
 * Return: what the thread used before.
 */
UIOMMUFD_EXPORT struct uiommufd_mm *uiommufd_mm_use(struct uiommufd_mm *mm);

/**
 * uiommufd_version() - the library's version string, e.g. "0.1.0".
 */
UIOMMUFD_EXPORT const char *uiommufd_version(void);

/*
 * Fault injection, as a kernel with CONFIG_FAULT_INJECTION offers it to
 * programs through /proc/PID/task/TID/fail-nth and the debugfs directories
 * failslab/, fail_page_alloc/, fail_usercopy/ and fail_iommufd/: these are
 * the handlers behind those files, with the kernel's formats and errnos,
 * for a frontend (the preload shim) to serve them. Which library sites
 * belong to which directory: lib/fault_inject.c.
 */

/**
 * uiommufd_fail_nth_write() - write(2) on thread @tid's fail-nth file.
 * @tid: a thread of the calling process (any, not only the caller).
 * @buf: the caller's bytes: an unsigned number as kstrtouint() takes it
 *	(base 0, one trailing newline); only the first 34 bytes are read.
 * @count: their length.
 *
 * Arms @tid: its Nth eligible injection site from now fails; 0 disarms.
 *
 * Return: @count, or -1 with errno EFAULT (bad @buf), EINVAL (not a
 * number), ERANGE (above UINT_MAX) or ESRCH (no such thread).
 */
UIOMMUFD_EXPORT ssize_t uiommufd_fail_nth_write(pid_t tid, const void *buf,
						size_t count);

/**
 * uiommufd_fail_nth_read() - read(2) on thread @tid's fail-nth file.
 * @tid: a thread of the calling process.
 * @buf: where to put up to @count bytes of "%u\n" of the count left (0
 *	once the armed failure was injected).
 * @count: room in @buf.
 * @pos: the file position, advanced by what was read.
 *
 * Return: the bytes read (0 at the end), or -1 with errno EFAULT or ESRCH.
 */
UIOMMUFD_EXPORT ssize_t uiommufd_fail_nth_read(pid_t tid, void *buf,
					       size_t count, uint64_t *pos);

/**
 * uiommufd_fault_dir_name() - the name of debugfs fault directory @dir
 * (from 0: "failslab", "fail_page_alloc", "fail_usercopy",
 * "fail_iommufd").
 * Return: the name, or NULL past the last directory.
 */
UIOMMUFD_EXPORT const char *uiommufd_fault_dir_name(unsigned int dir);

/**
 * uiommufd_fault_knob_name() - the name of the @knob-th file of fault
 * directory @dir ("probability", "ignore-gfp-wait", ...).
 * Return: the name, or NULL past the last file.
 */
UIOMMUFD_EXPORT const char *uiommufd_fault_knob_name(unsigned int dir,
						     unsigned int knob);

/**
 * uiommufd_fault_knob_read() - read(2) on a debugfs fault knob.
 * @dir: the directory, as for uiommufd_fault_dir_name().
 * @knob: the file, as for uiommufd_fault_knob_name().
 * @buf: where to put up to @count bytes of the value as debugfs prints
 *	it ("%llu\n", "%d\n" for times and space, "Y\n" / "N\n").
 * @count: room in @buf.
 * @pos: the file position, advanced by what was read.
 *
 * Return: the bytes read (0 at the end), or -1 with errno EFAULT, or
 * ENOENT for no such knob.
 */
UIOMMUFD_EXPORT ssize_t uiommufd_fault_knob_read(unsigned int dir,
						 unsigned int knob, void *buf,
						 size_t count, uint64_t *pos);

/**
 * uiommufd_fault_knob_write() - write(2) on a debugfs fault knob.
 * @dir: the directory.
 * @knob: the file.
 * @buf: the caller's bytes: a number as kstrtoull() (kstrtoll() for times
 *	and space) takes it, of which the first 23 bytes are read; or, for a
 *	boolean, y/Y/1/on or n/N/0/off (anything else is ignored, as debugfs
 *	does).
 * @count: their length.
 *
 * Return: @count, or -1 with errno EFAULT, EINVAL, ERANGE, or ENOENT for no
 * such knob.
 */
UIOMMUFD_EXPORT ssize_t uiommufd_fault_knob_write(unsigned int dir,
						  unsigned int knob,
						  const void *buf,
						  size_t count);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMUFD_H */
