// #allocation: a donut of what the money is in, by asset class or by industry, with a legend.
// Live prices weigh it again as they move (each holding's split comes with the answer).
import { chartsReady, newChart, themeColor } from '../charts.js';
import { money, pct } from '../format.js';
import { h, SectionView, sectionLoader } from '../dom.js';
import { liveBreakdown } from '../live-math.js';

const VIEWS = [
  ['asset_class', 'Asset class', 'Kinds of investments, like stocks, bonds and cash.'],
  ['sector', 'Industry', 'The parts of the economy your stocks are in (funds are looked through).'],
];
const PALETTE = ['#7c8cff', '#22c58b', '#f5b942', '#38bdf8', '#f472b6', '#a78bfa', '#fb923c', '#2dd4bf', '#e879f9', '#94a3b8', '#facc15', '#60a5fa'];

export function colorFor(name, index) {
  return name === 'Cash' ? '#64748b' : PALETTE[index % PALETTE.length];
}

export function mount(root, ctx) {
  const view = new SectionView(root);
  let chart = null;
  let data = null;
  let current = 'asset_class';
  let drawn = null; // what follow() moves: the rows, their legend cells, the centre, the canvas

  const tabs = VIEWS.map(([key, label], i) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        class: 'seg',
        id: `allocation-tab-${key}`,
        'data-view': key,
        'aria-selected': String(key === current),
        'aria-controls': 'allocation-panel',
        tabindex: key === current ? '0' : '-1',
        onclick: () => choose(key),
        onkeydown: (event) => {
          if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
          const next = VIEWS[(i + (event.key === 'ArrowRight' ? 1 : VIEWS.length - 1)) % VIEWS.length][0];
          choose(next);
          root.querySelector(`[data-view="${next}"]`).focus();
        },
      },
      label,
    ),
  );
  const tablist = h('div', { class: 'segmented', role: 'tablist', 'aria-label': 'Group by' }, tabs);
  root.querySelector('.card-head').append(tablist);
  // The section's body is the tab panel in every state (loading, error, data), so the tabs'
  // aria-controls always names an element.
  view.body.id = 'allocation-panel';
  view.body.setAttribute('role', 'tabpanel');
  view.body.setAttribute('aria-labelledby', `allocation-tab-${current}`);

  function choose(key) {
    current = key;
    for (const t of tabs) {
      const on = t.dataset.view === key;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
    }
    view.body.setAttribute('aria-labelledby', `allocation-tab-${key}`);
    if (data) draw();
  }

  function draw() {
    const [, label, blurb] = VIEWS.find(([k]) => k === current);
    const rows = (data.exposures?.[current] ?? []).filter((r) => Number(r.market_value) > 0).map((r) => ({ ...r }));
    const total = rows.reduce((sum, r) => sum + Number(r.market_value), 0);
    const colors = rows.map((r, i) => colorFor(r.name, i));
    const canvas = h('canvas', { role: 'img', 'aria-label': describe(label, rows), id: 'allocation-chart' });
    const cells = rows.map((r) => ({
      amount: h('span', { class: 'legend-amount num' }, money(r.market_value)),
      pct: h('span', { class: 'legend-pct num muted' }, pct(r.pct, { sign: false, digits: 1 })),
    }));
    const legend = h(
      'ul',
      { class: 'legend', id: 'allocation-legend' },
      rows.map((r, i) => {
        const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.background = colors[i];
        return h('li', { 'data-name': r.name }, swatch, h('span', { class: 'legend-name' }, r.name), cells[i].amount, cells[i].pct);
      }),
    );
    const centre = h('strong', { class: 'num', id: 'allocation-total' }, money(total, { whole: true }));
    chart?.destroy();
    view.content(
      h(
        'div',
        { class: 'allocation' },
        h(
          'div',
          { class: 'donut-wrap' },
          canvas,
          h('div', { class: 'donut-center', 'aria-hidden': 'true' }, h('span', { class: 'muted small' }, 'Total'), centre),
        ),
        legend,
      ),
      h('p', { class: 'muted small' }, blurb),
    );
    root.dataset.view = current;
    chart = newChart(canvas, {
      type: 'doughnut',
      data: {
        labels: rows.map((r) => r.name),
        datasets: [{ data: rows.map((r) => Number(r.market_value)), backgroundColor: colors, borderColor: themeColor('surface'), borderWidth: 2, hoverOffset: 6 }],
      },
      options: {
        cutout: '70%',
        maintainAspectRatio: false,
        layout: { padding: 6 },
        plugins: {
          legend: { display: false },
          tooltip: {
            displayColors: true,
            callbacks: {
              title: () => '',
              label: (item) => `${rows[item.dataIndex].name}: ${pct(rows[item.dataIndex].pct, { sign: false, digits: 1 })}`,
            },
          },
        },
      },
    });
    drawn = { rows, cells, centre, canvas, label };
    follow();
  }

  function describe(label, rows) {
    return `${label} breakdown: ${rows.map((r) => `${r.name} ${pct(r.pct, { sign: false, digits: 1 })}`).join(', ')}.`;
  }

  /** The drawn breakdown at the live prices: amounts, shares, the donut and its centre move;
   * the order and colours stay as drawn. */
  function follow() {
    if (!drawn || !chart || !data?.exposures?.holdings) return;
    const values = new Map([...ctx.livePositions].map(([symbol, p]) => [symbol, p.market_value]));
    const live = liveBreakdown(data.exposures.holdings, values, data.exposures.cash, current);
    if (!live) return; // some holding has no live figure yet
    let total = 0;
    drawn.rows.forEach((r, i) => {
      const now = live.get(r.name);
      if (!now) return;
      r.market_value = now.market_value;
      r.pct = now.pct;
      total += now.market_value;
      drawn.cells[i].amount.textContent = money(now.market_value);
      drawn.cells[i].pct.textContent = pct(now.pct, { sign: false, digits: 1 });
      chart.data.datasets[0].data[i] = now.market_value;
    });
    drawn.centre.textContent = money(total, { whole: true });
    drawn.canvas.setAttribute('aria-label', describe(drawn.label, drawn.rows));
    chart.update('none');
  }
  ctx.bus.addEventListener('positions', follow);

  const loader = sectionLoader(ctx, view, {
    reloadOn: ['positions'],
    skeleton: 'chart',
    what: 'your allocation',
    fetchAndDraw: async (signal) => {
      data = await ctx.api('/api/portfolio/analytics', { signal });
      await chartsReady();
      const any = (data.exposures?.asset_class ?? []).some((r) => Number(r.market_value) > 0);
      if (!any) {
        chart?.destroy();
        chart = null;
        drawn = null;
        view.empty('Nothing here yet', 'When you add money and invest, this shows how it is split between kinds of investments and industries.', h('a', { class: 'btn btn-secondary', href: '#add-funds' }, 'Add funds'));
        return;
      }
      draw();
    },
  });
  loader.load();

  return {
    destroy() {
      loader.stop();
      ctx.bus.removeEventListener('positions', follow);
      chart?.destroy();
      tablist.remove();
    },
  };
}
