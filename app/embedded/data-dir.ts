/**
 * DATA_DIR holds documents, the embedded database and secrets: only the owning user may read it,
 * whatever the umask the process was started with.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export function prepareDataDir(dir: string): void {
  // Everything this process creates from here on (PGlite's files and WAL, the Temporal SQLite, logs) is owner-only.
  process.umask(0o077);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  // Earlier versions left files 0666 and directories 0777 here: close them before anything is served.
  repairModesSync(dir);
}

const wanted = (st: fs.Stats) => (st.isDirectory() ? 0o700 : 0o600);

/** Directories 0700, everything else 0600, throughout the tree (symbolic links are not followed). */
export function repairModesSync(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const st = fs.lstatSync(p);
    if ((st.mode & 0o777) !== wanted(st)) fs.chmodSync(p, wanted(st));
    if (entry.isDirectory()) repairModesSync(p);
  }
}

/** The asynchronous form, for trees the process has just had a library populate (PGlite's data directory). */
export async function repairModes(dir: string): Promise<void> {
  try {
    await repairTree(dir);
  } catch (err) {
    // A short-lived file (a temp file of the database) may vanish while the tree is walked.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await repairTree(dir);
  }
}

async function repairTree(dir: string): Promise<void> {
  const st = await fsp.lstat(dir);
  if ((st.mode & 0o777) !== 0o700) await fsp.chmod(dir, 0o700);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await repairTree(p);
    else {
      const s = await fsp.lstat(p);
      if ((s.mode & 0o777) !== 0o600) await fsp.chmod(p, 0o600);
    }
  }
}
