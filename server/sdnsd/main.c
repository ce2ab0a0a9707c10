/* sdnsd entry point (placeholder until the module lands). */
#include <stdio.h>
int main(void)
{
	fputs("sdnsd: not built yet\n", stderr);
	return 1;
}
