/**
 * Where the CLI's logs go while it runs the pipeline: a file under DATA_DIR/logs, one a day (UTC),
 * owner-only, appended to. The terminal gets only the command's own lines.
 */
import fs from 'node:fs';
import path from 'node:path';

/** `DATA_DIR/logs/medextract-YYYY-MM-DD.log`. */
export function cliLogFile(dataDir: string, now = new Date()): string {
  return path.join(dataDir, 'logs', `medextract-${now.toISOString().slice(0, 10)}.log`);
}

/** Opens `file` for appending (creating its folder), mode 600 whatever the umask or an earlier mode; returns the descriptor. */
export function openLogFile(file: string): number {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, 'a', 0o600);
  fs.fchmodSync(fd, 0o600);
  return fd;
}
