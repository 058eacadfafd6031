/**
 * `npm run eval`: field-level precision, recall and F1 of an extraction provider over a folder of
 * documents with corpus-truth/v1 truth files, per field type, per document and overall.
 *
 *   npm run eval -- [--dir ../shared/corpus/medical] [--provider offline|openai] [--deid shift|token] [--json FILE]
 *                   [--only <file name substring>] [--no-ocr] [--no-cache] [--verbose] [--floors]
 *
 * --deid (with --provider openai) sends every part through the de-identification gateway (library/deid).
 * --dir is resolved against the repository; OCR text is cached under .cache/eval/ (--no-cache: read
 * again and do not write). --verbose prints every mismatch (truth and extracted values: document text).
 * --floors prints the per-field-type floors test/eval.test.ts keeps (measured F1 − 0.03, rounded down).
 * The matching rules are at the top of eval/score.ts, the truth mapping in eval/truth.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { floorsFrom, formatReport, jsonReport } from './report.js';
import { DEFAULT_DIR, EvalSetupError, REPO_ROOT, runEval, type Provider } from './run.js';

const USAGE =
  'usage: npm run eval -- [--dir DIR] [--provider offline|openai] [--deid shift|token] [--json FILE] [--only SUBSTRING] [--no-ocr] [--no-cache] [--verbose] [--floors]';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        dir: { type: 'string' },
        provider: { type: 'string', default: 'offline' },
        deid: { type: 'string' },
        json: { type: 'string' },
        only: { type: 'string' },
        'no-ocr': { type: 'boolean', default: false },
        'no-cache': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        floors: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.provider !== 'offline' && args.provider !== 'openai') {
    console.error(`--provider must be offline or openai (got "${args.provider}")\n${USAGE}`);
    return 2;
  }
  if (args.deid !== undefined && (args.provider !== 'openai' || (args.deid !== 'shift' && args.deid !== 'token'))) {
    console.error(`--deid shift|token goes with --provider openai (got "${args.deid}")\n${USAGE}`);
    return 2;
  }
  const dir = args.dir ? path.resolve(REPO_ROOT, args.dir) : DEFAULT_DIR;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    console.error(`--dir ${dir} is not a folder`);
    return 2;
  }
  const report = await runEval({
    dir,
    provider: args.provider as Provider,
    ...(args.deid ? { deid: args.deid as 'shift' | 'token' } : {}),
    ...(args.only ? { only: args.only } : {}),
    noOcr: args['no-ocr'],
    ...(args['no-cache'] ? { cacheDir: null } : {}),
    onDocument: (d) => {
      const ocr = d.ocrPages > 0 ? `, ${d.ocrPages} OCR page(s)${d.ocrCached === d.ocrPages ? ' from cache' : ''}` : '';
      process.stderr.write(`  ${d.file}: ${d.pages} page(s)${ocr}, ${d.ms.read + d.ms.ocr + d.ms.extract} ms${d.error ? ` FAILED ${d.error}` : ''}\n`);
      if (args.verbose)
        for (const m of d.score.mismatches)
          process.stderr.write(`      ${m.kind.padEnd(7)} ${m.field}: truth ${JSON.stringify(m.truth)} extracted ${JSON.stringify(m.extracted)}\n`);
    },
  });
  if (report.documents.length === 0) {
    console.error(`no documents with a corpus-truth/v1 truth file in ${dir}${args.only ? ` matching "${args.only}"` : ''}`);
    return 1;
  }
  console.log(formatReport(report));
  if (args.floors) {
    const f = floorsFrom(report);
    console.log(`\nFloors (F1 - 0.03, rounded down):\n${JSON.stringify(f.byField, null, 2)}\noverall ${JSON.stringify(f.overall)}`);
  }
  if (args.json) {
    const out = path.resolve(process.cwd(), args.json);
    fs.writeFileSync(out, `${JSON.stringify(jsonReport(report), null, 2)}\n`);
    console.log(`JSON report: ${out}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof EvalSetupError) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
