import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareValues, nextDirection, sortRows } from '../js/sort.js';

const rows = [
  { symbol: 'VTI', value: '17507.42', date: '2022-01-10T15:15:00Z' },
  { symbol: 'bnd', value: '1955.21', date: null },
  { symbol: 'QQQ', value: '8082.78', date: '2021-03-01T15:00:00Z' },
  { symbol: 'AAPL', value: null, date: '2023-05-01T15:00:00Z' },
];

test('numbers sort as numbers, not text', () => {
  assert.deepEqual(sortRows(rows, 'value', 'number', 'asc').map((r) => r.symbol), ['bnd', 'QQQ', 'VTI', 'AAPL']);
  assert.deepEqual(sortRows(rows, 'value', 'number', 'desc').map((r) => r.symbol), ['VTI', 'QQQ', 'bnd', 'AAPL']);
});

test('text ignores case; dates sort by time; missing values last both ways', () => {
  assert.deepEqual(sortRows(rows, 'symbol', 'text').map((r) => r.symbol), ['AAPL', 'bnd', 'QQQ', 'VTI']);
  assert.deepEqual(sortRows(rows, 'date', 'date', 'asc').map((r) => r.symbol), ['QQQ', 'VTI', 'AAPL', 'bnd']);
  assert.deepEqual(sortRows(rows, 'date', 'date', 'desc').map((r) => r.symbol), ['AAPL', 'VTI', 'QQQ', 'bnd']);
});

test('sorting is stable and does not change the input', () => {
  const same = [{ k: 1, id: 'a' }, { k: 1, id: 'b' }, { k: 0, id: 'c' }];
  assert.deepEqual(sortRows(same, 'k', 'number').map((r) => r.id), ['c', 'a', 'b']);
  assert.deepEqual(same.map((r) => r.id), ['a', 'b', 'c']);
  assert.equal(compareValues('10', '9', 'number'), 1);
  assert.equal(compareValues('10', '9', 'text'), 1);
});

test('header clicks flip direction; a new column starts at its default', () => {
  assert.equal(nextDirection('asc', true), 'desc');
  assert.equal(nextDirection('desc', true), 'asc');
  assert.equal(nextDirection('asc', false, 'desc'), 'desc');
});

test('300 rows sort quickly', () => {
  const many = Array.from({ length: 300 }, (_, i) => ({ v: String((i * 7919) % 300) }));
  const started = performance.now();
  const sorted = sortRows(many, 'v', 'number', 'desc');
  assert.ok(performance.now() - started < 50);
  assert.equal(sorted[0].v, '299');
});
