// SPDX-License-Identifier: BSD-3-Clause
/*
 * Threads racing on one context through uiommufd_ioctl(), as threads of a
 * process share one /dev/iommu file.
 *
 * Every result must be one the race makes legitimate: an IOAS destroyed
 * under a thread gives ENOENT, an area still being built EBUSY, and so on.
 * Each thread also keeps an IOVA window of the shared IOAS "A" to itself,
 * where every result is fully determined, and remembers what it mapped
 * there; after the join the IOAS must hold exactly that.
 *
 * cmocka's asserts must stay on the main thread (they longjmp), so the
 * workers count failures and the main thread asserts on the count.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "test_util.h"

#include "io_pagetable.h"

/* Sanitizers slow every ioctl down by an order of magnitude. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define ITERS 8000
#else
#define ITERS 20000
#endif

#define NTHREADS 6
#define BUF_PAGES 64
#define MAX_MAP_PAGES 16

/* Own windows on A: FIXED maps only, by their owner only. */
#define NSLOTS 16
#define SLOT_SIZE (64 * PAGE)
#define OWN_WINDOW(t) ((uint64_t)((t) + 1) << 36)
#define WINDOW_SIZE ((uint64_t)NSLOTS * SLOT_SIZE)
/* Automatic IOVA on A stays below this (ALLOW_IOVAS), away from windows. */
#define AUTO_LIMIT (1ULL << 32)
#define NAUTO 32
/* A free-for-all region on B. */
#define SHARED_WINDOW (1ULL << 40)
#define SHARED_SLOTS 64
#define SHARED_SLOT (4 * PAGE)
/* Slots holding the IDs of IOAS that come and go. */
#define NCHURN 4

struct shared {
	struct uiommufd_ctx *ctx;
	uint32_t a, b;
	_Atomic uint32_t churn[NCHURN];
	/* Successful allocations and destroys of churn IOAS. */
	atomic_ulong allocs;
	atomic_ulong destroys;
	atomic_uint max_id;
	char *buf;
	unsigned long iters;
	pthread_barrier_t *start;
};

struct worker {
	struct shared *sh;
	pthread_t thread;
	unsigned int idx;
	uint64_t rng;
	/* What this thread believes its window on A holds. */
	uint64_t slot_len[NSLOTS];
	/* Its automatic-IOVA areas on A. */
	struct {
		uint64_t iova, len;
	} autos[NAUTO];
	unsigned int nautos;
	unsigned long failures;
	char first_failure[256];
	/* How often the races of interest happened; informational. */
	unsigned long destroy_busy, use_gone, unmap_busy;
};

static void worker_fail(struct worker *w, int line, const char *what, int rc)
{
	if (!w->failures++)
		snprintf(w->first_failure, sizeof(w->first_failure),
			 "thread %u, line %d: %s (rc %d)", w->idx, line, what,
			 rc);
	if (w->failures <= 5)
		fprintf(stderr, "thread %u, line %d: %s (rc %d)\n", w->idx,
			line, what, rc);
}

/* @rc must be one of the -1 terminated @ok. */
static void expect_rc(struct worker *w, int line, const char *what, int rc,
		      const int *ok)
{
	for (; *ok != -1; ok++)
		if (rc == *ok)
			return;
	worker_fail(w, line, what, rc);
}

#define EXPECT_RC(w, rc, ...) \
	expect_rc(w, __LINE__, #rc, rc, (const int[]){ __VA_ARGS__, -1 })
#define EXPECT(w, cond)                                     \
	do {                                                \
		if (!(cond))                                \
			worker_fail(w, __LINE__, #cond, 0); \
	} while (0)

static uint64_t rnd(struct worker *w, uint64_t n)
{
	/* xorshift64*: cheap, and reproducible per thread. */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return ((w->rng * 0x2545f4914f6cdd1dULL) >> 11) % n;
}

static uint64_t rnd_pages(struct worker *w)
{
	return (1 + rnd(w, MAX_MAP_PAGES)) * PAGE;
}

/* Some user memory of @len bytes inside the shared buffer. */
static const char *user_va(struct worker *w, uint64_t len)
{
	uint64_t pages = (len + PAGE - 1) / PAGE;

	return w->sh->buf + rnd(w, BUF_PAGES - pages + 1) * PAGE;
}

static void note_id(struct shared *sh, uint32_t id)
{
	unsigned int cur = atomic_load(&sh->max_id);

	while (cur < id && !atomic_compare_exchange_weak(&sh->max_id, &cur, id))
		;
}

/* ---- queries: results that no race may change ---------------------- */

static int query_ranges(struct worker *w, uint32_t id)
{
	struct iommu_iova_range r[2] = {};
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
		.num_iovas = 2,
		.allowed_iovas = (uintptr_t)r,
	};
	int rc = do_ioctl(w->sh->ctx, IOMMU_IOAS_IOVA_RANGES, &cmd);

	/* Nothing is ever reserved and huge pages stay on. */
	if (!rc)
		EXPECT(w, cmd.num_iovas == 1 && r[0].start == 0 &&
				  r[0].last == UINT64_MAX &&
				  cmd.out_iova_alignment == 1);
	return rc;
}

static int query_huge_pages(struct worker *w, uint32_t id)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = id,
		.val64 = 55,
	};
	int rc = do_ioctl(w->sh->ctx, IOMMU_OPTION, &cmd);

	if (!rc)
		EXPECT(w, cmd.val64 == 1);
	return rc;
}

static int allow_iovas(struct uiommufd_ctx *ctx, uint32_t id,
		       const struct iommu_iova_range *r, uint32_t num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)r,
	};

	return do_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/* Two spellings of the same allowed IOVA of A. */
static const struct iommu_iova_range a_allowed[2][2] = {
	{ { .start = PAGE, .last = AUTO_LIMIT - 1 } },
	{ { .start = PAGE, .last = AUTO_LIMIT / 2 - 1 },
	  { .start = AUTO_LIMIT / 2, .last = AUTO_LIMIT - 1 } },
};

static const struct iommu_iova_range churn_allowed[2] = {
	{ .start = PAGE, .last = 32 * PAGE - 1 },
	{ .start = 0x100000, .last = 0x1fffff },
};

static void op_query(struct worker *w)
{
	struct shared *sh = w->sh;
	uint32_t id = rnd(w, 2) ? sh->a : sh->b;

	switch (rnd(w, 3)) {
	case 0:
		EXPECT_RC(w, query_ranges(w, id), 0);
		break;
	case 1:
		EXPECT_RC(w, query_huge_pages(w, id), 0);
		break;
	default: {
		unsigned int set = rnd(w, 2);

		EXPECT_RC(w,
			  allow_iovas(sh->ctx, sh->a, a_allowed[set], set + 1),
			  0);
		break;
	}
	}
}

/* ---- A: the thread's own window, where results are determined ------- */

static uint64_t slot_iova(struct worker *w, unsigned int slot)
{
	return OWN_WINDOW(w->idx) + slot * SLOT_SIZE;
}

static void op_own_map(struct worker *w)
{
	unsigned int slot = rnd(w, NSLOTS);
	uint64_t len = rnd_pages(w);
	int rc = ioas_map_fixed(w->sh->ctx, w->sh->a, user_va(w, len), len,
				slot_iova(w, slot));

	if (w->slot_len[slot]) {
		EXPECT_RC(w, rc, EEXIST);
	} else {
		EXPECT_RC(w, rc, 0);
		if (!rc)
			w->slot_len[slot] = len;
	}
}

static void op_own_unmap(struct worker *w)
{
	unsigned int slot = rnd(w, NSLOTS);
	uint64_t unmapped;
	int rc = ioas_unmap(w->sh->ctx, w->sh->a, slot_iova(w, slot), SLOT_SIZE,
			    &unmapped);

	if (w->slot_len[slot]) {
		EXPECT_RC(w, rc, 0);
		EXPECT(w, unmapped == w->slot_len[slot]);
		w->slot_len[slot] = 0;
	} else {
		EXPECT_RC(w, rc, ENOENT);
	}
}

/* IOAS_COPY inside A, from one slot of the window to another. */
static void op_own_copy(struct worker *w)
{
	unsigned int from = rnd(w, NSLOTS), to = rnd(w, NSLOTS);
	uint64_t len = w->slot_len[from] ? w->slot_len[from] : PAGE;
	uint64_t iova = slot_iova(w, to);
	int rc = ioas_copy(w->sh->ctx, w->sh->a, w->sh->a, slot_iova(w, from),
			   len, &iova, MAP_FIXED_RW);

	if (!w->slot_len[from]) {
		EXPECT_RC(w, rc, ENOENT);
	} else if (w->slot_len[to]) {
		EXPECT_RC(w, rc, EEXIST);
	} else {
		EXPECT_RC(w, rc, 0);
		if (!rc)
			w->slot_len[to] = len;
	}
}

/* ---- A: automatic IOVA, shared with the other threads --------------- */

static void auto_check(struct worker *w, uint64_t iova, uint64_t len)
{
	EXPECT(w, iova >= PAGE && iova < AUTO_LIMIT && len <= AUTO_LIMIT &&
			  iova <= AUTO_LIMIT - len);
}

static void auto_forget(struct worker *w, unsigned int i)
{
	uint64_t unmapped;

	EXPECT_RC(w,
		  ioas_unmap(w->sh->ctx, w->sh->a, w->autos[i].iova,
			     w->autos[i].len, &unmapped),
		  0);
	EXPECT(w, unmapped == w->autos[i].len);
	w->autos[i] = w->autos[--w->nautos];
}

static void auto_remember(struct worker *w, uint64_t iova, uint64_t len)
{
	auto_check(w, iova, len);
	if (w->nautos == NAUTO)
		auto_forget(w, rnd(w, NAUTO));
	w->autos[w->nautos].iova = iova;
	w->autos[w->nautos].len = len;
	w->nautos++;
}

static void op_auto_map(struct worker *w)
{
	/*
	 * Sometimes not page aligned: like the kernel, the allocator ORs the
	 * user address's offset into the IOVA it picks.
	 */
	uint64_t len = rnd(w, 4) ? rnd_pages(w) : 1 + rnd(w, 3 * PAGE);
	const char *va = user_va(w, len + PAGE) + rnd(w, 2) * rnd(w, PAGE);
	uint64_t iova = 0;
	int rc = ioas_map(w->sh->ctx, w->sh->a, va, len, &iova, MAP_RW);

	EXPECT_RC(w, rc, 0);
	if (rc)
		return;
	EXPECT(w, (iova & ((uintptr_t)va % PAGE)) == (uintptr_t)va % PAGE);
	auto_remember(w, iova, len);
}

static void op_auto_unmap(struct worker *w)
{
	if (w->nautos)
		auto_forget(w, rnd(w, w->nautos));
}

/* ---- B: a free-for-all --------------------------------------------- */

static void op_shared_b(struct worker *w)
{
	struct shared *sh = w->sh;
	uint64_t iova = SHARED_WINDOW + rnd(w, SHARED_SLOTS) * SHARED_SLOT;
	uint64_t len = rnd_pages(w) / 2 + PAGE;
	uint64_t unmapped;
	int rc;

	switch (rnd(w, 4)) {
	case 0:
		/* Neighbours overlap: whoever comes second gets EEXIST. */
		EXPECT_RC(w,
			  ioas_map_fixed(sh->ctx, sh->b, user_va(w, len), len,
					 iova),
			  0, EEXIST);
		break;
	case 1:
		rc = ioas_unmap(sh->ctx, sh->b, iova, 2 * len, &unmapped);
		/* EBUSY: another thread's area in the range is half built. */
		EXPECT_RC(w, rc, 0, ENOENT, EBUSY);
		if (!rc)
			EXPECT(w, unmapped && unmapped <= 2 * len);
		w->unmap_busy += rc == EBUSY;
		break;
	case 2:
		iova = 0;
		EXPECT_RC(w,
			  ioas_map(sh->ctx, sh->b, user_va(w, len), len, &iova,
				   MAP_RW),
			  0);
		EXPECT(w, iova >= PAGE && iova < SHARED_WINDOW);
		break;
	default:
		rc = ioas_unmap(sh->ctx, sh->b, rnd(w, 256) * PAGE, 8 * PAGE,
				NULL);
		EXPECT_RC(w, rc, 0, ENOENT, EBUSY);
		w->unmap_busy += rc == EBUSY;
		break;
	}
}

/* IOAS_COPY between A and B, both ways. */
static void op_copy_between(struct worker *w)
{
	struct shared *sh = w->sh;
	uint64_t iova = 0;
	int rc;

	if (rnd(w, 2)) {
		/* Out of the own window: the source cannot change under us. */
		unsigned int slot = rnd(w, NSLOTS);
		uint64_t len = w->slot_len[slot] ? w->slot_len[slot] : PAGE;

		rc = ioas_copy(sh->ctx, sh->b, sh->a, slot_iova(w, slot), len,
			       &iova, MAP_RW);
		EXPECT_RC(w, rc, w->slot_len[slot] ? 0 : ENOENT);
	} else {
		uint64_t src =
			SHARED_WINDOW + rnd(w, SHARED_SLOTS) * SHARED_SLOT;
		uint64_t len = (1 + rnd(w, 4)) * PAGE;

		/* The source may be partly there or being torn down. */
		rc = ioas_copy(sh->ctx, sh->a, sh->b, src, len, &iova, MAP_RW);
		EXPECT_RC(w, rc, 0, ENOENT);
		if (!rc)
			auto_remember(w, iova, len);
	}
}

/* ---- IOAS that come and go ------------------------------------------ */

/* Destroy @id; if it is busy, put it back in @slot for later. */
static void churn_destroy(struct worker *w, unsigned int slot, uint32_t id)
{
	struct shared *sh = w->sh;
	uint32_t empty = 0;
	int rc = object_destroy(sh->ctx, id);

	/* ENOENT: a stale ID another thread destroyed already. */
	EXPECT_RC(w, rc, 0, EBUSY, ENOENT);
	if (!rc)
		atomic_fetch_add(&sh->destroys, 1);
	if (rc == EBUSY) {
		w->destroy_busy++;
		atomic_compare_exchange_strong(&sh->churn[slot], &empty, id);
	}
}

static void op_churn_alloc(struct worker *w)
{
	struct shared *sh = w->sh;
	unsigned int slot = rnd(w, NCHURN);
	uint32_t id, old;
	int rc = ioas_alloc(sh->ctx, &id);

	EXPECT_RC(w, rc, 0);
	if (rc)
		return;
	atomic_fetch_add(&sh->allocs, 1);
	note_id(sh, id);
	/* A and B are never destroyed, so their IDs are never reused. */
	EXPECT(w, id != sh->a && id != sh->b);
	old = atomic_exchange(&sh->churn[slot], id);
	if (old)
		churn_destroy(w, slot, old);
}

static void op_churn_destroy(struct worker *w)
{
	struct shared *sh = w->sh;
	unsigned int slot = rnd(w, NCHURN);
	uint32_t id;

	if (rnd(w, 2)) {
		id = atomic_exchange(&sh->churn[slot], 0);
		if (id)
			churn_destroy(w, slot, id);
		return;
	}
	/* Destroy one that stays in its slot, likely in use by others. */
	id = atomic_load(&sh->churn[slot]);
	if (id) {
		int rc = object_destroy(sh->ctx, id);

		EXPECT_RC(w, rc, 0, EBUSY, ENOENT);
		if (!rc)
			atomic_fetch_add(&sh->destroys, 1);
		w->destroy_busy += rc == EBUSY;
	}
}

/* Any ioctl on an IOAS that may be destroyed meanwhile (ENOENT). */
static void op_churn_use(struct worker *w)
{
	struct shared *sh = w->sh;
	uint32_t id = atomic_load(&sh->churn[rnd(w, NCHURN)]);
	uint32_t other = atomic_load(&sh->churn[rnd(w, NCHURN)]);
	uint64_t len = rnd_pages(w);
	uint64_t iova = 0, unmapped;
	int rc;

	if (!id)
		return;
	switch (rnd(w, 9)) {
	case 0:
		/* ENOSPC: its allowed IOVA may be small and full. */
		rc = ioas_map(sh->ctx, id, user_va(w, len), len, &iova, MAP_RW);
		EXPECT_RC(w, rc, 0, ENOENT, ENOSPC);
		break;
	case 1:
		rc = ioas_map_fixed(sh->ctx, id, user_va(w, len), len,
				    rnd(w, 64) * PAGE);
		EXPECT_RC(w, rc, 0, ENOENT, EEXIST);
		break;
	case 2:
		rc = ioas_unmap(sh->ctx, id, rnd(w, 64) * PAGE, len, &unmapped);
		EXPECT_RC(w, rc, 0, ENOENT, EBUSY);
		break;
	case 3:
		rc = ioas_unmap(sh->ctx, id, 0, UINT64_MAX, &unmapped);
		EXPECT_RC(w, rc, 0, ENOENT, EBUSY);
		break;
	case 4:
		rc = query_ranges(w, id);
		EXPECT_RC(w, rc, 0, ENOENT);
		/* Here ENOENT can only mean the IOAS is gone. */
		w->use_gone += rc == ENOENT;
		break;
	case 5:
		rc = query_huge_pages(w, id);
		EXPECT_RC(w, rc, 0, ENOENT);
		w->use_gone += rc == ENOENT;
		break;
	case 6:
		/* None (all allowed), a small range, or two. */
		rc = allow_iovas(sh->ctx, id, churn_allowed, rnd(w, 3));
		EXPECT_RC(w, rc, 0, ENOENT);
		w->use_gone += rc == ENOENT;
		break;
	case 7: {
		unsigned int slot = rnd(w, NSLOTS);

		/* From the own window into it: ENOENT only for the dst. */
		if (!w->slot_len[slot])
			return;
		rc = ioas_copy(sh->ctx, id, sh->a, slot_iova(w, slot),
			       w->slot_len[slot], &iova, MAP_RW);
		EXPECT_RC(w, rc, 0, ENOENT, ENOSPC);
		break;
	}
	default:
		if (!other)
			return;
		rc = ioas_copy(sh->ctx, other, id, rnd(w, 64) * PAGE, PAGE,
			       &iova, MAP_RW);
		EXPECT_RC(w, rc, 0, ENOENT, ENOSPC);
		break;
	}
}

static void *shared_worker(void *arg)
{
	static void (*const ops[])(struct worker *) = {
		op_query,     op_own_map,      op_own_map,     op_own_unmap,
		op_own_copy,  op_auto_map,     op_auto_unmap,  op_shared_b,
		op_shared_b,  op_copy_between, op_churn_alloc, op_churn_destroy,
		op_churn_use, op_churn_use,    op_churn_use,
	};
	struct worker *w = arg;
	unsigned long i;

	pthread_barrier_wait(w->sh->start);
	for (i = 0; i != w->sh->iters; i++)
		ops[rnd(w, IOMMUFD_ARRAY_SIZE(ops))](w);
	return NULL;
}

/* ---- checks after the join ------------------------------------------ */

static void start_workers(struct shared *sh, struct worker *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i != n; i++) {
		w[i] = (struct worker){
			.sh = sh,
			.idx = i,
			.rng = 0x9e3779b97f4a7c15ULL * (i + 1),
		};
		assert_int_equal(pthread_create(&w[i].thread, NULL,
						shared_worker, &w[i]),
				 0);
	}
}

static void join_workers(struct worker *w, unsigned int n)
{
	unsigned long failures = 0;
	unsigned int i;

	for (i = 0; i != n; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		if (w[i].failures)
			print_error("%lu failures, first: %s\n", w[i].failures,
				    w[i].first_failure);
		failures += w[i].failures;
	}
	assert_int_equal(failures, 0);
}

/*
 * A holds exactly what the threads remember: each remembered area unmaps
 * with exactly its length, and then nothing is left.
 */
static void check_bookkeeping(struct shared *sh, struct worker *w,
			      unsigned int n)
{
	uint64_t unmapped;
	unsigned int i, s;

	for (i = 0; i != n; i++) {
		for (s = 0; s != NSLOTS; s++) {
			if (!w[i].slot_len[s])
				continue;
			assert_int_equal(ioas_unmap(sh->ctx, sh->a,
						    slot_iova(&w[i], s),
						    SLOT_SIZE, &unmapped),
					 0);
			assert_int_equal(unmapped, w[i].slot_len[s]);
		}
		assert_int_equal(ioas_unmap(sh->ctx, sh->a, OWN_WINDOW(i),
					    WINDOW_SIZE, NULL),
				 ENOENT);
		for (s = 0; s != w[i].nautos; s++) {
			assert_int_equal(
				ioas_unmap(sh->ctx, sh->a, w[i].autos[s].iova,
					   w[i].autos[s].len, &unmapped),
				0);
			assert_int_equal(unmapped, w[i].autos[s].len);
		}
	}
	assert_int_equal(ioas_unmap(sh->ctx, sh->a, 0, UINT64_MAX, &unmapped),
			 0);
	assert_int_equal(unmapped, 0);
}

/*
 * Every ID ever handed out is either alive or gone, and the live ones are
 * exactly A, B and the churn IOAS allocated and not destroyed. Each of
 * them unmaps all, and a second unmap-all finds nothing.
 */
static void check_live_ioas(struct shared *sh)
{
	unsigned long alive = 0;
	uint32_t id;

	note_id(sh, sh->b);
	for (id = 1; id <= atomic_load(&sh->max_id); id++) {
		struct iommu_ioas_iova_ranges cmd = {
			.size = sizeof(cmd),
			.ioas_id = id,
		};
		uint64_t unmapped;
		int rc = do_ioctl(sh->ctx, IOMMU_IOAS_IOVA_RANGES, &cmd);

		if (rc == ENOENT) {
			assert_int_equal(ioas_unmap(sh->ctx, id, 0, UINT64_MAX,
						    NULL),
					 ENOENT);
			continue;
		}
		/* No array for the one range: EMSGSIZE means alive. */
		assert_int_equal(rc, EMSGSIZE);
		alive++;
		assert_int_equal(
			ioas_unmap(sh->ctx, id, 0, UINT64_MAX, &unmapped), 0);
		assert_int_equal(
			ioas_unmap(sh->ctx, id, 0, UINT64_MAX, &unmapped), 0);
		assert_int_equal(unmapped, 0);
	}
	assert_int_equal(alive, 2 + atomic_load(&sh->allocs) -
					atomic_load(&sh->destroys));
}

static void shared_setup(struct shared *sh, unsigned long iters,
			 pthread_barrier_t *start)
{
	*sh = (struct shared){ .iters = iters, .start = start };
	sh->ctx = uiommufd_open();
	assert_non_null(sh->ctx);
	assert_int_equal(ioas_alloc(sh->ctx, &sh->a), 0);
	assert_int_equal(ioas_alloc(sh->ctx, &sh->b), 0);
	assert_int_equal(allow_iovas(sh->ctx, sh->a, a_allowed[0], 1), 0);
	sh->buf = test_buffer(BUF_PAGES * PAGE, PROT_READ | PROT_WRITE);
}

static void shared_check_and_close(struct shared *sh, struct worker *w,
				   unsigned int n)
{
	unsigned long busy = 0, gone = 0, unmap_busy = 0;
	unsigned int i;

	for (i = 0; i != n; i++) {
		busy += w[i].destroy_busy;
		gone += w[i].use_gone;
		unmap_busy += w[i].unmap_busy;
	}
	print_message("races seen: destroy EBUSY %lu, use of gone IOAS %lu, "
		      "unmap EBUSY %lu; IOAS allocated %lu, destroyed %lu\n",
		      busy, gone, unmap_busy, atomic_load(&sh->allocs),
		      atomic_load(&sh->destroys));
	/* The churn did happen. */
	assert_true(atomic_load(&sh->allocs) > 0);
	assert_true(atomic_load(&sh->destroys) > 0);

	check_bookkeeping(sh, w, n);
	check_live_ioas(sh);
	/* LeakSanitizer checks that close frees what is left. */
	uiommufd_close(sh->ctx);
	munmap(sh->buf, BUF_PAGES * PAGE);
}

static void races_on_one_context(void **state)
{
	struct worker w[NTHREADS];
	pthread_barrier_t start;
	struct shared sh;

	(void)state;
	shared_setup(&sh, ITERS, &start);
	assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	start_workers(&sh, w, NTHREADS);
	join_workers(w, NTHREADS);
	pthread_barrier_destroy(&start);
	shared_check_and_close(&sh, w, NTHREADS);
}

/* ---- contexts opened and closed while others work ------------------- */

struct private_worker {
	pthread_t thread;
	pthread_barrier_t *start;
	unsigned long iters;
	char *buf;
	struct worker w; /* for the failure reporting only */
};

/*
 * A context of its own: every result is determined, whatever the other
 * threads do to theirs.
 */
static void private_round(struct worker *w, char *buf, unsigned long i)
{
	struct uiommufd_ctx *ctx = uiommufd_open();
	uint64_t len = (1 + i % 4) * PAGE;
	uint64_t iova = 0, dst = 0, unmapped;
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
	};
	uint32_t a, b;

	EXPECT(w, ctx);
	if (!ctx)
		return;
	EXPECT_RC(w, ioas_alloc(ctx, &a), 0);
	EXPECT_RC(w, ioas_alloc(ctx, &b), 0);
	/* The lowest free IDs, as in a fresh file. */
	EXPECT(w, a == 1 && b == 2);
	opt.object_id = a;
	EXPECT_RC(w, ioas_map_fixed(ctx, a, buf, len, 0x100000), 0);
	EXPECT_RC(w, ioas_map_fixed(ctx, a, buf, len, 0x100000), EEXIST);
	EXPECT_RC(w, ioas_map(ctx, a, buf, PAGE, &iova, MAP_RW), 0);
	EXPECT(w, iova == PAGE);
	EXPECT_RC(w, ioas_copy(ctx, b, a, 0x100000, len, &dst, MAP_RW), 0);
	EXPECT_RC(w, ioas_unmap(ctx, b, dst, len, &unmapped), 0);
	EXPECT(w, unmapped == len);
	EXPECT_RC(w, ioas_copy(ctx, b, a, 0x100000, len, &dst, MAP_RW), 0);
	if (i % 3 == 0) {
		/* All areas are page aligned: huge pages may go. */
		EXPECT_RC(w, do_ioctl(ctx, IOMMU_OPTION, &opt), 0);
		opt.op = IOMMU_OPTION_OP_GET;
		opt.val64 = 55;
		EXPECT_RC(w, do_ioctl(ctx, IOMMU_OPTION, &opt), 0);
		EXPECT(w, opt.val64 == 0);
	}
	if (i & 1) {
		EXPECT_RC(w, object_destroy(ctx, a), 0);
		EXPECT_RC(w, ioas_alloc(ctx, &a), 0);
		EXPECT(w, a == 1);
	}
	if (i % 4 < 2) {
		/* A fresh IOAS in the old one's ID has nothing mapped. */
		EXPECT_RC(w, ioas_unmap(ctx, a, 0, UINT64_MAX, &unmapped), 0);
		EXPECT(w, unmapped == (i & 1 ? 0 : len + PAGE));
	}
	/* Whatever is left, close destroys. */
	uiommufd_close(ctx);
}

static void *private_worker(void *arg)
{
	struct private_worker *p = arg;
	unsigned long i;

	pthread_barrier_wait(p->start);
	for (i = 0; i != p->iters; i++)
		private_round(&p->w, p->buf, i);
	return NULL;
}

#define NPRIVATE 4
#define NSHARED 2

static void contexts_come_and_go(void **state)
{
	struct private_worker p[NPRIVATE];
	struct worker w[NSHARED];
	unsigned long failures = 0;
	pthread_barrier_t start;
	struct shared sh;
	unsigned int i;

	(void)state;
	shared_setup(&sh, ITERS / 2, &start);
	assert_int_equal(pthread_barrier_init(&start, NULL, NPRIVATE + NSHARED),
			 0);
	for (i = 0; i != NPRIVATE; i++) {
		p[i] = (struct private_worker){
			.start = &start,
			.iters = ITERS / 4,
			.buf = sh.buf,
			.w = { .idx = NSHARED + i },
		};
		assert_int_equal(pthread_create(&p[i].thread, NULL,
						private_worker, &p[i]),
				 0);
	}
	start_workers(&sh, w, NSHARED);
	join_workers(w, NSHARED);
	for (i = 0; i != NPRIVATE; i++) {
		assert_int_equal(pthread_join(p[i].thread, NULL), 0);
		if (p[i].w.failures)
			print_error("%lu failures, first: %s\n",
				    p[i].w.failures, p[i].w.first_failure);
		failures += p[i].w.failures;
	}
	assert_int_equal(failures, 0);
	pthread_barrier_destroy(&start);
	shared_check_and_close(&sh, w, NSHARED);
}

/* ---- pins racing on one pages object -------------------------------- */

#define PIN_PAGES 16
#define PIN_HOLDERS 4

struct pin_worker {
	pthread_t thread;
	pthread_barrier_t *start;
	struct iopt_pages *pages;
	struct itree_node holders[PIN_HOLDERS];
	bool pinned[PIN_HOLDERS];
	struct worker w;
};

static void *pin_worker(void *arg)
{
	struct pin_worker *p = arg;
	struct worker *w = &p->w;
	unsigned long i;

	pthread_barrier_wait(p->start);
	for (i = 0; i != ITERS; i++) {
		unsigned int h = rnd(w, PIN_HOLDERS);
		struct itree_node *node = &p->holders[h];

		if (p->pinned[h]) {
			iopt_pages_unpin(p->pages, node);
			p->pinned[h] = false;
			continue;
		}
		node->start = rnd(w, PIN_PAGES);
		node->last = node->start + rnd(w, PIN_PAGES - node->start);
		EXPECT_RC(w, iopt_pages_pin(p->pages, node), 0);
		p->pinned[h] = true;
	}
	return NULL;
}

/*
 * Holders pinning and unpinning overlapping ranges of one pages object at
 * once: afterwards npinned and the charge are those of the union of what
 * is still held, and zero once everything is released.
 */
static void pins_race_on_shared_pages(void **state)
{
	struct iommufd_umem *umem = iommufd_umem_self();
	struct pin_worker p[NTHREADS];
	bool covered[PIN_PAGES] = {};
	unsigned long failures = 0, held = 0;
	unsigned long user0 = atomic_load(&umem->user_locked_vm);
	unsigned long pinned0 = atomic_load(&umem->mm_pinned_vm);
	pthread_barrier_t start;
	struct iopt_pages *pages;
	char *buf = test_buffer(PIN_PAGES * PAGE, PROT_READ | PROT_WRITE);
	unsigned int i, h, pg;

	(void)state;
	assert_int_equal(iopt_alloc_pages(umem, (uintptr_t)buf,
					  PIN_PAGES * PAGE, true, &pages),
			 0);
	/* Charge the user, whatever our capabilities say. */
	pages->account_mode = IOPT_PAGES_ACCOUNT_USER;
	assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (i = 0; i != NTHREADS; i++) {
		p[i] = (struct pin_worker){
			.start = &start,
			.pages = pages,
			.w = { .idx = i,
			       .rng = 0x2545f4914f6cdd1dULL * (i + 7) },
		};
		assert_int_equal(pthread_create(&p[i].thread, NULL, pin_worker,
						&p[i]),
				 0);
	}
	for (i = 0; i != NTHREADS; i++) {
		assert_int_equal(pthread_join(p[i].thread, NULL), 0);
		if (p[i].w.failures)
			print_error("%lu failures, first: %s\n",
				    p[i].w.failures, p[i].w.first_failure);
		failures += p[i].w.failures;
		for (h = 0; h != PIN_HOLDERS; h++) {
			if (!p[i].pinned[h])
				continue;
			for (pg = p[i].holders[h].start;
			     pg <= p[i].holders[h].last; pg++)
				covered[pg] = true;
		}
	}
	assert_int_equal(failures, 0);
	pthread_barrier_destroy(&start);

	for (pg = 0; pg != PIN_PAGES; pg++)
		held += covered[pg];
	assert_int_equal(pages->npinned, held);
	assert_int_equal(atomic_load(&umem->user_locked_vm) - user0, held);
	assert_int_equal(atomic_load(&umem->mm_pinned_vm) - pinned0, held);

	for (i = 0; i != NTHREADS; i++)
		for (h = 0; h != PIN_HOLDERS; h++)
			if (p[i].pinned[h])
				iopt_pages_unpin(pages, &p[i].holders[h]);
	assert_int_equal(pages->npinned, 0);
	assert_int_equal(pages->pin_itree.count, 0);
	assert_int_equal(atomic_load(&umem->user_locked_vm), user0);
	assert_int_equal(atomic_load(&umem->mm_pinned_vm), pinned0);
	iopt_put_pages(pages);
	munmap(buf, PIN_PAGES * PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(races_on_one_context),
		cmocka_unit_test(contexts_come_and_go),
		cmocka_unit_test(pins_race_on_shared_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
