// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fault injection as a program sees it under uiommufd-run: the fail-nth
 * files of /proc and the knobs of /sys/kernel/debug, with the formats and
 * errnos Linux 6.12 gives (recorded in its oracle), and the failures they
 * inject into iommufd ioctls. Each test leaves the knobs at the kernel's
 * defaults and every count at 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/abi.h>

#define DEBUGFS "/sys/kernel/debug"

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void fail_nth_path(char *buf, size_t size, pid_t tid)
{
	snprintf(buf, size, "/proc/self/task/%d/fail-nth", (int)tid);
}

/* Writes @val to @path; the write's result, or -errno. */
static long put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	long n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

/* Reads @path into @buf (NUL-terminated); the bytes read, or -errno. */
static long get(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

static void set_nth(pid_t tid, unsigned int n)
{
	char path[64], val[16];

	fail_nth_path(path, sizeof(path), tid);
	snprintf(val, sizeof(val), "%u", n);
	assert_int_equal(put(path, val), (long)strlen(val));
}

static unsigned int get_nth(pid_t tid)
{
	char path[64], buf[32];

	fail_nth_path(path, sizeof(path), tid);
	assert_true(get(path, buf, sizeof(buf)) > 1);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	return (unsigned int)strtoul(buf, NULL, 10);
}

static int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd))
		return -errno;
	*id = cmd.out_ioas_id;
	return 0;
}

/* Puts every knob back where the kernel boots with it. */
static int knobs_default(void **state)
{
	static const char *const dirs[] = { "failslab", "fail_page_alloc",
					    "fail_usercopy", "fail_iommufd" };
	char path[128];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		static const char *const kv[][2] = {
			{ "probability", "0" }, { "interval", "1" },
			{ "times", "1" },	{ "space", "0" },
			{ "verbose", "2" },	{ "task-filter", "N" },
		};
		size_t k;

		for (k = 0; k < 6; k++) {
			snprintf(path, sizeof(path), DEBUGFS "/%s/%s", dirs[i],
				 kv[k][0]);
			if (put(path, kv[k][1]) < 0)
				return -1;
		}
	}
	if (put(DEBUGFS "/failslab/ignore-gfp-wait", "Y") < 0 ||
	    put(DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "Y") < 0 ||
	    put(DEBUGFS "/fail_page_alloc/min-order", "1") < 0)
		return -1;
	set_nth(gettid_(), 0);
	return 0;
}

/* Every name the kernel gives the calling thread's file, and none else. */
static void fail_nth_paths(void **state)
{
	const char *fmts[] = { "/proc/self/task/%d/fail-nth",
			       "/proc/%d/task/%d/fail-nth",
			       "/proc/thread-self/fail-nth",
			       "/proc/self/fail-nth", "/proc/%d/fail-nth" };
	char path[128], buf[32];
	struct stat st;
	size_t i;

	(void)state;
	set_nth(gettid_(), 7);
	for (i = 0; i < 5; i++) {
		if (i == 1)
			snprintf(path, sizeof(path), fmts[i], getpid(),
				 gettid_());
		else
			snprintf(path, sizeof(path), fmts[i],
				 i == 0 ? gettid_() : getpid());
		assert_int_equal(get(path, buf, sizeof(buf)), 2);
		assert_string_equal(buf, "7\n");
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0644);
		assert_int_equal(st.st_size, 0);
	}
	/* Relative to a directory fd, as openat() users do. */
	{
		int dfd = open("/proc/self/task", O_RDONLY | O_DIRECTORY);
		int fd;

		assert_true(dfd >= 0);
		snprintf(path, sizeof(path), "%d/fail-nth", gettid_());
		fd = openat(dfd, path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), 2);
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		close(fd);
		close(dfd);
	}
	/* No such thread: no such file. */
	assert_int_equal(get("/proc/self/task/999999999/fail-nth", buf,
			     sizeof(buf)),
			 -ENOENT);
	set_nth(gettid_(), 0);
}

/* kstrtouint() of at most 34 bytes, as proc_fail_nth_write() takes it. */
static void fail_nth_parse(void **state)
{
	static const struct {
		const char *in;
		long ret; /* -errno, or 0 for the whole length */
		unsigned int val;
	} cases[] = {
		{ "5", 0, 5 },		 { "5\n", 0, 5 },
		{ "0x10", 0, 16 },	 { "010", 0, 8 },
		{ "+3", 0, 3 },		 { "4294967295", 0, 4294967295u },
		{ "abc", -EINVAL, 0 },	 { "", -EINVAL, 0 },
		{ "\n", -EINVAL, 0 },	 { " 5", -EINVAL, 0 },
		{ "5 ", -EINVAL, 0 },	 { "-1", -EINVAL, 0 },
		{ "1\n\n", -EINVAL, 0 }, { "4294967296", -ERANGE, 0 },
		{ "08", -EINVAL, 0 },
	};
	char path[64], buf[32], big[5000];
	size_t i;
	int fd;

	(void)state;
	fail_nth_path(path, sizeof(path), gettid_());
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		long n;

		assert_int_equal(pwrite(fd, "0", 1, 0), 1);
		n = pwrite(fd, cases[i].in, len, 0);
		if (cases[i].ret) {
			assert_int_equal(n, -1);
			assert_int_equal(-errno, cases[i].ret);
		} else {
			assert_int_equal(n, (long)len);
		}
		assert_int_equal(get_nth(gettid_()), cases[i].val);
	}
	/* Only the first 34 bytes count, but the write takes them all. */
	memset(big, '1', sizeof(big));
	assert_int_equal(write(fd, big, sizeof(big)), -1);
	assert_int_equal(errno, ERANGE);
	memset(big, '0', sizeof(big));
	big[sizeof(big) - 1] = '5';
	assert_int_equal(write(fd, big, sizeof(big)), (long)sizeof(big));
	assert_int_equal(get_nth(gettid_()), 0);
	{
		/* A pointer the compiler cannot see is bad. */
		void *volatile bad = NULL;

		assert_int_equal(write(fd, bad, 1), -1);
	}
	assert_int_equal(errno, EFAULT);

	/* Reads: "%u\n" from the file position; writes ignore it. */
	assert_int_equal(pwrite(fd, "12", 2, 100), 2);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(pread(fd, buf, sizeof(buf), 1), 2);
	assert_string_equal(buf, "2\n");
	assert_int_equal(pread(fd, buf, sizeof(buf), 3), 0);
	assert_int_equal(pread(fd, buf, 1, 0), 1);
	assert_int_equal(buf[0], '1');
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), -1);
	assert_int_equal(errno, ESPIPE);
	assert_int_equal(ioctl(fd, FIONREAD + 0x100, buf), -1);
	assert_int_equal(errno, ENOTTY);
	{
		struct iovec iov[2] = { { "3", 1 }, { "4", 1 } };

		/* Each buffer is a write of its own: the last one wins. */
		assert_int_equal(pwritev(fd, iov, 2, 0), 2);
		assert_int_equal(get_nth(gettid_()), 4);
	}
	assert_int_equal(pwrite(fd, "0", 1, 0), 1);
	close(fd);
	fd = open(path, O_RDONLY);
	assert_int_equal(write(fd, "1", 1), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
}

struct other_thread {
	pid_t tid;
	int fd; /* the thread's fail-nth, opened by main */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int step;
	int open_errno;
	unsigned int nth_after;
};

static void step_wait(struct other_thread *o, int step)
{
	pthread_mutex_lock(&o->lock);
	while (o->step < step)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

static void step_set(struct other_thread *o, int step)
{
	pthread_mutex_lock(&o->lock);
	o->step = step;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

static void *other_main(void *arg)
{
	struct other_thread *o = arg;
	char buf[32];
	int fd;

	o->tid = gettid_();
	step_set(o, 1);
	step_wait(o, 2); /* main armed us */
	fd = open("/dev/iommu", O_RDWR);
	o->open_errno = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	if (get("/proc/thread-self/fail-nth", buf, sizeof(buf)) > 0)
		o->nth_after = (unsigned int)strtoul(buf, NULL, 10);
	return NULL;
}

/* Any thread may arm any other; a gone thread's file says ESRCH. */
static void fail_nth_other_thread(void **state)
{
	struct other_thread o = { .lock = PTHREAD_MUTEX_INITIALIZER,
				  .cond = PTHREAD_COND_INITIALIZER };
	pthread_t t;
	char path[64], buf[32];

	(void)state;
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "N"), 1);
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "0"), 1);
	assert_int_equal(pthread_create(&t, NULL, other_main, &o), 0);
	step_wait(&o, 1);
	fail_nth_path(path, sizeof(path), o.tid);
	o.fd = open(path, O_RDWR);
	assert_true(o.fd >= 0);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/fail-nth", getpid(),
		 o.tid);
	assert_int_equal(put(path, "1"), 1);
	assert_int_equal(get_nth(o.tid), 1);
	assert_int_equal(get_nth(gettid_()), 0);
	step_set(&o, 2);
	pthread_join(t, NULL);
	/* Its open failed as the kernel's kzalloc of the context would. */
	assert_int_equal(o.open_errno, ENOMEM);
	assert_int_equal(o.nth_after, 0);
	assert_int_equal(get_nth(gettid_()), 0);
	/* The thread is gone. */
	assert_int_equal(read(o.fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(write(o.fd, "1", 1), -1);
	assert_int_equal(errno, ESRCH);
	close(o.fd);
	assert_int_equal(get(path, buf, sizeof(buf)), -ENOENT);
}

/*
 * What fail-nth fails follows the knobs, as in the kernel: allocations
 * (failslab) only once ignore-gfp-wait is N; iommufd's own points
 * (fail_iommufd: pinning) always.
 */
static void injection_follows_knobs(void **state)
{
	uint32_t ioas = 0, id;
	int fd;

	(void)state;
	fd = open("/dev/iommu", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ioas_alloc(fd, &ioas), 0);

	/* ignore-gfp-wait Y: no allocation is eligible. */
	set_nth(gettid_(), 1);
	assert_int_equal(ioas_alloc(fd, &id), 0);
	assert_int_equal(get_nth(gettid_()), 1);
	set_nth(gettid_(), 0);

	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "N"), 1);
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "0"), 1);
	set_nth(gettid_(), 1);
	assert_int_equal(ioas_alloc(fd, &id), -ENOMEM);
	assert_int_equal(get_nth(gettid_()), 0);
	/* Nothing changed: the next ID is the one that failed. */
	assert_int_equal(ioas_alloc(fd, &id), 0);
	assert_int_equal(id, ioas + 2);
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "Y"), 1);

	/* A pin (fail_iommufd) fails with EFAULT, knobs or not. */
	{
		struct iommu_test_cmd md = {
			.size = sizeof(md),
			.op = IOMMU_TEST_OP_MOCK_DOMAIN,
			.id = ioas,
		};
		size_t len = 4 * (size_t)sysconf(_SC_PAGESIZE);
		void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = ioas,
			.user_va = (uintptr_t)buf,
			.length = len,
		};

		assert_true(buf != MAP_FAILED);
		assert_int_equal(ioctl(fd, IOMMU_TEST_CMD, &md), 0);
		assert_int_equal(put(DEBUGFS "/fail_iommufd/verbose", "0"), 1);
		set_nth(gettid_(), 1);
		assert_int_equal(ioctl(fd, IOMMU_IOAS_MAP, &map), -1);
		assert_int_equal(errno, EFAULT);
		assert_int_equal(get_nth(gettid_()), 0);
		assert_int_equal(ioctl(fd, IOMMU_IOAS_MAP, &map), 0);
		munmap(buf, len);
	}
	close(fd);
}

/* The knobs: where, which, their defaults, formats and errnos. */
static void knobs(void **state)
{
	static const struct {
		const char *dir;
		const char *names;
	} dirs[] = {
		{ "failslab", " cache-filter ignore-gfp-wait interval "
			      "probability space task-filter times verbose "
			      "verbose_ratelimit_burst "
			      "verbose_ratelimit_interval_ms " },
		{ "fail_page_alloc",
		  " ignore-gfp-highmem ignore-gfp-wait interval min-order "
		  "probability space task-filter times verbose "
		  "verbose_ratelimit_burst verbose_ratelimit_interval_ms " },
		{ "fail_usercopy",
		  " interval probability space task-filter times verbose "
		  "verbose_ratelimit_burst verbose_ratelimit_interval_ms " },
		{ "fail_iommufd",
		  " interval probability space task-filter times verbose "
		  "verbose_ratelimit_burst verbose_ratelimit_interval_ms " },
	};
	char buf[64];
	unsigned int found = 0;
	struct dirent *e;
	DIR *d;
	size_t i;

	(void)state;
	/* The test's way in: opendir, dirfd, openat of "dir/knob". */
	d = opendir(DEBUGFS "/");
	assert_non_null(d);
	while ((e = readdir(d))) {
		for (i = 0; i < 4; i++)
			if (!strcmp(e->d_name, dirs[i].dir))
				found |= 1u << i;
	}
	{
		int fd = openat(dirfd(d), "failslab/ignore-gfp-wait", O_WRONLY);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "N", 1), 1);
		close(fd);
	}
	closedir(d);
	assert_int_equal(found, 0xf);
	for (i = 0; i < 4; i++) {
		char path[128], listed[512] = " ";
		unsigned int n = 0;

		snprintf(path, sizeof(path), DEBUGFS "/%s", dirs[i].dir);
		d = opendir(path);
		assert_non_null(d);
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			assert_non_null(strstr(dirs[i].names, e->d_name));
			n++;
		}
		closedir(d);
		(void)listed;
		for (const char *p = dirs[i].names; *p; p++)
			n -= *p == ' ' && p[1];
		assert_int_equal(n, 0);
	}
	assert_int_equal(
		get(DEBUGFS "/failslab/ignore-gfp-wait", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "N\n");
	/* The kernel's defaults. */
	get(DEBUGFS "/fail_page_alloc/ignore-gfp-wait", buf, sizeof(buf));
	assert_string_equal(buf, "Y\n");
	get(DEBUGFS "/fail_page_alloc/min-order", buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	get(DEBUGFS "/fail_iommufd/verbose", buf, sizeof(buf));
	assert_string_equal(buf, "2\n");
	get(DEBUGFS "/fail_iommufd/times", buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	get(DEBUGFS "/fail_iommufd/verbose_ratelimit_burst", buf, sizeof(buf));
	assert_string_equal(buf, "10\n");

	/* Booleans: kstrtobool, and what it cannot read is ignored. */
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "on"), 2);
	get(DEBUGFS "/failslab/ignore-gfp-wait", buf, sizeof(buf));
	assert_string_equal(buf, "Y\n");
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "x"), 1);
	get(DEBUGFS "/failslab/ignore-gfp-wait", buf, sizeof(buf));
	assert_string_equal(buf, "Y\n");
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "of"), 2);
	get(DEBUGFS "/failslab/ignore-gfp-wait", buf, sizeof(buf));
	assert_string_equal(buf, "N\n");
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", ""), 0);
	/* Numbers: kstrtoull, kstrtoll for times and space. */
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "-1"), -EINVAL);
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "3 "), -EINVAL);
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "0x10"), 4);
	get(DEBUGFS "/failslab/verbose", buf, sizeof(buf));
	assert_string_equal(buf, "16\n");
	assert_int_equal(put(DEBUGFS "/failslab/verbose",
			     "18446744073709551616"),
			 -ERANGE);
	assert_int_equal(put(DEBUGFS "/failslab/times", "4294967295"), 10);
	get(DEBUGFS "/failslab/times", buf, sizeof(buf));
	assert_string_equal(buf, "-1\n");
	assert_int_equal(put(DEBUGFS "/failslab/times", "2147483648"), 10);
	get(DEBUGFS "/failslab/times", buf, sizeof(buf));
	assert_string_equal(buf, "-2147483648\n");
	assert_int_equal(put(DEBUGFS "/fail_page_alloc/min-order", "-1"),
			 -EINVAL);
	{
		struct stat st;

		assert_int_equal(stat(DEBUGFS "/failslab/times", &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	assert_int_equal(get(DEBUGFS "/failslab/no-such-knob", buf,
			     sizeof(buf)),
			 -ENOENT);
}

/* Runs @fn with stderr going into @out; what it wrote. */
static void capture_stderr(void (*fn)(int), int arg, char *out, size_t size)
{
	int pipefd[2], saved;
	ssize_t n;

	assert_int_equal(pipe(pipefd), 0);
	saved = dup(2);
	dup2(pipefd[1], 2);
	fn(arg);
	dup2(saved, 2);
	close(saved);
	close(pipefd[1]);
	n = read(pipefd[0], out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
}

static void alloc_once(int expect_errno)
{
	uint32_t id;
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0) {
		assert_int_equal(errno, expect_errno);
		return;
	}
	assert_int_equal(ioas_alloc(fd, &id), -expect_errno);
	close(fd);
}

/* verbose, probability, times, interval and task-filter. */
static void knobs_drive_injection(void **state)
{
	char out[512];

	(void)state;
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "N"), 1);

	/* verbose 0: silent; verbose > 0: a line per failure. */
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "0"), 1);
	set_nth(gettid_(), 1);
	capture_stderr(alloc_once, ENOMEM, out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "1"), 1);
	set_nth(gettid_(), 1);
	capture_stderr(alloc_once, ENOMEM, out, sizeof(out));
	assert_non_null(strstr(out, "FAULT_INJECTION: forcing a failure"));
	assert_non_null(strstr(out, "name failslab"));
	assert_non_null(strchr(out, '\n'));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "0"), 1);

	/* probability 100, times 1: the next allocation fails, once. */
	assert_int_equal(put(DEBUGFS "/failslab/times", "1"), 1);
	assert_int_equal(put(DEBUGFS "/failslab/probability", "100"), 3);
	alloc_once(ENOMEM);
	alloc_once(0);
	{
		char buf[16];

		get(DEBUGFS "/failslab/times", buf, sizeof(buf));
		assert_string_equal(buf, "0\n");
	}
	/* task-filter: no task has make-it-fail, so nothing fails. */
	assert_int_equal(put(DEBUGFS "/failslab/times", "-1"), 2);
	assert_int_equal(put(DEBUGFS "/failslab/task-filter", "Y"), 1);
	alloc_once(0);
	assert_int_equal(put(DEBUGFS "/failslab/task-filter", "N"), 1);
	assert_int_equal(put(DEBUGFS "/failslab/probability", "0"), 1);
	alloc_once(0);
}

/*
 * A forked child's fail-nth is its own, under its own PID, and starts at
 * 0 as every new task's does in the kernel.
 */
static void fail_nth_fork(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (getenv("UIOMMUFD_TEST_TSAN")) {
		print_message("skipped: ThreadSanitizer takes the locks a "
			      "forked child rebuilds for still held\n");
		skip();
	}
	assert_int_equal(put(DEBUGFS "/failslab/ignore-gfp-wait", "N"), 1);
	assert_int_equal(put(DEBUGFS "/failslab/verbose", "0"), 1);
	set_nth(gettid_(), 5);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char buf[32];
		int ok;

		/* Not the forking thread's count: none. */
		ok = get("/proc/self/fail-nth", buf, sizeof(buf)) == 2 &&
		     !strcmp(buf, "0\n");
		ok = ok && put("/proc/self/fail-nth", "1") == 1;
		ok = ok && open("/dev/iommu", O_RDWR) == -1 && errno == ENOMEM;
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(get_nth(gettid_()), 5);
	set_nth(gettid_(), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_teardown(fn, knobs_default)
	const struct CMUnitTest tests[] = {
		T(fail_nth_paths),
		T(fail_nth_parse),
		T(fail_nth_other_thread),
		T(injection_follows_knobs),
		T(knobs),
		T(knobs_drive_injection),
		T(fail_nth_fork),
	};
#undef T

	if (access("/proc/self/fail-nth", F_OK)) {
		fprintf(stderr,
			"test_fault_files: run me under uiommufd-run\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
