// The admin console in a real browser (Debian's chromium driven by
// playwright-core), against a live sdnsd. Started by tests/console.sh, which
// sets the environment below. Prints "  ok   ..." / "  FAIL ..." lines like
// tests/lib/shtest.sh and exits 1 when a check failed.
//
// The server certificate is checked strictly: Playwright proxies contexts
// with clientCertificates through Node's TLS, which trusts the test CA via
// NODE_EXTRA_CA_CERTS (set by the script), never ignoreHTTPSErrors.
import {execFileSync} from 'node:child_process';
import dgram from 'node:dgram';
import {mkdirSync, readFileSync} from 'node:fs';
import http from 'node:http';
import {chromium} from 'playwright-core';

const E = process.env;
const ORIGIN = E.CONSOLE_URL; // https://localhost:PORT
const SHOTS = E.SHOTS;
const PKI = E.PKI;
const ZONE = 'console.mesh';
const TIMEOUT = 10000;
let passed = 0, failed = 0;

function ok(what) { passed++; console.log(`  ok   ${what}`); }
function fail(what, why) {
	failed++;
	console.log(`  FAIL ${what}`);
	if (why) console.log(String(why).split('\n').slice(0, 12).map((l) => `       ${l}`).join('\n'));
}
// check(what, async fn): passes when fn resolves without throwing.
async function check(what, fn) {
	try { await fn(); ok(what); return true; } catch (e) { fail(what, e && e.message); return false; }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
async function shot(page, name) {
	await page.screenshot({path: `${SHOTS}/${name}.png`, fullPage: true});
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function run(cmd, args) { return execFileSync(cmd, args, {encoding: 'utf8', timeout: 20000}); }

// DoQ answer for name/A as sdnsctl sees it (the first answer's data, or the status).
function doq(name) {
	try {
		const out = run(`${E.BIN}/sdnsctl`, ['query', '--server', `127.0.0.1:${E.DOQ_PORT}`,
			'--server-name', 'localhost', '--ca', `${PKI}/ca.pem`, '--cert', `${PKI}/admin.pem`,
			'--key', `${PKI}/admin.key`, '--json', name, 'A']);
		const d = JSON.parse(out);
		return d.answer && d.answer.length ? d.answer[0].data : d.status;
	} catch (e) { return `error: ${e.message}`; }
}
// Plain DNS queries to the stub, every 50 ms until stopped: they feed the
// dashboard's q/s and latency figures.
function udpLoad(name) {
	const sock = dgram.createSocket('udp4');
	const q = Buffer.concat([Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
		...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
		Buffer.from([0, 0, 1, 0, 1])]);
	let id = 0;
	sock.on('message', () => {});
	const t = setInterval(() => { q.writeUInt16BE(++id & 0xffff, 0); sock.send(q, Number(E.STUB_PORT), '127.0.0.1'); }, 50);
	return () => { clearInterval(t); sock.close(); };
}
// SQL as the database owner (the postgres user when we are root), as an
// attacker with database access would.
function psql(sql) {
	const args = [E.CONNINFO, '-Atqc', sql];
	return process.getuid() === 0 ? run('runuser', ['-u', 'postgres', '--', 'psql', ...args]) : run('psql', args);
}
function curlAdmin(method, path, body) {
	return run('curl', ['-sS', '--fail-with-body', '--cacert', `${PKI}/ca.pem`, '--cert', `${PKI}/admin.pem`,
		'--key', `${PKI}/admin.key`, '-X', method, '-H', 'Content-Type: application/json',
		...(body ? ['--data', JSON.stringify(body)] : []), `${ORIGIN}${path}`]);
}

mkdirSync(SHOTS, {recursive: true});
const browser = await chromium.launch({executablePath: E.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run']});
try {
	await scenario();
} catch (e) {
	fail('the scenario ran to its end', e && e.stack);
} finally {
	await browser.close();
}
console.log(`console.mjs: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

async function scenario() {
	// 1. No client certificate: nothing. This context talks to Chromium's own
	// TLS stack (no Playwright proxy), which does not know the test CA, so
	// the server certificate check is skipped here only; what is tested is
	// the server's refusal, over a handshake Chromium itself completes.
	const bare = await browser.newContext({ignoreHTTPSErrors: true});
	const p0 = await bare.newPage();
	await check('a browser without a client certificate gets nothing', async () => {
		let r = null;
		try {
			r = await p0.goto(`${ORIGIN}/`, {timeout: TIMEOUT});
		} catch (e) { /* refused in the handshake is fine; a dead server or a failed handshake is not */
			assert(/BAD_SSL_CLIENT_AUTH_CERT|SOCKET_NOT_CONNECTED/.test(e.message), e.message);
			return;
		}
		const body = await p0.content();
		assert(r.status() === 401 || r.status() === 403, `status ${r.status()}`);
		assert(!body.includes('app.js') && !body.includes('secure_dns console'), 'the console page was served');
		for (const f of ['/app.js', '/app.css', '/events']) {
			const rr = await bare.request.get(`${ORIGIN}${f}`, {timeout: TIMEOUT, failOnStatusCode: false});
			assert(rr.status() === 401, `${f}: ${rr.status()}`);
		}
	});
	await bare.close();

	// 2. The admin, with the certificate from `sdnsctl pki init`.
	const ctx = await browser.newContext({viewport: {width: 1280, height: 860},
		clientCertificates: [{origin: ORIGIN, certPath: `${PKI}/admin.pem`, keyPath: `${PKI}/admin.key`}]});
	const page = await ctx.newPage();
	page.setDefaultTimeout(TIMEOUT);
	const problems = [];
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	// Chromium logs every 4xx as "Failed to load resource"; the field-error
	// check causes one on purpose, so server errors are caught by status.
	page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`); });
	page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} from ${r.url()}`); });
	page.on('requestfailed', (r) => { if (!r.url().endsWith('/events')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
	page.on('request', (r) => { if (!r.url().startsWith(ORIGIN)) problems.push(`third-party request: ${r.url()}`); });

	let resp;
	await check('the console loads over mTLS with the server certificate checked', async () => {
		resp = await page.goto(`${ORIGIN}/`);
		assert(resp.status() === 200, `status ${resp.status()}: ${(await page.content()).slice(0, 300)}`);
		await page.locator('h1', {hasText: 'Dashboard'}).waitFor();
	});
	await check('it is served with a strict CSP, nosniff and no-cache', async () => {
		const hd = resp.headers();
		assert(/default-src 'none'/.test(hd['content-security-policy'] || ''), `CSP: ${hd['content-security-policy']}`);
		assert(hd['x-content-type-options'] === 'nosniff', 'nosniff');
		assert(/no-cache/.test(hd['cache-control'] || ''), `cache-control: ${hd['cache-control']}`);
		assert(/text\/html/.test(hd['content-type'] || ''), `content-type: ${hd['content-type']}`);
	});
	await check('live updates connect (GET /events)', async () => {
		await page.locator('#live.on').waitFor();
	});

	const stopLoad = udpLoad(`www.${ZONE}`);
	await check('the dashboard shows q/s, latency, DoQ connections and peers', async () => {
		await page.waitForFunction(() => Number(document.getElementById('fig-qps')?.textContent) > 5, null, {timeout: 15000});
		await page.waitForFunction(() => /ms/.test(document.getElementById('fig-p99')?.textContent), null, {timeout: 15000});
		await page.waitForFunction(() => document.querySelectorAll('svg.chart path.line').length > 0, null, {timeout: 15000});
		assert((await page.textContent('#fig-doq')) !== '—', 'DoQ connections');
		assert(/active/.test(await page.textContent('#fig-peers')), 'peers');
	});
	await check('the dashboard shows the audit chain verifying', async () => {
		await page.locator('#audit-badge[data-ok="true"]').waitFor();
	});
	await shot(page, '01-dashboard');

	// Keyboard: skip link, then the navigation, in order.
	await check('the pages are reachable with the keyboard', async () => {
		await page.reload();
		await page.locator('h1', {hasText: 'Dashboard'}).waitFor();
		await page.keyboard.press('Tab');
		assert(await page.evaluate(() => document.activeElement.classList.contains('skip')), 'skip link first');
		await page.keyboard.press('Tab');
		await page.keyboard.press('Tab');
		assert(await page.evaluate(() => document.activeElement.dataset.route) === 'zones', 'Zones link third');
		await page.keyboard.press('Enter');
		await page.locator('h1', {hasText: 'Zones'}).waitFor();
		assert(await page.evaluate(() => document.activeElement.id) === 'main', 'focus moves to the page');
	});

	// 3. Zones: create two, delete one with confirmation.
	await check('a zone created in the console is listed', async () => {
		await page.fill('#zone-name', ZONE);
		await page.click('#zone-form button[type=submit]');
		await page.locator(`tr[data-zone="${ZONE}"]`).waitFor();
	});
	await check('deleting a zone asks first; Escape keeps it, confirming deletes it', async () => {
		await page.fill('#zone-name', 'scratch.mesh');
		await page.keyboard.press('Enter');
		const row = page.locator('tr[data-zone="scratch.mesh"]');
		await row.waitFor();
		await row.getByRole('button', {name: 'Delete zone scratch.mesh'}).click();
		await page.locator('#confirm[open]').waitFor();
		await page.keyboard.press('Escape');
		await sleep(300);
		assert(await row.count() === 1, 'Escape deleted the zone');
		await row.getByRole('button', {name: 'Delete zone scratch.mesh'}).click();
		await page.click('#confirm-ok');
		await row.waitFor({state: 'detached'});
	});
	await shot(page, '02-zones');

	// 4. Records: add one, answered over DoQ.
	await page.click(`a[href="#/zones/${ZONE}"]`);
	await page.locator('h1', {hasText: ZONE}).waitFor();
	await check('a record added in the console is listed', async () => {
		await page.fill('#rec-name', `www.${ZONE}`);
		await page.fill('#rec-type', 'A');
		await page.fill('#rec-ttl', '300');
		await page.fill('#rec-value', '10.0.0.5');
		await page.click('#rec-submit');
		await page.locator('#records-table tbody tr', {hasText: '10.0.0.5'}).waitFor();
	});
	await check('the record is then answered over DoQ', async () => {
		let got;
		for (let i = 0; i < 50; i++) { got = doq(`www.${ZONE}`); if (got === '10.0.0.5') return; await sleep(100); }
		throw new Error(`last DoQ answer: ${got}`);
	});
	await check("an invalid record shows the API's error next to its field", async () => {
		await page.fill('#rec-name', `bad.${ZONE}`);
		await page.fill('#rec-value', '10.0.0.256');
		await page.click('#rec-submit');
		await page.locator('#rec-value[aria-invalid="true"]').waitFor();
		const msg = await page.textContent('#rec-value-error');
		assert(/10\.0\.0\.256|IPv4|address/i.test(msg), `error text: ${msg}`);
		assert(await page.evaluate(() => document.activeElement.id) === 'rec-value', 'focus on the bad field');
	});
	await shot(page, '03-record-error');
	await check('editing a record updates it in place', async () => {
		await page.fill('#rec-value', '');
		await page.locator('#records-table tbody tr', {hasText: `www.${ZONE}`}).getByRole('button', {name: /^Edit/}).click();
		assert(await page.inputValue('#rec-value') === '10.0.0.5', 'form filled from the row');
		await page.fill('#rec-value', '10.0.0.6');
		await page.click('#rec-submit');
		await page.locator('#records-table tbody tr', {hasText: '10.0.0.6'}).waitFor();
	});

	// 5. A change made with curl appears live, without a reload.
	await page.evaluate(() => { window.__noReload = true; });
	let liveId = 0;
	await check('a curl change appears live through SSE', async () => {
		liveId = JSON.parse(curlAdmin('POST', `/zones/${ZONE}/records`, {name: `live.${ZONE}`, type: 'A', value: '10.0.0.7', ttl: 60})).id;
		await page.locator('#records-table tbody tr', {hasText: `live.${ZONE}`}).waitFor({timeout: 5000});
		assert(await page.evaluate(() => window.__noReload === true), 'the page was reloaded');
		await page.waitForFunction(() => /Live: record/.test(document.getElementById('announce').textContent));
	});
	await check('the records table filters and sorts', async () => {
		await page.fill('#rec-filter', 'live');
		assert(await page.locator('#records-table tbody tr').count() === 1, 'filter');
		await page.fill('#rec-filter', '');
		await page.click('button[data-sort="value"]');
		await page.click('button[data-sort="value"]');
		const sorted = await page.$$eval('#records-table tbody tr td:nth-child(4)', (tds) => tds.map((t) => t.textContent));
		assert(JSON.stringify(sorted) === JSON.stringify([...sorted].sort().reverse()), `order: ${sorted}`);
		assert(await page.getAttribute('th:has(button[data-sort="value"])', 'aria-sort') === 'descending', 'aria-sort');
	});
	await shot(page, '04-records');
	await check('a master file with an error names its line; a good one replaces the records', async () => {
		await page.click('summary:has-text("Import a master file")');
		await page.fill('#import-text', 'www IN A 10.0.0.5\nbad IN A 300.1.1.1\n');
		await page.click('#import-form button[type=submit]');
		await page.click('#confirm-ok');
		await page.waitForFunction(() => /line 2|:2/.test(document.querySelector('#import-form .form-error').textContent));
		await page.fill('#import-text', `$TTL 300\n@ IN SOA ns.${ZONE}. hostmaster.${ZONE}. 7 3600 600 86400 300\n` +
			'www IN A 10.0.0.6\nlive IN A 10.0.0.7\nmail IN A 10.0.0.25\n');
		await page.click('#import-form button[type=submit]');
		await page.click('#confirm-ok');
		await page.locator('#records-table tbody tr', {hasText: `mail.${ZONE}`}).waitFor();
		const ids = await page.$$eval('#records-table tbody tr', (rs) => rs.map((r) => r.dataset.id));
		assert(ids.length === 4, `rows: ${ids.length}`);
		const found = await page.$$eval('#records-table tbody tr', (rs) => rs.map((r) => r.children[0].textContent));
		liveId = Number(ids[found.indexOf(`live.${ZONE}`)]);
	});

	// 6. Peers: token shown once, enrollment with it, revocation.
	await page.click('a[data-route="peers"]');
	let token = '', command = '';
	await check('a token is shown once with its sdnsctl enroll line', async () => {
		await page.fill('#tok-name', 'node-b');
		await page.selectOption('#tok-role', 'node');
		await page.click('#tok-form button[type=submit]');
		await page.locator('#token-box').waitFor();
		token = await page.inputValue('#token-value');
		command = await page.inputValue('#token-command');
		assert(token.length > 20, `token ${token}`);
		assert(command.includes('sdnsctl enroll') && command.includes(token), `command: ${command}`);
		await page.locator('#token-box').getByRole('button', {name: 'Copy'}).first().click();
	});
	await shot(page, '05-peers-token');
	await check('the peer enrolled with that token appears live', async () => {
		run(`${E.BIN}/sdnsctl`, ['enroll', '--api', ORIGIN, '--ca', `${PKI}/ca.pem`, '--token', token,
			'--dir', `${E.T_DIR}/node-b`, '--name', 'node-b']);
		await page.locator('tr[data-peer="node-b"]').waitFor({timeout: 5000});
	});
	await check('revoking a peer asks for confirmation and marks it revoked', async () => {
		await page.locator('tr[data-peer="node-b"]').getByRole('button', {name: 'Revoke node-b'}).click();
		await page.fill('#revoke-reason', 'console test');
		await page.click('#confirm-ok');
		await page.locator('tr[data-peer="node-b"] .status', {hasText: 'revoked'}).waitFor();
	});
	await shot(page, '06-peers');

	// 7. Audit: every step, and the chain verifies.
	await page.click('a[data-route="audit"]');
	await check('audit shows every step and verifies', async () => {
		await page.locator('#audit-badge[data-ok="true"]').waitFor();
		await page.locator('#audit-table tbody tr[data-action]').first().waitFor();
		const acts = await page.$$eval('#audit-table tbody tr[data-action]', (rs) => rs.map((r) => r.dataset.action));
		for (const a of ['zone.create', 'zone.delete', 'record.create', 'record.update', 'zone.import', 'token.create', 'peer.enroll', 'peer.revoke'])
			assert(acts.includes(a), `no ${a} in ${acts.join(' ')}`);
	});
	await check('a change made with curl appears live in the open audit log, which still verifies', async () => {
		curlAdmin('DELETE', `/zones/${ZONE}/records/${liveId}`);
		await page.locator('#audit-table tbody tr[data-action="record.delete"]').waitFor({timeout: 5000});
		await page.locator('#audit-badge[data-ok="true"]').waitFor();
		assert(await page.evaluate(() => window.__noReload === true), 'the page was reloaded');
	});
	await check('audit filters by action and by time', async () => {
		await page.fill('#f-action', 'peer.revoke');
		await page.click('#audit-filter button[type=submit]');
		await page.waitForFunction(() => [...document.querySelectorAll('#audit-table tbody tr')].every((r) => r.dataset.action === 'peer.revoke'));
		assert(await page.locator('#audit-table tbody tr[data-action]').count() === 1, 'one revoke');
		await page.fill('#f-from', '2999-01-01T00:00');
		await page.click('#audit-filter button[type=submit]');
		await page.locator('#audit-table tbody td', {hasText: 'No entries.'}).waitFor();
		await page.fill('#f-from', '');
		await page.click('#audit-filter button[type=submit]');
		await page.locator('#audit-table tbody tr[data-action="peer.revoke"]').waitFor();
	});
	await shot(page, '07-audit');

	// The dashboard again, with the figures of the whole run.
	await page.click('a[data-route="dashboard"]');
	await check('the dashboard charts the whole run', async () => {
		await page.waitForFunction(() => /1 revoked/.test(document.querySelector('#cards')?.textContent));
		await page.waitForFunction(() => document.querySelector('svg.chart path.line.s1')?.getAttribute('d').split('L').length > 5);
	});
	stopLoad();
	await check('the dashboard counts zones and records as the Zones page does (signatures apart)', async () => {
		await page.click('a[data-route="zones"]');
		await page.waitForFunction(() => /zones?, \d+ records?/.test(document.getElementById('zones-total')?.textContent));
		const onZones = (await page.textContent('#zones-total')).trim();
		const rows = JSON.parse(curlAdmin('GET', '/zones')).zones;
		const want = `${rows.length} zone${rows.length === 1 ? '' : 's'}, ${rows.reduce((n, z) => n + z.records, 0)} records`;
		assert(onZones === want, `Zones page: ${onZones}; GET /zones: ${want}`);
		await page.click('a[data-route="dashboard"]');
		await page.waitForFunction((w) => document.getElementById('fig-zones')?.textContent === w, want, {timeout: 10000})
			.catch(async () => { throw new Error(`dashboard: ${await page.textContent('#fig-zones').catch(() => '?')}; Zones page: ${want}`); });
		assert(/\+\d+ DNSSEC records made by signing/.test(await page.textContent('#cards')), 'the signatures are counted apart');
	});
	await shot(page, '11-dashboard-after');

	// 8. A phone-sized window.
	const phone = await ctx.newPage();
	await phone.setViewportSize({width: 375, height: 740});
	phone.setDefaultTimeout(TIMEOUT);
	for (const [hash, name] of [['#/dashboard', '08-phone-dashboard'], [`#/zones/${ZONE}`, '09-phone-records'], ['#/peers', '10-phone-peers'], ['#/audit', '13-phone-audit']]) {
		await check(`${hash} fits a 375 px wide window`, async () => {
			await phone.goto(`${ORIGIN}/${hash}`);
			await phone.locator('h1').waitFor();
			if (hash === '#/dashboard') /* two samples make the first figures */
				await phone.waitForFunction(() => document.getElementById('fig-qps')?.textContent !== '—');
			await sleep(500);
			const w = await phone.evaluate(() => document.documentElement.scrollWidth);
			assert(w <= 376, `page is ${w} px wide`);
		});
		await shot(phone, name);
	}
	// 9. Tampering behind the API's back: the badge names the entry.
	await check('an audit row edited in the database is named by the badge and marked', async () => {
		const id = Number(psql('SELECT min(id) + 2 FROM audit').trim());
		psql(`ALTER TABLE audit DISABLE TRIGGER USER; UPDATE audit SET actor = 'spiffe://test.mesh/admin/mallory' WHERE id = ${id}; ALTER TABLE audit ENABLE TRIGGER USER`);
		await page.goto(`${ORIGIN}/#/audit`);
		await page.locator('#audit-badge[data-ok="false"]').waitFor();
		const txt = await page.textContent('#audit-badge');
		assert(txt.includes(`#${id}`), `badge: ${txt}`);
		await page.locator(`#audit-table tr.badrow[data-id="${id}"]`).waitFor();
	});
	await shot(page, '12-audit-broken');
	await check('no script errors, CSP violations or third-party requests', async () => {
		assert(problems.length === 0, problems.join('\n'));
	});
	await crossSite(ctx);
	await ctx.close();

	// 10. A client-role certificate may look but not write: the API's 403
	// is shown on the form, and admin-only pages say why they are empty.
	const cctx = await browser.newContext({viewport: {width: 1280, height: 860},
		clientCertificates: [{origin: ORIGIN, certPath: `${PKI}/app1.pem`, keyPath: `${PKI}/app1.key`}]});
	const cp = await cctx.newPage();
	cp.setDefaultTimeout(TIMEOUT);
	await check('a client-role browser reads zones but its writes are refused on the form', async () => {
		await cp.goto(`${ORIGIN}/#/zones`);
		await cp.locator(`tr[data-zone="${ZONE}"]`).waitFor();
		await cp.fill('#zone-name', 'nope.mesh');
		await cp.click('#zone-form button[type=submit]');
		await cp.waitForFunction(() => /forbidden|may not|role/i.test(document.querySelector('#zone-name-error').textContent +
			document.querySelector('#zone-form .form-error').textContent));
	});
	await shot(cp, '14-client-refused');
	await cctx.close();
}

// 11. Cross-site requests: a page of another origin, opened in the browser
// that holds the admin certificate, tries a form POST (text/plain, the
// classic JSON-in-a-form trick), a no-cors fetch and a JSON fetch against
// the API. The server must refuse what reaches it (403, logged) and
// nothing may change.
async function crossSite(ctx) {
	const target = `${ORIGIN}/zones/${ZONE}/records`;
	const evilRec = JSON.stringify({name: `evil.${ZONE}`, type: 'A', value: '10.6.6.6'});
	const pages = {
		'/form': `<!doctype html><form method="POST" action="${target}" enctype="text/plain">` +
			`<input name='${evilRec.slice(0, -1)},"x":"' value='"}'></form>` +
			'<script>document.forms[0].submit()</script>',
		'/fetch': '<!doctype html><script>window.done = (async () => { const out = [];' +
			`try { await fetch(${JSON.stringify(target)}, {method: 'POST', mode: 'no-cors', credentials: 'include',` +
			` headers: {'Content-Type': 'text/plain'}, body: ${JSON.stringify(evilRec)}}); out.push('no-cors sent'); }` +
			' catch (e) { out.push(`no-cors: ${e}`); }' +
			`try { const r = await fetch(${JSON.stringify(target)}, {method: 'POST', credentials: 'include',` +
			` headers: {'Content-Type': 'application/json'}, body: ${JSON.stringify(evilRec)}}); out.push('json ' + r.status); }` +
			' catch (e) { out.push(`json: ${e}`); }' +
			`try { await fetch(${JSON.stringify(`${ORIGIN}/zones/${ZONE}`)}, {method: 'DELETE', credentials: 'include'}); out.push('delete sent'); }` +
			' catch (e) { out.push(`delete: ${e}`); }' +
			' return out; })();</script>',
	};
	const srv = http.createServer((q, r) => {
		r.writeHead(pages[q.url] ? 200 : 404, {'Content-Type': 'text/html'});
		r.end(pages[q.url] || '');
	});
	await new Promise((res) => srv.listen(0, '127.0.0.1', res));
	const EVIL = `http://127.0.0.1:${srv.address().port}`;
	const logLines = () => readFileSync(`${E.T_DIR}/sdnsd.log`, 'utf8').split('\n').filter((l) => l.includes('event=api_cross_site'));
	const refused0 = logLines().length;
	const count = () => Number(psql(`SELECT count(*) FROM records r JOIN zones z ON z.id = r.zone_id WHERE z.name = '${ZONE}'`).trim());
	const rows0 = count();
	const p = await ctx.newPage();
	p.setDefaultTimeout(TIMEOUT);
	try {
		await check('a form POST from another origin reaches the API and is refused with 403', async () => {
			const [r] = await Promise.all([p.waitForResponse((x) => x.url() === target), p.goto(`${EVIL}/form`)]);
			assert(r.status() === 403, `status ${r.status()}`);
			const body = await r.text();
			assert(body.includes('"cross_site"'), `body: ${body}`);
		});
		await check('fetches from another origin (no-cors text/plain, JSON, DELETE) change nothing', async () => {
			await p.goto(`${EVIL}/fetch`);
			const out = await p.evaluate(() => window.done);
			assert(out.length === 3, `results: ${out}`);
			/* The JSON POST and the DELETE die in the CORS preflight the API
			 * never answers; the no-cors POST is sent and refused. */
			for (let i = 0; i < 50 && logLines().length < refused0 + 2; i++) await sleep(100);
			assert(logLines().length >= refused0 + 2, `refusals logged: ${logLines().slice(refused0).join(' | ')}`);
		});
		await check('after the cross-site attempts the zone and its records are unchanged', async () => {
			assert(count() === rows0, `records: ${count()}, were ${rows0}`);
			assert(Number(psql(`SELECT count(*) FROM records WHERE rdata_text LIKE '%10.6.6.6%' OR name LIKE 'evil.%'`).trim()) === 0,
				'an evil record was written');
			assert(JSON.parse(curlAdmin('GET', `/zones/${ZONE}`)).name === ZONE, 'the zone is gone');
		});
		await check('the console itself still writes from its own origin', async () => {
			const st = await page0Write(ctx);
			assert(st === 201, `status ${st}`);
		});
	} finally {
		await p.close();
		srv.close();
	}
}

// A same-origin write the way the console makes it (fetch from its page).
async function page0Write(ctx) {
	const p = await ctx.newPage();
	try {
		await p.goto(`${ORIGIN}/#/zones`);
		await p.locator('h1').waitFor();
		return await p.evaluate(async (zone) => (await fetch(`/zones/${zone}/records`, {method: 'POST',
			headers: {'Content-Type': 'application/json'}, credentials: 'same-origin',
			body: JSON.stringify({name: `same.${zone}`, type: 'A', value: '10.0.0.77'})})).status, ZONE);
	} finally { await p.close(); }
}
