// SPDX-License-Identifier: BSD-3-Clause
/*
 * fork(): one iommufd state, shared by parent and child, as the kernel's
 * files are.
 *
 * The state lives in the process that made it. At fork the parent makes a
 * socketpair and a server thread for it (after the fork, so the child has
 * no copy of the thread) and takes a reference to every file the child
 * inherits; the child turns each inherited emulated fd into a proxy whose
 * calls (ioctl, read/write of device fds, the last close) travel over the
 * socket. The server runs each call on the real file with the child's
 * memory (uiommufd_mm_use(): process_vm_readv/writev of the child's pid),
 * so arguments are never marshalled and results land in the child as the
 * kernel would write them. A file the child holds is named by its handle:
 * the address of the parent's shim file, which the child's copy of the
 * table carries; the server checks every handle against the files it holds
 * for that child, so a stale one is EBADF, never a crash.
 *
 * A child that forks again asks its server for a new link for the
 * grandchild (NEWCONN, the socket comes back with SCM_RIGHTS): every
 * process talks to the process that holds the state, never through a
 * chain. Files a child opens itself are its own (it serves them to its
 * children the same way).
 *
 * Lifetimes: the server keeps its references until the child releases the
 * file (its last close) or the link ends: EOF when the child exits, execs
 * (the socket is close-on-exec) or dies mid-call. The child's memory is
 * then marked gone (uiommufd_mm_gone()): pinned pages stay, everything
 * else of it is EFAULT. Calls from the child's threads are serialised on
 * its link; the server answers them one at a time. If the server's process
 * is gone, the child's calls fail with EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/uiommufd.h>

#include "fork.h"

enum fork_op {
	FORK_HELLO = 1, /* child -> server: a = its pid */
	FORK_IOCTL, /* a = request, b = arg */
	FORK_RW, /* a = buf, b = len, c = offset, flags = write */
	FORK_RELEASE, /* no reply */
	FORK_NEWCONN, /* handles[] follow; the reply carries a socket */
	FORK_REPLY, /* ret, err; or, to a LOOKUP, handle */
	FORK_LOOKUP, /* server -> child, mid-call: which file is fd? */
	FORK_BYE, /* the child exits: drop all it holds, then reply */
};

struct fork_msg {
	uint32_t op;
	int32_t fd;
	uint64_t handle;
	uint64_t a, b;
	int64_t c;
	int64_t ret;
	int32_t err;
	uint32_t flags;
};

/* NEWCONN carries at most this many handles (one datagram). */
#define FORK_MAX_HANDLES 4096

/* Past what programs usually number, so closing "every fd" misses it. */
#define FORK_SOCK_MIN_FD 900

struct fork_conn {
	int sock;
	atomic_long refs; /* one per proxy file of this process */
	pthread_mutex_t lock; /* one call at a time */
	bool broken;
	pid_t owner; /* the process using it (not a vfork child) */
};

/* One child served here: the files it holds, with a reference each. */
struct fork_server {
	int sock;
	pid_t pid;
	struct uiommufd_mm *mm;
	void **files;
	size_t nr, cap;
	uint64_t *handles; /* the thread's receive buffer */
	struct fork_server *next;
};

static const struct shim_fork_ops *ops;
/* The child whose call this thread runs, if any. */
static __thread struct fork_server *serving;

bool fork_serving(void)
{
	return serving != NULL;
}

pid_t fork_serving_pid(void)
{
	return serving ? serving->pid : 0;
}

/*
 * servers: every server of this process, so a fork can close their sockets
 * in the child. servers_lock protects the list and each server's files
 * (fork takes it in prepare, so the child's copy is consistent).
 */
static pthread_mutex_t servers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fork_server *servers;
/*
 * Whether this thread holds servers_lock: a SIGCHLD handler calling
 * waitpid() in the middle of it must not wait for it (fork_reaped()).
 */
static __thread unsigned int servers_lock_held;

static void servers_lock_take(void)
{
	pthread_mutex_lock(&servers_lock);
	servers_lock_held++;
}

static void servers_lock_drop(void)
{
	servers_lock_held--;
	pthread_mutex_unlock(&servers_lock);
}

/* What prepare made for the child. */
static struct fork_server *pending_server; /* our files, its server */
static int pending_child_sock = -1; /* the child's end of it */
static struct fork_conn *pending_local; /* the child's link to us */
/* For links of ours to other servers: the child's replacement of each. */
struct fork_remap {
	struct fork_conn *old, *new;
	uint64_t *handles;
	size_t nr, cap;
};
static struct fork_remap *remaps;
static size_t nr_remaps, cap_remaps;

void fork_init(const struct shim_fork_ops *o)
{
	ops = o;
}

static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
	void *p;
	size_t n;

	if (need <= *cap)
		return true;
	n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return false;
	*arr = p;
	*cap = n;
	return true;
}

static int high_cloexec(int fd)
{
	int hi;

	if (fd < 0)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, FORK_SOCK_MIN_FD);
	if (hi < 0)
		return fd;
	syscall(SYS_close, fd);
	return hi;
}

/*
 * The sockets are the shim's, in the program's fd space: the program's
 * close(), close_range() and closefrom() must leave them alone, so they
 * are the library's private fds (uiommufd_private_fd_add()).
 */
static int private_fd(int fd)
{
	return uiommufd_private_fd_add(high_cloexec(fd));
}

/* ---- messages ---------------------------------------------------------- */

static int send_msg(int sock, const struct fork_msg *m, const void *extra,
		    size_t extra_len, int pass_fd)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)m, .iov_len = sizeof(*m) },
		{ .iov_base = (void *)extra, .iov_len = extra_len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = extra_len ? 2 : 1 };
	ssize_t n;

	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)(sizeof(*m) + extra_len) ? 0 : -1;
}

/*
 * One datagram: the header into @m, the rest into @extra (up to @extra_max
 * bytes, *@extra_len set), a passed fd into *@fd (-1 if none). 0, or -1 on
 * EOF or error.
 */
static int recv_msg(int sock, struct fork_msg *m, void *extra, size_t extra_max,
		    size_t *extra_len, int *fd)
{
	struct iovec iov[2] = {
		{ .iov_base = m, .iov_len = sizeof(*m) },
		{ .iov_base = extra, .iov_len = extra_max },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = iov,
			     .msg_iovlen = extra_max ? 2 : 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	ssize_t n;

	if (fd)
		*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		int got;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
		if (fd && *fd < 0)
			*fd = got;
		else
			close(got);
	}
	if (n < (ssize_t)sizeof(*m) || (mh.msg_flags & MSG_TRUNC)) {
		if (fd && *fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		return -1;
	}
	if (extra_len)
		*extra_len = (size_t)n - sizeof(*m);
	return 0;
}

/* ---- the server -------------------------------------------------------- */

/* Is @file one the child holds? Caller holds servers_lock. */
static ssize_t server_find(struct fork_server *s, uint64_t handle)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if ((uintptr_t)s->files[i] == handle)
			return (ssize_t)i;
	return -1;
}

/* Caller holds servers_lock; takes a reference for the child. */
static bool server_add(struct fork_server *s, void *file)
{
	if (!grow((void **)&s->files, &s->cap, s->nr + 1, sizeof(void *)))
		return false;
	ops->get(file);
	s->files[s->nr++] = file;
	return true;
}

static struct fork_server *server_new(int sock)
{
	struct fork_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sock = sock;
	return s;
}

/* Drops what the child held. Caller must have unlinked @s. */
static void server_free(struct fork_server *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		ops->put(s->files[i]);
	if (s->mm) {
		uiommufd_mm_gone(s->mm);
		uiommufd_mm_put(s->mm);
	}
	uiommufd_private_fd_close(s->sock);
	free(s->handles);
	free(s->files);
	free(s);
}

static void server_unlink(struct fork_server *s)
{
	struct fork_server **pp;

	servers_lock_take();
	for (pp = &servers; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	servers_lock_drop();
}

/* The file of @handle, referenced for the call; NULL if the child has none. */
static void *server_get(struct fork_server *s, uint64_t handle)
{
	void *file = NULL;
	ssize_t i;

	servers_lock_take();
	i = server_find(s, handle);
	if (i >= 0) {
		file = s->files[i];
		ops->get(file);
	}
	servers_lock_drop();
	return file;
}

static void server_release(struct fork_server *s, uint64_t handle)
{
	void *file = NULL;
	ssize_t i;

	servers_lock_take();
	i = server_find(s, handle);
	if (i >= 0) {
		file = s->files[i];
		s->files[i] = s->files[--s->nr];
	}
	servers_lock_drop();
	if (file)
		ops->put(file);
}

static void server_start(struct fork_server *s);

/*
 * The child exits: its files are closed before its parent can see it
 * gone, as the kernel closes them in exit(), not whenever EOF comes in.
 */
static void server_drop_all(struct fork_server *s)
{
	void **files;
	size_t i, nr;

	servers_lock_take();
	files = s->files;
	nr = s->nr;
	s->files = NULL;
	s->nr = s->cap = 0;
	servers_lock_drop();
	for (i = 0; i < nr; i++)
		ops->put(files[i]);
	free(files);
	uiommufd_mm_gone(s->mm);
}

void *fork_serving_lookup(int fd)
{
	struct fork_server *s = serving;
	struct fork_msg m = { .op = FORK_LOOKUP, .fd = fd }, r;

	if (!s || send_msg(s->sock, &m, NULL, 0, -1) ||
	    recv_msg(s->sock, &r, NULL, 0, NULL, NULL) || r.op != FORK_REPLY ||
	    !r.handle)
		return NULL;
	return server_get(s, r.handle);
}

/* A link for the child's own child, holding what @handles name. */
static int server_newconn(struct fork_server *s, const uint64_t *handles,
			  size_t nr, int *out_sock)
{
	struct fork_server *n;
	int sv[2];
	size_t i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	sv[0] = private_fd(sv[0]);
	n = server_new(sv[0]);
	if (!n) {
		uiommufd_private_fd_close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	servers_lock_take();
	for (i = 0; i < nr; i++) {
		ssize_t at = server_find(s, handles[i]);

		if (at >= 0 && server_add(n, s->files[at]))
			continue;
		servers_lock_drop();
		close(sv[1]);
		server_free(n);
		return at < 0 ? -EBADF : -ENOMEM;
	}
	n->next = servers;
	servers = n;
	servers_lock_drop();
	server_start(n);
	*out_sock = sv[1];
	return 0;
}

static void server_reply(struct fork_server *s, int64_t ret, int err,
			 int pass_fd)
{
	struct fork_msg r = { .op = FORK_REPLY, .ret = ret, .err = err };

	/* A child that died meanwhile: its EOF ends the loop. */
	(void)send_msg(s->sock, &r, NULL, 0, pass_fd);
}

static void *server_thread(void *arg)
{
	struct fork_server *s = arg;
	/* Kept in @s, not only here: a forked child frees its copy. */
	uint64_t *handles = s->handles =
		malloc(FORK_MAX_HANDLES * sizeof(*handles));
	size_t len, max = handles ? FORK_MAX_HANDLES * sizeof(*handles) : 0;
	struct fork_msg m;

	while (!recv_msg(s->sock, &m, handles, max, &len, NULL)) {
		void *file = NULL;
		int64_t ret = -1;
		int err = 0;

		if (m.op == FORK_HELLO) {
			if (!s->mm) {
				/* Under the lock: fork_reaped() reads it. */
				servers_lock_take();
				s->pid = (pid_t)m.a;
				servers_lock_drop();
				s->mm = uiommufd_mm_open(s->pid);
			}
			if (!s->mm)
				break;
			continue;
		}
		if (!s->mm)
			break; /* not a child of ours speaking */
		if (m.op == FORK_RELEASE) {
			server_release(s, m.handle);
			continue;
		}
		if (m.op == FORK_BYE) {
			server_drop_all(s);
			server_reply(s, 0, 0, -1);
			continue;
		}
		if (m.op == FORK_NEWCONN) {
			int sock = -1, rc;

			rc = server_newconn(s, handles, len / sizeof(uint64_t),
					    &sock);
			server_reply(s, rc ? -1 : 0, rc ? -rc : 0, sock);
			if (sock >= 0)
				close(sock);
			continue;
		}
		if (m.op != FORK_IOCTL && m.op != FORK_RW)
			break;
		file = server_get(s, m.handle);
		if (!file) {
			server_reply(s, -1, EBADF, -1);
			continue;
		}
		uiommufd_mm_use(s->mm);
		serving = s;
		if (m.op == FORK_IOCTL)
			ret = ops->ioctl(file, m.fd, (unsigned long)m.a,
					 (void *)(uintptr_t)m.b);
		else
			ret = ops->rw(file, m.fd, (void *)(uintptr_t)m.a,
				      (size_t)m.b, m.c, m.flags);
		err = errno;
		serving = NULL;
		uiommufd_mm_use(NULL);
		ops->put(file);
		server_reply(s, ret, ret < 0 ? err : 0, -1);
	}
	/* The child's files go before fork_reaped() may return. */
	if (s->mm)
		server_drop_all(s);
	server_unlink(s);
	server_free(s);
	return NULL;
}

void fork_reaped(pid_t pid)
{
	struct timespec until, now, tick = { 0, 1000 * 1000 };

	if (servers_lock_held) /* a signal handler inside our own lock */
		return;
	/* A server stuck for good must not hang the program's wait(). */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 10;
	for (;;) {
		struct fork_server *s;

		/* A server not yet told its child's pid may be @pid's. */
		servers_lock_take();
		for (s = servers; s && s->pid != pid && s->pid; s = s->next)
			;
		servers_lock_drop();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!s || now.tv_sec > until.tv_sec ||
		    (now.tv_sec == until.tv_sec &&
		     now.tv_nsec >= until.tv_nsec))
			return;
		/* Polled, not waited on: wait() may run in a signal handler */
		nanosleep(&tick, NULL);
	}
}

static void server_start(struct fork_server *s)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;

	/* The program's signals are for its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, server_thread, s)) {
		/* No thread: the child's calls see EOF and fail with EIO. */
		server_unlink(s);
		server_free(s);
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- fork -------------------------------------------------------------- */

static struct fork_remap *remap_of(struct fork_conn *c, bool create)
{
	size_t i;

	for (i = 0; i < nr_remaps; i++)
		if (remaps[i].old == c)
			return &remaps[i];
	if (!create || !grow((void **)&remaps, &cap_remaps, nr_remaps + 1,
			     sizeof(*remaps)))
		return NULL;
	memset(&remaps[nr_remaps], 0, sizeof(*remaps));
	remaps[nr_remaps].old = c;
	return &remaps[nr_remaps++];
}

static struct fork_conn *conn_new(int sock)
{
	struct fork_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sock = sock;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void fork_prepare_add(struct fork_conn *conn, void *file, uint64_t handle)
{
	struct fork_remap *r;

	servers_lock_take();
	if (!conn) {
		if (!pending_server) {
			int sv[2];

			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
				       0, sv))
				goto out;
			sv[0] = private_fd(sv[0]);
			pending_server = server_new(sv[0]);
			if (!pending_server) {
				uiommufd_private_fd_close(sv[0]);
				close(sv[1]);
				goto out;
			}
			pending_child_sock = private_fd(sv[1]);
		}
		(void)server_add(pending_server, file);
		goto out;
	}
	r = remap_of(conn, true);
	if (r &&
	    grow((void **)&r->handles, &r->cap, r->nr + 1, sizeof(uint64_t)))
		r->handles[r->nr++] = handle;
out:
	servers_lock_drop();
}

void fork_prepare_end(void)
{
	size_t i;

	/* Each server of ours gives the child a link of its own. */
	for (i = 0; i < nr_remaps; i++) {
		struct fork_remap *r = &remaps[i];
		struct fork_msg m = { .op = FORK_NEWCONN }, reply;
		int sock = -1;

		if (r->nr > FORK_MAX_HANDLES || r->old->broken)
			continue;
		pthread_mutex_lock(&r->old->lock);
		if (!send_msg(r->old->sock, &m, r->handles,
			      r->nr * sizeof(uint64_t), -1) &&
		    !recv_msg(r->old->sock, &reply, NULL, 0, NULL, &sock) &&
		    reply.op == FORK_REPLY && !reply.ret && sock >= 0) {
			sock = private_fd(sock);
			r->new = conn_new(sock);
			if (!r->new)
				uiommufd_private_fd_close(sock);
		} else if (sock >= 0) {
			close(sock);
		}
		pthread_mutex_unlock(&r->old->lock);
	}
	/* Taken until fork_parent()/fork_child_end(): no server thread may
	 * be caught halfway through its list in the child's copy. */
	servers_lock_take();
}

static void remaps_clear(void)
{
	size_t i;

	for (i = 0; i < nr_remaps; i++)
		free(remaps[i].handles);
	free(remaps);
	remaps = NULL;
	nr_remaps = cap_remaps = 0;
}

void fork_parent(void)
{
	struct fork_server *s = pending_server;
	size_t i;

	servers_lock_drop();
	/* The child's ends are the child's. */
	for (i = 0; i < nr_remaps; i++)
		if (remaps[i].new) {
			uiommufd_private_fd_close(remaps[i].new->sock);
			pthread_mutex_destroy(&remaps[i].new->lock);
			free(remaps[i].new);
		}
	remaps_clear();
	if (pending_child_sock >= 0)
		uiommufd_private_fd_close(pending_child_sock);
	pending_child_sock = -1;
	pending_server = NULL;
	if (!s)
		return;
	servers_lock_take();
	s->next = servers;
	servers = s;
	servers_lock_drop();
	server_start(s);
}

struct fork_conn *fork_child_conn(struct fork_conn *conn)
{
	struct fork_remap *r;

	if (!conn) {
		if (!pending_local && pending_child_sock >= 0) {
			pending_local = conn_new(pending_child_sock);
			if (pending_local)
				pending_child_sock = -1;
		}
		if (pending_local)
			atomic_fetch_add(&pending_local->refs, 1);
		return pending_local;
	}
	r = remap_of(conn, false);
	if (!r || !r->new)
		return NULL;
	atomic_fetch_add(&r->new->refs, 1);
	return r->new;
}

static void conn_hello(struct fork_conn *c)
{
	c->owner = getpid();
	struct fork_msg m = { .op = FORK_HELLO, .a = (uint64_t)getpid() };

	if (send_msg(c->sock, &m, NULL, 0, -1))
		c->broken = true;
}

void fork_child_end(void)
{
	struct fork_server *s, *next;
	size_t i;

	/*
	 * The parent's servers have no thread here: close our copies of
	 * their sockets (or their children would never see EOF) and forget
	 * them; their files' references are the parent's.
	 */
	for (s = servers; s; s = next) {
		next = s->next;
		uiommufd_private_fd_close(s->sock);
		/* Our copy of the memory handle (its pidfd with it). */
		uiommufd_mm_put(s->mm);
		free(s->handles);
		free(s->files);
		free(s);
	}
	servers = NULL;
	servers_lock_held = 0;
	if (pending_server) {
		uiommufd_private_fd_close(pending_server->sock);
		free(pending_server->files);
		free(pending_server);
		pending_server = NULL;
	}
	if (pending_child_sock >= 0) /* nothing inherited used it */
		uiommufd_private_fd_close(pending_child_sock);
	pending_child_sock = -1;
	pthread_mutex_init(&servers_lock, NULL);

	if (pending_local)
		conn_hello(pending_local);
	pending_local = NULL;
	for (i = 0; i < nr_remaps; i++) {
		struct fork_conn *old = remaps[i].old;

		if (remaps[i].new)
			conn_hello(remaps[i].new);
		/* The parent's link: all its files moved to the new one. */
		uiommufd_private_fd_close(old->sock);
		pthread_mutex_destroy(&old->lock);
		free(old);
	}
	remaps_clear();
}

/* ---- the child's side -------------------------------------------------- */

void fork_conn_get(struct fork_conn *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void fork_conn_put(struct fork_conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	/* The server sees EOF and drops whatever is left. */
	uiommufd_private_fd_close(c->sock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* One call, one reply: -1 with errno for a failed call or a lost link. */
static int64_t conn_call(struct fork_conn *c, struct fork_msg *m)
{
	struct fork_msg r;
	int64_t ret = -1;
	int err = EIO;

	if (!c) {
		errno = EIO;
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	if (c->broken || send_msg(c->sock, m, NULL, 0, -1))
		goto broken;
	for (;;) {
		if (recv_msg(c->sock, &r, NULL, 0, NULL, NULL))
			goto broken;
		if (r.op == FORK_REPLY)
			break;
		if (r.op != FORK_LOOKUP)
			goto broken;
		/* The call names one of our fds: which file is it there? */
		r.op = FORK_REPLY;
		r.handle = ops->lookup(c, r.fd);
		if (send_msg(c->sock, &r, NULL, 0, -1))
			goto broken;
	}
	ret = r.ret;
	err = r.err;
	pthread_mutex_unlock(&c->lock);
	if (ret < 0)
		errno = err;
	return ret;
broken:
	c->broken = true;
	pthread_mutex_unlock(&c->lock);
	errno = EIO;
	return -1;
}

int fork_client_ioctl(struct fork_conn *c, uint64_t handle, int fd,
		      unsigned long request, void *arg)
{
	struct fork_msg m = { .op = FORK_IOCTL,
			      .fd = fd,
			      .handle = handle,
			      .a = request,
			      .b = (uintptr_t)arg };

	return (int)conn_call(c, &m);
}

ssize_t fork_client_rw(struct fork_conn *c, uint64_t handle, int fd, void *buf,
		       size_t len, int64_t off, bool write)
{
	struct fork_msg m = { .op = FORK_RW,
			      .fd = fd,
			      .handle = handle,
			      .a = (uintptr_t)buf,
			      .b = len,
			      .c = off,
			      .flags = write };

	return (ssize_t)conn_call(c, &m);
}

void fork_client_bye(struct fork_conn *c)
{
	struct fork_msg m = { .op = FORK_BYE };

	/* A vfork child shares our memory, not our files. */
	if (!c || c->owner != getpid())
		return;
	(void)conn_call(c, &m);
	pthread_mutex_lock(&c->lock);
	c->broken = true;
	pthread_mutex_unlock(&c->lock);
}

void fork_client_release(struct fork_conn *c, uint64_t handle)
{
	struct fork_msg m = { .op = FORK_RELEASE, .handle = handle };

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->broken && send_msg(c->sock, &m, NULL, 0, -1))
		c->broken = true;
	pthread_mutex_unlock(&c->lock);
	fork_conn_put(c);
}
