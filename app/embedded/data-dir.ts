/**
 * DATA_DIR holds documents, the embedded database and secrets: only the owning user may read it,
 * whatever the umask the process was started with.
 */
import fs from 'node:fs';

export function prepareDataDir(dir: string): void {
  // Everything this process creates from here on (PGlite's files and WAL, the Temporal SQLite, logs) is owner-only.
  process.umask(0o077);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}
