/** The evaluation's tables (plain text) and its JSON report. */
import { describeDeidCounts, type PhiCategory } from '../core/contract/deid-text.js';
import { FIELD_TYPES } from './fields.js';
import type { EvalReport, FhirFigures } from './run.js';
import { prf, type Counts } from './score.js';

const f2 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const countCells = (c: Counts): string[] => {
  const s = prf(c);
  return [String(c.tp), String(c.fp), String(c.fn), f2(s.precision), f2(s.recall), f2(s.f1)];
};

/** Field types with anything to count (a truth value or an extracted value scored against one). */
export function activeFieldTypes(byField: Record<string, Counts>): string[] {
  return FIELD_TYPES.filter((f) => {
    const c = byField[f];
    return c !== undefined && c.tp + c.fp + c.fn > 0;
  });
}

export function formatReport(r: EvalReport): string {
  const out: string[] = [];
  out.push(`npm run eval — provider ${r.provider}, ${r.documents.length} documents from ${r.dir}`);
  out.push('');
  out.push('Per field type');
  out.push(
    table(
      ['field type', 'TP', 'FP', 'FN', 'P', 'R', 'F1'],
      activeFieldTypes(r.byField).map((f) => [f, ...countCells(r.byField[f] as Counts)]),
    ),
  );
  out.push('');
  out.push('Per document');
  out.push(
    table(
      ['document', 'pages', 'ocr', 'TP', 'FP', 'FN', 'P', 'R', 'F1', 'unscored', 'ms'],
      r.documents.map((d) => [
        d.file + (d.error ? ' (FAILED)' : ''),
        String(d.pages),
        d.ocrPages === 0 ? '-' : `${d.ocrPages}${d.ocrCached === d.ocrPages ? ' c' : ''}`,
        ...countCells(d.score.total),
        String(Object.values(d.score.unscored).reduce((a, b) => a + b, 0)),
        String(d.ms.read + d.ms.ocr + d.ms.extract),
      ]),
    ),
  );
  out.push('');
  const deid = r.documents.filter((d) => d.deid);
  if (deid.length > 0) {
    const counts: Partial<Record<PhiCategory, number>> = {};
    for (const d of deid) for (const [c, n] of Object.entries(d.deid!)) counts[c as PhiCategory] = (counts[c as PhiCategory] ?? 0) + n;
    out.push(`De-identified before the LLM: ${deid.length}/${r.documents.length} documents; replaced ${describeDeidCounts(counts)}`);
  }
  const fhir = r.documents.filter((d) => d.fhir);
  if (fhir.length > 0) {
    const sum = (k: keyof FhirFigures) => fhir.reduce((a, d) => a + d.fhir![k], 0);
    const share = (n: number, of: number) => (of === 0 ? '-' : `${n}/${of} (${Math.round((100 * n) / of)} %)`);
    out.push(
      `FHIR Bundles (collection, validated as exported): ${fhir.filter((d) => d.fhir!.errors === 0).length}/${fhir.length} valid, ` +
        `${sum('errors')} errors, ${sum('warnings')} warnings (value problems kept visibly: unknown units, invalid codes, dates)`,
    );
    out.push(
      `Lab results: ${sum('labResults')}; UCUM code ${share(sum('ucum'), sum('withUnit'))} of those with a unit; ` +
        `LOINC code ${share(sum('loincPrinted') + sum('loincMapped'), sum('labResults'))} (${sum('loincPrinted')} printed, ${sum('loincMapped')} mapped)`,
    );
    const disagree = fhir.filter((d) => d.fhir!.onlyInWorkbook + d.fhir!.onlyInBundle > 0);
    out.push(`FHIR ⇄ workbook: ${fhir.length - disagree.length}/${fhir.length} documents agree on every lab value, unit, range and flag`);
    for (const d of disagree)
      out.push(`FHIR ⇄ workbook DISAGREE ${d.file}: ${d.fhir!.onlyInWorkbook} rows only in the workbook, ${d.fhir!.onlyInBundle} only in the Bundle`);
    for (const d of fhir) if (d.fhir!.errors > 0) out.push(`FHIR INVALID ${d.file}: ${d.fhir!.errors} errors`);
    out.push('');
  }
  const s = prf(r.total);
  out.push(
    `Overall (micro-averaged): TP ${r.total.tp}  FP ${r.total.fp}  FN ${r.total.fn}  precision ${f2(s.precision)}  recall ${f2(s.recall)}  F1 ${f2(s.f1)}`,
  );
  out.push(`Run time ${(r.ms / 1000).toFixed(1)} s ('c' in the ocr column: OCR text from the cache; unscored: items in sections the truth does not cover)`);
  for (const d of r.documents) if (d.error) out.push(`FAILED ${d.file}: ${d.error}`);
  for (const k of r.skipped) out.push(`skipped ${k.file}: ${k.reason}`);
  return out.join('\n');
}

/** The --json report: every count, P/R/F1, and per document its mismatches (truth and extracted values). */
export function jsonReport(r: EvalReport): unknown {
  const withScores = (c: Counts) => ({ ...c, ...prf(c) });
  return {
    provider: r.provider,
    dir: r.dir,
    ms: r.ms,
    overall: withScores(r.total),
    byField: Object.fromEntries(activeFieldTypes(r.byField).map((f) => [f, withScores(r.byField[f] as Counts)])),
    documents: r.documents.map((d) => ({
      file: d.file,
      pages: d.pages,
      ocrPages: d.ocrPages,
      ocrCached: d.ocrCached,
      ms: d.ms,
      ...(d.tokens ? { tokens: d.tokens } : {}),
      ...(d.error ? { error: d.error } : {}),
      overall: withScores(d.score.total),
      byField: Object.fromEntries(activeFieldTypes(d.score.byField).map((f) => [f, withScores(d.score.byField[f] as Counts)])),
      unscoredItems: d.score.unscored,
      unscoredTruthKeys: d.truthUnscored,
      mismatches: d.score.mismatches,
    })),
    skipped: r.skipped,
  };
}

/**
 * The floors test/eval.test.ts keeps, from this run: per field type its F1 − 0.03 rounded down to two
 * decimals (field types at or below 0.03 get none), and the overall F1 and precision the same way.
 */
export function floorsFrom(r: EvalReport): { byField: Record<string, number>; overall: { f1: number; precision: number } } {
  const floor = (x: number | null): number => Math.floor(((x ?? 0) - 0.03) * 100 + 1e-9) / 100;
  const byField: Record<string, number> = {};
  for (const f of activeFieldTypes(r.byField)) {
    const f1 = prf(r.byField[f] as Counts).f1;
    if (f1 !== null && floor(f1) > 0) byField[f] = floor(f1);
  }
  const s = prf(r.total);
  return { byField, overall: { f1: floor(s.f1), precision: floor(s.precision) } };
}
