/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the iommufd conformance suite.
 *
 * The tests speak the raw uAPI only: open("/dev/iommu"), ioctl() and the
 * structs of <uiommufd/abi.h>. They run unchanged against the real kernel
 * (linked statically and booted in the oracle) and against uiommufd (run
 * under the preload shim), and must pass in both.
 *
 * Every .c file contributes cases with CONF_TEST(name) { ... }; each case is
 * registered by a constructor, so a program is simply the harness
 * (conformance.c) linked with any number of case files. A failing check
 * reports where and why, and ends the case; the resources it took with the
 * conf_* helpers (file descriptors, mappings) are released after every case
 * so cases stay independent.
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <uiommufd/abi.h>

/* ---------------------------------------------------------------------- */
/* Registration                                                            */
/* ---------------------------------------------------------------------- */

struct conf_test {
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
	struct conf_test *next;
};

void conf_register(struct conf_test *test);

/* Define and register a case: CONF_TEST(map_basic) { ... } */
#define CONF_TEST(tname)                                                \
	static void conf_fn_##tname(void);                              \
	static struct conf_test conf_test_##tname = {                   \
		.name = #tname,                                         \
		.fn = conf_fn_##tname,                                  \
		.file = __FILE__,                                       \
		.line = __LINE__,                                       \
	};                                                              \
	__attribute__((constructor)) static void conf_reg_##tname(void) \
	{                                                               \
		conf_register(&conf_test_##tname);                      \
	}                                                               \
	static void conf_fn_##tname(void)

/* ---------------------------------------------------------------------- */
/* Checks: each one ends the current case on failure                       */
/* ---------------------------------------------------------------------- */

__attribute__((noreturn, format(printf, 3, 4))) void
conf_fail(const char *file, int line, const char *fmt, ...);
__attribute__((noreturn, format(printf, 3, 4))) void
conf_skip(const char *file, int line, const char *fmt, ...);
void conf_check_ok(const char *file, int line, const char *expr, long rc,
		   int err);
void conf_check_errno(const char *file, int line, const char *expr,
		      int expected, long rc, int err);
void conf_check_eq(const char *file, int line, const char *expr,
		   const char *expected_expr, uint64_t actual,
		   uint64_t expected);
const char *conf_errname(int err);

/* A condition that must hold. */
#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			conf_fail(__FILE__, __LINE__, "check failed: %s", \
				  #cond);                                 \
	} while (0)

/* @call (an ioctl() or similar) must return 0. */
#define EXPECT_OK(call)                                                    \
	do {                                                               \
		long conf_rc_;                                             \
		errno = 0;                                                 \
		conf_rc_ = (call);                                         \
		conf_check_ok(__FILE__, __LINE__, #call, conf_rc_, errno); \
	} while (0)

/* @call must fail: return -1 with errno @err. */
#define EXPECT_ERRNO(err, call)                                              \
	do {                                                                 \
		long conf_rc_;                                               \
		errno = 0;                                                   \
		conf_rc_ = (call);                                           \
		conf_check_errno(__FILE__, __LINE__, #call, (err), conf_rc_, \
				 errno);                                     \
	} while (0)

/* An output value: @actual must equal @expected (compared as u64). */
#define EXPECT_EQ(actual, expected)                           \
	conf_check_eq(__FILE__, __LINE__, #actual, #expected, \
		      (uint64_t)(actual), (uint64_t)(expected))

/* Context printed with the next failure of this case (e.g. a loop index). */
__attribute__((format(printf, 1, 2))) void conf_note(const char *fmt, ...);

/* End the case as skipped (the environment cannot exercise it). */
#define SKIP(...) conf_skip(__FILE__, __LINE__, __VA_ARGS__)

/*
 * Running under uiommufd-run? Only for the few cases that check a
 * difference from the kernel the README documents: they skip there,
 * saying which, and the difference has a test of its own.
 */
bool conf_under_uiommufd(void);

/* ---------------------------------------------------------------------- */
/* Resources, released after every case                                    */
/* ---------------------------------------------------------------------- */

#define PAGE_SZ 4096UL
#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define MAP_FIXED_RW (MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA)

/* open("/dev/iommu", O_RDWR); the descriptor is closed after the case. */
#define conf_open() conf_open_at(__FILE__, __LINE__)
int conf_open_at(const char *file, int line);
/* open("/dev/vfio/vfio", O_RDWR), the VFIO container; closed after the case. */
#define conf_open_vfio() conf_open_vfio_at(__FILE__, __LINE__)
int conf_open_vfio_at(const char *file, int line);
/* Close @fd after the case, too (fails the case if @fd < 0). */
#define conf_adopt_fd(fd) conf_adopt_fd_at(__FILE__, __LINE__, fd)
int conf_adopt_fd_at(const char *file, int line, int fd);
/* Forget a descriptor the case closed itself. */
void conf_forget_fd(int fd);

/*
 * Anonymous read/write memory of @len bytes whose start is aligned to
 * @align (a power of two, at least a page). Unmapped after the case.
 */
#define conf_mem(len, align) conf_mem_at(__FILE__, __LINE__, len, align)
void *conf_mem_at(const char *file, int line, size_t len, size_t align);

/*
 * @len zeroed read/write bytes that end exactly where an inaccessible
 * (PROT_NONE) page begins: touching one byte more faults.
 */
#define conf_guarded(len) conf_guarded_at(__FILE__, __LINE__, len)
void *conf_guarded_at(const char *file, int line, size_t len);

/* Make the pages holding [p, p + len) read-only. */
#define conf_readonly(p, len) conf_readonly_at(__FILE__, __LINE__, p, len)
void conf_readonly_at(const char *file, int line, void *p, size_t len);

/* Is @cap in the effective capability set of this process (capget)? */
bool conf_has_cap(int cap);
/*
 * Add @cap to or remove it from the effective set (capset); adding works
 * only if it is permitted. The set the case started with is restored after
 * the case. Returns whether the effective set now matches @on.
 */
bool conf_set_cap(int cap, bool on);

/*
 * Set the soft RLIMIT_MEMLOCK to @bytes (at most the hard limit); the limits
 * the case started with are restored after the case. Returns whether
 * setrlimit succeeded.
 */
bool conf_set_memlock(uint64_t bytes);

/* ---------------------------------------------------------------------- */
/* Short-hands for setting the scene; they fail the case on any error      */
/* ---------------------------------------------------------------------- */

#define ioas_alloc(fd) conf_ioas_alloc_at(__FILE__, __LINE__, fd)
uint32_t conf_ioas_alloc_at(const char *file, int line, int fd);

#define ioas_destroy(fd, id) conf_destroy_at(__FILE__, __LINE__, fd, id)
void conf_destroy_at(const char *file, int line, int fd, uint32_t id);

/* MAP with FIXED_IOVA | READABLE | WRITEABLE. */
#define map_fixed(fd, ioas, va, len, iova) \
	conf_map_fixed_at(__FILE__, __LINE__, fd, ioas, va, len, iova)
void conf_map_fixed_at(const char *file, int line, int fd, uint32_t ioas,
		       const void *va, uint64_t len, uint64_t iova);

/* MAP with READABLE | WRITEABLE at a kernel-chosen IOVA, returned. */
#define map_auto(fd, ioas, va, len) \
	conf_map_auto_at(__FILE__, __LINE__, fd, ioas, va, len)
uint64_t conf_map_auto_at(const char *file, int line, int fd, uint32_t ioas,
			  const void *va, uint64_t len);

/* UNMAP; returns the number of bytes unmapped. */
#define unmap(fd, ioas, iova, len) \
	conf_unmap_at(__FILE__, __LINE__, fd, ioas, iova, len)
uint64_t conf_unmap_at(const char *file, int line, int fd, uint32_t ioas,
		       uint64_t iova, uint64_t len);

/*
 * Anonymous memory of @len bytes, faulted in (filled with 0x5a) and kept
 * out of transparent huge pages. Unmapped after the case.
 */
#define touched(len) conf_touched_at(__FILE__, __LINE__, len)
void *conf_touched_at(const char *file, int line, size_t len);

/* Raw requests: return ioctl()'s result, leaving errno to the caller. */
int conf_destroy(int fd, uint32_t id);
/* IOMMU_TEST_CMD with @cmd->size set. */
int conf_test_cmd(int fd, struct iommu_test_cmd *cmd);
int conf_check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len,
		   const void *uptr);
int conf_check_refs(int fd, const void *uptr, uint64_t len, uint32_t refs);
/* The IDs IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS) gives back. */
struct conf_mock_dev {
	uint32_t stdev_id;
	uint32_t idev_id;
	uint32_t hwpt_id;
};
/*
 * MOCK_DOMAIN (or MOCK_DOMAIN_FLAGS when @flags_op) onto @pt_id (an IOAS or
 * a HWPT); the IDs in *@dev when not NULL.
 */
int conf_mock_domain(int fd, bool flags_op, uint32_t pt_id, uint32_t dev_flags,
		     struct conf_mock_dev *dev);
/*
 * MOCK_DOMAIN_REPLACE of mock device @stdev_id onto @pt_id; the HWPT it
 * ends up on in *@out when not NULL.
 */
int conf_mock_replace(int fd, uint32_t stdev_id, uint32_t pt_id, uint32_t *out);
/* HWPT_ALLOC of a paging HWPT; its ID in *@out when not NULL. */
int conf_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		    uint32_t *out);
int conf_map(int fd, uint32_t ioas, uint32_t flags, const void *va,
	     uint64_t len, uint64_t *iova);
int conf_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t *len);
int conf_copy(int fd, uint32_t dst_ioas, uint32_t src_ioas, uint32_t flags,
	      uint64_t src_iova, uint64_t len, uint64_t *dst_iova);
int conf_allow(int fd, uint32_t ioas, const struct iommu_iova_range *ranges,
	       uint32_t num);
int conf_option(int fd, uint32_t option_id, uint16_t op, uint32_t object_id,
		uint64_t *val64);

/* A mock device on @pt_id with its own mock domain (MOCK_DOMAIN_FLAGS when
 * @flags is not 0); fails the case on error. */
#define mock_domain(fd, pt_id) \
	conf_mock_domain_at(__FILE__, __LINE__, fd, pt_id, 0)
#define mock_domain_flags(fd, pt_id, flags) \
	conf_mock_domain_at(__FILE__, __LINE__, fd, pt_id, flags)
struct conf_mock_dev conf_mock_domain_at(const char *file, int line, int fd,
					 uint32_t pt_id, uint32_t dev_flags);

/* Is [iova, iova + len) mapped as exactly one area? Probes with UNMAP+MAP. */
#define EXPECT_MAPPED(fd, ioas, va, iova, len) \
	conf_expect_mapped_at(__FILE__, __LINE__, fd, ioas, va, iova, len)
void conf_expect_mapped_at(const char *file, int line, int fd, uint32_t ioas,
			   const void *va, uint64_t iova, uint64_t len);

/* Is nothing mapped in [iova, iova + len)? Probes with a fixed MAP. */
#define EXPECT_UNMAPPED(fd, ioas, va, iova, len) \
	conf_expect_unmapped_at(__FILE__, __LINE__, fd, ioas, va, iova, len)
void conf_expect_unmapped_at(const char *file, int line, int fd, uint32_t ioas,
			     const void *va, uint64_t iova, uint64_t len);

#endif /* CONFORMANCE_H */
