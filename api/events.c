/* GET /events: placeholder until the SSE stream lands. */
#include "api_int.h"

void api_h_events(api_req *r, api_resp *out)
{
	(void)r;
	api_fail(out, API_E_UNAVAILABLE, NULL, "events not available yet");
}
