const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses hotglue's times to epoch microseconds, keeping the microseconds of Python's isoformat
 * (`2024-10-07T07:50:28.076586+00:00`) that Date.parse drops. Numbers are epoch milliseconds (as
 * in `status_timestamp`). Returns undefined for anything else, and for a time whose microseconds
 * are not a safe integer (before 1685 or after 2255, such as `1e20`): the event is stored, with
 * that value as given, as an event without a time.
 */
export function toEpochMicros(value: unknown): number | undefined {
  if (typeof value === 'number') return safe(Math.round(value * 1000));
  if (typeof value !== 'string') return undefined;
  const match = ISO.exec(value.trim());
  if (match === null) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3] ?? 'Z'}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = (match[2] ?? '').padEnd(6, '0').slice(0, 6);
  return safe(seconds * 1000 + Number(fraction));
}

const safe = (micros: number): number | undefined =>
  Number.isSafeInteger(micros) ? micros : undefined;

/** Epoch microseconds as an ISO string with microseconds (sortable as text). */
export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = String(micros - ms * 1000).padStart(3, '0');
  return new Date(ms).toISOString().replace(/Z$/, `${rest}Z`);
}

/** The longest duration parseSince takes: 10 years of 365 days (3650d, 87600h). */
const DURATION_MAX_DAYS = 3650;

/**
 * Whether the date and time an ISO time writes exist: a day that its month has (not 30
 * February, which Date.parse reads as 2 March), an hour below 24. Date.parse refuses the rest.
 */
function exists(value: string): boolean {
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/i.exec(value.trim());
  if (parts === null) return false;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as number[];
  const at = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
  at.setUTCFullYear(year ?? 0); // Date.UTC reads years 0 to 99 as 1900 to 1999
  return (
    at.getUTCFullYear() === year &&
    at.getUTCMonth() + 1 === month &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second
  );
}

/**
 * Parses `--since`: an ISO time that exists, or a duration back from now such as 24h, 30m, 7d,
 * of at most DURATION_MAX_DAYS. Anything else throws, with one message per kind of mistake.
 */
export function parseSince(value: string, option = '--since', now: Date = new Date()): Date {
  const duration = /^(\d+)\s*([smhdw])$/i.exec(value.trim());
  if (duration !== null) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[
      (duration[2] ?? 's').toLowerCase() as 's'
    ];
    const seconds = Number(duration[1]) * unit;
    if (seconds > DURATION_MAX_DAYS * 86400)
      throw new Error(
        `${option} must be a duration of at most 10 years (${DURATION_MAX_DAYS}d), got "${value}"`,
      );
    return new Date(now.getTime() - seconds * 1000);
  }
  const micros = toEpochMicros(value);
  if (micros === undefined)
    throw new Error(`${option} must be an ISO time or a duration like 24h, got "${value}"`);
  if (!exists(value))
    throw new Error(`${option} must be a time that exists (no such day or hour), got "${value}"`);
  return new Date(Math.floor(micros / 1000));
}

/** A duration in milliseconds as the DURATION settings take it: 2h, 15m, 90s. */
export function durationText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const)
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}
