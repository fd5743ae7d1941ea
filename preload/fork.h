/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One iommufd shared by the processes of a fork (fork.c): a child's
 * inherited emulated fds forward their calls to the process that holds the
 * state. preload.c owns the fd table and the files; this file owns the
 * sockets, the protocol and the server threads, and sees files only as
 * opaque pointers it reaches through struct shim_fork_ops.
 */
#ifndef SHIM_FORK_H
#define SHIM_FORK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A child's link to the process serving its inherited files. */
struct fork_conn;

/* What the server does with a file on a child's behalf (preload.c). */
struct shim_fork_ops {
	void (*get)(void *file);
	void (*put)(void *file);
	/* @fd is the child's number, for the trace */
	int (*ioctl)(void *file, int fd, unsigned long request, void *arg);
	/* @buf is in the child; @off -1: at (and moving) the file position */
	ssize_t (*rw)(void *file, int fd, void *buf, size_t len, int64_t off,
		      bool write);
	/* In the child: the handle of @fd if it is a file reached via @c. */
	uint64_t (*lookup)(struct fork_conn *c, int fd);
};

void fork_init(const struct shim_fork_ops *ops);
/*
 * Is the calling thread running a child's call? Then fd numbers in it are
 * the child's: files cannot be installed or looked up by number here.
 */
bool fork_serving(void);
/* The child whose call this thread runs (0: none). */
pid_t fork_serving_pid(void);
/* While serving: the file behind the child's @fd (referenced), or NULL. */
void *fork_serving_lookup(int fd);

/*
 * fork(), with preload.c's locks held in prepare. prepare: add each
 * distinct file the child inherits: @conn NULL for this process's own
 * files (served here), or the conn of a file this process itself reaches
 * through a server (@handle its handle there). Then prepare_end() asks
 * each such server for a link for the child.
 */
void fork_prepare_add(struct fork_conn *conn, void *file, uint64_t handle);
void fork_prepare_end(void);
void fork_parent(void);
/* In the child: the link replacing @conn (NULL: the files the parent
 * serves itself), or NULL if there is none (the call will fail). */
struct fork_conn *fork_child_conn(struct fork_conn *conn);
void fork_child_end(void);

/* A child's calls on an inherited file. Return as the libc call would. */
int fork_client_ioctl(struct fork_conn *c, uint64_t handle, int fd,
		      unsigned long request, void *arg);
ssize_t fork_client_rw(struct fork_conn *c, uint64_t handle, int fd, void *buf,
		       size_t len, int64_t off, bool write);
/* This process exits: the server drops all it holds for us, now. */
void fork_client_bye(struct fork_conn *c);
/* The child's last reference to the file went. */
void fork_client_release(struct fork_conn *c, uint64_t handle);
/* One more user of @c (a file of this process, or a caller for a while) */
void fork_conn_get(struct fork_conn *c);
/* One less: the last one closes the link. */
void fork_conn_put(struct fork_conn *c);

/*
 * The program reaped child @pid: wait until its server here has finished
 * the call it was in and dropped the child's files, as the kernel has
 * closed a dead process's files before its parent can reap it.
 */
void fork_reaped(pid_t pid);

#endif /* SHIM_FORK_H */
