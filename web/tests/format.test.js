import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  axisDate,
  bankLabel,
  calendarDate,
  compactLabels,
  compactMoney,
  direction,
  escapeHtml,
  money,
  pct,
  quantity,
  statusWords,
  tooltipDate,
} from '../js/format.js';

test('money: dollars and cents, signed when asked, a dash when missing', () => {
  assert.equal(money('1234.5'), '$1,234.50');
  assert.equal(money('170.64', { sign: true }), '+$170.64');
  assert.equal(money('-204.79', { sign: true }), '−$204.79');
  assert.equal(money('0.00', { sign: true }), '+$0.00');
  assert.equal(money(null), '—');
  assert.equal(money('33806.77', { whole: true }), '$33,807');
});

test('compact money for axes', () => {
  assert.equal(compactMoney(950), '$950');
  assert.equal(compactMoney(33500), '$33.5K');
  assert.equal(compactMoney(250000), '$250K');
  assert.equal(compactMoney(1500), '$1.5K');
  assert.equal(compactMoney(1250000), '$1.3M');
  assert.equal(compactMoney(-2000), '−$2K');
});

test('axis labels stay distinct', () => {
  assert.deepEqual(compactLabels([33000, 33500, 34000]), ['$33.0K', '$33.5K', '$34.0K']);
  assert.deepEqual(compactLabels([0, 20000, 40000]), ['$0', '$20K', '$40K']);
  assert.deepEqual(compactLabels([33250, 33500, 33750]), ['$33.25K', '$33.50K', '$33.75K']);
});

test('percentages carry a sign and two decimals', () => {
  assert.equal(pct(0.51), '+0.51%');
  assert.equal(pct(-9.48), '−9.48%');
  assert.equal(pct(0), '0.00%');
  assert.equal(pct(null), '—');
  assert.equal(pct(53.41, { sign: false, digits: 1 }), '53.4%');
});

test('quantities and directions', () => {
  assert.equal(quantity('55.177965443'), '55.178');
  assert.equal(quantity('10'), '10');
  assert.equal(direction('1.2'), 'up');
  assert.equal(direction('-0.5'), 'down');
  assert.equal(direction('0.001'), 'flat');
});

test('axis dates are shaped for the range, in market time', () => {
  const close = Date.UTC(2026, 10, 20, 21, 0) / 1000; // 4:00 PM ET, Fri Nov 20 2026
  assert.equal(axisDate(close, '1D'), '4:00 PM');
  assert.equal(axisDate(close, '1W'), '20 Fri');
  assert.equal(axisDate(close, '1M'), 'Nov 20');
  assert.equal(axisDate(close, '1Y'), "Nov '26");
  assert.equal(axisDate(close, 'MAX'), 'Nov 2026');
  assert.equal(tooltipDate(close, '1D'), 'Fri, Nov 20, 4:00 PM ET');
  assert.equal(tooltipDate(close, '3M'), 'Fri, Nov 20, 2026');
});

test('calendar dates: date-only values keep their day', () => {
  assert.equal(calendarDate('2026-11-20T00:00:00Z', { dateOnly: true }), 'Nov 20, 2026');
  assert.equal(calendarDate('2022-01-10T15:15:00Z'), 'Jan 10, 2022');
  assert.equal(calendarDate(null), '—');
});

test('words for statuses and banks, and HTML escaping', () => {
  assert.equal(statusWords('SENT_TO_CLEARING'), 'Sent to clearing');
  assert.equal(statusWords('executed'), 'Completed');
  assert.equal(statusWords('QUEUED'), 'Queued');
  assert.equal(bankLabel({ nickname: 'Checking', account_number: '••••8119' }), 'Checking ••••8119');
  assert.equal(escapeHtml('<a href="x">&</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
});

test('privacy mode masks every dollar amount and keeps percentages', async () => {
  const { HIDDEN_MONEY, setMoneyHidden, isMoneyHidden } = await import('../js/format.js');
  setMoneyHidden(true);
  try {
    assert.equal(isMoneyHidden(), true);
    assert.equal(money('1234.5'), HIDDEN_MONEY);
    assert.equal(money('-5', { sign: true }), HIDDEN_MONEY);
    assert.equal(compactMoney(33500), HIDDEN_MONEY);
    assert.deepEqual(compactLabels([1000, 2000]), ['', '']);
    assert.equal(money(null), '—');
    assert.equal(pct(2.23), '+2.23%');
    assert.ok(!HIDDEN_MONEY.match(/\d/));
  } finally {
    setMoneyHidden(false);
  }
  assert.equal(money('1234.5'), '$1,234.50');
});
