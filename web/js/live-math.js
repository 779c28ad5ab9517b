// The live socket's positions topic applied to what the page shows: holdings rows, the
// allocation breakdown, the 1D chart's points. Pure functions (tested with node --test).

/** The live figures a positions message carries for a row (the API's field names). */
export const LIVE_FIELDS = ['current_price', 'market_value', 'today_pl', 'today_plpc', 'unrealized_pl', 'unrealized_plpc', 'weight_pct'];

function weightOf(marketValue, total) {
  const t = Number(total);
  return t > 0 ? Math.round((Number(marketValue) / t) * 10000) / 100 : 0;
}

/**
 * Holdings rows (from /api/portfolio/positions) after one positions message, in the same
 * order (sorting holds): the message's rows take its figures, and every row's weight is its
 * value over what the rows add up to (the message's total when they are the account's).
 * Returns `{rows, moved, unknown, gone}`: `moved` maps each symbol whose price changed to
 * 'up' or 'down'; `unknown` lists held symbols the page has no row for and `gone` rows a
 * complete message no longer holds (both mean: read the positions again).
 */
export function mergePositions(rows, message) {
  const live = new Map((message.positions ?? []).map((p) => [p.symbol, p]));
  const moved = new Map();
  const known = new Set();
  const merged = rows.map((row) => {
    known.add(row.symbol);
    const p = live.get(row.symbol);
    if (!p) return { ...row };
    const next = { ...row };
    for (const key of LIVE_FIELDS) if (key in p) next[key] = p[key];
    const before = Number(row.current_price);
    const after = Number(p.current_price);
    if (after !== before) moved.set(row.symbol, after > before ? 'up' : 'down');
    return next;
  });
  const total = sumValues(merged);
  for (const row of merged) row.weight_pct = weightOf(row.market_value, total);
  const unknown = [...live.keys()].filter((s) => !known.has(s));
  const gone = message.complete ? rows.map((r) => r.symbol).filter((s) => !live.has(s)) : [];
  return { rows: merged, moved, unknown, gone };
}

/** The rows' market values added up to the cent (in whole cents, so no float drift), as a
 * decimal string. */
export function sumValues(rows) {
  let cents = 0;
  for (const r of rows) cents += Math.round(Number(r.market_value) * 100);
  return (cents / 100).toFixed(2);
}

/**
 * The latest live row of every position: a complete message replaces the whole map, a
 * partial one updates its rows. Mutates and returns `latest` (a Map symbol → row).
 */
export function trackPositions(latest, message) {
  if (message.complete) latest.clear();
  for (const p of message.positions ?? []) latest.set(p.symbol, p);
  return latest;
}

/**
 * One breakdown (`view`: 'asset_class' or 'sector') at live values, as the service builds it:
 * each holding's value spread by its shares, plus cash under "Cash". `holdings` is the
 * analytics answer's `exposures.holdings`; `values` maps symbol → market value (numbers or
 * decimal strings). Returns a Map name → {market_value (number), pct}, or null while some
 * holding has no live value yet.
 */
export function liveBreakdown(holdings, values, cash, view) {
  const amounts = new Map();
  for (const holding of holdings ?? []) {
    const value = values.get(holding.symbol);
    if (value === undefined || value === null) return null;
    const v = Math.abs(Number(value));
    for (const { name, share } of holding[view] ?? []) amounts.set(name, (amounts.get(name) ?? 0) + v * share);
  }
  const c = Number(cash);
  if (c > 0) amounts.set('Cash', (amounts.get('Cash') ?? 0) + c);
  let total = 0;
  for (const v of amounts.values()) total += v;
  const out = new Map();
  for (const [name, v] of amounts) out.set(name, { market_value: v, pct: total > 0 ? (v / total) * 100 : 0 });
  return out;
}

/**
 * Which points to keep once a chart has more than `max`: the points from the service (`i`
 * not -1) all, and the live points (`i === -1`) thinned to every other one in their older
 * half, so a page left open all session keeps a bounded chart with its recent detail.
 * Returns the indexes to keep, in order (all of them when under `max`).
 */
export function thinLive(points, max) {
  const all = points.map((_, k) => k);
  if (points.length <= max) return all;
  const live = all.filter((k) => points[k].i === -1);
  const older = new Set(live.slice(0, Math.floor(live.length / 2)).filter((_, n) => n % 2 === 1));
  return all.filter((k) => !older.has(k));
}
