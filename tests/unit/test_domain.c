// SPDX-License-Identifier: BSD-3-Clause
/*
 * IOMMU domains under an IOAS, the devices attached to them and the
 * hardware page tables wrapping them.
 *
 *  - iommu_map()/iommu_unmap() splitting a range into the page sizes of a
 *    mock domain (2 KiB, and 1 MiB for MOCK_FLAGS_DEVICE_HUGE_IOVA), seen
 *    in the mock's entries (START/LAST/HUGE), and unwinding a failed map;
 *  - domains mirroring the IOAS: filled on attach, emptied on detach, kept
 *    equal to the IOAS by map/unmap/copy with one and two domains; the
 *    aperture and IOVA alignment they impose, and EADDRINUSE when existing
 *    areas conflict with them;
 *  - pinning while a domain exists: EFAULT on missing memory, MD_CHECK_REFS
 *    counts, the RLIMIT_MEMLOCK counters rising on attach;
 *  - device objects: IDs, EBUSY, teardown with the selftest object,
 *    replace, automatic domains shared and destroyed with their last
 *    device, explicit HWPTs not;
 *  - IOMMU_HWPT_ALLOC errnos, IOMMU_GET_HW_INFO, dirty tracking;
 *  - threads mapping while others attach and detach domains.
 *
 * Through uiommufd_ioctl() and IOMMU_TEST_CMD where the uAPI can see it;
 * the mock's entries and the split itself through the internal API.
 *
 * Tests named bug_* reproduce library bugs (see their comments): races
 * made deterministic by holding a lock or a reference the library waits
 * for, run in a child so that the use-after-free they lead to cannot take
 * the runner down.
 */
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

#include "device.h"
#include "mock_iommu.h"

/* Valgrind runs threads one at a time: the thread test does less there. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define IO_PAGE ((uint64_t)MOCK_IO_PAGE_SIZE)
#define HUGE ((uint64_t)MOCK_HUGE_PAGE_SIZE)
#define SZ_1M (1ULL << 20)
#define SZ_1G (1ULL << 30)
#define AP_START ((uint64_t)MOCK_APERTURE_START)
#define AP_LAST ((uint64_t)MOCK_APERTURE_LAST)
#define PROT_RW (IOMMUFD_PROT_READ | IOMMUFD_PROT_WRITE)

/* ---- ioctl helpers -------------------------------------------------- */

struct mock_ids {
	uint32_t stdev;
	uint32_t hwpt;
	uint32_t idev;
};

static int mock_domain_op(struct uiommufd_ctx *ctx, uint32_t op, uint32_t pt_id,
			  uint32_t dev_flags, struct mock_ids *ids)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = op,
		.id = pt_id,
	};
	int rc;

	if (op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		cmd.mock_domain_flags.dev_flags = dev_flags;
	rc = do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);
	if (ids && !rc) {
		ids->stdev = cmd.mock_domain.out_stdev_id;
		ids->hwpt = cmd.mock_domain.out_hwpt_id;
		ids->idev = cmd.mock_domain.out_idev_id;
	} else if (ids) {
		*ids = (struct mock_ids){ 0 };
	}
	return rc;
}

/* A mock device bound to @ctx and attached to @pt_id (IOAS or HWPT). */
static int mock_domain(struct uiommufd_ctx *ctx, uint32_t pt_id,
		       struct mock_ids *ids)
{
	return mock_domain_op(ctx, IOMMU_TEST_OP_MOCK_DOMAIN, pt_id, 0, ids);
}

static int mock_domain_flags(struct uiommufd_ctx *ctx, uint32_t pt_id,
			     uint32_t dev_flags, struct mock_ids *ids)
{
	return mock_domain_op(ctx, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, pt_id,
			      dev_flags, ids);
}

static int mock_replace(struct uiommufd_ctx *ctx, uint32_t stdev,
			uint32_t pt_id, uint32_t *out_pt)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);

	if (out_pt)
		*out_pt = rc ? 0 : cmd.mock_domain_replace.pt_id;
	return rc;
}

/* Is every page of [va, va + len) pinned by exactly @refs iopt_pages? */
static int check_refs(struct uiommufd_ctx *ctx, const void *va, uint64_t len,
		      unsigned int refs)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len,
				.uptr = (uintptr_t)va,
				.refs = refs },
	};

	return do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);
}

static int hwpt_alloc(struct uiommufd_ctx *ctx, uint32_t dev_id, uint32_t pt_id,
		      uint32_t flags, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc = do_ioctl(ctx, IOMMU_HWPT_ALLOC, &cmd);

	if (out)
		*out = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* The IOAS must report exactly [start, last] with @align. */
static void assert_one_range(struct uiommufd_ctx *ctx, uint32_t ioas,
			     uint64_t start, uint64_t last, uint64_t align)
{
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)r,
	};

	assert_ok(ctx, IOMMU_IOAS_IOVA_RANGES, &cmd);
	assert_int_equal(cmd.num_iovas, 1);
	assert_int_equal(r[0].start, start);
	assert_int_equal(r[0].last, last);
	assert_int_equal(cmd.out_iova_alignment, align);
}

#define assert_no_domain_ranges(ctx, ioas) \
	assert_one_range(ctx, ioas, 0, UINT64_MAX, 1)
#define assert_mock_ranges(ctx, ioas) \
	assert_one_range(ctx, ioas, AP_START, AP_LAST, IO_PAGE)

static int set_huge_pages(struct uiommufd_ctx *ctx, uint32_t ioas, uint64_t val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = ioas,
		.val64 = val,
	};

	return do_ioctl(ctx, IOMMU_OPTION, &cmd);
}

static int set_dirty_tracking(struct uiommufd_ctx *ctx, uint32_t hwpt,
			      uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.hwpt_id = hwpt,
	};

	return do_ioctl(ctx, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int get_dirty(struct uiommufd_ctx *ctx, uint32_t hwpt, uint64_t iova,
		     uint64_t len, uint64_t page_size, void *bitmap,
		     uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = iova,
		.length = len,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return do_ioctl(ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

/* IOMMU_TEST_OP_DIRTY: mark dirty the IO pages the bitmap names. */
static int test_dirty(struct uiommufd_ctx *ctx, uint32_t hwpt, uint64_t iova,
		      uint64_t len, uint64_t page_size, const void *bitmap,
		      uint64_t *nr)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = { .iova = iova,
			   .length = len,
			   .page_size = page_size,
			   .uptr = (uintptr_t)bitmap },
	};
	int rc = do_ioctl(ctx, IOMMU_TEST_CMD, &cmd);

	if (nr)
		*nr = rc ? 0 : cmd.dirty.out_nr_dirty;
	return rc;
}

/*
 * Memory that is not there for the library: PROT_NONE, and kept mapped, so
 * that no later mmap lands on it as one could on a hole (Valgrind's malloc
 * does). 4 pages.
 */
static void *no_access(void)
{
	static void *guard;

	if (!guard)
		guard = test_buffer(4 * PAGE, PROT_NONE);
	return guard;
}

/* ---- internal helpers ---------------------------------------------- */

/* The domain of HWPT @id; valid while the HWPT lives. */
static struct iommu_domain *hwpt_domain(struct uiommufd_ctx *ctx, uint32_t id)
{
	struct iommufd_object *obj =
		iommufd_get_object(ctx, id, IOMMUFD_OBJ_HWPT_PAGING);
	struct iommu_domain *domain;

	assert_non_null(obj);
	domain = container_of(obj, struct iommufd_hw_pagetable, obj)->domain;
	iommufd_put_object(obj);
	assert_true(mock_domain_is_mock(domain));
	return domain;
}

/* Is @id an object of @type (without taking a reference for long)? */
static bool object_live(struct uiommufd_ctx *ctx, uint32_t id,
			enum iommufd_object_type type)
{
	struct iommufd_object *obj = iommufd_get_object(ctx, id, type);

	if (obj)
		iommufd_put_object(obj);
	return obj;
}

static void assert_domain_empty(struct iommu_domain *d, uint64_t iova,
				uint64_t len)
{
	uint64_t off;

	for (off = 0; off < len; off += IO_PAGE) {
		uint64_t ent = mock_domain_entry(d, iova + off);

		if (ent)
			print_error("iova %#llx: entry %#llx, want none\n",
				    (unsigned long long)(iova + off),
				    (unsigned long long)ent);
		assert_true(ent == 0);
	}
}

static void assert_domains_equal(struct iommu_domain *a, struct iommu_domain *b,
				 uint64_t iova, uint64_t len)
{
	uint64_t off;

	for (off = 0; off < len; off += IO_PAGE) {
		uint64_t ea = mock_domain_entry(a, iova + off);
		uint64_t eb = mock_domain_entry(b, iova + off);

		if (ea != eb)
			print_error("iova %#llx: entries %#llx and %#llx\n",
				    (unsigned long long)(iova + off),
				    (unsigned long long)ea,
				    (unsigned long long)eb);
		assert_true(ea == eb);
	}
}

/* How many IO pages of the whole aperture @d maps. */
static uint64_t domain_count(struct iommu_domain *d)
{
	uint64_t iova, n = 0;

	for (iova = AP_START; iova < AP_LAST; iova += IO_PAGE)
		n += !!(mock_domain_entry(d, iova) & MOCK_PFN_PRESENT);
	return n;
}

/* One map_pages() call as the mock records it. */
struct seg {
	uint64_t iova;
	uint64_t len;
	bool huge;
};

/*
 * The entries from segs[0].iova on map @paddr onwards, each segment with
 * START on its first IO page and LAST (the same bit) on its last, HUGE on
 * all of a huge one, and nothing just around them.
 */
static void assert_segments(struct iommu_domain *d, uint64_t paddr,
			    const struct seg *segs, size_t nsegs)
{
	uint64_t base = segs[0].iova, end = base;
	size_t i;

	for (i = 0; i != nsegs; i++) {
		uint64_t off;

		assert_int_equal(segs[i].iova, end);
		for (off = 0; off != segs[i].len; off += IO_PAGE) {
			uint64_t iova = segs[i].iova + off;
			uint64_t want = (paddr + iova - base) / IO_PAGE |
					MOCK_PFN_PRESENT;
			uint64_t got = mock_domain_entry(d, iova);

			if (!off || off + IO_PAGE == segs[i].len)
				want |= MOCK_PFN_START_IOVA;
			if (segs[i].huge)
				want |= MOCK_PFN_HUGE_IOVA;
			if (got != want)
				print_error(
					"segment %zu iova %#llx: entry %#llx, want %#llx\n",
					i, (unsigned long long)iova,
					(unsigned long long)got,
					(unsigned long long)want);
			assert_true(got == want);
		}
		end += segs[i].len;
	}
	assert_int_equal(mock_domain_entry(d, base - IO_PAGE), 0);
	assert_int_equal(mock_domain_entry(d, end), 0);
}

struct mock_pair {
	struct iommufd_dev *dev;
	struct iommu_domain *domain;
};

/* A mock device and a paging domain of it, outside any context. */
static struct mock_pair new_mock_domain(unsigned long dev_flags)
{
	struct mock_pair m;
	int err = 0;

	m.dev = mock_dev_create(dev_flags, &err);
	assert_non_null(m.dev);
	m.domain = m.dev->driver->domain_alloc_user(m.dev, 0, NULL, NULL, &err);
	assert_non_null(m.domain);
	return m;
}

static void free_mock_domain(struct mock_pair *m)
{
	iommu_domain_free(m->domain);
	mock_dev_destroy(m->dev);
}

/* ---- capabilities, limits, children ---------------------------------- */

struct counters {
	unsigned long user_locked;
	unsigned long mm_locked;
	unsigned long pinned;
};

static struct counters counters_now(void)
{
	struct iommufd_umem *umem = iommufd_umem_self();

	return (struct counters){
		.user_locked = atomic_load(&umem->user_locked_vm),
		.mm_locked = atomic_load(&umem->mm_locked_vm),
		.pinned = atomic_load(&umem->mm_pinned_vm),
	};
}

#define assert_moved(base, d_user, d_mm, d_pinned)                       \
	do {                                                             \
		struct counters now_ = counters_now();                   \
		assert_int_equal(now_.user_locked - (base)->user_locked, \
				 (unsigned long)(d_user));               \
		assert_int_equal(now_.mm_locked - (base)->mm_locked,     \
				 (unsigned long)(d_mm));                 \
		assert_int_equal(now_.pinned - (base)->pinned,           \
				 (unsigned long)(d_pinned));             \
	} while (0)

/*
 * Children must not use the cmocka asserts (they would longjmp into the
 * child's copy of the runner): they print and exit non-zero.
 */
#define CHILD_SKIP 77
#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: child check failed: %s\n", \
				__FILE__, __LINE__, #cond);                \
			return 1;                                          \
		}                                                          \
	} while (0)

static void run_in_child(int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		print_error("child killed by signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == CHILD_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- fixture --------------------------------------------------------- */

#define BUF_LEN (8UL << 20)

struct fixture {
	struct uiommufd_ctx *ctx;
	uint32_t ioas;
	char *buf; /* BUF_LEN, 2 MiB aligned, read-write */
	void *raw;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ctx = uiommufd_open();
	f->raw = mmap(NULL, BUF_LEN + (2 << 20), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!f->ctx || f->raw == MAP_FAILED || ioas_alloc(f->ctx, &f->ioas))
		return -1;
	f->buf = (char *)(((uintptr_t)f->raw + (2 << 20) - 1) &
			  ~((uintptr_t)(2 << 20) - 1));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uiommufd_close(f->ctx);
	munmap(f->raw, BUF_LEN + (2 << 20));
	free(f);
	return 0;
}

#define fixture_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- iommu_map() / iommu_unmap() splitting --------------------------- */

struct split_case {
	const char *what;
	uint64_t iova, paddr, size;
	struct seg segs[3];
	size_t nsegs;
};

static const struct split_case huge_cases[] = {
	{ "aligned: huge pages only",
	  16 * SZ_1M,
	  SZ_1G,
	  3 * SZ_1M,
	  { { 16 * SZ_1M, 3 * SZ_1M, true } },
	  1 },
	{ "unaligned head and tail around a huge page",
	  16 * SZ_1M + IO_PAGE,
	  SZ_1G + IO_PAGE,
	  2 * SZ_1M,
	  { { 16 * SZ_1M + IO_PAGE, SZ_1M - IO_PAGE, false },
	    { 17 * SZ_1M, SZ_1M, true },
	    { 18 * SZ_1M, IO_PAGE, false } },
	  3 },
	{ "IOVA and address offset differently in 1 MiB",
	  16 * SZ_1M,
	  SZ_1G + PAGE,
	  2 * SZ_1M,
	  { { 16 * SZ_1M, 2 * SZ_1M, false } },
	  1 },
	{ "shorter than a huge page",
	  16 * SZ_1M,
	  SZ_1G,
	  SZ_1M - IO_PAGE,
	  { { 16 * SZ_1M, SZ_1M - IO_PAGE, false } },
	  1 },
	{ "no whole huge page after the head",
	  17 * SZ_1M - PAGE,
	  SZ_1G - PAGE,
	  SZ_1M,
	  { { 17 * SZ_1M - PAGE, SZ_1M, false } },
	  1 },
	{ "head, then huge pages to the end",
	  17 * SZ_1M - PAGE,
	  SZ_1G - PAGE,
	  2 * SZ_1M + PAGE,
	  { { 17 * SZ_1M - PAGE, PAGE, false },
	    { 17 * SZ_1M, 2 * SZ_1M, true } },
	  2 },
	{ "address 0 is aligned to anything",
	  32 * SZ_1M,
	  0,
	  SZ_1M + IO_PAGE,
	  { { 32 * SZ_1M, SZ_1M, true }, { 33 * SZ_1M, IO_PAGE, false } },
	  2 },
};

static void run_split_case(struct iommu_domain *d, const struct split_case *c)
{
	print_message("  %s\n", c->what);
	assert_int_equal(iommu_map(d, c->iova, c->paddr, c->size, PROT_RW), 0);
	assert_segments(d, c->paddr, c->segs, c->nsegs);
	assert_int_equal(iommu_unmap(d, c->iova, c->size), c->size);
	assert_domain_empty(d, c->iova - SZ_1M, c->size + 2 * SZ_1M);
}

static void split_huge_iova(void **state)
{
	struct mock_pair m = new_mock_domain(MOCK_FLAGS_DEVICE_HUGE_IOVA);
	size_t i;

	(void)state;
	assert_int_equal(m.domain->pgsize_bitmap, IO_PAGE | HUGE);
	for (i = 0; i != IOMMUFD_ARRAY_SIZE(huge_cases); i++)
		run_split_case(m.domain, &huge_cases[i]);
	free_mock_domain(&m);
}

static void split_small_only(void **state)
{
	static const struct split_case small = {
		"2 KiB pages only",
		16 * SZ_1M,
		SZ_1G,
		3 * SZ_1M,
		{ { 16 * SZ_1M, 3 * SZ_1M, false } },
		1,
	};
	struct mock_pair m = new_mock_domain(0);

	(void)state;
	assert_int_equal(m.domain->pgsize_bitmap, IO_PAGE);
	run_split_case(m.domain, &small);
	free_mock_domain(&m);
}

/* Unmapping part of a huge mapping clears exactly that part. */
static void unmap_part_of_huge(void **state)
{
	struct mock_pair m = new_mock_domain(MOCK_FLAGS_DEVICE_HUGE_IOVA);
	const struct split_case *c = &huge_cases[0];
	uint64_t before[3];

	(void)state;
	assert_int_equal(
		iommu_map(m.domain, c->iova, c->paddr, c->size, PROT_RW), 0);
	before[0] = mock_domain_entry(m.domain, 16 * SZ_1M);
	before[1] = mock_domain_entry(m.domain, 18 * SZ_1M);
	before[2] = mock_domain_entry(m.domain, 19 * SZ_1M - IO_PAGE);
	assert_int_equal(iommu_unmap(m.domain, 17 * SZ_1M, SZ_1M), SZ_1M);
	assert_domain_empty(m.domain, 17 * SZ_1M, SZ_1M);
	assert_int_equal(mock_domain_entry(m.domain, 16 * SZ_1M), before[0]);
	assert_int_equal(mock_domain_entry(m.domain, 18 * SZ_1M), before[1]);
	assert_int_equal(mock_domain_entry(m.domain, 19 * SZ_1M - IO_PAGE),
			 before[2]);
	assert_int_equal(iommu_unmap(m.domain, 16 * SZ_1M, SZ_1M), SZ_1M);
	assert_int_equal(iommu_unmap(m.domain, 18 * SZ_1M, SZ_1M), SZ_1M);
	assert_domain_empty(m.domain, 16 * SZ_1M, 3 * SZ_1M);
	free_mock_domain(&m);
}

static void split_argument_errors(void **state)
{
	struct mock_pair m = new_mock_domain(MOCK_FLAGS_DEVICE_HUGE_IOVA);
	struct iommu_domain *d = m.domain;

	(void)state;
	/* Everything must be a multiple of the smallest page. */
	assert_int_equal(iommu_map(d, 16 * SZ_1M + 1024, SZ_1G, IO_PAGE,
				   PROT_RW),
			 -EINVAL);
	assert_int_equal(iommu_map(d, 16 * SZ_1M, SZ_1G + 1024, IO_PAGE,
				   PROT_RW),
			 -EINVAL);
	assert_int_equal(iommu_map(d, 16 * SZ_1M, SZ_1G, 1024, PROT_RW),
			 -EINVAL);
	assert_domain_empty(d, 16 * SZ_1M, SZ_1M);
	assert_int_equal(iommu_map(d, 16 * SZ_1M, SZ_1G, SZ_1M, PROT_RW), 0);
	assert_int_equal(iommu_unmap(d, 16 * SZ_1M + 1024, IO_PAGE), 0);
	assert_int_equal(iommu_unmap(d, 16 * SZ_1M, 1024), 0);
	assert_int_equal(mock_domain_entry(d, 16 * SZ_1M) & MOCK_PFN_HUGE_IOVA,
			 MOCK_PFN_HUGE_IOVA);
	assert_int_equal(iommu_unmap(d, 16 * SZ_1M, SZ_1M), SZ_1M);
	free_mock_domain(&m);
}

/*
 * A failure in any map_pages() call (the mock's own failure point, -ENOENT)
 * or table allocation (-ENOMEM) unwinds the calls made before it: nothing
 * stays mapped. The "unaligned" case takes three calls over two leaves of
 * the mock's table, so five failure points.
 */
static void split_failure_unwinds(void **state)
{
	const struct split_case *c = &huge_cases[1];
	unsigned int nth, injected_total = 0;

	(void)state;
	for (nth = 1;; nth++) {
		struct mock_pair m =
			new_mock_domain(MOCK_FLAGS_DEVICE_HUGE_IOVA);
		bool injected;
		int rc;

		iommufd_fail_nth_set(nth);
		rc = iommu_map(m.domain, c->iova, c->paddr, c->size, PROT_RW);
		injected = iommufd_fail_nth_clear();
		if (!injected) {
			assert_int_equal(rc, 0);
			assert_segments(m.domain, c->paddr, c->segs, c->nsegs);
			free_mock_domain(&m);
			break;
		}
		injected_total++;
		assert_true(rc == -ENOENT || rc == -ENOMEM);
		assert_domain_empty(m.domain, c->iova - SZ_1M,
				    c->size + 2 * SZ_1M);
		/* The same domain then maps it whole. */
		assert_int_equal(iommu_map(m.domain, c->iova, c->paddr, c->size,
					   PROT_RW),
				 0);
		assert_segments(m.domain, c->paddr, c->segs, c->nsegs);
		free_mock_domain(&m);
	}
	assert_int_equal(injected_total, 5);
}

/* ---- the IOAS mirrored into domains ---------------------------------- */

/*
 * iopt_table_add_domain() fills a domain with the areas there are, each
 * area one map call; iopt_table_remove_domain() takes them out again. A
 * domain with 1 MiB pages gets them where IOVA and address line up.
 */
static void table_add_remove_domain(void **state)
{
	struct fixture *f = *state;
	struct mock_pair small = new_mock_domain(0);
	struct mock_pair huge = new_mock_domain(MOCK_FLAGS_DEVICE_HUGE_IOVA);
	char *b2 = f->buf + 4 * SZ_1M + IO_PAGE;
	const struct seg s1[] = { { 16 * SZ_1M, 2 * SZ_1M, false } };
	const struct seg h1[] = { { 16 * SZ_1M, 2 * SZ_1M, true } };
	const struct seg s2[] = { { 32 * SZ_1M + IO_PAGE, 3 * IO_PAGE,
				    false } };
	struct iommufd_ioas *ioas;

	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 2 * SZ_1M,
					16 * SZ_1M),
			 0);
	/* Starts half way into a CPU page: fine for 2 KiB IO pages. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, b2, 3 * IO_PAGE,
					32 * SZ_1M + IO_PAGE),
			 0);
	ioas = iommufd_get_ioas(f->ctx, f->ioas);
	assert_non_null(ioas);

	assert_int_equal(iopt_table_add_domain(&ioas->iopt, small.domain), 0);
	assert_segments(small.domain, (uintptr_t)f->buf, s1, 1);
	assert_segments(small.domain, (uintptr_t)b2, s2, 1);
	assert_int_equal(check_refs(f->ctx, f->buf, 2 * SZ_1M, 1), 0);
	assert_int_equal(check_refs(f->ctx, f->buf + 4 * SZ_1M, 2 * PAGE, 1),
			 0);
	assert_mock_ranges(f->ctx, f->ioas);
	/* The same domain twice is refused. */
	assert_int_equal(iopt_table_add_domain(&ioas->iopt, small.domain),
			 -EEXIST);

	assert_int_equal(iopt_table_add_domain(&ioas->iopt, huge.domain), 0);
	assert_segments(huge.domain, (uintptr_t)f->buf, h1, 1);
	assert_segments(huge.domain, (uintptr_t)b2, s2, 1);

	iopt_table_remove_domain(&ioas->iopt, small.domain);
	assert_domain_empty(small.domain, 16 * SZ_1M, 32 * SZ_1M);
	/* Still pinned for the other domain. */
	assert_int_equal(check_refs(f->ctx, f->buf, 2 * SZ_1M, 1), 0);
	iopt_table_remove_domain(&ioas->iopt, huge.domain);
	assert_domain_empty(huge.domain, 16 * SZ_1M, 32 * SZ_1M);
	assert_int_equal(check_refs(f->ctx, f->buf, 2 * SZ_1M, 0), 0);
	assert_int_equal(check_refs(f->ctx, f->buf + 4 * SZ_1M, 2 * PAGE, 0),
			 0);
	assert_no_domain_ranges(f->ctx, f->ioas);
	/* Removing a domain that is not there does nothing. */
	iopt_table_remove_domain(&ioas->iopt, huge.domain);

	iommufd_put_object(&ioas->obj);
	free_mock_domain(&small);
	free_mock_domain(&huge);
}

/* The same, with MOCK_DOMAIN_FLAGS(HUGE_IOVA) and the IOAS huge option. */
static void huge_iova_device(void **state)
{
	struct fixture *f = *state;
	const struct seg huge_segs[] = { { 16 * SZ_1M, 2 * SZ_1M, true } };
	struct seg small_segs[2 * SZ_1M / PAGE];
	struct mock_ids a, b;
	uint32_t ioas2;
	size_t i;

	assert_int_equal(mock_domain_flags(f->ctx, f->ioas,
					   MOCK_FLAGS_DEVICE_HUGE_IOVA, &a),
			 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 2 * SZ_1M,
					16 * SZ_1M),
			 0);
	assert_segments(hwpt_domain(f->ctx, a.hwpt), (uintptr_t)f->buf,
			huge_segs, 1);
	assert_int_equal(
		check_map(f->ctx, a.hwpt, 16 * SZ_1M, 2 * SZ_1M, f->buf), 0);

	/* Without large pages the IOAS maps one CPU page per call. */
	assert_int_equal(ioas_alloc(f->ctx, &ioas2), 0);
	assert_int_equal(set_huge_pages(f->ctx, ioas2, 0), 0);
	assert_int_equal(mock_domain_flags(f->ctx, ioas2,
					   MOCK_FLAGS_DEVICE_HUGE_IOVA, &b),
			 0);
	assert_one_range(f->ctx, ioas2, AP_START, AP_LAST, PAGE);
	assert_int_equal(ioas_map_fixed(f->ctx, ioas2, f->buf, 2 * SZ_1M,
					16 * SZ_1M),
			 0);
	for (i = 0; i != IOMMUFD_ARRAY_SIZE(small_segs); i++)
		small_segs[i] =
			(struct seg){ 16 * SZ_1M + i * PAGE, PAGE, false };
	assert_segments(hwpt_domain(f->ctx, b.hwpt), (uintptr_t)f->buf,
			small_segs, IOMMUFD_ARRAY_SIZE(small_segs));
	/* One iopt_pages each. */
	assert_int_equal(check_refs(f->ctx, f->buf, 2 * SZ_1M, 2), 0);
	assert_int_equal(object_destroy(f->ctx, b.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(check_refs(f->ctx, f->buf, 2 * SZ_1M, 0), 0);
}

/*
 * Map, copy and unmap keep every domain equal to the IOAS, with one domain
 * and with two (an automatic one and an explicit HWPT).
 */
static void mirror_one_and_two_domains(void **state)
{
	struct fixture *f = *state;
	struct iommu_domain *da, *de;
	uint64_t iova1 = 0, iova2 = 0, unmapped;
	struct mock_ids a;
	uint32_t e;

	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 64 * 1024,
					16 * SZ_1M),
			 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas,
					f->buf + 64 * 1024 + IO_PAGE,
					3 * IO_PAGE, 32 * SZ_1M + IO_PAGE),
			 0);
	/* Attaching fills the new domain with what is there. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	da = hwpt_domain(f->ctx, a.hwpt);
	assert_int_equal(
		check_map(f->ctx, a.hwpt, 16 * SZ_1M, 64 * 1024, f->buf), 0);
	assert_int_equal(check_map(f->ctx, a.hwpt, 32 * SZ_1M + IO_PAGE,
				   3 * IO_PAGE, f->buf + 64 * 1024 + IO_PAGE),
			 0);
	assert_int_equal(domain_count(da), (64 * 1024 + 3 * IO_PAGE) / IO_PAGE);

	/* One domain: maps and automatic IOVA land in it. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf + 256 * 1024,
					128 * 1024, 48 * SZ_1M),
			 0);
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf + 512 * 1024,
				  64 * 1024, &iova1, MAP_RW),
			 0);
	assert_true(iova1 >= AP_START && iova1 + 64 * 1024 - 1 <= AP_LAST);
	assert_int_equal(check_map(f->ctx, a.hwpt, 48 * SZ_1M, 128 * 1024,
				   f->buf + 256 * 1024),
			 0);
	assert_int_equal(check_map(f->ctx, a.hwpt, iova1, 64 * 1024,
				   f->buf + 512 * 1024),
			 0);

	/* A second domain gets all of it. */
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 0, &e), 0);
	assert_int_not_equal(e, a.hwpt);
	de = hwpt_domain(f->ctx, e);
	assert_domains_equal(da, de, 16 * SZ_1M, 48 * SZ_1M);
	assert_domains_equal(da, de, iova1, 64 * 1024);
	assert_int_equal(domain_count(de), domain_count(da));

	/* Two domains: map, copy, unmap. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf + SZ_1M, SZ_1M,
					64 * SZ_1M),
			 0);
	assert_int_equal(
		check_map(f->ctx, e, 64 * SZ_1M, SZ_1M, f->buf + SZ_1M), 0);
	assert_int_equal(ioas_copy(f->ctx, f->ioas, f->ioas, 16 * SZ_1M,
				   64 * 1024, &iova2, MAP_RW),
			 0);
	assert_int_equal(check_map(f->ctx, a.hwpt, iova2, 64 * 1024, f->buf),
			 0);
	assert_int_equal(check_map(f->ctx, e, iova2, 64 * 1024, f->buf), 0);
	assert_int_equal(check_refs(f->ctx, f->buf, 64 * 1024, 1), 0);
	assert_domains_equal(da, de, 64 * SZ_1M, SZ_1M);
	assert_domains_equal(da, de, iova2, 64 * 1024);

	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 48 * SZ_1M, 128 * 1024,
				    &unmapped),
			 0);
	assert_int_equal(unmapped, 128 * 1024);
	assert_int_equal(check_map(f->ctx, a.hwpt, 48 * SZ_1M, 128 * 1024,
				   f->buf + 256 * 1024),
			 EINVAL);
	assert_domain_empty(da, 48 * SZ_1M, 128 * 1024);
	assert_domain_empty(de, 48 * SZ_1M, 128 * 1024);
	assert_int_equal(check_refs(f->ctx, f->buf + 256 * 1024, 128 * 1024, 0),
			 0);
	/* What stays is untouched. */
	assert_int_equal(check_map(f->ctx, e, 16 * SZ_1M, 64 * 1024, f->buf),
			 0);
	assert_int_equal(domain_count(da), domain_count(de));

	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(domain_count(da), 0);
	assert_int_equal(domain_count(de), 0);
	assert_int_equal(check_refs(f->ctx, f->buf, 2 * SZ_1M, 0), 0);
	assert_int_equal(object_destroy(f->ctx, e), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
}

/*
 * The aperture and IO page size of the domains show in IOVA_RANGES and
 * bind MAP; the IOAS goes back to everything once the last domain goes.
 */
static void aperture_and_alignment(void **state)
{
	struct fixture *f = *state;
	struct mock_ids a;
	uint64_t iova = 0;
	uint32_t e;

	assert_no_domain_ranges(f->ctx, f->ioas);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_mock_ranges(f->ctx, f->ioas);

	/* Outside the aperture, either side. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE,
					AP_START - PAGE),
			 EINVAL);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 2 * PAGE,
					AP_LAST + 1 - PAGE),
			 EINVAL);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE,
					AP_LAST + 1),
			 EINVAL);
	/* Finer than an IO page: IOVA, length and address offset. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, PAGE,
					AP_START + 1024),
			 EINVAL);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 1000,
					AP_START),
			 EINVAL);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf + 100, PAGE,
					AP_START),
			 EINVAL);
	assert_int_equal(ioas_map(f->ctx, f->ioas, f->buf + 100, PAGE, &iova,
				  MAP_RW),
			 EINVAL);
	/* An IO page is fine, at the very edges too. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf + IO_PAGE,
					IO_PAGE, AP_START),
			 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, IO_PAGE,
					AP_LAST + 1 - IO_PAGE),
			 0);
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_LAST + 1 - IO_PAGE,
				   IO_PAGE, f->buf),
			 0);
	/* Automatic IOVA stays inside. */
	assert_int_equal(
		ioas_map(f->ctx, f->ioas, f->buf, 8 * PAGE, &iova, MAP_RW), 0);
	assert_true(iova >= AP_START && iova + 8 * PAGE - 1 <= AP_LAST);

	/* A second domain, the same window: still one range. */
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 0, &e), 0);
	assert_mock_ranges(f->ctx, f->ioas);
	assert_int_equal(object_destroy(f->ctx, e), 0);
	assert_mock_ranges(f->ctx, f->ioas);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_no_domain_ranges(f->ctx, f->ioas);

	/* Back to byte granularity anywhere. */
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf + 100, 1000, 0x1000), 0);
	/* And such an area now keeps domains out. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), EADDRINUSE);
	assert_no_domain_ranges(f->ctx, f->ioas);
}

/* What the context looks like from outside: for unchanged-state checks. */
struct snapshot {
	uint32_t nr_objects;
	uint32_t next_ioas;
};

/* Objects in the table, and which ID the next object would get. */
static struct snapshot take_snapshot(struct uiommufd_ctx *ctx)
{
	struct snapshot s;
	uint32_t id;

	s.nr_objects = ctx->nr_objects;
	assert_int_equal(ioas_alloc(ctx, &id), 0);
	s.next_ioas = id;
	assert_int_equal(object_destroy(ctx, id), 0);
	return s;
}

static void assert_snapshot(struct uiommufd_ctx *ctx, const struct snapshot *s)
{
	struct snapshot now = take_snapshot(ctx);

	assert_int_equal(now.nr_objects, s->nr_objects);
	assert_int_equal(now.next_ioas, s->next_ioas);
}

/*
 * Existing areas that a domain's aperture or IO page size excludes make
 * attaching fail with EADDRINUSE, leaving everything as it was.
 */
static void attach_conflicts(void **state)
{
	static const struct {
		const char *what;
		uint64_t offset, len, iova;
	} cases[] = {
		{ "below the aperture", 0, PAGE, 0x100000 },
		{ "straddling its start", 0, 2 * PAGE, AP_START - PAGE },
		{ "above the aperture", 0, PAGE, AP_LAST + 1 },
		{ "length finer than an IO page", 0, 1000, AP_START },
		{ "IOVA finer than an IO page", 0, PAGE, AP_START + 1024 },
		{ "address finer than an IO page", 100, PAGE, AP_START },
	};
	struct fixture *f = *state;
	struct snapshot snap;
	struct mock_ids a;
	uint32_t e;
	size_t i;

	for (i = 0; i != IOMMUFD_ARRAY_SIZE(cases); i++) {
		print_message("  %s\n", cases[i].what);
		assert_int_equal(ioas_map_fixed(f->ctx, f->ioas,
						f->buf + cases[i].offset,
						cases[i].len, cases[i].iova),
				 0);
		snap = take_snapshot(f->ctx);
		assert_int_equal(mock_domain(f->ctx, f->ioas, &a), EADDRINUSE);
		assert_snapshot(f->ctx, &snap);
		assert_no_domain_ranges(f->ctx, f->ioas);
		assert_int_equal(check_refs(f->ctx, f->buf, PAGE, 0), 0);
		assert_int_equal(
			ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, NULL), 0);
	}

	/* An explicit HWPT meets the same. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(ioas_alloc(f->ctx, &e), 0);
	assert_int_equal(ioas_map_fixed(f->ctx, e, f->buf, PAGE, 0x100000), 0);
	snap = take_snapshot(f->ctx);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, e, 0, NULL), EADDRINUSE);
	assert_snapshot(f->ctx, &snap);
	assert_int_equal(object_destroy(f->ctx, e), 0);

	/* Allowed IOVA outside the aperture conflicts too. */
	{
		struct iommu_iova_range r = { 0x100000, 0x1fffff };
		struct iommu_ioas_allow_iovas cmd = {
			.size = sizeof(cmd),
			.ioas_id = 0,
			.num_iovas = 1,
			.allowed_iovas = (uintptr_t)&r,
		};

		assert_int_equal(ioas_alloc(f->ctx, &cmd.ioas_id), 0);
		assert_ok(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
		snap = take_snapshot(f->ctx);
		assert_int_equal(mock_domain(f->ctx, cmd.ioas_id, NULL),
				 EADDRINUSE);
		assert_snapshot(f->ctx, &snap);
		/* And with a domain there, such IOVA cannot be allowed. */
		cmd.ioas_id = f->ioas;
		assert_err(EADDRINUSE, f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
	}
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
}

/* ---- pinning --------------------------------------------------------- */

/*
 * MAP records the range without pinning it; once a domain exists every
 * area is pinned, so memory that is not there (PROT_NONE, or not mapped
 * at all) fails with EFAULT, on MAP and on attach, changing nothing.
 */
static void pinning_needs_memory(void **state)
{
	struct fixture *f = *state;
	void *hole = no_access();
	char *ro = test_buffer(4 * PAGE, PROT_READ);
	/* A one-page hole between two pages: no mmap would land there. */
	char *span = test_buffer(3 * PAGE, PROT_READ | PROT_WRITE);
	struct counters base = counters_now();
	struct snapshot snap;
	struct mock_ids a;
	uint64_t unmapped;

	/* Without a domain, nothing is checked. */
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 4 * PAGE, AP_START), 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, hole, 4 * PAGE,
					AP_START + SZ_1M),
			 0);
	assert_moved(&base, 0, 0, 0);

	/* Attaching pins everything: the hole fails it. */
	snap = take_snapshot(f->ctx);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), EFAULT);
	assert_snapshot(f->ctx, &snap);
	assert_no_domain_ranges(f->ctx, f->ioas);
	assert_int_equal(check_refs(f->ctx, f->buf, 4 * PAGE, 0), 0);
	assert_moved(&base, 0, 0, 0);

	assert_int_equal(ioas_unmap(f->ctx, f->ioas, AP_START + SZ_1M, 4 * PAGE,
				    &unmapped),
			 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(check_refs(f->ctx, f->buf, 4 * PAGE, 1), 0);

	/* With a domain, MAP pins at once. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, hole, 4 * PAGE,
					AP_START + SZ_1M),
			 EFAULT);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, AP_START + SZ_1M, 4 * PAGE,
				    NULL),
			 ENOENT);
	assert_domain_empty(hwpt_domain(f->ctx, a.hwpt), AP_START + SZ_1M,
			    4 * PAGE);
	assert_int_equal(munmap(span + PAGE, PAGE), 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, span + PAGE, PAGE,
					AP_START + SZ_1M),
			 EFAULT);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, span, 3 * PAGE,
					AP_START + SZ_1M),
			 EFAULT);
	assert_int_equal(check_refs(f->ctx, span, PAGE, 0), 0);
	assert_domain_empty(hwpt_domain(f->ctx, a.hwpt), AP_START + SZ_1M,
			    4 * PAGE);
	/* Writable needs writable memory; read-only is fine read-only. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, ro, 4 * PAGE,
					AP_START + SZ_1M),
			 EFAULT);
	assert_int_equal(ioas_map(f->ctx, f->ioas, ro, 4 * PAGE,
				  &(uint64_t){ AP_START + SZ_1M },
				  IOMMU_IOAS_MAP_READABLE |
					  IOMMU_IOAS_MAP_FIXED_IOVA),
			 0);
	assert_int_equal(
		check_map(f->ctx, a.hwpt, AP_START + SZ_1M, 4 * PAGE, ro), 0);
	assert_int_equal(check_refs(f->ctx, ro, 4 * PAGE, 1), 0);

	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(check_refs(f->ctx, ro, 4 * PAGE, 0), 0);
	assert_int_equal(check_refs(f->ctx, f->buf, 4 * PAGE, 0), 0);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, NULL), 0);
	assert_moved(&base, 0, 0, 0);
	munmap(ro, 4 * PAGE);
	munmap(span, 3 * PAGE);
}

/*
 * MD_CHECK_REFS: a page is pinned once per iopt_pages pinning it: a second
 * MAP of the same memory is a second one, COPY shares the first, and any
 * number of domains pin it once.
 */
static void check_refs_counts(void **state)
{
	struct fixture *f = *state;
	char *b = f->buf;
	struct mock_ids a, c;
	uint32_t ioas2;
	uint64_t iova;

	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 0), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, b, 8 * PAGE, 16 * SZ_1M), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 1), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 2), EIO);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, b, 8 * PAGE, 32 * SZ_1M), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 2), 0);
	/* Part of a buffer pins that part. */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, b + 2 * PAGE, 3 * PAGE,
					48 * SZ_1M),
			 0);
	assert_int_equal(check_refs(f->ctx, b, 2 * PAGE, 2), 0);
	assert_int_equal(check_refs(f->ctx, b + 2 * PAGE, 3 * PAGE, 3), 0);
	assert_int_equal(check_refs(f->ctx, b + 5 * PAGE, 3 * PAGE, 2), 0);
	assert_int_equal(
		ioas_unmap(f->ctx, f->ioas, 48 * SZ_1M, 3 * PAGE, NULL), 0);

	/* COPY shares: into an IOAS without a domain, then with one. */
	assert_int_equal(ioas_alloc(f->ctx, &ioas2), 0);
	iova = 64 * SZ_1M;
	assert_int_equal(ioas_copy(f->ctx, ioas2, f->ioas, 16 * SZ_1M, 8 * PAGE,
				   &iova, MAP_FIXED_RW),
			 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 2), 0);
	assert_int_equal(mock_domain(f->ctx, ioas2, &c), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 2), 0);
	assert_int_equal(check_map(f->ctx, c.hwpt, iova, 8 * PAGE, b), 0);
	/* A second domain on the same IOAS pins nothing more. */
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 0, NULL), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 2), 0);

	assert_int_equal(
		ioas_unmap(f->ctx, f->ioas, 32 * SZ_1M, 8 * PAGE, NULL), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 1), 0);
	/* The copy in ioas2 keeps the shared pages pinned. */
	assert_int_equal(
		ioas_unmap(f->ctx, f->ioas, 16 * SZ_1M, 8 * PAGE, NULL), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 1), 0);
	assert_int_equal(object_destroy(f->ctx, c.stdev), 0);
	assert_int_equal(check_refs(f->ctx, b, 8 * PAGE, 0), 0);

	/* Argument checks. */
	assert_int_equal(check_refs(f->ctx, b + 1, PAGE, 0), EINVAL);
	assert_int_equal(check_refs(f->ctx, b, PAGE + 1, 0), EINVAL);
	assert_int_equal(check_refs(f->ctx, no_access(), PAGE, 0), EFAULT);
}

static void check_map_errors(void **state)
{
	struct fixture *f = *state;
	struct mock_ids a;

	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 4 * PAGE, AP_START), 0);
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, 4 * PAGE, f->buf),
			 0);
	/* Another address, a hole in the IOVA. */
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, 4 * PAGE,
				   f->buf + IO_PAGE),
			 EINVAL);
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, 5 * PAGE, f->buf),
			 EINVAL);
	/* Granularity and overflow. */
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START + 1, IO_PAGE,
				   f->buf),
			 EINVAL);
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, IO_PAGE + 1,
				   f->buf),
			 EINVAL);
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, IO_PAGE,
				   f->buf + 1),
			 EINVAL);
	/* Not a HWPT. */
	assert_int_equal(check_map(f->ctx, f->ioas, AP_START, IO_PAGE, f->buf),
			 ENOENT);
	assert_int_equal(check_map(f->ctx, a.idev, AP_START, IO_PAGE, f->buf),
			 ENOENT);
	assert_int_equal(check_map(f->ctx, 999, AP_START, IO_PAGE, f->buf),
			 ENOENT);
	/* The memory must be there to compare with. */
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, IO_PAGE,
				   no_access()),
			 EFAULT);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
}

/*
 * The RLIMIT_MEMLOCK counters rise when the first domain pins the areas
 * and fall when the last goes; a second MAP of the same memory is charged
 * again (its own iopt_pages), a second domain or a COPY is not.
 */
static void accounting_follows_domains(void **state)
{
	struct fixture *f = *state;
	unsigned long user = have_cap(IOMMUFD_CAP_IPC_LOCK) ? 0 : 1;
	struct counters base = counters_now();
	struct mock_ids a;
	uint64_t iova = 0;
	uint32_t e;

	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 16 * PAGE,
					16 * SZ_1M),
			 0);
	assert_moved(&base, 0, 0, 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_moved(&base, user * 16, 0, 16);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 0, &e), 0);
	assert_moved(&base, user * 16, 0, 16);
	assert_int_equal(ioas_copy(f->ctx, f->ioas, f->ioas, 16 * SZ_1M,
				   8 * PAGE, &iova, MAP_RW),
			 0);
	assert_moved(&base, user * 16, 0, 16);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 4 * PAGE,
					32 * SZ_1M),
			 0);
	assert_moved(&base, user * 20, 0, 20);
	assert_int_equal(
		ioas_unmap(f->ctx, f->ioas, 32 * SZ_1M, 4 * PAGE, NULL), 0);
	assert_moved(&base, user * 16, 0, 16);
	assert_int_equal(object_destroy(f->ctx, e), 0);
	assert_moved(&base, user * 16, 0, 16);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_moved(&base, 0, 0, 0);
	/* And back on the next attach. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_moved(&base, user * 16, 0, 16);
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, NULL), 0);
	assert_moved(&base, 0, 0, 0);
}

/*
 * Without CAP_IPC_LOCK: attach charges the user's locked_vm (or the
 * process's in RLIMIT_MODE 1) and is refused past RLIMIT_MEMLOCK, with
 * nothing charged and nothing changed.
 */
static int child_accounting_limits(void)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	struct uiommufd_ctx *ctx = uiommufd_open(), *mm_ctx = uiommufd_open();
	struct iommufd_umem *umem = iommufd_umem_self();
	char *buf = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct counters base;
	struct mock_ids a;
	struct rlimit rl;
	bool mm_mode;
	uint32_t ioas, mm_ioas;

	CHECK(ctx && mm_ctx && buf != MAP_FAILED);
	/* RLIMIT_MODE needs CAP_SYS_RESOURCE; without it, USER mode only. */
	mm_mode = do_ioctl(mm_ctx, IOMMU_OPTION, &opt) == 0;
	CHECK(drop_cap(IOMMUFD_CAP_IPC_LOCK));
	CHECK(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	rl.rlim_cur = 32 * PAGE;
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(atomic_load(&umem->user_locked_vm) == 0);

	CHECK(ioas_alloc(ctx, &ioas) == 0);
	CHECK(ioas_map_fixed(ctx, ioas, buf, 24 * PAGE, 16 * SZ_1M) == 0);
	base = counters_now();
	CHECK(mock_domain(ctx, ioas, &a) == 0);
	CHECK(counters_now().user_locked - base.user_locked == 24);
	CHECK(counters_now().pinned - base.pinned == 24);
	CHECK(counters_now().mm_locked == base.mm_locked);
	/* 24 + 16 > 32: refused, nothing charged, no area. */
	CHECK(ioas_map_fixed(ctx, ioas, buf + 32 * PAGE, 16 * PAGE,
			     32 * SZ_1M) == ENOMEM);
	CHECK(counters_now().user_locked - base.user_locked == 24);
	CHECK(ioas_unmap(ctx, ioas, 32 * SZ_1M, 16 * PAGE, NULL) == ENOENT);
	/* 8 more fit exactly. */
	CHECK(ioas_map_fixed(ctx, ioas, buf + 32 * PAGE, 8 * PAGE,
			     32 * SZ_1M) == 0);
	CHECK(counters_now().user_locked - base.user_locked == 32);
	CHECK(object_destroy(ctx, a.stdev) == 0);
	CHECK(counters_now().user_locked == base.user_locked);
	CHECK(counters_now().pinned == base.pinned);

	/* Attach itself refused past the limit: areas of 40 pages. */
	CHECK(ioas_map_fixed(ctx, ioas, buf + 40 * PAGE, 8 * PAGE,
			     48 * SZ_1M) == 0);
	CHECK(mock_domain(ctx, ioas, &a) == ENOMEM);
	CHECK(counters_now().user_locked == base.user_locked);
	CHECK(counters_now().pinned == base.pinned);
	CHECK(check_refs(ctx, buf, 64 * PAGE, 0) == 0);
	CHECK(ioas_unmap(ctx, ioas, 48 * SZ_1M, 8 * PAGE, NULL) == 0);
	CHECK(mock_domain(ctx, ioas, &a) == 0);
	CHECK(counters_now().user_locked - base.user_locked == 32);
	uiommufd_close(ctx);
	CHECK(counters_now().user_locked == base.user_locked);
	CHECK(counters_now().pinned == base.pinned);

	if (mm_mode) {
		CHECK(ioas_alloc(mm_ctx, &mm_ioas) == 0);
		CHECK(ioas_map_fixed(mm_ctx, mm_ioas, buf, 8 * PAGE,
				     16 * SZ_1M) == 0);
		CHECK(mock_domain(mm_ctx, mm_ioas, &a) == 0);
		CHECK(counters_now().mm_locked - base.mm_locked == 8);
		CHECK(counters_now().user_locked == base.user_locked);
		CHECK(object_destroy(mm_ctx, a.stdev) == 0);
		CHECK(counters_now().mm_locked == base.mm_locked);
	}
	uiommufd_close(mm_ctx);
	return 0;
}

static void accounting_limits(void **state)
{
	(void)state;
	run_in_child(child_accounting_limits);
}

/* ---- devices and HWPTs ----------------------------------------------- */

/*
 * MOCK_DOMAIN makes a selftest object, then binds (a device object) and
 * attaches (an automatic HWPT): three IDs in that order. The device is the
 * binder's until the selftest object goes, and takes the rest with it.
 */
static void device_objects(void **state)
{
	struct fixture *f = *state;
	struct iommu_hw_info info = { .size = sizeof(info) };
	struct mock_ids a, b;

	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 4 * PAGE, AP_START), 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(a.stdev, 2);
	assert_int_equal(a.idev, 3);
	assert_int_equal(a.hwpt, 4);
	assert_true(object_live(f->ctx, a.stdev, IOMMUFD_OBJ_SELFTEST));
	assert_true(object_live(f->ctx, a.idev, IOMMUFD_OBJ_DEVICE));
	assert_true(object_live(f->ctx, a.hwpt, IOMMUFD_OBJ_HWPT_PAGING));

	/* Everything is in use. */
	assert_int_equal(object_destroy(f->ctx, a.idev), EBUSY);
	assert_int_equal(object_destroy(f->ctx, a.hwpt), EBUSY);
	assert_int_equal(object_destroy(f->ctx, f->ioas), EBUSY);

	/* A second device reuses the automatic domain. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &b), 0);
	assert_int_equal(b.stdev, 5);
	assert_int_equal(b.idev, 6);
	assert_int_equal(b.hwpt, a.hwpt);

	/* The selftest object takes its device; the HWPT has b still. */
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), ENOENT);
	assert_false(object_live(f->ctx, a.idev, IOMMUFD_OBJ_DEVICE));
	info.dev_id = a.idev;
	assert_err(ENOENT, f->ctx, IOMMU_GET_HW_INFO, &info);
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, 4 * PAGE, f->buf),
			 0);
	assert_int_equal(check_refs(f->ctx, f->buf, 4 * PAGE, 1), 0);

	/* The last device takes the automatic domain. */
	assert_int_equal(object_destroy(f->ctx, b.stdev), 0);
	assert_false(object_live(f->ctx, b.idev, IOMMUFD_OBJ_DEVICE));
	assert_false(object_live(f->ctx, a.hwpt, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(check_map(f->ctx, a.hwpt, AP_START, 4 * PAGE, f->buf),
			 ENOENT);
	assert_int_equal(check_refs(f->ctx, f->buf, 4 * PAGE, 0), 0);
	assert_no_domain_ranges(f->ctx, f->ioas);
	assert_int_equal(f->ctx->nr_objects, 1);

	/* The IDs are free again, lowest first. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(a.stdev, 2);
	assert_int_equal(a.idev, 3);
	assert_int_equal(a.hwpt, 4);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, f->ioas), 0);
}

static void mock_domain_errors(void **state)
{
	struct fixture *f = *state;
	struct snapshot snap = take_snapshot(f->ctx);
	struct mock_ids a;

	assert_int_equal(mock_domain(f->ctx, 999, &a), ENOENT);
	assert_int_equal(mock_domain(f->ctx, 0, &a), ENOENT);
	assert_int_equal(mock_domain_flags(f->ctx, f->ioas, 1U << 2, &a),
			 EINVAL);
	assert_int_equal(mock_domain_flags(f->ctx, f->ioas, ~0U, &a), EINVAL);
	assert_snapshot(f->ctx, &snap);

	/* Neither an IOAS nor a HWPT. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	snap = take_snapshot(f->ctx);
	assert_int_equal(mock_domain(f->ctx, a.stdev, NULL), EINVAL);
	assert_int_equal(mock_domain(f->ctx, a.idev, NULL), EINVAL);
	assert_snapshot(f->ctx, &snap);

	/* Replace: a selftest object, and something to attach to. */
	assert_int_equal(mock_replace(f->ctx, a.idev, f->ioas, NULL), ENOENT);
	assert_int_equal(mock_replace(f->ctx, f->ioas, f->ioas, NULL), ENOENT);
	assert_int_equal(mock_replace(f->ctx, a.stdev, 999, NULL), ENOENT);
	assert_int_equal(mock_replace(f->ctx, a.stdev, a.idev, NULL), EINVAL);
	assert_snapshot(f->ctx, &snap);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
}

/*
 * Automatic domains are shared by every compatible device attached to the
 * IOAS and go with the last one; an explicit HWPT is never picked, and
 * stays until destroyed.
 */
static void auto_domains(void **state)
{
	struct fixture *f = *state;
	struct mock_ids a, b, c, d, x;
	uint32_t e;

	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 4 * PAGE, AP_START), 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 0, &e), 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &b), 0);
	assert_int_equal(b.hwpt, a.hwpt);
	/* Device flags that do not matter to the domain: shared too. */
	assert_int_equal(mock_domain_flags(f->ctx, f->ioas,
					   MOCK_FLAGS_DEVICE_NO_DIRTY, &c),
			 0);
	assert_int_equal(c.hwpt, a.hwpt);
	assert_int_equal(object_destroy(f->ctx, f->ioas), EBUSY);
	/* Attached to the explicit HWPT by its ID. */
	assert_int_equal(mock_domain(f->ctx, e, &x), 0);
	assert_int_equal(x.hwpt, e);

	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, b.stdev), 0);
	assert_true(object_live(f->ctx, c.hwpt, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(check_map(f->ctx, c.hwpt, AP_START, 4 * PAGE, f->buf),
			 0);
	assert_int_equal(object_destroy(f->ctx, c.stdev), 0);
	assert_false(object_live(f->ctx, a.hwpt, IOMMUFD_OBJ_HWPT_PAGING));

	/* Only the explicit HWPT is left: a new device gets a new domain. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &d), 0);
	assert_int_not_equal(d.hwpt, e);
	assert_int_equal(check_map(f->ctx, d.hwpt, AP_START, 4 * PAGE, f->buf),
			 0);
	assert_int_equal(object_destroy(f->ctx, e), EBUSY);
	assert_int_equal(object_destroy(f->ctx, x.stdev), 0);
	/* Its last device gone, the explicit HWPT stays. */
	assert_true(object_live(f->ctx, e, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(check_map(f->ctx, e, AP_START, 4 * PAGE, f->buf), 0);
	assert_int_equal(object_destroy(f->ctx, e), 0);
	assert_int_equal(object_destroy(f->ctx, d.stdev), 0);
	assert_int_equal(f->ctx->nr_objects, 1);
	assert_no_domain_ranges(f->ctx, f->ioas);
}

/*
 * MOCK_DOMAIN_REPLACE moves a device between IOAS and HWPTs without
 * detaching it: the automatic domain it leaves goes if it was the last,
 * an explicit one stays; the device's domain mirrors its new IOAS.
 */
static void replace_round_trip(void **state)
{
	struct fixture *f = *state;
	uint32_t ioas2, e, e2, pt, auto2;
	struct mock_ids a, nd;

	assert_int_equal(ioas_alloc(f->ctx, &ioas2), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, f->ioas, f->buf, 4 * PAGE, AP_START), 0);
	assert_int_equal(ioas_map_fixed(f->ctx, ioas2, f->buf + SZ_1M, 8 * PAGE,
					2 * AP_START),
			 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 0, &e), 0);

	/* To the same domain: nothing happens. */
	assert_int_equal(mock_replace(f->ctx, a.stdev, a.hwpt, &pt), 0);
	assert_int_equal(pt, a.hwpt);
	assert_int_equal(mock_replace(f->ctx, a.stdev, f->ioas, &pt), 0);
	assert_int_equal(pt, a.hwpt);

	/* To the explicit HWPT: the automatic one was a's alone. */
	assert_int_equal(mock_replace(f->ctx, a.stdev, e, &pt), 0);
	assert_int_equal(pt, e);
	assert_false(object_live(f->ctx, a.hwpt, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(mock_replace(f->ctx, a.stdev, a.hwpt, NULL), ENOENT);
	assert_int_equal(object_destroy(f->ctx, e), EBUSY);
	assert_int_equal(check_refs(f->ctx, f->buf, 4 * PAGE, 1), 0);

	/* Back to the IOAS: a new automatic domain, and e is free to go. */
	assert_int_equal(mock_replace(f->ctx, a.stdev, f->ioas, &pt), 0);
	assert_int_not_equal(pt, e);
	assert_true(object_live(f->ctx, pt, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(check_map(f->ctx, pt, AP_START, 4 * PAGE, f->buf), 0);
	assert_int_equal(object_destroy(f->ctx, e), 0);

	/* To another IOAS: mirrors that one, the old domain goes. */
	assert_int_equal(mock_replace(f->ctx, a.stdev, ioas2, &auto2), 0);
	assert_false(object_live(f->ctx, pt, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(check_map(f->ctx, auto2, 2 * AP_START, 8 * PAGE,
				   f->buf + SZ_1M),
			 0);
	assert_domain_empty(hwpt_domain(f->ctx, auto2), AP_START, 4 * PAGE);
	assert_no_domain_ranges(f->ctx, f->ioas);
	assert_mock_ranges(f->ctx, ioas2);
	assert_int_equal(check_refs(f->ctx, f->buf, 4 * PAGE, 0), 0);
	assert_int_equal(check_refs(f->ctx, f->buf + SZ_1M, 8 * PAGE, 1), 0);

	/* To an explicit HWPT of the first IOAS, then back again. */
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 0, &e2), 0);
	assert_int_equal(mock_replace(f->ctx, a.stdev, e2, &pt), 0);
	assert_int_equal(pt, e2);
	assert_false(object_live(f->ctx, auto2, IOMMUFD_OBJ_HWPT_PAGING));
	assert_no_domain_ranges(f->ctx, ioas2);
	assert_int_equal(mock_replace(f->ctx, a.stdev, ioas2, &auto2), 0);
	assert_int_equal(check_map(f->ctx, auto2, 2 * AP_START, 8 * PAGE,
				   f->buf + SZ_1M),
			 0);

	/* A device joins the automatic domain of ioas2; a leaves it. */
	assert_int_equal(mock_domain(f->ctx, ioas2, &nd), 0);
	assert_int_equal(nd.hwpt, auto2);
	assert_int_equal(mock_replace(f->ctx, a.stdev, e2, NULL), 0);
	assert_true(object_live(f->ctx, auto2, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(object_destroy(f->ctx, nd.stdev), 0);
	assert_false(object_live(f->ctx, auto2, IOMMUFD_OBJ_HWPT_PAGING));

	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, e2), 0);
	assert_int_equal(object_destroy(f->ctx, ioas2), 0);
	assert_int_equal(f->ctx->nr_objects, 1);
}

/* A device the domain does not accept stays where it was. */
static void replace_refused(void **state)
{
	struct fixture *f = *state;
	struct mock_ids a, nd;
	uint32_t dirty, pt;

	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty),
			 0);
	assert_int_equal(mock_domain_flags(f->ctx, f->ioas,
					   MOCK_FLAGS_DEVICE_NO_DIRTY, &nd),
			 0);
	assert_int_equal(nd.hwpt, a.hwpt);
	assert_int_equal(mock_replace(f->ctx, nd.stdev, dirty, &pt), EINVAL);
	assert_int_equal(mock_domain_flags(f->ctx, dirty,
					   MOCK_FLAGS_DEVICE_NO_DIRTY, NULL),
			 EINVAL);
	/* nd still holds the automatic domain: a's leaving keeps it. */
	assert_int_equal(mock_replace(f->ctx, a.stdev, dirty, &pt), 0);
	assert_true(object_live(f->ctx, a.hwpt, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(object_destroy(f->ctx, a.hwpt), EBUSY);
	assert_int_equal(object_destroy(f->ctx, nd.stdev), 0);
	assert_false(object_live(f->ctx, a.hwpt, IOMMUFD_OBJ_HWPT_PAGING));
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, dirty), 0);
}

static void hwpt_alloc_errors(void **state)
{
	struct fixture *f = *state;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	struct mock_ids a, nd;
	struct snapshot snap;
	uint32_t e;

	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(mock_domain_flags(f->ctx, f->ioas,
					   MOCK_FLAGS_DEVICE_NO_DIRTY, &nd),
			 0);
	snap = take_snapshot(f->ctx);

	cmd.dev_id = a.idev;
	cmd.pt_id = f->ioas;
	cmd.__reserved = 1;
	assert_err(EOPNOTSUPP, f->ctx, IOMMU_HWPT_ALLOC, &cmd);
	cmd.__reserved = 0;
	/* Data type and length go together. */
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)&data;
	assert_err(EINVAL, f->ctx, IOMMU_HWPT_ALLOC, &cmd);
	cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
	cmd.data_len = 0;
	assert_err(EINVAL, f->ctx, IOMMU_HWPT_ALLOC, &cmd);
	/* Driver data on an IOAS: the mock's paging domains take none. */
	cmd.data_len = sizeof(data);
	assert_err(EOPNOTSUPP, f->ctx, IOMMU_HWPT_ALLOC, &cmd);
	cmd.data_type = IOMMU_HWPT_DATA_NONE;
	cmd.data_len = 0;
	cmd.data_uptr = 0;

	/* The device: ENOENT; the page table: EINVAL. */
	assert_int_equal(hwpt_alloc(f->ctx, 999, f->ioas, 0, NULL), ENOENT);
	assert_int_equal(hwpt_alloc(f->ctx, f->ioas, f->ioas, 0, NULL), ENOENT);
	assert_int_equal(hwpt_alloc(f->ctx, a.stdev, f->ioas, 0, NULL), ENOENT);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, 999, 0, NULL), EINVAL);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, a.idev, 0, NULL), EINVAL);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, a.stdev, 0, NULL), EINVAL);
	/* A paging parent without data: the nesting path refuses it. */
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, a.hwpt, 0, NULL),
			 EOPNOTSUPP);

	/* Flags; no fault queues for a paging HWPT of the mock either. */
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas, 1U << 5, NULL),
			 EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas,
				    IOMMU_HWPT_FAULT_ID_VALID, NULL),
			 EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(f->ctx, nd.idev, f->ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL),
			 EOPNOTSUPP);
	assert_snapshot(f->ctx, &snap);

	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas,
				    IOMMU_HWPT_ALLOC_NEST_PARENT, &e),
			 0);
	assert_int_equal(object_destroy(f->ctx, e), 0);
	assert_int_equal(hwpt_alloc(f->ctx, nd.idev, f->ioas, 0, &e), 0);
	assert_int_equal(object_destroy(f->ctx, e), 0);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas,
				    IOMMU_HWPT_ALLOC_NEST_PARENT |
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				    &e),
			 0);
	/* A HWPT is not a device either. */
	assert_int_equal(hwpt_alloc(f->ctx, e, f->ioas, 0, NULL), ENOENT);
	assert_int_equal(object_destroy(f->ctx, e), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, nd.stdev), 0);
}

static void get_hw_info(void **state)
{
	struct fixture *f = *state;
	struct iommu_test_hw_info data;
	unsigned char big[32];
	struct iommu_hw_info cmd;
	struct mock_ids a, nd;
	size_t i;

	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(mock_domain_flags(f->ctx, f->ioas,
					   MOCK_FLAGS_DEVICE_NO_DIRTY, &nd),
			 0);

	memset(&data, 0xa5, sizeof(data));
	cmd = (struct iommu_hw_info){
		.size = sizeof(cmd),
		.dev_id = a.idev,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	assert_ok(f->ctx, IOMMU_GET_HW_INFO, &cmd);
	assert_int_equal(cmd.data_len, sizeof(data));
	assert_int_equal(cmd.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	assert_int_equal(cmd.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	assert_int_equal(cmd.out_max_pasid_log2, 0);
	assert_int_equal(data.flags, 0);
	assert_int_equal(data.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);

	/* A longer buffer is zeroed past the data. */
	memset(big, 0xa5, sizeof(big));
	cmd.data_len = sizeof(big);
	cmd.data_uptr = (uintptr_t)big;
	assert_ok(f->ctx, IOMMU_GET_HW_INFO, &cmd);
	assert_int_equal(cmd.data_len, sizeof(data));
	memcpy(&data, big, sizeof(data));
	assert_int_equal(data.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	for (i = sizeof(data); i != sizeof(big); i++)
		assert_int_equal(big[i], 0);
	/* A shorter one gets what fits, and nothing past it is touched. */
	memset(big, 0xa5, sizeof(big));
	cmd.data_len = 6;
	assert_ok(f->ctx, IOMMU_GET_HW_INFO, &cmd);
	assert_int_equal(cmd.data_len, sizeof(data));
	assert_int_equal(big[0], 0);
	assert_int_equal(big[4], IOMMU_HW_INFO_SELFTEST_REGVAL & 0xff);
	assert_int_equal(big[6], 0xa5);
	/* No buffer: just the length. */
	cmd.data_len = 0;
	cmd.data_uptr = 0;
	assert_ok(f->ctx, IOMMU_GET_HW_INFO, &cmd);
	assert_int_equal(cmd.data_len, sizeof(data));

	/* No dirty tracking on that device. */
	cmd.dev_id = nd.idev;
	cmd.data_len = 0;
	assert_ok(f->ctx, IOMMU_GET_HW_INFO, &cmd);
	assert_int_equal(cmd.out_capabilities, 0);

	/* Errors. */
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)no_access();
	assert_err(EFAULT, f->ctx, IOMMU_GET_HW_INFO, &cmd);
	cmd.data_uptr = (uintptr_t)&data;
	cmd.flags = 1;
	assert_err(EOPNOTSUPP, f->ctx, IOMMU_GET_HW_INFO, &cmd);
	cmd.flags = 0;
	cmd.__reserved[1] = 1;
	assert_err(EOPNOTSUPP, f->ctx, IOMMU_GET_HW_INFO, &cmd);
	cmd.__reserved[1] = 0;
	cmd.dev_id = a.stdev;
	assert_err(ENOENT, f->ctx, IOMMU_GET_HW_INFO, &cmd);
	cmd.dev_id = a.hwpt;
	assert_err(ENOENT, f->ctx, IOMMU_GET_HW_INFO, &cmd);
	cmd.dev_id = f->ioas;
	assert_err(ENOENT, f->ctx, IOMMU_GET_HW_INFO, &cmd);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(object_destroy(f->ctx, nd.stdev), 0);
}

/* ---- dirty tracking -------------------------------------------------- */

static bool bit_set(const unsigned char *bitmap, uint64_t bit)
{
	return bitmap[bit / 8] & (1U << (bit % 8));
}

static void set_bit_u8(unsigned char *bitmap, uint64_t bit)
{
	bitmap[bit / 8] |= 1U << (bit % 8);
}

/*
 * IOMMU_TEST_OP_DIRTY marks IO pages dirty; GET_DIRTY_BITMAP reports them
 * (at any page size) and clears them unless NO_CLEAR; enabling tracking
 * starts from clean.
 */
static void dirty_round_trip(void **state)
{
	struct fixture *f = *state;
	const uint64_t npages = 32; /* IO pages mapped */
	const uint64_t base = AP_START, len = npages * IO_PAGE;
	unsigned char marks[8] = { 0 }, bits[16];
	struct mock_ids a;
	uint64_t nr, i;
	uint32_t d;

	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, len, base), 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &d),
			 0);
	set_bit_u8(marks, 0);
	set_bit_u8(marks, 3);
	set_bit_u8(marks, 5);
	set_bit_u8(marks, 31);

	/* Tracking off: nothing can be marked. */
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 EINVAL);
	assert_int_equal(set_dirty_tracking(f->ctx, d,
					    IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
			 0);
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 0);
	assert_int_equal(nr, 4);
	for (i = 0; i != npages; i++)
		assert_int_equal(!!(mock_domain_entry(hwpt_domain(f->ctx, d),
						      base + i * IO_PAGE) &
				    MOCK_PFN_DIRTY_IOVA),
				 bit_set(marks, i));

	/* NO_CLEAR reports and keeps them. */
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, len, IO_PAGE, bits,
				   IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
			 0);
	assert_memory_equal(bits, marks, npages / 8);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, len, IO_PAGE, bits, 0), 0);
	assert_memory_equal(bits, marks, npages / 8);
	/* Cleared now. */
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, len, IO_PAGE, bits, 0), 0);
	for (i = 0; i != npages / 8; i++)
		assert_int_equal(bits[i], 0);

	/* A CPU page per bit: IO pages 0, 3, 5, 31 are in pages 0, 1, 2, 15 */
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 0);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, len, PAGE, bits, 0), 0);
	assert_int_equal(bits[0], 0x07);
	assert_int_equal(bits[1], 0x80);
	/* Bits are only ever set in the caller's bitmap. */
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 0);
	memset(bits, 0, sizeof(bits));
	bits[0] = 0x40;
	assert_int_equal(get_dirty(f->ctx, d, base, len, IO_PAGE, bits, 0), 0);
	assert_int_equal(bits[0], marks[0] | 0x40);

	/* Enabling again starts clean. */
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 0);
	assert_int_equal(set_dirty_tracking(f->ctx, d, 0), 0);
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 EINVAL);
	assert_int_equal(set_dirty_tracking(f->ctx, d,
					    IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
			 0);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, len, IO_PAGE, bits, 0), 0);
	for (i = 0; i != npages / 8; i++)
		assert_int_equal(bits[i], 0);

	/*
	 * A hole ends the walk without an error (as Linux, which drops the
	 * walk's -EINVAL): what is past it is not reported, nor cleared.
	 */
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf + len, len,
					base + 2 * len),
			 0);
	memset(bits, 0xff, sizeof(bits));
	assert_int_equal(
		test_dirty(f->ctx, d, base, 3 * len, IO_PAGE, bits, &nr), 0);
	assert_int_equal(nr, 2 * npages);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, 3 * len, IO_PAGE, bits, 0),
			 0);
	for (i = 0; i != 3 * npages; i++)
		assert_int_equal(bit_set(bits, i), i < npages);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(
		get_dirty(f->ctx, d, base + 2 * len, len, IO_PAGE, bits, 0), 0);
	for (i = 0; i != npages; i++)
		assert_true(bit_set(bits, i));
	assert_int_equal(ioas_unmap(f->ctx, f->ioas, base + 2 * len, len, NULL),
			 0);

	/* Only mapped IO pages count. */
	memset(bits, 0xff, sizeof(bits));
	assert_int_equal(
		test_dirty(f->ctx, d, base, 2 * len, IO_PAGE, bits, &nr), 0);
	assert_int_equal(nr, npages);

	/* The other domain of the IOAS knows nothing of it. */
	assert_int_equal(set_dirty_tracking(f->ctx, a.hwpt,
					    IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
			 EOPNOTSUPP);
	assert_int_equal(test_dirty(f->ctx, a.hwpt, base, len, IO_PAGE, marks,
				    &nr),
			 EINVAL);
	assert_int_equal(get_dirty(f->ctx, a.hwpt, base, len, IO_PAGE, bits, 0),
			 EOPNOTSUPP);
	assert_int_equal(object_destroy(f->ctx, d), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
}

/* With 1 MiB pages, one dirty IO page makes the whole huge page dirty. */
static void dirty_huge_pages(void **state)
{
	struct fixture *f = *state;
	const uint64_t base = AP_START, len = 2 * SZ_1M;
	const uint64_t nbits = len / IO_PAGE;
	unsigned char marks[128] = { 0 }, bits[128];
	struct mock_ids a;
	uint64_t nr, i;
	uint32_t d;

	assert_int_equal(mock_domain_flags(f->ctx, f->ioas,
					   MOCK_FLAGS_DEVICE_HUGE_IOVA, &a),
			 0);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &d),
			 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, len, base), 0);
	assert_int_equal(mock_domain_entry(hwpt_domain(f->ctx, d), base) &
				 MOCK_PFN_HUGE_IOVA,
			 MOCK_PFN_HUGE_IOVA);
	assert_int_equal(set_dirty_tracking(f->ctx, d,
					    IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
			 0);
	/* One IO page in the second huge page. */
	set_bit_u8(marks, 512 + 7);
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 0);
	assert_int_equal(nr, 1);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, len, IO_PAGE, bits, 0), 0);
	for (i = 0; i != nbits; i++)
		assert_int_equal(bit_set(bits, i), i >= 512);
	/* One bit per huge page. */
	assert_int_equal(test_dirty(f->ctx, d, base, len, IO_PAGE, marks, &nr),
			 0);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(get_dirty(f->ctx, d, base, len, SZ_1M, bits, 0), 0);
	assert_int_equal(bits[0], 0x02);
	assert_int_equal(object_destroy(f->ctx, d), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
}

static void dirty_errors(void **state)
{
	struct fixture *f = *state;
	unsigned char bits[64] = { 0 };
	struct iommu_hwpt_get_dirty_bitmap cmd = { .size = sizeof(cmd) };
	struct mock_ids a;
	uint64_t nr;
	uint32_t d;
	size_t i;

	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 16 * PAGE,
					AP_START),
			 0);
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(hwpt_alloc(f->ctx, a.idev, f->ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &d),
			 0);
	assert_int_equal(set_dirty_tracking(f->ctx, d, 2), EOPNOTSUPP);
	assert_int_equal(set_dirty_tracking(f->ctx, f->ioas, 0), ENOENT);
	assert_int_equal(set_dirty_tracking(f->ctx, a.idev, 0), ENOENT);
	assert_int_equal(set_dirty_tracking(f->ctx, d,
					    IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
			 0);

	assert_int_equal(get_dirty(f->ctx, d, AP_START, 16 * PAGE, PAGE, bits,
				   2),
			 EOPNOTSUPP);
	cmd.hwpt_id = d;
	cmd.__reserved = 1;
	cmd.iova = AP_START;
	cmd.length = PAGE;
	cmd.page_size = PAGE;
	cmd.data = (uintptr_t)bits;
	assert_err(EOPNOTSUPP, f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
	assert_int_equal(get_dirty(f->ctx, f->ioas, AP_START, PAGE, PAGE, bits,
				   0),
			 ENOENT);
	/* The range must suit the IOAS's IO page and the bitmap's page. */
	assert_int_equal(get_dirty(f->ctx, d, AP_START + 1024, IO_PAGE, 1024,
				   bits, 0),
			 EINVAL);
	assert_int_equal(get_dirty(f->ctx, d, AP_START, 1024, 1024, bits, 0),
			 EINVAL);
	assert_int_equal(get_dirty(f->ctx, d, AP_START + IO_PAGE, PAGE, PAGE,
				   bits, 0),
			 EINVAL);
	assert_int_equal(get_dirty(f->ctx, d, AP_START, 3 * IO_PAGE, PAGE, bits,
				   0),
			 EINVAL);
	assert_int_equal(get_dirty(f->ctx, d, AP_START, PAGE, 0, bits, 0),
			 EINVAL);
	assert_int_equal(get_dirty(f->ctx, d, UINT64_MAX - PAGE + 1, 2 * PAGE,
				   PAGE, bits, 0),
			 EOVERFLOW);

	/*
	 * A bitmap that cannot be written is no error, and the walk still
	 * reads and clears the dirty bits (as Linux 6.12, whose iova_bitmap
	 * pins the bitmap only to record a bit and drops its errors).
	 */
	memset(bits, 0xff, sizeof(bits));
	assert_int_equal(test_dirty(f->ctx, d, AP_START, 16 * PAGE, IO_PAGE,
				    bits, &nr),
			 0);
	assert_int_equal(nr, 32);
	assert_int_equal(get_dirty(f->ctx, d, AP_START, 16 * PAGE, PAGE,
				   no_access(), 0),
			 0);
	memset(bits, 0, sizeof(bits));
	assert_int_equal(
		get_dirty(f->ctx, d, AP_START, 16 * PAGE, IO_PAGE, bits, 0), 0);
	for (i = 0; i != 4; i++)
		assert_int_equal(bits[i], 0);
	/*
	 * Like Linux's mock, TEST_OP_DIRTY looks bit i up at mock index
	 * (iova + i * page_size) / page_size: with 4 KiB bits at AP_START
	 * that is IOVA AP_START / 2, where nothing is mapped.
	 */
	memset(bits, 0xff, sizeof(bits));
	assert_int_equal(
		test_dirty(f->ctx, d, AP_START, 16 * PAGE, PAGE, bits, &nr), 0);
	assert_int_equal(nr, 0);

	/* TEST_OP_DIRTY's own checks. */
	assert_int_equal(test_dirty(f->ctx, d, AP_START, PAGE, 0, bits, NULL),
			 EINVAL);
	assert_int_equal(test_dirty(f->ctx, d, AP_START, 0, PAGE, bits, NULL),
			 EINVAL);
	assert_int_equal(test_dirty(f->ctx, d, AP_START + 1, PAGE, PAGE, bits,
				    NULL),
			 EINVAL);
	assert_int_equal(test_dirty(f->ctx, d, AP_START, PAGE, PAGE, NULL,
				    NULL),
			 EINVAL);
	assert_int_equal(test_dirty(f->ctx, d, AP_START, PAGE, PAGE,
				    no_access(), NULL),
			 EFAULT);
	assert_int_equal(test_dirty(f->ctx, f->ioas, AP_START, PAGE, PAGE, bits,
				    NULL),
			 ENOENT);
	assert_int_equal(object_destroy(f->ctx, d), 0);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
}

/*
 * IOMMU_OPTION_HUGE_PAGES = 0 is refused with EINVAL while a domain of the
 * IOAS holds mappings, which may use large pages already (Linux 6.12
 * iopt_disable_large_pages()).
 */
static void huge_pages_option_with_mapped_domain(void **state)
{
	struct fixture *f = *state;
	struct mock_ids a;

	/* Fine with a domain and no area, or an area and no domain. */
	assert_int_equal(mock_domain(f->ctx, f->ioas, &a), 0);
	assert_int_equal(set_huge_pages(f->ctx, f->ioas, 0), 0);
	assert_int_equal(set_huge_pages(f->ctx, f->ioas, 1), 0);
	assert_int_equal(ioas_map_fixed(f->ctx, f->ioas, f->buf, 2 * SZ_1M,
					AP_START),
			 0);
	assert_int_equal(set_huge_pages(f->ctx, f->ioas, 0), EINVAL);
	assert_int_equal(object_destroy(f->ctx, a.stdev), 0);
	assert_int_equal(set_huge_pages(f->ctx, f->ioas, 0), 0);
}

static void set_temp_memory_limit(void **state)
{
	struct fixture *f = *state;
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	};

	/* At least one batch element (an unsigned long and a u32). */
	cmd.memory_limit.limit = 11;
	assert_err(EINVAL, f->ctx, IOMMU_TEST_CMD, &cmd);
	cmd.memory_limit.limit = 12;
	assert_ok(f->ctx, IOMMU_TEST_CMD, &cmd);
	cmd.memory_limit.limit = 65536;
	assert_ok(f->ctx, IOMMU_TEST_CMD, &cmd);
	/* Unknown ops, as a kernel without them. */
	cmd.op = IOMMU_TEST_OP_TRIGGER_IOPF + 1;
	assert_err(EOPNOTSUPP, f->ctx, IOMMU_TEST_CMD, &cmd);
}

/*
 * Closing the context tears down whatever is left, dependents first:
 * selftest objects with their devices, HWPTs, IOAS, giving back every pin.
 */
static void close_tears_down_everything(void **state)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	struct counters base = counters_now();
	struct uiommufd_ctx *ctx = uiommufd_open();
	char *buf = test_buffer(64 * PAGE, PROT_READ | PROT_WRITE);
	uint32_t ioas, ioas2, e, d;
	struct mock_ids a, b, c;
	uint64_t iova = 2 * AP_START;
	bool empty;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ioas_alloc(ctx, &ioas), 0);
	assert_int_equal(ioas_alloc(ctx, &ioas2), 0);
	assert_int_equal(ioas_map_fixed(ctx, ioas, buf, 32 * PAGE, AP_START),
			 0);
	assert_int_equal(mock_domain(ctx, ioas, &a), 0);
	assert_int_equal(mock_domain_flags(ctx, ioas2,
					   MOCK_FLAGS_DEVICE_HUGE_IOVA, &b),
			 0);
	assert_int_equal(ioas_copy(ctx, ioas2, ioas, AP_START, 32 * PAGE, &iova,
				   MAP_FIXED_RW),
			 0);
	assert_int_equal(hwpt_alloc(ctx, a.idev, ioas2, 0, &e), 0);
	assert_int_equal(hwpt_alloc(ctx, b.idev, ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &d),
			 0);
	assert_int_equal(set_dirty_tracking(ctx, d,
					    IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
			 0);
	assert_int_equal(mock_domain(ctx, e, &c), 0);
	assert_int_equal(mock_replace(ctx, a.stdev, d, NULL), 0);
	assert_int_equal(ioas_map_fixed(ctx, ioas2, buf + 32 * PAGE, 32 * PAGE,
					AP_START),
			 0);
	assert_int_equal(check_refs(ctx, buf, 64 * PAGE, 1), 0);
	assert_moved(&base, have_cap(IOMMUFD_CAP_IPC_LOCK) ? 0 : 64, 0, 64);

	uiommufd_close(ctx);
	assert_moved(&base, 0, 0, 0);
	pthread_mutex_lock(&umem->pages_lock);
	empty = list_empty(&umem->pages_list);
	pthread_mutex_unlock(&umem->pages_lock);
	assert_true(empty);
	munmap(buf, 64 * PAGE);
}

/* ---- bugs ------------------------------------------------------------ */

/* Wait until thread @tid sleeps (blocked on a lock), for up to 5 s. */
static bool wait_blocked(pid_t tid)
{
	unsigned int i, asleep = 0;
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	for (i = 0; i != 5000 && asleep < 20; i++) {
		char stat[512], *p;
		FILE *fp = fopen(path, "r");
		size_t n;

		if (!fp)
			return false;
		n = fread(stat, 1, sizeof(stat) - 1, fp);
		fclose(fp);
		stat[n] = 0;
		p = strrchr(stat, ')');
		asleep = p && p[1] == ' ' && p[2] == 'S' ? asleep + 1 : 0;
		usleep(1000);
	}
	return asleep >= 20;
}

struct racer {
	struct uiommufd_ctx *ctx;
	uint32_t id;
	struct mock_ids out;
	int rc;
	_Atomic pid_t tid;
};

static void *racer_attach(void *arg)
{
	struct racer *r = arg;

	atomic_store(&r->tid, (pid_t)syscall(SYS_gettid));
	r->rc = mock_domain(r->ctx, r->id, &r->out);
	return NULL;
}

static void *racer_destroy(void *arg)
{
	struct racer *r = arg;

	atomic_store(&r->tid, (pid_t)syscall(SYS_gettid));
	r->rc = object_destroy(r->ctx, r->id);
	return NULL;
}

static pid_t racer_tid(struct racer *r)
{
	while (!atomic_load(&r->tid))
		usleep(100);
	return atomic_load(&r->tid);
}

/* Is slot @id of the object table empty (no reference taken)? */
static bool id_free(struct uiommufd_ctx *ctx, uint32_t id)
{
	bool free;

	pthread_mutex_lock(&ctx->objects_lock);
	free = id >= ctx->next_id || !ctx->objects[id];
	pthread_mutex_unlock(&ctx->objects_lock);
	return free;
}

/* Wait up to 5 s for slot @id to be free (@free) or published (!@free). */
static bool wait_id(struct uiommufd_ctx *ctx, uint32_t id, bool free)
{
	unsigned int i;

	for (i = 0; i != 5000; i++) {
		bool published;

		pthread_mutex_lock(&ctx->objects_lock);
		published = id < ctx->next_id && ctx->objects[id] &&
			    ctx->objects[id] != (struct iommufd_object *)1;
		pthread_mutex_unlock(&ctx->objects_lock);
		if (free ? id_free(ctx, id) : published)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * BUG: attaching a device to an IOAS may pick an automatic domain that is
 * being destroyed. Destroying the last device of automatic HWPT A takes A
 * out of the object table (users 0) and then waits for ioas->mutex to
 * unlink it from ioas->hwpt_list; an attach holding that mutex meanwhile
 * finds A on the list and attaches to it (users 0 -> 1). The destroyer then
 * frees A under the new device: MOCK_DOMAIN returns a HWPT ID that no
 * longer exists, and the device points to freed memory (use-after-free at
 * its detach). Linux skips such HWPTs with iommufd_lock_obj() (a reference
 * only if users is not 0) in iommufd_device_auto_get_domain();
 * lib/device.c iommufd_device_auto_get_domain() has no such check.
 *
 * Deterministic: the test holds ioas->mutex, lets the attach block on it,
 * then the destroy, and releases it: the first waiter (the attach) runs
 * first.
 */
static int child_attach_to_dying_auto_domain(void)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	struct racer attach = { .ctx = ctx }, destroy = { .ctx = ctx };
	pthread_t ta, td;
	struct iommufd_ioas *ioas;
	struct mock_ids a;
	uint32_t ioas_id;

	CHECK(ctx && ioas_alloc(ctx, &ioas_id) == 0);
	CHECK(mock_domain(ctx, ioas_id, &a) == 0);
	ioas = iommufd_get_ioas(ctx, ioas_id);
	CHECK(ioas);

	pthread_mutex_lock(&ioas->mutex);
	attach.id = ioas_id;
	CHECK(pthread_create(&ta, NULL, racer_attach, &attach) == 0);
	/* Its device bound (ID a.hwpt + 2), it goes for the mutex. */
	CHECK(wait_id(ctx, a.hwpt + 2, false));
	CHECK(wait_blocked(racer_tid(&attach)));
	destroy.id = a.stdev;
	CHECK(pthread_create(&td, NULL, racer_destroy, &destroy) == 0);
	/* A is out of the table, its destroy waiting for the mutex. */
	CHECK(wait_id(ctx, a.hwpt, true));
	CHECK(wait_blocked(racer_tid(&destroy)));
	pthread_mutex_unlock(&ioas->mutex);
	pthread_join(ta, NULL);
	pthread_join(td, NULL);
	iommufd_put_object(&ioas->obj);

	CHECK(destroy.rc == 0);
	CHECK(attach.rc == 0);
	if (!object_live(ctx, attach.out.hwpt, IOMMUFD_OBJ_HWPT_PAGING)) {
		fprintf(stderr,
			"MOCK_DOMAIN returned HWPT %u, which does not exist: "
			"the device was attached to the automatic domain "
			"being destroyed\n",
			attach.out.hwpt);
		/* Tearing down would touch the freed HWPT. */
		return 1;
	}
	CHECK(object_destroy(ctx, attach.out.stdev) == 0);
	CHECK(object_destroy(ctx, ioas_id) == 0);
	uiommufd_close(ctx);
	return 0;
}

static void bug_attach_to_dying_auto_domain(void **state)
{
	(void)state;
	run_in_child(child_attach_to_dying_auto_domain);
}

/*
 * BUG: destroying a selftest object while an ioctl holds its device (e.g.
 * IOMMU_GET_HW_INFO or IOMMU_HWPT_ALLOC on another thread) frees the mock
 * device under the device object, which stays in the table for good with
 * a dangling idev->dev (use-after-free on its next use and at close).
 * iommufd_device_unbind() gives up on -EBUSY from iommufd_object_remove();
 * Linux's waits for such short-term users to finish
 * (iommufd_object_destroy_user(), REMOVE_WAIT_SHORTTERM).
 *
 * The test holds the device as an ioctl would, destroys the selftest
 * object from another thread, then lets go: the device must then be gone.
 */
static int child_unbind_with_device_in_use(void)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	struct racer destroy = { .ctx = ctx };
	struct iommufd_device *idev;
	struct mock_ids a;
	uint32_t ioas_id;
	pthread_t td;

	CHECK(ctx && ioas_alloc(ctx, &ioas_id) == 0);
	CHECK(mock_domain(ctx, ioas_id, &a) == 0);
	idev = iommufd_get_device(ctx, a.idev);
	CHECK(idev);
	destroy.id = a.stdev;
	CHECK(pthread_create(&td, NULL, racer_destroy, &destroy) == 0);
	usleep(100 * 1000);
	iommufd_put_object(&idev->obj);
	pthread_join(td, NULL);
	CHECK(destroy.rc == 0);
	if (object_live(ctx, a.idev, IOMMUFD_OBJ_DEVICE)) {
		fprintf(stderr,
			"device %u outlived its selftest object, its mock "
			"device freed\n",
			a.idev);
		return 1;
	}
	uiommufd_close(ctx);
	return 0;
}

static void bug_unbind_with_device_in_use(void **state)
{
	(void)state;
	run_in_child(child_unbind_with_device_in_use);
}

/* ---- threads --------------------------------------------------------- */

/*
 * Two threads map and unmap on IOAS A (each in IOVA slots of its own, and
 * with automatic IOVA), with results they alone determine, while a third
 * attaches and destroys mock devices on A and B, allocates and destroys
 * explicit HWPTs on A and moves devices between all of them. It ends with
 * every device on A and the mappers go on a while; then every domain must
 * map exactly the areas of its IOAS, and the pinned counter match. The
 * workers count failures; the main thread asserts (cmocka's asserts must
 * stay on it). Run under TSan too.
 */

/* Sanitizers slow every ioctl down by an order of magnitude. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define ATTACH_ITERS_FULL 300
#else
#define ATTACH_ITERS_FULL 20000
#endif
#define ATTACH_ITERS (RUNNING_ON_VALGRIND ? 200U : ATTACH_ITERS_FULL)

#define NMAPPERS 2
#define NSLOTS 16
#define SLOT_SIZE (256 * 1024ULL)
#define SLOT_IOVA(t, s) (AP_START + (uint64_t)(t)*16 * SZ_1M + (s)*SLOT_SIZE)
#define NAUTO 16
#define AUTO_START SZ_1G
#define NDEVS 4
#define NEXPLICIT 2

struct race {
	struct uiommufd_ctx *ctx;
	uint32_t a, b; /* the IOAS mapped into, and another one */
	char *buf;
	atomic_bool attacher_done;
	atomic_uint failures;
};

struct mapper {
	struct race *r;
	unsigned int idx;
	uint64_t rng;
	unsigned long iters;
	uint64_t slot_len[NSLOTS];
	const char *slot_va[NSLOTS];
	uint64_t auto_iova[NAUTO], auto_len[NAUTO];
	const char *auto_va[NAUTO];
	pthread_t thread;
};

static uint64_t rnd(uint64_t *rng, uint64_t n)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return *rng % n;
}

static void race_fail(struct race *r, const char *what, int rc)
{
	fprintf(stderr, "%s: %d\n", what, rc);
	atomic_fetch_add(&r->failures, 1);
}

static void *mapper_thread(void *arg)
{
	struct mapper *m = arg;
	struct race *r = m->r;
	unsigned long extra = 0, i;

	for (i = 0; extra < 200; i++) {
		unsigned int s = rnd(&m->rng, NSLOTS);
		uint64_t len = (1 + rnd(&m->rng, 16)) * PAGE;
		const char *va = r->buf + rnd(&m->rng, 512) * PAGE;
		uint64_t unmapped;
		int rc;

		if (atomic_load(&r->attacher_done))
			extra++;
		if (rnd(&m->rng, 2)) {
			if (m->slot_len[s]) {
				rc = ioas_unmap(r->ctx, r->a,
						SLOT_IOVA(m->idx, s),
						m->slot_len[s], &unmapped);
				if (rc || unmapped != m->slot_len[s])
					race_fail(r, "slot unmap", rc);
				m->slot_len[s] = 0;
			} else {
				rc = ioas_map_fixed(r->ctx, r->a, va, len,
						    SLOT_IOVA(m->idx, s));
				if (rc)
					race_fail(r, "slot map", rc);
				m->slot_len[s] = rc ? 0 : len;
				m->slot_va[s] = va;
			}
			continue;
		}
		s = rnd(&m->rng, NAUTO);
		if (m->auto_len[s]) {
			rc = ioas_unmap(r->ctx, r->a, m->auto_iova[s],
					m->auto_len[s], &unmapped);
			if (rc || unmapped != m->auto_len[s])
				race_fail(r, "auto unmap", rc);
			m->auto_len[s] = 0;
		} else {
			uint64_t iova = 0;

			rc = ioas_map(r->ctx, r->a, va, len, &iova, MAP_RW);
			if (rc || iova < AUTO_START || iova > AP_LAST)
				race_fail(r, "auto map", rc);
			m->auto_iova[s] = iova;
			m->auto_len[s] = rc ? 0 : len;
			m->auto_va[s] = va;
		}
	}
	m->iters = i;
	return NULL;
}

struct attacher {
	struct race *r;
	uint64_t rng;
	struct mock_ids devs[NDEVS];
	bool on_b[NDEVS];
	uint32_t explicit[NEXPLICIT];
};

static void attacher_step(struct attacher *t)
{
	struct race *r = t->r;
	unsigned int i = rnd(&t->rng, NDEVS), j = rnd(&t->rng, NEXPLICIT);
	struct mock_ids *d = &t->devs[i];
	int rc;

	switch (rnd(&t->rng, 4)) {
	case 0:
		if (d->stdev) {
			rc = object_destroy(r->ctx, d->stdev);
			d->stdev = 0;
		} else {
			rc = mock_domain(r->ctx, rnd(&t->rng, 4) ? r->a : r->b,
					 d);
			t->on_b[i] = false;
		}
		if (rc)
			race_fail(r, "mock domain / destroy", rc);
		break;
	case 1:
		if (!d->stdev)
			break;
		rc = mock_replace(r->ctx, d->stdev, t->on_b[i] ? r->a : r->b,
				  NULL);
		t->on_b[i] = !t->on_b[i];
		if (rc)
			race_fail(r, "replace", rc);
		break;
	case 2:
		if (t->explicit[j]) {
			rc = object_destroy(r->ctx, t->explicit[j]);
			/* Some device may be on it. */
			if (!rc || rc == EBUSY)
				t->explicit[j] = rc ? t->explicit[j] : 0;
			else
				race_fail(r, "destroy hwpt", rc);
		} else if (d->stdev) {
			rc = hwpt_alloc(r->ctx, d->idev, r->a, 0,
					&t->explicit[j]);
			if (rc)
				race_fail(r, "hwpt alloc", rc);
		}
		break;
	case 3:
		if (!d->stdev || !t->explicit[j])
			break;
		rc = mock_replace(r->ctx, d->stdev, t->explicit[j], NULL);
		if (rc)
			race_fail(r, "replace to hwpt", rc);
		t->on_b[i] = false;
		break;
	}
}

static void *attacher_thread(void *arg)
{
	struct attacher *t = arg;
	struct race *r = t->r;
	unsigned int i;

	for (i = 0; i != ATTACH_ITERS; i++)
		attacher_step(t);
	/*
	 * End with every device on A, so that its domains lived through
	 * the maps and unmaps; the mappers go on for a while.
	 */
	for (i = 0; i != NDEVS; i++) {
		struct mock_ids *d = &t->devs[i];

		if (d->stdev ? mock_replace(r->ctx, d->stdev, r->a, &d->hwpt) :
			       mock_domain(r->ctx, r->a, d))
			race_fail(r, "final attach", -1);
		t->on_b[i] = false;
	}
	if (!t->explicit[0] &&
	    hwpt_alloc(r->ctx, t->devs[0].idev, r->a, 0, &t->explicit[0]))
		race_fail(r, "final hwpt", -1);
	atomic_store(&r->attacher_done, true);
	return NULL;
}

/* Every domain of @ioas maps exactly its areas. */
static uint64_t check_ioas_domains(struct uiommufd_ctx *ctx, uint32_t ioas_id)
{
	struct iommufd_ioas *ioas = iommufd_get_ioas(ctx, ioas_id);
	struct io_pagetable *iopt = &ioas->iopt;
	uint64_t io_pages = 0, pinned = 0;
	struct itree_node *node;
	unsigned int i;

	assert_non_null(ioas);
	for (node = itree_first(&iopt->area_itree); node;
	     node = itree_next(node)) {
		struct iopt_area *area =
			container_of(node, struct iopt_area, node);
		uint64_t uptr = area->pages->uptr +
				iopt_area_start_byte(area, node->start);

		io_pages += iopt_area_length(area) / IO_PAGE;
		pinned += area->pages->npinned;
		assert_int_equal(area->domains_pinned, iopt->nr_domains != 0);
		for (i = 0; i != iopt->nr_domains; i++) {
			struct iommu_domain *d = iopt->domains[i];
			uint64_t off;

			for (off = 0; off < iopt_area_length(area);
			     off += IO_PAGE)
				assert_int_equal(mock_domain_entry(
							 d, node->start + off) &
							 (MOCK_PFN_MASK |
							  MOCK_PFN_PRESENT),
						 (uptr + off) / IO_PAGE |
							 MOCK_PFN_PRESENT);
		}
	}
	for (i = 0; i != iopt->nr_domains; i++)
		assert_int_equal(domain_count(iopt->domains[i]), io_pages);
	iommufd_put_object(&ioas->obj);
	return pinned;
}

static void threads_map_while_attaching(void **state)
{
	struct fixture *f = *state;
	struct counters base = counters_now();
	/* Automatic IOVA only from AUTO_START on, away from the slots. */
	struct iommu_iova_range allowed = { AUTO_START, AP_LAST };
	struct iommu_ioas_allow_iovas allow = {
		.size = sizeof(allow),
		.ioas_id = f->ioas,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&allowed,
	};
	struct race r = { .ctx = f->ctx, .a = f->ioas, .buf = f->buf };
	struct mapper m[NMAPPERS];
	struct attacher t = { .r = &r, .rng = 0x9e3779b97f4a7c15ULL };
	uint64_t pinned;
	pthread_t at;
	unsigned int i, s;

	assert_ok(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow);
	assert_int_equal(ioas_alloc(f->ctx, &r.b), 0);
	assert_int_equal(
		ioas_map_fixed(f->ctx, r.b, f->buf, 8 * PAGE, AP_START), 0);

	for (i = 0; i != NMAPPERS; i++) {
		m[i] = (struct mapper){ .r = &r,
					.idx = i,
					.rng = 0x2545f4914f6cdd1dULL *
					       (i + 1) };
		assert_int_equal(pthread_create(&m[i].thread, NULL,
						mapper_thread, &m[i]),
				 0);
	}
	assert_int_equal(pthread_create(&at, NULL, attacher_thread, &t), 0);
	pthread_join(at, NULL);
	for (i = 0; i != NMAPPERS; i++)
		pthread_join(m[i].thread, NULL);
	assert_int_equal(atomic_load(&r.failures), 0);
	print_message("  %lu and %lu maps/unmaps, %u attach steps\n",
		      m[0].iters, m[1].iters, (unsigned int)ATTACH_ITERS);

	/* The mappers' own account, through every domain on A. */
	for (i = 0; i != NMAPPERS; i++) {
		for (s = 0; s != NSLOTS; s++) {
			if (!m[i].slot_len[s])
				continue;
			assert_int_equal(check_map(f->ctx, t.explicit[0],
						   SLOT_IOVA(i, s),
						   m[i].slot_len[s],
						   m[i].slot_va[s]),
					 0);
			assert_int_equal(check_map(f->ctx, t.devs[0].hwpt,
						   SLOT_IOVA(i, s),
						   m[i].slot_len[s],
						   m[i].slot_va[s]),
					 0);
		}
		for (s = 0; s != NAUTO; s++)
			if (m[i].auto_len[s])
				assert_int_equal(check_map(f->ctx,
							   t.explicit[0],
							   m[i].auto_iova[s],
							   m[i].auto_len[s],
							   m[i].auto_va[s]),
						 0);
	}
	/* Every domain equals its IOAS; pinned is what the areas pin. */
	pinned = check_ioas_domains(f->ctx, r.a);
	pinned += check_ioas_domains(f->ctx, r.b);
	assert_int_equal(counters_now().pinned - base.pinned, pinned);

	/* All gone: nothing pinned, nothing charged. */
	for (i = 0; i != NDEVS; i++)
		assert_int_equal(object_destroy(f->ctx, t.devs[i].stdev), 0);
	for (i = 0; i != NEXPLICIT; i++)
		if (t.explicit[i])
			assert_int_equal(object_destroy(f->ctx, t.explicit[i]),
					 0);
	assert_no_domain_ranges(f->ctx, r.b);
	assert_int_equal(check_refs(f->ctx, f->buf, 528 * PAGE, 0), 0);
	assert_moved(&base, 0, 0, 0);
	assert_int_equal(f->ctx->nr_objects, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_huge_iova),
		cmocka_unit_test(split_small_only),
		cmocka_unit_test(unmap_part_of_huge),
		cmocka_unit_test(split_argument_errors),
		cmocka_unit_test(split_failure_unwinds),
		fixture_test(table_add_remove_domain),
		fixture_test(huge_iova_device),
		fixture_test(mirror_one_and_two_domains),
		fixture_test(aperture_and_alignment),
		fixture_test(attach_conflicts),
		fixture_test(pinning_needs_memory),
		fixture_test(check_refs_counts),
		fixture_test(check_map_errors),
		fixture_test(accounting_follows_domains),
		cmocka_unit_test(accounting_limits),
		fixture_test(device_objects),
		fixture_test(mock_domain_errors),
		fixture_test(auto_domains),
		fixture_test(replace_round_trip),
		fixture_test(replace_refused),
		fixture_test(hwpt_alloc_errors),
		fixture_test(get_hw_info),
		fixture_test(dirty_round_trip),
		fixture_test(dirty_huge_pages),
		fixture_test(dirty_errors),
		fixture_test(huge_pages_option_with_mapped_domain),
		fixture_test(set_temp_memory_limit),
		cmocka_unit_test(close_tears_down_everything),
		fixture_test(threads_map_while_attaching),
		cmocka_unit_test(bug_attach_to_dying_auto_domain),
		cmocka_unit_test(bug_unbind_with_device_in_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
