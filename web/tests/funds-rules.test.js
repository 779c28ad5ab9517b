import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountNumberOk, checkAmount, routingOk } from '../js/funds-rules.js';

test('amounts: dollars and cents, above zero, within the limit', () => {
  assert.deepEqual(checkAmount('1,250.5'), { ok: true, value: '1250.50' });
  assert.deepEqual(checkAmount('$100'), { ok: true, value: '100.00' });
  assert.equal(checkAmount('').ok, false);
  assert.equal(checkAmount('0').ok, false);
  assert.equal(checkAmount('10.123').ok, false);
  assert.equal(checkAmount('-5').ok, false);
  assert.equal(checkAmount('abc').ok, false);
  assert.equal(checkAmount('50000.01', 50000).ok, false);
  assert.equal(checkAmount('50000', 50000).ok, true);
});

test('routing numbers need the ABA checksum', () => {
  assert.equal(routingOk('021000021'), true);
  assert.equal(routingOk('011000015'), true);
  assert.equal(routingOk('021000022'), false);
  assert.equal(routingOk('12345'), false);
  assert.equal(accountNumberOk('000123456789'), true);
  assert.equal(accountNumberOk('12'), false);
});
