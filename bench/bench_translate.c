// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench_translate: the project's translation workload (the design notes'
 * perf-workload.md), run on the x86-64 IO page table with a per-caller
 * TLB, the path every emulated DMA takes. Its figures compare with those
 * of other userspace translators measured on the same kind of machine.
 *
 * The harness speaks to the translator through three calls:
 *   add(iova, len, va)  pgtable_x86_map(), 4 KiB and 2 MiB entries allowed
 *   remove(iova, len)   pgtable_x86_unmap()
 *   translate(iova)     pgtable_x86_translate(), read access, one TLB
 *
 *  W1  N regions of 2 MiB, 4 MiB apart, all backed by one 2 MiB host block;
 *      20 million lookups at random 8-byte aligned IOVAs inside them.
 *  W2  as W1, but 16 lookups in a row fall in one region (a DMA burst).
 *  W3  add N regions, then remove them all: ns per add and per remove.
 *
 * N is 1, 64, 4096 and 65536 (W3 from 64: at N = 1 the clock costs more
 * than the operation). Each figure is the median of 5 runs, with the
 * minimum and maximum. A do-nothing translate (an out-of-line function that
 * returns its argument) runs through the same loop over the same addresses,
 * so the figures can be read as multiples of the harness's own cost. IOVAs
 * are precomputed. Every result is checked: the sum of all translations of
 * a run must equal the sum of the expected host addresses, and a sample is
 * compared one by one before timing. A wrong answer ends the run with
 * status 1.
 *
 * Run pinned to one CPU, e.g. taskset -c 1 bench_translate.
 *
 * Usage: bench_translate [--quick | --callgrind-w1]
 *   --quick         small counts, one run each: a smoke run for CI.
 *   --callgrind-w1  1 million W1 lookups at N = 4096 and nothing else, for
 *                   valgrind --tool=callgrind --toggle-collect=run_translate
 *                   (instructions per lookup = Ir / 1 000 000; the loop
 *                   overhead is included, as it is in the do-nothing run,
 *                   collected with --toggle-collect=run_nop).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgtable.h"

#define SZ_2M (2ULL << 20)
#define REGION_STRIDE (4ULL << 20)
#define IOVA_BASE (1ULL << 30)
#define STREAK 16
#define RUNS 5
#define MAX_RUNS 5
#define NR_N 4

static const uint64_t n_values[NR_N] = { 1, 64, 4096, 65536 };

struct cfg {
	uint64_t lookups;
	int runs;
	uint64_t churn_ops; /* W3: at least this many adds per run */
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_translate: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* splitmix64: cheap, and good enough to pick regions and offsets. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uintptr_t host_block;

static uint64_t region_iova(uint64_t k)
{
	return IOVA_BASE + k * REGION_STRIDE;
}

static uintptr_t expected(uint64_t iova)
{
	return host_block + (iova & (SZ_2M - 1));
}

struct sums {
	uint64_t host; /* of the expected translations */
	uint64_t iova; /* of the IOVAs: what the do-nothing run returns */
};

/* Fill @iova with @n lookups over @nr regions, @streak per region in a row. */
static struct sums gen_lookups(uint64_t *iova, uint64_t n, uint64_t nr,
			       unsigned int streak)
{
	struct sums sum = { 0, 0 };
	uint64_t i, base = 0;

	for (i = 0; i < n; i++) {
		if (i % streak == 0)
			base = region_iova(rng() % nr);
		iova[i] = base + (rng() % (SZ_2M / 8)) * 8;
		sum.host += expected(iova[i]);
		sum.iova += iova[i];
	}
	return sum;
}

static uint64_t __attribute__((noinline, aligned(64)))
run_translate(struct pgtable_x86 *pt, const uint64_t *iova, uint64_t n)
{
	struct pgtable_x86_tlb tlb = { 0 };
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += pgtable_x86_translate(pt, &tlb, iova[i],
					     PGTABLE_PROT_READ, NULL);
	return sum;
}

/*
 * The do-nothing translator: the cheapest call that answers. It returns
 * the IOVA itself, so its runs are checked against the sum of the IOVAs.
 */
static uintptr_t __attribute__((noinline, aligned(64)))
nop_translate(struct pgtable_x86 *pt, uint64_t iova)
{
	(void)pt;
	__asm__ volatile("" : "+r"(iova));
	return iova;
}

static uint64_t __attribute__((noinline, aligned(64)))
run_nop(struct pgtable_x86 *pt, const uint64_t *iova, uint64_t n)
{
	uint64_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += nop_translate(pt, iova[i]);
	return sum;
}

static void add_regions(struct pgtable_x86 *pt, uint64_t nr)
{
	uint64_t k;
	int rc;

	for (k = 0; k < nr; k++) {
		rc = pgtable_x86_map(pt, region_iova(k), host_block, SZ_2M,
				     PGTABLE_PROT_READ | PGTABLE_PROT_WRITE,
				     PGTABLE_X86_SZ_4K | PGTABLE_X86_SZ_2M);
		if (rc)
			die("add of region %" PRIu64 ": %s", k, strerror(-rc));
	}
}

static void remove_regions(struct pgtable_x86 *pt, uint64_t nr)
{
	uint64_t k, got;

	for (k = 0; k < nr; k++) {
		got = pgtable_x86_unmap(pt, region_iova(k), SZ_2M);
		if (got != SZ_2M)
			die("remove of region %" PRIu64 ": %" PRIu64 " bytes",
			    k, got);
	}
}

/* A table with @nr regions, each translated once (sets the A bits). */
static struct pgtable_x86 *setup(uint64_t nr)
{
	struct pgtable_x86 *pt = pgtable_x86_alloc();
	struct pgtable_x86_tlb tlb = { 0 };
	uint64_t k, iova, pgsize;
	unsigned int prot;

	if (!pt)
		die("pgtable_x86_alloc: out of memory");
	add_regions(pt, nr);
	for (k = 0; k < nr; k++) {
		iova = region_iova(k) + 8 * k % SZ_2M;
		if (pgtable_x86_translate(pt, &tlb, iova, PGTABLE_PROT_READ,
					  NULL) != expected(iova) ||
		    pgtable_x86_iova_to_va(pt, iova, &prot, &pgsize) !=
			    expected(iova) ||
		    pgsize != SZ_2M)
			die("region %" PRIu64 " translates wrongly", k);
	}
	if (pgtable_x86_iova_to_va(pt, region_iova(nr - 1) + SZ_2M, NULL, NULL))
		die("a gap translates");
	return pt;
}

/* Compare a sample of the lookups one by one, through a fresh TLB. */
static void check_sample(struct pgtable_x86 *pt, const uint64_t *iova,
			 uint64_t n)
{
	struct pgtable_x86_tlb tlb = { 0 };
	uint64_t i, left = 0;
	uintptr_t got;

	for (i = 0; i < n; i += 997) {
		got = pgtable_x86_translate(pt, &tlb, iova[i],
					    PGTABLE_PROT_READ, &left);
		if (got != expected(iova[i]) ||
		    left != SZ_2M - (iova[i] & (SZ_2M - 1)))
			die("lookup %" PRIu64 " (iova 0x%" PRIx64
			    "): got 0x%" PRIxPTR,
			    i, iova[i], got);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 summarize(uint64_t *ns, int runs, double per)
{
	struct stat3 s;

	qsort(ns, runs, sizeof(*ns), cmp_u64);
	s.med = ns[runs / 2] / per;
	s.min = ns[0] / per;
	s.max = ns[runs - 1] / per;
	return s;
}

typedef uint64_t (*run_fn)(struct pgtable_x86 *, const uint64_t *, uint64_t);

static struct stat3 time_lookups(run_fn fn, struct pgtable_x86 *pt,
				 const uint64_t *iova, uint64_t n, int runs,
				 uint64_t want, const char *what)
{
	uint64_t ns[MAX_RUNS], t, sum;
	int r;

	for (r = 0; r < runs; r++) {
		t = now_ns();
		sum = fn(pt, iova, n);
		ns[r] = now_ns() - t;
		if (sum != want)
			die("%s: checksum of the translations is wrong", what);
	}
	return summarize(ns, runs, (double)n);
}

static void print_row(const char *what, uint64_t nr, struct stat3 s,
		      double base)
{
	printf("%-10s %6" PRIu64 "  %7.2f  %7.2f  %7.2f", what, nr, s.med,
	       s.min, s.max);
	if (base > 0)
		printf("   %5.2fx", s.med / base);
	putchar('\n');
}

static void lookups(const struct cfg *cfg, uint64_t *iova, uint64_t nr)
{
	struct pgtable_x86 *pt = setup(nr);
	struct stat3 w, base;
	struct sums want;

	want = gen_lookups(iova, cfg->lookups, nr, 1);
	check_sample(pt, iova, cfg->lookups);
	base = time_lookups(run_nop, pt, iova, cfg->lookups, cfg->runs,
			    want.iova, "do-nothing W1");
	w = time_lookups(run_translate, pt, iova, cfg->lookups, cfg->runs,
			 want.host, "W1");
	print_row("nop W1", nr, base, 0);
	print_row("W1", nr, w, base.med);

	want = gen_lookups(iova, cfg->lookups, nr, STREAK);
	check_sample(pt, iova, cfg->lookups);
	base = time_lookups(run_nop, pt, iova, cfg->lookups, cfg->runs,
			    want.iova, "do-nothing W2");
	w = time_lookups(run_translate, pt, iova, cfg->lookups, cfg->runs,
			 want.host, "W2");
	print_row("nop W2", nr, base, 0);
	print_row("W2", nr, w, base.med);
	pgtable_x86_free(pt);
}

/* W3: cycles of add N, remove N on a fresh table, enough for cfg ops. */
static void churn(const struct cfg *cfg, uint64_t nr)
{
	uint64_t add_ns[MAX_RUNS], rm_ns[MAX_RUNS], t, c, cycles;
	struct stat3 add, rm;
	int r;

	cycles = (cfg->churn_ops + nr - 1) / nr;
	for (r = 0; r < cfg->runs; r++) {
		struct pgtable_x86 *pt = pgtable_x86_alloc();

		if (!pt)
			die("pgtable_x86_alloc: out of memory");
		add_ns[r] = rm_ns[r] = 0;
		for (c = 0; c < cycles; c++) {
			t = now_ns();
			add_regions(pt, nr);
			add_ns[r] += now_ns() - t;
			if (pgtable_x86_iova_to_va(pt, region_iova(nr - 1),
						   NULL, NULL) != host_block)
				die("W3: last region not mapped");
			t = now_ns();
			remove_regions(pt, nr);
			rm_ns[r] += now_ns() - t;
			if (pgtable_x86_iova_to_va(pt, region_iova(0), NULL,
						   NULL))
				die("W3: first region still mapped");
		}
		pgtable_x86_free(pt);
	}
	add = summarize(add_ns, cfg->runs, (double)(cycles * nr));
	rm = summarize(rm_ns, cfg->runs, (double)(cycles * nr));
	print_row("W3 add", nr, add, 0);
	print_row("W3 remove", nr, rm, 0);
}

static int callgrind_w1(void)
{
	const uint64_t n = 1000000, nr = 4096;
	uint64_t *iova = malloc(n * sizeof(*iova));
	struct pgtable_x86 *pt;
	struct sums want;

	if (!iova)
		die("out of memory");
	pt = setup(nr);
	want = gen_lookups(iova, n, nr, 1);
	check_sample(pt, iova, n);
	if (run_translate(pt, iova, n) != want.host)
		die("W1: checksum of the translations is wrong");
	if (run_nop(pt, iova, n) != want.iova)
		die("do-nothing: checksum is wrong");
	printf("callgrind W1: %" PRIu64 " lookups at N = %" PRIu64
	       " in run_translate (and as many in run_nop)\n",
	       n, nr);
	pgtable_x86_free(pt);
	free(iova);
	return 0;
}

int main(int argc, char **argv)
{
	struct cfg cfg = {
		.lookups = 20000000,
		.runs = RUNS,
		.churn_ops = 1 << 18,
	};
	uint64_t *iova;
	void *block;
	int i;

	if (posix_memalign(&block, SZ_2M, SZ_2M))
		die("out of memory");
	host_block = (uintptr_t)block;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			cfg.lookups = 200000;
			cfg.runs = 1;
			cfg.churn_ops = 1 << 16;
		} else if (!strcmp(argv[i], "--callgrind-w1")) {
			return callgrind_w1();
		} else {
			fprintf(stderr,
				"usage: %s [--quick | --callgrind-w1]\n",
				argv[0]);
			return 2;
		}
	}
	iova = malloc(cfg.lookups * sizeof(*iova));
	if (!iova)
		die("out of memory");

	printf("translation workload: %" PRIu64 " lookups, %d run(s), "
	       "ns per lookup (W3: per add / remove)\n",
	       cfg.lookups, cfg.runs);
	printf("%-10s %6s  %7s  %7s  %7s   %s\n", "workload", "N", "median",
	       "min", "max", "vs do-nothing");
	for (i = 0; i < NR_N; i++)
		lookups(&cfg, iova, n_values[i]);
	/* W3 from N = 64: at N = 1 the clock would cost more than the op. */
	for (i = 1; i < NR_N; i++)
		churn(&cfg, n_values[i]);
	free(iova);
	free(block);
	return 0;
}
