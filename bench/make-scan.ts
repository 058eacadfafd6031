/**
 * Child process of the memory benchmark: writes a generated scanned report (test/fixtures/generate.ts)
 * to a file. Generating hundreds of pages leaves the canvases' native memory to the garbage collector,
 * so it runs in a process of its own that exits afterwards, instead of bloating the bench process.
 *
 *   node --import tsx bench/make-scan.ts <out.pdf> <pages> <seed> <dpi>
 */
import fs from 'node:fs';
import { scannedReportPdf, syntheticReport } from '../test/fixtures/generate.js';

const [out, pages, seed, dpi] = process.argv.slice(2);
if (!out || !pages) {
  process.stderr.write('usage: make-scan.ts <out.pdf> <pages> [seed] [dpi]\n');
  process.exit(2);
}
const report = syntheticReport({ pages: Number(pages), seed: Number(seed ?? 1), rowsPerPage: 24 });
fs.writeFileSync(out, scannedReportPdf(report, { dpi: Number(dpi ?? 300) }));
