/** Which section each line is in (medications, diagnoses, …), from the headings above it. */
import type { Section } from './lexicon.js';
import { SECTION_HEADERS } from './lexicon.js';
import type { Line } from './lines.js';

/** A short title-cased line without digits: the start of some section we do not read. */
function isGenericHeader(text: string): boolean {
  if (text.length > 45 || /[\d,;]|[.!?]$/.test(text) || /^[-•*·▪]/.test(text)) return false;
  if (/:\s*\S/.test(text)) return false;
  const words = text.replace(/:$/, '').split(/\s+/);
  if (words.length > 6) return false;
  return words.every((w) => /^[\p{Lu}(&/-]/u.test(w) || /^(and|of|for|the|to|in|on|at|with|or|&)$/i.test(w));
}

/** Each line's section; a heading line itself is in 'other'. */
export function sectionOf(pageLines: Line[][]): Map<Line, Section> {
  const out = new Map<Line, Section>();
  for (const lines of pageLines) {
    let current: Section = 'other';
    for (const line of lines) {
      const text = line.text.replace(/\s{2,}.*$/, '').trim();
      const hit = SECTION_HEADERS.find(([, re]) => re.test(text));
      if (hit && line.text.length < 60) {
        current = hit[0];
        out.set(line, 'other'); // the header itself
        continue;
      }
      if (isGenericHeader(line.text)) {
        current = 'other';
        out.set(line, 'other');
        continue;
      }
      out.set(line, current);
    }
  }
  return out;
}
