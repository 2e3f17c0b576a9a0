/**
 * C0 controls but the newline, DEL, and C1 controls: what a terminal may act on (ESC starts the
 * sequences that clear the screen, set the window title or show an OSC 8 link; BEL rings).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * `text` with each control character but the newline written as its `\u00XX` escape, so that no
 * payload field can act on the terminal. Every line the CLI prints goes through it. JSON output
 * stays valid and reads back the same: JSON.stringify escapes C0 already, and a C1 character can
 * only stand inside a string, where `\u0085` is JSON's own escape for it.
 */
export function printable(text: string): string {
  return text.replace(
    CONTROL,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

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
  if (typeof value === 'string') return printable(value.replace(/\s+/g, ' ')).slice(0, 80);
  return printable(JSON.stringify(value)).slice(0, 80);
}

/**
 * `key: value` lines for the fields that are present. A value of several lines keeps them, each
 * after the first indented under the value, so that no line of it can pass for another field.
 */
export function fields(record: Record<string, unknown>, names: string[]): string {
  const width = Math.max(...names.map((n) => n.length));
  const indent = ' '.repeat(width + 2);
  return names
    .filter((n) => record[n] !== undefined && record[n] !== null)
    .map((n) => {
      const value = record[n];
      const text = printable(typeof value === 'string' ? value : JSON.stringify(value));
      return `${n.padEnd(width)}  ${text.split('\n').join(`\n${indent}`)}`;
    })
    .join('\n');
}
