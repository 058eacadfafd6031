/**
 * The leak suite's document generator (test/support/deid-plant.ts) checked on its own: deterministic;
 * every Safe Harbor category planted; every planted value and clinical string on its page; checksums
 * valid; a gateway that replaced exactly the planted values would pass (no clinical string lost, no
 * identifier left in unplanted text); the digital PDF reads back as the page text, the scan has no text.
 *
 *   node --import tsx --test test/deid-plant.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PHI_CATEGORIES, type PhiCategory } from '../library/deid/types.js';
import { inspectDocument } from '../library/document/index.js';
import { readTextLayer } from '../library/pdf/text-layer.js';
import { PLANTED_TYPES, plantedDocuments, renderPlantedPdf, type PlantedDocument } from './support/deid-plant.js';

const SEEDS = [1, 7, 4242];
const docsOf = new Map(SEEDS.map((s) => [s, plantedDocuments(s, 40)]));
const all = (): PlantedDocument[] => [...docsOf.values()].flat();
const valuesOf = (docs: PlantedDocument[], cat: PhiCategory): string[] => docs.flatMap((d) => d.planted.filter((p) => p.category === cat).map((p) => p.value));

// Independent checksum checks (not the generator's own code).
function luhn(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((ch, i) => {
    let d = Number(ch);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  });
  return sum % 10 === 0;
}
function deaOk(s: string): boolean {
  const d = s.slice(2).split('').map(Number);
  return (d[0]! + d[2]! + d[4]! + 2 * (d[1]! + d[3]! + d[5]!)) % 10 === d[6];
}
function nhsOk(s: string): boolean {
  const d = s.replace(/ /g, '').split('').map(Number);
  const sum = d.slice(0, 9).reduce((a, v, i) => a + v * (10 - i), 0);
  const c = 11 - (sum % 11);
  return c !== 10 && (c === 11 ? 0 : c) === d[9];
}
function vinOk(s: string): boolean {
  const map: Record<string, number> = {};
  'ABCDEFGH'.split('').forEach((c, i) => (map[c] = i + 1));
  'JKLMN'.split('').forEach((c, i) => (map[c] = i + 1));
  Object.assign(map, { P: 7, R: 9 });
  'STUVWXYZ'.split('').forEach((c, i) => (map[c] = i + 2));
  const w = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
  const sum = [...s].reduce((a, c, i) => a + (/\d/.test(c) ? Number(c) : map[c]!) * w[i]!, 0);
  return s[8] === (sum % 11 === 10 ? 'X' : String(sum % 11));
}

/** Every occurrence of every value replaced, longest first: what a gateway that caught exactly the planted values sends. */
function maskAll(text: string, values: string[]): string {
  let out = text;
  for (const v of [...new Set(values)].sort((a, b) => b.length - a.length)) out = out.split(v).join('\u0001');
  return out;
}

/** A date's shape: digits → 9, month names → Mon/Month, so formats can be counted. */
const shape = (v: string) =>
  v
    .replace(/\b(January|February|March|April|May|June|July|August|September|October|November|December)\b/g, 'Month')
    .replace(/\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/g, 'Mon')
    .replace(/\d/g, '9')
    .replace(/9(st|nd|rd|th)\b/g, '9th');

describe('deid-plant generator', () => {
  test('the same seed gives the same documents and PDF bytes; another seed gives others', async () => {
    assert.deepEqual(plantedDocuments(1, 12), docsOf.get(1)!.slice(0, 12));
    // Neighbouring seeds share no document (not even in another order).
    const texts = (docs: PlantedDocument[]) => new Set(docs.map((d) => d.pages.map((p) => p.text).join('\n')));
    const one = texts(docsOf.get(1)!);
    assert.equal([...texts(plantedDocuments(2, 40))].filter((t) => one.has(t)).length, 0);
    const d = docsOf.get(1)![0]!;
    assert.deepEqual(await renderPlantedPdf(d, { scanned: false }), await renderPlantedPdf(d, { scanned: false }));
    assert.equal(plantedDocuments(1, 0).length, 0);
  });

  test('ids, types in a cycle of four, page numbers, patient summary', () => {
    for (const [seed, docs] of docsOf) {
      const order = docs.slice(0, 4).map((d) => d.type);
      assert.deepEqual([...order].sort(), [...PLANTED_TYPES].sort(), `seed ${seed}: the first four documents are the four types`);
      docs.forEach((d, i) => {
        assert.equal(d.type, order[i % 4]);
        assert.equal(d.id, `deid-${String(i).padStart(4, '0')}-${d.type}`);
        assert.deepEqual(
          d.pages.map((p) => p.page),
          d.pages.map((_, k) => k + 1),
        );
        for (const p of d.planted) assert.ok(p.page >= 1 && p.page <= d.pages.length, `${d.id}: page ${p.page}`);
        const printed = (cat: PhiCategory, v: string) => d.planted.some((p) => p.category === cat && p.value === v);
        assert.ok(printed('PERSON', d.patient.name), `${d.id}: patient name ${d.patient.name} is planted`);
        assert.ok(printed('DATE', d.patient.dob), `${d.id}: DOB ${d.patient.dob} is planted`);
        assert.ok(printed('MRN', d.patient.mrn), `${d.id}: MRN ${d.patient.mrn} is planted`);
        if (d.patient.memberId) assert.ok(printed('PLAN_ID', d.patient.memberId));
      });
    }
    assert.ok(
      all().some((d) => d.pages.length > 1),
      'some documents run to several pages',
    );
  });

  test('every category of PHI_CATEGORIES is planted in 40 documents of each seed, and in any 12', () => {
    for (const seed of [3, 11, 99, 123456, 20261202]) {
      const seen = new Set(plantedDocuments(seed, 12).flatMap((d) => d.planted.map((p) => p.category)));
      assert.deepEqual(
        PHI_CATEGORIES.filter((c) => !seen.has(c)),
        [],
        `12 documents of seed ${seed}`,
      );
    }
    for (const [seed, docs] of docsOf) {
      const seen = new Set(docs.flatMap((d) => d.planted.map((p) => p.category)));
      assert.deepEqual(
        PHI_CATEGORIES.filter((c) => !seen.has(c)),
        [],
        `seed ${seed}`,
      );
    }
  });

  test('every planted value is on its page; every clinical string is in the document', () => {
    for (const d of all()) {
      for (const p of d.planted)
        assert.ok(d.pages[p.page - 1]!.text.includes(p.value), `${d.id} p${p.page}: ${p.category} ${JSON.stringify(p.value)} not on the page`);
      const text = d.pages.map((p) => p.text).join('\n');
      assert.ok(d.clinical.length >= 5, `${d.id}: ${d.clinical.length} clinical strings`);
      for (const c of d.clinical) assert.ok(text.includes(c), `${d.id}: clinical ${JSON.stringify(c)} not printed`);
      // A value printed n times on a page is listed at least n times (one entry per mention).
      for (const p of d.pages) {
        const listed = d.planted.filter((x) => x.page === p.page);
        for (const v of new Set(listed.map((x) => x.value))) {
          const n = listed.filter((x) => x.value === v).length;
          assert.ok(p.text.split(v).length - 1 >= n, `${d.id} p${p.page}: ${v} listed ${n} times`);
        }
      }
      // Page text follows the text-layer contract: no blank lines, no leading/trailing blanks, cells split by two spaces.
      for (const p of d.pages)
        for (const line of p.text.split('\n')) {
          assert.ok(line.trim() !== '' && line === line.trim() && !/ {3,}/.test(line), `${d.id}: line ${JSON.stringify(line)}`);
        }
    }
  });

  test('a gateway replacing exactly the planted values would pass: clinical strings survive, nothing planted stays', () => {
    for (const d of all()) {
      const text = d.pages.map((p) => p.text).join('\n');
      const masked = maskAll(
        text,
        d.planted.map((p) => p.value),
      );
      for (const c of d.clinical) assert.ok(masked.includes(c), `${d.id}: clinical ${JSON.stringify(c)} lost when the identifiers are replaced`);
      // Nor does an identifier reappear in other case inside text that is not planted ("Lee" in "bleeding").
      const lower = masked.toLowerCase();
      for (const v of new Set(d.planted.map((p) => p.value)))
        assert.ok(!lower.includes(v.toLowerCase()), `${d.id}: ${JSON.stringify(v)} also in unplanted text`);
    }
  });

  test('checksummed identifiers are valid; masked SSNs and ages up to 89 are not planted', () => {
    const docs = all();
    const cards = valuesOf(docs, 'CARD');
    assert.ok(cards.length > 0);
    for (const c of cards) assert.ok(luhn(c.replace(/\D/g, '')) && /^[\d -]{15,19}$/.test(c), `card ${c}`);
    const lic = valuesOf(docs, 'LICENSE');
    const npis = lic.filter((v) => /^\d{10}$/.test(v));
    const deas = lic.filter((v) => /^[A-Z]{2}\d{7}$/.test(v));
    assert.ok(npis.length > 10 && deas.length > 0, `${npis.length} NPIs, ${deas.length} DEA numbers`);
    for (const n of npis) assert.ok(/^[12]/.test(n) && luhn(`80840${n}`), `NPI ${n}`);
    for (const n of deas) assert.ok(deaOk(n), `DEA ${n}`);
    for (const n of valuesOf(docs, 'NHS')) assert.ok(/^\d{3} \d{3} \d{4}$/.test(n) && nhsOk(n), `NHS ${n}`);
    const vins = valuesOf(docs, 'VEHICLE').filter((v) => v.length === 17);
    assert.ok(vins.length > 0);
    for (const v of vins) assert.ok(/^[A-HJ-NPR-Z0-9]{17}$/.test(v) && vinOk(v), `VIN ${v}`);
    for (const s of valuesOf(docs, 'SSN')) assert.ok(/^\d{3}[- ]\d{2}[- ]\d{4}$/.test(s), `SSN ${s}`);
    const text = docs.flatMap((d) => d.pages.map((p) => p.text)).join('\n');
    assert.match(text, /[*X]{3}-[*X]{2}-\d{4}/, 'masked SSNs are printed somewhere');
    for (const a of valuesOf(docs, 'AGE')) assert.ok(Number(/\d+/.exec(a)![0]) > 89, `age ${a}`);
    const young = [...text.matchAll(/\b(\d{2})(-year-old| years| yrs| y\/o|y\b| Y\b| YO\b)/g)].filter((m) => Number(m[1]) <= 89);
    assert.ok(young.length > 5, 'ages up to 89 are printed too');
    const ages = new Set(valuesOf(docs, 'AGE'));
    for (const m of young) assert.ok(!ages.has(m[0]), `age ${m[0]} is not an identifier`);
  });

  test('formats are varied: dates, names, phones, addresses, MRNs, plan ids', () => {
    const docs = all();
    const dates = new Set(valuesOf(docs, 'DATE').map(shape));
    assert.ok(dates.size >= 15, `${dates.size} date shapes: ${[...dates].join(' | ')}`);
    const dateValues = valuesOf(docs, 'DATE');
    for (const re of [
      /^\d{2}\/\d{2}\/\d{4}$/, // 03/14/1962
      /^\d{1,2}\/\d{1,2}\/\d{2}$/, // 3/14/62
      /^\d{4}-\d{2}-\d{2}$/, // 1962-03-14
      /^\d{2}-[A-Z][a-z]{2}-\d{4}$/, // 14-Mar-1962
      /^\d{2} [A-Z][a-z]{2} \d{4}$/, // 14 Mar 1962
      /^[A-Z][a-z]+ \d{1,2}, \d{4}$/, // March 14, 1962
      /^[A-Z][a-z]{2}\. \d{1,2}, \d{4}$/, // Mar. 14, 1962
      /^\d{1,2}(st|nd|rd|th) [A-Z][a-z]+ \d{4}$/, // 14th March 1962
      /^\d{2}\.\d{2}\.\d{4}$/, // 14.03.1962
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, // 2025-03-04 08:30
      /^[A-Z][a-z]+ \d{4}$/, // March 2025
      /^\d{2} \d{2} \d{2,4}$/, // claim boxes: 03 14 1962
    ])
      assert.ok(
        dateValues.some((v) => re.test(v)),
        `a date like ${re}`,
      );
    const prose = docs.flatMap((d) => d.pages.map((p) => p.text)).join('\n');
    assert.ok(/admitted on \S/.test(prose) && /saw in clinic on/.test(prose), 'dates inline in prose');

    const persons = valuesOf(docs, 'PERSON');
    assert.ok(
      persons.every((v) => !/^(Dr|Mr|Mrs|Ms|Miss)\b/.test(v)),
      'titles stay outside the planted name',
    );
    assert.ok(persons.some((v) => v.includes("'")) && persons.some((v) => /\w-\w/.test(v)) && persons.some((v) => /^[A-Z' -]+, [A-Z' -]+/.test(v)));
    assert.ok(persons.some((v) => /^[A-Z]\. \S/.test(v)) && persons.some((v) => /^[^\s,]+$/.test(v)), 'initial forms and surname-only mentions');
    // The same patient mentioned in several forms in one document.
    const multi = docs.filter((d) => {
      const fam = d.patient.name.split(/,| /)[0]!.toLowerCase();
      return new Set(d.planted.filter((p) => p.category === 'PERSON' && p.value.toLowerCase().includes(fam)).map((p) => p.value)).size >= 3;
    });
    assert.ok(multi.length >= 10, `${multi.length} documents name the patient in three or more forms`);

    const phones = [...valuesOf(docs, 'PHONE'), ...valuesOf(docs, 'FAX')];
    for (const re of [/^\(\d{3}\) \d{3}-\d{4}/, /^\d{3}-\d{3}-\d{4}/, /^\d{3}\.\d{3}\.\d{4}/, /^\+1 \d{3} \d{3} \d{4}/, /^\+44 /, /(ext\.?|x) ?\d+$/i])
      assert.ok(
        phones.some((p) => re.test(p)),
        `a phone like ${re}`,
      );
    assert.ok(valuesOf(docs, 'EMAIL').every((e) => /^[^@\s]+@[^@\s]+\.[a-z]+$/.test(e)));
    assert.ok(
      valuesOf(docs, 'URL').some((u) => /^https:\/\/.*\/.*\d/.test(u)),
      'portal links with ids',
    );
    const ips = valuesOf(docs, 'IP');
    assert.ok(ips.some((v) => /^\d+\.\d+\.\d+\.\d+$/.test(v)) && ips.some((v) => v.includes(':')), 'IPv4 and IPv6');
    const zips = valuesOf(docs, 'ZIP');
    assert.ok(zips.some((z) => /^\d{5}$/.test(z)) && zips.some((z) => /^\d{5}-\d{4}$/.test(z)) && zips.some((z) => /^[A-Z]{2}\d+ \d[A-Z]{2}$/.test(z)));
    const addresses = valuesOf(docs, 'ADDRESS');
    assert.ok(addresses.some((a) => /P\.?O\.? Box/.test(a)) && addresses.some((a) => /(Apt|Unit|Suite|Ste|Flat)\b/.test(a)));
    const states = new Set(['IL', 'OH', 'PA', 'NY', 'CA', 'TX', 'WA', 'GA', 'MN', 'NC', 'AZ', 'MA', 'OR', 'MI', 'CO', 'VA']);
    assert.ok(!docs.some((d) => d.planted.some((p) => states.has(p.value))), 'a state stays and is not planted');
    const mrns = valuesOf(docs, 'MRN');
    for (const re of [/^00\d{6}$/, /^MRN-\d{6}$/, /^[A-Z]\d{7}$/])
      assert.ok(
        mrns.some((m) => re.test(m)),
        `an MRN like ${re}`,
      );
    const plans = valuesOf(docs, 'PLAN_ID');
    for (const re of [/^[A-Z]{3}\d{9}$/, /^W\d{9}$/, /^GRP-\d{5}$/])
      assert.ok(
        plans.some((m) => re.test(m)),
        `a plan id like ${re}`,
      );
    // CPT codes that look like ZIP codes reach the clinical list.
    assert.ok(docs.some((d) => d.clinical.some((c) => /^\d{5}$/.test(c))));
  });

  test('digital PDF: the text layer reads back as the page text, holding every planted value', async () => {
    const pick = PLANTED_TYPES.flatMap((t) =>
      all()
        .filter((d) => d.type === t)
        .slice(0, 3),
    );
    for (const d of pick) {
      const pdf = await renderPlantedPdf(d, { scanned: false });
      const read = await readTextLayer(pdf);
      assert.equal(read.length, d.pages.length, d.id);
      d.pages.forEach((p, i) => assert.equal(read[i]!.text, p.text, `${d.id} page ${p.page}`));
      for (const p of d.planted) assert.ok(read[p.page - 1]!.text.includes(p.value), `${d.id}: ${p.value}`);
    }
    const inspected = await inspectDocument(await renderPlantedPdf(pick[0]!, { scanned: false }), { maxPages: 10 });
    assert.ok(inspected.pages.every((p) => !p.needsOcr && p.reason === 'text-layer'));
  });

  test('scanned PDF: image-only pages, no text layer, same bytes for the same seed', async () => {
    const d = all().find((x) => x.pages.length === 1 && x.type === 'lab_report')!;
    const pdf = await renderPlantedPdf(d, { scanned: true, seed: 5 });
    const inspected = await inspectDocument(pdf, { maxPages: 10 });
    assert.equal(inspected.pageCount, 1);
    for (const p of inspected.pages) {
      assert.equal(p.chars, 0, 'no text layer');
      assert.ok(p.needsOcr && (p.imageCoverage ?? 0) > 0.95, `page ${p.page}: ${p.reason}, coverage ${p.imageCoverage}`);
    }
    assert.deepEqual(
      (await readTextLayer(pdf)).map((p) => p.text),
      [''],
    );
    assert.ok(Buffer.from(pdf.subarray(0, 5)).toString('latin1') === '%PDF-' && Buffer.from(pdf).includes('/DCTDecode'));
    assert.deepEqual(await renderPlantedPdf(d, { scanned: true, seed: 5 }), pdf);
  });
});
