// SPDX-License-Identifier: BSD-3-Clause
/*
 * Failure injection, as Linux's CONFIG_FAULT_INJECTION provides it.
 *
 * Every allocation and pin site of the library asks one of the hooks below
 * before doing its work, and each hook belongs to one of the kernel's fault
 * attributes, chosen by what the same step is in the kernel:
 *
 *   failslab         iommufd_zalloc(), iommufd_alloc_array(),
 *                    iommufd_realloc_array() and the other struct
 *                    allocations (iommufd_should_failslab()): kzalloc and
 *                    kvcalloc with GFP_KERNEL, so only eligible once
 *                    failslab/ignore-gfp-wait is N (its default, Y, spares
 *                    every allocation that may sleep); installing a file's
 *                    fd (the kernel allocates a struct file) counts here.
 *   fail_page_alloc  the x86-64 IO page table's tables
 *                    (iommufd_should_fail_page(0)): order-0 GFP_KERNEL
 *                    pages, eligible only with ignore-gfp-wait N and
 *                    min-order 0 (its default, 1, spares order 0).
 *   fail_iommufd     the points where iommufd itself calls
 *                    iommufd_should_fail() in the kernel, at the same
 *                    steps: pinning user pages (EFAULT), charging them
 *                    (ENOMEM), the mock domain's map. Always eligible.
 *   fail_usercopy    present with its knobs, but no library site maps to
 *                    it: copies of caller memory are not injection points.
 *
 * fail-nth is per thread, as task->fail_nth: its Nth eligible site fails,
 * then it reads 0. Another thread's count is reached through a registry of
 * threads keyed by TID (a thread joins it at its first site, or when a
 * count is written for it, and leaves it when it exits), which is what
 * /proc/PID/task/TID/fail-nth needs. Beside fail-nth, the attributes'
 * probability, interval, times and space work as in should_fail_ex();
 * task-filter Y stops them, as no task has make-it-fail here. verbose > 0
 * prints one line on stderr per injected failure (the kernel logs it).
 *
 * iommufd_fail_nth_set() is the unit tests' own hook: it arms the calling
 * thread with every site eligible, whatever the knobs, and prints nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uiommufd/uiommufd.h>

#include "iommufd_private.h"

/* ---- fault attributes --------------------------------------------------- */

enum fault_dir {
	FAULT_SLAB,
	FAULT_PAGE_ALLOC,
	FAULT_USERCOPY,
	FAULT_IOMMUFD,
	FAULT_NR_DIRS,
};

/* struct fault_attr of the kernel, with the knobs of its owner. */
struct fault_attr {
	_Atomic uint64_t probability;
	_Atomic uint64_t interval;
	atomic_int times;
	atomic_int space;
	_Atomic uint64_t verbose;
	_Atomic uint32_t ratelimit_interval_ms;
	_Atomic uint32_t ratelimit_burst;
	atomic_bool task_filter;
	_Atomic uint64_t count;
	/* failslab and fail_page_alloc only */
	atomic_bool ignore_gfp_wait;
	atomic_bool ignore_gfp_highmem;
	atomic_bool cache_filter;
	_Atomic uint32_t min_order;
};

#define FAULT_ATTR_DEFAULTS                                             \
	.interval = 1, .times = 1, .verbose = 2, .ratelimit_burst = 10, \
	.ignore_gfp_wait = true, .ignore_gfp_highmem = true

static struct fault_attr fault_attrs[FAULT_NR_DIRS] = {
	[FAULT_SLAB] = { FAULT_ATTR_DEFAULTS },
	[FAULT_PAGE_ALLOC] = { FAULT_ATTR_DEFAULTS, .min_order = 1 },
	[FAULT_USERCOPY] = { FAULT_ATTR_DEFAULTS },
	[FAULT_IOMMUFD] = { FAULT_ATTR_DEFAULTS },
};

static const char *const fault_dir_names[FAULT_NR_DIRS] = {
	[FAULT_SLAB] = "failslab",
	[FAULT_PAGE_ALLOC] = "fail_page_alloc",
	[FAULT_USERCOPY] = "fail_usercopy",
	[FAULT_IOMMUFD] = "fail_iommufd",
};

/* Any probability set? Keeps the common path to one load. */
static atomic_uint fault_probability_dirs;

/* ---- the per-thread count ---------------------------------------------- */

struct fail_task {
	pid_t tid;
	atomic_uint nth; /* READ_ONCE/WRITE_ONCE, as task->fail_nth */
	atomic_bool all_sites; /* armed by iommufd_fail_nth_set() */
	bool injected;
	bool bound; /* its thread uses it (else only a count written for it) */
	struct fail_task *next;
};

static pthread_mutex_t fail_tasks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fail_task *fail_tasks;
static pthread_once_t fail_tasks_once = PTHREAD_ONCE_INIT;
static pthread_key_t fail_task_key;
static _Thread_local struct fail_task *fail_task_cur;
/* Entries written for threads that have not looked at them yet. */
static atomic_uint fail_tasks_pending;

static pid_t fail_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Caller holds fail_tasks_lock. */
static struct fail_task **fail_task_find(pid_t tid)
{
	struct fail_task **p;

	for (p = &fail_tasks; *p; p = &(*p)->next)
		if ((*p)->tid == tid)
			return p;
	return p;
}

static void fail_task_exit(void *arg)
{
	struct fail_task *t = arg, **p;

	pthread_mutex_lock(&fail_tasks_lock);
	for (p = &fail_tasks; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	pthread_mutex_unlock(&fail_tasks_lock);
	fail_task_cur = NULL;
	free(t);
}

/*
 * In a forked child only the forking thread exists, under a new TID, and
 * with no count armed: the kernel starts every new task at fail_nth 0.
 */
static void fail_tasks_atfork_child(void)
{
	struct fail_task *t = fail_tasks, *next;

	pthread_mutex_init(&fail_tasks_lock, NULL);
	fail_tasks = NULL;
	atomic_store(&fail_tasks_pending, 0);
	for (; t; t = next) {
		next = t->next;
		if (t == fail_task_cur) {
			t->tid = fail_gettid();
			t->next = NULL;
			atomic_store(&t->nth, 0);
			atomic_store(&t->all_sites, false);
			t->injected = false;
			fail_tasks = t;
		} else {
			free(t);
		}
	}
}

static void fail_tasks_atfork_prepare(void)
{
	pthread_mutex_lock(&fail_tasks_lock);
}

static void fail_tasks_atfork_parent(void)
{
	pthread_mutex_unlock(&fail_tasks_lock);
}

static void fail_tasks_init(void)
{
	pthread_key_create(&fail_task_key, fail_task_exit);
	pthread_atfork(fail_tasks_atfork_prepare, fail_tasks_atfork_parent,
		       fail_tasks_atfork_child);
}

/*
 * Registered before any frontend's fork handlers (a prioritised
 * constructor runs before plain ones), so that ours prepare last: a
 * frontend's prepare waits for calls in flight, which may be inside
 * fail_task_self() wanting fail_tasks_lock.
 */
__attribute__((constructor(101))) static void fail_tasks_early_init(void)
{
	pthread_once(&fail_tasks_once, fail_tasks_init);
}

/* The calling thread's entry, joined on first use; NULL without memory. */
static struct fail_task *fail_task_self(void)
{
	struct fail_task *t = fail_task_cur, **p;
	pid_t tid;

	if (t)
		return t;
	pthread_once(&fail_tasks_once, fail_tasks_init);
	tid = fail_gettid();
	pthread_mutex_lock(&fail_tasks_lock);
	p = fail_task_find(tid);
	t = *p;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t) {
			t->tid = tid;
			*p = t;
		}
	} else if (!t->bound) {
		atomic_fetch_sub(&fail_tasks_pending, 1);
	}
	if (t)
		t->bound = true;
	pthread_mutex_unlock(&fail_tasks_lock);
	if (!t)
		return NULL;
	fail_task_cur = t;
	pthread_setspecific(fail_task_key, t);
	return t;
}

/* Is @tid a thread of this process (as a /proc/PID/task entry is)? */
static bool fail_task_alive(pid_t tid)
{
	if (tid <= 0)
		return false;
	return tid == fail_gettid() ||
	       !syscall(SYS_tgkill, (pid_t)getpid(), tid, 0);
}

/* Caller holds fail_tasks_lock: drop entries of threads that are gone
 * without having used the library (nothing else removes them). */
static void fail_tasks_prune_locked(void)
{
	struct fail_task **p = &fail_tasks;

	while (*p) {
		struct fail_task *t = *p;

		if (!t->bound && !fail_task_alive(t->tid)) {
			*p = t->next;
			atomic_fetch_sub(&fail_tasks_pending, 1);
			free(t);
			continue;
		}
		p = &t->next;
	}
}

/* ---- should_fail -------------------------------------------------------- */

static uint32_t fault_random_below(uint32_t n)
{
	static _Thread_local uint64_t state;

	if (!state)
		state = ((uint64_t)fail_gettid() << 32) ^ (uintptr_t)&state ^
			0x9e3779b97f4a7c15ULL;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state % n);
}

static void fault_dump(enum fault_dir dir)
{
	struct fault_attr *a = &fault_attrs[dir];
	char line[200];
	int n;

	if (!atomic_load_explicit(&a->verbose, memory_order_relaxed))
		return;
	n = snprintf(line, sizeof(line),
		     "uiommufd: FAULT_INJECTION: forcing a failure. name %s, "
		     "interval %llu, probability %llu, space %d, times %d\n",
		     fault_dir_names[dir],
		     (unsigned long long)atomic_load(&a->interval),
		     (unsigned long long)atomic_load(&a->probability),
		     atomic_load(&a->space), atomic_load(&a->times));
	if (n > 0 && syscall(SYS_write, 2, line,
			     IOMMUFD_MIN((size_t)n, sizeof(line) - 1)) < 0)
		(void)0;
}

/* should_fail_ex() of the kernel, for a site already found eligible. */
static bool fault_should_fail(enum fault_dir dir, struct fail_task *t,
			      int64_t size)
{
	struct fault_attr *a = &fault_attrs[dir];
	uint64_t interval, probability;
	int times;

	if (t) {
		unsigned int nth =
			atomic_load_explicit(&t->nth, memory_order_relaxed);

		if (nth) {
			atomic_store_explicit(&t->nth, --nth,
					      memory_order_relaxed);
			if (!nth)
				goto fail;
			return false;
		}
	}
	probability =
		atomic_load_explicit(&a->probability, memory_order_relaxed);
	if (!probability)
		return false;
	if (atomic_load(&a->task_filter))
		return false; /* no task has make-it-fail */
	if (!atomic_load(&a->times))
		return false;
	if (atomic_load(&a->space) > size) {
		atomic_fetch_sub(&a->space, (int)size);
		return false;
	}
	interval = atomic_load(&a->interval);
	if (interval > 1 && (atomic_fetch_add(&a->count, 1) + 1) % interval)
		return false;
	if (probability <= fault_random_below(100))
		return false;
fail:
	fault_dump(dir);
	times = atomic_load(&a->times);
	while (times != -1 && times != 0 &&
	       !atomic_compare_exchange_weak(&a->times, &times, times - 1))
		;
	return true;
}

/*
 * One site of @dir. @eligible is what the attribute's own filters
 * (ignore-gfp-wait, min-order, ...) say; a thread armed by the unit tests'
 * hook counts every site and is silent.
 */
static bool fault_site(enum fault_dir dir, bool eligible, int64_t size)
{
	struct fail_task *t = fail_task_cur;

	if (!t) {
		/* A count may have been written for this thread already. */
		if (!atomic_load_explicit(&fault_probability_dirs,
					  memory_order_relaxed) &&
		    !atomic_load_explicit(&fail_tasks_pending,
					  memory_order_relaxed))
			return false;
		t = fail_task_self();
	}
	if (t && atomic_load_explicit(&t->all_sites, memory_order_relaxed)) {
		unsigned int nth =
			atomic_load_explicit(&t->nth, memory_order_relaxed);

		if (!nth || --nth) {
			if (nth)
				atomic_store_explicit(&t->nth, nth,
						      memory_order_relaxed);
			return false;
		}
		atomic_store_explicit(&t->nth, 0, memory_order_relaxed);
		atomic_store(&t->all_sites, false);
		t->injected = true;
		return true;
	}
	if (!eligible)
		return false;
	if (t && !atomic_load_explicit(&t->nth, memory_order_relaxed) &&
	    !atomic_load_explicit(&fault_probability_dirs,
				  memory_order_relaxed))
		return false;
	if (!fault_should_fail(dir, t, size))
		return false;
	if (t)
		t->injected = true;
	return true;
}

bool iommufd_should_fail(void)
{
	return fault_site(FAULT_IOMMUFD, true, 1);
}

bool iommufd_should_failslab(size_t size)
{
	struct fault_attr *a = &fault_attrs[FAULT_SLAB];

	/* Every library allocation is GFP_KERNEL: it may sleep. */
	return fault_site(FAULT_SLAB,
			  !atomic_load_explicit(&a->ignore_gfp_wait,
						memory_order_relaxed) &&
				  !atomic_load_explicit(&a->cache_filter,
							memory_order_relaxed),
			  (int64_t)size);
}

bool iommufd_should_fail_page(unsigned int order)
{
	struct fault_attr *a = &fault_attrs[FAULT_PAGE_ALLOC];

	/* GFP_KERNEL pages: they may sleep, and are not highmem. */
	return fault_site(FAULT_PAGE_ALLOC,
			  order >= atomic_load_explicit(&a->min_order,
							memory_order_relaxed) &&
				  !atomic_load_explicit(&a->ignore_gfp_wait,
							memory_order_relaxed),
			  (int64_t)1 << order);
}

void iommufd_fail_nth_set(unsigned int nth)
{
	struct fail_task *t = fail_task_self();

	if (!t)
		abort(); /* a test hook: no memory for it is a broken test */
	t->injected = false;
	atomic_store(&t->all_sites, nth != 0);
	atomic_store(&t->nth, nth);
}

bool iommufd_fail_nth_clear(void)
{
	struct fail_task *t = fail_task_cur;
	bool injected;

	if (!t)
		return false;
	injected = t->injected;
	atomic_store(&t->nth, 0);
	atomic_store(&t->all_sites, false);
	t->injected = false;
	return injected;
}

void *iommufd_zalloc(size_t size)
{
	if (iommufd_should_failslab(size))
		return NULL;
	return calloc(1, size);
}

void *iommufd_alloc_array(size_t n, size_t size)
{
	if (iommufd_should_failslab(n * size))
		return NULL;
	return calloc(n ? n : 1, size);
}

void *iommufd_realloc_array(void *ptr, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	if (iommufd_should_failslab(bytes))
		return NULL;
	return realloc(ptr, bytes ? bytes : 1);
}

void iommufd_free(void *ptr)
{
	free(ptr);
}

/* ---- the files: /proc/.../fail-nth and the debugfs knobs ---------------- */

/*
 * kstrtoull() with base 0: "0x" hex, "0" octal, else decimal; a leading
 * '+', one trailing newline; nothing else around the digits.
 */
static int fault_parse_ull(const char *s, uint64_t *res)
{
	unsigned int base = 10, digits = 0;
	bool overflow = false;
	uint64_t v = 0;

	if (*s == '+')
		s++;
	if (s[0] == '0') {
		base = 8;
		if ((s[1] | 0x20) == 'x' &&
		    ((s[2] >= '0' && s[2] <= '9') ||
		     ((s[2] | 0x20) >= 'a' && (s[2] | 0x20) <= 'f'))) {
			base = 16;
			s += 2;
		}
	}
	for (;; s++, digits++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned int)((*s | 0x20) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			overflow = true;
	}
	if (!digits)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

/* kstrtoll(): an optional '-' in front of kstrtoull(). */
static int fault_parse_ll(const char *s, int64_t *res)
{
	uint64_t v;
	int rc;

	if (s[0] == '-') {
		rc = fault_parse_ull(s + 1, &v);
		if (rc)
			return rc;
		if (v > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*res = (int64_t)(0 - v);
		return 0;
	}
	rc = fault_parse_ull(s, &v);
	if (rc)
		return rc;
	if (v > INT64_MAX)
		return -ERANGE;
	*res = (int64_t)v;
	return 0;
}

/* kstrtobool(): the first letters decide. */
static int fault_parse_bool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*res = true;
		return 0;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*res = false;
		return 0;
	case 'o':
	case 'O':
		if ((s[1] | 0x20) == 'n') {
			*res = true;
			return 0;
		}
		if ((s[1] | 0x20) == 'f') {
			*res = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}

/* The first @max bytes of the caller's @buf, NUL-terminated, into @dst. */
static int fault_copy_in(char *dst, size_t max, const void *buf, size_t count)
{
	size_t len = IOMMUFD_MIN(count, max);
	int rc;

	rc = iommufd_copy_from_user(iommufd_umem_self(), dst,
				    (uint64_t)(uintptr_t)buf, len);
	if (rc)
		return rc;
	dst[len] = '\0';
	return 0;
}

/* simple_read_from_buffer(): @text from *@pos into the caller's @buf. */
static ssize_t fault_read_text(const char *text, void *buf, size_t count,
			       uint64_t *pos)
{
	size_t len = strlen(text), n;
	int rc;

	if (*pos >= len || !count)
		return 0;
	n = IOMMUFD_MIN(count, len - (size_t)*pos);
	rc = iommufd_copy_to_user(iommufd_umem_self(), (uint64_t)(uintptr_t)buf,
				  text + *pos, n);
	if (rc)
		return rc;
	*pos += n;
	return (ssize_t)n;
}

static ssize_t fault_ret(ssize_t rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

ssize_t uiommufd_fail_nth_write(pid_t tid, const void *buf, size_t count)
{
	/* kstrtouint_from_user(): what an unsigned int needs in base 2. */
	char text[1 + 32 + 1 + 1];
	struct fail_task *t, **p;
	uint64_t v;
	int rc;

	rc = fault_copy_in(text, sizeof(text) - 1, buf, count);
	if (!rc)
		rc = fault_parse_ull(text, &v);
	if (!rc && v > UINT32_MAX)
		rc = -ERANGE;
	if (rc)
		return fault_ret(rc);
	if (!fail_task_alive(tid))
		return fault_ret(-ESRCH);
	if (tid == fail_gettid()) {
		t = fail_task_self();
		if (!t)
			return fault_ret(-ENOMEM);
		atomic_store(&t->all_sites, false);
		atomic_store(&t->nth, (unsigned int)v);
		return (ssize_t)count;
	}
	pthread_once(&fail_tasks_once, fail_tasks_init);
	pthread_mutex_lock(&fail_tasks_lock);
	fail_tasks_prune_locked();
	p = fail_task_find(tid);
	t = *p;
	if (!t && v) {
		t = calloc(1, sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&fail_tasks_lock);
			return fault_ret(-ENOMEM);
		}
		t->tid = tid;
		*p = t;
		atomic_fetch_add(&fail_tasks_pending, 1);
	}
	if (t) {
		atomic_store(&t->all_sites, false);
		atomic_store(&t->nth, (unsigned int)v);
	}
	pthread_mutex_unlock(&fail_tasks_lock);
	return (ssize_t)count;
}

ssize_t uiommufd_fail_nth_read(pid_t tid, void *buf, size_t count,
			       uint64_t *pos)
{
	unsigned int nth = 0;
	struct fail_task *t;
	char text[16];

	if (!fail_task_alive(tid))
		return fault_ret(-ESRCH);
	pthread_once(&fail_tasks_once, fail_tasks_init);
	pthread_mutex_lock(&fail_tasks_lock);
	t = *fail_task_find(tid);
	if (t)
		nth = atomic_load(&t->nth);
	pthread_mutex_unlock(&fail_tasks_lock);
	snprintf(text, sizeof(text), "%u\n", nth);
	return fault_ret(fault_read_text(text, buf, count, pos));
}

enum fault_knob_type { KNOB_ULONG, KNOB_U32, KNOB_ATOMIC, KNOB_BOOL };

static const struct fault_knob {
	const char *name;
	enum fault_knob_type type;
	size_t offset;
	unsigned int dirs; /* bit per enum fault_dir; 0: all */
} fault_knobs[] = {
#define KNOB(n, t, f, d)                                \
	{                                               \
		n, t, offsetof(struct fault_attr, f), d \
	}
	KNOB("probability", KNOB_ULONG, probability, 0),
	KNOB("interval", KNOB_ULONG, interval, 0),
	KNOB("times", KNOB_ATOMIC, times, 0),
	KNOB("space", KNOB_ATOMIC, space, 0),
	KNOB("verbose", KNOB_ULONG, verbose, 0),
	KNOB("verbose_ratelimit_interval_ms", KNOB_U32, ratelimit_interval_ms,
	     0),
	KNOB("verbose_ratelimit_burst", KNOB_U32, ratelimit_burst, 0),
	KNOB("task-filter", KNOB_BOOL, task_filter, 0),
	KNOB("ignore-gfp-wait", KNOB_BOOL, ignore_gfp_wait,
	     1u << FAULT_SLAB | 1u << FAULT_PAGE_ALLOC),
	KNOB("cache-filter", KNOB_BOOL, cache_filter, 1u << FAULT_SLAB),
	KNOB("ignore-gfp-highmem", KNOB_BOOL, ignore_gfp_highmem,
	     1u << FAULT_PAGE_ALLOC),
	KNOB("min-order", KNOB_U32, min_order, 1u << FAULT_PAGE_ALLOC),
#undef KNOB
};

/* The @knob-th knob @dir has, or NULL. */
static const struct fault_knob *fault_knob(unsigned int dir, unsigned int knob)
{
	size_t i;

	if (dir >= FAULT_NR_DIRS)
		return NULL;
	for (i = 0; i < IOMMUFD_ARRAY_SIZE(fault_knobs); i++) {
		if (fault_knobs[i].dirs && !(fault_knobs[i].dirs & (1u << dir)))
			continue;
		if (!knob--)
			return &fault_knobs[i];
	}
	return NULL;
}

const char *uiommufd_fault_dir_name(unsigned int dir)
{
	return dir < FAULT_NR_DIRS ? fault_dir_names[dir] : NULL;
}

const char *uiommufd_fault_knob_name(unsigned int dir, unsigned int knob)
{
	const struct fault_knob *k = fault_knob(dir, knob);

	return k ? k->name : NULL;
}

ssize_t uiommufd_fault_knob_read(unsigned int dir, unsigned int knob, void *buf,
				 size_t count, uint64_t *pos)
{
	const struct fault_knob *k = fault_knob(dir, knob);
	char *field, text[32];

	if (!k)
		return fault_ret(-ENOENT);
	field = (char *)&fault_attrs[dir] + k->offset;
	switch (k->type) {
	case KNOB_ULONG:
		snprintf(text, sizeof(text), "%llu\n",
			 (unsigned long long)atomic_load(
				 (_Atomic uint64_t *)field));
		break;
	case KNOB_U32:
		snprintf(text, sizeof(text), "%u\n",
			 (unsigned int)atomic_load((_Atomic uint32_t *)field));
		break;
	case KNOB_ATOMIC:
		snprintf(text, sizeof(text), "%d\n",
			 atomic_load((atomic_int *)field));
		break;
	case KNOB_BOOL:
		snprintf(text, sizeof(text), "%c\n",
			 atomic_load((atomic_bool *)field) ? 'Y' : 'N');
		break;
	}
	return fault_ret(fault_read_text(text, buf, count, pos));
}

ssize_t uiommufd_fault_knob_write(unsigned int dir, unsigned int knob,
				  const void *buf, size_t count)
{
	const struct fault_knob *k = fault_knob(dir, knob);
	char *field, text[24];
	uint64_t v;
	int64_t sv;
	bool b;
	int rc;

	if (!k)
		return fault_ret(-ENOENT);
	field = (char *)&fault_attrs[dir] + k->offset;
	if (k->type == KNOB_BOOL) {
		/* kstrtobool_from_user() reads 3 bytes; debugfs ignores
		 * what it cannot parse, and says it took it all. */
		rc = fault_copy_in(text, 3, buf, count);
		if (rc == -EFAULT || fault_parse_bool(text, &b))
			return (ssize_t)count;
		atomic_store((atomic_bool *)field, b);
		return (ssize_t)count;
	}
	/* simple_attr_write(): the first 23 bytes. */
	rc = fault_copy_in(text, sizeof(text) - 1, buf, count);
	if (rc)
		return fault_ret(rc);
	if (k->type == KNOB_ATOMIC) {
		rc = fault_parse_ll(text, &sv);
		if (rc)
			return fault_ret(rc);
		atomic_store((atomic_int *)field, (int)sv);
		return (ssize_t)count;
	}
	rc = fault_parse_ull(text, &v);
	if (rc)
		return fault_ret(rc);
	if (k->type == KNOB_U32) {
		atomic_store((_Atomic uint32_t *)field, (uint32_t)v);
		return (ssize_t)count;
	}
	atomic_store((_Atomic uint64_t *)field, v);
	if (field == (char *)&fault_attrs[dir].probability) {
		if (v)
			atomic_fetch_or(&fault_probability_dirs, 1u << dir);
		else
			atomic_fetch_and(&fault_probability_dirs, ~(1u << dir));
	}
	return (ssize_t)count;
}
