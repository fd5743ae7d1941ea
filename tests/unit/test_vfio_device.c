// SPDX-License-Identifier: BSD-3-Clause
/*
 * VFIO device files of emulated PCI devices (lib/vfio_device.c and
 * lib/vfio_group.c) through what a program sees, with the edu model behind
 * them: the cdev path (bind, attach, replace, detach, close), device,
 * region and interrupt info, SET_IRQS, region reads and writes, DMA end to
 * end through an IOAS, reset, hot reset, the legacy group path and many
 * devices doing DMA at once. Every errno is Linux 6.12's (drivers/vfio:
 * vfio_main.c, device_cdev.c, group.c, pci/vfio_pci_core.c,
 * pci/vfio_pci_intrs.c, pci/vfio_pci_rdwr.c, pci/vfio_pci_config.c).
 *
 * Where the library answers differently from the kernel, the test says
 * "KERNEL MISMATCH" in a comment, cleans up and skips rather than fails;
 * once the library is fixed it passes instead.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <time.h>

#include "test_util.h"

#include "uiommufd/device.h"

#include "devices/pci_device.h"

#define REGION(i) ((uint64_t)(i) << VFIO_PCI_OFFSET_SHIFT)
#define CFG REGION(VFIO_PCI_CONFIG_REGION_INDEX)
#define MIB (1ULL << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* edu registers (BAR0, region 0 at file offset 0) */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_BUF 0x40000ULL
#define DMA_RUN 0x1
#define DMA_TO_RAM 0x2
#define DMA_IRQ 0x4
#define EDU_IRQ_DMA 0x100

#define IOVA 0x100000ULL

#define TRIGGER VFIO_IRQ_SET_ACTION_TRIGGER
#define MASK VFIO_IRQ_SET_ACTION_MASK
#define UNMASK VFIO_IRQ_SET_ACTION_UNMASK
#define D_NONE VFIO_IRQ_SET_DATA_NONE
#define D_BOOL VFIO_IRQ_SET_DATA_BOOL
#define D_EVENTFD VFIO_IRQ_SET_DATA_EVENTFD
#define INTX VFIO_PCI_INTX_IRQ_INDEX
#define MSI VFIO_PCI_MSI_IRQ_INDEX
#define MSIX VFIO_PCI_MSIX_IRQ_INDEX
#define REQ VFIO_PCI_REQ_IRQ_INDEX

/* ---- the host: fd numbers the library resolves ------------------------ */

/*
 * Fake fd numbers: FD_CTX + n a context, FD_FILE + n a library file the
 * test holds (a group), FD_INST + n a file the library installed through
 * our fd ops (group device fds), FD_NOT_IOMMUFD an fd that is open but
 * not an iommufd. Anything else is not open.
 */
#define FD_NOT_IOMMUFD 99
#define FD_CTX 100
#define FD_FILE 200
#define FD_INST 300
#define FD_NONE 12345
#define NR_SLOTS 32

static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uiommufd_ctx *host_ctxs[NR_SLOTS];
static struct uiommufd_file *host_files[NR_SLOTS];
static struct uiommufd_file *inst_files[NR_SLOTS];

static int slot_of(int fd, int base)
{
	return fd >= base && fd < base + NR_SLOTS ? fd - base : -1;
}

/* The file behind @fd (not referenced), with host_lock held. */
static struct uiommufd_file *file_locked(int fd)
{
	int i;

	if ((i = slot_of(fd, FD_FILE)) >= 0)
		return host_files[i];
	if ((i = slot_of(fd, FD_INST)) >= 0)
		return inst_files[i];
	return NULL;
}

static struct uiommufd_ctx *host_ctx_get(void *opaque, int fd, int *err)
{
	struct uiommufd_ctx *ctx = NULL;
	int i = slot_of(fd, FD_CTX);

	(void)opaque;
	pthread_mutex_lock(&host_lock);
	if (i >= 0 && host_ctxs[i])
		ctx = uiommufd_ctx_ref(host_ctxs[i]);
	else if (fd == FD_NOT_IOMMUFD || file_locked(fd))
		*err = -EBADFD;
	else
		*err = -EBADF;
	pthread_mutex_unlock(&host_lock);
	return ctx;
}

/* The library file behind @fd, or what an fd without one is: open (a
 * context, FD_NOT_IOMMUFD) or not. */
static struct uiommufd_file *host_file_get_err(int fd, int *err)
{
	struct uiommufd_file *file;

	pthread_mutex_lock(&host_lock);
	file = file_locked(fd);
	if (file)
		uiommufd_file_get(file);
	else if (fd == FD_NOT_IOMMUFD ||
		 (slot_of(fd, FD_CTX) >= 0 && host_ctxs[fd - FD_CTX]))
		*err = -EBADFD;
	else
		*err = -EBADF;
	pthread_mutex_unlock(&host_lock);
	return file;
}

static struct uiommufd_file *host_file_get(void *opaque, int fd, int *err)
{
	(void)opaque;
	return host_file_get_err(fd, err);
}

static const struct uiommufd_host_ops host_ops = {
	.ctx_get = host_ctx_get,
	.file_get = host_file_get,
};

static int add_slot(void **table, void *p, int base)
{
	int i;

	pthread_mutex_lock(&host_lock);
	for (i = 0; i < NR_SLOTS && table[i]; i++)
		;
	if (i < NR_SLOTS)
		table[i] = p;
	pthread_mutex_unlock(&host_lock);
	return i < NR_SLOTS ? base + i : -EMFILE;
}

static void *take_slot(void **table, int fd, int base)
{
	int i = slot_of(fd, base);
	void *p = NULL;

	pthread_mutex_lock(&host_lock);
	if (i >= 0) {
		p = table[i];
		table[i] = NULL;
	}
	pthread_mutex_unlock(&host_lock);
	return p;
}

/* A context the library may resolve from its fd; the table holds no
 * reference: remove it before closing the context. */
static int host_add_ctx(struct uiommufd_ctx *ctx)
{
	int fd = add_slot((void **)host_ctxs, ctx, FD_CTX);

	assert_true(fd >= FD_CTX);
	return fd;
}

static void host_del_ctx(int fd)
{
	take_slot((void **)host_ctxs, fd, FD_CTX);
}

static int host_add_file(struct uiommufd_file *file)
{
	int fd = add_slot((void **)host_files, file, FD_FILE);

	assert_true(fd >= FD_FILE);
	return fd;
}

static void host_del_file(int fd)
{
	take_slot((void **)host_files, fd, FD_FILE);
}

/* fd ops: the files GET_DEVICE_FD makes land in inst_files. */
static int inst_install(void *opaque, struct uiommufd_file *file)
{
	(void)opaque;
	return add_slot((void **)inst_files, file, FD_INST);
}

static void inst_discard(void *opaque, int fd)
{
	(void)opaque;
	uiommufd_file_put(take_slot((void **)inst_files, fd, FD_INST));
}

static struct uiommufd_file *inst_get(void *opaque, int fd)
{
	int err;

	(void)opaque;
	return host_file_get_err(fd, &err);
}

static const struct uiommufd_fd_ops inst_ops = {
	.install = inst_install,
	.discard = inst_discard,
	.get = inst_get,
};

/* The file behind an installed fd (borrowed: the fd owns it). */
static struct uiommufd_file *inst_file(int fd)
{
	int i = slot_of(fd, FD_INST);

	assert_true(i >= 0);
	assert_non_null(inst_files[i]);
	return inst_files[i];
}

/* close() of an installed fd. */
static void inst_close(int fd)
{
	struct uiommufd_file *file =
		take_slot((void **)inst_files, fd, FD_INST);

	assert_non_null(file);
	uiommufd_file_put(file);
}

/* ---- devices and files -------------------------------------------------- */

struct tdev {
	struct uiommufd_pci_dev *dev;
	char name[16];
	unsigned int group, index, bus;
};

/* A registered edu of its own, on a bus of its own: 0000:BB:00.0. */
static void new_edu(struct tdev *t)
{
	static unsigned int next_bus = 0x40;
	struct uiommufd_pci_dev_desc desc;
	unsigned int n;

	t->bus = next_bus++;
	snprintf(t->name, sizeof(t->name), "0000:%02x:00.0", t->bus);
	t->dev = uiommufd_edu_create(t->name);
	assert_non_null(t->dev);
	assert_int_equal(uiommufd_pci_dev_register(t->dev), 0);
	for (n = 0; !uiommufd_pci_dev_describe(n, &desc); n++)
		if (!strcmp(desc.name, t->name))
			break;
	assert_string_equal(desc.name, t->name);
	t->group = desc.group;
	t->index = desc.index;
}

/* ioctl(2) on a library file: 0 (or the fd it made) or the errno. */
static int fioctl(struct uiommufd_file *f, unsigned long req, void *arg)
{
	int rc;

	errno = 0;
	rc = uiommufd_file_ioctl(f, req, arg);
	if (rc >= 0)
		return 0;
	return errno ? errno : -1;
}

/* pread/pwrite: bytes moved or -errno. */
static ssize_t frw(struct uiommufd_file *f, void *buf, size_t n, uint64_t off,
		   bool write)
{
	ssize_t rc;

	errno = 0;
	rc = uiommufd_file_rw(f, buf, n, off, write);
	return rc < 0 ? -(ssize_t)errno : rc;
}

static uint32_t rd32(struct uiommufd_file *f, uint64_t off)
{
	uint32_t v = 0;

	assert_int_equal(frw(f, &v, 4, off, false), 4);
	return v;
}

static void wr32(struct uiommufd_file *f, uint64_t off, uint32_t v)
{
	assert_int_equal(frw(f, &v, 4, off, true), 4);
}

static uint64_t rd64(struct uiommufd_file *f, uint64_t off)
{
	uint64_t v = 0;

	assert_int_equal(frw(f, &v, 8, off, false), 8);
	return v;
}

static void wr64(struct uiommufd_file *f, uint64_t off, uint64_t v)
{
	assert_int_equal(frw(f, &v, 8, off, true), 8);
}

static uint16_t cfg_rd16(struct uiommufd_file *f, unsigned int off)
{
	uint16_t v = 0;

	assert_int_equal(frw(f, &v, 2, CFG + off, false), 2);
	return v;
}

static void cfg_wr16(struct uiommufd_file *f, unsigned int off, uint16_t v)
{
	assert_int_equal(frw(f, &v, 2, CFG + off, true), 2);
}

static void cfg_wr8(struct uiommufd_file *f, unsigned int off, uint8_t v)
{
	assert_int_equal(frw(f, &v, 1, CFG + off, true), 1);
}

static void bus_master(struct uiommufd_file *f, bool on)
{
	uint16_t cmd = cfg_rd16(f, PCI_COMMAND);

	cfg_wr16(f, PCI_COMMAND,
		 on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER);
}

/* An edu DMA through the device fd: program, start, wait for the busy bit
 * to clear (5 s at most). No asserts: threads use it too. */
static bool edu_dma_try(struct uiommufd_file *f, uint64_t src, uint64_t dst,
			uint64_t cnt, uint32_t cmd)
{
	uint32_t c = cmd | DMA_RUN;
	int i;

	if (frw(f, &src, 8, EDU_DMA_SRC, true) != 8 ||
	    frw(f, &dst, 8, EDU_DMA_DST, true) != 8 ||
	    frw(f, &cnt, 8, EDU_DMA_CNT, true) != 8 ||
	    frw(f, &c, 4, EDU_DMA_CMD, true) != 4)
		return false;
	for (i = 0; i < 50000; i++) {
		if (frw(f, &c, 4, EDU_DMA_CMD, false) != 4)
			return false;
		if (!(c & DMA_RUN))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 100000 }, NULL);
	}
	return false;
}

static void edu_dma(struct uiommufd_file *f, uint64_t src, uint64_t dst,
		    uint64_t cnt, uint32_t cmd)
{
	assert_true(edu_dma_try(f, src, dst, cnt, cmd));
}

static int bind(struct uiommufd_file *f, int fd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = {
		.argsz = sizeof(b),
		.iommufd = fd,
	};
	int rc = fioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b);

	if (devid)
		*devid = rc ? 0 : b.out_devid;
	return rc;
}

static int attach(struct uiommufd_file *f, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a),
		.pt_id = *pt_id,
	};
	int rc = fioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	if (!rc)
		*pt_id = a.pt_id;
	return rc;
}

static int detach(struct uiommufd_file *f)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	return fioctl(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static int set_irqs(struct uiommufd_file *f, uint32_t flags, uint32_t index,
		    uint32_t start, uint32_t count, const void *data,
		    size_t len)
{
	uint32_t buf[32] = { 0 };
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	assert_true(sizeof(*s) + len <= sizeof(buf));
	s->argsz = (uint32_t)(sizeof(*s) + len);
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (len)
		memcpy(s->data, data, len);
	return fioctl(f, VFIO_DEVICE_SET_IRQS, s);
}

static int set_eventfd(struct uiommufd_file *f, uint32_t index, int32_t fd)
{
	return set_irqs(f, D_EVENTFD | TRIGGER, index, 0, 1, &fd, sizeof(fd));
}

static int irq_none(struct uiommufd_file *f, uint32_t action, uint32_t index,
		    uint32_t count)
{
	return set_irqs(f, D_NONE | action, index, 0, count, NULL, 0);
}

static int irq_bool(struct uiommufd_file *f, uint32_t action, uint32_t index,
		    uint8_t val)
{
	return set_irqs(f, D_BOOL | action, index, 0, 1, &val, 1);
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* How many signals an eventfd got since last asked. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static unsigned int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/* A device bound through its cdev to a context of its own. */
struct env {
	struct tdev t;
	struct uiommufd_ctx *ctx;
	int ctx_fd;
	struct uiommufd_file *f;
	uint32_t devid;
};

static void env_open(struct env *e)
{
	new_edu(&e->t);
	e->ctx = uiommufd_open();
	assert_non_null(e->ctx);
	e->ctx_fd = host_add_ctx(e->ctx);
	assert_int_equal(uiommufd_vfio_cdev_open(e->t.index, &e->f), 0);
	assert_int_equal(bind(e->f, e->ctx_fd, &e->devid), 0);
	assert_true(e->devid > 0);
}

static void env_close(struct env *e)
{
	uiommufd_file_put(e->f);
	host_del_ctx(e->ctx_fd);
	uiommufd_close(e->ctx);
}

/* ... plus an IOAS mapping 4 pages of @mem at IOVA (the last one
 * read-only), the device attached to it, bus mastering on. */
static uint32_t env_dma(struct env *e, uint8_t **mem)
{
	uint32_t ioas, pt;

	env_open(e);
	*mem = test_buffer(4 * PAGE, PROT_READ | PROT_WRITE);
	memset(*mem, 0, 4 * PAGE);
	assert_int_equal(ioas_alloc(e->ctx, &ioas), 0);
	assert_int_equal(ioas_map_fixed(e->ctx, ioas, *mem, 3 * PAGE, IOVA), 0);
	{
		uint64_t iova = IOVA + 3 * PAGE;

		assert_int_equal(ioas_map(e->ctx, ioas, *mem + 3 * PAGE, PAGE,
					  &iova,
					  IOMMU_IOAS_MAP_READABLE |
						  IOMMU_IOAS_MAP_FIXED_IOVA),
				 0);
	}
	pt = ioas;
	assert_int_equal(attach(e->f, &pt), 0);
	bus_master(e->f, true);
	return ioas;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

/* ---- the cdev path ------------------------------------------------------ */

/* Until BIND_IOMMUFD succeeds a cdev file answers nothing but EINVAL. */
static void cdev_before_bind(void **state)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info rinfo = { .argsz = sizeof(rinfo) };
	struct vfio_device_feature feat = { .argsz = sizeof(feat) };
	struct uiommufd_file *f, *none = NULL;
	uint64_t moff;
	uint32_t v = 0, pt = 1;
	struct tdev t;
	int mfd;

	(void)state;
	new_edu(&t);
	assert_int_equal(uiommufd_vfio_cdev_open(100000, &none), -ENODEV);
	assert_null(none);
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f), 0);
	assert_int_equal(uiommufd_file_kind(f), UIOMMUFD_FILE_VFIO_DEVICE);

	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_REGION_INFO, &rinfo),
			 EINVAL);
	assert_int_equal(fioctl(f, VFIO_DEVICE_RESET, NULL), EINVAL);
	assert_int_equal(fioctl(f, VFIO_DEVICE_FEATURE, &feat), EINVAL);
	assert_int_equal(irq_none(f, TRIGGER, INTX, 1), EINVAL);
	assert_int_equal(attach(f, &pt), EINVAL);
	assert_int_equal(detach(f), EINVAL);
	/* Even an ioctl nobody knows, and with a bad pointer. */
	assert_int_equal(fioctl(f, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL),
			 EINVAL);
	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_INFO, test_hole(PAGE)),
			 EINVAL);
	assert_int_equal(frw(f, &v, 4, EDU_ID, false), -EINVAL);
	assert_int_equal(frw(f, &v, 4, EDU_LIVENESS, true), -EINVAL);
	assert_int_equal(frw(f, &v, 4, CFG, false), -EINVAL);
	errno = 0;
	assert_int_equal(
		uiommufd_file_mmap(f, 0, PAGE, MAP_SHARED, &mfd, &moff), -1);
	assert_int_equal(errno, EINVAL);
	uiommufd_file_put(f);
}

static void cdev_bind(void **state)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_device_bind_iommufd b;
	struct uiommufd_file *f, *f2, *g;
	struct uiommufd_ctx *ctx, *ctx2;
	struct tdev t;
	uint32_t devid;
	int fd, fd2;

	(void)state;
	new_edu(&t);
	ctx = uiommufd_open();
	ctx2 = uiommufd_open();
	fd = host_add_ctx(ctx);
	fd2 = host_add_ctx(ctx2);
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f), 0);

	b = (struct vfio_device_bind_iommufd){ .argsz = 15, .iommufd = fd };
	assert_int_equal(fioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	b = (struct vfio_device_bind_iommufd){ .argsz = 16,
					       .flags = 1,
					       .iommufd = fd };
	assert_int_equal(fioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	b = (struct vfio_device_bind_iommufd){ .argsz = 16, .iommufd = -1 };
	assert_int_equal(fioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	assert_int_equal(fioctl(f, VFIO_DEVICE_BIND_IOMMUFD, test_hole(PAGE)),
			 EFAULT);
	assert_int_equal(bind(f, FD_NONE, NULL), EBADF);
	assert_int_equal(bind(f, FD_NOT_IOMMUFD, NULL), EBADFD);
	/* None of that bound it. */
	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_INFO, &info), EINVAL);

	/* out_devid cannot be written back: EFAULT, and the device is
	 * closed again. */
	{
		struct vfio_device_bind_iommufd *ro;

		ro = test_buffer(PAGE, PROT_READ | PROT_WRITE);
		*ro = (struct vfio_device_bind_iommufd){ .argsz = sizeof(*ro),
							 .iommufd = fd };
		assert_int_equal(mprotect(ro, PAGE, PROT_READ), 0);
		assert_int_equal(fioctl(f, VFIO_DEVICE_BIND_IOMMUFD, ro),
				 EFAULT);
		munmap(ro, PAGE);
		assert_int_equal(fioctl(f, VFIO_DEVICE_GET_INFO, &info),
				 EINVAL);
	}

	assert_int_equal(bind(f, fd, &devid), 0);
	assert_true(devid > 0);
	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_INFO, &info), 0);
	/* The device object is the binder's: IOMMU_DESTROY cannot take it. */
	assert_int_equal(object_destroy(ctx, devid), EBUSY);
	{
		struct iommu_hw_info hw = { .size = sizeof(hw),
					    .dev_id = devid };

		assert_ok(ctx, IOMMU_GET_HW_INFO, &hw);
	}

	/* Bound once and for all: EINVAL before the fd is even looked at. */
	assert_int_equal(bind(f, fd, NULL), EINVAL);
	assert_int_equal(bind(f, fd2, NULL), EINVAL);
	assert_int_equal(bind(f, FD_NONE, NULL), EINVAL);

	/* A second cdev file opens, but cannot bind: one user via cdev. */
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f2), 0);
	assert_int_equal(bind(f2, fd, NULL), EINVAL);
	assert_int_equal(bind(f2, fd2, NULL), EINVAL);
	assert_int_equal(fioctl(f2, VFIO_DEVICE_GET_INFO, &info), EINVAL);

	/* The group cannot be opened while the cdev is bound. */
	assert_int_equal(uiommufd_vfio_group_open(t.group, &g), -EBUSY);

	/* Closing the unbound file changes nothing; closing the bound one
	 * frees the device for f2 and, once f2 is gone, for the group. */
	uiommufd_file_put(f2);
	assert_int_equal(uiommufd_vfio_group_open(t.group, &g), -EBUSY);
	uiommufd_file_put(f);
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f2), 0);
	assert_int_equal(bind(f2, fd2, &devid), 0);
	assert_int_equal(uiommufd_vfio_group_open(t.group, &g), -EBUSY);
	uiommufd_file_put(f2);
	assert_int_equal(uiommufd_vfio_group_open(t.group, &g), 0);
	uiommufd_file_put(g);

	host_del_ctx(fd);
	host_del_ctx(fd2);
	uiommufd_close(ctx);
	uiommufd_close(ctx2);
}

/* While the group is open no cdev file of its device can bind. */
static void cdev_bind_while_group_open(void **state)
{
	struct uiommufd_file *f, *g;
	struct uiommufd_ctx *ctx;
	struct tdev t;
	int fd;

	(void)state;
	new_edu(&t);
	ctx = uiommufd_open();
	fd = host_add_ctx(ctx);
	assert_int_equal(uiommufd_vfio_group_open(t.group, &g), 0);
	/* Opening the cdev is fine; binding it is not. */
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f), 0);
	assert_int_equal(bind(f, fd, NULL), EBUSY);
	/* The group check comes before the fd lookup. */
	assert_int_equal(bind(f, FD_NONE, NULL), EBUSY);
	uiommufd_file_put(g);
	assert_int_equal(bind(f, fd, NULL), 0);
	uiommufd_file_put(f);
	host_del_ctx(fd);
	uiommufd_close(ctx);
}

static void cdev_attach_detach(void **state)
{
	struct vfio_device_attach_iommufd_pt a;
	struct vfio_device_detach_iommufd_pt d;
	uint32_t ioas, ioas2, ioas3, pt, hwpt1, hwpt2;
	struct iommu_hwpt_alloc halloc;
	struct env e;

	(void)state;
	env_open(&e);
	assert_int_equal(ioas_alloc(e.ctx, &ioas), 0);
	assert_int_equal(ioas_alloc(e.ctx, &ioas2), 0);

	/* Bad requests. */
	a = (struct vfio_device_attach_iommufd_pt){ .argsz = 11,
						    .pt_id = ioas };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a),
			 EINVAL);
	a = (struct vfio_device_attach_iommufd_pt){ .argsz = sizeof(a),
						    .flags = 1,
						    .pt_id = ioas };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a),
			 EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				test_hole(PAGE)),
			 EFAULT);
	pt = 9999;
	assert_int_equal(attach(e.f, &pt), ENOENT);
	pt = e.devid; /* an object, but no page table */
	assert_int_equal(attach(e.f, &pt), EINVAL);
	d = (struct vfio_device_detach_iommufd_pt){ .argsz = 7 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d),
			 EINVAL);
	d = (struct vfio_device_detach_iommufd_pt){ .argsz = sizeof(d),
						    .flags = 1 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d),
			 EINVAL);
	/* Detaching what is not attached is fine. */
	assert_int_equal(detach(e.f), 0);
	/* pt_id cannot be written back: EFAULT, and detached again (the
	 * automatic domain gone with it, so the IOAS can go). */
	{
		struct vfio_device_attach_iommufd_pt *ro;
		uint32_t tmp;

		ro = test_buffer(PAGE, PROT_READ | PROT_WRITE);
		*ro = (struct vfio_device_attach_iommufd_pt){
			.argsz = sizeof(*ro),
			.pt_id = ioas2,
		};
		assert_int_equal(mprotect(ro, PAGE, PROT_READ), 0);
		assert_int_equal(fioctl(e.f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ro),
				 EFAULT);
		munmap(ro, PAGE);
		assert_int_equal(object_destroy(e.ctx, ioas2), 0);
		assert_int_equal(ioas_alloc(e.ctx, &ioas2), 0);
		/* A second attach is a fresh one, not a replace. */
		tmp = ioas2;
		assert_int_equal(attach(e.f, &tmp), 0);
		assert_int_equal(detach(e.f), 0);
	}

	/* To an IOAS: an automatic domain, whose HWPT ID comes back. */
	pt = ioas;
	assert_int_equal(attach(e.f, &pt), 0);
	assert_int_not_equal(pt, ioas);
	hwpt1 = pt;
	assert_int_equal(object_destroy(e.ctx, ioas), EBUSY);
	assert_int_equal(object_destroy(e.ctx, hwpt1), EBUSY);
	/* Again to the same IOAS: the same domain. */
	pt = ioas;
	assert_int_equal(attach(e.f, &pt), 0);
	assert_int_equal(pt, hwpt1);
	/* Replace to another IOAS: a new domain; the old one goes. */
	pt = ioas2;
	assert_int_equal(attach(e.f, &pt), 0);
	hwpt2 = pt;
	assert_int_not_equal(hwpt2, ioas2);
	assert_int_not_equal(hwpt2, hwpt1);
	assert_int_equal(object_destroy(e.ctx, ioas), 0);
	/* A failed replace leaves it where it was. */
	pt = 9999;
	assert_int_equal(attach(e.f, &pt), ENOENT);
	assert_int_equal(object_destroy(e.ctx, ioas2), EBUSY);
	assert_int_equal(detach(e.f), 0);
	assert_int_equal(detach(e.f), 0);
	assert_int_equal(object_destroy(e.ctx, ioas2), 0);

	/* To a HWPT of our own: its ID stays. */
	assert_int_equal(ioas_alloc(e.ctx, &ioas3), 0);
	halloc = (struct iommu_hwpt_alloc){ .size = sizeof(halloc),
					    .dev_id = e.devid,
					    .pt_id = ioas3 };
	assert_ok(e.ctx, IOMMU_HWPT_ALLOC, &halloc);
	pt = halloc.out_hwpt_id;
	assert_int_equal(attach(e.f, &pt), 0);
	assert_int_equal(pt, halloc.out_hwpt_id);
	assert_int_equal(object_destroy(e.ctx, pt), EBUSY);
	assert_int_equal(detach(e.f), 0);
	assert_int_equal(object_destroy(e.ctx, pt), 0);
	assert_int_equal(object_destroy(e.ctx, ioas3), 0);
	env_close(&e);
}

/*
 * Closing the device file unbinds it: it can be bound again, and is back
 * to its state at open. A context closed while a device is bound lives on
 * until the device lets go (no leak: run under ASan).
 */
static void cdev_close_releases(void **state)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct uiommufd_file *f, *g;
	struct uiommufd_ctx *ctx;
	uint32_t ioas, pt, devid;
	struct tdev t;
	uint8_t *mem;
	int fd;

	(void)state;
	new_edu(&t);
	ctx = uiommufd_open();
	fd = host_add_ctx(ctx);
	mem = test_buffer(2 * PAGE, PROT_READ | PROT_WRITE);
	fill(mem, PAGE, 3);
	memset(mem + PAGE, 0, PAGE);
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f), 0);
	assert_int_equal(bind(f, fd, &devid), 0);
	assert_int_equal(ioas_alloc(ctx, &ioas), 0);
	assert_int_equal(ioas_map_fixed(ctx, ioas, mem, 2 * PAGE, IOVA), 0);
	pt = ioas;
	assert_int_equal(attach(f, &pt), 0);
	bus_master(f, true);
	wr32(f, EDU_LIVENESS, 0);

	/* The program closes the iommufd first: the device keeps it. */
	host_del_ctx(fd);
	uiommufd_close(ctx);
	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(rd32(f, EDU_LIVENESS), 0xffffffff);
	edu_dma(f, IOVA, EDU_BUF, PAGE, 0);
	edu_dma(f, EDU_BUF, IOVA + PAGE, PAGE, DMA_TO_RAM);
	assert_memory_equal(mem + PAGE, mem, PAGE);
	/* The last reference: the context goes with the device file. */
	uiommufd_file_put(f);
	munmap(mem, 2 * PAGE);

	/* Bound again, to a new context; reset, decoding on, no master. */
	ctx = uiommufd_open();
	fd = host_add_ctx(ctx);
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f), 0);
	assert_int_equal(bind(f, fd, &devid), 0);
	assert_int_equal(rd32(f, EDU_LIVENESS), 0);
	assert_int_equal(cfg_rd16(f, PCI_COMMAND) &
				 (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
			 PCI_COMMAND_MEMORY);
	uiommufd_file_put(f);
	assert_int_equal(uiommufd_vfio_group_open(t.group, &g), 0);
	uiommufd_file_put(g);
	host_del_ctx(fd);
	uiommufd_close(ctx);
}

/* ---- info ---------------------------------------------------------------- */

static void device_info(void **state)
{
	struct vfio_device_info info;
	struct env e;

	(void)state;
	env_open(&e);
	memset(&info, 0xa5, sizeof(info));
	info.argsz = 15;
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_INFO, test_hole(PAGE)),
			 EFAULT);
	/* 16 bytes: num_irqs is the last one written. */
	info.argsz = 16;
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.argsz, 16);
	assert_int_equal(info.flags,
			 VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(info.num_regions, 9);
	assert_int_equal(info.num_irqs, 5);
	assert_int_equal(info.cap_offset, 0xa5a5a5a5);
	memset(&info, 0xa5, sizeof(info));
	info.argsz = sizeof(info);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.flags,
			 VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(info.num_regions, 9);
	assert_int_equal(info.num_irqs, 5);
	assert_int_equal(info.cap_offset, 0); /* no capabilities */
	env_close(&e);
}

static void region_info(void **state)
{
	struct vfio_region_info info;
	struct env e;
	uint32_t i;

	(void)state;
	env_open(&e);
	info = (struct vfio_region_info){ .argsz = sizeof(info) - 1 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_REGION_INFO, &info),
			 EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_REGION_INFO,
				test_hole(PAGE)),
			 EFAULT);
	for (i = 0; i <= 9; i++) {
		memset(&info, 0xa5, sizeof(info));
		info.argsz = sizeof(info);
		info.index = i;
		if (i == VFIO_PCI_VGA_REGION_INDEX || i == 9) {
			assert_int_equal(
				fioctl(e.f, VFIO_DEVICE_GET_REGION_INFO, &info),
				EINVAL);
			continue;
		}
		assert_int_equal(
			fioctl(e.f, VFIO_DEVICE_GET_REGION_INFO, &info), 0);
		assert_int_equal(info.index, i);
		assert_int_equal(info.offset, REGION(i));
		assert_int_equal(info.cap_offset, 0xa5a5a5a5);
		switch (i) {
		case VFIO_PCI_BAR0_REGION_INDEX:
			/* Trapped MMIO: no mmap. */
			assert_int_equal(info.size, MIB);
			assert_int_equal(info.flags,
					 VFIO_REGION_INFO_FLAG_READ |
						 VFIO_REGION_INFO_FLAG_WRITE);
			break;
		case VFIO_PCI_CONFIG_REGION_INDEX:
			assert_int_equal(info.size, 256);
			assert_int_equal(info.flags,
					 VFIO_REGION_INFO_FLAG_READ |
						 VFIO_REGION_INFO_FLAG_WRITE);
			break;
		default: /* BAR1-5 and the ROM: there is none */
			assert_int_equal(info.size, 0);
			assert_int_equal(info.flags, 0);
		}
	}
	env_close(&e);
}

static void irq_info(void **state)
{
	static const struct {
		uint32_t flags, count;
	} want[] = {
		[INTX] = { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
				   VFIO_IRQ_INFO_AUTOMASKED,
			   1 },
		[MSI] = { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1 },
		[MSIX] = { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 0 },
		[REQ] = { VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1 },
	};
	struct vfio_irq_info info;
	struct env e;
	uint32_t i;

	(void)state;
	env_open(&e);
	info = (struct vfio_irq_info){ .argsz = sizeof(info) - 1 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_IRQ_INFO, &info), EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_IRQ_INFO, test_hole(PAGE)),
			 EFAULT);
	for (i = 0; i <= 5; i++) {
		info = (struct vfio_irq_info){ .argsz = sizeof(info),
					       .index = i };
		if (i == VFIO_PCI_ERR_IRQ_INDEX || i == 5) {
			/* ERR only for PCI Express functions. */
			assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_IRQ_INFO,
						&info),
					 EINVAL);
			continue;
		}
		assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_IRQ_INFO, &info),
				 0);
		assert_int_equal(info.index, i);
		assert_int_equal(info.flags, want[i].flags);
		assert_int_equal(info.count, want[i].count);
	}
	env_close(&e);
}

/* VFIO_DEVICE_FEATURE's own checks; edu has no feature at all. */
static void device_feature(void **state)
{
	struct vfio_device_feature ft;
	struct env e;

	(void)state;
	env_open(&e);
	ft = (struct vfio_device_feature){ .argsz = 7 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_FEATURE, &ft), EINVAL);
	ft = (struct vfio_device_feature){ .argsz = 8, .flags = 1U << 19 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_FEATURE, &ft), EINVAL);
	ft = (struct vfio_device_feature){
		.argsz = 8,
		.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET | 1,
	};
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_FEATURE, &ft), EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_FEATURE, test_hole(PAGE)),
			 EFAULT);
	/* Migration (1), dirty tracking (6): not supported. */
	ft = (struct vfio_device_feature){
		.argsz = 8,
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_SET | 1,
	};
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_FEATURE, &ft), ENOTTY);
	ft.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET | 6;
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_FEATURE, &ft), ENOTTY);
	/* vfio-pci answers ENOTTY to ioctls it does not know. */
	assert_int_equal(fioctl(e.f, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL),
			 ENOTTY);
	env_close(&e);
}

/* ---- SET_IRQS -------------------------------------------------------------- */

static void set_irqs_validation(void **state)
{
	uint32_t buf[16] = { 0 };
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	int pipefd[2], closed_fd, efd;
	uint8_t *pages;
	struct env e;

	(void)state;
	env_open(&e);
	efd = new_eventfd();

	/* argsz below the header. */
	*s = (struct vfio_irq_set){ .argsz = sizeof(*s) - 1,
				    .flags = D_NONE | TRIGGER,
				    .index = INTX,
				    .count = 1 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_SET_IRQS, s), EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_SET_IRQS, test_hole(PAGE)),
			 EFAULT);
	/* Index out of range; ERR (no vectors on conventional PCI). */
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, 5, 0, 1, NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, VFIO_PCI_ERR_IRQ_INDEX,
				  0, 0, NULL, 0),
			 EINVAL);
	/* Start and count beyond the vectors; MSI-X has none. */
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, INTX, 1, 0, NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, INTX, 0, 2, NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, MSI, 1, 0, NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, MSIX, 0, 0, NULL, 0),
			 EINVAL);
	/* Two data types, none, unknown flags. */
	assert_int_equal(set_irqs(e.f, D_NONE | D_BOOL | TRIGGER, INTX, 0, 1,
				  "\1", 1),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_BOOL | D_EVENTFD | TRIGGER, INTX, 0, 1,
				  &efd, 4),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, TRIGGER, INTX, 0, 1, NULL, 0), EINVAL);
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER | (1U << 6), INTX, 0, 1,
				  NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER | (1U << 31), INTX, 0,
				  1, NULL, 0),
			 EINVAL);
	/* start + count overflowing. */
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, INTX, 0, UINT32_MAX,
				  NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_NONE | TRIGGER, INTX, 1,
				  UINT32_MAX - 1, NULL, 0),
			 EINVAL);
	/* argsz without room for the data. */
	assert_int_equal(set_irqs(e.f, D_EVENTFD | TRIGGER, INTX, 0, 1, NULL,
				  0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_BOOL | TRIGGER, INTX, 0, 1, NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_EVENTFD | TRIGGER, INTX, 0, 1, &efd,
				  3),
			 EINVAL);
	/* The data in a page that is not there. */
	pages = test_buffer(2 * PAGE, PROT_READ | PROT_WRITE);
	munmap(pages + PAGE, PAGE);
	s = (struct vfio_irq_set *)(pages + PAGE - sizeof(*s));
	*s = (struct vfio_irq_set){ .argsz = sizeof(*s) + 4,
				    .flags = D_EVENTFD | TRIGGER,
				    .index = INTX,
				    .count = 1 };
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_SET_IRQS, s), EFAULT);
	munmap(pages, PAGE);

	/* No such action for the index (or several at once): ENOTTY. */
	assert_int_equal(irq_none(e.f, MASK, MSI, 1), ENOTTY);
	assert_int_equal(irq_none(e.f, UNMASK, MSI, 1), ENOTTY);
	assert_int_equal(irq_none(e.f, MASK, REQ, 1), ENOTTY);
	assert_int_equal(irq_none(e.f, MASK | UNMASK, INTX, 1), ENOTTY);
	assert_int_equal(irq_none(e.f, MASK | TRIGGER, INTX, 1), ENOTTY);
	assert_int_equal(irq_none(e.f, 0, INTX, 1), ENOTTY);

	/* INTx not enabled: mask, unmask and loopback refuse. */
	assert_int_equal(irq_none(e.f, MASK, INTX, 1), EINVAL);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 1), EINVAL);
	assert_int_equal(irq_bool(e.f, TRIGGER, INTX, 1), EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 1), EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 0), EINVAL);

	/* Not an eventfd: EINVAL; not an fd: EBADF. */
	assert_int_equal(pipe(pipefd), 0);
	closed_fd = dup(pipefd[0]);
	assert_true(closed_fd >= 0);
	close(closed_fd);
	assert_int_equal(set_eventfd(e.f, INTX, pipefd[0]), EINVAL);
	assert_int_equal(set_eventfd(e.f, INTX, closed_fd), EBADF);
	assert_int_equal(set_eventfd(e.f, MSI, pipefd[1]), EINVAL);
	assert_int_equal(set_eventfd(e.f, MSI, closed_fd), EBADF);
	assert_int_equal(set_eventfd(e.f, REQ, pipefd[0]), EINVAL);
	assert_int_equal(set_eventfd(e.f, REQ, closed_fd), EBADF);
	close(pipefd[0]);
	close(pipefd[1]);
	/* None of it enabled anything: MSI then INTx both come up. */
	assert_int_equal(set_eventfd(e.f, MSI, efd), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 0), 0);
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);
	assert_int_equal(efd_take(efd), 0);
	close(efd);
	env_close(&e);
}

/*
 * INTx is a level, automasked: one signal per assertion, none while
 * masked; unmasking a still-asserted line signals again at once.
 */
static void intx_eventfd(void **state)
{
	unsigned int nr_fds = count_fds();
	int efd, efd2;
	struct env e;

	(void)state;
	env_open(&e);
	efd = new_eventfd();
	efd2 = new_eventfd();
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	assert_int_equal(efd_take(efd), 0);

	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 1);
	assert_true(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	/* Raised again while masked: nothing. */
	wr32(e.f, EDU_IRQ_RAISE, 2);
	assert_int_equal(efd_take(efd), 0);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 3);
	/* Unmask with the line still up: signalled again. */
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	assert_int_equal(irq_bool(e.f, UNMASK, INTX, 0), 0); /* a no-op */
	assert_int_equal(efd_take(efd), 0);
	/* Acknowledge, then unmask: the line is down, no signal. */
	wr32(e.f, EDU_IRQ_ACK, 3);
	assert_false(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	assert_int_equal(irq_bool(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 0);
	/* Unmasked now: the next assertion signals. */
	wr32(e.f, EDU_IRQ_RAISE, 4);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 4);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 0);

	/* Masked by the program: held until unmasked. */
	assert_int_equal(irq_none(e.f, MASK, INTX, 1), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 0);
	assert_int_equal(irq_bool(e.f, MASK, INTX, 1), 0);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 1);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	/* MASK with a false bool does nothing. */
	assert_int_equal(irq_bool(e.f, MASK, INTX, 0), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 1);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	/* Mask on an eventfd is not implemented; unmask's stops with -1. */
	assert_int_equal(set_irqs(e.f, D_EVENTFD | MASK, INTX, 0, 1, &efd, 4),
			 ENOTTY);
	{
		int32_t none = -1;

		assert_int_equal(set_irqs(e.f, D_EVENTFD | UNMASK, INTX, 0, 1,
					  &none, 4),
				 0);
	}

	/* Another eventfd replaces the first. */
	assert_int_equal(set_eventfd(e.f, INTX, efd2), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd2), 1);
	assert_int_equal(efd_take(efd), 0);
	wr32(e.f, EDU_IRQ_ACK, 1);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	/* Disabled: nothing anywhere. */
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd2), 0);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), EINVAL);
	wr32(e.f, EDU_IRQ_ACK, 1);

	/* Closing the device drops the duplicates it kept. */
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	assert_int_equal(set_eventfd(e.f, REQ, efd2), 0);
	env_close(&e);
	close(efd);
	close(efd2);
	assert_int_equal(count_fds(), nr_fds);
}

/* DATA_NONE / DATA_BOOL triggers signal the eventfd (loopback test). */
static void irq_loopback(void **state)
{
	int efd, efd2;
	int32_t fd;
	struct env e;

	(void)state;
	env_open(&e);
	efd = new_eventfd();
	efd2 = new_eventfd();
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	assert_int_equal(irq_bool(e.f, TRIGGER, INTX, 1), 0);
	assert_int_equal(irq_bool(e.f, TRIGGER, INTX, 0), 0);
	assert_int_equal(efd_take(efd), 1);
	/* Whatever the mask. */
	assert_int_equal(irq_none(e.f, MASK, INTX, 1), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);

	/* REQ: one eventfd, loopback, off with count 0 or fd -1. */
	assert_int_equal(irq_none(e.f, TRIGGER, REQ, 1), EINVAL); /* none */
	assert_int_equal(set_eventfd(e.f, REQ, efd2), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, REQ, 1), 0);
	assert_int_equal(irq_bool(e.f, TRIGGER, REQ, 1), 0);
	assert_int_equal(irq_bool(e.f, TRIGGER, REQ, 0), 0);
	assert_int_equal(efd_take(efd2), 2);
	assert_int_equal(set_irqs(e.f, D_BOOL | TRIGGER, REQ, 0, 0, NULL, 0),
			 EINVAL);
	assert_int_equal(set_irqs(e.f, D_EVENTFD | TRIGGER, REQ, 0, 0, NULL, 0),
			 EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, REQ, 0), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, REQ, 1), EINVAL);
	assert_int_equal(set_eventfd(e.f, REQ, efd2), 0);
	fd = -2;
	assert_int_equal(set_eventfd(e.f, REQ, fd), EINVAL);
	fd = -1;
	assert_int_equal(set_eventfd(e.f, REQ, fd), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, REQ, 1), EINVAL);
	assert_int_equal(efd_take(efd2), 0);
	close(efd);
	close(efd2);
	env_close(&e);
}

/* One interrupt type at a time: INTx off before MSI comes on. */
static void intx_then_msi(void **state)
{
	int efd_i, efd_m;
	struct env e;

	(void)state;
	env_open(&e);
	bus_master(e.f, true); /* for MSI */
	efd_i = new_eventfd();
	efd_m = new_eventfd();
	assert_int_equal(set_eventfd(e.f, INTX, efd_i), 0);
	assert_int_equal(set_eventfd(e.f, MSI, efd_m), EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 0), EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);

	assert_int_equal(set_eventfd(e.f, MSI, efd_m), 0);
	/* Edge-like: one message per raise, nothing on the INTx one. */
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd_m), 1);
	wr32(e.f, EDU_IRQ_RAISE, 2);
	assert_int_equal(efd_take(efd_m), 1);
	assert_int_equal(efd_take(efd_i), 0);
	assert_false(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	wr32(e.f, EDU_IRQ_ACK, 3);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 0);
	/* INTx while MSI is on: refused, disabling it too. */
	assert_int_equal(set_eventfd(e.f, INTX, efd_i), EINVAL);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), EINVAL);
	assert_int_equal(irq_none(e.f, MASK, INTX, 1), EINVAL);
	/* MSI loopback. */
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 1), 0);
	assert_int_equal(irq_bool(e.f, TRIGGER, MSI, 1), 0);
	assert_int_equal(irq_bool(e.f, TRIGGER, MSI, 0), 0);
	assert_int_equal(efd_take(efd_m), 2);
	/* A new eventfd for the vector while on. */
	assert_int_equal(set_eventfd(e.f, MSI, efd_i), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd_i), 1);
	assert_int_equal(efd_take(efd_m), 0);
	wr32(e.f, EDU_IRQ_ACK, 1);

	/* MSI off, INTx back. */
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 0), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd_i), 0);
	wr32(e.f, EDU_IRQ_ACK, 1);
	assert_int_equal(set_eventfd(e.f, INTX, efd_m), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd_m), 1);
	close(efd_i);
	close(efd_m);
	env_close(&e);
}

/* Interrupts with no eventfd registered are lost; the device still shows
 * them in its registers. */
static void irq_without_eventfd(void **state)
{
	struct env e;

	(void)state;
	env_open(&e);
	wr32(e.f, EDU_IRQ_RAISE, 0x10);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 0x10);
	assert_true(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	wr32(e.f, EDU_IRQ_ACK, 0x10);
	assert_false(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);

	/* INTx on without an eventfd (fd -1). */
	assert_int_equal(set_eventfd(e.f, INTX, -1), 0);
	wr32(e.f, EDU_IRQ_RAISE, 0x20);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 0x20);
	assert_true(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 1), 0);
	wr32(e.f, EDU_IRQ_ACK, 0x20);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);

	/* MSI on with vector 0 without an eventfd. */
	assert_int_equal(set_eventfd(e.f, MSI, -1), 0);
	wr32(e.f, EDU_IRQ_RAISE, 0x40);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 0x40);
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 1), 0);
	wr32(e.f, EDU_IRQ_ACK, 0x40);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 0);
	env_close(&e);
}

/*
 * KERNEL MISMATCH (lib/devices/pci_device.c, intx_deliver_locked()):
 * INTx enabled without an eventfd (fd -1) and the line asserted: the
 * kernel's vfio_intx_handler() masks INTx (ctx->masked) and the signal
 * goes nowhere. Attaching an eventfd later (vfio_intx_set_signal()) does
 * not signal; only an UNMASK re-sends the pending interrupt. The library
 * leaves INTx unmasked when there is no eventfd, so the new eventfd is
 * signalled as soon as it is set.
 */
static void intx_asserted_without_eventfd_masks(void **state)
{
	uint64_t at_set, at_unmask;
	struct env e;
	int efd;

	(void)state;
	env_open(&e);
	efd = new_eventfd();
	assert_int_equal(set_eventfd(e.f, INTX, -1), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	at_set = efd_take(efd);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	at_unmask = efd_take(efd);
	close(efd);
	env_close(&e);
	if (at_set != 0 || at_unmask != 1) {
		print_message("KERNEL MISMATCH: INTx asserted with no eventfd "
			      "is not masked (signals %u at set, %u at "
			      "unmask; kernel: 0, 1)\n",
			      (unsigned int)at_set, (unsigned int)at_unmask);
		skip();
	}
}

/*
 * PCI_COMMAND_INTX_DISABLE, as vfio-pci emulates it
 * (vfio_basic_config_write(): virq_disabled masks INTx; unmask and the
 * loopback trigger do nothing while it is set; clearing it unmasks and a
 * pending interrupt is signalled then). The status bit shows the line
 * throughout, and the command register reads back what was written.
 */
static void intx_disable_bit(void **state)
{
	uint16_t cmd;
	struct env e;
	int efd;

	(void)state;
	env_open(&e);
	efd = new_eventfd();
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	cmd = cfg_rd16(e.f, PCI_COMMAND);
	cfg_wr16(e.f, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
	assert_true(cfg_rd16(e.f, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 0);
	assert_true(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	/* Neither an unmask nor the loopback gets through. */
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 0);
	/* Cleared: the pending interrupt comes, and masks INTx. */
	cfg_wr16(e.f, PCI_COMMAND, cmd);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 1);
	assert_false(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	wr32(e.f, EDU_IRQ_RAISE, 2);
	assert_int_equal(efd_take(efd), 0);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 2);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);

	/* Set and cleared with nothing pending: quiet, then unmasked. */
	cfg_wr16(e.f, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
	cfg_wr16(e.f, PCI_COMMAND, cmd);
	assert_int_equal(efd_take(efd), 0);
	wr32(e.f, EDU_IRQ_RAISE, 4);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 4);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);

	/* Clearing it unmasks whoever masked: a user MASK too. */
	assert_int_equal(irq_none(e.f, MASK, INTX, 1), 0);
	cfg_wr16(e.f, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
	cfg_wr16(e.f, PCI_COMMAND, cmd);
	wr32(e.f, EDU_IRQ_RAISE, 8);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 8);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);

	/* INTx enabled while the bit is set starts masked. */
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);
	cfg_wr16(e.f, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	wr32(e.f, EDU_IRQ_RAISE, 16);
	assert_int_equal(efd_take(efd), 0);
	/* A byte write of the high half clears it as well. */
	cfg_wr8(e.f, PCI_COMMAND + 1, (uint8_t)(cmd >> 8));
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 16);
	close(efd);
	env_close(&e);
}

/*
 * MSI is a memory write by the device: with bus mastering off it is
 * dropped, not held back (turning mastering on later delivers nothing).
 * INTx is a wire and comes regardless; the SET_IRQS loopback is VFIO's
 * own signal and comes too.
 */
static void msi_needs_bus_master(void **state)
{
	struct env e;
	int efd;

	(void)state;
	env_open(&e);
	efd = new_eventfd();
	bus_master(e.f, false);
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 1);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);

	assert_int_equal(set_eventfd(e.f, MSI, efd), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 0);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 1);
	assert_int_equal(irq_none(e.f, TRIGGER, MSI, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	bus_master(e.f, true);
	assert_int_equal(efd_take(efd), 0);
	wr32(e.f, EDU_IRQ_ACK, 1);
	wr32(e.f, EDU_IRQ_RAISE, 2);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 2);
	close(efd);
	env_close(&e);
}

/*
 * KERNEL MISMATCH (lib/vfio_device.c set_msi() ->
 * lib/devices/pci_device.c pci_dev_msi_set_triggers()): MSI TRIGGER with
 * DATA_EVENTFD and count 0 while MSI is off. The kernel calls
 * vfio_msi_enable(vdev, start + count = 0), whose
 * pci_alloc_irq_vectors(pdev, 1, 0, PCI_IRQ_MSI) fails (maxvec < minvec:
 * -ERANGE in __pci_enable_msi_range()), so the ioctl fails and MSI stays
 * off. The library enables MSI with zero vectors (malloc(0)) and returns
 * 0; INTx can then not be enabled until MSI is disabled again.
 */
static void msi_enable_zero_vectors(void **state)
{
	int rc, intx_rc;
	struct env e;
	int efd;

	(void)state;
	env_open(&e);
	efd = new_eventfd();
	rc = set_irqs(e.f, D_EVENTFD | TRIGGER, MSI, 0, 0, NULL, 0);
	intx_rc = set_eventfd(e.f, INTX, efd);
	close(efd);
	env_close(&e);
	if (rc == 0 || intx_rc != 0) {
		print_message("KERNEL MISMATCH: MSI eventfd with count 0 "
			      "enabled MSI (rc %d, INTx after: %d; kernel: "
			      "an error, then 0)\n",
			      rc, intx_rc);
		skip();
	}
}

/* ---- region reads and writes ------------------------------------------- */

/*
 * The caller's buffer, wherever it is: a local variable (copied directly,
 * lib/uaccess.c), the heap, another thread's stack, a read-only page, a
 * hole, a range running off the top of the stack. Bad ones are EFAULT,
 * never a crash.
 */
struct other_stack {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t *slot; /* a local of the thread, while it waits */
	bool done;
};

static void *lend_stack(void *arg)
{
	struct other_stack *o = arg;
	uint32_t local = 0;

	pthread_mutex_lock(&o->lock);
	o->slot = &local;
	pthread_cond_broadcast(&o->cond);
	while (!o->done)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

static void rw_user_buffers(void **state)
{
	struct other_stack o = { PTHREAD_MUTEX_INITIALIZER,
				 PTHREAD_COND_INITIALIZER, NULL, false };
	uint32_t *heap = malloc(sizeof(*heap));
	void *hole = test_hole(PAGE);
	uint8_t *ro, *top;
	pthread_attr_t attr;
	pthread_t thread;
	uint32_t local;
	size_t size;
	struct env e;

	(void)state;
	assert_non_null(heap);
	env_open(&e);
	bus_master(e.f, true);
	/* Stack and heap, both ways. */
	local = 0x12345678;
	assert_int_equal(frw(e.f, &local, 4, REGION(0) + EDU_LIVENESS, true),
			 4);
	assert_int_equal(frw(e.f, heap, 4, REGION(0) + EDU_LIVENESS, false), 4);
	assert_int_equal(*heap, ~0x12345678U);
	*heap = 0x0f0f0f0f;
	assert_int_equal(frw(e.f, heap, 4, REGION(0) + EDU_LIVENESS, true), 4);
	assert_int_equal(frw(e.f, &local, 4, REGION(0) + EDU_LIVENESS, false),
			 4);
	assert_int_equal(local, 0xf0f0f0f0);
	assert_int_equal(frw(e.f, &local, 4, REGION(0) + EDU_ID, false), 4);
	assert_int_equal(local & 0xff, 0xed);
	/* Another thread's stack is no faster path, but works. */
	assert_int_equal(pthread_create(&thread, NULL, lend_stack, &o), 0);
	pthread_mutex_lock(&o.lock);
	while (!o.slot)
		pthread_cond_wait(&o.cond, &o.lock);
	pthread_mutex_unlock(&o.lock);
	assert_int_equal(frw(e.f, o.slot, 4, REGION(0) + EDU_ID, false), 4);
	assert_int_equal(*o.slot & 0xff, 0xed);
	pthread_mutex_lock(&o.lock);
	o.done = true;
	pthread_cond_broadcast(&o.cond);
	pthread_mutex_unlock(&o.lock);
	pthread_join(thread, NULL);
	/* A hole; a read-only page can be written from, not read into. */
	assert_int_equal(frw(e.f, hole, 4, REGION(0) + EDU_ID, false), -EFAULT);
	assert_int_equal(frw(e.f, hole, 4, REGION(0) + EDU_LIVENESS, true),
			 -EFAULT);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	assert_int_equal(frw(e.f, ro, 4, REGION(0) + EDU_ID, false), -EFAULT);
	assert_int_equal(frw(e.f, ro, 4, REGION(0) + EDU_LIVENESS, true), 4);
	munmap(ro, PAGE);
	/* Off the top of this thread's stack, where nothing is mapped. */
	assert_int_equal(pthread_getattr_np(pthread_self(), &attr), 0);
	assert_int_equal(pthread_attr_getstack(&attr, (void **)&top, &size), 0);
	pthread_attr_destroy(&attr);
	top += size;
	if (msync(top, PAGE, MS_ASYNC) && errno == ENOMEM)
		assert_int_equal(frw(e.f, top - 2, 4, REGION(0) + EDU_LIVENESS,
				     true),
				 -EFAULT);
	else
		print_message("mapped above the stack: not checked\n");
	env_close(&e);
	free(heap);
}

static void region_rw(void **state)
{
	uint8_t cfg[257];
	void *hole = test_hole(PAGE);
	uint64_t v64;
	uint32_t v;
	uint16_t cmd;
	struct env e;
	uint32_t i;

	(void)state;
	env_open(&e);
	/* Config space in one read. */
	assert_int_equal(frw(e.f, cfg, 256, CFG, false), 256);
	assert_int_equal(cfg[0] | cfg[1] << 8, 0x1234);
	assert_int_equal(cfg[2] | cfg[3] << 8, 0x11e8);
	assert_int_equal(cfg[PCI_CLASS_REVISION], 0x10);
	assert_int_equal(cfg[PCI_INTERRUPT_PIN], 1);
	assert_true(cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY); /* enabled */
	assert_int_equal(frw(e.f, cfg, 3, CFG + 1, false), 3);
	assert_int_equal(cfg[0], 0x12);
	/* Beyond it: EFAULT. */
	assert_int_equal(frw(e.f, cfg, 2, CFG + 255, false), -EFAULT);
	assert_int_equal(frw(e.f, cfg, 1, CFG + 256, false), -EFAULT);
	assert_int_equal(frw(e.f, cfg, 257, CFG, false), -EFAULT);
	assert_int_equal(frw(e.f, cfg, 4, CFG + 4096, true), -EFAULT);

	/* BAR0: the edu registers, 4 and 8 bytes. */
	assert_int_equal(rd32(e.f, EDU_ID), 0x010000ed);
	wr32(e.f, EDU_LIVENESS, 0x12345678);
	assert_int_equal(rd32(e.f, EDU_LIVENESS), 0xedcba987);
	wr64(e.f, EDU_DMA_SRC, 0x1122334455667788ULL);
	assert_int_equal(rd64(e.f, EDU_DMA_SRC), 0x1122334455667788ULL);
	assert_int_equal(rd32(e.f, EDU_DMA_SRC), 0x55667788);
	/* Several registers at once: split into naturally aligned
	 * accesses. */
	{
		uint32_t two[2] = { 0 };

		assert_int_equal(frw(e.f, two, 8, EDU_LIVENESS, false), 8);
		assert_int_equal(two[0], 0xedcba987);
	}
	/* Past its end: EINVAL; across it: cut short. */
	assert_int_equal(frw(e.f, &v, 4, MIB, false), -EINVAL);
	assert_int_equal(frw(e.f, &v, 4, MIB, true), -EINVAL);
	assert_int_equal(frw(e.f, &v64, 8, MIB - 4, false), 4);
	/* Empty BARs, the ROM, VGA, no such region: EINVAL. */
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		assert_int_equal(frw(e.f, &v, 4, REGION(i), false), -EINVAL);
		assert_int_equal(frw(e.f, &v, 4, REGION(i), true), -EINVAL);
	}
	assert_int_equal(frw(e.f, &v, 4, REGION(8), false), -EINVAL);
	assert_int_equal(frw(e.f, &v, 4, REGION(9), false), -EINVAL);
	assert_int_equal(frw(e.f, &v, 4, REGION(0xffffff), true), -EINVAL);

	/* Memory decoding off: BAR accesses fail with EIO. */
	cmd = cfg_rd16(e.f, PCI_COMMAND);
	cfg_wr16(e.f, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	assert_int_equal(frw(e.f, &v, 4, EDU_ID, false), -EIO);
	v = 1;
	assert_int_equal(frw(e.f, &v, 4, EDU_LIVENESS, true), -EIO);
	cfg_wr16(e.f, PCI_COMMAND, cmd);
	assert_int_equal(rd32(e.f, EDU_ID), 0x010000ed);
	assert_int_equal(rd32(e.f, EDU_LIVENESS), 0xedcba987);

	/* Bad buffers: EFAULT. */
	assert_int_equal(frw(e.f, hole, 4, EDU_ID, false), -EFAULT);
	assert_int_equal(frw(e.f, hole, 4, EDU_LIVENESS, true), -EFAULT);
	assert_int_equal(rd32(e.f, EDU_LIVENESS), 0xedcba987);
	assert_int_equal(frw(e.f, hole, 4, CFG, false), -EFAULT);
	assert_int_equal(frw(e.f, hole, 2, CFG + PCI_COMMAND, true), -EFAULT);
	assert_int_equal(cfg_rd16(e.f, PCI_COMMAND), cmd);
	env_close(&e);
}

/*
 * KERNEL MISMATCH (lib/vfio_device.c, config_rw()): a read or write of 0
 * bytes at the end of config space. vfs_read() calls the driver with
 * count 0 and vfio_pci_config_rw() loops while (count), returning 0; the
 * library checks pos >= 256 first and fails with EFAULT.
 */
static void config_rw_zero_at_end(void **state)
{
	ssize_t rd, wr;
	uint8_t b = 0;
	struct env e;

	(void)state;
	env_open(&e);
	assert_int_equal(frw(e.f, &b, 0, CFG + 16, false), 0);
	rd = frw(e.f, &b, 0, CFG + 256, false);
	wr = frw(e.f, &b, 0, CFG + 256, true);
	env_close(&e);
	if (rd != 0 || wr != 0) {
		print_message("KERNEL MISMATCH: 0-byte config access at 256 "
			      "gives %zd/%zd (kernel: 0)\n",
			      rd, wr);
		skip();
	}
}

/*
 * KERNEL MISMATCH (lib/vfio_device.c, bar_rw()): a BAR write from a bad
 * buffer while memory decoding is off. The kernel's vfio_pci_iordwr##size
 * copies from the user first (EFAULT) and only then checks decoding in
 * vfio_pci_core_iowrite##size (EIO); the library checks decoding first and
 * answers EIO.
 */
static void bar_write_bad_buffer_decode_off(void **state)
{
	void *hole = test_hole(PAGE);
	ssize_t rc, rc_read;
	uint16_t cmd;
	struct env e;

	(void)state;
	env_open(&e);
	cmd = cfg_rd16(e.f, PCI_COMMAND);
	cfg_wr16(e.f, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	rc = frw(e.f, hole, 4, EDU_LIVENESS, true);
	/* Reads check decoding first in both. */
	rc_read = frw(e.f, hole, 4, EDU_LIVENESS, false);
	env_close(&e);
	assert_int_equal(rc_read, -EIO);
	if (rc != -EFAULT) {
		print_message("KERNEL MISMATCH: BAR write from a bad buffer "
			      "with decoding off gives %zd (kernel: -EFAULT)\n",
			      rc);
		skip();
	}
}

/* A device with a memory-backed BAR: mmap of regions. */
static void region_mmap(void **state)
{
	static const struct uiommufd_pci_dev_ops no_ops;
	static const struct uiommufd_pci_id id = {
		.vendor = 0x1b36,
		.device = 0x0005,
		.class_rev = 0x00ff0000,
	};
	struct vfio_region_info info = { .argsz = sizeof(info), .index = 2 };
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = INTX };
	struct uiommufd_pci_dev_desc desc;
	struct uiommufd_pci_dev *dev;
	struct uiommufd_ctx *ctx;
	struct uiommufd_file *f;
	uint64_t off, v = 0x0123456789abcdefULL;
	uint32_t *map, v32;
	unsigned int n;
	int fd, mfd;

	(void)state;
	dev = uiommufd_pci_dev_create("0000:3f:00.0", &id, &no_ops, NULL);
	assert_non_null(dev);
	assert_int_equal(uiommufd_pci_dev_add_bar(dev, 0, PAGE, 0), 0);
	assert_int_equal(uiommufd_pci_dev_add_bar(dev, 2, 2 * PAGE,
						  UIOMMUFD_BAR_RAM |
							  UIOMMUFD_BAR_64),
			 0);
	assert_int_equal(uiommufd_pci_dev_register(dev), 0);
	for (n = 0; !uiommufd_pci_dev_describe(n, &desc); n++)
		if (!strcmp(desc.name, "0000:3f:00.0"))
			break;
	ctx = uiommufd_open();
	fd = host_add_ctx(ctx);
	assert_int_equal(uiommufd_vfio_cdev_open(desc.index, &f), 0);
	assert_int_equal(bind(f, fd, NULL), 0);

	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_REGION_INFO, &info), 0);
	assert_int_equal(info.size, 2 * PAGE);
	assert_int_equal(info.flags, VFIO_REGION_INFO_FLAG_READ |
					     VFIO_REGION_INFO_FLAG_WRITE |
					     VFIO_REGION_INFO_FLAG_MMAP);
	/* No INTx pin: no INTx vector. */
	assert_int_equal(fioctl(f, VFIO_DEVICE_GET_IRQ_INFO, &irq), 0);
	assert_int_equal(irq.count, 0);
	assert_int_equal(set_eventfd(f, INTX, -1), EINVAL);

	assert_int_equal(uiommufd_file_mmap(f, REGION(2), 2 * PAGE, MAP_SHARED,
					    &mfd, &off),
			 0);
	map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		   (off_t)off);
	assert_true(map != MAP_FAILED);
	assert_int_equal(frw(f, &v, 8, REGION(2) + PAGE, true), 8);
	assert_int_equal(map[PAGE / 4], 0x89abcdef);
	map[1] = 0xfeedf00d;
	v32 = 0;
	assert_int_equal(frw(f, &v32, 4, REGION(2) + 4, false), 4);
	assert_int_equal(v32, 0xfeedf00d);
	munmap(map, 2 * PAGE);
	/* The second page alone. */
	assert_int_equal(uiommufd_file_mmap(f, REGION(2) + PAGE, PAGE,
					    MAP_SHARED, &mfd, &off),
			 0);
	assert_int_equal(off, PAGE);

	/* Refused: private, unaligned, too long, trapped, not a BAR. */
	errno = 0;
	assert_int_equal(uiommufd_file_mmap(f, REGION(2), PAGE, MAP_PRIVATE,
					    &mfd, &off),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(uiommufd_file_mmap(f, REGION(2) + 8, PAGE, MAP_SHARED,
					    &mfd, &off),
			 -1);
	assert_int_equal(uiommufd_file_mmap(f, REGION(2) + PAGE, 2 * PAGE,
					    MAP_SHARED, &mfd, &off),
			 -1);
	assert_int_equal(uiommufd_file_mmap(f, REGION(0), PAGE, MAP_SHARED,
					    &mfd, &off),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
		uiommufd_file_mmap(f, CFG, PAGE, MAP_SHARED, &mfd, &off), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(uiommufd_file_mmap(f, REGION(9), PAGE, MAP_SHARED,
					    &mfd, &off),
			 -1);
	assert_int_equal(errno, EINVAL);
	uiommufd_file_put(f);
	host_del_ctx(fd);
	uiommufd_close(ctx);
}

/* ---- DMA through the uAPI --------------------------------------------- */

static void dma_end_to_end(void **state)
{
	uint8_t *mem;
	struct env e;
	int efd;

	(void)state;
	env_open(&e);
	{
		uint32_t ioas, pt;

		mem = test_buffer(4 * PAGE, PROT_READ | PROT_WRITE);
		memset(mem, 0, 4 * PAGE);
		assert_int_equal(ioas_alloc(e.ctx, &ioas), 0);
		assert_int_equal(
			ioas_map_fixed(e.ctx, ioas, mem, 4 * PAGE, IOVA), 0);
		pt = ioas;
		assert_int_equal(attach(e.f, &pt), 0);
	}
	efd = new_eventfd();
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);

	/* Without bus mastering nothing moves; the command completes. */
	assert_false(cfg_rd16(e.f, PCI_COMMAND) & PCI_COMMAND_MASTER);
	fill(mem, PAGE, 1);
	edu_dma(e.f, IOVA, EDU_BUF, PAGE, 0);
	edu_dma(e.f, EDU_BUF, IOVA + PAGE, PAGE, DMA_TO_RAM);
	assert_int_equal(mem[PAGE], 0);
	assert_int_equal(mem[2 * PAGE - 1], 0);

	/* RAM -> device -> RAM, with the DMA interrupt on INTx. */
	bus_master(e.f, true);
	edu_dma(e.f, IOVA, EDU_BUF, PAGE, DMA_IRQ);
	assert_int_equal(efd_take(efd), 1);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), EDU_IRQ_DMA);
	wr32(e.f, EDU_IRQ_ACK, EDU_IRQ_DMA);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 0);
	edu_dma(e.f, EDU_BUF, IOVA + PAGE, PAGE, DMA_TO_RAM);
	assert_memory_equal(mem + PAGE, mem, PAGE);
	assert_int_equal(rd32(e.f, EDU_DMA_CMD), DMA_TO_RAM);

	/* Part of the buffer, across an IO page boundary. */
	fill(mem, 2 * PAGE, 77);
	memset(mem + 2 * PAGE, 0, 2 * PAGE);
	edu_dma(e.f, IOVA + PAGE - 100, EDU_BUF + 1000, 300, 0);
	edu_dma(e.f, EDU_BUF + 1000, IOVA + 3 * PAGE - 7, 300, DMA_TO_RAM);
	assert_memory_equal(mem + 3 * PAGE - 7, mem + PAGE - 100, 300);
	assert_int_equal(mem[3 * PAGE - 8], 0);
	assert_int_equal(mem[3 * PAGE + 293], 0);
	close(efd);
	env_close(&e);
	munmap(mem, 4 * PAGE);
}

static void dma_faults(void **state)
{
	uint8_t ref[PAGE], *mem;
	uint64_t faults;
	uint32_t ioas;
	struct env e;

	(void)state;
	ioas = env_dma(&e, &mem);
	fill(mem, PAGE, 9);
	memcpy(ref, mem, PAGE);
	fill(mem + 3 * PAGE, PAGE, 200);
	edu_dma(e.f, IOVA, EDU_BUF, PAGE, 0);
	faults = e.t.dev->nr_faults;

	/* To an IOVA nothing maps: nothing written, the device goes on. */
	edu_dma(e.f, EDU_BUF, IOVA + 64 * PAGE, PAGE, DMA_TO_RAM | DMA_IRQ);
	assert_int_equal(e.t.dev->nr_faults, faults + 1);
	assert_int_equal(e.t.dev->last_fault_iova, IOVA + 64 * PAGE);
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), EDU_IRQ_DMA);
	wr32(e.f, EDU_IRQ_ACK, EDU_IRQ_DMA);
	edu_dma(e.f, EDU_BUF, IOVA + PAGE, PAGE, DMA_TO_RAM);
	assert_memory_equal(mem + PAGE, ref, PAGE);

	/* Into a READABLE-only mapping (device -> RAM): a fault, the
	 * memory stays as it was. */
	{
		uint8_t before[PAGE];

		memcpy(before, mem + 3 * PAGE, PAGE);
		edu_dma(e.f, EDU_BUF, IOVA + 3 * PAGE, PAGE, DMA_TO_RAM);
		assert_int_equal(e.t.dev->nr_faults, faults + 2);
		assert_int_equal(e.t.dev->last_fault_iova, IOVA + 3 * PAGE);
		assert_memory_equal(mem + 3 * PAGE, before, PAGE);
		/* Reading from it is fine. */
		edu_dma(e.f, IOVA + 3 * PAGE, EDU_BUF, PAGE, 0);
		edu_dma(e.f, EDU_BUF, IOVA + 2 * PAGE, PAGE, DMA_TO_RAM);
		assert_memory_equal(mem + 2 * PAGE, before, PAGE);
		assert_int_equal(e.t.dev->nr_faults, faults + 2);
	}

	/* Unmapped from under the device: faults there. */
	assert_int_equal(ioas_unmap(e.ctx, ioas, IOVA, 3 * PAGE, NULL), 0);
	memset(mem + 2 * PAGE, 0, PAGE);
	edu_dma(e.f, EDU_BUF, IOVA + 2 * PAGE, PAGE, DMA_TO_RAM);
	assert_int_equal(mem[2 * PAGE], 0);
	assert_int_equal(e.t.dev->nr_faults, faults + 3);
	edu_dma(e.f, IOVA + 3 * PAGE, EDU_BUF, PAGE, 0); /* still mapped */
	assert_int_equal(e.t.dev->nr_faults, faults + 3);

	/* Detached: every access faults. */
	assert_int_equal(detach(e.f), 0);
	edu_dma(e.f, IOVA + 3 * PAGE, EDU_BUF, PAGE, 0);
	assert_int_equal(e.t.dev->nr_faults, faults + 4);
	assert_int_equal(e.t.dev->last_fault_iova, IOVA + 3 * PAGE);
	env_close(&e);
	munmap(mem, 4 * PAGE);
}

/* The RAM side of an edu DMA is masked to 28 bits (QEMU's dma_mask,
 * edu_clamp_addr()): an address above lands at its low 28 bits. */
static void dma_mask(void **state)
{
	uint8_t *mem;
	struct env e;

	(void)state;
	env_dma(&e, &mem);
	fill(mem, PAGE, 5);
	edu_dma(e.f, (1ULL << 40) | (1ULL << 28) | IOVA, EDU_BUF, PAGE, 0);
	edu_dma(e.f, EDU_BUF, (1ULL << 28) | (IOVA + PAGE), PAGE, DMA_TO_RAM);
	assert_memory_equal(mem + PAGE, mem, PAGE);
	/* The registers keep what was written. */
	assert_int_equal(rd64(e.f, EDU_DMA_DST), (1ULL << 28) | (IOVA + PAGE));
	assert_int_equal(e.t.dev->nr_faults, 0);
	env_close(&e);
	munmap(mem, 4 * PAGE);
}

/* ---- reset ----------------------------------------------------------------- */

/* VFIO_DEVICE_RESET right behind a DMA start: when it returns no DMA is
 * left, the registers are cleared and the config header is as before. */
static void reset_mid_dma(void **state)
{
	uint8_t snap[PAGE], *mem;
	uint16_t cmd;
	struct env e;
	int i;

	(void)state;
	env_dma(&e, &mem);
	cmd = cfg_rd16(e.f, PCI_COMMAND);
	fill(mem, PAGE, 11);
	for (i = 0; i < 100; i++) {
		edu_dma(e.f, IOVA, EDU_BUF, PAGE, 0);
		memset(mem + PAGE, 0, PAGE);
		wr64(e.f, EDU_DMA_SRC, EDU_BUF);
		wr64(e.f, EDU_DMA_DST, IOVA + PAGE);
		wr64(e.f, EDU_DMA_CNT, PAGE);
		wr32(e.f, EDU_DMA_CMD, DMA_RUN | DMA_TO_RAM | DMA_IRQ);
		assert_int_equal(fioctl(e.f, VFIO_DEVICE_RESET, NULL), 0);
		assert_int_equal(rd32(e.f, EDU_DMA_CMD), 0);
		assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 0);
		assert_int_equal(rd64(e.f, EDU_DMA_DST), 0);
		assert_false(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
		/* The header is saved and restored around the reset. */
		assert_int_equal(cfg_rd16(e.f, PCI_COMMAND), cmd);
		memcpy(snap, mem + PAGE, PAGE);
		nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
		assert_memory_equal(snap, mem + PAGE, PAGE);
	}
	/* And it works after. */
	edu_dma(e.f, IOVA, EDU_BUF, PAGE, 0);
	edu_dma(e.f, EDU_BUF, IOVA + PAGE, PAGE, DMA_TO_RAM);
	assert_memory_equal(mem + PAGE, mem, PAGE);
	env_close(&e);
	munmap(mem, 4 * PAGE);
}

/* A reset leaves VFIO's interrupt set-up alone: INTx stays enabled (and
 * masked if it was), MSI stays on its eventfd. */
static void reset_keeps_irqs(void **state)
{
	struct env e;
	int efd;

	(void)state;
	env_open(&e);
	bus_master(e.f, true); /* for MSI */
	efd = new_eventfd();
	assert_int_equal(set_eventfd(e.f, INTX, efd), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 1);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_RESET, NULL), 0);
	/* The line went down with the reset; INTx is still masked. */
	assert_int_equal(rd32(e.f, EDU_IRQ_STATUS), 0);
	assert_false(cfg_rd16(e.f, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 0);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	wr32(e.f, EDU_IRQ_ACK, 1);
	assert_int_equal(irq_none(e.f, UNMASK, INTX, 1), 0);
	assert_int_equal(irq_none(e.f, TRIGGER, INTX, 0), 0);

	assert_int_equal(set_eventfd(e.f, MSI, efd), 0);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_RESET, NULL), 0);
	wr32(e.f, EDU_IRQ_RAISE, 1);
	assert_int_equal(efd_take(efd), 1);
	close(efd);
	env_close(&e);
}

static int hot_reset_info(struct uiommufd_file *f, uint32_t argsz,
			  struct vfio_pci_hot_reset_info *hdr,
			  struct vfio_pci_dependent_device *dev)
{
	uint32_t buf[8];
	struct vfio_pci_hot_reset_info *h = (void *)buf;
	int rc;

	memset(buf, 0xa5, sizeof(buf));
	h->argsz = argsz;
	rc = fioctl(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h);
	*hdr = *h;
	memcpy(dev, &buf[3], sizeof(*dev));
	return rc;
}

static int hot_reset(struct uiommufd_file *f, uint32_t argsz, uint32_t count,
		     int32_t fd0, int32_t fd1)
{
	int32_t buf[5] = { (int32_t)argsz, 0, (int32_t)count, fd0, fd1 };

	return fioctl(f, VFIO_DEVICE_PCI_HOT_RESET, buf);
}

static void cdev_hot_reset(void **state)
{
	struct vfio_pci_hot_reset_info hdr;
	struct vfio_pci_dependent_device dd;
	struct env e;

	(void)state;
	env_open(&e);
	assert_int_equal(hot_reset_info(e.f, 11, &hdr, &dd), EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				test_hole(PAGE)),
			 EFAULT);
	/* No room for the one device: ENOSPC, with the count. */
	assert_int_equal(hot_reset_info(e.f, 12, &hdr, &dd), ENOSPC);
	assert_int_equal(hdr.count, 1);
	assert_int_equal(hdr.flags, 0);
	assert_int_equal(dd.devid, 0xa5a5a5a5); /* untouched */
	assert_int_equal(hot_reset_info(e.f, 19, &hdr, &dd), ENOSPC);
	/* Bound through the cdev: device IDs, owned. */
	assert_int_equal(hot_reset_info(e.f, 20, &hdr, &dd), 0);
	assert_int_equal(hdr.argsz, 20);
	assert_int_equal(hdr.count, 1);
	assert_int_equal(hdr.flags,
			 VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
				 VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	assert_int_equal(dd.devid, e.devid);
	assert_int_equal(dd.segment, 0);
	assert_int_equal(dd.bus, e.t.bus);
	assert_int_equal(dd.devfn, 0);

	/* The reset itself: an empty group list on the cdev path. */
	assert_int_equal(hot_reset(e.f, 11, 0, 0, 0), EINVAL);
	assert_int_equal(fioctl(e.f, VFIO_DEVICE_PCI_HOT_RESET,
				test_hole(PAGE)),
			 EFAULT);
	{
		int32_t bad_flags[3] = { 12, 1, 0 };

		assert_int_equal(fioctl(e.f, VFIO_DEVICE_PCI_HOT_RESET,
					bad_flags),
				 EINVAL);
	}
	wr32(e.f, EDU_LIVENESS, 0);
	assert_int_equal(hot_reset(e.f, 12, 0, 0, 0), 0);
	assert_int_equal(rd32(e.f, EDU_LIVENESS), 0);
	assert_int_equal(rd32(e.f, EDU_ID), 0x010000ed);
	env_close(&e);
}

/*
 * KERNEL MISMATCH (lib/vfio_device.c, vfio_pci_hot_reset()): on a device
 * opened through its cdev a non-empty group list is refused up front
 * (vfio_pci_ioctl_pci_hot_reset(): !!hdr.count == cdev_opened -> EINVAL)
 * before any fd is looked at; the library looks the fds up first and
 * answers EBADF for one that is not open.
 */
static void cdev_hot_reset_with_groups(void **state)
{
	struct env e;
	int rc;

	(void)state;
	env_open(&e);
	rc = hot_reset(e.f, 16, 1, FD_NONE, 0);
	env_close(&e);
	if (rc != EINVAL) {
		print_message("KERNEL MISMATCH: cdev hot reset with a group "
			      "fd gives %d (kernel: EINVAL)\n",
			      rc);
		skip();
	}
}

/* ---- groups --------------------------------------------------------------- */

struct genv {
	struct tdev t;
	struct uiommufd_file *g;
	int g_fd;
	struct uiommufd_ctx *c; /* the container */
	int c_fd;
};

static int gstatus(struct uiommufd_file *g, uint32_t *flags)
{
	struct vfio_group_status st = { .argsz = sizeof(st), .flags = ~0U };
	int rc = fioctl(g, VFIO_GROUP_GET_STATUS, &st);

	*flags = st.flags;
	return rc;
}

static int set_container(struct uiommufd_file *g, int32_t fd)
{
	return fioctl(g, VFIO_GROUP_SET_CONTAINER, &fd);
}

static int get_device_fd(struct uiommufd_file *g, const void *name)
{
	int rc;

	errno = 0;
	rc = uiommufd_file_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)name);
	return rc < 0 ? -errno : rc;
}

static int vfio_map(struct uiommufd_ctx *ctx, const void *va, uint64_t len,
		    uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return do_ioctl(ctx, VFIO_IOMMU_MAP_DMA, &map);
}

/* A group open, and a /dev/vfio/vfio container whose fds are ours. */
static void genv_open(struct genv *e, bool set)
{
	new_edu(&e->t);
	assert_int_equal(uiommufd_vfio_group_open(e->t.group, &e->g), 0);
	e->g_fd = host_add_file(e->g);
	e->c = uiommufd_open_vfio_container();
	assert_non_null(e->c);
	uiommufd_set_fd_ops(e->c, &inst_ops, NULL);
	e->c_fd = host_add_ctx(e->c);
	if (set) {
		assert_int_equal(set_container(e->g, e->c_fd), 0);
		assert_ok(e->c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU);
	}
}

static void genv_close(struct genv *e)
{
	if (e->g) {
		host_del_file(e->g_fd);
		uiommufd_file_put(e->g);
	}
	if (e->c) {
		host_del_ctx(e->c_fd);
		uiommufd_close(e->c);
	}
}

static void group_container(void **state)
{
	struct uiommufd_file *g2 = NULL;
	struct vfio_group_status st;
	uint32_t flags;
	struct genv e;

	(void)state;
	genv_open(&e, false);
	assert_int_equal(uiommufd_vfio_group_open(100000, &g2), -ENODEV);
	assert_int_equal(uiommufd_file_kind(e.g), UIOMMUFD_FILE_VFIO_GROUP);
	/* One opener at a time. */
	assert_int_equal(uiommufd_vfio_group_open(e.t.group, &g2), -EBUSY);

	st = (struct vfio_group_status){ .argsz = sizeof(st) - 1 };
	assert_int_equal(fioctl(e.g, VFIO_GROUP_GET_STATUS, &st), EINVAL);
	assert_int_equal(fioctl(e.g, VFIO_GROUP_GET_STATUS, test_hole(PAGE)),
			 EFAULT);
	assert_int_equal(gstatus(e.g, &flags), 0);
	assert_int_equal(flags, VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(fioctl(e.g, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL),
			 ENOTTY);
	assert_int_equal(fioctl(e.g, VFIO_DEVICE_GET_INFO, NULL), ENOTTY);

	assert_int_equal(fioctl(e.g, VFIO_GROUP_UNSET_CONTAINER, NULL), EINVAL);
	/* Devices only once a container is set (the name is checked
	 * first). */
	assert_int_equal(get_device_fd(e.g, e.t.name), -EINVAL);
	assert_int_equal(get_device_fd(e.g, "0000:00:1f.7"), -ENODEV);

	assert_int_equal(fioctl(e.g, VFIO_GROUP_SET_CONTAINER, test_hole(PAGE)),
			 EFAULT);
	assert_int_equal(set_container(e.g, FD_NONE), EBADF);
	assert_int_equal(set_container(e.g, -1), EBADF);
	assert_int_equal(set_container(e.g, FD_NOT_IOMMUFD), EBADFD);
	assert_int_equal(set_container(e.g, e.g_fd), EBADFD);
	assert_int_equal(gstatus(e.g, &flags), 0);
	assert_int_equal(flags, VFIO_GROUP_FLAGS_VIABLE);

	assert_int_equal(set_container(e.g, e.c_fd), 0);
	assert_int_equal(gstatus(e.g, &flags), 0);
	assert_int_equal(flags, VFIO_GROUP_FLAGS_CONTAINER_SET |
					VFIO_GROUP_FLAGS_VIABLE);
	/* Set already: EINVAL, after the fd is found to be open at all. */
	assert_int_equal(set_container(e.g, e.c_fd), EINVAL);
	assert_int_equal(set_container(e.g, FD_NOT_IOMMUFD), EINVAL);
	assert_int_equal(set_container(e.g, FD_NONE), EBADF);

	assert_int_equal(fioctl(e.g, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	assert_int_equal(gstatus(e.g, &flags), 0);
	assert_int_equal(flags, VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(fioctl(e.g, VFIO_GROUP_UNSET_CONTAINER, NULL), EINVAL);
	assert_int_equal(set_container(e.g, e.c_fd), 0);

	/* Closing the group drops its container. */
	host_del_file(e.g_fd);
	uiommufd_file_put(e.g);
	assert_int_equal(uiommufd_vfio_group_open(e.t.group, &e.g), 0);
	e.g_fd = host_add_file(e.g);
	assert_int_equal(gstatus(e.g, &flags), 0);
	assert_int_equal(flags, VFIO_GROUP_FLAGS_VIABLE);

	/* A group set to a container that the program then closes keeps
	 * it (no leak under ASan). */
	assert_int_equal(set_container(e.g, e.c_fd), 0);
	host_del_ctx(e.c_fd);
	uiommufd_close(e.c);
	e.c = NULL;
	assert_int_equal(gstatus(e.g, &flags), 0);
	assert_int_equal(flags, VFIO_GROUP_FLAGS_CONTAINER_SET |
					VFIO_GROUP_FLAGS_VIABLE);
	genv_close(&e);
}

static void group_get_device_fd(void **state)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_pci_hot_reset_info hdr;
	struct vfio_pci_dependent_device dd;
	struct uiommufd_file *df, *df2, *cdev;
	uint8_t *mem, *pages;
	int fd, fd2, cfd;
	uint32_t pt = 1;
	struct genv e;

	(void)state;
	genv_open(&e, true);
	/* The name: a bad pointer, unterminated up to an unmapped page,
	 * longer than a page, someone else's. */
	assert_int_equal(get_device_fd(e.g, test_hole(PAGE)), -EFAULT);
	pages = test_buffer(2 * PAGE, PROT_READ | PROT_WRITE);
	memset(pages, 'a', 2 * PAGE);
	assert_int_equal(get_device_fd(e.g, pages), -EINVAL);
	munmap(pages + PAGE, PAGE);
	memcpy(pages + PAGE - strlen(e.t.name), e.t.name, strlen(e.t.name));
	assert_int_equal(get_device_fd(e.g, pages + PAGE - strlen(e.t.name)),
			 -EFAULT);
	munmap(pages, PAGE);
	assert_int_equal(get_device_fd(e.g, "0000:00:1f.7"), -ENODEV);
	assert_int_equal(get_device_fd(e.g, ""), -ENODEV);

	fd = get_device_fd(e.g, e.t.name);
	assert_true(fd >= FD_INST);
	df = inst_file(fd);
	assert_int_equal(uiommufd_file_kind(df), UIOMMUFD_FILE_VFIO_DEVICE);
	assert_int_equal(fioctl(df, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.num_regions, 9);
	/* Not a cdev: no bind, and attach/detach are not its ioctls. */
	assert_int_equal(bind(df, e.c_fd, NULL), EINVAL);
	assert_int_equal(attach(df, &pt), ENOTTY);
	assert_int_equal(detach(df), ENOTTY);
	/* Nor can its cdev be bound. */
	{
		struct uiommufd_ctx *ctx = uiommufd_open();

		cfd = host_add_ctx(ctx);
		assert_int_equal(uiommufd_vfio_cdev_open(e.t.index, &cdev), 0);
		assert_int_equal(bind(cdev, cfd, NULL), EBUSY);
		uiommufd_file_put(cdev);
		host_del_ctx(cfd);
		uiommufd_close(ctx);
	}

	/* Hot reset info: group IDs. */
	assert_int_equal(hot_reset_info(df, 20, &hdr, &dd), 0);
	assert_int_equal(hdr.flags, 0);
	assert_int_equal(hdr.count, 1);
	assert_int_equal(dd.group_id, e.t.group);
	assert_int_equal(dd.bus, e.t.bus);
	assert_int_equal(dd.devfn, 0);
	/* Hot reset: the group proves ownership; nothing else does. */
	assert_int_equal(hot_reset(df, 12, 0, 0, 0), EINVAL);
	assert_int_equal(hot_reset(df, 20, 2, e.g_fd, e.g_fd), EINVAL);
	assert_int_equal(hot_reset(df, 16, 1, FD_NONE, 0), EBADF);
	assert_int_equal(hot_reset(df, 16, 1, fd, 0), EINVAL);
	wr32(df, EDU_LIVENESS, 0);
	assert_int_equal(hot_reset(df, 16, 1, e.g_fd, 0), 0);
	assert_int_equal(rd32(df, EDU_LIVENESS), 0);

	/* A second fd for the same device: both work, one device. */
	fd2 = get_device_fd(e.g, e.t.name);
	assert_true(fd2 >= FD_INST);
	assert_int_not_equal(fd2, fd);
	df2 = inst_file(fd2);
	wr32(df, EDU_LIVENESS, 0x0f0f0f0f);
	assert_int_equal(rd32(df2, EDU_LIVENESS), 0xf0f0f0f0);

	/* Attached to the container's compat IOAS: type1 maps reach it. */
	mem = test_buffer(2 * PAGE, PROT_READ | PROT_WRITE);
	fill(mem, PAGE, 21);
	memset(mem + PAGE, 0, PAGE);
	assert_int_equal(vfio_map(e.c, mem, 2 * PAGE, IOVA), 0);
	bus_master(df, true);
	edu_dma(df2, IOVA, EDU_BUF, PAGE, 0);
	edu_dma(df, EDU_BUF, IOVA + PAGE, PAGE, DMA_TO_RAM);
	assert_memory_equal(mem + PAGE, mem, PAGE);
	assert_int_equal(e.t.dev->nr_faults, 0);

	/* The first fd closed: the device stays open for the second. */
	inst_close(fd);
	assert_int_equal(rd32(df2, EDU_LIVENESS), 0xf0f0f0f0);
	/* The group and the container closed: the device fd still works. */
	host_del_file(e.g_fd);
	uiommufd_file_put(e.g);
	e.g = NULL;
	host_del_ctx(e.c_fd);
	uiommufd_close(e.c);
	e.c = NULL;
	memset(mem + PAGE, 0, PAGE);
	edu_dma(df2, EDU_BUF, IOVA + PAGE, PAGE, DMA_TO_RAM);
	assert_memory_equal(mem + PAGE, mem, PAGE);
	/* The last close: the context goes; the device is free again. */
	inst_close(fd2);
	munmap(mem, 2 * PAGE);
	assert_int_equal(uiommufd_vfio_group_open(e.t.group, &e.g), 0);
	genv_close(&e);
}

/*
 * GET_DEVICE_FD attaches the device to the compat IOAS; with that IOAS
 * destroyed the kernel's vfio_iommufd_compat_attach_ioas() fails with
 * ENODEV (iommufd_vfio_compat_ioas_get_id()) and the device is closed
 * again, usable afterwards.
 */
static void group_device_fd_without_compat_ioas(void **state)
{
	struct iommu_vfio_ioas vi = {
		.size = sizeof(vi),
		.op = IOMMU_VFIO_IOAS_GET,
	};
	struct genv e;
	int fd;

	(void)state;
	genv_open(&e, true);
	assert_ok(e.c, IOMMU_VFIO_IOAS, &vi);
	assert_int_equal(object_destroy(e.c, vi.ioas_id), 0);
	assert_int_equal(get_device_fd(e.g, e.t.name), -ENODEV);
	assert_int_equal(get_device_fd(e.g, e.t.name), -ENODEV);
	/* A new compat IOAS (as SET_IOMMU would need): it opens. */
	vi = (struct iommu_vfio_ioas){ .size = sizeof(vi),
				       .op = IOMMU_VFIO_IOAS_SET };
	assert_int_equal(ioas_alloc(e.c, &vi.ioas_id), 0);
	assert_ok(e.c, IOMMU_VFIO_IOAS, &vi);
	fd = get_device_fd(e.g, e.t.name);
	assert_true(fd >= FD_INST);
	assert_int_equal(rd32(inst_file(fd), EDU_ID), 0x010000ed);
	inst_close(fd);
	genv_close(&e);
}

/* A second opener of the group: EBUSY, until the first closes it. */
static void group_second_open(void **state)
{
	struct uiommufd_file *g2;
	struct genv e;
	int fd;

	(void)state;
	genv_open(&e, true);
	assert_int_equal(uiommufd_vfio_group_open(e.t.group, &g2), -EBUSY);
	fd = get_device_fd(e.g, e.t.name);
	assert_true(fd >= FD_INST);
	assert_int_equal(uiommufd_vfio_group_open(e.t.group, &g2), -EBUSY);
	inst_close(fd);
	assert_int_equal(uiommufd_vfio_group_open(e.t.group, &g2), -EBUSY);
	host_del_file(e.g_fd);
	uiommufd_file_put(e.g);
	assert_int_equal(uiommufd_vfio_group_open(e.t.group, &e.g), 0);
	e.g_fd = host_add_file(e.g);
	genv_close(&e);
}

/*
 * KERNEL MISMATCH (lib/vfio_group.c, group_get_status()): after
 * UNSET_CONTAINER while a device fd of the group is still open, the
 * kernel reports the group not viable (flags 0): the device's iommufd
 * binding still claims the group's DMA ownership
 * (iommu_group_dma_owner_claimed()). The library only looks at
 * dev->cdev_opened, which the group path never sets, and reports VIABLE.
 */
static void group_unset_with_device_open(void **state)
{
	uint32_t flags = ~0U;
	struct genv e;
	int fd, rc;

	(void)state;
	genv_open(&e, true);
	fd = get_device_fd(e.g, e.t.name);
	assert_true(fd >= FD_INST);
	assert_int_equal(fioctl(e.g, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	assert_int_equal(gstatus(e.g, &flags), 0);
	/* No device fds without a container. */
	rc = get_device_fd(e.g, e.t.name);
	inst_close(fd);
	genv_close(&e);
	assert_int_equal(rc, -EINVAL);
	if (flags != 0) {
		print_message("KERNEL MISMATCH: group status after UNSET with "
			      "a device open is %#x (kernel: 0, not "
			      "viable)\n",
			      flags);
		skip();
	}
}

/*
 * GET_DEVICE_FD names as vfio_pci_core_match() takes them: the PCI name,
 * then optionally a space and options. Spaces alone open the device;
 * any option is EINVAL for a function that is neither PF nor VF (an
 * unknown one, a malformed vf_token, a well-formed one with no use);
 * anything but a space right after the name is no match (ENODEV).
 */
static const char *const name_suffix_opens[] = { " ", "   " };
static const char *const name_suffix_einval[] = {
	" vf_token=bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3",
	"  vf_token=bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3  ",
	" vf_token=bd8d9d2b",
	" vf_token=zd8d9d2b-5a5f-4f5a-a211-f591514ba1f3",
	" junk",
	" x ",
};
static const char *const name_suffix_enodev[] = { "x", "\t", ".0", "0 " };

static void group_device_name_options(void **state)
{
	char name[96];
	struct genv e;
	size_t i;
	int fd;

	(void)state;
	genv_open(&e, true);
	for (i = 0; i < ARRAY_SIZE(name_suffix_opens); i++) {
		snprintf(name, sizeof(name), "%s%s", e.t.name,
			 name_suffix_opens[i]);
		fd = get_device_fd(e.g, name);
		assert_true(fd >= FD_INST);
		inst_close(fd);
	}
	for (i = 0; i < ARRAY_SIZE(name_suffix_einval); i++) {
		snprintf(name, sizeof(name), "%s%s", e.t.name,
			 name_suffix_einval[i]);
		assert_int_equal(get_device_fd(e.g, name), -EINVAL);
	}
	for (i = 0; i < ARRAY_SIZE(name_suffix_enodev); i++) {
		snprintf(name, sizeof(name), "%s%s", e.t.name,
			 name_suffix_enodev[i]);
		assert_int_equal(get_device_fd(e.g, name), -ENODEV);
	}
	/* The name is matched before the container is looked at. */
	assert_int_equal(fioctl(e.g, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	snprintf(name, sizeof(name), "%s junk", e.t.name);
	assert_int_equal(get_device_fd(e.g, name), -EINVAL);
	snprintf(name, sizeof(name), "%sx", e.t.name);
	assert_int_equal(get_device_fd(e.g, name), -ENODEV);
	genv_close(&e);
}

/*
 * KERNEL MISMATCH (lib/vfio_device.c, vfio_pci_hot_reset()): the kernel
 * never checks argsz against the group fd array
 * (vfio_pci_ioctl_pci_hot_reset_groups() copies hdr.count fds from
 * arg->group_fds); the library refuses argsz < 12 + 4 * count with
 * EINVAL.
 */
static void group_hot_reset_short_argsz(void **state)
{
	struct genv e;
	int fd, rc;

	(void)state;
	genv_open(&e, true);
	fd = get_device_fd(e.g, e.t.name);
	assert_true(fd >= FD_INST);
	rc = hot_reset(inst_file(fd), 12, 1, e.g_fd, 0);
	inst_close(fd);
	genv_close(&e);
	if (rc != 0) {
		print_message("KERNEL MISMATCH: hot reset with argsz 12 and "
			      "one group fd gives %d (kernel: 0)\n",
			      rc);
		skip();
	}
}

/*
 * The group fds of a hot reset: an fd that is not open (or -1) is EBADF;
 * an open one that is not a VFIO group (the container's iommufd, some
 * other file, a device fd) EINVAL, as a group of another device is
 * (vfio_pci_ioctl_pci_hot_reset_groups(): fget(), then
 * vfio_file_is_group()).
 */
static void group_hot_reset_open_non_group_fd(void **state)
{
	struct genv e, other;
	int fd, ofd;

	(void)state;
	genv_open(&e, true);
	genv_open(&other, true);
	fd = get_device_fd(e.g, e.t.name);
	assert_true(fd >= FD_INST);
	ofd = get_device_fd(other.g, other.t.name);
	assert_true(ofd >= FD_INST);
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, e.c_fd, 0), EINVAL);
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, FD_NOT_IOMMUFD, 0),
			 EINVAL);
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, fd, 0), EINVAL);
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, ofd, 0), EINVAL);
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, other.g_fd, 0),
			 EINVAL);
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, FD_NONE, 0), EBADF);
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, -1, 0), EBADF);
	/* Still resettable with its own group. */
	assert_int_equal(hot_reset(inst_file(fd), 16, 1, e.g_fd, 0), 0);
	inst_close(ofd);
	inst_close(fd);
	genv_close(&other);
	genv_close(&e);
}

/* ---- races ----------------------------------------------------------- */

/*
 * Binding through the cdev and opening the group exclude each other, and
 * two cdev files exclude each other: threads grabbing the device either
 * way, at most one holds it at any time.
 */
#define RACE_ITERS 300

struct racer {
	struct tdev *t;
	int ctx_fd; /* < 0: the group opener */
	atomic_int *holders;
	unsigned int got, overlap, bad_errno;
};

static void *racer(void *arg)
{
	struct racer *r = arg;
	struct uiommufd_file *f;
	int i, rc;

	for (i = 0; i < RACE_ITERS; i++) {
		if (r->ctx_fd < 0) {
			rc = uiommufd_vfio_group_open(r->t->group, &f);
			if (rc) {
				r->bad_errno += rc != -EBUSY;
				continue;
			}
		} else {
			if (uiommufd_vfio_cdev_open(r->t->index, &f)) {
				r->bad_errno++;
				continue;
			}
			rc = bind(f, r->ctx_fd, NULL);
			if (rc) {
				/* EBUSY: the group is open; EINVAL: the
				 * other cdev file is bound. */
				r->bad_errno += rc != EBUSY && rc != EINVAL;
				uiommufd_file_put(f);
				continue;
			}
		}
		r->overlap += atomic_fetch_add(r->holders, 1) != 0;
		r->got++;
		sched_yield();
		atomic_fetch_sub(r->holders, 1);
		uiommufd_file_put(f);
	}
	return NULL;
}

static void bind_group_race(void **state)
{
	struct racer r[3];
	atomic_int holders = 0;
	struct uiommufd_ctx *ctx;
	struct uiommufd_file *f;
	pthread_t th[3];
	struct tdev t;
	int fd, i;

	(void)state;
	new_edu(&t);
	ctx = uiommufd_open();
	fd = host_add_ctx(ctx);
	for (i = 0; i < 3; i++) {
		r[i] = (struct racer){ .t = &t,
				       .ctx_fd = i == 2 ? -1 : fd,
				       .holders = &holders };
		assert_int_equal(pthread_create(&th[i], NULL, racer, &r[i]), 0);
	}
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 3; i++) {
		assert_int_equal(r[i].overlap, 0);
		assert_int_equal(r[i].bad_errno, 0);
	}
	assert_true(r[0].got + r[1].got + r[2].got > 0);
	/* All let go: free for either again. */
	assert_int_equal(uiommufd_vfio_group_open(t.group, &f), 0);
	uiommufd_file_put(f);
	assert_int_equal(uiommufd_vfio_cdev_open(t.index, &f), 0);
	assert_int_equal(bind(f, fd, NULL), 0);
	uiommufd_file_put(f);
	host_del_ctx(fd);
	uiommufd_close(ctx);
}

/* ---- many devices -------------------------------------------------------- */

#define NR_DEVS 4
#define ITERS 50

struct worker {
	struct uiommufd_file *f;
	uint8_t *src, *dst;
	uint64_t src_iova, dst_iova;
	unsigned int bad_dma, bad_data;
};

static void *dma_worker(void *arg)
{
	struct worker *w = arg;
	uint32_t ack = EDU_IRQ_DMA;
	int i;

	for (i = 0; i < ITERS; i++) {
		fill(w->src, PAGE, (uint8_t)(i + (uintptr_t)w->src / PAGE));
		memset(w->dst, 0, PAGE);
		if (!edu_dma_try(w->f, w->src_iova, EDU_BUF, PAGE, DMA_IRQ) ||
		    frw(w->f, &ack, 4, EDU_IRQ_ACK, true) != 4 ||
		    !edu_dma_try(w->f, EDU_BUF, w->dst_iova, PAGE,
				 DMA_TO_RAM)) {
			w->bad_dma++;
			continue;
		}
		w->bad_data += memcmp(w->src, w->dst, PAGE) != 0;
	}
	return NULL;
}

/* Four edus on one IOAS (one shared domain), DMA from four threads, each
 * device signalling its DMA interrupts on an MSI eventfd of its own. */
static void many_devices(void **state)
{
	struct uiommufd_file *f[NR_DEVS];
	struct worker w[NR_DEVS];
	pthread_t th[NR_DEVS];
	struct uiommufd_ctx *ctx;
	struct tdev t[NR_DEVS];
	uint32_t ioas, pt, hwpt = 0;
	int efd[NR_DEVS], fd, i;
	uint8_t *mem;

	(void)state;
	ctx = uiommufd_open();
	fd = host_add_ctx(ctx);
	mem = test_buffer(2 * NR_DEVS * PAGE, PROT_READ | PROT_WRITE);
	memset(mem, 0, 2 * NR_DEVS * PAGE);
	assert_int_equal(ioas_alloc(ctx, &ioas), 0);
	assert_int_equal(
		ioas_map_fixed(ctx, ioas, mem, 2 * NR_DEVS * PAGE, IOVA), 0);
	for (i = 0; i < NR_DEVS; i++) {
		new_edu(&t[i]);
		assert_int_equal(uiommufd_vfio_cdev_open(t[i].index, &f[i]), 0);
		assert_int_equal(bind(f[i], fd, NULL), 0);
		pt = ioas;
		assert_int_equal(attach(f[i], &pt), 0);
		if (i)
			assert_int_equal(pt, hwpt);
		hwpt = pt;
		bus_master(f[i], true);
		efd[i] = new_eventfd();
		assert_int_equal(set_eventfd(f[i], MSI, efd[i]), 0);
		w[i] = (struct worker){
			.f = f[i],
			.src = mem + 2 * i * PAGE,
			.dst = mem + (2 * i + 1) * PAGE,
			.src_iova = IOVA + 2 * i * PAGE,
			.dst_iova = IOVA + (2 * i + 1) * PAGE,
		};
	}
	for (i = 0; i < NR_DEVS; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, dma_worker, &w[i]), 0);
	for (i = 0; i < NR_DEVS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NR_DEVS; i++) {
		assert_int_equal(w[i].bad_dma, 0);
		assert_int_equal(w[i].bad_data, 0);
		assert_int_equal(efd_take(efd[i]), ITERS);
		assert_int_equal(t[i].dev->nr_faults, 0);
	}
	/* The domain goes with the last device. */
	assert_int_equal(object_destroy(ctx, hwpt), EBUSY);
	for (i = 0; i < NR_DEVS; i++) {
		uiommufd_file_put(f[i]);
		close(efd[i]);
	}
	assert_int_equal(object_destroy(ctx, ioas), 0);
	host_del_ctx(fd);
	uiommufd_close(ctx);
	munmap(mem, 2 * NR_DEVS * PAGE);
}

static int group_setup(void **state)
{
	(void)state;
	uiommufd_set_host_ops(&host_ops, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	uiommufd_set_host_ops(NULL, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cdev_before_bind),
		cmocka_unit_test(cdev_bind),
		cmocka_unit_test(cdev_bind_while_group_open),
		cmocka_unit_test(cdev_attach_detach),
		cmocka_unit_test(cdev_close_releases),
		cmocka_unit_test(device_info),
		cmocka_unit_test(region_info),
		cmocka_unit_test(irq_info),
		cmocka_unit_test(device_feature),
		cmocka_unit_test(set_irqs_validation),
		cmocka_unit_test(intx_eventfd),
		cmocka_unit_test(irq_loopback),
		cmocka_unit_test(intx_then_msi),
		cmocka_unit_test(irq_without_eventfd),
		cmocka_unit_test(intx_asserted_without_eventfd_masks),
		cmocka_unit_test(intx_disable_bit),
		cmocka_unit_test(msi_needs_bus_master),
		cmocka_unit_test(msi_enable_zero_vectors),
		cmocka_unit_test(region_rw),
		cmocka_unit_test(rw_user_buffers),
		cmocka_unit_test(config_rw_zero_at_end),
		cmocka_unit_test(bar_write_bad_buffer_decode_off),
		cmocka_unit_test(region_mmap),
		cmocka_unit_test(dma_end_to_end),
		cmocka_unit_test(dma_faults),
		cmocka_unit_test(dma_mask),
		cmocka_unit_test(reset_mid_dma),
		cmocka_unit_test(reset_keeps_irqs),
		cmocka_unit_test(cdev_hot_reset),
		cmocka_unit_test(cdev_hot_reset_with_groups),
		cmocka_unit_test(group_container),
		cmocka_unit_test(group_get_device_fd),
		cmocka_unit_test(group_device_fd_without_compat_ioas),
		cmocka_unit_test(group_second_open),
		cmocka_unit_test(group_unset_with_device_open),
		cmocka_unit_test(group_device_name_options),
		cmocka_unit_test(group_hot_reset_short_argsz),
		cmocka_unit_test(group_hot_reset_open_non_group_fd),
		cmocka_unit_test(bind_group_race),
		cmocka_unit_test(many_devices),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
