// #scores: risk and diversification as 0-10 gauges, refreshed on a timer that is torn down.
import { clockTime } from '../format.js';
import { gaugeFraction, scoreColor } from '../ramps.js';
import { h, SectionView, withStates } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const KINDS = [
  ['risk', 'Risk', 'How much your portfolio could swing up and down. Lower is steadier.'],
  ['diversification', 'Diversification', 'How widely your money is spread. Higher means one fall hurts less.'],
];

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A 240° arc gauge; the text alternative says the score and its label. */
function gauge(kind, title, score, label) {
  const r = 52;
  const circumference = 2 * Math.PI * r;
  const arc = circumference * (240 / 360);
  const fill = arc * gaugeFraction(score);
  const color = scoreColor(kind, score);
  const root = svg('svg', { viewBox: '0 0 140 124', class: 'gauge-svg', role: 'img', 'aria-label': `${title} score ${score.toFixed(1)} out of 10: ${label}` });
  const common = { cx: 70, cy: 70, r, fill: 'none', 'stroke-width': 12, 'stroke-linecap': 'round', transform: 'rotate(150 70 70)' };
  root.append(
    svg('circle', { ...common, class: 'gauge-track', 'stroke-dasharray': `${arc} ${circumference}` }),
    svg('circle', { ...common, class: 'gauge-fill', stroke: color, 'stroke-dasharray': `${fill} ${circumference}` }),
  );
  const number = svg('text', { x: 70, y: 74, 'text-anchor': 'middle', class: 'gauge-number' });
  number.textContent = score.toFixed(1);
  const scale = svg('text', { x: 70, y: 96, 'text-anchor': 'middle', class: 'gauge-scale' });
  scale.textContent = 'out of 10';
  root.append(number, scale);
  return root;
}

function card(kind, title, blurb, data) {
  const factors = data.factors ?? [];
  const why = factors.length
    ? h(
        'details',
        { class: 'why' },
        h('summary', {}, 'Why?'),
        h(
          'ul',
          { class: 'factors' },
          factors.map((f) =>
            h('li', {}, h('div', { class: 'factor-head' }, h('span', {}, f.name), h('strong', { class: 'num' }, f.value)), h('p', { class: 'muted small' }, f.explanation)),
          ),
        ),
      )
    : null;
  return h(
    'article',
    { class: `score score-${kind}`, 'data-kind': kind, style: null },
    h('h3', { class: 'score-title' }, title),
    h('div', { class: 'gauge' }, gauge(kind, title, Number(data.score) || 0, data.label)),
    h('p', { class: 'score-label' }, h('span', { class: 'dot', 'data-score-color': scoreColor(kind, Number(data.score) || 0) }), data.label),
    h('p', { class: 'score-summary' }, data.summary),
    h('p', { class: 'muted small' }, blurb),
    why,
  );
}

export function mount(root, ctx) {
  const view = new SectionView(root);
  let timer = null;
  let request = null;

  function load(quiet = false) {
    request?.abort();
    request = new AbortController();
    const { signal } = request;
    return withStates(view, {
      skeleton: 'gauges',
      what: 'your scores',
      quiet,
      load: async () => {
        const data = await ctx.api('/api/portfolio/analytics', { signal });
        const invested = (data.exposures?.asset_class ?? []).some((e) => e.name !== 'Cash' && Number(e.market_value) > 0);
        if (!invested) {
          view.empty(
            'No scores yet',
            "Once you invest, you'll see how risky and how spread out your portfolio is, rated from 0 to 10.",
            h('a', { class: 'btn btn-secondary', href: '#add-funds' }, 'Add funds to get started'),
          );
          return;
        }
        view.content(
          h('div', { class: 'scores' }, KINDS.map(([kind, title, blurb]) => card(kind, title, blurb, data[kind]))),
          h('p', { class: 'muted small updated' }, `Updated ${clockTime(data.as_of)} · refreshes every ${Math.round(ctx.config.scoresRefreshMs / 60000) || 1} min`),
        );
        for (const dot of view.body.querySelectorAll('[data-score-color]')) dot.style.background = dot.dataset.scoreColor;
      },
    });
  }

  load();
  timer = setInterval(() => load(true), ctx.config.scoresRefreshMs);
  const onFunds = () => load(true);
  ctx.bus.addEventListener('funds-changed', onFunds);

  return {
    destroy() {
      clearInterval(timer);
      timer = null;
      request?.abort();
      ctx.bus.removeEventListener('funds-changed', onFunds);
    },
  };
}
