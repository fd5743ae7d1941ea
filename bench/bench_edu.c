// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_edu: what an emulated device's DMA costs, end to end and copy by
 * copy, side by side with plain memcpy.
 *
 *  1. The edu device moving 4 KiB, RAM -> device and device -> RAM: the
 *     source, destination and count registers written, the command
 *     written, its run bit polled until it reads clear (the device's
 *     worker thread does the copy; the poller yields the CPU between
 *     reads). Driven in-process through pci_dev_bar_rw() on a device
 *     attached to an x86 domain filled with iommu_map(), and as a VFIO
 *     program drives it: a device file from uiommufd_vfio_cdev_open()
 *     bound to an iommufd context, attached to an IOAS filled with
 *     IOMMU_IOAS_MAP, registers read and written with uiommufd_file_rw().
 *     Next to them what a transfer's copy costs alone: memcpy,
 *     x86_domain_dma() and uiommufd_pci_dev_dma_read()/_write() of the
 *     same 4 KiB. Everything here is cache-hot. polls/xfer: reads of
 *     the command register per edu transfer.
 *  2. 1 GiB of THP-backed memory mapped into x86 domains with 4 KiB,
 *     2 MiB and 1 GiB IO pages (pgtable_x86_map()), all of it read
 *     (RAM -> a 4 KiB device buffer) and written (buffer -> RAM) in 4 KiB
 *     chunks through x86_domain_dma() and uiommufd_pci_dev_dma_*(), against
 *     memcpy of the same chunks. This one streams from DRAM.
 *
 * The rows of a table run in interleaved rounds; each figure is the median
 * of its rounds. Every row's data is checked; a wrong byte ends the run
 * with status 1. With less than 2 GiB of memory available part 2 shrinks,
 * and says so.
 *
 * Run pinned, e.g. taskset -c 1 bench_edu: edu's worker thread then shares
 * the CPU with the poller, as on a one-vCPU guest. A full run takes about
 * 10 s and 1 GiB of memory; --quick, well under a second.
 *
 * Usage: bench_edu [--quick]
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <uiommufd/abi.h>
#include <uiommufd/device.h>
#include <uiommufd/uiommufd.h>

#include "devices/pci_device.h"
#include "domain_x86_64.h"

#define SZ_4K 4096UL
#define SZ_2M (2UL << 20)
#define SZ_1G (1UL << 30)
#define MAX_ROUNDS 5

/* edu's DMA engine (QEMU's docs/specs/edu.rst). */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_BUF 0x40000 /* the device's buffer, in its address space */
#define EDU_IOVA 0x100000UL /* two pages, under edu's 28-bit DMA mask */

#define BIG_IOVA SZ_1G /* part 2: 1 GiB aligned, for 1 GiB IO pages */
#define FAKE_IOMMUFD 1000 /* the iommufd "fd" our host ops know */

static struct {
	unsigned long edu_xfers; /* part 1, per edu row and round */
	unsigned long copy_xfers; /* part 1, per copy-only row and round */
	int rounds1, rounds2;
	uint64_t big; /* part 2's memory */
} cfg = { 20000, 500000, 5, 3, SZ_1G };

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_edu: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The C library's memcpy, what x86_domain_dma() calls for each piece: not
 * the inline rep movs a compiler makes of a memcpy of constant size.
 */
static void *(*volatile libc_memcpy)(void *, const void *, size_t) = memcpy;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[n / 2];
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap of %zu bytes: %s", len, strerror(errno));
	return p;
}

/* An unregistered edu, bus master, attached to @domain. */
static struct uiommufd_pci_dev *edu_on(struct iommu_domain *domain,
				       const char *name)
{
	struct uiommufd_pci_dev *dev = uiommufd_edu_create(name);
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	int rc;

	if (!dev)
		die("uiommufd_edu_create(%s): %s", name, strerror(errno));
	rc = iommu_attach_device(domain, &dev->iommu_dev);
	if (rc)
		die("iommu_attach_device: %s", strerror(-rc));
	pci_dev_config_rw(dev, PCI_COMMAND, &cmd, 2, true);
	return dev;
}

static void edu_off(struct uiommufd_pci_dev *dev)
{
	pci_dev_reset(dev);
	iommu_detach_device(&dev->iommu_dev);
	pci_dev_destroy(dev);
}

/* ---- 1. 4 KiB transfers ------------------------------------------------ */

struct p1 {
	uint8_t *mem; /* at EDU_IOVA: page 0 the source, page 1 the target */
	uint8_t *buf; /* the "device buffer" of the copy-only rows */
	struct iommu_domain *domain;
	struct pgtable_x86_tlb tlb;
	struct uiommufd_pci_dev *dev; /* in-process, attached to @domain */
	/* The VFIO side: a registered edu behind a device file. */
	struct uiommufd_ctx *ctx;
	struct uiommufd_file *file;
	uint64_t bar0, config; /* region offsets in the device file */
	unsigned long polls; /* command register reads of edu rows */
};

static void x_memcpy(struct p1 *p, bool to_ram)
{
	if (to_ram)
		libc_memcpy(p->mem + SZ_4K, p->buf, SZ_4K);
	else
		libc_memcpy(p->buf, p->mem, SZ_4K);
}

static void x_domain(struct p1 *p, bool to_ram)
{
	uint64_t fault;

	if (x86_domain_dma(p->domain, &p->tlb, EDU_IOVA + (to_ram ? SZ_4K : 0),
			   p->buf, SZ_4K, to_ram, &fault))
		die("x86_domain_dma: fault at 0x%" PRIx64, fault);
}

static void x_pci(struct p1 *p, bool to_ram)
{
	int rc;

	if (to_ram)
		rc = uiommufd_pci_dev_dma_write(p->dev, EDU_IOVA + SZ_4K,
						p->buf, SZ_4K);
	else
		rc = uiommufd_pci_dev_dma_read(p->dev, EDU_IOVA, p->buf, SZ_4K);
	if (rc)
		die("uiommufd_pci_dev_dma_*: %s", strerror(-rc));
}

static void reg_rw(struct p1 *p, bool vfio, uint64_t off, void *val,
		   unsigned int size, bool write)
{
	if (!vfio)
		pci_dev_bar_rw(p->dev, 0, off, val, size, write);
	else if (uiommufd_file_rw(p->file, val, size, p->bar0 + off, write) !=
		 (ssize_t)size)
		die("BAR0 %s at 0x%" PRIx64 ": %s", write ? "write" : "read",
		    off, strerror(errno));
}

/* One edu transfer: program it, start it, poll until the run bit clears. */
static void edu_xfer(struct p1 *p, bool vfio, bool to_ram)
{
	uint64_t src = to_ram ? EDU_BUF : EDU_IOVA;
	uint64_t dst = to_ram ? EDU_IOVA + SZ_4K : EDU_BUF;
	uint64_t cnt = SZ_4K;
	uint32_t cmd = EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0);

	reg_rw(p, vfio, EDU_DMA_SRC, &src, 8, true);
	reg_rw(p, vfio, EDU_DMA_DST, &dst, 8, true);
	reg_rw(p, vfio, EDU_DMA_CNT, &cnt, 8, true);
	reg_rw(p, vfio, EDU_DMA_CMD, &cmd, 4, true);
	for (;;) {
		p->polls++;
		reg_rw(p, vfio, EDU_DMA_CMD, &cmd, 4, false);
		if (!(cmd & EDU_DMA_RUN))
			break;
		sched_yield();
	}
}

static void x_edu(struct p1 *p, bool to_ram)
{
	edu_xfer(p, false, to_ram);
}

static void x_edu_vfio(struct p1 *p, bool to_ram)
{
	edu_xfer(p, true, to_ram);
}

static const struct {
	const char *name;
	void (*fn)(struct p1 *p, bool to_ram);
	bool edu;
} rows1[] = {
	{ "memcpy", x_memcpy, false },
	{ "x86_domain_dma()", x_domain, false },
	{ "uiommufd_pci_dev_dma_*()", x_pci, false },
	{ "edu regs, pci_dev_bar_rw()", x_edu, true },
	{ "edu regs, VFIO file_rw()", x_edu_vfio, true },
};

#define NR_ROWS1 (sizeof(rows1) / sizeof(rows1[0]))

/* A row moves page 0 to page 1 through the device (or its buffer). */
static void check1(struct p1 *p, unsigned int row, unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < SZ_4K; i++)
		p->mem[i] = (uint8_t)(seed + i * 13);
	memset(p->mem + SZ_4K, 0, SZ_4K);
	rows1[row].fn(p, false);
	rows1[row].fn(p, true);
	if (memcmp(p->mem, p->mem + SZ_4K, SZ_4K))
		die("%s: the data came back wrong", rows1[row].name);
}

static struct uiommufd_ctx *host_ctx_get(void *opaque, int fd, int *err)
{
	if (fd != FAKE_IOMMUFD) {
		*err = -EBADF;
		return NULL;
	}
	return uiommufd_ctx_ref(opaque);
}

static const struct uiommufd_host_ops host_ops = {
	.ctx_get = host_ctx_get,
};

static void vfio_check(int rc, const char *what)
{
	if (rc < 0)
		die("%s: %s", what, strerror(errno));
}

static uint64_t region_offset(struct p1 *p, uint32_t index)
{
	struct vfio_region_info info = { .argsz = sizeof(info),
					 .index = index };

	vfio_check(uiommufd_file_ioctl(p->file, VFIO_DEVICE_GET_REGION_INFO,
				       &info),
		   "VFIO_DEVICE_GET_REGION_INFO");
	return info.offset;
}

/* What a VFIO program does before its first DMA, cdev style. */
static void vfio_setup(struct p1 *p)
{
	struct uiommufd_pci_dev *dev = uiommufd_edu_create("0000:be:00.0");
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind),
						 .iommufd = FAKE_IOMMUFD };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(
								attach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)p->mem,
		.length = 2 * SZ_4K,
		.iova = EDU_IOVA,
	};
	uint16_t cmd;
	int rc;

	if (!dev)
		die("uiommufd_edu_create: %s", strerror(errno));
	rc = uiommufd_pci_dev_register(dev);
	if (rc)
		die("uiommufd_pci_dev_register: %s", strerror(-rc));
	p->ctx = uiommufd_open();
	if (!p->ctx)
		die("uiommufd_open: %s", strerror(errno));
	uiommufd_set_host_ops(&host_ops, p->ctx);
	rc = uiommufd_vfio_cdev_open(dev->index, &p->file);
	if (rc)
		die("uiommufd_vfio_cdev_open: %s", strerror(-rc));
	vfio_check(uiommufd_file_ioctl(p->file, VFIO_DEVICE_BIND_IOMMUFD,
				       &bind),
		   "VFIO_DEVICE_BIND_IOMMUFD");
	vfio_check(uiommufd_ioctl(p->ctx, IOMMU_IOAS_ALLOC, &alloc),
		   "IOMMU_IOAS_ALLOC");
	attach.pt_id = map.ioas_id = alloc.out_ioas_id;
	vfio_check(uiommufd_file_ioctl(p->file, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				       &attach),
		   "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	vfio_check(uiommufd_ioctl(p->ctx, IOMMU_IOAS_MAP, &map),
		   "IOMMU_IOAS_MAP");
	p->bar0 = region_offset(p, VFIO_PCI_BAR0_REGION_INDEX);
	p->config = region_offset(p, VFIO_PCI_CONFIG_REGION_INDEX);
	vfio_check(uiommufd_file_rw(p->file, &cmd, 2, p->config + PCI_COMMAND,
				    false),
		   "config read");
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	vfio_check(uiommufd_file_rw(p->file, &cmd, 2, p->config + PCI_COMMAND,
				    true),
		   "config write");
}

static void vfio_teardown(struct p1 *p)
{
	uiommufd_file_put(p->file); /* the last close: reset, unbind */
	uiommufd_set_host_ops(NULL, NULL);
	uiommufd_close(p->ctx);
}

/*
 * One register access alone: a 4-byte read of edu's ID register and a
 * 4-byte write of its liveness register, the value in a stack variable
 * as a VMM keeps it, in-process and through the device file; median of
 * the rounds, the VFIO cost as a multiple of the in-process one.
 */
static void bench_reg(struct p1 *p)
{
	const unsigned long n = cfg.copy_xfers;
	uint64_t t[2][2][MAX_ROUNDS]; /* ns per round of @n accesses */
	unsigned int vfio, write;
	double ns[2][2];
	int r;
	uint32_t val = 0;

	for (r = 0; r < cfg.rounds1; r++)
		for (vfio = 0; vfio < 2; vfio++)
			for (write = 0; write < 2; write++) {
				uint64_t off = write ? EDU_LIVENESS : EDU_ID;
				uint64_t t0 = now_ns();
				unsigned long i;

				for (i = 0; i < n; i++)
					reg_rw(p, vfio, off, &val, 4, write);
				t[vfio][write][r] = now_ns() - t0;
			}
	for (vfio = 0; vfio < 2; vfio++)
		for (write = 0; write < 2; write++)
			ns[vfio][write] =
				median(t[vfio][write], cfg.rounds1) / (double)n;
	printf("\n1b. one 4-byte register access, median of %d rounds\n",
	       cfg.rounds1);
	printf("%-30s  %12s  %12s\n", "", "read ns", "write ns");
	for (vfio = 0; vfio < 2; vfio++) {
		printf("%-30s", vfio ? "edu reg, VFIO file_rw()" :
				       "edu reg, pci_dev_bar_rw()");
		for (write = 0; write < 2; write++)
			printf("  %12.1f", ns[vfio][write]);
		putchar('\n');
	}
	printf("%-30s", "VFIO / in-process");
	for (write = 0; write < 2; write++)
		printf("  %11.1fx", ns[1][write] / ns[0][write]);
	putchar('\n');
}

static void bench_4k(void)
{
	uint64_t ns[NR_ROWS1][2][MAX_ROUNDS];
	unsigned long polls[NR_ROWS1] = { 0 };
	double t[NR_ROWS1][2];
	struct p1 p = { 0 };
	unsigned int row, dir, k;
	int rc, r;

	p.mem = map_anon(2 * SZ_4K);
	p.buf = map_anon(SZ_4K);
	p.domain = x86_domain_alloc(false);
	if (!p.domain)
		die("x86_domain_alloc: out of memory");
	rc = iommu_map(p.domain, EDU_IOVA, (uintptr_t)p.mem, 2 * SZ_4K,
		       IOMMUFD_PROT_READ | IOMMUFD_PROT_WRITE);
	if (rc)
		die("iommu_map: %s", strerror(-rc));
	p.dev = edu_on(p.domain, "0000:be:01.0");
	vfio_setup(&p);

	for (row = 0; row < NR_ROWS1; row++)
		check1(&p, row, row);
	/* Each round starts one row later, so no row always runs first. */
	for (r = 0; r < cfg.rounds1; r++) {
		for (k = 0; k < NR_ROWS1; k++) {
			unsigned long n;

			row = (k + r) % NR_ROWS1;
			n = rows1[row].edu ? cfg.edu_xfers : cfg.copy_xfers;
			for (dir = 0; dir < 2; dir++) {
				uint64_t t0 = now_ns();
				unsigned long i;

				p.polls = 0;
				for (i = 0; i < n; i++)
					rows1[row].fn(&p, dir);
				ns[row][dir][r] = now_ns() - t0;
				polls[row] += p.polls;
			}
		}
	}
	for (row = 0; row < NR_ROWS1; row++)
		check1(&p, row, 100 + row);

	printf("1. 4 KiB DMA, cache-hot, median of %d rounds "
	       "(x: time per transfer vs memcpy)\n",
	       cfg.rounds1);
	printf("%-30s  %-26s  %s\n", "", "   RAM -> device",
	       "   device -> RAM");
	printf("%-30s  %9s %7s %8s  %9s %7s %8s  %s\n", "", "ns/xfer", "GB/s",
	       "x", "ns/xfer", "GB/s", "x", "polls/xfer");
	for (row = 0; row < NR_ROWS1; row++) {
		unsigned long n = rows1[row].edu ? cfg.edu_xfers :
						   cfg.copy_xfers;

		for (dir = 0; dir < 2; dir++)
			t[row][dir] = median(ns[row][dir], cfg.rounds1) / n;
		printf("%-30s", rows1[row].name);
		for (dir = 0; dir < 2; dir++)
			printf("  %9.1f %7.2f %7.1fx", t[row][dir],
			       SZ_4K / t[row][dir], t[row][dir] / t[0][dir]);
		if (rows1[row].edu)
			printf("  %10.2f",
			       polls[row] / (2.0 * n * cfg.rounds1));
		putchar('\n');
	}
	bench_reg(&p);

	vfio_teardown(&p);
	edu_off(p.dev);
	iommu_domain_free(p.domain);
	munmap(p.buf, SZ_4K);
	munmap(p.mem, 2 * SZ_4K);
}

/* ---- 2. 1 GiB in 4 KiB chunks ----------------------------------------- */

static const uint64_t io_pgsizes[3] = { PGTABLE_X86_SZ_4K, PGTABLE_X86_SZ_2M,
					PGTABLE_X86_SZ_1G };
static const char *const io_pgnames[3] = { "4 KiB", "2 MiB", "1 GiB" };

/* Reads sum each chunk's first word; writes stamp it with @mark + offset. */
static uint64_t __attribute__((noinline))
pass_memcpy(uint8_t *mem, uint64_t size, uint8_t *buf, bool write,
	    uint64_t mark)
{
	uint64_t off, sum = 0;

	for (off = 0; off < size; off += SZ_4K) {
		if (write) {
			*(uint64_t *)buf = mark + off;
			libc_memcpy(mem + off, buf, SZ_4K);
		} else {
			libc_memcpy(buf, mem + off, SZ_4K);
			sum += *(uint64_t *)buf;
		}
	}
	return sum;
}

static uint64_t __attribute__((noinline))
pass_domain(struct iommu_domain *domain, uint64_t size, uint8_t *buf,
	    bool write, uint64_t mark)
{
	struct pgtable_x86_tlb tlb = { 0 };
	uint64_t off, fault, sum = 0;

	for (off = 0; off < size; off += SZ_4K) {
		if (write)
			*(uint64_t *)buf = mark + off;
		if (x86_domain_dma(domain, &tlb, BIG_IOVA + off, buf, SZ_4K,
				   write, &fault))
			die("x86_domain_dma: fault at 0x%" PRIx64, fault);
		if (!write)
			sum += *(uint64_t *)buf;
	}
	return sum;
}

static uint64_t __attribute__((noinline))
pass_pci(struct uiommufd_pci_dev *dev, uint64_t size, uint8_t *buf, bool write,
	 uint64_t mark)
{
	uint64_t off, sum = 0;
	int rc;

	for (off = 0; off < size; off += SZ_4K) {
		if (write) {
			*(uint64_t *)buf = mark + off;
			rc = uiommufd_pci_dev_dma_write(dev, BIG_IOVA + off,
							buf, SZ_4K);
		} else {
			rc = uiommufd_pci_dev_dma_read(dev, BIG_IOVA + off, buf,
						       SZ_4K);
			sum += *(uint64_t *)buf;
		}
		if (rc)
			die("uiommufd_pci_dev_dma_*: %s", strerror(-rc));
	}
	return sum;
}

/* MemAvailable of /proc/meminfo, or 0 if unknown. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kb = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

/* How much of [mem, mem + len) is backed by THP, as smaps says. */
static uint64_t thp_bytes(void *mem)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long long lo, hi, kb, total = 0;
	bool in = false;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2)
			in = lo <= (uintptr_t)mem && (uintptr_t)mem < hi;
		else if (in && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return (uint64_t)total << 10;
}

struct row2 {
	char name[40];
	int kind; /* 0 memcpy, 1 x86_domain_dma, 2 pci_dev_dma */
	int pg; /* index into io_pgsizes */
	uint64_t ns[2][MAX_ROUNDS];
};

static void bench_1g(void)
{
	struct iommu_domain *domain[3] = { NULL };
	struct uiommufd_pci_dev *dev[3] = { NULL };
	struct row2 rows[7];
	uint64_t size = cfg.big, avail = mem_available(), align, off;
	unsigned int nr_rows = 0, nr_pg, row, k;
	double map_ms[3], t[7][2];
	uint8_t *raw, *mem, *buf;
	int r, dir;

	/* Twice the memory available, or shrink (1 GiB wants 2 GiB). */
	if (avail && avail < 2 * size) {
		while (size > (64UL << 20) && 2 * size > avail)
			size >>= 1;
		printf("note: only %" PRIu64 " MiB available: part 2 uses "
		       "%" PRIu64 " MiB\n",
		       avail >> 20, size >> 20);
	}
	nr_pg = size >= SZ_1G ? 3 : 2;
	align = size < SZ_1G ? size : SZ_1G;

	/* Aligned for the largest IO page, backed by THP where it can be. */
	raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	mem = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(align - 1));
	madvise(mem, size, MADV_HUGEPAGE);
	if (madvise(mem, size, MADV_POPULATE_WRITE))
		memset(mem, 0, size);
	for (off = 0; off < size; off += SZ_4K)
		*(uint64_t *)(mem + off) = off * 0x9e3779b97f4a7c15ULL;
	buf = map_anon(SZ_4K);

	for (k = 0; k < nr_pg; k++) {
		char name[PCI_DEV_NAME_LEN];
		uint64_t pgsize = 0, t0;
		int rc;

		domain[k] = x86_domain_alloc(false);
		if (!domain[k])
			die("x86_domain_alloc: out of memory");
		t0 = now_ns();
		rc = pgtable_x86_map(x86_domain_pgtable(domain[k]), BIG_IOVA,
				     (uintptr_t)mem, size,
				     PGTABLE_PROT_READ | PGTABLE_PROT_WRITE,
				     io_pgsizes[k]);
		map_ms[k] = (now_ns() - t0) / 1e6;
		if (rc)
			die("pgtable_x86_map: %s", strerror(-rc));
		if (pgtable_x86_iova_to_va(
			    x86_domain_pgtable(domain[k]), BIG_IOVA + size - 8,
			    NULL, &pgsize) != (uintptr_t)mem + size - 8 ||
		    pgsize != io_pgsizes[k])
			die("the %" PRIu64 " KiB mapping translates wrongly",
			    io_pgsizes[k] >> 10);
		snprintf(name, sizeof(name), "0000:be:1%u.0", k);
		dev[k] = edu_on(domain[k], name);
	}

	rows[nr_rows++] = (struct row2){ .name = "memcpy", .kind = 0 };
	for (k = 0; k < 2 * nr_pg; k++) {
		struct row2 *rw = &rows[nr_rows++];

		*rw = (struct row2){ .kind = 1 + k / nr_pg, .pg = k % nr_pg };
		snprintf(rw->name, sizeof(rw->name), "%s, %s pages",
			 rw->kind == 1 ? "x86_domain_dma()" : "pci_dev_dma_*()",
			 io_pgnames[rw->pg]);
	}

	for (r = 0; r < cfg.rounds2; r++) {
		uint64_t want = 0;

		for (off = 0; off < size; off += SZ_4K)
			want += *(uint64_t *)(mem + off);
		for (dir = 0; dir < 2; dir++) {
			for (k = 0; k < nr_rows; k++) {
				struct row2 *rw = &rows[(k + r) % nr_rows];
				uint64_t mark, t0, sum;

				mark = (uint64_t)r << 56 | (uint64_t)k << 48;

				t0 = now_ns();
				if (rw->kind == 0)
					sum = pass_memcpy(mem, size, buf, dir,
							  mark);
				else if (rw->kind == 1)
					sum = pass_domain(domain[rw->pg], size,
							  buf, dir, mark);
				else
					sum = pass_pci(dev[rw->pg], size, buf,
						       dir, mark);
				rw->ns[dir][r] = now_ns() - t0;
				if (!dir && sum != want)
					die("%s: read the wrong data",
					    rw->name);
				for (off = 0; dir && off < size;
				     off += 61 * SZ_4K)
					if (*(uint64_t *)(mem + off) !=
						    mark + off ||
					    memcmp(mem + off + 8, buf + 8,
						   SZ_4K - 8))
						die("%s: wrote the wrong data",
						    rw->name);
			}
		}
	}

	printf("\n2. %" PRIu64 " MiB (%" PRIu64 " MiB of it THP) in 4 KiB "
	       "chunks, median of %d rounds (x: time vs memcpy)\n",
	       size >> 20, thp_bytes(mem) >> 20, cfg.rounds2);
	printf("   pgtable_x86_map() of it:");
	for (k = 0; k < nr_pg; k++)
		printf(" %s pages %.3f ms%s", io_pgnames[k], map_ms[k],
		       k + 1 < nr_pg ? "," : "");
	printf("\n%-30s  %-18s  %s\n", "", "   RAM -> device",
	       "   device -> RAM");
	printf("%-30s  %9s %8s  %9s %8s\n", "", "GB/s", "x", "GB/s", "x");
	for (row = 0; row < nr_rows; row++) {
		printf("%-30s", rows[row].name);
		for (dir = 0; dir < 2; dir++) {
			t[row][dir] = median(rows[row].ns[dir], cfg.rounds2);
			printf("  %9.2f %7.2fx", size / t[row][dir],
			       t[row][dir] / t[0][dir]);
		}
		putchar('\n');
	}

	for (k = 0; k < nr_pg; k++) {
		edu_off(dev[k]);
		iommu_domain_free(domain[k]);
	}
	munmap(buf, SZ_4K);
	munmap(raw, size + align);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--quick")) {
		cfg.edu_xfers = 500;
		cfg.copy_xfers = 5000;
		cfg.rounds1 = cfg.rounds2 = 1;
		cfg.big = 64UL << 20;
	} else if (argc > 1) {
		fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_4k();
	bench_1g();
	return 0;
}
