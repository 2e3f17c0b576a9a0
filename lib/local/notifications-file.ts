import { open, stat } from 'node:fs/promises';

/** How much of the file's end is read: enough for the latest few hundred notifications. */
const TAIL_BYTES = 512 * 1024;

/**
 * The latest `limit` notifications in the local stack's notifications file (one JSON line each,
 * appended as they are delivered), newest first; none when the file does not exist yet.
 */
export async function latestNotifications(file: string, limit: number): Promise<unknown[]> {
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size === 0) return [];
  const start = Math.max(0, size - TAIL_BYTES);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    // A partial first line (the read began mid-line) and the trailing newline are dropped.
    if (start > 0) lines.shift();
    const parsed: unknown[] = [];
    for (const line of lines.reverse()) {
      if (parsed.length >= limit) break;
      try {
        if (line.trim() !== '') parsed.push(JSON.parse(line));
      } catch {
        // a line being written: skipped
      }
    }
    return parsed;
  } finally {
    await handle.close();
  }
}
