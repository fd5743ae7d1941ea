// SPDX-License-Identifier: BSD-3-Clause
/*
 * A userspace driver for QEMU's "edu" educational PCI device (1234:11e8),
 * written the way a VFIO cdev user is: bind the device's VFIO cdev to an
 * iommufd, attach it to an IOAS, then drive the device through the device
 * fd: config space and BAR0 registers with pread/pwrite, interrupts through
 * an eventfd, DMA into and out of memory mapped in the IOAS. Last it shows
 * the IOMMU at work: DMA to or from an IOVA that is not mapped goes nowhere.
 *
 * It is an unmodified program: only open(2), ioctl(2), pread(2)/pwrite(2),
 * poll(2), eventfd(2) and mmap(2), no libuiommufd. <uiommufd/abi.h> stands
 * in for <linux/iommufd.h> and <linux/vfio.h>, so the same source runs in a
 * kernel against QEMU's edu or under uiommufd-run against its emulation, and
 * prints the same stdout in both.
 *
 * Usage:
 *   edu-dma [--bdf BDF | /dev/vfio/devices/vfioN] [--irq msi|intx] [--verbose]
 *   --bdf BDF    PCI device BDF (bound to vfio-pci); its cdev is found in
 *                sysfs. A BDF of the form $NAME is read from environment
 *                variable NAME, for launchers that do not expand variables.
 *                Without a device, $EDU_BDF is used.
 *   --irq        interrupt mode: MSI (default) or INTx
 *   --verbose    what the kernel reported (region and IRQ info, ...) on
 *                stderr
 *
 * Exit status: 0 on success, 1 on any failure (stderr names the step or
 * ioctl and errno's text), 2 on usage errors.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/abi.h>

/* PCI config space (not in the VFIO uAPI headers). */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

/* edu's BAR0 registers (QEMU docs/specs/edu.rst). */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x01 /* write: start; read: still busy */
#define EDU_DMA_TO_RAM 0x02 /* direction device -> RAM (else RAM -> device) */
#define EDU_DMA_IRQ 0x04 /* raise EDU_IRQ_DMA when done */
#define EDU_IRQ_DMA 0x100
#define EDU_DMA_BUF 0x40000 /* the device's 4 KiB buffer, in device space */
#define EDU_IRQ_TEST 0x10000 /* a bit no device event uses */

#define PAGE 4096UL
#define BUF_IOVA 0x100000UL /* 2 pages: DMA source, then destination */
#define HOLE_IOVA 0x200000UL /* never mapped; inside edu's 28-bit DMA mask */
/*
 * QEMU 7.2's edu aborts QEMU itself on a transfer that ends at the end of
 * its 4 KiB buffer (its range check is off by one; fixed in later QEMU).
 * 4095 bytes work on every edu.
 */
#define XFER 4095UL
#define SENTINEL 0xa5
#define TIMEOUT_MS 5000

static int verbose;

/* Says what failed (with errno's text if ERR) and exits 1. */
__attribute__((format(printf, 2, 3))) static void die(int err, const char *fmt,
						      ...)
{
	va_list ap;

	fputs("edu-dma: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}
#define fail(...) die(errno, __VA_ARGS__) /* a failed call */
#define failx(...) die(0, __VA_ARGS__) /* anything else */

/* --verbose: what the kernel said, on stderr (it may differ per system). */
__attribute__((format(printf, 1, 2))) static void info(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void usage(void)
{
	fprintf(stderr, "usage: edu-dma [--bdf BDF | /dev/vfio/devices/vfioN] "
			"[--irq msi|intx] [--verbose]\n"
			"  BDF '$NAME' is read from environment variable NAME; "
			"default $EDU_BDF\n");
	exit(2);
}

struct edu {
	int dev; /* the VFIO device fd */
	uint64_t bar0; /* file offsets of BAR0 and config space */
	uint64_t cfg;
	uint32_t irq_index; /* VFIO_PCI_MSI_IRQ_INDEX or _INTX_IRQ_INDEX */
	int efd; /* the eventfd the interrupt signals */
};

/* All device accesses: exactly LEN bytes at OFF of the device fd. */
static void dev_rw(struct edu *e, int write, void *buf, size_t len,
		   uint64_t off)
{
	ssize_t n = write ? pwrite(e->dev, buf, len, off) :
			    pread(e->dev, buf, len, off);

	if (n != (ssize_t)len)
		die(n < 0 ? errno : EIO, "%s(%zu bytes at %#" PRIx64 ")",
		    write ? "pwrite" : "pread", len, off);
}

/* edu wants 4-byte accesses (8-byte ones at 0x80 and up, too). */
static uint32_t rd32(struct edu *e, uint32_t reg)
{
	uint32_t v;

	dev_rw(e, 0, &v, 4, e->bar0 + reg);
	return le32toh(v);
}

static void wr32(struct edu *e, uint32_t reg, uint32_t val)
{
	uint32_t v = htole32(val);

	dev_rw(e, 1, &v, 4, e->bar0 + reg);
}

/* Busy-wait (the device has no completion interrupt for this) on a bit. */
static void wait_clear(struct edu *e, uint32_t reg, uint32_t bit,
		       const char *what)
{
	int ms;

	for (ms = 0; rd32(e, reg) & bit; ms++) {
		if (ms >= TIMEOUT_MS)
			failx("%s: still busy after %d ms", what, TIMEOUT_MS);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}

/* VFIO_DEVICE_SET_IRQS on one vector of the chosen index. */
static void set_irqs(struct edu *e, uint32_t flags, uint32_t count, int fd,
		     const char *what)
{
	union {
		struct vfio_irq_set set;
		char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	} u = { .set = {
			.argsz = sizeof(u),
			.flags = flags,
			.index = e->irq_index,
			.count = count,
		} };

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		memcpy(u.set.data, &fd, sizeof(int32_t));
	else
		u.set.argsz = sizeof(u.set);
	if (ioctl(e->dev, VFIO_DEVICE_SET_IRQS, &u.set))
		fail("VFIO_DEVICE_SET_IRQS(%s)", what);
}

/* Waits for the interrupt, returns the irq status and acknowledges it. */
static uint32_t wait_irq(struct edu *e, const char *what)
{
	struct pollfd pfd = { .fd = e->efd, .events = POLLIN };
	uint64_t count;
	uint32_t status;
	int n;

	n = poll(&pfd, 1, TIMEOUT_MS);
	if (n < 0)
		fail("poll(eventfd) for %s", what);
	if (n == 0)
		failx("%s: no interrupt within %d ms", what, TIMEOUT_MS);
	if (read(e->efd, &count, sizeof(count)) != sizeof(count))
		fail("read(eventfd)");
	status = rd32(e, EDU_IRQ_STATUS);
	wr32(e, EDU_IRQ_ACK, status);
	/*
	 * INTx is level triggered: VFIO masked it when it fired, and only now
	 * that the device has lowered the line may it be unmasked.
	 */
	if (e->irq_index == VFIO_PCI_INTX_IRQ_INDEX)
		set_irqs(e, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			 1, -1, "INTx unmask");
	return status;
}

/* Programs one DMA transfer; cmd EDU_DMA_START plus direction and irq. */
static void dma_start(struct edu *e, uint32_t src, uint32_t dst, uint32_t len,
		      uint32_t cmd)
{
	wr32(e, EDU_DMA_SRC, src);
	wr32(e, EDU_DMA_DST, dst);
	wr32(e, EDU_DMA_COUNT, len);
	wr32(e, EDU_DMA_CMD, EDU_DMA_START | cmd);
}

/* A DMA that signals completion with an interrupt. */
static void dma_irq(struct edu *e, uint32_t src, uint32_t dst, uint32_t cmd,
		    const char *what)
{
	uint32_t status;

	dma_start(e, src, dst, XFER, cmd | EDU_DMA_IRQ);
	status = wait_irq(e, what);
	if (status != EDU_IRQ_DMA)
		failx("%s: irq status %#x, expected %#x", what, status,
		      EDU_IRQ_DMA);
	if (rd32(e, EDU_DMA_CMD) & EDU_DMA_START)
		failx("%s: interrupt before the DMA completed", what);
	printf("DMA %s: %lu bytes %#x -> %#x, interrupt, irq status %#x\n",
	       what, XFER, src, dst, status);
}

/* Copies a pattern to the device's buffer and back, and compares. */
static void round_trip(struct edu *e, uint8_t *buf, uint8_t seed)
{
	uint8_t *src = buf, *dst = buf + PAGE;
	size_t i;

	for (i = 0; i < XFER; i++)
		src[i] = (uint8_t)(i * 31 + seed);
	memset(dst, SENTINEL, PAGE);
	dma_irq(e, BUF_IOVA, EDU_DMA_BUF, 0, "RAM->device");
	dma_irq(e, EDU_DMA_BUF, BUF_IOVA + PAGE, EDU_DMA_TO_RAM, "device->RAM");
	if (memcmp(src, dst, XFER))
		failx("DMA round trip: the bytes read back differ");
	for (i = XFER; i < PAGE; i++)
		if (dst[i] != SENTINEL)
			failx("DMA round trip: byte %zu past the transfer "
			      "changed",
			      i);
	printf("DMA round trip: %lu bytes match, nothing written past them\n",
	       XFER);
}

/* Turns --bdf BDF into /dev/vfio/devices/vfioN via sysfs. */
static const char *cdev_of(const char *bdf, char *path, size_t size)
{
	char dir[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	if ((size_t)snprintf(dir, sizeof(dir),
			     "/sys/bus/pci/devices/%s/vfio-dev",
			     bdf) >= sizeof(dir))
		failx("BDF too long: %s", bdf);
	dp = opendir(dir);
	if (!dp)
		fail("%s (is the device bound to vfio-pci?)", dir);
	while ((d = readdir(dp))) {
		if (!strncmp(d->d_name, "vfio", 4)) {
			snprintf(path, size, "/dev/vfio/devices/%s", d->d_name);
			closedir(dp);
			return path;
		}
	}
	failx("%s: no vfioN entry (kernel without CONFIG_VFIO_DEVICE_CDEV?)",
	      dir);
	return NULL;
}

/* Region INDEX; with MUST, failing is fatal (only --verbose asks for all). */
static struct vfio_region_info region_info(struct edu *e, uint32_t index,
					   int must)
{
	struct vfio_region_info r = { .argsz = sizeof(r), .index = index };

	if (ioctl(e->dev, VFIO_DEVICE_GET_REGION_INFO, &r)) {
		if (must)
			fail("VFIO_DEVICE_GET_REGION_INFO(%u)", index);
		info("  region %u: %s\n", index, strerror(errno));
		return r;
	}
	info("  region %u: flags %#x, size %#llx, offset %#llx, argsz %u, "
	     "cap_offset %u\n",
	     index, r.flags, (unsigned long long)r.size,
	     (unsigned long long)r.offset, r.argsz, r.cap_offset);
	return r;
}

/* BAR0 and config space: read/write regions with at least MIN bytes. */
static uint64_t need_region(struct edu *e, uint32_t index, const char *name,
			    uint64_t min)
{
	struct vfio_region_info r = region_info(e, index, 1);
	uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	if ((r.flags & rw) != rw || r.size < min)
		failx("%s: region flags %#x size %#llx: not a read/write "
		      "region of %#" PRIx64 " bytes",
		      name, r.flags, (unsigned long long)r.size, min);
	printf("%s: %#llx bytes, read/write\n", name,
	       (unsigned long long)r.size);
	return r.offset;
}

static struct vfio_irq_info irq_info(struct edu *e, uint32_t index)
{
	struct vfio_irq_info q = { .argsz = sizeof(q), .index = index };

	if (ioctl(e->dev, VFIO_DEVICE_GET_IRQ_INFO, &q)) {
		info("  irq index %u: %s\n", index, strerror(errno));
		q.count = 0;
		return q;
	}
	info("  irq index %u: flags %#x, count %u\n", index, q.flags, q.count);
	return q;
}

static void print_irq(const char *name, struct vfio_irq_info q)
{
	printf("%s: %u vector(s)%s%s%s%s\n", name, q.count,
	       q.flags & VFIO_IRQ_INFO_EVENTFD ? " EVENTFD" : "",
	       q.flags & VFIO_IRQ_INFO_MASKABLE ? " MASKABLE" : "",
	       q.flags & VFIO_IRQ_INFO_AUTOMASKED ? " AUTOMASKED" : "",
	       q.flags & VFIO_IRQ_INFO_NORESIZE ? " NORESIZE" : "");
}

int main(int argc, char **argv)
{
	const char *bdf = NULL, *path = NULL, *irq_name = "msi";
	char pathbuf[PATH_MAX];
	struct edu e = { .irq_index = VFIO_PCI_MSI_IRQ_INDEX };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(
								attach) };
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(
								detach) };
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct vfio_irq_info intx, msi;
	uint32_t id, v, status;
	uint16_t cmd;
	uint8_t *buf;
	int iommufd, i;

	/* Keep stdout and stderr in order when both go to one pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bdf") && i + 1 < argc)
			bdf = argv[++i];
		else if (!strcmp(argv[i], "--irq") && i + 1 < argc)
			irq_name = argv[++i];
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else if (argv[i][0] == '/' && !path)
			path = argv[i];
		else
			usage();
	}
	if (!strcmp(irq_name, "intx"))
		e.irq_index = VFIO_PCI_INTX_IRQ_INDEX;
	else if (strcmp(irq_name, "msi"))
		usage();
	if (bdf && path)
		usage();
	if (!bdf && !path)
		bdf = "$EDU_BDF";
	if (bdf && bdf[0] == '$') {
		const char *name = bdf + 1;

		bdf = getenv(name);
		if (!bdf || !*bdf) {
			fprintf(stderr, "edu-dma: %s is not set\n", name);
			usage();
		}
	}

	/* Step 1: the device's VFIO cdev. */
	if (bdf)
		path = cdev_of(bdf, pathbuf, sizeof(pathbuf));
	info("device %s: %s\n", bdf ? bdf : "-", path);
	e.dev = open(path, O_RDWR | O_CLOEXEC);
	if (e.dev < 0)
		fail("open(%s)", path);
	printf("opened the device's VFIO cdev\n");

	/* Step 2: into an iommufd, attached to a fresh IOAS. */
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		fail("open(/dev/iommu)");
	bind.iommufd = iommufd;
	if (ioctl(e.dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		fail("VFIO_DEVICE_BIND_IOMMUFD");
	printf("VFIO_DEVICE_BIND_IOMMUFD -> devid %u\n", bind.out_devid);
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		fail("IOMMU_IOAS_ALLOC");
	printf("IOMMU_IOAS_ALLOC -> ioas %u\n", alloc.out_ioas_id);
	/* Attaching to an IOAS makes a paging HWPT and returns its id. */
	attach.pt_id = alloc.out_ioas_id;
	if (ioctl(e.dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	printf("VFIO_DEVICE_ATTACH_IOMMUFD_PT(ioas %u) -> hwpt %u\n",
	       alloc.out_ioas_id, attach.pt_id);

	/* Step 3: what the device fd offers. */
	if (ioctl(e.dev, VFIO_DEVICE_GET_INFO, &dinfo))
		fail("VFIO_DEVICE_GET_INFO");
	info("  device info: argsz %u, flags %#x, num_regions %u, num_irqs "
	     "%u, cap_offset %u\n",
	     dinfo.argsz, dinfo.flags, dinfo.num_regions, dinfo.num_irqs,
	     dinfo.cap_offset);
	if (!(dinfo.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    dinfo.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX ||
	    dinfo.num_irqs <= VFIO_PCI_MSI_IRQ_INDEX)
		failx("VFIO_DEVICE_GET_INFO: flags %#x, %u regions, %u irqs: "
		      "not a vfio-pci device",
		      dinfo.flags, dinfo.num_regions, dinfo.num_irqs);
	printf("VFIO_DEVICE_GET_INFO -> PCI, %u regions, %u irqs\n",
	       dinfo.num_regions, dinfo.num_irqs);
	for (i = 0; verbose && i < (int)dinfo.num_regions; i++)
		region_info(&e, i, 0);
	for (i = 0; verbose && i < (int)dinfo.num_irqs; i++)
		irq_info(&e, i);
	e.bar0 = need_region(&e, VFIO_PCI_BAR0_REGION_INDEX, "BAR0", 0x100);
	e.cfg = need_region(&e, VFIO_PCI_CONFIG_REGION_INDEX, "config space",
			    0x40);
	intx = irq_info(&e, VFIO_PCI_INTX_IRQ_INDEX);
	msi = irq_info(&e, VFIO_PCI_MSI_IRQ_INDEX);
	print_irq("INTx", intx);
	print_irq("MSI", msi);
	if ((e.irq_index == VFIO_PCI_MSI_IRQ_INDEX ? msi : intx).count < 1)
		failx("VFIO_DEVICE_GET_IRQ_INFO: no %s vector", irq_name);

	/* Step 4: config space; edu does no DMA without bus mastering. */
	dev_rw(&e, 0, &id, 4, e.cfg + PCI_VENDOR_ID);
	id = le32toh(id);
	printf("config: vendor %#06x device %#06x\n", id & 0xffff, id >> 16);
	if (id != 0x11e81234)
		failx("not QEMU's edu (1234:11e8)");
	dev_rw(&e, 0, &cmd, 2, e.cfg + PCI_COMMAND);
	cmd = htole16(le16toh(cmd) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	dev_rw(&e, 1, &cmd, 2, e.cfg + PCI_COMMAND);
	dev_rw(&e, 0, &cmd, 2, e.cfg + PCI_COMMAND);
	if ((le16toh(cmd) & 0x6) != 0x6)
		failx("PCI_COMMAND %#x: memory or bus master did not stick",
		      le16toh(cmd));
	printf("config: command |= MEMORY | MASTER\n");

	/* Step 5: registers, through BAR0's region (no mmap: side effects). */
	id = rd32(&e, EDU_ID);
	printf("id %#010x: edu v%u.%u\n", id, id >> 24, (id >> 16) & 0xff);
	if ((id & 0xff) != 0xed)
		failx("id register %#x: not edu", id);
	wr32(&e, EDU_LIVENESS, 0x12345678);
	v = rd32(&e, EDU_LIVENESS);
	printf("liveness: wrote 0x12345678, read %#x\n", v);
	if (v != ~0x12345678U)
		failx("liveness: expected %#x", ~0x12345678U);
	wr32(&e, EDU_FACTORIAL, 10);
	wait_clear(&e, EDU_STATUS, EDU_STATUS_COMPUTING, "factorial");
	v = rd32(&e, EDU_FACTORIAL);
	printf("factorial(10) = %u\n", v);
	if (v != 3628800)
		failx("factorial: expected 3628800");

	/* Step 6: one interrupt vector, signalled through an eventfd. */
	e.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e.efd < 0)
		fail("eventfd");
	set_irqs(&e, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1,
		 e.efd, "trigger");
	printf("VFIO_DEVICE_SET_IRQS(%s, eventfd) -> ok\n",
	       e.irq_index == VFIO_PCI_MSI_IRQ_INDEX ? "MSI" : "INTx");
	wr32(&e, EDU_IRQ_RAISE, EDU_IRQ_TEST);
	status = wait_irq(&e, "test interrupt");
	printf("test interrupt: raised %#x, eventfd fired, irq status %#x, "
	       "acked\n",
	       EDU_IRQ_TEST, status);
	if (status != EDU_IRQ_TEST)
		failx("test interrupt: wrong irq status");
	if (rd32(&e, EDU_IRQ_STATUS))
		failx("test interrupt: irq status not cleared by the ack");

	/* Step 7: DMA through memory mapped at a fixed IOVA. */
	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		fail("mmap");
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = 2 * PAGE;
	map.iova = BUF_IOVA;
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		fail("IOMMU_IOAS_MAP");
	printf("IOMMU_IOAS_MAP(iova %#lx, %#lx bytes, READABLE|WRITEABLE) -> "
	       "ok\n",
	       BUF_IOVA, 2 * PAGE);
	round_trip(&e, buf, 1);

	/*
	 * Step 8: DMA to and from an IOVA nothing is mapped at. The IOMMU
	 * blocks it (the kernel logs a DMAR fault); the device does not know
	 * and completes the command. Polled, no interrupt: nothing to signal.
	 */
	memset(buf, SENTINEL, 2 * PAGE);
	dma_start(&e, EDU_DMA_BUF, HOLE_IOVA, XFER, EDU_DMA_TO_RAM);
	wait_clear(&e, EDU_DMA_CMD, EDU_DMA_START, "DMA to unmapped IOVA");
	printf("DMA device->RAM to unmapped iova %#lx: completed\n", HOLE_IOVA);
	dma_start(&e, HOLE_IOVA, EDU_DMA_BUF, XFER, 0);
	wait_clear(&e, EDU_DMA_CMD, EDU_DMA_START, "DMA from unmapped IOVA");
	printf("DMA RAM->device from unmapped iova %#lx: completed\n",
	       HOLE_IOVA);
	for (i = 0; i < (int)(2 * PAGE); i++)
		if (buf[i] != SENTINEL)
			failx("byte %d of the mapped buffer changed", i);
	printf("the IOMMU blocked both: the mapped buffer is unchanged\n");
	/*
	 * What the device got from the blocked read is up to the device
	 * model (QEMU's reads as 0), so it goes to stderr only.
	 */
	dma_start(&e, EDU_DMA_BUF, BUF_IOVA + PAGE, XFER, EDU_DMA_TO_RAM);
	wait_clear(&e, EDU_DMA_CMD, EDU_DMA_START, "DMA readback");
	info("  device buffer after the blocked read: %#x %#x ... %#x\n",
	     buf[PAGE], buf[PAGE + 1], buf[PAGE + XFER - 1]);
	round_trip(&e, buf, 2);
	printf("the device still works\n");

	/* Step 9: tear down. */
	set_irqs(&e, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0,
		 -1, "disable");
	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = BUF_IOVA;
	unmap.length = 2 * PAGE;
	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap))
		fail("IOMMU_IOAS_UNMAP");
	printf("IOMMU_IOAS_UNMAP(iova %#lx) -> %#llx bytes\n", BUF_IOVA,
	       (unsigned long long)unmap.length);
	if (ioctl(e.dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach))
		fail("VFIO_DEVICE_DETACH_IOMMUFD_PT");
	printf("VFIO_DEVICE_DETACH_IOMMUFD_PT -> ok\n");
	munmap(buf, 2 * PAGE);
	close(e.efd);
	close(e.dev);
	close(iommufd);
	printf("done\n");
	return 0;
}
