/* Peers: list, enrollment token (shown once), revoke (confirmed). */
import {h, main, announce, toast, fmtTime, ago, labelCells, field, showFieldError, clearErrors, confirmDialog, copyText} from './dom.js';
import {api, enc} from './api.js';

export function pagePeers() {
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
		if (!tbody.isConnected) return; /* the user has moved on */
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
		labelCells(tbody.closest('table'));
	};
	let loadSeq = 0; /* only the newest response is shown */
	const load = async () => {
		const my = ++loadSeq;
		const r = await api('GET', '/peers');
		if (my !== loadSeq) return;
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
