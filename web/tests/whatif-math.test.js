import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  futureValue,
  project,
  rangeRates,
  roundCents,
  STRATEGIES,
  validateInputs,
} from '../js/whatif-math.js';

// Expected values computed independently with 50-digit decimal arithmetic of
// FV = P(1+r)^n + C((1+r)^n - 1)/r, rounded half-up to the cent.

test('future value matches the closed form to the cent', () => {
  assert.equal(roundCents(futureValue(10000, 1200, 0.07, 10)), 36251.25);
  assert.equal(roundCents(futureValue(33806.77, 0, 0.04, 5)), 41131.1);
  assert.equal(roundCents(futureValue(0, 6000, 0.1, 30)), 986964.14);
  assert.equal(roundCents(futureValue(1000, 100, 0.07, 1)), 1170);
});

test('a zero rate is plain saving', () => {
  assert.equal(futureValue(500, 100, 0, 3), 800);
});

test('projection: value, money put in, growth, and one point per year', () => {
  const p = project({ initial: 10000, yearly: 1200, years: 10, strategy: 'moderate' });
  assert.equal(p.value, 36251.25);
  assert.equal(p.contributed, 22000);
  assert.equal(p.growth, 14251.25);
  assert.equal(p.series.length, 11);
  assert.deepEqual(p.series[0], { year: 0, value: 10000, low: 10000, high: 10000, contributed: 10000 });
  assert.equal(p.series[1].value, 11900);
});

test('the likely range is the closed form at r -/+ 1.2816 sigma / sqrt(n)', () => {
  const p = project({ initial: 10000, yearly: 1200, years: 10, strategy: 'moderate' });
  assert.equal(p.low, 25576.33);
  assert.equal(p.high, 51601.38);
  assert.ok(p.low < p.value && p.value < p.high);
  const { low, high } = rangeRates(STRATEGIES.moderate, 10);
  assert.ok(Math.abs(low - 0.0213666994087385) < 1e-12);
  assert.ok(Math.abs(high - 0.1186333005912615) < 1e-12);
});

test('strategies are 4%, 7% and 10% a year', () => {
  assert.equal(STRATEGIES.conservative.rate, 0.04);
  assert.equal(STRATEGIES.moderate.rate, 0.07);
  assert.equal(STRATEGIES.aggressive.rate, 0.1);
  const a = project({ initial: 0, yearly: 6000, years: 30, strategy: 'aggressive' });
  assert.equal(a.value, 986964.14);
});

test('inputs are validated with plain messages', () => {
  assert.equal(validateInputs({ initial: '1,000', yearly: '0', years: '10', strategy: 'moderate' }).ok, true);
  const bad = validateInputs({ initial: '-1', yearly: 'abc', years: '0', strategy: 'wild' });
  assert.equal(bad.ok, false);
  assert.deepEqual(Object.keys(bad.errors).sort(), ['initial', 'strategy', 'yearly', 'years']);
  assert.equal(validateInputs({ initial: 1, yearly: 1, years: 2.5, strategy: 'moderate' }).ok, false);
});

test('roundCents rounds half away from zero', () => {
  assert.equal(roundCents(1.005), 1.01);
  assert.equal(roundCents(2.675), 2.68);
  assert.equal(roundCents(-1.005), -1.01);
});
