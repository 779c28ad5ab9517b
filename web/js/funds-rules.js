// Checks for the Add funds forms, the same the API makes, so mistakes show before sending.

/** `{ok, value, error}` for a deposit amount typed by a person ("1,250.50", "$100"). */
export function checkAmount(text, max = 50000) {
  const cleaned = String(text ?? '').replace(/[$,\s]/g, '');
  if (!cleaned) return { ok: false, error: 'Enter an amount.' };
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return { ok: false, error: 'Enter dollars and cents, like 100 or 100.50.' };
  const cents = Math.round(Number(cleaned) * 100);
  if (cents <= 0) return { ok: false, error: 'Enter an amount above $0.' };
  if (cents > Math.round(max * 100)) return { ok: false, error: `You can deposit up to $${max.toLocaleString('en-US')} at a time.` };
  return { ok: true, value: (cents / 100).toFixed(2) };
}

/** A US bank routing (ABA) number: 9 digits with a valid checksum. */
export function routingOk(text) {
  const digits = String(text ?? '').replace(/\s/g, '');
  if (!/^\d{9}$/.test(digits)) return false;
  const d = [...digits].map(Number);
  const sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
  return sum % 10 === 0;
}

export function accountNumberOk(text) {
  return /^\d{4,17}$/.test(String(text ?? '').replace(/\s/g, ''));
}

/** Transfer statuses that will not change any more. */
export const FINAL_STATUSES = new Set(['COMPLETE', 'CANCELED', 'REJECTED', 'RETURNED', 'FAILED']);
