import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, csvFilename, toCsv } from '../js/csv.js';

test('plain fields are written as they are', () => {
  assert.equal(csvField('VTI'), 'VTI');
  assert.equal(csvField(''), '');
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(12), '12');
});

test('commas, quotes and line breaks are quoted, quotes doubled', () => {
  assert.equal(csvField('Vanguard, Inc.'), '"Vanguard, Inc."');
  assert.equal(csvField('the "best" fund'), '"the ""best"" fund"');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('cr\r\nlf'), '"cr\r\nlf"');
  assert.equal(csvField('"'), '""""');
});

test('text that a spreadsheet would run as a formula is defused; numbers are not', () => {
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField('+1 555'), "'+1 555");
  assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvField('-cmd'), "'-cmd");
  assert.equal(csvField('-12.50'), '-12.50');
  assert.equal(csvField('-7'), '-7');
});

test('decimal strings are kept exactly, never rounded through a float', () => {
  assert.equal(csvField('0.10000000000000000001'), '0.10000000000000000001');
  assert.equal(csvField('3.839111688'), '3.839111688');
  assert.equal(csvField('-361.91'), '-361.91');
  assert.equal(csvField('1000.00'), '1000.00');
});

test('a document: header, one CRLF line per row, computed columns', () => {
  const columns = [
    { key: 'symbol', label: 'Ticker' },
    { key: 'name', label: 'Name, full' },
    { label: 'Value', value: (r) => r.value },
  ];
  const rows = [
    { symbol: 'VTI', name: 'Vanguard "Total", Stock', value: '1234.50' },
    { symbol: 'BND', name: 'Bonds\nfund', value: null },
  ];
  assert.equal(
    toCsv(columns, rows),
    'Ticker,"Name, full",Value\r\nVTI,"Vanguard ""Total"", Stock",1234.50\r\nBND,"Bonds\nfund",\r\n',
  );
  assert.equal(toCsv(columns, []), 'Ticker,"Name, full",Value\r\n');
});

test('file names carry the local date', () => {
  assert.equal(csvFilename('holdings', new Date(2026, 0, 5, 23, 59)), 'holdings-2026-01-05.csv');
});
