// SPDX-License-Identifier: BSD-3-Clause
/*
 * Pinning and its accounting (lib/pages.c), through the internal API.
 *
 * Nothing in the uAPI pins yet: like the kernel, IOMMU_IOAS_MAP only
 * records the user range, and pages are pinned once a domain or an access
 * needs them. So the pin mechanism is driven directly here: faulting in,
 * charging each page once however many holders pin it, the three
 * accounting modes and RLIMIT_MEMLOCK.
 *
 * The counters of struct iommufd_umem belong to the whole process, so the
 * checks compare deltas. Capability and rlimit changes happen in forked
 * children, which report through their exit status, so that the test
 * runner itself keeps its limits and privileges.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

#include "io_pagetable.h"

/* ---- helpers -------------------------------------------------------- */

/* A snapshot of the process-wide counters. */
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

/* Counters moved by exactly (user, mm, pinned) pages since @base. */
static bool counters_moved(const struct counters *base, long user, long mm,
			   long pinned)
{
	struct counters now = counters_now();

	return now.user_locked - base->user_locked == (unsigned long)user &&
	       now.mm_locked - base->mm_locked == (unsigned long)mm &&
	       now.pinned - base->pinned == (unsigned long)pinned;
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

static struct itree_node holder(uint64_t start, uint64_t last)
{
	return (struct itree_node){ .start = start, .last = last };
}

/*
 * Pages over [va, va + len); @mode overrides the accounting mode that
 * iopt_alloc_pages() chose (-1 keeps it), as iopt_map_user_pages() does
 * for a context in MM mode.
 */
static struct iopt_pages *new_pages(const void *va, uint64_t len, bool writable,
				    int mode)
{
	struct iopt_pages *pages = NULL;

	if (iopt_alloc_pages(iommufd_umem_self(), (uintptr_t)va, len, writable,
			     &pages))
		return NULL;
	if (mode >= 0)
		pages->account_mode = mode;
	return pages;
}

/* How many of the @npages pages at @p are resident. */
static size_t resident(const void *p, size_t npages)
{
	unsigned char vec[64];
	size_t i, n = 0;

	assert_true(npages <= sizeof(vec));
	assert_int_equal(mincore((void *)p, npages * PAGE, vec), 0);
	for (i = 0; i != npages; i++)
		n += vec[i] & 1;
	return n;
}

/*
 * A fresh, untouched buffer whose pages fault in one by one: no THP, so
 * populating one page cannot bring its neighbours in with it.
 */
static char *fresh_buffer(size_t npages, int prot)
{
	char *p = test_buffer(npages * PAGE, prot);

	assert_int_equal(madvise(p, npages * PAGE, MADV_NOHUGEPAGE), 0);
	return p;
}

static bool set_memlock_pages(uint64_t npages)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return false;
	rl.rlim_cur = npages * PAGE;
	return setrlimit(RLIMIT_MEMLOCK, &rl) == 0;
}

/*
 * Children must not use the cmocka asserts: a failure would longjmp into
 * the child's copy of the runner. They print and exit non-zero instead.
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
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == CHILD_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- creation ------------------------------------------------------- */

static void alloc_argument_errors(void **state)
{
	static struct iopt_pages sentinel;
	struct iommufd_umem *umem = iommufd_umem_self();
	struct iopt_pages *pages = &sentinel;

	(void)state;
	assert_int_equal(iopt_alloc_pages(umem, 0x10000, 0, true, &pages),
			 -EINVAL);
	/* Too long for the page count to be computed. */
	assert_int_equal(iopt_alloc_pages(umem, 0, SIZE_MAX, true, &pages),
			 -EINVAL);
	assert_int_equal(iopt_alloc_pages(umem, 0, SIZE_MAX - PAGE + 1, true,
					  &pages),
			 -EINVAL);
	/* uptr + length wraps. */
	assert_int_equal(iopt_alloc_pages(umem, UINT64_MAX - 100, PAGE, true,
					  &pages),
			 -EOVERFLOW);
	assert_int_equal(iopt_alloc_pages(umem, UINT64_MAX - PAGE + 1, PAGE,
					  true, &pages),
			 -EOVERFLOW);
	/* A failed call leaves the result alone. */
	assert_ptr_equal(pages, &sentinel);

	/* Up to the last page but one is fine: no pinning, no check. */
	assert_int_equal(iopt_alloc_pages(umem, UINT64_MAX - 2 * PAGE + 1, PAGE,
					  false, &pages),
			 0);
	assert_int_equal(pages->uptr, UINT64_MAX - 2 * PAGE + 1);
	assert_int_equal(pages->npages, 1);
	iopt_put_pages(pages);
}

static void alloc_rounds_to_pages(void **state)
{
	static const struct {
		uint64_t offset, length, npages;
	} cases[] = {
		{ 100, PAGE, 2 }, /* straddles a page boundary */
		{ 100, PAGE - 100, 1 }, /* ends exactly at the boundary */
		{ 0, 1, 1 },
		{ PAGE - 1, 2, 2 },
		{ 0, 3 * PAGE, 3 },
		{ PAGE + 5, 3 * PAGE, 4 },
	};
	uint64_t base = 0x7f0000000000ULL;
	size_t i;

	(void)state;
	for (i = 0; i != IOMMUFD_ARRAY_SIZE(cases); i++) {
		struct iopt_pages *pages =
			new_pages((void *)(uintptr_t)(base + cases[i].offset),
				  cases[i].length, i & 1, -1);

		assert_non_null(pages);
		assert_int_equal(pages->uptr,
				 base + (cases[i].offset & ~(PAGE - 1)));
		assert_int_equal(pages->npages, cases[i].npages);
		assert_int_equal(pages->writable, i & 1);
		assert_int_equal(pages->npinned, 0);
		assert_ptr_equal(pages->umem, iommufd_umem_self());
		assert_int_equal(atomic_load(&pages->refcount), 1);
		iopt_put_pages(pages);
	}
}

static void refcount_keeps_pages(void **state)
{
	char *buf = test_buffer(PAGE, PROT_READ | PROT_WRITE);
	struct iopt_pages *pages = new_pages(buf, PAGE, true, -1);
	struct itree_node pin = holder(0, 0);

	(void)state;
	assert_non_null(pages);
	iopt_get_pages_ref(pages);
	assert_int_equal(atomic_load(&pages->refcount), 2);
	iopt_put_pages(pages);
	/* Still alive for the other reference: ASan would catch a free. */
	assert_int_equal(atomic_load(&pages->refcount), 1);
	assert_int_equal(iopt_pages_pin(pages, &pin), 0);
	iopt_pages_unpin(pages, &pin);
	iopt_put_pages(pages);
	munmap(buf, PAGE);
}

/* ---- pinning -------------------------------------------------------- */

static void pin_faults_pages_in(void **state)
{
	char *buf = fresh_buffer(8, PROT_READ | PROT_WRITE);
	struct iopt_pages *pages = new_pages(buf, 8 * PAGE, true, -1);
	struct itree_node pin = holder(2, 5);
	struct counters base = counters_now();

	(void)state;
	assert_non_null(pages);
	assert_int_equal(resident(buf, 8), 0);
	assert_int_equal(iopt_pages_pin(pages, &pin), 0);
	/* Exactly the pinned pages are now there. */
	assert_int_equal(resident(buf, 2), 0);
	assert_int_equal(resident(buf + 2 * PAGE, 4), 4);
	assert_int_equal(resident(buf + 6 * PAGE, 2), 0);
	assert_int_equal(pages->npinned, 4);
	assert_int_equal(pages->pin_itree.count, 1);
	assert_moved(&base,
		     pages->account_mode == IOPT_PAGES_ACCOUNT_USER ? 4 : 0, 0,
		     4);

	iopt_pages_unpin(pages, &pin);
	assert_int_equal(pages->npinned, 0);
	assert_int_equal(pages->pin_itree.count, 0);
	assert_moved(&base, 0, 0, 0);
	iopt_put_pages(pages);
	munmap(buf, 8 * PAGE);
}

static void pin_unaligned_range(void **state)
{
	char *buf = fresh_buffer(4, PROT_READ | PROT_WRITE);
	/* 100 bytes into page 1, one page long: pages 1 and 2. */
	struct iopt_pages *pages = new_pages(buf + PAGE + 100, PAGE, true,
					     IOPT_PAGES_ACCOUNT_NONE);
	struct itree_node pin = holder(0, 1);

	(void)state;
	assert_non_null(pages);
	assert_ptr_equal((void *)(uintptr_t)pages->uptr, buf + PAGE);
	assert_int_equal(pages->npages, 2);
	assert_int_equal(resident(buf, 4), 0);
	assert_int_equal(iopt_pages_pin(pages, &pin), 0);
	assert_int_equal(resident(buf, 1), 0);
	assert_int_equal(resident(buf + PAGE, 2), 2);
	assert_int_equal(resident(buf + 3 * PAGE, 1), 0);
	iopt_pages_unpin(pages, &pin);
	iopt_put_pages(pages);
	munmap(buf, 4 * PAGE);
}

static void pin_index_range_checked(void **state)
{
	char *buf = test_buffer(4 * PAGE, PROT_READ | PROT_WRITE);
	struct iopt_pages *pages =
		new_pages(buf, 4 * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	struct itree_node past = holder(0, 4);
	struct itree_node beyond = holder(4, 4);
	struct itree_node far = holder(1000, 2000);
	struct itree_node backwards = holder(3, 2);
	struct itree_node all = holder(0, 3);
	struct counters base = counters_now();

	(void)state;
	assert_non_null(pages);
	assert_int_equal(iopt_pages_pin(pages, &past), -EINVAL);
	assert_int_equal(iopt_pages_pin(pages, &beyond), -EINVAL);
	assert_int_equal(iopt_pages_pin(pages, &far), -EINVAL);
	assert_int_equal(iopt_pages_pin(pages, &backwards), -EINVAL);
	assert_int_equal(pages->npinned, 0);
	assert_int_equal(pages->pin_itree.count, 0);
	assert_moved(&base, 0, 0, 0);

	assert_int_equal(iopt_pages_pin(pages, &all), 0);
	assert_moved(&base, 4, 0, 4);
	iopt_pages_unpin(pages, &all);
	assert_moved(&base, 0, 0, 0);
	iopt_put_pages(pages);
	munmap(buf, 4 * PAGE);
}

static void pin_over_hole_is_efault(void **state)
{
	char *buf = test_buffer(4 * PAGE, PROT_READ | PROT_WRITE);
	struct iopt_pages *pages =
		new_pages(buf, 4 * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	struct itree_node all = holder(0, 3);
	struct itree_node head = holder(0, 1);
	struct itree_node across = holder(1, 3);
	struct itree_node tail = holder(3, 3);
	struct counters base = counters_now();

	(void)state;
	assert_non_null(pages);
	assert_int_equal(munmap(buf + 2 * PAGE, PAGE), 0);

	assert_int_equal(iopt_pages_pin(pages, &all), -EFAULT);
	assert_int_equal(pages->npinned, 0);
	assert_int_equal(pages->pin_itree.count, 0);
	assert_moved(&base, 0, 0, 0);

	/* Around the hole is fine... */
	assert_int_equal(iopt_pages_pin(pages, &head), 0);
	assert_int_equal(iopt_pages_pin(pages, &tail), 0);
	assert_int_equal(pages->npinned, 3);
	assert_moved(&base, 3, 0, 3);
	/*
	 * ...and a failing holder changes nothing, even where the range it
	 * asked for was already pinned by others.
	 */
	assert_int_equal(iopt_pages_pin(pages, &across), -EFAULT);
	assert_int_equal(pages->npinned, 3);
	assert_int_equal(pages->pin_itree.count, 2);
	assert_moved(&base, 3, 0, 3);

	iopt_pages_unpin(pages, &head);
	iopt_pages_unpin(pages, &tail);
	assert_int_equal(pages->npinned, 0);
	assert_moved(&base, 0, 0, 0);
	iopt_put_pages(pages);
	munmap(buf, 2 * PAGE);
	munmap(buf + 3 * PAGE, PAGE);
}

static void pin_respects_protection(void **state)
{
	char *ro = fresh_buffer(2, PROT_READ);
	char *none = test_buffer(PAGE, PROT_NONE);
	struct iopt_pages *wr =
		new_pages(ro, 2 * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	struct iopt_pages *rd =
		new_pages(ro, 2 * PAGE, false, IOPT_PAGES_ACCOUNT_USER);
	struct iopt_pages *no =
		new_pages(none, PAGE, false, IOPT_PAGES_ACCOUNT_USER);
	struct itree_node pin_wr = holder(0, 1), pin_rd = holder(0, 1);
	struct itree_node pin_no = holder(0, 0);
	struct counters base = counters_now();

	(void)state;
	assert_non_null(wr);
	assert_non_null(rd);
	assert_non_null(no);
	assert_int_equal(resident(ro, 2), 0);
	/* Writable pages need a writable mapping. */
	assert_int_equal(iopt_pages_pin(wr, &pin_wr), -EFAULT);
	assert_int_equal(wr->npinned, 0);
	assert_moved(&base, 0, 0, 0);
	/* Read-only pages do not; they are faulted in for reading. */
	assert_int_equal(iopt_pages_pin(rd, &pin_rd), 0);
	assert_int_equal(rd->npinned, 2);
	assert_int_equal(resident(ro, 2), 2);
	assert_moved(&base, 2, 0, 2);
	/* No access at all is no pin, even for reading. */
	assert_int_equal(iopt_pages_pin(no, &pin_no), -EFAULT);
	assert_moved(&base, 2, 0, 2);

	iopt_pages_unpin(rd, &pin_rd);
	assert_moved(&base, 0, 0, 0);
	iopt_put_pages(wr);
	iopt_put_pages(rd);
	iopt_put_pages(no);
	munmap(ro, 2 * PAGE);
	munmap(none, PAGE);
}

static void overlapping_holders_charge_once(void **state)
{
	char *buf = test_buffer(8 * PAGE, PROT_READ | PROT_WRITE);
	struct iopt_pages *pages =
		new_pages(buf, 8 * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	struct itree_node a = holder(0, 4), b = holder(2, 7);
	struct itree_node a2 = holder(0, 4), inner = holder(3, 3);
	struct counters base = counters_now();

	(void)state;
	assert_non_null(pages);
	assert_int_equal(iopt_pages_pin(pages, &a), 0);
	assert_int_equal(pages->npinned, 5);
	assert_moved(&base, 5, 0, 5);
	/* Only pages 5..7 are new to the second holder. */
	assert_int_equal(iopt_pages_pin(pages, &b), 0);
	assert_int_equal(pages->npinned, 8);
	assert_moved(&base, 8, 0, 8);
	/* Nothing is new to these two. */
	assert_int_equal(iopt_pages_pin(pages, &a2), 0);
	assert_int_equal(iopt_pages_pin(pages, &inner), 0);
	assert_int_equal(pages->npinned, 8);
	assert_int_equal(pages->pin_itree.count, 4);
	assert_moved(&base, 8, 0, 8);

	/* a2 still covers all of a. */
	iopt_pages_unpin(pages, &a);
	assert_int_equal(pages->npinned, 8);
	assert_moved(&base, 8, 0, 8);
	/* Pages 0..1 were a2's alone. */
	iopt_pages_unpin(pages, &a2);
	assert_int_equal(pages->npinned, 6);
	assert_moved(&base, 6, 0, 6);
	/* All of b but page 3, which inner keeps. */
	iopt_pages_unpin(pages, &b);
	assert_int_equal(pages->npinned, 1);
	assert_moved(&base, 1, 0, 1);
	iopt_pages_unpin(pages, &inner);
	assert_int_equal(pages->npinned, 0);
	assert_int_equal(pages->pin_itree.count, 0);
	assert_moved(&base, 0, 0, 0);

	/* Pinning again after everything was released charges again. */
	assert_int_equal(iopt_pages_pin(pages, &b), 0);
	assert_moved(&base, 6, 0, 6);
	iopt_pages_unpin(pages, &b);
	assert_moved(&base, 0, 0, 0);
	iopt_put_pages(pages);
	munmap(buf, 8 * PAGE);
}

static void modes_charge_their_counter(void **state)
{
	static const struct {
		int mode;
		long user, mm;
	} cases[] = {
		{ IOPT_PAGES_ACCOUNT_NONE, 0, 0 },
		{ IOPT_PAGES_ACCOUNT_USER, 3, 0 },
		{ IOPT_PAGES_ACCOUNT_MM, 0, 3 },
	};
	char *buf = test_buffer(3 * PAGE, PROT_READ | PROT_WRITE);
	size_t i;

	(void)state;
	for (i = 0; i != IOMMUFD_ARRAY_SIZE(cases); i++) {
		struct iopt_pages *pages =
			new_pages(buf, 3 * PAGE, true, cases[i].mode);
		struct itree_node pin = holder(0, 2);
		struct counters base = counters_now();

		assert_non_null(pages);
		assert_int_equal(iopt_pages_pin(pages, &pin), 0);
		/* pinned_vm counts every pin whatever the mode. */
		assert_moved(&base, cases[i].user, cases[i].mm, 3);
		iopt_pages_unpin(pages, &pin);
		assert_moved(&base, 0, 0, 0);
		iopt_put_pages(pages);
	}
	munmap(buf, 3 * PAGE);
}

/* Two pages objects over the same memory are charged separately. */
static void separate_pages_charge_separately(void **state)
{
	char *buf = test_buffer(2 * PAGE, PROT_READ | PROT_WRITE);
	struct iopt_pages *p1 =
		new_pages(buf, 2 * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	struct iopt_pages *p2 =
		new_pages(buf, 2 * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	struct itree_node a = holder(0, 1), b = holder(0, 1);
	struct counters base = counters_now();

	(void)state;
	assert_non_null(p1);
	assert_non_null(p2);
	assert_int_equal(iopt_pages_pin(p1, &a), 0);
	assert_int_equal(iopt_pages_pin(p2, &b), 0);
	assert_moved(&base, 4, 0, 4);
	iopt_pages_unpin(p1, &a);
	assert_moved(&base, 2, 0, 2);
	iopt_pages_unpin(p2, &b);
	assert_moved(&base, 0, 0, 0);
	iopt_put_pages(p1);
	iopt_put_pages(p2);
	munmap(buf, 2 * PAGE);
}

static void injected_failures_charge_nothing(void **state)
{
	char *buf = test_buffer(4 * PAGE, PROT_READ | PROT_WRITE);
	struct iopt_pages *pages =
		new_pages(buf, 4 * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	struct itree_node head = holder(0, 1), all = holder(0, 3);
	struct itree_node inner = holder(1, 1);
	struct counters base = counters_now();

	(void)state;
	assert_non_null(pages);
	assert_int_equal(iopt_pages_pin(pages, &head), 0);

	/* The pin itself fails... */
	iommufd_fail_nth_set(1);
	assert_int_equal(iopt_pages_pin(pages, &all), -EFAULT);
	assert_true(iommufd_fail_nth_clear());
	assert_int_equal(pages->npinned, 2);
	assert_int_equal(pages->pin_itree.count, 1);
	assert_moved(&base, 2, 0, 2);
	/* ...or charging the new pages does. */
	iommufd_fail_nth_set(2);
	assert_int_equal(iopt_pages_pin(pages, &all), -ENOMEM);
	assert_true(iommufd_fail_nth_clear());
	assert_int_equal(pages->npinned, 2);
	assert_int_equal(pages->pin_itree.count, 1);
	assert_moved(&base, 2, 0, 2);
	/* A holder with nothing new to charge never gets that far. */
	iommufd_fail_nth_set(2);
	assert_int_equal(iopt_pages_pin(pages, &inner), 0);
	assert_false(iommufd_fail_nth_clear());

	assert_int_equal(iopt_pages_pin(pages, &all), 0);
	assert_moved(&base, 4, 0, 4);
	iopt_pages_unpin(pages, &all);
	iopt_pages_unpin(pages, &inner);
	iopt_pages_unpin(pages, &head);
	assert_int_equal(pages->npinned, 0);
	assert_moved(&base, 0, 0, 0);
	iopt_put_pages(pages);
	munmap(buf, 4 * PAGE);
}

/* ---- accounting mode choice and RLIMIT_MEMLOCK ---------------------- */

static void alloc_mode_with_cap_ipc_lock(void **state)
{
	char *buf = test_buffer(PAGE, PROT_READ | PROT_WRITE);
	struct iopt_pages *pages;

	(void)state;
	if (!have_cap(IOMMUFD_CAP_IPC_LOCK)) {
		munmap(buf, PAGE);
		skip();
	}
	/* Whoever may mlock at will is not charged at all. */
	pages = new_pages(buf, PAGE, true, -1);
	assert_non_null(pages);
	assert_int_equal(pages->account_mode, IOPT_PAGES_ACCOUNT_NONE);
	iopt_put_pages(pages);
	munmap(buf, PAGE);
}

static int child_alloc_mode_without_cap(void)
{
	static char buf[PAGE] __attribute__((aligned(4096)));
	struct iopt_pages *pages;

	CHECK(drop_cap(IOMMUFD_CAP_IPC_LOCK));
	pages = new_pages(buf, PAGE, true, -1);
	CHECK(pages);
	CHECK(pages->account_mode == IOPT_PAGES_ACCOUNT_USER);
	iopt_put_pages(pages);
	return 0;
}

static void alloc_mode_without_cap_ipc_lock(void **state)
{
	(void)state;
	run_in_child(child_alloc_mode_without_cap);
}

/*
 * Map through the uAPI with the context in USER or MM rlimit mode and
 * return the account mode of the area's pages. The mode is set directly:
 * IOMMU_OPTION_RLIMIT_MODE would need CAP_SYS_RESOURCE (test_dispatch.c
 * covers that path).
 */
static int mapped_account_mode(struct uiommufd_ctx *ctx, bool mm_mode)
{
	static char buf[PAGE] __attribute__((aligned(4096)));
	struct iommufd_ioas *ioas;
	struct itree_node *node;
	uint32_t id;
	int mode;

	ctx->account_mode = mm_mode ? IOPT_PAGES_ACCOUNT_MM :
				      IOPT_PAGES_ACCOUNT_USER;
	if (ioas_alloc(ctx, &id) || ioas_map_fixed(ctx, id, buf, PAGE, 0x10000))
		return -1;
	ioas = iommufd_get_ioas(ctx, id);
	if (!ioas)
		return -1;
	node = itree_iter_first(&ioas->iopt.area_itree, 0x10000, 0x10000);
	mode = node ? container_of(node, struct iopt_area, node)
			       ->pages->account_mode :
		      -1;
	iommufd_put_object(&ioas->obj);
	if (object_destroy(ctx, id))
		return -1;
	return mode;
}

/*
 * The context's MM mode turns USER into MM when a map creates pages, but
 * never makes an exempt (CAP_IPC_LOCK) caller accountable.
 */
static int child_map_account_mode(void)
{
	struct uiommufd_ctx *ctx = uiommufd_open();

	CHECK(ctx);
	if (have_cap(IOMMUFD_CAP_IPC_LOCK)) {
		CHECK(mapped_account_mode(ctx, false) ==
		      IOPT_PAGES_ACCOUNT_NONE);
		CHECK(mapped_account_mode(ctx, true) ==
		      IOPT_PAGES_ACCOUNT_NONE);
		CHECK(drop_cap(IOMMUFD_CAP_IPC_LOCK));
	}
	CHECK(mapped_account_mode(ctx, false) == IOPT_PAGES_ACCOUNT_USER);
	CHECK(mapped_account_mode(ctx, true) == IOPT_PAGES_ACCOUNT_MM);
	uiommufd_close(ctx);
	return 0;
}

static void map_chooses_account_mode(void **state)
{
	(void)state;
	run_in_child(child_map_account_mode);
}

#define LIMIT 16

/*
 * Pin up to the limit in @mode, then check that one page more is refused
 * with nothing charged. Runs without CAP_IPC_LOCK.
 */
static int check_limit(char *buf, int mode)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	atomic_ulong *locked = mode == IOPT_PAGES_ACCOUNT_USER ?
				       &umem->user_locked_vm :
				       &umem->mm_locked_vm;
	struct iopt_pages *pages = new_pages(buf, 2 * LIMIT * PAGE, true, mode);
	struct counters base = counters_now();
	unsigned long room;
	struct itree_node fill, more, inside, whole;
	int user = mode == IOPT_PAGES_ACCOUNT_USER;
	int mm = mode == IOPT_PAGES_ACCOUNT_MM;

	CHECK(pages);
	/* The counter is the process's: what others hold counts too. */
	room = LIMIT - IOMMUFD_MIN(atomic_load(locked), LIMIT);
	CHECK(room >= 3);

	whole = holder(0, 2 * LIMIT - 1);
	CHECK(iopt_pages_pin(pages, &whole) == -ENOMEM);
	CHECK(pages->npinned == 0 && pages->pin_itree.count == 0);
	CHECK(counters_moved(&base, 0, 0, 0));

	fill = holder(0, room - 1);
	CHECK(iopt_pages_pin(pages, &fill) == 0);
	CHECK(atomic_load(locked) == LIMIT);
	CHECK(counters_moved(&base, user * room, mm * room, room));

	/* One page past the limit, overlapping pinned pages. */
	more = holder(room - 2, room);
	CHECK(iopt_pages_pin(pages, &more) == -ENOMEM);
	CHECK(pages->npinned == room && pages->pin_itree.count == 1);
	CHECK(counters_moved(&base, user * room, mm * room, room));
	/* At the limit, a holder of already pinned pages costs nothing. */
	inside = holder(1, room - 1);
	CHECK(iopt_pages_pin(pages, &inside) == 0);
	CHECK(counters_moved(&base, user * room, mm * room, room));

	/* Page 0 was fill's alone. */
	iopt_pages_unpin(pages, &fill);
	CHECK(pages->npinned == room - 1);
	CHECK(counters_moved(&base, user * (room - 1), mm * (room - 1),
			     room - 1));
	iopt_pages_unpin(pages, &inside);
	CHECK(counters_moved(&base, 0, 0, 0));
	/* What was released may be pinned again. */
	CHECK(iopt_pages_pin(pages, &fill) == 0);
	iopt_pages_unpin(pages, &fill);
	CHECK(pages->npinned == 0);
	CHECK(counters_moved(&base, 0, 0, 0));
	iopt_put_pages(pages);
	return 0;
}

static char *limit_buffer(void)
{
	void *p = mmap(NULL, 2 * LIMIT * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int child_limit_without_cap(void)
{
	char *buf = limit_buffer();
	struct iopt_pages *pages;

	CHECK(buf);
	CHECK(drop_cap(IOMMUFD_CAP_IPC_LOCK));
	CHECK(set_memlock_pages(LIMIT));
	CHECK(iommufd_umem_self()->ops->memlock_limit(iommufd_umem_self()) ==
	      LIMIT * PAGE);
	/* Unprivileged pages are charged to the user... */
	pages = new_pages(buf, PAGE, true, -1);
	CHECK(pages && pages->account_mode == IOPT_PAGES_ACCOUNT_USER);
	iopt_put_pages(pages);
	CHECK(check_limit(buf, IOPT_PAGES_ACCOUNT_USER) == 0);
	/* ...or to the process, under the same limit. */
	CHECK(check_limit(buf, IOPT_PAGES_ACCOUNT_MM) == 0);
	return 0;
}

static void rlimit_memlock_enforced(void **state)
{
	(void)state;
	run_in_child(child_limit_without_cap);
}

/* The two counters are separate: each has the whole limit to itself. */
static int child_limits_are_per_counter(void)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	char *buf = limit_buffer();
	struct iopt_pages *user, *mm;
	struct itree_node a, b;
	unsigned long room_user, room_mm;
	struct counters base;

	CHECK(buf);
	CHECK(drop_cap(IOMMUFD_CAP_IPC_LOCK));
	CHECK(set_memlock_pages(LIMIT));
	base = counters_now();
	CHECK(base.user_locked < LIMIT && base.mm_locked < LIMIT);
	room_user = LIMIT - base.user_locked;
	room_mm = LIMIT - base.mm_locked;
	user = new_pages(buf, LIMIT * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	mm = new_pages(buf, LIMIT * PAGE, true, IOPT_PAGES_ACCOUNT_MM);
	CHECK(user && mm);
	a = holder(0, room_user - 1);
	b = holder(0, room_mm - 1);
	CHECK(iopt_pages_pin(user, &a) == 0);
	CHECK(iopt_pages_pin(mm, &b) == 0);
	CHECK(atomic_load(&umem->user_locked_vm) == LIMIT);
	CHECK(atomic_load(&umem->mm_locked_vm) == LIMIT);
	CHECK(counters_moved(&base, room_user, room_mm, room_user + room_mm));
	iopt_pages_unpin(user, &a);
	iopt_pages_unpin(mm, &b);
	CHECK(counters_moved(&base, 0, 0, 0));
	iopt_put_pages(user);
	iopt_put_pages(mm);
	return 0;
}

static void rlimit_counters_are_separate(void **state)
{
	(void)state;
	run_in_child(child_limits_are_per_counter);
}

static int child_limit_with_cap(void)
{
	char *buf = limit_buffer();
	struct iopt_pages *pages;
	struct itree_node pin = holder(0, 2 * LIMIT - 1);
	struct counters base;

	if (!have_cap(IOMMUFD_CAP_IPC_LOCK))
		return CHILD_SKIP;
	CHECK(buf);
	CHECK(set_memlock_pages(LIMIT));
	base = counters_now();

	/* Exempt pages: only pinned_vm moves, the limit does not apply. */
	pages = new_pages(buf, 2 * LIMIT * PAGE, true, -1);
	CHECK(pages && pages->account_mode == IOPT_PAGES_ACCOUNT_NONE);
	CHECK(iopt_pages_pin(pages, &pin) == 0);
	CHECK(counters_moved(&base, 0, 0, 2 * LIMIT));
	iopt_pages_unpin(pages, &pin);
	iopt_put_pages(pages);

	/* MM mode charges the process but lets CAP_IPC_LOCK past the limit. */
	pages = new_pages(buf, 2 * LIMIT * PAGE, true, IOPT_PAGES_ACCOUNT_MM);
	CHECK(pages);
	CHECK(iopt_pages_pin(pages, &pin) == 0);
	CHECK(counters_moved(&base, 0, 2 * LIMIT, 2 * LIMIT));
	iopt_pages_unpin(pages, &pin);
	CHECK(counters_moved(&base, 0, 0, 0));
	iopt_put_pages(pages);

	/*
	 * USER mode asks no capability when pinning, as the kernel's
	 * incr_user_locked_vm(): pages made accountable stay limited.
	 */
	pages = new_pages(buf, 2 * LIMIT * PAGE, true, IOPT_PAGES_ACCOUNT_USER);
	CHECK(pages);
	CHECK(iopt_pages_pin(pages, &pin) == -ENOMEM);
	CHECK(counters_moved(&base, 0, 0, 0));
	iopt_put_pages(pages);
	return 0;
}

/* ---- documented differences from the kernel ------------------------ */

/*
 * README: pinned pages do not outlive munmap. The kernel would keep them;
 * here the pin is bookkeeping over memory the process still owns.
 */
static void pinned_pages_do_not_outlive_munmap(void **state)
{
	char *buf = fresh_buffer(4, PROT_READ | PROT_WRITE);
	struct itree_node pin = holder(0, 3);
	struct iopt_pages *pages = new_pages(buf, 4 * PAGE, true, -1);
	uint8_t byte;

	(void)state;
	assert_non_null(pages);
	assert_int_equal(iopt_pages_pin(pages, &pin), 0);
	assert_int_equal(pages->npinned, 4);
	assert_int_equal(munmap(buf, 4 * PAGE), 0);
	/* Still counted as pinned, but the memory is gone. */
	assert_int_equal(pages->npinned, 4);
	assert_int_equal(iommufd_copy_from_user(iommufd_umem_self(), &byte,
						(uintptr_t)buf, 1),
			 -EFAULT);
	iopt_pages_unpin(pages, &pin);
	iopt_put_pages(pages);
}

/*
 * README: accounting is per process. The kernel adds mlock()ed memory to
 * mm->locked_vm, so with one page locked a pin of the whole limit would
 * fail there; here only pins are counted and it succeeds.
 */
static int child_mlock_is_not_counted(void)
{
	char *buf = limit_buffer();
	struct itree_node pin = holder(0, LIMIT - 1);
	struct iopt_pages *pages;
	int rc;

	CHECK(buf);
	CHECK(drop_cap(IOMMUFD_CAP_IPC_LOCK));
	CHECK(set_memlock_pages(LIMIT));
	CHECK(mlock(buf + LIMIT * PAGE, PAGE) == 0);
	pages = new_pages(buf, LIMIT * PAGE, true, IOPT_PAGES_ACCOUNT_MM);
	CHECK(pages);
	rc = iopt_pages_pin(pages, &pin);
	CHECK(rc == 0);
	iopt_pages_unpin(pages, &pin);
	iopt_put_pages(pages);
	return 0;
}

static void accounting_is_per_process(void **state)
{
	(void)state;
	run_in_child(child_mlock_is_not_counted);
}

static void cap_ipc_lock_bypasses_limit(void **state)
{
	(void)state;
	run_in_child(child_limit_with_cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alloc_argument_errors),
		cmocka_unit_test(alloc_rounds_to_pages),
		cmocka_unit_test(refcount_keeps_pages),
		cmocka_unit_test(pin_faults_pages_in),
		cmocka_unit_test(pin_unaligned_range),
		cmocka_unit_test(pin_index_range_checked),
		cmocka_unit_test(pin_over_hole_is_efault),
		cmocka_unit_test(pin_respects_protection),
		cmocka_unit_test(overlapping_holders_charge_once),
		cmocka_unit_test(modes_charge_their_counter),
		cmocka_unit_test(separate_pages_charge_separately),
		cmocka_unit_test(injected_failures_charge_nothing),
		cmocka_unit_test(alloc_mode_with_cap_ipc_lock),
		cmocka_unit_test(alloc_mode_without_cap_ipc_lock),
		cmocka_unit_test(map_chooses_account_mode),
		cmocka_unit_test(pinned_pages_do_not_outlive_munmap),
		cmocka_unit_test(accounting_is_per_process),
		cmocka_unit_test(rlimit_memlock_enforced),
		cmocka_unit_test(rlimit_counters_are_separate),
		cmocka_unit_test(cap_ipc_lock_bypasses_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
