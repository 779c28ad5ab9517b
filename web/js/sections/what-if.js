// #what-if: a projection calculator (pure math in whatif-math.js), with a range and a disclaimer.
import { chartsLoaded, chartsReady, newChart, themeColor, withAlpha } from '../charts.js';
import { compactLabels, isMoneyHidden, money } from '../format.js';
import { h, SectionView } from '../dom.js';
import { project, STRATEGIES, validateInputs } from '../whatif-math.js';

function field(id, label, input, hint) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
}

function moneyInput(id, value) {
  return h('div', { class: 'input-affix' }, h('span', { 'aria-hidden': 'true' }, '$'), h('input', { id, name: id, inputmode: 'decimal', autocomplete: 'off', value, 'aria-describedby': `${id}-hint ${id}-error` }));
}

export function mount(root, ctx) {
  const view = new SectionView(root);
  let chart = null;
  let initialEdited = false;

  const strategyInputs = Object.entries(STRATEGIES).map(([key, s]) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'whatif-strategy', value: key, checked: key === 'moderate' }), h('span', {}, h('strong', {}, s.label), h('span', { class: 'muted small' }, `${Math.round(s.rate * 100)}% a year`))),
  );
  const form = h(
    'form',
    { class: 'whatif-form', id: 'whatif-form', novalidate: true },
    field('whatif-initial', 'Starting amount', moneyInput('whatif-initial', ''), 'Starts at what your portfolio is worth today.'),
    field('whatif-yearly', 'Added each year', moneyInput('whatif-yearly', '1200'), null),
    field('whatif-years', 'Years', h('input', { id: 'whatif-years', name: 'whatif-years', type: 'number', inputmode: 'numeric', min: 1, max: 50, step: 1, value: 10, 'aria-describedby': 'whatif-years-error' }), null),
    h('fieldset', { class: 'field strategies' }, h('legend', {}, 'Strategy'), h('div', { class: 'choices' }, strategyInputs), h('p', { class: 'field-hint' }, 'Riskier mixes have grown more over time, but swing more along the way.')),
  );
  form.addEventListener('submit', (e) => e.preventDefault());

  const valueEl = h('strong', { class: 'whatif-value num', id: 'whatif-value' });
  const rangeEl = h('p', { class: 'whatif-range' });
  const putInEl = h('p', { class: 'muted small' });
  const headline = h('p', { class: 'muted', id: 'whatif-headline' });
  const canvas = h('canvas', { role: 'img', id: 'whatif-chart' });
  const output = h(
    'div',
    { class: 'whatif-output', 'aria-live': 'polite' },
    headline,
    valueEl,
    rangeEl,
    putInEl,
    h('div', { class: 'chart-wrap chart-whatif' }, canvas),
    h(
      'p',
      { class: 'chart-key small muted', 'aria-hidden': 'true' },
      h('span', {}, h('span', { class: 'key key-line' }), 'Projected value'),
      h('span', {}, h('span', { class: 'key key-band' }), 'Likely range'),
      h('span', {}, h('span', { class: 'key key-dash' }), 'Money you put in'),
    ),
  );
  const disclaimer = h(
    'p',
    { class: 'disclaimer', id: 'whatif-disclaimer' },
    h('strong', {}, 'Hypothetical, not a guarantee. '),
    "This is an illustration, not a prediction or advice. It assumes a steady yearly return; real markets rise and fall, and you could lose money. The likely range shows where about 8 in 10 outcomes could land, given this strategy's typical ups and downs. Taxes, fees and inflation are not included.",
  );
  view.content(h('div', { class: 'whatif' }, form, output), disclaimer);

  const $ = (id) => form.querySelector(`#${id}`);

  function showErrors(errors) {
    for (const key of ['initial', 'yearly', 'years']) {
      const el = form.querySelector(`#whatif-${key}-error`);
      const input = $(`whatif-${key}`);
      el.textContent = errors[key] ?? '';
      el.hidden = !errors[key];
      input.setAttribute('aria-invalid', String(Boolean(errors[key])));
    }
  }

  function update() {
    const strategy = form.querySelector('input[name=whatif-strategy]:checked')?.value;
    const check = validateInputs({ initial: $('whatif-initial').value || '0', yearly: $('whatif-yearly').value || '0', years: $('whatif-years').value, strategy });
    showErrors(check.errors);
    if (!check.ok) {
      output.classList.add('is-invalid');
      return;
    }
    output.classList.remove('is-invalid');
    const p = project(check.values);
    const { years } = check.values;
    headline.textContent = `In ${years} ${years === 1 ? 'year' : 'years'} you could have`;
    valueEl.textContent = money(p.value);
    rangeEl.replaceChildren(h('span', { class: 'muted' }, 'Likely range '), h('strong', { class: 'num', id: 'whatif-low' }, money(p.low)), ' – ', h('strong', { class: 'num', id: 'whatif-high' }, money(p.high)));
    putInEl.textContent = `You put in ${money(p.contributed)}; growth ${money(p.growth, { sign: true })} at ${Math.round(p.strategy.rate * 100)}% a year.`;
    canvas.setAttribute('aria-label', `Projected growth over ${years} years: ${money(p.value)}, likely between ${money(p.low)} and ${money(p.high)}, from ${money(p.contributed)} put in.`);
    drawChart(p);
  }

  function drawChart(p) {
    if (!chartsLoaded()) {
      // the figures above the chart are already shown; the chart follows its library
      chartsReady().then(() => canvas.isConnected && update());
      return;
    }
    const accent = themeColor('accent');
    const labels = p.series.map((s) => s.year);
    const datasets = [
      { label: 'High', data: p.series.map((s) => s.high), borderWidth: 0, pointRadius: 0, fill: false },
      { label: 'Low', data: p.series.map((s) => s.low), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: withAlpha(accent, 0.16) },
      { label: 'Projected', data: p.series.map((s) => s.value), borderColor: accent, borderWidth: 2, pointRadius: 0, pointHoverRadius: 4, tension: 0.2 },
      { label: 'Put in', data: p.series.map((s) => s.contributed), borderColor: themeColor('text-muted'), borderDash: [5, 5], borderWidth: 1.5, pointRadius: 0, pointHoverRadius: 0 },
    ].map((d) => ({ ...d, data: d.data.map((y, x) => ({ x: labels[x], y })) }));
    if (chart) {
      chart.data.datasets = datasets;
      chart.options.scales.x.max = labels.at(-1);
      chart.update('none');
      return;
    }
    chart = newChart(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, max: labels.at(-1), grid: { display: false }, border: { display: false }, ticks: { maxTicksLimit: 6, precision: 0, callback: (v) => (Number.isInteger(v) ? (v === 0 ? 'Now' : `${v}y`) : '') } },
          y: { position: 'right', beginAtZero: true, border: { display: false }, ticks: { maxTicksLimit: 5, callback: (v, i, ticks) => compactLabels(ticks.map((t) => t.value))[i] } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => (items[0].parsed.x === 0 ? 'Today' : `After ${items[0].parsed.x} ${items[0].parsed.x === 1 ? 'year' : 'years'}`),
              label: (item) => `${item.dataset.label}: ${money(item.parsed.y, { whole: true })}`,
            },
            itemSort: (a, b) => b.parsed.y - a.parsed.y,
          },
        },
      },
    });
  }

  form.addEventListener('input', (event) => {
    if (event.target.id === 'whatif-initial') {
      initialEdited = true;
      event.target.classList.remove('is-masked'); // a number the reader types is theirs to see
    }
    update();
  });
  // The starting amount follows the live Total value until the reader types one.
  const onSummary = (event) => {
    if (initialEdited || event.detail.equity === null) return;
    const value = Number(event.detail.equity);
    if (!Number.isFinite(value) || value.toFixed(2) === $('whatif-initial').value) return;
    $('whatif-initial').value = value.toFixed(2);
    $('whatif-initial').classList.toggle('is-masked', isMoneyHidden()); // privacy mode
    update();
  };
  ctx.bus.addEventListener('summary', onSummary);
  $('whatif-initial').value = '0.00';
  update();

  return {
    destroy() {
      chart?.destroy();
      ctx.bus.removeEventListener('summary', onSummary);
    },
  };
}
