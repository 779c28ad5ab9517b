import { test } from 'node:test';
import assert from 'node:assert/strict';
import { riskSentences, sameDatesValues } from '../js/returns-math.js';

const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test('no deposits: the first value grown by the benchmark', () => {
  const out = sameDatesValues(['1000.00', '1100.00', '900.00'], ['1000', '1000', '1000'], [0, 10, -5]);
  close(out[0], 1000);
  close(out[1], 1100);
  close(out[2], 950);
});

test('a deposit is added at the start of its period, then grows with the benchmark', () => {
  // docs/returns.md's example: $1,000 +10%, then $10,000 in, then −5%.
  const out = sameDatesValues(['1000', '1100', '10545'], ['1000', '1000', '11000'], [0, 10, 4.5]);
  close(out[1], 1100);
  close(out[2], (1100 + 10000) * 0.95);
});

test('points before the benchmark has a price stay empty', () => {
  const out = sameDatesValues(['500', '500', '550'], ['500', '500', '500'], [null, 0, 10]);
  assert.equal(out[0], null);
  close(out[1], 500);
  close(out[2], 550);
});

test('the range risk reads in plain words, with the fall dated', () => {
  const fmtPct = (v, { sign = true, digits = 2 } = {}) => `${sign && v > 0 ? '+' : ''}${v.toFixed(digits)}%`;
  const fmtDate = (iso) => iso.slice(0, 10);
  const out = riskSentences(
    { volatility_pct: 18.4, max_drawdown: { pct: -12.3, from: '2026-03-03T05:00:00Z', to: '2026-04-08T04:00:00Z' }, return_per_risk: 0.456 },
    'in the past year',
    fmtPct,
    fmtDate,
  );
  assert.deepEqual(out, [
    'Ups and downs: it swung about 18% a year (volatility).',
    'Biggest fall in the past year: -12.30% (from its high on 2026-03-03 to 2026-04-08).',
    'Return per unit of risk: 0.46 (higher means more return for the swings).',
  ]);
});

test('no fall and no statistics say so, or nothing', () => {
  const out = riskSentences({ volatility_pct: null, max_drawdown: { pct: 0 }, return_per_risk: null }, 'this month', String, String);
  assert.deepEqual(out, ['It never fell below an earlier high this month.']);
  assert.deepEqual(riskSentences(null, 'x', String, String), []);
});
