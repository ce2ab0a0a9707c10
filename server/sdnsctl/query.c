/* sdnsctl query (placeholder until its module lands). */
#include <stdio.h>

#include "ctl.h"

int ctl_query(int argc, char **argv)
{
	(void)argc, (void)argv;
	fputs("sdnsctl query: not implemented yet\n", stderr);
	return 1;
}
