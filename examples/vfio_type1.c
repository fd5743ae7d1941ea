// SPDX-License-Identifier: BSD-3-Clause
/*
 * A VFIO type1 container user, written the way DPDK and QEMU drive one:
 * open /dev/vfio/vfio, check the API version and the type1 extensions,
 * attach a group, choose the IOMMU type, read the IOMMU info (page sizes,
 * usable IOVA ranges, DMA mapping budget) through the argsz protocol and its
 * capability chain, then map and unmap a buffer.
 *
 * It is an unmodified program: only open(2), ioctl(2) and mmap(2), no
 * libuiommufd.  <uiommufd/abi.h> stands in for <linux/vfio.h> and
 * <linux/iommufd.h> (same names, layouts and ioctl numbers), so the same
 * source runs against the kernel or under uiommufd-run.
 *
 * Usage:
 *   vfio_type1                 no group: use the container's compat IOAS
 *   vfio_type1 /dev/vfio/N     attach VFIO group N (the standard path)
 *   vfio_type1 --bdf BDF       the group of PCI device BDF (bound to
 *                              vfio-pci), found via sysfs; its device fd is
 *                              opened as well.  A BDF of the form $NAME is
 *                              read from environment variable NAME, for
 *                              launchers that do not expand variables.
 *
 * Exit status: 0 on success, 1 on any failure (stderr says which ioctl
 * failed and errno's text), 2 on usage errors or when no group was given and the container
 * is the VFIO driver's own, which cannot work without one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uiommufd/abi.h>

#define BUF_LEN (1UL << 20) /* the buffer mapped for DMA: 1 MiB */
#define PREFERRED_IOVA (1UL << 20) /* where to put it, if the range allows */

/* A failed call: say which, with errno's text, and exit 1. */
static void fail(const char *what)
{
	fprintf(stderr, "vfio_type1: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Any other failure. */
__attribute__((format(printf, 1, 2))) static void failx(const char *fmt, ...)
{
	va_list ap;

	fputs("vfio_type1: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vfio_type1 [/dev/vfio/N | --bdf BDF]\n"
		"  (none)          no group: create the compat IOAS of an "
		"iommufd-provided container\n"
		"  /dev/vfio/N     attach VFIO group N to the container\n"
		"  --bdf BDF       attach the group of PCI device BDF and open "
		"its device fd;\n"
		"                  BDF '$NAME' is read from environment "
		"variable NAME\n");
	exit(2);
}

/* Step 1: the container and what it supports. Returns the IOMMU type. */
static unsigned long check_container(int container)
{
	int version, ext;

	version = ioctl(container, VFIO_GET_API_VERSION);
	if (version < 0)
		fail("VFIO_GET_API_VERSION");
	if (version != VFIO_API_VERSION) {
		failx("VFIO_GET_API_VERSION: %d, expected %d", version,
		      VFIO_API_VERSION);
	}
	printf("VFIO_GET_API_VERSION -> %d (VFIO_API_VERSION)\n", version);

	/* Prefer type1v2: it may unmap part of a mapping. */
	ext = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	if (ext < 0)
		fail("VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)");
	printf("VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU) -> %d\n", ext);
	if (ext > 0)
		return VFIO_TYPE1v2_IOMMU;

	ext = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU);
	if (ext < 0)
		fail("VFIO_CHECK_EXTENSION(VFIO_TYPE1_IOMMU)");
	printf("VFIO_CHECK_EXTENSION(VFIO_TYPE1_IOMMU) -> %d\n", ext);
	if (ext > 0)
		return VFIO_TYPE1_IOMMU;
	failx("VFIO_CHECK_EXTENSION: neither type1v2 nor type1 supported");
	return 0;
}

/*
 * Step 2, standard path: attach a group. VFIO_SET_IOMMU is refused until a
 * container has at least one group.
 */
static int attach_group(int container, const char *path)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct iommu_vfio_ioas compat = {
		.size = sizeof(compat),
		.op = IOMMU_VFIO_IOAS_GET,
	};
	int group;

	group = open(path, O_RDWR | O_CLOEXEC);
	if (group < 0)
		fail(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status))
		fail("VFIO_GROUP_GET_STATUS");
	printf("VFIO_GROUP_GET_STATUS %s -> flags %#x%s%s\n", path,
	       status.flags,
	       status.flags & VFIO_GROUP_FLAGS_VIABLE ? " VIABLE" : "",
	       status.flags & VFIO_GROUP_FLAGS_CONTAINER_SET ?
		       " CONTAINER_SET" :
		       "");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		/*
		 * Some device of the group is bound to a host driver rather
		 * than to vfio-pci (or to no driver).
		 */
		failx("VFIO_GROUP_GET_STATUS: group %s is not viable: bind "
		      "all its devices to vfio-pci",
		      path);
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		fail("VFIO_GROUP_SET_CONTAINER");
	printf("VFIO_GROUP_SET_CONTAINER -> ok\n");

	/*
	 * Not something a type1 user needs, just to show what happened: when
	 * the container is an iommufd (CONFIG_IOMMUFD_VFIO_CONTAINER, or
	 * uiommufd), VFIO_GROUP_SET_CONTAINER created the compat IOAS the type1
	 * ioctls act on. The VFIO driver's own container does not know the
	 * iommufd ioctls (EINVAL before VFIO_SET_IOMMU, ENOTTY after).
	 */
	if (ioctl(container, IOMMU_VFIO_IOAS, &compat) == 0)
		printf("  the container is iommufd's: VFIO_GROUP_SET_CONTAINER "
		       "created compat IOAS %u\n",
		       compat.ioas_id);
	else
		printf("  the container is the VFIO driver's (IOMMU_VFIO_IOAS: "
		       "%s)\n",
		       strerror(errno));
	return group;
}

/*
 * Step 2 without a group. Attaching a group to an iommufd-provided container
 * does exactly this: allocate an IOAS and make it the compat IOAS, the one the
 * type1 ioctls (which carry no IOAS id) act on. The VFIO driver's own
 * container has no such ioctls: it must be given a group.
 */
static void create_compat_ioas(int container)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_vfio_ioas set = {
		.size = sizeof(set),
		.op = IOMMU_VFIO_IOAS_SET,
	};

	printf("no group given: creating the compat IOAS as group attach "
	       "would\n");
	if (ioctl(container, IOMMU_IOAS_ALLOC, &alloc)) {
		/*
		 * ENOTTY: not an iommufd. The legacy container answers EINVAL
		 * to any ioctl it does not know as long as no IOMMU driver is
		 * set, so take that as the same answer.
		 */
		if (errno == ENOTTY || errno == EINVAL) {
			fprintf(stderr,
				"vfio_type1: IOMMU_IOAS_ALLOC: %s: the "
				"container is the VFIO driver's, not an "
				"iommufd; give a group (/dev/vfio/N)\n",
				strerror(errno));
			exit(2);
		}
		fail("IOMMU_IOAS_ALLOC");
	}
	printf("IOMMU_IOAS_ALLOC -> ioas %u\n", alloc.out_ioas_id);

	set.ioas_id = alloc.out_ioas_id;
	if (ioctl(container, IOMMU_VFIO_IOAS, &set))
		fail("IOMMU_VFIO_IOAS(SET)");
	printf("IOMMU_VFIO_IOAS(SET, ioas %u) -> ok: it is the compat IOAS\n",
	       set.ioas_id);
}

/* Turns --bdf BDF into /dev/vfio/N via /sys/bus/pci/devices/BDF/iommu_group. */
static const char *group_of(const char *bdf, char *path, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *n;
	ssize_t len;

	if ((size_t)snprintf(link, sizeof(link),
			     "/sys/bus/pci/devices/%s/iommu_group",
			     bdf) >= sizeof(link))
		failx("BDF too long: %s", bdf);
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0)
		fail(link);
	target[len] = '\0';
	n = strrchr(target, '/');
	n = n ? n + 1 : target;
	if ((size_t)snprintf(path, size, "/dev/vfio/%s", n) >= size)
		failx("group path too long: %s", target);
	printf("device %s is in IOMMU group %s\n", bdf, n);
	return path;
}

static const char *type_name(unsigned long type)
{
	return type == VFIO_TYPE1v2_IOMMU ? "VFIO_TYPE1v2_IOMMU" :
					    "VFIO_TYPE1_IOMMU";
}

/* Step 4: page sizes and the capability chain. */
struct iommu_info {
	uint64_t pgsizes;
	uint64_t first_start, first_end; /* the first usable IOVA range */
	int have_range;
};

/* A capability of LEN bytes at OFF must lie within the ARGSZ returned. */
static void check_cap(uint32_t off, uint64_t len, uint32_t argsz)
{
	if (off + len > argsz)
		failx("VFIO_IOMMU_GET_INFO: capability at %u overruns argsz %u",
		      off, argsz);
}

static void print_iova_ranges(const struct vfio_info_cap_header *hdr,
			      uint32_t off, uint32_t argsz,
			      struct iommu_info *out)
{
	const struct vfio_iommu_type1_info_cap_iova_range *cap =
		(const void *)hdr;
	uint32_t i;

	check_cap(off, sizeof(*cap), argsz);
	check_cap(off,
		  sizeof(*cap) +
			  (uint64_t)cap->nr_iovas * sizeof(cap->iova_ranges[0]),
		  argsz);
	printf("  cap IOVA_RANGE v%u: %u range(s)\n", hdr->version,
	       cap->nr_iovas);
	for (i = 0; i < cap->nr_iovas; i++)
		printf("    [%#" PRIx64 ", %#" PRIx64 "]\n",
		       (uint64_t)cap->iova_ranges[i].start,
		       (uint64_t)cap->iova_ranges[i].end);
	if (cap->nr_iovas) {
		out->first_start = cap->iova_ranges[0].start;
		out->first_end = cap->iova_ranges[0].end;
		out->have_range = 1;
	}
}

static void get_info(int container, struct iommu_info *out)
{
	struct vfio_iommu_type1_info *info = NULL;
	uint32_t argsz = sizeof(*info), off, hops = 0;

	/*
	 * The argsz protocol: ask with the bare struct; the answer's argsz is
	 * the size needed for the capability chain as well. Ask again with
	 * that much room (and again, should the chain have grown meanwhile).
	 */
	for (;;) {
		free(info);
		info = calloc(1, argsz);
		if (!info)
			fail("calloc");
		info->argsz = argsz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info))
			fail("VFIO_IOMMU_GET_INFO");
		printf("VFIO_IOMMU_GET_INFO(argsz %u) -> argsz %u, flags "
		       "%#x%s%s, cap_offset %u\n",
		       argsz, info->argsz, info->flags,
		       info->flags & VFIO_IOMMU_INFO_PGSIZES ? " PGSIZES" : "",
		       info->flags & VFIO_IOMMU_INFO_CAPS ? " CAPS" : "",
		       info->cap_offset);
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz;
	}

	out->pgsizes = info->flags & VFIO_IOMMU_INFO_PGSIZES ?
			       info->iova_pgsizes :
			       4096;
	printf("  iova_pgsizes %#" PRIx64 ", smallest %#" PRIx64 "\n",
	       out->pgsizes, out->pgsizes & -out->pgsizes);

	/*
	 * Walk the chain: offsets (cap_offset, then each header's next) count
	 * from the start of the info struct, 0 ends the chain.
	 */
	off = info->flags & VFIO_IOMMU_INFO_CAPS ? info->cap_offset : 0;
	while (off) {
		const struct vfio_info_cap_header *hdr =
			(const void *)((const char *)info + off);

		if (off < sizeof(*info) || off + sizeof(*hdr) > argsz ||
		    ++hops > 64)
			failx("VFIO_IOMMU_GET_INFO: bad capability offset %u",
			      off);
		switch (hdr->id) {
		case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
			print_iova_ranges(hdr, off, argsz, out);
			break;
		case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
			check_cap(
				off,
				sizeof(struct vfio_iommu_type1_info_dma_avail),
				argsz);
			printf("  cap DMA_AVAIL v%u: %u mappings available\n",
			       hdr->version,
			       ((const struct vfio_iommu_type1_info_dma_avail *)
					hdr)
				       ->avail);
			break;
		default:
			printf("  cap id %u v%u (not decoded)\n", hdr->id,
			       hdr->version);
		}
		off = hdr->next;
	}
	free(info);
	if (!out->have_range) {
		/* No IOVA_RANGE capability: type1 then means "anywhere". */
		out->first_start = 0;
		out->first_end = UINT64_MAX;
	}
}

static void map_dma(int container, void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		fail("VFIO_IOMMU_MAP_DMA");
	printf("VFIO_IOMMU_MAP_DMA(iova %#" PRIx64 ", size %#" PRIx64
	       ", READ|WRITE) -> ok\n",
	       iova, size);
}

/* Returns how many bytes the kernel says it unmapped. */
static uint64_t unmap_dma(int container, uint64_t iova, uint64_t size,
			  uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		fail("VFIO_IOMMU_UNMAP_DMA");
	return unmap.size;
}

int main(int argc, char **argv)
{
	const char *group_path = NULL, *bdf = NULL;
	char path[PATH_MAX];
	struct iommu_info info = { 0 };
	unsigned long type;
	int container, group = -1, device = -1, ext;
	uint64_t pgsize, iova, unmapped;
	void *buf;

	/* Keep stdout and stderr in order when both go to one pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--bdf")) {
		bdf = argv[2];
		if (bdf[0] == '$') {
			bdf = getenv(bdf + 1);
			if (!bdf || !*bdf) {
				fprintf(stderr,
					"vfio_type1: %s is not set in the "
					"environment\n",
					argv[2] + 1);
				return 2;
			}
		}
		group_path = group_of(bdf, path, sizeof(path));
	} else if (argc == 2 && argv[1][0] != '-') {
		group_path = argv[1];
	} else if (argc != 1) {
		usage();
	}

	/* Step 1: the container. */
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		fail("open(/dev/vfio/vfio)");
	printf("open /dev/vfio/vfio -> ok\n");
	type = check_container(container);

	/* Step 2: something for the container to translate for. */
	if (group_path)
		group = attach_group(container, group_path);
	else
		create_compat_ioas(container);

	/* Step 3: the IOMMU model. */
	if (ioctl(container, VFIO_SET_IOMMU, type))
		fail("VFIO_SET_IOMMU");
	printf("VFIO_SET_IOMMU(%s) -> ok\n", type_name(type));

	/*
	 * With a device, open it as DPDK and QEMU do. On an iommufd-provided
	 * container this is also when the device is attached to the compat
	 * IOAS, so only from now on do the page sizes and IOVA ranges reflect
	 * the IOMMU behind it; the VFIO driver's own container attached the
	 * group to its IOMMU domain at VFIO_SET_IOMMU already.
	 */
	if (bdf) {
		device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		if (device < 0)
			fail("VFIO_GROUP_GET_DEVICE_FD");
		printf("VFIO_GROUP_GET_DEVICE_FD(%s) -> ok\n", bdf);
	}

	/* Step 4: what may be mapped, and where. */
	get_info(container, &info);

	/* Step 5: map a buffer, in the first IOVA range, page aligned. */
	pgsize = info.pgsizes & -info.pgsizes;
	if (!pgsize)
		failx("VFIO_IOMMU_GET_INFO: no page size reported");
	iova = info.first_start > PREFERRED_IOVA ? info.first_start :
						   PREFERRED_IOVA;
	iova = (iova + pgsize - 1) & ~(pgsize - 1);
	/* Room for two mappings (see UNMAP_ALL below) and not wrapping? */
	if (iova < info.first_start || iova > info.first_end ||
	    info.first_end - iova < 2 * BUF_LEN - 1) {
		failx("no room for %#lx bytes in the first IOVA range "
		      "[%#" PRIx64 ", %#" PRIx64 "]",
		      2 * BUF_LEN, info.first_start, info.first_end);
	}
	buf = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		fail("mmap");
	memset(buf, 0x5a, BUF_LEN);
	printf("mmap anonymous buffer of %#lx bytes -> ok\n", BUF_LEN);

	map_dma(container, buf, iova, BUF_LEN);
	unmapped = unmap_dma(container, iova, BUF_LEN, 0);
	printf("VFIO_IOMMU_UNMAP_DMA(iova %#" PRIx64 ", size %#lx) -> size "
	       "%#" PRIx64 "\n",
	       iova, BUF_LEN, unmapped);
	if (unmapped != BUF_LEN) {
		failx("VFIO_IOMMU_UNMAP_DMA unmapped %#" PRIx64
		      ", expected %#lx",
		      unmapped, BUF_LEN);
	}

	/* UNMAP_ALL: iova and size 0, everything goes, the total comes back. */
	ext = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL);
	if (ext < 0)
		fail("VFIO_CHECK_EXTENSION(VFIO_UNMAP_ALL)");
	printf("VFIO_CHECK_EXTENSION(VFIO_UNMAP_ALL) -> %d\n", ext);
	if (ext > 0) {
		/* Two mappings of the two halves, a buffer length apart. */
		map_dma(container, buf, iova, BUF_LEN / 2);
		map_dma(container, (char *)buf + BUF_LEN / 2, iova + BUF_LEN,
			BUF_LEN / 2);
		unmapped = unmap_dma(container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
		printf("VFIO_IOMMU_UNMAP_DMA(VFIO_DMA_UNMAP_FLAG_ALL) -> size "
		       "%#" PRIx64 "\n",
		       unmapped);
		if (unmapped != BUF_LEN) {
			failx("VFIO_DMA_UNMAP_FLAG_ALL unmapped %#" PRIx64
			      ", expected %#lx",
			      unmapped, BUF_LEN);
		}
	}

	munmap(buf, BUF_LEN);
	if (device >= 0)
		close(device);
	if (group >= 0)
		close(group);
	close(container);
	printf("done\n");
	return 0;
}
