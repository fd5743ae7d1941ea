// SPDX-License-Identifier: BSD-3-Clause
/*
 * User memory of the calling process. Copies go through
 * process_vm_readv/writev on our own pid: the kernel checks every address
 * and permission and reports a bad one as EFAULT, where a plain memcpy
 * would crash. Pinning is emulated by faulting the range in with
 * MADV_POPULATE_READ/WRITE, which fails on holes and on missing permission
 * as pin_user_pages does.
 */
#include <errno.h>
#include <pthread.h>
#include <linux/capability.h>
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

static int self_rw(uint64_t remote, void *local, size_t len, bool write)
{
	while (len) {
		struct iovec l = { .iov_base = local, .iov_len = len };
		struct iovec r = { .iov_base = (void *)(uintptr_t)remote,
				   .iov_len = len };
		ssize_t done;

		if (remote != (uintptr_t)remote)
			return -EFAULT;
		if (write) {
			done = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
			if (done > 0)
				mark_written(r.iov_base, done);
		} else {
			done = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
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
	return self_rw(src, dst, len, false);
}

static int self_write(struct iommufd_umem *umem, uint64_t dst, const void *src,
		      size_t len)
{
	(void)umem;
	if (on_own_stack(dst, len)) {
		memcpy((void *)(uintptr_t)dst, src, len);
		return 0;
	}
	return self_rw(dst, (void *)src, len, true);
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
	.pages_lock = PTHREAD_MUTEX_INITIALIZER,
	.pages_list = LIST_HEAD_INIT(self_umem.pages_list),
};

struct iommufd_umem *iommufd_umem_self(void)
{
	return &self_umem;
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
