/** Procedures: CPT coded inline, rows of a table with a CPT column, items of a procedures section. */
import type { Procedure } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import { cleanDescription } from './diagnoses.js';
import { cellsOf } from './labels.js';
import type { Section } from './lexicon.js';
import { MONTH_PATTERN } from './lexicon.js';
import { PROCEDURE_COLUMN_WORDS } from './vocabulary.js';
import type { Line } from './lines.js';
import { lineEvidence } from './lines.js';
import { BULLET, group, plainText } from './text.js';

export function procedures(pageLines: Line[][], sections: Map<Line, Section>, dates: DateContext): Procedure[] {
  const out: Procedure[] = [];
  for (const lines of pageLines) {
    // A table with a CPT column ("Service DescriptionCPT Code  Amount"): text layers may glue the header cells.
    const cptColumn = lines.some((l) => /(?<![A-Z])CPT(?:\/HCPCS)?\b(?!\s*[:#])/.test(l.text) && !/\bCPT\s*[:#]?\s*\d/i.test(l.text));
    for (const line of lines) {
      const text = plainText(line.text);
      const date = parseDate(text, dates)?.iso ?? null;
      const inline = /\(?\s*\bCPT(?:\s*code)?\s*[:#]?\s*(\d{4}[0-9A-Z])\b\s*\)?/i.exec(text);
      if (inline) {
        const name =
          cleanDescription(text.slice(0, inline.index)) || cleanDescription(text.slice(inline.index + inline[0].length).split(/\s+[-–]\s+/)[0] ?? '');
        if (name.length >= 3) out.push({ name, code: inline[1]!, date, evidence: lineEvidence(line), confidence: 0.85 });
        continue;
      }
      if (cptColumn) {
        // Bills: "Chest X-Ray (Bilateral)71046  ¹2,200" — a description then a 5-character code.
        const m = /^(?<name>[A-Za-z][^|]*?[A-Za-z)\]])\s*(?<code>\d{5}|\d{4}[A-Z])(?:\s|$)/.exec(text);
        // Not an address ("Any Town, CA 92126"), not a dated or totals line.
        const name = m ? group(m, 'name')! : '';
        if (m && !/\b(total|amount|date|invoice|mrn|zip)\b/i.test(name) && !/,\s*[A-Z]{2}$/.test(name) && !parseDate(name, dates)) {
          out.push({ name: group(m, 'name')!.trim(), code: group(m, 'code')!, date, evidence: lineEvidence(line), confidence: 0.55 });
          continue;
        }
      }
      if (sections.get(line) === 'procedures') {
        const cells = cellsOf(text);
        // A table's header row ("Description  CPT") is no procedure; nor is a line of dates.
        if (cells.length >= 2 && cells.every((c) => PROCEDURE_COLUMN_WORDS.includes(c.toLowerCase().replace(/[:.]$/, '')))) continue;
        // "Procedure: CT Abdomen", "Chest X-ray, 2 views  71046": a label before, a code after.
        let rest = text.replace(/^(?:procedures?|operations?|study|exam(?:ination)?)\s*(?:performed|done)?\s*:\s*/i, '');
        if (/:\s*\S/.test(rest) && !BULLET.test(line.text)) continue;
        let code: string | null = null;
        const coded = /^(?<name>.*?[\p{L})\]])[\s\W]*?(?<code>\d{4}[0-9A-Z]|[A-V]\d{4})\s*$/u.exec(rest);
        if (coded) {
          rest = group(coded, 'name')!;
          code = group(coded, 'code')!;
        }
        const name = cleanDescription(rest.split(/\s{2,}/)[0]!);
        const letters = name.replace(new RegExp(MONTH_PATTERN, 'gi'), '').match(/\p{L}/gu)?.length ?? 0;
        if (name.length >= 3 && name.length <= 120 && letters >= 3 && !/[.!?]$/.test(name) && name.split(/\s+/).length <= 12)
          out.push({ name, code, date, evidence: lineEvidence(line), confidence: code ? 0.75 : 0.6 });
      }
    }
  }
  return out;
}
