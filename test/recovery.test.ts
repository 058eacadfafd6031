/**
 * Recovery of the embedded stack, as the attack ran it: `npm start` killed with SIGKILL (its whole
 * process group, as a crash or the OOM killer would) must not leave its Temporal dev server holding the
 * SQLite file and ports; the next start, on another DATA_DIR or on the same one seconds later, comes up;
 * and a stack.json naming a pid that now belongs to some unrelated process neither blocks a start nor gets
 * that process killed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Child, ROOT, until } from '../harness/process.js';
import { freePort, portIsFree } from '../app/embedded/ports.js';
import { processStartTime } from '../app/stack.js';
import { requireRunEnv } from './support/env.js';

const { tmp } = requireRunEnv();
const embeddedEnv = (dataDir: string, uiPort: number) => ({
  ...process.env,
  TEMPORAL_ADDRESS: '',
  DATABASE_URL: '',
  DATA_DIR: dataDir,
  TASK_QUEUE_PREFIX: '',
  LOG_LEVEL: 'info',
  PORT: '0',
  TEMPORAL_UI_PORT: String(uiPort),
});

const started: Child[] = [];
const helpers: ChildProcess[] = [];
after(async () => {
  for (const h of helpers) h.kill('SIGKILL');
  // Whatever a failed test left running: only the process groups this file started.
  for (const c of started) if (c.running) process.kill(-c.pid, 'SIGKILL');
});

/** `npm start`'s process tree (the tsx CLI and its node child) in a process group of its own. */
function startMain(dataDir: string, uiPort: number): Child {
  const proc = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['app/main.ts'], {
    cwd: ROOT,
    env: embeddedEnv(dataDir, uiPort),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const child = new Child(`npm start (${path.basename(dataDir)})`, proc);
  started.push(child);
  return child;
}

interface StackFile {
  pid: number;
  temporalPid?: number;
  temporalAddress: string;
  temporalUiUrl?: string;
}
const readStack = (dataDir: string) => JSON.parse(fs.readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackFile;
const portOf = (address: string) => Number(/:(\d+)$/.exec(address)![1]);
/** Alive and not a zombie (a zombie still answers kill(pid, 0) but holds nothing). */
const exists = (pid: number) => processStartTime(pid) !== undefined;

async function stopMain(main: Child): Promise<void> {
  main.proc.kill('SIGINT');
  const code = await main.exited;
  assert.equal(code, 0, main.tail());
}

test('SIGKILL of npm start takes its Temporal dev server down with it; a start on another DATA_DIR and one on the same DATA_DIR come up', async () => {
  const dirA = path.join(tmp, 'recovery-a');
  const uiPort = await freePort();
  const first = startMain(dirA, uiPort);
  await first.waitFor(/MedExtract is running/, 240_000);
  const stack = readStack(dirA);
  const temporalPid = stack.temporalPid!;
  const temporalPort = portOf(stack.temporalAddress);
  assert.ok(temporalPid && exists(temporalPid), 'stack.json names the running dev server');
  assert.equal(await portIsFree(temporalPort), false);
  assert.equal(await portIsFree(uiPort), false, 'the Web UI listens on TEMPORAL_UI_PORT');

  // kill -9 of exactly the group this test started: no signal handler runs, nothing is stopped cleanly.
  process.kill(-first.pid, 'SIGKILL');
  assert.equal(await first.exited, 137);
  await until('the dev server of the killed npm start to be gone', async () => !exists(temporalPid) || undefined, 30_000, { everyMs: 200 });
  await until('its ports to be released', async () => ((await portIsFree(temporalPort)) && (await portIsFree(uiPort))) || undefined, 10_000, {
    everyMs: 200,
  });

  // Another DATA_DIR, its Web UI port taken by someone else meanwhile: the start still comes up.
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(uiPort, '127.0.0.1', resolve));
  try {
    const second = startMain(path.join(tmp, 'recovery-b'), uiPort);
    await second.waitFor(/MedExtract is running/, 240_000);
    assert.match(second.output(), /Web UI port is in use/);
    await stopMain(second);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }

  // The same DATA_DIR: its stack.json is the killed process's, which must not block (no DataDirInUse).
  assert.equal(readStack(dirA).pid, stack.pid, 'the killed run left its stack file behind');
  const again = startMain(dirA, 0);
  await again.waitFor(/MedExtract is running/, 240_000);
  await stopMain(again);
  assert.ok(!fs.existsSync(path.join(dirA, 'stack.json')));
});

test('a stack.json naming pids that now belong to unrelated processes neither blocks a start nor has them killed', async () => {
  const dir = path.join(tmp, 'recovery-stale');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Live processes with the recorded pids but other start times: what pid reuse after a crash looks like.
  const owner = spawn('sleep', ['120'], { stdio: 'ignore' });
  const server = spawn('sleep', ['120'], { stdio: 'ignore' });
  helpers.push(owner, server);
  const ownerStart = await until('the helper to run', async () => processStartTime(owner.pid!), 5_000);
  fs.writeFileSync(
    path.join(dir, 'stack.json'),
    JSON.stringify({
      pid: owner.pid,
      pidStart: String(Number(ownerStart) - 1000),
      temporalPid: server.pid,
      temporalPidStart: String(Number(ownerStart) - 1000),
      temporalAddress: '127.0.0.1:1',
      databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
    }),
    { mode: 0o600 },
  );
  const main = startMain(dir, 0);
  await main.waitFor(/MedExtract is running/, 240_000);
  assert.doesNotMatch(main.output(), /DataDirInUse|attached/);
  assert.ok(exists(owner.pid!) && exists(server.pid!), 'the unrelated processes were left alone');
  const stack = readStack(dir);
  assert.equal(stack.pid === owner.pid, false, 'the new run wrote its own stack file');
  await stopMain(main);
});
