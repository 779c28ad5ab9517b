// What-if projections: pure math, no DOM (tested with node --test against closed forms).
//
// The projected value assumes a steady yearly return r, the initial amount invested today and
// the yearly addition made at the end of each year:
//   FV = P·(1+r)^n + C·((1+r)^n − 1)/r        (FV = P + C·n when r = 0)
// The likely range uses each strategy's typical yearly swing σ: over n years the average yearly
// return spreads by about σ/√n, so the band is the same formula at r ∓ 1.2816·σ/√n, which
// covers about 8 outcomes in 10 (the 10th to 90th percentile of a normal spread).

export const STRATEGIES = Object.freeze({
  conservative: Object.freeze({ label: 'Conservative', rate: 0.04, volatility: 0.06 }),
  moderate: Object.freeze({ label: 'Moderate', rate: 0.07, volatility: 0.12 }),
  aggressive: Object.freeze({ label: 'Aggressive', rate: 0.1, volatility: 0.18 }),
});

export const RANGE_Z = 1.2816;
export const MAX_YEARS = 50;

/** Round to whole cents (half away from zero), for money shown to people. */
export function roundCents(value) {
  const sign = value < 0 ? -1 : 1;
  return (sign * Math.round(Math.abs(value) * 100 + 1e-7)) / 100;
}

/** Future value of `initial` now plus `yearly` at the end of each year, at `rate` a year. */
export function futureValue(initial, yearly, rate, years) {
  if (years <= 0) return initial;
  if (Math.abs(rate) < 1e-12) return initial + yearly * years;
  const growth = (1 + rate) ** years;
  return initial * growth + (yearly * (growth - 1)) / rate;
}

/** The yearly rates bounding the likely range after `years` years. */
export function rangeRates(strategy, years) {
  const spread = years > 0 ? (RANGE_Z * strategy.volatility) / Math.sqrt(years) : 0;
  return { low: Math.max(-0.99, strategy.rate - spread), high: strategy.rate + spread };
}

/** Checks and normalises the calculator's inputs; returns {ok, errors, values}. */
export function validateInputs({ initial, yearly, years, strategy }) {
  const errors = {};
  const num = (v) => (typeof v === 'number' ? v : Number(String(v ?? '').replace(/[$,\s]/g, '')));
  const p = num(initial);
  const c = num(yearly);
  const n = num(years);
  if (!Number.isFinite(p) || p < 0) errors.initial = 'Enter an amount of $0 or more.';
  else if (p > 1e9) errors.initial = 'Enter an amount under $1 billion.';
  if (!Number.isFinite(c) || c < 0) errors.yearly = 'Enter an amount of $0 or more.';
  else if (c > 1e8) errors.yearly = 'Enter an amount under $100 million.';
  if (!Number.isInteger(n) || n < 1 || n > MAX_YEARS) errors.years = `Enter whole years from 1 to ${MAX_YEARS}.`;
  if (!Object.hasOwn(STRATEGIES, strategy)) errors.strategy = 'Pick a strategy.';
  const ok = Object.keys(errors).length === 0;
  return { ok, errors, values: ok ? { initial: p, yearly: c, years: n, strategy } : null };
}

/**
 * The projection shown: final value, money put in, growth, the likely range, and a point per
 * year (year 0 = today) for the chart. Every amount is rounded to the cent.
 */
export function project({ initial, yearly, years, strategy }) {
  const s = STRATEGIES[strategy];
  if (!s) throw new Error(`unknown strategy: ${strategy}`);
  const series = [];
  for (let t = 0; t <= years; t += 1) {
    const { low, high } = rangeRates(s, t);
    series.push({
      year: t,
      value: roundCents(futureValue(initial, yearly, s.rate, t)),
      low: roundCents(futureValue(initial, yearly, low, t)),
      high: roundCents(futureValue(initial, yearly, high, t)),
      contributed: roundCents(initial + yearly * t),
    });
  }
  const last = series[series.length - 1];
  return {
    strategy: s,
    value: last.value,
    contributed: last.contributed,
    growth: roundCents(last.value - last.contributed),
    low: last.low,
    high: last.high,
    series,
  };
}
