// Colour ramps for the 0-10 scores: risk 1 green → 5 yellow → 10 red; diversification the
// reverse (1 red → 5 yellow → 10 green). Pure functions returning CSS colours.

const GREEN = [152, 60, 48];
const YELLOW = [46, 92, 56];
const RED = [4, 84, 62];

export const RISK_STOPS = Object.freeze([
  [1, GREEN],
  [5, YELLOW],
  [10, RED],
]);
export const DIVERSIFICATION_STOPS = Object.freeze([
  [1, RED],
  [5, YELLOW],
  [10, GREEN],
]);

/** [h, s, l] at `score` along `stops` (clamped to the first and last stop). */
export function rampHsl(score, stops) {
  const x = Number.isFinite(score) ? score : stops[0][0];
  if (x <= stops[0][0]) return [...stops[0][1]];
  for (let i = 1; i < stops.length; i += 1) {
    const [x1, c1] = stops[i];
    if (x <= x1) {
      const [x0, c0] = stops[i - 1];
      const t = (x - x0) / (x1 - x0);
      return c0.map((v, k) => Math.round((v + (c1[k] - v) * t) * 10) / 10);
    }
  }
  return [...stops[stops.length - 1][1]];
}

export function hslCss([h, s, l]) {
  return `hsl(${h} ${s}% ${l}%)`;
}

export function riskColor(score) {
  return hslCss(rampHsl(score, RISK_STOPS));
}

export function diversificationColor(score) {
  return hslCss(rampHsl(score, DIVERSIFICATION_STOPS));
}

/** Colour for a score of the given kind ('risk' or 'diversification'). */
export function scoreColor(kind, score) {
  return kind === 'risk' ? riskColor(score) : diversificationColor(score);
}

/** Gauge fill as a fraction 0..1 of a 0-10 score. */
export function gaugeFraction(score) {
  if (!Number.isFinite(score)) return 0;
  return Math.min(1, Math.max(0, score / 10));
}
