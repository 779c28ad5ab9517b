// #summary: total value and today's return, live over the WebSocket when the service has it.
// The same socket carries the positions topic, told to the other sections as `positions`.
import { getToken } from '../api.js';
import { LiveFeed } from '../live.js';
import { trackPositions } from '../live-math.js';
import { clockTime, direction, money, pct } from '../format.js';
import { h, SectionView, trendClass, withStates } from '../dom.js';

const POLL_MS = 60_000;
const CHANGED_SETTLE_MS = 300;
const STATUS = {
  connecting: ['pending', 'Connecting…', 'Connecting to live prices.'],
  live: ['live', 'Live', 'Values update as prices change.'],
  stale: ['delayed', 'Delayed', 'Prices are a little behind right now.'],
  delayed: ['delayed', 'Delayed', 'Values refresh every minute.'],
  market_closed: ['closed', 'Market closed', 'Prices move again when the market opens.'],
  reconnecting: ['pending', 'Reconnecting…', 'Live prices paused; reconnecting.'],
  offline: ['delayed', 'Delayed', 'Live prices are unavailable; values refresh every minute.'],
};

export function mount(root, ctx) {
  const view = new SectionView(root);
  const state = { equity: null, today: null, cash: null, marketOpen: true, asOf: null, status: 'delayed' };
  let feed = null;
  let poll = null;
  let els = null;
  let destroyed = false;
  let changedTimer = null;
  const changedParts = new Set();

  /** What the broker changed, told to the other sections once a burst (new, partial fills,
   * fill) has passed; this section reads the cash again. */
  function brokerChanged(what) {
    for (const w of what) changedParts.add(w);
    clearTimeout(changedTimer);
    changedTimer = setTimeout(() => {
      const detail = { what: [...changedParts] };
      changedParts.clear();
      if (destroyed) return;
      ctx.bus.dispatchEvent(new CustomEvent('broker-changed', { detail }));
      loadRest(true);
    }, CHANGED_SETTLE_MS);
  }

  function build() {
    const value = h('p', { class: 'hero-value num', id: 'total-value', 'aria-live': 'off' });
    const today = h('p', { class: 'hero-change num', id: 'today-return' });
    const badge = h('span', { class: 'live-badge', id: 'live-status', role: 'status' });
    const updated = h('span', { class: 'muted small', id: 'live-updated' });
    const cash = h('span', { class: 'num' });
    view.content(
      h(
        'div',
        { class: 'hero' },
        h(
          'div',
          { class: 'hero-main' },
          h('div', { class: 'eyebrow-row' }, h('p', { class: 'eyebrow' }, 'Total value'), badge),
          value,
          h('div', { class: 'hero-today' }, today, h('span', { class: 'muted' }, "Today's return")),
          h('p', { class: 'muted small hint' }, "How much your investments gained or lost today. Money you add doesn't count as a gain."),
        ),
        h(
          'div',
          { class: 'hero-side' },
          h('p', { class: 'hero-cash' }, h('span', { class: 'muted small' }, 'Cash ready to invest'), cash),
          updated,
        ),
      ),
    );
    els = { value, today, badge, updated, cash };
  }

  function render(flash = false) {
    if (!els) build();
    const dir = direction(state.today?.amount);
    els.value.textContent = money(state.equity);
    els.today.className = `hero-change num ${trendClass(dir)}`;
    const arrow = dir === 'up' ? '▲' : dir === 'down' ? '▼' : '';
    const todayPct = state.today?.pct === null || state.today?.pct === undefined ? '' : ` (${pct(state.today.pct)})`;
    els.today.textContent = `${arrow} ${money(state.today?.amount, { sign: dir !== 'flat' })}${todayPct}`.trim();
    els.cash.textContent = money(state.cash);
    const key = state.status === 'live' && !state.marketOpen ? 'market_closed' : state.status;
    const [kind, label, title] = STATUS[key] ?? STATUS.delayed;
    els.badge.className = `live-badge live-${kind}`;
    els.badge.textContent = label;
    els.badge.title = title;
    els.badge.setAttribute('aria-label', `${label}. ${title}`);
    els.updated.textContent = state.asOf ? `Updated ${clockTime(state.asOf)}` : '';
    if (flash) {
      els.value.classList.remove('flash');
      void els.value.offsetWidth;
      els.value.classList.add('flash');
    }
    ctx.bus.dispatchEvent(new CustomEvent('summary', { detail: { ...state } }));
  }

  async function loadRest(quiet = false) {
    await withStates(view, {
      skeleton: 'hero',
      what: 'your total value',
      quiet,
      load: async () => {
        const s = await ctx.api('/api/portfolio/summary');
        Object.assign(state, {
          equity: s.equity,
          today: s.today_return,
          cash: s.cash,
          marketOpen: s.market_open,
          asOf: s.as_of,
          allTime: s.all_time_return,
          netDeposits: s.net_deposits,
          twr: {
            cumulative: { pct: s.twr_cumulative_pct, reason: s.twr_cumulative_reason },
            annual: { pct: s.twr_annual_pct, reason: s.twr_annual_reason },
          },
          mwr: {
            cumulative: { pct: s.mwr_cumulative_pct, reason: s.mwr_cumulative_reason },
            annual: { pct: s.mwr_annual_pct, reason: s.mwr_annual_reason },
          },
        });
        if (!feed || state.status === 'offline') state.status = s.market_open ? 'delayed' : 'market_closed';
        if (s.stale) state.status = 'stale';
        els = view.root.dataset.state === 'ready' ? els : null;
        render();
      },
    });
  }

  function startLive() {
    const path = ctx.session.live_path;
    // The first load can finish after the page was torn down (logged out, privacy toggled):
    // a feed started then would never be stopped.
    if (!path || destroyed) return;
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    feed = new LiveFeed({
      url: `${scheme}//${window.location.host}${path}`,
      token: getToken(),
      topics: ['positions'],
      onPositions: (m) => {
        trackPositions(ctx.livePositions, m);
        ctx.bus.dispatchEvent(new CustomEvent('positions', { detail: m }));
      },
      onSnapshot: (m) => {
        Object.assign(state, { equity: m.equity, today: m.today_return, cash: m.cash ?? state.cash, marketOpen: m.market_open ?? state.marketOpen, asOf: m.as_of });
        if (view.root.dataset.state === 'ready') render(true);
      },
      onUpdate: (m) => {
        const changed = m.equity !== state.equity;
        Object.assign(state, { equity: m.equity, today: m.today_return ?? state.today, asOf: m.as_of });
        if (view.root.dataset.state === 'ready') render(changed);
      },
      onChanged: brokerChanged,
      onSessionEnded: () => window.dispatchEvent(new CustomEvent('portfolio:signed-out', { detail: { ended: true } })),
      onStatus: (status) => {
        state.status = status;
        if (status === 'market_closed') state.marketOpen = false;
        if (status === 'live') state.marketOpen = true;
        if (view.root.dataset.state === 'ready') render();
      },
    }).start();
  }

  const onVisible = () => {
    if (document.visibilityState === 'visible') feed?.nudge();
  };
  const onFunds = () => loadRest(true);

  loadRest().then(startLive);
  poll = setInterval(() => {
    if (!feed || state.status !== 'live') loadRest(true);
  }, POLL_MS);
  document.addEventListener('visibilitychange', onVisible);
  ctx.bus.addEventListener('funds-changed', onFunds);

  return {
    destroy() {
      destroyed = true;
      clearTimeout(changedTimer);
      clearInterval(poll);
      feed?.stop();
      feed = null;
      document.removeEventListener('visibilitychange', onVisible);
      ctx.bus.removeEventListener('funds-changed', onFunds);
    },
  };
}
