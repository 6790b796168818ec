// The review page: plain JavaScript, no dependencies. Everything it shows
// comes from the API with the reviewer's key in the Authorization header;
// the key lives in this tab's sessionStorage and is never a cookie, so no
// other site can make the browser act with it (CSRF). Data is only ever
// put on the page as text (textContent), never as markup.
'use strict';

const state = { key: '', role: '', keyId: 0, retained: false, queue: [], index: -1,
  armed: '', view: 'queue', mediaUrl: '' };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + state.key }, options.headers || {});
  const res = await fetch(path, Object.assign({}, options, { headers, cache: 'no-store',
    credentials: 'omit', redirect: 'error' }));
  if (res.status === 401) { signOut('Your key was refused (revoked?). Sign in again.'); throw new Error('401'); }
  return res;
}

async function apiJson(path, options) {
  const res = await api(path, options);
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error((body && body.error && body.error.message) || res.statusText);
  return body;
}

const when = (t) => t ? new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) : '';
function age(t) {
  const s = Math.max(0, Date.now() / 1000 - t);
  return s < 3600 ? Math.round(s / 60) + ' min' : s < 86400 ? Math.round(s / 3600) + ' h' : Math.round(s / 86400) + ' d';
}

// ---- signing in ----------------------------------------------------------------

async function signIn(key) {
  state.key = key;
  let me;
  try { me = await apiJson('/v1/whoami'); } catch (e) {
    state.key = '';
    $('signin-error').textContent = e.message === '401' ? 'That key was refused.' : e.message;
    return;
  }
  if (me.role !== 'reviewer' && me.role !== 'admin') {
    state.key = '';
    $('signin-error').textContent = 'A ' + me.role + ' key cannot review: use a reviewer or admin key.';
    return;
  }
  sessionStorage.setItem('bulwark.key', key);
  Object.assign(state, { role: me.role, keyId: me.key_id, retained: me.media_retained });
  $('who').textContent = me.role + ' key ' + me.key_id;
  $('signin').hidden = true;
  $('app').hidden = false;
  $('tabs').hidden = false;
  $('signout').hidden = false;
  show(location.hash.slice(1) || 'queue');
}

function signOut(message) {
  sessionStorage.removeItem('bulwark.key');
  state.key = '';
  dropMedia();
  $('app').hidden = true;
  $('tabs').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('signin').hidden = false;
  $('signin-error').textContent = message || '';
  $('key').value = '';
  $('key').focus();
}

function show(view) {
  if (!['queue', 'audit', 'stats'].includes(view)) view = 'queue';
  state.view = view;
  history.replaceState(null, '', '#' + view);
  for (const v of ['queue', 'audit', 'stats']) $('view-' + v).hidden = v !== view;
  for (const b of document.querySelectorAll('#tabs button'))
    b.classList.toggle('active', b.dataset.view === view);
  if (view === 'queue') loadQueue();
  else { dropMedia(); if (view === 'audit') loadAudit(); else loadStats(); }
}

// ---- the queue -----------------------------------------------------------------

async function loadQueue() {
  let body;
  try { body = await apiJson('/v1/matches/queue?limit=200'); } catch (e) {
    $('detail').replaceChildren(el('p', { class: 'error' }, e.message)); return;
  }
  state.queue = body.matches;
  const list = $('queue');
  list.replaceChildren(...state.queue.map((m, i) => el('li', { tabindex: '-1', 'data-id': m.id,
    onclick: () => select(i) },
    el('div', { class: 'line1' }, el('span', {}, '#' + m.id + ' ' + (m.top_bank || '')),
      el('span', {}, 'distance ' + m.best_distance)),
    el('div', { class: 'line2' }, 'waiting ' + age(m.at) + ' ',
      m.status === 'escalated' ? el('span', { class: 'badge escalated' }, 'escalated') : null,
      m.quarantined ? el('span', { class: 'badge quarantined' }, 'quarantined signal') : null))));
  $('queue-count').textContent = '(' + state.queue.length + ')';
  $('queue-empty').hidden = state.queue.length > 0;
  const keep = state.index >= 0 && state.index < state.queue.length ? state.index : 0;
  if (state.queue.length) select(keep); else { state.index = -1; dropMedia();
    $('detail').replaceChildren(el('p', { class: 'empty' }, 'Nothing waits for review.')); }
}

// The match that decided the event: the closest block-list match.
function closest(m) {
  const block = (m.matches || []).filter((x) => x.bank_kind === 'block' && !x.suppressed);
  return (block.length ? block : m.matches || []).reduce((a, b) => (a && a.distance <= b.distance ? a : b), null);
}

function facts(pairs) {
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of pairs) if (v !== undefined && v !== null && v !== '')
    dl.append(el('dt', {}, k), el('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v)));
  return dl;
}

function dropMedia() {
  if (state.mediaUrl) URL.revokeObjectURL(state.mediaUrl);
  state.mediaUrl = '';
}

function select(i) {
  if (i < 0 || i >= state.queue.length) return;
  dropMedia();
  state.index = i;
  state.armed = '';
  const m = state.queue[i];
  for (const li of $('queue').children) li.classList.toggle('selected', li.dataset.id === String(m.id));
  $('queue').children[i].scrollIntoView({ block: 'nearest' });
  const c = closest(m) || {};
  const context = m.context && typeof m.context === 'object' ? Object.entries(m.context) : [];
  const figure = el('figure', { class: 'media blurred', id: 'media' },
    el('div', { class: 'none' }, state.retained ? 'Loading media (it will be blurred)…'
      : 'No media retained: this service records matches without their content.'));
  const detail = $('detail');
  detail.replaceChildren(
    el('h3', {}, 'Match #' + m.id + ' ', el('span', { class: 'badge ' + m.status }, m.status)),
    facts([['Bank', m.top_bank], ['Distance', m.best_distance], ['Matched signal',
      (c.signal_type || '') + ' ' + (c.value || '')], ['Signal metadata', c.metadata],
    ['Recorded', when(m.at) + ' UTC (' + age(m.at) + ' ago)'], ['Client key', m.key_id],
    ['Upload PDQ', m.hashes && m.hashes.pdq && m.hashes.pdq.hash],
    ['Upload MD5', m.hashes && m.hashes.md5],
    ['Actionable', m.actionable ? 'yes' : 'no (quarantined signal only)']]),
    context.length ? el('h3', {}, 'What the platform sent') : null,
    context.length ? facts(context) : null,
    figure,
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'reveal', onclick: toggleReveal, disabled: 'disabled' }, 'Reveal (r)')),
    el('label', { for: 'note' }, 'Note (optional, kept in the audit log)'),
    el('textarea', { id: 'note', maxlength: '4096' }),
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'confirm', 'data-decision': 'confirmed', onclick: () => decide('confirmed') }, 'Confirm (c)'),
      el('button', { type: 'button', class: 'false-positive', 'data-decision': 'false_positive', onclick: () => decide('false_positive') }, 'False positive (f)'),
      el('button', { type: 'button', class: 'escalate', 'data-decision': 'escalated', onclick: () => decide('escalated') }, 'Escalate (e)')),
    el('p', { class: 'status', id: 'status', role: 'status' }));
  if (state.retained) loadMedia(m.id);
}

async function loadMedia(id) {
  let res;
  try { res = await api('/v1/matches/' + id + '/media'); } catch (e) { return; }
  const figure = $('media');
  if (!figure || state.queue[state.index].id !== id) return;
  if (!res.ok) {
    figure.replaceChildren(el('div', { class: 'none' }, res.status === 404
      ? 'No media retained for this match (not kept, or past retention).' : 'Media unavailable.'));
    return;
  }
  const blob = await res.blob();
  dropMedia();
  state.mediaUrl = URL.createObjectURL(blob);
  const media = blob.type.startsWith('video/')
    ? el('video', { src: state.mediaUrl, controls: '', preload: 'metadata', playsinline: '', muted: '' })
    : el('img', { src: state.mediaUrl, alt: 'Media of match ' + id + ' (blurred until revealed)' });
  if (media.tagName === 'VIDEO') media.autoplay = false;
  figure.replaceChildren(media);
  figure.classList.add('blurred');
  $('reveal').removeAttribute('disabled');
}

async function toggleReveal() {
  const figure = $('media');
  if (!figure || !state.mediaUrl) return;
  const reveal = figure.classList.contains('blurred');
  figure.classList.toggle('blurred', !reveal);
  $('reveal').textContent = reveal ? 'Blur again (r)' : 'Reveal (r)';
  const video = figure.querySelector('video');
  if (video && !reveal) video.pause();
  if (reveal) {
    try { await apiJson('/v1/matches/' + state.queue[state.index].id + '/media/reveal', { method: 'POST' }); }
    catch (e) { $('status').textContent = 'Could not record the reveal: ' + e.message; }
  }
}

function arm(decision) {
  state.armed = decision;
  for (const b of document.querySelectorAll('[data-decision]'))
    b.classList.toggle('armed', b.dataset.decision === decision);
  $('status').textContent = decision ? 'Press Enter to record "' + decision.replace('_', ' ') +
    '", Esc to cancel.' : '';
}

async function decide(decision) {
  const m = state.queue[state.index];
  if (!m) return;
  const note = $('note').value.trim();
  const body = { decision };
  if (note) body.note = note;
  arm('');
  $('status').textContent = 'Recording…';
  try {
    await apiJson('/v1/matches/' + m.id + '/review', { method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' } });
  } catch (e) { $('status').textContent = 'Not recorded: ' + e.message; return; }
  $('status').textContent = 'Recorded: #' + m.id + ' ' + decision.replace('_', ' ') + '.';
  await loadQueue();
}

// ---- the audit log -------------------------------------------------------------

async function loadAudit() {
  const body = $('audit').tBodies[0];
  $('audit-error').textContent = '';
  if (state.role !== 'admin') {
    body.replaceChildren();
    $('audit-error').textContent = 'The audit log needs an admin key.';
    return;
  }
  let entries = [], after = 0;
  try {
    for (let page = 0; page < 50; page++) {
      const got = (await apiJson('/v1/audit?limit=1000&after=' + after)).entries;
      entries = entries.concat(got).slice(-300);
      if (got.length < 1000) break;
      after = got[got.length - 1].id;
    }
  } catch (e) { $('audit-error').textContent = e.message; return; }
  body.replaceChildren(...entries.reverse().map((e) => el('tr', { 'data-action': e.action },
    el('td', {}, String(e.id)), el('td', {}, when(e.at)), el('td', {}, String(e.actor)),
    el('td', {}, e.action), el('td', {}, e.subject || ''),
    el('td', { class: 'details' }, e.details ? JSON.stringify(e.details) : ''))));
}

// ---- statistics ----------------------------------------------------------------

function period() {
  return 'from=' + encodeURIComponent($('stats-from').value) + '&to=' + encodeURIComponent($('stats-to').value);
}

async function chart(img, name) {
  const res = await api('/v1/stats/charts/' + name + '?' + period());
  if (!res.ok) return;
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await res.blob());
}

async function loadStats() {
  if (!$('stats-from').value) {
    const today = new Date();
    $('stats-to').value = today.toISOString().slice(0, 10);
    $('stats-from').value = new Date(today - 29 * 86400e3).toISOString().slice(0, 10);
  }
  $('stats-error').textContent = '';
  let s;
  try { s = await apiJson('/v1/stats?' + period()); } catch (e) { $('stats-error').textContent = e.message; return; }
  const pct = s.false_positive_rate === null ? '–' : (100 * s.false_positive_rate).toFixed(1) + ' %';
  const sec = s.median_review_seconds;
  const median = sec === null ? '–' : sec < 60 ? sec + ' s'
    : Math.floor(sec / 3600) + ' h ' + Math.floor(sec % 3600 / 60) + ' min';
  const numbers = [['Matches', s.matches], ['Confirmed', s.status.confirmed],
    ['False positives', s.status.false_positive], ['Escalated', s.status.escalated],
    ['Pending', s.status.pending], ['False-positive rate', pct], ['Median time to review', median],
    ['Self-reports received / withdrawn', s.self_reports
      ? s.self_reports.received + ' / ' + s.self_reports.withdrawn : 'not counted']];
  $('stats-numbers').replaceChildren(...numbers.map(([k, v]) =>
    el('div', { 'data-stat': k }, el('dt', {}, k), el('dd', {}, String(v)))));
  await Promise.all([chart($('chart-matches'), 'matches.svg'), chart($('chart-outcomes'), 'outcomes.svg')]);
}

async function downloadCsv() {
  const res = await api('/v1/stats?format=csv&' + period());
  if (!res.ok) { $('stats-error').textContent = 'CSV unavailable.'; return; }
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: 'bulwark-stats.csv' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- keyboard ------------------------------------------------------------------

function onKey(ev) {
  if (!state.key || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName);
  if (ev.key === 'Escape') {
    if (typing) document.activeElement.blur();
    $('help').hidden = true;
    arm('');
    const f = $('media');
    if (f && !f.classList.contains('blurred')) toggleReveal();
    return;
  }
  if (typing) return;
  const k = ev.key;
  if (k === '?') $('help').hidden = !$('help').hidden;
  else if (k === 'q' || k === 'a' || k === 's') show({ q: 'queue', a: 'audit', s: 'stats' }[k]);
  else if (state.view !== 'queue') return;
  else if (k === 'j' || k === 'ArrowDown') select(state.index + 1);
  else if (k === 'k' || k === 'ArrowUp') select(state.index - 1);
  else if (k === 'r') toggleReveal();
  else if (k === 'n') $('note').focus();
  else if (k === 'c') arm('confirmed');
  else if (k === 'f') arm('false_positive');
  else if (k === 'e') arm('escalated');
  else if (k === 'Enter' && state.armed) decide(state.armed);
  else return;
  ev.preventDefault();
}

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', (ev) => { ev.preventDefault(); signIn($('key').value.trim()); });
  $('signout').addEventListener('click', () => signOut(''));
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => show(b.dataset.view));
  $('stats-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadStats(); });
  $('stats-csv').addEventListener('click', downloadCsv);
  document.addEventListener('keydown', onKey);
  const saved = sessionStorage.getItem('bulwark.key');
  if (saved) signIn(saved); else $('key').focus();
});
