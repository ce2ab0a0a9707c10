/* Zones: list, create, delete (confirmed). */
import {h, main, announce, toast, fmtTime, labelCells, field, showFieldError, clearErrors, confirmDialog, zonesSummary} from './dom.js';
import {api, enc} from './api.js';

export function pageZones() {
	let zones = [];
	const form = h('form.inline', {id: 'zone-form', 'aria-label': 'Create a zone', novalidate: true},
		field('zone', 'name', 'Zone name', {required: true, placeholder: 'node-b.mesh', autocomplete: 'off'}),
		field('zone', 'owner', 'Owner node (optional)', {placeholder: 'node-b', autocomplete: 'off'}),
		h('div.field.end', {}, h('button.primary', {type: 'submit', text: 'Create zone'})),
		h('p.form-error', {role: 'alert'}));
	const tbody = h('tbody');
	const total = h('p.muted', {id: 'zones-total'});
	main.replaceChildren(h('h1', {text: 'Zones'}), h('h2', {text: 'Create a zone'}), form,
		h('h2', {text: 'Zones'}), total,
		h('div.scroll', {}, h('table', {id: 'zones-table'}, h('caption.sr-only', {text: 'Zones served by this node'}),
			h('thead', {}, h('tr', {}, ['Name', 'Serial', 'Owner', 'Records', 'Updated', ''].map((t) => h('th', {scope: 'col', text: t})))),
			tbody)));
	const render = () => {
		if (!tbody.isConnected) return; /* the user has moved on */
		total.textContent = zonesSummary(zones.length, zones.reduce((n, z) => n + (z.records || 0), 0));
		tbody.replaceChildren(...(zones.length ? zones.map((z) => h('tr', {'data-zone': z.name},
			h('td', {}, h('a', {href: `#/zones/${enc(z.name)}`, text: z.name})),
			h('td', {text: z.serial}), h('td', {text: z.owner || '—'}), h('td', {text: z.records ?? '—'}),
			h('td', {text: fmtTime(z.updated_at)}),
			h('td', {}, h('button.danger.small', {type: 'button', 'aria-label': `Delete zone ${z.name}`, text: 'Delete',
				onclick: () => del(z)})))) : [h('tr', {}, h('td', {colspan: 6, class: 'muted', text: 'No zones yet.'}))]));
		labelCells(tbody.closest('table'));
	};
	let loadSeq = 0; /* only the newest response is shown */
	const load = async () => {
		const my = ++loadSeq;
		const r = await api('GET', '/zones');
		if (my !== loadSeq) return;
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
