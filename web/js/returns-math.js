// The benchmark drawn in dollars: what the same deposits, made on the same dates, would be
// worth in the benchmark. Pure (tested with node --test).

const num = (v) => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/**
 * Starts at the first point's equity; each later point grows the previous value by the
 * benchmark's move and adds the net deposits that arrived in between (at the period's start,
 * as the time-weighted return assumes). `null` where the benchmark has no price yet.
 */
export function sameDatesValues(equity, netDeposits, benchmarkPct) {
  const out = [];
  let value = null;
  let lastBench = null;
  let lastDeposits = null;
  for (let i = 0; i < benchmarkPct.length; i += 1) {
    const bench = num(benchmarkPct[i]);
    const deposits = num(netDeposits?.[i]) ?? lastDeposits ?? 0;
    if (value === null) {
      const start = num(equity[i]);
      if (bench !== null && start !== null) {
        value = start;
        lastBench = bench;
      }
    } else if (bench !== null) {
      value = (value + (deposits - (lastDeposits ?? deposits))) * ((1 + bench / 100) / (1 + lastBench / 100));
      lastBench = bench;
    } else {
      value += deposits - (lastDeposits ?? deposits);
    }
    lastDeposits = deposits;
    out.push(value);
  }
  return out;
}
