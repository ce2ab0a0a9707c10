/* sdnsctl zone (placeholder until its module lands). */
#include <stdio.h>

#include "ctl.h"

int ctl_zone(int argc, char **argv)
{
	(void)argc, (void)argv;
	fputs("sdnsctl zone: not implemented yet\n", stderr);
	return 1;
}
