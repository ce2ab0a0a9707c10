/* GET /metrics (Prometheus text) sampled every 2 s: q/s, latency
 * quantiles from the histogram deltas, and the SVG line chart. */
import {s} from './dom.js';
import {api} from './api.js';
import {state} from './state.js';

export function parseProm(text) {
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
export function sum(m, name, pred) {
	let t = 0, any = false;
	for (const x of m.get(name) || []) if (!pred || pred(x.labels)) { t += x.value; any = true; }
	return any ? t : null;
}
export function sample(m) {
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
		zones: sum(m, 'sdns_zones'), records: sum(m, 'sdns_zone_records'),
		dnssec: sum(m, 'sdns_zone_dnssec_records')};
}
/* Quantile from cumulative histogram counts (Prometheus
 * histogram_quantile: linear inside the bucket). */
export function quantile(q, pairs) {
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

export const HISTORY = 150; /* 5 minutes at one sample every 2 s */
export const metrics = {history: [], last: null, prev: null, timer: 0, error: null};
export async function pollMetrics() {
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
	if (state.page && state.page.onMetrics) state.page.onMetrics();
}
export function startMetrics() {
	if (metrics.timer) return;
	pollMetrics();
	metrics.timer = setInterval(pollMetrics, 2000);
}

/* Line chart in SVG; series: [{label, cls, key}] over metrics.history. */
export function lineChart(title, series, fmt) {
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
