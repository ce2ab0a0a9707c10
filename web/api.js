/* The REST API, called exactly as curl does (the browser sends the client
 * certificate). */
export async function api(method, path, opts = {}) {
	const headers = {Accept: 'application/json'};
	let body;
	if (opts.json !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(opts.json);
	} else if (opts.text !== undefined) {
		headers['Content-Type'] = 'text/dns';
		body = opts.text;
	}
	let res;
	try {
		res = await fetch(path, {method, headers, body, cache: 'no-store',
			credentials: 'same-origin'});
	} catch (e) {
		return {status: 0, ok: false, error: {code: 'network', message: `network error: ${e.message}`}};
	}
	const ct = res.headers.get('Content-Type') || '';
	let data = null;
	if (ct.includes('json')) data = await res.json().catch(() => null);
	else if (opts.raw) data = await res.text();
	const error = res.ok ? null : (data && data.error) ||
		{code: String(res.status), message: `HTTP ${res.status} ${res.statusText}`};
	return {status: res.status, ok: res.ok, data, error};
}
export const enc = encodeURIComponent;
