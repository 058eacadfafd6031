/**
 * The de-identification gateway in front of an external LLM, over one document's vault:
 *   - `deidentify` replaces every identifier of the vault in page text with its entity's token (dates: the
 *     shifted date printed the same way, or a token);
 *   - `findLeaks` is the fail-closed check run on each outgoing message just before it is sent: any original
 *     value of the vault still in it is a leak (the caller refuses to send; the category is named, never the value);
 *   - `restore` puts the originals back into the model's answer: tokens (tolerant of case and spacing),
 *     shifted dates, ISO dates the model normalised; each quote is located in the original page text, so
 *     evidence and highlights work as without the gateway. A token the vault does not know, or that the
 *     prompt never contained, is left in place: verification flags its value (`deid_unresolved`).
 */
import { STAND_IN_SOURCE } from '../../core/contract/deid.js';
import { CODE_LIKE, type DeidPage, type PhiCategory } from './types.js';
import { skeleton, unshiftIsoDay, type Vault, type VaultEntity } from './vault.js';
import { shiftDay, isoDay } from './dates.js';

/** A stand-in as the model may write it back (core/contract/deid.ts). */
export const TOKEN_PATTERN = new RegExp(STAND_IN_SOURCE, 'g');

/** The canonical form of a token as written by the model, e.g. `[[ person 1 ]]` → `[[PERSON_1]]`. */
export function canonicalToken(written: string): string | undefined {
  const m = new RegExp(TOKEN_PATTERN.source).exec(written);
  return m ? `[[${m[1]!.toUpperCase().replace(' ', '_')}_${m[2]}]]` : undefined;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The text as a pattern whose blanks match any run of blanks (layout may respace a line). */
const flexible = (s: string): string => s.trim().split(/\s+/).map(escape).join('\\s+');
const titleCase = (s: string): string => s.toLowerCase().replace(/(^|[\s'-])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());
const alnum = (s: string): number => s.replace(/[^\p{L}\p{N}]/gu, '').length;

/** Letters and digits of a code in order, any of the usual separators between them ("555-123-4567" ~ "(555) 123 4567"). */
function skeletonPattern(code: string): string {
  return [...skeleton(code)].map((c) => (/\p{L}/u.test(c) ? `[${c}${c.toUpperCase()}]` : escape(c))).join('[\\s.\\-/():]{0,2}');
}

/** Shortest originals the matcher looks for: a shorter one (an initial, "Jr") would match ordinary text. */
const MIN_CHARS = 3;
/** Code-like values with at least this many letters and digits are matched whatever their separators. */
const MIN_SKELETON = 5;

interface Target {
  entity: VaultEntity;
  pattern: string;
  /** What replaces a match in outgoing text. */
  replacement: string;
}

/** Everything of the vault to look for, longest first. */
function targets(vault: Vault): Target[] {
  const out: Target[] = [];
  for (const entity of vault.entities) {
    const add = (pattern: string, replacement = entity.token) => out.push({ entity, pattern, replacement });
    for (const original of entity.originals) {
      if (alnum(original) < MIN_CHARS) continue;
      if (entity.category === 'DATE') {
        // A month-year date is no leak inside a full date of the same month ("2 March 2025" vs "March 2025").
        const guardMonth = entity.monthOnly ? String.raw`(?<!\d{1,2}(?:st|nd|rd|th)?[\s,-]+(?:of\s+)?)(?<!\d[-/.])` : '';
        add(guardMonth + flexible(original), vault.dates === 'shift' ? (entity.shifted?.[original] ?? entity.token) : entity.token);
        continue;
      }
      if (CODE_LIKE.has(entity.category) && skeleton(original).length >= MIN_SKELETON) add(skeletonPattern(original));
      else {
        add(flexible(original));
        if (entity.category === 'PERSON' || entity.category === 'PLACE' || entity.category === 'ADDRESS') {
          add(flexible(original.toUpperCase()));
          add(flexible(titleCase(original)));
        }
      }
    }
    for (const part of entity.nameParts ?? []) {
      if (alnum(part) < 2) continue;
      for (const form of new Set([part, part.toUpperCase(), titleCase(part)])) add(escape(form));
    }
  }
  return out.sort((a, b) => b.pattern.length - a.pattern.length);
}

/** A matcher over many targets: one alternation (longest first), each match mapped back to its target. */
class Matcher {
  private readonly regex: RegExp | undefined;
  private readonly compiled: Array<{ target: Target; re: RegExp }>;
  constructor(readonly list: readonly Target[]) {
    const unique = [...new Map(list.map((t) => [t.pattern, t])).values()];
    this.compiled = unique.map((target) => ({ target, re: new RegExp(`^(?:${target.pattern})$`, 'u') }));
    this.regex = unique.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${unique.map((t) => t.pattern).join('|')})(?![\\p{L}\\p{N}])`, 'gu') : undefined;
  }
  /** Every match in `text` with the target it matched. */
  *matches(text: string): Generator<{ index: number; text: string; target: Target }> {
    if (!this.regex) return;
    this.regex.lastIndex = 0;
    for (const m of text.matchAll(this.regex)) {
      const target = this.compiled.find((c) => c.re.test(m[0]))?.target;
      if (target) yield { index: m.index, text: m[0], target };
    }
  }
}

/** The text cut into stretches that are tokens and stretches between them, so nothing inside a token is mistaken for a value. */
function segments(text: string): Array<{ text: string; token: boolean }> {
  const out: Array<{ text: string; token: boolean }> = [];
  let at = 0;
  for (const m of text.matchAll(TOKEN_PATTERN)) {
    out.push({ text: text.slice(at, m.index), token: false }, { text: m[0], token: true });
    at = m.index + m[0].length;
  }
  out.push({ text: text.slice(at), token: false });
  return out;
}

export interface GatewayOptions {
  /**
   * Test hook: entities for which `deidentify` leaves the text as it is, as a detector that missed them would
   * (the vault still knows them, so the fail-closed check must stop the request).
   */
  leaveInText?: (entity: { category: PhiCategory }) => boolean;
}

export interface Leak {
  category: PhiCategory;
}

export class Gateway {
  private readonly matcher: Matcher;
  private readonly byToken: Map<string, VaultEntity>;
  /** Shifted date as printed → the original as printed. */
  private readonly unshifted: Map<string, string>;
  /** The original days of the vault's dates (YYYY-MM-DD). */
  private readonly shiftedDays: Set<string>;
  constructor(
    readonly vault: Vault,
    private readonly options: GatewayOptions = {},
  ) {
    this.matcher = new Matcher(targets(vault));
    this.byToken = new Map(vault.entities.map((e) => [e.token, e]));
    this.unshifted = new Map();
    this.shiftedDays = new Set(vault.entities.flatMap((e) => (e.category === 'DATE' && e.iso ? [e.iso] : [])));
    for (const e of vault.entities) for (const [original, shifted] of Object.entries(e.shifted ?? {})) this.unshifted.set(shifted, original);
  }

  /** Page text with every identifier of the vault replaced. */
  deidentifyText(text: string): string {
    let out = '';
    for (const piece of segments(text)) {
      if (piece.token) {
        out += piece.text;
        continue;
      }
      let at = 0;
      for (const m of this.matcher.matches(piece.text)) {
        if (this.options.leaveInText?.(m.target.entity)) continue;
        out += piece.text.slice(at, m.index) + m.target.replacement;
        at = m.index + m.text.length;
      }
      out += piece.text.slice(at);
    }
    return out;
  }

  deidentify(pages: readonly DeidPage[]): DeidPage[] {
    return pages.map((p) => ({ ...p, text: this.deidentifyText(p.text) }));
  }

  /** Originals of the vault still in `text` (one per category): the request must not be sent. */
  findLeaks(text: string): Leak[] {
    const categories = new Set<PhiCategory>();
    for (const piece of segments(text)) {
      if (!piece.token) for (const m of this.matcher.matches(piece.text)) categories.add(m.target.entity.category);
    }
    return [...categories].map((category) => ({ category }));
  }

  /** The tokens a text holds (canonical form). */
  tokensIn(text: string): Set<string> {
    return new Set([...text.matchAll(TOKEN_PATTERN)].map((m) => canonicalToken(m[0])!));
  }

  /**
   * The model's answer with the originals back. `original` are the pages as they are (for locating quotes),
   * `sentTokens` the tokens the prompt held: a token outside them was never the model's to use.
   */
  restore<T>(answer: T, original: readonly DeidPage[], sentTokens: ReadonlySet<string>): { answer: T; unresolved: number } {
    const counter = { unresolved: 0 };
    const restored = this.walk(answer, original, sentTokens, counter) as T;
    return { answer: restored, unresolved: counter.unresolved };
  }

  private walk(node: unknown, pages: readonly DeidPage[], sent: ReadonlySet<string>, counter: { unresolved: number }, key?: string): unknown {
    if (Array.isArray(node)) return node.map((n) => this.walk(n, pages, sent, counter, key));
    if (node === null || typeof node !== 'object') return node;
    const o = node as Record<string, unknown>;
    // An item or field: its quote first (located on the original page), then its values, read against the quote.
    const evidence = o.evidence as { page?: unknown; quote?: unknown } | null | undefined;
    let quote: string | undefined;
    const out: Record<string, unknown> = {};
    if (evidence && typeof evidence === 'object' && typeof evidence.quote === 'string') {
      quote = this.restoreQuote(evidence.quote, typeof evidence.page === 'number' ? evidence.page : undefined, pages, sent, counter);
      out.evidence = { ...evidence, quote };
    }
    for (const [k, v] of Object.entries(o)) {
      if (k === 'evidence' && out.evidence) continue;
      if (typeof v === 'string') out[k] = this.restoreValue(v, k === 'value' ? key : k, quote, sent, counter);
      else out[k] = this.walk(v, pages, sent, counter, k);
    }
    return out;
  }

  private restoreValue(
    value: string,
    field: string | undefined,
    quote: string | undefined,
    sent: ReadonlySet<string>,
    counter: { unresolved: number },
  ): string {
    const isDate = field !== undefined && DATE_FIELDS.has(field);
    let tokenised = false;
    let out = value.replace(TOKEN_PATTERN, (written) => {
      const token = canonicalToken(written)!;
      const entity = this.byToken.get(token);
      if (!entity || !sent.has(token)) {
        counter.unresolved++;
        return written;
      }
      tokenised = true;
      if (isDate && entity.iso && /^\s*\[\[/.test(value)) return entity.iso;
      return this.surfaceFor(entity, quote);
    });
    for (const [shifted, original] of this.unshifted) if (out.includes(shifted)) out = out.split(shifted).join(original);
    if (isDate && !tokenised && this.vault.dates === 'shift' && out === value) {
      // Only a day the vault shifted is moved back: a date the detector missed reached the model as printed.
      const iso = unshiftIsoDay(out, this.vault);
      if (iso && this.shiftedDays.has(iso.slice(0, 10))) return iso;
      if (iso) return out;
      const month = /^(\d{4})-(\d{2})$/.exec(out);
      if (month) return isoDay(shiftDay({ y: Number(month[1]), m: Number(month[2]), d: 1 }, -this.vault.offsetDays, true)).slice(0, 7);
    }
    return out;
  }

  /** The form of an entity its quote prints (the longest one present), else its fullest form. */
  private surfaceFor(entity: VaultEntity, quote: string | undefined): string {
    if (quote) {
      const forms = [...entity.originals, ...(entity.nameParts ?? [])].sort((a, b) => b.length - a.length);
      const lower = quote.toLowerCase();
      const present = forms.find((f) => lower.includes(f.toLowerCase()));
      if (present) return present;
    }
    return entity.originals[0] ?? entity.token;
  }

  /** The quote with its tokens and shifted dates read as any form of their originals, found in the original page text. */
  private restoreQuote(
    quote: string,
    page: number | undefined,
    pages: readonly DeidPage[],
    sent: ReadonlySet<string>,
    counter: { unresolved: number },
  ): string {
    const specials = new RegExp(`${TOKEN_PATTERN.source}|${[...this.unshifted.keys()].map(escape).join('|') || '(?!)'}`, 'g');
    let pattern = '';
    let at = 0;
    let special = false;
    for (const m of quote.matchAll(specials)) {
      pattern += flexible(quote.slice(at, m.index)) + '\\s*';
      const token = m[0].startsWith('[[') ? canonicalToken(m[0]) : undefined;
      const entity = token ? this.byToken.get(token) : undefined;
      if (token && (!entity || !sent.has(token))) pattern += escape(m[0]);
      else {
        const forms = entity ? [...entity.originals, ...(entity.nameParts ?? [])] : [this.unshifted.get(m[0])!];
        pattern += `(?:${forms
          .sort((a, b) => b.length - a.length)
          .map((f) => flexible(f))
          .join('|')})`;
        special = true;
      }
      // Blanks around a stand-in are matched loosely: the original may sit closer or farther.
      pattern += '\\s*';
      at = m.index + m[0].length;
    }
    pattern += flexible(quote.slice(at));
    if (!special) return quote;
    const re = new RegExp(pattern.replace(/^\\s\+|\\s\+$/g, ''), 'i');
    const candidates = page === undefined ? pages : [...pages.filter((p) => p.page === page), ...pages.filter((p) => p.page !== page)];
    for (const p of candidates) {
      const found = re.exec(p.text);
      if (found) return found[0].trim();
    }
    // Not on the page as quoted (the model changed it): the plain restore, which verification will judge.
    return this.restoreValue(quote, undefined, undefined, sent, counter);
  }
}

/** Keys of the contract whose values are dates (ISO-8601). */
const DATE_FIELDS = new Set(['date', 'date_of_birth', 'admission_date', 'discharge_date', 'collected_at', 'taken_at', 'service_date']);
