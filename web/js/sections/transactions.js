// #transactions: buys, sells, deposits, dividends and transfers, newest first, with filters and
// "Load more".
import { calendarDate, escapeHtml, money, quantity, statusWords } from '../format.js';
import { fromHtml, h, SectionView, withStates } from '../dom.js';
import { csvFilename, downloadCsv, toCsv } from '../csv.js';

export const TYPES = [
  ['all', 'All types'],
  ['buy', 'Buys'],
  ['sell', 'Sells'],
  ['deposit', 'Deposits'],
  ['dividend', 'Dividends'],
  ['withdrawal', 'Withdrawals'],
  ['journal', 'Transfers'],
];
const PAGE = 25;
const CSV_PAGE = 100;
const CSV_MAX_PAGES = 200;

/** The CSV: every activity matching the filters, figures exactly as the API gives them. */
export const CSV_COLUMNS = [
  { key: 'date', label: 'Date' },
  { label: 'Type', value: (a) => typeLabel(a) },
  { key: 'symbol', label: 'Symbol' },
  { label: 'Shares', value: (a) => (movesShares(a) ? a.qty : '') },
  { key: 'price', label: 'Price' },
  { key: 'amount', label: 'Amount' },
  { label: 'Status', value: (a) => statusWords(a.status) },
  { key: 'description', label: 'Description' },
  { key: 'id', label: 'ID' },
];
const MAX_EMPTY_PAGES = 6;

/** What a person calls an activity: Buy, Sell, Deposit, Dividend, Transfer (a journal of cash
 * or shares from another account, such as a reward), … */
export function typeLabel(a) {
  if (a.type === 'fill') return a.side === 'sell' ? 'Sell' : 'Buy';
  const labels = { deposit: 'Deposit', dividend: 'Dividend', withdrawal: 'Withdrawal', fee: 'Fee', journal: 'Transfer' };
  return labels[a.type] ?? 'Other';
}

/** Whether a row moved shares (a fill, or shares journaled in or out), so its quantity shows. */
export function movesShares(a) {
  return a.type === 'fill' || (a.type === 'journal' && Boolean(a.symbol) && Boolean(a.qty));
}

/** The colour of a row's amount: money in green, money out red, a buy or sell neither. */
export function amountTrend(a) {
  if (a.type === 'deposit' || a.type === 'dividend') return 'up';
  if (a.type === 'journal') return Number(a.amount) > 0 ? 'up' : Number(a.amount) < 0 ? 'down' : '';
  return '';
}

/** The API's `types` for a filter, and the check the page applies to each row. */
export function filterFor(kind) {
  if (kind === 'buy' || kind === 'sell') return { types: 'fill', keep: (a) => a.side === kind };
  if (kind === 'all') return { types: '', keep: () => true };
  return { types: kind, keep: () => true };
}

function rowHtml(a) {
  const label = typeLabel(a);
  const dateOnly = a.type !== 'fill';
  const amount = Number(a.amount);
  const trend = amountTrend(a);
  return `<tr>
    <td class="date">${escapeHtml(calendarDate(a.date, { dateOnly }))}</td>
    <td>${a.symbol ? `<span class="ticker">${escapeHtml(a.symbol)}</span>` : '<span class="muted">—</span>'}</td>
    <td><span class="tag tag-${label.toLowerCase()}">${escapeHtml(label)}</span></td>
    <td class="num">${movesShares(a) ? escapeHtml(quantity(a.qty)) : '—'}</td>
    <td class="num">${a.price ? escapeHtml(money(a.price)) : '—'}</td>
    <td class="num ${trend}">${Number.isFinite(amount) ? escapeHtml(money(Math.abs(amount))) : '—'}</td>
    <td>${escapeHtml(statusWords(a.status))}</td>
  </tr>`;
}

export function mount(root, ctx) {
  const view = new SectionView(root);
  let cursor = null;
  let filter = { kind: 'all', from: '', to: '' };
  let request = null;
  let shown = 0;

  const typeSelect = h('select', { id: 'tx-type', name: 'type' }, TYPES.map(([v, l]) => h('option', { value: v }, l)));
  const fromInput = h('input', { id: 'tx-from', name: 'from', type: 'date' });
  const toInput = h('input', { id: 'tx-to', name: 'to', type: 'date' });
  const filters = h(
    'form',
    { class: 'filters', id: 'tx-filters', 'aria-label': 'Filter transactions' },
    h('div', { class: 'field' }, h('label', { for: 'tx-type' }, 'Type'), typeSelect),
    h('div', { class: 'field' }, h('label', { for: 'tx-from' }, 'From'), fromInput),
    h('div', { class: 'field' }, h('label', { for: 'tx-to' }, 'To'), toInput),
  );
  filters.addEventListener('submit', (e) => e.preventDefault());
  filters.addEventListener('change', () => {
    filter = { kind: typeSelect.value, from: fromInput.value, to: toInput.value };
    reload();
  });
  root.querySelector('.card-head').after(filters);

  const tbody = h('tbody', { id: 'tx-body' });
  const moreButton = h('button', { type: 'button', class: 'btn btn-secondary', id: 'tx-more', onclick: () => more() }, 'Load more');
  const endNote = h('p', { class: 'muted small', id: 'tx-end', hidden: true }, "That's everything.");
  const moreError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const table = h(
    'table',
    { class: 'table tx-table', id: 'tx-table' },
    h('caption', { class: 'visually-hidden' }, 'Your transactions, newest first'),
    h('thead', {}, h('tr', {}, ['Date', 'Ticker', 'Type', 'Quantity', 'Price', 'Amount', 'Status'].map((t, i) => h('th', { scope: 'col', class: [3, 4, 5].includes(i) ? 'num' : null }, t)))),
    tbody,
  );
  const content = [h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Transactions table, scrolls sideways' }, table), h('div', { class: 'load-more' }, moreButton, endNote, moreError)];

  function query(from = cursor, limit = PAGE) {
    const f = filterFor(filter.kind);
    const params = new URLSearchParams({ limit: String(limit) });
    if (f.types) params.set('types', f.types);
    if (filter.from) params.set('after', filter.from);
    if (filter.to) params.set('until', `${filter.to}T23:59:59Z`);
    if (from) params.set('cursor', from);
    return { url: `/api/portfolio/activities?${params}`, keep: f.keep };
  }

  /** Fetch pages until some rows pass the filter or the list ends. */
  async function fetchPage(signal) {
    const added = [];
    for (let i = 0; i < MAX_EMPTY_PAGES; i += 1) {
      const { url, keep } = query();
      const page = await ctx.api(url, { signal });
      cursor = page.next_cursor;
      added.push(...page.activities.filter(keep));
      if (added.length || !cursor) break;
    }
    return added;
  }

  const exportButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'tx-csv', onclick: () => exportCsv() }, 'Download CSV');
  const exportError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  root.querySelector('.card-head').append(exportButton);
  filters.after(exportError);

  /** Every page matching the filters (not only the rows loaded so far), then the file. */
  async function exportCsv() {
    if (exportButton.disabled) return;
    exportButton.disabled = true;
    exportButton.textContent = 'Preparing…';
    exportError.hidden = true;
    try {
      const all = [];
      let next = null;
      for (let i = 0; i < CSV_MAX_PAGES; i += 1) {
        const { url, keep } = query(next, CSV_PAGE);
        const page = await ctx.api(url);
        all.push(...page.activities.filter(keep));
        next = page.next_cursor;
        if (!next) break;
      }
      downloadCsv(csvFilename('transactions'), toCsv(CSV_COLUMNS, all));
    } catch (error) {
      exportError.textContent = `We couldn't prepare the file. ${error.message}`;
      exportError.hidden = false;
    } finally {
      exportButton.disabled = false;
      exportButton.textContent = 'Download CSV';
    }
  }

  function updateFooter() {
    moreButton.hidden = !cursor;
    endNote.hidden = Boolean(cursor) || shown === 0;
    root.dataset.rows = String(shown);
  }

  function reload(quiet = false) {
    request?.abort();
    request = new AbortController();
    const { signal } = request;
    cursor = null;
    shown = 0;
    return withStates(view, {
      skeleton: 'table',
      what: 'your transactions',
      quiet,
      load: async () => {
        const rows = await fetchPage(signal);
        shown = rows.length;
        if (!rows.length) {
          const filtered = filter.kind !== 'all' || filter.from || filter.to;
          view.empty(
            filtered ? 'No transactions match these filters' : 'No transactions yet',
            filtered ? 'Try another type or a wider date range.' : 'Your deposits, buys, sells and dividends will be listed here. Start by adding funds.',
            filtered ? null : h('a', { class: 'btn btn-secondary', href: '#add-funds' }, 'Add funds'),
          );
          root.dataset.rows = '0';
          return;
        }
        tbody.replaceChildren(fromHtml(rows.map(rowHtml).join('')));
        view.content(...content);
        updateFooter();
      },
    });
  }

  async function more() {
    if (!cursor || moreButton.disabled) return;
    moreButton.disabled = true;
    moreButton.textContent = 'Loading…';
    moreError.hidden = true;
    try {
      const rows = await fetchPage(request?.signal);
      shown += rows.length;
      tbody.append(fromHtml(rows.map(rowHtml).join('')));
    } catch (error) {
      if (error.name === 'AbortError') return;
      moreError.textContent = `${error.message} `;
      moreError.append(h('button', { type: 'button', class: 'link', onclick: () => more() }, 'Try again'));
      moreError.hidden = false;
    } finally {
      moreButton.disabled = false;
      moreButton.textContent = 'Load more';
      updateFooter();
    }
  }

  let settleTimer = null;
  /** A settled deposit can take a little while to be listed: look again until it is. */
  async function awaitDeposit(amount, tries = 0) {
    clearTimeout(settleTimer);
    await reload(true);
    const listed = [...tbody.querySelectorAll('tr')].some((tr) => tr.querySelector('.tag-deposit') && tr.textContent.includes(money(amount)));
    if (!listed && tries < 20) settleTimer = setTimeout(() => awaitDeposit(amount, tries + 1), 3000);
  }
  const onFunds = (event) => {
    if (event.detail?.settled && event.detail.amount) awaitDeposit(event.detail.amount);
    else reload(true);
  };
  const onBroker = (event) => {
    if (event.detail?.what?.some((w) => w === 'activities' || w === 'orders')) reload(true);
  };
  ctx.bus.addEventListener('funds-changed', onFunds);
  ctx.bus.addEventListener('broker-changed', onBroker);
  reload();

  return {
    destroy() {
      clearTimeout(settleTimer);
      request?.abort();
      filters.remove();
      exportButton.remove();
      exportError.remove();
      ctx.bus.removeEventListener('funds-changed', onFunds);
      ctx.bus.removeEventListener('broker-changed', onBroker);
    },
  };
}
