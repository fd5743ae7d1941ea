// SPDX-License-Identifier: BSD-3-Clause
/*
 * The preload shim as a program sees it: run under uiommufd-run, this
 * program opens /dev/iommu every way libc allows, probes it, dups and
 * closes it, forks and execs, and checks that each fd behaves like the
 * kernel's and that contexts live exactly as long as their last fd.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/abi.h>

/* glibc's fortified entry points, called directly to test them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);

static long (*nr_contexts_fn)(void);

static long nr_contexts(void)
{
	return nr_contexts_fn();
}

/* Allocates an IOAS on @fd and returns its ID, or -errno. */
static int ioas_alloc(int fd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd))
		return -errno;
	return (int)cmd.out_ioas_id;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

static void assert_fresh_context(int fd)
{
	assert_true(fd >= 0);
	/* A new context hands out ID 1 first. */
	assert_int_equal(ioas_alloc(fd), 1);
	assert_int_equal(ioas_alloc(fd), 2);
}

static void open_variants(void **state)
{
	long base = nr_contexts();
	int dev, fd;

	(void)state;
	fd = open("/dev/iommu", O_RDWR);
	assert_fresh_context(fd);
	assert_int_equal(nr_contexts(), base + 1);
	close(fd);
	assert_int_equal(nr_contexts(), base);

	fd = open64("/dev/iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	fd = openat(AT_FDCWD, "/dev/iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	fd = openat64(AT_FDCWD, "/dev/iommu", O_RDONLY);
	assert_fresh_context(fd);
	close(fd);
	fd = __open_2("/dev/iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	fd = __open64_2("/dev/iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);

	/* Spellings of the same path. */
	fd = open("//dev//./iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	fd = open("/dev/../dev/iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);

	/* Relative to a directory fd, and to the working directory. */
	dev = open("/dev", O_RDONLY | O_DIRECTORY);
	assert_true(dev >= 0);
	fd = openat(dev, "iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	fd = __openat_2(dev, "./iommu", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	close(dev);
	{
		char cwd[PATH_MAX];

		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir("/dev"), 0);
		fd = open("iommu", O_RDWR);
		assert_int_equal(chdir(cwd), 0);
		assert_fresh_context(fd);
		close(fd);
	}
	assert_int_equal(nr_contexts(), base);

	/* Names that are not /dev/iommu are left alone. */
	assert_int_equal(open("/dev/iommux", O_RDWR), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(open("/dev/iommu/x", O_RDWR), -1);
	assert_int_equal(nr_contexts(), base);
}

/*
 * /dev/vfio/vfio is an iommufd too (IOMMUFD_VFIO_CONTAINER): a context that
 * answers both uAPIs and charges pins per process, on VFIO's misc minor.
 */
static void vfio_container_node(void **state)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	long base = nr_contexts();
	struct stat st, fst;
	int fd, iommu;

	(void)state;
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_fresh_context(fd);
	assert_int_equal(nr_contexts(), base + 1);
	assert_int_equal(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	assert_int_equal(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU),
			 1);
	assert_int_equal(ioctl(fd, IOMMU_OPTION, &opt), 0);
	assert_int_equal(opt.val64, 1);
	/* /dev/iommu charges the user. */
	iommu = open("/dev/iommu", O_RDWR);
	assert_true(iommu >= 0);
	opt.val64 = 7;
	assert_int_equal(ioctl(iommu, IOMMU_OPTION, &opt), 0);
	assert_int_equal(opt.val64, 0);

	assert_int_equal(stat("/dev/vfio/vfio", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(10, 196));
	assert_int_equal(fstat(fd, &fst), 0);
	assert_int_equal(fst.st_rdev, st.st_rdev);
	assert_int_equal(fst.st_ino, st.st_ino);
	assert_int_equal(fstat(iommu, &fst), 0);
	assert_int_equal(fst.st_rdev, makedev(10, 257));
	assert_int_equal(access("/dev/vfio/vfio", R_OK | W_OK), 0);
	close(iommu);
	close(fd);

	/* Spellings, and relative lookups. */
	fd = open("/dev//vfio/./vfio", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	fd = open("/dev/vfio/../vfio/vfio", O_RDWR);
	assert_fresh_context(fd);
	close(fd);
	{
		char cwd[PATH_MAX];

		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir("/dev"), 0);
		fd = open("vfio/vfio", O_RDWR);
		assert_int_equal(chdir(cwd), 0);
		assert_fresh_context(fd);
		close(fd);
	}
	assert_int_equal(nr_contexts(), base);

	/* Other names in /dev/vfio are not the container. */
	assert_int_equal(open("/dev/vfio/vfio/", O_RDWR), -1);
	assert_int_equal(open("/dev/vfiox/vfio", O_RDWR), -1);
	assert_int_equal(open("/vfio/vfio", O_RDWR), -1);
	assert_int_equal(nr_contexts(), base);
}

static void open_refusals(void **state)
{
	long base = nr_contexts();
	int fd;

	(void)state;
	/* As the kernel answers for an existing character device. */
	assert_int_equal(open("/dev/iommu", O_RDWR | O_CREAT | O_EXCL, 0600),
			 -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(open("/dev/iommu", O_RDONLY | O_DIRECTORY), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(nr_contexts(), base);

	/* O_CREAT without O_EXCL opens the existing node. */
	fd = open("/dev/iommu", O_RDWR | O_CREAT, 0600);
	assert_fresh_context(fd);
	close(fd);

	/* O_PATH gives a handle that cannot ioctl, and no context. */
	fd = open("/dev/iommu", O_PATH);
	assert_true(fd >= 0);
	assert_int_equal(nr_contexts(), base);
	assert_int_equal(ioas_alloc(fd), -EBADF);
	close(fd);
}

static void assert_iommu_stat(const struct stat *st)
{
	assert_true(S_ISCHR(st->st_mode));
	assert_int_equal(st->st_mode & 0777, 0666);
	assert_int_equal(major(st->st_rdev), 10);
}

static void stat_family(void **state)
{
	struct stat st, fst, null;
	struct statx stx;
	int fd;

	(void)state;
	assert_int_equal(stat("/dev/iommu", &st), 0);
	assert_iommu_stat(&st);
	memset(&fst, 0, sizeof(fst));
	assert_int_equal(lstat("/dev/iommu", &fst), 0);
	assert_memory_equal(&st, &fst, sizeof(st));
	assert_int_equal(fstatat(AT_FDCWD, "/dev/iommu", &fst, 0), 0);
	assert_memory_equal(&st, &fst, sizeof(st));

	fd = open("/dev/iommu", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &fst), 0);
	assert_iommu_stat(&fst);
	assert_int_equal(fst.st_rdev, st.st_rdev);
	assert_int_equal(fst.st_ino, st.st_ino);
	assert_int_equal(fstatat(fd, "", &fst, AT_EMPTY_PATH), 0);
	assert_int_equal(fst.st_rdev, st.st_rdev);

	assert_int_equal(
		statx(AT_FDCWD, "/dev/iommu", 0, STATX_BASIC_STATS, &stx), 0);
	assert_true(S_ISCHR(stx.stx_mode));
	assert_int_equal(stx.stx_rdev_major, major(st.st_rdev));
	assert_int_equal(stx.stx_rdev_minor, minor(st.st_rdev));
	assert_int_equal(stx.stx_ino, st.st_ino);
	assert_int_equal(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx),
			 0);
	assert_true(S_ISCHR(stx.stx_mode));
	close(fd);

	assert_int_equal(access("/dev/iommu", F_OK), 0);
	assert_int_equal(access("/dev/iommu", R_OK | W_OK), 0);
	assert_int_equal(access("/dev/iommu", X_OK), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(faccessat(AT_FDCWD, "/dev/iommu", R_OK | W_OK, 0), 0);
	assert_int_equal(euidaccess("/dev/iommu", W_OK), 0);

	/* Other paths still see the real file system. */
	assert_int_equal(stat("/dev/null", &null), 0);
	assert_int_equal(null.st_rdev, makedev(1, 3));
	assert_int_equal(stat("/dev/iommu-not", &null), -1);
	assert_int_equal(errno, ENOENT);
}

static void fd_flags(void **state)
{
	int fd;

	(void)state;
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
			 O_RDWR | O_NONBLOCK);
	assert_int_equal(fcntl(fd, F_SETFD, 0), 0);
	assert_int_equal(fcntl(fd, F_GETFD), 0);
	assert_int_equal(ioas_alloc(fd), 1);
	close(fd);

	fd = open("/dev/iommu", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
}

static void dup_shares_context(void **state)
{
	long base = nr_contexts();
	int fd, a, b, c, d, e;

	(void)state;
	fd = open("/dev/iommu", O_RDWR);
	assert_int_equal(ioas_alloc(fd), 1);
	a = dup(fd);
	b = dup2(fd, 60);
	c = dup3(fd, 61, O_CLOEXEC);
	d = fcntl(fd, F_DUPFD, 70);
	e = fcntl(fd, F_DUPFD_CLOEXEC, 80);
	assert_true(a > fd);
	assert_int_equal(b, 60);
	assert_int_equal(c, 61);
	assert_true(d >= 70);
	assert_true(e >= 80);
	assert_int_equal(fcntl(c, F_GETFD), FD_CLOEXEC);
	assert_int_equal(fcntl(e, F_GETFD), FD_CLOEXEC);
	assert_int_equal(fcntl(d, F_GETFD), 0);
	assert_int_equal(nr_contexts(), base + 1);

	/* One context: IDs continue across the duplicates. */
	assert_int_equal(ioas_alloc(a), 2);
	assert_int_equal(ioas_alloc(b), 3);
	assert_int_equal(ioas_alloc(c), 4);
	assert_int_equal(ioas_alloc(d), 5);
	assert_int_equal(ioas_alloc(e), 6);
	assert_int_equal(destroy(e, 1), 0);
	assert_int_equal(destroy(fd, 1), -ENOENT);

	/* dup2 onto itself changes nothing. */
	assert_int_equal(dup2(b, b), b);
	assert_int_equal(ioas_alloc(b), 1);

	/* The context lives while any of its fds does. */
	close(fd);
	close(a);
	close(b);
	close(c);
	close(d);
	assert_int_equal(nr_contexts(), base + 1);
	assert_int_equal(ioas_alloc(e), 7);
	close(e);
	assert_int_equal(nr_contexts(), base);
	assert_int_equal(ioas_alloc(e), -EBADF);
}

static void separate_opens(void **state)
{
	int a, b;

	(void)state;
	a = open("/dev/iommu", O_RDWR);
	b = open("/dev/iommu", O_RDWR);
	assert_int_equal(ioas_alloc(a), 1);
	assert_int_equal(ioas_alloc(b), 1);
	assert_int_equal(destroy(a, 1), 0);
	assert_int_equal(destroy(b, 1), 0);
	assert_int_equal(destroy(b, 1), -ENOENT);
	close(a);
	close(b);
}

static void dup2_over_emulated(void **state)
{
	long base = nr_contexts();
	int fd, pipefd[2], avail = -1;

	(void)state;
	fd = open("/dev/iommu", O_RDWR);
	assert_int_equal(nr_contexts(), base + 1);
	assert_int_equal(pipe(pipefd), 0);
	/* Replacing the last fd of a context releases it. */
	assert_int_equal(dup2(pipefd[0], fd), fd);
	assert_int_equal(nr_contexts(), base);
	/* The number now refers to the pipe, served by the kernel. */
	assert_int_equal(write(pipefd[1], "xyz", 3), 3);
	assert_int_equal(ioctl(fd, FIONREAD, &avail), 0);
	assert_int_equal(avail, 3);
	assert_int_equal(ioas_alloc(fd), -ENOTTY);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void close_range_closefrom(void **state)
{
	long base = nr_contexts();
	int fd;

	(void)state;
	fd = open("/dev/iommu", O_RDWR);
	assert_int_equal(dup2(fd, 200), 200);
	assert_int_equal(dup2(fd, 201), 201);
	close(fd);
	fd = open("/dev/iommu", O_RDWR);
	assert_int_equal(dup2(fd, 202), 202);
	close(fd);
	assert_int_equal(nr_contexts(), base + 2);

	/* Marking close-on-exec closes nothing. */
	assert_int_equal(close_range(200, 202, CLOSE_RANGE_CLOEXEC), 0);
	assert_int_equal(fcntl(201, F_GETFD), FD_CLOEXEC);
	assert_int_equal(ioas_alloc(201), 1);

	assert_int_equal(close_range(200, 200, 0), 0);
	assert_int_equal(nr_contexts(), base + 2);
	assert_int_equal(ioas_alloc(200), -EBADF);
	assert_int_equal(ioas_alloc(201), 2);
	assert_int_equal(close_range(201, 201, 0), 0);
	assert_int_equal(nr_contexts(), base + 1);
	closefrom(202);
	assert_int_equal(nr_contexts(), base);
	assert_int_equal(ioas_alloc(202), -EBADF);
}

static void poll_like_kernel(void **state)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT };

	(void)state;
	/* /dev/iommu has no poll method: the kernel reports the default. */
	pfd.fd = open("/dev/iommu", O_RDWR);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(pfd.revents, POLLIN | POLLOUT);
	close(pfd.fd);
}

static void bad_pointers(void **state)
{
	int fd = open("/dev/iommu", O_RDWR);

	(void)state;
	assert_int_equal(ioctl(fd, IOMMU_IOAS_ALLOC, (void *)8), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(ioctl(fd, IOMMU_IOAS_ALLOC, NULL), -1);
	assert_int_equal(errno, EFAULT);
	/* A number outside iommufd's range. */
	assert_int_equal(ioctl(fd, FIONREAD, NULL), -1);
	assert_int_equal(errno, ENOTTY);
	close(fd);
}

/* No read, write or seek methods: what the kernel answers. */
static void read_write_seek(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), rd, wr;
	char buf[8] = "x";
	struct iovec iov = { buf, sizeof(buf) };

	(void)state;
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(read(fd, buf, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(write(fd, buf, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pread(fd, buf, 1, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pwrite(fd, buf, 1, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(readv(fd, &iov, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(writev(fd, &iov, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(lseek(fd, 0, SEEK_SET), -1);
	assert_int_equal(errno, ESPIPE);
	close(fd);

	/* The direction check comes first. */
	rd = open("/dev/iommu", O_RDONLY);
	wr = open("/dev/iommu", O_WRONLY);
	assert_int_equal(write(rd, buf, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(read(rd, buf, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(read(wr, buf, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(write(wr, buf, 1), -1);
	assert_int_equal(errno, EINVAL);
	close(rd);
	close(wr);
}

/* The VFS answers these for any file, before the driver sees them. */
static void vfs_ioctls(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), on = 1, off = 0;

	(void)state;
	assert_int_equal(ioctl(fd, FIOCLEX), 0);
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(ioctl(fd, FIONCLEX), 0);
	assert_int_equal(fcntl(fd, F_GETFD), 0);
	assert_int_equal(ioctl(fd, FIONBIO, &on), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(ioctl(fd, FIONBIO, &off), 0);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* FIONREAD is the driver's: iommufd does not know it. */
	assert_int_equal(ioctl(fd, FIONREAD, &on), -1);
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(ioas_alloc(fd), 1);
	close(fd);
}

static void fork_shares(void **state)
{
	int fd, status;
	pid_t pid;

	(void)state;
	if (getenv("UIOMMUFD_TEST_TSAN")) {
		print_message("skipped: ThreadSanitizer takes the locks a "
			      "forked child rebuilds for still held\n");
		skip();
	}
	fd = open("/dev/iommu", O_RDWR);
	assert_int_equal(ioas_alloc(fd), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* The child uses the parent's context (test_fork has more)... */
		if (destroy(fd, 1) || ioas_alloc(fd) != 1 ||
		    ioas_alloc(fd) != 2)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* ...so its changes are ours. */
	assert_int_equal(ioas_alloc(fd), 3);
	assert_int_equal(destroy(fd, 1), 0);
	assert_int_equal(destroy(fd, 2), 0);
	close(fd);
}

/* Run by exec_starts_fresh in the exec'd image. */
static int exec_child(int fd)
{
	struct stat st;
	int fresh;

	/* The fd survived exec, but the state did not: it is /dev/null. */
	if (fstat(fd, &st) || st.st_rdev != makedev(1, 3))
		return 2;
	if (ioas_alloc(fd) != -ENOTTY)
		return 3;
	fresh = open("/dev/iommu", O_RDWR);
	if (ioas_alloc(fresh) != 1)
		return 4;
	return 0;
}

static void exec_starts_fresh(void **state)
{
	int fd = open("/dev/iommu", O_RDWR), status;
	char arg[16];
	pid_t pid;

	(void)state;
	assert_int_equal(ioas_alloc(fd), 1);
	snprintf(arg, sizeof(arg), "%d", fd);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl("/proc/self/exe", "test_shim", "--exec-child", arg,
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(fd);
}

static void non_iommu_passthrough(void **state)
{
	int pipefd[2], avail = -1, fd;
	char path[] = "/tmp/uiommufd-shim-XXXXXX";
	struct stat st;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], "ab", 2), 2);
	assert_int_equal(ioctl(pipefd[0], FIONREAD, &avail), 0);
	assert_int_equal(avail, 2);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, IOMMU_IOAS_ALLOC, &avail), -1);
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(close(fd), 0);
	assert_int_equal(close(fd), -1);
	assert_int_equal(errno, EBADF);
	unlink(path);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_variants),
		cmocka_unit_test(vfio_container_node),
		cmocka_unit_test(open_refusals),
		cmocka_unit_test(stat_family),
		cmocka_unit_test(fd_flags),
		cmocka_unit_test(dup_shares_context),
		cmocka_unit_test(separate_opens),
		cmocka_unit_test(dup2_over_emulated),
		cmocka_unit_test(close_range_closefrom),
		cmocka_unit_test(poll_like_kernel),
		cmocka_unit_test(bad_pointers),
		cmocka_unit_test(read_write_seek),
		cmocka_unit_test(vfs_ioctls),
		cmocka_unit_test(fork_shares),
		cmocka_unit_test(exec_starts_fresh),
		cmocka_unit_test(non_iommu_passthrough),
	};
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--exec-child"))
		return exec_child(atoi(argv[2]));
	nr_contexts_fn = (long (*)(void))dlsym(RTLD_DEFAULT,
					       "uiommufd_preload_nr_contexts");
	if (!nr_contexts_fn) {
		fprintf(stderr, "test_shim: run me under uiommufd-run\n");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	/* Every test closed what it opened. */
	if (nr_contexts() != 0) {
		fprintf(stderr, "test_shim: %ld contexts left open\n",
			nr_contexts());
		return 1;
	}
	return ret;
}
