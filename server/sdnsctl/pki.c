/* sdnsctl pki (placeholder until its module lands). */
#include <stdio.h>

#include "ctl.h"

int ctl_pki(int argc, char **argv)
{
	(void)argc, (void)argv;
	fputs("sdnsctl pki: not implemented yet\n", stderr);
	return 1;
}
