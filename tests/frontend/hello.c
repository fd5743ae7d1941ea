// SPDX-License-Identifier: BSD-3-Clause
/* Built at test time, static and dynamic, by test_runner.sh. */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
