/* sdnsctl entry point (placeholder until the module lands). */
#include <stdio.h>
int main(void)
{
	fputs("sdnsctl: not built yet\n", stderr);
	return 1;
}
