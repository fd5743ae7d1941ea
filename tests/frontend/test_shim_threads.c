// SPDX-License-Identifier: BSD-3-Clause
/*
 * Threads hammering the shim: ioctls on shared and private fds while other
 * threads dup, close, reopen and fork. Every ioctl must give a result the
 * kernel could give, nothing may crash or deadlock, and every context must
 * be gone when the last fd is.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/abi.h>

#define NR_MAPPERS 6
#define ITERATIONS 3000

static long (*nr_contexts)(void);
static atomic_bool stop;
static atomic_long failures;

static void fail_unless(int cond, const char *what, int err)
{
	if (!cond) {
		fprintf(stderr, "unexpected: %s (errno %d)\n", what, err);
		atomic_fetch_add(&failures, 1);
	}
}

static int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	*id = cmd.out_ioas_id;
	return ret ? -errno : 0;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

/* Its own IOAS on the shared fd; map, check, unmap in a loop. */
static void *mapper(void *arg)
{
	int fd = *(int *)arg;
	uint32_t ioas;
	int i;

	if (ioas_alloc(fd, &ioas)) {
		fail_unless(0, "ioas_alloc", errno);
		return NULL;
	}
	for (i = 0; i < ITERATIONS; i++) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_READABLE,
			.ioas_id = ioas,
			.user_va = 0x100000,
			.length = 0x1000 * (1 + i % 4),
		};
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap),
			.ioas_id = ioas,
		};

		fail_unless(!ioctl(fd, IOMMU_IOAS_MAP, &map), "map", errno);
		unmap.iova = map.iova;
		unmap.length = map.length;
		fail_unless(!ioctl(fd, IOMMU_IOAS_UNMAP, &unmap), "unmap",
			    errno);
		fail_unless(unmap.length == map.length, "unmap length", 0);
	}
	fail_unless(!destroy(fd, ioas), "destroy", errno);
	return NULL;
}

/* Dups and closes duplicates of the shared fd. */
static void *duper(void *arg)
{
	int fd = *(int *)arg;

	while (!atomic_load(&stop)) {
		int a = dup(fd), b = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		uint32_t id;

		fail_unless(a >= 0 && b >= 0, "dup", errno);
		fail_unless(!ioas_alloc(a, &id), "alloc via dup", errno);
		fail_unless(!destroy(b, id), "destroy via dup", errno);
		close(a);
		close(b);
	}
	return NULL;
}

/* Opens, uses and closes private contexts. */
static void *opener(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
		uint32_t id;

		fail_unless(fd >= 0, "open", errno);
		fail_unless(!ioas_alloc(fd, &id) && id == 1, "fresh alloc",
			    errno);
		close(fd);
	}
	return NULL;
}

/*
 * Issues ioctls on an fd number that another thread keeps closing and
 * reopening: each call sees a context or a closed fd, never a crash. The
 * number is high so that no other thread's open gets it.
 */
#define RACY_FD 500

static void *racy_user(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		uint32_t id;
		int ret = ioas_alloc(RACY_FD, &id);

		fail_unless(!ret || ret == -EBADF, "racy alloc", -ret);
	}
	return NULL;
}

static void *racy_closer(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int fd = open("/dev/iommu", O_RDWR);

		fail_unless(dup2(fd, RACY_FD) == RACY_FD, "dup2", errno);
		close(fd);
		usleep(50);
		close(RACY_FD);
	}
	return NULL;
}

static void hammer(void **state)
{
	pthread_t mappers[NR_MAPPERS], others[4];
	int shared, i, status;
	uint32_t id;

	(void)state;
	shared = open("/dev/iommu", O_RDWR);
	assert_true(shared >= 0);
	for (i = 0; i < NR_MAPPERS; i++)
		pthread_create(&mappers[i], NULL, mapper, &shared);
	pthread_create(&others[0], NULL, duper, &shared);
	pthread_create(&others[1], NULL, opener, NULL);
	pthread_create(&others[2], NULL, racy_user, NULL);
	pthread_create(&others[3], NULL, racy_closer, NULL);

	/*
	 * fork while all of that runs: the child shares the context (its
	 * calls go to this process), so what it makes it must destroy.
	 */
	for (i = 0; i < 10; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (!pid) {
			alarm(20);
			if (ioas_alloc(shared, &id))
				_exit(1);
			_exit(destroy(shared, id) ? 2 : 0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		usleep(1000);
	}

	for (i = 0; i < NR_MAPPERS; i++)
		pthread_join(mappers[i], NULL);
	atomic_store(&stop, true);
	for (i = 0; i < 4; i++)
		pthread_join(others[i], NULL);
	assert_int_equal(atomic_load(&failures), 0);

	/* Every IOAS the threads made was destroyed: the next ID is 1. */
	assert_int_equal(ioas_alloc(shared, &id), 0);
	assert_int_equal(id, 1);
	close(shared);
	assert_int_equal(nr_contexts(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hammer),
	};

	nr_contexts = (long (*)(void))dlsym(RTLD_DEFAULT,
					    "uiommufd_preload_nr_contexts");
	if (!nr_contexts) {
		fprintf(stderr,
			"test_shim_threads: run me under uiommufd-run\n");
		return 1;
	}
	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
