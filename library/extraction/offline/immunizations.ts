/** Immunizations: vaccine, date and lot, from a table read by its header or the dated items of an immunizations section. */
import type { Immunization } from '../../../core/contract/extraction.js';
import type { DateContext } from './dates.js';
import { parseDate } from './dates.js';
import type { LabelValue } from './labels.js';
import { cellsOf, isKnownLabel, labelKey } from './labels.js';
import type { Section } from './lexicon.js';
import type { Line } from './lines.js';
import { lineEvidence, spanEvidence } from './lines.js';
import { BULLET, plainText } from './text.js';
import { COLUMN_WORDS } from './vocabulary.js';

const LOT = /\blot\s*(?:#|no\.?|number)?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{2,})/i;

function columnOf(cell: string): string | null {
  const k = plainText(cell).toLowerCase().replace(/[:.]$/, '').trim();
  for (const kind of ['vaccine', 'date', 'lot']) if ((COLUMN_WORDS[kind] ?? []).some((w) => k === w || k.startsWith(`${w} `))) return kind;
  return null;
}

/**
 * A row one cell short because the vaccine and its lot were printed one space apart
 * ('Human papillomavirus (9vHPV) HP34754'): the lot-shaped last word becomes its own cell.
 */
function unglued(cells: string[], kinds: Array<string | null>): string[] {
  const v = kinds.indexOf('vaccine');
  if (cells.length !== kinds.length - 1 || v < 0 || kinds[v + 1] !== 'lot') return cells;
  const m = /^(.*\p{L}.*?)\s+([A-Z0-9][A-Z0-9-]{3,})$/u.exec(cells[v] ?? '');
  if (!m || !/\d/.test(m[2]!) || !/[A-Z]/.test(m[2]!)) return cells;
  return [...cells.slice(0, v), m[1]!, m[2]!, ...cells.slice(v + 1)];
}

export function immunizations(pageLines: Line[][], sections: Map<Line, Section>, dates: DateContext, kvs: LabelValue[]): Immunization[] {
  const out: Immunization[] = [];
  // Lines that carried labelled values (a form's header block) are never items.
  const labelled = new Set(kvs.map((kv) => kv.line));
  for (const lines of pageLines) {
    const used = new Set<Line>();
    for (let i = 0; i < lines.length; i++) {
      const kinds = cellsOf(lines[i]!.text).map(columnOf);
      if (!kinds.includes('vaccine') || !kinds.includes('date')) continue;
      let last: { item: Immunization; line: Line } | null = null;
      for (let j = i + 1; j < lines.length; j++) {
        const line = lines[j]!;
        const cells = unglued(cellsOf(line.text), kinds);
        // The rest of a vaccine's name wrapped under its row ('Zoster recombinant' / '(Shingrix)').
        if (last && cells.length === 1 && cells.length < kinds.length && !parseDate(line.text, dates) && line.text.split(/\s+/).length <= 4) {
          last.item.vaccine = `${last.item.vaccine} ${plainText(line.text).trim()}`;
          last.item.evidence = spanEvidence(last.line, line);
          used.add(line);
          last = null;
          continue;
        }
        if (cells.length !== kinds.length) break;
        const at = (kind: string): string | undefined => cells[kinds.indexOf(kind)];
        const date = parseDate(at('date') ?? '', dates);
        const vaccine = at('vaccine')?.trim();
        if (!date || !vaccine || !/\p{L}{2}/u.test(vaccine)) break;
        const lot = at('lot')?.trim();
        const item: Immunization = { vaccine, date: date.iso, lot: lot && /\d/.test(lot) ? lot : null, evidence: lineEvidence(line), confidence: 0.85 };
        out.push(item);
        used.add(line);
        last = { item, line };
      }
    }
    for (const line of lines) {
      if (used.has(line) || labelled.has(line) || sections.get(line) !== 'immunizations') continue;
      if (/^[^:]{1,40}:/.test(line.text) || isKnownLabel(labelKey(cellsOf(line.text)[0] ?? ''))) continue; // a labelled value, not an item
      const text = plainText(line.text)
        .replace(BULLET, '')
        .replace(/^[^\p{L}\p{N}]+/u, '');
      const d = parseDate(text, dates);
      if (!d) continue;
      const rest = `${text.slice(0, d.start)} ${text.slice(d.end)}`.trim();
      const vaccine = rest
        .split(/,\s*(?:dose|lot|series)\b|\s+(?:dose|lot)\s+[#\dA-Z]|\s{2,}|\s+[-–]\s+/i)[0]!
        .replace(/^[\s,:-]+|[\s,:-]+$/g, '')
        .trim();
      if (vaccine.length < 2 || !/\p{L}{2}/u.test(vaccine) || parseDate(vaccine, dates)) continue;
      out.push({ vaccine, date: d.iso, lot: LOT.exec(rest)?.[1] ?? null, evidence: lineEvidence(line), confidence: 0.75 });
    }
  }
  return out;
}
