// Sorting table rows by a column: stable, numbers as numbers, missing values always last.

/** The sortable value of a cell: numbers from decimal strings, times, or lower-case text. */
export function sortValue(value, type) {
  if (value === null || value === undefined || value === '') return null;
  if (type === 'number') {
    const n = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(n) ? n : null;
  }
  if (type === 'date') {
    const t = new Date(value).getTime();
    return Number.isNaN(t) ? null : t;
  }
  return String(value).toLocaleLowerCase('en-US');
}

/** Compare two values of one type; `dir` 'asc' or 'desc'. Missing values sort last either way. */
export function compareValues(a, b, type, dir = 'asc') {
  const x = sortValue(a, type);
  const y = sortValue(b, type);
  if (x === null && y === null) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  let order;
  if (type === 'text') order = x.localeCompare(y, 'en-US', { numeric: true });
  else order = x < y ? -1 : x > y ? 1 : 0;
  return dir === 'desc' ? -order : order;
}

/** A new array of `rows` sorted by `key` (stable: equal rows keep their order). */
export function sortRows(rows, key, type, dir = 'asc') {
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => compareValues(a.row[key], b.row[key], type, dir) || a.index - b.index)
    .map(({ row }) => row);
}

/** Next direction when a column header is activated: a new column starts at its default. */
export function nextDirection(current, sameColumn, defaultDir = 'asc') {
  if (!sameColumn) return defaultDir;
  return current === 'asc' ? 'desc' : 'asc';
}
