// CSV (RFC 4180) built in the browser from the API's JSON: fields with commas, quotes or line
// breaks are quoted, quotes doubled, lines end in CRLF. Decimal strings are written as they
// come, never through a float. Pure apart from `downloadCsv`.

// A text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is prefixed
// with an apostrophe; numbers, negative ones included, are left as they are.
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** One field: empty for null/undefined, defused if it could run as a formula, quoted when it
 * holds `,` `"` CR or LF. */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text) && !NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV document: `columns` are `{key, label}` (or `{label, value: (row) => …}`), one line each row. */
export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvField(c.label))];
  for (const row of rows) {
    lines.push(columns.map((c) => csvField(c.value ? c.value(row) : row[c.key])));
  }
  return `${lines.map((cells) => cells.join(',')).join('\r\n')}\r\n`;
}

/** "holdings-2026-11-25.csv": the name with the reader's local date. */
export function csvFilename(name, date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${name}-${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}.csv`;
}

/** Save `text` as a file (browser only). */
export function downloadCsv(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
