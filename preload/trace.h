/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strace-style decoding of emulated ioctls, for uiommufd-run --trace.
 *
 * Usage, around each emulated ioctl:
 *
 *	struct trace_call tc;
 *	char line[TRACE_LINE_MAX];
 *
 *	trace_begin_kind(&tc, fd, request, arg, kind);
 *	ret = <the ioctl>;
 *	err = errno;
 *	len = trace_finish(&tc, ret, err, line, sizeof(line));
 *	write(2, line, len);
 *
 * A VFIO device fd's pread/pwrite is one call: trace_rw() formats it.
 *
 * These functions read the caller's memory only through process_vm_readv(),
 * so bad pointers never crash them; they allocate nothing, keep no state
 * outside *tc, are safe to call from any number of threads and leave errno
 * as they found it.
 */
#ifndef UIOMMUFD_PRELOAD_TRACE_H
#define UIOMMUFD_PRELOAD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest argument struct snapshotted before the call, in bytes. */
#define TRACE_SNAP_MAX 128
/* Elements of a pointed-to array that are decoded; more print "...". */
#define TRACE_ARRAY_MAX 8
/* Largest decoded array element, in bytes. */
#define TRACE_ELEM_MAX 32
/* A line buffer this big never truncates any line trace_finish() makes. */
#define TRACE_LINE_MAX 4096
/* A line buffer this big never truncates any line trace_rw() makes. */
#define TRACE_RW_LINE_MAX 256

/*
 * The kind of file an ioctl is made on. VFIO reuses ioctl numbers across
 * kinds (VFIO_IOMMU_GET_INFO on a container is VFIO_DEVICE_GET_PCI_HOT_RESET
 * _INFO on a device), so a request is decoded only among the ioctls of its
 * file's kind:
 *
 * TRACE_FD_IOMMU:	 /dev/iommu or a VFIO container: the iommufd, container
 *			 and type1 ioctls, and the group ones.
 * TRACE_FD_VFIO_GROUP:	 the group ioctls only.
 * TRACE_FD_VFIO_DEVICE: the device ioctls only.
 * TRACE_FD_OTHER:	 unknown: any known ioctl, the iommufd and container
 *			 ones before the device ones where numbers collide.
 */
enum trace_fd_kind {
	TRACE_FD_IOMMU,
	TRACE_FD_VFIO_GROUP,
	TRACE_FD_VFIO_DEVICE,
	TRACE_FD_OTHER,
};

/* One traced call: filled by trace_begin(), consumed by trace_finish(). */
struct trace_call {
	int fd;
	unsigned long request;
	void *arg;
	/* The matched ioctl description, NULL for an unknown request. */
	const void *desc;
	/* The struct's size word, and how many bytes of it snap holds. */
	uint32_t user_size;
	uint32_t snap_len;
	/* 0 when the argument could not be read: the pointer is printed. */
	int snap_ok;
	/* Elements of the input array read into aux, -1 if unreadable. */
	int aux_count;
	/* The field description of that input array, NULL if none. */
	const void *aux_field;
	/* The argument struct before the call, zero past snap_len. */
	union {
		uint64_t align;
		unsigned char bytes[TRACE_SNAP_MAX];
	} snap;
	/* The array the struct points to (or a string), before the call. */
	union {
		uint64_t align;
		unsigned char bytes[TRACE_ARRAY_MAX * TRACE_ELEM_MAX];
	} aux;
};

/* Before the call: remember the call and snapshot its input. */
/* Decode the calling thread's calls from @pid's memory (0: our own). */
void trace_set_pid(pid_t pid);

void trace_begin_kind(struct trace_call *tc, int fd, unsigned long request,
		      void *arg, enum trace_fd_kind kind);

/* trace_begin_kind() on a TRACE_FD_IOMMU file. */
void trace_begin(struct trace_call *tc, int fd, unsigned long request,
		 void *arg);

/*
 * After the call: format one complete line ending in '\n' into buf
 * (NUL-terminated) and return its length without the NUL. A line that does
 * not fit is cut and ends in "...\n". ret is the ioctl's return value, err
 * its errno when ret == -1.
 */
size_t trace_finish(struct trace_call *tc, int ret, int err, char *buf,
		    size_t size);

/*
 * One pread/pwrite of count bytes at offset of a VFIO PCI device fd, after
 * the call, as "pwrite64(5, BAR0+0x98, 4) = 4\n": the region is offset >>
 * VFIO_PCI_OFFSET_SHIFT (BAR0-BAR5, ROM, CONFIG, VGA, else REGION<n>). ret
 * is the call's result, err its errno when ret == -1. Formats into buf like
 * trace_finish() and returns the length.
 */
size_t trace_rw(char *buf, size_t size, int fd, bool write, uint64_t offset,
		size_t count, ssize_t ret, int err);
/*
 * A fault queue's read or write of @count bytes (records or responses):
 * "read(5, 40) = 40". It has no offsets to name.
 */
size_t trace_queue_rw(char *buf, size_t size, int fd, bool write, size_t count,
		      ssize_t ret, int err);

#endif /* UIOMMUFD_PRELOAD_TRACE_H */
