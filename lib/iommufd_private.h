/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of libuiommufd share: the context and its object table,
 * the ioctl call frame, user memory access and the failure hook.
 *
 * Errors are negative errno values everywhere inside the library; only
 * uiommufd_ioctl() turns them into -1/errno.
 */
#ifndef IOMMUFD_PRIVATE_H
#define IOMMUFD_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"
#include "uiommufd/abi.h"
#include "uiommufd/uiommufd.h"

/* The kernel we mirror is x86-64: its page size and THP size are facts. */
#define IOMMUFD_PAGE_SIZE 4096UL
#define IOMMUFD_PAGE_SHIFT 12
#define IOMMUFD_HPAGE_SIZE (2UL << 20)
#define IOMMUFD_ULONG_MAX UINT64_MAX

#define IOMMUFD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define IOMMUFD_MAX(a, b) ((a) > (b) ? (a) : (b))
#define IOMMUFD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* ---- failure injection (fault_inject.c) ---------------------------- */

/*
 * Every allocation and every pin site asks one of these first, so a test
 * can make the Nth such call of a thread fail and check that the error
 * path leaves nothing changed and nothing leaked. Each is one of the
 * kernel's fault attributes (fault_inject.c says which site is which):
 * iommufd_should_fail() is fail_iommufd, at the kernel's own points;
 * iommufd_should_failslab() a GFP_KERNEL kmalloc of @size bytes;
 * iommufd_should_fail_page() a GFP_KERNEL page allocation of @order.
 */
bool iommufd_should_fail(void);
bool iommufd_should_failslab(size_t size);
bool iommufd_should_fail_page(unsigned int order);
void *iommufd_zalloc(size_t size);
void *iommufd_alloc_array(size_t n, size_t size);
void *iommufd_realloc_array(void *ptr, size_t n, size_t size);
void iommufd_free(void *ptr);

/* Arm the calling thread: its nth site from now fails, whatever the
 * fault attributes say (the unit tests' hook; silent). */
void iommufd_fail_nth_set(unsigned int nth);
/* Disarm; returns true if the armed failure was injected. */
bool iommufd_fail_nth_clear(void);

/* ---- user memory (uaccess.c) --------------------------------------- */

enum {
	IOMMUFD_CAP_IPC_LOCK = 14,
	IOMMUFD_CAP_SYS_RESOURCE = 24,
};

struct iommufd_umem;

/*
 * How the library reaches the memory of the process an ioctl came from:
 * this process, or another one a frontend serves (uiommufd_mm_use(); the
 * shim's children after fork). Addresses are that process's, carried as
 * integers, never dereferenced.
 */
struct iommufd_umem_ops {
	int (*read)(struct iommufd_umem *umem, void *dst, uint64_t src,
		    size_t len);
	int (*write)(struct iommufd_umem *umem, uint64_t dst, const void *src,
		     size_t len);
	/* Fault in [start, start + len) as pin_user_pages would: -EFAULT on
	 * a hole or a missing permission. */
	int (*populate)(struct iommufd_umem *umem, uint64_t start, size_t len,
			bool write);
	bool (*capable)(struct iommufd_umem *umem, int cap);
	uint64_t (*memlock_limit)(struct iommufd_umem *umem);
	/* The last reference went (NULL: a static umem). */
	void (*release)(struct iommufd_umem *umem);
};

/*
 * The process whose memory is used, with the counters the kernel keeps on
 * its mm (locked_vm, pinned_vm) and on its user (locked_vm).
 */
struct iommufd_umem {
	const struct iommufd_umem_ops *ops;
	/* Held by each iopt_pages of this memory and by its users */
	atomic_uint refs;
	atomic_ulong mm_locked_vm;
	atomic_ulong mm_pinned_vm;
	atomic_ulong user_locked_vm;
	/* Every iopt_pages of this memory, for IOMMU_TEST_OP_MD_CHECK_REFS */
	pthread_mutex_t pages_lock;
	struct list_head pages_list;
};

/*
 * The process the running call acts for, like current->mm: this process,
 * unless the calling thread serves another one (uiommufd_mm_use()).
 */
struct iommufd_umem *iommufd_umem_self(void);
/* This process's own memory, whoever the call is for. */
struct iommufd_umem *iommufd_umem_local(void);
void iommufd_umem_get(struct iommufd_umem *umem);
void iommufd_umem_put(struct iommufd_umem *umem);

int iommufd_copy_from_user(struct iommufd_umem *umem, void *dst, uint64_t src,
			   size_t len);
/*
 * The NUL-terminated string at @src into @dst (@size bytes, NUL
 * included): its length, -EFAULT, or -EINVAL if no NUL within @size.
 */
int iommufd_strncpy_from_user(struct iommufd_umem *umem, char *dst,
			      uint64_t src, size_t size);
int iommufd_copy_to_user(struct iommufd_umem *umem, uint64_t dst,
			 const void *src, size_t len);
int iommufd_clear_user(struct iommufd_umem *umem, uint64_t dst, size_t len);
/* 1 if all zero, 0 if not, -EFAULT */
int iommufd_check_zeroed_user(struct iommufd_umem *umem, uint64_t src,
			      size_t len);
/*
 * A struct of @ksize bytes from one of @usize at @src, as the kernel's
 * copy_struct_from_user(): a shorter one is zero-extended, a longer one
 * must be zero past @ksize (-E2BIG), -EFAULT.
 */
int iommufd_copy_struct_from_user(struct iommufd_umem *umem, void *dst,
				  size_t ksize, uint64_t src, size_t usize);

/* ---- objects and context (main.c) ---------------------------------- */

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_SELFTEST,
	IOMMUFD_OBJ_MAX,
};

/*
 * Embedded first in every object. @users counts the table's own reference
 * plus every holder (an ioctl in flight, a dependent object); destroy
 * succeeds only when the table is the last user.
 */
struct iommufd_object {
	atomic_uint users;
	uint32_t id;
	enum iommufd_object_type type;
};

enum {
	IOPT_PAGES_ACCOUNT_NONE = 0,
	IOPT_PAGES_ACCOUNT_USER = 1,
	IOPT_PAGES_ACCOUNT_MM = 2,
};

/*
 * The context. @objects_lock protects the table: @objects[id] is NULL for
 * a free ID, IOMMUFD_OBJ_RESERVED while an object is being built, and the
 * object once published. Free IDs below @next_id sit in a min-heap so the
 * lowest is reused first, as the kernel's allocating xarray does.
 */
struct uiommufd_ctx {
	atomic_uint refs;
	pthread_mutex_t objects_lock;
	struct iommufd_object **objects;
	uint32_t *free_ids;
	uint32_t nr_free_ids;
	uint32_t capacity;
	uint32_t next_id;
	uint32_t nr_objects;
	atomic_uchar account_mode;
	/*
	 * The IOAS the VFIO container ioctls act on, under objects_lock. It
	 * holds no reference: destroying that IOAS clears it.
	 */
	struct iommufd_ioas *vfio_ioas;
	/* A no-IOMMU VFIO group uses this context: no compat IOAS, ever. */
	bool no_iommu_mode;
	/* How files get fds (file.c); NULL: the library's own table */
	const struct uiommufd_fd_ops *fd_ops;
	void *fd_opaque;
};

/* One ioctl in flight: the copied-in struct and where it came from. */
struct iommufd_ucmd {
	struct uiommufd_ctx *ictx;
	uint64_t ubuffer;
	uint32_t user_size;
	void *cmd;
};

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

struct iommufd_object *iommufd_object_alloc_raw(struct uiommufd_ctx *ictx,
						size_t size,
						enum iommufd_object_type type);
#define iommufd_object_alloc(ictx, ptr, type) \
	((__typeof__(ptr))iommufd_object_alloc_raw(ictx, sizeof(*(ptr)), type))
void iommufd_object_finalize(struct uiommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct uiommufd_ctx *ictx,
			  struct iommufd_object *obj);
void iommufd_object_abort_and_destroy(struct uiommufd_ctx *ictx,
				      struct iommufd_object *obj);
struct iommufd_object *iommufd_get_object(struct uiommufd_ctx *ictx,
					  uint32_t id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_object *obj);
int iommufd_object_remove(struct uiommufd_ctx *ictx, uint32_t id,
			  struct iommufd_object *expect);
bool iommufd_lock_obj(struct iommufd_object *obj);
void iommufd_object_destroy_user(struct uiommufd_ctx *ictx,
				 struct iommufd_object *obj);
void iommufd_ctx_get(struct uiommufd_ctx *ictx);
void iommufd_ctx_put(struct uiommufd_ctx *ictx);

/* ---- per-concept ioctl handlers ------------------------------------ */

struct iommufd_ioas;
void iommufd_ioas_destroy(struct iommufd_object *obj);
struct iommufd_ioas *iommufd_get_ioas(struct uiommufd_ctx *ictx, uint32_t id);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option(struct iommufd_ucmd *ucmd);
int iommufd_option_rlimit_mode(struct iommu_option *cmd,
			       struct uiommufd_ctx *ictx);

void iommufd_hwpt_paging_abort(struct iommufd_object *obj);
void iommufd_selftest_destroy(struct iommufd_object *obj);
int iommufd_test(struct iommufd_ucmd *ucmd);

/* ---- VFIO type1 container compatibility (vfio_compat.c) ------------ */

/* The VFIO container ioctls; -ENOTTY for any other request. */
int iommufd_vfio_ioctl(struct uiommufd_ctx *ictx, unsigned int cmd,
		       uint64_t arg);
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
/*
 * For the legacy group path: a group joining a container makes sure the
 * compat IOAS exists (creating one), reads its ID to attach its devices,
 * or, for a no-IOMMU group, rules a compat IOAS out.
 */
int iommufd_vfio_compat_ioas_create(struct uiommufd_ctx *ictx);
int iommufd_vfio_compat_ioas_get_id(struct uiommufd_ctx *ictx,
				    uint32_t *out_ioas_id);
int iommufd_vfio_compat_set_no_iommu(struct uiommufd_ctx *ictx);

#endif /* IOMMUFD_PRIVATE_H */
