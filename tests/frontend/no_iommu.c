// SPDX-License-Identifier: BSD-3-Clause
/*
 * A program that never opens /dev/iommu but calls every function the shim
 * wraps, on ordinary files, pipes and devices, and prints what it got.
 * test_runner.sh runs it with and without the shim: the outputs must be
 * identical.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int __open_2(const char *path, int flags);

static void show(const char *what, long ret)
{
	printf("%-28s %ld %s\n", what, ret,
	       ret < 0 ? strerrorname_np(errno) : "");
	errno = 0;
}

static void show_stat(const char *what, int ret, const struct stat *st)
{
	if (ret) {
		show(what, ret);
		return;
	}
	printf("%-28s mode=%o rdev=%u:%u size=%lld\n", what, st->st_mode,
	       major(st->st_rdev), minor(st->st_rdev),
	       S_ISREG(st->st_mode) ? (long long)st->st_size : 0LL);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/uiommufd-noiommu-XXXXXX", path[64];
	int fd, fd2, dirfd, pipefd[2], avail = 0;
	struct statx stx;
	struct stat st;

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/file", dir);

	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0640);
	show("open create", fd >= 0);
	show("write", write(fd, "hello", 5));
	show("open again excl", open(path, O_RDWR | O_CREAT | O_EXCL, 0640));
	fd2 = __open_2(path, O_RDONLY);
	show("__open_2", fd2 >= 0);
	close(fd2);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	show("openat", (fd2 = openat(dirfd, "file", O_RDONLY)) >= 0);
	close(fd2);
	show("openat missing", openat(dirfd, "iommu", O_RDONLY));
	show("open /dev/iommux", open("/dev/iommux", O_RDONLY));
	show("open /dev/null/iommu", open("/dev/null/iommu", O_RDONLY));

	show_stat("stat file", stat(path, &st), &st);
	show_stat("lstat file", lstat(path, &st), &st);
	show_stat("fstat file", fstat(fd, &st), &st);
	show_stat("fstatat file", fstatat(dirfd, "file", &st, 0), &st);
	show_stat("fstatat empty", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	show_stat("stat /dev/null", stat("/dev/null", &st), &st);
	show_stat("stat missing", stat("/nonexistent/iommu", &st), &st);
	show("statx file", statx(dirfd, "file", 0, STATX_SIZE, &stx));
	printf("statx size %llu\n", (unsigned long long)stx.stx_size);
	show("access file rw", access(path, R_OK | W_OK));
	show("access file x", access(path, X_OK) ? -errno : 0);
	show("faccessat", faccessat(dirfd, "file", F_OK, 0));
	show("access missing", access("/nonexistent", F_OK));

	show("pipe", pipe(pipefd));
	show("write pipe", write(pipefd[1], "abc", 3));
	show("FIONREAD", ioctl(pipefd[0], FIONREAD, &avail));
	printf("avail %d\n", avail);
	show("ioctl file", ioctl(fd, FIONREAD, &avail));
	show("ioctl iommufd nr on file", ioctl(fd, _IO(';', 0x81), &avail));
	show("ioctl bad fd", ioctl(999, FIONREAD, &avail));

	show("dup2", dup2(fd, 50));
	show("dup3 cloexec", dup3(fd, 51, O_CLOEXEC));
	show("getfd 51", fcntl(51, F_GETFD));
	show("dupfd", fcntl(fd, F_DUPFD, 60));
	show("dupfd_cloexec", fcntl(fd, F_DUPFD_CLOEXEC, 70));
	show("dup3 same", dup3(fd, fd, 0));
	show("close_range", close_range(50, 51, 0));
	show("close 50 again", close(50));
	closefrom(60);
	show("close 60 after closefrom", close(60));
	show("close bad", close(-1));

	close(fd);
	close(dirfd);
	close(pipefd[0]);
	close(pipefd[1]);
	unlink(path);
	rmdir(dir);
	return 0;
}
