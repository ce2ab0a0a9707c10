/* Dashboard: figures from /metrics, peers from /peers, the audit chain
 * badge from /audit/verify. */
import {h, s, main, fmtNum, fmtMs, zonesSummary} from './dom.js';
import {api} from './api.js';
import {state} from './state.js';
import {metrics, startMetrics, lineChart} from './metrics.js';

export const dash = {peers: null, verify: null, verifyTimer: 0};
export async function loadVerify() {
	const r = await api('GET', '/audit/verify');
	dash.verify = r.ok ? r.data : {error: r.error.message};
	if (state.page && state.page.onVerify) state.page.onVerify();
}
export async function loadPeers() {
	const r = await api('GET', '/peers');
	dash.peers = r.ok ? r.data.peers : null;
	if (state.page && state.page.onMetrics) state.page.onMetrics();
}
export function dashboardEvent(type) {
	if (type === 'audit') {
		clearTimeout(dash.verifyTimer);
		dash.verifyTimer = setTimeout(loadVerify, 300);
	}
	if (type === 'peer' && state.page && state.page.name === 'dashboard') loadPeers();
}
export function verifyBadge(id) {
	const v = dash.verify;
	if (!v) return h('span.badge.pending', {id, text: 'Checking the audit chain…'});
	if (v.error) return h('span.badge.warn', {id, text: `Audit chain: ${v.error}`});
	if (v.ok) return h('span.badge.ok', {id, 'data-ok': 'true', text: `Chain verifies (${v.checked} entries)`});
	return h('span.badge.bad', {id, 'data-ok': 'false'},
		`Chain broken at entry #${v.first_bad_id}: ${v.reason || 'does not verify'}`);
}

export function pageDashboard() {
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
				h('p.muted', {}, ...(cur ? [h('span', {id: 'fig-zones', text: zonesSummary(cur.zones, cur.records)}),
					cur.dnssec ? ` served (+${cur.dnssec} DNSSEC records made by signing)` : ' served',
					` · database ${cur.dbUp ? 'up' : 'DOWN'}`] : []))),
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
