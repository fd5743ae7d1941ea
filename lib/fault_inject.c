// SPDX-License-Identifier: BSD-3-Clause
/*
 * The failure hook. A countdown per thread, like the kernel's fail-nth, so
 * a test can fail one chosen allocation or pin of one ioctl while other
 * threads run undisturbed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "iommufd_private.h"

static _Thread_local unsigned int fail_nth_countdown;
static _Thread_local bool fail_nth_injected;

void iommufd_fail_nth_set(unsigned int nth)
{
	fail_nth_countdown = nth;
	fail_nth_injected = false;
}

bool iommufd_fail_nth_clear(void)
{
	bool injected = fail_nth_injected;

	fail_nth_countdown = 0;
	fail_nth_injected = false;
	return injected;
}

bool iommufd_should_fail(void)
{
	if (!fail_nth_countdown)
		return false;
	if (--fail_nth_countdown)
		return false;
	fail_nth_injected = true;
	return true;
}

void *iommufd_zalloc(size_t size)
{
	if (iommufd_should_fail())
		return NULL;
	return calloc(1, size);
}

void *iommufd_alloc_array(size_t n, size_t size)
{
	if (iommufd_should_fail())
		return NULL;
	return calloc(n ? n : 1, size);
}

void *iommufd_realloc_array(void *ptr, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	if (iommufd_should_fail())
		return NULL;
	return realloc(ptr, bytes ? bytes : 1);
}

void iommufd_free(void *ptr)
{
	free(ptr);
}
