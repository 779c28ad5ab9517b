import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameDatesValues } from '../js/returns-math.js';

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
