// SPDX-License-Identifier: BSD-3-Clause
/*
 * User memory of the process a call acts for. Copies go through
 * process_vm_readv/writev: the kernel checks every address and permission
 * and reports a bad one as EFAULT, where a plain memcpy would crash.
 * Pinning is emulated by faulting the range in with MADV_POPULATE_READ/
 * WRITE, which fails on holes and on missing permission as pin_user_pages
 * does.
 *
 * Usually that process is this one. A frontend that serves another process
 * (the shim serving a forked child) makes a umem for its pid
 * (uiommufd_mm_open()) and runs the child's calls under it
 * (uiommufd_mm_use()). The "physical address" of a pinned page is an
 * address in this process, so another process's page can be pinned only
 * if this process maps the same memory at the same address: shared memory
 * both inherited from before the fork, the common case. A pin of anything
 * else (the child's private or copy-on-write pages) fails with EFAULT: the
 * kernel would pin the child's page, which this process cannot reach.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "iommufd_private.h"

/*
 * process_vm_writev into our own memory is invisible to Valgrind, which
 * would then report the caller reading results it thinks undefined.
 */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define mark_written(addr, len) VALGRIND_MAKE_MEM_DEFINED(addr, len)
#endif
#endif
#ifndef mark_written
#define mark_written(addr, len) ((void)(addr), (void)(len))
#endif

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int pid_rw(pid_t pid, uint64_t remote, void *local, size_t len,
		  bool write)
{
	while (len) {
		struct iovec l = { .iov_base = local, .iov_len = len };
		struct iovec r = { .iov_base = (void *)(uintptr_t)remote,
				   .iov_len = len };
		ssize_t done;

		if (remote != (uintptr_t)remote)
			return -EFAULT;
		if (write) {
			done = process_vm_writev(pid, &l, 1, &r, 1, 0);
			if (done > 0 && pid == getpid())
				mark_written(r.iov_base, done);
		} else {
			done = process_vm_readv(pid, &l, 1, &r, 1, 0);
		}
		if (done < 0 && errno == EINTR)
			continue;
		/* A short transfer means the next byte faulted. */
		if (done <= 0)
			return -EFAULT;
		local = (char *)local + done;
		remote += done;
		len -= done;
	}
	return 0;
}

/*
 * The fast path. A process_vm_* call costs about a microsecond, most of
 * it pinning the page; a VMM's register access (its value in a local
 * variable) is little more. The calling thread's stack between the
 * current frame and its top holds the frames of our callers, so it is
 * mapped and writable while this call runs: a range wholly inside it is
 * copied directly. Anything else, and a thread running on another stack
 * (a signal's alternate stack, a coroutine's; ASan's fake stacks), goes
 * through the kernel. Only a program that took write or read permission
 * away from its own live stack frames could tell the difference.
 */
static __thread uintptr_t stack_lo, stack_hi; /* [lo, hi); 0: not known */

/*
 * Not under AddressSanitizer: a copy may legitimately run past the
 * caller's object (a string read page by page, a struct with a larger
 * declared size), which the kernel's copies and ours through
 * process_vm_* do unseen, but which ASan reports in a memcpy.
 */
#if defined(__SANITIZE_ADDRESS__)
#define UACCESS_STACK_FAST_PATH 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UACCESS_STACK_FAST_PATH 0
#endif
#endif
#ifndef UACCESS_STACK_FAST_PATH
#define UACCESS_STACK_FAST_PATH 1
#endif

static __attribute__((noinline)) bool on_own_stack(uint64_t addr, size_t len)
{
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);

	if (!UACCESS_STACK_FAST_PATH)
		return false;
	if (!stack_hi) {
		pthread_attr_t attr;
		void *base;
		size_t size;

		stack_hi = 1; /* unknown: never matches below */
		if (!pthread_getattr_np(pthread_self(), &attr)) {
			if (!pthread_attr_getstack(&attr, &base, &size)) {
				stack_lo = (uintptr_t)base;
				stack_hi = (uintptr_t)base + size;
			}
			pthread_attr_destroy(&attr);
		}
	}
	return frame >= stack_lo && frame < stack_hi && addr >= frame &&
	       addr < stack_hi && len <= stack_hi - addr;
}

static int self_read(struct iommufd_umem *umem, void *dst, uint64_t src,
		     size_t len)
{
	(void)umem;
	if (on_own_stack(src, len)) {
		memcpy(dst, (const void *)(uintptr_t)src, len);
		return 0;
	}
	return pid_rw(getpid(), src, dst, len, false);
}

static int self_write(struct iommufd_umem *umem, uint64_t dst, const void *src,
		      size_t len)
{
	(void)umem;
	if (on_own_stack(dst, len)) {
		memcpy((void *)(uintptr_t)dst, src, len);
		return 0;
	}
	return pid_rw(getpid(), dst, (void *)src, len, true);
}

static int self_populate(struct iommufd_umem *umem, uint64_t start, size_t len,
			 bool write)
{
	int advice = write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;

	(void)umem;
	if (start != (uintptr_t)start || start + len < start)
		return -EFAULT;
	while (madvise((void *)(uintptr_t)start, len, advice)) {
		if (errno != EINTR && errno != EAGAIN)
			return -EFAULT;
	}
	return 0;
}

static bool self_capable(struct iommufd_umem *umem, int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2] = {};

	(void)umem;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

static uint64_t self_memlock_limit(struct iommufd_umem *umem)
{
	struct rlimit rl;

	(void)umem;
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return 0;
	return rl.rlim_cur;
}

static const struct iommufd_umem_ops self_ops = {
	.read = self_read,
	.write = self_write,
	.populate = self_populate,
	.capable = self_capable,
	.memlock_limit = self_memlock_limit,
};

static struct iommufd_umem self_umem = {
	.ops = &self_ops,
	.refs = 1,
	.pages_lock = PTHREAD_MUTEX_INITIALIZER,
	.pages_list = LIST_HEAD_INIT(self_umem.pages_list),
};

/* The umem of the process the calling thread serves; NULL: this one. */
static __thread struct iommufd_umem *current_umem;

struct iommufd_umem *iommufd_umem_self(void)
{
	return current_umem ? current_umem : &self_umem;
}

struct iommufd_umem *iommufd_umem_local(void)
{
	return &self_umem;
}

void iommufd_umem_get(struct iommufd_umem *umem)
{
	atomic_fetch_add(&umem->refs, 1);
}

void iommufd_umem_put(struct iommufd_umem *umem)
{
	if (atomic_fetch_sub(&umem->refs, 1) == 1 && umem->ops->release)
		umem->ops->release(umem);
}

/* ---- another process's memory ---------------------------------------- */

/*
 * @pidfd tells whether @pid is still the process we mean: once it exits,
 * its pid may be reused, and pidfd polls readable from the exit on. @gone
 * is set by the frontend when the process can no longer be trusted to be
 * the one it served (it exited or exec'd).
 */
struct uiommufd_mm {
	struct iommufd_umem umem;
	pid_t pid;
	int pidfd;
	atomic_bool gone;
};

static struct uiommufd_mm *to_mm(struct iommufd_umem *umem)
{
	return container_of(umem, struct uiommufd_mm, umem);
}

static bool mm_alive(struct uiommufd_mm *mm)
{
	struct pollfd p = { .fd = mm->pidfd, .events = POLLIN };

	if (atomic_load(&mm->gone))
		return false;
	while (poll(&p, 1, 0) < 0)
		if (errno != EINTR)
			return false;
	return !(p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL));
}

/* Checked after the copy too: a pid reused meanwhile is not ours. */
static int mm_rw(struct iommufd_umem *umem, uint64_t remote, void *local,
		 size_t len, bool write)
{
	struct uiommufd_mm *mm = to_mm(umem);
	int rc;

	if (!mm_alive(mm))
		return -EFAULT;
	rc = pid_rw(mm->pid, remote, local, len, write);
	if (!rc && !mm_alive(mm))
		rc = -EFAULT;
	return rc;
}

static int mm_read(struct iommufd_umem *umem, void *dst, uint64_t src,
		   size_t len)
{
	return mm_rw(umem, src, dst, len, false);
}

static int mm_write(struct iommufd_umem *umem, uint64_t dst, const void *src,
		    size_t len)
{
	return mm_rw(umem, dst, (void *)src, len, true);
}

/* One line of /proc/PID/maps. */
struct maps_vma {
	uint64_t start, end, pgoff, ino;
	unsigned int dev_major, dev_minor;
	char perms[5];
};

/*
 * Calls @fn on each mapping of /proc/@pid/maps overlapping [start, end)
 * in address order, until it returns non-zero (its value is returned).
 * -EFAULT if the file cannot be read. Reads with a fixed buffer: no
 * allocation.
 */
static int maps_walk(pid_t pid, uint64_t start, uint64_t end,
		     int (*fn)(const struct maps_vma *vma, void *arg),
		     void *arg)
{
	char path[64], buf[4096];
	size_t have = 0;
	bool eof = false;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EFAULT;
	while (!rc) {
		char *nl = memchr(buf, '\n', have);
		struct maps_vma vma;

		if (!nl && !eof && have < sizeof(buf)) {
			ssize_t n = read(fd, buf + have, sizeof(buf) - have);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = -EFAULT;
				break;
			}
			eof = n == 0;
			have += (size_t)n;
			continue;
		}
		if (!nl && (eof || have == sizeof(buf))) {
			if (!have)
				break;
			/* A last line without newline, or a name too long
			 * for the buffer: its head still parses. */
			nl = buf + have - 1;
		}
		*nl = '\0';
		if (sscanf(buf,
			   "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64
			   " %x:%x %" SCNu64,
			   &vma.start, &vma.end, vma.perms, &vma.pgoff,
			   &vma.dev_major, &vma.dev_minor, &vma.ino) == 7) {
			if (vma.start >= end)
				break;
			if (vma.end > start)
				rc = fn(&vma, arg);
		}
		have -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have);
	}
	close(fd);
	return rc;
}

/* A piece of the child's memory that this process must map the same way. */
struct same_mapping {
	const struct maps_vma *child;
	uint64_t next; /* first address of the piece not yet matched */
	uint64_t end;
	bool write;
};

static int match_local(const struct maps_vma *vma, void *arg)
{
	struct same_mapping *s = arg;
	const struct maps_vma *c = s->child;

	if (vma->start > s->next)
		return -EFAULT; /* a hole here */
	if (vma->perms[0] != 'r' || (s->write && vma->perms[1] != 'w') ||
	    vma->perms[3] != 's' || vma->ino != c->ino ||
	    vma->dev_major != c->dev_major || vma->dev_minor != c->dev_minor ||
	    vma->pgoff - vma->start != c->pgoff - c->start)
		return -EFAULT;
	s->next = vma->end;
	return s->next >= s->end ? 1 : 0;
}

/* The range being pinned, walked through the child's mappings. */
struct remote_pin {
	uint64_t next, end;
	bool write;
};

static int match_child(const struct maps_vma *vma, void *arg)
{
	struct remote_pin *p = arg;
	struct same_mapping s = { .child = vma, .write = p->write };
	int rc;

	if (vma->start > p->next)
		return -EFAULT; /* a hole: pin_user_pages fails */
	if (vma->perms[0] != 'r' || (p->write && vma->perms[1] != 'w') ||
	    vma->perms[3] != 's' || !vma->ino)
		return -EFAULT;
	s.next = p->next;
	s.end = IOMMUFD_MIN(vma->end, p->end);
	rc = maps_walk(getpid(), s.next, s.end, match_local, &s);
	if (rc < 0 || s.next < s.end)
		return -EFAULT;
	p->next = s.end;
	return p->next >= p->end ? 1 : 0;
}

static int mm_populate(struct iommufd_umem *umem, uint64_t start, size_t len,
		       bool write)
{
	struct uiommufd_mm *mm = to_mm(umem);
	struct remote_pin p = { .next = start,
				.end = start + len,
				.write = write };
	int rc;

	if (start != (uintptr_t)start || start + len < start)
		return -EFAULT;
	if (!len)
		return 0;
	if (!mm_alive(mm))
		return -EFAULT;
	rc = maps_walk(mm->pid, start, start + len, match_child, &p);
	if (rc < 0 || p.next < p.end)
		return -EFAULT;
	/* The same pages are ours at the same address: fault them in here. */
	rc = self_populate(&self_umem, start, len, write);
	if (!rc && !mm_alive(mm))
		rc = -EFAULT;
	return rc;
}

static bool mm_capable(struct iommufd_umem *umem, int cap)
{
	struct uiommufd_mm *mm = to_mm(umem);
	char path[64], line[256];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)mm->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && mm_alive(mm) && (eff >> cap) & 1;
}

static uint64_t mm_memlock_limit(struct iommufd_umem *umem)
{
	struct rlimit rl;

	if (prlimit(to_mm(umem)->pid, RLIMIT_MEMLOCK, NULL, &rl))
		return 0;
	return rl.rlim_cur;
}

static void mm_release(struct iommufd_umem *umem)
{
	struct uiommufd_mm *mm = to_mm(umem);

	uiommufd_private_fd_close(mm->pidfd);
	pthread_mutex_destroy(&umem->pages_lock);
	free(mm);
}

static const struct iommufd_umem_ops mm_ops = {
	.read = mm_read,
	.write = mm_write,
	.populate = mm_populate,
	.capable = mm_capable,
	.memlock_limit = mm_memlock_limit,
	.release = mm_release,
};

UIOMMUFD_EXPORT struct uiommufd_mm *uiommufd_mm_open(pid_t pid)
{
	struct uiommufd_mm *mm;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return NULL;
	mm->pidfd =
		uiommufd_private_fd_add((int)syscall(SYS_pidfd_open, pid, 0));
	if (mm->pidfd < 0) {
		free(mm);
		return NULL;
	}
	mm->pid = pid;
	mm->umem.ops = &mm_ops;
	atomic_init(&mm->umem.refs, 1);
	pthread_mutex_init(&mm->umem.pages_lock, NULL);
	list_init(&mm->umem.pages_list);
	return mm;
}

UIOMMUFD_EXPORT void uiommufd_mm_gone(struct uiommufd_mm *mm)
{
	if (mm)
		atomic_store(&mm->gone, true);
}

UIOMMUFD_EXPORT void uiommufd_mm_put(struct uiommufd_mm *mm)
{
	if (mm)
		iommufd_umem_put(&mm->umem);
}

UIOMMUFD_EXPORT struct uiommufd_mm *uiommufd_mm_use(struct uiommufd_mm *mm)
{
	struct iommufd_umem *prev = current_umem;

	current_umem = mm ? &mm->umem : NULL;
	return prev ? to_mm(prev) : NULL;
}

int iommufd_copy_from_user(struct iommufd_umem *umem, void *dst, uint64_t src,
			   size_t len)
{
	if (!len)
		return 0;
	return umem->ops->read(umem, dst, src, len);
}

int iommufd_strncpy_from_user(struct iommufd_umem *umem, char *dst,
			      uint64_t src, size_t size)
{
	size_t done = 0;

	/* Page by page: the string may end just before an unmapped page. */
	while (done < size) {
		size_t n = 4096 - ((src + done) & 4095);
		char *nul;

		if (n > size - done)
			n = size - done;
		if (umem->ops->read(umem, dst + done, src + done, n))
			return -EFAULT;
		nul = memchr(dst + done, '\0', n);
		if (nul)
			return (int)(nul - dst);
		done += n;
	}
	return -EINVAL;
}

int iommufd_copy_to_user(struct iommufd_umem *umem, uint64_t dst,
			 const void *src, size_t len)
{
	if (!len)
		return 0;
	return umem->ops->write(umem, dst, src, len);
}

int iommufd_check_zeroed_user(struct iommufd_umem *umem, uint64_t src,
			      size_t len)
{
	static const uint8_t zero[4096];
	uint8_t buf[4096];

	while (len) {
		size_t chunk = IOMMUFD_MIN(len, sizeof(buf));
		int rc = iommufd_copy_from_user(umem, buf, src, chunk);

		if (rc)
			return rc;
		if (memcmp(buf, zero, chunk))
			return 0;
		src += chunk;
		len -= chunk;
	}
	return 1;
}

/* Zero [dst, dst + len) of user memory: -EFAULT where it cannot be written */
int iommufd_clear_user(struct iommufd_umem *umem, uint64_t dst, size_t len)
{
	static const unsigned char zeroes[4096];

	while (len) {
		size_t n = len < sizeof(zeroes) ? len : sizeof(zeroes);
		int rc = iommufd_copy_to_user(umem, dst, zeroes, n);

		if (rc)
			return rc;
		dst += n;
		len -= n;
	}
	return 0;
}

int iommufd_copy_struct_from_user(struct iommufd_umem *umem, void *dst,
				  size_t ksize, uint64_t src, size_t usize)
{
	size_t size = IOMMUFD_MIN(ksize, usize);

	if (usize < ksize) {
		memset((char *)dst + size, 0, ksize - size);
	} else if (usize > ksize) {
		int rc = iommufd_check_zeroed_user(umem, src + ksize,
						   usize - ksize);

		if (rc <= 0)
			return rc ? rc : -E2BIG;
	}
	return iommufd_copy_from_user(umem, dst, src, size);
}
