// SPDX-License-Identifier: BSD-3-Clause
/*
 * The sysfs view of emulated PCI devices. Programs find a VFIO device and
 * its group through /sys/bus/pci/devices/DDDD:BB:DD.F: its iommu_group
 * link (whose basename is the group number), vendor, device, class,
 * config, its subsystem link (realpath'd to see it is PCI), its vfio-dev/
 * directory (the cdev's name). The shim builds that part of sysfs as a
 * real tree in a private temporary directory, laid out as under /sys so
 * that its relative links resolve, and redirects the paths of emulated
 * devices there; everything else of /sys stays the kernel's. The
 * fault-injection directories of /sys/kernel/debug are a second such tree
 * (below).
 *
 * Only raw syscalls here: the libc functions the shim wraps would recurse.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uiommufd/device.h>
#include <uiommufd/uiommufd.h>

#include "sysfs.h"

#define MAX_DEVS 256

static char root[1024]; /* "" when no tree */
static size_t root_len;
static pid_t root_owner;
static unsigned int nr_devs;
static struct uiommufd_pci_dev_desc *devs;

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (syscall(SYS_mkdirat, AT_FDCWD, buf, 0755) &&
		    errno != EEXIST)
			return -errno;
		if (i != len)
			buf[i] = '/';
	}
	return 0;
}

static int put_file(const char *dir, const char *name, const void *data,
		    size_t len)
{
	char path[PATH_MAX];
	long fd;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = syscall(SYS_openat, AT_FDCWD, path,
		     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_write, fd, data, len) != (long)len)
		rc = -EIO;
	syscall(SYS_close, fd);
	return rc;
}

static int put_text(const char *dir, const char *name, const char *fmt,
		    unsigned long val)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), fmt, val);

	return put_file(dir, name, buf, (size_t)n);
}

static int put_link(const char *dir, const char *name, const char *target)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (syscall(SYS_symlinkat, target, AT_FDCWD, path) && errno != EEXIST)
		return -errno;
	return 0;
}

/* One device: its directory, and the links that lead to it. */
static int build_device(const struct uiommufd_pci_dev_desc *d)
{
	char dir[PATH_MAX / 2], sub[PATH_MAX], name[64];
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/devices/uiommufd/%s", root, d->name);
	rc = mkdir_p(dir);
	rc = rc ?: put_text(dir, "vendor", "0x%04lx\n", d->id.vendor);
	rc = rc ?: put_text(dir, "device", "0x%04lx\n", d->id.device);
	rc = rc	   ?:
		     put_text(dir, "subsystem_vendor", "0x%04lx\n",
			      d->id.subsys_vendor);
	rc = rc	   ?:
		     put_text(dir, "subsystem_device", "0x%04lx\n",
			      d->id.subsys_id);
	rc = rc ?: put_text(dir, "class", "0x%06lx\n", d->id.class_rev >> 8);
	rc = rc	   ?:
		     put_text(dir, "revision", "0x%02lx\n",
			      d->id.class_rev & 0xff);
	rc = rc ?: put_text(dir, "numa_node", "%ld\n", (unsigned long)-1L);
	rc = rc ?: put_file(dir, "config", d->config, sizeof(d->config));
	snprintf(name, sizeof(name), "../../../kernel/iommu_groups/%u",
		 d->group);
	rc = rc ?: put_link(dir, "iommu_group", name);
	rc = rc ?: put_link(dir, "subsystem", "../../../bus/pci");
	rc = rc ?: put_link(dir, "driver", "../../../bus/pci/drivers/vfio-pci");
	snprintf(sub, sizeof(sub), "%s/vfio-dev/vfio%u", dir, d->index);
	rc = rc ?: mkdir_p(sub);
	snprintf(name, sizeof(name), "%u:%u\n", SHIM_VFIO_CDEV_MAJOR, d->index);
	rc = rc ?: put_file(sub, "dev", name, strlen(name));

	snprintf(sub, sizeof(sub), "%s/bus/pci/devices", root);
	snprintf(name, sizeof(name), "../../../devices/uiommufd/%s", d->name);
	rc = rc ?: mkdir_p(sub);
	rc = rc ?: put_link(sub, d->name, name);
	snprintf(sub, sizeof(sub), "%s/bus/pci/drivers/vfio-pci", root);
	snprintf(name, sizeof(name), "../../../../devices/uiommufd/%s",
		 d->name);
	rc = rc ?: mkdir_p(sub);
	rc = rc ?: put_link(sub, d->name, name);
	snprintf(sub, sizeof(sub), "%s/kernel/iommu_groups/%u/devices", root,
		 d->group);
	snprintf(name, sizeof(name), "../../../../devices/uiommufd/%s",
		 d->name);
	rc = rc ?: mkdir_p(sub);
	rc = rc ?: put_link(sub, d->name, name);
	snprintf(sub, sizeof(sub), "%s/kernel/iommu_groups/%u", root, d->group);
	rc = rc ?: put_file(sub, "type", "DMA\n", 4);
	rc = rc	   ?:
		     put_file(sub, "reserved_regions",
			      "0x00000000fee00000 0x00000000feefffff msi\n",
			      42);
	return rc;
}

/* Removes what build() made, depth first (only our own tree). */
static void remove_tree(int dirfd, const char *name)
{
	char buf[4096];
	long fd, n;

	fd = syscall(SYS_openat, dirfd, name,
		     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		syscall(SYS_unlinkat, dirfd, name, 0);
		return;
	}
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *e = (void *)(buf + off);

			off += e->reclen;
			if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
				continue;
			if (e->type == DT_DIR)
				remove_tree((int)fd, e->name);
			else
				syscall(SYS_unlinkat, fd, e->name, 0);
		}
	}
	syscall(SYS_close, fd);
	syscall(SYS_unlinkat, dirfd, name, AT_REMOVEDIR);
}

static void sysfs_cleanup(void)
{
	if (root_len && getpid() == root_owner)
		remove_tree(AT_FDCWD, root);
}

int sysfs_build(void)
{
	struct uiommufd_pci_dev_desc *d;
	const char *tmp = getenv("TMPDIR");
	int rc = 0;

	while (nr_devs < MAX_DEVS) {
		d = realloc(devs, (nr_devs + 1) * sizeof(*d));
		if (!d)
			return -ENOMEM;
		devs = d;
		if (uiommufd_pci_dev_describe(nr_devs, &devs[nr_devs]))
			break;
		nr_devs++;
	}
	if (!nr_devs)
		return 0;
	snprintf(root, sizeof(root), "%s/uiommufd-sysfs-XXXXXX",
		 tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		rc = -errno;
		root[0] = '\0';
		return rc;
	}
	root_len = strlen(root);
	root_owner = getpid();
	atexit(sysfs_cleanup);
	for (unsigned int i = 0; i < nr_devs && !rc; i++)
		rc = build_device(&devs[i]);
	return rc;
}

const struct uiommufd_pci_dev_desc *sysfs_device(unsigned int i)
{
	return i < nr_devs ? &devs[i] : NULL;
}

/* Does @path (absolute, canonical) start with @prefix as whole components? */
static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

const char *sysfs_redirect(const char *path, char *buf, size_t size)
{
	char prefix[128];
	unsigned int i;
	bool ours = false;

	if (!root_len || !path || strncmp(path, "/sys/", 5))
		return path;
	if (under(path, "/sys/devices/uiommufd"))
		ours = true;
	for (i = 0; i < nr_devs && !ours; i++) {
		snprintf(prefix, sizeof(prefix), "/sys/bus/pci/devices/%s",
			 devs[i].name);
		ours = under(path, prefix);
		snprintf(prefix, sizeof(prefix),
			 "/sys/bus/pci/drivers/vfio-pci/%s", devs[i].name);
		ours = ours || under(path, prefix);
		snprintf(prefix, sizeof(prefix), "/sys/kernel/iommu_groups/%u",
			 devs[i].group);
		ours = ours || under(path, prefix);
	}
	if (!ours || root_len + strlen(path) - 4 + 1 > size)
		return path;
	memcpy(buf, root, root_len);
	strcpy(buf + root_len, path + 4);
	return buf;
}

void sysfs_unredirect(char *resolved)
{
	if (root_len && !strncmp(resolved, root, root_len) &&
	    (resolved[root_len] == '/' || !resolved[root_len])) {
		memcpy(resolved, "/sys", 4);
		memmove(resolved + 4, resolved + root_len,
			strlen(resolved + root_len) + 1);
	}
}

/* ---- debugfs: the fault-injection directories ---------------------------- */

/*
 * /sys/kernel/debug/{failslab,fail_page_alloc,fail_usercopy,fail_iommufd}
 * as a tree of empty files, built on first use, so that opendir, readdir,
 * dirfd and openat relative to it work natively; opening a file of it
 * gives an emulated fd (node_of_path() asks debugfs_knob_of_path()) whose
 * reads and writes are the library's knobs. The fault directories are
 * always served from here: they drive the library, never the host. The
 * directory above them is redirected too when the host's is of no use
 * (no debugfs mounted, no permission, no fault injection), which is the
 * common case without root.
 */
static char dbg_root[1024]; /* canonical; "" until built */
static size_t dbg_root_len;
static pid_t dbg_owner;
static bool dbg_host_usable;
static pthread_once_t dbg_once = PTHREAD_ONCE_INIT;

#define DEBUGFS "/sys/kernel/debug"

static void debugfs_cleanup(void)
{
	if (dbg_root_len && getpid() == dbg_owner)
		remove_tree(AT_FDCWD, dbg_root);
}

static void debugfs_build(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], link[64], canon[sizeof(dbg_root)];
	const char *name;
	unsigned int d, k;
	long fd, n;
	int saved_errno = errno;

	dbg_host_usable =
		!syscall(SYS_faccessat, AT_FDCWD, DEBUGFS "/failslab", X_OK);
	snprintf(dir, sizeof(dir), "%s/uiommufd-debugfs-XXXXXX",
		 tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!mkdtemp(dir))
		goto out;
	dbg_owner = getpid();
	/* node_of_path() sees dirfds by their /proc/self/fd name. */
	fd = syscall(SYS_openat, AT_FDCWD, dir, O_PATH | O_CLOEXEC);
	snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
	n = fd < 0 ? -1 :
		     syscall(SYS_readlinkat, AT_FDCWD, link, canon,
			     sizeof(canon) - 1);
	if (fd >= 0)
		syscall(SYS_close, fd);
	if (n <= 0) {
		syscall(SYS_unlinkat, AT_FDCWD, dir, AT_REMOVEDIR);
		goto out;
	}
	canon[n] = '\0';
	/* debugfs's root is 0700, its directories 0755, its files 0600. */
	syscall(SYS_fchmodat, AT_FDCWD, canon, 0700);
	for (d = 0; (name = uiommufd_fault_dir_name(d)); d++) {
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/%s", canon, name);
		if (mkdir_p(sub))
			continue;
		for (k = 0; (name = uiommufd_fault_knob_name(d, k)); k++) {
			if (put_file(sub, name, "", 0) == 0) {
				char f[PATH_MAX + 64];

				snprintf(f, sizeof(f), "%s/%s", sub, name);
				syscall(SYS_fchmodat, AT_FDCWD, f, 0600);
			}
		}
	}
	memcpy(dbg_root, canon, (size_t)n + 1);
	dbg_root_len = (size_t)n;
	atexit(debugfs_cleanup);
out:
	errno = saved_errno;
}

/* The fault directory @path (after DEBUGFS "/") starts with, or -1. */
static int debugfs_dir_of(const char *rest)
{
	const char *name;
	unsigned int d;

	for (d = 0; (name = uiommufd_fault_dir_name(d)); d++) {
		size_t n = strlen(name);

		if (!strncmp(rest, name, n) && (!rest[n] || rest[n] == '/'))
			return (int)d;
	}
	return -1;
}

const char *debugfs_redirect(const char *path, char *buf, size_t size)
{
	const char *rest;

	if (!path || strncmp(path, DEBUGFS, sizeof(DEBUGFS) - 1) ||
	    (path[sizeof(DEBUGFS) - 1] && path[sizeof(DEBUGFS) - 1] != '/'))
		return path;
	pthread_once(&dbg_once, debugfs_build);
	if (!dbg_root_len)
		return path;
	rest = path + sizeof(DEBUGFS) - 1;
	while (*rest == '/')
		rest++;
	if (dbg_host_usable && debugfs_dir_of(rest) < 0)
		return path;
	if (dbg_root_len + strlen(path) - (sizeof(DEBUGFS) - 1) + 1 > size)
		return path;
	memcpy(buf, dbg_root, dbg_root_len);
	strcpy(buf + dbg_root_len, path + sizeof(DEBUGFS) - 1);
	return buf;
}

void debugfs_unredirect(char *resolved)
{
	if (dbg_root_len && !strncmp(resolved, dbg_root, dbg_root_len) &&
	    (resolved[dbg_root_len] == '/' || !resolved[dbg_root_len])) {
		size_t tail = strlen(resolved + dbg_root_len) + 1;

		/* The tree's name is longer than DEBUGFS: this shrinks. */
		memmove(resolved + sizeof(DEBUGFS) - 1, resolved + dbg_root_len,
			tail);
		memcpy(resolved, DEBUGFS, sizeof(DEBUGFS) - 1);
	}
}

bool debugfs_knob_of_path(const char *norm, unsigned int *dir,
			  unsigned int *knob)
{
	const char *rest, *name;
	unsigned int k;
	int d;

	if (!strncmp(norm, DEBUGFS "/", sizeof(DEBUGFS)))
		rest = norm + sizeof(DEBUGFS);
	else if (dbg_root_len && !strncmp(norm, dbg_root, dbg_root_len) &&
		 norm[dbg_root_len] == '/')
		rest = norm + dbg_root_len + 1;
	else
		return false;
	d = debugfs_dir_of(rest);
	if (d < 0)
		return false;
	rest += strlen(uiommufd_fault_dir_name((unsigned int)d));
	if (*rest++ != '/')
		return false;
	for (k = 0; (name = uiommufd_fault_knob_name((unsigned int)d, k)); k++)
		if (!strcmp(rest, name)) {
			*dir = (unsigned int)d;
			*knob = k;
			return true;
		}
	return false;
}

bool debugfs_may_be_knob(const char *last, size_t len)
{
	const char *name;
	unsigned int k;

	/* fail_page_alloc has every knob name there is. */
	for (k = 0; (name = uiommufd_fault_knob_name(1, k)); k++)
		if (strlen(name) == len && !memcmp(name, last, len))
			return true;
	return false;
}
