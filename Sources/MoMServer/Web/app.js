// momd's web page: documents, asks with their evidence, routing history and snapshots, over the
// daemon's JSON API (schemas/openapi.yaml). Everything shown is built with DOM calls and
// textContent: document text is anyone's input and is never parsed as markup.
'use strict';

(() => {
  const KEY_STORAGE = 'momd-api-key';
  // Bytes per ingest request: the daemon commits each before the next is sent, and a chunk
  // the document already holds is skipped by offset, so an interrupted upload resumes.
  const CHUNK_BYTES = 256 * 1024;
  const RETRIES = 3;
  const MAX_POINTS = 240;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  const integer = new Intl.NumberFormat('en-US');
  const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

  let summaries = new Map();
  let current = null;      // the open document's name
  let report = null;       // its report (GET /v1/docs/{doc})
  let pendingUpload = null; // an interrupted upload, to resume
  let busy = false;

  // MARK: DOM helpers

  /** An element with attributes and children; strings become text nodes, never markup. */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') element.className = value;
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) element.append(child);
    }
    return element;
  }

  function s(tag, attributes, ...children) {
    const element = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, String(value));
    for (const child of children) element.append(child);
    return element;
  }

  function bytes(count) {
    if (count < 1024) return `${integer.format(count)} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = count / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  function when(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
  }

  const plural = (count, noun) => `${integer.format(count)} ${noun}${count === 1 ? '' : 's'}`;

  const docPath = (name, tail = '') => `/v1/docs/${encodeURIComponent(name)}${tail}`;

  function notify(message, isError = false) {
    const notice = $('notice');
    notice.textContent = message;
    notice.classList.toggle('error', isError);
    notice.hidden = !message;
  }

  // MARK: API, with the key the daemon asks for

  class APIError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function errorOf(response) {
    let code = `http_${response.status}`;
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.error) {
        code = String(body.error.code);
        message = String(body.error.message);
      }
    } catch (_) { /* not JSON: keep the status line */ }
    return new APIError(response.status, code, message);
  }

  let keyRequest = null;

  /** Asks for a key once, however many requests were refused; true when one was given. */
  function askForKey(message) {
    if (!keyRequest) {
      keyRequest = new Promise((resolve) => {
        const dialog = $('key-dialog');
        $('key-message').textContent = message;
        $('key-input').value = '';
        const finish = (given) => {
          dialog.removeEventListener('close', onClose);
          if (dialog.open) dialog.close();
          keyRequest = null;
          resolve(given);
        };
        const onClose = () => finish(false);
        dialog.addEventListener('close', onClose);
        $('key-form').onsubmit = (event) => {
          event.preventDefault();
          const key = $('key-input').value.trim();
          if (!key) return;
          sessionStorage.setItem(KEY_STORAGE, key);
          updateKeyButton();
          finish(true);
        };
        if (!dialog.open) dialog.showModal();
        $('key-input').focus();
      });
    }
    return keyRequest;
  }

  function updateKeyButton() {
    $('key-button').textContent = sessionStorage.getItem(KEY_STORAGE) ? 'API key ✓' : 'API key';
  }

  async function api(method, path, { json, body, contentType } = {}) {
    for (;;) {
      const headers = new Headers();
      const key = sessionStorage.getItem(KEY_STORAGE);
      if (key) headers.set('Authorization', `Bearer ${key}`);
      let payload = body;
      if (json !== undefined) {
        headers.set('Content-Type', 'application/json');
        payload = JSON.stringify(json);
      } else if (contentType) {
        headers.set('Content-Type', contentType);
      }
      const response = await fetch(path, { method, headers, body: payload, cache: 'no-store', credentials: 'same-origin' });
      if (response.status === 401) {
        const error = await errorOf(response);
        if (await askForKey(error.message)) continue;
        throw error;
      }
      if (!response.ok) throw await errorOf(response);
      if (response.status === 204) return null;
      return response.json();
    }
  }

  /** Runs an action from a control, reporting its failure instead of throwing it. */
  async function guarded(action) {
    try {
      await action();
    } catch (error) {
      notify(error instanceof APIError ? error.message : `Something went wrong: ${error.message}`, true);
    }
  }

  // MARK: Documents

  function fillOf(summary) {
    if (!summary || !summary.reach_tokens) return null;
    return summary.tokens / summary.reach_tokens;
  }

  function fillView(summary) {
    const fill = fillOf(summary);
    if (fill === null) {
      return h('div', { class: 'fill' }, h('p', {}, 'Reach not measured for this memory shape.'));
    }
    const label = `Fill: ${percent.format(fill)} of the ${integer.format(summary.reach_tokens)} tokens ` +
      `${bytes(summary.memory_bytes)} of memories hold at ≥ 95 % recall`;
    return h('div', { class: 'fill' },
      h('meter', { min: 0, max: 1, low: 0.75, high: 1, optimum: 0, value: Math.min(fill, 1), 'aria-label': label }),
      h('p', {}, fill > 1 ? `${label}: past it, the oldest facts fade.` : label));
  }

  function renderDocuments(documents) {
    const list = $('document-list');
    list.replaceChildren();
    for (const doc of documents) {
      const facts = h('dl', { class: 'facts' },
        h('dt', {}, 'tokens'), h('dd', {}, integer.format(doc.tokens)),
        h('dt', {}, 'bytes'), h('dd', {}, integer.format(doc.bytes)),
        h('dt', {}, 'memories'), h('dd', {}, doc.memory_bytes ? bytes(doc.memory_bytes) : '–'),
        h('dt', {}, 'snapshots'), h('dd', {}, `${integer.format(doc.snapshots)} (${bytes(doc.stored_bytes)} stored)`));
      if (doc.lease) facts.append(h('dt', {}, 'lease'), h('dd', {}, leaseText(doc.lease)));
      const item = h('li', { class: doc.name === current ? 'current' : '', 'data-name': doc.name },
        h('a', { href: `#doc=${encodeURIComponent(doc.name)}`, 'aria-current': doc.name === current ? 'page' : null }, doc.name),
        facts, fillView(doc));
      list.append(item);
    }
    list.setAttribute('aria-busy', 'false');
    $('documents-empty').hidden = documents.length > 0;
  }

  function leaseText(lease) {
    const expires = new Date(lease.expires_at);
    const lapsed = expires.getTime() < Date.now();
    return `${lease.owner}${lease.address ? ` at ${lease.address}` : ''}, ${lapsed ? 'lapsed' : 'until'} ${when(lease.expires_at)}`;
  }

  async function loadDocuments() {
    const { documents } = await api('GET', '/v1/docs');
    summaries = new Map(documents.map((doc) => [doc.name, doc]));
    renderDocuments(documents);
    return documents;
  }

  // MARK: One document

  function openFromHash() {
    const match = /^#doc=(.+)$/.exec(location.hash);
    const name = match ? decodeURIComponent(match[1]) : null;
    if (name === current && name !== null) return Promise.resolve();
    return name ? openDocument(name) : closeDocument();
  }

  function closeDocument() {
    current = null;
    report = null;
    $('document').hidden = true;
    for (const item of $('document-list').children) {
      item.classList.remove('current');
      item.firstChild.removeAttribute('aria-current');
    }
    return Promise.resolve();
  }

  async function openDocument(name, { focus = true } = {}) {
    const changed = name !== current;
    current = name;
    for (const item of $('document-list').children) {
      const on = item.dataset.name === name;
      item.classList.toggle('current', on);
      if (on) item.firstChild.setAttribute('aria-current', 'page');
      else item.firstChild.removeAttribute('aria-current');
    }
    if (!summaries.has(name)) {
      notify(`No document named ${name}: the list shows the ones this daemon holds.`, true);
      $('document').hidden = true;
      return;
    }
    if (changed) {
      delete $('document').dataset.shown;
      $('answer').hidden = true;
      $('evidence').hidden = true;
      $('upload-status').hidden = true;
      pendingUpload = null;
    }
    $('document-title').textContent = name;
    $('document').hidden = false;
    const [loaded, routing] = await Promise.all([
      api('GET', docPath(name)),
      api('GET', docPath(name, '/routing?limit=100000')),
    ]);
    if (current !== name) return;
    report = loaded;
    renderFacts(report);
    renderRouting(report, routing);
    renderSnapshots(report);
    $('document').dataset.shown = name; // drawn: what tests wait for
    if (focus && changed) $('document-title').focus();
  }

  const summaryOf = (doc) => summaries.get(doc.document) || {};

  function renderFacts(doc) {
    const c = doc.configuration;
    const rows = [
      ['tokens', integer.format(doc.tokens)],
      ['bytes', integer.format(doc.bytes)],
      ['state', `${bytes(doc.state_bytes)}: memories ${bytes(summaryOf(doc).memory_bytes || 0)}, ${plural(doc.vocabulary, 'form')}`],
      ['stored', `${bytes(doc.stored_bytes)}: ${plural(doc.snapshots, 'snapshot')}, journal ${bytes(doc.journal_bytes)}`],
      ['routing', `${plural(doc.routing_chunks, 'chunk')} of ${integer.format(c.routing_chunk_tokens)} tokens`],
      ['load', doc.load_imbalance ? `busiest/quietest ${decimal.format(doc.load_imbalance)}×` : 'some memory took no write yet'],
      ['model', `N=${c.memories} top-k=${c.top_k} dk=${c.dk} dv=${c.dv} rows=${c.row_format}`],
      ['digest', doc.digest, 'mono'],
    ];
    if (doc.lease) rows.push(['lease', leaseText(doc.lease)]);
    $('document-facts').replaceChildren(...rows.flatMap(([term, value, style]) => [h('dt', {}, term), h('dd', { class: style }, value)]));
    $('document-fill').replaceChildren(fillView(summaryOf(doc)));
  }

  // MARK: Routing chart

  /** Chunks merged into at most MAX_POINTS buckets, each with its writes per memory. */
  function buckets(chunks, memories) {
    const size = Math.max(1, Math.ceil(chunks.length / MAX_POINTS));
    const result = [];
    for (let start = 0; start < chunks.length; start += size) {
      const counts = new Array(memories).fill(0);
      let tokens = 0;
      const slice = chunks.slice(start, start + size);
      for (const chunk of slice) {
        tokens += chunk.tokens;
        chunk.counts.forEach((count, memory) => { counts[memory] += count; });
      }
      result.push({ first: slice[0].index, last: slice[slice.length - 1].index, tokens, counts });
    }
    return result;
  }

  /** The width charts are drawn at: the container's, so their text keeps its size on a phone. */
  function chartWidth(container) {
    return Math.round(Math.min(720, Math.max(300, container.clientWidth || 640)));
  }

  let drawn = null; // what the charts were drawn from, to draw them again at another width

  function renderRouting(doc, routing) {
    drawn = { doc, routing };
    const chart = $('routing-chart');
    const legend = $('routing-legend');
    const memories = doc.memory_load.length;
    const chunks = routing.chunks.filter((chunk) => chunk.counts.length === memories);
    legend.replaceChildren();
    if (chunks.length === 0) {
      chart.replaceChildren(h('p', { class: 'empty' },
        `No complete chunk yet: the history gains a point every ${integer.format(routing.chunk_tokens)} tokens.`));
      return;
    }
    const points = buckets(chunks, memories);
    const shares = points.map((point) => {
      const total = point.counts.reduce((sum, count) => sum + count, 0);
      return point.counts.map((count) => (total > 0 ? count / total : 0));
    });
    const peak = Math.max(0.05, ...shares.flat());
    const top = Math.min(1, Math.ceil(peak * 20) / 20);
    const width = chartWidth(chart);
    const height = width < 480 ? 220 : 260;
    const margin = { left: 44, right: 10, top: 10, bottom: 34 };
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const x = (i) => margin.left + (points.length === 1 ? (i === 0 ? 0 : plotWidth) : (i / (points.length - 1)) * plotWidth);
    const y = (share) => margin.top + plotHeight - (share / top) * plotHeight;

    const svg = s('svg', {
      viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'routing',
      'aria-label': `Share of writes per memory over ${plural(chunks.length, 'chunk')}, one line for each of ${memories} memories`,
    });
    const ticks = 4;
    for (let t = 0; t <= ticks; t += 1) {
      const share = (top * t) / ticks;
      svg.append(s('line', { class: 'grid', x1: margin.left, x2: width - margin.right, y1: y(share), y2: y(share) }));
      svg.append(s('text', { x: margin.left - 6, y: y(share) + 4, 'text-anchor': 'end' }, percent.format(share)));
    }
    svg.append(s('line', { class: 'axis', x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0) }));
    const lastToken = (chunks[chunks.length - 1].index + 1) * routing.chunk_tokens;
    svg.append(s('text', { x: margin.left, y: height - 14, 'text-anchor': 'start' }, 'token 0'));
    svg.append(s('text', { x: width - margin.right, y: height - 14, 'text-anchor': 'end' }, `${integer.format(lastToken)}`));
    svg.append(s('text', { x: margin.left + plotWidth / 2, y: height - 2, 'text-anchor': 'middle' },
      `${plural(chunks.length, 'chunk')} of ${integer.format(routing.chunk_tokens)} tokens`));

    const lines = s('g', { class: 'lines' });
    const totals = doc.memory_load;
    const allWrites = totals.reduce((sum, count) => sum + count, 0);
    for (let memory = 0; memory < memories; memory += 1) {
      const coordinates = points.length === 1
        ? [[x(0), y(shares[0][memory])], [x(1), y(shares[0][memory])]]
        : shares.map((row, i) => [x(i), y(row[memory])]);
      const line = s('polyline', {
        class: `series s${memory % 16}${memory >= 16 ? ' dashed' : ''}`,
        points: coordinates.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' '),
        'data-memory': memory,
      });
      const share = allWrites > 0 ? totals[memory] / allWrites : 0;
      line.append(s('title', {}, `memory ${memory}: ${percent.format(share)} of all writes`));
      lines.append(line);

      const button = h('button', { type: 'button', 'aria-pressed': 'false', 'data-memory': memory },
        swatch(memory), `${memory} · ${percent.format(share)}`);
      button.addEventListener('click', () => highlight(memory));
      legend.append(h('li', {}, button));
    }
    svg.append(lines);
    chart.replaceChildren(svg);
    if (routing.chunks.length < doc.routing_chunks) {
      chart.append(h('p', { class: 'empty' }, `The first ${integer.format(routing.chunks.length)} of ${integer.format(doc.routing_chunks)} chunks.`));
    }
  }

  function swatch(memory) {
    return s('svg', { viewBox: '0 0 14 8', 'aria-hidden': 'true' },
      s('line', { x1: 0, y1: 4, x2: 14, y2: 4, class: `series swatch s${memory % 16}${memory >= 16 ? ' dashed' : ''}` }));
  }

  /** Brings one memory's line forward; the same button again shows them all. */
  function highlight(memory) {
    const svg = $('routing-chart').querySelector('svg');
    const button = $('routing-legend').querySelector(`button[data-memory="${memory}"]`);
    const on = button.getAttribute('aria-pressed') !== 'true';
    for (const other of $('routing-legend').querySelectorAll('button')) other.setAttribute('aria-pressed', 'false');
    for (const line of svg.querySelectorAll('.series')) line.classList.toggle('on', on && line.dataset.memory === String(memory));
    svg.classList.toggle('dim', on);
    button.setAttribute('aria-pressed', String(on));
  }

  // MARK: Snapshots

  function renderSnapshots(doc) {
    const select = $('ask-at');
    const chosen = select.value;
    const list = $('snapshot-list');
    const timeline = $('snapshot-timeline');
    const snapshots = [...doc.snapshot_list].sort((a, b) => a.token_count - b.token_count);
    select.replaceChildren(h('option', { value: '' }, `The current state (${integer.format(doc.tokens)} tokens)`));
    list.replaceChildren();
    if (snapshots.length === 0) {
      timeline.replaceChildren(h('p', { class: 'empty' }, 'No snapshot yet: the daemon takes one as the document grows, and when it stops.'));
      return;
    }
    const width = chartWidth(timeline);
    const height = 44;
    const left = 12;
    const right = width - 12;
    const end = Math.max(doc.tokens, ...snapshots.map((snapshot) => snapshot.token_count), 1);
    const x = (tokens) => left + (tokens / end) * (right - left);
    const svg = s('svg', {
      viewBox: `0 0 ${width} ${height}`, class: 'timeline', role: 'img',
      'aria-label': `${plural(snapshots.length, 'snapshot')} between token 0 and ${integer.format(end)}`,
    });
    svg.append(s('line', { x1: left, x2: right, y1: 16, y2: 16 }));
    svg.append(s('text', { x: left, y: 40, 'text-anchor': 'start' }, '0'));
    svg.append(s('text', { x: right, y: 40, 'text-anchor': 'end' }, `now: ${integer.format(doc.tokens)} tokens`));
    const now = s('circle', { cx: x(doc.tokens), cy: 16, r: 5, class: 'now' });
    now.append(s('title', {}, `the current state, ${integer.format(doc.tokens)} tokens`));
    svg.append(now);
    for (const snapshot of snapshots) {
      const label = `Snapshot #${snapshot.id} at token ${integer.format(snapshot.token_count)}`;
      select.append(h('option', { value: snapshot.token_count }, label));
      const dot = s('circle', { cx: x(snapshot.token_count), cy: 16, r: 7, 'data-at': snapshot.token_count });
      dot.append(s('title', {}, label));
      dot.addEventListener('click', () => askAt(snapshot.token_count));
      svg.append(dot);
      const button = h('button', { type: 'button', class: 'quiet', 'data-at': snapshot.token_count }, 'Ask at this snapshot');
      button.addEventListener('click', () => askAt(snapshot.token_count));
      list.append(h('li', { 'data-at': snapshot.token_count },
        h('strong', {}, label),
        ` · byte ${integer.format(snapshot.byte_count)} · ${bytes(snapshot.stored_bytes)} stored · ${when(snapshot.created_at)}`,
        doc.restored_from === snapshot.id ? ' · restored from' : '',
        button));
    }
    timeline.replaceChildren(svg);
    if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
    markChosenSnapshot();
  }

  function askAt(tokens) {
    $('ask-at').value = String(tokens);
    markChosenSnapshot();
    $('ask-question').focus();
    notify(`Questions now go to the snapshot at token ${integer.format(tokens)}; pick "The current state" to ask the latest.`);
  }

  function markChosenSnapshot() {
    const chosen = $('ask-at').value;
    for (const dot of $('snapshot-timeline').querySelectorAll('circle[data-at]')) {
      dot.classList.toggle('chosen', dot.dataset.at === chosen);
    }
  }

  // MARK: Ask

  async function ask(event) {
    event.preventDefault();
    if (!current) return;
    const question = $('ask-question').value.trim();
    if (!question) return;
    const at = $('ask-at').value;
    const request = { question, evidence: 5 };
    if (at !== '') request.at = Number(at);
    const button = event.submitter || $('ask-form').querySelector('button');
    button.disabled = true;
    try {
      const answer = await api('POST', docPath(current, '/ask'), { json: request });
      renderAnswer(answer, at !== '');
    } finally {
      button.disabled = false;
    }
  }

  function renderAnswer(answer, atSnapshot) {
    const box = $('answer');
    const from = atSnapshot
      ? `the snapshot at token ${integer.format(answer.state_tokens)}`
      : `the state of ${integer.format(answer.state_tokens)} tokens`;
    const meta = `confidence ${percent.format(answer.confidence)} · ${answer.answer_type} · from ${from}` +
      `${answer.source ? ` · by ${answer.source}` : ''} · ${decimal.format(answer.latency_ms)} ms`;
    box.className = `answer ${answer.abstained ? 'abstained' : 'answered'}`;
    if (answer.abstained) {
      box.replaceChildren(
        h('p', { class: 'abstention', id: 'abstention' },
          `No answer: nothing in ${answer.document} answers this well enough, so momd says nothing rather than guess.`),
        h('p', { class: 'meta' }, `Best ${meta}.`));
    } else {
      box.replaceChildren(
        h('p', { class: 'answer-text', id: 'answer-text' }, answer.answer),
        h('p', { class: 'meta', id: 'answer-meta' }, meta));
      if (answer.continuation && answer.continuation !== answer.answer) {
        box.append(h('p', { class: 'meta' }, 'Read: ', h('q', {}, answer.continuation)));
      }
    }
    if (answer.items && answer.items.length) {
      box.append(h('ul', {}, answer.items.map((item) => h('li', {},
        `${item.item}: `, item.abstained ? 'no answer' : h('strong', {}, item.answer), ` (${percent.format(item.confidence)})`))));
    }
    box.hidden = false;

    const evidence = answer.evidence || [];
    $('evidence-list').replaceChildren(...evidence.map((passage) => h('li', {},
      h('p', { class: 'passage' }, passage.text),
      h('p', { class: 'meta' },
        `support ${percent.format(passage.support)} · sureness ${percent.format(passage.sureness)} · ` +
        `score ${decimal.format(passage.score)} · sentence ${integer.format(passage.sentence)}`))));
    $('evidence').hidden = evidence.length === 0;
  }

  // MARK: Ingest

  /** Sends `blob` in chunks, each at the offset the daemon acknowledged for the one before. */
  async function upload(name, blob, { label, resume = false }) {
    await loadDocuments();
    const held = summaries.has(name) ? summaries.get(name).bytes : 0;
    // Appending: the blob goes after what the document holds. Resuming: the blob is the whole
    // document, and the bytes it already holds are skipped.
    const base = resume ? 0 : held;
    if (resume && held > blob.size) {
      throw new APIError(409, 'offset_mismatch',
        `${name} already holds ${integer.format(held)} bytes, more than ${label} (${integer.format(blob.size)}): it is not this file's document`);
    }
    return send({ name, blob, label, base, position: resume ? held : 0, requests: 0 });
  }

  async function send(job) {
    pendingUpload = null;
    const status = $('upload-status');
    const progress = $('upload-progress');
    const text = $('upload-text');
    const resumeButton = $('upload-resume-button');
    status.hidden = false;
    resumeButton.hidden = true;
    progress.max = Math.max(job.blob.size, 1);
    const show = () => {
      progress.value = job.blob.size === 0 ? 1 : job.position;
      const share = job.blob.size === 0 ? 1 : job.position / job.blob.size;
      text.textContent = `${job.label}: ${integer.format(job.position)} of ${integer.format(job.blob.size)} bytes (${percent.format(share)})` +
        `${job.requests ? `, ${job.requests} ${job.requests === 1 ? 'request' : 'requests'}` : ''}`;
    };
    show();
    do {
      const chunk = job.blob.slice(job.position, job.position + CHUNK_BYTES);
      let reply;
      for (let attempt = 0; ; attempt += 1) {
        try {
          reply = await api('POST', docPath(job.name, `/ingest?offset=${job.base + job.position}`),
            { body: chunk, contentType: 'application/octet-stream' });
          break;
        } catch (error) {
          const retryable = !(error instanceof APIError) || error.status === 503;
          if (!retryable || attempt + 1 >= RETRIES) {
            pendingUpload = job;
            resumeButton.hidden = false;
            text.textContent = `${job.label}: stopped at ${integer.format(job.position)} of ${integer.format(job.blob.size)} bytes ` +
              `(every byte before it is kept). ${error.message}`;
            throw error;
          }
          await new Promise((resolve) => { setTimeout(resolve, 500 * (attempt + 1)); });
        }
      }
      job.requests += 1;
      job.position = Math.min(job.blob.size, Math.max(job.position, reply.committed_offset - job.base));
      show();
    } while (job.position < job.blob.size);
    // Done once the list and the view show what was added.
    await refresh(job.name);
    text.textContent += ' — done.';
  }

  async function refresh(name) {
    await loadDocuments();
    if (name && current === name) await openDocument(name, { focus: false });
  }

  async function pasteText(event) {
    event.preventDefault();
    if (!current) return;
    let text = $('paste-text').value;
    if (!text) return;
    // The last word of an append is folded when a separator follows it.
    if (!/\s$/.test(text)) text += '\n';
    const blob = new Blob([text], { type: 'application/octet-stream' });
    await withBusy(event, () => upload(current, blob, { label: 'Pasted text' }));
    $('paste-text').value = '';
  }

  async function uploadFile(event) {
    event.preventDefault();
    const file = $('upload-file').files[0];
    if (!current || !file) return;
    await withBusy(event, () => upload(current, file, { label: file.name, resume: $('upload-resume').checked }));
  }

  async function withBusy(event, action) {
    if (busy) {
      notify('An upload is under way: wait for it to finish.');
      return;
    }
    busy = true;
    const button = event.submitter;
    if (button) button.disabled = true;
    try {
      await action();
    } finally {
      busy = false;
      if (button) button.disabled = false;
    }
  }

  async function create(event) {
    event.preventDefault();
    const input = $('create-name');
    const name = input.value.trim();
    if (!input.checkValidity() || !name) return;
    await loadDocuments();
    if (summaries.has(name)) {
      notify(`${name} exists already: it is open below.`);
    } else {
      // An empty ingest creates the document with the daemon's default memory model.
      await api('POST', docPath(name, '/ingest?offset=0'), { body: new Blob([]), contentType: 'application/octet-stream' });
      await loadDocuments();
      notify(`Created ${name}.`);
    }
    input.value = '';
    if (location.hash === `#doc=${encodeURIComponent(name)}`) await openDocument(name);
    else location.hash = `doc=${encodeURIComponent(name)}`;
  }

  // MARK: Delete

  function confirmDelete() {
    if (!current) return;
    const dialog = $('delete-dialog');
    $('delete-title').textContent = `Delete ${current}?`;
    dialog.returnValue = '';
    dialog.showModal();
    $('delete-cancel').focus();
  }

  async function remove(event) {
    event.preventDefault();
    const name = current;
    $('delete-dialog').close('delete');
    await api('DELETE', docPath(name));
    notify(`Deleted ${name}.`);
    history.replaceState(null, '', location.pathname);
    await closeDocument();
    await loadDocuments();
    $('documents-title').focus();
  }

  // MARK: Start

  function wire() {
    $('create-form').addEventListener('submit', (event) => guarded(() => create(event)));
    $('ask-form').addEventListener('submit', (event) => guarded(() => ask(event)));
    $('ask-at').addEventListener('change', markChosenSnapshot);
    $('paste-form').addEventListener('submit', (event) => guarded(() => pasteText(event)));
    $('upload-form').addEventListener('submit', (event) => guarded(() => uploadFile(event)));
    $('upload-resume-button').addEventListener('click', () => guarded(async () => {
      if (pendingUpload) await withBusy({ submitter: $('upload-resume-button') }, () => send(pendingUpload));
    }));
    $('delete-button').addEventListener('click', confirmDelete);
    $('delete-cancel').addEventListener('click', () => $('delete-dialog').close());
    $('delete-form').addEventListener('submit', (event) => guarded(() => remove(event)));
    $('key-button').addEventListener('click', () => guarded(async () => {
      if (await askForKey('Give the key this daemon takes (a read key answers questions; adding text and deleting need a write key).')) {
        await refresh(current);
      }
    }));
    $('key-cancel').addEventListener('click', () => $('key-dialog').close());
    $('key-forget').addEventListener('click', () => {
      sessionStorage.removeItem(KEY_STORAGE);
      updateKeyButton();
      $('key-dialog').close();
      notify('The key is forgotten.');
    });
    window.addEventListener('hashchange', () => guarded(openFromHash));
    let resizing = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        if (!drawn || $('document').hidden) return;
        renderRouting(drawn.doc, drawn.routing);
        renderSnapshots(drawn.doc);
      }, 150);
    });
    window.addEventListener('unhandledrejection', (event) => {
      event.preventDefault();
      notify(`Something went wrong: ${event.reason && event.reason.message ? event.reason.message : event.reason}`, true);
    });
  }

  async function start() {
    wire();
    updateKeyButton();
    await guarded(async () => {
      await loadDocuments();
      performance.mark('momd-documents-shown');
      document.body.dataset.ready = 'documents';
      await openFromHash();
    });
    document.body.dataset.ready = 'true';
  }

  start();
})();
