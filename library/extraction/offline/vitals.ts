/** Vital signs: blood pressure, heart and respiratory rate, temperature, SpO2, weight, height, BMI. */
import type { Vital } from '../../../core/contract/extraction.js';
import type { Section } from './lexicon.js';
import type { Line } from './lines.js';
import { lineEvidence } from './lines.js';
import { cellsOf } from './labels.js';
import { plainText } from './text.js';
import { VITAL_NAMES } from './vocabulary.js';

const VITAL_RULES: Array<{ name: string; re: RegExp; unit: (m: RegExpExecArray) => string | null; value: (m: RegExpExecArray) => number | string }> = [
  {
    name: 'Blood Pressure',
    re: /\b(?:BP|B\/P|blood pressure)\s*[:=]?\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*(mm\s*hg)?/gi,
    value: (m) => `${m[1]}/${m[2]}`,
    unit: () => 'mmHg',
  },
  {
    name: 'Heart Rate',
    re: /\b(?:HR|heart rate|pulse(?: rate)?)\s*[:=]?\s*(\d{2,3})\s*(bpm|beats\/min|\/min|b\/min)?(?![\d/.])/gi,
    value: (m) => Number(m[1]),
    unit: (m) => (m[2] ? m[2] : null),
  },
  {
    name: 'Respiratory Rate',
    re: /\b(?:RR|resp(?:iratory)?(?:\s*rate)?|respirations)\s*[:=]?\s*(\d{1,2})\s*(breaths\/min|\/min|bpm)?(?![\d/.])/gi,
    value: (m) => Number(m[1]),
    unit: (m) => (m[2] ? m[2] : null),
  },
  {
    name: 'Temperature',
    re: /\b(?:T|temp(?:erature)?)\s*[:=]?\s*(\d{2,3}(?:\.\d+)?)\s*(°\s*[CF]|[CF]\b|deg(?:rees)?\s*[CF])?/gi,
    value: (m) => Number(m[1]),
    unit: (m) => (m[2] ? `°${m[2].replace(/[^CF]/gi, '').toUpperCase()}` : null),
  },
  {
    name: 'SpO2',
    re: /\b(?:SpO2|SpO₂|SaO2|O2 sat(?:uration)?|oxygen saturation|sats?)\s*[:=]?\s*(\d{2,3})\s*(%)?/gi,
    value: (m) => Number(m[1]),
    unit: () => '%',
  },
  {
    name: 'Weight',
    // ('1b': a scan's 'lb' as OCR reads it.)
    re: /\b(?:wt|weight)\s*[:=]?\s*(\d{1,3}(?:\.\d+)?)\s*(kg|kgs|lbs?|1bs?|pounds|g)\b/gi,
    value: (m) => Number(m[1]),
    unit: (m) => m[2]!.replace(/^1b/i, 'lb'),
  },
  {
    name: 'Height',
    re: /\b(?:ht|height)\s*[:=]?\s*(\d{1,3}(?:\.\d+)?)\s*(cm|m|in|inches|ft)\b/gi,
    value: (m) => Number(m[1]),
    unit: (m) => m[2]!,
  },
  {
    name: 'BMI',
    re: /\bBMI\s*[:=]?\s*(\d{1,2}(?:\.\d+)?)\s*(kg\/m2|kg\/m²)?/gi,
    value: (m) => Number(m[1]),
    unit: (m) => m[2] ?? 'kg/m2',
  },
];
export const VITAL_LINE = /\b(BP|blood pressure|heart rate|pulse|SpO2|temp(erature)?|resp(iratory)? rate|weight|height|BMI)\b\s*[:=]?\s*\d/i;

/** A row of vital-sign names only ("BP  Pulse", "Temp"): the next line holds their values, column by column. */
const VITAL_NAME = new RegExp(String.raw`^(?:${VITAL_NAMES.join('|')})$`, 'i');

export function vitals(pageLines: Line[][], sections: Map<Line, Section>): Vital[] {
  const out: Vital[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const names = cellsOf(line.text);
      const below = lines[i + 1];
      const values = below ? cellsOf(below.text) : [];
      // One name alone on its line takes a lone measurement below it ('Temp' / '100.1 °F').
      const grid = names.length >= 2 || (names.length === 1 && values.length === 1 && /^\d/.test(values[0]!));
      if (grid && names.every((c) => VITAL_NAME.test(c)) && below) {
        if (values.length === names.length) {
          names.forEach((name, k) => {
            for (const rule of VITAL_RULES) {
              rule.re.lastIndex = 0;
              const m = rule.re.exec(plainText(`${name} ${values[k]}`));
              if (!m) continue;
              out.push({ name: rule.name, value: rule.value(m), unit: rule.unit(m), taken_at: null, evidence: lineEvidence(below), confidence: 0.75 });
              break;
            }
          });
          i++;
          continue;
        }
      }
      // OCR may leave a stray mark between a table's cells ("HR  ;  97  /min").
      const text = plainText(line.text).replace(/\s{2,}[;|:,.]\s{2,}/g, '  ');
      const inSection = sections.get(line) === 'vitals';
      for (const rule of VITAL_RULES) {
        rule.re.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = rule.re.exec(text))) {
          const value = rule.value(m);
          const unit = rule.unit(m);
          // Weak labels ("T", "sat", "RR", "HR") need a unit or a vitals section.
          const weak = /^(t|sats?|rr|hr|resp)\b/i.test(m[0]) && !unit && !inSection;
          if (weak) continue;
          if (rule.name === 'Temperature' && typeof value === 'number' && !(value >= 30 && value <= 45) && !(value >= 86 && value <= 113)) continue;
          if (rule.name === 'SpO2' && typeof value === 'number' && value > 100) continue;
          out.push({ name: rule.name, value, unit, taken_at: null, evidence: lineEvidence(line), confidence: inSection || unit ? 0.85 : 0.7 });
        }
      }
    }
  }
  return out;
}
