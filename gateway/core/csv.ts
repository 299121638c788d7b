/**
 * One CSV cell writer for every export (history, KPIs). RFC 4180 quoting, and formula injection
 * defused: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
 * with `'` so a spreadsheet shows it as text instead of running it (README.md, "Security").
 * Numbers are written as numbers: a negative value stays a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * The formula-injection rule on its own, for every spreadsheet export (CSV here, Excel cells in
 * gateway/archive/xlsx.ts): text starting with `=`, `+`, `-`, `@`, a tab or a CR gets a leading `'`.
 */
export function defuseFormula(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = defuseFormula(String(v));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',');
}
