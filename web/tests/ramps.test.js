import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diversificationColor, gaugeFraction, rampHsl, RISK_STOPS, riskColor } from '../js/ramps.js';

test('risk: 1 green, 5 yellow, 10 red', () => {
  assert.equal(riskColor(1), 'hsl(152 60% 48%)');
  assert.equal(riskColor(5), 'hsl(46 92% 56%)');
  assert.equal(riskColor(10), 'hsl(4 84% 62%)');
});

test('diversification is the reverse', () => {
  assert.equal(diversificationColor(1), riskColor(10));
  assert.equal(diversificationColor(5), riskColor(5));
  assert.equal(diversificationColor(10), riskColor(1));
});

test('in between is interpolated; outside is clamped', () => {
  assert.deepEqual(rampHsl(3, RISK_STOPS), [99, 76, 52]);
  assert.equal(riskColor(0), riskColor(1));
  assert.equal(riskColor(12), riskColor(10));
  const hues = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => rampHsl(s, RISK_STOPS)[0]);
  assert.deepEqual([...hues].sort((a, b) => b - a), hues, 'hue falls from green to red');
});

test('gauge fraction of a 0-10 score', () => {
  assert.equal(gaugeFraction(5.1), 0.51);
  assert.equal(gaugeFraction(-1), 0);
  assert.equal(gaugeFraction(11), 1);
  assert.equal(gaugeFraction(NaN), 0);
});
