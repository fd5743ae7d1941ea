// SPDX-License-Identifier: BSD-3-Clause
/*
 * The edu model (lib/devices/edu.c) register by register, as QEMU's
 * docs/specs/edu.rst defines them: identification, liveness, factorial,
 * interrupt status and lines, the config header, access sizes, and DMA
 * through an x86 IOMMU domain (masking, faults, bus mastering, ranges),
 * and reset.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/pci_device.h"
#include "domain_x86_64.h"
#include "io_pagetable.h"

/* edu.c's test hook: queue work but let the worker start none. */
void edu_test_hold(struct uiommufd_pci_dev *dev, bool hold);

#define PAGE 4096UL
#define BUF 0x40000 /* the device's DMA buffer */
#define RUN 0x1
#define TO_RAM 0x2
#define DMA_IRQ 0x4

static uint32_t rd(struct uiommufd_pci_dev *dev, uint64_t off)
{
	uint32_t v = 0;

	pci_dev_bar_rw(dev, 0, off, &v, 4, false);
	return v;
}

static void wr(struct uiommufd_pci_dev *dev, uint64_t off, uint32_t v)
{
	pci_dev_bar_rw(dev, 0, off, &v, 4, true);
}

static uint64_t rd64(struct uiommufd_pci_dev *dev, uint64_t off)
{
	uint64_t v = 0;

	pci_dev_bar_rw(dev, 0, off, &v, 8, false);
	return v;
}

static void wr64(struct uiommufd_pci_dev *dev, uint64_t off, uint64_t v)
{
	pci_dev_bar_rw(dev, 0, off, &v, 8, true);
}

static uint32_t cfg_rd(struct uiommufd_pci_dev *dev, unsigned int off,
		       unsigned int len)
{
	uint32_t v = 0;

	pci_dev_config_rw(dev, off, &v, len, false);
	return v;
}

static void cfg_wr(struct uiommufd_pci_dev *dev, unsigned int off,
		   unsigned int len, uint32_t v)
{
	pci_dev_config_rw(dev, off, &v, len, true);
}

/* Poll @reg until @bit clears; fails the test after 5 s. */
static void wait_clear(struct uiommufd_pci_dev *dev, uint64_t reg, uint32_t bit)
{
	int i;

	for (i = 0; rd(dev, reg) & bit; i++) {
		assert_true(i < 50000);
		nanosleep(&(struct timespec){ .tv_nsec = 100000 }, NULL);
	}
}

/* A device of its own for each test (unregistered: pci_dev_destroy()). */
static struct uiommufd_pci_dev *new_edu(void)
{
	static unsigned int slot;
	struct uiommufd_pci_dev *dev;
	char name[PCI_DEV_NAME_LEN];

	snprintf(name, sizeof(name), "0000:ed:%02x.0", slot++);
	dev = uiommufd_edu_create(name);
	assert_non_null(dev);
	assert_string_equal(uiommufd_pci_dev_name(dev), name);
	return dev;
}

/* A DMA: program the registers, start, wait for the end. */
static void dma(struct uiommufd_pci_dev *dev, uint64_t src, uint64_t dst,
		uint64_t cnt, uint32_t cmd)
{
	wr64(dev, 0x80, src);
	wr64(dev, 0x88, dst);
	wr64(dev, 0x90, cnt);
	wr(dev, 0x98, cmd | RUN);
	wait_clear(dev, 0x98, RUN);
}

static void id_and_liveness(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();

	(void)state;
	assert_int_equal(rd(dev, 0x00), 0x010000ed);
	wr(dev, 0x00, 0);
	assert_int_equal(rd(dev, 0x00), 0x010000ed);
	assert_int_equal(rd(dev, 0x04), 0);
	wr(dev, 0x04, 0x12345678);
	assert_int_equal(rd(dev, 0x04), 0xedcba987);
	wr(dev, 0x04, 0);
	assert_int_equal(rd(dev, 0x04), 0xffffffff);
	pci_dev_destroy(dev);
}

static uint32_t fact(struct uiommufd_pci_dev *dev, uint32_t n)
{
	wr(dev, 0x08, n);
	wait_clear(dev, 0x20, 0x01);
	return rd(dev, 0x08);
}

static void factorial(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();
	uint32_t n, ref = 1;

	(void)state;
	/* 32-bit wrapping from 13! on, 0 from 34! on. */
	for (n = 0; n < 40; n++) {
		ref *= n ? n : 1;
		assert_int_equal(fact(dev, n), ref);
	}
	assert_int_equal(fact(dev, 5), 120);
	assert_int_equal(fact(dev, 13), 1932053504);
	assert_int_equal(fact(dev, 0xffffffff), 0);
	/* No interrupt unless asked for. */
	assert_int_equal(rd(dev, 0x24), 0);
	assert_false(dev->intx_level);
	pci_dev_destroy(dev);
}

static void factorial_busy_and_irq(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();

	(void)state;
	edu_test_hold(dev, true);
	wr(dev, 0x08, 5);
	assert_int_equal(rd(dev, 0x20), 0x01);
	/* Until computed the register holds the argument; writes are
	 * ignored; the computing bit is read-only. */
	assert_int_equal(rd(dev, 0x08), 5);
	wr(dev, 0x08, 7);
	assert_int_equal(rd(dev, 0x08), 5);
	wr(dev, 0x20, 0xffffffff);
	assert_int_equal(rd(dev, 0x20), 0x81);
	wr(dev, 0x20, 0);
	assert_int_equal(rd(dev, 0x20), 0x01);
	wr(dev, 0x20, 0x80);
	edu_test_hold(dev, false);
	wait_clear(dev, 0x20, 0x01);
	assert_int_equal(rd(dev, 0x08), 120);
	assert_int_equal(rd(dev, 0x20), 0x80);
	/* Status 0x80: interrupt 0x1 when done. */
	assert_int_equal(rd(dev, 0x24), 0x1);
	assert_true(dev->intx_level);
	wr(dev, 0x64, 0x1);
	assert_int_equal(rd(dev, 0x24), 0);
	assert_false(dev->intx_level);
	assert_int_equal(fact(dev, 4), 24);
	assert_int_equal(rd(dev, 0x24), 0x1);
	pci_dev_destroy(dev);
}

static void irq_raise_ack(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();

	(void)state;
	assert_false(dev->intx_level);
	wr(dev, 0x60, 0x10000);
	assert_int_equal(rd(dev, 0x24), 0x10000);
	assert_true(dev->intx_level);
	wr(dev, 0x60, 0x3);
	assert_int_equal(rd(dev, 0x24), 0x10003);
	/* The line stays up until every bit is acknowledged. */
	wr(dev, 0x64, 0x10001);
	assert_int_equal(rd(dev, 0x24), 0x2);
	assert_true(dev->intx_level);
	wr(dev, 0x64, 0xffffffff);
	assert_int_equal(rd(dev, 0x24), 0);
	assert_false(dev->intx_level);
	/* Write-only registers read all ones. */
	assert_int_equal(rd(dev, 0x60), 0xffffffff);
	assert_int_equal(rd(dev, 0x64), 0xffffffff);
	/* Raising nothing raises nothing. */
	wr(dev, 0x60, 0);
	assert_false(dev->intx_level);
	pci_dev_destroy(dev);
}

/* An eventfd's count, 0 when not signalled (it is non-blocking). */
static uint64_t efd_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* The interrupts as a VFIO program gets them: INTx, then MSI. */
static void irq_eventfds(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();
	int fd = eventfd(0, EFD_NONBLOCK);
	int32_t fds[1] = { fd };

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(pci_dev_intx_set_trigger(dev, fd), 0);
	assert_false(uiommufd_pci_dev_msi_enabled(dev));
	/* One signal per assertion of the line. */
	wr(dev, 0x60, 0x1);
	wr(dev, 0x60, 0x2);
	assert_int_equal(efd_count(fd), 1);
	assert_true(cfg_rd(dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	wr(dev, 0x64, 0x3);
	assert_false(cfg_rd(dev, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_dev_intx_unmask(dev);
	assert_int_equal(efd_count(fd), 0);
	wr(dev, 0x60, 0x4);
	assert_int_equal(efd_count(fd), 1);
	wr(dev, 0x64, 0x4);
	pci_dev_intx_unmask(dev);
	pci_dev_intx_disable(dev);

	assert_int_equal(pci_dev_msi_set_triggers(dev, PCI_IRQ_MSI, 0, 1, fds),
			 0);
	assert_true(uiommufd_pci_dev_msi_enabled(dev));
	/* A message is a DMA write: lost without bus mastering. */
	wr(dev, 0x60, 0x1);
	assert_int_equal(efd_count(fd), 0);
	wr(dev, 0x64, 0x1);
	cfg_wr(dev, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	/* One message per raise, even with status already set; no line. */
	wr(dev, 0x60, 0x1);
	assert_int_equal(efd_count(fd), 1);
	wr(dev, 0x60, 0x2);
	assert_int_equal(efd_count(fd), 1);
	assert_int_equal(rd(dev, 0x24), 0x3);
	assert_false(dev->intx_level);
	wr(dev, 0x64, 0x3);
	assert_int_equal(rd(dev, 0x24), 0);
	assert_int_equal(efd_count(fd), 0);
	/* Factorial's interrupt too. */
	wr(dev, 0x20, 0x80);
	assert_int_equal(fact(dev, 3), 6);
	assert_int_equal(efd_count(fd), 1);
	pci_dev_msi_disable(dev);
	close(fd);
	pci_dev_destroy(dev);
}

static void config_header(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();
	unsigned int bar, cap;

	(void)state;
	assert_int_equal(cfg_rd(dev, PCI_VENDOR_ID, 2), 0x1234);
	assert_int_equal(cfg_rd(dev, PCI_DEVICE_ID, 2), 0x11e8);
	assert_int_equal(cfg_rd(dev, PCI_CLASS_REVISION, 4), 0x00ff0010);
	assert_int_equal(cfg_rd(dev, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(dev, PCI_SUBSYSTEM_ID, 2), 0x1100);
	assert_int_equal(cfg_rd(dev, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg_rd(dev, PCI_HEADER_TYPE, 1), 0);
	/* BAR0: 1 MiB of 32-bit non-prefetchable memory; no other BAR. */
	assert_int_equal(cfg_rd(dev, PCI_BASE_ADDRESS_0, 4), 0);
	for (bar = 0; bar < PCI_NUM_BARS; bar++)
		cfg_wr(dev, PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0xffffffff);
	assert_int_equal(cfg_rd(dev, PCI_BASE_ADDRESS_0, 4), 0xfff00000);
	for (bar = 1; bar < PCI_NUM_BARS; bar++)
		assert_int_equal(cfg_rd(dev, PCI_BASE_ADDRESS_0 + 4 * bar, 4),
				 0);
	assert_null(uiommufd_pci_dev_bar_mem(dev, 0));
	/* One capability: MSI, 1 vector, 64-bit, no per-vector mask. */
	assert_true(cfg_rd(dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	cap = cfg_rd(dev, PCI_CAPABILITY_LIST, 1);
	assert_true(cap >= PCI_STD_HEADER_SIZEOF);
	assert_int_equal(cfg_rd(dev, cap, 1), PCI_CAP_ID_MSI);
	assert_int_equal(cfg_rd(dev, cap + 1, 1), 0);
	assert_int_equal(cfg_rd(dev, cap + PCI_MSI_FLAGS, 2),
			 PCI_MSI_FLAGS_64BIT);
	assert_int_equal(pci_dev_irq_count(dev, PCI_IRQ_INTX), 1);
	assert_int_equal(pci_dev_irq_count(dev, PCI_IRQ_MSI), 1);
	assert_int_equal(pci_dev_irq_count(dev, PCI_IRQ_MSIX), 0);
	pci_dev_destroy(dev);
}

static void access_sizes(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();
	uint64_t v64 = 0;
	uint16_t v16 = 0;
	uint8_t v8 = 0;

	(void)state;
	/* Below 0x80 only 4 bytes: the rest read all ones, writes drop. */
	pci_dev_bar_rw(dev, 0, 0x00, &v16, 2, false);
	assert_int_equal(v16, 0xffff);
	pci_dev_bar_rw(dev, 0, 0x00, &v8, 1, false);
	assert_int_equal(v8, 0xff);
	assert_int_equal(rd64(dev, 0x00), UINT64_MAX);
	v16 = 0x1234;
	pci_dev_bar_rw(dev, 0, 0x04, &v16, 2, true);
	wr64(dev, 0x04, 0x1234);
	assert_int_equal(rd(dev, 0x04), 0);
	wr64(dev, 0x60, 1);
	assert_int_equal(rd(dev, 0x24), 0);
	/* No register: all ones, writes drop. */
	assert_int_equal(rd(dev, 0x0c), 0xffffffff);
	assert_int_equal(rd(dev, 0x84), 0xffffffff);
	assert_int_equal(rd(dev, BUF), 0xffffffff);
	assert_int_equal(rd(dev, (1 << 20) - 4), 0xffffffff);
	assert_int_equal(rd64(dev, (1 << 20) - 8), UINT64_MAX);
	wr(dev, BUF, 0);
	assert_int_equal(rd(dev, BUF), 0xffffffff);

	/* DMA registers: 4 or 8 bytes; 4 reads the low half, and a 4-byte
	 * write clears the high one; only at the register's own offset. */
	wr64(dev, 0x80, 0x123456789abcdef0);
	assert_int_equal(rd64(dev, 0x80), 0x123456789abcdef0);
	assert_int_equal(rd(dev, 0x80), 0x9abcdef0);
	wr(dev, 0x84, 0);
	assert_int_equal(rd64(dev, 0x80), 0x123456789abcdef0);
	pci_dev_bar_rw(dev, 0, 0x80, &v16, 2, true);
	assert_int_equal(rd64(dev, 0x80), 0x123456789abcdef0);
	pci_dev_bar_rw(dev, 0, 0x80, &v16, 2, false);
	assert_int_equal(v16, 0xffff);
	wr(dev, 0x80, 0x11223344);
	assert_int_equal(rd64(dev, 0x80), 0x11223344);
	wr64(dev, 0x88, UINT64_MAX);
	wr64(dev, 0x90, 1ULL << 40);
	assert_int_equal(rd64(dev, 0x88), UINT64_MAX);
	assert_int_equal(rd64(dev, 0x90), 1ULL << 40);
	pci_dev_bar_rw(dev, 0, 0x98, &v64, 8, false);
	assert_int_equal(v64, 0);
	pci_dev_destroy(dev);
}

static void dma_registers(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();

	(void)state;
	/* A command without the start bit is dropped. */
	wr(dev, 0x98, TO_RAM | DMA_IRQ);
	assert_int_equal(rd(dev, 0x98), 0);

	/* While a transfer is pending the registers are frozen. */
	edu_test_hold(dev, true);
	wr(dev, 0x80, BUF);
	wr(dev, 0x88, 0x1000);
	wr(dev, 0x90, 0);
	wr(dev, 0x98, RUN | TO_RAM | DMA_IRQ);
	assert_int_equal(rd(dev, 0x98), RUN | TO_RAM | DMA_IRQ);
	wr(dev, 0x80, 1);
	wr(dev, 0x88, 2);
	wr(dev, 0x90, 3);
	wr(dev, 0x98, RUN);
	assert_int_equal(rd(dev, 0x80), BUF);
	assert_int_equal(rd(dev, 0x88), 0x1000);
	assert_int_equal(rd(dev, 0x90), 0);
	assert_int_equal(rd(dev, 0x98), RUN | TO_RAM | DMA_IRQ);
	assert_int_equal(rd(dev, 0x24), 0);
	edu_test_hold(dev, false);
	/* Zero bytes: done at once; the command keeps its other bits. */
	wait_clear(dev, 0x98, RUN);
	assert_int_equal(rd(dev, 0x98), TO_RAM | DMA_IRQ);
	assert_int_equal(rd(dev, 0x24), 0x100);
	assert_true(dev->intx_level);
	wr(dev, 0x64, 0x100);
	assert_false(dev->intx_level);
	pci_dev_destroy(dev);
}

static void reset_clears_state(void **state)
{
	struct uiommufd_pci_dev *dev = new_edu();

	(void)state;
	wr(dev, 0x04, 1);
	assert_int_equal(fact(dev, 6), 720);
	wr(dev, 0x20, 0x80);
	wr(dev, 0x60, 0x8);
	assert_true(dev->intx_level);
	/* Queued work is dropped by the reset, never run. */
	edu_test_hold(dev, true);
	wr(dev, 0x08, 3);
	wr64(dev, 0x80, BUF);
	wr64(dev, 0x88, 0x2000);
	wr64(dev, 0x90, 16);
	wr(dev, 0x98, RUN | TO_RAM | DMA_IRQ);
	pci_dev_reset(dev);
	edu_test_hold(dev, false);
	assert_int_equal(rd(dev, 0x00), 0x010000ed);
	assert_int_equal(rd(dev, 0x04), 0);
	assert_int_equal(rd(dev, 0x08), 0);
	assert_int_equal(rd(dev, 0x20), 0);
	assert_int_equal(rd(dev, 0x24), 0);
	assert_int_equal(rd64(dev, 0x80), 0);
	assert_int_equal(rd64(dev, 0x88), 0);
	assert_int_equal(rd64(dev, 0x90), 0);
	assert_int_equal(rd64(dev, 0x98), 0);
	assert_false(dev->intx_level);
	/* Still working afterwards, and nothing ran late. */
	assert_int_equal(fact(dev, 4), 24);
	assert_int_equal(rd(dev, 0x24), 0);
	/* A reset right behind a start: the transfer is dropped or done. */
	wr(dev, 0x98, RUN | DMA_IRQ);
	pci_dev_reset(dev);
	assert_int_equal(rd(dev, 0x98), 0);
	assert_int_equal(rd(dev, 0x24), 0);
	pci_dev_destroy(dev);
}

/* ---- DMA through an IOMMU domain --------------------------------------- */

struct dma_env {
	struct uiommufd_pci_dev *dev;
	struct iommu_domain *domain;
	uint8_t *mem; /* 4 pages: IOVA 0x100000.. */
};

#define IOVA 0x100000UL

/* edu attached to an x86 domain mapping 4 pages of @mem at IOVA, the
 * last one read-only; bus mastering on. */
static struct dma_env dma_env(void)
{
	struct dma_env e = { .dev = new_edu() };

	e.mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(e.mem != MAP_FAILED);
	e.domain = x86_domain_alloc(false);
	assert_non_null(e.domain);
	assert_int_equal(iommu_map(e.domain, IOVA, (uintptr_t)e.mem, 3 * PAGE,
				   IOMMUFD_PROT_READ | IOMMUFD_PROT_WRITE),
			 0);
	assert_int_equal(iommu_map(e.domain, IOVA + 3 * PAGE,
				   (uintptr_t)e.mem + 3 * PAGE, PAGE,
				   IOMMUFD_PROT_READ),
			 0);
	assert_int_equal(iommu_attach_device(e.domain, &e.dev->iommu_dev), 0);
	cfg_wr(e.dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return e;
}

static void dma_env_free(struct dma_env *e)
{
	pci_dev_reset(e->dev); /* no DMA left */
	iommu_detach_device(&e->dev->iommu_dev);
	iommu_domain_free(e->domain);
	munmap(e->mem, 4 * PAGE);
	pci_dev_destroy(e->dev);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void dma_round_trip(void **state)
{
	struct dma_env e = dma_env();
	uint8_t ref[PAGE];

	(void)state;
	/* The whole buffer (QEMU 7.2 refused this one), RAM -> device ->
	 * RAM, with the interrupt. */
	fill(e.mem, PAGE, 1);
	memcpy(ref, e.mem, PAGE);
	dma(e.dev, IOVA, BUF, PAGE, DMA_IRQ);
	assert_int_equal(rd(e.dev, 0x24), 0x100);
	assert_true(e.dev->intx_level);
	wr(e.dev, 0x64, 0x100);
	dma(e.dev, BUF, IOVA + PAGE, PAGE, TO_RAM);
	assert_memory_equal(e.mem + PAGE, ref, PAGE);
	assert_int_equal(rd(e.dev, 0x24), 0);
	assert_int_equal(rd(e.dev, 0x98), TO_RAM);

	/* Inside the buffer at an offset, across an IO page boundary. */
	fill(e.mem, 2 * PAGE, 9);
	dma(e.dev, IOVA + PAGE - 100, BUF + 1000, 300, 0);
	memset(e.mem + 2 * PAGE, 0, PAGE);
	dma(e.dev, BUF + 1000, IOVA + 2 * PAGE + 5, 300, TO_RAM);
	assert_memory_equal(e.mem + 2 * PAGE + 5, e.mem + PAGE - 100, 300);
	assert_int_equal(e.mem[2 * PAGE + 4], 0);
	assert_int_equal(e.mem[2 * PAGE + 305], 0);

	/* The RAM side is masked to 28 bits, as QEMU clamps it. */
	memset(e.mem + PAGE, 0, PAGE);
	dma(e.dev, BUF, (1ULL << 40) | (1ULL << 28) | (IOVA + PAGE), 64,
	    TO_RAM);
	assert_memory_equal(e.mem + PAGE, ref, 64);
	dma(e.dev, (1ULL << 28) | IOVA, BUF + 64, 64, 0);
	dma(e.dev, BUF + 64, IOVA + PAGE + 64, 64, TO_RAM);
	assert_memory_equal(e.mem + PAGE + 64, e.mem, 64);
	dma_env_free(&e);
}

static void dma_faults(void **state)
{
	struct dma_env e = dma_env();
	uint8_t ref[PAGE];

	(void)state;
	fill(e.mem, PAGE, 3);
	dma(e.dev, IOVA, BUF, PAGE, 0);
	memcpy(ref, e.mem, PAGE);
	memset(e.mem + PAGE, 0, 3 * PAGE);

	/* Into a read-only page: the bytes before it land, the command
	 * completes and still interrupts. */
	dma(e.dev, BUF, IOVA + 3 * PAGE - 16, 64, TO_RAM | DMA_IRQ);
	assert_memory_equal(e.mem + 3 * PAGE - 16, ref, 16);
	assert_int_equal(e.mem[3 * PAGE], 0);
	assert_int_equal(rd(e.dev, 0x24), 0x100);
	wr(e.dev, 0x64, 0x100);

	/* From unmapped IOVA: nothing comes in; the buffer keeps its data. */
	dma(e.dev, IOVA + 8 * PAGE, BUF, 64, DMA_IRQ);
	assert_int_equal(rd(e.dev, 0x24), 0x100);
	wr(e.dev, 0x64, 0x100);
	dma(e.dev, BUF, IOVA + PAGE, PAGE, TO_RAM);
	assert_memory_equal(e.mem + PAGE, ref, PAGE);

	/* Bus mastering off: nothing moves, the command completes. */
	cfg_wr(e.dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	memset(e.mem + PAGE, 0, PAGE);
	dma(e.dev, BUF, IOVA + PAGE, PAGE, TO_RAM | DMA_IRQ);
	assert_int_equal(e.mem[PAGE], 0);
	assert_int_equal(rd(e.dev, 0x24), 0x100);
	dma_env_free(&e);
}

static void dma_out_of_range(void **state)
{
	static const struct {
		uint64_t buf, cnt;
	} bad[] = {
		{ BUF, PAGE + 1 },	  { BUF + 1, PAGE },
		{ BUF - 1, 16 },	  { BUF + PAGE, 1 },
		{ BUF + 8, UINT64_MAX },  { UINT64_MAX, 2 },
		{ BUF - PAGE, 2 * PAGE }, { 0, 16 },
	};
	struct dma_env e = dma_env();
	uint8_t untouched[PAGE];
	unsigned int i;

	(void)state;
	memset(untouched, 0xee, PAGE);
	fill(e.mem, 2 * PAGE, 5);
	dma(e.dev, IOVA, BUF, PAGE, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* No transfer either way; done, with the interrupt. */
		dma(e.dev, IOVA + PAGE, bad[i].buf, bad[i].cnt, DMA_IRQ);
		memset(e.mem + 2 * PAGE, 0xee, PAGE);
		dma(e.dev, bad[i].buf, IOVA + 2 * PAGE, bad[i].cnt,
		    TO_RAM | DMA_IRQ);
		assert_memory_equal(e.mem + 2 * PAGE, untouched, PAGE);
		assert_int_equal(rd(e.dev, 0x24), 0x100);
		wr(e.dev, 0x64, 0x100);
	}
	/* The buffer kept what the first transfer put there. */
	dma(e.dev, BUF, IOVA + 2 * PAGE, PAGE, TO_RAM);
	assert_memory_equal(e.mem + 2 * PAGE, e.mem, PAGE);
	dma_env_free(&e);
}

/* Threads hammering the registers while the test thread runs DMA: each
 * thread owns an interrupt status bit and counts what it saw wrong. */
#define NR_THREADS 4
#define ITERS 2000

struct hammer {
	struct uiommufd_pci_dev *dev;
	uint32_t bit;
	unsigned int wrong;
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;
	int i;

	for (i = 0; i < ITERS; i++) {
		h->wrong += rd(h->dev, 0x00) != 0x010000ed;
		wr(h->dev, 0x60, h->bit);
		h->wrong += !(rd(h->dev, 0x24) & h->bit);
		wr(h->dev, 0x64, h->bit);
		h->wrong += !!(rd(h->dev, 0x24) & h->bit);
		wr(h->dev, 0x04, (uint32_t)i);
		(void)rd(h->dev, 0x20);
		(void)rd(h->dev, 0x98);
	}
	return NULL;
}

static void concurrent_access(void **state)
{
	struct dma_env e = dma_env();
	struct hammer h[NR_THREADS];
	pthread_t t[NR_THREADS];
	unsigned int i;

	(void)state;
	for (i = 0; i < NR_THREADS; i++) {
		h[i] = (struct hammer){ .dev = e.dev, .bit = 1U << (16 + i) };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (i = 0; i < 50; i++) {
		fill(e.mem, PAGE, (uint8_t)i);
		dma(e.dev, IOVA, BUF, PAGE, DMA_IRQ);
		dma(e.dev, BUF, IOVA + PAGE, PAGE, TO_RAM);
		assert_memory_equal(e.mem + PAGE, e.mem, PAGE);
		assert_int_equal(fact(e.dev, 10), 3628800);
	}
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(h[i].wrong, 0);
	}
	assert_int_equal(rd(e.dev, 0x24), 0x100);
	dma_env_free(&e);
}

/* A reset right behind a start: when it returns the transfer is either
 * done or dropped, and nothing moves afterwards. */
static void reset_during_dma(void **state)
{
	struct dma_env e = dma_env();
	uint8_t snap[PAGE];
	int i;

	(void)state;
	fill(e.mem, PAGE, 7);
	for (i = 0; i < 200; i++) {
		dma(e.dev, IOVA, BUF, PAGE, 0);
		memset(e.mem + PAGE, 0, PAGE);
		wr64(e.dev, 0x80, BUF);
		wr64(e.dev, 0x88, IOVA + PAGE);
		wr64(e.dev, 0x90, PAGE);
		wr(e.dev, 0x98, RUN | TO_RAM | DMA_IRQ);
		pci_dev_reset(e.dev);
		/* Bus mastering back on (the reset cleared it), so that a
		 * transfer left behind would show. */
		cfg_wr(e.dev, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
		assert_int_equal(rd(e.dev, 0x98), 0);
		assert_int_equal(rd(e.dev, 0x24), 0);
		memcpy(snap, e.mem + PAGE, PAGE);
		nanosleep(&(struct timespec){ .tv_nsec = 10000 }, NULL);
		assert_memory_equal(snap, e.mem + PAGE, PAGE);
		assert_false(e.dev->intx_level);
	}
	dma_env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(id_and_liveness),
		cmocka_unit_test(factorial),
		cmocka_unit_test(factorial_busy_and_irq),
		cmocka_unit_test(irq_raise_ack),
		cmocka_unit_test(irq_eventfds),
		cmocka_unit_test(config_header),
		cmocka_unit_test(access_sizes),
		cmocka_unit_test(dma_registers),
		cmocka_unit_test(reset_clears_state),
		cmocka_unit_test(dma_round_trip),
		cmocka_unit_test(dma_faults),
		cmocka_unit_test(dma_out_of_range),
		cmocka_unit_test(concurrent_access),
		cmocka_unit_test(reset_during_dma),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
