/**
 * Embedded mode, as a new user meets it: no TEMPORAL_ADDRESS, no DATABASE_URL. `npm start` brings up
 * a Temporal dev server and PGlite under DATA_DIR with the workers; the CLI joins it; Ctrl-C stops
 * everything cleanly. The CLI alone also brings the stack up for the length of one command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { corpus, requireRunEnv, runCli, startProcess } from './support/env.js';
import { readWorkbook } from './support/workbook.js';
import { call, login } from './support/api.js';

const { tmp } = requireRunEnv();
const embeddedEnv = (dataDir: string) => ({ TEMPORAL_ADDRESS: '', DATABASE_URL: '', WORKFLOW_BUNDLE: '', DATA_DIR: dataDir, TASK_QUEUE_PREFIX: '' });

test('the CLI on its own brings up the embedded stack for one command and turns a PDF into a workbook', async () => {
  const dataDir = path.join(tmp, 'embedded-cli');
  const out = path.join(tmp, 'out-embedded-cli');
  const { code, output } = await runCli(['process', corpus('medical/rcn_prescription.pdf'), '--out', out], {
    ...embeddedEnv(dataDir),
    WORKFLOW_BUNDLE: process.env.WORKFLOW_BUNDLE,
  });
  assert.equal(code, 0, output);
  const sheets = await readWorkbook(path.join(out, 'rcn_prescription.xlsx'));
  assert.ok(sheets.get('Medications')!.length >= 3, 'medications extracted');
  assert.ok(fs.existsSync(path.join(dataDir, 'temporal.sqlite')), 'Temporal state lives under DATA_DIR');
  assert.ok(fs.existsSync(path.join(dataDir, 'pglite')), 'Postgres data lives under DATA_DIR');
  assert.ok(!fs.existsSync(path.join(dataDir, 'stack.json')), 'nothing is left running');
});

test('npm start runs the whole system; the CLI joins it; Ctrl-C stops everything cleanly', async () => {
  const dataDir = path.join(tmp, 'embedded-start');
  const main = startProcess(['app/main.ts'], { ...embeddedEnv(dataDir), LOG_LEVEL: 'info', TEMPORAL_UI_PORT: '0', PORT: '0' });
  try {
    await main.waitFor(/MedExtract is running/, 180_000);
    const out = path.join(tmp, 'out-embedded-start');
    const { code, output } = await runCli(['process', corpus('medical/agentforge_lab_report.pdf'), '--out', out], embeddedEnv(dataDir));
    assert.equal(code, 0, output);
    assert.ok(fs.existsSync(path.join(out, 'agentforge_lab_report.xlsx')));
    assert.match(main.output(), /job completed/, 'the running system did the work');

    // The same process serves the API; the first admin's password was printed once.
    const apiUrl = /API:\s+(http:\/\/\S+)/.exec(main.output())![1]!;
    const password = /password: (\S+)/.exec(main.output())![1]!;
    assert.equal((await call(apiUrl, 'GET', '/healthz')).status, 200);
    const token = await login(apiUrl, 'admin', password);
    const jobs = await call(apiUrl, 'GET', '/jobs', { token });
    assert.equal(jobs.status, 200);
  } finally {
    main.proc.kill('SIGINT');
  }
  assert.equal(await main.exited, 0, main.output().slice(-2000));
  assert.match(main.output(), /"msg":"stopped"/);
  assert.ok(!fs.existsSync(path.join(dataDir, 'stack.json')));
});
