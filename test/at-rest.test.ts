/**
 * At rest, embedded mode: `npm start` launched with a hostile umask (000) on a DATA_DIR that an
 * earlier version left world-readable processes a document; then every file under DATA_DIR — the
 * PGlite data and WAL, the Temporal SQLite, secrets, logs — must be 0600 and every directory 0700,
 * and the embedded Postgres must not be reachable over TCP at all (PGlite has no authentication, so
 * any local user who could connect would read everything): its URL names a Unix socket inside
 * DATA_DIR, and none of the process's TCP listeners answers the Postgres protocol.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { spawnProcess } from '../harness/process.js';
import { readCorpus, requireRunEnv, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm } from './support/api.js';

const { tmp } = requireRunEnv();

/** Every path under `dir` whose mode is not owner-only (files 0600, directories 0700), and what was seen. */
function modeReport(dir: string): { wrong: string[]; files: string[] } {
  const wrong: string[] = [];
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      // SQLite's and Postgres's short-lived files (journals, temp files) may go between readdir and lstat.
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      const mode = st.mode & 0o777;
      const want = st.isDirectory() ? 0o700 : 0o600;
      if (mode !== want) wrong.push(`${path.relative(dir, p)} ${mode.toString(8)}`);
      if (st.isDirectory() && fs.existsSync(p)) walk(p);
      else files.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return { wrong, files };
}

/** The TCP ports process `pid` listens on (from /proc: its socket inodes matched to LISTEN entries). */
function tcpListenPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the fd closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.add(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return [...ports];
}

/** Whether a Postgres server answers on 127.0.0.1:port: an SSLRequest gets a one-byte 'S' or 'N'. */
function speaksPostgres(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    const done = () => {
      s.destroy();
      resolve(got === 'N' || got === 'S');
    };
    s.setTimeout(2000, done);
    s.on('close', done);
    s.on('error', () => resolve(false));
  });
}

describe('embedded mode at rest, started with umask 000', () => {
  const dataDir = path.join(tmp, 'at-rest');
  let main: ChildHandle;
  let apiUrl: string;

  before(async () => {
    // What an earlier version left behind: a world-readable DATA_DIR with world-readable contents.
    fs.mkdirSync(path.join(dataDir, 'left-over'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'left-over', 'old.log'), 'x');
    fs.chmodSync(path.join(dataDir, 'left-over', 'old.log'), 0o666);
    fs.chmodSync(path.join(dataDir, 'left-over'), 0o777);
    fs.chmodSync(dataDir, 0o777);
    const env = {
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
      WORKFLOW_BUNDLE: '',
      TASK_QUEUE_PREFIX: '',
      DATA_DIR: dataDir,
      PORT: '0',
      TEMPORAL_UI_PORT: '0',
      LOG_LEVEL: 'info',
      EXTRACTION_PROVIDER: 'offline',
      OPENAI_API_KEY: '',
      JWT_SECRET: '', // generated and kept in DATA_DIR: its mode is checked too
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
    };
    main = spawnProcess('sh', ['-c', `umask 000; exec "$0" --import tsx app/main.ts`, process.execPath], { name: 'npm start (umask 000)', env });
    await main.waitFor(/MedExtract is running/, 180_000);
    apiUrl = /API:\s+(http:\/\/\S+)/.exec(main.output())![1]!;
  });
  after(async () => {
    await main.stop('SIGINT', 30_000);
  });

  test('after processing a document, every file is 0600 and every directory 0700, the WAL included', { timeout: 300_000 }, async () => {
    const token = await login(apiUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const up = await call(apiUrl, 'POST', '/upload', {
      token,
      body: pdfForm([{ name: 'rcn_prescription.pdf', content: readCorpus('medical/rcn_prescription.pdf') }]),
    });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = up.body.jobs[0].id as string;
    const done = await waitUntil(`job ${id} to finish`, async () => {
      const r = await call(apiUrl, 'GET', `/status/${id}`, { token });
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    });
    assert.equal(done.status, 'completed', JSON.stringify(done));

    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700, 'DATA_DIR itself');
    const { wrong, files } = modeReport(dataDir);
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} of ${files.length} entries are readable by others`);
    assert.ok(
      files.some((f) => f.includes(`pg_wal${path.sep}`)),
      'the WAL was among the files checked',
    );
    assert.ok(files.includes('temporal.sqlite'), 'the Temporal SQLite was among the files checked');
    assert.ok(files.includes('jwt-secret'), 'the generated token secret was among the files checked');
  });

  test('the embedded Postgres is a Unix socket inside DATA_DIR and no TCP listener speaks Postgres', async () => {
    const stack = JSON.parse(fs.readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as { databaseUrl: string };
    const url = new URL(stack.databaseUrl);
    assert.equal(url.hostname, '', `no TCP host in ${stack.databaseUrl}`);
    assert.equal(url.port, '');
    const socketDir = url.searchParams.get('host')!;
    assert.ok(socketDir.startsWith(path.resolve(dataDir) + path.sep), `the socket directory ${socketDir} is inside DATA_DIR`);
    assert.equal(fs.statSync(path.join(socketDir, '.s.PGSQL.5432')).mode & 0o777, 0o600, 'socket mode');

    // The owner can connect through the socket (what the CLI does when it attaches).
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    await client.end();

    // Nothing the process listens on over TCP answers as Postgres (before: PGlite on a loopback port).
    const ports = tcpListenPorts(main.pid);
    assert.ok(ports.includes(Number(new URL(apiUrl).port)), `the API port is among the listeners ${ports.join(', ')}`);
    for (const port of ports) assert.equal(await speaksPostgres(port), false, `port ${port} answers the Postgres protocol`);
  });
});
