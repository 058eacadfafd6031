/**
 * De-identification of page text before an external LLM sees it (issue 17), and the way back.
 *
 *   pages ──detectPhi──▶ spans ──buildVault (+ the local extractor's identifier fields)──▶ vault
 *   vault ──Gateway.deidentify──▶ text with stand-ins ──findLeaks (fail closed)──▶ the model
 *   answer ──Gateway.restore──▶ originals back, quotes located on the original pages ──withLocalIdentifiers──▶ result
 *
 * The identifier fields themselves (patient name, date of birth, MRN, member and group numbers) are never
 * taken from the model: they come from the local extractor, read from the original text.
 */
import type { Extraction, ModelExtraction } from '../../core/contract/extraction.js';
import { describeDeidCounts, PHI_CATEGORY_WORDS, type DeidSummary } from '../../core/contract/deid.js';
import { PipelineError } from '../../core/errors.js';
import { detectPhi } from './detect.js';
import { isCommonWord } from './names.js';
import type { Gateway, Leak } from './gateway.js';
import type { DeidPage, PhiCategory } from './types.js';
import { buildVault, vaultCounts, type DateMode, type LocalField, type LocalIdentifiers, type Vault } from './vault.js';

export { Gateway, TOKEN_PATTERN, canonicalToken, type GatewayOptions, type Leak } from './gateway.js';
export { buildVault, vaultCounts, type DateMode, type LocalIdentifiers, type Vault } from './vault.js';
export { detectPhi, loadNameDictionary } from './detect.js';
export type { DeidPage, PhiSpan, PhiCategory } from './types.js';

export interface PrepareVaultOptions {
  dates: DateMode;
  /** The local extractor's result over the original pages: its identifier fields join the vault. */
  local: Pick<Extraction, 'patient' | 'insurance'>;
  random?: (min: number, max: number) => number;
  now?: Date;
}

/** A document's vault, from every page of it (so one person has one stand-in in every part sent). */
export function prepareVault(pages: readonly DeidPage[], options: PrepareVaultOptions): Vault {
  return buildVault(detectPhi(pages), {
    dates: options.dates,
    identifiers: localIdentifiers(options.local),
    isCommonWord,
    ...(options.random ? { random: options.random } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

function localField(f: { value: unknown; evidence: { page: number; quote: string } | null; confidence: number }): LocalField {
  return {
    value: typeof f.value === 'string' ? f.value : null,
    evidence: f.evidence ? { page: f.evidence.page, quote: f.evidence.quote } : null,
    confidence: f.confidence,
  };
}

export function localIdentifiers(x: Pick<Extraction, 'patient' | 'insurance'>): LocalIdentifiers {
  return {
    patient: { name: localField(x.patient.name), date_of_birth: localField(x.patient.date_of_birth), mrn: localField(x.patient.mrn) },
    insurance: { member_id: localField(x.insurance.member_id), group_number: localField(x.insurance.group_number) },
  };
}

/** The answer with its identifier fields replaced by the local extractor's (the model was never asked for them). */
export function withLocalIdentifiers(answer: ModelExtraction, vault: Vault): ModelExtraction {
  const ids = vault.identifiers;
  return {
    ...answer,
    patient: { ...answer.patient, name: ids.patient.name, date_of_birth: ids.patient.date_of_birth, mrn: ids.patient.mrn },
    insurance: { ...answer.insurance, member_id: ids.insurance.member_id, group_number: ids.insurance.group_number },
  };
}

/** What the model is told about the text it gets. */
export const DEID_PROMPT_RULES: readonly string[] = [
  'The text is de-identified: names, numbers, addresses and other identifiers are replaced by stand-ins such as [[PERSON_1]] or ' +
    '[[MRN_2]] (one per person or value), and dates may be moved. Copy stand-ins exactly as written, in values and quotes; never ' +
    'guess what they stand for. Leave the patient name, date of birth and MRN and the insurance member and group numbers null: ' +
    'they are filled in locally.',
];

/** What a request through the gateway is sent with: the prompt's extra rules and the fail-closed check. */
export interface GatewaySend {
  extraRules: readonly string[];
  /** Throws DeidentificationFailed when a message about to leave still holds an original of the vault. */
  checkOutgoing: (messages: ReadonlyArray<{ role: string; content: string }>) => void;
}

/**
 * One part of a document through the gateway: its pages de-identified, sent by `send` (which must pass
 * every outgoing request through `checkOutgoing`), the answer restored and its identifier fields taken
 * from the local extractor.
 */
export async function extractThroughGateway(
  gateway: Gateway,
  pages: readonly DeidPage[],
  send: (pages: DeidPage[], how: GatewaySend) => Promise<ModelExtraction>,
): Promise<ModelExtraction> {
  const sent = gateway.deidentify(pages);
  const sentTokens = new Set(sent.flatMap((p) => [...gateway.tokensIn(p.text)]));
  const answer = await send(sent, {
    extraRules: DEID_PROMPT_RULES,
    checkOutgoing: (messages) => {
      const leaks = messages.filter((m) => m.role !== 'system').flatMap((m) => gateway.findLeaks(m.content));
      if (leaks.length) throw deidentificationFailed(leaks);
    },
  });
  return withLocalIdentifiers(gateway.restore(answer, pages, sentTokens).answer, gateway.vault);
}

/** The fail-closed failure: names the categories that would have leaked, never the values. */
export class DeidentificationFailed extends PipelineError {
  constructor(readonly categories: readonly PhiCategory[]) {
    const words = categories.map((c) => PHI_CATEGORY_WORDS[c][0]);
    const what = words.length === 1 ? `a ${words[0]}` : `identifiers (${words.join(', ')})`;
    super(
      'DeidentificationFailed',
      `${what} was still in the text after de-identification, so the text was not sent to the LLM provider; process the document with the local extractor (EXTRACTION_PROVIDER=offline) or report the missed identifier's format`,
    );
  }
}

export function deidentificationFailed(leaks: readonly Leak[]): DeidentificationFailed {
  return new DeidentificationFailed([...new Set(leaks.map((l) => l.category))]);
}

export function deidSummary(vault: Vault): DeidSummary {
  return { dates: vault.dates, counts: vaultCounts(vault) };
}

export { describeDeidCounts };
