// SPDX-License-Identifier: BSD-3-Clause
/*
 * The preload shim: serves /dev/iommu to an unmodified, dynamically linked
 * program by interposing the libc entry points it uses on a device node.
 *
 * An emulated fd is a real kernel fd on /dev/null opened with the caller's
 * flags, so fd numbering, close-on-exec, poll and F_GETFL behave as for the
 * real node. A table indexed by fd number maps it to a shim_file, which
 * stands for the open file description: dup'ed fds point at the same
 * shim_file and the context is released when its last reference goes, as
 * with a struct file. Every ioctl on an emulated fd holds a reference for
 * its duration, so a concurrent close() cannot free the context under it.
 *
 * Locks, outermost first:
 *   call_lock (rwlock)  held shared by every call into the library and
 *                       exclusively across fork(), so that the child's copy
 *                       of the library state is never caught mid-update.
 *   table_lock (mutex)  protects table mutations together with the fd
 *                       operation they mirror (open, dup*, close*), and
 *                       taking a reference from the table.
 * Readers first check the table without a lock: a NULL entry means "not
 * ours" and the call goes straight to libc, so programs that never open
 * /dev/iommu pay one load per wrapped call.
 *
 * This file has two halves: static helpers, then the exported wrappers.
 * Helpers never call a wrapped name: they go through real_*() so they
 * cannot recurse into the shim.
 */
/*
 * Every wrapper must define the symbol it is named after. With
 * _FILE_OFFSET_BITS=64 (meson's default) glibc's headers redirect open,
 * stat and friends to their *64 twins, so a definition of open() would
 * silently define open64(). On LP64 both take the same types, so the
 * shim is built without it and wraps both names explicitly.
 */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/mman.h>
#include <uiommufd/device.h>
#include <uiommufd/uiommufd.h>

#include "fork.h"
#include "sysfs.h"
#include "trace.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* ---- the real libc functions ---------------------------------------- */

/*
 * Each real_<name> resolves libc's <name> with dlsym(RTLD_NEXT) on first
 * use. The pointer is published atomically, so racing threads at worst
 * both look it up. A lookup can only fail if libc lacks the symbol; then
 * the shim cannot forward and says so rather than crashing later.
 */
static void *resolve_next(void *_Atomic *slot, const char *name)
{
	void *fn = atomic_load_explicit(slot, memory_order_acquire);

	if (fn)
		return fn;
	fn = dlsym(RTLD_NEXT, name);
	if (!fn) {
		static const char msg[] =
			"uiommufd preload: libc symbol not found\n";

		syscall(SYS_write, 2, msg, sizeof(msg) - 1);
		abort();
	}
	atomic_store_explicit(slot, fn, memory_order_release);
	return fn;
}

#define REAL(name, ret, params)                                   \
	static ret(*real_##name##_fn(void)) params                \
	{                                                         \
		static void *_Atomic slot;                        \
		return (ret(*) params)resolve_next(&slot, #name); \
	}

REAL(open, int, (const char *, int, ...))
REAL(open64, int, (const char *, int, ...))
REAL(openat, int, (int, const char *, int, ...))
REAL(openat64, int, (int, const char *, int, ...))
REAL(__open_2, int, (const char *, int))
REAL(__open64_2, int, (const char *, int))
REAL(__openat_2, int, (int, const char *, int))
REAL(__openat64_2, int, (int, const char *, int))
REAL(close, int, (int))
REAL(waitpid, pid_t, (pid_t, int *, int))
REAL(wait4, pid_t, (pid_t, int *, int, struct rusage *))
REAL(waitid, int, (idtype_t, id_t, siginfo_t *, int))
REAL(fopen, FILE *, (const char *, const char *))
REAL(fopen64, FILE *, (const char *, const char *))
REAL(opendir, DIR *, (const char *))
REAL(readlink, ssize_t, (const char *, char *, size_t))
REAL(readlinkat, ssize_t, (int, const char *, char *, size_t))
REAL(realpath, char *, (const char *, char *))
REAL(canonicalize_file_name, char *, (const char *))
REAL(mmap, void *, (void *, size_t, int, int, int, off_t))
REAL(mmap64, void *, (void *, size_t, int, int, int, off64_t))
REAL(close_range, int, (unsigned int, unsigned int, int))
REAL(closefrom, void, (int))
REAL(ioctl, int, (int, unsigned long, ...))
REAL(dup, int, (int))
REAL(dup2, int, (int, int))
REAL(dup3, int, (int, int, int))
REAL(fcntl, int, (int, int, ...))
REAL(fcntl64, int, (int, int, ...))
REAL(stat, int, (const char *, struct stat *))
REAL(lstat, int, (const char *, struct stat *))
REAL(fstat, int, (int, struct stat *))
REAL(fstatat, int, (int, const char *, struct stat *, int))
REAL(stat64, int, (const char *, struct stat64 *))
REAL(lstat64, int, (const char *, struct stat64 *))
REAL(fstat64, int, (int, struct stat64 *))
REAL(fstatat64, int, (int, const char *, struct stat64 *, int))
REAL(__xstat, int, (int, const char *, struct stat *))
REAL(__lxstat, int, (int, const char *, struct stat *))
REAL(__fxstat, int, (int, int, struct stat *))
REAL(__fxstatat, int, (int, int, const char *, struct stat *, int))
REAL(__xstat64, int, (int, const char *, struct stat64 *))
REAL(__lxstat64, int, (int, const char *, struct stat64 *))
REAL(__fxstat64, int, (int, int, struct stat64 *))
REAL(__fxstatat64, int, (int, int, const char *, struct stat64 *, int))
REAL(statx, int, (int, const char *, int, unsigned int, struct statx *))
REAL(access, int, (const char *, int))
REAL(faccessat, int, (int, const char *, int, int))
REAL(euidaccess, int, (const char *, int))
REAL(eaccess, int, (const char *, int))

REAL(read, ssize_t, (int, void *, size_t))
REAL(write, ssize_t, (int, const void *, size_t))
REAL(pread, ssize_t, (int, void *, size_t, off_t))
REAL(pread64, ssize_t, (int, void *, size_t, off64_t))
REAL(pwrite, ssize_t, (int, const void *, size_t, off_t))
REAL(pwrite64, ssize_t, (int, const void *, size_t, off64_t))
REAL(readv, ssize_t, (int, const struct iovec *, int))
REAL(writev, ssize_t, (int, const struct iovec *, int))
REAL(preadv, ssize_t, (int, const struct iovec *, int, off_t))
REAL(preadv64, ssize_t, (int, const struct iovec *, int, off64_t))
REAL(pwritev, ssize_t, (int, const struct iovec *, int, off_t))
REAL(pwritev64, ssize_t, (int, const struct iovec *, int, off64_t))
REAL(preadv2, ssize_t, (int, const struct iovec *, int, off_t, int))
REAL(preadv64v2, ssize_t, (int, const struct iovec *, int, off64_t, int))
REAL(pwritev2, ssize_t, (int, const struct iovec *, int, off_t, int))
REAL(pwritev64v2, ssize_t, (int, const struct iovec *, int, off64_t, int))
REAL(__read_chk, ssize_t, (int, void *, size_t, size_t))
REAL(__pread_chk, ssize_t, (int, void *, size_t, off_t, size_t))
REAL(__pread64_chk, ssize_t, (int, void *, size_t, off64_t, size_t))
REAL(lseek, off_t, (int, off_t, int))
REAL(lseek64, off64_t, (int, off64_t, int))

#define real(name) (real_##name##_fn())

/* glibc declares these only for old binaries or fortified builds. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
	       int flags);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
		 int flags);
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t count, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t count, off64_t off,
		      size_t buflen);

/* ---- emulated nodes ---------------------------------------------------- */

/*
 * The device nodes the shim serves. Both are misc devices (major 10):
 * /dev/iommu with the dynamic minor Linux 6.12 gave it in the oracle,
 * /dev/vfio/vfio with VFIO's fixed minor; a kernel built with
 * IOMMUFD_VFIO_CONTAINER serves the latter from iommufd too. Both are mode
 * 0666 here (root's /dev/iommu is 0660): the point of the shim is that
 * anyone may open them.
 */
enum shim_node {
	SHIM_NODE_NONE,
	SHIM_NODE_IOMMU,
	SHIM_NODE_VFIO_CONTAINER,
	/* Numbered nodes of emulated devices: /dev/vfio/N, and the cdevs
	 * /dev/vfio/devices/vfioN. */
	SHIM_NODE_VFIO_GROUP,
	SHIM_NODE_VFIO_CDEV,
	/* Not a node: a device fd from a group, an anonymous inode. */
	SHIM_NODE_VFIO_DEVICE,
	/* Files of fault injection, regular files of proc and debugfs:
	 * /proc/.../fail-nth (nr: the thread's TID) and a debugfs knob
	 * (nr: directory << 8 | knob, as the library numbers them). */
	SHIM_NODE_FAIL_NTH,
	SHIM_NODE_FAULT_KNOB,
};

/* A node and, for numbered ones, its number. */
struct node_id {
	enum shim_node node;
	unsigned int nr;
};

#define SHIM_MISC_MAJOR 10

static const struct {
	const char *path; /* normalised: absolute, no trailing slash */
	const char *name; /* its last component */
	unsigned int minor;
} shim_nodes[] = {
	[SHIM_NODE_IOMMU] = { "/dev/iommu", "iommu", 257 },
	[SHIM_NODE_VFIO_CONTAINER] = { "/dev/vfio/vfio", "vfio", 196 },
};

#define SHIM_NR_NODES (sizeof(shim_nodes) / sizeof(shim_nodes[0]))

/* Is @s (of @len bytes) a decimal number without leading zeros? */
static bool is_number(const char *s, size_t len, unsigned int *val)
{
	unsigned long v = 0;
	size_t i;

	if (!len || len > 9 || (s[0] == '0' && len > 1))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*val = (unsigned int)v;
	return true;
}

/* Do emulated devices have group (or cdev) @nr? */
static bool have_numbered(enum shim_node node, unsigned int nr)
{
	const struct uiommufd_pci_dev_desc *d;
	unsigned int i;

	for (i = 0; (d = sysfs_device(i)); i++)
		if ((node == SHIM_NODE_VFIO_GROUP ? d->group : d->index) == nr)
			return true;
	return false;
}

/*
 * Normalise the absolute @path into @out: empty and "." components and
 * repeated slashes go, ".." goes up a level. The kernel's lookup does the
 * same as long as nothing on the way is a symlink, which /dev and
 * /dev/vfio are not. False if @path ends in a slash (a directory lookup)
 * or does not fit.
 */
static bool normalize_abspath(const char *path, char *out, size_t size)
{
	size_t len = 0;
	const char *p = path;

	if (p[0] && p[strlen(p) - 1] == '/')
		return false;
	while (*p) {
		const char *start;
		size_t n;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		n = p - start;
		if (!n || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--;
			continue;
		}
		if (len + 1 + n + 1 > size)
			return false;
		out[len++] = '/';
		memcpy(out + len, start, n);
		len += n;
	}
	out[len] = '\0';
	return true;
}

/* Could @path name a node? Its last component rules out most paths. */
static bool may_be_node(const char *path)
{
	const char *end = path + strlen(path);
	const char *start = end;
	size_t i;

	while (start > path && start[-1] != '/')
		start--;
	unsigned int nr;

	for (i = 1; i < SHIM_NR_NODES; i++)
		if (strlen(shim_nodes[i].name) == (size_t)(end - start) &&
		    !memcmp(start, shim_nodes[i].name, end - start))
			return true;
	if ((end - start == 8 && !memcmp(start, "fail-nth", 8)) ||
	    debugfs_may_be_knob(start, (size_t)(end - start)))
		return true;
	if (!sysfs_device(0))
		return false;
	return is_number(start, end - start, &nr) ||
	       (end - start > 4 && !memcmp(start, "vfio", 4) &&
		is_number(start + 4, end - start - 4, &nr));
}

/* Is @tid a thread of this process? */
static bool shim_thread_alive(unsigned int tid)
{
	int saved_errno = errno;
	bool alive = tid && !syscall(SYS_tgkill, getpid(), (pid_t)tid, 0);

	errno = saved_errno;
	return alive;
}

/*
 * Does the normalised @norm name the fail-nth file of one of this
 * process's threads, as the kernel has it: /proc/P/task/T/fail-nth,
 * /proc/P/fail-nth (the leader's) and /proc/thread-self/fail-nth, with P
 * this process's PID or "self"? Which thread, in @tid.
 */
static bool fail_nth_of_path(const char *norm, unsigned int *tid)
{
	const char *p = norm + 6;
	unsigned int pid;
	size_t len;

	if (strncmp(norm, "/proc/", 6))
		return false;
	len = strcspn(p, "/");
	if (len == 11 && !memcmp(p, "thread-self", 11)) {
		*tid = (unsigned int)syscall(SYS_gettid);
		return !strcmp(p + len, "/fail-nth");
	}
	if (len == 4 && !memcmp(p, "self", 4))
		pid = (unsigned int)getpid();
	else if (!is_number(p, len, &pid) || pid != (unsigned int)getpid())
		return false;
	p += len;
	if (!strcmp(p, "/fail-nth")) {
		*tid = pid;
		return true;
	}
	if (strncmp(p, "/task/", 6))
		return false;
	p += 6;
	len = strcspn(p, "/");
	if (!is_number(p, len, tid) || strcmp(p + len, "/fail-nth"))
		return false;
	return shim_thread_alive(*tid);
}

/*
 * Which node does @path, looked up relative to @dirfd as openat() would,
 * name? Relative paths are resolved through the directory's name, so
 * "iommu" from a process whose cwd is /dev counts too.
 */
static struct node_id node_of_path(int dirfd, const char *path)
{
	char dir[PATH_MAX + 8], full[2 * PATH_MAX + 16], norm[sizeof(full)];
	struct node_id none = { SHIM_NODE_NONE, 0 }, id = none;
	const char *abs = path;
	size_t i;

	if (!path || !may_be_node(path))
		return none;
	if (path[0] != '/') {
		int saved_errno = errno;
		ssize_t n;

		if (dirfd == AT_FDCWD) {
			n = syscall(SYS_getcwd, dir, sizeof(dir));
			n = n > 0 ? n - 1 : -1; /* the syscall counts the NUL */
		} else {
			char link[64];

			snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
			n = syscall(SYS_readlinkat, AT_FDCWD, link, dir,
				    sizeof(dir) - 1);
		}
		errno = saved_errno;
		if (n <= 0 || dir[0] != '/')
			return none;
		dir[n] = '\0';
		snprintf(full, sizeof(full), "%s/%s", dir, path);
		abs = full;
	}
	if (!normalize_abspath(abs, norm, sizeof(norm)))
		return none;
	if (fail_nth_of_path(norm, &id.nr)) {
		id.node = SHIM_NODE_FAIL_NTH;
		return id;
	}
	{
		unsigned int dir, knob;

		if (debugfs_knob_of_path(norm, &dir, &knob)) {
			id.node = SHIM_NODE_FAULT_KNOB;
			id.nr = dir << 8 | knob;
			return id;
		}
	}
	for (i = 1; i < SHIM_NR_NODES; i++)
		if (!strcmp(norm, shim_nodes[i].path)) {
			id.node = (enum shim_node)i;
			return id;
		}
	if (!strncmp(norm, "/dev/vfio/devices/vfio", 22) &&
	    is_number(norm + 22, strlen(norm + 22), &id.nr))
		id.node = SHIM_NODE_VFIO_CDEV;
	else if (!strncmp(norm, "/dev/vfio/", 10) &&
		 is_number(norm + 10, strlen(norm + 10), &id.nr))
		id.node = SHIM_NODE_VFIO_GROUP;
	if (id.node && !have_numbered(id.node, id.nr))
		return none;
	return id;
}

/* ---- the fd table ------------------------------------------------------ */

/*
 * What an emulated fd refers to: a /dev/iommu context, or a file the
 * library made (an access fd, ...): exactly one of @ctx and @lfile.
 */
struct shim_file {
	atomic_long refs; /* one per fd, one per call in flight */
	struct node_id id; /* what fstat() reports */
	_Atomic int64_t pos; /* read()/write() position of a device fd */
	/* O_RDONLY, O_WRONLY, O_RDWR (or 3: neither) as opened; F_SETFL
	 * cannot change it, so read and write check it here. */
	int accmode;
	struct uiommufd_ctx *ctx;
	struct uiommufd_file *lfile;
	struct shim_file *next_dropped; /* see forget_range_locked() */
	/*
	 * In a forked child, an inherited file is a proxy: it lives in the
	 * process serving it, reached through @conn (NULL: the link was
	 * lost) by @handle; @ctx and @lfile are then the child's stale copy,
	 * never used (see fork.c).
	 */
	bool proxy;
	int proxy_kind; /* enum uiommufd_file_kind, -1 for a context */
	struct fork_conn *conn;
	uint64_t handle;
	unsigned int fork_gen; /* see fork hooks */
	long fork_slots;
};

/*
 * Two levels so that lock-free readers never see a table move: chunks are
 * allocated on first use and never freed.
 */
#define SHIM_CHUNK_SHIFT 12
#define SHIM_CHUNK_SIZE (1U << SHIM_CHUNK_SHIFT)
#define SHIM_NR_CHUNKS 1024 /* 4M fds */

static struct shim_file *_Atomic *_Atomic shim_table[SHIM_NR_CHUNKS];

/* Static initialisers: wrappers may run before the shim's constructor. */
static pthread_rwlock_t call_lock =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long shim_nr_contexts;
/* Odd while a change of the table and of the fds it mirrors is under way;
 * see ioctl(). */
static atomic_uint table_gen;
static bool shim_trace;
static bool shim_lsan_at_exit; /* see _exit() */

static struct shim_file *_Atomic *slot_of(int fd, bool create)
{
	struct shim_file *_Atomic *chunk;
	unsigned int c;

	if (fd < 0 || (unsigned int)fd >= SHIM_CHUNK_SIZE * SHIM_NR_CHUNKS)
		return NULL;
	c = (unsigned int)fd >> SHIM_CHUNK_SHIFT;
	chunk = atomic_load_explicit(&shim_table[c], memory_order_acquire);
	if (!chunk && create) {
		/* Only under table_lock, so no two threads race here. */
		chunk = calloc(SHIM_CHUNK_SIZE, sizeof(*chunk));
		if (!chunk)
			return NULL;
		atomic_store_explicit(&shim_table[c], chunk,
				      memory_order_release);
	}
	return chunk ? &chunk[fd & (SHIM_CHUNK_SIZE - 1)] : NULL;
}

/* Lock-free: may @fd be emulated? False means certainly not. */
static bool maybe_emulated(int fd)
{
	struct shim_file *_Atomic *slot = slot_of(fd, false);

	return slot && atomic_load_explicit(slot, memory_order_relaxed);
}

static struct shim_file *table_get_locked(int fd)
{
	struct shim_file *_Atomic *slot = slot_of(fd, false);

	return slot ? atomic_load_explicit(slot, memory_order_relaxed) : NULL;
}

/* Installs @f at @fd, returning what was there (its reference moves to the
 * caller). */
static int table_set_locked(int fd, struct shim_file *f, struct shim_file **old)
{
	struct shim_file *_Atomic *slot = slot_of(fd, true);

	if (!slot)
		return -ENOMEM;
	*old = atomic_exchange_explicit(slot, f, memory_order_release);
	return 0;
}

static struct shim_file *table_take_locked(int fd)
{
	struct shim_file *_Atomic *slot = slot_of(fd, false);

	if (!slot)
		return NULL;
	return atomic_exchange_explicit(slot, NULL, memory_order_release);
}

static void table_change_begin(void)
{
	pthread_mutex_lock(&table_lock);
	atomic_fetch_add(&table_gen, 1);
}

static void table_change_end(void)
{
	atomic_fetch_add(&table_gen, 1);
	pthread_mutex_unlock(&table_lock);
}

/*
 * The library may call back into the shim (to install an fd, or to close
 * one) while a thread is inside it: only the outermost entry takes
 * call_lock, which must not be read-locked twice (a waiting fork() would
 * deadlock it).
 */
static __thread unsigned int call_depth;

static void call_enter(void)
{
	if (!call_depth++)
		pthread_rwlock_rdlock(&call_lock);
}

static void call_exit(void)
{
	if (!--call_depth)
		pthread_rwlock_unlock(&call_lock);
}

static void shim_proxy_release(struct shim_file *f);

/* Drops one reference; the last one releases the context or file. */
static void file_put(struct shim_file *f)
{
	if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	if (f->proxy) {
		shim_proxy_release(f);
		return;
	}
	call_enter();
	if (f->lfile) {
		uiommufd_file_put(f->lfile);
	} else if (f->ctx) {
		uiommufd_close(f->ctx);
		atomic_fetch_sub(&shim_nr_contexts, 1);
	}
	call_exit();
	free(f);
}

/* A referenced file for @fd, or NULL when @fd is not emulated. */
static struct shim_file *file_get(int fd)
{
	struct shim_file *f;

	pthread_mutex_lock(&table_lock);
	f = table_get_locked(fd);
	if (f)
		atomic_fetch_add(&f->refs, 1);
	pthread_mutex_unlock(&table_lock);
	return f;
}

/* Mirrors "@newfd now refers to what @oldfd refers to" into the table.
 * Called with table_lock held, after the kernel made the duplicate. */
static struct shim_file *dup_locked(int oldfd, int newfd)
{
	struct shim_file *f = table_get_locked(oldfd), *old = NULL;

	if (f)
		atomic_fetch_add(&f->refs, 1);
	if (table_set_locked(newfd, f, &old)) {
		/*
		 * No memory for a table chunk: the duplicate cannot be
		 * emulated, so undo it rather than hand out a plain
		 * /dev/null fd.
		 */
		real(close)(newfd);
		errno = ENOMEM;
		if (f) /* the old fd still holds it: never the last */
			atomic_fetch_sub(&f->refs, 1);
		return (struct shim_file *)-1;
	}
	return old;
}

/* ---- fds of library files ------------------------------------------- */

/*
 * Give @f a new fd on /dev/null opened with @flags (or, with @src >= 0, a
 * close-on-exec duplicate of the real fd @src), entered in the table
 * together; the table then holds @f's reference. -errno on failure, when
 * @f is left to the caller.
 */
static int install_file(struct shim_file *f, int flags, int src)
{
	struct shim_file *old;
	int fd;

	table_change_begin();
	if (src >= 0)
		fd = real(fcntl)(src, F_DUPFD_CLOEXEC, 0);
	else
		fd = real(open)("/dev/null", flags);
	if (fd < 0) {
		fd = -errno;
	} else if (table_set_locked(fd, f, &old)) {
		real(close)(fd);
		fd = -ENOMEM;
	}
	table_change_end();
	return fd;
}

/* struct uiommufd_fd_ops: a library file gets a close-on-exec fd here. */
static int shim_install_fd(void *opaque, struct uiommufd_file *file)
{
	struct shim_file *f;
	int fd;

	(void)opaque;
	/* A new fd would belong to the child, which runs elsewhere. */
	if (fork_serving())
		return -EOPNOTSUPP;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	atomic_init(&f->refs, 1);
	switch (uiommufd_file_kind(file)) {
	case UIOMMUFD_FILE_VFIO_DEVICE:
		f->id.node = SHIM_NODE_VFIO_DEVICE;
		break;
	case UIOMMUFD_FILE_FAULT:
		/* A real anonymous inode: fstat() may ask the kernel. */
		f->id.node = SHIM_NODE_NONE;
		break;
	default:
		f->id.node = SHIM_NODE_IOMMU;
	}
	f->lfile = file;
	f->accmode = O_RDWR; /* as the kernel's anonymous device files */
	/* A pollable file's fd is its real pollable fd, duplicated. */
	fd = install_file(f, O_RDWR | O_CLOEXEC, uiommufd_file_pollfd(file));
	if (fd < 0)
		free(f); /* the library keeps its reference */
	return fd;
}

static void shim_discard_fd(void *opaque, int fd)
{
	struct shim_file *f;

	(void)opaque;
	table_change_begin();
	f = table_take_locked(fd);
	real(close)(fd);
	table_change_end();
	file_put(f);
}

static struct uiommufd_file *shim_get_fd(void *opaque, int fd)
{
	struct uiommufd_file *file = NULL;
	struct shim_file *f;

	(void)opaque;
	if (fork_serving())
		f = fork_serving_lookup(fd);
	else
		f = maybe_emulated(fd) ? file_get(fd) : NULL;
	if (!f)
		return NULL;
	if (f->lfile && !f->proxy)
		file = uiommufd_file_get(f->lfile);
	file_put(f);
	return file;
}

static const struct uiommufd_fd_ops shim_fd_ops = {
	.install = shim_install_fd,
	.discard = shim_discard_fd,
	.get = shim_get_fd,
};

/* struct uiommufd_host_ops: the fds VFIO requests name. */

/*
 * Why an fd that is not ours is refused: -EBADFD when it is open, -EBADF
 * when not, or when it is an O_PATH handle (fget() does not see those).
 */
static int host_fd_err(int fd)
{
	int fl = real(fcntl)(fd, F_GETFL);

	return fl >= 0 && !(fl & O_PATH) ? -EBADFD : -EBADF;
}

static struct uiommufd_ctx *shim_ctx_get(void *opaque, int fd, int *err)
{
	struct uiommufd_ctx *ctx = NULL;
	struct shim_file *f;

	(void)opaque;
	if (fork_serving()) /* the child's fd number */
		f = fork_serving_lookup(fd);
	else
		f = maybe_emulated(fd) ? file_get(fd) : NULL;
	if (f && f->ctx && !f->proxy)
		ctx = uiommufd_ctx_ref(f->ctx);
	file_put(f);
	if (!ctx)
		*err = f ? -EBADFD : fork_serving() ? -EBADF : host_fd_err(fd);
	return ctx;
}

static struct uiommufd_file *shim_host_file_get(void *opaque, int fd, int *err)
{
	struct uiommufd_file *file = shim_get_fd(opaque, fd);

	if (!file) /* a child's fd that is not ours: EBADF, not EBADFD */
		*err = fork_serving() ? -EBADF : host_fd_err(fd);
	return file;
}

static const struct uiommufd_host_ops shim_host_ops = {
	.ctx_get = shim_ctx_get,
	.file_get = shim_host_file_get,
};

/* ---- opening ----------------------------------------------------------- */

static bool is_fault_node(enum shim_node node)
{
	return node == SHIM_NODE_FAIL_NTH || node == SHIM_NODE_FAULT_KNOB;
}

/* A fail-nth file or a knob: state of the library, no context. */
static int open_fault_file(struct node_id id, int flags)
{
	struct shim_file *f = calloc(1, sizeof(*f));
	int fd;

	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	atomic_init(&f->refs, 1);
	f->id = id;
	fd = install_file(f, flags, -1);
	if (fd < 0) {
		free(f);
		errno = -fd;
		return -1;
	}
	return fd;
}

/*
 * Opens an emulated node: what the kernel would refuse for a character
 * device is refused here the same way. Both nodes give a new iommufd
 * context; /dev/vfio/vfio's charges pins as VFIO does.
 */
static int open_node(struct node_id id, int flags)
{
	enum shim_node node = id.node;
	struct shim_file *f;
	int fd, rc = 0;

	if ((flags & O_CREAT) && (flags & O_EXCL)) {
		errno = EEXIST;
		return -1;
	}
	if (flags & O_DIRECTORY) { /* O_TMPFILE includes it */
		errno = ENOTDIR;
		return -1;
	}
	flags &= O_ACCMODE | O_CLOEXEC | O_NONBLOCK | O_APPEND | O_NOCTTY |
		 O_SYNC | O_DSYNC | O_NOATIME | O_LARGEFILE | O_PATH |
		 O_NOFOLLOW;
	if (flags & O_PATH) /* a handle, not an open device: no context */
		return real(open)("/dev/null", flags);
	if (is_fault_node(node))
		return open_fault_file(id, flags);

	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	atomic_init(&f->refs, 1);
	f->id = id;
	f->accmode = flags & O_ACCMODE;
	call_enter();
	if (node == SHIM_NODE_VFIO_GROUP)
		rc = uiommufd_vfio_group_open(id.nr, &f->lfile);
	else if (node == SHIM_NODE_VFIO_CDEV)
		rc = uiommufd_vfio_cdev_open(id.nr, &f->lfile);
	else if (node == SHIM_NODE_VFIO_CONTAINER)
		f->ctx = uiommufd_open_vfio_container();
	else
		f->ctx = uiommufd_open();
	if (f->ctx)
		uiommufd_set_fd_ops(f->ctx, &shim_fd_ops, NULL);
	call_exit();
	if (!f->ctx && !f->lfile) {
		free(f);
		errno = rc ? -rc : ENOMEM;
		return -1;
	}
	if (f->ctx)
		atomic_fetch_add(&shim_nr_contexts, 1);

	fd = install_file(f, flags, -1);
	if (fd < 0) {
		file_put(f);
		errno = -fd;
		return -1;
	}
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, mode_t);
	return 0;
}

/* ---- closing ----------------------------------------------------------- */

static int close_fd(int fd)
{
	struct shim_file *f;
	int ret;

	/* Not the program's to close: as if nothing were open there. */
	if (uiommufd_fd_is_private(fd)) {
		errno = EBADF;
		return -1;
	}
	if (!maybe_emulated(fd))
		return real(close)(fd);
	/*
	 * The entry and the fd go together under the lock: once the kernel
	 * has freed the number another thread may open it again, and its
	 * entry must not be the one removed here.
	 */
	table_change_begin();
	f = table_take_locked(fd);
	ret = real(close)(fd);
	table_change_end();
	file_put(f);
	return ret;
}

/*
 * Drops the entries of [first, last] after the kernel closed them. Files
 * whose last reference went are returned as a list, to be released once
 * table_lock is dropped (releasing takes call_lock, which nests outside).
 */
static struct shim_file *forget_range_locked(unsigned int first,
					     unsigned int last)
{
	struct shim_file *dropped = NULL;
	unsigned int c;

	for (c = first >> SHIM_CHUNK_SHIFT; c < SHIM_NR_CHUNKS; c++) {
		struct shim_file *_Atomic *chunk = atomic_load_explicit(
			&shim_table[c], memory_order_relaxed);
		unsigned int base = c << SHIM_CHUNK_SHIFT, i;

		if (base > last)
			break;
		if (!chunk)
			continue;
		for (i = 0; i < SHIM_CHUNK_SIZE; i++) {
			struct shim_file *f;

			if (base + i < first || base + i > last)
				continue;
			f = atomic_exchange_explicit(&chunk[i], NULL,
						     memory_order_relaxed);
			if (f) {
				f->next_dropped = dropped;
				dropped = f;
			}
		}
	}
	return dropped;
}

static void put_dropped(struct shim_file *dropped)
{
	while (dropped) {
		struct shim_file *next = dropped->next_dropped;

		file_put(dropped);
		dropped = next;
	}
}

static bool any_emulated(unsigned int first, unsigned int last)
{
	unsigned int fd;

	for (fd = first; fd <= last && fd < SHIM_CHUNK_SIZE * SHIM_NR_CHUNKS;
	     fd++) {
		if ((fd & (SHIM_CHUNK_SIZE - 1)) == 0 &&
		    !atomic_load_explicit(&shim_table[fd >> SHIM_CHUNK_SHIFT],
					  memory_order_relaxed)) {
			fd += SHIM_CHUNK_SIZE - 1;
			continue;
		}
		if (maybe_emulated((int)fd))
			return true;
		if (fd == UINT_MAX)
			break;
	}
	return false;
}

/* ---- stat -------------------------------------------------------------- */

/* What stat(2) says about a node: a character device anyone may open,
 * dated like /dev/null. */
static void node_stat(struct node_id id, struct stat *st)
{
	unsigned int major = SHIM_MISC_MAJOR, minor = 0;
	struct stat null;

	switch (id.node) {
	case SHIM_NODE_VFIO_GROUP:
		major = SHIM_VFIO_GROUP_MAJOR;
		minor = id.nr;
		break;
	case SHIM_NODE_VFIO_CDEV:
		major = SHIM_VFIO_CDEV_MAJOR;
		minor = id.nr;
		break;
	case SHIM_NODE_VFIO_DEVICE:
	case SHIM_NODE_FAIL_NTH:
	case SHIM_NODE_FAULT_KNOB:
		major = 0;
		break;
	default:
		minor = shim_nodes[id.node].minor;
	}

	memset(st, 0, sizeof(*st));
	if (!syscall(SYS_newfstatat, AT_FDCWD, "/dev/null", &null, 0)) {
		st->st_dev = null.st_dev;
		st->st_atim = null.st_atim;
		st->st_mtim = null.st_mtim;
		st->st_ctim = null.st_ctim;
	}
	st->st_ino = ((ino_t)major << 20) | minor;
	st->st_mode = S_IFCHR | 0666;
	st->st_nlink = 1;
	st->st_rdev = makedev(major, minor);
	st->st_blksize = 4096;
	if (id.node == SHIM_NODE_VFIO_DEVICE) {
		/* An anonymous inode: no file type bits, owner rw only. */
		st->st_mode = 0600;
		st->st_rdev = 0;
	}
	if (is_fault_node(id.node)) {
		/* proc's fail-nth is 0644, debugfs's knobs 0600; both
		 * empty regular files, owned by the process (as its own
		 * proc files are; debugfs's are root's). */
		st->st_ino = ((ino_t)id.node << 32) | id.nr;
		st->st_mode = S_IFREG |
			      (id.node == SHIM_NODE_FAIL_NTH ? 0644 : 0600);
		st->st_rdev = 0;
		st->st_uid = geteuid();
		st->st_gid = getegid();
	}
}

static void node_stat64(struct node_id node, struct stat64 *st64)
{
	struct stat st;

	_Static_assert(sizeof(struct stat) == sizeof(struct stat64),
		       "stat64 is stat on this ABI");
	node_stat(node, &st);
	memcpy(st64, &st, sizeof(st));
}

static void node_statx(struct node_id node, struct statx *stx)
{
	struct stat st;

	node_stat(node, &st);
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = st.st_blksize;
	stx->stx_nlink = st.st_nlink;
	stx->stx_mode = st.st_mode;
	stx->stx_ino = st.st_ino;
	stx->stx_atime.tv_sec = st.st_atim.tv_sec;
	stx->stx_atime.tv_nsec = st.st_atim.tv_nsec;
	stx->stx_mtime.tv_sec = st.st_mtim.tv_sec;
	stx->stx_mtime.tv_nsec = st.st_mtim.tv_nsec;
	stx->stx_ctime.tv_sec = st.st_ctim.tv_sec;
	stx->stx_ctime.tv_nsec = st.st_ctim.tv_nsec;
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
	stx->stx_dev_major = major(st.st_dev);
	stx->stx_dev_minor = minor(st.st_dev);
}

/* The node an emulated @fd was opened as; NONE for any other fd. */
static struct node_id node_of_fd(int fd)
{
	struct node_id id = { SHIM_NODE_NONE, 0 };
	struct shim_file *f;

	if (!maybe_emulated(fd) || !(f = file_get(fd)))
		return id;
	id = f->id;
	file_put(f);
	return id;
}

/* Which node does (dirfd, path, flags) of an *at() call refer to, either
 * by name or, with AT_EMPTY_PATH, through an emulated fd? */
static struct node_id node_of_at(int dirfd, const char *path, int flags)
{
	if ((flags & AT_EMPTY_PATH) && path && !path[0])
		return node_of_fd(dirfd);
	return node_of_path(dirfd, path);
}

/* access(2) on a 0666 character device: read and write yes, exec no. */
static int node_access(int mode)
{
	if (mode & ~(R_OK | W_OK | X_OK)) {
		errno = EINVAL;
		return -1;
	}
	if (mode & X_OK) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

/*
 * iommufd has neither read nor write methods: the kernel refuses both
 * with EINVAL, after EBADF for an fd not opened for that direction.
 */
static ssize_t node_rw(int fd, bool write)
{
	int flags = real(fcntl)(fd, F_GETFL);

	if (flags < 0)
		return -1;
	if ((flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		errno = EBADF;
	else
		errno = EINVAL;
	return -1;
}

/* Nor does it seek. */
static off_t node_lseek(void)
{
	errno = ESPIPE;
	return -1;
}

/* ---- ioctl ------------------------------------------------------------- */

static enum trace_fd_kind trace_kind(struct shim_file *f)
{
	if (!f->lfile)
		return TRACE_FD_IOMMU;
	switch (uiommufd_file_kind(f->lfile)) {
	case UIOMMUFD_FILE_VFIO_DEVICE:
		return TRACE_FD_VFIO_DEVICE;
	case UIOMMUFD_FILE_VFIO_GROUP:
		return TRACE_FD_VFIO_GROUP;
	default:
		return TRACE_FD_OTHER;
	}
}

static int iommu_ioctl(struct shim_file *f, int fd, unsigned long request,
		       void *arg)
{
	struct trace_call tc;
	int ret, err;

	/* A child's call holds call_lock too: a fork waits for it. */
	if (f->proxy) {
		call_enter();
		ret = fork_client_ioctl(f->conn, f->handle, fd, request, arg);
		err = errno;
		call_exit();
		errno = err;
		return ret;
	}
	call_enter();
	if (shim_trace)
		trace_begin_kind(&tc, fd, request, arg, trace_kind(f));
	if (f->lfile)
		ret = uiommufd_file_ioctl(f->lfile, request, arg);
	else
		ret = uiommufd_ioctl(f->ctx, request, arg);
	err = errno;
	if (shim_trace) {
		char line[4096];
		size_t len = trace_finish(&tc, ret, err, line, sizeof(line));

		/* One write per line keeps lines whole across threads. */
		if (syscall(SYS_write, 2, line, len) < 0)
			(void)0;
	}
	call_exit();
	errno = err;
	return ret;
}

/*
 * The ioctls the kernel's VFS answers itself, for any open file, before a
 * driver sees them. The emulated fd is a real file on the same kind of
 * node, so the kernel gives the same answers on it.
 */
#ifndef FS_IOC_GETFSUUID
#define FS_IOC_GETFSUUID _IOC(_IOC_READ, 0x15, 0, 17)
#endif
#ifndef FS_IOC_GETFSSYSFSPATH
#define FS_IOC_GETFSSYSFSPATH _IOC(_IOC_READ, 0x15, 1, 129)
#endif

static bool is_vfs_ioctl(unsigned int request)
{
	switch (request) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
	case FIOASYNC:
	case FIOQSIZE:
	case FIFREEZE:
	case FITHAW:
	case FS_IOC_FIEMAP:
	case FIGETBSZ:
	case FICLONE:
	case FICLONERANGE:
	case FIDEDUPERANGE:
	case FS_IOC_GETFLAGS:
	case FS_IOC_SETFLAGS:
	case FS_IOC_FSGETXATTR:
	case FS_IOC_FSSETXATTR:
	case FS_IOC_GETFSUUID:
	case FS_IOC_GETFSSYSFSPATH:
		return true;
	default:
		return false;
	}
}

/* ---- start-up, fork ---------------------------------------------------- */

/*
 * fork() shares the emulated files with the child (fork.c): the child's
 * inherited entries become proxies to this process, or, for proxies of
 * ours, to the process serving them.
 */
static unsigned int fork_gen;
/* Set in a child that inherited files: see shim_exit_release(). */
static bool have_proxies;

/* Calls @fn on every table entry. Caller holds table_lock (or is alone). */
static void for_each_slot(void (*fn)(struct shim_file *f))
{
	unsigned int c, i;

	for (c = 0; c < SHIM_NR_CHUNKS; c++) {
		struct shim_file *_Atomic *chunk = atomic_load_explicit(
			&shim_table[c], memory_order_relaxed);

		for (i = 0; chunk && i < SHIM_CHUNK_SIZE; i++) {
			struct shim_file *f = atomic_load_explicit(
				&chunk[i], memory_order_relaxed);

			if (f)
				fn(f);
		}
	}
}

static void prepare_slot(struct shim_file *f)
{
	/* A fail-nth or knob file is the process's own: nothing to serve. */
	if (f->fork_gen == fork_gen || is_fault_node(f->id.node))
		return;
	f->fork_gen = fork_gen;
	if (!f->proxy)
		fork_prepare_add(NULL, f, 0);
	else if (f->conn)
		fork_prepare_add(f->conn, f, f->handle);
}

static void atfork_prepare(void)
{
	pthread_rwlock_wrlock(&call_lock);
	pthread_mutex_lock(&table_lock);
	if (atomic_load(&shim_nr_contexts) || any_emulated(0, UINT_MAX)) {
		fork_gen++;
		for_each_slot(prepare_slot);
	}
	fork_prepare_end();
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&table_lock);
	pthread_rwlock_unlock(&call_lock);
	fork_parent();
}

/* In the child: each distinct file once, counting its fds on the way. */
static void child_slot(struct shim_file *f)
{
	if (f->fork_gen != fork_gen) {
		f->fork_gen = fork_gen;
		f->fork_slots = 0;
		if (is_fault_node(f->id.node)) {
			/* The child's own, as in the parent: no proxy. */
		} else if (!f->proxy) {
			have_proxies = true;
			f->proxy = true;
			f->handle = (uintptr_t)f;
			f->proxy_kind =
				f->lfile ? (int)uiommufd_file_kind(f->lfile) :
					   -1;
			f->conn = fork_child_conn(NULL);
		} else if (f->conn) {
			have_proxies = true;
			f->conn = fork_child_conn(f->conn);
		}
	}
	f->fork_slots++;
}

/* No call was in flight at the fork: the fds are the only references. */
static void child_slot_refs(struct shim_file *f)
{
	atomic_store(&f->refs, f->fork_slots);
}

/*
 * The child's copy of a served file (@ctx, @lfile, the library state
 * behind them) is never used again, but it is not ours to free either:
 * releasing it would run its destructors on a copy. It stays reachable
 * here so leak checkers see it as the parent's.
 */
static struct shim_file *proxy_orphans;
static pthread_mutex_t orphans_lock = PTHREAD_MUTEX_INITIALIZER;

static void shim_proxy_release(struct shim_file *f)
{
	fork_client_release(f->conn, f->handle);
	if (f->proxy_kind < 0)
		atomic_fetch_sub(&shim_nr_contexts, 1);
	if (!f->ctx && !f->lfile) {
		free(f);
		return;
	}
	pthread_mutex_lock(&orphans_lock);
	f->next_dropped = proxy_orphans;
	proxy_orphans = f;
	pthread_mutex_unlock(&orphans_lock);
}

static ssize_t device_rw1(struct shim_file *f, int fd, void *buf, size_t len,
			  int64_t off, bool write);

/* The server's side of a child's calls (fork.c). */
static void fork_op_get(void *file)
{
	atomic_fetch_add(&((struct shim_file *)file)->refs, 1);
}

static void fork_op_put(void *file)
{
	file_put(file);
}

static int fork_op_ioctl(void *file, int fd, unsigned long request, void *arg)
{
	int ret, err;

	if (is_vfs_ioctl(request)) { /* the child's fd answered those */
		errno = ENOTTY;
		return -1;
	}
	trace_set_pid(fork_serving_pid());
	ret = iommu_ioctl(file, fd, request, arg);
	err = errno;
	trace_set_pid(0);
	errno = err;
	return ret;
}

static ssize_t fork_op_rw(void *file, int fd, void *buf, size_t len,
			  int64_t off, bool write)
{
	struct shim_file *f = file;
	enum uiommufd_file_kind kind;

	ssize_t ret;
	int err;

	kind = f->lfile ? uiommufd_file_kind(f->lfile) : UIOMMUFD_FILE_OTHER;
	if (kind != UIOMMUFD_FILE_VFIO_DEVICE && kind != UIOMMUFD_FILE_FAULT) {
		errno = EINVAL;
		return -1;
	}
	/* As any call into the library: a fork here waits for it. */
	call_enter();
	ret = device_rw1(f, fd, buf, len, off, write);
	err = errno;
	call_exit();
	errno = err;
	return ret;
}

static uint64_t fork_op_lookup(struct fork_conn *c, int fd)
{
	struct shim_file *f = maybe_emulated(fd) ? file_get(fd) : NULL;
	uint64_t handle = 0;

	if (f && f->proxy && f->conn == c)
		handle = f->handle;
	file_put(f);
	return handle;
}

static const struct shim_fork_ops shim_fork_ops = {
	.lookup = fork_op_lookup,
	.get = fork_op_get,
	.put = fork_op_put,
	.ioctl = fork_op_ioctl,
	.rw = fork_op_rw,
};

static void init_locks(void)
{
	pthread_rwlockattr_t attr;

	/* fork() must not starve behind a stream of ioctls. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&call_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&table_lock, NULL);
}

/*
 * The child is a copy: the locks were taken by a thread of the parent, so
 * they are rebuilt rather than unlocked (a rwlock remembers its writer).
 */
static void atfork_child(void)
{
	fork_gen++;
	for_each_slot(child_slot);
	for_each_slot(child_slot_refs);
	fork_child_end();
	init_locks();
	pthread_mutex_init(&orphans_lock, NULL);
}

/* The links a child's files use, each once, referenced (exit below). */
#define SHIM_MAX_BYE 64
static struct fork_conn *bye_conns[SHIM_MAX_BYE];
static unsigned int nr_bye_conns;

static void bye_slot(struct shim_file *f)
{
	unsigned int i;

	if (!f->proxy || !f->conn)
		return;
	for (i = 0; i < nr_bye_conns; i++)
		if (bye_conns[i] == f->conn)
			return;
	if (nr_bye_conns == SHIM_MAX_BYE)
		return; /* the server sees EOF for the rest */
	fork_conn_get(f->conn);
	bye_conns[nr_bye_conns++] = f->conn;
}

/*
 * A child exiting: its servers drop its files before it is gone, as its
 * exit would close them in the kernel before the parent's wait() returns.
 * (A child killed by a signal is dropped when its server sees EOF.)
 */
static void shim_exit_release(void)
{
	static pthread_mutex_t bye_lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned int i;

	if (!have_proxies)
		return;
	/*
	 * The links are called without table_lock: a call in flight on one
	 * may need table_lock to answer its server (an fd lookup).
	 */
	pthread_mutex_lock(&bye_lock);
	pthread_mutex_lock(&table_lock);
	nr_bye_conns = 0;
	for_each_slot(bye_slot);
	pthread_mutex_unlock(&table_lock);
	for (i = 0; i < nr_bye_conns; i++) {
		fork_client_bye(bye_conns[i]);
		fork_conn_put(bye_conns[i]);
	}
	nr_bye_conns = 0;
	pthread_mutex_unlock(&bye_lock);
}

__attribute__((destructor)) static void shim_fini(void)
{
	shim_exit_release();
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *trace = getenv("UIOMMUFD_TRACE");

	const char *devices = getenv("UIOMMUFD_DEVICES");
	char err[256];
	int rc;

	shim_trace = trace && trace[0] && strcmp(trace, "0") != 0;
	shim_lsan_at_exit = getenv("UIOMMUFD_LSAN_AT_EXIT") &&
			    !strcmp(getenv("UIOMMUFD_LSAN_AT_EXIT"), "1");
	fork_init(&shim_fork_ops);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	uiommufd_set_host_ops(&shim_host_ops, NULL);
	/* A program must not run without the devices it was promised. */
	rc = uiommufd_devices_add(devices, err, sizeof(err));
	if (rc >= 0)
		rc = sysfs_build();
	if (rc < 0) {
		char line[400];
		int n = snprintf(line, sizeof(line),
				 "uiommufd: UIOMMUFD_DEVICES=%s: %s\n",
				 devices ? devices : "",
				 err[0] ? err : strerror(-rc));

		if (syscall(SYS_write, 2, line, (size_t)n) < 0)
			(void)0;
		_exit(127);
	}
}

/* ====================================================================== */
/* Exported wrappers                                                       */
/* ====================================================================== */

/* For tests: how many contexts are open in this process. */
SHIM_EXPORT long uiommufd_preload_nr_contexts(void)
{
	return atomic_load(&shim_nr_contexts);
}

/*
 * The path an *at() call with @dirfd means, redirected into the sysfs
 * tree when it names an emulated device's files (absolute paths only).
 */
#define SYS_PATH(path) shim_redirect(path, sys_buf, sizeof(sys_buf))

static const char *shim_redirect(const char *path, char *buf, size_t size)
{
	const char *p = sysfs_redirect(path, buf, size);

	return p != path ? p : debugfs_redirect(path, buf, size);
}

#define SHIM_OPEN(name, at, extra)                                           \
	SHIM_EXPORT int name(SHIM_OPEN_PARAMS_##at const char *path,         \
			     int flags, ...)                                 \
	{                                                                    \
		char sys_buf[PATH_MAX];                                      \
		struct node_id id;                                           \
		va_list ap;                                                  \
		mode_t mode;                                                 \
                                                                             \
		va_start(ap, flags);                                         \
		mode = open_mode(flags, ap);                                 \
		va_end(ap);                                                  \
		id = node_of_path(SHIM_OPEN_DIRFD_##at, path);               \
		if (id.node)                                                 \
			return open_node(id, flags | (extra));               \
		return real(name)(SHIM_OPEN_ARGS_##at SYS_PATH(path), flags, \
				  mode);                                     \
	}
#define SHIM_OPEN_PARAMS_0
#define SHIM_OPEN_PARAMS_1 int dirfd,
#define SHIM_OPEN_DIRFD_0 AT_FDCWD
#define SHIM_OPEN_DIRFD_1 dirfd
#define SHIM_OPEN_ARGS_0
#define SHIM_OPEN_ARGS_1 dirfd,

SHIM_OPEN(open, 0, 0)
SHIM_OPEN(open64, 0, O_LARGEFILE)
SHIM_OPEN(openat, 1, 0)
SHIM_OPEN(openat64, 1, O_LARGEFILE)

/* The fortified entry points: the same, minus the mode. */
#define SHIM_OPEN_2(name, at, extra)                                          \
	SHIM_EXPORT int name(SHIM_OPEN_PARAMS_##at const char *path,          \
			     int flags)                                       \
	{                                                                     \
		struct node_id id = node_of_path(SHIM_OPEN_DIRFD_##at, path); \
		char sys_buf[PATH_MAX];                                       \
                                                                              \
		if (id.node)                                                  \
			return open_node(id, flags | (extra));                \
		return real(name)(SHIM_OPEN_ARGS_##at SYS_PATH(path), flags); \
	}

SHIM_OPEN_2(__open_2, 0, 0)
SHIM_OPEN_2(__open64_2, 0, O_LARGEFILE)
SHIM_OPEN_2(__openat_2, 1, 0)
SHIM_OPEN_2(__openat64_2, 1, O_LARGEFILE)

/*
 * Paths that only ever lead to sysfs files here (glibc opens them with
 * internal calls the shim cannot see, so they are redirected up front).
 */
SHIM_EXPORT FILE *fopen(const char *path, const char *mode)
{
	char sys_buf[PATH_MAX];

	return real(fopen)(SYS_PATH(path), mode);
}

SHIM_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	char sys_buf[PATH_MAX];

	return real(fopen64)(SYS_PATH(path), mode);
}

SHIM_EXPORT DIR *opendir(const char *path)
{
	char sys_buf[PATH_MAX];

	return real(opendir)(SYS_PATH(path));
}

SHIM_EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	char sys_buf[PATH_MAX];

	return real(readlink)(SYS_PATH(path), buf, size);
}

SHIM_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf,
			       size_t size)
{
	char sys_buf[PATH_MAX];

	return real(readlinkat)(dirfd, SYS_PATH(path), buf, size);
}

SHIM_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size,
				   size_t buflen)
{
	if (size > buflen)
		abort(); /* what the fortified check does on overflow */
	return readlink(path, buf, size);
}

SHIM_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf,
				     size_t size, size_t buflen)
{
	if (size > buflen)
		abort();
	return readlinkat(dirfd, path, buf, size);
}

/*
 * realpath() resolves links with internal calls, so a path into the tree
 * is resolved there and its result named back under /sys.
 */
SHIM_EXPORT char *realpath(const char *path, char *resolved)
{
	char sys_buf[PATH_MAX], *ret;

	ret = real(realpath)(SYS_PATH(path), resolved);
	if (ret) {
		sysfs_unredirect(ret);
		debugfs_unredirect(ret);
	}
	return ret;
}

SHIM_EXPORT char *__realpath_chk(const char *path, char *resolved,
				 size_t resolvedlen)
{
	if (resolved && resolvedlen < PATH_MAX)
		abort();
	return realpath(path, resolved);
}

SHIM_EXPORT char *canonicalize_file_name(const char *path)
{
	char sys_buf[PATH_MAX], *ret;

	ret = real(canonicalize_file_name)(SYS_PATH(path));
	if (ret) {
		sysfs_unredirect(ret);
		debugfs_unredirect(ret);
	}
	return ret;
}

SHIM_EXPORT int close(int fd)
{
	return close_fd(fd);
}

/*
 * close_range() around the library's and the shim's own fds
 * (uiommufd_private_fd_next()): the ranges between them. They are
 * close-on-exec already, so CLOEXEC needs no care.
 */
static int close_range_around(unsigned int first, unsigned int last, int flags)
{
	unsigned int cur = first;

	if (first > last || (flags & CLOSE_RANGE_CLOEXEC) ||
	    uiommufd_private_fd_next(0) < 0)
		return real(close_range)(first, last, flags);
	while (cur <= last) {
		int p = uiommufd_private_fd_next(cur > INT_MAX ? INT_MAX :
								 (int)cur);
		unsigned int end = p < 0 || (unsigned int)p > last ?
					   last :
					   (unsigned int)p - 1;

		if (p >= 0 && (unsigned int)p == cur) {
			cur++;
			continue;
		}
		if (real(close_range)(cur, end, flags))
			return -1;
		if (end == last || end == UINT_MAX)
			break;
		cur = end + 2; /* past the private one */
	}
	return 0;
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	struct shim_file *dropped = NULL;
	int ret;

	/* CLOSE_RANGE_CLOEXEC only marks the fds; nothing closes. */
	if ((flags & CLOSE_RANGE_CLOEXEC) || first > last ||
	    !any_emulated(first, last))
		return close_range_around(first, last, flags);
	table_change_begin();
	ret = close_range_around(first, last, flags);
	if (!ret)
		dropped = forget_range_locked(first, last);
	table_change_end();
	put_dropped(dropped);
	return ret;
}

SHIM_EXPORT void closefrom(int lowfd)
{
	struct shim_file *dropped;

	if (lowfd < 0) {
		real(closefrom)(lowfd);
		return;
	}
	if (!any_emulated((unsigned int)lowfd, UINT_MAX)) {
		if (close_range_around((unsigned int)lowfd, UINT_MAX, 0))
			real(closefrom)(lowfd);
		return;
	}
	table_change_begin();
	if (close_range_around((unsigned int)lowfd, UINT_MAX, 0))
		real(closefrom)(lowfd);
	dropped = forget_range_locked((unsigned int)lowfd, UINT_MAX);
	table_change_end();
	put_dropped(dropped);
}

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	struct shim_file *f;
	va_list ap;
	void *arg;
	int ret;

	/* ioctl(2) takes at most one argument, which fits in a pointer. */
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (is_vfs_ioctl(request))
		return real(ioctl)(fd, request, arg);
	for (;;) {
		unsigned int gen = atomic_load(&table_gen);

		if (maybe_emulated(fd) && (f = file_get(fd))) {
			if (!is_fault_node(f->id.node))
				break;
			file_put(f); /* proc and debugfs have no ioctls */
			errno = ENOTTY;
			return -1;
		}
		ret = real(ioctl)(fd, request, arg);
		/*
		 * If the fd became or stopped being emulated while the kernel
		 * ran the call (a dup2() onto it, say), the kernel may have
		 * answered for the /dev/null behind an emulated fd. That
		 * answer is ENOTTY, with no effect, so the call is redone
		 * as if it came after the change, as the kernel could have
		 * ordered it.
		 */
		if (ret != -1 || errno != ENOTTY ||
		    (!(gen & 1) && atomic_load(&table_gen) == gen))
			return ret;
	}
	ret = iommu_ioctl(f, fd, request, arg);
	file_put(f);
	return ret;
}

SHIM_EXPORT int dup(int oldfd)
{
	struct shim_file *old;
	int fd;

	if (!maybe_emulated(oldfd))
		return real(dup)(oldfd);
	table_change_begin();
	fd = real(dup)(oldfd);
	old = fd < 0 ? NULL : dup_locked(oldfd, fd);
	table_change_end();
	if (old == (struct shim_file *)-1)
		return -1;
	file_put(old);
	return fd;
}

static int dup3_fd(int oldfd, int newfd, int flags, bool is_dup2)
{
	struct shim_file *old;
	int fd;

	if (!maybe_emulated(oldfd) && !maybe_emulated(newfd))
		return is_dup2 ? real(dup2)(oldfd, newfd) :
				 real(dup3)(oldfd, newfd, flags);
	table_change_begin();
	fd = is_dup2 ? real(dup2)(oldfd, newfd) :
		       real(dup3)(oldfd, newfd, flags);
	/* dup2(fd, fd) changes nothing. */
	old = fd < 0 || oldfd == newfd ? NULL : dup_locked(oldfd, newfd);
	table_change_end();
	if (old == (struct shim_file *)-1)
		return -1;
	file_put(old);
	return fd;
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	return dup3_fd(oldfd, newfd, 0, true);
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return dup3_fd(oldfd, newfd, flags, false);
}

static int fcntl_fd(int fd, int cmd, void *arg, bool is64)
{
	struct shim_file *old;
	int ret;

	if ((cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || !maybe_emulated(fd))
		return is64 ? real(fcntl64)(fd, cmd, arg) :
			      real(fcntl)(fd, cmd, arg);
	table_change_begin();
	ret = is64 ? real(fcntl64)(fd, cmd, arg) : real(fcntl)(fd, cmd, arg);
	old = ret < 0 ? NULL : dup_locked(fd, ret);
	table_change_end();
	if (old == (struct shim_file *)-1)
		return -1;
	file_put(old);
	return ret;
}

/* fcntl's third argument is an int or a pointer; both fit in a pointer. */
SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_fd(fd, cmd, arg, false);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_fd(fd, cmd, arg, true);
}

/*
 * The stat family: an emulated node (by name, or an emulated fd) gets the
 * node's attributes, everything else libc's answer.
 */
#define SHIM_STAT(name, node_expr, fill, params, args) \
	SHIM_EXPORT int name params                    \
	{                                              \
		struct node_id id = (node_expr);       \
		char sys_buf[PATH_MAX];                \
                                                       \
		(void)sys_buf;                         \
		if (!id.node)                          \
			return real(name) args;        \
		fill(id, st);                          \
		return 0;                              \
	}

#define BY_PATH node_of_path(AT_FDCWD, path)
#define BY_FD node_of_fd(fd)
#define BY_AT node_of_at(dirfd, path, flags)

SHIM_STAT(stat, BY_PATH, node_stat, (const char *path, struct stat *st),
	  (SYS_PATH(path), st))
SHIM_STAT(lstat, BY_PATH, node_stat, (const char *path, struct stat *st),
	  (SYS_PATH(path), st))
SHIM_STAT(fstat, BY_FD, node_stat, (int fd, struct stat *st), (fd, st))
SHIM_STAT(fstatat, BY_AT, node_stat,
	  (int dirfd, const char *path, struct stat *st, int flags),
	  (dirfd, SYS_PATH(path), st, flags))
SHIM_STAT(stat64, BY_PATH, node_stat64, (const char *path, struct stat64 *st),
	  (SYS_PATH(path), st))
SHIM_STAT(lstat64, BY_PATH, node_stat64, (const char *path, struct stat64 *st),
	  (SYS_PATH(path), st))
SHIM_STAT(fstat64, BY_FD, node_stat64, (int fd, struct stat64 *st), (fd, st))
SHIM_STAT(fstatat64, BY_AT, node_stat64,
	  (int dirfd, const char *path, struct stat64 *st, int flags),
	  (dirfd, SYS_PATH(path), st, flags))
/* What binaries built against glibc before 2.33 call instead of stat(). */
SHIM_STAT(__xstat, BY_PATH, node_stat,
	  (int ver, const char *path, struct stat *st),
	  (ver, SYS_PATH(path), st))
SHIM_STAT(__lxstat, BY_PATH, node_stat,
	  (int ver, const char *path, struct stat *st),
	  (ver, SYS_PATH(path), st))
SHIM_STAT(__fxstat, BY_FD, node_stat, (int ver, int fd, struct stat *st),
	  (ver, fd, st))
SHIM_STAT(__fxstatat, BY_AT, node_stat,
	  (int ver, int dirfd, const char *path, struct stat *st, int flags),
	  (ver, dirfd, SYS_PATH(path), st, flags))
SHIM_STAT(__xstat64, BY_PATH, node_stat64,
	  (int ver, const char *path, struct stat64 *st),
	  (ver, SYS_PATH(path), st))
SHIM_STAT(__lxstat64, BY_PATH, node_stat64,
	  (int ver, const char *path, struct stat64 *st),
	  (ver, SYS_PATH(path), st))
SHIM_STAT(__fxstat64, BY_FD, node_stat64, (int ver, int fd, struct stat64 *st),
	  (ver, fd, st))
SHIM_STAT(__fxstatat64, BY_AT, node_stat64,
	  (int ver, int dirfd, const char *path, struct stat64 *st, int flags),
	  (ver, dirfd, SYS_PATH(path), st, flags))

SHIM_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		      struct statx *stx)
{
	struct node_id id = node_of_at(dirfd, path, flags);
	char sys_buf[PATH_MAX];

	if (!id.node)
		return real(statx)(dirfd, SYS_PATH(path), flags, mask, stx);
	node_statx(id, stx);
	return 0;
}

SHIM_EXPORT int access(const char *path, int mode)
{
	char sys_buf[PATH_MAX];

	if (!node_of_path(AT_FDCWD, path).node)
		return real(access)(SYS_PATH(path), mode);
	return node_access(mode);
}

SHIM_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	char sys_buf[PATH_MAX];

	if (!node_of_at(dirfd, path, flags).node)
		return real(faccessat)(dirfd, SYS_PATH(path), mode, flags);
	return node_access(mode);
}

SHIM_EXPORT int euidaccess(const char *path, int mode)
{
	char sys_buf[PATH_MAX];

	if (!node_of_path(AT_FDCWD, path).node)
		return real(euidaccess)(SYS_PATH(path), mode);
	return node_access(mode);
}

SHIM_EXPORT int eaccess(const char *path, int mode)
{
	char sys_buf[PATH_MAX];

	if (!node_of_path(AT_FDCWD, path).node)
		return real(eaccess)(SYS_PATH(path), mode);
	return node_access(mode);
}

/*
 * Reading and writing: a VFIO device fd reads and writes its regions
 * (at @off, or at its file position when @off is -1); every other
 * emulated fd refuses, as the kernel's iommufd does.
 */

/*
 * A fault queue: no position (pread is ESPIPE, read() reads at 0) and no
 * region offsets to trace.
 */
/* What @f is: for a child's proxy, what it stands for (-1: a context). */
static int file_kind(const struct shim_file *f)
{
	if (f->proxy)
		return f->proxy_kind;
	return f->lfile ? (int)uiommufd_file_kind(f->lfile) : -1;
}

static bool is_stream(const struct shim_file *f)
{
	return file_kind(f) == UIOMMUFD_FILE_FAULT;
}

/* Is @f open for reading (@write false) or writing? */
static bool file_mode_allows(const struct shim_file *f, bool write)
{
	return f->accmode == O_RDWR ||
	       f->accmode == (write ? O_WRONLY : O_RDONLY);
}

/* One call of the device file's read or write method, traced. */
static ssize_t device_rw1(struct shim_file *f, int fd, void *buf, size_t len,
			  int64_t off, bool write)
{
	bool stream = is_stream(f);

	/* A child's file: the process serving it moves its position. */
	if (f->proxy)
		return fork_client_rw(f->conn, f->handle, fd, buf, len, off,
				      write);
	int64_t at = stream ? 0 : off >= 0 ? off : atomic_load(&f->pos);
	ssize_t n = uiommufd_file_rw(f->lfile, buf, len, (uint64_t)at, write);

	if (shim_trace && stream) {
		char line[TRACE_RW_LINE_MAX];
		size_t tlen = trace_queue_rw(line, sizeof(line), fd, write, len,
					     n, errno);

		if (syscall(SYS_write, 2, line, tlen) < 0)
			(void)0;
	}
	if (stream)
		return n;
	if (shim_trace) {
		char line[256];
		size_t tlen = trace_rw(line, sizeof(line), fd, write,
				       (uint64_t)at, len, n, errno);

		if (syscall(SYS_write, 2, line, tlen) < 0)
			(void)0;
	}
	if (n > 0 && off < 0)
		atomic_fetch_add(&f->pos, n);
	return n;
}

/*
 * A fail-nth file or knob: each buffer is one call of the kernel's read or
 * write method (a lone write(2) of 0 bytes too, which fail-nth refuses).
 */
static ssize_t fault_file_rw(struct shim_file *f, int fd,
			     const struct iovec *iov, int cnt, int64_t off,
			     bool write, bool single)
{
	unsigned int tid = f->id.nr, dir = f->id.nr >> 8,
		     knob = f->id.nr & 0xff;
	int flags = real(fcntl)(fd, F_GETFL);
	ssize_t done = 0;
	int i;

	if (flags < 0)
		return -1;
	if ((flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY)) {
		errno = EBADF;
		return -1;
	}
	if (cnt < 0 || cnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	call_enter();
	for (i = 0; i < cnt; i++) {
		uint64_t pos = (uint64_t)(off >= 0 ? off + done :
						     atomic_load(&f->pos));
		ssize_t n;

		if (!iov[i].iov_len && !single)
			continue;
		if (f->id.node == SHIM_NODE_FAIL_NTH)
			n = write ? uiommufd_fail_nth_write((pid_t)tid,
							    iov[i].iov_base,
							    iov[i].iov_len) :
				    uiommufd_fail_nth_read((pid_t)tid,
							   iov[i].iov_base,
							   iov[i].iov_len,
							   &pos);
		else
			n = write ? uiommufd_fault_knob_write(dir, knob,
							      iov[i].iov_base,
							      iov[i].iov_len) :
				    uiommufd_fault_knob_read(dir, knob,
							     iov[i].iov_base,
							     iov[i].iov_len,
							     &pos);
		if (n < 0) {
			if (!done)
				done = -1;
			break;
		}
		/* Neither write method moves the position. */
		if (off < 0 && !write)
			atomic_store(&f->pos, (int64_t)pos);
		done += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	call_exit();
	return done;
}

/*
 * The device file behind @fd, referenced, when @fd is a VFIO device fd
 * open for that direction. Otherwise NULL with *@ret what the call
 * returns: -2 when @fd stopped being emulated (libc's turn), -1 with
 * errno as the kernel's (EBADF for the wrong direction, before anything
 * else; what iommufd answers for its other fds).
 */
static struct shim_file *device_file_get(int fd, bool write, ssize_t *ret)
{
	struct shim_file *f = file_get(fd);

	*ret = -1;
	if (!f) {
		*ret = -2;
		return NULL;
	}
	if (is_fault_node(f->id.node))
		return f; /* its own rules: fault_file_rw() */
	if (file_kind(f) != UIOMMUFD_FILE_VFIO_DEVICE && !is_stream(f)) {
		file_put(f);
		node_rw(fd, write);
		return NULL;
	}
	if (!file_mode_allows(f, write)) {
		file_put(f);
		errno = EBADF;
		return NULL;
	}
	return f;
}

/*
 * rw_verify_area(): a count the return value cannot carry, or a range
 * past the largest offset, is EINVAL (device files have signed offsets).
 */
static bool rw_range_ok(int64_t off, size_t len)
{
	if (len > SSIZE_MAX)
		return false;
	return off < 0 || (uint64_t)off + len <= INT64_MAX;
}

/* read(2), write(2), pread(2), pwrite(2): the method is called even for
 * 0 bytes (an unbound cdev then says EINVAL). */
static ssize_t emulated_rw1(int fd, void *buf, size_t n, int64_t off,
			    bool write)
{
	struct shim_file *f;
	ssize_t ret;

	f = device_file_get(fd, write, &ret);
	if (!f)
		return ret;
	if (is_fault_node(f->id.node)) {
		struct iovec iov = { .iov_base = buf, .iov_len = n };

		ret = fault_file_rw(f, fd, &iov, 1, off, write, true);
		file_put(f);
		return ret;
	}
	if (is_stream(f) && off >= 0) {
		file_put(f);
		errno = ESPIPE;
		return -1;
	}
	if (!rw_range_ok(off, n)) {
		file_put(f);
		errno = EINVAL;
		return -1;
	}
	call_enter();
	ret = device_rw1(f, fd, buf, n, off, write);
	call_exit();
	file_put(f);
	return ret;
}

/* Largest RWF_* a file without read_iter/write_iter accepts. */
#define SHIM_RWF_HIPRI 0x1

/*
 * The vector calls, as vfs_readv()/vfs_writev() on a file with plain read
 * and write methods: the iovec array is read as the kernel would (EFAULT,
 * EINVAL), nothing at all is done for 0 bytes in total, then each segment
 * is one call of the method, stopping at an error or a short count. A
 * leading empty segment is passed on as a 0-byte call (iov_iter starts
 * there); later ones are stepped over.
 */
static ssize_t emulated_rwv(int fd, const struct iovec *uiov, int cnt,
			    int64_t off, bool write, int flags)
{
	struct iovec stack[8], *iov = stack;
	struct shim_file *f;
	size_t total = 0;
	ssize_t ret;
	int i;

	f = device_file_get(fd, write, &ret);
	if (!f)
		return ret;
	ret = -1;
	/* No position to read at: refused before the array is looked at. */
	if (is_stream(f) && off >= 0) {
		errno = ESPIPE;
		goto out;
	}
	if (cnt < 0 || cnt > IOV_MAX) {
		errno = EINVAL;
		goto out;
	}
	if ((size_t)cnt > sizeof(stack) / sizeof(stack[0])) {
		iov = malloc((size_t)cnt * sizeof(*iov));
		if (!iov) {
			errno = ENOMEM;
			goto out;
		}
	}
	/* The program's array may be anything: copied as a syscall would. */
	if (cnt) {
		struct iovec local = { iov, (size_t)cnt * sizeof(*iov) };
		struct iovec remote = { (void *)uiov, local.iov_len };

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) !=
		    (ssize_t)local.iov_len) {
			errno = EFAULT;
			goto out;
		}
	}
	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX) {
			errno = EINVAL;
			goto out;
		}
		/* import_iovec() caps the total rather than fail. */
		if (iov[i].iov_len > SSIZE_MAX - total)
			iov[i].iov_len = SSIZE_MAX - total;
		total += iov[i].iov_len;
	}
	if (is_fault_node(f->id.node)) {
		ret = fault_file_rw(f, fd, iov, cnt, off, write, false);
		goto out;
	}
	ret = 0;
	if (!total)
		goto out;
	if (!rw_range_ok(off, total)) {
		ret = -1;
		errno = EINVAL;
		goto out;
	}
	if (flags & ~SHIM_RWF_HIPRI) {
		ret = -1;
		errno = EOPNOTSUPP;
		goto out;
	}
	call_enter();
	for (i = 0; i < cnt; i++) {
		ssize_t n;

		if (i && !iov[i].iov_len)
			continue;
		n = device_rw1(f, fd, iov[i].iov_base, iov[i].iov_len,
			       off >= 0 ? off + ret : -1, write);
		if (n < 0) {
			if (!ret)
				ret = -1;
			break;
		}
		ret += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	call_exit();
out:
	if (iov != stack)
		free(iov);
	file_put(f);
	return ret;
}

static ssize_t bad_offset(void)
{
	errno = EINVAL;
	return -1;
}

#define SHIM_RW(ret, name, write, params, args, call) \
	SHIM_EXPORT ret name params                   \
	{                                             \
		if (maybe_emulated(fd)) {             \
			ssize_t r = call;             \
                                                      \
			if (r != -2)                  \
				return r;             \
		}                                     \
		return real(name) args;               \
	}

SHIM_RW(ssize_t, read, false, (int fd, void *buf, size_t n), (fd, buf, n),
	(emulated_rw1(fd, buf, n, -1, false)))
SHIM_RW(ssize_t, write, true, (int fd, const void *buf, size_t n), (fd, buf, n),
	(emulated_rw1(fd, (void *)buf, n, -1, true)))
SHIM_RW(ssize_t, pread, false, (int fd, void *buf, size_t n, off_t off),
	(fd, buf, n, off),
	(off < 0 ? bad_offset() : emulated_rw1(fd, buf, n, off, false)))
SHIM_RW(ssize_t, pread64, false, (int fd, void *buf, size_t n, off64_t off),
	(fd, buf, n, off),
	(off < 0 ? bad_offset() : emulated_rw1(fd, buf, n, off, false)))
SHIM_RW(ssize_t, pwrite, true, (int fd, const void *buf, size_t n, off_t off),
	(fd, buf, n, off),
	(off < 0 ? bad_offset() : emulated_rw1(fd, (void *)buf, n, off, true)))
SHIM_RW(ssize_t, pwrite64, true,
	(int fd, const void *buf, size_t n, off64_t off), (fd, buf, n, off),
	(off < 0 ? bad_offset() : emulated_rw1(fd, (void *)buf, n, off, true)))
SHIM_RW(ssize_t, readv, false, (int fd, const struct iovec *iov, int cnt),
	(fd, iov, cnt), (emulated_rwv(fd, iov, cnt, -1, false, 0)))
SHIM_RW(ssize_t, writev, true, (int fd, const struct iovec *iov, int cnt),
	(fd, iov, cnt), (emulated_rwv(fd, iov, cnt, -1, true, 0)))
SHIM_RW(ssize_t, preadv, false,
	(int fd, const struct iovec *iov, int cnt, off_t off),
	(fd, iov, cnt, off),
	(off < 0 ? bad_offset() : emulated_rwv(fd, iov, cnt, off, false, 0)))
SHIM_RW(ssize_t, preadv64, false,
	(int fd, const struct iovec *iov, int cnt, off64_t off),
	(fd, iov, cnt, off),
	(off < 0 ? bad_offset() : emulated_rwv(fd, iov, cnt, off, false, 0)))
SHIM_RW(ssize_t, pwritev, true,
	(int fd, const struct iovec *iov, int cnt, off_t off),
	(fd, iov, cnt, off),
	(off < 0 ? bad_offset() : emulated_rwv(fd, iov, cnt, off, true, 0)))
SHIM_RW(ssize_t, pwritev64, true,
	(int fd, const struct iovec *iov, int cnt, off64_t off),
	(fd, iov, cnt, off),
	(off < 0 ? bad_offset() : emulated_rwv(fd, iov, cnt, off, true, 0)))
SHIM_RW(ssize_t, preadv2, false,
	(int fd, const struct iovec *iov, int cnt, off_t off, int flags),
	(fd, iov, cnt, off, flags),
	(off < -1 ? bad_offset() :
		    emulated_rwv(fd, iov, cnt, off, false, flags)))
SHIM_RW(ssize_t, preadv64v2, false,
	(int fd, const struct iovec *iov, int cnt, off64_t off, int flags),
	(fd, iov, cnt, off, flags),
	(off < -1 ? bad_offset() :
		    emulated_rwv(fd, iov, cnt, off, false, flags)))
SHIM_RW(ssize_t, pwritev2, true,
	(int fd, const struct iovec *iov, int cnt, off_t off, int flags),
	(fd, iov, cnt, off, flags),
	(off < -1 ? bad_offset() :
		    emulated_rwv(fd, iov, cnt, off, true, flags)))
SHIM_RW(ssize_t, pwritev64v2, true,
	(int fd, const struct iovec *iov, int cnt, off64_t off, int flags),
	(fd, iov, cnt, off, flags),
	(off < -1 ? bad_offset() :
		    emulated_rwv(fd, iov, cnt, off, true, flags)))
/* The fortified variants, called by -D_FORTIFY_SOURCE builds. */
SHIM_RW(ssize_t, __read_chk, false,
	(int fd, void *buf, size_t n, size_t buflen), (fd, buf, n, buflen),
	(n > buflen ? (abort(), -1) : emulated_rw1(fd, buf, n, -1, false)))
SHIM_RW(ssize_t, __pread_chk, false,
	(int fd, void *buf, size_t n, off_t off, size_t buflen),
	(fd, buf, n, off, buflen),
	(n > buflen ? (abort(), -1) :
	 off < 0    ? bad_offset() :
		      emulated_rw1(fd, buf, n, off, false)))
SHIM_RW(ssize_t, __pread64_chk, false,
	(int fd, void *buf, size_t n, off64_t off, size_t buflen),
	(fd, buf, n, off, buflen),
	(n > buflen ? (abort(), -1) :
	 off < 0    ? bad_offset() :
		      emulated_rw1(fd, buf, n, off, false)))

/*
 * mmap of a VFIO device fd maps the memory behind a mappable BAR; any
 * other emulated fd has no mmap (ENODEV, as for iommufd).
 */
static void *emulated_mmap(void *addr, size_t len, int prot, int flags, int fd,
			   int64_t off)
{
	struct shim_file *f = file_get(fd);
	uint64_t src_off;
	int src_fd, rc;

	if (!f)
		return real(mmap64)(addr, len, prot, flags, fd, off);
	if (f->proxy) { /* its memory is the serving process's */
		file_put(f);
		errno = ENODEV;
		return MAP_FAILED;
	}
	if (!f->lfile || off < 0) {
		int err = f->lfile ? EINVAL : ENODEV;

		file_put(f);
		errno = err;
		return MAP_FAILED;
	}
	call_enter();
	rc = uiommufd_file_mmap(f->lfile, (uint64_t)off, len, flags, &src_fd,
				&src_off);
	call_exit();
	file_put(f);
	if (rc)
		return MAP_FAILED;
	return real(mmap64)(addr, len, prot, flags, src_fd, (off64_t)src_off);
}

SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off)
{
	if (!(flags & MAP_ANONYMOUS) && maybe_emulated(fd))
		return emulated_mmap(addr, len, prot, flags, fd, off);
	return real(mmap)(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
			 off64_t off)
{
	if (!(flags & MAP_ANONYMOUS) && maybe_emulated(fd))
		return emulated_mmap(addr, len, prot, flags, fd, off);
	return real(mmap64)(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	if (maybe_emulated(fd))
		return node_lseek();
	return real(lseek)(fd, off, whence);
}

/*
 * Reaping a child: the kernel has closed a dead process's files before its
 * parent can reap it, so a child's server here must first finish the call
 * the child died in and drop what it held (fork.c).
 */
static void shim_reaped(pid_t pid, int status, int options)
{
	/*
	 * Not for a caller that asked not to block (a SIGCHLD handler
	 * reaps with WNOHANG: the server may need a lock the interrupted
	 * thread holds), nor from inside the library.
	 */
	if (call_depth || (options & WNOHANG))
		return;
	if (pid > 0 && (WIFEXITED(status) || WIFSIGNALED(status)))
		fork_reaped(pid);
}

SHIM_EXPORT pid_t waitpid(pid_t pid, int *wstatus, int options)
{
	int status = 0;
	pid_t ret = real(waitpid)(pid, wstatus ? wstatus : &status, options);

	if (ret > 0)
		shim_reaped(ret, wstatus ? *wstatus : status, options);
	return ret;
}

SHIM_EXPORT pid_t wait(int *wstatus)
{
	return waitpid(-1, wstatus, 0);
}

SHIM_EXPORT pid_t wait4(pid_t pid, int *wstatus, int options,
			struct rusage *rusage)
{
	int status = 0;
	pid_t ret =
		real(wait4)(pid, wstatus ? wstatus : &status, options, rusage);

	if (ret > 0)
		shim_reaped(ret, wstatus ? *wstatus : status, options);
	return ret;
}

SHIM_EXPORT pid_t wait3(int *wstatus, int options, struct rusage *rusage)
{
	return wait4(-1, wstatus, options, rusage);
}

SHIM_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *infop, int options)
{
	int ret = real(waitid)(idtype, id, infop, options);

	if (!ret && infop && infop->si_pid > 0 && !call_depth &&
	    !(options & WNOHANG) &&
	    (infop->si_code == CLD_EXITED || infop->si_code == CLD_KILLED ||
	     infop->si_code == CLD_DUMPED))
		fork_reaped(infop->si_pid);
	return ret;
}

SHIM_EXPORT off64_t lseek64(int fd, off64_t off, int whence)
{
	if (maybe_emulated(fd))
		return node_lseek();
	return real(lseek64)(fd, off, whence);
}

/*
 * LeakSanitizer looks for leaks at exit(), never at _exit(), which is how
 * forked children end: the kernel selftest harness runs every test in
 * one. With UIOMMUFD_LSAN_AT_EXIT=1 and an ASan runtime loaded (a
 * sanitized build of the shim), the shim has it look at _exit() too. Only
 * on request: in the child of a multithreaded parent the check can hang on
 * locks other threads held at the fork. Otherwise this is the plain call.
 */
extern void __lsan_do_leak_check(void) __attribute__((weak));

/* Before the leak check: a child's last closes, as the kernel's exit. */
static __attribute__((noreturn)) void shim_exit(int status)
{
	shim_exit_release();
	if (shim_lsan_at_exit && __lsan_do_leak_check)
		__lsan_do_leak_check();
	for (;;)
		syscall(SYS_exit_group, status);
}

SHIM_EXPORT void _exit(int status)
{
	shim_exit(status);
}

SHIM_EXPORT void _Exit(int status)
{
	shim_exit(status);
}
