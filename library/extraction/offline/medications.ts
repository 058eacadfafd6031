/** Medications: name, dose, route, frequency and status, from list items, "Sig:" lines and labelled values. */
import type { Medication, MedicationStatus } from '../../../core/contract/extraction.js';
import type { LabelValue } from './labels.js';
import { LABEL_OF } from './labels.js';
import type { Section } from './lexicon.js';
import { FREQUENCY_PATTERNS } from './lexicon.js';
import type { Line } from './lines.js';
import { lineEvidence, spanEvidence } from './lines.js';
import { BULLET, FORM_TEMPLATE, group, isBlank, plainText, splitList } from './text.js';

const DOSE_UNIT = String.raw`(?:mg|mcg|µg|μg|ug|g|gm|gram|grams|ml|mL|units?|iu|IU|meq|mEq|mmol|%|puffs?|drops?)`;
const DOSE_RE = new RegExp(String.raw`(?<amount>\d+(?:\.\d+)?(?:\s*\/\s*\d+(?:\.\d+)?)?)\s*(?<unit>${DOSE_UNIT})(?![\w/])`, 'i');
const ROUTE_RE =
  /\b(PO|P\.O\.|oral(?:ly)?|by mouth|IV|intravenous(?:ly)?|IM|intramuscular(?:ly)?|SC|SQ|subcut(?:aneous(?:ly)?)?|SL|sublingual(?:ly)?|PR|rectal(?:ly)?|topical(?:ly)?|inhaled|inhalation|INH|nebuli[sz]ed|transdermal(?:ly)?|ophthalmic|otic|(?:intra)?nasal(?:ly)?|per rectum)\b/i;
const FREQ_RE = new RegExp(String.raw`\b(` + FREQUENCY_PATTERNS.map((x) => `(?:${x})`).join('|') + String.raw`)(?![\w])`, 'i');
const NOT_A_DRUG =
  /\b(levels?|ranging|check|monitor(ing)?|review|follow|test|glucose|blood|pressure|diet|fever|days?|weeks?|hours?|therapy|x-ray|scan|charges?|room|total|amount|approved|fasting|patient|age|weight|dose|take|advice)\b/i;

function medStatus(text: string): MedicationStatus | null {
  if (/\bdiscontinu(e|ed)|\bstop(ped)?\b|\bhold\b/i.test(text)) return 'stopped';
  if (/\b(chang(e|ed)|increas(e|ed)|decreas(e|ed))\b/i.test(text)) return 'changed';
  if (/\bcontinu(e|ed|ing)\b/i.test(text) || /\bnew(ly started)?\b|\bstart(ed)?\b/i.test(text)) return 'active';
  return null;
}

function freqOf(text: string): string | null {
  const m = FREQ_RE.exec(text);
  return m ? m[1]!.trim() : null;
}

type MedParse = Omit<Medication, 'evidence' | 'confidence' | 'reasons'>;

/** "Amoxicillin-Clavulanate 625mg PO BD x 5 days (continue)" → parts. `requireDose` for lines outside a medication section. */
function parseMedItem(raw: string, requireDose: boolean): MedParse | null {
  const t = plainText(raw).replace(BULLET, '').trim();
  const m = new RegExp(String.raw`^(?<name>[A-Za-z][A-Za-z0-9'/-]*(?:\s+(?!\d)[A-Za-z][A-Za-z0-9'/-]*){0,3}?)\s*[,:]?\s+(?<rest>\d.*)$`).exec(t);
  let name: string;
  let dose: string | null = null;
  let rest: string;
  if (m) {
    const d = DOSE_RE.exec(group(m, 'rest')!);
    if (!d || d.index !== 0) return null;
    name = group(m, 'name')!;
    dose = `${group(d, 'amount')!.replace(/\s+/g, '')} ${group(d, 'unit')}`;
    rest = group(m, 'rest')!.slice(d[0].length);
  } else {
    if (requireDose) return null;
    // No dose: "Motrin once/week", "Tums previously" — the name is the words before the first frequency/route word.
    const n =
      /^(?<name>[A-Za-z][A-Za-z'/-]*(?:\s+[A-Za-z][A-Za-z'/-]*){0,2}?)(?=\s+(?:once|twice|daily|as|prn|po|iv|at|every|q\d|bid|tid|od|bd|previously|\(|-)|$)/i.exec(
        t,
      );
    if (!n) return null;
    name = group(n, 'name')!;
    rest = t.slice(name.length);
  }
  name = name.replace(/\s+(tab|tabs|tablet|cap|caps|capsule)$/i, '').trim();
  if (name.length < 3 || NOT_A_DRUG.test(name)) return null;
  const route = ROUTE_RE.exec(rest)?.[1] ?? (/\b(inhaler|MDI)\b/i.test(rest) || /\binhaler\b/i.test(name) ? 'inhalation' : null);
  return {
    name,
    strength: dose,
    form: null,
    route,
    frequency: freqOf(rest),
    instructions: null,
    duration: null,
    quantity: null,
    status: medStatus(rest),
  };
}

export function medications(pageLines: Line[][], sections: Map<Line, Section>, kvs: LabelValue[]): Medication[] {
  const out: Medication[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const inSection = sections.get(line) === 'medications';
      if (/^\s*sig\s*:/i.test(line.text)) continue;
      if (/:\s*\S/.test(line.text) && !inSection) continue; // label lines are read below
      const bulleted = BULLET.test(line.text);
      const med = parseMedItem(line.text, !inSection || !bulleted);
      if (!med) continue;
      if (!inSection && !(med.frequency || med.route)) continue;
      // The directions may follow on a "Sig:" line; the evidence then spans both lines.
      let evidence = lineEvidence(line);
      const next = lines[i + 1];
      if (next && /^\s*sig\s*:/i.test(next.text)) {
        const sig = plainText(next.text);
        med.frequency ??= freqOf(sig);
        med.route ??= ROUTE_RE.exec(sig)?.[1] ?? null;
        med.status ??= medStatus(sig);
        evidence = spanEvidence(line, next);
      }
      const confidence = inSection ? (med.strength ? 0.85 : 0.6) : 0.6;
      out.push({ ...med, evidence, confidence });
    }
  }
  for (const kv of kvs) {
    if (LABEL_OF.get(kv.key) !== 'medications' || kv.nextLine || isBlank(kv.value)) continue;
    if (FORM_TEMPLATE.test(kv.value)) continue;
    for (const item of splitList(kv.value).flatMap((x) => x.split(/\.\s+(?=\p{Lu})/u))) {
      const med = parseMedItem(item.replace(/\.$/, ''), false);
      if (med) out.push({ ...med, evidence: lineEvidence(kv.line), confidence: med.strength ? 0.8 : 0.55 });
    }
  }
  return out;
}
