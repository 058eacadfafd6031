/** Schema v2 scalars read from labelled values: patient age, the encounter, insurance and claim totals. */
import type { Extraction, Field } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import type { LabelValue } from './labels.js';
import { fieldsOfLabel } from './labels.js';
import type { Candidate, Line } from './lines.js';
import { best } from './lines.js';
import { cleanPersonName } from './patient.js';
import { isBlank, isStandIn, plainText } from './text.js';
import { PAYER_PROGRAMS, PAYER_TITLE_WORDS, PAYER_WORDS, TOTAL_LABEL_WORDS } from './vocabulary.js';

const AGE_UNIT = String.raw`(?:years?|yrs?|y\/o|yo|y|months?|mos?|m|weeks?|wks?|days?|d)`;
/** "49", "49 y", "75y", "44 years", "49 yrs / Male": the age as printed, or null. */
function ageOf(raw: string, combined: boolean): string | null {
  const v = plainText(raw).trim();
  const m = new RegExp(String.raw`^(\d{1,3})(?:\s*${AGE_UNIT}\.?)?(?![\w/.-]|\/\d)`, 'i').exec(v);
  if (!m) {
    if (!combined) return null;
    const any = new RegExp(String.raw`\b(\d{1,3}\s*${AGE_UNIT})\b`, 'i').exec(v);
    return any && Number.parseInt(any[1]!, 10) <= 130 ? any[1]!.trim() : null;
  }
  if (Number(m[1]) > 130) return null;
  if (!combined && v.length > m[0].length + 2 && !/^[\s,;/|-]/.test(v.slice(m[0].length))) return null;
  return m[0].trim();
}

/** Title words: a line with one is the document's title, not an insurer's name. */
const NOT_PAYER = new RegExp(String.raw`\b(?:${PAYER_TITLE_WORDS.join('|')})\b`, 'i');
const PROGRAM_RE = new RegExp(String.raw`\b(?:${PAYER_PROGRAMS.join('|')})\b`, 'gi');
/** A claim form's row of programme checkboxes ("MEDICARE  MEDICAID  TRICARE ..."). */
const isProgramRow = (v: string): boolean => new Set((v.match(PROGRAM_RE) ?? []).map((w) => w.toLowerCase())).size >= 2;

/** "49-year-old", "49 y/o", "aged 49" in a sentence. */
const PROSE_AGE = /\b(\d{1,3})[- ](?:year|yr)s?[- ]old\b|\b(\d{1,3})\s*(?:y\/o|yo)\b|\baged\s+(\d{1,3})\b/i;

function money(raw: string): number | null {
  // A currency sign may be any one symbol (a font may map ₹ to another glyph).
  const m = /^\(?\s*(?:[^\p{L}\p{Nd}\s(]|rs\.?|inr|usd)?\s*(-?\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|-?\d+(?:\.\d{1,2})?)\s*\)?(?:\s*\([^)]*\))?$/iu.exec(
    plainText(raw).trim(),
  );
  if (!m) return null;
  const n = Number(m[1]!.replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

function identifier(raw: string): string | null {
  const v = plainText(raw)
    .trim()
    .replace(/^#\s*/, '')
    .replace(/[.,;]$/, '');
  if (isStandIn(v)) return v;
  if (!/^[A-Za-z0-9][A-Za-z0-9\-/.]{1,29}$/.test(v) || !/\d/.test(v)) return null;
  return v;
}

function person(raw: string): string | null {
  const [who = '', ...creds] = plainText(raw)
    .split(/\s+-\s+|\s*\(|\s+\|\s+/)[0]!
    .split(',');
  const name = cleanPersonName(who.replace(/^(Dr\.?|Doctor)\s+/i, 'Dr. ').trim(), 2);
  if (!name) return null;
  const c = creds.map((x) => x.trim()).filter((x) => /^[A-Z][A-Za-z.-]{1,8}$/.test(x));
  return [name, ...c].join(', ');
}

export interface V2Scalars {
  age: Field<string>;
  encounter: Extraction['encounter'];
  insurance: Extraction['insurance'];
  claim_totals: Extraction['claim_totals'];
}

export function v2Scalars(kvs: LabelValue[], pageLines: Line[][], dates: DateContext): V2Scalars {
  const c = {
    age: [] as Array<Candidate<string>>,
    admission: [] as Array<Candidate<string>>,
    discharge: [] as Array<Candidate<string>>,
    attending: [] as Array<Candidate<string>>,
    ward: [] as Array<Candidate<string>>,
    payer: [] as Array<Candidate<string>>,
    member_id: [] as Array<Candidate<string>>,
    group_number: [] as Array<Candidate<string>>,
    bare_id: [] as Array<Candidate<string>>,
  };
  const totals = { total_charge: [] as Array<Candidate<number>>, amount_paid: [] as Array<Candidate<number>>, balance_due: [] as Array<Candidate<number>> };
  for (const kv of kvs) {
    if (isBlank(kv.value)) continue;
    const penalty = kv.nextLine ? 0.85 : 1;
    const fields = fieldsOfLabel(kv.key);
    // An amount under a label we do not list: its words say which total it is.
    if (fields.length === 0 && money(kv.value) !== null) {
      const rule = TOTAL_LABEL_WORDS.find(
        (r) => new RegExp(String.raw`\b(?:${r.words})\b`, 'i').test(kv.key) && !new RegExp(String.raw`\b(?:${r.not})\b`, 'i').test(kv.key),
      );
      if (rule) totals[rule.field].push({ value: money(kv.value)!, line: kv.line, confidence: 0.6 * penalty });
    }
    for (const field of fields) {
      switch (field) {
        case 'age': {
          const a = ageOf(kv.value, kv.key.includes('/'));
          if (a) c.age.push({ value: a, line: kv.line, confidence: 0.9 * penalty });
          break;
        }
        case 'admission':
        case 'discharge': {
          const d = parseDate(kv.value, dates);
          if (d && d.start <= 2) c[field].push({ value: d.iso, line: kv.line, confidence: (d.ambiguous ? 0.75 : 0.9) * penalty });
          break;
        }
        case 'attending': {
          const p = person(kv.value);
          if (p) c.attending.push({ value: p, line: kv.line, confidence: 0.85 * penalty });
          break;
        }
        case 'ward': {
          const v = plainText(kv.value).trim();
          if (v.length >= 1 && v.length <= 40 && !/_{2,}/.test(v)) c.ward.push({ value: v, line: kv.line, confidence: 0.75 * penalty });
          break;
        }
        case 'payer': {
          const v = plainText(kv.value)
            .split(/\s+-\s+|\s+\|\s+/)[0]!
            .trim();
          if (v.length >= 3 && v.length <= 60 && /\p{L}{3}/u.test(v) && !/_{2,}|[□☐☒[\]]/.test(v) && !isProgramRow(v))
            c.payer.push({ value: v, line: kv.line, confidence: 0.8 * penalty });
          break;
        }
        case 'member_id':
        case 'bare_id':
        case 'group_number': {
          const v = identifier(kv.value);
          if (v && kv.value.trim().split(/\s+/).length === 1) c[field].push({ value: v, line: kv.line, confidence: 0.85 * penalty });
          break;
        }
        case 'total_charge':
        case 'amount_paid':
        case 'balance_due': {
          const n = money(kv.value);
          // "Total" alone is weaker than "Total charges".
          if (n !== null) totals[field].push({ value: n, line: kv.line, confidence: (kv.key === 'total' || kv.key === 'paid' ? 0.6 : 0.85) * penalty });
          break;
        }
        default:
          break;
      }
    }
  }
  for (const lines of pageLines) {
    for (const line of lines) {
      const m = PROSE_AGE.exec(plainText(line.text));
      if (m) c.age.push({ value: m[1] ?? m[2] ?? m[3]!, line, confidence: 0.6 });
    }
  }
  if (c.member_id.length === 0 && (c.group_number.length > 0 || c.payer.length > 0)) c.member_id.push(...c.bare_id.map((b) => ({ ...b, confidence: 0.6 })));
  // A card or claim without a payer label: its first line when that is an insurer's name.
  if (c.payer.length === 0 && (c.member_id.length > 0 || c.group_number.length > 0)) {
    const first = pageLines.find((l) => l.length > 0)?.slice(0, 4) ?? [];
    const payerWords = new RegExp(String.raw`\b(${PAYER_WORDS.join('|')})\b`, 'i');
    for (const line of first) {
      // The name before an address ("Prairie State Medicaid Plan PO Box 87012"); a title is no insurer.
      const v = plainText(line.text)
        .split(/\s{2,}|\s+\|\s+/)[0]!
        .split(/\s+(?:P\.?\s?O\.?\s+Box|\d{2,})\b/i)[0]!
        .trim();
      if (payerWords.test(v) && v.length <= 50 && !/:|\d{3,}/.test(v) && !NOT_PAYER.test(v) && !isProgramRow(plainText(line.text))) {
        c.payer.push({ value: v, line, confidence: 0.6 });
        break;
      }
    }
  }
  return {
    age: best(c.age),
    encounter: { admission_date: best(c.admission), discharge_date: best(c.discharge), attending: best(c.attending), ward: best(c.ward) },
    insurance: { payer: best(c.payer), member_id: best(c.member_id), group_number: best(c.group_number) },
    claim_totals: { total_charge: best(totals.total_charge), amount_paid: best(totals.amount_paid), balance_due: best(totals.balance_due) },
  };
}
