/** Tesseract's output shaped into our text conventions, and scored for the orientation probe. */

export interface TessWord {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}
export interface TessData {
  text: string;
  confidence: number;
  rotateRadians?: number | null;
  blocks?: Array<{ paragraphs: Array<{ lines: Array<{ words: TessWord[] }> }> }> | null;
}

/**
 * Tesseract's lines → text per the shared text conventions (one visual row per line, two spaces at a
 * column gap). Tesseract orders lines block by block, so a table can come back column by column; lines
 * that share a visual row are put back side by side, left to right, so a lab row reads
 * "Creatinine  1.00  mg/dL  0.60 - 1.30" as it does on paper.
 */
export function wordsToText(lines: TessWord[][]): string {
  const segments = lines
    .map((words) => words.filter((w) => w.text.trim() !== ''))
    .filter((words) => words.length > 0)
    .map((words) => ({
      words,
      x0: Math.min(...words.map((w) => w.bbox.x0)),
      y0: Math.min(...words.map((w) => w.bbox.y0)),
      y1: Math.max(...words.map((w) => w.bbox.y1)),
    }))
    .sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1));
  // Group segments whose vertical extents overlap by more than half of the smaller one: one row.
  const rows: Array<{ y0: number; y1: number; segments: typeof segments }> = [];
  for (const seg of segments) {
    const row = rows[rows.length - 1];
    const overlap = row ? Math.min(row.y1, seg.y1) - Math.max(row.y0, seg.y0) : 0;
    if (row && overlap > 0.5 * Math.min(row.y1 - row.y0, seg.y1 - seg.y0)) {
      row.segments.push(seg);
      row.y0 = Math.min(row.y0, seg.y0);
      row.y1 = Math.max(row.y1, seg.y1);
    } else rows.push({ y0: seg.y0, y1: seg.y1, segments: [seg] });
  }
  const out: string[] = [];
  for (const row of rows) {
    let line = '';
    let prev: TessWord | undefined;
    for (const w of row.segments.sort((a, b) => a.x0 - b.x0).flatMap((s) => s.words)) {
      const t = w.text.trim();
      if (prev) {
        const charW = ((prev.bbox.x1 - prev.bbox.x0) / Math.max(prev.text.length, 1) + (w.bbox.x1 - w.bbox.x0) / Math.max(t.length, 1)) / 2;
        line += w.bbox.x0 - prev.bbox.x1 > 1.5 * charW ? '  ' : ' ';
      }
      line += t;
      prev = w;
    }
    out.push(line);
  }
  return out.join('\n');
}

export function shape(data: TessData): { lines: TessWord[][]; words: TessWord[]; confidence: number } {
  const lines = (data.blocks ?? []).flatMap((b) => b.paragraphs.flatMap((p) => p.lines.map((l) => l.words)));
  const words = lines.flat().filter((w) => w.text.trim() !== '');
  const confidence = words.length ? words.reduce((s, w) => s + w.confidence, 0) / words.length : 0;
  return { lines, words, confidence };
}

/** Orientation probe score: words read with good confidence. */
export function probeScore(data: TessData): number {
  return shape(data).words.filter((w) => w.confidence >= 70 && w.text.replace(/[^\p{L}\p{N}]/gu, '').length >= 2).length;
}

/**
 * The page was read with its text lines running up or down the image (a page scanned or photographed
 * sideways): most words of three or more characters are boxes taller than they are wide. Tesseract's
 * layout analysis reads such lines, but as one run of text in the wrong order.
 */
export function readsSideways(words: readonly TessWord[]): boolean {
  const long = words.filter((w) => [...w.text.trim()].length >= 3);
  if (long.length < 5) return false;
  const vertical = long.filter((w) => w.bbox.y1 - w.bbox.y0 > 1.5 * (w.bbox.x1 - w.bbox.x0)).length;
  return vertical / long.length > 0.6;
}

/**
 * The clockwise turn that makes a sideways page upright, from the direction its lines were read in:
 * words following each other down the image mean the page's top points right (turn 270°), up the
 * image that it points left (turn 90°). 0 when the lines say nothing.
 */
export function quarterTurnUpright(lines: readonly (readonly TessWord[])[]): 0 | 90 | 270 {
  let down = 0;
  for (const line of lines) {
    for (let i = 1; i < line.length; i++) down += Math.sign(line[i]!.bbox.y0 - line[i - 1]!.bbox.y0);
  }
  return down > 0 ? 270 : down < 0 ? 90 : 0;
}

// ---------------------------------------------------------------------------------------------------
// The pool
// ---------------------------------------------------------------------------------------------------
