import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveBreakdown, mergePositions, sumValues, thinLive, trackPositions } from '../js/live-math.js';

const rows = [
  { symbol: 'VTI', name: 'Vanguard Total', current_price: '300', market_value: '3000.00', today_pl: '10.00', today_plpc: 0.33, unrealized_pl: '500.00', unrealized_plpc: 20, weight_pct: 75 },
  { symbol: 'BND', name: 'Vanguard Bond', current_price: '50', market_value: '1000.00', today_pl: '0.00', today_plpc: 0, unrealized_pl: '-10.00', unrealized_plpc: -0.99, weight_pct: 25 },
];

test('a partial message moves its rows, keeps the order, and reweighs every row', () => {
  const message = {
    type: 'positions',
    complete: false,
    positions: [{ symbol: 'BND', qty: '20', current_price: '45', market_value: '900.00', today_pl: '-100.00', today_plpc: -10, unrealized_pl: '-110.00', unrealized_plpc: -10.89, weight_pct: 23.08 }],
    total_market_value: '3900.00',
  };
  const out = mergePositions(rows, message);
  assert.deepEqual(out.rows.map((r) => r.symbol), ['VTI', 'BND']);
  assert.equal(out.rows[1].market_value, '900.00');
  assert.equal(out.rows[1].name, 'Vanguard Bond');
  assert.equal(out.rows[1].today_pl, '-100.00');
  assert.equal(out.rows[0].market_value, '3000.00');
  assert.equal(out.rows[0].weight_pct, 76.92);
  assert.equal(out.rows[1].weight_pct, 23.08);
  assert.deepEqual([...out.moved], [['BND', 'down']]);
  assert.deepEqual(out.unknown, []);
  assert.deepEqual(out.gone, []);
  assert.equal(rows[1].market_value, '1000.00', 'the input rows are left as they were');
});

test('a complete message names positions the page lacks or no longer holds', () => {
  const message = { complete: true, positions: [{ symbol: 'VTI', current_price: '300', market_value: '3000.00' }, { symbol: 'AAPL', current_price: '200', market_value: '200.00' }], total_market_value: '3200.00' };
  const out = mergePositions(rows, message);
  assert.deepEqual(out.unknown, ['AAPL']);
  assert.deepEqual(out.gone, ['BND']);
  assert.equal(out.moved.size, 0);
});

test('the latest rows: complete replaces, partial updates', () => {
  const latest = new Map();
  trackPositions(latest, { complete: true, positions: [{ symbol: 'A', market_value: '1.00' }, { symbol: 'B', market_value: '2.00' }] });
  trackPositions(latest, { complete: false, positions: [{ symbol: 'B', market_value: '3.00' }] });
  assert.deepEqual([...latest.keys()], ['A', 'B']);
  assert.equal(latest.get('B').market_value, '3.00');
  trackPositions(latest, { complete: true, positions: [{ symbol: 'C', market_value: '4.00' }] });
  assert.deepEqual([...latest.keys()], ['C']);
});

test('a breakdown at live values spreads funds by their shares and adds cash', () => {
  const holdings = [
    { symbol: 'VTI', asset_class: [{ name: 'US stocks', share: 1 }], sector: [{ name: 'Technology', share: 0.3 }, { name: 'Health care', share: 0.7 }] },
    { symbol: 'BND', asset_class: [{ name: 'Fixed income', share: 1 }], sector: [{ name: 'Fixed income', share: 1 }] },
  ];
  const values = new Map([['VTI', '3000.00'], ['BND', '1000.00']]);
  const byClass = liveBreakdown(holdings, values, '1000.00', 'asset_class');
  assert.deepEqual([...byClass.keys()], ['US stocks', 'Fixed income', 'Cash']);
  assert.equal(byClass.get('US stocks').market_value, 3000);
  assert.equal(byClass.get('US stocks').pct, 60);
  assert.equal(byClass.get('Cash').pct, 20);
  const bySector = liveBreakdown(holdings, values, 0, 'sector');
  assert.ok(Math.abs(bySector.get('Health care').market_value - 2100) < 1e-9);
  assert.equal(bySector.has('Cash'), false);
  assert.equal(liveBreakdown(holdings, new Map([['VTI', '1.00']]), 0, 'sector'), null, 'a holding without a live value yet');
});

test('a long-open chart keeps every service point and thins its older live points', () => {
  const points = [...Array(10)].map((_, k) => ({ t: k, i: k })).concat([...Array(20)].map((_, k) => ({ t: 10 + k, i: -1 })));
  assert.equal(thinLive(points, 40).length, 30);
  const kept = thinLive(points, 25);
  assert.deepEqual(kept.slice(0, 10), [...Array(10).keys()], 'service points all stay');
  assert.equal(kept.length, 25);
  assert.deepEqual(kept.slice(-10), [...Array(10)].map((_, k) => 20 + k), 'the newest live points all stay');
});

test('rows add up to the cent without float drift', () => {
  const rows = [...Array(300)].map(() => ({ market_value: '0.10' }));
  assert.equal(sumValues(rows), '30.00');
  assert.equal(sumValues([{ market_value: '1877.41' }, { market_value: '-0.01' }]), '1877.40');
  assert.equal(sumValues([]), '0.00');
});
