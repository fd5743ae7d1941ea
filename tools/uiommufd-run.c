// SPDX-License-Identifier: BSD-3-Clause
/*
 * uiommufd-run: runs a program with the preload shim, so that its
 * /dev/iommu and /dev/vfio/vfio are served by libuiommufd.
 *
 * The state lives in the program's own process, so the runner only sets
 * the environment and execs: the pid, signals and exit status are the
 * program's. Exit codes of the runner itself follow env(1): 125 for its
 * own errors, 126 when the program cannot run under the shim, 127 when it
 * is not found.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <uiommufd/device.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_RUNNER_ERROR 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

#define PRELOAD_NAME "libuiommufd-preload.so"

static const char *prog_name = "uiommufd-run";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS] [--] PROGRAM [ARGS...]\n"
		"Run PROGRAM with /dev/iommu and /dev/vfio/vfio served from "
		"userspace\nby libuiommufd.\n"
		"\n"
		"Options:\n"
		"  -d, --device MODEL[,name=DDDD:BB:DD.F]\n"
		"                 give PROGRAM an emulated PCI device behind "
		"VFIO: its group\n"
		"                 /dev/vfio/N, its cdev /dev/vfio/devices/vfioN "
		"and its\n"
		"                 /sys/bus/pci/devices/NAME (repeatable; models: "
		"edu;\n"
		"                 the same as UIOMMUFD_DEVICES=SPEC;SPEC...)\n"
		"  -t, --trace    print every emulated ioctl, decoded, to "
		"stderr\n"
		"                 (the same as UIOMMUFD_TRACE=1)\n"
		"  -h, --help     show this help and exit\n"
		"  -V, --version  show the version and exit\n"
		"\n"
		"PROGRAM must be dynamically linked: the shim is loaded with "
		"LD_PRELOAD.\n"
		"Environment: UIOMMUFD_PRELOAD overrides the shim's path.\n"
		"Exit status: PROGRAM's, or 125 (bad usage), 126 (PROGRAM "
		"cannot run\n"
		"under the shim), 127 (PROGRAM not found).\n",
		prog_name);
}

static int fail(int status, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog_name);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return status;
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* The shim next to this runner: in the build tree, or installed. */
static int find_preload(char *out, size_t size)
{
	static const char *const candidates[] = {
		"../preload/" PRELOAD_NAME, /* build tree */
		UIOMMUFD_BINDIR_TO_LIBDIR "/" PRELOAD_NAME, /* installed */
	};
	const char *env = getenv("UIOMMUFD_PRELOAD");
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;

	if (env && env[0]) {
		if (!is_file(env))
			return fail(EXIT_RUNNER_ERROR,
				    "UIOMMUFD_PRELOAD=%s: no such file", env);
		if (!realpath(env, out))
			return fail(EXIT_RUNNER_ERROR, "cannot resolve %s",
				    env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]);
		     i++) {
			char path[PATH_MAX * 2];

			snprintf(path, sizeof(path), "%s/%s", exe,
				 candidates[i]);
			if (is_file(path) && realpath(path, out))
				return 0;
		}
	}
	if (is_file(UIOMMUFD_LIBDIR "/" PRELOAD_NAME) && size > 0) {
		snprintf(out, size, "%s", UIOMMUFD_LIBDIR "/" PRELOAD_NAME);
		return 0;
	}
	return fail(EXIT_RUNNER_ERROR,
		    "cannot find %s (set UIOMMUFD_PRELOAD to its path)",
		    PRELOAD_NAME);
}

/* PROGRAM as execvp() would find it. */
static int find_program(const char *prog, char *out, size_t size)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;

	if (strchr(prog, '/')) {
		if (access(prog, F_OK))
			return -errno;
		snprintf(out, size, "%s", prog);
		return 0;
	}
	copy = strdup(path && path[0] ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", dir[0] ? dir : ".", prog);
		if (!access(out, X_OK) && is_file(out)) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -ENOENT;
}

/*
 * Can the loader preload into @path? Only a dynamically linked ELF for
 * this machine has an interpreter (PT_INTERP); a static or static-pie
 * program has none and would silently run against the host kernel.
 * Scripts are fine: their interpreter is what gets preloaded.
 */
static int check_preloadable(const char *path, const char *prog)
{
	Elf64_Ehdr eh;
	struct stat st;
	bool interp = false;
	int fd, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* let exec report it */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		close(fd);
		return 0;
	}
	if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getegid())) {
		close(fd);
		return fail(EXIT_CANNOT_RUN,
			    "%s is set-user-ID or set-group-ID: the loader "
			    "ignores LD_PRELOAD for it",
			    prog);
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		close(fd);
		return fail(EXIT_CANNOT_RUN,
			    "%s is not an x86-64 program: the shim cannot be "
			    "loaded into it",
			    prog);
	}
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t off = eh.e_phoff + (off_t)i * eh.e_phentsize;

		if (pread(fd, &ph, sizeof(ph), off) != sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			interp = true;
	}
	close(fd);
	if (!interp)
		return fail(EXIT_CANNOT_RUN,
			    "%s is statically linked: the shim is loaded with "
			    "LD_PRELOAD, which a static program ignores. Link "
			    "it dynamically, or run it in a real kernel.",
			    prog);
	return 0;
}

/* LD_PRELOAD with the shim appended, unless it is already there. */
static int set_ld_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int ret;

	/* The loader splits LD_PRELOAD at spaces and colons. */
	if (strpbrk(lib, " :"))
		return fail(EXIT_RUNNER_ERROR,
			    "the shim's path contains a space or a colon, "
			    "which LD_PRELOAD cannot carry: %s",
			    lib);
	if (old && strstr(old, lib))
		return 0;
	if (old && old[0]) {
		if (asprintf(&val, "%s:%s", old, lib) < 0)
			return fail(EXIT_RUNNER_ERROR, "%s", strerror(ENOMEM));
		ret = setenv("LD_PRELOAD", val, 1);
		free(val);
	} else {
		ret = setenv("LD_PRELOAD", lib, 1);
	}
	if (ret)
		return fail(EXIT_RUNNER_ERROR, "setenv: %s", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "trace", no_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char lib[PATH_MAX], path[PATH_MAX * 2];
	char devices[4096], err[256];
	bool trace = false;
	int opt, ret;

	snprintf(devices, sizeof(devices), "%s",
		 getenv("UIOMMUFD_DEVICES") ? getenv("UIOMMUFD_DEVICES") : "");

	/* '+': options end at PROGRAM, whose own options are its own. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+td:hV", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			trace = true;
			break;
		case 'd':
			if (strlen(devices) + strlen(optarg) + 2 >
			    sizeof(devices))
				return fail(EXIT_RUNNER_ERROR,
					    "%s: too many devices", optarg);
			if (devices[0])
				strcat(devices, ";");
			strcat(devices, optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("uiommufd-run %s\n", UIOMMUFD_VERSION);
			return 0;
		default:
			if (optopt == 'd')
				fprintf(stderr,
					"%s: option '%s' needs an argument\n",
					prog_name, argv[optind - 1]);
			else if (optopt)
				fprintf(stderr, "%s: unknown option '-%c'\n",
					prog_name, optopt);
			else
				fprintf(stderr, "%s: unknown option '%s'\n",
					prog_name, argv[optind - 1]);
			fprintf(stderr, "Try '%s --help'.\n", prog_name);
			return EXIT_RUNNER_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no PROGRAM given\n", prog_name);
		fprintf(stderr, "Usage: %s [OPTIONS] [--] PROGRAM [ARGS...]\n",
			prog_name);
		return EXIT_RUNNER_ERROR;
	}

	ret = find_preload(lib, sizeof(lib));
	if (ret)
		return ret;
	ret = find_program(argv[optind], path, sizeof(path));
	if (ret == -ENOENT)
		return fail(EXIT_NOT_FOUND, "%s: command not found",
			    argv[optind]);
	if (ret)
		return fail(EXIT_CANNOT_RUN, "%s: cannot run", argv[optind]);
	ret = check_preloadable(path, argv[optind]);
	if (ret)
		return ret;
	ret = set_ld_preload(lib);
	if (ret)
		return ret;
	/* Bad device specs fail here, with the library's own message. */
	if (uiommufd_devices_add(devices, err, sizeof(err)) < 0)
		return fail(EXIT_RUNNER_ERROR, "--device: %s", err);
	if (devices[0] && setenv("UIOMMUFD_DEVICES", devices, 1))
		return fail(EXIT_RUNNER_ERROR, "setenv: %s", strerror(errno));
	if (trace && setenv("UIOMMUFD_TRACE", "1", 1))
		return fail(EXIT_RUNNER_ERROR, "setenv: %s", strerror(errno));

	execv(path, argv + optind);
	ret = errno;
	fprintf(stderr, "%s: cannot run %s: %s\n", prog_name, argv[optind],
		strerror(ret));
	return ret == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
