// SPDX-License-Identifier: BSD-3-Clause
/*
 * edu_guest: checks QEMU's educational PCI device (1234:11e8, spec in QEMU's
 * docs/specs/edu.rst) from inside a Linux guest, with no driver: config
 * space and BAR0 through sysfs, DMA to pages whose bus address is read from
 * /proc/self/pagemap (the guest has no IOMMU, so bus address = guest
 * physical address).
 *
 * Runs as /init of a throwaway initramfs (run-edu-guest.sh): as PID 1 it
 * mounts what it needs and powers the machine off at the end. Run as any
 * other PID (as root, in a guest that has an edu) it only runs the checks
 * and exits 0 on PASS, 1 on FAIL.
 *
 * Prints one "ok - ..." / "not ok - ..." line per check, then
 * "EDU-GUEST: PASS" or "EDU-GUEST: FAIL".
 *
 * Options (as init they come after "--" on the kernel command line):
 *   --dma-size N   bytes per DMA transfer, 1..4096 (default 4096)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_BAR0_SIZE (1u << 20)

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACT 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x01
#define EDU_DMA_TO_RAM 0x02
#define EDU_DMA_IRQ 0x04
#define EDU_DMA_IRQ_BIT 0x100
#define EDU_DMA_BUF 0x40000
#define EDU_DMA_BUF_SIZE 4096
#define EDU_DMA_LIMIT (1ull << 28) /* the device's default dma_mask */

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

#define PAGE_SIZE 4096
/* TCG is slow; a device that has not answered in this long is broken. */
#define WAIT_NS (5ull * 1000 * 1000 * 1000)
#define DMA_CHUNK (4u << 20)

static int failures;
static volatile uint8_t *bar0;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failures++;
}

static uint32_t rd32(unsigned int off)
{
	return *(volatile uint32_t *)(bar0 + off);
}

static void wr32(unsigned int off, uint32_t val)
{
	*(volatile uint32_t *)(bar0 + off) = val;
}

/* The DMA registers are 64 bits wide; one access keeps both halves whole. */
static uint64_t rd64(unsigned int off)
{
	return *(volatile uint64_t *)(bar0 + off);
}

static void wr64(unsigned int off, uint64_t val)
{
	*(volatile uint64_t *)(bar0 + off) = val;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Waits until (reg & mask) == 0; false on timeout. */
static bool wait_clear(unsigned int off, bool wide, uint64_t mask)
{
	uint64_t end = now_ns() + WAIT_NS;
	struct timespec pause = { 0, 100 * 1000 };

	for (;;) {
		uint64_t v = wide ? rd64(off) : rd32(off);

		if (!(v & mask))
			return true;
		if (now_ns() > end)
			return false;
		nanosleep(&pause, NULL);
	}
}

static void setup_pid1(void)
{
	static const struct {
		const char *type, *dir;
	} fs[] = {
		{ "proc", "/proc" },
		{ "sysfs", "/sys" },
		{ "devtmpfs", "/dev" },
	};
	size_t i;
	int fd;

	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		mkdir(fs[i].dir, 0755);
		if (mount(fs[i].type, fs[i].dir, fs[i].type, 0, NULL) &&
		    errno != EBUSY)
			fprintf(stderr, "edu_guest: mount %s: %s\n", fs[i].dir,
				strerror(errno));
	}
	/* Keeps compaction off the locked DMA pages. */
	fd = open("/proc/sys/vm/compact_unevictable_allowed", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			fprintf(stderr,
				"edu_guest: compact_unevictable_allowed: %s\n",
				strerror(errno));
		close(fd);
	}
	/*
	 * An initramfs without /dev/console leaves init with no stdio; the
	 * console node exists once devtmpfs is up.
	 */
	if (fcntl(1, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
}

static void uptime(char *buf, size_t len)
{
	FILE *f = fopen("/proc/uptime", "r");

	snprintf(buf, len, "?");
	if (f) {
		if (fscanf(f, "%31s", buf) != 1)
			snprintf(buf, len, "?");
		fclose(f);
	}
}

static unsigned long read_hex(const char *dir, const char *name)
{
	char path[512], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%.400s/%.32s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return ~0ul;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoul(buf, NULL, 16);
}

/* Fills dir with the edu's sysfs directory; false if there is none. */
static bool find_edu(char *dir, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, len, "/sys/bus/pci/devices/%.255s", e->d_name);
		found = read_hex(dir, "vendor") == EDU_VENDOR &&
			read_hex(dir, "device") == EDU_DEVICE;
	}
	closedir(d);
	return found;
}

static bool enable_device(const char *dir)
{
	char path[512];
	uint16_t cmd;
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%.400s/config", dir);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return false;
	ok = pread(fd, &cmd, 2, PCI_COMMAND) == 2;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ok = ok && pwrite(fd, &cmd, 2, PCI_COMMAND) == 2;
	cmd = 0;
	ok = ok && pread(fd, &cmd, 2, PCI_COMMAND) == 2;
	close(fd);
	return ok && (cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) ==
			     (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static bool map_bar0(const char *dir)
{
	char path[512];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%.400s/resource0", dir);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		check(false, "open %s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st))
		st.st_size = -1;
	check(st.st_size == EDU_BAR0_SIZE, "BAR0 is 1 MiB (%lld bytes)",
	      (long long)st.st_size);
	p = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	close(fd);
	if (p == MAP_FAILED) {
		check(false, "mmap BAR0: %s", strerror(errno));
		return false;
	}
	bar0 = p;
	return true;
}

static void check_registers(void)
{
	uint32_t v;

	v = rd32(EDU_ID);
	check(v == 0x010000ed, "id register 0x%08" PRIx32 " == 0x010000ed", v);

	wr32(EDU_LIVENESS, 0x12345678);
	v = rd32(EDU_LIVENESS);
	check(v == (uint32_t)~0x12345678u,
	      "liveness: ~0x12345678 = 0x%08" PRIx32, v);

	wr32(EDU_FACT, 10);
	if (!wait_clear(EDU_STATUS, false, EDU_STATUS_COMPUTING)) {
		check(false, "factorial: status still computing after %llu s",
		      WAIT_NS / 1000000000ull);
	} else {
		v = rd32(EDU_FACT);
		check(v == 3628800, "factorial: 10! = %" PRIu32, v);
	}

	/* No driver owns the line: check the status register, not delivery. */
	wr32(EDU_IRQ_RAISE, 0x5a0000);
	v = rd32(EDU_IRQ_STATUS);
	check(v == 0x5a0000, "irq raise 0x5a0000: status 0x%08" PRIx32, v);
	wr32(EDU_IRQ_ACK, 0x5a0000);
	v = rd32(EDU_IRQ_STATUS);
	check(v == 0, "irq ack: status 0x%08" PRIx32, v);
}

/* The physical address of each of n pages from p on; ~0 if not present. */
static bool phys_addrs(const void *p, size_t n, uint64_t *pa)
{
	off_t off = (uintptr_t)p / PAGE_SIZE * sizeof(*pa);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	size_t i;
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, pa, n * sizeof(*pa), off) == (ssize_t)(n * sizeof(*pa));
	close(fd);
	/* Bit 63: present; bits 0-54: PFN (zero unless CAP_SYS_ADMIN). */
	for (i = 0; ok && i < n; i++) {
		uint64_t pfn = pa[i] & ((1ull << 55) - 1);

		pa[i] = pa[i] >> 63 && pfn ? pfn * PAGE_SIZE : ~0ull;
	}
	return ok;
}

static long mem_available_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/*
 * n locked pages the device can reach: below its 28-bit DMA mask. A guest
 * with more RAM than that tends to hand out high pages first, so this takes
 * memory in chunks, keeping every chunk mapped so that the next one comes
 * from elsewhere, until enough low pages turn up or memory runs short.
 */
static bool dma_pages(size_t n, uint8_t **page, uint64_t *pa)
{
	static uint64_t chunk_pa[DMA_CHUNK / PAGE_SIZE];
	size_t got = 0, i;

	while (got < n && mem_available_kib() > 4 * DMA_CHUNK / 1024) {
		uint8_t *p = mmap(NULL, DMA_CHUNK, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				  -1, 0);

		/* Locked, so that the pages stay where pagemap said. */
		if (p == MAP_FAILED || mlock(p, DMA_CHUNK) ||
		    !phys_addrs(p, DMA_CHUNK / PAGE_SIZE, chunk_pa))
			return false;
		for (i = 0; got < n && i < DMA_CHUNK / PAGE_SIZE; i++) {
			if (chunk_pa[i] + PAGE_SIZE > EDU_DMA_LIMIT)
				continue;
			page[got] = p + i * PAGE_SIZE;
			pa[got++] = chunk_pa[i];
		}
	}
	return got == n;
}

/* Runs one transfer; false if the engine did not finish in time. */
static bool dma(uint64_t src, uint64_t dst, uint64_t cnt, uint64_t cmd)
{
	bool done;

	/*
	 * Volatile MMIO orders nothing else: fence so that the buffer is
	 * written before the device reads it, and read after it writes it.
	 */
	__sync_synchronize();
	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_CNT, cnt);
	wr64(EDU_DMA_CMD, cmd | EDU_DMA_RUN);
	done = wait_clear(EDU_DMA_CMD, true, EDU_DMA_RUN);
	__sync_synchronize();
	return done;
}

static void check_dma(size_t size)
{
	uint64_t pa[2], src_pa, dst_pa;
	uint8_t *page[2], *src, *dst;
	size_t i, bad, stray;
	uint32_t v;

	if (!dma_pages(2, page, pa)) {
		check(false, "DMA pages below 256 MiB: none found");
		return;
	}
	check(true, "DMA pages below 256 MiB");
	src = page[0];
	dst = page[1];
	src_pa = pa[0];
	dst_pa = pa[1];
	memset(dst, 0, PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE; i++)
		src[i] = (uint8_t)(i * 7 + 13);

	check(dma(src_pa, EDU_DMA_BUF, size, 0),
	      "DMA RAM->device, %zu bytes: engine finished", size);
	/* Device->RAM also asks for the completion interrupt (status 0x100). */
	check(dma(EDU_DMA_BUF, dst_pa, size, EDU_DMA_TO_RAM | EDU_DMA_IRQ),
	      "DMA device->RAM, %zu bytes: engine finished", size);

	for (i = 0, bad = 0; i < size; i++)
		bad += dst[i] != src[i];
	check(bad == 0, "DMA round trip: %zu of %zu bytes differ", bad, size);
	/* The bytes past the transfer must be left alone. */
	for (i = size, stray = 0; i < PAGE_SIZE; i++)
		stray += dst[i] != 0;
	check(stray == 0, "DMA wrote no byte past %zu (%zu did)", size, stray);

	v = rd32(EDU_IRQ_STATUS);
	check(v == EDU_DMA_IRQ_BIT, "DMA completion irq status 0x%08" PRIx32,
	      v);
	wr32(EDU_IRQ_ACK, v);
	v = rd32(EDU_IRQ_STATUS);
	check(v == 0, "DMA irq ack: status 0x%08" PRIx32, v);
}

static void usage(void)
{
	fprintf(stderr, "usage: edu_guest [--dma-size N]  (N in 1..%d)\n",
		EDU_DMA_BUF_SIZE);
}

/* Parses options; false on a bad one. */
static bool parse(int argc, char **argv, size_t *dma_size)
{
	int i;

	for (i = 1; i < argc; i++) {
		char *end;
		unsigned long n;

		if (strcmp(argv[i], "--dma-size") || i + 1 >= argc)
			return false;
		errno = 0;
		n = strtoul(argv[++i], &end, 0);
		if (errno || *end || n < 1 || n > EDU_DMA_BUF_SIZE)
			return false;
		*dma_size = n;
	}
	return true;
}

int main(int argc, char **argv)
{
	bool init = getpid() == 1;
	size_t dma_size = EDU_DMA_BUF_SIZE;
	char dir[512], up[32];
	struct utsname u;

	if (init)
		setup_pid1();
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	uptime(up, sizeof(up));
	printf("EDU-GUEST: start (kernel %s, uptime %ss)\n", u.release, up);

	if (!parse(argc, argv, &dma_size)) {
		usage();
		check(false, "options");
	} else if (!find_edu(dir, sizeof(dir))) {
		check(false, "found edu (no PCI device 1234:11e8)");
	} else {
		check(true, "found edu");
		check(enable_device(dir), "PCI command: memory + bus master");
		if (map_bar0(dir)) {
			check_registers();
			check_dma(dma_size);
		}
	}

	uptime(up, sizeof(up));
	printf("EDU-GUEST: %s (%d failed, uptime %ss)\n",
	       failures ? "FAIL" : "PASS", failures, up);
	fflush(stdout);
	if (!init)
		return failures ? 1 : 0;
	sync();
	reboot(RB_POWER_OFF);
	/* Returning from init panics the kernel; with panic=-1 that ends too. */
	for (;;)
		pause();
}
