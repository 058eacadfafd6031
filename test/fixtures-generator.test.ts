/**
 * The layout-varied document generator (fixtures/): the same seed gives the same bytes and truth; a
 * digital document's text layer, read by the product's own reader, holds every value its truth
 * claims; truth files use the corpus's keys (corpus-truth/v1); a scanned variant OCRs to text that
 * holds most of its values.
 *
 *   node --import tsx --test test/fixtures-generator.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { generateDocument, typeFor, type Generated } from '../fixtures/generate.js';
import { DOCUMENT_TYPES, TRUTH_KEYS, type Truth } from '../fixtures/truth.js';
import { readTextLayer } from '../library/pdf/text-layer.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import { isLoincCode } from '../library/lab/index.js';
import { closeOcrPool, getOcrPool } from '../library/ocr/pool.js';
import { corpus } from './support/env.js';

const SEED = 1;
const ALL = { seed: SEED, scannedShare: 0 };

/** One digital document of every type (indices 0..9 cycle through the types). */
async function oneOfEach(): Promise<Generated[]> {
  const out: Generated[] = [];
  for (let i = 0; i < DOCUMENT_TYPES.length; i++) out.push(await generateDocument(ALL, i));
  return out;
}

/** Every printed value the truth claims, as strings to look for on the page. */
function printedValues(t: Truth): string[] {
  const v: string[] = [];
  const push = (...xs: Array<string | undefined>) => v.push(...xs.filter((x): x is string => typeof x === 'string' && x.length > 0));
  push(t.patient?.name, t.patient?.mrn, t.patient?.age, t.insurance?.payer, t.insurance?.member_id, t.insurance?.group, t.facility);
  for (const x of t.tests ?? []) push(x.name, x.value, x.unit, x.reference_range, x.panel, x.loinc, x.panel_loinc);
  for (const x of t.medications ?? []) push(x.name, x.strength, x.form, x.sig);
  for (const x of t.diagnoses ?? []) push(x.description, x.icd10);
  for (const x of t.allergies ?? []) push(x.substance, x.reaction, x.severity);
  for (const x of t.procedures ?? []) push(x.description, x.cpt);
  for (const x of t.immunizations ?? []) push(x.vaccine, x.lot);
  for (const x of t.service_lines ?? []) push(x.from, x.cpt, x.modifiers, x.units);
  for (const x of t.vitals ?? []) push(x.name, x.value, x.unit);
  return v;
}

/** Text with money written plainly ("$1,250.00" → "1250.00") and whitespace collapsed, for lookups. */
const plain = (s: string) =>
  s
    .replace(/\$ ?/g, '')
    .replace(/(\d),(?=\d{3})/g, '$1')
    .replace(/\s+/g, ' ')
    .toLowerCase();

/** A value is on the page when each of its words is (a wrapped table cell splits a value over lines). */
function onPage(text: string, value: string): boolean {
  const t = plain(text);
  return plain(value)
    .split(' ')
    .every((w) => t.includes(w));
}

describe('fixture generator', () => {
  test('the same seed gives the same bytes and truth; another seed gives other documents', async () => {
    const a = await oneOfEach();
    const b = await oneOfEach();
    for (let i = 0; i < a.length; i++) {
      assert.ok(a[i]!.bytes.equals(b[i]!.bytes), `${a[i]!.file}: bytes differ between two runs`);
      assert.deepEqual(a[i]!.truth, b[i]!.truth);
      assert.deepEqual(a[i]!.manifest, b[i]!.manifest);
    }
    assert.deepEqual(new Set(a.map((g) => g.truth.document_type)), new Set(DOCUMENT_TYPES), 'ten documents cover the ten types');
    const other = await generateDocument({ seed: 20261202, scannedShare: 0 }, 0);
    const same = a.find((g) => g.truth.document_type === other.truth.document_type)!;
    assert.notDeepEqual(other.truth.patient, same.truth.patient);
  });

  test('a digital document’s text layer holds every value its truth claims', async () => {
    for (let i = 0; i < 20; i++) {
      const g = await generateDocument(ALL, i);
      const pages = await readTextLayer(new Uint8Array(g.bytes));
      assert.equal(pages.length, g.truth.pages, `${g.file}: page count`);
      const text = pages.map((p) => p.text).join('\n');
      const values = printedValues(g.truth);
      assert.ok(values.length >= 3, `${g.file}: the truth states values`);
      const missing = values.filter((v) => !onPage(text, v));
      assert.deepEqual(missing, [], `${g.file}: values in the truth but not in the text layer`);
      // Money is printed in several styles; the truth holds it plainly.
      for (const m of [g.truth.total_charge, g.truth.amount_paid, g.truth.balance_due, ...(g.truth.service_lines ?? []).map((l) => l.charges)]) {
        if (m !== undefined) assert.ok(plain(text).includes(m), `${g.file}: amount ${m} not on the page`);
      }
    }
  });

  test('truth files use the corpus’s keys and well-formed values, with flags that agree with the ranges', async () => {
    const corpusKeys = new Set<string>();
    const dir = corpus('medical');
    const walk = (o: unknown, prefix: string, into: Set<string>) => {
      if (Array.isArray(o)) o.forEach((x) => walk(x, prefix, into));
      else if (o && typeof o === 'object')
        for (const [k, v] of Object.entries(o)) {
          into.add(`${prefix}${k}`);
          walk(v, `${prefix}${k}.`, into);
        }
    };
    const haveCorpus = fs.existsSync(dir);
    if (haveCorpus)
      for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.truth.json')))
        walk(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')), '', corpusKeys);
    // Keys the corpus does not have yet, named after the schema's sections.
    const additions = new Set([
      'insurance.payer',
      'source.generator',
      'source.seed',
      'source.index',
      'source.document_seed',
      'service_lines.from_iso',
      'balance_due',
      'vitals',
      'immunizations',
      'tests.panel',
      'tests.panel_loinc',
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { truth } = await generateDocument(ALL, i);
      const json = JSON.parse(JSON.stringify(truth)) as Record<string, unknown>;
      walk(json, '', seen);
      for (const k of Object.keys(json)) assert.ok((TRUTH_KEYS.top as readonly string[]).includes(k), `unknown top-level key ${k}`);
      assert.equal(truth.schema, 'corpus-truth/v1');
      assert.ok((DOCUMENT_TYPES as readonly string[]).includes(truth.document_type));
      assert.equal(truth.document_type, typeFor(ALL, i));
      const iso = /^\d{4}-\d{2}-\d{2}$/;
      for (const d of [
        truth.date_iso,
        truth.patient?.dob_iso,
        truth.admission_date_iso,
        truth.discharge_date_iso,
        ...(truth.immunizations ?? []).map((x) => x.date_iso),
        ...(truth.service_lines ?? []).map((x) => x.from_iso),
      ])
        if (d !== undefined) assert.match(d, iso);
      if (truth.patient?.sex) assert.match(truth.patient.sex, /^[MF]$/);
      if (truth.admission_date_iso) assert.ok(truth.admission_date_iso <= truth.discharge_date_iso!, 'admitted before discharged');
      for (const [section, keys] of Object.entries(TRUTH_KEYS)) {
        if (section === 'top') continue;
        const v = (json as Record<string, unknown>)[section];
        for (const item of Array.isArray(v) ? v : v ? [v] : [])
          for (const k of Object.keys(item as object)) assert.ok((keys as readonly string[]).includes(k), `${section}.${k} is not a truth key`);
      }
      for (const t of truth.tests ?? []) {
        const value = Number(t.value);
        const m = /^(-?[\d.]+)\s*(?:-|to)\s*([\d.]+)$/.exec(t.reference_range ?? '');
        if (t.flag && m && Number.isFinite(value))
          assert.equal(t.flag, value > Number(m[2]) ? 'H' : value < Number(m[1]) ? 'L' : 'N', `${t.name} ${t.value} against ${t.reference_range}`);
        const below = /^<\s*([\d.]+)$/.exec(t.reference_range ?? '');
        if (t.flag && below) assert.equal(t.flag, value >= Number(below[1]) ? 'H' : 'N', `${t.name} ${t.value} against ${t.reference_range}`);
      }
    }
    if (haveCorpus) {
      const foreign = [...seen].filter((k) => !corpusKeys.has(k) && ![...additions].some((a) => k === a || k.startsWith(`${a}.`)));
      assert.deepEqual(foreign, [], 'generated truth keys the corpus does not use');
    }
  });

  test('lab reports printing LOINC codes in each layout: the offline extractor reads every code and leaves none in a name', async () => {
    const layouts = new Set<unknown>();
    let printed = 0;
    for (let i = 0; i < 12; i++) {
      const g = await generateDocument({ seed: SEED, types: ['lab_report'], scannedShare: 0 }, i);
      const tests = g.truth.tests ?? [];
      for (const t of tests) for (const code of [t.loinc, t.panel_loinc]) if (code) assert.ok(isLoincCode(code), `${g.file}: ${code} is no LOINC code`);
      if (!tests.some((t) => t.loinc)) continue;
      layouts.add(g.manifest.layout.loinc_as);
      const x = extractOffline(await readTextLayer(new Uint8Array(g.bytes)));
      for (const t of tests) {
        const row = x.lab_results.find((r) => r.test.toLowerCase() === t.name.toLowerCase() && r.value === Number(t.value));
        if (!row) continue; // a row missed for other reasons is the lab reader's recall, measured by the eval
        assert.equal(row.loinc, t.loinc ?? null, `${g.file}: ${t.name}`);
        if (t.panel_loinc) assert.equal(row.panel_loinc, t.panel_loinc, `${g.file}: the panel of ${t.name}`);
        if (t.loinc) printed++;
      }
      for (const r of x.lab_results) assert.doesNotMatch(`${r.test} | ${r.panel ?? ''}`, /loinc|\d{3,}-\d\b/i, `${g.file}: a code left in a name`);
    }
    assert.deepEqual([...layouts].sort(), ['before-name', 'bracketed', 'column', 'inline'], 'every way of printing codes is checked');
    assert.ok(printed >= 100, `${printed} printed codes read`);
  });

  test('scanned variants OCR to text holding most of their values', { timeout: 240_000 }, async () => {
    const pool = await getOcrPool('eng', { size: 1 });
    try {
      for (const type of ['insurance_card', 'prescription'] as const) {
        const g = await generateDocument({ seed: SEED, types: [type], scannedShare: 1, scanContainer: 'png' }, 0);
        assert.equal(g.manifest.kind, 'scanned');
        assert.ok(g.file.endsWith('.png'));
        const again = await generateDocument({ seed: SEED, types: [type], scannedShare: 1, scanContainer: 'png' }, 0);
        assert.ok(g.bytes.equals(again.bytes), 'a scan is deterministic too');
        const r = await pool.recognize(new Uint8Array(g.bytes), { dpi: g.manifest.scan!.dpi });
        const values = printedValues(g.truth);
        const found = values.filter((v) => onPage(r.text, v));
        assert.ok(
          found.length >= Math.ceil(values.length * 0.7),
          `${g.file}: OCR found ${found.length} of ${values.length} values (${values.filter((v) => !found.includes(v)).join(' | ')})`,
        );
      }
    } finally {
      await closeOcrPool();
    }
  });
});
