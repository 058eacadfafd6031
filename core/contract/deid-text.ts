/**
 * De-identification's plain words (pure and dependency-free, so the web bundle, the workbook and the API
 * say the same): the categories of identifier, after the Safe Harbor list of 45 CFR 164.514(b)(2), and how
 * a count of them reads.
 */
/** The categories of identifier, after the Safe Harbor list of 45 CFR 164.514(b)(2) (see library/deid/types.ts). */
export const PHI_CATEGORIES = [
  'PERSON',
  'DATE',
  'AGE',
  'PHONE',
  'FAX',
  'EMAIL',
  'URL',
  'IP',
  'SSN',
  'NHS',
  'MRN',
  'PLAN_ID',
  'ACCOUNT',
  'CARD',
  'LICENSE',
  'VEHICLE',
  'DEVICE',
  'ADDRESS',
  'PLACE',
  'ZIP',
  'ID',
] as const;
export type PhiCategory = (typeof PHI_CATEGORIES)[number];

/** Each category in plain words (singular, plural), for messages and the result view. */
export const PHI_CATEGORY_WORDS: Readonly<Record<PhiCategory, readonly [string, string]>> = {
  PERSON: ['name', 'names'],
  DATE: ['date', 'dates'],
  AGE: ['age over 89', 'ages over 89'],
  PHONE: ['phone number', 'phone numbers'],
  FAX: ['fax number', 'fax numbers'],
  EMAIL: ['e-mail address', 'e-mail addresses'],
  URL: ['web address', 'web addresses'],
  IP: ['IP address', 'IP addresses'],
  SSN: ['social security number', 'social security numbers'],
  NHS: ['NHS number', 'NHS numbers'],
  MRN: ['medical record number', 'medical record numbers'],
  PLAN_ID: ['health plan number', 'health plan numbers'],
  ACCOUNT: ['account or claim number', 'account or claim numbers'],
  CARD: ['payment card number', 'payment card numbers'],
  LICENSE: ['licence number', 'licence numbers'],
  VEHICLE: ['vehicle identifier', 'vehicle identifiers'],
  DEVICE: ['device identifier', 'device identifiers'],
  ADDRESS: ['street address', 'street addresses'],
  PLACE: ['city or town', 'cities or towns'],
  ZIP: ['ZIP or postal code', 'ZIP or postal codes'],
  ID: ['other identifying number', 'other identifying numbers'],
};

/** A stand-in as the model may write it back: `[[PERSON_1]]`, `[[ person 1 ]]`, `[[Plan_Id_2]]` (category, number). */
export const STAND_IN_SOURCE = String.raw`\[\[\s*([A-Za-z]+(?:[ _][A-Za-z]+)?)[\s_]*(\d+)\s*\]\]`;

/** "4 names, 6 dates, 1 medical record number". */
export function describeDeidCounts(counts: Partial<Record<PhiCategory, number>>): string {
  const parts = PHI_CATEGORIES.filter((c) => (counts[c] ?? 0) > 0).map((c) => `${counts[c]} ${PHI_CATEGORY_WORDS[c][counts[c] === 1 ? 0 : 1]}`);
  return parts.length ? parts.join(', ') : 'no identifiers found';
}
