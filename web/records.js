/* Records of one zone: sortable, filterable table; add, edit, delete;
 * master-file import; live updates in place. */
import {h, main, announce, toast, fmtTime, labelCells, field, showFieldError, clearErrors, confirmDialog} from './dom.js';
import {api, enc} from './api.js';

export const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA', 'PTR', 'SOA', 'HTTPS', 'SVCB', 'TLSA', 'SSHFP'];

export function pageZone(zone) {
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
		if (!tbody.isConnected) return; /* the user has moved on */
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
		labelCells(tbody.closest('table'));
	};
	const renderInfo = () => {
		if (!head.isConnected) return;
		head.textContent = info ? `Serial ${info.serial} · owner ${info.owner || '—'} · updated ${fmtTime(info.updated_at)}` : '';
	};
	/* Responses can arrive out of order and a live change can land while a
	 * GET is in flight: only the newest GET is used, and one that overlapped
	 * a live change is asked again rather than undoing that change. */
	let loadSeq = 0, changedSince = false;
	const load = async () => {
		const my = ++loadSeq;
		changedSince = false;
		const r = await api('GET', `/zones/${enc(zone)}`);
		if (my !== loadSeq) return;
		if (changedSince) { load(); return; }
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
			changedSince = true;
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
