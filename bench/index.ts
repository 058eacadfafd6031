/**
 * `npm run bench`: the benchmark suite of issue 6. Each benchmark prints one table; see bench/README.md.
 *
 *   npm run bench                        every benchmark, full size (long: tens of minutes)
 *   npm run bench -- --quick             every table, small sizes, under 3 minutes (memory is skipped)
 *   npm run bench -- --only ocr-engine   one benchmark (comma-separate several)
 *   npm run bench -- --json out.json     also write the raw figures
 *
 * Measurements, not tests: targets are reported with the gap to them, never asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setLogLevel } from '../core/logger.js';

// The bench process's own logs (pino, via the project modules it imports) stay quiet, and so do the
// worker and API processes it starts (they read LOG_LEVEL through their config).
setLogLevel('warn');
process.env.LOG_LEVEL = 'warn';

const BENCHMARKS = ['ocr-engine', 'image-ocr', 'scanned-e2e', 'digital-e2e', 'rate-limited', 'api-load', 'memory', 'llm-tokens', 'deid'] as const;
type Name = (typeof BENCHMARKS)[number];

function usage(code: number): never {
  (code ? process.stderr : process.stdout).write(`usage: npm run bench -- [--quick] [--only ${BENCHMARKS.join('|')}[,...]] [--json FILE] [--keep-logs]\n`);
  process.exit(code);
}

const argv = process.argv.slice(2);
let quick = false;
let only: Name[] | undefined;
let jsonOut: string | undefined;
let keepLogs = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--quick') quick = true;
  else if (a === '--keep-logs') keepLogs = true;
  else if (a === '--help' || a === '-h') usage(0);
  else if (a === '--only' || a.startsWith('--only=')) {
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
    if (!v) usage(2);
    const names = v.split(',').map((s) => s.trim());
    for (const n of names)
      if (!BENCHMARKS.includes(n as Name)) {
        process.stderr.write(`unknown benchmark "${n}"; one of: ${BENCHMARKS.join(', ')}\n`);
        process.exit(2);
      }
    only = names as Name[];
  } else if (a === '--json' || a.startsWith('--json=')) {
    jsonOut = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
    if (!jsonOut) usage(2);
  } else {
    process.stderr.write(`unknown argument "${a}"\n`);
    usage(2);
  }
}

const { machine, machineLine, renderReport, loadLine } = await import('./lib/util.js');
const stackMod = await import('./lib/stack.js');
const m = machine();
const startedAt = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-bench-run-'));

let cleaning: Promise<void> | undefined;
const cleanup = (keep = false) => (cleaning ??= stackMod.teardown({ keepTmp: keep }).finally(() => fs.rmSync(tmp, { recursive: true, force: true })));
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted++;
    if (interrupted > 1) {
      stackMod.teardownSync();
      process.exit(130);
    }
    process.stderr.write(`\n${sig}: stopping every child process and dropping the bench database…\n`);
    void cleanup(keepLogs).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}
process.on('exit', () => {
  stackMod.teardownSync();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const progress = (msg: string) => process.stderr.write(`  · ${msg} (${((Date.now() - startedAt) / 1000).toFixed(0)} s, ${loadLine()})\n`);
const ctx = {
  quick,
  cores: m.cores,
  tmp,
  progress,
  stack: () => stackMod.startStack(),
};

const selected = BENCHMARKS.filter((b) => !only || only.includes(b));
process.stdout.write(
  `MedExtract benchmark suite — ${quick ? 'quick mode (--quick: small sizes, fewer repeats)' : 'full mode'}; ${new Date().toISOString()}\n${machineLine(m)}\n`,
);

const results: Array<{ name: string; report?: unknown; error?: string; seconds: number }> = [];
let failed = false;
for (const name of selected) {
  if (interrupted) break;
  const t0 = Date.now();
  const loadAtStart = loadLine();
  try {
    const report = await runOne(name);
    if (report) {
      process.stdout.write(
        renderReport({ ...report, header: [`${loadAtStart} at start of this benchmark; took ${((Date.now() - t0) / 1000).toFixed(0)} s`, ...report.header] }),
      );
      results.push({ name, report, seconds: (Date.now() - t0) / 1000 });
    }
  } catch (err) {
    if (interrupted) break;
    failed = true;
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stdout.write(`\n== ${name}: FAILED ==\n${msg}\n`);
    results.push({ name, error: msg, seconds: (Date.now() - t0) / 1000 });
  } finally {
    // Whatever a benchmark left running (after a failure) must not load the next one.
    if (!interrupted) await stackMod.stopChildren();
  }
}

async function runOne(name: Name) {
  switch (name) {
    case 'ocr-engine':
      return await (await import('./ocr-engine.js')).ocrEngine(ctx);
    case 'image-ocr':
      return await (await import('./image-ocr.js')).imageOcr(ctx);
    case 'scanned-e2e':
      return await (await import('./scanned-e2e.js')).scannedE2e(ctx);
    case 'digital-e2e':
      return await (await import('./digital-e2e.js')).digitalE2e(ctx);
    case 'rate-limited':
      return await (await import('./rate-limited.js')).rateLimited(ctx);
    case 'api-load':
      return await (await import('./api-load.js')).apiLoad(ctx);
    case 'memory':
      if (quick) {
        process.stdout.write(
          '\n== 6. Memory and size ==\n   skipped in --quick mode (a 300-page scanned document takes many minutes); run `npm run bench -- --only memory`\n',
        );
        return undefined;
      }
      return await (await import('./memory.js')).memory(ctx);
    case 'llm-tokens':
      return await (await import('./llm-tokens.js')).llmTokens(ctx);
    case 'deid':
      return await (await import('./deid.js')).deid(ctx);
  }
}

const total = (Date.now() - startedAt) / 1000;
process.stdout.write(`\ntotal wall time ${total.toFixed(0)} s; ${loadLine()} at the end\n`);
if (jsonOut) {
  fs.writeFileSync(jsonOut, JSON.stringify({ quick, machine: m, startedAt: new Date(startedAt).toISOString(), totalSeconds: total, results }, null, 2));
  process.stdout.write(`raw figures written to ${jsonOut}\n`);
}
await cleanup(keepLogs || failed);
process.exit(failed ? 1 : 0);
