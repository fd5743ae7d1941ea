/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: how /dev/iommu dispatches an ioctl before any command runs.
 * The ioctl number must be one of the iommufd numbers exactly, the first
 * u32 of the argument is the caller's struct size, which must cover the
 * struct up to its last mandatory field; a larger struct is accepted when
 * the bytes beyond the known struct are zero.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"

static const struct {
	const char *name;
	unsigned long req;
	uint32_t size; /* both the struct size and its minimum in 6.12 */
} cmds[] = {
	{ "IOMMU_DESTROY", IOMMU_DESTROY, sizeof(struct iommu_destroy) },
	{ "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC,
	  sizeof(struct iommu_ioas_alloc) },
	{ "IOMMU_IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS,
	  sizeof(struct iommu_ioas_allow_iovas) },
	{ "IOMMU_IOAS_COPY", IOMMU_IOAS_COPY, sizeof(struct iommu_ioas_copy) },
	{ "IOMMU_IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES,
	  sizeof(struct iommu_ioas_iova_ranges) },
	{ "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP, sizeof(struct iommu_ioas_map) },
	{ "IOMMU_IOAS_UNMAP", IOMMU_IOAS_UNMAP,
	  sizeof(struct iommu_ioas_unmap) },
	{ "IOMMU_OPTION", IOMMU_OPTION, sizeof(struct iommu_option) },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* A zeroed argument buffer whose size word says @size. */
static void set_size(void *buf, size_t buflen, uint32_t size)
{
	memset(buf, 0, buflen);
	memcpy(buf, &size, sizeof(size));
}

CONF_TEST(dispatch_abi_numbers)
{
	/* The numbers are _IO(';', 0x80 + n): no direction, no size. */
	EXPECT_EQ(IOMMU_DESTROY, 0x3b80);
	EXPECT_EQ(IOMMU_IOAS_ALLOC, 0x3b81);
	EXPECT_EQ(IOMMU_IOAS_ALLOW_IOVAS, 0x3b82);
	EXPECT_EQ(IOMMU_IOAS_COPY, 0x3b83);
	EXPECT_EQ(IOMMU_IOAS_IOVA_RANGES, 0x3b84);
	EXPECT_EQ(IOMMU_IOAS_MAP, 0x3b85);
	EXPECT_EQ(IOMMU_IOAS_UNMAP, 0x3b86);
	EXPECT_EQ(IOMMU_OPTION, 0x3b87);
}

CONF_TEST(dispatch_unknown_number_enotty)
{
	/* Outside the VFIO compat numbers (100..117) and the iommufd ones. */
	static const unsigned int nrs[] = { 0x00, 0x01, 0x3f, 0x7f, 0x8f,
					    0x90, 0x9f, 0xa1, 0xc0, 0xff };
	int fd = conf_open();
	uint8_t buf[256];
	unsigned int i;

	for (i = 0; i != sizeof(nrs) / sizeof(nrs[0]); i++) {
		conf_note("nr 0x%x", nrs[i]);
		set_size(buf, sizeof(buf), sizeof(buf));
		EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(IOMMUFD_TYPE, nrs[i]), buf));
	}
}

CONF_TEST(dispatch_wrong_type_enotty)
{
	int fd = conf_open();
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	/* The right command number with another ioctl type letter. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO('x', 0x81), &cmd));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(0, 0x81), &cmd));
	EXPECT_EQ(cmd.out_ioas_id, 0);
}

CONF_TEST(dispatch_direction_or_size_bits_enotty)
{
	int fd = conf_open();
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	/* The whole 32-bit number must match, not only type and nr. */
	EXPECT_ERRNO(ENOTTY,
		     ioctl(fd,
			   _IOWR(IOMMUFD_TYPE, 0x81, struct iommu_ioas_alloc),
			   &cmd));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOR(IOMMUFD_TYPE, 0x81, __u32), &cmd));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOW(IOMMUFD_TYPE, 0x80, __u64), &cmd));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, IOMMU_IOAS_ALLOC | (1U << 16), &cmd));
	EXPECT_EQ(cmd.out_ioas_id, 0);
}

CONF_TEST(dispatch_request_upper_bits_ignored)
{
	int fd = conf_open();
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	struct iommu_destroy d = { .size = sizeof(d) };

	/* ioctl(2) takes the request as a 32-bit unsigned int. */
	EXPECT_OK(ioctl(fd, (1UL << 32) | IOMMU_IOAS_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_ioas_id, 1);
	d.id = cmd.out_ioas_id;
	EXPECT_OK(ioctl(fd, 0xffffffff00000000UL | IOMMU_DESTROY, &d));
}

CONF_TEST(dispatch_enotty_checked_before_size)
{
	int fd = conf_open();
	uint32_t size = 0;

	/* The size word is read, but a bad number wins over a bad size. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(IOMMUFD_TYPE, 0x8f), &size));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO('x', 0x85), &size));
}

CONF_TEST(dispatch_size_zero_einval)
{
	int fd = conf_open();
	uint8_t buf[128];
	unsigned int i;

	for (i = 0; i != NCMDS; i++) {
		conf_note("%s", cmds[i].name);
		set_size(buf, sizeof(buf), 0);
		EXPECT_ERRNO(EINVAL, ioctl(fd, cmds[i].req, buf));
	}
}

CONF_TEST(dispatch_size_short_einval)
{
	int fd = conf_open();
	uint8_t buf[128];
	unsigned int i;

	for (i = 0; i != NCMDS; i++) {
		conf_note("%s size %u", cmds[i].name, cmds[i].size - 1);
		set_size(buf, sizeof(buf), cmds[i].size - 1);
		EXPECT_ERRNO(EINVAL, ioctl(fd, cmds[i].req, buf));
		conf_note("%s size 4", cmds[i].name);
		set_size(buf, sizeof(buf), 4);
		EXPECT_ERRNO(EINVAL, ioctl(fd, cmds[i].req, buf));
	}
}

CONF_TEST(dispatch_size_check_before_command)
{
	int fd = conf_open();
	struct iommu_ioas_alloc alloc = { .size = 8, .flags = 0xff };
	struct iommu_ioas_map map = {
		.size = sizeof(map) - 8,
		.flags = 0xffffffff,
		.ioas_id = 12345,
		.length = 0,
	};

	/* An invalid request that is also too short: EINVAL for the size. */
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_IOAS_ALLOC, &alloc));
	EXPECT_ERRNO(EINVAL, ioctl(fd, IOMMU_IOAS_MAP, &map));
	EXPECT_EQ(alloc.out_ioas_id, 0);
}

CONF_TEST(dispatch_size_long_nonzero_tail_e2big)
{
	int fd = conf_open();
	uint8_t buf[128];
	unsigned int i;

	for (i = 0; i != NCMDS; i++) {
		conf_note("%s size %u, byte %u set", cmds[i].name,
			  cmds[i].size + 8, cmds[i].size);
		set_size(buf, sizeof(buf), cmds[i].size + 8);
		buf[cmds[i].size] = 1;
		EXPECT_ERRNO(E2BIG, ioctl(fd, cmds[i].req, buf));

		conf_note("%s size %u, last byte set", cmds[i].name,
			  (unsigned int)sizeof(buf));
		set_size(buf, sizeof(buf), sizeof(buf));
		buf[sizeof(buf) - 1] = 0x80;
		EXPECT_ERRNO(E2BIG, ioctl(fd, cmds[i].req, buf));
	}
	/* Nothing was created along the way. */
	EXPECT_EQ(ioas_alloc(fd), 1);
}

CONF_TEST(dispatch_e2big_before_command)
{
	int fd = conf_open();
	struct {
		struct iommu_ioas_map map;
		uint64_t extra;
	} big = {
		.map = { .size = sizeof(big), .flags = 0xffffffff },
		.extra = 1,
	};

	EXPECT_ERRNO(E2BIG, ioctl(fd, IOMMU_IOAS_MAP, &big));
}

CONF_TEST(dispatch_size_long_zero_tail_ok)
{
	int fd = conf_open();
	struct {
		struct iommu_ioas_alloc alloc;
		uint8_t tail[52];
	} a;
	struct {
		struct iommu_destroy destroy;
		uint8_t tail[4088];
	} *d = conf_mem(sizeof(*d), 0);
	unsigned int i;

	memset(&a, 0, sizeof(a));
	a.alloc.size = sizeof(a);
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_ALLOC, &a));
	EXPECT_EQ(a.alloc.out_ioas_id, 1);
	/* The answer covers the known struct only. */
	for (i = 0; i != sizeof(a.tail); i++)
		EXPECT_EQ(a.tail[i], 0);

	d->destroy.size = sizeof(*d);
	d->destroy.id = a.alloc.out_ioas_id;
	EXPECT_OK(ioctl(fd, IOMMU_DESTROY, d));
}

CONF_TEST(dispatch_size_huge_reads_tail)
{
	int fd = conf_open();
	struct iommu_ioas_alloc *cmd = conf_guarded(sizeof(*cmd) + 64);

	/* The zero check runs into the guard page: EFAULT, not E2BIG. */
	cmd->size = 0x100000;
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, cmd));
	cmd->size = 0xffffffff;
	EXPECT_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, cmd));
	/* Exactly up to the guard page is fine. */
	cmd->size = sizeof(*cmd) + 64;
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_ALLOC, cmd));
	EXPECT_EQ(cmd->out_ioas_id, 1);
}

CONF_TEST(dispatch_null_arg_efault)
{
	int fd = conf_open();
	unsigned int i;

	for (i = 0; i != NCMDS; i++) {
		conf_note("%s", cmds[i].name);
		EXPECT_ERRNO(EFAULT, ioctl(fd, cmds[i].req, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(fd, cmds[i].req, (void *)8));
		EXPECT_ERRNO(EFAULT, ioctl(fd, cmds[i].req, (void *)-8L));
	}
}

CONF_TEST(dispatch_arg_in_guard_page_efault)
{
	int fd = conf_open();
	uint8_t *end = conf_guarded(0);
	unsigned int i;

	for (i = 0; i != NCMDS; i++) {
		conf_note("%s", cmds[i].name);
		EXPECT_ERRNO(EFAULT, ioctl(fd, cmds[i].req, end));
	}
}

CONF_TEST(dispatch_struct_crosses_guard_efault)
{
	int fd = conf_open();
	unsigned int i;

	for (i = 0; i != NCMDS; i++) {
		/* The size word is readable, the rest of the struct is not. */
		uint32_t *size = conf_guarded(sizeof(*size));

		conf_note("%s", cmds[i].name);
		*size = cmds[i].size;
		EXPECT_ERRNO(EFAULT, ioctl(fd, cmds[i].req, size));
	}
}

CONF_TEST(dispatch_other_fd_untouched)
{
	int fd = conf_adopt_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	/* iommufd numbers mean nothing to other files. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, IOMMU_IOAS_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_ioas_id, 0);
}

CONF_TEST(dispatch_closed_fd_ebadf)
{
	int fd = conf_open();
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	conf_forget_fd(fd);
	EXPECT_OK(close(fd));
	EXPECT_ERRNO(EBADF, ioctl(fd, IOMMU_IOAS_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_ioas_id, 0);
}

CONF_TEST(dispatch_o_rdonly_open_works)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int fd = conf_adopt_fd(open("/dev/iommu", O_RDONLY | O_CLOEXEC));

	/* The device does not look at the open mode. */
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_ALLOC, &cmd));
	EXPECT_EQ(cmd.out_ioas_id, 1);
}

/* Place a copy of @cmd (@len bytes) so that it ends at a guard page. */
static void *at_guard(const void *cmd, size_t len)
{
	void *p = conf_guarded(len);

	memcpy(p, cmd, len);
	return p;
}

CONF_TEST(dispatch_struct_ends_at_guard_ok)
{
	int fd = conf_open();
	uint8_t *va = conf_mem(PAGE_SZ, 0);
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_alloc *palloc = at_guard(&alloc, sizeof(alloc));
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = MAP_FIXED_RW,
		.ioas_id = 1,
		.user_va = (uintptr_t)va,
		.length = PAGE_SZ,
		.iova = 0x1000,
	};
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = MAP_RW,
		.dst_ioas_id = 1,
		.src_ioas_id = 1,
		.length = PAGE_SZ,
		.src_iova = 0x1000,
	};
	struct iommu_ioas_iova_ranges ranges = { .size = sizeof(ranges),
						 .ioas_id = 1 };
	struct iommu_ioas_allow_iovas allow = { .size = sizeof(allow),
						.ioas_id = 1 };
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = 1,
	};
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = 1,
		.length = UINT64_MAX,
	};
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = 1 };
	struct iommu_ioas_map *pmap;
	struct iommu_ioas_copy *pcopy;
	struct iommu_ioas_iova_ranges *pranges;
	struct iommu_option *popt;
	struct iommu_ioas_unmap *punmap;

	/* Nothing beyond the struct is read or written. */
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_ALLOC, palloc));
	EXPECT_EQ(palloc->out_ioas_id, 1);
	pmap = at_guard(&map, sizeof(map));
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_MAP, pmap));
	pcopy = at_guard(&copy, sizeof(copy));
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_COPY, pcopy));
	EXPECT_EQ(pcopy->dst_iova, 0x2000);
	pranges = at_guard(&ranges, sizeof(ranges));
	EXPECT_ERRNO(EMSGSIZE, ioctl(fd, IOMMU_IOAS_IOVA_RANGES, pranges));
	EXPECT_EQ(pranges->num_iovas, 1);
	EXPECT_EQ(pranges->out_iova_alignment, 1);
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS,
			at_guard(&allow, sizeof(allow))));
	popt = at_guard(&opt, sizeof(opt));
	EXPECT_OK(ioctl(fd, IOMMU_OPTION, popt));
	EXPECT_EQ(popt->val64, 1);
	punmap = at_guard(&unmap, sizeof(unmap));
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_UNMAP, punmap));
	EXPECT_EQ(punmap->length, 2 * PAGE_SZ);
	EXPECT_OK(
		ioctl(fd, IOMMU_DESTROY, at_guard(&destroy, sizeof(destroy))));
}

CONF_TEST(dispatch_unaligned_arg_ok)
{
	int fd = conf_open();
	uint8_t *buf = conf_mem(PAGE_SZ, 0);
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = 1,
		.length = UINT64_MAX,
	};

	/* The argument needs no particular alignment. */
	memcpy(buf + 1, &alloc, sizeof(alloc));
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_ALLOC, buf + 1));
	memcpy(&alloc, buf + 1, sizeof(alloc));
	EXPECT_EQ(alloc.out_ioas_id, 1);
	memcpy(buf + 0x103, &unmap, sizeof(unmap));
	EXPECT_OK(ioctl(fd, IOMMU_IOAS_UNMAP, buf + 0x103));
}
