/* Audit: paged, filtered, the chain badge; new entries arrive live. */
import {h, main, announce, fmtTime, shortId, labelCells, field, showFieldError, clearErrors} from './dom.js';
import {api} from './api.js';
import {dash, loadVerify, verifyBadge} from './dashboard.js';

export function pageAudit() {
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
		if (!tbody.isConnected) return; /* the user has moved on */
		const entries = (res ? res.entries : []).filter(inTime);
		tbody.replaceChildren(...(entries.length ? entries.map((e) => row(e))
			: [h('tr', {}, h('td', {colspan: 6, class: 'muted', text: 'No entries.'}))]));
		labelCells(tbody.closest('table'));
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
	let loadSeq = 0; /* only the newest response is shown */
	const load = async () => {
		const p = new URLSearchParams({after, limit: q.limit});
		if (q.actor) p.set('actor', q.actor);
		if (q.action) p.set('action', q.action);
		const my = ++loadSeq;
		const r = await api('GET', `/audit?${p}`);
		if (my !== loadSeq) return;
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
