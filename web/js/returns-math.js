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

/**
 * The range's risk in plain words, from the history's `stats`: how much the value swung
 * (annualised volatility), its deepest fall from a high with the dates, and return per unit
 * of risk. `formatPct` and `formatDate` are injected so this stays pure. Returns sentences.
 */
export function riskSentences(stats, periodWords, formatPct, formatDate) {
  if (!stats) return [];
  const out = [];
  const vol = num(stats.volatility_pct);
  if (vol !== null) {
    out.push(`Ups and downs: it swung about ${formatPct(vol, { sign: false, digits: 0 })} a year (volatility).`);
  }
  const drop = num(stats.max_drawdown?.pct);
  if (drop !== null && drop < 0) {
    const from = formatDate(stats.max_drawdown.from);
    const to = formatDate(stats.max_drawdown.to);
    out.push(`Biggest fall ${periodWords}: ${formatPct(drop)} (from its high on ${from} to ${to}).`);
  } else if (drop !== null) {
    out.push(`It never fell below an earlier high ${periodWords}.`);
  }
  const ratio = num(stats.return_per_risk);
  if (ratio !== null) {
    out.push(`Return per unit of risk: ${ratio.toFixed(2)} (higher means more return for the swings).`);
  }
  return out;
}
