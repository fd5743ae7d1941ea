// SPDX-License-Identifier: BSD-3-Clause
/*
 * QEMU's educational PCI device ("edu", 1234:11e8), register-compatible
 * with QEMU's hw/misc/edu.c as docs/specs/edu.rst describes it: an ID and
 * a liveness register, a factorial unit, an interrupt raise/acknowledge
 * pair and a DMA engine between memory and a 4 KiB buffer in the device.
 *
 * As in QEMU the factorial and the DMA run behind the program's back: a
 * write starts them and returns, a worker thread (started on first use)
 * does the work, and the program polls the busy bit or waits for the
 * interrupt. Unlike QEMU the DMA starts at once (no 100 ms timer), goes
 * through the IOMMU domain the device is attached to, and a bad buffer
 * range only skips the transfer where QEMU 7.2 aborted the whole VM.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci_device.h"

#define EDU_BAR_SIZE (1U << 20)

enum {
	EDU_ID = 0x00,
	EDU_LIVENESS = 0x04,
	EDU_FACTORIAL = 0x08,
	EDU_STATUS = 0x20,
	EDU_IRQ_STATUS = 0x24,
	EDU_IRQ_RAISE = 0x60,
	EDU_IRQ_ACK = 0x64,
	EDU_DMA_SRC = 0x80,
	EDU_DMA_DST = 0x88,
	EDU_DMA_CNT = 0x90,
	EDU_DMA_CMD = 0x98,

	EDU_ID_VALUE = 0x010000ed, /* version 1.0 */
	EDU_STATUS_COMPUTING = 0x01,
	EDU_STATUS_IRQFACT = 0x80,
	EDU_IRQ_FACT = 0x001,
	EDU_IRQ_DMA = 0x100,
	EDU_DMA_RUN = 0x1,
	EDU_DMA_TO_RAM = 0x2,
	EDU_DMA_IRQ = 0x4,
	EDU_DMA_START = 0x40000, /* the buffer, in the device's address space */
	EDU_DMA_SIZE = 4096,
};

#define EDU_DMA_MASK ((1ULL << 28) - 1) /* QEMU's default dma_mask */

struct edu_dma {
	uint64_t src, dst, cnt, cmd;
};

struct edu {
	struct uiommufd_pci_dev *dev;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t work_cond; /* to the worker: work queued, or stop */
	pthread_cond_t idle_cond; /* from the worker: a job ended */
	pthread_t worker;
	pid_t worker_pid; /* 0: no worker; else the process it runs in */
	bool stopping;
	bool busy; /* a job runs outside the lock (it owns @buf) */
	bool held; /* edu_test_hold(): queue work but start none */

	uint32_t liveness, fact, status, irq_status;
	struct edu_dma dma;
	uint8_t buf[EDU_DMA_SIZE];
};

static struct edu *to_edu(struct uiommufd_pci_dev *dev)
{
	return uiommufd_pci_dev_priv(dev);
}

/* Interrupts: with @lock held, so that the line follows irq_status. */
static void edu_raise_irq(struct edu *edu, uint32_t val)
{
	edu->irq_status |= val;
	if (!edu->irq_status)
		return;
	if (uiommufd_pci_dev_msi_enabled(edu->dev))
		uiommufd_pci_dev_msi_notify(edu->dev, 0);
	else
		uiommufd_pci_dev_set_intx(edu->dev, true);
}

static void edu_lower_irq(struct edu *edu, uint32_t val)
{
	edu->irq_status &= ~val;
	if (!edu->irq_status && !uiommufd_pci_dev_msi_enabled(edu->dev))
		uiommufd_pci_dev_set_intx(edu->dev, false);
}

/* n! modulo 2^32, as QEMU's loop computes it; 34! and up have 2^32 as a
 * factor, so skip QEMU's up to 4 billion multiplications. */
static uint32_t factorial(uint32_t n)
{
	uint32_t r = 1;

	if (n >= 34)
		return 0;
	while (n > 0)
		r *= n--;
	return r;
}

/* Is [addr, addr + cnt) inside the buffer? Unlike QEMU 7.2, a transfer
 * may end at the buffer's end. */
static bool edu_in_buffer(uint64_t addr, uint64_t cnt)
{
	return addr >= EDU_DMA_START && cnt <= EDU_DMA_SIZE &&
	       addr - EDU_DMA_START <= EDU_DMA_SIZE - cnt;
}

/* The transfer (without @lock): the RAM side is masked to the DMA mask as
 * QEMU's edu_clamp_addr() does; an IOMMU fault ends it early, and like
 * QEMU the command completes regardless. */
static void edu_do_dma(struct edu *edu, const struct edu_dma *d)
{
	if (d->cmd & EDU_DMA_TO_RAM) {
		if (edu_in_buffer(d->src, d->cnt))
			uiommufd_pci_dev_dma_write(
				edu->dev, d->dst & EDU_DMA_MASK,
				edu->buf + (d->src - EDU_DMA_START), d->cnt);
	} else if (edu_in_buffer(d->dst, d->cnt)) {
		uiommufd_pci_dev_dma_read(edu->dev, d->src & EDU_DMA_MASK,
					  edu->buf + (d->dst - EDU_DMA_START),
					  d->cnt);
	}
}

static bool edu_has_work(struct edu *edu)
{
	return !edu->held && ((edu->status & EDU_STATUS_COMPUTING) ||
			      (edu->dma.cmd & EDU_DMA_RUN));
}

/*
 * Run one queued job; called with @lock held and no job running (so a set
 * busy bit means queued, not started). The lock is dropped while working
 * so that the registers stay readable; the busy bits read 1 until the end.
 */
static void edu_run_one(struct edu *edu)
{
	edu->busy = true;
	if (edu->status & EDU_STATUS_COMPUTING) {
		uint32_t n = edu->fact;

		pthread_mutex_unlock(&edu->lock);
		n = factorial(n);
		pthread_mutex_lock(&edu->lock);
		edu->fact = n;
		edu->status &= ~EDU_STATUS_COMPUTING;
		if (edu->status & EDU_STATUS_IRQFACT)
			edu_raise_irq(edu, EDU_IRQ_FACT);
	} else {
		struct edu_dma d = edu->dma;

		pthread_mutex_unlock(&edu->lock);
		edu_do_dma(edu, &d);
		pthread_mutex_lock(&edu->lock);
		edu->dma.cmd &= ~EDU_DMA_RUN;
		if (edu->dma.cmd & EDU_DMA_IRQ)
			edu_raise_irq(edu, EDU_IRQ_DMA);
	}
	edu->busy = false;
	pthread_cond_broadcast(&edu->idle_cond);
}

static void *edu_worker(void *arg)
{
	struct edu *edu = arg;

	pthread_mutex_lock(&edu->lock);
	for (;;) {
		while (!edu->stopping && !edu_has_work(edu))
			pthread_cond_wait(&edu->work_cond, &edu->lock);
		if (edu->stopping)
			break;
		edu_run_one(edu);
	}
	pthread_mutex_unlock(&edu->lock);
	return NULL;
}

/* A forked child inherits the worker's bookkeeping but not the thread. */
static void edu_check_fork(struct edu *edu)
{
	if (edu->worker_pid && edu->worker_pid != getpid()) {
		edu->worker_pid = 0;
		edu->busy = false;
	}
}

/* Work was queued (with @lock held): hand it to the worker. */
static void edu_kick(struct edu *edu)
{
	edu_check_fork(edu);
	if (!edu->worker_pid &&
	    !pthread_create(&edu->worker, NULL, edu_worker, edu))
		edu->worker_pid = getpid();
	if (edu->worker_pid) {
		pthread_cond_signal(&edu->work_cond);
		return;
	}
	/* No thread to be had: do the work here rather than never. */
	while (edu->busy)
		pthread_cond_wait(&edu->idle_cond, &edu->lock);
	while (edu_has_work(edu))
		edu_run_one(edu);
}

/* The DMA registers are frozen while a transfer is queued or running. */
static void edu_dma_reg_write(struct edu *edu, uint64_t *reg, uint64_t val)
{
	if (!(edu->dma.cmd & EDU_DMA_RUN))
		*reg = val;
}

/*
 * Registers below 0x80 take 4-byte accesses only, the DMA ones 4 or 8
 * bytes; other accesses, and offsets with no register, read all ones and
 * ignore writes (QEMU's edu_mmio_read/_write).
 */
static bool edu_access_ok(uint64_t offset, unsigned int size)
{
	return size == 4 || (size == 8 && offset >= EDU_DMA_SRC);
}

static uint64_t edu_bar_read(struct uiommufd_pci_dev *dev, unsigned int bar,
			     uint64_t offset, unsigned int size)
{
	struct edu *edu = to_edu(dev);
	uint64_t val = ~0ULL;

	if (bar != 0 || !edu_access_ok(offset, size))
		return val;
	pthread_mutex_lock(&edu->lock);
	switch (offset) {
	case EDU_ID:
		val = EDU_ID_VALUE;
		break;
	case EDU_LIVENESS:
		val = edu->liveness;
		break;
	case EDU_FACTORIAL:
		val = edu->fact; /* the argument, until computed */
		break;
	case EDU_STATUS:
		val = edu->status;
		break;
	case EDU_IRQ_STATUS:
		val = edu->irq_status;
		break;
	case EDU_DMA_SRC:
		val = edu->dma.src;
		break;
	case EDU_DMA_DST:
		val = edu->dma.dst;
		break;
	case EDU_DMA_CNT:
		val = edu->dma.cnt;
		break;
	case EDU_DMA_CMD:
		val = edu->dma.cmd;
		break;
	}
	pthread_mutex_unlock(&edu->lock);
	return val;
}

static void edu_bar_write(struct uiommufd_pci_dev *dev, unsigned int bar,
			  uint64_t offset, uint64_t val, unsigned int size)
{
	struct edu *edu = to_edu(dev);

	if (bar != 0 || !edu_access_ok(offset, size))
		return;
	pthread_mutex_lock(&edu->lock);
	switch (offset) {
	case EDU_LIVENESS:
		edu->liveness = ~(uint32_t)val;
		break;
	case EDU_FACTORIAL:
		if (edu->status & EDU_STATUS_COMPUTING)
			break;
		edu->fact = val;
		edu->status |= EDU_STATUS_COMPUTING;
		edu_kick(edu);
		break;
	case EDU_STATUS:
		/* Only the interrupt-after-factorial bit is writable. */
		edu->status = (edu->status & ~EDU_STATUS_IRQFACT) |
			      (val & EDU_STATUS_IRQFACT);
		break;
	case EDU_IRQ_RAISE:
		edu_raise_irq(edu, val);
		break;
	case EDU_IRQ_ACK:
		edu_lower_irq(edu, val);
		break;
	case EDU_DMA_SRC:
		edu_dma_reg_write(edu, &edu->dma.src, val);
		break;
	case EDU_DMA_DST:
		edu_dma_reg_write(edu, &edu->dma.dst, val);
		break;
	case EDU_DMA_CNT:
		edu_dma_reg_write(edu, &edu->dma.cnt, val);
		break;
	case EDU_DMA_CMD:
		/* A command without the start bit is dropped, as in QEMU. */
		if (!(val & EDU_DMA_RUN) || (edu->dma.cmd & EDU_DMA_RUN))
			break;
		edu->dma.cmd = val;
		edu_kick(edu);
		break;
	}
	pthread_mutex_unlock(&edu->lock);
}

/*
 * Power-on state. QEMU's edu keeps its registers across a reset; VFIO's
 * contract wants no DMA in flight or pending when reset returns, so drop
 * queued work, wait for the running job, then clear everything.
 */
static void edu_reset(struct uiommufd_pci_dev *dev)
{
	struct edu *edu = to_edu(dev);

	pthread_mutex_lock(&edu->lock);
	edu_check_fork(edu);
	edu->status = 0;
	edu->dma.cmd = 0;
	while (edu->busy)
		pthread_cond_wait(&edu->idle_cond, &edu->lock);
	edu->liveness = 0;
	edu->fact = 0;
	edu->status = 0;
	memset(&edu->dma, 0, sizeof(edu->dma));
	memset(edu->buf, 0, sizeof(edu->buf));
	edu->irq_status = 0;
	uiommufd_pci_dev_set_intx(dev, false);
	pthread_mutex_unlock(&edu->lock);
}

static void edu_free(struct edu *edu)
{
	pthread_cond_destroy(&edu->idle_cond);
	pthread_cond_destroy(&edu->work_cond);
	pthread_mutex_destroy(&edu->lock);
	free(edu);
}

static void edu_release(struct uiommufd_pci_dev *dev)
{
	struct edu *edu = to_edu(dev);
	bool join;

	pthread_mutex_lock(&edu->lock);
	edu_check_fork(edu);
	join = edu->worker_pid != 0;
	edu->stopping = true;
	pthread_cond_signal(&edu->work_cond);
	pthread_mutex_unlock(&edu->lock);
	if (join)
		pthread_join(edu->worker, NULL);
	edu_free(edu);
}

static const struct uiommufd_pci_dev_ops edu_ops = {
	.bar_read = edu_bar_read,
	.bar_write = edu_bar_write,
	.reset = edu_reset,
	.release = edu_release,
};

/*
 * For unit tests: while held, the worker starts no job, so that busy bits
 * and the writes they refuse can be observed. Not in a header: the tests
 * declare it.
 */
void edu_test_hold(struct uiommufd_pci_dev *dev, bool hold)
{
	struct edu *edu = to_edu(dev);

	pthread_mutex_lock(&edu->lock);
	edu->held = hold;
	if (!hold && edu_has_work(edu))
		edu_kick(edu);
	pthread_mutex_unlock(&edu->lock);
}

struct uiommufd_pci_dev *uiommufd_edu_create(const char *name)
{
	/* QEMU: PCI_VENDOR_ID_QEMU, PCI_CLASS_OTHERS, revision 0x10, the
	 * default subsystem IDs of QEMU's PCI core, INTA. */
	static const struct uiommufd_pci_id id = {
		.vendor = 0x1234,
		.device = 0x11e8,
		.subsys_vendor = 0x1af4,
		.subsys_id = 0x1100,
		.class_rev = 0x00ff00 << 8 | 0x10,
		.intx_pin = 1,
	};
	struct uiommufd_pci_dev *dev;
	struct edu *edu;
	int err;

	edu = calloc(1, sizeof(*edu));
	if (!edu) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&edu->lock, NULL);
	pthread_cond_init(&edu->work_cond, NULL);
	pthread_cond_init(&edu->idle_cond, NULL);
	dev = uiommufd_pci_dev_create(name, &id, &edu_ops, edu);
	if (!dev) {
		err = errno;
		edu_free(edu);
		errno = err;
		return NULL;
	}
	edu->dev = dev;
	/* msi_init(pdev, 0, 1, true, false): one vector, 64-bit, no mask. */
	err = uiommufd_pci_dev_add_bar(dev, 0, EDU_BAR_SIZE, 0);
	if (!err) {
		err = uiommufd_pci_dev_add_msi(dev, 0, true);
		err = err < 0 ? err : 0;
	}
	if (err) {
		pci_dev_destroy(dev); /* releases @edu too */
		errno = -err;
		return NULL;
	}
	return dev;
}
