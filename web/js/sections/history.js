// #history: the value chart for a chosen range, with all-time performance above it.
import { chartsReady, newChart, crosshair, gradientFill, themeColor } from '../charts.js';
import { axisDate, calendarDate, compactLabels, direction, money, pct, PERIOD_WORDS, tooltipDate, toNumber } from '../format.js';
import { h, SectionView, trendClass, withStates } from '../dom.js';
import { riskSentences, sameDatesValues } from '../returns-math.js';
import { thinLive } from '../live-math.js';

export const PERIODS = ['1D', '1W', '1M', '3M', '6M', 'YTD', '1Y', 'MAX'];

/** One-sentence answers behind each "?". */
export const TIPS = {
  gain: 'What your portfolio is worth now minus the money you put in; dividends count as gain.',
  twr: 'How your investments themselves did, leaving out when and how much you deposited, so it is the fair figure to compare with the market.',
  mwr: 'Your own return, counting when you added money: deposits made just before a rise help it, deposits just before a fall hurt it.',
};

let tipCount = 0;
/** A "?" that opens a one-sentence explanation (keyboard reachable: it is a <details>). */
export function whyTip(label, text) {
  tipCount += 1;
  const id = `tip-${tipCount}`;
  return h(
    'details',
    { class: 'why-tip' },
    h('summary', { 'aria-label': `What is “${label}”?`, 'aria-describedby': id }, '?'),
    h('p', { class: 'why-tip-text', id, role: 'note' }, text),
  );
}

const BENCHMARK_KEY = 'portfolio_rt.benchmark';

export function mount(root, ctx) {
  const view = new SectionView(root);
  let period = '1M';
  let chart = null;
  let request = null;
  let allTime = null;

  const buttons = PERIODS.map((p) =>
    h('button', { type: 'button', class: 'seg', 'data-period': p, 'aria-pressed': String(p === period), onclick: () => select(p) }, p),
  );
  const rangeGroup = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' }, buttons);
  root.querySelector('.card-head').append(rangeGroup);

  const allTimeEl = h('div', { class: 'all-time', id: 'all-time' });
  root.querySelector('.card-head').after(allTimeEl);

  function stat(label, value, { cls = '', tip = '', note = '', id = null } = {}) {
    return h(
      'div',
      { class: 'stat', id },
      h('span', { class: 'stat-label muted' }, label, tip ? whyTip(label, tip) : null),
      h('strong', { class: `num ${cls}` }, value),
      note ? h('span', { class: 'muted small' }, note) : null,
    );
  }

  function renderAllTime() {
    if (!allTime?.all) {
      allTimeEl.replaceChildren();
      return;
    }
    const dir = direction(allTime.all.amount);
    if (!(Number(allTime.deposits) > 0)) {
      allTimeEl.replaceChildren(
        h('span', { class: 'muted' }, 'All-time return'),
        h('span', { class: 'muted small' }, 'Shows how your money has grown once you add some.'),
      );
      return;
    }
    const allPct = allTime.all.pct === null || allTime.all.pct === undefined ? '' : ` (${pct(allTime.all.pct)})`;
    allTimeEl.replaceChildren(
      h('p', { class: 'all-time-title muted small' }, 'Since you started'),
      stat('Gain', `${money(allTime.all.amount, { sign: true })}${allPct}`, {
        cls: trendClass(dir),
        id: 'stat-gain',
        tip: TIPS.gain,
        note: `Beyond the ${money(allTime.deposits)} you've put in.`,
      }),
      rateStat('Investment return (time-weighted)', allTime.twr, { id: 'stat-twr', tip: TIPS.twr }),
      rateStat('Your personal return', allTime.mwr, { id: 'stat-mwr', tip: TIPS.mwr }),
    );
  }

  /** A return on both bases, each named: since you started, and a year (or why not yet). */
  function rateStat(label, rates, { id, tip }) {
    const cumulative = rates?.cumulative ?? {};
    const annual = rates?.annual ?? {};
    const known = (r) => r?.pct !== null && r?.pct !== undefined;
    const main = known(cumulative) ? pct(cumulative.pct) : '—';
    return h(
      'div',
      { class: 'stat', id },
      h('span', { class: 'stat-label muted' }, label, whyTip(label, tip)),
      h(
        'p',
        { class: 'stat-rate' },
        h('strong', { class: `num ${trendClass(direction(cumulative.pct))}`, 'data-basis': 'since-start' }, main),
        h('span', { class: 'muted small' }, known(cumulative) ? ' since you started' : ''),
      ),
      known(cumulative) ? null : h('span', { class: 'muted small' }, cumulative.reason ?? ''),
      known(annual)
        ? h(
            'p',
            { class: 'stat-rate small' },
            h('span', { class: `num ${trendClass(direction(annual.pct))}`, 'data-basis': 'a-year' }, pct(annual.pct)),
            h('span', { class: 'muted' }, ' a year'),
          )
        : known(cumulative)
          ? h('span', { class: 'muted small', 'data-basis': 'a-year' }, annual.reason ?? '')
          : null,
    );
  }

  const onSummary = (event) => {
    const d = event.detail;
    allTime = { all: d.allTime, deposits: d.netDeposits, twr: d.twr, mwr: d.mwr };
    renderAllTime();
    follow(d);
  };

  // The chart ends where Total value is: each live value replaces the last point, and the
  // 1D chart grows a point per update; its change is Today's return (the same close, the
  // same money left out).
  let drawn = null;
  const LIVE_POINT_S = 1; // a point per update (updates come at most once a second)
  const MAX_POINTS = 1500; // past this, older live points are thinned (a page left open all day)
  function follow(live) {
    const v = toNumber(live.equity);
    const t = live.asOf ? Math.floor(Date.parse(live.asOf) / 1000) : NaN;
    if (!chart || !drawn || v === null || !Number.isFinite(t)) return;
    const { points, xOf } = drawn;
    const last = points[points.length - 1];
    const [values, deposits, bench] = chart.data.datasets;
    if (drawn.period === '1D' && t >= last.t + LIVE_POINT_S) {
      const point = { t, v, i: -1 };
      points.push(point);
      const x = xOf(point, points.length - 1);
      values.data.push({ x, y: v });
      deposits.data.push({ x, y: deposits.data.at(-1)?.y ?? null });
      if (bench.data.length) bench.data.push({ x, y: null });
      chart.options.scales.x.max = x;
      if (points.length > MAX_POINTS) {
        const keep = thinLive(points, MAX_POINTS); // in place: the tooltips hold these arrays
        for (const list of [points, values.data, deposits.data, bench.data]) {
          if (list.length) list.splice(0, list.length, ...keep.map((k) => list[k]));
        }
      }
    } else {
      last.v = v;
      values.data[values.data.length - 1].y = v;
    }
    drawn.canvas.setAttribute('aria-label', drawn.describe(v, drawn.period === '1D' && live.today ? live.today.pct : drawn.changePct));
    if (drawn.period === '1D' && live.today) {
      const el = root.querySelector('#range-change');
      if (el) {
        el.textContent = `${money(live.today.amount, { sign: true })} (${pct(live.today.pct)})`;
        el.className = `num ${trendClass(direction(live.today.amount))}`;
      }
    }
    chart.update('none');
  }
  ctx.bus.addEventListener('summary', onSummary);

  function select(p) {
    period = p;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.period === p));
    load(true);
  }

  let showBenchmark = localStorage.getItem(BENCHMARK_KEY) === 'on';

  function draw(data) {
    const points = [];
    data.timestamp.forEach((t, i) => {
      const v = toNumber(data.equity[i]);
      if (v !== null) points.push({ t, v, i });
    });
    if (data.reason || points.length < 2 || points.every((p) => p.v === 0)) {
      chart?.destroy();
      chart = null;
      view.empty(
        'Your chart starts with your first investment',
        `${data.reason ? `${data.reason} ` : ''}Add funds and buy your first shares; this chart will then show how your portfolio grows.`,
        h('a', { class: 'btn btn-secondary', href: '#add-funds' }, 'Add funds'),
      );
      return;
    }
    const first = points[0].v;
    const last = points[points.length - 1].v;
    const up = last >= first;
    const color = themeColor(up ? 'up' : 'down');
    const change = data.change ?? {};
    const dir = direction(change.amount);
    const words = PERIOD_WORDS[period];
    // What the chart says to a screen reader; its end follows the live value.
    const describe = (end, changePct) => `Portfolio value ${words}: from ${money(first)} to ${money(end)}, ${end >= first ? 'up' : 'down'} ${pct(Math.abs(changePct ?? 0), { sign: false })}.`;
    const label = describe(last, change.pct);

    const deposits = points.map((p) => toNumber(data.net_deposits?.[p.i]));
    const hasDeposits = deposits.some((v) => v !== null);
    const bench = data.benchmark ?? {};
    const benchName = bench.symbol || 'the market';
    const benchValues = bench.return_pct
      ? sameDatesValues(points.map((p) => data.equity[p.i]), points.map((p) => data.net_deposits?.[p.i]), points.map((p) => bench.return_pct[p.i]))
      : null;
    const benchLabel = `${benchName}, same dates`;
    const twr = data.stats?.twr_pct;

    // One session (1D) is drawn against time, so live points a second apart sit a second
    // apart; longer ranges are drawn point by point, without nights and weekends.
    const timeAxis = period === '1D';
    const xOf = (p, i) => (timeAxis ? p.t : i);
    const canvas = h('canvas', { role: 'img', 'aria-label': label, id: 'history-chart' });
    const headline = h(
      'div',
      { class: 'range-head' },
      h(
        'p',
        { class: 'range-twr' },
        h('span', { class: 'muted' }, 'Investment return (time-weighted) '),
        h('strong', { class: `num ${trendClass(direction(twr))}`, id: 'range-twr' }, twr === null || twr === undefined ? '—' : pct(twr)),
        h('span', { class: 'muted' }, ` ${words}`),
        whyTip('Investment return (time-weighted)', TIPS.twr),
      ),
      h(
        'p',
        { class: 'range-change small' },
        h('span', { class: 'muted' }, 'Gain '),
        h('strong', { class: `num ${trendClass(dir)}`, id: 'range-change' }, `${money(change.amount, { sign: true })} (${pct(change.pct)})`),
      ),
    );
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'chip chip-toggle',
        id: 'benchmark-toggle',
        'aria-pressed': String(Boolean(benchValues) && showBenchmark),
        disabled: !benchValues,
        onclick: () => {
          showBenchmark = !showBenchmark;
          localStorage.setItem(BENCHMARK_KEY, showBenchmark ? 'on' : 'off');
          toggle.setAttribute('aria-pressed', String(showBenchmark));
          if (chart) {
            chart.data.datasets[2].hidden = !showBenchmark;
            chart.update();
          }
          root.dataset.benchmark = showBenchmark ? 'on' : 'off';
        },
      },
      h('span', { class: 'key key-bench', 'aria-hidden': 'true' }),
      `Compare with ${benchLabel}`,
    );
    const key = h(
      'div',
      { class: 'chart-key small', id: 'history-key' },
      h('span', {}, h('span', { class: `key key-line key-${up ? 'up' : 'down'}`, 'aria-hidden': 'true' }), 'Your portfolio'),
      hasDeposits ? h('span', {}, h('span', { class: 'key key-dash', 'aria-hidden': 'true' }), 'Money you put in') : null,
      toggle,
      benchValues
        ? h('span', { class: 'muted small bench-note' }, `What the same deposits would be worth in ${benchName}.`)
        : h('span', { class: 'muted small bench-note', id: 'benchmark-reason' }, `${benchName} comparison: ${bench.reason || 'not available.'}`),
    );
    chart?.destroy();
    const risk = riskSentences(data.stats, words, pct, (iso) => calendarDate(iso));
    const parts = [headline, key, h('div', { class: 'chart-wrap chart-history' }, canvas), h('p', { class: 'visually-hidden' }, label)];
    if (risk.length) {
      parts.push(h('ul', { class: 'range-risk small muted', id: 'range-risk' }, ...risk.map((line) => h('li', {}, line))));
    }
    view.content(...parts);
    root.dataset.period = period;
    root.dataset.trend = up ? 'up' : 'down';
    root.dataset.benchmark = benchValues ? (showBenchmark ? 'on' : 'off') : 'unavailable';
    const muted = themeColor('text-muted');
    const benchColor = themeColor('accent-strong');
    chart = newChart(canvas, {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'Your portfolio',
            data: points.map((p, i) => ({ x: xOf(p, i), y: p.v })),
            borderColor: color,
            backgroundColor: gradientFill(color),
            borderWidth: 2,
            fill: 'start',
            tension: 0.25,
            pointRadius: 0,
            pointHoverRadius: 5,
            pointHoverBackgroundColor: color,
            pointHoverBorderColor: themeColor('surface'),
            pointHoverBorderWidth: 2,
            order: 1,
          },
          {
            label: 'Money you put in',
            data: deposits.map((v, i) => ({ x: xOf(points[i], i), y: v })),
            hidden: !hasDeposits,
            borderColor: muted,
            borderDash: [6, 4],
            borderWidth: 1.5,
            fill: false,
            stepped: true,
            pointRadius: 0,
            pointHoverRadius: 0,
            order: 2,
          },
          {
            label: benchLabel,
            data: (benchValues ?? []).map((v, i) => ({ x: xOf(points[i], i), y: v })),
            hidden: !(benchValues && showBenchmark),
            borderColor: benchColor,
            borderWidth: 1.5,
            fill: false,
            tension: 0.25,
            pointRadius: 0,
            pointHoverRadius: 4,
            pointHoverBackgroundColor: benchColor,
            order: 0,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        layout: { padding: { top: 8 } },
        scales: {
          x: {
            type: 'linear',
            min: xOf(points[0], 0),
            max: xOf(points[points.length - 1], points.length - 1),
            grid: { display: false },
            border: { display: false },
            ticks: {
              maxTicksLimit: 6,
              includeBounds: false,
              maxRotation: 0,
              autoSkipPadding: 16,
              callback: (value) => {
                if (timeAxis) return axisDate(value, period);
                return Number.isInteger(value) && points[value] ? axisDate(points[value].t, period) : '';
              },
            },
          },
          y: {
            position: 'right',
            grace: '5%',
            border: { display: false },
            grid: { color: themeColor('grid') },
            ticks: {
              maxTicksLimit: 5,
              callback: (value, index, ticks) => compactLabels(ticks.map((t) => t.value))[index],
            },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: (item) => item.parsed.y !== null && !item.dataset.hidden,
            callbacks: {
              title: (items) => tooltipDate(points[items[0].dataIndex].t, period),
              label: (item) => (item.datasetIndex === 0 ? money(item.parsed.y) : `${item.dataset.label}: ${money(item.parsed.y)}`),
            },
          },
        },
      },
      plugins: [crosshair],
    });
    drawn = { points, period, xOf, canvas, describe, changePct: change.pct };
  }

  function load(keepOld = false) {
    request?.abort();
    request = new AbortController();
    const { signal } = request;
    const wanted = period;
    if (keepOld && chart) root.classList.add('is-refreshing');
    return withStates(view, {
      skeleton: 'chart',
      what: 'your performance chart',
      quiet: keepOld && Boolean(chart),
      load: async () => {
        try {
          const data = await ctx.api(`/api/portfolio/history?period=${wanted}`, { signal });
          await chartsReady();
          if (wanted === period) draw(data);
        } catch (error) {
          if (keepOld && chart && error.name !== 'AbortError') {
            chart.destroy();
            chart = null;
            view.error(error, () => load(), 'your performance chart');
            return;
          }
          throw error;
        } finally {
          root.classList.remove('is-refreshing');
        }
      },
    });
  }

  const onFunds = () => load(true);
  ctx.bus.addEventListener('funds-changed', onFunds);
  load();

  return {
    destroy() {
      request?.abort();
      chart?.destroy();
      rangeGroup.remove();
      allTimeEl.remove();
      ctx.bus.removeEventListener('summary', onSummary);
      ctx.bus.removeEventListener('funds-changed', onFunds);
    },
  };
}
