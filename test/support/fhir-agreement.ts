/**
 * FHIR ⇄ workbook agreement: every lab result of a workbook's Lab Results sheet (value, unit, range, flag and
 * whether the flag was computed) is an Observation of the Bundle and vice versa. Used by test/fhir.test.ts and
 * by `npm run eval`, which checks it for every corpus document.
 */
import ExcelJS from 'exceljs';
import type { Bundle, Observation } from '@medplum/fhirtypes';

export interface LabRow {
  test: string;
  value: string | null;
  unit: string | null;
  range: string | null;
  /** The printed flag, or the one MedExtract computed when the document prints none. */
  flag: string | null;
  computed: boolean;
}

const INTERPRETATION_FLAG: Record<string, string> = { H: 'H', L: 'L', N: 'normal', A: 'abnormal' };

export const labObservations = (b: Bundle): Observation[] =>
  (b.entry ?? []).flatMap((e) =>
    e.resource?.resourceType === 'Observation' && e.resource.category?.[0]?.coding?.[0]?.code === 'laboratory' ? [e.resource] : [],
  );

/** The value as the document printed it: a comparator and number, or the text. */
export function printedValue(o: Observation): string | null {
  if (o.valueQuantity) return `${o.valueQuantity.comparator ?? ''}${o.valueQuantity.value}`;
  return o.valueString ?? null;
}

/** The rows of a workbook's Lab Results sheet, less those a person rejected (they are not in the document). */
export async function workbookLabRows(xlsx: Buffer): Promise<LabRow[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Lab Results');
  if (!ws) throw new Error('the workbook has no Lab Results sheet');
  const header = (ws.getRow(1).values as unknown[]).map((v) => (v === undefined || v === null ? '' : String(v)));
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i <= 0) throw new Error(`the Lab Results sheet has no ${name} column`);
    return i;
  };
  const cell = (row: ExcelJS.Row, name: string): string | null => {
    const v = row.getCell(col(name)).value;
    if (v === null || v === undefined || v === '') return null;
    // safeText guards a leading "-" or "=" with an apostrophe for spreadsheets; the value itself is without it.
    return String(v).replace(/^'/, '');
  };
  const rows: LabRow[] = [];
  for (let r = 2; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    if (!cell(row, 'Test')) continue;
    if (/^rejected/.test(cell(row, 'Review') ?? '')) continue;
    const printedFlag = cell(row, 'H/L');
    const computedFlag = cell(row, 'H/L (computed)');
    rows.push({
      test: cell(row, 'Test')!,
      value: cell(row, 'Value'),
      unit: cell(row, 'Unit'),
      range: cell(row, 'Reference range'),
      flag: printedFlag ?? computedFlag,
      computed: printedFlag === null && computedFlag !== null,
    });
  }
  return rows;
}

export function bundleLabRows(b: Bundle): LabRow[] {
  return labObservations(b).map((o) => ({
    test: o.code.text!,
    value: printedValue(o),
    unit: o.valueQuantity?.unit ?? o.note?.map((n) => /^Unit as printed: (.*)$/.exec(n.text)?.[1]).find(Boolean) ?? null,
    range: o.referenceRange?.[0]?.text ?? null,
    flag: o.interpretation?.[0]?.coding?.[0]?.code ? INTERPRETATION_FLAG[o.interpretation[0].coding[0].code]! : null,
    computed: /computed by MedExtract/.test(o.interpretation?.[0]?.text ?? ''),
  }));
}

export const labRowKey = (r: LabRow): string => JSON.stringify([r.test, r.value?.replace(/\s+/g, ''), r.unit, r.range, r.flag, r.computed]);

/** The rows only one side has (empty when they agree), each as its key. */
export function labRowDifferences(workbook: readonly LabRow[], bundle: readonly LabRow[]): { onlyInWorkbook: string[]; onlyInBundle: string[] } {
  const count = (rows: readonly LabRow[]) => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(labRowKey(r), (m.get(labRowKey(r)) ?? 0) + 1);
    return m;
  };
  const [w, f] = [count(workbook), count(bundle)];
  const missing = (a: Map<string, number>, b: Map<string, number>) => [...a].flatMap(([k, n]) => Array<string>(Math.max(0, n - (b.get(k) ?? 0))).fill(k));
  return { onlyInWorkbook: missing(w, f), onlyInBundle: missing(f, w) };
}
