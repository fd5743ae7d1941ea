/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ioctl decoder of uiommufd-run --trace: the exact lines it prints for
 * each ioctl, before and after a simulated call, and its behaviour on bad
 * pointers, odd sizes and small buffers.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "uiommufd/abi.h"

#include "trace.h"

#define PAGE 4096UL
#define FD 3
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Two pages: the first readable and writable, the second inaccessible. */
static unsigned char *page;
#define GUARD (page + PAGE)

static int pages_setup(void **state)
{
	(void)state;
	page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return -1;
	return mprotect(GUARD, PAGE, PROT_NONE);
}

static int pages_teardown(void **state)
{
	(void)state;
	return munmap(page, 2 * PAGE);
}

static unsigned long ul(const void *p)
{
	return (unsigned long)(uintptr_t)p;
}

/* trace_finish() must print exactly the formatted line, within bounds. */
__attribute__((format(printf, 4, 5))) static void
finish_is(struct trace_call *tc, int ret, int err, const char *fmt, ...)
{
	char expect[TRACE_LINE_MAX];
	char got[TRACE_LINE_MAX + 1];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(expect, sizeof(expect), fmt, ap);
	va_end(ap);
	memset(got, 0x5a, sizeof(got));
	n = trace_finish(tc, ret, err, got, TRACE_LINE_MAX);
	assert_string_equal(got, expect);
	assert_int_equal(n, strlen(expect));
	assert_int_equal(got[TRACE_LINE_MAX], 0x5a);
}

/* Trace a call that changes nothing in its argument. */
#define trace_is(req, arg, ret, err, ...)                   \
	do {                                                \
		struct trace_call tc_;                      \
                                                            \
		trace_begin(&tc_, FD, (req), (arg));        \
		finish_is(&tc_, (ret), (err), __VA_ARGS__); \
	} while (0)

/* ---- IOMMU_IOAS_ALLOC, sizes and bad pointers ---------------------------- */

static void ioas_alloc_success_and_failure(void **state)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_IOAS_ALLOC, &a);
	a.out_ioas_id = 1;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_IOAS_ALLOC, {size=12, flags=0} => "
		  "{out_ioas_id=1}) = 0\n");

	a.flags = 1;
	trace_is(IOMMU_IOAS_ALLOC, &a, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_IOAS_ALLOC, {size=12, flags=0x1}) = -1 "
		 "EOPNOTSUPP (Operation not supported)\n");
}

static void unreadable_arg_prints_pointer(void **state)
{
	(void)state;
	trace_is(IOMMU_IOAS_ALLOC, (void *)8, -1, EFAULT,
		 "ioctl(3, IOMMU_IOAS_ALLOC, 0x8) = -1 EFAULT (Bad address)\n");
	trace_is(IOMMU_IOAS_MAP, NULL, -1, EFAULT,
		 "ioctl(3, IOMMU_IOAS_MAP, NULL) = -1 EFAULT (Bad address)\n");
	trace_is(IOMMU_DESTROY, GUARD, -1, EFAULT,
		 "ioctl(3, IOMMU_DESTROY, %#lx) = -1 EFAULT (Bad address)\n",
		 ul(GUARD));
}

static void size_smaller_than_size_word(void **state)
{
	struct iommu_ioas_map m = { .size = 3, .ioas_id = 1 };

	(void)state;
	trace_is(IOMMU_IOAS_MAP, &m, -1, EINVAL,
		 "ioctl(3, IOMMU_IOAS_MAP, %#lx) = -1 EINVAL (Invalid "
		 "argument)\n",
		 ul(&m));
	m.size = 0;
	trace_is(IOMMU_IOAS_MAP, &m, -1, EINVAL,
		 "ioctl(3, IOMMU_IOAS_MAP, %#lx) = -1 EINVAL (Invalid "
		 "argument)\n",
		 ul(&m));
	m.size = 4;
	trace_is(IOMMU_IOAS_MAP, &m, -1, EINVAL,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=4}) = -1 EINVAL (Invalid "
		 "argument)\n");
}

static void size_covers_only_some_fields(void **state)
{
	struct iommu_ioas_map m = {
		.flags = IOMMU_IOAS_MAP_READABLE,
		.ioas_id = 1,
		.user_va = 0x1000,
		.length = 0x1000,
	};

	(void)state;
	/* Fields partly covered are not printed either. */
	m.size = 20;
	trace_is(IOMMU_IOAS_MAP, &m, -1, EINVAL,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=20, "
		 "flags=IOMMU_IOAS_MAP_READABLE, ioas_id=1, __reserved=0}) = "
		 "-1 EINVAL (Invalid argument)\n");
	m.size = 32;
	trace_is(IOMMU_IOAS_MAP, &m, -1, EINVAL,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=32, "
		 "flags=IOMMU_IOAS_MAP_READABLE, ioas_id=1, __reserved=0, "
		 "user_va=0x1000, length=0x1000}) = -1 EINVAL (Invalid "
		 "argument)\n");
}

static void size_larger_than_struct(void **state)
{
	struct {
		struct iommu_ioas_map m;
		uint64_t more[4];
	} big = { .m = {
			  .size = sizeof(big),
			  .flags = IOMMU_IOAS_MAP_WRITEABLE,
			  .ioas_id = 2,
			  .user_va = 0x20000,
			  .length = 0x2000,
		  } };
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_IOAS_MAP, &big);
	big.m.iova = 0x200000;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_IOAS_MAP, {size=72, "
		  "flags=IOMMU_IOAS_MAP_WRITEABLE, ioas_id=2, __reserved=0, "
		  "user_va=0x20000, length=0x2000, iova=0x0} => "
		  "{iova=0x200000}) = 0\n");
}

static void struct_running_into_unmapped_page(void **state)
{
	struct iommu_ioas_map *m = (void *)(GUARD - 8);

	(void)state;
	/* The first 8 bytes are readable, the rest is not. */
	m->size = sizeof(*m);
	m->flags = 0;
	trace_is(IOMMU_IOAS_MAP, m, -1, EFAULT,
		 "ioctl(3, IOMMU_IOAS_MAP, %#lx) = -1 EFAULT (Bad address)\n",
		 ul(m));
	/* A size that stays inside the readable part prints. */
	m->size = 8;
	trace_is(IOMMU_IOAS_MAP, m, -1, EINVAL,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=8, flags=0}) = -1 EINVAL "
		 "(Invalid argument)\n");
}

/* ---- map, copy, unmap, destroy ------------------------------------------- */

static void ioas_map_lines(void **state)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = 1,
		.user_va = 0x10000000,
		.length = 0x1000,
		.iova = 0x100000,
	};
	struct trace_call tc;

	(void)state;
	trace_is(IOMMU_IOAS_MAP, &m, 0, 0,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=40, "
		 "flags=IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_WRITEABLE, "
		 "ioas_id=1, __reserved=0, user_va=0x10000000, length=0x1000, "
		 "iova=0x100000} => {iova=0x100000}) = 0\n");
	trace_is(IOMMU_IOAS_MAP, &m, -1, EEXIST,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=40, "
		 "flags=IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_WRITEABLE, "
		 "ioas_id=1, __reserved=0, user_va=0x10000000, length=0x1000, "
		 "iova=0x100000}) = -1 EEXIST (File exists)\n");

	/* An automatic IOVA: the input and the output differ. */
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	m.iova = 0;
	trace_begin(&tc, FD, IOMMU_IOAS_MAP, &m);
	m.iova = 0x4000;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_IOAS_MAP, {size=40, "
		  "flags=IOMMU_IOAS_MAP_WRITEABLE|IOMMU_IOAS_MAP_READABLE, "
		  "ioas_id=1, __reserved=0, user_va=0x10000000, length=0x1000, "
		  "iova=0x0} => {iova=0x4000}) = 0\n");
}

static void unknown_flag_bits(void **state)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | 0x100,
		.ioas_id = 1,
		.__reserved = 5,
		.user_va = 0x10000000,
		.length = 0x1000,
	};

	(void)state;
	trace_is(IOMMU_IOAS_MAP, &m, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=40, "
		 "flags=IOMMU_IOAS_MAP_READABLE|0x100, ioas_id=1, "
		 "__reserved=5, user_va=0x10000000, length=0x1000, iova=0x0}) "
		 "= -1 EOPNOTSUPP (Operation not supported)\n");
	m.flags = 0x80000000;
	trace_is(IOMMU_IOAS_MAP, &m, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_IOAS_MAP, {size=40, flags=0x80000000, "
		 "ioas_id=1, __reserved=5, user_va=0x10000000, length=0x1000, "
		 "iova=0x0}) = -1 EOPNOTSUPP (Operation not supported)\n");
}

static void ioas_copy_lines(void **state)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c),
		.flags = IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE,
		.dst_ioas_id = 2,
		.src_ioas_id = 1,
		.length = 0x2000,
		.src_iova = 0x100000,
	};
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_IOAS_COPY, &c);
	c.dst_iova = 0x400000;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_IOAS_COPY, {size=40, "
		  "flags=IOMMU_IOAS_MAP_WRITEABLE|IOMMU_IOAS_MAP_READABLE, "
		  "dst_ioas_id=2, src_ioas_id=1, length=0x2000, dst_iova=0x0, "
		  "src_iova=0x100000} => {dst_iova=0x400000}) = 0\n");
	trace_is(IOMMU_IOAS_COPY, &c, -1, ENOENT,
		 "ioctl(3, IOMMU_IOAS_COPY, {size=40, "
		 "flags=IOMMU_IOAS_MAP_WRITEABLE|IOMMU_IOAS_MAP_READABLE, "
		 "dst_ioas_id=2, src_ioas_id=1, length=0x2000, "
		 "dst_iova=0x400000, src_iova=0x100000}) = -1 ENOENT (No such "
		 "file or directory)\n");
}

static void ioas_unmap_and_destroy_lines(void **state)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = 1,
		.length = UINT64_MAX,
	};
	struct iommu_destroy d = { .size = sizeof(d), .id = 7 };
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_IOAS_UNMAP, &u);
	u.length = 0x3000;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_IOAS_UNMAP, {size=24, ioas_id=1, iova=0x0, "
		  "length=0xffffffffffffffff} => {length=0x3000}) = 0\n");
	trace_is(IOMMU_DESTROY, &d, -1, ENOENT,
		 "ioctl(3, IOMMU_DESTROY, {size=8, id=7}) = -1 ENOENT (No such "
		 "file or directory)\n");
	trace_is(IOMMU_DESTROY, &d, 0, 0,
		 "ioctl(3, IOMMU_DESTROY, {size=8, id=7}) = 0\n");
}

/* ---- IOVA ranges: arrays ------------------------------------------------- */

static void iova_ranges_success(void **state)
{
	struct iommu_iova_range r[2] = { { 0, 0 } };
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = 1,
		.num_iovas = 2,
		.allowed_iovas = (uintptr_t)r,
	};
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_IOAS_IOVA_RANGES, &q);
	q.num_iovas = 1;
	q.out_iova_alignment = 0x1000;
	r[0].last = 0xfffffffffffffULL;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_IOAS_IOVA_RANGES, {size=32, ioas_id=1, "
		  "num_iovas=2, __reserved=0, allowed_iovas=%#lx} => "
		  "{num_iovas=1, out_iova_alignment=0x1000, "
		  "allowed_iovas=[{start=0x0, last=0xfffffffffffff}]}) = 0\n",
		  ul(r));

	/* Nothing to report. */
	q.num_iovas = 0;
	q.allowed_iovas = 0;
	trace_is(IOMMU_IOAS_IOVA_RANGES, &q, 0, 0,
		 "ioctl(3, IOMMU_IOAS_IOVA_RANGES, {size=32, ioas_id=1, "
		 "num_iovas=0, __reserved=0, allowed_iovas=0x0} => "
		 "{num_iovas=0, out_iova_alignment=0x1000, "
		 "allowed_iovas=[]}) = 0\n");
}

static void iova_ranges_more_than_eight(void **state)
{
	struct iommu_iova_range r[10];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = 3,
		.num_iovas = 10,
		.allowed_iovas = (uintptr_t)r,
		.out_iova_alignment = 0x1000,
	};
	char expect[TRACE_LINE_MAX];
	int i, n;

	(void)state;
	for (i = 0; i < 10; i++) {
		r[i].start = (i + 1) * 0x10000ULL;
		r[i].last = r[i].start + 0xfff;
	}
	n = snprintf(
		expect, sizeof(expect),
		"ioctl(3, IOMMU_IOAS_IOVA_RANGES, {size=32, ioas_id=3, "
		"num_iovas=10, __reserved=0, allowed_iovas=%#lx} => "
		"{num_iovas=10, out_iova_alignment=0x1000, allowed_iovas=[",
		ul(r));
	for (i = 0; i < 8; i++)
		n += snprintf(expect + n, sizeof(expect) - n,
			      "%s{start=0x%x0000, last=0x%x0fff}",
			      i ? ", " : "", i + 1, i + 1);
	snprintf(expect + n, sizeof(expect) - n, ", ...]}) = 0\n");
	trace_is(IOMMU_IOAS_IOVA_RANGES, &q, 0, 0, "%s", expect);
}

static void iova_ranges_emsgsize_prints_count(void **state)
{
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = 1,
		.num_iovas = 0,
		.allowed_iovas = 0,
	};
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_IOAS_IOVA_RANGES, &q);
	q.num_iovas = 3;
	q.out_iova_alignment = 0x1000;
	finish_is(&tc, -1, EMSGSIZE,
		  "ioctl(3, IOMMU_IOAS_IOVA_RANGES, {size=32, ioas_id=1, "
		  "num_iovas=0, __reserved=0, allowed_iovas=0x0} => "
		  "{num_iovas=3, out_iova_alignment=0x1000}) = -1 EMSGSIZE "
		  "(Message too long)\n");

	/* Other errors print no output. */
	q.num_iovas = 0;
	trace_is(IOMMU_IOAS_IOVA_RANGES, &q, -1, ENOENT,
		 "ioctl(3, IOMMU_IOAS_IOVA_RANGES, {size=32, ioas_id=1, "
		 "num_iovas=0, __reserved=0, allowed_iovas=0x0}) = -1 ENOENT "
		 "(No such file or directory)\n");
}

static void iova_ranges_unreadable_array(void **state)
{
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = 1,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)GUARD,
		.out_iova_alignment = 0x1000,
	};

	(void)state;
	trace_is(IOMMU_IOAS_IOVA_RANGES, &q, 0, 0,
		 "ioctl(3, IOMMU_IOAS_IOVA_RANGES, {size=32, ioas_id=1, "
		 "num_iovas=1, __reserved=0, allowed_iovas=%#lx} => "
		 "{num_iovas=1, out_iova_alignment=0x1000, "
		 "allowed_iovas=%#lx}) = 0\n",
		 ul(GUARD), ul(GUARD));
}

static void allow_iovas_lines(void **state)
{
	struct iommu_iova_range r[9];
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a),
		.ioas_id = 1,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)r,
	};
	struct trace_call tc;
	int i;

	(void)state;
	for (i = 0; i < 9; i++) {
		r[i].start = 0x1000 + i * 0x2000ULL;
		r[i].last = r[i].start + 0xfff;
	}
	trace_is(IOMMU_IOAS_ALLOW_IOVAS, &a, 0, 0,
		 "ioctl(3, IOMMU_IOAS_ALLOW_IOVAS, {size=24, ioas_id=1, "
		 "num_iovas=1, __reserved=0, allowed_iovas=[{start=0x1000, "
		 "last=0x1fff}]}) = 0\n");

	/* The array is read before the call. */
	trace_begin(&tc, FD, IOMMU_IOAS_ALLOW_IOVAS, &a);
	r[0].start = 0xdead000;
	finish_is(&tc, -1, EBUSY,
		  "ioctl(3, IOMMU_IOAS_ALLOW_IOVAS, {size=24, ioas_id=1, "
		  "num_iovas=1, __reserved=0, allowed_iovas=[{start=0x1000, "
		  "last=0x1fff}]}) = -1 EBUSY (Device or resource busy)\n");
	r[0].start = 0x1000;

	a.num_iovas = 9;
	trace_is(IOMMU_IOAS_ALLOW_IOVAS, &a, 0, 0,
		 "ioctl(3, IOMMU_IOAS_ALLOW_IOVAS, {size=24, ioas_id=1, "
		 "num_iovas=9, __reserved=0, allowed_iovas=[{start=0x1000, "
		 "last=0x1fff}, {start=0x3000, last=0x3fff}, {start=0x5000, "
		 "last=0x5fff}, {start=0x7000, last=0x7fff}, {start=0x9000, "
		 "last=0x9fff}, {start=0xb000, last=0xbfff}, {start=0xd000, "
		 "last=0xdfff}, {start=0xf000, last=0xffff}, ...]}) = 0\n");

	a.num_iovas = 0;
	trace_is(IOMMU_IOAS_ALLOW_IOVAS, &a, 0, 0,
		 "ioctl(3, IOMMU_IOAS_ALLOW_IOVAS, {size=24, ioas_id=1, "
		 "num_iovas=0, __reserved=0, allowed_iovas=[]}) = 0\n");
}

static void allow_iovas_unreadable_array(void **state)
{
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a),
		.ioas_id = 1,
		.num_iovas = 2,
		.allowed_iovas = 8,
	};
	struct iommu_iova_range *edge = (void *)(GUARD - sizeof(*edge));

	(void)state;
	trace_is(IOMMU_IOAS_ALLOW_IOVAS, &a, -1, EFAULT,
		 "ioctl(3, IOMMU_IOAS_ALLOW_IOVAS, {size=24, ioas_id=1, "
		 "num_iovas=2, __reserved=0, allowed_iovas=0x8}) = -1 EFAULT "
		 "(Bad address)\n");

	/* The first element is readable, the second is not. */
	edge->start = 0x1000;
	edge->last = 0x1fff;
	a.allowed_iovas = (uintptr_t)edge;
	trace_is(IOMMU_IOAS_ALLOW_IOVAS, &a, -1, EFAULT,
		 "ioctl(3, IOMMU_IOAS_ALLOW_IOVAS, {size=24, ioas_id=1, "
		 "num_iovas=2, __reserved=0, allowed_iovas=%#lx}) = -1 EFAULT "
		 "(Bad address)\n",
		 ul(edge));
	a.num_iovas = 1;
	trace_is(IOMMU_IOAS_ALLOW_IOVAS, &a, 0, 0,
		 "ioctl(3, IOMMU_IOAS_ALLOW_IOVAS, {size=24, ioas_id=1, "
		 "num_iovas=1, __reserved=0, allowed_iovas=[{start=0x1000, "
		 "last=0x1fff}]}) = 0\n");
}

static void longest_array_line_fits(void **state)
{
	struct iommu_iova_range r[TRACE_ARRAY_MAX + 1];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = UINT32_MAX,
		.num_iovas = UINT32_MAX,
		.__reserved = UINT32_MAX,
		.allowed_iovas = (uintptr_t)r,
		.out_iova_alignment = UINT64_MAX,
	};
	char line[TRACE_LINE_MAX];
	struct trace_call tc;
	size_t n;

	(void)state;
	memset(r, 0xff, sizeof(r));
	trace_begin(&tc, INT32_MAX, IOMMU_IOAS_IOVA_RANGES, &q);
	q.num_iovas = TRACE_ARRAY_MAX + 1;
	n = trace_finish(&tc, 0, 0, line, sizeof(line));
	assert_true(n > 400);
	assert_int_equal(line[n - 1], '\n');
	assert_null(strstr(line, "...\n"));
	assert_non_null(strstr(line, ", ...]}) = 0\n"));
}

/* ---- options, VFIO compat IOAS ------------------------------------------- */

static void option_lines(void **state)
{
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = 1,
		.val64 = 0,
	};
	struct trace_call tc;

	(void)state;
	trace_is(IOMMU_OPTION, &o, 0, 0,
		 "ioctl(3, IOMMU_OPTION, {size=24, "
		 "option_id=IOMMU_OPTION_HUGE_PAGES, op=IOMMU_OPTION_OP_SET, "
		 "__reserved=0, object_id=1, val64=0}) = 0\n");

	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = IOMMU_OPTION_OP_GET;
	o.object_id = 0;
	trace_begin(&tc, FD, IOMMU_OPTION, &o);
	o.val64 = 1;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_OPTION, {size=24, "
		  "option_id=IOMMU_OPTION_RLIMIT_MODE, op=IOMMU_OPTION_OP_GET, "
		  "__reserved=0, object_id=0} => {val64=1}) = 0\n");

	o.option_id = 9;
	o.op = 5;
	trace_is(IOMMU_OPTION, &o, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_OPTION, {size=24, option_id=9, op=5, "
		 "__reserved=0, object_id=0, val64=1}) = -1 EOPNOTSUPP "
		 "(Operation not supported)\n");
}

static void vfio_ioas_lines(void **state)
{
	struct iommu_vfio_ioas v = {
		.size = sizeof(v),
		.op = IOMMU_VFIO_IOAS_GET,
	};
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_VFIO_IOAS, &v);
	v.ioas_id = 2;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_VFIO_IOAS, {size=12, op=IOMMU_VFIO_IOAS_GET, "
		  "__reserved=0} => {ioas_id=2}) = 0\n");
	v.op = IOMMU_VFIO_IOAS_SET;
	trace_is(IOMMU_VFIO_IOAS, &v, 0, 0,
		 "ioctl(3, IOMMU_VFIO_IOAS, {size=12, ioas_id=2, "
		 "op=IOMMU_VFIO_IOAS_SET, __reserved=0}) = 0\n");
	v.op = IOMMU_VFIO_IOAS_GET;
	trace_is(IOMMU_VFIO_IOAS, &v, -1, ENODEV,
		 "ioctl(3, IOMMU_VFIO_IOAS, {size=12, op=IOMMU_VFIO_IOAS_GET, "
		 "__reserved=0}) = -1 ENODEV (No such device)\n");
}

/* ---- HWPT, hardware info, faults ----------------------------------------- */

static void hwpt_alloc_lines(void **state)
{
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
			 IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = 3,
		.pt_id = 1,
	};
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_HWPT_ALLOC, &h);
	h.out_hwpt_id = 4;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_HWPT_ALLOC, {size=48, "
		  "flags=IOMMU_HWPT_ALLOC_NEST_PARENT|"
		  "IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev_id=3, pt_id=1, "
		  "__reserved=0, data_type=IOMMU_HWPT_DATA_NONE, data_len=0, "
		  "data_uptr=0x0, fault_id=0, __reserved2=0} => "
		  "{out_hwpt_id=4}) = 0\n");

	h.flags = IOMMU_HWPT_FAULT_ID_VALID;
	h.data_type = 7;
	h.data_len = 24;
	h.data_uptr = 0x7000;
	h.fault_id = 9;
	trace_is(IOMMU_HWPT_ALLOC, &h, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_HWPT_ALLOC, {size=48, "
		 "flags=IOMMU_HWPT_FAULT_ID_VALID, dev_id=3, pt_id=1, "
		 "__reserved=0, data_type=7, data_len=24, data_uptr=0x7000, "
		 "fault_id=9, __reserved2=0}) = -1 EOPNOTSUPP (Operation not "
		 "supported)\n");
	h.data_type = 0xdead;
	h.size = 40;
	trace_is(IOMMU_HWPT_ALLOC, &h, -1, ENOENT,
		 "ioctl(3, IOMMU_HWPT_ALLOC, {size=40, "
		 "flags=IOMMU_HWPT_FAULT_ID_VALID, dev_id=3, pt_id=1, "
		 "__reserved=0, data_type=IOMMU_HWPT_DATA_SELFTEST, "
		 "data_len=24, data_uptr=0x7000}) = -1 ENOENT (No such file or "
		 "directory)\n");
}

static void get_hw_info_lines(void **state)
{
	struct iommu_hw_info i = {
		.size = sizeof(i),
		.dev_id = 3,
		.data_len = 64,
		.data_uptr = 0x7000,
	};
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_GET_HW_INFO, &i);
	i.data_len = 24;
	i.out_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	i.out_max_pasid_log2 = 20;
	i.out_capabilities = IOMMU_HW_CAP_DIRTY_TRACKING |
			     IOMMU_HW_CAP_PCI_PASID_EXEC;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_GET_HW_INFO, {size=40, flags=0, dev_id=3, "
		  "data_len=64, data_uptr=0x7000, __reserved=[0, 0, 0]} => "
		  "{data_len=24, out_data_type=IOMMU_HW_INFO_TYPE_INTEL_VTD, "
		  "out_max_pasid_log2=20, "
		  "out_capabilities=IOMMU_HW_CAP_DIRTY_TRACKING|"
		  "IOMMU_HW_CAP_PCI_PASID_EXEC}) = 0\n");

	i.__reserved[1] = 2;
	trace_is(IOMMU_GET_HW_INFO, &i, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_GET_HW_INFO, {size=40, flags=0, dev_id=3, "
		 "data_len=24, data_uptr=0x7000, __reserved=[0, 2, 0]}) = -1 "
		 "EOPNOTSUPP (Operation not supported)\n");
}

static void dirty_tracking_lines(void **state)
{
	struct iommu_hwpt_set_dirty_tracking s = {
		.size = sizeof(s),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = 4,
	};
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g),
		.hwpt_id = 4,
		.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
		.iova = 0x100000,
		.length = 0x10000,
		.page_size = 0x1000,
		.data = 0x7000,
	};

	(void)state;
	trace_is(IOMMU_HWPT_SET_DIRTY_TRACKING, &s, 0, 0,
		 "ioctl(3, IOMMU_HWPT_SET_DIRTY_TRACKING, {size=16, "
		 "flags=IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt_id=4, "
		 "__reserved=0}) = 0\n");
	trace_is(IOMMU_HWPT_GET_DIRTY_BITMAP, &g, 0, 0,
		 "ioctl(3, IOMMU_HWPT_GET_DIRTY_BITMAP, {size=48, hwpt_id=4, "
		 "flags=IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, __reserved=0, "
		 "iova=0x100000, length=0x10000, page_size=0x1000, "
		 "data=0x7000}) = 0\n");
}

static void hwpt_invalidate_lines(void **state)
{
	struct iommu_hwpt_vtd_s1_invalidate e[2] = {
		{ .addr = 0x1000,
		  .npages = 1,
		  .flags = IOMMU_VTD_INV_FLAGS_LEAF },
		{ .addr = 0x8000, .npages = 4 },
	};
	/* Selftest entries, 8 bytes each, at a 16-byte stride. */
	uint32_t st[8] = { 1, 0, 0xff, 0xff, 0, 2, 0xff, 0xff };
	struct iommu_hwpt_invalidate h = {
		.size = sizeof(h),
		.hwpt_id = 5,
		.data_uptr = (uintptr_t)e,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(e[0]),
		.entry_num = 2,
	};
	struct trace_call tc;

	(void)state;
	trace_is(IOMMU_HWPT_INVALIDATE, &h, 0, 0,
		 "ioctl(3, IOMMU_HWPT_INVALIDATE, {size=32, hwpt_id=5, "
		 "data_uptr=[{addr=0x1000, npages=1, "
		 "flags=IOMMU_VTD_INV_FLAGS_LEAF, __reserved=0}, "
		 "{addr=0x8000, npages=4, flags=0, __reserved=0}], "
		 "data_type=IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, entry_len=24, "
		 "entry_num=2, __reserved=0} => {entry_num=2}) = 0\n");

	/* An entry_len shorter than the entry: only what it covers. */
	h.entry_len = 8;
	h.entry_num = 1;
	trace_is(IOMMU_HWPT_INVALIDATE, &h, -1, EINVAL,
		 "ioctl(3, IOMMU_HWPT_INVALIDATE, {size=32, hwpt_id=5, "
		 "data_uptr=[{addr=0x1000}], "
		 "data_type=IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, entry_len=8, "
		 "entry_num=1, __reserved=0}) = -1 EINVAL (Invalid "
		 "argument)\n");

	h.data_uptr = (uintptr_t)st;
	h.data_type = 0xdeadbeef;
	h.entry_len = 16;
	h.entry_num = 2;
	trace_begin(&tc, FD, IOMMU_HWPT_INVALIDATE, &h);
	h.entry_num = 1;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_HWPT_INVALIDATE, {size=32, hwpt_id=5, "
		  "data_uptr=[{flags=IOMMU_TEST_INVALIDATE_FLAG_ALL, "
		  "iotlb_id=0}, {flags=0, iotlb_id=2}], "
		  "data_type=IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, "
		  "entry_len=16, entry_num=2, __reserved=0} => "
		  "{entry_num=1}) = 0\n");

	/* Unknown entry type: the pointer. */
	h.data_type = 9;
	trace_is(IOMMU_HWPT_INVALIDATE, &h, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_HWPT_INVALIDATE, {size=32, hwpt_id=5, "
		 "data_uptr=%#lx, data_type=9, entry_len=16, entry_num=1, "
		 "__reserved=0}) = -1 EOPNOTSUPP (Operation not supported)\n",
		 ul(st));
}

static void fault_queue_alloc_lines(void **state)
{
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, IOMMU_FAULT_QUEUE_ALLOC, &f);
	f.out_fault_id = 6;
	f.out_fault_fd = 7;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_FAULT_QUEUE_ALLOC, {size=16, flags=0} => "
		  "{out_fault_id=6, out_fault_fd=7}) = 0\n");
	trace_is(IOMMU_FAULT_QUEUE_ALLOC, &f, -1, ENOTTY,
		 "ioctl(3, IOMMU_FAULT_QUEUE_ALLOC, {size=16, flags=0}) = -1 "
		 "ENOTTY (Inappropriate ioctl for device)\n");
}

/* ---- IOMMU_TEST_CMD ------------------------------------------------------ */

/* Zero the union of per-op arguments, between two ops. */
static void clear_op_args(struct iommu_test_cmd *t)
{
	memset(&t->add_reserved, 0,
	       offsetof(struct iommu_test_cmd, last) -
		       offsetof(struct iommu_test_cmd, add_reserved));
}

static void test_cmd_lines(void **state)
{
	struct iommu_test_cmd t = {
		.size = sizeof(t),
		.op = 1,
		.id = 1,
		.add_reserved = { .start = 0x10000, .length = 0x1000 },
	};
	struct trace_call tc;

	(void)state;
	assert_int_equal(sizeof(t), 72);
	trace_is(IOMMU_TEST_CMD, &t, 0, 0,
		 "ioctl(3, IOMMU_TEST_CMD, {size=72, "
		 "op=IOMMU_TEST_OP_ADD_RESERVED, id=1, "
		 "add_reserved={start=0x10000, length=0x1000}}) = 0\n");

	clear_op_args(&t);
	t.op = 2;
	trace_begin(&tc, FD, IOMMU_TEST_CMD, &t);
	t.mock_domain.out_stdev_id = 2;
	t.mock_domain.out_hwpt_id = 3;
	t.mock_domain.out_idev_id = 4;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_TEST_CMD, {size=72, "
		  "op=IOMMU_TEST_OP_MOCK_DOMAIN, id=1} => "
		  "{mock_domain={out_stdev_id=2, out_hwpt_id=3, "
		  "out_idev_id=4}}) = 0\n");

	clear_op_args(&t);
	t.op = 7;
	t.id = 5;
	t.access_pages.flags = 1;
	t.access_pages.iova = 0x100000;
	t.access_pages.length = 0x1000;
	t.access_pages.uptr = 0x7000;
	trace_begin(&tc, FD, IOMMU_TEST_CMD, &t);
	t.access_pages.out_access_pages_id = 6;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_TEST_CMD, {size=72, "
		  "op=IOMMU_TEST_OP_ACCESS_PAGES, id=5, "
		  "access_pages={flags=MOCK_FLAGS_ACCESS_WRITE, iova=0x100000, "
		  "length=0x1000, uptr=0x7000}} => "
		  "{access_pages={out_access_pages_id=6}}) = 0\n");

	clear_op_args(&t);
	t.op = 13;
	t.dirty.iova = 0x100000;
	t.dirty.length = 0x8000;
	t.dirty.page_size = 0x1000;
	t.dirty.uptr = 0x7000;
	trace_begin(&tc, FD, IOMMU_TEST_CMD, &t);
	t.dirty.out_nr_dirty = 3;
	finish_is(&tc, 0, 0,
		  "ioctl(3, IOMMU_TEST_CMD, {size=72, op=IOMMU_TEST_OP_DIRTY, "
		  "id=5, dirty={flags=0, iova=0x100000, length=0x8000, "
		  "page_size=0x1000, uptr=0x7000}} => "
		  "{dirty={out_nr_dirty=3}}) = 0\n");

	/* An unknown op: only the common fields. */
	t.op = 99;
	trace_is(IOMMU_TEST_CMD, &t, -1, EOPNOTSUPP,
		 "ioctl(3, IOMMU_TEST_CMD, {size=72, op=99, id=5}) = -1 "
		 "EOPNOTSUPP (Operation not supported)\n");
}

/* ---- VFIO container, type1 and group -------------------------------------- */

static void vfio_integer_args(void **state)
{
	(void)state;
	trace_is(VFIO_GET_API_VERSION, NULL, 0, 0,
		 "ioctl(3, VFIO_GET_API_VERSION) = 0\n");
	trace_is(VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU, 1, 0,
		 "ioctl(3, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) = 1\n");
	trace_is(VFIO_CHECK_EXTENSION, (void *)VFIO_UNMAP_ALL, 1, 0,
		 "ioctl(3, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) = 1\n");
	trace_is(VFIO_CHECK_EXTENSION, (void *)99, 0, 0,
		 "ioctl(3, VFIO_CHECK_EXTENSION, 99) = 0\n");
	trace_is(VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU, 0, 0,
		 "ioctl(3, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) = 0\n");
	trace_is(VFIO_SET_IOMMU, (void *)VFIO_NOIOMMU_IOMMU, -1, EINVAL,
		 "ioctl(3, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU) = -1 EINVAL "
		 "(Invalid argument)\n");
	trace_is(VFIO_IOMMU_ENABLE, NULL, -1, ENOTTY,
		 "ioctl(3, VFIO_IOMMU_ENABLE) = -1 ENOTTY (Inappropriate ioctl "
		 "for device)\n");
	trace_is(VFIO_IOMMU_DISABLE, NULL, -1, ENOTTY,
		 "ioctl(3, VFIO_IOMMU_DISABLE) = -1 ENOTTY (Inappropriate "
		 "ioctl for device)\n");
}

/* The capability chain is walked through next from cap_offset. */
static void vfio_get_info_caps(void **state)
{
	union {
		uint64_t align;
		unsigned char bytes[120];
	} buf = { 0 };
	struct vfio_iommu_type1_info *i = (void *)buf.bytes;
	struct vfio_iommu_type1_info_dma_avail *avail =
		(void *)(buf.bytes + 24);
	struct vfio_iommu_type1_info_cap_iova_range *iova =
		(void *)(buf.bytes + 40);
	struct vfio_iova_range *r = (void *)(buf.bytes + 56);
	struct trace_call tc;

	(void)state;
	i->argsz = sizeof(buf);
	trace_begin(&tc, FD, VFIO_IOMMU_GET_INFO, i);
	i->argsz = 88;
	i->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	i->iova_pgsizes = 0x1000;
	i->cap_offset = 24;
	avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	avail->header.version = 1;
	avail->header.next = 40;
	avail->avail = 65535;
	iova->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	iova->header.version = 1;
	iova->nr_iovas = 2;
	r[0].start = 0;
	r[0].end = 0xfedfffff;
	r[1].start = 0xfef00000;
	r[1].end = 0x7fffffffff;
	finish_is(&tc, 0, 0,
		  "ioctl(3, VFIO_IOMMU_GET_INFO, {argsz=120} => {argsz=88, "
		  "flags=VFIO_IOMMU_INFO_PGSIZES|VFIO_IOMMU_INFO_CAPS, "
		  "iova_pgsizes=0x1000, cap_offset=24, caps=["
		  "DMA_AVAIL{avail=65535}, IOVA_RANGE{nr_iovas=2, iova_ranges=["
		  "{start=0x0, end=0xfedfffff}, "
		  "{start=0xfef00000, end=0x7fffffffff}]}]}) = 0\n");

	/* Unknown ids by number; a next pointing back or out ends it. */
	i->argsz = sizeof(buf);
	trace_begin(&tc, FD, VFIO_IOMMU_GET_INFO, i);
	i->argsz = 56;
	avail->header.id = 77;
	avail->header.version = 3;
	avail->header.next = 8;
	finish_is(&tc, 0, 0,
		  "ioctl(3, VFIO_IOMMU_GET_INFO, {argsz=120} => {argsz=56, "
		  "flags=VFIO_IOMMU_INFO_PGSIZES|VFIO_IOMMU_INFO_CAPS, "
		  "iova_pgsizes=0x1000, cap_offset=24, caps=["
		  "{id=77, version=3}]}) = 0\n");
	i->argsz = sizeof(buf);
	trace_begin(&tc, FD, VFIO_IOMMU_GET_INFO, i);
	i->argsz = 40;
	avail->header.next = 40;
	finish_is(&tc, 0, 0,
		  "ioctl(3, VFIO_IOMMU_GET_INFO, {argsz=120} => {argsz=40, "
		  "flags=VFIO_IOMMU_INFO_PGSIZES|VFIO_IOMMU_INFO_CAPS, "
		  "iova_pgsizes=0x1000, cap_offset=24, caps=["
		  "{id=77, version=3}, 0x28]}) = 0\n");
}

static void vfio_get_info_lines(void **state)
{
	struct vfio_iommu_type1_info i = { .argsz = sizeof(i) };
	struct trace_call tc;

	(void)state;
	trace_begin(&tc, FD, VFIO_IOMMU_GET_INFO, &i);
	i.argsz = 64;
	i.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	i.iova_pgsizes = 0xfffffffffffff000ULL;
	finish_is(&tc, 0, 0,
		  "ioctl(3, VFIO_IOMMU_GET_INFO, {argsz=24} => {argsz=64, "
		  "flags=VFIO_IOMMU_INFO_PGSIZES|VFIO_IOMMU_INFO_CAPS, "
		  "iova_pgsizes=0xfffffffffffff000, cap_offset=0}) = 0\n");

	/* An old caller without cap_offset. */
	i.argsz = 16;
	trace_begin(&tc, FD, VFIO_IOMMU_GET_INFO, &i);
	i.flags = VFIO_IOMMU_INFO_PGSIZES;
	finish_is(&tc, 0, 0,
		  "ioctl(3, VFIO_IOMMU_GET_INFO, {argsz=16} => {argsz=16, "
		  "flags=VFIO_IOMMU_INFO_PGSIZES, "
		  "iova_pgsizes=0xfffffffffffff000}) = 0\n");
	trace_is(VFIO_IOMMU_GET_INFO, (void *)8, -1, EFAULT,
		 "ioctl(3, VFIO_IOMMU_GET_INFO, 0x8) = -1 EFAULT (Bad "
		 "address)\n");
}

static void vfio_map_unmap_lines(void **state)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = 0x7f0000000000ULL,
		.iova = 0x100000,
		.size = 0x1000,
	};
	/* A struct vfio_bitmap follows the unmap struct. */
	uint64_t raw[6] = { 0 };
	struct vfio_iommu_type1_dma_unmap *u = (void *)raw;
	struct vfio_bitmap *b = (void *)&raw[3];
	struct trace_call tc;

	(void)state;
	trace_is(VFIO_IOMMU_MAP_DMA, &m, 0, 0,
		 "ioctl(3, VFIO_IOMMU_MAP_DMA, {argsz=32, "
		 "flags=VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE, "
		 "vaddr=0x7f0000000000, iova=0x100000, size=0x1000}) = 0\n");
	m.flags = VFIO_DMA_MAP_FLAG_VADDR | 0x10;
	trace_is(VFIO_IOMMU_MAP_DMA, &m, -1, EINVAL,
		 "ioctl(3, VFIO_IOMMU_MAP_DMA, {argsz=32, "
		 "flags=VFIO_DMA_MAP_FLAG_VADDR|0x10, vaddr=0x7f0000000000, "
		 "iova=0x100000, size=0x1000}) = -1 EINVAL (Invalid "
		 "argument)\n");

	u->argsz = sizeof(*u);
	u->iova = 0x100000;
	u->size = 0x1000;
	trace_is(VFIO_IOMMU_UNMAP_DMA, u, 0, 0,
		 "ioctl(3, VFIO_IOMMU_UNMAP_DMA, {argsz=24, flags=0, "
		 "iova=0x100000, size=0x1000} => {size=0x1000}) = 0\n");

	u->argsz = sizeof(raw);
	u->flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	b->pgsize = 0x1000;
	b->size = 8;
	b->data = (void *)0x7000;
	trace_begin(&tc, FD, VFIO_IOMMU_UNMAP_DMA, u);
	u->size = 0;
	finish_is(&tc, 0, 0,
		  "ioctl(3, VFIO_IOMMU_UNMAP_DMA, {argsz=48, "
		  "flags=VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, iova=0x100000, "
		  "size=0x1000, data={pgsize=0x1000, size=8, data=0x7000}} => "
		  "{size=0x0}) = 0\n");

	u->argsz = sizeof(*u);
	u->flags = VFIO_DMA_UNMAP_FLAG_ALL;
	u->iova = 0;
	trace_is(VFIO_IOMMU_UNMAP_DMA, u, -1, EINVAL,
		 "ioctl(3, VFIO_IOMMU_UNMAP_DMA, {argsz=24, "
		 "flags=VFIO_DMA_UNMAP_FLAG_ALL, iova=0x0, size=0x0}) = -1 "
		 "EINVAL (Invalid argument)\n");
}

static void vfio_dirty_pages_lines(void **state)
{
	/* A GET_BITMAP request follows the dirty_bitmap struct. */
	uint64_t raw[6] = { 0 };
	struct vfio_iommu_type1_dirty_bitmap *d = (void *)raw;
	struct vfio_iommu_type1_dirty_bitmap_get *g = (void *)&raw[1];

	d->argsz = sizeof(*d);
	d->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	(void)state;
	trace_is(VFIO_IOMMU_DIRTY_PAGES, d, 0, 0,
		 "ioctl(3, VFIO_IOMMU_DIRTY_PAGES, {argsz=8, "
		 "flags=VFIO_IOMMU_DIRTY_PAGES_FLAG_START}) = 0\n");

	d->argsz = sizeof(raw);
	d->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	g->iova = 0x100000;
	g->size = 0x10000;
	g->bitmap.pgsize = 0x1000;
	g->bitmap.size = 8;
	g->bitmap.data = (void *)0x7000;
	trace_is(VFIO_IOMMU_DIRTY_PAGES, d, 0, 0,
		 "ioctl(3, VFIO_IOMMU_DIRTY_PAGES, {argsz=48, "
		 "flags=VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, "
		 "data={iova=0x100000, size=0x10000, bitmap={pgsize=0x1000, "
		 "size=8, data=0x7000}}}) = 0\n");

	/* An argsz that stops inside the payload. */
	d->argsz = 24;
	trace_is(VFIO_IOMMU_DIRTY_PAGES, d, -1, EINVAL,
		 "ioctl(3, VFIO_IOMMU_DIRTY_PAGES, {argsz=24, "
		 "flags=VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, "
		 "data={iova=0x100000, size=0x10000}}) = -1 EINVAL (Invalid "
		 "argument)\n");
}

static void vfio_group_lines(void **state)
{
	struct vfio_group_status s = { .argsz = sizeof(s) };
	char *edge = (char *)GUARD - 4;
	char name[100];
	struct trace_call tc;
	int container = 4;

	(void)state;
	trace_begin(&tc, FD, VFIO_GROUP_GET_STATUS, &s);
	s.flags = VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET;
	finish_is(&tc, 0, 0,
		  "ioctl(3, VFIO_GROUP_GET_STATUS, {argsz=8} => "
		  "{flags=VFIO_GROUP_FLAGS_VIABLE|"
		  "VFIO_GROUP_FLAGS_CONTAINER_SET}) = 0\n");

	trace_is(VFIO_GROUP_SET_CONTAINER, &container, 0, 0,
		 "ioctl(3, VFIO_GROUP_SET_CONTAINER, [4]) = 0\n");
	trace_is(VFIO_GROUP_SET_CONTAINER, (void *)8, -1, EFAULT,
		 "ioctl(3, VFIO_GROUP_SET_CONTAINER, 0x8) = -1 EFAULT (Bad "
		 "address)\n");
	trace_is(VFIO_GROUP_UNSET_CONTAINER, NULL, 0, 0,
		 "ioctl(3, VFIO_GROUP_UNSET_CONTAINER) = 0\n");

	trace_is(VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0", 5, 0,
		 "ioctl(3, VFIO_GROUP_GET_DEVICE_FD, \"0000:00:01.0\") = 5\n");
	trace_is(
		VFIO_GROUP_GET_DEVICE_FD, "a\"b\\c\n\x01", -1, ENODEV,
		"ioctl(3, VFIO_GROUP_GET_DEVICE_FD, \"a\\\"b\\\\c\\n\\x01\") = "
		"-1 ENODEV (No such device)\n");
	/* A string ending right before unmapped memory. */
	memcpy(edge, "abc", 4);
	trace_is(VFIO_GROUP_GET_DEVICE_FD, edge, -1, ENODEV,
		 "ioctl(3, VFIO_GROUP_GET_DEVICE_FD, \"abc\") = -1 ENODEV (No "
		 "such device)\n");
	/* ... and one running into it. */
	memcpy(edge, "abcd", 4);
	trace_is(VFIO_GROUP_GET_DEVICE_FD, edge, -1, EFAULT,
		 "ioctl(3, VFIO_GROUP_GET_DEVICE_FD, %#lx) = -1 EFAULT (Bad "
		 "address)\n",
		 ul(edge));
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	trace_is(VFIO_GROUP_GET_DEVICE_FD, name, -1, ENODEV,
		 "ioctl(3, VFIO_GROUP_GET_DEVICE_FD, \"%.64s\"...) = -1 ENODEV "
		 "(No such device)\n",
		 name);
	name[64] = '\0';
	trace_is(VFIO_GROUP_GET_DEVICE_FD, name, -1, ENODEV,
		 "ioctl(3, VFIO_GROUP_GET_DEVICE_FD, \"%s\") = -1 ENODEV (No "
		 "such device)\n",
		 name);
}

/* ---- VFIO device fds ------------------------------------------------------ */

#define DEV 5
#define GRP 6

/* Trace a call on a file of the given kind that changes nothing. */
#define trace_kind_is(kind, req, arg, ret, err, ...)               \
	do {                                                       \
		struct trace_call tc_;                             \
                                                                   \
		trace_begin_kind(&tc_, DEV, (req), (arg), (kind)); \
		finish_is(&tc_, (ret), (err), __VA_ARGS__);        \
	} while (0)
#define dev_is(req, arg, ret, err, ...) \
	trace_kind_is(TRACE_FD_VFIO_DEVICE, req, arg, ret, err, __VA_ARGS__)

static void device_get_info_lines(void **state)
{
	struct vfio_device_info i = { .argsz = sizeof(i) };
	struct trace_call tc;

	(void)state;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_INFO, &i,
			 TRACE_FD_VFIO_DEVICE);
	i.flags = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI;
	i.num_regions = VFIO_PCI_NUM_REGIONS;
	i.num_irqs = VFIO_PCI_NUM_IRQS;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_INFO, {argsz=24} => {argsz=24, "
		  "flags=VFIO_DEVICE_FLAGS_RESET|VFIO_DEVICE_FLAGS_PCI, "
		  "num_regions=9, num_irqs=5, cap_offset=0}) = 0\n");

	/* An old caller without cap_offset; unknown flag bits in hex. */
	i.argsz = 16;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_INFO, &i,
			 TRACE_FD_VFIO_DEVICE);
	i.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CAPS | 0x10000;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_INFO, {argsz=16} => {argsz=16, "
		  "flags=VFIO_DEVICE_FLAGS_PCI|VFIO_DEVICE_FLAGS_CAPS|0x10000, "
		  "num_regions=9, num_irqs=5}) = 0\n");

	i.argsz = 8;
	dev_is(VFIO_DEVICE_GET_INFO, &i, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_GET_INFO, {argsz=8}) = -1 EINVAL "
	       "(Invalid argument)\n");
}

static void device_get_info_caps(void **state)
{
	union {
		uint64_t align;
		unsigned char bytes[64];
	} buf = { 0 };
	struct vfio_device_info *i = (void *)buf.bytes;
	struct vfio_info_cap_header *atomic = (void *)(buf.bytes + 24);
	struct vfio_info_cap_header *other = (void *)(buf.bytes + 40);
	uint32_t flags = 0x3;
	struct trace_call tc;

	(void)state;
	i->argsz = sizeof(buf);
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_INFO, i,
			 TRACE_FD_VFIO_DEVICE);
	i->argsz = 48;
	i->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CAPS;
	i->num_regions = 9;
	i->num_irqs = 5;
	i->cap_offset = 24;
	atomic->id = VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP;
	atomic->version = 1;
	atomic->next = 40;
	memcpy(buf.bytes + 32, &flags, sizeof(flags));
	/* Id 1 is IOVA_RANGE in a type1 chain: here it is unknown. */
	other->id = 1;
	other->version = 2;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_INFO, {argsz=64} => {argsz=48, "
		  "flags=VFIO_DEVICE_FLAGS_PCI|VFIO_DEVICE_FLAGS_CAPS, "
		  "num_regions=9, num_irqs=5, cap_offset=24, caps=["
		  "PCI_ATOMIC_COMP{flags=0x3}, {id=1, version=2}]}) = 0\n");
}

static void region_info_lines(void **state)
{
	struct vfio_region_info r = {
		.argsz = sizeof(r),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct trace_call tc;

	(void)state;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_REGION_INFO, &r,
			 TRACE_FD_VFIO_DEVICE);
	r.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP;
	r.size = 0x100000;
	r.offset = 0;
	finish_is(
		&tc, 0, 0,
		"ioctl(5, VFIO_DEVICE_GET_REGION_INFO, {argsz=32, "
		"index=VFIO_PCI_BAR0_REGION_INDEX} => {argsz=32, "
		"flags=VFIO_REGION_INFO_FLAG_READ|VFIO_REGION_INFO_FLAG_WRITE|"
		"VFIO_REGION_INFO_FLAG_MMAP, cap_offset=0, size=0x100000, "
		"offset=0x0}) = 0\n");

	r.index = VFIO_PCI_CONFIG_REGION_INDEX;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_REGION_INFO, &r,
			 TRACE_FD_VFIO_DEVICE);
	r.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	r.size = 0x1000;
	r.offset = 7ULL << VFIO_PCI_OFFSET_SHIFT;
	finish_is(
		&tc, 0, 0,
		"ioctl(5, VFIO_DEVICE_GET_REGION_INFO, {argsz=32, "
		"index=VFIO_PCI_CONFIG_REGION_INDEX} => {argsz=32, "
		"flags=VFIO_REGION_INFO_FLAG_READ|VFIO_REGION_INFO_FLAG_WRITE, "
		"cap_offset=0, size=0x1000, offset=0x70000000000}) = 0\n");

	/* Indexes past vfio-pci's fixed ones by number; no output on error. */
	r.index = 9;
	dev_is(VFIO_DEVICE_GET_REGION_INFO, &r, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_GET_REGION_INFO, {argsz=32, index=9}) = "
	       "-1 EINVAL (Invalid argument)\n");
	r.argsz = 12;
	r.index = VFIO_PCI_ROM_REGION_INDEX;
	dev_is(VFIO_DEVICE_GET_REGION_INFO, &r, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_GET_REGION_INFO, {argsz=12, "
	       "index=VFIO_PCI_ROM_REGION_INDEX}) = -1 EINVAL (Invalid "
	       "argument)\n");
}

static void region_info_caps(void **state)
{
	union {
		uint64_t align;
		unsigned char bytes[128];
	} buf = { 0 };
	struct vfio_region_info *r = (void *)buf.bytes;
	struct vfio_region_info_cap_sparse_mmap *sparse =
		(void *)(buf.bytes + 32);
	struct vfio_region_sparse_mmap_area *areas = (void *)(buf.bytes + 48);
	struct vfio_region_info_cap_type *type = (void *)(buf.bytes + 80);
	struct vfio_info_cap_header *msix = (void *)(buf.bytes + 96);
	struct trace_call tc;

	(void)state;
	r->argsz = sizeof(buf);
	r->index = VFIO_PCI_BAR2_REGION_INDEX;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_REGION_INFO, r,
			 TRACE_FD_VFIO_DEVICE);
	r->argsz = 104;
	r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP |
		   VFIO_REGION_INFO_FLAG_CAPS;
	r->cap_offset = 32;
	r->size = 0x4000;
	r->offset = 2ULL << VFIO_PCI_OFFSET_SHIFT;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->header.next = 80;
	sparse->nr_areas = 2;
	areas[0].offset = 0;
	areas[0].size = 0x1000;
	areas[1].offset = 0x2000;
	areas[1].size = 0x2000;
	type->header.id = VFIO_REGION_INFO_CAP_TYPE;
	type->header.version = 1;
	type->header.next = 96;
	type->type = 1;
	type->subtype = 3;
	msix->id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;
	msix->version = 1;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_REGION_INFO, {argsz=128, "
		  "index=VFIO_PCI_BAR2_REGION_INDEX} => {argsz=104, "
		  "flags=VFIO_REGION_INFO_FLAG_READ|VFIO_REGION_INFO_FLAG_MMAP|"
		  "VFIO_REGION_INFO_FLAG_CAPS, cap_offset=32, size=0x4000, "
		  "offset=0x20000000000, caps=[SPARSE_MMAP{nr_areas=2, "
		  "areas=[{offset=0x0, size=0x1000}, {offset=0x2000, "
		  "size=0x2000}]}, TYPE{type=1, subtype=3}, MSIX_MAPPABLE]}) = "
		  "0\n");

	/* A chain past the caller's argsz stops there. */
	r->argsz = 80;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_REGION_INFO, r,
			 TRACE_FD_VFIO_DEVICE);
	r->argsz = 104;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_REGION_INFO, {argsz=80, "
		  "index=VFIO_PCI_BAR2_REGION_INDEX} => {argsz=104, "
		  "flags=VFIO_REGION_INFO_FLAG_READ|VFIO_REGION_INFO_FLAG_MMAP|"
		  "VFIO_REGION_INFO_FLAG_CAPS, cap_offset=32, size=0x4000, "
		  "offset=0x20000000000, caps=[SPARSE_MMAP{nr_areas=2, "
		  "areas=[{offset=0x0, size=0x1000}, {offset=0x2000, "
		  "size=0x2000}]}, 0x50]}) = 0\n");
}

/* The longest region line, every cap a full sparse list, still fits. */
static void longest_region_line_fits(void **state)
{
	const size_t cap_len =
		sizeof(struct vfio_region_info_cap_sparse_mmap) +
		(TRACE_ARRAY_MAX + 1) *
			sizeof(struct vfio_region_sparse_mmap_area);
	union {
		uint64_t align;
		unsigned char bytes[2048];
	} buf;
	struct vfio_region_info *r = (void *)buf.bytes;
	char line[TRACE_LINE_MAX];
	struct trace_call tc;
	unsigned int i;
	size_t n;

	(void)state;
	memset(buf.bytes, 0xff, sizeof(buf));
	r->argsz = sizeof(buf);
	r->cap_offset = sizeof(*r);
	for (i = 0; i < 10; i++) {
		struct vfio_region_info_cap_sparse_mmap *c =
			(void *)(buf.bytes + sizeof(*r) + i * cap_len);

		c->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
		c->header.next = sizeof(*r) + (i + 1) * cap_len;
	}
	trace_begin_kind(&tc, INT32_MAX, VFIO_DEVICE_GET_REGION_INFO, r,
			 TRACE_FD_VFIO_DEVICE);
	n = trace_finish(&tc, INT32_MAX, 0, line, sizeof(line));
	assert_true(n > 2000);
	assert_int_equal(line[n - 1], '\n');
	assert_null(strstr(line, "...\n"));
	assert_non_null(strstr(line, ", ...]}, ...]}) = 2147483647\n"));
}

static void irq_info_lines(void **state)
{
	struct vfio_irq_info i = {
		.argsz = sizeof(i),
		.index = VFIO_PCI_MSIX_IRQ_INDEX,
	};
	struct trace_call tc;

	(void)state;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_IRQ_INFO, &i,
			 TRACE_FD_VFIO_DEVICE);
	i.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	i.count = 8;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_IRQ_INFO, {argsz=16, "
		  "index=VFIO_PCI_MSIX_IRQ_INDEX} => "
		  "{flags=VFIO_IRQ_INFO_EVENTFD|VFIO_IRQ_INFO_NORESIZE, "
		  "count=8}) = 0\n");

	i.index = VFIO_PCI_INTX_IRQ_INDEX;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_IRQ_INFO, &i,
			 TRACE_FD_VFIO_DEVICE);
	i.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
		  VFIO_IRQ_INFO_AUTOMASKED;
	i.count = 1;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_IRQ_INFO, {argsz=16, "
		  "index=VFIO_PCI_INTX_IRQ_INDEX} => "
		  "{flags=VFIO_IRQ_INFO_EVENTFD|VFIO_IRQ_INFO_MASKABLE|"
		  "VFIO_IRQ_INFO_AUTOMASKED, count=1}) = 0\n");

	i.index = VFIO_PCI_NUM_IRQS;
	dev_is(VFIO_DEVICE_GET_IRQ_INFO, &i, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_GET_IRQ_INFO, {argsz=16, index=5}) = -1 "
	       "EINVAL (Invalid argument)\n");
}

static void set_irqs_eventfds(void **state)
{
	/* A struct vfio_irq_set with room for 12 eventfds. */
	union {
		uint64_t align;
		unsigned char bytes[sizeof(struct vfio_irq_set) + 12 * 4];
	} buf = { 0 };
	struct vfio_irq_set *a = (void *)buf.bytes;
	int32_t *fds = (int32_t *)(buf.bytes + sizeof(*a));
	struct trace_call tc;
	int i;

	(void)state;
	a->argsz = sizeof(struct vfio_irq_set) + 2 * sizeof(int32_t);
	a->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	a->index = VFIO_PCI_MSIX_IRQ_INDEX;
	a->count = 2;
	fds[0] = 7;
	fds[1] = -1;
	dev_is(VFIO_DEVICE_SET_IRQS, a, 0, 0,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=28, "
	       "flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSIX_IRQ_INDEX, start=0, count=2, "
	       "data=[7, -1]}) = 0\n");

	/* The array is read before the call. */
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_SET_IRQS, a,
			 TRACE_FD_VFIO_DEVICE);
	fds[0] = 99;
	finish_is(
		&tc, -1, EBADF,
		"ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=28, "
		"flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
		"index=VFIO_PCI_MSIX_IRQ_INDEX, start=0, count=2, "
		"data=[7, -1]}) = -1 EBADF (Bad file descriptor)\n");

	/* At most TRACE_ARRAY_MAX of them. */
	for (i = 0; i < 12; i++)
		fds[i] = 10 + i;
	a->argsz = sizeof(*a) + 12 * sizeof(int32_t);
	a->start = 2;
	a->count = 12;
	dev_is(VFIO_DEVICE_SET_IRQS, a, 0, 0,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=68, "
	       "flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSIX_IRQ_INDEX, start=2, count=12, "
	       "data=[10, 11, 12, 13, 14, 15, 16, 17, ...]}) = 0\n");

	/* Only what argsz covers: it is short of count here. */
	a->argsz = sizeof(struct vfio_irq_set) + 3 * sizeof(int32_t) + 2;
	dev_is(VFIO_DEVICE_SET_IRQS, a, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=34, "
	       "flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSIX_IRQ_INDEX, start=2, count=12, "
	       "data=[10, 11, 12, ...]}) = -1 EINVAL (Invalid argument)\n");
	a->argsz = sizeof(struct vfio_irq_set);
	dev_is(VFIO_DEVICE_SET_IRQS, a, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=20, "
	       "flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSIX_IRQ_INDEX, start=2, count=12, "
	       "data=[...]}) = -1 EINVAL (Invalid argument)\n");
	/* An argsz short of the header: no data at all. */
	a->argsz = 16;
	dev_is(VFIO_DEVICE_SET_IRQS, a, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=16, "
	       "flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSIX_IRQ_INDEX, start=2}) = -1 EINVAL "
	       "(Invalid argument)\n");
}

static void set_irqs_bools_and_none(void **state)
{
	union {
		uint64_t align;
		unsigned char bytes[sizeof(struct vfio_irq_set) + 4];
	} buf = { 0 };
	struct vfio_irq_set *a = (void *)buf.bytes;
	uint8_t *b = a->data;

	(void)state;
	a->argsz = sizeof(struct vfio_irq_set) + 3;
	a->flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK;
	a->index = VFIO_PCI_INTX_IRQ_INDEX;
	a->count = 3;
	b[0] = 1;
	b[1] = 0;
	b[2] = 1;
	dev_is(VFIO_DEVICE_SET_IRQS, a, 0, 0,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=23, "
	       "flags=VFIO_IRQ_SET_DATA_BOOL|VFIO_IRQ_SET_ACTION_MASK, "
	       "index=VFIO_PCI_INTX_IRQ_INDEX, start=0, count=3, "
	       "data=[1, 0, 1]}) = 0\n");

	/* DATA_NONE carries no data. */
	a->argsz = sizeof(struct vfio_irq_set);
	a->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
	a->count = 1;
	dev_is(VFIO_DEVICE_SET_IRQS, a, 0, 0,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=20, "
	       "flags=VFIO_IRQ_SET_DATA_NONE|VFIO_IRQ_SET_ACTION_UNMASK, "
	       "index=VFIO_PCI_INTX_IRQ_INDEX, start=0, count=1}) = 0\n");
	a->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	a->index = VFIO_PCI_MSI_IRQ_INDEX;
	a->count = 0;
	dev_is(VFIO_DEVICE_SET_IRQS, a, 0, 0,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=20, "
	       "flags=VFIO_IRQ_SET_DATA_NONE|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSI_IRQ_INDEX, start=0, count=0}) = 0\n");

	/* Two data types: one data, as eventfds. */
	a->argsz = sizeof(*a) + 4;
	a->flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_DATA_EVENTFD |
		   VFIO_IRQ_SET_ACTION_TRIGGER;
	a->count = 1;
	b[0] = 9;
	b[1] = 0;
	b[2] = 0;
	b[3] = 0;
	dev_is(VFIO_DEVICE_SET_IRQS, a, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=24, "
	       "flags=VFIO_IRQ_SET_DATA_BOOL|VFIO_IRQ_SET_DATA_EVENTFD|"
	       "VFIO_IRQ_SET_ACTION_TRIGGER, index=VFIO_PCI_MSI_IRQ_INDEX, "
	       "start=0, count=1, data=[9]}) = -1 EINVAL (Invalid "
	       "argument)\n");
}

static void device_bad_pointers(void **state)
{
	/* The header is readable, the data runs into the guard page. */
	struct vfio_irq_set *edge =
		(void *)(GUARD - sizeof(struct vfio_irq_set) - 4);
	int32_t fd = 7;

	(void)state;
	dev_is(VFIO_DEVICE_GET_INFO, (void *)8, -1, EFAULT,
	       "ioctl(5, VFIO_DEVICE_GET_INFO, 0x8) = -1 EFAULT (Bad "
	       "address)\n");
	dev_is(VFIO_DEVICE_GET_REGION_INFO, NULL, -1, EFAULT,
	       "ioctl(5, VFIO_DEVICE_GET_REGION_INFO, NULL) = -1 EFAULT (Bad "
	       "address)\n");
	dev_is(VFIO_DEVICE_SET_IRQS, GUARD, -1, EFAULT,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, %#lx) = -1 EFAULT (Bad "
	       "address)\n",
	       ul(GUARD));

	edge->argsz = sizeof(*edge) + 2 * sizeof(int32_t);
	edge->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	edge->index = VFIO_PCI_MSI_IRQ_INDEX;
	edge->start = 0;
	edge->count = 2;
	memcpy(edge->data, &fd, sizeof(fd));
	dev_is(VFIO_DEVICE_SET_IRQS, edge, -1, EFAULT,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=28, "
	       "flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSI_IRQ_INDEX, start=0, count=2, data=%#lx}) = "
	       "-1 EFAULT (Bad address)\n",
	       ul(edge->data));
	/* One eventfd fits before the guard page. */
	edge->argsz = sizeof(*edge) + sizeof(int32_t);
	edge->count = 1;
	dev_is(VFIO_DEVICE_SET_IRQS, edge, 0, 0,
	       "ioctl(5, VFIO_DEVICE_SET_IRQS, {argsz=24, "
	       "flags=VFIO_IRQ_SET_DATA_EVENTFD|VFIO_IRQ_SET_ACTION_TRIGGER, "
	       "index=VFIO_PCI_MSI_IRQ_INDEX, start=0, count=1, data=[7]}) = "
	       "0\n");

	/* Tracing leaves errno alone. */
	errno = EXDEV;
	dev_is(VFIO_DEVICE_BIND_IOMMUFD, (void *)8, -1, EFAULT,
	       "ioctl(5, VFIO_DEVICE_BIND_IOMMUFD, 0x8) = -1 EFAULT (Bad "
	       "address)\n");
	assert_int_equal(errno, EXDEV);
}

static void device_reset_and_feature(void **state)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 3,
	};

	(void)state;
	dev_is(VFIO_DEVICE_RESET, NULL, 0, 0,
	       "ioctl(5, VFIO_DEVICE_RESET) = 0\n");
	dev_is(VFIO_DEVICE_RESET, NULL, -1, ENOTTY,
	       "ioctl(5, VFIO_DEVICE_RESET) = -1 ENOTTY (Inappropriate ioctl "
	       "for device)\n");
	dev_is(VFIO_DEVICE_FEATURE, &f, -1, ENOTTY,
	       "ioctl(5, VFIO_DEVICE_FEATURE, {argsz=8, "
	       "flags=VFIO_DEVICE_FEATURE_GET|VFIO_DEVICE_FEATURE_PROBE|0x3}) "
	       "= -1 ENOTTY (Inappropriate ioctl for device)\n");
	f.flags = VFIO_DEVICE_FEATURE_SET;
	dev_is(VFIO_DEVICE_FEATURE, &f, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_FEATURE, {argsz=8, "
	       "flags=VFIO_DEVICE_FEATURE_SET}) = -1 EINVAL (Invalid "
	       "argument)\n");
}

static void device_cdev_lines(void **state)
{
	struct vfio_device_bind_iommufd b = {
		.argsz = sizeof(b),
		.iommufd = 3,
	};
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a),
		.pt_id = 2,
	};
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	struct trace_call tc;

	(void)state;
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_BIND_IOMMUFD, &b,
			 TRACE_FD_VFIO_DEVICE);
	b.out_devid = 1;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_BIND_IOMMUFD, {argsz=16, flags=0, "
		  "iommufd=3} => {out_devid=1}) = 0\n");
	b.iommufd = -1;
	dev_is(VFIO_DEVICE_BIND_IOMMUFD, &b, -1, EBADF,
	       "ioctl(5, VFIO_DEVICE_BIND_IOMMUFD, {argsz=16, flags=0, "
	       "iommufd=-1}) = -1 EBADF (Bad file descriptor)\n");

	/* An IOAS id in, the id of the HWPT made for it out. */
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a,
			 TRACE_FD_VFIO_DEVICE);
	a.pt_id = 4;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_ATTACH_IOMMUFD_PT, {argsz=12, flags=0, "
		  "pt_id=2} => {pt_id=4}) = 0\n");
	dev_is(VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a, -1, ENOENT,
	       "ioctl(5, VFIO_DEVICE_ATTACH_IOMMUFD_PT, {argsz=12, flags=0, "
	       "pt_id=4}) = -1 ENOENT (No such file or directory)\n");

	dev_is(VFIO_DEVICE_DETACH_IOMMUFD_PT, &d, 0, 0,
	       "ioctl(5, VFIO_DEVICE_DETACH_IOMMUFD_PT, {argsz=8, flags=0}) = "
	       "0\n");
	d.flags = 1;
	dev_is(VFIO_DEVICE_DETACH_IOMMUFD_PT, &d, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_DETACH_IOMMUFD_PT, {argsz=8, flags=0x1}) "
	       "= -1 EINVAL (Invalid argument)\n");
}

static void hot_reset_info_lines(void **state)
{
	/* Room for three devices. */
	union {
		uint64_t align;
		unsigned char
			bytes[sizeof(struct vfio_pci_hot_reset_info) +
			      3 * sizeof(struct vfio_pci_dependent_device)];
	} buf = { 0 };
	struct vfio_pci_hot_reset_info *a = (void *)buf.bytes;
	struct vfio_pci_dependent_device *d = a->devices;
	struct trace_call tc;

	(void)state;
	a->argsz = sizeof(*a) + 3 * sizeof(*d);
	/* The cdev path: iommufd device ids. */
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, a,
			 TRACE_FD_VFIO_DEVICE);
	a->flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
		   VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	a->count = 3;
	d[0].devid = 1;
	d[0].devfn = 0x8;
	d[1].devid = VFIO_PCI_DEVID_OWNED;
	d[1].devfn = 0x9;
	d[2].devid = (uint32_t)VFIO_PCI_DEVID_NOT_OWNED;
	d[2].segment = 1;
	d[2].bus = 0x3a;
	d[2].devfn = 0x10;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, {argsz=36} => "
		  "{flags=VFIO_PCI_HOT_RESET_FLAG_DEV_ID|"
		  "VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, count=3, devices=["
		  "{devid=1, segment=0x0, bus=0x0, devfn=0x8}, "
		  "{devid=VFIO_PCI_DEVID_OWNED, segment=0x0, bus=0x0, "
		  "devfn=0x9}, {devid=VFIO_PCI_DEVID_NOT_OWNED, segment=0x1, "
		  "bus=0x3a, devfn=0x10}]}) = 0\n");

	/* The group path: group ids. */
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, a,
			 TRACE_FD_VFIO_DEVICE);
	a->flags = 0;
	a->count = 1;
	d[0].group_id = 12;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, {argsz=36} => "
		  "{flags=0, count=1, devices=[{group_id=12, segment=0x0, "
		  "bus=0x0, devfn=0x8}]}) = 0\n");

	/* Too small: ENOSPC reports the count needed, not the devices. */
	a->argsz = sizeof(*a);
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, a,
			 TRACE_FD_VFIO_DEVICE);
	a->count = 2;
	finish_is(
		&tc, -1, ENOSPC,
		"ioctl(5, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, {argsz=12} => "
		"{flags=0, count=2}) = -1 ENOSPC (No space left on device)\n");
	trace_kind_is(TRACE_FD_VFIO_DEVICE, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
		      a, -1, ENOTTY,
		      "ioctl(5, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "
		      "{argsz=12}) = -1 ENOTTY (Inappropriate ioctl for "
		      "device)\n");

	/* A count past what argsz holds decodes what argsz holds. */
	a->argsz = sizeof(*a) + sizeof(d[0]);
	trace_begin_kind(&tc, DEV, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, a,
			 TRACE_FD_VFIO_DEVICE);
	a->count = 3;
	finish_is(&tc, 0, 0,
		  "ioctl(5, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, {argsz=20} => "
		  "{flags=0, count=3, devices=[{group_id=12, segment=0x0, "
		  "bus=0x0, devfn=0x8}, ...]}) = 0\n");
}

static void pci_hot_reset_lines(void **state)
{
	union {
		uint64_t align;
		unsigned char bytes[sizeof(struct vfio_pci_hot_reset) + 8];
	} buf = { 0 };
	struct vfio_pci_hot_reset *a = (void *)buf.bytes;

	(void)state;
	a->argsz = sizeof(*a) + 2 * sizeof(int32_t);
	a->count = 2;
	a->group_fds[0] = 6;
	a->group_fds[1] = 8;
	dev_is(VFIO_DEVICE_PCI_HOT_RESET, a, 0, 0,
	       "ioctl(5, VFIO_DEVICE_PCI_HOT_RESET, {argsz=20, flags=0, "
	       "count=2, group_fds=[6, 8]}) = 0\n");
	/* The cdev path passes no group fds. */
	a->argsz = sizeof(*a);
	a->count = 0;
	dev_is(VFIO_DEVICE_PCI_HOT_RESET, a, -1, EPERM,
	       "ioctl(5, VFIO_DEVICE_PCI_HOT_RESET, {argsz=12, flags=0, "
	       "count=0, group_fds=[]}) = -1 EPERM (Operation not "
	       "permitted)\n");
}

/*
 * VFIO_BASE + 12, 13, 14 and 17 are container ioctls on a container and
 * device ioctls on a device; each kind decodes only its own.
 */
static void device_container_collisions(void **state)
{
	struct vfio_iommu_type1_info info = { .argsz = 16 };
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE,
	};
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_group_status gs = { .argsz = sizeof(gs) };

	(void)state;
	assert_int_equal(VFIO_IOMMU_GET_INFO,
			 VFIO_DEVICE_GET_PCI_HOT_RESET_INFO);
	assert_int_equal(VFIO_IOMMU_MAP_DMA, VFIO_DEVICE_PCI_HOT_RESET);
	assert_int_equal(VFIO_IOMMU_UNMAP_DMA, VFIO_DEVICE_QUERY_GFX_PLANE);
	assert_int_equal(VFIO_IOMMU_DIRTY_PAGES, VFIO_DEVICE_FEATURE);

	trace_is(VFIO_IOMMU_GET_INFO, &info, -1, EINVAL,
		 "ioctl(3, VFIO_IOMMU_GET_INFO, {argsz=16}) = -1 EINVAL "
		 "(Invalid argument)\n");
	dev_is(VFIO_IOMMU_GET_INFO, &info, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, {argsz=16}) = -1 "
	       "EINVAL (Invalid argument)\n");
	/* An unknown kind takes the container's. */
	trace_kind_is(TRACE_FD_OTHER, VFIO_IOMMU_GET_INFO, &info, -1, EINVAL,
		      "ioctl(5, VFIO_IOMMU_GET_INFO, {argsz=16}) = -1 EINVAL "
		      "(Invalid argument)\n");

	trace_is(VFIO_DEVICE_FEATURE, &f, -1, EINVAL,
		 "ioctl(3, VFIO_IOMMU_DIRTY_PAGES, {argsz=8, "
		 "flags=0x40000}) = -1 EINVAL (Invalid argument)\n");
	dev_is(VFIO_IOMMU_DIRTY_PAGES, &f, -1, EINVAL,
	       "ioctl(5, VFIO_DEVICE_FEATURE, {argsz=8, "
	       "flags=VFIO_DEVICE_FEATURE_PROBE}) = -1 EINVAL (Invalid "
	       "argument)\n");

	/* Not known on a device: MAP_DMA's number there, container ioctls. */
	dev_is(VFIO_IOMMU_UNMAP_DMA, &f, -1, ENOTTY,
	       "ioctl(5, _IOC(_IOC_NONE, 0x3b, 0x72, 0), %#lx) = -1 ENOTTY "
	       "(Inappropriate ioctl for device)\n",
	       ul(&f));
	dev_is(VFIO_GET_API_VERSION, NULL, -1, ENOTTY,
	       "ioctl(5, _IOC(_IOC_NONE, 0x3b, 0x64, 0), 0) = -1 ENOTTY "
	       "(Inappropriate ioctl for device)\n");
	dev_is(IOMMU_IOAS_ALLOC, NULL, -1, ENOTTY,
	       "ioctl(5, _IOC(_IOC_NONE, 0x3b, 0x81, 0), 0) = -1 ENOTTY "
	       "(Inappropriate ioctl for device)\n");

	/* Device ioctls are unknown on a container or iommufd. */
	trace_is(VFIO_DEVICE_GET_INFO, &di, -1, ENOTTY,
		 "ioctl(3, _IOC(_IOC_NONE, 0x3b, 0x6b, 0), %#lx) = -1 ENOTTY "
		 "(Inappropriate ioctl for device)\n",
		 ul(&di));
	trace_kind_is(TRACE_FD_OTHER, VFIO_DEVICE_GET_INFO, &di, -1, ENOTTY,
		      "ioctl(5, VFIO_DEVICE_GET_INFO, {argsz=24}) = -1 ENOTTY "
		      "(Inappropriate ioctl for device)\n");

	/* A group knows only the group ioctls. */
	trace_kind_is(TRACE_FD_VFIO_GROUP, VFIO_GROUP_GET_STATUS, &gs, -1,
		      EFAULT,
		      "ioctl(5, VFIO_GROUP_GET_STATUS, {argsz=8}) = -1 EFAULT "
		      "(Bad address)\n");
	trace_kind_is(TRACE_FD_VFIO_GROUP, VFIO_GROUP_GET_DEVICE_FD, "dev0", 7,
		      0, "ioctl(5, VFIO_GROUP_GET_DEVICE_FD, \"dev0\") = 7\n");
	trace_kind_is(TRACE_FD_VFIO_GROUP, VFIO_IOMMU_GET_INFO, &info, -1,
		      ENOTTY,
		      "ioctl(5, _IOC(_IOC_NONE, 0x3b, 0x70, 0), %#lx) = -1 "
		      "ENOTTY (Inappropriate ioctl for device)\n",
		      ul(&info));
	trace_kind_is(TRACE_FD_VFIO_GROUP, VFIO_DEVICE_GET_INFO, &di, -1,
		      ENOTTY,
		      "ioctl(5, _IOC(_IOC_NONE, 0x3b, 0x6b, 0), %#lx) = -1 "
		      "ENOTTY (Inappropriate ioctl for device)\n",
		      ul(&di));
	trace_kind_is(TRACE_FD_VFIO_DEVICE, VFIO_GROUP_GET_STATUS, &gs, -1,
		      ENOTTY,
		      "ioctl(5, _IOC(_IOC_NONE, 0x3b, 0x67, 0), %#lx) = -1 "
		      "ENOTTY (Inappropriate ioctl for device)\n",
		      ul(&gs));
}

/* trace_rw() must print exactly the formatted line. */
__attribute__((format(printf, 7, 8))) static void
rw_is(int fd, bool write, uint64_t offset, size_t count, ssize_t ret, int err,
      const char *fmt, ...)
{
	char expect[256];
	char got[257];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(expect, sizeof(expect), fmt, ap);
	va_end(ap);
	memset(got, 0x5a, sizeof(got));
	n = trace_rw(got, 256, fd, write, offset, count, ret, err);
	assert_string_equal(got, expect);
	assert_int_equal(n, strlen(expect));
	assert_int_equal(got[256], 0x5a);
}

#define REGION(i) ((uint64_t)(i) << VFIO_PCI_OFFSET_SHIFT)

/* A fault queue's reads and writes: no offsets, the result as ioctls'. */
static void queue_rw_lines(void **state)
{
	char line[TRACE_RW_LINE_MAX], small[8];
	size_t n;

	(void)state;
	n = trace_queue_rw(line, sizeof(line), 5, false, 80, 40, 0);
	assert_string_equal(line, "read(5, 80) = 40\n");
	assert_int_equal(n, strlen(line));
	trace_queue_rw(line, sizeof(line), 5, true, 8, -1, EINVAL);
	assert_string_equal(line,
			    "write(5, 8) = -1 EINVAL (Invalid argument)\n");
	trace_queue_rw(line, sizeof(line), 7, false, 39, -1, ESPIPE);
	assert_string_equal(line, "read(7, 39) = -1 ESPIPE (Illegal seek)\n");
	/* Truncated, still terminated and a line. */
	n = trace_queue_rw(small, sizeof(small), 5, false, 80, 40, 0);
	assert_true(n < sizeof(small));
	assert_int_equal(small[n], '\0');
	assert_int_equal(small[n - 1], '\n');
}

static void rw_lines(void **state)
{
	char buf[16], big[TRACE_RW_LINE_MAX];
	size_t n;
	int err;

	(void)state;
	rw_is(5, true, REGION(0) + 0x98, 4, 4, 0,
	      "pwrite64(5, BAR0+0x98, 4) = 4\n");
	rw_is(5, false, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + 4, 2, 2, 0,
	      "pread64(5, CONFIG+0x4, 2) = 2\n");
	rw_is(5, false, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + 0xffe, 4, 2, 0,
	      "pread64(5, CONFIG+0xffe, 4) = 2\n");
	rw_is(5, true, REGION(2) + 0x1000, 8, -1, EINVAL,
	      "pwrite64(5, BAR2+0x1000, 8) = -1 EINVAL (Invalid argument)\n");
	rw_is(7, false, REGION(5) + REGION(1) - 1, 1, 0, 0,
	      "pread64(7, BAR5+0xffffffffff, 1) = 0\n");
	rw_is(7, false, REGION(VFIO_PCI_ROM_REGION_INDEX), 4096, 4096, 0,
	      "pread64(7, ROM+0x0, 4096) = 4096\n");
	rw_is(7, true, REGION(VFIO_PCI_VGA_REGION_INDEX) + 0x3c0, 1, -1, EIO,
	      "pwrite64(7, VGA+0x3c0, 1) = -1 EIO (Input/output error)\n");
	rw_is(7, true, REGION(9) + 0x10, 4, -1, 4095,
	      "pwrite64(7, REGION9+0x10, 4) = -1 ERRNO_4095 (Unknown error "
	      "4095)\n");
	rw_is(7, false, UINT64_MAX, SIZE_MAX, -1, EFAULT,
	      "pread64(7, REGION16777215+0xffffffffff, %zu) = -1 EFAULT "
	      "(Bad address)\n",
	      (size_t)SIZE_MAX);

	/* The longest lines fit TRACE_RW_LINE_MAX. */
	for (err = 0; err < 4096; err++) {
		char line[TRACE_RW_LINE_MAX];

		n = trace_rw(line, sizeof(line), INT32_MIN, true, UINT64_MAX,
			     SIZE_MAX, -1, err);
		assert_true(n > 80);
		assert_int_equal(line[n - 2], ')');
		assert_null(strstr(line, "...\n"));
	}
	n = trace_rw(big, sizeof(big), INT32_MIN, true, UINT64_MAX, SIZE_MAX,
		     SSIZE_MAX, 0);
	assert_int_equal(n, strlen(big));
	assert_true(n < TRACE_RW_LINE_MAX - 1);

	/* Cut lines, and errno left alone. */
	errno = EXDEV;
	memset(buf, 0x5a, sizeof(buf));
	n = trace_rw(buf, 12, 5, true, REGION(0) + 0x98, 4, 4, 0);
	assert_int_equal(n, 11);
	assert_string_equal(buf, "pwrite6...\n");
	assert_int_equal(buf[12], 0x5a);
	n = trace_rw(buf, 0, 5, true, 0, 4, 4, 0);
	assert_int_equal(n, 0);
	assert_int_equal(buf[0], 'p');
	assert_int_equal(errno, EXDEV);
}

/* ---- requests, results, buffers ------------------------------------------ */

static void unknown_requests(void **state)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = 1 };

	(void)state;
	trace_is(_IOC(_IOC_READ | _IOC_WRITE, ';', 0x99, 0x10), &d, -1, ENOTTY,
		 "ioctl(3, _IOC(_IOC_READ|_IOC_WRITE, 0x3b, 0x99, 0x10), "
		 "%#lx) = -1 ENOTTY (Inappropriate ioctl for device)\n",
		 ul(&d));
	/* The right number with direction bits is another request. */
	trace_is(_IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY, struct iommu_destroy),
		 &d, -1, ENOTTY,
		 "ioctl(3, _IOC(_IOC_READ|_IOC_WRITE, 0x3b, 0x80, 0x8), %#lx) "
		 "= -1 ENOTTY (Inappropriate ioctl for device)\n",
		 ul(&d));
	trace_is(_IOR('x', 1, int), (void *)0x1234, -1, ENOTTY,
		 "ioctl(3, _IOC(_IOC_READ, 0x78, 0x1, 0x4), 0x1234) = -1 "
		 "ENOTTY (Inappropriate ioctl for device)\n");
	trace_is(_IOW('x', 2, int), (void *)0x1234, -1, ENOTTY,
		 "ioctl(3, _IOC(_IOC_WRITE, 0x78, 0x2, 0x4), 0x1234) = -1 "
		 "ENOTTY (Inappropriate ioctl for device)\n");
	trace_is(_IO(IOMMUFD_TYPE, 0x90), NULL, -1, ENOTTY,
		 "ioctl(3, _IOC(_IOC_NONE, 0x3b, 0x90, 0), 0) = -1 ENOTTY "
		 "(Inappropriate ioctl for device)\n");
#if ULONG_MAX > 0xffffffffUL
	/* Only the low 32 bits of the request count. */
	trace_is(IOMMU_DESTROY | 0x1000000000UL, &d, 0, 0,
		 "ioctl(3, IOMMU_DESTROY, {size=8, id=1}) = 0\n");
#endif
}

static void results_and_errno(void **state)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = 1 };
	struct trace_call tc;
	char line[TRACE_LINE_MAX];

	(void)state;
	trace_is(IOMMU_DESTROY, &d, -1, 4095,
		 "ioctl(3, IOMMU_DESTROY, {size=8, id=1}) = -1 ERRNO_4095 "
		 "(Unknown error 4095)\n");
	trace_is(IOMMU_DESTROY, &d, -1, EBUSY,
		 "ioctl(3, IOMMU_DESTROY, {size=8, id=1}) = -1 EBUSY (Device "
		 "or resource busy)\n");

	/* Tracing leaves errno alone, even when its reads fail. */
	errno = EXDEV;
	trace_begin(&tc, 12, IOMMU_IOAS_MAP, (void *)8);
	assert_int_equal(errno, EXDEV);
	trace_finish(&tc, -1, EFAULT, line, sizeof(line));
	assert_int_equal(errno, EXDEV);
	assert_string_equal(line, "ioctl(12, IOMMU_IOAS_MAP, 0x8) = -1 EFAULT "
				  "(Bad address)\n");
}

static void truncation_never_overflows(void **state)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.ioas_id = 1,
		.user_va = 0x10000000,
		.length = 0x1000,
	};
	char full[TRACE_LINE_MAX], buf[TRACE_LINE_MAX + 16];
	struct trace_call tc;
	size_t len, size, n;

	(void)state;
	trace_begin(&tc, FD, IOMMU_IOAS_MAP, &m);
	len = trace_finish(&tc, 0, 0, full, sizeof(full));
	assert_int_equal(len, strlen(full));

	for (size = 0; size <= len + 2; size++) {
		memset(buf, 0x5a, sizeof(buf));
		trace_begin(&tc, FD, IOMMU_IOAS_MAP, &m);
		n = trace_finish(&tc, 0, 0, buf, size);
		/* Nothing written past size. */
		for (size_t i = size; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0x5a);
		if (!size) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, MIN(len, size - 1));
		assert_int_equal(buf[n], '\0');
		assert_int_equal(strlen(buf), n);
		if (size > len) {
			assert_string_equal(buf, full);
		} else if (size >= 5) {
			/* A cut line: a prefix of the full one, then "...\n". */
			assert_memory_equal(buf, full, n - 4);
			assert_string_equal(buf + n - 4, "...\n");
		} else if (n) {
			assert_int_equal(buf[n - 1], '\n');
		}
	}
}

/* The unreadable-pointer and unknown paths with a tiny buffer. */
static void truncation_small_buffers(void **state)
{
	char buf[32];
	struct trace_call tc;
	size_t n;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	trace_begin(&tc, FD, 0xdeadbeef, (void *)8);
	n = trace_finish(&tc, -1, ENOTTY, buf, 16);
	assert_int_equal(n, 15);
	assert_string_equal(buf, "ioctl(3, _I...\n");
	assert_int_equal(buf[16], 0x5a);
	n = trace_finish(&tc, -1, ENOTTY, buf, 5);
	assert_int_equal(n, 4);
	assert_string_equal(buf, "...\n");
	n = trace_finish(&tc, -1, ENOTTY, buf, 2);
	assert_int_equal(n, 1);
	assert_string_equal(buf, "\n");
	n = trace_finish(&tc, -1, ENOTTY, buf, 1);
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ioas_alloc_success_and_failure),
		cmocka_unit_test(unreadable_arg_prints_pointer),
		cmocka_unit_test(size_smaller_than_size_word),
		cmocka_unit_test(size_covers_only_some_fields),
		cmocka_unit_test(size_larger_than_struct),
		cmocka_unit_test(struct_running_into_unmapped_page),
		cmocka_unit_test(ioas_map_lines),
		cmocka_unit_test(unknown_flag_bits),
		cmocka_unit_test(ioas_copy_lines),
		cmocka_unit_test(ioas_unmap_and_destroy_lines),
		cmocka_unit_test(iova_ranges_success),
		cmocka_unit_test(iova_ranges_more_than_eight),
		cmocka_unit_test(iova_ranges_emsgsize_prints_count),
		cmocka_unit_test(iova_ranges_unreadable_array),
		cmocka_unit_test(allow_iovas_lines),
		cmocka_unit_test(allow_iovas_unreadable_array),
		cmocka_unit_test(longest_array_line_fits),
		cmocka_unit_test(option_lines),
		cmocka_unit_test(vfio_ioas_lines),
		cmocka_unit_test(hwpt_alloc_lines),
		cmocka_unit_test(get_hw_info_lines),
		cmocka_unit_test(dirty_tracking_lines),
		cmocka_unit_test(hwpt_invalidate_lines),
		cmocka_unit_test(fault_queue_alloc_lines),
		cmocka_unit_test(test_cmd_lines),
		cmocka_unit_test(vfio_integer_args),
		cmocka_unit_test(vfio_get_info_lines),
		cmocka_unit_test(vfio_get_info_caps),
		cmocka_unit_test(vfio_map_unmap_lines),
		cmocka_unit_test(vfio_dirty_pages_lines),
		cmocka_unit_test(vfio_group_lines),
		cmocka_unit_test(device_get_info_lines),
		cmocka_unit_test(device_get_info_caps),
		cmocka_unit_test(region_info_lines),
		cmocka_unit_test(region_info_caps),
		cmocka_unit_test(longest_region_line_fits),
		cmocka_unit_test(irq_info_lines),
		cmocka_unit_test(set_irqs_eventfds),
		cmocka_unit_test(set_irqs_bools_and_none),
		cmocka_unit_test(device_bad_pointers),
		cmocka_unit_test(device_reset_and_feature),
		cmocka_unit_test(device_cdev_lines),
		cmocka_unit_test(hot_reset_info_lines),
		cmocka_unit_test(pci_hot_reset_lines),
		cmocka_unit_test(device_container_collisions),
		cmocka_unit_test(rw_lines),
		cmocka_unit_test(queue_rw_lines),
		cmocka_unit_test(unknown_requests),
		cmocka_unit_test(results_and_errno),
		cmocka_unit_test(truncation_never_overflows),
		cmocka_unit_test(truncation_small_buffers),
	};

	return cmocka_run_group_tests(tests, pages_setup, pages_teardown);
}
