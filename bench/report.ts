/** Percentiles and the printed table, shared by every bench (no side effects on import). */
export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
export const median = (values: number[]) => percentile(values, 50);

export function printTable(title: string, rows: [string, string][]) {
  console.log(`\n${title} (${new Date().toISOString().slice(0, 10)})`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(78)} ${value}`);
}
