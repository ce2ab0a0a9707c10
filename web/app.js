/* secure_dns admin console. No framework and no third-party code: the
 * server's CSP allows scripts, styles and connections to this origin only.
 * The same REST API as curl, authenticated by the browser's client
 * certificate; live updates from GET /events (Server-Sent Events).
 * This file: hash routing and the event stream. */
import {main, announce} from './dom.js';
import {state} from './state.js';
import {pageDashboard, dashboardEvent} from './dashboard.js';
import {pageZones} from './zones.js';
import {pageZone} from './records.js';
import {pagePeers} from './peers.js';
import {pageAudit} from './audit.js';

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
			if (state.page && state.page.onEvent) state.page.onEvent(type, ev);
		});
	}
}

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
	if (state.page && state.page.destroy) state.page.destroy();
	for (const a of document.querySelectorAll('nav a'))
		if (a.dataset.route === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
	state.page = fn();
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
