// SPDX-License-Identifier: BSD-3-Clause
/*
 * Library files and their fds. A frontend (the preload shim) installs them
 * in its own fd table through uiommufd_fd_ops; without one, a table here
 * does it with real fds on /dev/null, closed by uiommufd_fd_close().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "file.h"

void iommufd_file_init(struct uiommufd_file *file,
		       void (*release)(struct uiommufd_file *file))
{
	atomic_init(&file->refs, 1);
	file->release = release;
	file->ops = NULL;
	file->pollfd = -1;
}

UIOMMUFD_EXPORT struct uiommufd_file *
uiommufd_file_get(struct uiommufd_file *file)
{
	atomic_fetch_add(&file->refs, 1);
	return file;
}

UIOMMUFD_EXPORT void uiommufd_file_put(struct uiommufd_file *file)
{
	if (file && atomic_fetch_sub(&file->refs, 1) == 1)
		file->release(file);
}

/* ---- the built-in table ---------------------------------------------- */

static pthread_mutex_t builtin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uiommufd_file **builtin_files;
static unsigned int builtin_size;

static int builtin_install(void *opaque, struct uiommufd_file *file)
{
	struct uiommufd_file **files;
	long fd;

	(void)opaque;
	/* The raw calls: a frontend may interpose open() itself. */
	if (file->pollfd >= 0)
		fd = syscall(SYS_fcntl, file->pollfd, F_DUPFD_CLOEXEC, 0);
	else
		fd = syscall(SYS_openat, AT_FDCWD, "/dev/null",
			     O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&builtin_lock);
	if ((unsigned long)fd >= builtin_size) {
		unsigned int size = (unsigned int)fd * 2 + 16;

		files = iommufd_realloc_array(builtin_files, size,
					      sizeof(*files));
		if (!files) {
			pthread_mutex_unlock(&builtin_lock);
			syscall(SYS_close, fd);
			return -ENOMEM;
		}
		for (unsigned int i = builtin_size; i < size; i++)
			files[i] = NULL;
		builtin_files = files;
		builtin_size = size;
	}
	builtin_files[fd] = file;
	pthread_mutex_unlock(&builtin_lock);
	return (int)fd;
}

static struct uiommufd_file *builtin_take(int fd)
{
	struct uiommufd_file *file = NULL;

	pthread_mutex_lock(&builtin_lock);
	if (fd >= 0 && (unsigned int)fd < builtin_size) {
		file = builtin_files[fd];
		builtin_files[fd] = NULL;
		if (file)
			syscall(SYS_close, fd);
	}
	pthread_mutex_unlock(&builtin_lock);
	return file;
}

static void builtin_discard(void *opaque, int fd)
{
	(void)opaque;
	uiommufd_file_put(builtin_take(fd));
}

static struct uiommufd_file *builtin_get(void *opaque, int fd)
{
	struct uiommufd_file *file = NULL;

	(void)opaque;
	pthread_mutex_lock(&builtin_lock);
	if (fd >= 0 && (unsigned int)fd < builtin_size && builtin_files[fd])
		file = uiommufd_file_get(builtin_files[fd]);
	pthread_mutex_unlock(&builtin_lock);
	return file;
}

static const struct uiommufd_fd_ops builtin_fd_ops = {
	.install = builtin_install,
	.discard = builtin_discard,
	.get = builtin_get,
};

UIOMMUFD_EXPORT int uiommufd_fd_close(int fd)
{
	struct uiommufd_file *file = builtin_take(fd);

	if (!file) {
		errno = EBADF;
		return -1;
	}
	uiommufd_file_put(file);
	return 0;
}

/* ---- per context ------------------------------------------------------ */

UIOMMUFD_EXPORT void uiommufd_set_fd_ops(struct uiommufd_ctx *ictx,
					 const struct uiommufd_fd_ops *ops,
					 void *opaque)
{
	ictx->fd_ops = ops;
	ictx->fd_opaque = opaque;
}

static const struct uiommufd_fd_ops *fd_ops(struct uiommufd_ctx *ictx)
{
	return ictx->fd_ops ? ictx->fd_ops : &builtin_fd_ops;
}

int iommufd_file_install(struct uiommufd_ctx *ictx, struct uiommufd_file *file)
{
	/* The kernel allocates the struct file here. */
	if (iommufd_should_failslab(256))
		return -ENOMEM;
	return fd_ops(ictx)->install(ictx->fd_opaque, file);
}

void iommufd_file_discard(struct uiommufd_ctx *ictx, int fd)
{
	fd_ops(ictx)->discard(ictx->fd_opaque, fd);
}

struct uiommufd_file *iommufd_file_get(struct uiommufd_ctx *ictx, int fd,
				       void (*release)(struct uiommufd_file *))
{
	struct uiommufd_file *file = fd_ops(ictx)->get(ictx->fd_opaque, fd);

	if (file && file->release != release) {
		uiommufd_file_put(file);
		file = NULL;
	}
	return file;
}

/* ---- the methods of files ------------------------------------------- */

UIOMMUFD_EXPORT enum uiommufd_file_kind
uiommufd_file_kind(struct uiommufd_file *file)
{
	return file->ops ? file->ops->kind : UIOMMUFD_FILE_OTHER;
}

UIOMMUFD_EXPORT int uiommufd_file_pollfd(struct uiommufd_file *file)
{
	return file->pollfd;
}

UIOMMUFD_EXPORT int uiommufd_file_ioctl(struct uiommufd_file *file,
					unsigned long request, void *arg)
{
	int rc = -ENOTTY;

	if (file->ops && file->ops->ioctl)
		rc = file->ops->ioctl(file, (unsigned int)request,
				      (uint64_t)(uintptr_t)arg);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

UIOMMUFD_EXPORT ssize_t uiommufd_file_rw(struct uiommufd_file *file, void *buf,
					 size_t count, uint64_t offset,
					 bool write)
{
	ssize_t rc = -EINVAL;

	if (file->ops && file->ops->rw)
		rc = file->ops->rw(file, (uint64_t)(uintptr_t)buf, count,
				   offset, write);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

UIOMMUFD_EXPORT int uiommufd_file_mmap(struct uiommufd_file *file,
				       uint64_t offset, uint64_t len, int flags,
				       int *fd, uint64_t *fd_offset)
{
	int rc = -ENODEV;

	if (file->ops && file->ops->mmap)
		rc = file->ops->mmap(file, offset, len, flags, fd, fd_offset);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/* ---- fds the library keeps for itself -------------------------------- */

/*
 * The library keeps fds of its own in the program's fd space (a fault
 * queue's eventfd, a BAR's memfd, the duplicates of the program's
 * interrupt eventfds, a forked child's pidfd; a frontend adds its own).
 * A frontend that interposes close(), close_range() or closefrom() must
 * leave these alone: the set is kept sorted for it, and its lock is held
 * across fork() so that the child's copy is whole.
 */
static pthread_mutex_t private_lock = PTHREAD_MUTEX_INITIALIZER;
static int *private_fds;
static size_t nr_private_fds, cap_private_fds;
static atomic_size_t nr_private;
/* The same set for the fds below PRIVATE_BITS, read without the lock:
 * a frontend asks on every close(). */
#define PRIVATE_BITS 65536
static _Atomic uint64_t private_bits[PRIVATE_BITS / 64];

static void private_bit(int fd, bool on)
{
	uint64_t bit = 1ULL << (fd % 64);

	if (fd >= PRIVATE_BITS)
		return;
	if (on)
		atomic_fetch_or(&private_bits[fd / 64], bit);
	else
		atomic_fetch_and(&private_bits[fd / 64], ~bit);
}

static void private_atfork_prepare(void)
{
	pthread_mutex_lock(&private_lock);
}

static void private_atfork_parent(void)
{
	pthread_mutex_unlock(&private_lock);
}

static void private_atfork_child(void)
{
	pthread_mutex_init(&private_lock, NULL);
}

/* Registered first, so that it prepares last (see fault_inject.c). */
__attribute__((constructor(101))) static void private_fds_init(void)
{
	pthread_atfork(private_atfork_prepare, private_atfork_parent,
		       private_atfork_child);
}

UIOMMUFD_EXPORT int uiommufd_private_fd_add(int fd)
{
	size_t i;
	int *fds;

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&private_lock);
	if (nr_private_fds == cap_private_fds) {
		size_t cap = cap_private_fds ? cap_private_fds * 2 : 16;

		/* Not iommufd_realloc_array(): no failure injected here. */
		fds = realloc(private_fds, cap * sizeof(*fds));
		if (!fds) {
			pthread_mutex_unlock(&private_lock);
			return fd; /* unprotected, but working */
		}
		private_fds = fds;
		cap_private_fds = cap;
	}
	for (i = nr_private_fds; i && private_fds[i - 1] > fd; i--)
		private_fds[i] = private_fds[i - 1];
	private_fds[i] = fd;
	private_bit(fd, true);
	atomic_store(&nr_private, ++nr_private_fds);
	pthread_mutex_unlock(&private_lock);
	return fd;
}

UIOMMUFD_EXPORT void uiommufd_private_fd_close(int fd)
{
	size_t i;

	if (fd < 0)
		return;
	pthread_mutex_lock(&private_lock);
	for (i = 0; i < nr_private_fds && private_fds[i] != fd; i++)
		;
	if (i < nr_private_fds) {
		memmove(private_fds + i, private_fds + i + 1,
			(nr_private_fds - i - 1) * sizeof(*private_fds));
		private_bit(fd, false);
		atomic_store(&nr_private, --nr_private_fds);
	}
	pthread_mutex_unlock(&private_lock);
	/* The raw call: a frontend's close() refuses private fds. */
	syscall(SYS_close, fd);
}

UIOMMUFD_EXPORT int uiommufd_private_fd_next(int from)
{
	int next = -1;
	size_t i;

	if (!atomic_load(&nr_private))
		return -1;
	pthread_mutex_lock(&private_lock);
	for (i = 0; i < nr_private_fds; i++)
		if (private_fds[i] >= from) {
			next = private_fds[i];
			break;
		}
	pthread_mutex_unlock(&private_lock);
	return next;
}

UIOMMUFD_EXPORT bool uiommufd_fd_is_private(int fd)
{
	if (fd < 0 || !atomic_load(&nr_private))
		return false;
	if (fd < PRIVATE_BITS)
		return atomic_load(&private_bits[fd / 64]) &
		       (1ULL << (fd % 64));
	return uiommufd_private_fd_next(fd) == fd;
}
