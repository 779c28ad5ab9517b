// Money, numbers and dates for people, in one place. Pure functions (tested with node --test).

const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const USD_WHOLE = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 0,
});
const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
const MARKET_TZ = 'America/New_York';

/** Privacy mode: dollar amounts are masked everywhere they are formatted; percentages stay. */
export const HIDDEN_MONEY = '$•••••';
let moneyHidden = false;
export function setMoneyHidden(value) {
  moneyHidden = Boolean(value);
}
export function isMoneyHidden() {
  return moneyHidden;
}

/** A number from an API decimal string ("1234.56"), a number, or null. */
export function toNumber(value) {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** "$1,234.56"; with `sign`, "+$1,234.56" / "−$1,234.56". Missing values are "—". */
export function money(value, { sign = false, whole = false } = {}) {
  const n = toNumber(value);
  if (n === null) return '—';
  if (moneyHidden) return HIDDEN_MONEY;
  const text = (whole ? USD_WHOLE : USD).format(Math.abs(n));
  if (n < 0 && Math.abs(n) >= 0.005) return `−${text}`;
  return sign ? `+${text}` : text;
}

/** Short money for chart axes: "$950", "$33.5K", "$1.2M" (`decimals` fixed when given). */
export function compactMoney(value, decimals = null) {
  const n = toNumber(value);
  if (n === null) return '—';
  if (moneyHidden) return HIDDEN_MONEY;
  const abs = Math.abs(n);
  const minus = n < 0 ? '−' : '';
  const [unit, suffix] =
    abs >= 1e9 ? [1e9, 'B'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'K'] : [1, ''];
  const scaled = abs / unit;
  const places = decimals ?? (unit === 1 || scaled >= 100 ? 0 : 1);
  let text = scaled.toFixed(places);
  if (decimals === null) text = text.replace(/\.0$/, '');
  return `${minus}$${text}${suffix}`;
}

/** Axis labels for a set of tick values: as short as possible while exact and all different. */
export function compactLabels(values) {
  if (moneyHidden) return values.map(() => '');
  const exact = (v, d) => {
    const abs = Math.abs(v);
    const unit = abs >= 1e9 ? 1e9 : abs >= 1e6 ? 1e6 : abs >= 1e3 ? 1e3 : 1;
    const x = (abs / unit) * 10 ** d;
    return unit === 1 || Math.abs(x - Math.round(x)) < 1e-6;
  };
  for (let decimals = 0; decimals <= 2; decimals += 1) {
    const labels = values.map((v) => compactMoney(v, decimals));
    if (new Set(labels).size === labels.length && values.every((v) => exact(v, decimals))) {
      return labels.map((l) => l.replace(/^(−?\$\d+)(\.0+)?$/, '$1'));
    }
  }
  return values.map((v) => money(v, { whole: true }));
}

/** "+2.23%" (sign by default), "0.00%", or "—" when there is no percentage. */
export function pct(value, { sign = true, digits = 2 } = {}) {
  const n = toNumber(value);
  if (n === null) return '—';
  const text = `${Math.abs(n).toFixed(digits)}%`;
  if (n < 0 && Math.abs(n) >= 0.5 * 10 ** -digits) return `−${text}`;
  return sign && n > 0 ? `+${text}` : text;
}

/** Shares: up to 4 decimals, no trailing zeros ("55.178"). */
export function quantity(value) {
  const n = toNumber(value);
  return n === null ? '—' : NUMBER.format(n);
}

/** "up", "down" or "flat": the colour a change gets. */
export function direction(value) {
  const n = toNumber(value);
  if (n === null || Math.abs(n) < 0.005) return 'flat';
  return n > 0 ? 'up' : 'down';
}

const formatters = new Map();
function fmt(options) {
  const key = JSON.stringify(options);
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat('en-US', options));
  return formatters.get(key);
}

const INTRADAY = new Set(['1D', '1W']);

/** A chart axis label for an epoch-seconds timestamp, shaped for the range shown. */
export function axisDate(epochSeconds, period) {
  const d = new Date(epochSeconds * 1000);
  const tz = { timeZone: MARKET_TZ };
  switch (period) {
    case '1D':
      return fmt({ ...tz, hour: 'numeric', minute: '2-digit' }).format(d);
    case '1W':
      return fmt({ ...tz, weekday: 'short', day: 'numeric' }).format(d);
    case '1M':
    case '3M':
    case '6M':
    case 'YTD':
      return fmt({ ...tz, month: 'short', day: 'numeric' }).format(d);
    case '1Y':
      return fmt({ ...tz, month: 'short', year: '2-digit' }).format(d).replace(' ', " '");
    default:
      return fmt({ ...tz, month: 'short', year: 'numeric' }).format(d);
  }
}

/** A tooltip date: with the time (ET) for intraday ranges, the full date otherwise. */
export function tooltipDate(epochSeconds, period) {
  const d = new Date(epochSeconds * 1000);
  if (INTRADAY.has(period)) {
    const text = fmt({
      timeZone: MARKET_TZ,
      weekday: 'short',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
    }).format(d);
    return `${text} ET`;
  }
  return fmt({
    timeZone: MARKET_TZ,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    year: 'numeric',
  }).format(d);
}

/** "Nov 20, 2026" for an RFC 3339 time; `dateOnly` times (midnight UTC) keep their day. */
export function calendarDate(iso, { dateOnly = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return fmt({
    timeZone: dateOnly ? 'UTC' : MARKET_TZ,
    month: 'short',
    day: 'numeric',
    year: 'numeric',
  }).format(d);
}

/** "12:04:31 PM": when a live value was last updated (the reader's own clock). */
export function clockTime(iso) {
  const d = iso ? new Date(iso) : new Date();
  return fmt({ hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(d);
}

/** Words for a range, for headings and screen readers: "past month". */
export const PERIOD_WORDS = {
  '1D': 'today',
  '1W': 'past week',
  '1M': 'past month',
  '3M': 'past 3 months',
  '6M': 'past 6 months',
  YTD: 'this year',
  '1Y': 'past year',
  MAX: 'since you started',
};

/** "Checking ••••8119". */
export function bankLabel(bank) {
  const name = bank.nickname || (bank.account_type === 'savings' ? 'Savings' : 'Checking');
  return `${name} ${bank.account_number || ''}`.trim();
}

/** "Queued" from "QUEUED", "Sent to clearing" from "SENT_TO_CLEARING". */
export function statusWords(status) {
  if (!status) return '—';
  const words = String(status).toLowerCase().replaceAll('_', ' ');
  const named = { executed: 'Completed', complete: 'Completed', filled: 'Filled' };
  return named[words] ?? words.charAt(0).toUpperCase() + words.slice(1);
}

/** Escape text for HTML built from strings (tables with hundreds of rows). */
export function escapeHtml(value) {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}
