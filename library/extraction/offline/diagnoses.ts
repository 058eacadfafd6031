/** Diagnoses: ICD-10 coded anywhere with context, uncoded items of a diagnoses section or a conditions label. */
import type { Diagnosis } from '../../../core/contract/extraction.js';
import type { LabelValue } from './labels.js';
import { LABEL_OF } from './labels.js';
import { cellsOf } from './labels.js';
import type { Section } from './lexicon.js';
import { SECTION_HEADERS } from './lexicon.js';
import { DIAGNOSIS_COLUMN_WORDS } from './vocabulary.js';
import type { Line } from './lines.js';
import { lineEvidence } from './lines.js';
import { BULLET, FORM_TEMPLATE, isBlank, plainText, splitList } from './text.js';

const ICD_RE = /(?<![\w.-])([A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?![\w-]|\.\d)/g;
const ICD_ONLY = new RegExp(`^${ICD_RE.source}$`);
const DX_STATUS = /\b(active|resolved|chronic|suspected|ruled out|rule out|history of|improving|stable|worsening|in remission)\b/i;

/** A row of measured values (a lab row): a decimal number, a range, a number with a percent sign. */
const VALUE_ROW = /\d+\.\d+|\b\d+(?:\.\d+)?\s*[-–]\s*\d+(?:\.\d+)?\b|\d\s*%/;

/**
 * A heading that opens another section, read through scanning noise ("E  DISCHARGE MEDICATIONS  :",
 * "Laboratory Results  .  :"): a few words without digits closed by a colon, or a known section heading.
 */
function isNoisyHeading(text: string): boolean {
  const t = text.replace(/^[^\p{L}]*(?:\p{L}\s{2,})?/u, '').replace(/[\s.:;,'"|~-]+$/, '');
  if (t === '' || /\d/.test(t) || t.split(/\s+/).length > 5) return false;
  if (SECTION_HEADERS.some(([section, re]) => section === 'diagnoses' && re.test(t)) || /diagnos|problem|condition/i.test(t)) return false;
  if (/:\s*$/.test(text.replace(/[\s.;,'"|~-]+$/, ''))) return true;
  return SECTION_HEADERS.some(([section, re]) => section !== 'diagnoses' && re.test(t));
}

/** Narrative rather than a list item: long, several sentences, or written about the patient. */
function isProse(text: string): boolean {
  const t = text.replace(BULLET, '');
  return (
    t.length > 90 ||
    t.split(/\s+/).length > 12 ||
    /[.;]\s+\S/.test(t) ||
    /\b(patient|pt|reports?|reported|denies|complains|he|she|they|was|were|has|have|had|is|are|also|since|c\/o|yo)\b/i.test(t)
  );
}

export function cleanDescription(s: string): string {
  return s
    .replace(/\(\s*(?:ICD(?:-?10)?(?:-CM)?\s*(?:code)?\s*[:#]?\s*)?\)/gi, '')
    .replace(/\b(?:ICD(?:-?10)?(?:-CM)?)(?:\s*code)?\s*[:#]?\s*$/i, '')
    .replace(BULLET, '')
    .replace(/^[\s:\-–—,.[(«»"'*]+|[\s:\-–—,.[(«»"*]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function diagnoses(pageLines: Line[][], sections: Map<Line, Section>, kvs: LabelValue[]): Diagnosis[] {
  const out: Diagnosis[] = [];
  for (const lines of pageLines) {
    // A heading the section reader could not see for noise ends the diagnoses section there.
    let ended = false;
    for (const line of lines) {
      // (A scan's space after a code's point: 'K76. 0'.)
      const text = plainText(line.text).replace(/\b([A-TV-Z]\d[0-9A-Z])\. (\d{1,4})\b/g, '$1.$2');
      if (sections.get(line) !== 'diagnoses') ended = false;
      else if (!ended && isNoisyHeading(text)) ended = true;
      const inSection = sections.get(line) === 'diagnoses' && !ended;
      // A lab or vitals row ("Hematology  WBC Count  13.3 X10^3/uL") is no diagnosis, nor its unit a code.
      if (inSection && VALUE_ROW.test(text) && cellsOf(text).length >= 3 && !/\b[A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]/.test(text)) continue;
      const context = /\b(icd|diagnos|dx|assessment|impression|problem)/i.test(text) || inSection;
      // A table's header row ("ICD-10  Description", "Condition") is no diagnosis.
      if (cellsOf(text).every((c) => DIAGNOSIS_COLUMN_WORDS.includes(c.toLowerCase().replace(/[:.]$/, '')))) continue;
      // A row of codes and nothing else (a claim form's box 21: 'F41.1  R55  K21.9') is its own context.
      const cells = cellsOf(text);
      const codeRow = cells.length >= 2 && cells.every((c) => ICD_ONLY.test(c.trim()));
      const codes = [...text.matchAll(ICD_RE)].filter((m) => m[1]!.includes('.') || context || codeRow);
      if (codes.length === 0) {
        // An uncoded item of a diagnoses section: a short phrase, not a sentence of narrative.
        if (inSection && /^[\p{Lu}\d•*·▪-]/u.test(text) && !/:\s*\S/.test(text) && !isProse(text)) {
          const description = cleanDescription(text);
          if (description.length >= 3)
            out.push({
              description,
              icd10: null,
              status: DX_STATUS.exec(text)?.[1] ?? null,
              evidence: lineEvidence(line),
              confidence: BULLET.test(line.text) ? 0.55 : 0.5,
            });
        }
        continue;
      }
      codes.forEach((m, i) => {
        const start = m.index;
        const prevEnd = i > 0 ? codes[i - 1]!.index + codes[i - 1]![0].length : 0;
        const nextStart = codes[i + 1]?.index ?? text.length;
        // Description: the text before the code on its side ("Pneumonia (ICD-10: J18.9)"), else after ("E11.9 - Type 2 ...").
        let description = cleanDescription(text.slice(prevEnd, start));
        if (description.length < 3 || /^(icd|code|dx|diagnosis)$/i.test(description))
          description = cleanDescription(text.slice(start + m[0].length, nextStart));
        // Another code is no description ('F41.1  R55').
        if (description.length < 3 || ICD_ONLY.test(description)) description = m[1]!;
        out.push({
          description,
          icd10: m[1]!,
          status: DX_STATUS.exec(text)?.[1] ?? null,
          evidence: lineEvidence(line),
          confidence: m[1]!.includes('.') && context ? 0.9 : context ? 0.8 : 0.65,
        });
      });
    }
  }
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'conditions' || kv.nextLine || isBlank(kv.value)) continue;
    if ([...kv.value.matchAll(ICD_RE)].length > 0) continue; // already read with its code
    for (const item of splitList(kv.value)) {
      const description = cleanDescription(item.replace(/\((?:diagnosed|dx|since)[^)]*\)/i, ''));
      if (description.length >= 3 && !isBlank(description) && !/_{2,}/.test(description) && !FORM_TEMPLATE.test(item)) {
        out.push({ description, icd10: null, status: DX_STATUS.exec(item)?.[1] ?? null, evidence: lineEvidence(kv.line), confidence: 0.55 });
      }
    }
  }
  // An uncoded diagnosis that repeats a coded one ("Pneumonia (CAP) with moderate severity") is dropped.
  const norm = (s: string): string =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  const coded = out.filter((d) => d.icd10).map((d) => norm(d.description));
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = d.icd10 ? `icd:${d.icd10}` : `d:${norm(d.description)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (d.icd10) return true;
    const n = norm(d.description);
    return !coded.some((c) => c.length >= 4 && (n.includes(c) || c.includes(n)));
  });
}
