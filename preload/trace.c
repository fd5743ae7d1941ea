/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoding of emulated ioctls into strace-style lines.
 *
 * Every known ioctl is one row of trace_ioctls[] (at the end of this file):
 * its number, its name, the kind of argument it takes and, for a struct
 * argument, a layout. A layout lists the struct's fields in order, each with
 * its offset, width, print format and direction: input fields print from a
 * snapshot taken before the call, output fields from the struct as it is
 * after a successful call, after " => ". A field may carry a condition on
 * the input struct (an op or a flag) and may be a nested struct or a pointer
 * to an array whose first elements are decoded. Adding an ioctl is adding a
 * layout and a row.
 *
 * VFIO numbers its container, group and device ioctls from one base, and
 * some container and device ioctls share numbers: each row says on which
 * kinds of file (enum trace_fd_kind) it is decoded.
 *
 * User memory is read only with process_vm_readv() on our own pid (or on
 * the forked child whose call is decoded, see trace_set_pid()), which
 * fails cleanly on bad addresses instead of faulting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uiommufd/abi.h"

#include "trace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Longest string argument printed; longer ones end in "...". */
#define TRACE_STR_MAX 64

/* ---- description tables: types ---------------------------------------- */

/* A named value: an enum value, or one bit (or mask) of a flags word. */
struct tr_sym {
	uint64_t val;
	const char *name;
};

#define SYM(x)          \
	{               \
		(x), #x \
	}
#define SYM_END         \
	{               \
		0, NULL \
	}

enum tr_fmt {
	T_DEC, /* unsigned decimal: ids, counts, sizes */
	T_INT, /* signed decimal: file descriptors */
	T_HEX, /* 0x...: addresses, iovas, lengths */
	T_FLAGS, /* names joined by '|', unknown bits in hex */
	T_ENUM, /* a name, or the number in decimal */
	T_BYTES, /* a byte array of .width elements: [0, 0, 0] */
	T_STRUCT, /* a nested struct: name={...} */
	T_ARRAY, /* an array, by u64 pointer or inline: name=[{...}, ...] */
	T_VFIO_CAPS, /* u32 offset of a VFIO capability chain: caps=[...] */
};

/* Which capabilities a T_VFIO_CAPS chain holds: their ids overlap. */
enum tr_caps {
	CAPS_TYPE1, /* VFIO_IOMMU_GET_INFO */
	CAPS_DEVICE, /* VFIO_DEVICE_GET_INFO */
	CAPS_REGION, /* VFIO_DEVICE_GET_REGION_INFO */
};

enum tr_dir {
	D_IN = 1,
	D_OUT = 2,
	D_INOUT = 3,
};

/* Print the field only when the input struct satisfies a condition. */
enum tr_cond {
	C_ALWAYS,
	C_EQ, /* field == val */
	C_NE, /* field != val */
	C_SET, /* field & val */
	/* Tested on the struct after the call; never true before it. */
	C_OUT_SET, /* field & val */
	C_OUT_CLEAR, /* !(field & val) */
};

struct tr_layout;
struct tr_array;

struct tr_field {
	const char *name;
	uint16_t off; /* from the start of the enclosing struct */
	uint8_t width; /* bytes: 1, 2, 4 or 8; T_BYTES: element count */
	uint8_t fmt; /* enum tr_fmt */
	uint8_t dir; /* enum tr_dir */
	uint8_t cond; /* enum tr_cond, tested on the top-level input struct */
	uint8_t cond_width;
	uint8_t caps; /* T_VFIO_CAPS: enum tr_caps */
	uint16_t cond_off;
	uint32_t cond_val;
	const struct tr_sym *syms; /* T_FLAGS, T_ENUM */
	const struct tr_layout *sub; /* T_STRUCT */
	const struct tr_array *arr; /* T_ARRAY */
};

struct tr_layout {
	uint32_t size; /* bytes known; the caller's size may be more or less */
	uint32_t nfields;
	const struct tr_field *fields;
};

/* One element type of an array, chosen by a type field of the parent. */
struct tr_elem_kind {
	uint32_t type;
	const struct tr_layout *layout;
};

/*
 * The array of a T_ARRAY field: pointed to by the u64 field or, inline, the
 * flexible array member at the field's offset (the field's width is 0 then,
 * and only elements inside the caller's size word are decoded). The element
 * count, and optionally the element stride and type, are u32 fields of the
 * same struct. An element layout of one unnamed field prints as a bare
 * value. Arrays are decoded only in top-level structs, and only one input
 * array per struct, read before the call.
 */
struct tr_array {
	bool in_struct; /* inline, not by pointer */
	uint16_t count_off;
	int16_t stride_off; /* -1: the element layout's size */
	int16_t type_off; /* -1: kinds[0] */
	uint16_t nkinds;
	const struct tr_elem_kind *kinds;
};

enum tr_arg {
	A_NONE, /* no argument: ioctl(3, VFIO_GET_API_VERSION) */
	A_INT, /* an integer, by name from .syms if known */
	A_INTPTR, /* a pointer to an int: [5] */
	A_STRING, /* a pointer to a NUL-terminated string */
	A_STRUCT, /* a pointer to a struct described by .layout */
};

/* The kinds of file a row is decoded on; 0 means K_IOMMU. */
#define K_IOMMU (1u << TRACE_FD_IOMMU)
#define K_GROUP (1u << TRACE_FD_VFIO_GROUP)
#define K_DEVICE (1u << TRACE_FD_VFIO_DEVICE)

struct tr_ioctl {
	uint32_t request;
	uint8_t arg; /* enum tr_arg */
	uint8_t kinds; /* K_* */
	/* Also print the output (without arrays) on failure with this errno. */
	int out_errno;
	const char *name;
	const struct tr_layout *layout;
	const struct tr_sym *syms;
};

/* A scalar field of struct st. */
#define F(st, f, fmt_, dir_, ...)                                    \
	{                                                            \
		.name = #f, .off = offsetof(struct st, f),           \
		.width = sizeof(((struct st *)0)->f), .fmt = (fmt_), \
		.dir = (dir_), ##__VA_ARGS__                         \
	}
/* A scalar field f of the union member m of struct st, relative to m. */
#define FM(st, m, f, fmt_, dir_, ...)                                     \
	{                                                                 \
		.name = #f,                                               \
		.off = offsetof(struct st, m.f) - offsetof(struct st, m), \
		.width = sizeof(((struct st *)0)->m.f), .fmt = (fmt_),    \
		.dir = (dir_), ##__VA_ARGS__                              \
	}
/* A nested struct at field f of struct st, described by layout sub_. */
#define FS(st, f, sub_, ...)                                                \
	{                                                                   \
		.name = #f, .off = offsetof(struct st, f), .fmt = T_STRUCT, \
		.dir = D_INOUT, .sub = &(sub_), ##__VA_ARGS__               \
	}
/* Conditions, on field f of the top-level struct st. */
#define COND(c, st, f, v)                                \
	.cond = (c), .cond_off = offsetof(struct st, f), \
	.cond_width = sizeof(((struct st *)0)->f), .cond_val = (v)
#define IF_EQ(st, f, v) COND(C_EQ, st, f, v)
#define IF_NE(st, f, v) COND(C_NE, st, f, v)
#define IF_SET(st, f, v) COND(C_SET, st, f, v)
#define IF_OUT_SET(st, f, v) COND(C_OUT_SET, st, f, v)
#define IF_OUT_CLEAR(st, f, v) COND(C_OUT_CLEAR, st, f, v)
/* The inline flexible array member f of struct st, described by arr_. */
#define FA(st, f, dir_, arr_, ...)                                           \
	{                                                                    \
		.name = #f, .off = offsetof(struct st, f), .width = 0,       \
		.fmt = T_ARRAY, .dir = (dir_), .arr = &(arr_), ##__VA_ARGS__ \
	}
/* The capability chain at the cap_offset field of struct st. */
#define FCAPS(st, caps_)                                                      \
	{                                                                     \
		.name = "caps", .off = offsetof(struct st, cap_offset),       \
		.width = 4, .fmt = T_VFIO_CAPS, .dir = D_OUT, .caps = (caps_) \
	}

#define LAYOUT(n, sz)                                \
	static const struct tr_layout n##_layout = { \
		.size = (sz),                        \
		.nfields = ARRAY_SIZE(n##_fields),   \
		.fields = n##_fields,                \
	}

/* ---- symbols ------------------------------------------------------------ */

static const struct tr_sym ioas_map_flags[] = {
	SYM(IOMMU_IOAS_MAP_FIXED_IOVA),
	SYM(IOMMU_IOAS_MAP_WRITEABLE),
	SYM(IOMMU_IOAS_MAP_READABLE),
	SYM_END,
};

static const struct tr_sym option_ids[] = {
	SYM(IOMMU_OPTION_RLIMIT_MODE),
	SYM(IOMMU_OPTION_HUGE_PAGES),
	SYM_END,
};

static const struct tr_sym option_ops[] = {
	SYM(IOMMU_OPTION_OP_SET),
	SYM(IOMMU_OPTION_OP_GET),
	SYM_END,
};

static const struct tr_sym vfio_ioas_ops[] = {
	SYM(IOMMU_VFIO_IOAS_GET),
	SYM(IOMMU_VFIO_IOAS_SET),
	SYM(IOMMU_VFIO_IOAS_CLEAR),
	SYM_END,
};

static const struct tr_sym hwpt_alloc_flags[] = {
	SYM(IOMMU_HWPT_ALLOC_NEST_PARENT),
	SYM(IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
	SYM(IOMMU_HWPT_FAULT_ID_VALID),
	SYM_END,
};

static const struct tr_sym hwpt_data_types[] = {
	SYM(IOMMU_HWPT_DATA_NONE),
	SYM(IOMMU_HWPT_DATA_VTD_S1),
	SYM(IOMMU_HWPT_DATA_SELFTEST),
	SYM_END,
};

static const struct tr_sym hw_info_types[] = {
	SYM(IOMMU_HW_INFO_TYPE_NONE),
	SYM(IOMMU_HW_INFO_TYPE_INTEL_VTD),
	SYM(IOMMU_HW_INFO_TYPE_SELFTEST),
	SYM_END,
};

static const struct tr_sym hw_caps[] = {
	SYM(IOMMU_HW_CAP_DIRTY_TRACKING),
	SYM(IOMMU_HW_CAP_PCI_PASID_EXEC),
	SYM(IOMMU_HW_CAP_PCI_PASID_PRIV),
	SYM_END,
};

static const struct tr_sym set_dirty_tracking_flags[] = {
	SYM(IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
	SYM_END,
};

static const struct tr_sym get_dirty_bitmap_flags[] = {
	SYM(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
	SYM_END,
};

static const struct tr_sym invalidate_data_types[] = {
	SYM(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1),
	SYM(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST),
	SYM(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID),
	SYM_END,
};

static const struct tr_sym vtd_invalidate_flags[] = {
	SYM(IOMMU_VTD_INV_FLAGS_LEAF),
	SYM_END,
};

static const struct tr_sym selftest_invalidate_flags[] = {
	SYM(IOMMU_TEST_INVALIDATE_FLAG_ALL),
	SYM_END,
};

static const struct tr_sym pgfault_perms[] = {
	SYM(IOMMU_PGFAULT_PERM_READ),
	SYM(IOMMU_PGFAULT_PERM_WRITE),
	SYM(IOMMU_PGFAULT_PERM_EXEC),
	SYM(IOMMU_PGFAULT_PERM_PRIV),
	SYM_END,
};

static const struct tr_sym test_ops[] = {
	SYM(IOMMU_TEST_OP_ADD_RESERVED),
	SYM(IOMMU_TEST_OP_MOCK_DOMAIN),
	SYM(IOMMU_TEST_OP_MD_CHECK_MAP),
	SYM(IOMMU_TEST_OP_MD_CHECK_REFS),
	SYM(IOMMU_TEST_OP_CREATE_ACCESS),
	SYM(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES),
	SYM(IOMMU_TEST_OP_ACCESS_PAGES),
	SYM(IOMMU_TEST_OP_ACCESS_RW),
	SYM(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT),
	SYM(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE),
	SYM(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS),
	SYM(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS),
	SYM(IOMMU_TEST_OP_DIRTY),
	SYM(IOMMU_TEST_OP_MD_CHECK_IOTLB),
	SYM(IOMMU_TEST_OP_TRIGGER_IOPF),
	SYM_END,
};

static const struct tr_sym mock_device_flags[] = {
	SYM(MOCK_FLAGS_DEVICE_NO_DIRTY),
	SYM(MOCK_FLAGS_DEVICE_HUGE_IOVA),
	SYM_END,
};

static const struct tr_sym mock_create_access_flags[] = {
	SYM(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES),
	SYM_END,
};

static const struct tr_sym mock_access_pages_flags[] = {
	SYM(MOCK_FLAGS_ACCESS_WRITE),
	SYM(MOCK_FLAGS_ACCESS_SYZ),
	SYM_END,
};

static const struct tr_sym mock_access_rw_flags[] = {
	SYM(MOCK_ACCESS_RW_WRITE),
	SYM(MOCK_ACCESS_RW_SLOW_PATH),
	SYM_END,
};

static const struct tr_sym vfio_extensions[] = {
	SYM(VFIO_TYPE1_IOMMU),
	SYM(VFIO_SPAPR_TCE_IOMMU),
	SYM(VFIO_TYPE1v2_IOMMU),
	SYM(VFIO_DMA_CC_IOMMU),
	SYM(VFIO_EEH),
	SYM(VFIO_TYPE1_NESTING_IOMMU),
	SYM(VFIO_SPAPR_TCE_v2_IOMMU),
	SYM(VFIO_NOIOMMU_IOMMU),
	SYM(VFIO_UNMAP_ALL),
	SYM(VFIO_UPDATE_VADDR),
	SYM_END,
};

static const struct tr_sym vfio_group_flags[] = {
	SYM(VFIO_GROUP_FLAGS_VIABLE),
	SYM(VFIO_GROUP_FLAGS_CONTAINER_SET),
	SYM_END,
};

static const struct tr_sym vfio_info_flags[] = {
	SYM(VFIO_IOMMU_INFO_PGSIZES),
	SYM(VFIO_IOMMU_INFO_CAPS),
	SYM_END,
};

static const struct tr_sym vfio_dma_map_flags[] = {
	SYM(VFIO_DMA_MAP_FLAG_READ),
	SYM(VFIO_DMA_MAP_FLAG_WRITE),
	SYM(VFIO_DMA_MAP_FLAG_VADDR),
	SYM_END,
};

static const struct tr_sym vfio_dma_unmap_flags[] = {
	SYM(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP),
	SYM(VFIO_DMA_UNMAP_FLAG_ALL),
	SYM(VFIO_DMA_UNMAP_FLAG_VADDR),
	SYM_END,
};

static const struct tr_sym vfio_dirty_pages_flags[] = {
	SYM(VFIO_IOMMU_DIRTY_PAGES_FLAG_START),
	SYM(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP),
	SYM(VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP),
	SYM_END,
};

static const struct tr_sym vfio_device_flags[] = {
	SYM(VFIO_DEVICE_FLAGS_RESET),	 SYM(VFIO_DEVICE_FLAGS_PCI),
	SYM(VFIO_DEVICE_FLAGS_PLATFORM), SYM(VFIO_DEVICE_FLAGS_AMBA),
	SYM(VFIO_DEVICE_FLAGS_CCW),	 SYM(VFIO_DEVICE_FLAGS_AP),
	SYM(VFIO_DEVICE_FLAGS_FSL_MC),	 SYM(VFIO_DEVICE_FLAGS_CAPS),
	SYM(VFIO_DEVICE_FLAGS_CDX),	 SYM_END,
};

static const struct tr_sym vfio_region_flags[] = {
	SYM(VFIO_REGION_INFO_FLAG_READ),
	SYM(VFIO_REGION_INFO_FLAG_WRITE),
	SYM(VFIO_REGION_INFO_FLAG_MMAP),
	SYM(VFIO_REGION_INFO_FLAG_CAPS),
	SYM_END,
};

static const struct tr_sym vfio_pci_regions[] = {
	SYM(VFIO_PCI_BAR0_REGION_INDEX), SYM(VFIO_PCI_BAR1_REGION_INDEX),
	SYM(VFIO_PCI_BAR2_REGION_INDEX), SYM(VFIO_PCI_BAR3_REGION_INDEX),
	SYM(VFIO_PCI_BAR4_REGION_INDEX), SYM(VFIO_PCI_BAR5_REGION_INDEX),
	SYM(VFIO_PCI_ROM_REGION_INDEX),	 SYM(VFIO_PCI_CONFIG_REGION_INDEX),
	SYM(VFIO_PCI_VGA_REGION_INDEX),	 SYM_END,
};

static const struct tr_sym vfio_irq_info_flags[] = {
	SYM(VFIO_IRQ_INFO_EVENTFD),
	SYM(VFIO_IRQ_INFO_MASKABLE),
	SYM(VFIO_IRQ_INFO_AUTOMASKED),
	SYM(VFIO_IRQ_INFO_NORESIZE),
	SYM_END,
};

static const struct tr_sym vfio_pci_irqs[] = {
	SYM(VFIO_PCI_INTX_IRQ_INDEX), SYM(VFIO_PCI_MSI_IRQ_INDEX),
	SYM(VFIO_PCI_MSIX_IRQ_INDEX), SYM(VFIO_PCI_ERR_IRQ_INDEX),
	SYM(VFIO_PCI_REQ_IRQ_INDEX),  SYM_END,
};

static const struct tr_sym vfio_irq_set_flags[] = {
	SYM(VFIO_IRQ_SET_DATA_NONE),
	SYM(VFIO_IRQ_SET_DATA_BOOL),
	SYM(VFIO_IRQ_SET_DATA_EVENTFD),
	SYM(VFIO_IRQ_SET_ACTION_MASK),
	SYM(VFIO_IRQ_SET_ACTION_UNMASK),
	SYM(VFIO_IRQ_SET_ACTION_TRIGGER),
	SYM_END,
};

static const struct tr_sym vfio_hot_reset_flags[] = {
	SYM(VFIO_PCI_HOT_RESET_FLAG_DEV_ID),
	SYM(VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED),
	SYM_END,
};

/* A devid of VFIO_PCI_HOT_RESET_FLAG_DEV_ID; real ids are never 0. */
static const struct tr_sym vfio_pci_devids[] = {
	SYM(VFIO_PCI_DEVID_OWNED),
	{ (uint32_t)VFIO_PCI_DEVID_NOT_OWNED, "VFIO_PCI_DEVID_NOT_OWNED" },
	SYM_END,
};

/* The feature number, in the low 16 bits, prints in hex after these. */
static const struct tr_sym vfio_feature_flags[] = {
	SYM(VFIO_DEVICE_FEATURE_GET),
	SYM(VFIO_DEVICE_FEATURE_SET),
	SYM(VFIO_DEVICE_FEATURE_PROBE),
	SYM_END,
};

/* ---- array elements ------------------------------------------------------ */

static const struct tr_field iova_range_fields[] = {
	F(iommu_iova_range, start, T_HEX, D_INOUT),
	F(iommu_iova_range, last, T_HEX, D_INOUT),
};
LAYOUT(iova_range, sizeof(struct iommu_iova_range));

static const struct tr_elem_kind iova_range_kinds[] = {
	{ 0, &iova_range_layout },
};

static const struct tr_field vtd_s1_invalidate_fields[] = {
	F(iommu_hwpt_vtd_s1_invalidate, addr, T_HEX, D_INOUT),
	F(iommu_hwpt_vtd_s1_invalidate, npages, T_DEC, D_INOUT),
	F(iommu_hwpt_vtd_s1_invalidate, flags, T_FLAGS, D_INOUT,
	  .syms = vtd_invalidate_flags),
	F(iommu_hwpt_vtd_s1_invalidate, __reserved, T_DEC, D_INOUT),
};
LAYOUT(vtd_s1_invalidate, sizeof(struct iommu_hwpt_vtd_s1_invalidate));

static const struct tr_field selftest_invalidate_fields[] = {
	F(iommu_hwpt_invalidate_selftest, flags, T_FLAGS, D_INOUT,
	  .syms = selftest_invalidate_flags),
	F(iommu_hwpt_invalidate_selftest, iotlb_id, T_DEC, D_INOUT),
};
LAYOUT(selftest_invalidate, sizeof(struct iommu_hwpt_invalidate_selftest));

static const struct tr_elem_kind invalidate_kinds[] = {
	{ IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &vtd_s1_invalidate_layout },
	{ IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, &selftest_invalidate_layout },
};

static const struct tr_array allow_iovas_array = {
	.count_off = offsetof(struct iommu_ioas_allow_iovas, num_iovas),
	.stride_off = -1,
	.type_off = -1,
	.nkinds = ARRAY_SIZE(iova_range_kinds),
	.kinds = iova_range_kinds,
};

static const struct tr_array iova_ranges_array = {
	.count_off = offsetof(struct iommu_ioas_iova_ranges, num_iovas),
	.stride_off = -1,
	.type_off = -1,
	.nkinds = ARRAY_SIZE(iova_range_kinds),
	.kinds = iova_range_kinds,
};

static const struct tr_array invalidate_array = {
	.count_off = offsetof(struct iommu_hwpt_invalidate, entry_num),
	.stride_off = offsetof(struct iommu_hwpt_invalidate, entry_len),
	.type_off = offsetof(struct iommu_hwpt_invalidate, data_type),
	.nkinds = ARRAY_SIZE(invalidate_kinds),
	.kinds = invalidate_kinds,
};

/* ---- iommufd layouts ----------------------------------------------------- */

static const struct tr_field destroy_fields[] = {
	F(iommu_destroy, size, T_DEC, D_IN),
	F(iommu_destroy, id, T_DEC, D_IN),
};
LAYOUT(destroy, sizeof(struct iommu_destroy));

static const struct tr_field ioas_alloc_fields[] = {
	F(iommu_ioas_alloc, size, T_DEC, D_IN),
	F(iommu_ioas_alloc, flags, T_FLAGS, D_IN),
	F(iommu_ioas_alloc, out_ioas_id, T_DEC, D_OUT),
};
LAYOUT(ioas_alloc, sizeof(struct iommu_ioas_alloc));

static const struct tr_field ioas_allow_iovas_fields[] = {
	F(iommu_ioas_allow_iovas, size, T_DEC, D_IN),
	F(iommu_ioas_allow_iovas, ioas_id, T_DEC, D_IN),
	F(iommu_ioas_allow_iovas, num_iovas, T_DEC, D_IN),
	F(iommu_ioas_allow_iovas, __reserved, T_DEC, D_IN),
	F(iommu_ioas_allow_iovas, allowed_iovas, T_ARRAY, D_IN,
	  .arr = &allow_iovas_array),
};
LAYOUT(ioas_allow_iovas, sizeof(struct iommu_ioas_allow_iovas));

static const struct tr_field ioas_copy_fields[] = {
	F(iommu_ioas_copy, size, T_DEC, D_IN),
	F(iommu_ioas_copy, flags, T_FLAGS, D_IN, .syms = ioas_map_flags),
	F(iommu_ioas_copy, dst_ioas_id, T_DEC, D_IN),
	F(iommu_ioas_copy, src_ioas_id, T_DEC, D_IN),
	F(iommu_ioas_copy, length, T_HEX, D_IN),
	F(iommu_ioas_copy, dst_iova, T_HEX, D_INOUT),
	F(iommu_ioas_copy, src_iova, T_HEX, D_IN),
};
LAYOUT(ioas_copy, sizeof(struct iommu_ioas_copy));

/* The output lists the array last, after the alignment. */
static const struct tr_field ioas_iova_ranges_fields[] = {
	F(iommu_ioas_iova_ranges, size, T_DEC, D_IN),
	F(iommu_ioas_iova_ranges, ioas_id, T_DEC, D_IN),
	F(iommu_ioas_iova_ranges, num_iovas, T_DEC, D_INOUT),
	F(iommu_ioas_iova_ranges, __reserved, T_DEC, D_IN),
	F(iommu_ioas_iova_ranges, allowed_iovas, T_HEX, D_IN),
	F(iommu_ioas_iova_ranges, out_iova_alignment, T_HEX, D_OUT),
	F(iommu_ioas_iova_ranges, allowed_iovas, T_ARRAY, D_OUT,
	  .arr = &iova_ranges_array),
};
LAYOUT(ioas_iova_ranges, sizeof(struct iommu_ioas_iova_ranges));

static const struct tr_field ioas_map_fields[] = {
	F(iommu_ioas_map, size, T_DEC, D_IN),
	F(iommu_ioas_map, flags, T_FLAGS, D_IN, .syms = ioas_map_flags),
	F(iommu_ioas_map, ioas_id, T_DEC, D_IN),
	F(iommu_ioas_map, __reserved, T_DEC, D_IN),
	F(iommu_ioas_map, user_va, T_HEX, D_IN),
	F(iommu_ioas_map, length, T_HEX, D_IN),
	F(iommu_ioas_map, iova, T_HEX, D_INOUT),
};
LAYOUT(ioas_map, sizeof(struct iommu_ioas_map));

static const struct tr_field ioas_unmap_fields[] = {
	F(iommu_ioas_unmap, size, T_DEC, D_IN),
	F(iommu_ioas_unmap, ioas_id, T_DEC, D_IN),
	F(iommu_ioas_unmap, iova, T_HEX, D_IN),
	F(iommu_ioas_unmap, length, T_HEX, D_INOUT),
};
LAYOUT(ioas_unmap, sizeof(struct iommu_ioas_unmap));

/* val64 is an input of SET and the output of GET. */
static const struct tr_field option_fields[] = {
	F(iommu_option, size, T_DEC, D_IN),
	F(iommu_option, option_id, T_ENUM, D_IN, .syms = option_ids),
	F(iommu_option, op, T_ENUM, D_IN, .syms = option_ops),
	F(iommu_option, __reserved, T_DEC, D_IN),
	F(iommu_option, object_id, T_DEC, D_IN),
	F(iommu_option, val64, T_DEC, D_IN,
	  IF_NE(iommu_option, op, IOMMU_OPTION_OP_GET)),
	F(iommu_option, val64, T_DEC, D_OUT,
	  IF_EQ(iommu_option, op, IOMMU_OPTION_OP_GET)),
};
LAYOUT(option, sizeof(struct iommu_option));

/* ioas_id is an input of SET (and CLEAR), the output of GET. */
static const struct tr_field vfio_ioas_fields[] = {
	F(iommu_vfio_ioas, size, T_DEC, D_IN),
	F(iommu_vfio_ioas, ioas_id, T_DEC, D_IN,
	  IF_NE(iommu_vfio_ioas, op, IOMMU_VFIO_IOAS_GET)),
	F(iommu_vfio_ioas, op, T_ENUM, D_IN, .syms = vfio_ioas_ops),
	F(iommu_vfio_ioas, __reserved, T_DEC, D_IN),
	F(iommu_vfio_ioas, ioas_id, T_DEC, D_OUT,
	  IF_EQ(iommu_vfio_ioas, op, IOMMU_VFIO_IOAS_GET)),
};
LAYOUT(vfio_ioas, sizeof(struct iommu_vfio_ioas));

static const struct tr_field hwpt_alloc_fields[] = {
	F(iommu_hwpt_alloc, size, T_DEC, D_IN),
	F(iommu_hwpt_alloc, flags, T_FLAGS, D_IN, .syms = hwpt_alloc_flags),
	F(iommu_hwpt_alloc, dev_id, T_DEC, D_IN),
	F(iommu_hwpt_alloc, pt_id, T_DEC, D_IN),
	F(iommu_hwpt_alloc, out_hwpt_id, T_DEC, D_OUT),
	F(iommu_hwpt_alloc, __reserved, T_DEC, D_IN),
	F(iommu_hwpt_alloc, data_type, T_ENUM, D_IN, .syms = hwpt_data_types),
	F(iommu_hwpt_alloc, data_len, T_DEC, D_IN),
	F(iommu_hwpt_alloc, data_uptr, T_HEX, D_IN),
	F(iommu_hwpt_alloc, fault_id, T_DEC, D_IN),
	F(iommu_hwpt_alloc, __reserved2, T_DEC, D_IN),
};
LAYOUT(hwpt_alloc, sizeof(struct iommu_hwpt_alloc));

static const struct tr_field hw_info_fields[] = {
	F(iommu_hw_info, size, T_DEC, D_IN),
	F(iommu_hw_info, flags, T_FLAGS, D_IN),
	F(iommu_hw_info, dev_id, T_DEC, D_IN),
	F(iommu_hw_info, data_len, T_DEC, D_INOUT),
	F(iommu_hw_info, data_uptr, T_HEX, D_IN),
	F(iommu_hw_info, out_data_type, T_ENUM, D_OUT, .syms = hw_info_types),
	F(iommu_hw_info, out_max_pasid_log2, T_DEC, D_OUT),
	F(iommu_hw_info, __reserved, T_BYTES, D_IN),
	F(iommu_hw_info, out_capabilities, T_FLAGS, D_OUT, .syms = hw_caps),
};
LAYOUT(hw_info, sizeof(struct iommu_hw_info));

static const struct tr_field set_dirty_tracking_fields[] = {
	F(iommu_hwpt_set_dirty_tracking, size, T_DEC, D_IN),
	F(iommu_hwpt_set_dirty_tracking, flags, T_FLAGS, D_IN,
	  .syms = set_dirty_tracking_flags),
	F(iommu_hwpt_set_dirty_tracking, hwpt_id, T_DEC, D_IN),
	F(iommu_hwpt_set_dirty_tracking, __reserved, T_DEC, D_IN),
};
LAYOUT(set_dirty_tracking, sizeof(struct iommu_hwpt_set_dirty_tracking));

static const struct tr_field get_dirty_bitmap_fields[] = {
	F(iommu_hwpt_get_dirty_bitmap, size, T_DEC, D_IN),
	F(iommu_hwpt_get_dirty_bitmap, hwpt_id, T_DEC, D_IN),
	F(iommu_hwpt_get_dirty_bitmap, flags, T_FLAGS, D_IN,
	  .syms = get_dirty_bitmap_flags),
	F(iommu_hwpt_get_dirty_bitmap, __reserved, T_DEC, D_IN),
	F(iommu_hwpt_get_dirty_bitmap, iova, T_HEX, D_IN),
	F(iommu_hwpt_get_dirty_bitmap, length, T_HEX, D_IN),
	F(iommu_hwpt_get_dirty_bitmap, page_size, T_HEX, D_IN),
	F(iommu_hwpt_get_dirty_bitmap, data, T_HEX, D_IN),
};
LAYOUT(get_dirty_bitmap, sizeof(struct iommu_hwpt_get_dirty_bitmap));

static const struct tr_field hwpt_invalidate_fields[] = {
	F(iommu_hwpt_invalidate, size, T_DEC, D_IN),
	F(iommu_hwpt_invalidate, hwpt_id, T_DEC, D_IN),
	F(iommu_hwpt_invalidate, data_uptr, T_ARRAY, D_IN,
	  .arr = &invalidate_array),
	F(iommu_hwpt_invalidate, data_type, T_ENUM, D_IN,
	  .syms = invalidate_data_types),
	F(iommu_hwpt_invalidate, entry_len, T_DEC, D_IN),
	F(iommu_hwpt_invalidate, entry_num, T_DEC, D_INOUT),
	F(iommu_hwpt_invalidate, __reserved, T_DEC, D_IN),
};
LAYOUT(hwpt_invalidate, sizeof(struct iommu_hwpt_invalidate));

static const struct tr_field fault_alloc_fields[] = {
	F(iommu_fault_alloc, size, T_DEC, D_IN),
	F(iommu_fault_alloc, flags, T_FLAGS, D_IN),
	F(iommu_fault_alloc, out_fault_id, T_DEC, D_OUT),
	F(iommu_fault_alloc, out_fault_fd, T_DEC, D_OUT),
};
LAYOUT(fault_alloc, sizeof(struct iommu_fault_alloc));

/* ---- IOMMU_TEST_CMD: one nested layout per op ---------------------------- */

#define TEST_OP(m, opval) \
	FS(iommu_test_cmd, m, m##_layout, IF_EQ(iommu_test_cmd, op, opval))

static const struct tr_field add_reserved_fields[] = {
	FM(iommu_test_cmd, add_reserved, start, T_HEX, D_IN),
	FM(iommu_test_cmd, add_reserved, length, T_HEX, D_IN),
};
LAYOUT(add_reserved, 16);

static const struct tr_field mock_domain_fields[] = {
	FM(iommu_test_cmd, mock_domain, out_stdev_id, T_DEC, D_OUT),
	FM(iommu_test_cmd, mock_domain, out_hwpt_id, T_DEC, D_OUT),
	FM(iommu_test_cmd, mock_domain, out_idev_id, T_DEC, D_OUT),
};
LAYOUT(mock_domain, 12);

static const struct tr_field mock_domain_flags_fields[] = {
	FM(iommu_test_cmd, mock_domain_flags, out_stdev_id, T_DEC, D_OUT),
	FM(iommu_test_cmd, mock_domain_flags, out_hwpt_id, T_DEC, D_OUT),
	FM(iommu_test_cmd, mock_domain_flags, out_idev_id, T_DEC, D_OUT),
	FM(iommu_test_cmd, mock_domain_flags, dev_flags, T_FLAGS, D_IN,
	   .syms = mock_device_flags),
};
LAYOUT(mock_domain_flags, 16);

static const struct tr_field mock_domain_replace_fields[] = {
	FM(iommu_test_cmd, mock_domain_replace, pt_id, T_DEC, D_INOUT),
};
LAYOUT(mock_domain_replace, 4);

static const struct tr_field check_map_fields[] = {
	FM(iommu_test_cmd, check_map, iova, T_HEX, D_IN),
	FM(iommu_test_cmd, check_map, length, T_HEX, D_IN),
	FM(iommu_test_cmd, check_map, uptr, T_HEX, D_IN),
};
LAYOUT(check_map, 24);

static const struct tr_field check_refs_fields[] = {
	FM(iommu_test_cmd, check_refs, length, T_HEX, D_IN),
	FM(iommu_test_cmd, check_refs, uptr, T_HEX, D_IN),
	FM(iommu_test_cmd, check_refs, refs, T_DEC, D_IN),
};
LAYOUT(check_refs, 24);

static const struct tr_field create_access_fields[] = {
	FM(iommu_test_cmd, create_access, out_access_fd, T_DEC, D_OUT),
	FM(iommu_test_cmd, create_access, flags, T_FLAGS, D_IN,
	   .syms = mock_create_access_flags),
};
LAYOUT(create_access, 8);

static const struct tr_field destroy_access_pages_fields[] = {
	FM(iommu_test_cmd, destroy_access_pages, access_pages_id, T_DEC, D_IN),
};
LAYOUT(destroy_access_pages, 4);

static const struct tr_field access_pages_fields[] = {
	FM(iommu_test_cmd, access_pages, flags, T_FLAGS, D_IN,
	   .syms = mock_access_pages_flags),
	FM(iommu_test_cmd, access_pages, out_access_pages_id, T_DEC, D_OUT),
	FM(iommu_test_cmd, access_pages, iova, T_HEX, D_IN),
	FM(iommu_test_cmd, access_pages, length, T_HEX, D_IN),
	FM(iommu_test_cmd, access_pages, uptr, T_HEX, D_IN),
};
LAYOUT(access_pages, 32);

static const struct tr_field access_rw_fields[] = {
	FM(iommu_test_cmd, access_rw, iova, T_HEX, D_IN),
	FM(iommu_test_cmd, access_rw, length, T_HEX, D_IN),
	FM(iommu_test_cmd, access_rw, uptr, T_HEX, D_IN),
	FM(iommu_test_cmd, access_rw, flags, T_FLAGS, D_IN,
	   .syms = mock_access_rw_flags),
};
LAYOUT(access_rw, 32);

static const struct tr_field memory_limit_fields[] = {
	FM(iommu_test_cmd, memory_limit, limit, T_DEC, D_IN),
};
LAYOUT(memory_limit, 4);

static const struct tr_field access_replace_ioas_fields[] = {
	FM(iommu_test_cmd, access_replace_ioas, ioas_id, T_DEC, D_IN),
};
LAYOUT(access_replace_ioas, 4);

static const struct tr_field dirty_fields[] = {
	FM(iommu_test_cmd, dirty, flags, T_FLAGS, D_IN),
	FM(iommu_test_cmd, dirty, iova, T_HEX, D_IN),
	FM(iommu_test_cmd, dirty, length, T_HEX, D_IN),
	FM(iommu_test_cmd, dirty, page_size, T_HEX, D_IN),
	FM(iommu_test_cmd, dirty, uptr, T_HEX, D_IN),
	FM(iommu_test_cmd, dirty, out_nr_dirty, T_DEC, D_OUT),
};
LAYOUT(dirty, 48);

static const struct tr_field check_iotlb_fields[] = {
	FM(iommu_test_cmd, check_iotlb, id, T_DEC, D_IN),
	FM(iommu_test_cmd, check_iotlb, iotlb, T_HEX, D_IN),
};
LAYOUT(check_iotlb, 8);

static const struct tr_field trigger_iopf_fields[] = {
	FM(iommu_test_cmd, trigger_iopf, dev_id, T_DEC, D_IN),
	FM(iommu_test_cmd, trigger_iopf, pasid, T_DEC, D_IN),
	FM(iommu_test_cmd, trigger_iopf, grpid, T_DEC, D_IN),
	FM(iommu_test_cmd, trigger_iopf, perm, T_FLAGS, D_IN,
	   .syms = pgfault_perms),
	FM(iommu_test_cmd, trigger_iopf, addr, T_HEX, D_IN),
};
LAYOUT(trigger_iopf, 24);

static const struct tr_field test_cmd_fields[] = {
	F(iommu_test_cmd, size, T_DEC, D_IN),
	F(iommu_test_cmd, op, T_ENUM, D_IN, .syms = test_ops),
	F(iommu_test_cmd, id, T_DEC, D_IN),
	TEST_OP(add_reserved, IOMMU_TEST_OP_ADD_RESERVED),
	TEST_OP(mock_domain, IOMMU_TEST_OP_MOCK_DOMAIN),
	TEST_OP(check_map, IOMMU_TEST_OP_MD_CHECK_MAP),
	TEST_OP(check_refs, IOMMU_TEST_OP_MD_CHECK_REFS),
	TEST_OP(create_access, IOMMU_TEST_OP_CREATE_ACCESS),
	TEST_OP(destroy_access_pages, IOMMU_TEST_OP_DESTROY_ACCESS_PAGES),
	TEST_OP(access_pages, IOMMU_TEST_OP_ACCESS_PAGES),
	TEST_OP(access_rw, IOMMU_TEST_OP_ACCESS_RW),
	TEST_OP(memory_limit, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT),
	TEST_OP(mock_domain_replace, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE),
	TEST_OP(access_replace_ioas, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS),
	TEST_OP(mock_domain_flags, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS),
	TEST_OP(dirty, IOMMU_TEST_OP_DIRTY),
	TEST_OP(check_iotlb, IOMMU_TEST_OP_MD_CHECK_IOTLB),
	TEST_OP(trigger_iopf, IOMMU_TEST_OP_TRIGGER_IOPF),
};
LAYOUT(test_cmd, sizeof(struct iommu_test_cmd));

/* ---- VFIO layouts -------------------------------------------------------- */

static const struct tr_field group_status_fields[] = {
	F(vfio_group_status, argsz, T_DEC, D_IN),
	F(vfio_group_status, flags, T_FLAGS, D_OUT, .syms = vfio_group_flags),
};
LAYOUT(group_status, sizeof(struct vfio_group_status));

static const struct tr_field iommu_info_fields[] = {
	F(vfio_iommu_type1_info, argsz, T_DEC, D_INOUT),
	F(vfio_iommu_type1_info, flags, T_FLAGS, D_OUT,
	  .syms = vfio_info_flags),
	F(vfio_iommu_type1_info, iova_pgsizes, T_HEX, D_OUT),
	F(vfio_iommu_type1_info, cap_offset, T_DEC, D_OUT),
	FCAPS(vfio_iommu_type1_info, CAPS_TYPE1),
};
LAYOUT(iommu_info, sizeof(struct vfio_iommu_type1_info));

static const struct tr_field dma_map_fields[] = {
	F(vfio_iommu_type1_dma_map, argsz, T_DEC, D_IN),
	F(vfio_iommu_type1_dma_map, flags, T_FLAGS, D_IN,
	  .syms = vfio_dma_map_flags),
	F(vfio_iommu_type1_dma_map, vaddr, T_HEX, D_IN),
	F(vfio_iommu_type1_dma_map, iova, T_HEX, D_IN),
	F(vfio_iommu_type1_dma_map, size, T_HEX, D_IN),
};
LAYOUT(dma_map, sizeof(struct vfio_iommu_type1_dma_map));

static const struct tr_field vfio_bitmap_fields[] = {
	F(vfio_bitmap, pgsize, T_HEX, D_IN),
	F(vfio_bitmap, size, T_DEC, D_IN),
	F(vfio_bitmap, data, T_HEX, D_IN),
};
LAYOUT(vfio_bitmap, sizeof(struct vfio_bitmap));

/* With GET_DIRTY_BITMAP, a struct vfio_bitmap follows in data[]. */
static const struct tr_field dma_unmap_fields[] = {
	F(vfio_iommu_type1_dma_unmap, argsz, T_DEC, D_IN),
	F(vfio_iommu_type1_dma_unmap, flags, T_FLAGS, D_IN,
	  .syms = vfio_dma_unmap_flags),
	F(vfio_iommu_type1_dma_unmap, iova, T_HEX, D_IN),
	F(vfio_iommu_type1_dma_unmap, size, T_HEX, D_INOUT),
	FS(vfio_iommu_type1_dma_unmap, data, vfio_bitmap_layout,
	   IF_SET(vfio_iommu_type1_dma_unmap, flags,
		  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)),
};
LAYOUT(dma_unmap,
       sizeof(struct vfio_iommu_type1_dma_unmap) + sizeof(struct vfio_bitmap));

static const struct tr_field dirty_bitmap_get_fields[] = {
	F(vfio_iommu_type1_dirty_bitmap_get, iova, T_HEX, D_IN),
	F(vfio_iommu_type1_dirty_bitmap_get, size, T_HEX, D_IN),
	FS(vfio_iommu_type1_dirty_bitmap_get, bitmap, vfio_bitmap_layout),
};
LAYOUT(dirty_bitmap_get, sizeof(struct vfio_iommu_type1_dirty_bitmap_get));

/* With GET_BITMAP, a struct vfio_iommu_type1_dirty_bitmap_get follows. */
static const struct tr_field dirty_pages_fields[] = {
	F(vfio_iommu_type1_dirty_bitmap, argsz, T_DEC, D_IN),
	F(vfio_iommu_type1_dirty_bitmap, flags, T_FLAGS, D_IN,
	  .syms = vfio_dirty_pages_flags),
	FS(vfio_iommu_type1_dirty_bitmap, data, dirty_bitmap_get_layout,
	   IF_SET(vfio_iommu_type1_dirty_bitmap, flags,
		  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP)),
};
LAYOUT(dirty_pages, sizeof(struct vfio_iommu_type1_dirty_bitmap) +
			    sizeof(struct vfio_iommu_type1_dirty_bitmap_get));

/* ---- VFIO device layouts ------------------------------------------------- */

static const struct tr_field device_info_fields[] = {
	F(vfio_device_info, argsz, T_DEC, D_INOUT),
	F(vfio_device_info, flags, T_FLAGS, D_OUT, .syms = vfio_device_flags),
	F(vfio_device_info, num_regions, T_DEC, D_OUT),
	F(vfio_device_info, num_irqs, T_DEC, D_OUT),
	F(vfio_device_info, cap_offset, T_DEC, D_OUT),
	FCAPS(vfio_device_info, CAPS_DEVICE),
};
LAYOUT(device_info, sizeof(struct vfio_device_info));

static const struct tr_field region_info_fields[] = {
	F(vfio_region_info, argsz, T_DEC, D_INOUT),
	F(vfio_region_info, flags, T_FLAGS, D_OUT, .syms = vfio_region_flags),
	F(vfio_region_info, index, T_ENUM, D_IN, .syms = vfio_pci_regions),
	F(vfio_region_info, cap_offset, T_DEC, D_OUT),
	F(vfio_region_info, size, T_HEX, D_OUT),
	F(vfio_region_info, offset, T_HEX, D_OUT),
	FCAPS(vfio_region_info, CAPS_REGION),
};
LAYOUT(region_info, sizeof(struct vfio_region_info));

static const struct tr_field irq_info_fields[] = {
	F(vfio_irq_info, argsz, T_DEC, D_IN),
	F(vfio_irq_info, flags, T_FLAGS, D_OUT, .syms = vfio_irq_info_flags),
	F(vfio_irq_info, index, T_ENUM, D_IN, .syms = vfio_pci_irqs),
	F(vfio_irq_info, count, T_DEC, D_OUT),
};
LAYOUT(irq_info, sizeof(struct vfio_irq_info));

/* Bare values: an array of them prints as [1, 2, 3]. */
static const struct tr_field s32_fields[] = {
	{ .off = 0, .width = 4, .fmt = T_INT, .dir = D_INOUT },
};
LAYOUT(s32, 4);

static const struct tr_field u8_fields[] = {
	{ .off = 0, .width = 1, .fmt = T_DEC, .dir = D_INOUT },
};
LAYOUT(u8, 1);

static const struct tr_elem_kind s32_kinds[] = {
	{ 0, &s32_layout },
};

static const struct tr_elem_kind u8_kinds[] = {
	{ 0, &u8_layout },
};

static const struct tr_array irq_set_eventfds_array = {
	.in_struct = true,
	.count_off = offsetof(struct vfio_irq_set, count),
	.stride_off = -1,
	.type_off = -1,
	.nkinds = ARRAY_SIZE(s32_kinds),
	.kinds = s32_kinds,
};

static const struct tr_array irq_set_bools_array = {
	.in_struct = true,
	.count_off = offsetof(struct vfio_irq_set, count),
	.stride_off = -1,
	.type_off = -1,
	.nkinds = ARRAY_SIZE(u8_kinds),
	.kinds = u8_kinds,
};

/* data[] holds count eventfds (-1: none) or count bools, by flags. */
static const struct tr_field irq_set_fields[] = {
	F(vfio_irq_set, argsz, T_DEC, D_IN),
	F(vfio_irq_set, flags, T_FLAGS, D_IN, .syms = vfio_irq_set_flags),
	F(vfio_irq_set, index, T_ENUM, D_IN, .syms = vfio_pci_irqs),
	F(vfio_irq_set, start, T_DEC, D_IN),
	F(vfio_irq_set, count, T_DEC, D_IN),
	FA(vfio_irq_set, data, D_IN, irq_set_eventfds_array,
	   IF_SET(vfio_irq_set, flags, VFIO_IRQ_SET_DATA_EVENTFD)),
	FA(vfio_irq_set, data, D_IN, irq_set_bools_array,
	   IF_SET(vfio_irq_set, flags, VFIO_IRQ_SET_DATA_BOOL)),
};
LAYOUT(irq_set, sizeof(struct vfio_irq_set));

/* With FLAG_DEV_ID out, the first word is an iommufd devid. */
static const struct tr_field dependent_device_fields[] = {
	F(vfio_pci_dependent_device, devid, T_ENUM, D_INOUT,
	  .syms = vfio_pci_devids,
	  IF_OUT_SET(vfio_pci_hot_reset_info, flags,
		     VFIO_PCI_HOT_RESET_FLAG_DEV_ID)),
	F(vfio_pci_dependent_device, group_id, T_DEC, D_INOUT,
	  IF_OUT_CLEAR(vfio_pci_hot_reset_info, flags,
		       VFIO_PCI_HOT_RESET_FLAG_DEV_ID)),
	F(vfio_pci_dependent_device, segment, T_HEX, D_INOUT),
	F(vfio_pci_dependent_device, bus, T_HEX, D_INOUT),
	F(vfio_pci_dependent_device, devfn, T_HEX, D_INOUT),
};
LAYOUT(dependent_device, sizeof(struct vfio_pci_dependent_device));

static const struct tr_elem_kind dependent_device_kinds[] = {
	{ 0, &dependent_device_layout },
};

static const struct tr_array hot_reset_devices_array = {
	.in_struct = true,
	.count_off = offsetof(struct vfio_pci_hot_reset_info, count),
	.stride_off = -1,
	.type_off = -1,
	.nkinds = ARRAY_SIZE(dependent_device_kinds),
	.kinds = dependent_device_kinds,
};

static const struct tr_field hot_reset_info_fields[] = {
	F(vfio_pci_hot_reset_info, argsz, T_DEC, D_IN),
	F(vfio_pci_hot_reset_info, flags, T_FLAGS, D_OUT,
	  .syms = vfio_hot_reset_flags),
	F(vfio_pci_hot_reset_info, count, T_DEC, D_OUT),
	FA(vfio_pci_hot_reset_info, devices, D_OUT, hot_reset_devices_array),
};
LAYOUT(hot_reset_info, sizeof(struct vfio_pci_hot_reset_info));

static const struct tr_array hot_reset_group_fds_array = {
	.in_struct = true,
	.count_off = offsetof(struct vfio_pci_hot_reset, count),
	.stride_off = -1,
	.type_off = -1,
	.nkinds = ARRAY_SIZE(s32_kinds),
	.kinds = s32_kinds,
};

static const struct tr_field hot_reset_fields[] = {
	F(vfio_pci_hot_reset, argsz, T_DEC, D_IN),
	F(vfio_pci_hot_reset, flags, T_FLAGS, D_IN),
	F(vfio_pci_hot_reset, count, T_DEC, D_IN),
	FA(vfio_pci_hot_reset, group_fds, D_IN, hot_reset_group_fds_array),
};
LAYOUT(hot_reset, sizeof(struct vfio_pci_hot_reset));

static const struct tr_field device_feature_fields[] = {
	F(vfio_device_feature, argsz, T_DEC, D_IN),
	F(vfio_device_feature, flags, T_FLAGS, D_IN,
	  .syms = vfio_feature_flags),
};
LAYOUT(device_feature, sizeof(struct vfio_device_feature));

static const struct tr_field bind_iommufd_fields[] = {
	F(vfio_device_bind_iommufd, argsz, T_DEC, D_IN),
	F(vfio_device_bind_iommufd, flags, T_FLAGS, D_IN),
	F(vfio_device_bind_iommufd, iommufd, T_INT, D_IN),
	F(vfio_device_bind_iommufd, out_devid, T_DEC, D_OUT),
};
LAYOUT(bind_iommufd, sizeof(struct vfio_device_bind_iommufd));

/* An IOAS id in may come back as the id of the HWPT attached instead. */
static const struct tr_field attach_pt_fields[] = {
	F(vfio_device_attach_iommufd_pt, argsz, T_DEC, D_IN),
	F(vfio_device_attach_iommufd_pt, flags, T_FLAGS, D_IN),
	F(vfio_device_attach_iommufd_pt, pt_id, T_DEC, D_INOUT),
};
LAYOUT(attach_pt, sizeof(struct vfio_device_attach_iommufd_pt));

static const struct tr_field detach_pt_fields[] = {
	F(vfio_device_detach_iommufd_pt, argsz, T_DEC, D_IN),
	F(vfio_device_detach_iommufd_pt, flags, T_FLAGS, D_IN),
};
LAYOUT(detach_pt, sizeof(struct vfio_device_detach_iommufd_pt));

/* ---- the ioctls ---------------------------------------------------------- */

/* #req must be taken here: a macro passing req on would expand it. */
#define IOCTL(req, arg_, ...)                                                \
	{                                                                    \
		.request = (req), .name = #req, .arg = (arg_), ##__VA_ARGS__ \
	}
#define IOCTL_STRUCT(req, n, ...)                                \
	{                                                        \
		.request = (req), .name = #req, .arg = A_STRUCT, \
		.layout = &n##_layout, ##__VA_ARGS__             \
	}

static const struct tr_ioctl trace_ioctls[] = {
	/* iommufd */
	IOCTL_STRUCT(IOMMU_DESTROY, destroy),
	IOCTL_STRUCT(IOMMU_IOAS_ALLOC, ioas_alloc),
	IOCTL_STRUCT(IOMMU_IOAS_ALLOW_IOVAS, ioas_allow_iovas),
	IOCTL_STRUCT(IOMMU_IOAS_COPY, ioas_copy),
	/* EMSGSIZE still writes back num_iovas and the alignment. */
	IOCTL_STRUCT(IOMMU_IOAS_IOVA_RANGES, ioas_iova_ranges,
		     .out_errno = EMSGSIZE),
	IOCTL_STRUCT(IOMMU_IOAS_MAP, ioas_map),
	IOCTL_STRUCT(IOMMU_IOAS_UNMAP, ioas_unmap),
	IOCTL_STRUCT(IOMMU_OPTION, option),
	IOCTL_STRUCT(IOMMU_VFIO_IOAS, vfio_ioas),
	IOCTL_STRUCT(IOMMU_HWPT_ALLOC, hwpt_alloc),
	IOCTL_STRUCT(IOMMU_GET_HW_INFO, hw_info),
	IOCTL_STRUCT(IOMMU_HWPT_SET_DIRTY_TRACKING, set_dirty_tracking),
	IOCTL_STRUCT(IOMMU_HWPT_GET_DIRTY_BITMAP, get_dirty_bitmap),
	IOCTL_STRUCT(IOMMU_HWPT_INVALIDATE, hwpt_invalidate),
	IOCTL_STRUCT(IOMMU_FAULT_QUEUE_ALLOC, fault_alloc),
	IOCTL_STRUCT(IOMMU_TEST_CMD, test_cmd),

	/* VFIO container and type1 IOMMU */
	IOCTL(VFIO_GET_API_VERSION, A_NONE),
	IOCTL(VFIO_CHECK_EXTENSION, A_INT, .syms = vfio_extensions),
	IOCTL(VFIO_SET_IOMMU, A_INT, .syms = vfio_extensions),
	IOCTL_STRUCT(VFIO_IOMMU_GET_INFO, iommu_info),
	IOCTL_STRUCT(VFIO_IOMMU_MAP_DMA, dma_map),
	IOCTL_STRUCT(VFIO_IOMMU_UNMAP_DMA, dma_unmap),
	IOCTL(VFIO_IOMMU_ENABLE, A_NONE),
	IOCTL(VFIO_IOMMU_DISABLE, A_NONE),
	IOCTL_STRUCT(VFIO_IOMMU_DIRTY_PAGES, dirty_pages),

	/* VFIO group */
	IOCTL_STRUCT(VFIO_GROUP_GET_STATUS, group_status,
		     .kinds = K_IOMMU | K_GROUP),
	IOCTL(VFIO_GROUP_SET_CONTAINER, A_INTPTR, .kinds = K_IOMMU | K_GROUP),
	IOCTL(VFIO_GROUP_UNSET_CONTAINER, A_NONE, .kinds = K_IOMMU | K_GROUP),
	IOCTL(VFIO_GROUP_GET_DEVICE_FD, A_STRING, .kinds = K_IOMMU | K_GROUP),

	/* VFIO device: numbers 12 to 17 are container ones too */
	IOCTL_STRUCT(VFIO_DEVICE_GET_INFO, device_info, .kinds = K_DEVICE),
	IOCTL_STRUCT(VFIO_DEVICE_GET_REGION_INFO, region_info,
		     .kinds = K_DEVICE),
	IOCTL_STRUCT(VFIO_DEVICE_GET_IRQ_INFO, irq_info, .kinds = K_DEVICE),
	IOCTL_STRUCT(VFIO_DEVICE_SET_IRQS, irq_set, .kinds = K_DEVICE),
	IOCTL(VFIO_DEVICE_RESET, A_NONE, .kinds = K_DEVICE),
	/* ENOSPC still writes back flags and the count needed. */
	IOCTL_STRUCT(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hot_reset_info,
		     .kinds = K_DEVICE, .out_errno = ENOSPC),
	IOCTL_STRUCT(VFIO_DEVICE_PCI_HOT_RESET, hot_reset, .kinds = K_DEVICE),
	IOCTL_STRUCT(VFIO_DEVICE_FEATURE, device_feature, .kinds = K_DEVICE),
	IOCTL_STRUCT(VFIO_DEVICE_BIND_IOMMUFD, bind_iommufd, .kinds = K_DEVICE),
	IOCTL_STRUCT(VFIO_DEVICE_ATTACH_IOMMUFD_PT, attach_pt,
		     .kinds = K_DEVICE),
	IOCTL_STRUCT(VFIO_DEVICE_DETACH_IOMMUFD_PT, detach_pt,
		     .kinds = K_DEVICE),
};

/* ---- reading user memory ------------------------------------------------- */

/* Whose memory the calling thread decodes; 0: our own. */
static __thread pid_t peek_pid;

void trace_set_pid(pid_t pid)
{
	peek_pid = pid;
}

/* Copy len bytes from the address src; false unless all were read. */
static bool peek(void *dst, uint64_t src, size_t len)
{
	struct iovec local = { .iov_base = dst, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)src,
				.iov_len = len };

	if (!len)
		return true;
	return process_vm_readv(peek_pid ? peek_pid : getpid(), &local, 1,
				&remote, 1, 0) == (ssize_t)len;
}

/*
 * Read a NUL-terminated string of at most max bytes, page by page so that a
 * string ending just before unmapped memory is read. Returns its length, max
 * + 1 if it is longer, or -1 if it is unreadable.
 */
static int peek_string(char *dst, size_t max, uint64_t src)
{
	const uint64_t chunk = 4096; /* divides every page size */
	size_t got = 0;

	while (got <= max) {
		size_t n = chunk - ((src + got) & (chunk - 1));
		char *nul;

		n = MIN(n, max + 1 - got);
		if (!peek(dst + got, src + got, n))
			return -1;
		nul = memchr(dst + got, '\0', n);
		if (nul)
			return (int)(nul - dst);
		got += n;
	}
	return (int)max + 1;
}

/* ---- output buffer ------------------------------------------------------- */

/* len counts everything written, also what did not fit. */
struct tr_buf {
	char *p;
	size_t size;
	size_t len;
};

static void put(struct tr_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len < b->size)
		memcpy(b->p + b->len, s, MIN(n, b->size - b->len));
	b->len += n;
}

__attribute__((format(printf, 2, 3))) static void putf(struct tr_buf *b,
						       const char *fmt, ...)
{
	size_t room = b->len < b->size ? b->size - b->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

/* NUL-terminate; a line that did not fit ends in "...\n". */
static size_t tr_buf_end(struct tr_buf *b)
{
	static const char tail[] = "...\n";
	size_t t;

	if (!b->size)
		return 0;
	if (b->len < b->size) {
		b->p[b->len] = '\0';
		return b->len;
	}
	t = MIN(sizeof(tail) - 1, b->size - 1);
	memcpy(b->p + b->size - 1 - t, tail + sizeof(tail) - 1 - t, t);
	b->p[b->size - 1] = '\0';
	return b->size - 1;
}

/* ---- values -------------------------------------------------------------- */

static uint64_t get_uint(const unsigned char *p, unsigned int width)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (width) {
	case 1:
		memcpy(&v8, p, 1);
		return v8;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	case 8:
		memcpy(&v64, p, 8);
		return v64;
	}
	return 0;
}

static void put_hex(struct tr_buf *b, uint64_t v)
{
	putf(b, "0x%" PRIx64, v);
}

static void put_ptr(struct tr_buf *b, const void *p)
{
	if (p)
		putf(b, "%#lx", (unsigned long)(uintptr_t)p);
	else
		put(b, "NULL");
}

static void put_flags(struct tr_buf *b, const struct tr_sym *syms, uint64_t v)
{
	const char *sep = "";

	if (!v) {
		put(b, "0");
		return;
	}
	for (; syms && syms->name; syms++) {
		if (syms->val && (v & syms->val) == syms->val) {
			put(b, sep);
			put(b, syms->name);
			sep = "|";
			v &= ~syms->val;
		}
	}
	if (v) {
		put(b, sep);
		put_hex(b, v);
	}
}

static void put_enum(struct tr_buf *b, const struct tr_sym *syms, uint64_t v)
{
	for (; syms && syms->name; syms++) {
		if (syms->val == v) {
			put(b, syms->name);
			return;
		}
	}
	putf(b, "%" PRIu64, v);
}

static void put_string(struct tr_buf *b, const char *s, int len)
{
	int i, n = MIN(len, TRACE_STR_MAX);

	put(b, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			putf(b, "\\%c", c);
		else if (c == '\n')
			put(b, "\\n");
		else if (c == '\t')
			put(b, "\\t");
		else if (c >= 0x20 && c < 0x7f)
			putf(b, "%c", c);
		else
			putf(b, "\\x%02x", c);
	}
	put(b, "\"");
	if (len > TRACE_STR_MAX)
		put(b, "...");
}

static void put_request(struct tr_buf *b, unsigned long request)
{
	uint32_t r = (uint32_t)request;
	unsigned int dir = _IOC_DIR(r);

	put(b, "_IOC(");
	if (dir == _IOC_NONE)
		put(b, "_IOC_NONE");
	else if (dir == (_IOC_READ | _IOC_WRITE))
		put(b, "_IOC_READ|_IOC_WRITE");
	else if (dir == _IOC_READ)
		put(b, "_IOC_READ");
	else if (dir == _IOC_WRITE)
		put(b, "_IOC_WRITE");
	else
		putf(b, "%#x", dir);
	putf(b, ", %#x, %#x, %#x)", (unsigned int)_IOC_TYPE(r),
	     (unsigned int)_IOC_NR(r), (unsigned int)_IOC_SIZE(r));
}

static void put_result(struct tr_buf *b, int ret, int err)
{
	const char *name, *desc;

	if (ret != -1) {
		putf(b, " = %d", ret);
		return;
	}
	name = strerrorname_np(err);
	desc = strerrordesc_np(err);
	if (name)
		putf(b, " = -1 %s (%s)", name, desc ? desc : "?");
	else
		putf(b, " = -1 ERRNO_%d (Unknown error %d)", err, err);
}

/* ---- structs --------------------------------------------------------------- */

struct tr_ctx {
	struct tr_buf *b;
	const struct trace_call *tc; /* conditions test tc->snap */
	/* The top-level struct after the call, NULL before it. */
	const unsigned char *after;
	unsigned int dir; /* which fields: D_IN, D_OUT, or D_INOUT */
	bool arrays; /* decode output arrays */
};

static bool cond_holds(const struct tr_ctx *c, const struct tr_field *f)
{
	const unsigned char *top = c->tc->snap.bytes;
	uint64_t v;

	if (f->cond == C_ALWAYS)
		return true;
	if (f->cond == C_OUT_SET || f->cond == C_OUT_CLEAR) {
		if (!c->after)
			return false;
		top = c->after;
	}
	v = get_uint(top + f->cond_off, f->cond_width);
	switch (f->cond) {
	case C_EQ:
		return v == f->cond_val;
	case C_NE:
		return v != f->cond_val;
	case C_SET:
	case C_OUT_SET:
		return v & f->cond_val;
	case C_OUT_CLEAR:
		return !(v & f->cond_val);
	}
	return false;
}

static bool layout_shows(const struct tr_ctx *c, const struct tr_layout *l,
			 size_t covered);

/* Whether field f is printed, given the first covered bytes are valid. */
static bool field_shows(const struct tr_ctx *c, const struct tr_field *f,
			size_t covered)
{
	if (!(f->dir & c->dir) || !cond_holds(c, f))
		return false;
	if (f->fmt == T_STRUCT)
		return covered > f->off &&
		       layout_shows(c, f->sub, covered - f->off);
	if ((f->fmt == T_ARRAY || f->fmt == T_VFIO_CAPS) && c->dir == D_OUT &&
	    !c->arrays)
		return false;
	/* Of two input arrays, only the one read before the call. */
	if (f->fmt == T_ARRAY && c->dir == D_IN && c->tc->aux_field &&
	    c->tc->aux_field != f)
		return false;
	return (size_t)f->off + f->width <= covered;
}

static bool layout_shows(const struct tr_ctx *c, const struct tr_layout *l,
			 size_t covered)
{
	uint32_t i;

	for (i = 0; i < l->nfields; i++)
		if (field_shows(c, &l->fields[i], covered))
			return true;
	return false;
}

static const struct tr_layout *array_elem(const struct tr_array *arr,
					  const unsigned char *base)
{
	uint64_t type = arr->type_off < 0 ? arr->kinds[0].type :
					    get_uint(base + arr->type_off, 4);
	unsigned int i;

	for (i = 0; i < arr->nkinds; i++)
		if (arr->kinds[i].type == type)
			return arr->kinds[i].layout;
	return NULL;
}

static uint64_t array_stride(const struct tr_array *arr,
			     const unsigned char *base,
			     const struct tr_layout *elem)
{
	if (arr->stride_off < 0)
		return elem->size;
	return get_uint(base + arr->stride_off, 4);
}

/* Where the caller's array of field f is: inline or by pointer. */
static uint64_t array_addr(const struct trace_call *tc,
			   const struct tr_field *f, const unsigned char *base)
{
	if (f->arr->in_struct)
		return (uintptr_t)tc->arg + f->off;
	return get_uint(base + f->off, f->width);
}

/*
 * Read the first elements of the array field f of the struct at base into
 * dst (TRACE_ARRAY_MAX * TRACE_ELEM_MAX bytes, element i at i * elem size,
 * zero past the stride). Returns how many were read, or -1. An inline array
 * is read only as far as the caller's size word reaches.
 */
static int read_array(const struct trace_call *tc, const struct tr_field *f,
		      const unsigned char *base, unsigned char *dst)
{
	const struct tr_array *arr = f->arr;
	const struct tr_layout *elem = array_elem(arr, base);
	uint64_t ptr = array_addr(tc, f, base);
	uint32_t count = (uint32_t)get_uint(base + arr->count_off, 4);
	uint32_t n = MIN(count, TRACE_ARRAY_MAX);
	uint64_t stride;
	uint32_t i;

	if (!elem || elem->size > TRACE_ELEM_MAX)
		return -1;
	stride = array_stride(arr, base, elem);
	if (!n)
		return 0;
	if (!stride)
		return -1;
	if (arr->in_struct) {
		uint64_t room =
			tc->user_size > f->off ? tc->user_size - f->off : 0;

		n = (uint32_t)MIN((uint64_t)n, room / stride);
		if (!n)
			return 0;
	}
	memset(dst, 0, (size_t)n * elem->size);
	if (stride == elem->size)
		return peek(dst, ptr, (size_t)n * elem->size) ? (int)n : -1;
	for (i = 0; i < n; i++) {
		if (!peek(dst + (size_t)i * elem->size, ptr + i * stride,
			  MIN(stride, elem->size)))
			return -1;
	}
	return (int)n;
}

static void put_layout(const struct tr_ctx *c, const struct tr_layout *l,
		       const unsigned char *base, size_t covered);
static void put_field(const struct tr_ctx *c, const struct tr_field *f,
		      const unsigned char *base, size_t covered);

/* An array: its first elements, or the pointer if they are unreadable. */
static void put_array(const struct tr_ctx *c, const struct tr_field *f,
		      const unsigned char *base)
{
	unsigned char out[TRACE_ARRAY_MAX * TRACE_ELEM_MAX];
	const struct tr_layout *elem = array_elem(f->arr, base);
	uint32_t count = (uint32_t)get_uint(base + f->arr->count_off, 4);
	struct tr_ctx ec = *c;
	const unsigned char *elems;
	size_t covered;
	int i, n;

	if (c->dir == D_IN) {
		/* Read by trace_begin(), before the call. */
		elems = c->tc->aux.bytes;
		n = c->tc->aux_count;
	} else {
		elems = out;
		n = read_array(c->tc, f, base, out);
	}
	if (n < 0 || !elem) {
		put_hex(c->b, array_addr(c->tc, f, base));
		return;
	}
	covered = MIN(array_stride(f->arr, base, elem), elem->size);
	ec.dir = D_INOUT;
	put(c->b, "[");
	for (i = 0; i < n; i++) {
		const unsigned char *e = elems + (size_t)i * elem->size;

		if (i)
			put(c->b, ", ");
		/* A bare value: one unnamed field. */
		if (elem->nfields == 1 && !elem->fields[0].name)
			put_field(&ec, &elem->fields[0], e, covered);
		else
			put_layout(&ec, elem, e, covered);
	}
	if (count > (uint32_t)n)
		put(c->b, n ? ", ..." : "...");
	put(c->b, "]");
}

/* Most capabilities of one chain decoded; a longer chain ends in "...". */
#define TRACE_CAPS_MAX 8
/*
 * Most areas of one sparse mmap capability decoded: vfio-pci makes at most
 * two, and TRACE_CAPS_MAX full lists must still fit in TRACE_LINE_MAX.
 */
#define TRACE_SPARSE_MAX 4

/* One VFIO type1 capability at @at in the caller's buffer. */
static bool put_type1_cap(struct tr_buf *b, uint64_t at,
			  const struct vfio_info_cap_header *hdr)
{
	switch (hdr->id) {
	case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: {
		struct vfio_iommu_type1_info_dma_avail cap;

		if (!peek(&cap, at, sizeof(cap)))
			break;
		putf(b, "DMA_AVAIL{avail=%u}", cap.avail);
		return true;
	}
	case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: {
		struct vfio_iommu_type1_info_cap_iova_range cap;
		uint32_t i;

		if (!peek(&cap, at, sizeof(cap)))
			break;
		putf(b, "IOVA_RANGE{nr_iovas=%u, iova_ranges=[", cap.nr_iovas);
		for (i = 0; i < cap.nr_iovas && i < TRACE_ARRAY_MAX; i++) {
			struct vfio_iova_range r;

			if (!peek(&r, at + sizeof(cap) + i * sizeof(r),
				  sizeof(r)))
				break;
			putf(b, "%s{start=0x%" PRIx64 ", end=0x%" PRIx64 "}",
			     i ? ", " : "", (uint64_t)r.start, (uint64_t)r.end);
		}
		put(b, i < cap.nr_iovas ? ", ...]}" : "]}");
		return true;
	}
	}
	return false;
}

/* The flags word of the PCI_ATOMIC_COMP capability, after its header. */
#define TRACE_ATOMIC_COMP_FLAGS_OFF 8

/* One VFIO_DEVICE_GET_INFO capability at @at in the caller's buffer. */
static bool put_device_cap(struct tr_buf *b, uint64_t at,
			   const struct vfio_info_cap_header *hdr)
{
	uint32_t flags;

	switch (hdr->id) {
	case VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP:
		if (!peek(&flags, at + TRACE_ATOMIC_COMP_FLAGS_OFF,
			  sizeof(flags)))
			break;
		putf(b, "PCI_ATOMIC_COMP{flags=%#x}", flags);
		return true;
	}
	return false;
}

/* One VFIO_DEVICE_GET_REGION_INFO capability at @at. */
static bool put_region_cap(struct tr_buf *b, uint64_t at,
			   const struct vfio_info_cap_header *hdr)
{
	switch (hdr->id) {
	case VFIO_REGION_INFO_CAP_SPARSE_MMAP: {
		struct vfio_region_info_cap_sparse_mmap cap;
		uint32_t i;

		if (!peek(&cap, at, sizeof(cap)))
			break;
		putf(b, "SPARSE_MMAP{nr_areas=%u, areas=[", cap.nr_areas);
		for (i = 0; i < cap.nr_areas && i < TRACE_SPARSE_MAX; i++) {
			struct vfio_region_sparse_mmap_area a;

			if (!peek(&a, at + sizeof(cap) + i * sizeof(a),
				  sizeof(a)))
				break;
			putf(b, "%s{offset=0x%" PRIx64 ", size=0x%" PRIx64 "}",
			     i ? ", " : "", (uint64_t)a.offset,
			     (uint64_t)a.size);
		}
		put(b, i < cap.nr_areas ? (i ? ", ...]}" : "...]}") : "]}");
		return true;
	}
	case VFIO_REGION_INFO_CAP_TYPE: {
		struct vfio_region_info_cap_type cap;

		if (!peek(&cap, at, sizeof(cap)))
			break;
		putf(b, "TYPE{type=%u, subtype=%u}", cap.type, cap.subtype);
		return true;
	}
	case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
		put(b, "MSIX_MAPPABLE");
		return true;
	}
	return false;
}

/* One capability of a chain of kind caps, by its id if not known. */
static void put_vfio_cap(struct tr_buf *b, unsigned int caps, uint64_t at,
			 const struct vfio_info_cap_header *hdr)
{
	bool done = false;

	switch (caps) {
	case CAPS_TYPE1:
		done = put_type1_cap(b, at, hdr);
		break;
	case CAPS_DEVICE:
		done = put_device_cap(b, at, hdr);
		break;
	case CAPS_REGION:
		done = put_region_cap(b, at, hdr);
		break;
	}
	if (!done)
		putf(b, "{id=%u, version=%u}", hdr->id, hdr->version);
}

/*
 * A capability chain of a VFIO info struct (after the call, at base),
 * walked as a program would: from cap_offset (field f) along each header's
 * next, inside argsz (the first word) and the caller's buffer.
 */
static void put_vfio_caps(const struct tr_ctx *c, const struct tr_field *f,
			  const unsigned char *base)
{
	uint32_t argsz = MIN((uint32_t)get_uint(base, 4), c->tc->user_size);
	uint32_t off = (uint32_t)get_uint(base + f->off, f->width);
	uint64_t arg = (uintptr_t)c->tc->arg;
	unsigned int n;

	put(c->b, "[");
	for (n = 0; off && n < TRACE_CAPS_MAX; n++) {
		struct vfio_info_cap_header hdr;

		if ((uint64_t)off + sizeof(hdr) > argsz ||
		    !peek(&hdr, arg + off, sizeof(hdr))) {
			/* Out of the buffer: the offset alone. */
			putf(c->b, "%s%#x", n ? ", " : "", off);
			off = 0;
			break;
		}
		put(c->b, n ? ", " : "");
		put_vfio_cap(c->b, f->caps, arg + off, &hdr);
		/* A chain only goes forward. */
		off = hdr.next > off ? hdr.next : 0;
	}
	put(c->b, off ? ", ...]" : "]");
}

static void put_field(const struct tr_ctx *c, const struct tr_field *f,
		      const unsigned char *base, size_t covered)
{
	const unsigned char *p = base + f->off;
	unsigned int i;

	switch (f->fmt) {
	case T_DEC:
		putf(c->b, "%" PRIu64, get_uint(p, f->width));
		break;
	case T_INT:
		/* Sign-extend from the field's width. */
		putf(c->b, "%" PRId64,
		     (int64_t)(get_uint(p, f->width) << (64 - 8 * f->width)) >>
			     (64 - 8 * f->width));
		break;
	case T_HEX:
		put_hex(c->b, get_uint(p, f->width));
		break;
	case T_FLAGS:
		put_flags(c->b, f->syms, get_uint(p, f->width));
		break;
	case T_ENUM:
		put_enum(c->b, f->syms, get_uint(p, f->width));
		break;
	case T_BYTES:
		put(c->b, "[");
		for (i = 0; i < f->width; i++)
			putf(c->b, "%s%u", i ? ", " : "", p[i]);
		put(c->b, "]");
		break;
	case T_STRUCT:
		put_layout(c, f->sub, p, covered - f->off);
		break;
	case T_ARRAY:
		put_array(c, f, base);
		break;
	case T_VFIO_CAPS:
		put_vfio_caps(c, f, base);
		break;
	}
}

/* {name=value, ...}: the fields of this pass that the size covers. */
static void put_layout(const struct tr_ctx *c, const struct tr_layout *l,
		       const unsigned char *base, size_t covered)
{
	const char *sep = "";
	uint32_t i;

	put(c->b, "{");
	for (i = 0; i < l->nfields; i++) {
		const struct tr_field *f = &l->fields[i];

		if (!field_shows(c, f, covered))
			continue;
		if (f->fmt == T_VFIO_CAPS && !get_uint(base + f->off, f->width))
			continue;
		put(c->b, sep);
		put(c->b, f->name);
		put(c->b, "=");
		put_field(c, f, base, covered);
		sep = ", ";
	}
	put(c->b, "}");
}

static void put_struct_arg(struct tr_buf *b, const struct trace_call *tc,
			   int ret, int err)
{
	const struct tr_ioctl *d = tc->desc;
	unsigned char after[TRACE_SNAP_MAX] = { 0 };
	struct tr_ctx c = { .b = b, .tc = tc, .dir = D_IN };

	if (!tc->snap_ok) {
		put_ptr(b, tc->arg);
		return;
	}
	put_layout(&c, d->layout, tc->snap.bytes, tc->snap_len);

	if (ret == -1 && !(d->out_errno && err == d->out_errno))
		return;
	if (ret < -1)
		return;
	c.dir = D_OUT;
	c.arrays = ret >= 0;
	c.after = after;
	if (!peek(after, (uintptr_t)tc->arg, tc->snap_len) ||
	    !layout_shows(&c, d->layout, tc->snap_len))
		return;
	put(b, " => ");
	put_layout(&c, d->layout, after, tc->snap_len);
}

/* ---- entry points -------------------------------------------------------- */

static const struct tr_ioctl *find_ioctl(unsigned long request,
					 enum trace_fd_kind kind)
{
	unsigned int want = kind == TRACE_FD_OTHER ? ~0u : 1u << kind;
	size_t i;

	/* Only the low 32 bits of the request count, as in the kernel. */
	for (i = 0; i < ARRAY_SIZE(trace_ioctls); i++) {
		const struct tr_ioctl *d = &trace_ioctls[i];
		unsigned int kinds = d->kinds ? d->kinds : K_IOMMU;

		if (d->request == (uint32_t)request && (kinds & want))
			return d;
	}
	return NULL;
}

static void snap_struct(struct trace_call *tc, const struct tr_layout *l)
{
	uint64_t arg = (uintptr_t)tc->arg;
	struct tr_ctx c = { .tc = tc, .dir = D_IN };
	uint32_t usize, i;

	if (!peek(&usize, arg, sizeof(usize)) || usize < sizeof(usize))
		return;
	tc->user_size = usize;
	tc->snap_len = MIN(MIN(usize, l->size), TRACE_SNAP_MAX);
	if (!peek(tc->snap.bytes, arg, tc->snap_len)) {
		tc->snap_len = 0;
		return;
	}
	tc->snap_ok = 1;

	/* An input array must be read now: the call may change it. */
	for (i = 0; i < l->nfields; i++) {
		const struct tr_field *f = &l->fields[i];

		if (f->fmt == T_ARRAY && field_shows(&c, f, tc->snap_len)) {
			tc->aux_field = f;
			tc->aux_count = read_array(tc, f, tc->snap.bytes,
						   tc->aux.bytes);
			break;
		}
	}
}

void trace_begin_kind(struct trace_call *tc, int fd, unsigned long request,
		      void *arg, enum trace_fd_kind kind)
{
	int saved_errno = errno;
	const struct tr_ioctl *d = find_ioctl(request, kind);

	memset(tc, 0, sizeof(*tc));
	tc->fd = fd;
	tc->request = request;
	tc->arg = arg;
	tc->desc = d;
	tc->aux_count = -1;
	if (!d)
		goto out;

	switch (d->arg) {
	case A_STRUCT:
		snap_struct(tc, d->layout);
		break;
	case A_INTPTR:
		tc->snap_ok = peek(tc->snap.bytes, (uintptr_t)arg, sizeof(int));
		break;
	case A_STRING:
		tc->aux_count = peek_string((char *)tc->aux.bytes,
					    TRACE_STR_MAX, (uintptr_t)arg);
		break;
	}
out:
	errno = saved_errno;
}

void trace_begin(struct trace_call *tc, int fd, unsigned long request,
		 void *arg)
{
	trace_begin_kind(tc, fd, request, arg, TRACE_FD_IOMMU);
}

size_t trace_finish(struct trace_call *tc, int ret, int err, char *buf,
		    size_t size)
{
	const struct tr_ioctl *d = tc->desc;
	struct tr_buf b = { .p = buf, .size = size };
	int saved_errno = errno;
	size_t len;
	int v;

	putf(&b, "ioctl(%d, ", tc->fd);
	if (!d) {
		put_request(&b, tc->request);
		putf(&b, ", %#lx", (unsigned long)tc->arg);
		goto out;
	}

	put(&b, d->name);
	if (d->arg != A_NONE)
		put(&b, ", ");
	switch (d->arg) {
	case A_INT:
		put_enum(&b, d->syms, (unsigned long)tc->arg);
		break;
	case A_INTPTR:
		if (tc->snap_ok) {
			memcpy(&v, tc->snap.bytes, sizeof(v));
			putf(&b, "[%d]", v);
		} else {
			put_ptr(&b, tc->arg);
		}
		break;
	case A_STRING:
		if (tc->aux_count >= 0)
			put_string(&b, (const char *)tc->aux.bytes,
				   tc->aux_count);
		else
			put_ptr(&b, tc->arg);
		break;
	case A_STRUCT:
		put_struct_arg(&b, tc, ret, err);
		break;
	}
out:
	put(&b, ")");
	put_result(&b, ret, err);
	put(&b, "\n");
	len = tr_buf_end(&b);
	errno = saved_errno;
	return len;
}

/* The name of vfio-pci's region @index in trace_rw() lines. */
static void put_region(struct tr_buf *b, uint64_t index)
{
	static const char *const names[] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = "BAR0",
		[VFIO_PCI_BAR1_REGION_INDEX] = "BAR1",
		[VFIO_PCI_BAR2_REGION_INDEX] = "BAR2",
		[VFIO_PCI_BAR3_REGION_INDEX] = "BAR3",
		[VFIO_PCI_BAR4_REGION_INDEX] = "BAR4",
		[VFIO_PCI_BAR5_REGION_INDEX] = "BAR5",
		[VFIO_PCI_ROM_REGION_INDEX] = "ROM",
		[VFIO_PCI_CONFIG_REGION_INDEX] = "CONFIG",
		[VFIO_PCI_VGA_REGION_INDEX] = "VGA",
	};

	if (index < ARRAY_SIZE(names))
		put(b, names[index]);
	else
		putf(b, "REGION%" PRIu64, index);
}

size_t trace_rw(char *buf, size_t size, int fd, bool write, uint64_t offset,
		size_t count, ssize_t ret, int err)
{
	const uint64_t in_region = (1ULL << VFIO_PCI_OFFSET_SHIFT) - 1;
	struct tr_buf b = { .p = buf, .size = size };
	int saved_errno = errno;
	size_t len;

	putf(&b, "%s(%d, ", write ? "pwrite64" : "pread64", fd);
	put_region(&b, offset >> VFIO_PCI_OFFSET_SHIFT);
	putf(&b, "+0x%" PRIx64 ", %zu)", offset & in_region, count);
	if (ret == -1)
		put_result(&b, -1, err);
	else
		putf(&b, " = %zd", ret);
	put(&b, "\n");
	len = tr_buf_end(&b);
	errno = saved_errno;
	return len;
}

size_t trace_queue_rw(char *buf, size_t size, int fd, bool write, size_t count,
		      ssize_t ret, int err)
{
	struct tr_buf b = { .p = buf, .size = size };
	int saved_errno = errno;
	size_t len;

	putf(&b, "%s(%d, %zu)", write ? "write" : "read", fd, count);
	if (ret == -1)
		put_result(&b, -1, err);
	else
		putf(&b, " = %zd", ret);
	put(&b, "\n");
	len = tr_buf_end(&b);
	errno = saved_errno;
	return len;
}
