/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the iommufd conformance suite: the case registry, the checks,
 * per-case resources and main().
 *
 * Usage: PROG [--list] [NAME|PATTERN...]
 * With no name every registered case runs; names may be fnmatch(3)
 * patterns. The output ends with cmocka-style summary lines.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conformance.h"

static struct conf_test *conf_tests;
static unsigned int conf_ntests;

void conf_register(struct conf_test *test)
{
	test->next = conf_tests;
	conf_tests = test;
	conf_ntests++;
}

/* ---------------------------------------------------------------------- */
/* Per-case state                                                          */
/* ---------------------------------------------------------------------- */

enum conf_result { CONF_PASS, CONF_FAIL, CONF_SKIP };

#define CONF_MAX_FDS 64
#define CONF_MAX_MAPS 64

static struct {
	jmp_buf env;
	bool running;
	int fds[CONF_MAX_FDS];
	unsigned int nfds;
	struct {
		void *addr;
		size_t len;
	} maps[CONF_MAX_MAPS];
	unsigned int nmaps;
	char note[256];
	bool caps_saved;
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	bool memlock_saved;
	struct rlimit memlock;
} cur;

static struct __user_cap_header_struct conf_cap_hdr(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return hdr;
}

static void conf_release(void)
{
	if (cur.caps_saved) {
		struct __user_cap_header_struct hdr = conf_cap_hdr();

		syscall(SYS_capset, &hdr, cur.caps);
		cur.caps_saved = false;
	}
	if (cur.memlock_saved) {
		setrlimit(RLIMIT_MEMLOCK, &cur.memlock);
		cur.memlock_saved = false;
	}
	while (cur.nfds)
		close(cur.fds[--cur.nfds]);
	while (cur.nmaps) {
		cur.nmaps--;
		munmap(cur.maps[cur.nmaps].addr, cur.maps[cur.nmaps].len);
	}
}

static __attribute__((noreturn)) void conf_end(enum conf_result result)
{
	if (!cur.running) {
		fflush(stdout);
		exit(1);
	}
	longjmp(cur.env, result);
}

const char *conf_errname(int err)
{
	const char *name;

	if (!err)
		return "0";
	name = strerrorname_np(err);
	return name ? name : "E?";
}

void conf_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cur.note, sizeof(cur.note), fmt, ap);
	va_end(ap);
}

void conf_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (cur.note[0])
		printf("    while: %s\n", cur.note);
	conf_end(CONF_FAIL);
}

void conf_skip(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%d: skipped: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	conf_end(CONF_SKIP);
}

void conf_check_ok(const char *file, int line, const char *expr, long rc,
		   int err)
{
	if (rc == 0)
		return;
	if (rc == -1)
		conf_fail(file, line,
			  "%s\n    expected: success (0)\n    actual:   -1, "
			  "errno %s (%s)",
			  expr, conf_errname(err), strerror(err));
	conf_fail(file, line,
		  "%s\n    expected: success (0)\n    actual:   %ld", expr, rc);
}

void conf_check_errno(const char *file, int line, const char *expr,
		      int expected, long rc, int err)
{
	if (rc == -1 && err == expected)
		return;
	if (rc == -1)
		conf_fail(file, line,
			  "%s\n    expected: -1, errno %s (%s)\n    actual:   "
			  "-1, errno %s (%s)",
			  expr, conf_errname(expected), strerror(expected),
			  conf_errname(err), strerror(err));
	conf_fail(file, line,
		  "%s\n    expected: -1, errno %s (%s)\n    actual:   %ld "
		  "(not -1)",
		  expr, conf_errname(expected), strerror(expected), rc);
}

void conf_check_eq(const char *file, int line, const char *expr,
		   const char *expected_expr, uint64_t actual,
		   uint64_t expected)
{
	if (actual == expected)
		return;
	conf_fail(file, line,
		  "%s == %s\n    expected: %llu (0x%llx)\n    actual:   %llu "
		  "(0x%llx)",
		  expr, expected_expr, (unsigned long long)expected,
		  (unsigned long long)expected, (unsigned long long)actual,
		  (unsigned long long)actual);
}

/* ---------------------------------------------------------------------- */
/* Resources                                                               */
/* ---------------------------------------------------------------------- */

int conf_adopt_fd_at(const char *file, int line, int fd)
{
	if (fd < 0)
		conf_fail(file, line, "bad descriptor: %s (%s)",
			  conf_errname(errno), strerror(errno));
	if (cur.nfds == CONF_MAX_FDS) {
		close(fd);
		conf_fail(file, line, "harness: too many descriptors");
	}
	cur.fds[cur.nfds++] = fd;
	return fd;
}

int conf_open_at(const char *file, int line)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		conf_fail(file, line, "open(\"/dev/iommu\"): %s (%s)",
			  conf_errname(errno), strerror(errno));
	return conf_adopt_fd_at(file, line, fd);
}

int conf_open_vfio_at(const char *file, int line)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		conf_fail(file, line, "open(\"/dev/vfio/vfio\"): %s (%s)",
			  conf_errname(errno), strerror(errno));
	return conf_adopt_fd_at(file, line, fd);
}

void conf_forget_fd(int fd)
{
	unsigned int i;

	for (i = 0; i != cur.nfds; i++) {
		if (cur.fds[i] == fd) {
			cur.fds[i] = cur.fds[--cur.nfds];
			return;
		}
	}
}

static void *conf_track(const char *file, int line, void *addr, size_t len)
{
	if (cur.nmaps == CONF_MAX_MAPS) {
		munmap(addr, len);
		conf_fail(file, line, "harness: too many mappings");
	}
	cur.maps[cur.nmaps].addr = addr;
	cur.maps[cur.nmaps].len = len;
	cur.nmaps++;
	return addr;
}

void *conf_mem_at(const char *file, int line, size_t len, size_t align)
{
	size_t total, head, tail;
	char *raw, *p;

	if (align < PAGE_SZ)
		align = PAGE_SZ;
	len = (len + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	total = len + align;
	raw = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		conf_fail(file, line, "harness: mmap(%zu): %s", total,
			  conf_errname(errno));
	p = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	head = p - raw;
	tail = total - head - len;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(p + len, tail);
	return conf_track(file, line, p, len);
}

void *conf_guarded_at(const char *file, int line, size_t len)
{
	size_t span = (len + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	char *p;

	p = mmap(NULL, span + PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		conf_fail(file, line, "harness: mmap: %s", conf_errname(errno));
	conf_track(file, line, p, span + PAGE_SZ);
	if (mprotect(p + span, PAGE_SZ, PROT_NONE))
		conf_fail(file, line, "harness: mprotect: %s",
			  conf_errname(errno));
	return p + span - len;
}

void conf_readonly_at(const char *file, int line, void *p, size_t len)
{
	uintptr_t start = (uintptr_t)p & ~(PAGE_SZ - 1);
	uintptr_t end = ((uintptr_t)p + len + PAGE_SZ - 1) & ~(PAGE_SZ - 1);

	if (mprotect((void *)start, end - start, PROT_READ))
		conf_fail(file, line, "harness: mprotect: %s",
			  conf_errname(errno));
}

bool conf_under_uiommufd(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "libuiommufd-preload");
}

bool conf_has_cap(int cap)
{
	struct __user_cap_header_struct hdr = conf_cap_hdr();
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

bool conf_set_cap(int cap, bool on)
{
	struct __user_cap_header_struct hdr = conf_cap_hdr();
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	if (!cur.caps_saved) {
		memcpy(cur.caps, data, sizeof(data));
		cur.caps_saved = true;
	}
	if (on)
		data[cap / 32].effective |= 1U << (cap % 32);
	else
		data[cap / 32].effective &= ~(1U << (cap % 32));
	hdr = conf_cap_hdr();
	syscall(SYS_capset, &hdr, data);
	return conf_has_cap(cap) == on;
}

bool conf_set_memlock(uint64_t bytes)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_MEMLOCK, &lim))
		return false;
	if (!cur.memlock_saved) {
		cur.memlock = lim;
		cur.memlock_saved = true;
	}
	lim.rlim_cur = bytes < lim.rlim_max ? bytes : lim.rlim_max;
	return setrlimit(RLIMIT_MEMLOCK, &lim) == 0 && lim.rlim_cur == bytes;
}

/* ---------------------------------------------------------------------- */
/* Short-hands                                                             */
/* ---------------------------------------------------------------------- */

static void conf_fail_errno(const char *file, int line, const char *what)
{
	conf_fail(file, line, "%s failed: %s (%s)", what, conf_errname(errno),
		  strerror(errno));
}

uint32_t conf_ioas_alloc_at(const char *file, int line, int fd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd))
		conf_fail_errno(file, line, "IOMMU_IOAS_ALLOC");
	return cmd.out_ioas_id;
}

void conf_destroy_at(const char *file, int line, int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	if (ioctl(fd, IOMMU_DESTROY, &cmd))
		conf_fail_errno(file, line, "IOMMU_DESTROY");
}

int conf_map(int fd, uint32_t ioas, uint32_t flags, const void *va,
	     uint64_t len, uint64_t *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova ? *iova : 0,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!rc && iova)
		*iova = cmd.iova;
	return rc;
}

void conf_map_fixed_at(const char *file, int line, int fd, uint32_t ioas,
		       const void *va, uint64_t len, uint64_t iova)
{
	uint64_t out = iova;

	if (conf_map(fd, ioas, MAP_FIXED_RW, va, len, &out))
		conf_fail_errno(file, line, "IOMMU_IOAS_MAP (fixed)");
	if (out != iova)
		conf_fail(file, line, "fixed map moved iova 0x%llx to 0x%llx",
			  (unsigned long long)iova, (unsigned long long)out);
}

uint64_t conf_map_auto_at(const char *file, int line, int fd, uint32_t ioas,
			  const void *va, uint64_t len)
{
	uint64_t iova = 0;

	if (conf_map(fd, ioas, MAP_RW, va, len, &iova))
		conf_fail_errno(file, line, "IOMMU_IOAS_MAP (auto)");
	return iova;
}

int conf_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t *len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = *len,
	};
	int rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!rc)
		*len = cmd.length;
	return rc;
}

uint64_t conf_unmap_at(const char *file, int line, int fd, uint32_t ioas,
		       uint64_t iova, uint64_t len)
{
	if (conf_unmap(fd, ioas, iova, &len))
		conf_fail_errno(file, line, "IOMMU_IOAS_UNMAP");
	return len;
}

int conf_copy(int fd, uint32_t dst_ioas, uint32_t src_ioas, uint32_t flags,
	      uint64_t src_iova, uint64_t len, uint64_t *dst_iova)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_ioas,
		.src_ioas_id = src_ioas,
		.length = len,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc = ioctl(fd, IOMMU_IOAS_COPY, &cmd);

	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

int conf_allow(int fd, uint32_t ioas, const struct iommu_iova_range *ranges,
	       uint32_t num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

int conf_option(int fd, uint32_t option_id, uint16_t op, uint32_t object_id,
		uint64_t *val64)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val64,
	};
	int rc = ioctl(fd, IOMMU_OPTION, &cmd);

	if (!rc)
		*val64 = cmd.val64;
	return rc;
}

void conf_expect_mapped_at(const char *file, int line, int fd, uint32_t ioas,
			   const void *va, uint64_t iova, uint64_t len)
{
	uint64_t got = len;

	if (conf_unmap(fd, ioas, iova, &got))
		conf_fail(file, line,
			  "expected [0x%llx, +0x%llx) mapped: unmap gave %s",
			  (unsigned long long)iova, (unsigned long long)len,
			  conf_errname(errno));
	if (got != len)
		conf_fail(file, line,
			  "expected [0x%llx, +0x%llx) fully mapped: unmap "
			  "removed 0x%llx bytes",
			  (unsigned long long)iova, (unsigned long long)len,
			  (unsigned long long)got);
	conf_map_fixed_at(file, line, fd, ioas, va, len, iova);
}

void conf_expect_unmapped_at(const char *file, int line, int fd, uint32_t ioas,
			     const void *va, uint64_t iova, uint64_t len)
{
	uint64_t at = iova;

	if (conf_map(fd, ioas, MAP_FIXED_RW, va, len, &at))
		conf_fail(file, line,
			  "expected [0x%llx, +0x%llx) free: fixed map gave %s",
			  (unsigned long long)iova, (unsigned long long)len,
			  conf_errname(errno));
	conf_unmap_at(file, line, fd, ioas, iova, len);
}

/* ---------------------------------------------------------------------- */
/* main                                                                    */
/* ---------------------------------------------------------------------- */

static int conf_cmp(const void *a, const void *b)
{
	const struct conf_test *x = *(struct conf_test *const *)a;
	const struct conf_test *y = *(struct conf_test *const *)b;
	int rc = strcmp(x->file, y->file);

	return rc ? rc : x->line - y->line;
}

static bool conf_selected(const struct conf_test *t, int argc, char **argv,
			  bool *used)
{
	bool any = false;
	int i;

	if (argc <= 1)
		return true;
	for (i = 1; i < argc; i++) {
		if (!fnmatch(argv[i], t->name, 0)) {
			used[i] = true;
			any = true;
		}
	}
	return any;
}

static enum conf_result conf_run(struct conf_test *t)
{
	volatile int result;

	cur.nfds = 0;
	cur.nmaps = 0;
	cur.note[0] = 0;
	result = setjmp(cur.env);
	if (!result) {
		cur.running = true;
		t->fn();
		result = CONF_PASS;
	}
	cur.running = false;
	conf_release();
	return result;
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 :
						   argv[0];
	struct conf_test **all, **failed, **skipped;
	unsigned int i, n = 0, npass = 0, nfail = 0, nskip = 0;
	bool list = false, *used;
	struct conf_test *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		list = true;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	for (i = 1; i < (unsigned int)argc; i++) {
		if (argv[i][0] == '-') {
			fprintf(stderr,
				"usage: %s [--list] [NAME|PATTERN...]\n", prog);
			return 2;
		}
	}

	all = calloc(conf_ntests + 1, sizeof(*all));
	failed = calloc(conf_ntests + 1, sizeof(*failed));
	skipped = calloc(conf_ntests + 1, sizeof(*skipped));
	used = calloc(argc + 1, sizeof(*used));
	if (!all || !failed || !skipped || !used)
		return 2;
	for (t = conf_tests; t; t = t->next)
		if (conf_selected(t, argc, argv, used))
			all[n++] = t;
	qsort(all, n, sizeof(*all), conf_cmp);
	for (i = 1; i < (unsigned int)argc; i++) {
		if (!used[i]) {
			fprintf(stderr, "%s: no test matches '%s'\n", prog,
				argv[i]);
			return 2;
		}
	}

	if (list) {
		for (i = 0; i != n; i++)
			printf("%s\n", all[i]->name);
		return 0;
	}

	printf("[==========] %s: Running %u test(s).\n", prog, n);
	for (i = 0; i != n; i++) {
		printf("[ RUN      ] %s\n", all[i]->name);
		switch (conf_run(all[i])) {
		case CONF_PASS:
			npass++;
			printf("[       OK ] %s\n", all[i]->name);
			break;
		case CONF_SKIP:
			skipped[nskip++] = all[i];
			printf("[  SKIPPED ] %s\n", all[i]->name);
			break;
		default:
			failed[nfail++] = all[i];
			printf("[  FAILED  ] %s\n", all[i]->name);
			break;
		}
	}
	printf("[==========] %s: %u test(s) run.\n", prog, n);
	printf("[  PASSED  ] %u test(s).\n", npass);
	if (nskip) {
		printf("[  SKIPPED ] %u test(s), listed below:\n", nskip);
		for (i = 0; i != nskip; i++)
			printf("[  SKIPPED ] %s\n", skipped[i]->name);
	}
	if (nfail) {
		printf("[  FAILED  ] %u test(s), listed below:\n", nfail);
		for (i = 0; i != nfail; i++)
			printf("[  FAILED  ] %s\n", failed[i]->name);
		printf("\n %u FAILED TEST(S)\n", nfail);
	}
	free(all);
	free(failed);
	free(skipped);
	free(used);
	return nfail ? 1 : 0;
}

void *conf_touched_at(const char *file, int line, size_t len)
{
	void *p = conf_mem_at(file, line, len, 0);

	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 0x5a, len);
	return p;
}

int conf_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

int conf_test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

int conf_check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len,
		   const void *uptr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)uptr },
	};

	return conf_test_cmd(fd, &cmd);
}

int conf_check_refs(int fd, const void *uptr, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len,
				.uptr = (uintptr_t)uptr,
				.refs = refs },
	};

	return conf_test_cmd(fd, &cmd);
}

int conf_mock_domain(int fd, bool flags_op, uint32_t pt_id, uint32_t dev_flags,
		     struct conf_mock_dev *dev)
{
	struct iommu_test_cmd cmd = {
		.op = flags_op ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				 IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc = conf_test_cmd(fd, &cmd);

	if (!rc && dev) {
		dev->stdev_id = cmd.mock_domain.out_stdev_id;
		dev->idev_id = cmd.mock_domain.out_idev_id;
		dev->hwpt_id = cmd.mock_domain.out_hwpt_id;
	}
	return rc;
}

struct conf_mock_dev conf_mock_domain_at(const char *file, int line, int fd,
					 uint32_t pt_id, uint32_t dev_flags)
{
	struct conf_mock_dev dev = { 0 };

	if (conf_mock_domain(fd, dev_flags != 0, pt_id, dev_flags, &dev))
		conf_fail(file, line, "MOCK_DOMAIN on %u (flags 0x%x): %s",
			  pt_id, dev_flags, conf_errname(errno));
	return dev;
}

int conf_mock_replace(int fd, uint32_t stdev_id, uint32_t pt_id, uint32_t *out)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = conf_test_cmd(fd, &cmd);

	if (!rc && out)
		*out = cmd.mock_domain_replace.pt_id;
	return rc;
}

int conf_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		    uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc && out)
		*out = cmd.out_hwpt_id;
	return rc;
}
