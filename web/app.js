/* secure_dns admin console. No framework and no third-party code: the
 * server's CSP allows scripts, styles and connections to this origin only.
 * The same REST API as curl, authenticated by the browser's client
 * certificate; live updates from GET /events (Server-Sent Events). */
'use strict';
(() => {
	const main = document.getElementById('main');

	/* ---------- DOM helpers ---------- */

	/* h('tag.class', {attr: v, onclick: fn}, child, ...): children may be
	 * strings, nodes, arrays, or null/false (skipped). Text is never parsed
	 * as HTML, so API data cannot inject markup. */
	function h(spec, attrs, ...kids) {
		const [tag, ...cls] = spec.split('.');
		const el = document.createElement(tag);
		if (cls.length) el.className = cls.join(' ');
		setAttrs(el, attrs);
		append(el, kids);
		return el;
	}
	function setAttrs(el, attrs) {
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false) continue;
			if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
			else if (k === 'text') el.textContent = v;
			else if (k === 'value' && 'value' in el) {
				/* the attribute too, so form.reset() comes back to it */
				if (el.tagName === 'INPUT') el.setAttribute('value', v);
				el.value = v;
			}
			else el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	function append(el, kids) {
		for (const k of kids.flat(Infinity)) {
			if (k === null || k === undefined || k === false) continue;
			el.append(k instanceof Node ? k : document.createTextNode(String(k)));
		}
		return el;
	}
	const SVGNS = 'http://www.w3.org/2000/svg';
	function s(tag, attrs, ...kids) {
		const el = document.createElementNS(SVGNS, tag);
		for (const [k, v] of Object.entries(attrs || {}))
			if (k === 'text') el.textContent = v; else el.setAttribute(k, String(v));
		for (const k of kids.flat()) if (k) el.append(k);
		return el;
	}

	function announce(msg) {
		const a = document.getElementById('announce');
		a.textContent = '';
		/* a fresh text node makes screen readers speak repeated messages */
		setTimeout(() => { a.textContent = msg; }, 30);
	}
	let toastTimer = 0;
	function toast(msg) {
		const t = document.getElementById('toast');
		t.textContent = msg;
		t.hidden = false;
		clearTimeout(toastTimer);
		toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
	}

	/* Each cell gets its column's header text as data-label, which the
	 * phone layout shows beside the value (tables become cards there). */
	function labelCells(table) {
		table.classList.add('stack');
		const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.replace(/[▲▼]/g, '').trim());
		for (const tr of table.querySelectorAll('tbody tr'))
			[...tr.children].forEach((td, i) => { if (!td.hasAttribute('colspan')) td.dataset.label = heads[i] || ''; });
	}

	/* ---------- formatting ---------- */

	function fmtTime(iso) {
		if (!iso) return '—';
		const d = new Date(iso);
		return isNaN(d) ? iso : d.toLocaleString();
	}
	function ago(iso) {
		if (!iso) return 'never';
		const sec = Math.round((Date.now() - new Date(iso)) / 1000);
		if (isNaN(sec)) return iso;
		if (sec < 60) return `${Math.max(sec, 0)} s ago`;
		if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
		if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
		return `${Math.round(sec / 86400)} d ago`;
	}
	function fmtNum(v, digits = 1) {
		if (v === null || v === undefined || !isFinite(v)) return '—';
		return v >= 100 ? Math.round(v).toString() : v.toFixed(digits);
	}
	function fmtMs(sec) {
		if (sec === null || sec === undefined || !isFinite(sec)) return '—';
		const ms = sec * 1000;
		return ms < 1 ? `${ms.toFixed(2)} ms` : ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
	}
	const shortId = (spiffe) => (spiffe || '').replace(/^spiffe:\/\/[^/]+\//, '');

	/* ---------- API ---------- */

	async function api(method, path, opts = {}) {
		const headers = {Accept: 'application/json'};
		let body;
		if (opts.json !== undefined) {
			headers['Content-Type'] = 'application/json';
			body = JSON.stringify(opts.json);
		} else if (opts.text !== undefined) {
			headers['Content-Type'] = 'text/plain';
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
	const enc = encodeURIComponent;

	/* Puts an API error next to the field it names (input id = prefix-field),
	 * or in the form's general error line. */
	function showFieldError(form, prefix, err) {
		clearErrors(form);
		const field = err && err.field;
		const input = field && form.querySelector(`#${prefix}-${field}`);
		const slot = (input && form.querySelector(`#${prefix}-${field}-error`)) || form.querySelector('.form-error');
		if (input) {
			input.setAttribute('aria-invalid', 'true');
			input.focus();
		}
		if (slot) slot.textContent = err.message;
	}
	function clearErrors(form) {
		for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
		for (const el of form.querySelectorAll('.field-error, .form-error')) el.textContent = '';
	}
	/* A labelled input with its error slot; id = prefix-name. */
	function field(prefix, name, label, attrs = {}, control = 'input') {
		const id = `${prefix}-${name}`;
		const el = h(control, {id, name, 'aria-describedby': `${id}-error`, ...attrs});
		return h('div.field', {}, h('label', {for: id, text: label}), el,
			h('span.field-error', {id: `${id}-error`}));
	}

	/* Confirmation dialog; resolves true on confirm. extra: optional node. */
	function confirmDialog(title, text, okLabel, extra) {
		const dlg = document.getElementById('confirm');
		document.getElementById('confirm-title').textContent = title;
		document.getElementById('confirm-text').textContent = text;
		const ex = document.getElementById('confirm-extra');
		ex.replaceChildren(...(extra ? [extra] : []));
		const ok = document.getElementById('confirm-ok');
		const cancel = document.getElementById('confirm-cancel');
		ok.textContent = okLabel;
		const back = document.activeElement;
		return new Promise((resolve) => {
			const done = (v) => {
				ok.removeEventListener('click', yes);
				cancel.removeEventListener('click', no);
				dlg.removeEventListener('cancel', no);
				dlg.close();
				if (back && back.focus) back.focus();
				resolve(v);
			};
			const yes = () => done(true);
			const no = (e) => { if (e) e.preventDefault(); done(false); };
			ok.addEventListener('click', yes);
			cancel.addEventListener('click', no);
			dlg.addEventListener('cancel', no);
			dlg.showModal();
			cancel.focus();
		});
	}

	async function copyText(text, button) {
		try {
			await navigator.clipboard.writeText(text);
			button.textContent = 'Copied';
		} catch {
			button.textContent = 'Select and copy';
		}
		announce('Copied to the clipboard');
		setTimeout(() => { button.textContent = 'Copy'; }, 2000);
	}

	/* ---------- live updates (SSE) ---------- */

	let page = null; /* the open page: {onEvent(type, ev), destroy()} */
	function startEvents() {
		const live = document.getElementById('live');
		const es = new EventSource('/events');
		es.addEventListener('open', () => {
			live.textContent = 'live';
			live.className = 'live on';
		});
		es.addEventListener('error', () => {
			live.textContent = es.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting';
			live.className = 'live off';
			/* EventSource gives up for good on a non-200 answer (503 when
			 * the server has too many subscribers): retry later ourselves */
			if (es.readyState === EventSource.CLOSED) {
				es.close();
				setTimeout(startEvents, 10000);
			}
		});
		/* changes may have been missed (the server lost its database
		 * connection): rebuild the open page from the API */
		es.addEventListener('resync', () => { route(); announce('Live: reloaded after a reconnect'); });
		for (const type of ['zone', 'record', 'peer', 'audit']) {
			es.addEventListener(type, (m) => {
				let ev;
				try { ev = JSON.parse(m.data); } catch { return; }
				dashboardEvent(type, ev);
				if (page && page.onEvent) page.onEvent(type, ev);
			});
		}
	}

	/* ---------- metrics sampling (dashboard) ---------- */

	function parseProm(text) {
		const m = new Map();
		for (const line of text.split('\n')) {
			if (!line || line[0] === '#') continue;
			const mm = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
			if (!mm) continue;
			const labels = {};
			for (const l of (mm[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
			if (!m.has(mm[1])) m.set(mm[1], []);
			m.get(mm[1]).push({labels, value: Number(mm[3])});
		}
		return m;
	}
	function sum(m, name, pred) {
		let t = 0, any = false;
		for (const x of m.get(name) || []) if (!pred || pred(x.labels)) { t += x.value; any = true; }
		return any ? t : null;
	}
	function sample(m) {
		/* DoQ queries are counted by the DoQ server; the stub's doq series
		 * (when there) counts the same queries, so take the larger. */
		const doq = Math.max(sum(m, 'sdns_doq_queries_total') || 0,
			sum(m, 'sdns_queries_total', (l) => l.transport === 'doq') || 0);
		const other = sum(m, 'sdns_queries_total', (l) => l.transport !== 'doq') || 0;
		const buckets = new Map();
		for (const x of m.get('sdns_query_duration_seconds_bucket') || []) {
			const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
			buckets.set(le, (buckets.get(le) || 0) + x.value);
		}
		const up = new Map();
		for (const x of m.get('sdns_upstream_queries_total') || [])
			up.set(x.labels.upstream, {q: x.value, f: 0});
		for (const x of m.get('sdns_upstream_failures_total') || []) {
			const u = up.get(x.labels.upstream) || {q: 0, f: 0};
			u.f += x.value;
			up.set(x.labels.upstream, u);
		}
		return {t: Date.now(), q: doq + other, buckets, up,
			hits: sum(m, 'sdns_cache_hits_total'), misses: sum(m, 'sdns_cache_misses_total'),
			doqConns: sum(m, 'sdns_doq_connections'), dbUp: sum(m, 'sdns_db_up'),
			zones: sum(m, 'sdns_zones'), records: sum(m, 'sdns_zone_records')};
	}
	/* Quantile from cumulative histogram counts (Prometheus
	 * histogram_quantile: linear inside the bucket). */
	function quantile(q, pairs) {
		pairs.sort((a, b) => a[0] - b[0]);
		const total = pairs.length ? pairs[pairs.length - 1][1] : 0;
		if (total <= 0) return null;
		const rank = q * total;
		let prevLe = 0, prevC = 0;
		for (const [le, c] of pairs) {
			if (c >= rank) {
				if (le === Infinity) return prevLe;
				return prevLe + (le - prevLe) * ((rank - prevC) / Math.max(c - prevC, 1e-9));
			}
			prevLe = le; prevC = c;
		}
		return prevLe;
	}

	const HISTORY = 150; /* 5 minutes at one sample every 2 s */
	const metrics = {history: [], last: null, prev: null, timer: 0, error: null};
	async function pollMetrics() {
		const r = await api('GET', '/metrics', {raw: true});
		if (!r.ok) {
			metrics.error = r.error.message;
		} else {
			metrics.error = null;
			const cur = sample(parseProm(r.data));
			const p = metrics.last;
			if (p) {
				const dt = (cur.t - p.t) / 1000;
				const d = [...cur.buckets].map(([le, c]) => [le, c - (p.buckets.get(le) || 0)]);
				const n = d.length ? Math.max(...d.map((x) => x[1])) : 0;
				metrics.history.push({t: cur.t, qps: Math.max(cur.q - p.q, 0) / dt,
					p50: n > 0 ? quantile(0.5, d) : null, p99: n > 0 ? quantile(0.99, d) : null});
				if (metrics.history.length > HISTORY) metrics.history.shift();
			}
			metrics.prev = p;
			metrics.last = cur;
		}
		if (page && page.onMetrics) page.onMetrics();
	}
	function startMetrics() {
		if (metrics.timer) return;
		pollMetrics();
		metrics.timer = setInterval(pollMetrics, 2000);
	}

	/* Line chart in SVG; series: [{label, cls, key}] over metrics.history. */
	function lineChart(title, series, fmt) {
		const W = 600, H = 160, P = 4;
		const hist = metrics.history;
		let max = 0;
		for (const pt of hist) for (const se of series) if (pt[se.key] > max) max = pt[se.key];
		max = max > 0 ? max * 1.15 : 1;
		const x = (i) => P + (W - 2 * P) * (HISTORY - hist.length + i) / (HISTORY - 1);
		const y = (v) => H - P - (H - 2 * P) * (v / max);
		const svgEl = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
			'aria-label': `${title}, last ${Math.round(HISTORY * 2 / 60)} minutes; now ` +
				series.map((se) => `${se.label} ${fmt(hist.length ? hist[hist.length - 1][se.key] : null)}`).join(', ')});
		for (const f of [0.25, 0.5, 0.75])
			svgEl.append(s('line', {x1: 0, x2: W, y1: H * f, y2: H * f, class: 'grid'}));
		for (const se of series) {
			/* a gap (null: no queries in that interval) breaks the line */
			let d = '', pen = false;
			hist.forEach((pt, i) => {
				const v = pt[se.key];
				if (v === null || v === undefined) { pen = false; return; }
				d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
				pen = true;
			});
			if (d) svgEl.append(s('path', {d, class: `line ${se.cls}`}));
		}
		svgEl.append(s('text', {x: P + 2, y: 14, class: 'axis', text: `max ${fmt(max)}`}),
			s('text', {x: P + 2, y: H - P - 4, class: 'axis', text: `${Math.round(HISTORY * 2 / 60)} min ago`}),
			s('text', {x: W - P - 2, y: H - P - 4, class: 'axis', 'text-anchor': 'end', text: 'now'}));
		return svgEl;
	}

	/* ---------- dashboard ---------- */

	const dash = {peers: null, verify: null, verifyTimer: 0};
	async function loadVerify() {
		const r = await api('GET', '/audit/verify');
		dash.verify = r.ok ? r.data : {error: r.error.message};
		if (page && page.onVerify) page.onVerify();
	}
	async function loadPeers() {
		const r = await api('GET', '/peers');
		dash.peers = r.ok ? r.data.peers : null;
		if (page && page.onMetrics) page.onMetrics();
	}
	function dashboardEvent(type) {
		if (type === 'audit') {
			clearTimeout(dash.verifyTimer);
			dash.verifyTimer = setTimeout(loadVerify, 300);
		}
		if (type === 'peer' && page && page.name === 'dashboard') loadPeers();
	}
	function verifyBadge(id) {
		const v = dash.verify;
		if (!v) return h('span.badge.pending', {id, text: 'Checking the audit chain…'});
		if (v.error) return h('span.badge.warn', {id, text: `Audit chain: ${v.error}`});
		if (v.ok) return h('span.badge.ok', {id, 'data-ok': 'true', text: `Chain verifies (${v.checked} entries)`});
		return h('span.badge.bad', {id, 'data-ok': 'false'},
			`Chain broken at entry #${v.first_bad_id}: ${v.reason || 'does not verify'}`);
	}

	function pageDashboard() {
		main.replaceChildren(
			h('h1', {text: 'Dashboard'}),
			h('p.muted', {id: 'metrics-error', 'aria-live': 'polite'}),
			h('div.cards', {id: 'cards'}));
		const render = () => {
			const hist = metrics.history, cur = metrics.last, prev = metrics.prev;
			const now = hist.length ? hist[hist.length - 1] : {};
			document.getElementById('metrics-error').textContent =
				metrics.error ? `Metrics unavailable: ${metrics.error}` : '';
			let hit = null;
			if (cur && cur.hits !== null) {
				const dh = prev ? cur.hits - prev.hits : cur.hits, dm = prev ? cur.misses - prev.misses : cur.misses;
				hit = dh + dm > 0 ? dh / (dh + dm) : (cur.hits + cur.misses > 0 ? cur.hits / (cur.hits + cur.misses) : null);
			}
			const ups = cur ? [...cur.up] : [];
			const peers = dash.peers || [];
			const active = peers.filter((p) => p.status === 'active');
			const seen = active.filter((p) => p.last_seen && Date.now() - new Date(p.last_seen) < 300000);
			const card = (title, ...kids) => h('section.card', {'aria-label': title}, h('h2', {text: title}), kids);
			const big = (id, v, unit) => h('p.big', {}, h('span', {id, text: v}), unit ? h('span.unit', {text: ` ${unit}`}) : null);
			document.getElementById('cards').replaceChildren(
				card('Queries per second', big('fig-qps', fmtNum(now.qps), 'q/s'),
					lineChart('Queries per second', [{label: 'q/s', key: 'qps', cls: 's1'}], (v) => fmtNum(v))),
				card('Latency (stub answers)', h('p.big', {}, 'p50 ', h('span', {id: 'fig-p50', text: fmtMs(now.p50)}),
					h('span.sep', {text: ' · '}), 'p99 ', h('span', {id: 'fig-p99', text: fmtMs(now.p99)})),
				lineChart('Latency', [{label: 'p50', key: 'p50', cls: 's1'}, {label: 'p99', key: 'p99', cls: 's2'}], fmtMs),
				h('p.legend', {}, h('span.key.s1'), 'p50 ', h('span.key.s2'), 'p99')),
				card('Cache hit ratio', big('fig-hit', hit === null ? '—' : `${(hit * 100).toFixed(1)} %`),
					s('svg', {viewBox: '0 0 100 8', class: 'bar', 'aria-hidden': 'true', preserveAspectRatio: 'none'},
						s('rect', {x: 0, y: 0, width: 100, height: 8, class: 'bar-bg'}),
						s('rect', {x: 0, y: 0, width: hit === null ? 0 : (hit * 100).toFixed(1), height: 8, class: 'bar-fg'})),
					h('p.muted', {text: cur && cur.hits !== null ? `${cur.hits} hits, ${cur.misses} misses since start` : 'no stub cache on this node'})),
				card('Upstream health', ups.length ? h('ul.plain', {id: 'fig-upstreams'}, ups.map(([name, u]) => {
					const pu = prev && prev.up.get(name);
					const dq = pu ? u.q - pu.q : u.q, df = pu ? u.f - pu.f : u.f;
					const st = dq + df === 0 ? ['idle', 'pending'] : df > dq / 2 ? ['failing', 'bad'] : ['healthy', 'ok'];
					return h('li', {}, h(`span.badge.${st[1]}`, {text: st[0]}), ` ${name} `,
						h('span.muted', {text: `${u.q} queries, ${u.f} failures`}));
				})) : h('p.muted', {id: 'fig-upstreams', text: 'No upstream configured (no forwarding stub).'})),
				card('Peers', big('fig-peers', dash.peers ? `${active.length} active` : '—'),
					h('p', {}, `${seen.length} seen in the last 5 min · ${peers.length - active.length} revoked · `,
						h('a', {href: '#/peers', text: 'details'}))),
				card('DoQ connections', big('fig-doq', cur && cur.doqConns !== null ? String(cur.doqConns) : '—'),
					h('p.muted', {text: cur ? `${fmtNum(cur.zones, 0)} zones, ${fmtNum(cur.records, 0)} records served · database ${cur.dbUp ? 'up' : 'DOWN'}` : ''})),
				card('Audit chain', h('p', {id: 'audit-badge-slot'}, verifyBadge('audit-badge')),
					h('p', {}, h('a', {href: '#/audit', text: 'Open the audit log'}))));
		};
		startMetrics();
		loadPeers();
		loadVerify();
		const peerTimer = setInterval(loadPeers, 10000);
		render();
		return {name: 'dashboard', onMetrics: render, onVerify: render,
			destroy() { clearInterval(peerTimer); }};
	}

	/* ---------- zones ---------- */

	function pageZones() {
		let zones = [];
		const form = h('form.inline', {id: 'zone-form', 'aria-label': 'Create a zone', novalidate: true},
			field('zone', 'name', 'Zone name', {required: true, placeholder: 'node-b.mesh', autocomplete: 'off'}),
			field('zone', 'owner', 'Owner node (optional)', {placeholder: 'node-b', autocomplete: 'off'}),
			h('div.field.end', {}, h('button.primary', {type: 'submit', text: 'Create zone'})),
			h('p.form-error', {role: 'alert'}));
		const tbody = h('tbody');
		main.replaceChildren(h('h1', {text: 'Zones'}), h('h2', {text: 'Create a zone'}), form,
			h('h2', {text: 'Zones'}),
			h('div.scroll', {}, h('table', {id: 'zones-table'}, h('caption.sr-only', {text: 'Zones served by this node'}),
				h('thead', {}, h('tr', {}, ['Name', 'Serial', 'Owner', 'Records', 'Updated', ''].map((t) => h('th', {scope: 'col', text: t})))),
				tbody)));
		const render = () => {
			tbody.replaceChildren(...(zones.length ? zones.map((z) => h('tr', {'data-zone': z.name},
				h('td', {}, h('a', {href: `#/zones/${enc(z.name)}`, text: z.name})),
				h('td', {text: z.serial}), h('td', {text: z.owner || '—'}), h('td', {text: z.records ?? '—'}),
				h('td', {text: fmtTime(z.updated_at)}),
				h('td', {}, h('button.danger.small', {type: 'button', 'aria-label': `Delete zone ${z.name}`, text: 'Delete',
					onclick: () => del(z)})))) : [h('tr', {}, h('td', {colspan: 6, class: 'muted', text: 'No zones yet.'}))]));
			labelCells(document.getElementById('zones-table'));
		};
		const load = async () => {
			const r = await api('GET', '/zones');
			if (r.ok) { zones = r.data.zones; render(); } else toast(r.error.message);
		};
		const del = async (z) => {
			if (!await confirmDialog('Delete zone', `Delete ${z.name} and its ${z.records ?? ''} records? DoQ stops answering for it at once.`, 'Delete zone')) return;
			const r = await api('DELETE', `/zones/${enc(z.name)}`);
			if (r.ok) { announce(`Zone ${z.name} deleted`); load(); } else toast(r.error.message);
		};
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const name = form.querySelector('#zone-name').value.trim().toLowerCase().replace(/\.$/, '');
			const owner = form.querySelector('#zone-owner').value.trim();
			if (!name) { showFieldError(form, 'zone', {field: 'name', message: 'name: required'}); return; }
			const r = await api('POST', `/zones/${enc(name)}`, {json: owner ? {owner} : {}});
			if (r.ok) {
				form.reset();
				announce(`Zone ${name} created`);
				load();
			} else {
				/* the zone name is in the path, so its errors carry no field */
				showFieldError(form, 'zone', {...r.error,
					field: r.error.field || (r.status === 400 || r.status === 409 ? 'name' : undefined)});
			}
		});
		load();
		let t = 0;
		return {name: 'zones', onEvent(type) {
			if (type !== 'zone' && type !== 'record') return;
			clearTimeout(t);
			t = setTimeout(load, 150);
		}};
	}

	/* ---------- records of one zone ---------- */

	const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA', 'PTR', 'SOA', 'HTTPS', 'SVCB', 'TLSA', 'SSHFP'];

	function pageZone(zone) {
		let records = [], info = null, editing = null, sortKey = 'name', sortDir = 1, filter = '';
		/* the row changed last stays highlighted for a moment, across reloads */
		let flashId = null, flashTimer = 0, reloadTimer = 0;
		const flash = (id) => {
			flashId = id;
			clearTimeout(flashTimer);
			flashTimer = setTimeout(() => { flashId = null; }, 3000);
		};
		const form = h('form.inline', {id: 'rec-form', 'aria-label': 'Add a record', novalidate: true},
			field('rec', 'name', 'Name', {required: true, placeholder: `www.${zone}`, autocomplete: 'off'}),
			field('rec', 'type', 'Type', {required: true, list: 'rec-types', value: 'A', autocomplete: 'off', size: 6}),
			field('rec', 'ttl', 'TTL (s)', {type: 'number', min: 0, value: 3600, inputmode: 'numeric'}),
			field('rec', 'value', 'Value', {required: true, placeholder: '10.0.0.5', autocomplete: 'off'}),
			h('datalist', {id: 'rec-types'}, TYPES.map((t) => h('option', {value: t}))),
			h('div.field.end', {}, h('button.primary', {type: 'submit', id: 'rec-submit', text: 'Add record'}),
				h('button', {type: 'button', id: 'rec-cancel', hidden: true, text: 'Cancel edit', onclick: () => setEdit(null)})),
			h('p.form-error', {role: 'alert'}));
		const head = h('p.muted', {id: 'zone-info'});
		const tbody = h('tbody');
		const thead = h('tr');
		const filterIn = h('input', {id: 'rec-filter', type: 'search', placeholder: 'name, type or value', autocomplete: 'off',
			oninput: (e) => { filter = e.target.value.toLowerCase(); render(); }});
		const imp = h('textarea', {id: 'import-text', rows: 8, spellcheck: 'false',
			placeholder: `$TTL 3600\n@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 300\nwww IN A 10.0.0.5`});
		const impForm = h('form', {id: 'import-form', 'aria-label': 'Import a master file', novalidate: true},
			h('div.field', {}, h('label', {for: 'import-file', text: 'Master file'}),
				h('input', {id: 'import-file', type: 'file', accept: '.zone,.txt,text/plain,text/dns',
					onchange: async (e) => { const f = e.target.files[0]; if (f) imp.value = await f.text(); }})),
			h('div.field', {}, h('label', {for: 'import-text', text: 'or paste it (origin is the zone)'}), imp),
			h('p.form-error', {role: 'alert'}),
			h('button.danger', {type: 'submit', text: 'Replace all records'}));
		main.replaceChildren(
			h('p.crumbs', {}, h('a', {href: '#/zones', text: 'Zones'}), ' / '),
			h('h1', {text: zone}), head,
			h('h2', {id: 'rec-form-title', text: 'Add a record'}), form,
			h('h2', {text: 'Records'}),
			h('div.toolbar', {}, h('label', {for: 'rec-filter', text: 'Filter '}), filterIn,
				h('span.muted', {id: 'rec-count', 'aria-live': 'polite'})),
			h('div.scroll', {}, h('table', {id: 'records-table'}, h('caption.sr-only', {text: `Records of ${zone}`}),
				h('thead', {}, thead), tbody)),
			h('details', {}, h('summary', {text: 'Import a master file (replaces every record)'}), impForm));

		const cols = [['name', 'Name'], ['type', 'Type'], ['ttl', 'TTL'], ['value', 'Value']];
		const renderHead = () => {
			thead.replaceChildren(...cols.map(([k, label]) => h('th', {scope: 'col',
				'aria-sort': sortKey === k ? (sortDir > 0 ? 'ascending' : 'descending') : 'none'},
			h('button.sort', {type: 'button', 'data-sort': k, text: label + (sortKey === k ? (sortDir > 0 ? ' ▲' : ' ▼') : ''),
				onclick: () => { sortDir = sortKey === k ? -sortDir : 1; sortKey = k; render(); }}))),
			h('th', {scope: 'col'}, h('span.sr-only', {text: 'Actions'})));
		};
		const render = () => {
			renderHead();
			const rows = records.filter((r) => !filter ||
				`${r.name} ${r.type} ${r.value}`.toLowerCase().includes(filter));
			rows.sort((a, b) => {
				const x = a[sortKey], y = b[sortKey];
				const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
				return (c || a.id - b.id) * sortDir;
			});
			document.getElementById('rec-count').textContent = `${rows.length} of ${records.length} records`;
			tbody.replaceChildren(...rows.map((r) => h('tr', {'data-id': r.id, class: r.id === flashId ? 'flash' : null},
				h('td', {text: r.name}), h('td', {text: r.type}), h('td', {text: r.ttl}), h('td.value', {text: r.value}),
				h('td.actions', {},
					h('button.small', {type: 'button', 'aria-label': `Edit ${r.name} ${r.type}`, text: 'Edit', onclick: () => setEdit(r)}),
					h('button.small.danger', {type: 'button', 'aria-label': `Delete ${r.name} ${r.type}`, text: 'Delete',
						disabled: r.type === 'SOA', onclick: () => del(r)})))));
			labelCells(document.getElementById('records-table'));
		};
		const renderInfo = () => {
			head.textContent = info ? `Serial ${info.serial} · owner ${info.owner || '—'} · updated ${fmtTime(info.updated_at)}` : '';
		};
		const load = async () => {
			const r = await api('GET', `/zones/${enc(zone)}`);
			if (!r.ok) {
				head.textContent = r.status === 404 ? 'This zone does not exist (any more).' : r.error.message;
				records = [];
				render();
				return;
			}
			info = r.data;
			records = r.data.records || [];
			renderInfo();
			render();
		};
		const setEdit = (r) => {
			editing = r;
			clearErrors(form);
			document.getElementById('rec-form-title').textContent = r ? `Edit record #${r.id}` : 'Add a record';
			document.getElementById('rec-submit').textContent = r ? 'Save changes' : 'Add record';
			document.getElementById('rec-cancel').hidden = !r;
			form.querySelector('#rec-name').value = r ? r.name : '';
			form.querySelector('#rec-type').value = r ? r.type : 'A';
			form.querySelector('#rec-ttl').value = r ? r.ttl : 3600;
			form.querySelector('#rec-value').value = r ? r.value : '';
			form.querySelector('#rec-name').focus();
		};
		const del = async (r) => {
			if (!await confirmDialog('Delete record', `Delete ${r.name} ${r.type} ${r.value}?`, 'Delete record')) return;
			const res = await api('DELETE', `/zones/${enc(zone)}/records/${r.id}`);
			if (res.ok) { announce(`Record ${r.name} ${r.type} deleted`); load(); } else toast(res.error.message);
		};
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const v = (id) => form.querySelector(`#rec-${id}`).value.trim();
			const ttlText = v('ttl');
			const body = {name: v('name') || '@', type: v('type').toUpperCase(), value: v('value')};
			if (ttlText !== '') body.ttl = Number(ttlText);
			if (ttlText !== '' && !Number.isInteger(body.ttl)) {
				showFieldError(form, 'rec', {field: 'ttl', message: 'ttl: a whole number of seconds'});
				return;
			}
			const res = editing ? await api('PUT', `/zones/${enc(zone)}/records/${editing.id}`, {json: body})
				: await api('POST', `/zones/${enc(zone)}/records`, {json: body});
			if (!res.ok) { showFieldError(form, 'rec', res.error); return; }
			announce(`Record ${res.data.name} ${res.data.type} ${editing ? 'saved' : 'added'}`);
			setEdit(null);
			flash(res.data.id);
			load();
		});
		impForm.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(impForm);
			if (!imp.value.trim()) { impForm.querySelector('.form-error').textContent = 'Choose or paste a master file first.'; return; }
			if (!await confirmDialog('Import master file', `Replace every record of ${zone} with this file?`, 'Replace records')) return;
			const res = await api('POST', `/zones/${enc(zone)}/import`, {text: imp.value});
			if (!res.ok) { impForm.querySelector('.form-error').textContent = res.error.message; return; }
			announce(`Imported ${res.data.records} records`);
			imp.value = '';
			load();
		});
		load();
		return {name: 'zone', destroy() { clearTimeout(reloadTimer); clearTimeout(flashTimer); }, onEvent(type, ev) {
			if (ev.zone !== zone && !(type === 'zone' && ev.object && ev.object.name === zone)) return;
			if (type === 'record') {
				const o = ev.object;
				if (ev.op === 'DELETE') records = records.filter((r) => r.id !== ev.id);
				else if (o && o.id) records = [...records.filter((r) => r.id !== o.id), o];
				else { flash(ev.id); load(); return; }
				if (ev.op !== 'DELETE') flash(ev.id);
				render();
				announce(`Live: record ${o ? `${o.name} ${o.type} ` : `#${ev.id} `}${ev.op === 'INSERT' ? 'added' : ev.op === 'DELETE' ? 'deleted' : 'changed'}`);
			} else if (type === 'zone') {
				/* every record change bumps the serial: a zone UPDATE */
				if (ev.op === 'DELETE') { head.textContent = 'This zone was deleted.'; records = []; render(); announce(`Live: zone ${zone} deleted`); }
				else {
					/* the SOA row shows the serial too: reload (coalesced) */
					if (ev.object) { info = {...info, ...ev.object}; renderInfo(); }
					clearTimeout(reloadTimer);
					reloadTimer = setTimeout(load, 250);
				}
			}
		}};
	}

	/* ---------- peers ---------- */

	function pagePeers() {
		let peers = [];
		const form = h('form.inline', {id: 'tok-form', 'aria-label': 'Create an enrollment token', novalidate: true},
			field('tok', 'name', 'Peer name', {required: true, placeholder: 'node-b', autocomplete: 'off'}),
			h('div.field', {}, h('label', {for: 'tok-role', text: 'Role'}),
				h('select', {id: 'tok-role', name: 'role', 'aria-describedby': 'tok-role-error'},
					['node', 'client', 'admin'].map((r) => h('option', {value: r, text: r}))),
				h('span.field-error', {id: 'tok-role-error'})),
			field('tok', 'ttl_seconds', 'Valid for (s)', {type: 'number', min: 1, max: 2592000, value: 3600}),
			h('div.field.end', {}, h('button.primary', {type: 'submit', text: 'Create token'})),
			h('p.form-error', {role: 'alert'}));
		const tokenBox = h('div', {id: 'token-slot'});
		const tbody = h('tbody');
		main.replaceChildren(h('h1', {text: 'Peers'}),
			h('h2', {text: 'Enroll a peer'}), form, tokenBox,
			h('h2', {text: 'Enrolled peers'}),
			h('div.scroll', {}, h('table', {id: 'peers-table'}, h('caption.sr-only', {text: 'Enrolled peers'}),
				h('thead', {}, h('tr', {}, ['Name', 'Role', 'Status', 'DoQ endpoint', 'Last seen', 'Certificate expires', '']
					.map((t) => h('th', {scope: 'col', text: t})))), tbody)));
		const render = () => {
			tbody.replaceChildren(...(peers.length ? peers.map((p) => {
				const days = p.cert_not_after ? Math.floor((new Date(p.cert_not_after) - Date.now()) / 86400000) : null;
				return h('tr', {'data-peer': p.name, 'data-id': p.id},
					h('td', {}, h('span', {title: p.spiffe_id, text: p.name})), h('td', {text: p.role}),
					h('td', {}, h('span', {}, h(`span.badge.status.${p.status === 'active' ? 'ok' : 'bad'}`, {text: p.status}),
						p.revoked_at ? h('span.muted', {text: ` ${fmtTime(p.revoked_at)}`}) : null)),
					h('td', {text: p.doq_endpoint || '—'}),
					h('td', {title: p.last_seen || '', text: ago(p.last_seen)}),
					h('td', {class: days !== null && days < 14 ? 'warn' : null},
						p.cert_not_after ? `${fmtTime(p.cert_not_after)} (${days < 0 ? 'expired' : `in ${days} d`})` : '—'),
					h('td', {}, p.status === 'active' ? h('button.danger.small', {type: 'button',
						'aria-label': `Revoke ${p.name}`, text: 'Revoke', onclick: () => revoke(p)}) : null));
			}) : [h('tr', {}, h('td', {colspan: 7, class: 'muted', text: 'No peers enrolled yet.'}))]));
			labelCells(document.getElementById('peers-table'));
		};
		const load = async () => {
			const r = await api('GET', '/peers');
			if (r.ok) { peers = r.data.peers; render(); } else toast(r.error.message);
		};
		const revoke = async (p) => {
			const reason = h('input', {id: 'revoke-reason', maxlength: 200, autocomplete: 'off'});
			const extra = h('div.field', {}, h('label', {for: 'revoke-reason', text: 'Reason (kept in the audit log)'}), reason);
			if (!await confirmDialog('Revoke peer', `Revoke ${p.name} (${p.spiffe_id})? Its DoQ connections close and its certificate stops working at once.`, 'Revoke', extra)) return;
			const r = await api('DELETE', `/peers/${p.id}${reason.value ? `?reason=${enc(reason.value)}` : ''}`);
			if (r.ok) { announce(`Peer ${p.name} revoked`); load(); } else toast(r.error.message);
		};
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const name = form.querySelector('#tok-name').value.trim();
			const ttl = Number(form.querySelector('#tok-ttl_seconds').value || 3600);
			const r = await api('POST', '/peers/tokens', {json: {name, role: form.querySelector('#tok-role').value, ttl_seconds: ttl}});
			if (!r.ok) { showFieldError(form, 'tok', r.error); return; }
			form.reset();
			const t = r.data;
			const copyRow = (label, id, text) => h('div.copyrow', {},
				h('label', {for: id, text: label}),
				h('input', {id, readonly: true, value: text, onfocus: (ev) => ev.target.select()}),
				h('button', {type: 'button', text: 'Copy', onclick: (ev) => copyText(text, ev.target)}));
			tokenBox.replaceChildren(h('section.tokenbox', {id: 'token-box', 'aria-labelledby': 'token-title'},
				h('h3', {id: 'token-title', text: `Token for ${t.name} (${t.role})`}),
				h('p', {}, h('strong', {text: 'Shown once: '}), `it cannot be displayed again. Valid until ${fmtTime(t.expires_at)}.`),
				copyRow('Token', 'token-value', t.token),
				copyRow('Run on the new peer', 'token-command', t.command || `sdnsctl enroll --token ${t.token}`),
				h('p.muted', {text: 'The new peer also needs the mesh CA certificate (add --ca ca.pem if it is not in SDNS_CA).'}),
				h('button', {type: 'button', text: 'Done (hide the token)', onclick: () => tokenBox.replaceChildren()})));
			announce(`Enrollment token for ${t.name} created`);
			document.getElementById('token-value').focus();
		});
		load();
		let timer = 0;
		return {name: 'peers', onEvent(type) {
			if (type !== 'peer') return;
			clearTimeout(timer);
			timer = setTimeout(() => { load(); announce('Live: peers updated'); }, 150);
		}};
	}

	/* ---------- audit ---------- */

	function pageAudit() {
		let after = 0, stack = [], res = null;
		const q = {actor: '', action: '', from: '', to: '', limit: 50};
		const form = h('form.inline', {id: 'audit-filter', 'aria-label': 'Filter the audit log', novalidate: true},
			field('f', 'actor', 'Actor (SPIFFE id)', {placeholder: 'spiffe://mesh/admin/admin', autocomplete: 'off'}),
			field('f', 'action', 'Action', {placeholder: 'record.create', autocomplete: 'off'}),
			field('f', 'from', 'From', {type: 'datetime-local'}),
			field('f', 'to', 'To', {type: 'datetime-local'}),
			h('div.field', {}, h('label', {for: 'f-limit', text: 'Per page'}),
				h('select', {id: 'f-limit'}, [25, 50, 100, 500].map((n) => h('option', {value: n, text: n, selected: n === 50})))),
			h('div.field.end', {}, h('button.primary', {type: 'submit', text: 'Apply'})),
			h('p.form-error', {role: 'alert'}));
		const tbody = h('tbody');
		const pager = h('div.pager');
		main.replaceChildren(h('h1', {text: 'Audit'}),
			h('p', {id: 'audit-badge-slot'}, verifyBadge('audit-badge')),
			form,
			h('p.muted', {text: 'Actor and action are filtered by the server; the time range applies to the page shown.'}),
			h('div.scroll', {}, h('table', {id: 'audit-table'}, h('caption.sr-only', {text: 'Audit entries, oldest first'}),
				h('thead', {}, h('tr', {}, ['#', 'Time', 'Actor', 'Action', 'Object', 'Change'].map((t) => h('th', {scope: 'col', text: t})))),
				tbody)), pager);
		const bad = () => dash.verify && dash.verify.ok === false ? dash.verify.first_bad_id : null;
		const inTime = (e) => {
			const t = new Date(e.ts);
			return (!q.from || t >= new Date(q.from)) && (!q.to || t <= new Date(q.to));
		};
		const row = (e, flash) => h('tr', {'data-id': e.id, 'data-action': e.action,
			class: [e.id === bad() ? 'badrow' : '', flash ? 'flash' : ''].join(' ').trim() || null},
		h('td', {text: e.id}), h('td', {text: fmtTime(e.ts)}),
		h('td', {}, h('span', {title: `${e.actor} (${e.actor_fp || ''})`, text: shortId(e.actor)})),
		h('td', {}, h('code', {text: e.action})), h('td.value', {text: e.object}),
		h('td', {}, (e.before !== null && e.before !== undefined) || (e.after !== null && e.after !== undefined)
			? h('details', {}, h('summary', {text: 'show'}), h('pre', {text:
				`before: ${JSON.stringify(e.before, null, 1)}\nafter: ${JSON.stringify(e.after, null, 1)}`})) : '—'));
		const render = () => {
			const entries = (res ? res.entries : []).filter(inTime);
			tbody.replaceChildren(...(entries.length ? entries.map((e) => row(e))
				: [h('tr', {}, h('td', {colspan: 6, class: 'muted', text: 'No entries.'}))]));
			labelCells(document.getElementById('audit-table'));
			pager.replaceChildren(
				h('button', {type: 'button', text: 'First', disabled: after === 0, onclick: () => { stack = []; after = 0; load(); }}),
				h('button', {type: 'button', text: 'Previous', disabled: !stack.length, onclick: () => { after = stack.pop(); load(); }}),
				h('button', {type: 'button', id: 'audit-next', text: 'Next', disabled: !res || res.next_after === null,
					onclick: () => { stack.push(after); after = res.next_after; load(); }}),
				/* ids are dense enough without filters: jump near the end */
				h('button', {type: 'button', text: 'Latest', disabled: !!(q.actor || q.action || !dash.verify || !dash.verify.checked),
					onclick: () => { stack.push(after); after = Math.max(0, dash.verify.checked - q.limit); load(); }}),
				h('span.muted', {text: res && res.entries.length ? ` entries #${res.entries[0].id}–#${res.entries[res.entries.length - 1].id}` : ''}));
		};
		const load = async () => {
			const p = new URLSearchParams({after, limit: q.limit});
			if (q.actor) p.set('actor', q.actor);
			if (q.action) p.set('action', q.action);
			const r = await api('GET', `/audit?${p}`);
			if (!r.ok) { showFieldError(form, 'f', r.error); return; }
			res = r.data;
			render();
		};
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			clearErrors(form);
			q.actor = form.querySelector('#f-actor').value.trim();
			q.action = form.querySelector('#f-action').value.trim();
			q.from = form.querySelector('#f-from').value;
			q.to = form.querySelector('#f-to').value;
			q.limit = Number(form.querySelector('#f-limit').value);
			stack = []; after = 0;
			load();
		});
		load();
		loadVerify();
		return {name: 'audit',
			onVerify() {
				document.getElementById('audit-badge-slot').replaceChildren(verifyBadge('audit-badge'));
				render();
			},
			onEvent(type, ev) {
				if (type !== 'audit' || !res || res.next_after !== null) return;
				const e = ev.object;
				if (!e) { load(); return; }
				if ((q.actor && e.actor !== q.actor) || (q.action && e.action !== q.action) || !inTime(e)) return;
				if (res.entries.some((x) => x.id === e.id)) return;
				if (res.entries.length >= q.limit) { res.next_after = res.entries[res.entries.length - 1].id; render(); return; }
				res.entries.push(e);
				render();
				tbody.querySelector(`tr[data-id="${e.id}"]`)?.classList.add('flash');
				announce(`Live: audit entry ${e.action} ${e.object}`);
			}};
	}

	/* ---------- router ---------- */

	const routes = {dashboard: pageDashboard, zones: pageZones, peers: pagePeers, audit: pageAudit};
	function route(ev) {
		const parts = (location.hash.replace(/^#\/?/, '') || 'dashboard').split('/');
		let name = parts[0], fn = routes[name];
		let title = name;
		if (name === 'zones' && parts[1]) {
			const zone = decodeURIComponent(parts.slice(1).join('/'));
			fn = () => pageZone(zone);
			title = zone;
		}
		if (!fn) { location.hash = '#/dashboard'; return; }
		if (page && page.destroy) page.destroy();
		for (const a of document.querySelectorAll('nav a'))
			if (a.dataset.route === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
		page = fn();
		document.title = `${title[0].toUpperCase()}${title.slice(1)} · secure_dns console`;
		/* move focus to the new page so keyboard and screen reader users
		 * start at its heading, not at the old link (not on first load:
		 * there the skip link comes first) */
		if (ev) {
			main.focus({preventScroll: true});
			window.scrollTo(0, 0);
		}
	}
	window.addEventListener('hashchange', route);
	route();
	startEvents();
})();
