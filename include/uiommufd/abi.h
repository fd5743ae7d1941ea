/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommufd ABI definitions.
 *
 * This header mirrors the Linux 6.12 iommufd and VFIO (type1 container and
 * legacy group) uAPI: struct layouts, names, ioctl numbers and constant
 * values are identical to the kernel's.  It defines the same names as
 * <linux/iommufd.h> and <linux/vfio.h>, so it must NOT be included together
 * with either of those headers.
 */
#ifndef UIOMMUFD_ABI_H
#define UIOMMUFD_ABI_H

#include <stddef.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Compile-time layout checks; numbers are those of the kernel on x86-64. */
#define UIOMMUFD_ABI_SIZE(type, sz)                 \
	_Static_assert(sizeof(struct type) == (sz), \
		       "uiommufd abi: sizeof(struct " #type ")")
#define UIOMMUFD_ABI_OFF(type, field, off)                    \
	_Static_assert(offsetof(struct type, field) == (off), \
		       "uiommufd abi: offsetof(" #type ", " #field ")")

/* ====================================================================== */
/* iommufd (/dev/iommu)                                                    */
/* ====================================================================== */

#define IOMMUFD_TYPE (';')

/* Command numbers; each ioctl below is _IO(IOMMUFD_TYPE, <command>). */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
};

/* IOMMU_DESTROY: free any iommufd object by its id. */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
UIOMMUFD_ABI_SIZE(iommu_destroy, 8);
UIOMMUFD_ABI_OFF(iommu_destroy, size, 0);
UIOMMUFD_ABI_OFF(iommu_destroy, id, 4);
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* IOMMU_IOAS_ALLOC: create an empty I/O address space, return its id. */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
UIOMMUFD_ABI_SIZE(iommu_ioas_alloc, 12);
UIOMMUFD_ABI_OFF(iommu_ioas_alloc, size, 0);
UIOMMUFD_ABI_OFF(iommu_ioas_alloc, flags, 4);
UIOMMUFD_ABI_OFF(iommu_ioas_alloc, out_ioas_id, 8);
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* One inclusive IOVA interval [start, last]. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};
UIOMMUFD_ABI_SIZE(iommu_iova_range, 16);
UIOMMUFD_ABI_OFF(iommu_iova_range, start, 0);
UIOMMUFD_ABI_OFF(iommu_iova_range, last, 8);

/* IOMMU_IOAS_IOVA_RANGES: report the usable IOVA ranges of an IOAS. */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
UIOMMUFD_ABI_SIZE(iommu_ioas_iova_ranges, 32);
UIOMMUFD_ABI_OFF(iommu_ioas_iova_ranges, size, 0);
UIOMMUFD_ABI_OFF(iommu_ioas_iova_ranges, ioas_id, 4);
UIOMMUFD_ABI_OFF(iommu_ioas_iova_ranges, num_iovas, 8);
UIOMMUFD_ABI_OFF(iommu_ioas_iova_ranges, __reserved, 12);
UIOMMUFD_ABI_OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
UIOMMUFD_ABI_OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/* IOMMU_IOAS_ALLOW_IOVAS: restrict automatic IOVA allocation to ranges. */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
UIOMMUFD_ABI_SIZE(iommu_ioas_allow_iovas, 24);
UIOMMUFD_ABI_OFF(iommu_ioas_allow_iovas, size, 0);
UIOMMUFD_ABI_OFF(iommu_ioas_allow_iovas, ioas_id, 4);
UIOMMUFD_ABI_OFF(iommu_ioas_allow_iovas, num_iovas, 8);
UIOMMUFD_ABI_OFF(iommu_ioas_allow_iovas, __reserved, 12);
UIOMMUFD_ABI_OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/* Flags for IOMMU_IOAS_MAP and IOMMU_IOAS_COPY. */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/* IOMMU_IOAS_MAP: map a range of process memory into an IOAS. */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
UIOMMUFD_ABI_SIZE(iommu_ioas_map, 40);
UIOMMUFD_ABI_OFF(iommu_ioas_map, size, 0);
UIOMMUFD_ABI_OFF(iommu_ioas_map, flags, 4);
UIOMMUFD_ABI_OFF(iommu_ioas_map, ioas_id, 8);
UIOMMUFD_ABI_OFF(iommu_ioas_map, __reserved, 12);
UIOMMUFD_ABI_OFF(iommu_ioas_map, user_va, 16);
UIOMMUFD_ABI_OFF(iommu_ioas_map, length, 24);
UIOMMUFD_ABI_OFF(iommu_ioas_map, iova, 32);
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* IOMMU_IOAS_COPY: map pages already mapped in one IOAS into another. */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
UIOMMUFD_ABI_SIZE(iommu_ioas_copy, 40);
UIOMMUFD_ABI_OFF(iommu_ioas_copy, size, 0);
UIOMMUFD_ABI_OFF(iommu_ioas_copy, flags, 4);
UIOMMUFD_ABI_OFF(iommu_ioas_copy, dst_ioas_id, 8);
UIOMMUFD_ABI_OFF(iommu_ioas_copy, src_ioas_id, 12);
UIOMMUFD_ABI_OFF(iommu_ioas_copy, length, 16);
UIOMMUFD_ABI_OFF(iommu_ioas_copy, dst_iova, 24);
UIOMMUFD_ABI_OFF(iommu_ioas_copy, src_iova, 32);
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/* IOMMU_IOAS_UNMAP: remove mappings from an IOAS (length 0 = all). */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
UIOMMUFD_ABI_SIZE(iommu_ioas_unmap, 24);
UIOMMUFD_ABI_OFF(iommu_ioas_unmap, size, 0);
UIOMMUFD_ABI_OFF(iommu_ioas_unmap, ioas_id, 4);
UIOMMUFD_ABI_OFF(iommu_ioas_unmap, iova, 8);
UIOMMUFD_ABI_OFF(iommu_ioas_unmap, length, 16);
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* Option ids for IOMMU_OPTION. */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/* Operations for IOMMU_OPTION. */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/* IOMMU_OPTION: get or set a global or per-object option. */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
UIOMMUFD_ABI_SIZE(iommu_option, 24);
UIOMMUFD_ABI_OFF(iommu_option, size, 0);
UIOMMUFD_ABI_OFF(iommu_option, option_id, 4);
UIOMMUFD_ABI_OFF(iommu_option, op, 8);
UIOMMUFD_ABI_OFF(iommu_option, __reserved, 10);
UIOMMUFD_ABI_OFF(iommu_option, object_id, 12);
UIOMMUFD_ABI_OFF(iommu_option, val64, 16);
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/* Operations for IOMMU_VFIO_IOAS. */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/* IOMMU_VFIO_IOAS: choose the IOAS backing the VFIO container compat. */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};
UIOMMUFD_ABI_SIZE(iommu_vfio_ioas, 12);
UIOMMUFD_ABI_OFF(iommu_vfio_ioas, size, 0);
UIOMMUFD_ABI_OFF(iommu_vfio_ioas, ioas_id, 4);
UIOMMUFD_ABI_OFF(iommu_vfio_ioas, op, 8);
UIOMMUFD_ABI_OFF(iommu_vfio_ioas, __reserved, 10);
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* Flags for IOMMU_HWPT_ALLOC. */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
};

/* Flags of an Intel VT-d stage-1 page table. */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/* Driver data for a nested Intel VT-d stage-1 HWPT. */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_vtd_s1, 24);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1, flags, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1, addr_width, 16);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1, __reserved, 20);

/* Type of the driver data passed to IOMMU_HWPT_ALLOC. */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
};

/* IOMMU_HWPT_ALLOC: create a hardware page table for a device. */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_alloc, 48);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, size, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, flags, 4);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, dev_id, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, pt_id, 12);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, __reserved, 20);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, data_type, 24);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, data_len, 28);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, data_uptr, 32);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, fault_id, 40);
UIOMMUFD_ABI_OFF(iommu_hwpt_alloc, __reserved2, 44);
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* Flags in struct iommu_hw_info_vtd. */
enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* Intel VT-d hardware information returned by IOMMU_GET_HW_INFO. */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};
UIOMMUFD_ABI_SIZE(iommu_hw_info_vtd, 24);
UIOMMUFD_ABI_OFF(iommu_hw_info_vtd, flags, 0);
UIOMMUFD_ABI_OFF(iommu_hw_info_vtd, __reserved, 4);
UIOMMUFD_ABI_OFF(iommu_hw_info_vtd, cap_reg, 8);
UIOMMUFD_ABI_OFF(iommu_hw_info_vtd, ecap_reg, 16);

/* Type of the driver data returned by IOMMU_GET_HW_INFO. */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
};

/* Generic capability bits reported by IOMMU_GET_HW_INFO. */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/* IOMMU_GET_HW_INFO: query the IOMMU behind a bound device. */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 out_data_type;
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
UIOMMUFD_ABI_SIZE(iommu_hw_info, 40);
UIOMMUFD_ABI_OFF(iommu_hw_info, size, 0);
UIOMMUFD_ABI_OFF(iommu_hw_info, flags, 4);
UIOMMUFD_ABI_OFF(iommu_hw_info, dev_id, 8);
UIOMMUFD_ABI_OFF(iommu_hw_info, data_len, 12);
UIOMMUFD_ABI_OFF(iommu_hw_info, data_uptr, 16);
UIOMMUFD_ABI_OFF(iommu_hw_info, out_data_type, 24);
UIOMMUFD_ABI_OFF(iommu_hw_info, out_max_pasid_log2, 28);
UIOMMUFD_ABI_OFF(iommu_hw_info, __reserved, 29);
UIOMMUFD_ABI_OFF(iommu_hw_info, out_capabilities, 32);
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* Flags for IOMMU_HWPT_SET_DIRTY_TRACKING. */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/* IOMMU_HWPT_SET_DIRTY_TRACKING: turn dirty tracking of a HWPT on/off. */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_set_dirty_tracking, 16);
UIOMMUFD_ABI_OFF(iommu_hwpt_set_dirty_tracking, size, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_set_dirty_tracking, flags, 4);
UIOMMUFD_ABI_OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_set_dirty_tracking, __reserved, 12);
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/* Flags for IOMMU_HWPT_GET_DIRTY_BITMAP. */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/* IOMMU_HWPT_GET_DIRTY_BITMAP: read (and clear) dirty bits of an IOVA range. */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_get_dirty_bitmap, 48);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, size, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, flags, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, __reserved, 12);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, length, 24);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
UIOMMUFD_ABI_OFF(iommu_hwpt_get_dirty_bitmap, data, 40);
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* Type of the entries passed to IOMMU_HWPT_INVALIDATE. */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
};

/* Flags of struct iommu_hwpt_vtd_s1_invalidate. */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/* One Intel VT-d stage-1 cache invalidation request. */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1_invalidate, addr, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1_invalidate, npages, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
UIOMMUFD_ABI_OFF(iommu_hwpt_vtd_s1_invalidate, __reserved, 20);

/* IOMMU_HWPT_INVALIDATE: flush caches of a nested (user-managed) HWPT. */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_invalidate, 32);
UIOMMUFD_ABI_OFF(iommu_hwpt_invalidate, size, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_invalidate, hwpt_id, 4);
UIOMMUFD_ABI_OFF(iommu_hwpt_invalidate, data_uptr, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_invalidate, data_type, 16);
UIOMMUFD_ABI_OFF(iommu_hwpt_invalidate, entry_len, 20);
UIOMMUFD_ABI_OFF(iommu_hwpt_invalidate, entry_num, 24);
UIOMMUFD_ABI_OFF(iommu_hwpt_invalidate, __reserved, 28);
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/* Flags of struct iommu_hwpt_pgfault. */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),
};

/* Access permissions requested by a faulting I/O page request. */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/* An I/O page fault record, read() from a fault queue fd. */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_pgfault, 40);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, flags, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, dev_id, 4);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, pasid, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, grpid, 12);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, perm, 16);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, __reserved, 20);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, addr, 24);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, length, 32);
UIOMMUFD_ABI_OFF(iommu_hwpt_pgfault, cookie, 36);

/* Result codes for struct iommu_hwpt_page_response. */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/* A page fault response, write() to a fault queue fd. */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_page_response, 8);
UIOMMUFD_ABI_OFF(iommu_hwpt_page_response, cookie, 0);
UIOMMUFD_ABI_OFF(iommu_hwpt_page_response, code, 4);

/* IOMMU_FAULT_QUEUE_ALLOC: create a fault object and its fault queue fd. */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
UIOMMUFD_ABI_SIZE(iommu_fault_alloc, 16);
UIOMMUFD_ABI_OFF(iommu_fault_alloc, size, 0);
UIOMMUFD_ABI_OFF(iommu_fault_alloc, flags, 4);
UIOMMUFD_ABI_OFF(iommu_fault_alloc, out_fault_id, 8);
UIOMMUFD_ABI_OFF(iommu_fault_alloc, out_fault_fd, 12);
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ====================================================================== */
/* VFIO: container (/dev/vfio/vfio), legacy group and type1 IOMMU         */
/* ====================================================================== */

#define VFIO_API_VERSION 0

/* Extensions, queried with VFIO_CHECK_EXTENSION (IOMMU types and features). */
#define VFIO_TYPE1_IOMMU 1
#define VFIO_SPAPR_TCE_IOMMU 2
#define VFIO_TYPE1v2_IOMMU 3
#define VFIO_DMA_CC_IOMMU 4
#define VFIO_EEH 5
#define VFIO_TYPE1_NESTING_IOMMU 6
#define VFIO_SPAPR_TCE_v2_IOMMU 7
#define VFIO_NOIOMMU_IOMMU 8
#define VFIO_UNMAP_ALL 9
#define VFIO_UPDATE_VADDR 10

#define VFIO_TYPE (';')
#define VFIO_BASE 100

/* Header that starts every entry of a VFIO capability chain. */
struct vfio_info_cap_header {
	__u16 id;
	__u16 version;
	__u32 next;
};
UIOMMUFD_ABI_SIZE(vfio_info_cap_header, 8);
UIOMMUFD_ABI_OFF(vfio_info_cap_header, id, 0);
UIOMMUFD_ABI_OFF(vfio_info_cap_header, version, 2);
UIOMMUFD_ABI_OFF(vfio_info_cap_header, next, 4);

/* Container fd: report the API version (VFIO_API_VERSION). */
#define VFIO_GET_API_VERSION _IO(VFIO_TYPE, VFIO_BASE + 0)
/* Container fd: ask whether an extension/IOMMU type is supported. */
#define VFIO_CHECK_EXTENSION _IO(VFIO_TYPE, VFIO_BASE + 1)
/* Container fd: select the IOMMU backend type. */
#define VFIO_SET_IOMMU _IO(VFIO_TYPE, VFIO_BASE + 2)

/* Group status flags. */
#define VFIO_GROUP_FLAGS_VIABLE (1 << 0)
#define VFIO_GROUP_FLAGS_CONTAINER_SET (1 << 1)

/* VFIO_GROUP_GET_STATUS: whether a group is viable and has a container. */
struct vfio_group_status {
	__u32 argsz;
	__u32 flags;
};
UIOMMUFD_ABI_SIZE(vfio_group_status, 8);
UIOMMUFD_ABI_OFF(vfio_group_status, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_group_status, flags, 4);
#define VFIO_GROUP_GET_STATUS _IO(VFIO_TYPE, VFIO_BASE + 3)
/* Group fd: attach the group to a container fd (int argument). */
#define VFIO_GROUP_SET_CONTAINER _IO(VFIO_TYPE, VFIO_BASE + 4)
/* Group fd: detach the group from its container. */
#define VFIO_GROUP_UNSET_CONTAINER _IO(VFIO_TYPE, VFIO_BASE + 5)
/* Group fd: open a device of the group by name (string argument). */
#define VFIO_GROUP_GET_DEVICE_FD _IO(VFIO_TYPE, VFIO_BASE + 6)

/* Type1 info flags. */
#define VFIO_IOMMU_INFO_PGSIZES (1 << 0)
#define VFIO_IOMMU_INFO_CAPS (1 << 1)

/* VFIO_IOMMU_GET_INFO: page sizes and capability chain of a container. */
struct vfio_iommu_type1_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 iova_pgsizes;
	__u32 cap_offset;
	__u32 pad;
};
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_info, 24);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info, flags, 4);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info, iova_pgsizes, 8);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info, cap_offset, 16);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info, pad, 20);

/* Type1 info capability ids. */
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3

/* One inclusive IOVA interval [start, end] usable for DMA mapping. */
struct vfio_iova_range {
	__u64 start;
	__u64 end;
};
UIOMMUFD_ABI_SIZE(vfio_iova_range, 16);
UIOMMUFD_ABI_OFF(vfio_iova_range, start, 0);
UIOMMUFD_ABI_OFF(vfio_iova_range, end, 8);

/* Capability: the valid IOVA ranges of the container. */
struct vfio_iommu_type1_info_cap_iova_range {
	struct vfio_info_cap_header header;
	__u32 nr_iovas;
	__u32 reserved;
	struct vfio_iova_range iova_ranges[];
};
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_info_cap_iova_range, 16);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_iova_range, header, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_iova_range, nr_iovas, 8);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_iova_range, reserved, 12);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_iova_range, iova_ranges, 16);

/* Capability: dirty page logging support and its limits. */
struct vfio_iommu_type1_info_cap_migration {
	struct vfio_info_cap_header header;
	__u32 flags;
	__u64 pgsize_bitmap;
	__u64 max_dirty_bitmap_size;
};
/* Layout depends on __u64 alignment / pointer size: checked on LP64 only. */
#if defined(__LP64__)
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_info_cap_migration, 32);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_migration, header, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_migration, flags, 8);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_migration, pgsize_bitmap, 16);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size,
		 24);
#endif

/* Capability: number of DMA mappings that may still be created. */
struct vfio_iommu_type1_info_dma_avail {
	struct vfio_info_cap_header header;
	__u32 avail;
};
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_info_dma_avail, 12);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_dma_avail, header, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_info_dma_avail, avail, 8);

#define VFIO_IOMMU_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 12)

/* DMA map flags. */
#define VFIO_DMA_MAP_FLAG_READ (1 << 0)
#define VFIO_DMA_MAP_FLAG_WRITE (1 << 1)
#define VFIO_DMA_MAP_FLAG_VADDR (1 << 2)

/* VFIO_IOMMU_MAP_DMA: map process memory at an IOVA in the container. */
struct vfio_iommu_type1_dma_map {
	__u32 argsz;
	__u32 flags;
	__u64 vaddr;
	__u64 iova;
	__u64 size;
};
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_dma_map, 32);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_map, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_map, flags, 4);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_map, vaddr, 8);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_map, iova, 16);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_map, size, 24);

#define VFIO_IOMMU_MAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 13)

/* A user buffer receiving a dirty bitmap, one bit per pgsize page. */
struct vfio_bitmap {
	__u64 pgsize;
	__u64 size;
	__u64 *data;
};
/* Layout depends on __u64 alignment / pointer size: checked on LP64 only. */
#if defined(__LP64__)
UIOMMUFD_ABI_SIZE(vfio_bitmap, 24);
UIOMMUFD_ABI_OFF(vfio_bitmap, pgsize, 0);
UIOMMUFD_ABI_OFF(vfio_bitmap, size, 8);
UIOMMUFD_ABI_OFF(vfio_bitmap, data, 16);
#endif

/* DMA unmap flags. */
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1 << 0)
#define VFIO_DMA_UNMAP_FLAG_ALL (1 << 1)
#define VFIO_DMA_UNMAP_FLAG_VADDR (1 << 2)

/* VFIO_IOMMU_UNMAP_DMA: unmap IOVA range, optionally fetch dirty bits. */
struct vfio_iommu_type1_dma_unmap {
	__u32 argsz;
	__u32 flags;
	__u64 iova;
	__u64 size;
	__u8 data[];
};
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_dma_unmap, 24);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_unmap, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_unmap, flags, 4);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_unmap, iova, 8);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_unmap, size, 16);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dma_unmap, data, 24);

#define VFIO_IOMMU_UNMAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 14)

/* Enable/disable the container's IOMMU (no argument). */
#define VFIO_IOMMU_ENABLE _IO(VFIO_TYPE, VFIO_BASE + 15)
#define VFIO_IOMMU_DISABLE _IO(VFIO_TYPE, VFIO_BASE + 16)

/* Dirty page operations; exactly one per call. */
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_START (1 << 0)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP (1 << 1)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP (1 << 2)

/* VFIO_IOMMU_DIRTY_PAGES: start/stop dirty logging or fetch the bitmap. */
struct vfio_iommu_type1_dirty_bitmap {
	__u32 argsz;
	__u32 flags;
	__u8 data[];
};
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_dirty_bitmap, 8);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dirty_bitmap, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dirty_bitmap, flags, 4);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dirty_bitmap, data, 8);

/* Payload of a GET_BITMAP request: the IOVA range and output bitmap. */
struct vfio_iommu_type1_dirty_bitmap_get {
	__u64 iova;
	__u64 size;
	struct vfio_bitmap bitmap;
};
/* Layout depends on __u64 alignment / pointer size: checked on LP64 only. */
#if defined(__LP64__)
UIOMMUFD_ABI_SIZE(vfio_iommu_type1_dirty_bitmap_get, 40);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dirty_bitmap_get, iova, 0);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dirty_bitmap_get, size, 8);
UIOMMUFD_ABI_OFF(vfio_iommu_type1_dirty_bitmap_get, bitmap, 16);
#endif

#define VFIO_IOMMU_DIRTY_PAGES _IO(VFIO_TYPE, VFIO_BASE + 17)

/* ====================================================================== */
/* VFIO: device fds (PCI), on the group and the cdev path                 */
/* ====================================================================== */

/* VFIO_DEVICE_GET_INFO: what kind of device, how many regions and IRQs. */
struct vfio_device_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_FLAGS_RESET (1 << 0)
#define VFIO_DEVICE_FLAGS_PCI (1 << 1)
#define VFIO_DEVICE_FLAGS_PLATFORM (1 << 2)
#define VFIO_DEVICE_FLAGS_AMBA (1 << 3)
#define VFIO_DEVICE_FLAGS_CCW (1 << 4)
#define VFIO_DEVICE_FLAGS_AP (1 << 5)
#define VFIO_DEVICE_FLAGS_FSL_MC (1 << 6)
#define VFIO_DEVICE_FLAGS_CAPS (1 << 7)
#define VFIO_DEVICE_FLAGS_CDX (1 << 8)
	__u32 num_regions;
	__u32 num_irqs;
	__u32 cap_offset;
	__u32 pad;
};
UIOMMUFD_ABI_SIZE(vfio_device_info, 24);
UIOMMUFD_ABI_OFF(vfio_device_info, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_device_info, flags, 4);
UIOMMUFD_ABI_OFF(vfio_device_info, num_regions, 8);
UIOMMUFD_ABI_OFF(vfio_device_info, num_irqs, 12);
UIOMMUFD_ABI_OFF(vfio_device_info, cap_offset, 16);
UIOMMUFD_ABI_OFF(vfio_device_info, pad, 20);
#define VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)

#define VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP 5

/* VFIO_DEVICE_GET_REGION_INFO: one region's size, offset and access. */
struct vfio_region_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_REGION_INFO_FLAG_READ (1 << 0)
#define VFIO_REGION_INFO_FLAG_WRITE (1 << 1)
#define VFIO_REGION_INFO_FLAG_MMAP (1 << 2)
#define VFIO_REGION_INFO_FLAG_CAPS (1 << 3)
	__u32 index;
	__u32 cap_offset;
	__aligned_u64 size;
	__aligned_u64 offset;
};
UIOMMUFD_ABI_SIZE(vfio_region_info, 32);
UIOMMUFD_ABI_OFF(vfio_region_info, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_region_info, flags, 4);
UIOMMUFD_ABI_OFF(vfio_region_info, index, 8);
UIOMMUFD_ABI_OFF(vfio_region_info, cap_offset, 12);
UIOMMUFD_ABI_OFF(vfio_region_info, size, 16);
UIOMMUFD_ABI_OFF(vfio_region_info, offset, 24);
#define VFIO_DEVICE_GET_REGION_INFO _IO(VFIO_TYPE, VFIO_BASE + 8)

/* Region capabilities. */
#define VFIO_REGION_INFO_CAP_SPARSE_MMAP 1
struct vfio_region_sparse_mmap_area {
	__aligned_u64 offset;
	__aligned_u64 size;
};
UIOMMUFD_ABI_SIZE(vfio_region_sparse_mmap_area, 16);

struct vfio_region_info_cap_sparse_mmap {
	struct vfio_info_cap_header header;
	__u32 nr_areas;
	__u32 reserved;
	struct vfio_region_sparse_mmap_area areas[];
};
UIOMMUFD_ABI_SIZE(vfio_region_info_cap_sparse_mmap, 16);
UIOMMUFD_ABI_OFF(vfio_region_info_cap_sparse_mmap, nr_areas, 8);
UIOMMUFD_ABI_OFF(vfio_region_info_cap_sparse_mmap, areas, 16);

#define VFIO_REGION_INFO_CAP_TYPE 2
struct vfio_region_info_cap_type {
	struct vfio_info_cap_header header;
	__u32 type;
	__u32 subtype;
};
UIOMMUFD_ABI_SIZE(vfio_region_info_cap_type, 16);

/* A BAR holding an MSI-X table that may still be mmapped whole. */
#define VFIO_REGION_INFO_CAP_MSIX_MAPPABLE 3

/* VFIO_DEVICE_GET_IRQ_INFO: one interrupt index and its vectors. */
struct vfio_irq_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_IRQ_INFO_EVENTFD (1 << 0)
#define VFIO_IRQ_INFO_MASKABLE (1 << 1)
#define VFIO_IRQ_INFO_AUTOMASKED (1 << 2)
#define VFIO_IRQ_INFO_NORESIZE (1 << 3)
	__u32 index;
	__u32 count;
};
UIOMMUFD_ABI_SIZE(vfio_irq_info, 16);
UIOMMUFD_ABI_OFF(vfio_irq_info, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_irq_info, flags, 4);
UIOMMUFD_ABI_OFF(vfio_irq_info, index, 8);
UIOMMUFD_ABI_OFF(vfio_irq_info, count, 12);
#define VFIO_DEVICE_GET_IRQ_INFO _IO(VFIO_TYPE, VFIO_BASE + 9)

/* VFIO_DEVICE_SET_IRQS: trigger, mask or unmask vectors [start, +count). */
struct vfio_irq_set {
	__u32 argsz;
	__u32 flags;
#define VFIO_IRQ_SET_DATA_NONE (1 << 0)
#define VFIO_IRQ_SET_DATA_BOOL (1 << 1)
#define VFIO_IRQ_SET_DATA_EVENTFD (1 << 2)
#define VFIO_IRQ_SET_ACTION_MASK (1 << 3)
#define VFIO_IRQ_SET_ACTION_UNMASK (1 << 4)
#define VFIO_IRQ_SET_ACTION_TRIGGER (1 << 5)
	__u32 index;
	__u32 start;
	__u32 count;
	__u8 data[];
};
UIOMMUFD_ABI_SIZE(vfio_irq_set, 20);
UIOMMUFD_ABI_OFF(vfio_irq_set, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_irq_set, flags, 4);
UIOMMUFD_ABI_OFF(vfio_irq_set, index, 8);
UIOMMUFD_ABI_OFF(vfio_irq_set, start, 12);
UIOMMUFD_ABI_OFF(vfio_irq_set, count, 16);
UIOMMUFD_ABI_OFF(vfio_irq_set, data, 20);
#define VFIO_DEVICE_SET_IRQS _IO(VFIO_TYPE, VFIO_BASE + 10)

#define VFIO_IRQ_SET_DATA_TYPE_MASK                        \
	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | \
	 VFIO_IRQ_SET_DATA_EVENTFD)
#define VFIO_IRQ_SET_ACTION_TYPE_MASK                            \
	(VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK | \
	 VFIO_IRQ_SET_ACTION_TRIGGER)

#define VFIO_DEVICE_RESET _IO(VFIO_TYPE, VFIO_BASE + 11)

/* vfio-pci's regions and interrupt indexes. */
enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS = 9
};

enum {
	VFIO_PCI_INTX_IRQ_INDEX,
	VFIO_PCI_MSI_IRQ_INDEX,
	VFIO_PCI_MSIX_IRQ_INDEX,
	VFIO_PCI_ERR_IRQ_INDEX,
	VFIO_PCI_REQ_IRQ_INDEX,
	VFIO_PCI_NUM_IRQS
};

/*
 * Not uAPI but fixed by vfio-pci all the same (programs compute it): the
 * file offset of region I is I << 40.
 */
#define VFIO_PCI_OFFSET_SHIFT 40

/* VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: who shares the reset. */
struct vfio_pci_dependent_device {
	union {
		__u32 group_id;
		__u32 devid;
#define VFIO_PCI_DEVID_OWNED 0
#define VFIO_PCI_DEVID_NOT_OWNED -1
	};
	__u16 segment;
	__u8 bus;
	__u8 devfn;
};
UIOMMUFD_ABI_SIZE(vfio_pci_dependent_device, 8);
UIOMMUFD_ABI_OFF(vfio_pci_dependent_device, segment, 4);
UIOMMUFD_ABI_OFF(vfio_pci_dependent_device, bus, 6);
UIOMMUFD_ABI_OFF(vfio_pci_dependent_device, devfn, 7);

struct vfio_pci_hot_reset_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID (1 << 0)
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1 << 1)
	__u32 count;
	struct vfio_pci_dependent_device devices[];
};
UIOMMUFD_ABI_SIZE(vfio_pci_hot_reset_info, 12);
UIOMMUFD_ABI_OFF(vfio_pci_hot_reset_info, count, 8);
UIOMMUFD_ABI_OFF(vfio_pci_hot_reset_info, devices, 12);
#define VFIO_DEVICE_GET_PCI_HOT_RESET_INFO _IO(VFIO_TYPE, VFIO_BASE + 12)

struct vfio_pci_hot_reset {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__s32 group_fds[];
};
UIOMMUFD_ABI_SIZE(vfio_pci_hot_reset, 12);
#define VFIO_DEVICE_PCI_HOT_RESET _IO(VFIO_TYPE, VFIO_BASE + 13)

#define VFIO_DEVICE_QUERY_GFX_PLANE _IO(VFIO_TYPE, VFIO_BASE + 14)
#define VFIO_DEVICE_GET_GFX_DMABUF _IO(VFIO_TYPE, VFIO_BASE + 15)
#define VFIO_DEVICE_IOEVENTFD _IO(VFIO_TYPE, VFIO_BASE + 16)

/* VFIO_DEVICE_FEATURE: get, set or probe one feature of a device. */
struct vfio_device_feature {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_FEATURE_MASK (0xffff)
#define VFIO_DEVICE_FEATURE_GET (1 << 16)
#define VFIO_DEVICE_FEATURE_SET (1 << 17)
#define VFIO_DEVICE_FEATURE_PROBE (1 << 18)
	__u8 data[];
};
UIOMMUFD_ABI_SIZE(vfio_device_feature, 8);
#define VFIO_DEVICE_FEATURE _IO(VFIO_TYPE, VFIO_BASE + 17)

/* cdev path: bind the device fd to an iommufd, then attach it to a PT. */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
UIOMMUFD_ABI_SIZE(vfio_device_bind_iommufd, 16);
UIOMMUFD_ABI_OFF(vfio_device_bind_iommufd, argsz, 0);
UIOMMUFD_ABI_OFF(vfio_device_bind_iommufd, flags, 4);
UIOMMUFD_ABI_OFF(vfio_device_bind_iommufd, iommufd, 8);
UIOMMUFD_ABI_OFF(vfio_device_bind_iommufd, out_devid, 12);
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
UIOMMUFD_ABI_SIZE(vfio_device_attach_iommufd_pt, 12);
UIOMMUFD_ABI_OFF(vfio_device_attach_iommufd_pt, pt_id, 8);
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};
UIOMMUFD_ABI_SIZE(vfio_device_detach_iommufd_pt, 8);
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)

/* ====================================================================== */
/* IOMMU_TEST_CMD: the test-only interface of a kernel built with        */
/* CONFIG_IOMMUFD_TEST (Linux 6.12 drivers/iommu/iommufd/iommufd_test.h). */
/* Its mock IOMMU and mock devices are how the kernel's selftests, and    */
/* ours, create devices and IOMMU domains.                                */
/* ====================================================================== */

enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
};

/* The IOVA window of a mock domain. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
};

enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
	};
	__u32 last;
};
UIOMMUFD_ABI_SIZE(iommu_test_cmd, 72);
UIOMMUFD_ABI_OFF(iommu_test_cmd, id, 8);
UIOMMUFD_ABI_OFF(iommu_test_cmd, add_reserved, 16);
UIOMMUFD_ABI_OFF(iommu_test_cmd, last, 64);

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* GET_HW_INFO of a mock device. */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};
UIOMMUFD_ABI_SIZE(iommu_test_hw_info, 8);

/* HWPT_ALLOC data of a mock nested domain. */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

struct iommu_hwpt_selftest {
	__u32 iotlb;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_selftest, 4);

/* HWPT_INVALIDATE data of a mock nested domain. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

struct iommu_hwpt_invalidate_selftest {
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)
	__u32 flags;
	__u32 iotlb_id;
};
UIOMMUFD_ABI_SIZE(iommu_hwpt_invalidate_selftest, 8);

#undef UIOMMUFD_ABI_SIZE
#undef UIOMMUFD_ABI_OFF

#endif /* UIOMMUFD_ABI_H */
