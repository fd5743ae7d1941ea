// SPDX-License-Identifier: BSD-3-Clause
/*
 * fork() under the shim: parent and child share every iommufd they both
 * hold, as with the kernel's files. The child's inherited fds forward to
 * the parent, which uses the child's memory; these tests check what each
 * side sees, the lifetimes (the parent closing first, the child exiting,
 * being killed mid-call, exec'ing), several children, grandchildren and a
 * multi-threaded child. Run under uiommufd-run.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/abi.h>

#define BUF_SIZE (64 * 1024UL)
#define IOVA MOCK_APERTURE_START

static long (*nr_contexts)(void);

static int ioas_alloc(int fd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	return ioctl(fd, IOMMU_IOAS_ALLOC, &cmd) ? -errno :
						   (int)cmd.out_ioas_id;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

static int map_fixed(int fd, uint32_t ioas, void *buf, size_t len,
		     uint64_t iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &cmd) ? -errno : 0;
}

static int unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return ioctl(fd, IOMMU_IOAS_UNMAP, &cmd) ? -errno : 0;
}

static int mock_domain(int fd, uint32_t ioas)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas,
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd) ? -errno : 0;
}

static int create_access(int fd, uint32_t ioas)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd) ?
		       -errno :
		       (int)cmd.create_access.out_access_fd;
}

static int access_rw(int fd, int access, uint64_t iova, void *buf, size_t len,
		     bool write)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = (uint32_t)access,
		.access_rw = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = write ? MOCK_ACCESS_RW_WRITE : 0 },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd) ? -errno : 0;
}

/* The child's exit status; a child that fails a check exits with its line. */
static int wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#define CHILD_CHECK(cond)                      \
	do {                                   \
		if (!(cond))                   \
			_exit(__LINE__ % 256); \
	} while (0)

/* The server drops a gone child's files asynchronously: wait for it. */
static void wait_contexts(long n)
{
	int i;

	for (i = 0; i < 2000 && nr_contexts() != n; i++)
		usleep(1000);
	assert_int_equal(nr_contexts(), n);
}

static void *shared_buf(void)
{
	void *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	assert_true(buf != MAP_FAILED);
	return buf;
}

/* What one side makes, the other sees: one object table. */
static void child_shares_objects(void **state)
{
	int fd = open("/dev/iommu", O_RDWR);
	pid_t pid;

	(void)state;
	assert_int_equal(ioas_alloc(fd), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		CHILD_CHECK(destroy(fd, 1) == 0);
		CHILD_CHECK(ioas_alloc(fd) == 1);
		CHILD_CHECK(ioas_alloc(fd) == 2);
		CHILD_CHECK(destroy(fd, 7) == -ENOENT);
		exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	/* Its objects outlive it: they belong to the file. */
	assert_int_equal(ioas_alloc(fd), 3);
	assert_int_equal(destroy(fd, 1), 0);
	assert_int_equal(destroy(fd, 2), 0);
	assert_int_equal(destroy(fd, 3), 0);
	close(fd);
	wait_contexts(0);
}

/* The child maps its (shared) memory; the parent reads it through an
 * access while the child is alive and, pinned by a domain, after. */
static void child_maps_for_parent(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), access, ioas, up[2], down[2];
	char *buf = shared_buf(), tmp[64];
	pid_t pid;

	(void)state;
	ioas = ioas_alloc(fd);
	assert_int_equal(mock_domain(fd, ioas), 0);
	access = create_access(fd, ioas);
	assert_true(access >= 0);
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	memset(buf, 'a', BUF_SIZE);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char c;

		close(up[0]);
		close(down[1]);
		CHILD_CHECK(map_fixed(fd, ioas, buf, BUF_SIZE, IOVA) == 0);
		/* Its own access fd works too, on its memory. */
		CHILD_CHECK(access_rw(fd, access, IOVA, tmp, 8, false) == 0);
		CHILD_CHECK(!memcmp(tmp, "aaaaaaaa", 8));
		CHILD_CHECK(write(up[1], "m", 1) == 1);
		CHILD_CHECK(read(down[0], &c, 1) == 1);
		exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], tmp, 1) != 1)
		fail_msg("child failed: %d", wait_child(pid));
	/* The mapping is in our IOAS; the data is the shared buffer. */
	assert_int_equal(access_rw(fd, access, IOVA + 100, tmp, 16, false), 0);
	assert_memory_equal(tmp, "aaaaaaaaaaaaaaaa", 16);
	assert_int_equal(access_rw(fd, access, IOVA, "xyz", 3, true), 0);
	assert_memory_equal(buf, "xyz", 3);
	assert_int_equal(write(down[1], "x", 1), 1);
	assert_int_equal(wait_child(pid), 0);

	/* Gone, but its pages were pinned: still there. */
	assert_int_equal(mock_domain(fd, ioas), 0);
	memset(tmp, 0, sizeof(tmp));
	assert_int_equal(access_rw(fd, access, IOVA, tmp, 4, false), 0);
	assert_memory_equal(tmp, "xyza", 4);
	assert_int_equal(unmap(fd, ioas, IOVA, BUF_SIZE), 0);
	close(access);
	close(up[0]);
	close(down[1]);
	close(fd);
	wait_contexts(0);
	munmap(buf, BUF_SIZE);
}

/* Without a domain nothing was pinned: once the child is gone, a pin of
 * its memory fails as in the kernel (EFAULT). */
static void child_gone_unpinned(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), ioas, access;
	char *buf = shared_buf(), tmp[8];
	pid_t pid;

	(void)state;
	ioas = ioas_alloc(fd);
	access = create_access(fd, ioas);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		exit(map_fixed(fd, ioas, buf, BUF_SIZE, IOVA) ? 1 : 0);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(mock_domain(fd, ioas), -EFAULT);
	assert_int_equal(access_rw(fd, access, IOVA, tmp, 8, false), -EFAULT);
	/* The area is still ours to unmap. */
	assert_int_equal(unmap(fd, ioas, IOVA, BUF_SIZE), 0);
	close(access);
	close(fd);
	wait_contexts(0);
	munmap(buf, BUF_SIZE);
}

/*
 * A difference from the kernel: the child's private memory is not this
 * process's, so it cannot be pinned here (EFAULT where the kernel pins).
 * Mapping it without a domain succeeds, as it pins nothing.
 */
static void child_private_memory(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), ioas, nodom;
	pid_t pid;

	(void)state;
	ioas = ioas_alloc(fd);
	nodom = ioas_alloc(fd);
	assert_int_equal(mock_domain(fd, ioas), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char *priv = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		CHILD_CHECK(priv != MAP_FAILED);
		CHILD_CHECK(map_fixed(fd, ioas, priv, BUF_SIZE, IOVA) ==
			    -EFAULT);
		CHILD_CHECK(map_fixed(fd, nodom, priv, BUF_SIZE, IOVA) == 0);
		/* A bad pointer is the child's EFAULT, not a crash. */
		CHILD_CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, (void *)8) == -1 &&
			    errno == EFAULT);
		exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(unmap(fd, ioas, IOVA, BUF_SIZE), -ENOENT);
	assert_int_equal(unmap(fd, nodom, IOVA, BUF_SIZE), 0);
	close(fd);
	wait_contexts(0);
}

/* The child's fd keeps the context alive after the parent's last close. */
static void parent_closes_first(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), go[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(ioas_alloc(fd), 1);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(go[1]);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		CHILD_CHECK(ioas_alloc(fd) == 2);
		CHILD_CHECK(destroy(fd, 1) == 0);
		CHILD_CHECK(close(fd) == 0);
		CHILD_CHECK(close(fd) == -1 && errno == EBADF);
		exit(0);
	}
	assert_int_equal(close(fd), 0);
	/* The child holds it: still open here too, in the server. */
	assert_int_equal(nr_contexts(), 1);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(wait_child(pid), 0);
	wait_contexts(0);
	close(go[0]);
	close(go[1]);
}

/* Two children and a grandchild on one context. */
static void children_and_grandchild(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), i;
	pid_t pids[2];

	(void)state;
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (!pids[i]) {
			pid_t gc;
			int st;

			CHILD_CHECK(ioas_alloc(fd) > 0);
			gc = fork();
			CHILD_CHECK(gc >= 0);
			if (!gc)
				exit(ioas_alloc(fd) > 0 ? 0 : 1);
			CHILD_CHECK(waitpid(gc, &st, 0) == gc);
			CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(wait_child(pids[i]), 0);
	/* Four IOAS made elsewhere, all here: the next one is 5. */
	assert_int_equal(ioas_alloc(fd), 5);
	for (i = 1; i <= 5; i++)
		assert_int_equal(destroy(fd, i), 0);
	close(fd);
	wait_contexts(0);
}

static int thread_fd;

static void *child_thread(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 200; i++) {
		int id = ioas_alloc(thread_fd);

		if (id <= 0 || destroy(thread_fd, (uint32_t)id))
			return (void *)1;
	}
	return NULL;
}

/* A child's threads call at once; each gets its own answer. */
static void threaded_child(void **state)
{
	pid_t pid;

	(void)state;
	thread_fd = open("/dev/iommu", O_RDWR);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		pthread_t t[4];
		void *ret;
		int i, bad = 0;

		for (i = 0; i < 4; i++)
			CHILD_CHECK(!pthread_create(&t[i], NULL, child_thread,
						    NULL));
		for (i = 0; i < 4; i++) {
			pthread_join(t[i], &ret);
			bad |= ret != NULL;
		}
		exit(bad);
	}
	child_thread(NULL);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(ioas_alloc(thread_fd), 1);
	close(thread_fd);
	wait_contexts(0);
}

/* Killed in the middle of its calls: the parent carries on. */
static void child_killed(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), i;
	char *buf = shared_buf();

	(void)state;
	assert_int_equal(ioas_alloc(fd), 1);
	assert_int_equal(mock_domain(fd, 1), 0);
	for (i = 0; i < 5; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (!pid) {
			for (;;) {
				if (!map_fixed(fd, 1, buf, BUF_SIZE, IOVA))
					unmap(fd, 1, IOVA, BUF_SIZE);
			}
		}
		usleep(2000 + 3000 * i);
		kill(pid, SIGKILL);
		assert_int_equal(wait_child(pid), 1000 + SIGKILL);
	}
	/* Whatever it left mapped can go; then the IOAS is empty. */
	unmap(fd, 1, IOVA, BUF_SIZE);
	assert_int_equal(map_fixed(fd, 1, buf, BUF_SIZE, IOVA), 0);
	assert_int_equal(unmap(fd, 1, IOVA, BUF_SIZE), 0);
	close(fd);
	wait_contexts(0);
	munmap(buf, BUF_SIZE);
}

/* exec drops the child's share: its fds become /dev/null there. */
static void child_execs(void **state)
{
	int fd = open("/dev/iommu", O_RDWR);
	char arg[16];
	pid_t pid;

	(void)state;
	fcntl(fd, F_SETFD, 0);
	snprintf(arg, sizeof(arg), "%d", fd);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl("/proc/self/exe", "test_fork", "--exec-child", arg,
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(wait_child(pid), 0);
	close(fd);
	wait_contexts(0);
}

static int exec_child(int fd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd) != -1 || errno != ENOTTY)
		return 2;
	return 0;
}

/*
 * Once waitpid() has reaped a child, the child's files are closed, as in
 * the kernel: its last reference to a context is gone at once.
 */
static void reaped_child_holds_nothing(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		int fd = open("/dev/iommu", O_RDWR);
		pid_t pid;

		assert_true(fd >= 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			CHILD_CHECK(ioas_alloc(fd) > 0);
			_exit(0);
		}
		close(fd);
		assert_int_equal(wait_child(pid), 0);
		assert_int_equal(nr_contexts(), 0);
	}
}

static atomic_int reaped;

static void on_sigchld(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		atomic_fetch_add(&reaped, 1);
	errno = saved;
}

/* Reaping from a SIGCHLD handler, while the parent forks and calls. */
static void sigchld_handler_reaps(void **state)
{
	struct sigaction sa = { .sa_handler = on_sigchld }, old;
	int fd = open("/dev/iommu", O_RDWR), i;

	(void)state;
	assert_true(fd >= 0);
	atomic_store(&reaped, 0);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGCHLD, &sa, &old), 0);
	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (!pid) {
			CHILD_CHECK(ioas_alloc(fd) > 0);
			_exit(0);
		}
		assert_true(ioas_alloc(fd) > 0);
	}
	for (i = 0; i < 10000 && atomic_load(&reaped) < 20; i++)
		usleep(1000);
	assert_int_equal(atomic_load(&reaped), 20);
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
	/* 20 IOASes of the parent's and 20 of the children's. */
	assert_int_equal(destroy(fd, 40), 0);
	close(fd);
	wait_contexts(0);
}

/* A fault queue's fd inherited by a child: it polls and reads there too. */
static void child_reads_fault_queue(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), ffd;
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_pgfault rec;
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	ffd = (int)fa.out_fault_fd;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct pollfd p = { .fd = ffd, .events = POLLIN | POLLOUT };

		CHILD_CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
		CHILD_CHECK(read(ffd, &rec, sizeof(rec)) == 0);
		CHILD_CHECK(read(ffd, &rec, 1) == -1 && errno == ESPIPE);
		CHILD_CHECK(pread(ffd, &rec, sizeof(rec), 0) == -1 &&
			    errno == ESPIPE);
		_exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	/* The queue is the parent's still: it refuses to go while open. */
	assert_int_equal(destroy(fd, fa.out_fault_id), -EBUSY);
	close(ffd);
	assert_int_equal(destroy(fd, fa.out_fault_id), 0);
	close(fd);
	wait_contexts(0);
}

/*
 * The sockets the shim keeps for a child are not the program's: closing
 * every fd (close_range, closefrom, close of each number) leaves the
 * child's inherited fds working.
 */
static void private_sockets_survive_close_all(void **state)
{
	int sync[2], fd, i, found;
	pid_t pid;
	char c = 0;

	(void)state;
	assert_int_equal(pipe(sync), 0);
	fd = open("/dev/iommu", O_RDWR);
	assert_true(fd > sync[1]);
	assert_int_equal(ioas_alloc(fd), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(sync[1]);
		CHILD_CHECK(read(sync[0], &c, 1) == 1);
		CHILD_CHECK(ioas_alloc(fd) == 2);
		_exit(0);
	}
	/* The shim's socket for the child: not an fd of the program's. */
	for (i = 900, found = 0; i < 4096; i++) {
		char path[64], link[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 7 || strncmp(link, "socket:", 7))
			continue;
		found++;
		assert_int_equal(close(i), -1);
		assert_int_equal(errno, EBADF);
	}
	assert_true(found >= 1);
	/* Every fd from the context's up closed, in every way. */
	for (i = fd + 1; i < 4096; i++)
		close(i);
	assert_int_equal(close_range((unsigned int)fd, ~0U, 0), 0);
	closefrom(fd);
	assert_int_equal(write(sync[1], &c, 1), 1);
	assert_int_equal(wait_child(pid), 0);
	close(sync[0]);
	close(sync[1]);
	wait_contexts(0);
}

int main(int argc, char **argv)
{
	/* The build's meson sets it: see tests/frontend/meson.build. */
	if (getenv("UIOMMUFD_TEST_TSAN")) {
		printf("skipped: ThreadSanitizer takes the locks a forked child "
		       "rebuilds for still held\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(child_shares_objects),
		cmocka_unit_test(child_maps_for_parent),
		cmocka_unit_test(child_gone_unpinned),
		cmocka_unit_test(child_private_memory),
		cmocka_unit_test(parent_closes_first),
		cmocka_unit_test(children_and_grandchild),
		cmocka_unit_test(threaded_child),
		cmocka_unit_test(child_killed),
		cmocka_unit_test(reaped_child_holds_nothing),
		cmocka_unit_test(sigchld_handler_reaps),
		cmocka_unit_test(child_reads_fault_queue),
		cmocka_unit_test(private_sockets_survive_close_all),
		cmocka_unit_test(child_execs),
	};

	if (argc == 3 && !strcmp(argv[1], "--exec-child"))
		return exec_child(atoi(argv[2]));
	nr_contexts = (long (*)(void))dlsym(RTLD_DEFAULT,
					    "uiommufd_preload_nr_contexts");
	if (!nr_contexts) {
		fprintf(stderr, "test_fork: run me under uiommufd-run\n");
		return 1;
	}
	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
