// #holdings: every position in a table sortable by each column (buttons in the headers).
// Live prices move the rows in place (the order holds until the reader sorts again), each
// moved row briefly marked with its direction.
import { calendarDate, direction, escapeHtml, money, pct, quantity } from '../format.js';
import { fromHtml, h, SectionView, sectionLoader } from '../dom.js';
import { csvFilename, downloadCsv, toCsv } from '../csv.js';
import { nextDirection, sortRows } from '../sort.js';
import { LIVE_FIELDS, mergePositions, sumValues } from '../live-math.js';

const HIGHLIGHT_MS = 800;

// Most telling first: on a phone the name stays put and the next columns are what fits.
export const COLUMNS = [
  { key: 'name', label: 'Name', type: 'text', cls: 'col-name' },
  { key: 'symbol', label: 'Ticker', type: 'text', cls: 'col-ticker' },
  { key: 'market_value', label: 'Market value', type: 'number', num: true, show: (r) => money(r.market_value) },
  { key: 'today_pl', label: 'Today', type: 'number', num: true, trend: (r) => r.today_pl, show: (r) => money(r.today_pl, { sign: true }), sub: (r) => pct(r.today_plpc) },
  { key: 'unrealized_pl', label: 'Return', type: 'number', num: true, trend: (r) => r.unrealized_pl, show: (r) => money(r.unrealized_pl, { sign: true }) },
  { key: 'unrealized_plpc', label: 'Return %', type: 'number', num: true, trend: (r) => r.unrealized_pl, show: (r) => pct(r.unrealized_plpc) },
  { key: 'current_price', label: 'Price', type: 'number', num: true, show: (r) => money(r.current_price) },
  { key: 'qty', label: 'Shares', type: 'number', num: true, show: (r) => quantity(r.qty) },
  { key: 'avg_entry_price', label: 'Avg cost', type: 'number', num: true, show: (r) => money(r.avg_entry_price) },
  { key: 'weight_pct', label: 'Weight', type: 'number', num: true, show: (r) => pct(r.weight_pct, { sign: false, digits: 1 }) },
  { key: 'first_bought_at', label: 'First bought', type: 'date', num: true, show: (r) => calendarDate(r.first_bought_at) },
];

/** The CSV: every figure exactly as the API gives it (decimal strings untouched). */
export const CSV_COLUMNS = [
  { key: 'symbol', label: 'Symbol' },
  { key: 'name', label: 'Name' },
  { key: 'asset_class', label: 'Asset class' },
  { key: 'sector', label: 'Sector' },
  { key: 'qty', label: 'Shares' },
  { key: 'avg_entry_price', label: 'Avg cost' },
  { key: 'current_price', label: 'Price' },
  { key: 'cost_basis', label: 'Cost basis' },
  { key: 'market_value', label: 'Market value' },
  { key: 'unrealized_pl', label: 'Return' },
  { key: 'unrealized_plpc', label: 'Return %' },
  { key: 'today_pl', label: 'Today' },
  { key: 'today_plpc', label: 'Today %' },
  { key: 'weight_pct', label: 'Weight %' },
  { key: 'first_bought_at', label: 'First bought' },
];

function cellClass(c, r) {
  return ['num', c.trend ? direction(c.trend(r)) : ''].filter(Boolean).join(' ');
}

function rowHtml(r) {
  const cells = COLUMNS.map((c) => {
    if (c.key === 'name') return `<th scope="row" class="col-name"><span class="cell-name">${escapeHtml(r.name)}</span><span class="name-ticker">${escapeHtml(r.symbol)}</span></th>`;
    if (c.key === 'symbol') return `<td class="col-ticker"><span class="ticker">${escapeHtml(r.symbol)}</span></td>`;
    const sub = c.sub ? `<span class="cell-sub">${escapeHtml(c.sub(r))}</span>` : '';
    return `<td class="${cellClass(c, r)}" data-key="${c.key}">${escapeHtml(c.show(r))}${sub}</td>`;
  });
  return `<tr data-symbol="${escapeHtml(r.symbol)}">${cells.join('')}</tr>`;
}

/** The live columns of one row drawn again from `r` (no new elements, no layout change). */
function refreshRow(tr, r) {
  for (const c of COLUMNS) {
    if (!LIVE_FIELDS.includes(c.key)) continue;
    const td = tr.querySelector(`td[data-key="${c.key}"]`);
    if (!td) continue;
    td.className = cellClass(c, r);
    const text = td.firstChild?.nodeType === Node.TEXT_NODE ? td.firstChild : td.insertBefore(document.createTextNode(''), td.firstChild);
    text.nodeValue = c.show(r);
    if (c.sub) td.querySelector('.cell-sub').textContent = c.sub(r);
  }
}

export function mount(root, ctx) {
  const view = new SectionView(root);
  let rows = [];
  let sort = { key: 'market_value', dir: 'desc' };
  let tbody = null;
  let headers = [];
  let note = null;
  let cash = null;
  const highlights = new Map();

  const exportButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'holdings-csv', disabled: true, onclick: () => exportCsv() }, 'Download CSV');
  root.querySelector('.card-head').append(exportButton);

  function exportCsv() {
    if (!rows.length) return;
    const column = COLUMNS.find((c) => c.key === sort.key);
    downloadCsv(csvFilename('holdings'), toCsv(CSV_COLUMNS, sortRows(rows, sort.key, column.type, sort.dir)));
  }

  function header(c) {
    const button = h('button', { type: 'button', class: 'sort', 'data-key': c.key, onclick: () => sortBy(c) }, c.label, h('span', { class: 'sort-icon', 'aria-hidden': 'true' }));
    const th = h('th', { scope: 'col', class: c.num ? 'num' : c.cls ?? null, 'data-key': c.key }, button);
    return th;
  }

  function sortBy(c) {
    const dir = nextDirection(sort.dir, sort.key === c.key, c.type === 'text' ? 'asc' : 'desc');
    sort = { key: c.key, dir };
    renderBody();
  }

  function renderBody() {
    const column = COLUMNS.find((c) => c.key === sort.key);
    const sorted = sortRows(rows, sort.key, column.type, sort.dir);
    tbody.replaceChildren(fromHtml(sorted.map(rowHtml).join('')));
    for (const th of headers) {
      const active = th.dataset.key === sort.key;
      if (active) th.setAttribute('aria-sort', sort.dir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    view.root.dataset.sort = `${sort.key}:${sort.dir}`;
  }

  function draw(data) {
    rows = data.positions ?? [];
    // The live figures pushed so far win over the answer's (which a cache may have kept):
    // the rows then agree with every later push, which only names what moved since.
    if (rows.length && ctx.livePositions.size) rows = mergePositions(rows, { positions: [...ctx.livePositions.values()] }).rows;
    exportButton.disabled = !rows.length;
    if (!rows.length) {
      view.empty("You don't own any investments yet", 'Add funds, then buy your first shares. Each one will show up here with how it is doing.', h('a', { class: 'btn btn-secondary', href: '#add-funds' }, 'Add funds'));
      return;
    }
    headers = COLUMNS.map(header);
    tbody = h('tbody');
    const table = h('table', { class: 'table holdings-table', id: 'holdings-table' }, h('caption', { class: 'visually-hidden' }, 'Your holdings. Column headers sort the table.'), h('thead', {}, h('tr', {}, headers)), tbody);
    cash = data.cash;
    note = h('span', { id: 'holdings-worth' }, worth());
    view.content(
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Holdings table, scrolls sideways' }, table),
      h(
        'p',
        { class: 'muted small table-note' },
        note,
        h('strong', {}, 'Today'),
        ' is how much a holding moved since the last close; ',
        h('strong', {}, 'Return'),
        ' is how much it has gained or lost since you bought it; ',
        h('strong', {}, 'Avg cost'),
        ' is what you paid per share on average; ',
        h('strong', {}, 'Weight'),
        ' is its share of everything you hold.',
      ),
    );
    renderBody();
  }

  /** What the rows add up to, as they show it. */
  function worth() {
    return `${rows.length} ${rows.length === 1 ? 'holding' : 'holdings'} worth ${money(sumValues(rows))}, plus ${money(cash)} in cash. `;
  }

  function highlight(tr, symbol, dir) {
    clearTimeout(highlights.get(symbol));
    tr.classList.remove('tick-up', 'tick-down');
    void tr.offsetWidth; // the same direction twice in a row marks it again
    tr.classList.add(dir === 'up' ? 'tick-up' : 'tick-down');
    highlights.set(
      symbol,
      setTimeout(() => {
        tr.classList.remove('tick-up', 'tick-down');
        highlights.delete(symbol);
      }, HIGHLIGHT_MS),
    );
  }

  /** A positions message from the live socket: the rows take its figures where they stand. */
  function onPositions(event) {
    if (!tbody || !rows.length || view.root.dataset.state !== 'ready') return;
    const merged = mergePositions(rows, event.detail);
    if (merged.unknown.length || merged.gone.length) {
      loader.load(true); // bought or sold since the table was read: read it again
      return;
    }
    rows = merged.rows;
    const bySymbol = new Map(rows.map((row) => [row.symbol, row]));
    for (const tr of tbody.rows) {
      const r = bySymbol.get(tr.dataset.symbol);
      if (!r) continue;
      refreshRow(tr, r);
      const dir = merged.moved.get(r.symbol);
      if (dir) highlight(tr, r.symbol, dir);
    }
    note.textContent = worth();
  }
  ctx.bus.addEventListener('positions', onPositions);

  const loader = sectionLoader(ctx, view, {
    reloadOn: ['positions'],
    skeleton: 'table',
    what: 'your holdings',
    fetchAndDraw: async (signal) => draw(await ctx.api('/api/portfolio/positions', { signal })),
  });
  loader.load();

  return {
    destroy() {
      loader.stop();
      ctx.bus.removeEventListener('positions', onPositions);
      for (const timer of highlights.values()) clearTimeout(timer);
      exportButton.remove();
    },
  };
}
