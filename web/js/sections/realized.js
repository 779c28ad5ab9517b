// #realized: gains and losses on shares sold in a year (first in, first out), with CSV export.
import { csvFilename, downloadCsv, toCsv } from '../csv.js';
import { calendarDate, direction, escapeHtml, money, quantity } from '../format.js';
import { fromHtml, h, SectionView, trendClass, withStates } from '../dom.js';

const YEARS_BACK = 8;

export const CSV_COLUMNS = [
  { key: 'symbol', label: 'Symbol' },
  { key: 'qty', label: 'Shares' },
  { key: 'bought_at', label: 'Bought' },
  { key: 'sold_at', label: 'Sold' },
  { key: 'proceeds', label: 'Proceeds' },
  { key: 'cost', label: 'Cost' },
  { key: 'gain', label: 'Gain' },
  { label: 'Term', value: (r) => (r.term === 'long' ? 'Long term' : 'Short term') },
];

function rowHtml(lot) {
  const dir = direction(lot.gain);
  return `<tr>
    <td><span class="ticker">${escapeHtml(lot.symbol)}</span></td>
    <td class="num">${escapeHtml(quantity(lot.qty))}</td>
    <td class="date">${escapeHtml(calendarDate(lot.bought_at))}</td>
    <td class="date">${escapeHtml(calendarDate(lot.sold_at))}</td>
    <td class="num">${escapeHtml(money(lot.proceeds))}</td>
    <td class="num">${escapeHtml(money(lot.cost))}</td>
    <td class="num ${dir}">${escapeHtml(money(lot.gain, { sign: true }))}</td>
    <td>${lot.term === 'long' ? 'Long' : 'Short'}</td>
  </tr>`;
}

export function mount(root, ctx) {
  const view = new SectionView(root);
  const thisYear = new Date().getFullYear();
  let year = null; // first load: the service picks the latest year with a sale
  let request = null;
  let data = null;

  const select = h('select', { id: 'realized-year', 'aria-label': 'Tax year' });
  showYears([]);
  select.addEventListener('change', () => {
    year = Number(select.value);
    load();
  });
  const exportButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'realized-csv', disabled: true, onclick: () => exportCsv() }, 'Download CSV');
  const tools = h('div', { class: 'card-tools' }, h('label', { class: 'visually-hidden', for: 'realized-year' }, 'Tax year'), select, exportButton);
  root.querySelector('.card-head').append(tools);

  /** The recent years, and any older year with a sale; years with sales say so. */
  function showYears(withSales, chosen = thisYear) {
    const years = new Set([...Array.from({ length: YEARS_BACK }, (_, k) => thisYear - k), ...withSales]);
    const sold = new Set(withSales);
    select.replaceChildren(
      ...[...years].sort((a, b) => b - a).map((y) => h('option', { value: String(y) }, sold.has(y) ? `${y} · sales` : String(y))),
    );
    select.value = String(chosen);
  }

  function exportCsv() {
    if (!data?.lots?.length) return;
    downloadCsv(csvFilename(`realized-gains-${data.year}`), toCsv(CSV_COLUMNS, data.lots));
  }

  function draw(body) {
    data = body;
    year = body.year;
    showYears(body.years ?? [], body.year);
    const lots = body.lots ?? [];
    exportButton.disabled = !lots.length;
    root.dataset.rows = String(lots.length);
    if (!lots.length) {
      view.empty(
        `No sales in ${body.year}`,
        `When you sell shares, the gain or loss on each sale is listed here for your taxes. Nothing to report for ${body.year}; pick another year to see earlier sales.`,
      );
      return;
    }
    const t = body.totals;
    const figure = (label, value, cls = '') => h('div', { class: 'stat' }, h('span', { class: 'muted small' }, label), h('strong', { class: `num ${cls}` }, value));
    const table = h(
      'table',
      { class: 'table realized-table', id: 'realized-table' },
      h('caption', { class: 'visually-hidden' }, `Shares sold in ${body.year}, newest first`),
      h('thead', {}, h('tr', {}, ['Ticker', 'Shares', 'Bought', 'Sold', 'Proceeds', 'Cost', 'Gain', 'Term'].map((c, i) => h('th', { scope: 'col', class: [1, 4, 5, 6].includes(i) ? 'num' : null }, c)))),
      h('tbody', {}, fromHtml(lots.map(rowHtml).join(''))),
    );
    view.content(
      h(
        'div',
        { class: 'income-figures' },
        figure('Total gain', money(t.gain, { sign: true }), trendClass(direction(t.gain))),
        figure('Short term', money(t.short_term_gain, { sign: true }), trendClass(direction(t.short_term_gain))),
        figure('Long term', money(t.long_term_gain, { sign: true }), trendClass(direction(t.long_term_gain))),
      ),
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Realised gains table, scrolls sideways' }, table),
      h('p', { class: 'muted small table-note' }, 'Each sale is matched to the oldest shares you bought first (FIFO). Shares held more than a year are long term, which is usually taxed less. Not tax advice.'),
    );
  }

  function load(quiet = false) {
    request?.abort();
    request = new AbortController();
    const { signal } = request;
    const wanted = year;
    return withStates(view, {
      skeleton: 'table',
      what: 'your realised gains',
      quiet,
      load: async () => {
        const query = wanted === null ? '' : `?year=${wanted}`;
        const body = await ctx.api(`/api/portfolio/realized${query}`, { signal });
        if (wanted === year) draw(body);
      },
    });
  }

  load();

  return {
    destroy() {
      request?.abort();
      tools.remove();
    },
  };
}
