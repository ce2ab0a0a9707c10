/* DOM, formatting and form helpers shared by the pages. Text from the API
 * is always set as text, never parsed as HTML. */
export const main = document.getElementById('main');

/* ---------- DOM helpers ---------- */

/* h('tag.class', {attr: v, onclick: fn}, child, ...): children may be
 * strings, nodes, arrays, or null/false (skipped). Text is never parsed
 * as HTML, so API data cannot inject markup. */
export function h(spec, attrs, ...kids) {
	const [tag, ...cls] = spec.split('.');
	const el = document.createElement(tag);
	if (cls.length) el.className = cls.join(' ');
	setAttrs(el, attrs);
	append(el, kids);
	return el;
}
export function setAttrs(el, attrs) {
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
export function append(el, kids) {
	for (const k of kids.flat(Infinity)) {
		if (k === null || k === undefined || k === false) continue;
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return el;
}
export const SVGNS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...kids) {
	const el = document.createElementNS(SVGNS, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		if (k === 'text') el.textContent = v; else el.setAttribute(k, String(v));
	for (const k of kids.flat()) if (k) el.append(k);
	return el;
}

export function announce(msg) {
	const a = document.getElementById('announce');
	a.textContent = '';
	/* a fresh text node makes screen readers speak repeated messages */
	setTimeout(() => { a.textContent = msg; }, 30);
}
export let toastTimer = 0;
export function toast(msg) {
	const t = document.getElementById('toast');
	t.textContent = msg;
	t.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
}

/* Each cell gets its column's header text as data-label, which the
 * phone layout shows beside the value (tables become cards there). */
export function labelCells(table) {
	if (!table) return;
	table.classList.add('stack');
	const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.replace(/[▲▼]/g, '').trim());
	for (const tr of table.querySelectorAll('tbody tr'))
		[...tr.children].forEach((td, i) => { if (!td.hasAttribute('colspan')) td.dataset.label = heads[i] || ''; });
}

/* ---------- formatting ---------- */

export function fmtTime(iso) {
	if (!iso) return '—';
	const d = new Date(iso);
	return isNaN(d) ? iso : d.toLocaleString();
}
export function ago(iso) {
	if (!iso) return 'never';
	const sec = Math.round((Date.now() - new Date(iso)) / 1000);
	if (isNaN(sec)) return iso;
	if (sec < 60) return `${Math.max(sec, 0)} s ago`;
	if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
	if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
	return `${Math.round(sec / 86400)} d ago`;
}
export function fmtNum(v, digits = 1) {
	if (v === null || v === undefined || !isFinite(v)) return '—';
	return v >= 100 ? Math.round(v).toString() : v.toFixed(digits);
}
/* One wording for "how much is served", on the dashboard and the Zones
 * page alike: records are the zones' own (GET /zones), never the DNSSEC
 * records a signing node adds. */
export function zonesSummary(zones, records) {
	if (zones === null || zones === undefined || !isFinite(zones)) return '—';
	return `${Math.round(zones)} zone${zones === 1 ? '' : 's'}, ${Math.round(records)} record${records === 1 ? '' : 's'}`;
}
export function fmtMs(sec) {
	if (sec === null || sec === undefined || !isFinite(sec)) return '—';
	const ms = sec * 1000;
	return ms < 1 ? `${ms.toFixed(2)} ms` : ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
export const shortId = (spiffe) => (spiffe || '').replace(/^spiffe:\/\/[^/]+\//, '');

/* Puts an API error next to the field it names (input id = prefix-field),
 * or in the form's general error line. */
export function showFieldError(form, prefix, err) {
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
export function clearErrors(form) {
	for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
	for (const el of form.querySelectorAll('.field-error, .form-error')) el.textContent = '';
}
/* A labelled input with its error slot; id = prefix-name. */
export function field(prefix, name, label, attrs = {}, control = 'input') {
	const id = `${prefix}-${name}`;
	const el = h(control, {id, name, 'aria-describedby': `${id}-error`, ...attrs});
	return h('div.field', {}, h('label', {for: id, text: label}), el,
		h('span.field-error', {id: `${id}-error`}));
}

/* Confirmation dialog; resolves true on confirm. extra: optional node. */
export function confirmDialog(title, text, okLabel, extra) {
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

export async function copyText(text, button) {
	try {
		await navigator.clipboard.writeText(text);
		button.textContent = 'Copied';
	} catch {
		button.textContent = 'Select and copy';
	}
	announce('Copied to the clipboard');
	setTimeout(() => { button.textContent = 'Copy'; }, 2000);
}
