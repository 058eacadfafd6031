/**
 * The layer rules (.dependency-cruiser.cjs): the real tree has no upward edge and no cycle, and the check
 * itself fails on a small tree that has them (so a broken rule cannot pass silently). Pure: no services.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const depcruiseBin = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const configFile = path.join(root, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string }>;
}

/** Runs the dependency-cruiser CLI on `dir` with the project's rules; `npm run lint` runs it with the `err` reporter. */
function run(dir: string, outputType: 'json' | 'err'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [depcruiseBin, '--config', configFile, '--output-type', outputType, '.'],
      { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function cruise(dir: string): Promise<{ violations: Violation[]; modules: number }> {
  const { stdout, stderr } = await run(dir, 'json');
  let result: { summary: { violations: Violation[] }; modules: unknown[] };
  try {
    result = JSON.parse(stdout);
  } catch {
    throw new Error(`dependency-cruiser printed no result:\n${stderr}`);
  }
  return { violations: result.summary.violations, modules: result.modules.length };
}

const show = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`;

test('the tree keeps its layers: no upward edge, no cycle, workflows and web see the layers below as types only', async () => {
  const { violations, modules } = await cruise(root);
  assert.ok(modules > 100, `cruised the whole tree (${modules} modules)`);
  assert.deepEqual(violations.map(show), []);
});

test('the check fails on an upward edge, a cycle, a value import into a workflow or the web bundle, and a built-in in a workflow', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-layers-'));
  try {
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ type: 'module' }),
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, verbatimModuleSyntax: true } }),
      // A two-file cycle.
      'core/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'core/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'core/contract/jobs.ts': 'export type JobStatus = "queued" | "done";\nexport const STATUSES = ["queued", "done"];\n',
      // The library reaching into the stores (sideways/upward), next to an allowed edge into core.
      'library/doc.ts': "import { saveJob } from '../stores/jobs.js';\nexport const open = () => saveJob();\n",
      'library/ok.ts': "import { a } from '../core/a.js';\nexport const ok = a;\n",
      'stores/jobs.ts': 'export const saveJob = () => 1;\n',
      'activities/index.ts': 'export interface Acts { run(): Promise<void> }\nexport const run = async () => {};\n',
      // A workflow with a value import of activities and a built-in; another one that does it right.
      'workflows/bad.ts': "import fs from 'node:fs';\nimport { run } from '../activities/index.js';\nexport const w = [fs, run];\n",
      'workflows/ok.ts':
        "import type { Acts } from '../activities/index.js';\nimport { STATUSES } from '../core/contract/jobs.js';\nexport const w = (acts: Acts) => [acts, STATUSES];\n",
      // The web bundle importing a value from the API contract, and a type the right way.
      'api/contract/jobs.ts': 'export const jobSchema = {};\nexport type Job = { id: string };\n',
      'web/src/view.ts':
        "import { jobSchema } from '../../api/contract/jobs.js';\nimport type { JobStatus } from '../../core/contract/jobs.js';\nexport const v: [unknown, JobStatus] = [jobSchema, 'done'];\n",
      // Product code importing tooling.
      'app/main.ts': "import { helper } from '../test/helper.js';\nhelper();\n",
      'test/helper.ts': "import { open } from '../library/doc.js';\nexport const helper = () => open();\n",
    };
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }

    const { violations } = await cruise(dir);
    const found = violations.map(show);
    const expected = [
      'layer-library: library/doc.ts → stores/jobs.ts',
      'workflows-activities-type-only: workflows/bad.ts → activities/index.ts',
      'web-type-only: web/src/view.ts → api/contract/jobs.ts',
      'product-not-tooling: app/main.ts → test/helper.ts',
    ];
    for (const e of expected) assert.ok(found.includes(e), `expected "${e}" among:\n${found.join('\n')}`);
    assert.ok(
      found.some((f) => f.startsWith('no-circular: core/a.ts → core/b.ts') || f.startsWith('no-circular: core/b.ts → core/a.ts')),
      `the cycle is reported:\n${found.join('\n')}`,
    );
    assert.ok(
      violations.some((v) => v.rule.name === 'workflows-no-built-ins' && v.from === 'workflows/bad.ts'),
      `the built-in is reported:\n${found.join('\n')}`,
    );
    for (const clean of ['library/ok.ts', 'workflows/ok.ts', 'test/helper.ts']) {
      assert.ok(!violations.some((v) => v.from === clean), `${clean} breaks no rule:\n${found.join('\n')}`);
    }
    assert.ok(!violations.some((v) => v.from === 'web/src/view.ts' && v.to.startsWith('core/')), 'a type-only import into the web bundle is fine');
    const lint = await run(dir, 'err');
    assert.notEqual(lint.code, 0, 'the CLI exits non-zero, so `npm run lint` fails');
    assert.match(lint.stdout + lint.stderr, /layer-library/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
