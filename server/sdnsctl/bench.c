/* sdnsctl bench (placeholder until its module lands). */
#include <stdio.h>

#include "ctl.h"

int ctl_bench(int argc, char **argv)
{
	(void)argc, (void)argv;
	fputs("sdnsctl bench: not implemented yet\n", stderr);
	return 1;
}
