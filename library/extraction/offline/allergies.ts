/** Allergies and their reactions, from an allergies label or the items of an allergies section. */
import type { Allergy } from '../../../core/contract/extraction.js';
import type { LabelValue } from './labels.js';
import { LABEL_OF } from './labels.js';
import type { Section } from './lexicon.js';
import type { Line } from './lines.js';
import { lineEvidence } from './lines.js';
import { BULLET, FORM_TEMPLATE, group, isBlank, plainText, splitList } from './text.js';

const NO_ALLERGY = /^(none|nil|nkda|nka|nkma|no known (drug |medication )?allerg(y|ies)|no allerg(y|ies)|denies|no)\b\.?/i;

function parseAllergy(item: string): { substance: string; reaction: string | null } | null {
  const t = plainText(item).replace(BULLET, '').trim().replace(/\.$/, '');
  if (t === '' || isBlank(t) || /_{2,}/.test(t) || NO_ALLERGY.test(t) || FORM_TEMPLATE.test(t)) return null;
  let m = /^(?<sub>[^()]+?)\s*\((?<rx>[^)]+)\)/.exec(t);
  if (m) return { substance: group(m, 'sub')!.trim(), reaction: splitList(group(m, 'rx')!)[0] ?? null };
  m = /^(?<sub>[^:]+?)\s+[-:]\s+(?<rx>.+)$/.exec(t);
  if (m) return { substance: group(m, 'sub')!.trim(), reaction: splitList(group(m, 'rx')!)[0]?.replace(/^reaction\s*:?\s*/i, '') ?? null };
  if (t.split(/\s+/).length > 5) return null;
  return { substance: t, reaction: null };
}

export function allergies(pageLines: Line[][], sections: Map<Line, Section>, kvs: LabelValue[]): Allergy[] {
  const out: Allergy[] = [];
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'allergies' || isBlank(kv.value)) continue;
    // "Penicillin - rash, moderate" is one allergy; "Penicillin (rash), Sulfa (hives)" are two.
    const items = /\s[-–]\s/.test(kv.value) ? [kv.value] : splitList(kv.value);
    for (const item of items) {
      const a = parseAllergy(item);
      if (a) out.push({ ...a, severity: null, evidence: lineEvidence(kv.line), confidence: kv.nextLine ? 0.7 : 0.85 });
    }
  }
  for (const lines of pageLines) {
    for (const line of lines) {
      if (sections.get(line) !== 'allergies' || /:\s*\S/.test(line.text)) continue;
      if (out.some((a) => a.evidence.page === line.page && a.evidence.quote === line.text)) continue;
      const a = parseAllergy(line.text);
      if (a) out.push({ ...a, severity: null, evidence: lineEvidence(line), confidence: 0.75 });
    }
  }
  return out;
}
