/** A plain text table: a header row, then rows, columns padded to their widest cell. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(cell))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return value.replace(/\s+/g, ' ').slice(0, 80);
  return JSON.stringify(value).slice(0, 80);
}

/** `key: value` lines for the fields that are present. */
export function fields(record: Record<string, unknown>, names: string[]): string {
  const width = Math.max(...names.map((n) => n.length));
  return names
    .filter((n) => record[n] !== undefined && record[n] !== null)
    .map(
      (n) =>
        `${n.padEnd(width)}  ${typeof record[n] === 'string' ? record[n] : JSON.stringify(record[n])}`,
    )
    .join('\n');
}
