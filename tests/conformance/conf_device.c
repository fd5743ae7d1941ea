/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance: the VFIO device uAPI of vfio-pci, on QEMU's "edu" PCI device
 * (1234:11e8), through both ways of reaching it: its VFIO cdev
 * (/dev/vfio/devices/vfioN, bound to an iommufd and attached to an IOAS or
 * HWPT) and its group (/dev/vfio/N, set to a container from
 * /dev/vfio/vfio, device fd by PCI name).
 *
 * The device is named by $EDU_BDF: in the oracle `run-in-kernel.sh --edu`
 * binds QEMU's edu (behind an emulated Intel IOMMU) to vfio-pci and exports
 * it; under uiommufd `uiommufd-run --device edu,name=BDF` gives an emulated
 * edu of that name (set EDU_BDF=BDF for the run). Without $EDU_BDF every
 * case skips. The cdev is found in /sys/bus/pci/devices/BDF/vfio-dev/, the
 * group as the basename of the link /sys/bus/pci/devices/BDF/iommu_group.
 *
 * cdev: every ioctl but BIND_IOMMUFD, and read/write, fail with EINVAL
 * until the file is bound. BIND checks argsz (16) and flags (EINVAL), a
 * negative iommufd (EINVAL), then an open group (EBUSY), a second bind of
 * the file (EINVAL), the fd (EBADF; EBADFD if not an iommufd, which
 * /dev/vfio/vfio is), and a second user of the device (EINVAL). ATTACH to
 * an IOAS writes back the ID of the paging HWPT it made; attaching again
 * replaces (the same IOAS gives the same HWPT); a missing ID is ENOENT, an
 * object that is neither IOAS nor HWPT EINVAL. DETACH always succeeds.
 * Closing the last fd of the file unbinds; the iommufd may go first.
 *
 * Group: GET_STATUS is VIABLE, and CONTAINER_SET | VIABLE once a container
 * is set; SET_CONTAINER takes an iommufd (EBADF, EBADFD, and EINVAL when
 * one is set); UNSET needs one (EINVAL); GET_DEVICE_FD looks the name up
 * first (ENODEV) and needs a container (EINVAL), and may be called more
 * than once. A group and a bound cdev exclude each other (EBUSY).
 *
 * Device: PCI, 9 regions, 5 IRQ indexes; BAR0 1 MiB read/write, config
 * space 256 bytes, BAR1-5 and the ROM empty, no VGA; INTx, MSI (1 vector),
 * MSI-X (none), no ERR (not PCI Express), REQ. SET_IRQS validates the
 * header first (EINVAL), then ENOTTY for an action the index lacks.
 * Interrupts: INTx is automasked and re-signalled at unmask while still
 * asserted; MSI is not masked. Region accesses: config space beyond 256
 * bytes is EFAULT, a BAR access at or past its end or on an empty BAR
 * EINVAL (one running past the end is cut short), a BAR access while
 * memory decode is off EIO. DMA: edu copies through the IOMMU to and from
 * IOAS mappings, and nothing lands at an IOVA that is not mapped writable.
 *
 * Not tested, because edu on the root bus of the real kernel differs from
 * the emulation on purpose: VFIO_DEVICE_FLAGS_RESET and VFIO_DEVICE_RESET
 * (edu has no reset method there), the hot reset ioctls (no bus or slot
 * reset on the root bus: ENODEV), the MMAP flag of BAR0 (the emulation
 * traps every register access), the low-power features, IOEVENTFD and
 * INTx unmask by eventfd, and the config space values the firmware chose
 * (BAR addresses, interrupt line, command register at open).
 *
 * Also: a device fd is read and written only in the directions it was
 * opened for (EBADF first); read/write of 0 bytes reach the device (EINVAL
 * unbound), the vector calls do not for 0 bytes in total; GET_DEVICE_FD
 * takes the name followed by spaces, and any option after them is EINVAL
 * for edu (neither PF nor VF); PCI_COMMAND_INTX_DISABLE holds INTx back
 * until cleared; MSI is lost without bus mastering, INTx is not. A group
 * whose device stays open after UNSET_CONTAINER is not viable until it
 * closes.
 */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"

/* PCI config space (not part of the VFIO uAPI). */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x8

/* edu's BAR0 registers (QEMU docs/specs/edu.rst). */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x01
#define EDU_DMA_TO_RAM 0x02
#define EDU_DMA_BUF 0x40000
#define EDU_BAR0_SIZE 0x100000ULL

/* Feature IDs of VFIO_DEVICE_FEATURE (not in <uiommufd/abi.h>). */
#define FEATURE_PCI_VF_TOKEN 0
#define FEATURE_MIGRATION 1
#define FEATURE_DMA_LOGGING_START 6

#define REGION(index) ((uint64_t)(index) << VFIO_PCI_OFFSET_SHIFT)
#define CFG REGION(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0 REGION(VFIO_PCI_BAR0_REGION_INDEX)

/*
 * QEMU 7.2's edu aborts on a transfer that ends at the end of its 4 KiB
 * buffer; 4095 bytes work on every edu.
 */
#define XFER 4095UL
#define BUF_IOVA 0x100000ULL
#define HOLE_IOVA 0x200000ULL /* inside edu's 28-bit DMA mask */
#define SENTINEL 0xa5
#define TIMEOUT_MS 5000
/* How long an interrupt that must not come is waited for. */
#define QUIET_MS 300

#define INTX VFIO_PCI_INTX_IRQ_INDEX
#define MSI VFIO_PCI_MSI_IRQ_INDEX
#define TRIGGER_EVENTFD \
	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)

/* ---------------------------------------------------------------------- */
/* Finding the device                                                      */
/* ---------------------------------------------------------------------- */

static const char *edu_bdf(void)
{
	const char *bdf = getenv("EDU_BDF");

	if (!bdf || !*bdf)
		SKIP("EDU_BDF is not set: no edu device (oracle: "
		     "run-in-kernel.sh --edu; uiommufd: uiommufd-run --device "
		     "edu,name=BDF with EDU_BDF=BDF)");
	return bdf;
}

/* /dev/vfio/devices/vfioN of the device, from sysfs. */
static void cdev_path_at(const char *file, int line, char *out, size_t size)
{
	char dir[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev",
		 edu_bdf());
	dp = opendir(dir);
	if (!dp)
		conf_fail(file, line, "opendir(%s): %s", dir,
			  conf_errname(errno));
	while ((d = readdir(dp))) {
		if (!strncmp(d->d_name, "vfio", 4)) {
			snprintf(out, size, "/dev/vfio/devices/%s", d->d_name);
			closedir(dp);
			return;
		}
	}
	closedir(dp);
	conf_fail(file, line, "%s: no vfioN entry", dir);
}

/* /dev/vfio/N of the device's group, from sysfs. */
static void group_path_at(const char *file, int line, char *out, size_t size)
{
	char link[PATH_MAX], target[256];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group",
		 edu_bdf());
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		conf_fail(file, line, "readlink(%s): %s", link,
			  conf_errname(errno));
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(out, size, "/dev/vfio/%s", base ? base + 1 : target);
}

/* The cdev, opened with @mode (not bound); closed after the case. */
static int cdev_open_at(const char *file, int line, int mode)
{
	char path[PATH_MAX];
	int fd;

	cdev_path_at(file, line, path, sizeof(path));
	fd = open(path, mode | O_CLOEXEC);
	if (fd < 0)
		conf_fail(file, line, "open(%s): %s", path,
			  conf_errname(errno));
	return conf_adopt_fd_at(file, line, fd);
}
#define cdev_open() cdev_open_at(__FILE__, __LINE__, O_RDWR)
#define cdev_open_mode(mode) cdev_open_at(__FILE__, __LINE__, mode)

/* open() of the group: the fd (closed after the case) or -1 with errno. */
static int group_try_open(void)
{
	char path[PATH_MAX];
	int fd;

	group_path_at(__FILE__, __LINE__, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		conf_adopt_fd(fd);
	return fd;
}

static int group_open_at(const char *file, int line)
{
	int fd = group_try_open();

	if (fd < 0)
		conf_fail(file, line, "open(group): %s", conf_errname(errno));
	return fd;
}
#define group_open() group_open_at(__FILE__, __LINE__)

/* An fd number that is not open. */
static int closed_fd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	CHECK(fd >= 0);
	close(fd);
	return fd;
}

/* A case that needs the device: skips first when there is none. */
#define DEV_TEST(tname)                     \
	static void dev_body_##tname(void); \
	CONF_TEST(tname)                    \
	{                                   \
		edu_bdf();                  \
		dev_body_##tname();         \
	}                                   \
	static void dev_body_##tname(void)

/* ---------------------------------------------------------------------- */
/* cdev: bind, attach, detach                                              */
/* ---------------------------------------------------------------------- */

static int bind_full(int dev, uint32_t argsz, uint32_t flags, int iommufd,
		     uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = argsz,
		.flags = flags,
		.iommufd = iommufd,
		.out_devid = 0xdeadbeef,
	};
	int rc = ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (devid)
		*devid = bind.out_devid;
	return rc;
}

static int bind_dev(int dev, int iommufd, uint32_t *devid)
{
	return bind_full(dev, sizeof(struct vfio_device_bind_iommufd), 0,
			 iommufd, devid);
}

static int attach_full(int dev, uint32_t argsz, uint32_t flags, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = argsz,
		.flags = flags,
		.pt_id = *pt_id,
	};
	int rc = ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);

	*pt_id = attach.pt_id;
	return rc;
}

static int attach(int dev, uint32_t *pt_id)
{
	return attach_full(dev, sizeof(struct vfio_device_attach_iommufd_pt), 0,
			   pt_id);
}

static int detach_full(int dev, uint32_t argsz, uint32_t flags)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = argsz,
		.flags = flags,
	};

	return ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

static int detach(int dev)
{
	return detach_full(dev, sizeof(struct vfio_device_detach_iommufd_pt),
			   0);
}

/* The device through its cdev, bound and (optionally) attached. */
struct edu {
	int iommufd;
	int dev;
	uint32_t devid;
	uint32_t ioas; /* 0 unless attached */
	uint32_t hwpt;
};

static struct edu edu_cdev_at(const char *file, int line, bool attached)
{
	struct edu e = { 0 };

	e.iommufd = conf_open_at(file, line);
	e.dev = cdev_open_at(file, line, O_RDWR);
	if (bind_dev(e.dev, e.iommufd, &e.devid))
		conf_fail(file, line, "VFIO_DEVICE_BIND_IOMMUFD: %s",
			  conf_errname(errno));
	if (!attached)
		return e;
	e.ioas = conf_ioas_alloc_at(file, line, e.iommufd);
	e.hwpt = e.ioas;
	if (attach(e.dev, &e.hwpt))
		conf_fail(file, line, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(%u): %s",
			  e.ioas, conf_errname(errno));
	return e;
}
#define edu_bound() edu_cdev_at(__FILE__, __LINE__, false)
#define edu_attached() edu_cdev_at(__FILE__, __LINE__, true)

/* ---------------------------------------------------------------------- */
/* Group and container                                                     */
/* ---------------------------------------------------------------------- */

static int group_status(int group, uint32_t argsz, uint32_t *flags)
{
	struct vfio_group_status st = { .argsz = argsz, .flags = 0xdead };
	int rc = ioctl(group, VFIO_GROUP_GET_STATUS, &st);

	*flags = st.flags;
	return rc;
}

static uint32_t group_flags_at(const char *file, int line, int group)
{
	uint32_t flags;

	if (group_status(group, sizeof(struct vfio_group_status), &flags))
		conf_fail(file, line, "VFIO_GROUP_GET_STATUS: %s",
			  conf_errname(errno));
	return flags;
}
#define group_flags(group) group_flags_at(__FILE__, __LINE__, group)

static int set_container(int group, int container)
{
	int32_t fd = container;

	return ioctl(group, VFIO_GROUP_SET_CONTAINER, &fd);
}

/* GET_DEVICE_FD: the fd (closed after the case) or -1 with errno. */
static int get_device_fd(int group, const char *name)
{
	int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);

	if (fd >= 0)
		conf_adopt_fd(fd);
	return fd;
}

/* The device through its group, set to a new /dev/vfio/vfio container. */
struct edu_group {
	int container;
	int group;
	int dev;
};

static struct edu_group edu_group_at(const char *file, int line)
{
	struct edu_group g;

	g.container = conf_open_vfio_at(file, line);
	g.group = group_open_at(file, line);
	if (set_container(g.group, g.container))
		conf_fail(file, line, "VFIO_GROUP_SET_CONTAINER: %s",
			  conf_errname(errno));
	if (ioctl(g.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		conf_fail(file, line, "VFIO_SET_IOMMU: %s",
			  conf_errname(errno));
	g.dev = get_device_fd(g.group, edu_bdf());
	if (g.dev < 0)
		conf_fail(file, line, "VFIO_GROUP_GET_DEVICE_FD: %s",
			  conf_errname(errno));
	return g;
}
#define edu_group() edu_group_at(__FILE__, __LINE__)

/* ---------------------------------------------------------------------- */
/* Info                                                                    */
/* ---------------------------------------------------------------------- */

static int region_info(int dev, uint32_t argsz, uint32_t index,
		       struct vfio_region_info *out)
{
	memset(out, 0, sizeof(*out));
	out->argsz = argsz;
	out->index = index;
	return ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, out);
}

static int irq_info(int dev, uint32_t argsz, uint32_t index,
		    struct vfio_irq_info *out)
{
	memset(out, 0, sizeof(*out));
	out->argsz = argsz;
	out->index = index;
	return ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, out);
}

/* Checks the three answers every device fd gives the same way. */
static void check_device_info_at(const char *file, int line, int dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info r;

	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &info))
		conf_fail(file, line, "VFIO_DEVICE_GET_INFO: %s",
			  conf_errname(errno));
	conf_check_eq(file, line, "info.flags & VFIO_DEVICE_FLAGS_PCI", "PCI",
		      info.flags & VFIO_DEVICE_FLAGS_PCI,
		      VFIO_DEVICE_FLAGS_PCI);
	conf_check_eq(file, line, "info.num_regions", "9", info.num_regions, 9);
	conf_check_eq(file, line, "info.num_irqs", "5", info.num_irqs, 5);
	if (region_info(dev, sizeof(r), VFIO_PCI_BAR0_REGION_INDEX, &r))
		conf_fail(file, line, "VFIO_DEVICE_GET_REGION_INFO: %s",
			  conf_errname(errno));
	conf_check_eq(file, line, "BAR0 size", "1 MiB", r.size, EDU_BAR0_SIZE);
}
#define check_device_info(dev) check_device_info_at(__FILE__, __LINE__, dev)

/* ---------------------------------------------------------------------- */
/* Regions                                                                 */
/* ---------------------------------------------------------------------- */

static void dev_rw_at(const char *file, int line, int dev, bool write,
		      void *buf, size_t len, uint64_t off)
{
	ssize_t n = write ? pwrite(dev, buf, len, off) :
			    pread(dev, buf, len, off);

	if (n != (ssize_t)len)
		conf_fail(file, line, "%s(%zu bytes at 0x%llx) = %zd: %s",
			  write ? "pwrite" : "pread", len,
			  (unsigned long long)off, n,
			  n < 0 ? conf_errname(errno) : "short");
}

static uint32_t rd32_at(const char *file, int line, int dev, uint64_t off)
{
	uint32_t v;

	dev_rw_at(file, line, dev, false, &v, 4, off);
	return le32toh(v);
}

static void wr32_at(const char *file, int line, int dev, uint64_t off,
		    uint32_t val)
{
	uint32_t v = htole32(val);

	dev_rw_at(file, line, dev, true, &v, 4, off);
}

static uint16_t cfg_rd16_at(const char *file, int line, int dev, uint32_t reg)
{
	uint16_t v;

	dev_rw_at(file, line, dev, false, &v, 2, CFG + reg);
	return le16toh(v);
}

static void cfg_wr16_at(const char *file, int line, int dev, uint32_t reg,
			uint16_t val)
{
	uint16_t v = htole16(val);

	dev_rw_at(file, line, dev, true, &v, 2, CFG + reg);
}

#define rd32(dev, reg) rd32_at(__FILE__, __LINE__, dev, BAR0 + (reg))
#define wr32(dev, reg, val) wr32_at(__FILE__, __LINE__, dev, BAR0 + (reg), val)
#define cfg_rd16(dev, reg) cfg_rd16_at(__FILE__, __LINE__, dev, reg)
#define cfg_wr16(dev, reg, val) cfg_wr16_at(__FILE__, __LINE__, dev, reg, val)

/*
 * Memory decode and bus mastering on (edu does no DMA and no MSI without
 * it), and no interrupt left pending by an earlier user: edu has no reset
 * in the real kernel, so its registers outlive a close.
 */
static void edu_enable_at(const char *file, int line, int dev)
{
	uint16_t cmd = cfg_rd16_at(file, line, dev, PCI_COMMAND);

	cfg_wr16_at(file, line, dev, PCI_COMMAND,
		    cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	wr32_at(file, line, dev, BAR0 + EDU_IRQ_ACK, 0xffffffff);
}
#define edu_enable(dev) edu_enable_at(__FILE__, __LINE__, dev)

/* The same through an fd that cannot read: the whole command written. */
static void edu_enable_wo_at(const char *file, int line, int dev)
{
	cfg_wr16_at(file, line, dev, PCI_COMMAND,
		    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}
#define edu_enable_wo(dev) edu_enable_wo_at(__FILE__, __LINE__, dev)

/* pread/pwrite of @len bytes at @off: its result, errno as left. */
static ssize_t try_rw(int dev, bool write, size_t len, uint64_t off)
{
	uint8_t buf[16] = { 0 };

	return write ? pwrite(dev, buf, len, off) : pread(dev, buf, len, off);
}

/* ---------------------------------------------------------------------- */
/* Interrupts                                                              */
/* ---------------------------------------------------------------------- */

static int efd_new_at(const char *file, int line)
{
	return conf_adopt_fd_at(file, line,
				eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}
#define efd_new() efd_new_at(__FILE__, __LINE__)

/* Waits up to @ms for @efd; returns its count (0: nothing came). */
static uint64_t efd_wait(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count = 0;

	if (poll(&pfd, 1, ms) == 1 &&
	    read(efd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	return count;
}

/* An interrupt must arrive on @efd. */
#define EXPECT_IRQ(efd) CHECK(efd_wait(efd, TIMEOUT_MS) > 0)
/* None must arrive on @efd. */
#define EXPECT_NO_IRQ(efd) EXPECT_EQ(efd_wait(efd, QUIET_MS), 0)

static int set_irqs_full(int dev, uint32_t argsz, uint32_t flags,
			 uint32_t index, uint32_t start, uint32_t count,
			 const void *data, size_t len)
{
	union {
		struct vfio_irq_set set;
		uint8_t buf[sizeof(struct vfio_irq_set) + 64];
	} u = { .set = {
			.argsz = argsz,
			.flags = flags,
			.index = index,
			.start = start,
			.count = count,
		} };

	if (len > 64)
		len = 64;
	if (data)
		memcpy(u.set.data, data, len);
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, &u.set);
}

/* SET_IRQS with @len bytes of data after the header (argsz to match). */
static int set_irqs(int dev, uint32_t flags, uint32_t index, uint32_t start,
		    uint32_t count, const void *data, size_t len)
{
	return set_irqs_full(dev, sizeof(struct vfio_irq_set) + len, flags,
			     index, start, count, data, len);
}

/* One vector of @index triggers @fd (-1: none). */
static int irq_eventfd(int dev, uint32_t index, int32_t fd)
{
	return set_irqs(dev, TRIGGER_EVENTFD, index, 0, 1, &fd, sizeof(fd));
}

/* DATA_NONE with @action on [start, start + count) of @index. */
static int irq_none(int dev, uint32_t action, uint32_t index, uint32_t start,
		    uint32_t count)
{
	return set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | action, index, start,
			count, NULL, 0);
}

/* ---------------------------------------------------------------------- */
/* DMA                                                                     */
/* ---------------------------------------------------------------------- */

/* One edu transfer of XFER bytes, polled to completion. */
static void dma_at(const char *file, int line, int dev, uint64_t src,
		   uint64_t dst, uint32_t cmd)
{
	int ms;

	wr32_at(file, line, dev, BAR0 + EDU_DMA_SRC, (uint32_t)src);
	wr32_at(file, line, dev, BAR0 + EDU_DMA_DST, (uint32_t)dst);
	wr32_at(file, line, dev, BAR0 + EDU_DMA_COUNT, XFER);
	wr32_at(file, line, dev, BAR0 + EDU_DMA_CMD, EDU_DMA_START | cmd);
	for (ms = 0;
	     rd32_at(file, line, dev, BAR0 + EDU_DMA_CMD) & EDU_DMA_START;
	     ms++) {
		if (ms >= TIMEOUT_MS)
			conf_fail(file, line, "DMA still busy after %d ms",
				  TIMEOUT_MS);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}
/* RAM (an IOVA) to the device's buffer, and back. */
#define dma_to_dev(dev, iova) \
	dma_at(__FILE__, __LINE__, dev, iova, EDU_DMA_BUF, 0)
#define dma_to_ram(dev, iova) \
	dma_at(__FILE__, __LINE__, dev, EDU_DMA_BUF, iova, EDU_DMA_TO_RAM)

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

/* Does @p hold @len bytes of @c? */
static bool all(const uint8_t *p, size_t len, uint8_t c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

/*
 * A pattern copied from @src_iova (holding @src) through the device to
 * @dst_iova must arrive at @dst, and nothing more.
 */
static void dma_round_trip_at(const char *file, int line, int dev, uint8_t *src,
			      uint64_t src_iova, uint8_t *dst,
			      uint64_t dst_iova, uint8_t seed)
{
	fill(src, XFER, seed);
	memset(dst, SENTINEL, PAGE_SZ);
	dma_at(file, line, dev, src_iova, EDU_DMA_BUF, 0);
	dma_at(file, line, dev, EDU_DMA_BUF, dst_iova, EDU_DMA_TO_RAM);
	if (memcmp(src, dst, XFER))
		conf_fail(file, line, "DMA round trip: the bytes differ");
	if (!all(dst + XFER, PAGE_SZ - XFER, SENTINEL))
		conf_fail(file, line, "DMA round trip: wrote past the end");
}
#define dma_round_trip(dev, src, src_iova, dst, dst_iova, seed)        \
	dma_round_trip_at(__FILE__, __LINE__, dev, src, src_iova, dst, \
			  dst_iova, seed)

/* ====================================================================== */
/* cdev: before binding                                                    */
/* ====================================================================== */

DEV_TEST(dev_cdev_unbound_ioctls_einval)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info r;
	uint32_t pt_id = 1;
	int dev = cdev_open();
	int32_t fd = -1;

	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_ERRNO(EINVAL, region_info(dev, sizeof(r), 0, &r));
	EXPECT_ERRNO(EINVAL, attach(dev, &pt_id));
	EXPECT_ERRNO(EINVAL, detach(dev));
	EXPECT_ERRNO(EINVAL, irq_eventfd(dev, INTX, fd));
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_RESET));
	/* Even a number no device file knows. */
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_GET_API_VERSION));
}

DEV_TEST(dev_cdev_unbound_rw_einval)
{
	int dev = cdev_open();

	EXPECT_ERRNO(EINVAL, try_rw(dev, false, 4, CFG));
	EXPECT_ERRNO(EINVAL, try_rw(dev, true, 4, CFG + PCI_COMMAND));
	EXPECT_ERRNO(EINVAL, try_rw(dev, false, 4, BAR0));
}

DEV_TEST(dev_cdev_unbound_rw_zero_length)
{
	int dev = cdev_open();
	uint8_t buf[8];
	struct iovec none[2] = { { buf, 0 }, { buf, 0 } };
	struct iovec lead[2] = { { buf, 0 }, { buf, 4 } };

	/* read() and write() call the device for 0 bytes too: unbound. */
	EXPECT_ERRNO(EINVAL, try_rw(dev, false, 0, CFG));
	EXPECT_ERRNO(EINVAL, try_rw(dev, true, 0, CFG));
	EXPECT_ERRNO(EINVAL, read(dev, buf, 0));
	EXPECT_ERRNO(EINVAL, write(dev, buf, 0));
	/* The vector calls do nothing at all for 0 bytes in total... */
	EXPECT_EQ(readv(dev, NULL, 0), 0);
	EXPECT_EQ(preadv(dev, none, 2, CFG), 0);
	EXPECT_EQ(pwritev(dev, none, 2, CFG), 0);
	/* ...but a leading empty segment is a call of 0 bytes. */
	EXPECT_ERRNO(EINVAL, preadv(dev, lead, 2, CFG));
}

/* ====================================================================== */
/* cdev: BIND_IOMMUFD                                                      */
/* ====================================================================== */

DEV_TEST(dev_cdev_bind)
{
	int iommufd = conf_open();
	int dev = cdev_open();
	uint32_t devid = 0, ioas;

	EXPECT_OK(bind_dev(dev, iommufd, &devid));
	CHECK(devid != 0 && devid != 0xdeadbeef);
	/* The device object is in the iommufd's table, held while bound. */
	EXPECT_ERRNO(EBUSY, conf_destroy(iommufd, devid));
	ioas = ioas_alloc(iommufd);
	CHECK(ioas != devid);
	check_device_info(dev);
}

DEV_TEST(dev_cdev_bind_argsz_flags)
{
	int iommufd = conf_open();
	int dev = cdev_open();

	EXPECT_ERRNO(EINVAL, bind_full(dev, 0, 0, iommufd, NULL));
	EXPECT_ERRNO(EINVAL, bind_full(dev, 15, 0, iommufd, NULL));
	EXPECT_ERRNO(EINVAL, bind_full(dev, 16, 1, iommufd, NULL));
	EXPECT_ERRNO(EINVAL, bind_full(dev, 16, 1U << 31, iommufd, NULL));
	/* A larger argsz is fine. */
	EXPECT_OK(bind_full(dev, 64, 0, iommufd, NULL));
}

DEV_TEST(dev_cdev_bind_bad_fds)
{
	int iommufd = conf_open();
	int dev = cdev_open();
	int efd = efd_new();
	uint32_t devid;

	EXPECT_ERRNO(EINVAL, bind_dev(dev, -1, NULL));
	EXPECT_ERRNO(EINVAL, bind_dev(dev, INT32_MIN, NULL));
	EXPECT_ERRNO(EBADF, bind_dev(dev, closed_fd(), NULL));
	/* Open, but not an iommufd: an eventfd, the device itself. */
	EXPECT_ERRNO(EBADFD, bind_dev(dev, efd, NULL));
	EXPECT_ERRNO(EBADFD, bind_dev(dev, dev, NULL));
	/* None of that left the file half bound. */
	EXPECT_OK(bind_dev(dev, iommufd, &devid));
	check_device_info(dev);
}

DEV_TEST(dev_cdev_bind_vfio_container_fd)
{
	/* /dev/vfio/vfio is an iommufd too. */
	int container = conf_open_vfio();
	int dev = cdev_open();
	uint32_t devid = 0, ioas, pt_id;

	EXPECT_OK(bind_dev(dev, container, &devid));
	CHECK(devid != 0 && devid != 0xdeadbeef);
	ioas = ioas_alloc(container);
	pt_id = ioas;
	EXPECT_OK(attach(dev, &pt_id));
	CHECK(pt_id != ioas);
}

DEV_TEST(dev_cdev_bind_twice)
{
	int iommufd = conf_open(), other = conf_open();
	int dev = cdev_open();
	uint32_t devid, again = 0;

	EXPECT_OK(bind_dev(dev, iommufd, &devid));
	EXPECT_ERRNO(EINVAL, bind_dev(dev, iommufd, &again));
	EXPECT_ERRNO(EINVAL, bind_dev(dev, other, &again));
	/* Refused before the fd is looked at. */
	EXPECT_ERRNO(EINVAL, bind_dev(dev, closed_fd(), NULL));
	/* Still bound as before. */
	EXPECT_ERRNO(EBUSY, conf_destroy(iommufd, devid));
	check_device_info(dev);
}

DEV_TEST(dev_cdev_second_opener)
{
	int iommufd = conf_open(), other = conf_open();
	int first = cdev_open(), second = cdev_open();
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint32_t devid, devid2;

	EXPECT_OK(bind_dev(first, iommufd, &devid));
	/* The cdev path has one user at a time, whichever iommufd. */
	EXPECT_ERRNO(EINVAL, bind_dev(second, other, NULL));
	EXPECT_ERRNO(EINVAL, bind_dev(second, iommufd, NULL));
	EXPECT_ERRNO(EINVAL, ioctl(second, VFIO_DEVICE_GET_INFO, &info));
	/* Once the first closes, the second may bind. */
	close(first);
	conf_forget_fd(first);
	EXPECT_ERRNO(ENOENT, conf_destroy(iommufd, devid));
	EXPECT_OK(bind_dev(second, other, &devid2));
	check_device_info(second);
}

DEV_TEST(dev_cdev_close_unbinds)
{
	int iommufd = conf_open();
	int dev = cdev_open();
	uint32_t devid, ioas, pt_id;

	EXPECT_OK(bind_dev(dev, iommufd, &devid));
	ioas = ioas_alloc(iommufd);
	pt_id = ioas;
	EXPECT_OK(attach(dev, &pt_id));
	EXPECT_ERRNO(EBUSY, conf_destroy(iommufd, ioas));
	close(dev);
	conf_forget_fd(dev);
	/* The device object and its automatic HWPT are gone. */
	EXPECT_ERRNO(ENOENT, conf_destroy(iommufd, devid));
	EXPECT_ERRNO(ENOENT, conf_destroy(iommufd, pt_id));
	EXPECT_OK(conf_destroy(iommufd, ioas));
	/* And the device can be bound again. */
	dev = cdev_open();
	EXPECT_OK(bind_dev(dev, iommufd, &devid));
}

DEV_TEST(dev_cdev_unknown_ioctl_enotty)
{
	struct edu e = edu_bound();

	EXPECT_ERRNO(ENOTTY, ioctl(e.dev, VFIO_GET_API_VERSION));
	EXPECT_ERRNO(ENOTTY, ioctl(e.dev, VFIO_GROUP_GET_STATUS, NULL));
	EXPECT_ERRNO(ENOTTY, ioctl(e.dev, VFIO_BASE + 21));
	EXPECT_ERRNO(ENOTTY, ioctl(e.dev, IOMMU_IOAS_ALLOC, NULL));
}

/* ====================================================================== */
/* cdev: ATTACH_IOMMUFD_PT, DETACH_IOMMUFD_PT                              */
/* ====================================================================== */

DEV_TEST(dev_cdev_attach_ioas_makes_hwpt)
{
	struct edu e = edu_bound();
	uint32_t ioas = ioas_alloc(e.iommufd), pt_id = ioas;

	EXPECT_OK(attach(e.dev, &pt_id));
	/* The ID written back is that of the paging HWPT it made. */
	CHECK(pt_id != ioas && pt_id != e.devid);
	/* Both are in use while the device is attached. */
	EXPECT_ERRNO(EBUSY, conf_destroy(e.iommufd, ioas));
	EXPECT_ERRNO(EBUSY, conf_destroy(e.iommufd, pt_id));
}

DEV_TEST(dev_cdev_attach_argsz_flags)
{
	struct edu e = edu_bound();
	uint32_t ioas = ioas_alloc(e.iommufd), pt_id;

	pt_id = ioas;
	EXPECT_ERRNO(EINVAL, attach_full(e.dev, 11, 0, &pt_id));
	EXPECT_ERRNO(EINVAL, attach_full(e.dev, 0, 0, &pt_id));
	EXPECT_ERRNO(EINVAL, attach_full(e.dev, 12, 1, &pt_id));
	CHECK(pt_id == ioas);
	/* Nothing was attached: the IOAS is free. */
	EXPECT_OK(conf_destroy(e.iommufd, ioas));
	ioas = ioas_alloc(e.iommufd);
	pt_id = ioas;
	EXPECT_OK(attach_full(e.dev, 64, 0, &pt_id));
	CHECK(pt_id != ioas);
}

DEV_TEST(dev_cdev_attach_bad_id)
{
	struct edu e = edu_bound();
	uint32_t pt_id;

	pt_id = 0;
	EXPECT_ERRNO(ENOENT, attach(e.dev, &pt_id));
	pt_id = 12345;
	EXPECT_ERRNO(ENOENT, attach(e.dev, &pt_id));
	CHECK(pt_id == 12345);
	/* An object that is neither an IOAS nor a HWPT: the device. */
	pt_id = e.devid;
	EXPECT_ERRNO(EINVAL, attach(e.dev, &pt_id));
}

DEV_TEST(dev_cdev_attach_replace)
{
	struct edu e = edu_attached();
	uint32_t ioas2 = ioas_alloc(e.iommufd), hwpt2 = ioas2, again;

	/* A second attach replaces: a new HWPT on the new IOAS. */
	EXPECT_OK(attach(e.dev, &hwpt2));
	CHECK(hwpt2 != ioas2 && hwpt2 != e.hwpt);
	/* The first automatic HWPT went with it, freeing the first IOAS. */
	EXPECT_ERRNO(ENOENT, conf_destroy(e.iommufd, e.hwpt));
	EXPECT_OK(conf_destroy(e.iommufd, e.ioas));
	EXPECT_ERRNO(EBUSY, conf_destroy(e.iommufd, ioas2));
	/* The same IOAS again: the same HWPT. */
	again = ioas2;
	EXPECT_OK(attach(e.dev, &again));
	EXPECT_EQ(again, hwpt2);
}

DEV_TEST(dev_cdev_attach_hwpt)
{
	struct edu e = edu_bound();
	uint32_t ioas = ioas_alloc(e.iommufd), hwpt = 0, pt_id;

	EXPECT_OK(conf_hwpt_alloc(e.iommufd, e.devid, ioas, 0, &hwpt));
	pt_id = hwpt;
	EXPECT_OK(attach(e.dev, &pt_id));
	EXPECT_EQ(pt_id, hwpt);
	EXPECT_ERRNO(EBUSY, conf_destroy(e.iommufd, hwpt));
	/* A user-allocated HWPT outlives the detach. */
	EXPECT_OK(detach(e.dev));
	EXPECT_OK(conf_destroy(e.iommufd, hwpt));
	EXPECT_OK(conf_destroy(e.iommufd, ioas));
}

DEV_TEST(dev_cdev_detach)
{
	struct edu e = edu_attached();

	EXPECT_ERRNO(EINVAL, detach_full(e.dev, 7, 0));
	EXPECT_ERRNO(EINVAL, detach_full(e.dev, 8, 1));
	EXPECT_ERRNO(EBUSY, conf_destroy(e.iommufd, e.ioas));
	EXPECT_OK(detach(e.dev));
	/* The automatic HWPT is gone, the IOAS free. */
	EXPECT_ERRNO(ENOENT, conf_destroy(e.iommufd, e.hwpt));
	EXPECT_OK(conf_destroy(e.iommufd, e.ioas));
	/* Detaching what is not attached succeeds. */
	EXPECT_OK(detach(e.dev));
	EXPECT_OK(detach_full(e.dev, 64, 0));
	/* And the device can be attached again. */
	e.ioas = ioas_alloc(e.iommufd);
	e.hwpt = e.ioas;
	EXPECT_OK(attach(e.dev, &e.hwpt));
}

DEV_TEST(dev_cdev_dup_fd)
{
	struct edu e = edu_attached();
	int dup_fd = conf_adopt_fd(dup(e.dev));

	edu_enable(dup_fd);
	close(e.dev);
	conf_forget_fd(e.dev);
	/* The file is still open, bound and attached. */
	EXPECT_ERRNO(EBUSY, conf_destroy(e.iommufd, e.devid));
	EXPECT_ERRNO(EBUSY, conf_destroy(e.iommufd, e.ioas));
	check_device_info(dup_fd);
	EXPECT_EQ(rd32(dup_fd, EDU_ID) & 0xff, 0xed);
	close(dup_fd);
	conf_forget_fd(dup_fd);
	EXPECT_ERRNO(ENOENT, conf_destroy(e.iommufd, e.devid));
	EXPECT_OK(conf_destroy(e.iommufd, e.ioas));
}

DEV_TEST(dev_cdev_close_iommufd_first)
{
	struct edu e = edu_attached();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);
	int iommufd;

	map_fixed(e.iommufd, e.ioas, buf, 2 * PAGE_SZ, BUF_IOVA);
	edu_enable(e.dev);
	close(e.iommufd);
	conf_forget_fd(e.iommufd);
	/* The bound device keeps the iommufd, and its mappings, alive. */
	check_device_info(e.dev);
	dma_round_trip(e.dev, buf, BUF_IOVA, buf + PAGE_SZ, BUF_IOVA + PAGE_SZ,
		       3);
	close(e.dev);
	conf_forget_fd(e.dev);
	/* Then it is released: a new user can bind. */
	iommufd = conf_open();
	e.dev = cdev_open();
	EXPECT_OK(bind_dev(e.dev, iommufd, &e.devid));
}

/* ====================================================================== */
/* Group path                                                              */
/* ====================================================================== */

DEV_TEST(dev_group_status)
{
	int container = conf_open_vfio();
	int group = group_open();
	uint32_t flags;

	EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_ERRNO(EINVAL, group_status(group, 7, &flags));
	EXPECT_ERRNO(EINVAL, group_status(group, 0, &flags));
	EXPECT_OK(group_status(group, 64, &flags));
	EXPECT_EQ(flags, VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_OK(set_container(group, container));
	EXPECT_EQ(group_flags(group),
		  VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
}

DEV_TEST(dev_group_set_container_errors)
{
	int container = conf_open_vfio(), other = conf_open_vfio();
	int group = group_open();
	int efd = efd_new();

	EXPECT_ERRNO(EBADF, set_container(group, closed_fd()));
	EXPECT_ERRNO(EBADF, set_container(group, -1));
	EXPECT_ERRNO(EBADFD, set_container(group, efd));
	EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_OK(set_container(group, container));
	/* Once set: EINVAL, for the same container or another. */
	EXPECT_ERRNO(EINVAL, set_container(group, container));
	EXPECT_ERRNO(EINVAL, set_container(group, other));
	/* A bad fd is found before that. */
	EXPECT_ERRNO(EBADF, set_container(group, closed_fd()));
}

DEV_TEST(dev_group_set_container_iommufd)
{
	/* Any iommufd serves as the container. */
	int iommufd = conf_open();
	int group = group_open();
	int dev;

	EXPECT_OK(set_container(group, iommufd));
	dev = get_device_fd(group, edu_bdf());
	CHECK(dev >= 0);
	check_device_info(dev);
}

DEV_TEST(dev_group_unset_container)
{
	int container = conf_open_vfio();
	int group = group_open();

	EXPECT_ERRNO(EINVAL, ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	EXPECT_OK(set_container(group, container));
	EXPECT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	EXPECT_ERRNO(EINVAL, ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	/* And it can be set again. */
	EXPECT_OK(set_container(group, container));
}

DEV_TEST(dev_group_status_unset_with_device_open)
{
	int container = conf_open_vfio();
	int group = group_open();
	int dev;

	EXPECT_OK(set_container(group, container));
	dev = get_device_fd(group, edu_bdf());
	CHECK(dev >= 0);
	/* An iommufd container lets go even with a device open... */
	EXPECT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	/* ...and the group, its DMA still owned by the open device, is no
	 * longer viable. */
	EXPECT_EQ(group_flags(group), 0);
	EXPECT_OK(close(dev));
	conf_forget_fd(dev);
	EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_OK(set_container(group, container));
	EXPECT_EQ(group_flags(group),
		  VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE);
}

DEV_TEST(dev_group_get_device_fd_errors)
{
	char name[64];
	int container = conf_open_vfio();
	int group = group_open();

	/* Without a container. */
	EXPECT_ERRNO(EINVAL, get_device_fd(group, edu_bdf()));
	/* A name no device of the group has: found before the container. */
	EXPECT_ERRNO(ENODEV, get_device_fd(group, "0000:00:1f.7"));
	EXPECT_ERRNO(ENODEV, get_device_fd(group, ""));
	EXPECT_OK(set_container(group, container));
	EXPECT_ERRNO(ENODEV, get_device_fd(group, "0000:00:1f.7"));
	EXPECT_ERRNO(ENODEV, get_device_fd(group, "0000:00"));
	/* A prefix of the name is not the name. */
	snprintf(name, sizeof(name), "%.*s", (int)strlen(edu_bdf()) - 1,
		 edu_bdf());
	EXPECT_ERRNO(ENODEV, get_device_fd(group, name));
	/* Neither is the name followed by something else. */
	snprintf(name, sizeof(name), "%sx", edu_bdf());
	EXPECT_ERRNO(ENODEV, get_device_fd(group, name));
	EXPECT_ERRNO(EFAULT, get_device_fd(group, NULL));
}

DEV_TEST(dev_group_get_device_fd)
{
	struct edu_group g = edu_group();
	uint32_t pt_id = 1;
	int second;

	check_device_info(g.dev);
	/* Close-on-exec, read/write. */
	EXPECT_EQ(fcntl(g.dev, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(g.dev, F_GETFL) & O_ACCMODE, O_RDWR);
	/* A device fd from a group is not a cdev. */
	EXPECT_ERRNO(EINVAL, bind_dev(g.dev, g.container, NULL));
	EXPECT_ERRNO(ENOTTY, attach(g.dev, &pt_id));
	EXPECT_ERRNO(ENOTTY, detach(g.dev));
	/* The group hands out more than one. */
	second = get_device_fd(g.group, edu_bdf());
	CHECK(second >= 0 && second != g.dev);
	check_device_info(second);
	close(g.dev);
	conf_forget_fd(g.dev);
	check_device_info(second);
}

/*
 * vfio-pci matches a name: the PCI name, then optionally a space and
 * options. Spaces alone open the device; any option is EINVAL for a
 * function that is neither an SR-IOV PF nor a VF, a well-formed vf_token
 * too; anything but a space right after the name is no match.
 */
DEV_TEST(dev_group_get_device_fd_options)
{
	static const char *const opens[] = { " ", "   " };
	static const char *const einval[] = {
		" vf_token=bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3",
		" vf_token=bd8d9d2b",
		" junk",
		"  x  ",
	};
	struct edu_group g = edu_group();
	char name[128];
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		conf_note("name \"%s%s\"", edu_bdf(), opens[i]);
		snprintf(name, sizeof(name), "%s%s", edu_bdf(), opens[i]);
		fd = get_device_fd(g.group, name);
		CHECK(fd >= 0);
		check_device_info(fd);
	}
	for (i = 0; i < sizeof(einval) / sizeof(einval[0]); i++) {
		conf_note("name \"%s%s\"", edu_bdf(), einval[i]);
		snprintf(name, sizeof(name), "%s%s", edu_bdf(), einval[i]);
		EXPECT_ERRNO(EINVAL, get_device_fd(g.group, name));
	}
	snprintf(name, sizeof(name), "%s\tx", edu_bdf());
	EXPECT_ERRNO(ENODEV, get_device_fd(g.group, name));
}

DEV_TEST(dev_group_dma_through_container)
{
	struct edu_group g = edu_group();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = BUF_IOVA,
		.size = 2 * PAGE_SZ,
	};

	EXPECT_OK(ioctl(g.container, VFIO_IOMMU_MAP_DMA, &map));
	edu_enable(g.dev);
	dma_round_trip(g.dev, buf, BUF_IOVA, buf + PAGE_SZ, BUF_IOVA + PAGE_SZ,
		       5);
}

DEV_TEST(dev_group_unset_with_device_open)
{
	struct edu_group g = edu_group();
	int other = conf_open_vfio();

	/* The open device keeps its own reference on the iommufd. */
	EXPECT_OK(ioctl(g.group, VFIO_GROUP_UNSET_CONTAINER));
	check_device_info(g.dev);
	EXPECT_ERRNO(EINVAL, get_device_fd(g.group, edu_bdf()));
	/* A container can be set again, even another one. */
	EXPECT_OK(set_container(g.group, other));
	EXPECT_EQ(group_flags(g.group),
		  VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE);
	CHECK(get_device_fd(g.group, edu_bdf()) >= 0);
}

DEV_TEST(dev_group_close_keeps_device)
{
	struct edu_group g = edu_group();
	int iommufd = conf_open();
	int dev;

	close(g.group);
	conf_forget_fd(g.group);
	check_device_info(g.dev);
	edu_enable(g.dev);
	EXPECT_EQ(rd32(g.dev, EDU_ID) & 0xff, 0xed);
	/* The device is still in use: its cdev cannot be bound. */
	dev = cdev_open();
	EXPECT_ERRNO(EINVAL, bind_dev(dev, iommufd, NULL));
	close(g.dev);
	conf_forget_fd(g.dev);
	EXPECT_OK(bind_dev(dev, iommufd, NULL));
}

DEV_TEST(dev_group_open_excludes_second_open)
{
	int group = group_open();

	(void)group;
	EXPECT_ERRNO(EBUSY, group_try_open());
}

DEV_TEST(dev_group_busy_while_cdev_bound)
{
	int iommufd = conf_open();
	int dev = cdev_open();
	int group;

	/* An open cdev that is not bound does not hold the group. */
	group = group_try_open();
	CHECK(group >= 0);
	close(group);
	conf_forget_fd(group);
	EXPECT_OK(bind_dev(dev, iommufd, NULL));
	EXPECT_ERRNO(EBUSY, group_try_open());
	close(dev);
	conf_forget_fd(dev);
	group = group_try_open();
	CHECK(group >= 0);
	EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
}

DEV_TEST(dev_cdev_bind_busy_while_group_open)
{
	int iommufd = conf_open();
	int group = group_open();
	int dev = cdev_open(); /* opening it is fine */

	EXPECT_ERRNO(EBUSY, bind_dev(dev, iommufd, NULL));
	/* Argument errors come first. */
	EXPECT_ERRNO(EINVAL, bind_full(dev, 16, 1, iommufd, NULL));
	close(group);
	conf_forget_fd(group);
	EXPECT_OK(bind_dev(dev, iommufd, NULL));
	check_device_info(dev);
}

/* ====================================================================== */
/* Device, region and IRQ info                                             */
/* ====================================================================== */

DEV_TEST(dev_info)
{
	struct edu e = edu_bound();
	struct vfio_device_info info;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	EXPECT_OK(ioctl(e.dev, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(info.flags & VFIO_DEVICE_FLAGS_PCI, VFIO_DEVICE_FLAGS_PCI);
	EXPECT_EQ(info.num_regions, VFIO_PCI_NUM_REGIONS);
	EXPECT_EQ(info.num_irqs, VFIO_PCI_NUM_IRQS);
	EXPECT_EQ(info.cap_offset, 0);
	/* 16 bytes are enough, and only they are written. */
	memset(&info, 0xff, sizeof(info));
	info.argsz = 16;
	EXPECT_OK(ioctl(e.dev, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(info.argsz, 16);
	EXPECT_EQ(info.num_irqs, VFIO_PCI_NUM_IRQS);
	EXPECT_EQ(info.cap_offset, 0xffffffff);
	info.argsz = 15;
	EXPECT_ERRNO(EINVAL, ioctl(e.dev, VFIO_DEVICE_GET_INFO, &info));
}

DEV_TEST(dev_region_info_bar0)
{
	struct edu e = edu_bound();
	struct vfio_region_info r;
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ |
			    VFIO_REGION_INFO_FLAG_WRITE;

	EXPECT_OK(
		region_info(e.dev, sizeof(r), VFIO_PCI_BAR0_REGION_INDEX, &r));
	EXPECT_EQ(r.size, EDU_BAR0_SIZE);
	EXPECT_EQ(r.flags & rw, rw);
	EXPECT_EQ(r.flags & VFIO_REGION_INFO_FLAG_CAPS, 0);
	EXPECT_EQ(r.offset, BAR0);
	EXPECT_EQ(r.index, VFIO_PCI_BAR0_REGION_INDEX);
	EXPECT_EQ(r.argsz, sizeof(r));
	EXPECT_EQ(r.cap_offset, 0);
}

DEV_TEST(dev_region_info_config)
{
	struct edu e = edu_bound();
	struct vfio_region_info r;

	EXPECT_OK(region_info(e.dev, sizeof(r), VFIO_PCI_CONFIG_REGION_INDEX,
			      &r));
	EXPECT_EQ(r.size, 256);
	EXPECT_EQ(r.flags,
		  VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	EXPECT_EQ(r.offset, CFG);
}

DEV_TEST(dev_region_info_empty)
{
	struct edu e = edu_bound();
	struct vfio_region_info r;
	uint32_t i;

	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		conf_note("region %u", i);
		EXPECT_OK(region_info(e.dev, sizeof(r), i, &r));
		EXPECT_EQ(r.size, 0);
		EXPECT_EQ(r.flags, 0);
		EXPECT_EQ(r.offset, REGION(i));
	}
}

DEV_TEST(dev_region_info_invalid)
{
	struct edu e = edu_bound();
	struct vfio_region_info r;

	/* No VGA, no device-specific regions. */
	EXPECT_ERRNO(EINVAL, region_info(e.dev, sizeof(r),
					 VFIO_PCI_VGA_REGION_INDEX, &r));
	EXPECT_ERRNO(EINVAL, region_info(e.dev, sizeof(r), 9, &r));
	EXPECT_ERRNO(EINVAL, region_info(e.dev, sizeof(r), UINT32_MAX, &r));
	EXPECT_ERRNO(EINVAL, region_info(e.dev, sizeof(r) - 1,
					 VFIO_PCI_BAR0_REGION_INDEX, &r));
	EXPECT_ERRNO(EINVAL,
		     region_info(e.dev, 0, VFIO_PCI_BAR0_REGION_INDEX, &r));
}

DEV_TEST(dev_irq_info)
{
	struct edu e = edu_bound();
	struct vfio_irq_info q;

	EXPECT_OK(irq_info(e.dev, sizeof(q), INTX, &q));
	EXPECT_EQ(q.count, 1);
	EXPECT_EQ(q.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
				   VFIO_IRQ_INFO_AUTOMASKED);
	EXPECT_OK(irq_info(e.dev, sizeof(q), MSI, &q));
	EXPECT_EQ(q.count, 1);
	EXPECT_EQ(q.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	EXPECT_OK(irq_info(e.dev, sizeof(q), VFIO_PCI_MSIX_IRQ_INDEX, &q));
	EXPECT_EQ(q.count, 0);
	EXPECT_EQ(q.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	/* Not PCI Express: no error reporting. */
	EXPECT_ERRNO(EINVAL,
		     irq_info(e.dev, sizeof(q), VFIO_PCI_ERR_IRQ_INDEX, &q));
	EXPECT_OK(irq_info(e.dev, sizeof(q), VFIO_PCI_REQ_IRQ_INDEX, &q));
	EXPECT_EQ(q.count, 1);
	EXPECT_EQ(q.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
}

DEV_TEST(dev_irq_info_invalid)
{
	struct edu e = edu_bound();
	struct vfio_irq_info q;

	EXPECT_ERRNO(EINVAL, irq_info(e.dev, sizeof(q), VFIO_PCI_NUM_IRQS, &q));
	EXPECT_ERRNO(EINVAL, irq_info(e.dev, sizeof(q), UINT32_MAX, &q));
	EXPECT_ERRNO(EINVAL, irq_info(e.dev, sizeof(q) - 1, INTX, &q));
	EXPECT_ERRNO(EINVAL, irq_info(e.dev, 0, INTX, &q));
}

/* ====================================================================== */
/* SET_IRQS                                                                */
/* ====================================================================== */

DEV_TEST(dev_set_irqs_header_errors)
{
	struct edu e = edu_bound();
	int32_t fd = efd_new();

	/* argsz shorter than the header. */
	EXPECT_ERRNO(EINVAL, set_irqs_full(e.dev, 15, TRIGGER_EVENTFD, MSI, 0,
					   1, &fd, sizeof(fd)));
	/* Too short for the data. */
	EXPECT_ERRNO(EINVAL, set_irqs_full(e.dev, 16 + 3, TRIGGER_EVENTFD, MSI,
					   0, 1, &fd, sizeof(fd)));
	/* An index the device does not have. */
	EXPECT_ERRNO(EINVAL, set_irqs(e.dev, TRIGGER_EVENTFD, VFIO_PCI_NUM_IRQS,
				      0, 1, &fd, sizeof(fd)));
	/* Flags outside the data types and actions. */
	EXPECT_ERRNO(EINVAL, set_irqs(e.dev, TRIGGER_EVENTFD | (1U << 6), MSI,
				      0, 1, &fd, sizeof(fd)));
	/* Two data types at once. */
	EXPECT_ERRNO(EINVAL,
		     set_irqs(e.dev,
			      VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
				      VFIO_IRQ_SET_ACTION_TRIGGER,
			      MSI, 0, 1, &fd, sizeof(fd)));
	EXPECT_ERRNO(EINVAL,
		     set_irqs(e.dev, VFIO_IRQ_SET_DATA_BOOL | TRIGGER_EVENTFD,
			      MSI, 0, 1, &fd, sizeof(fd)));
	/* No data type. */
	EXPECT_ERRNO(EINVAL, set_irqs(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI,
				      0, 1, &fd, sizeof(fd)));
	/* A good one still works. */
	EXPECT_OK(irq_eventfd(e.dev, MSI, fd));
}

DEV_TEST(dev_set_irqs_range_errors)
{
	struct edu e = edu_bound();
	int32_t fds[2] = { efd_new(), efd_new() };

	/* MSI has one vector: start and start + count within it. */
	EXPECT_ERRNO(EINVAL, set_irqs(e.dev, TRIGGER_EVENTFD, MSI, 1, 1, fds,
				      sizeof(fds)));
	EXPECT_ERRNO(EINVAL, set_irqs(e.dev, TRIGGER_EVENTFD, MSI, 0, 2, fds,
				      sizeof(fds)));
	/* start + count overflowing 32 bits. */
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI,
				      1, UINT32_MAX));
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI,
				      UINT32_MAX, 1));
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI,
				      0x80000000U, 0x80000000U));
	/* MSI-X and ERR have no vectors at all. */
	EXPECT_ERRNO(EINVAL,
		     set_irqs(e.dev, TRIGGER_EVENTFD, VFIO_PCI_MSIX_IRQ_INDEX,
			      0, 1, fds, sizeof(fds[0])));
	EXPECT_ERRNO(EINVAL,
		     set_irqs(e.dev, TRIGGER_EVENTFD, VFIO_PCI_ERR_IRQ_INDEX, 0,
			      1, fds, sizeof(fds[0])));
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER,
				      VFIO_PCI_ERR_IRQ_INDEX, 0, 0));
	/* INTx has one. */
	EXPECT_ERRNO(EINVAL, set_irqs(e.dev, TRIGGER_EVENTFD, INTX, 0, 2, fds,
				      sizeof(fds)));
}

DEV_TEST(dev_set_irqs_unsupported_actions)
{
	struct edu e = edu_bound();
	uint8_t yes = 1;
	int32_t fd = efd_new();

	/* MSI cannot be masked or unmasked. */
	EXPECT_ERRNO(ENOTTY,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_MASK, MSI, 0, 1));
	EXPECT_ERRNO(ENOTTY,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, MSI, 0, 1));
	EXPECT_ERRNO(ENOTTY,
		     set_irqs(e.dev,
			      VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
			      MSI, 0, 1, &yes, 1));
	/* Nor can REQ. */
	EXPECT_ERRNO(ENOTTY, irq_none(e.dev, VFIO_IRQ_SET_ACTION_MASK,
				      VFIO_PCI_REQ_IRQ_INDEX, 0, 1));
	/* Two actions at once are no action of any index. */
	EXPECT_ERRNO(ENOTTY, irq_none(e.dev,
				      VFIO_IRQ_SET_ACTION_MASK |
					      VFIO_IRQ_SET_ACTION_UNMASK,
				      INTX, 0, 1));
	/* INTx masking with an eventfd is not implemented. */
	EXPECT_OK(irq_eventfd(e.dev, INTX, fd));
	EXPECT_ERRNO(ENOTTY, set_irqs(e.dev,
				      VFIO_IRQ_SET_DATA_EVENTFD |
					      VFIO_IRQ_SET_ACTION_MASK,
				      INTX, 0, 1, &fd, sizeof(fd)));
}

DEV_TEST(dev_set_irqs_bad_eventfds)
{
	struct edu e = edu_bound();
	int pipefd[2];
	int32_t fd;

	CHECK(pipe(pipefd) == 0);
	conf_adopt_fd(pipefd[0]);
	conf_adopt_fd(pipefd[1]);
	/* Not an eventfd: EINVAL; not open: EBADF; for INTx and MSI. */
	EXPECT_ERRNO(EINVAL, irq_eventfd(e.dev, INTX, pipefd[0]));
	EXPECT_ERRNO(EBADF, irq_eventfd(e.dev, INTX, closed_fd()));
	EXPECT_ERRNO(EINVAL, irq_eventfd(e.dev, MSI, pipefd[1]));
	EXPECT_ERRNO(EBADF, irq_eventfd(e.dev, MSI, closed_fd()));
	EXPECT_ERRNO(EINVAL,
		     irq_eventfd(e.dev, VFIO_PCI_REQ_IRQ_INDEX, pipefd[0]));
	EXPECT_ERRNO(EBADF,
		     irq_eventfd(e.dev, VFIO_PCI_REQ_IRQ_INDEX, closed_fd()));
	/* Nothing was enabled by the failures: MSI can be set up now. */
	fd = efd_new();
	EXPECT_OK(irq_eventfd(e.dev, MSI, fd));
}

DEV_TEST(dev_set_irqs_one_type_at_a_time)
{
	struct edu e = edu_bound();
	int32_t fd = efd_new();

	/* Masking and loopback need INTx enabled. */
	EXPECT_ERRNO(EINVAL,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_ERRNO(EINVAL,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_MASK, INTX, 0, 1));
	EXPECT_ERRNO(EINVAL,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 1));
	EXPECT_ERRNO(EINVAL,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI, 0, 1));
	/* With INTx on, MSI cannot be enabled, and the other way round. */
	EXPECT_OK(irq_eventfd(e.dev, INTX, fd));
	EXPECT_ERRNO(EINVAL, irq_eventfd(e.dev, MSI, fd));
	EXPECT_ERRNO(EINVAL,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI, 0, 0));
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 0));
	EXPECT_OK(irq_eventfd(e.dev, MSI, fd));
	EXPECT_ERRNO(EINVAL, irq_eventfd(e.dev, INTX, fd));
	EXPECT_ERRNO(EINVAL,
		     irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI, 0, 0));
	EXPECT_OK(irq_eventfd(e.dev, INTX, fd));
}

DEV_TEST(dev_set_irqs_loopback)
{
	struct edu e = edu_bound();
	int32_t fd = efd_new();
	uint8_t no = 0, yes = 1;

	/* DATA_NONE / DATA_BOOL with TRIGGER signal the eventfd. */
	EXPECT_OK(irq_eventfd(e.dev, INTX, fd));
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 1));
	EXPECT_EQ(efd_wait(fd, TIMEOUT_MS), 1);
	EXPECT_OK(set_irqs(e.dev,
			   VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			   INTX, 0, 1, &no, 1));
	EXPECT_EQ(efd_wait(fd, 0), 0);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 0));
	EXPECT_OK(irq_eventfd(e.dev, MSI, fd));
	EXPECT_OK(set_irqs(e.dev,
			   VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			   MSI, 0, 1, &yes, 1));
	EXPECT_EQ(efd_wait(fd, TIMEOUT_MS), 1);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI, 0, 1));
	EXPECT_EQ(efd_wait(fd, TIMEOUT_MS), 1);
}

DEV_TEST(dev_set_irqs_req)
{
	struct edu e = edu_bound();
	int32_t fd = efd_new(), none = -1;
	uint8_t yes = 1;

	/* Without an eventfd, DATA_NONE is EINVAL. */
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER,
				      VFIO_PCI_REQ_IRQ_INDEX, 0, 1));
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER,
				      VFIO_PCI_REQ_IRQ_INDEX, 0, 0));
	EXPECT_OK(irq_eventfd(e.dev, VFIO_PCI_REQ_IRQ_INDEX, fd));
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER,
			   VFIO_PCI_REQ_IRQ_INDEX, 0, 1));
	EXPECT_EQ(efd_wait(fd, TIMEOUT_MS), 1);
	EXPECT_OK(set_irqs(e.dev,
			   VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			   VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &yes, 1));
	EXPECT_EQ(efd_wait(fd, TIMEOUT_MS), 1);
	/* BOOL with count 0 is EINVAL; NONE with count 0 turns it off. */
	EXPECT_ERRNO(EINVAL, set_irqs(e.dev,
				      VFIO_IRQ_SET_DATA_BOOL |
					      VFIO_IRQ_SET_ACTION_TRIGGER,
				      VFIO_PCI_REQ_IRQ_INDEX, 0, 0, &yes, 1));
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER,
			   VFIO_PCI_REQ_IRQ_INDEX, 0, 0));
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER,
				      VFIO_PCI_REQ_IRQ_INDEX, 0, 1));
	/* An eventfd of -1 turns it off as well, and may be repeated. */
	EXPECT_OK(irq_eventfd(e.dev, VFIO_PCI_REQ_IRQ_INDEX, fd));
	EXPECT_OK(irq_eventfd(e.dev, VFIO_PCI_REQ_IRQ_INDEX, none));
	EXPECT_OK(irq_eventfd(e.dev, VFIO_PCI_REQ_IRQ_INDEX, none));
	EXPECT_ERRNO(EINVAL, irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER,
				      VFIO_PCI_REQ_IRQ_INDEX, 0, 1));
	/* Other negative fds are EINVAL. */
	none = -2;
	EXPECT_ERRNO(EINVAL, irq_eventfd(e.dev, VFIO_PCI_REQ_IRQ_INDEX, none));
}

/* ====================================================================== */
/* Interrupt delivery                                                      */
/* ====================================================================== */

DEV_TEST(dev_intx_automask_unmask)
{
	struct edu e = edu_bound();
	int efd = efd_new();

	edu_enable(e.dev);
	EXPECT_OK(irq_eventfd(e.dev, INTX, efd));
	wr32(e.dev, EDU_IRQ_RAISE, 0x1);
	EXPECT_IRQ(efd);
	EXPECT_EQ(rd32(e.dev, EDU_IRQ_STATUS), 0x1);
	/* Masked by the delivery: a new assertion is not signalled... */
	wr32(e.dev, EDU_IRQ_ACK, 0x1);
	wr32(e.dev, EDU_IRQ_RAISE, 0x2);
	EXPECT_NO_IRQ(efd);
	/* ...until unmasked, the line being still asserted. */
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_IRQ(efd);
	EXPECT_EQ(rd32(e.dev, EDU_IRQ_STATUS), 0x2);
	/* That masked it again; lowered, then unmasked: quiet. */
	wr32(e.dev, EDU_IRQ_ACK, 0x2);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_NO_IRQ(efd);
	/* Unmasked: the next assertion is signalled. */
	wr32(e.dev, EDU_IRQ_RAISE, 0x4);
	EXPECT_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x4);
	EXPECT_EQ(rd32(e.dev, EDU_IRQ_STATUS), 0);
}

DEV_TEST(dev_intx_mask)
{
	struct edu e = edu_bound();
	int efd = efd_new();
	uint8_t yes = 1;

	edu_enable(e.dev);
	EXPECT_OK(irq_eventfd(e.dev, INTX, efd));
	/* Masked by the user: nothing until the unmask. */
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_MASK, INTX, 0, 1));
	wr32(e.dev, EDU_IRQ_RAISE, 0x8);
	EXPECT_NO_IRQ(efd);
	EXPECT_OK(set_irqs(e.dev,
			   VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
			   INTX, 0, 1, &yes, 1));
	EXPECT_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x8);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	/* Disabled: nothing at all. */
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 0));
	wr32(e.dev, EDU_IRQ_RAISE, 0x10);
	EXPECT_NO_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x10);
}

DEV_TEST(dev_intx_status_bit)
{
	struct edu e = edu_bound();
	int efd = efd_new();

	edu_enable(e.dev);
	EXPECT_OK(irq_eventfd(e.dev, INTX, efd));
	/* PCI_STATUS_INTERRUPT shows the line. */
	EXPECT_EQ(cfg_rd16(e.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT, 0);
	wr32(e.dev, EDU_IRQ_RAISE, 0x20);
	EXPECT_IRQ(efd);
	EXPECT_EQ(cfg_rd16(e.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
		  PCI_STATUS_INTERRUPT);
	wr32(e.dev, EDU_IRQ_ACK, 0x20);
	EXPECT_EQ(cfg_rd16(e.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT, 0);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_NO_IRQ(efd);
}

DEV_TEST(dev_msi_delivery)
{
	struct edu e = edu_bound();
	int efd = efd_new();

	edu_enable(e.dev);
	EXPECT_OK(irq_eventfd(e.dev, MSI, efd));
	wr32(e.dev, EDU_IRQ_RAISE, 0x100);
	EXPECT_IRQ(efd);
	EXPECT_EQ(rd32(e.dev, EDU_IRQ_STATUS), 0x100);
	wr32(e.dev, EDU_IRQ_ACK, 0x100);
	EXPECT_EQ(rd32(e.dev, EDU_IRQ_STATUS), 0);
	/* MSI is not masked by its delivery. */
	wr32(e.dev, EDU_IRQ_RAISE, 0x200);
	EXPECT_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x200);
	/* Another eventfd replaces the first. */
	{
		int efd2 = efd_new();

		EXPECT_OK(irq_eventfd(e.dev, MSI, efd2));
		wr32(e.dev, EDU_IRQ_RAISE, 0x400);
		EXPECT_IRQ(efd2);
		EXPECT_EQ(efd_wait(efd, 0), 0);
		wr32(e.dev, EDU_IRQ_ACK, 0x400);
	}
	/* Disabled: nothing. */
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI, 0, 0));
	wr32(e.dev, EDU_IRQ_RAISE, 0x800);
	EXPECT_NO_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x800);
}

/*
 * MSI is a memory write of the device's: with bus mastering off it is
 * lost (mastering turned on afterwards brings nothing). INTx is a wire
 * and comes regardless.
 */
DEV_TEST(dev_msi_needs_bus_master)
{
	struct edu e = edu_bound();
	int efd = efd_new();
	uint16_t cmd;

	edu_enable(e.dev);
	cmd = cfg_rd16(e.dev, PCI_COMMAND);
	cfg_wr16(e.dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
	EXPECT_OK(irq_eventfd(e.dev, INTX, efd));
	wr32(e.dev, EDU_IRQ_RAISE, 0x1);
	EXPECT_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x1);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 0));

	EXPECT_OK(irq_eventfd(e.dev, MSI, efd));
	wr32(e.dev, EDU_IRQ_RAISE, 0x2);
	EXPECT_NO_IRQ(efd);
	EXPECT_EQ(rd32(e.dev, EDU_IRQ_STATUS), 0x2);
	cfg_wr16(e.dev, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
	EXPECT_NO_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x2);
	wr32(e.dev, EDU_IRQ_RAISE, 0x4);
	EXPECT_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x4);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, MSI, 0, 0));
}

/*
 * PCI_COMMAND_INTX_DISABLE: while set, INTx is not signalled, not by an
 * unmask nor by the loopback trigger, and the status bit still shows the
 * line; clearing it signals what is pending. INTx enabled while it is set
 * starts masked.
 */
DEV_TEST(dev_intx_disable_bit)
{
	struct edu e = edu_bound();
	int efd = efd_new();
	uint16_t cmd;

	edu_enable(e.dev);
	cmd = cfg_rd16(e.dev, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE;
	EXPECT_OK(irq_eventfd(e.dev, INTX, efd));
	cfg_wr16(e.dev, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
	EXPECT_EQ(cfg_rd16(e.dev, PCI_COMMAND), cmd | PCI_COMMAND_INTX_DISABLE);
	wr32(e.dev, EDU_IRQ_RAISE, 0x1);
	EXPECT_NO_IRQ(efd);
	EXPECT_EQ(cfg_rd16(e.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
		  PCI_STATUS_INTERRUPT);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 1));
	EXPECT_NO_IRQ(efd);
	cfg_wr16(e.dev, PCI_COMMAND, cmd);
	EXPECT_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x1);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_NO_IRQ(efd);

	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 0));
	cfg_wr16(e.dev, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
	EXPECT_OK(irq_eventfd(e.dev, INTX, efd));
	wr32(e.dev, EDU_IRQ_RAISE, 0x2);
	EXPECT_NO_IRQ(efd);
	cfg_wr16(e.dev, PCI_COMMAND, cmd);
	EXPECT_IRQ(efd);
	wr32(e.dev, EDU_IRQ_ACK, 0x2);
	EXPECT_OK(irq_none(e.dev, VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1));
	EXPECT_NO_IRQ(efd);
}

/* ====================================================================== */
/* VFIO_DEVICE_FEATURE                                                     */
/* ====================================================================== */

static int feature(int dev, uint32_t argsz, uint32_t flags)
{
	union {
		struct vfio_device_feature f;
		uint8_t buf[sizeof(struct vfio_device_feature) + 64];
	} u = { .f = { .argsz = argsz, .flags = flags } };

	return ioctl(dev, VFIO_DEVICE_FEATURE, &u.f);
}

DEV_TEST(dev_feature)
{
	struct edu e = edu_bound();
	const uint32_t get = VFIO_DEVICE_FEATURE_GET;
	const uint32_t set = VFIO_DEVICE_FEATURE_SET;
	const uint32_t probe = VFIO_DEVICE_FEATURE_PROBE;

	/* The header is checked first. */
	EXPECT_ERRNO(EINVAL, feature(e.dev, 7, FEATURE_MIGRATION | get));
	EXPECT_ERRNO(EINVAL, feature(e.dev, 16, FEATURE_MIGRATION | 1U << 19));
	EXPECT_ERRNO(EINVAL, feature(e.dev, 16, FEATURE_MIGRATION | get | set));
	/* No migration, no dirty logging, no VF token (not SR-IOV). */
	EXPECT_ERRNO(ENOTTY, feature(e.dev, 16, FEATURE_MIGRATION | get));
	EXPECT_ERRNO(ENOTTY,
		     feature(e.dev, 16, FEATURE_MIGRATION | probe | get));
	EXPECT_ERRNO(ENOTTY, feature(e.dev, 16,
				     FEATURE_DMA_LOGGING_START | probe | set));
	EXPECT_ERRNO(ENOTTY,
		     feature(e.dev, 16, FEATURE_PCI_VF_TOKEN | probe | set));
	EXPECT_ERRNO(ENOTTY, feature(e.dev, 16, 0xffff | get));
}

/* ====================================================================== */
/* Region reads and writes                                                 */
/* ====================================================================== */

DEV_TEST(dev_rw_config)
{
	struct edu e = edu_bound();
	uint32_t id;

	dev_rw_at(__FILE__, __LINE__, e.dev, false, &id, 4,
		  CFG + PCI_VENDOR_ID);
	EXPECT_EQ(le32toh(id), 0x11e81234);
	EXPECT_EQ(cfg_rd16(e.dev, PCI_VENDOR_ID), 0x1234);
	/* The last byte, and the whole space at once. */
	EXPECT_EQ(try_rw(e.dev, false, 1, CFG + 255), 1);
	{
		uint8_t all_cfg[256];

		EXPECT_EQ(pread(e.dev, all_cfg, 256, CFG), 256);
		EXPECT_EQ(all_cfg[0] | all_cfg[1] << 8, 0x1234);
	}
	/* Vendor and device ID are read-only. */
	wr32_at(__FILE__, __LINE__, e.dev, CFG + PCI_VENDOR_ID, 0);
	EXPECT_EQ(cfg_rd16(e.dev, PCI_VENDOR_ID), 0x1234);
}

DEV_TEST(dev_rw_config_bounds)
{
	struct edu e = edu_bound();

	EXPECT_ERRNO(EFAULT, try_rw(e.dev, false, 4, CFG + 256));
	EXPECT_ERRNO(EFAULT, try_rw(e.dev, true, 4, CFG + 256));
	EXPECT_ERRNO(EFAULT, try_rw(e.dev, false, 1, CFG + 4096));
	/* Running past the end fails whole, not cut short. */
	EXPECT_ERRNO(EFAULT, try_rw(e.dev, false, 8, CFG + 252));
	EXPECT_ERRNO(EFAULT, try_rw(e.dev, false, 2, CFG + 255));
}

DEV_TEST(dev_rw_bar0_registers)
{
	struct edu e = edu_bound();

	edu_enable(e.dev);
	EXPECT_EQ(rd32(e.dev, EDU_ID) & 0xff, 0xed);
	wr32(e.dev, EDU_LIVENESS, 0x12345678);
	EXPECT_EQ(rd32(e.dev, EDU_LIVENESS), ~0x12345678U);
	wr32(e.dev, EDU_LIVENESS, 0);
	EXPECT_EQ(rd32(e.dev, EDU_LIVENESS), 0xffffffff);
}

DEV_TEST(dev_rw_bar0_bounds)
{
	struct edu e = edu_bound();

	edu_enable(e.dev);
	EXPECT_ERRNO(EINVAL, try_rw(e.dev, false, 4, BAR0 + EDU_BAR0_SIZE));
	EXPECT_ERRNO(EINVAL, try_rw(e.dev, true, 4, BAR0 + EDU_BAR0_SIZE));
	EXPECT_ERRNO(EINVAL, try_rw(e.dev, false, 4, BAR0 + 2 * EDU_BAR0_SIZE));
	/* An access running past the end is cut short. */
	EXPECT_EQ(try_rw(e.dev, false, 8, BAR0 + EDU_BAR0_SIZE - 4), 4);
	EXPECT_EQ(try_rw(e.dev, false, 16, BAR0 + EDU_BAR0_SIZE - 8), 8);
}

DEV_TEST(dev_rw_empty_regions)
{
	struct edu e = edu_bound();
	uint32_t i;

	edu_enable(e.dev);
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX;
	     i++) {
		conf_note("region %u", i);
		EXPECT_ERRNO(EINVAL, try_rw(e.dev, false, 4, REGION(i)));
		EXPECT_ERRNO(EINVAL, try_rw(e.dev, true, 4, REGION(i)));
	}
	conf_note("ROM, VGA, beyond");
	EXPECT_ERRNO(EINVAL, try_rw(e.dev, false, 4,
				    REGION(VFIO_PCI_ROM_REGION_INDEX)));
	EXPECT_ERRNO(EINVAL,
		     try_rw(e.dev, true, 4, REGION(VFIO_PCI_ROM_REGION_INDEX)));
	EXPECT_ERRNO(EINVAL, try_rw(e.dev, false, 4,
				    REGION(VFIO_PCI_VGA_REGION_INDEX)));
	EXPECT_ERRNO(EINVAL, try_rw(e.dev, false, 4, REGION(9)));
	EXPECT_ERRNO(EINVAL, try_rw(e.dev, true, 4, REGION(200)));
}

DEV_TEST(dev_rw_zero_length)
{
	struct edu e = edu_bound();

	/* A read or write of nothing succeeds, wherever it points. */
	EXPECT_EQ(try_rw(e.dev, false, 0, CFG), 0);
	EXPECT_EQ(try_rw(e.dev, false, 0, CFG + 4096), 0);
	EXPECT_EQ(try_rw(e.dev, false, 0, BAR0 + 2 * EDU_BAR0_SIZE), 0);
	EXPECT_EQ(try_rw(e.dev, true, 0, REGION(VFIO_PCI_BAR1_REGION_INDEX)),
		  0);
	EXPECT_EQ(try_rw(e.dev, false, 0, REGION(9)), 0);
}

DEV_TEST(dev_rw_any_size_and_alignment)
{
	struct edu e = edu_bound();
	uint8_t buf[64];

	edu_enable(e.dev);
	EXPECT_EQ(pread(e.dev, buf, 3, BAR0), 3);
	EXPECT_EQ(pread(e.dev, buf, 1, BAR0 + 1), 1);
	EXPECT_EQ(pread(e.dev, buf, 64, BAR0), 64);
	EXPECT_EQ(pread(e.dev, buf, 3, CFG + 1), 3);
	EXPECT_EQ(buf[0], 0x12);
	EXPECT_EQ(buf[1], 0xe8);
	EXPECT_EQ(buf[2], 0x11);
	EXPECT_EQ(pread(e.dev, buf, 64, CFG + 0x40), 64);
}

DEV_TEST(dev_rw_file_position)
{
	struct edu e = edu_bound();
	uint32_t v;

	edu_enable(e.dev);
	/* No seeking; read() and write() start at offset 0 (BAR0)... */
	EXPECT_ERRNO(ESPIPE, lseek(e.dev, CFG, SEEK_SET));
	EXPECT_EQ(read(e.dev, &v, 4), 4);
	EXPECT_EQ(le32toh(v) & 0xff, 0xed);
	/* ...and move on by what they transferred: the liveness register. */
	v = htole32(0x0f0f0f0f);
	EXPECT_EQ(write(e.dev, &v, 4), 4);
	EXPECT_EQ(rd32(e.dev, EDU_LIVENESS), 0xf0f0f0f0);
}

DEV_TEST(dev_rw_vectors)
{
	struct edu e = edu_bound();
	uint8_t a[8], b[8];
	struct iovec three[3] = { { a, 4 }, { b, 0 }, { b, 4 } };
	struct iovec lead[2] = { { b, 0 }, { a, 2 } };
	struct iovec one = { a, 4 };

	/* Segment after segment; empty ones in between are stepped over. */
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	EXPECT_EQ(preadv(e.dev, three, 3, CFG), 8);
	EXPECT_EQ(le16toh(*(uint16_t *)a), 0x1234);
	EXPECT_EQ(le16toh(*(uint16_t *)b), cfg_rd16(e.dev, PCI_COMMAND));
	EXPECT_EQ(preadv(e.dev, lead, 2, CFG + 2), 2);
	EXPECT_EQ(le16toh(*(uint16_t *)a), 0x11e8);
	/* A leading empty segment is 0 bytes read, wherever it points; the
	 * next one then fails as it would alone. */
	EXPECT_ERRNO(EINVAL, preadv(e.dev, lead, 2, REGION(9)));
	/* Stops short at the first segment that does. */
	three[1].iov_len = 4;
	EXPECT_EQ(preadv(e.dev, three, 3, CFG + 248), 8);
	/* The array itself is checked as a syscall's argument (volatile:
	 * the compiler sees through bad arguments otherwise). */
	{
		struct iovec *volatile bad = (struct iovec *)8, *p = &one;
		volatile int big = IOV_MAX + 1, neg = -1;

		EXPECT_ERRNO(EFAULT, preadv(e.dev, bad, 1, CFG));
		EXPECT_ERRNO(EINVAL, preadv(e.dev, p, big, CFG));
		EXPECT_ERRNO(EINVAL, preadv(e.dev, p, neg, CFG));
	}
	/* A plain read method takes no RWF_ flag but RWF_HIPRI. */
	EXPECT_ERRNO(EOPNOTSUPP, preadv2(e.dev, &one, 1, CFG, RWF_NOWAIT));
	EXPECT_EQ(preadv2(e.dev, &one, 1, CFG, RWF_HIPRI), 4);
}

/*
 * A cdev opened read-only cannot be written and one opened write-only
 * cannot be read: EBADF, before anything else the device would say, and
 * for any length. F_SETFL does not change that.
 */
DEV_TEST(dev_rw_open_mode)
{
	int iommufd = conf_open();
	int ro = cdev_open_mode(O_RDONLY);
	uint32_t v = 0;
	struct iovec iov = { &v, 4 };

	EXPECT_ERRNO(EBADF, pwrite(ro, &v, 4, BAR0 + EDU_LIVENESS));
	EXPECT_ERRNO(EINVAL, pread(ro, &v, 4, CFG));
	EXPECT_OK(bind_dev(ro, iommufd, NULL));
	check_device_info(ro);
	EXPECT_EQ(pread(ro, &v, 4, CFG), 4);
	EXPECT_EQ(le32toh(v), 0x11e81234);
	EXPECT_ERRNO(EBADF, pwrite(ro, &v, 4, BAR0 + EDU_LIVENESS));
	EXPECT_ERRNO(EBADF, pwrite(ro, &v, 0, BAR0 + EDU_LIVENESS));
	EXPECT_ERRNO(EBADF, write(ro, &v, 4));
	EXPECT_ERRNO(EBADF, writev(ro, &iov, 1));
	EXPECT_ERRNO(EBADF, pwritev(ro, &iov, 1, BAR0 + EDU_LIVENESS));
	EXPECT_ERRNO(EBADF, writev(ro, NULL, 0));
	EXPECT_OK(fcntl(ro, F_SETFL, O_RDWR));
	EXPECT_EQ(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
	EXPECT_ERRNO(EBADF, pwrite(ro, &v, 4, BAR0 + EDU_LIVENESS));
	close(ro);
	conf_forget_fd(ro);

	{
		int wo = cdev_open_mode(O_WRONLY);

		EXPECT_ERRNO(EBADF, pread(wo, &v, 4, CFG));
		EXPECT_OK(bind_dev(wo, iommufd, NULL));
		EXPECT_ERRNO(EBADF, pread(wo, &v, 4, CFG));
		EXPECT_ERRNO(EBADF, pread(wo, &v, 0, CFG));
		EXPECT_ERRNO(EBADF, read(wo, &v, 4));
		EXPECT_ERRNO(EBADF, readv(wo, &iov, 1));
		EXPECT_ERRNO(EBADF, preadv(wo, &iov, 1, CFG));
		edu_enable_wo(wo);
		v = htole32(0x0f0f0f0f);
		EXPECT_EQ(pwrite(wo, &v, 4, BAR0 + EDU_LIVENESS), 4);
		close(wo);
		conf_forget_fd(wo);
	}
	{
		/* O_RDWR | O_WRONLY: an fd for ioctls only. */
		int neither = cdev_open_mode(O_ACCMODE);

		EXPECT_OK(bind_dev(neither, iommufd, NULL));
		check_device_info(neither);
		EXPECT_ERRNO(EBADF, pread(neither, &v, 4, CFG));
		EXPECT_ERRNO(EBADF,
			     pwrite(neither, &v, 4, BAR0 + EDU_LIVENESS));
	}
}

/* A group's device fds are read/write. */
DEV_TEST(dev_group_device_fd_rw)
{
	struct edu_group g = edu_group();
	uint32_t v = 0;
	uint8_t line;

	EXPECT_EQ(pread(g.dev, &v, 4, CFG), 4);
	EXPECT_EQ(le32toh(v), 0x11e81234);
	/* The interrupt line register, written back as it was. */
	EXPECT_EQ(pread(g.dev, &line, 1, CFG + 0x3c), 1);
	EXPECT_EQ(pwrite(g.dev, &line, 1, CFG + 0x3c), 1);
}

DEV_TEST(dev_rw_bar0_needs_memory_decode)
{
	struct edu e = edu_bound();
	uint16_t cmd;

	edu_enable(e.dev);
	cmd = cfg_rd16(e.dev, PCI_COMMAND);
	CHECK(cmd & PCI_COMMAND_MEMORY);
	cfg_wr16(e.dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	EXPECT_EQ(cfg_rd16(e.dev, PCI_COMMAND) & PCI_COMMAND_MEMORY, 0);
	EXPECT_ERRNO(EIO, try_rw(e.dev, false, 4, BAR0 + EDU_ID));
	EXPECT_ERRNO(EIO, try_rw(e.dev, true, 4, BAR0 + EDU_LIVENESS));
	/* Config space stays accessible. */
	EXPECT_EQ(cfg_rd16(e.dev, PCI_VENDOR_ID), 0x1234);
	cfg_wr16(e.dev, PCI_COMMAND, cmd);
	EXPECT_EQ(rd32(e.dev, EDU_ID) & 0xff, 0xed);
}

/* ====================================================================== */
/* DMA through the IOMMU                                                   */
/* ====================================================================== */

DEV_TEST(dev_dma_round_trip)
{
	struct edu e = edu_attached();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);

	map_fixed(e.iommufd, e.ioas, buf, 2 * PAGE_SZ, BUF_IOVA);
	edu_enable(e.dev);
	dma_round_trip(e.dev, buf, BUF_IOVA, buf + PAGE_SZ, BUF_IOVA + PAGE_SZ,
		       1);
	dma_round_trip(e.dev, buf + PAGE_SZ, BUF_IOVA + PAGE_SZ, buf, BUF_IOVA,
		       2);
}

DEV_TEST(dev_dma_auto_iova)
{
	struct edu e = edu_attached();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);
	struct iommu_iova_range low = { .start = 0x10000000 - 0x100000,
					.last = 0x10000000 - 1 };
	uint64_t iova;

	/* edu reaches 28 bits: the IOAS may place mappings below that. */
	EXPECT_OK(conf_allow(e.iommufd, e.ioas, &low, 1));
	iova = map_auto(e.iommufd, e.ioas, buf, 2 * PAGE_SZ);
	CHECK(iova >= low.start && iova + 2 * PAGE_SZ - 1 <= low.last);
	edu_enable(e.dev);
	dma_round_trip(e.dev, buf, iova, buf + PAGE_SZ, iova + PAGE_SZ, 7);
}

DEV_TEST(dev_dma_unmapped_iova)
{
	struct edu e = edu_attached();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);

	map_fixed(e.iommufd, e.ioas, buf, 2 * PAGE_SZ, BUF_IOVA);
	edu_enable(e.dev);
	memset(buf, SENTINEL, 2 * PAGE_SZ);
	/* The device completes; the IOMMU blocks both directions. */
	dma_to_ram(e.dev, HOLE_IOVA);
	dma_to_dev(e.dev, HOLE_IOVA);
	CHECK(all(buf, 2 * PAGE_SZ, SENTINEL));
	/* And the device still works. */
	dma_round_trip(e.dev, buf, BUF_IOVA, buf + PAGE_SZ, BUF_IOVA + PAGE_SZ,
		       4);
}

DEV_TEST(dev_dma_after_unmap)
{
	struct edu e = edu_attached();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);

	map_fixed(e.iommufd, e.ioas, buf, PAGE_SZ, BUF_IOVA);
	map_fixed(e.iommufd, e.ioas, buf + PAGE_SZ, PAGE_SZ,
		  BUF_IOVA + PAGE_SZ);
	edu_enable(e.dev);
	fill(buf, XFER, 9);
	dma_to_dev(e.dev, BUF_IOVA);
	dma_to_ram(e.dev, BUF_IOVA + PAGE_SZ);
	CHECK(!memcmp(buf, buf + PAGE_SZ, XFER));
	EXPECT_EQ(unmap(e.iommufd, e.ioas, BUF_IOVA + PAGE_SZ, PAGE_SZ),
		  PAGE_SZ);
	memset(buf + PAGE_SZ, SENTINEL, PAGE_SZ);
	dma_to_ram(e.dev, BUF_IOVA + PAGE_SZ);
	CHECK(all(buf + PAGE_SZ, PAGE_SZ, SENTINEL));
}

DEV_TEST(dev_dma_read_only_mapping)
{
	struct edu e = edu_attached();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);
	uint64_t iova = BUF_IOVA;

	/* The first page readable only, the second read/write. */
	EXPECT_OK(conf_map(e.iommufd, e.ioas,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
			   buf, PAGE_SZ, &iova));
	map_fixed(e.iommufd, e.ioas, buf + PAGE_SZ, PAGE_SZ,
		  BUF_IOVA + PAGE_SZ);
	edu_enable(e.dev);
	/* Reading from it works... */
	dma_round_trip(e.dev, buf, BUF_IOVA, buf + PAGE_SZ, BUF_IOVA + PAGE_SZ,
		       6);
	/* ...writing to it does not land. */
	memset(buf, SENTINEL, PAGE_SZ);
	dma_to_ram(e.dev, BUF_IOVA);
	CHECK(all(buf, PAGE_SZ, SENTINEL));
}

DEV_TEST(dev_dma_detached_blocked)
{
	struct edu e = edu_attached();
	uint8_t *buf = conf_mem(2 * PAGE_SZ, 0);

	map_fixed(e.iommufd, e.ioas, buf, 2 * PAGE_SZ, BUF_IOVA);
	edu_enable(e.dev);
	fill(buf, XFER, 8);
	dma_to_dev(e.dev, BUF_IOVA);
	EXPECT_OK(detach(e.dev));
	memset(buf + PAGE_SZ, SENTINEL, PAGE_SZ);
	dma_to_ram(e.dev, BUF_IOVA + PAGE_SZ);
	CHECK(all(buf + PAGE_SZ, PAGE_SZ, SENTINEL));
	/* Attached again: it lands. */
	e.hwpt = e.ioas;
	EXPECT_OK(attach(e.dev, &e.hwpt));
	dma_to_ram(e.dev, BUF_IOVA + PAGE_SZ);
	CHECK(!memcmp(buf, buf + PAGE_SZ, XFER));
}

DEV_TEST(dev_dma_follows_replace)
{
	struct edu e = edu_attached();
	uint8_t *a = conf_mem(PAGE_SZ, 0), *b = conf_mem(PAGE_SZ, 0);
	uint8_t *src = conf_mem(PAGE_SZ, 0);
	uint32_t ioas2 = ioas_alloc(e.iommufd), hwpt2 = ioas2;

	/* The same IOVA in two IOASes, backed by different pages. */
	map_fixed(e.iommufd, e.ioas, a, PAGE_SZ, BUF_IOVA);
	map_fixed(e.iommufd, ioas2, b, PAGE_SZ, BUF_IOVA);
	map_fixed(e.iommufd, ioas2, src, PAGE_SZ, BUF_IOVA + PAGE_SZ);
	edu_enable(e.dev);
	memset(a, SENTINEL, PAGE_SZ);
	EXPECT_OK(attach(e.dev, &hwpt2));
	dma_round_trip(e.dev, src, BUF_IOVA + PAGE_SZ, b, BUF_IOVA, 10);
	CHECK(all(a, PAGE_SZ, SENTINEL));
}
