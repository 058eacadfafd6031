/**
 * Printed units as UCUM codes. Labs print units in spellings UCUM does not accept ("mEq/L", "IU/L",
 * "x10^9/L", "cells/uL", "mill/mm3", "mcg/dL", "mm Hg", "bpm", "°F") or accepts with another meaning
 * ("K/uL" is kelvin per microlitre, "C" is coulomb, "u/L" is atomic mass units per litre). A printed unit
 * is read through a table of those spellings: the unit is split at "/" and every part is read as a known
 * piece (a prefixed mass, volume, amount, enzyme unit, time, count, power of ten, ...), then the result is
 * validated with @lhncbc/ucum-lhc. A unit the table cannot read but that is valid UCUM as printed (an
 * annotation such as "{titer}", "[arb'U]/mL") is taken as printed. Anything else has no UCUM code and is
 * kept as text.
 */
import { createRequire } from 'node:module';

/** A printed unit and its UCUM code: as printed when that is valid UCUM, via the table of lab spellings, or null (unknown: keep the text, flag it). */
export interface UnitReading {
  printed: string;
  ucum: string | null;
  via: 'as_printed' | 'table' | null;
}

// ---------------------------------------------------------------------------------------------------
// ucum-lhc, loaded on first use (about 50 ms and a few MB: only processes that read units pay for it)

interface UcumValidation {
  status: 'valid' | 'invalid' | 'error';
  ucumCode: string | null;
}
interface UcumUtils {
  validateUnitString(unit: string, suggest?: boolean, valConv?: 'validate' | 'convert'): UcumValidation;
}

let ucumUtils: UcumUtils | null = null;
function ucum(): UcumUtils {
  if (ucumUtils === null) {
    const pkg = createRequire(import.meta.url)('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } };
    ucumUtils = pkg.UcumLhcUtils.getInstance();
  }
  return ucumUtils;
}

const validity = new Map<string, boolean>();

/** Whether `code` is a valid UCUM expression, exactly as written (UCUM is case-sensitive). */
export function isValidUcum(code: string): boolean {
  const known = validity.get(code);
  if (known !== undefined) return known;
  const trimmed = code.trim();
  const valid = trimmed !== '' && trimmed === code && ucum().validateUnitString(code, false, 'validate').status === 'valid';
  remember(validity, code, valid);
  return valid;
}

/** Caches are bounded: units are a small vocabulary, but a caller could feed arbitrary text. */
const CACHE_LIMIT = 5000;
function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

// ---------------------------------------------------------------------------------------------------
// The table of lab spellings

/** Case matters for these (looked up before anything is lower-cased). */
const CASE_SENSITIVE: Readonly<Record<string, string>> = {
  'G/L': '10*9/L', // giga per litre (French and Swiss labs), not gauss per litre
  'G/l': '10*9/L',
  'T/L': '10*12/L', // tera per litre, not tesla per litre
  'T/l': '10*12/L',
  M: 'mol/L', // molar
  mM: 'mmol/L',
  uM: 'umol/L',
  µM: 'umol/L',
  μM: 'umol/L',
  nM: 'nmol/L',
  pM: 'pmol/L',
};

/** Whole units (lower-cased, spaces removed) that are not read part by part. */
const WHOLE: Readonly<Record<string, string>> = {
  '%': '%',
  percent: '%',
  pct: '%',
  'mg%': 'mg/dL',
  'g%': 'g/dL',
  'gm%': 'g/dL',
  mmhg: 'mm[Hg]',
  mmofhg: 'mm[Hg]',
  cmh2o: 'cm[H2O]',
  bpm: '/min',
  rpm: '/min',
  '°c': 'Cel',
  degc: 'Cel',
  c: 'Cel',
  celsius: 'Cel',
  '°celsius': 'Cel',
  oc: 'Cel', // "ºC" with the ordinal sign, after NFKC
  centigrade: 'Cel',
  '°f': '[degF]',
  degf: '[degF]',
  f: '[degF]',
  fahrenheit: '[degF]',
  '°fahrenheit': '[degF]',
  of: '[degF]',
  ratio: '{ratio}',
  inr: '{INR}',
  index: '{index}',
  titer: '{titer}',
  titre: '{titer}',
  score: '{score}',
  ph: '[pH]',
  phunits: '[pH]',
  'mm/1sthr': 'mm/h',
  'mm/1sthour': 'mm/h',
  'mm/1hr': 'mm/h',
  mmin1sthr: 'mm/h',
  mmin1sthour: 'mm/h',
  'mm/hrwestergren': 'mm/h',
};

/** One part of a unit (lower-cased) → its UCUM spelling. */
const PARTS: Readonly<Record<string, string>> = {
  // mass
  g: 'g',
  gm: 'g',
  gms: 'g',
  gram: 'g',
  grams: 'g',
  kg: 'kg',
  kgs: 'kg',
  kilo: 'kg',
  kilos: 'kg',
  kilogram: 'kg',
  kilograms: 'kg',
  mg: 'mg',
  mgs: 'mg',
  milligram: 'mg',
  milligrams: 'mg',
  ug: 'ug',
  mcg: 'ug',
  microgram: 'ug',
  micrograms: 'ug',
  ng: 'ng',
  nanogram: 'ng',
  nanograms: 'ng',
  pg: 'pg',
  picogram: 'pg',
  picograms: 'pg',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  pound: '[lb_av]',
  pounds: '[lb_av]',
  oz: '[oz_av]',
  st: '[stone_av]',
  stone: '[stone_av]',
  // volume (a cubic millimetre is a microlitre: counts "per mm3" and "per cumm" are written per uL)
  l: 'L',
  lt: 'L',
  ltr: 'L',
  litre: 'L',
  liter: 'L',
  litres: 'L',
  liters: 'L',
  dl: 'dL',
  decilitre: 'dL',
  deciliter: 'dL',
  ml: 'mL',
  cc: 'mL',
  millilitre: 'mL',
  milliliter: 'mL',
  ul: 'uL',
  mcl: 'uL',
  microlitre: 'uL',
  microliter: 'uL',
  nl: 'nL',
  pl: 'pL',
  fl: 'fL',
  femtolitre: 'fL',
  femtoliter: 'fL',
  mm3: 'uL',
  'mm^3': 'uL',
  cumm: 'uL',
  cmm: 'uL',
  // amount of substance, equivalents, osmoles
  mol: 'mol',
  mmol: 'mmol',
  umol: 'umol',
  mcmol: 'umol',
  nmol: 'nmol',
  pmol: 'pmol',
  fmol: 'fmol',
  eq: 'eq',
  meq: 'meq',
  ueq: 'ueq',
  osm: 'osm',
  mosm: 'mosm',
  // enzyme units and international units
  u: 'U',
  unit: 'U',
  units: 'U',
  mu: 'mU',
  uu: 'uU',
  ku: 'kU',
  iu: '[IU]',
  miu: 'm[IU]',
  uiu: 'u[IU]',
  kiu: 'k[IU]',
  kat: 'kat',
  ukat: 'ukat',
  nkat: 'nkat',
  // time
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  min: 'min',
  mins: 'min',
  minute: 'min',
  minutes: 'min',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
  wk: 'wk',
  week: 'wk',
  weeks: 'wk',
  mo: 'mo',
  month: 'mo',
  months: 'mo',
  y: 'a',
  yr: 'a',
  yrs: 'a',
  year: 'a',
  years: 'a',
  // length and area
  um: 'um',
  mm: 'mm',
  cm: 'cm',
  m: 'm',
  km: 'km',
  in: '[in_i]',
  inch: '[in_i]',
  inches: '[in_i]',
  '"': '[in_i]',
  ft: '[ft_i]',
  foot: '[ft_i]',
  feet: '[ft_i]',
  m2: 'm2',
  'm^2': 'm2',
  sqm: 'm2',
  cm2: 'cm2',
  // pressure
  kpa: 'kPa',
  pa: 'Pa',
  mmhg: 'mm[Hg]',
  // microscopy fields, copies
  hpf: '[HPF]',
  lpf: '[LPF]',
  copies: '{copies}',
};

/** Numerator words that only say what is counted: "cells/uL", "beats/min" are "/uL", "/min". */
const COUNTED = new Set(['cells', 'cell', '#', 'beats', 'beat', 'b', 'breaths', 'breath', 'count', 'counts', 'events', 'wbc', 'rbc']);
/** Numerator words that multiply a count: "K/uL", "mill/mm3", "lakhs/cumm". */
const MULTIPLIERS: Readonly<Record<string, string>> = {
  k: '10*3',
  thou: '10*3',
  thousand: '10*3',
  thousands: '10*3',
  m: '10*6',
  mil: '10*6',
  mill: '10*6',
  million: '10*6',
  millions: '10*6',
  lakh: '10*5',
  lakhs: '10*5',
  lac: '10*5',
  lacs: '10*5',
};
const VOLUMES = new Set(['L', 'dL', 'mL', 'uL', 'nL', 'pL', 'fL']);

/** "x10^9", "10^9", "10*9", "10**9", "x10e9", "10E9" → "10*9"; null if `s` is no power of ten. */
function powerOfTen(s: string): string | null {
  const m = /^(?:x|\*)?10(?:\^|\*\*?|e)(\d{1,2})$/.exec(s);
  return m ? `10*${m[1]!}` : null;
}

function readPart(part: string): string | null {
  const known = PARTS[part];
  if (known !== undefined) return known;
  const power = powerOfTen(part);
  if (power !== null) return power;
  // "1.73m2" (eGFR per body surface) and "24h" (a 24-hour collection)
  const area = /^(\d+(?:\.\d+)?)(?:m2|m\^2|sqm|sq\.m|sq\.?m)$/.exec(part);
  if (area) return `{${area[1]!}_m2}`;
  const hours = /^(\d+)(?:h|hr|hrs|hours?)$/.exec(part);
  if (hours) return `(${hours[1]!}.h)`;
  return null;
}

/** The numerator of a count or rate: what is counted times a multiplier, or a plain part. */
function readNumerator(part: string, perVolume: boolean): string | null {
  if (part === '' || COUNTED.has(part)) return '';
  const power = /^((?:x|\*)?10(?:\^|\*\*?|e)\d{1,2})(?:cells?|#)?$/.exec(part);
  if (power) return powerOfTen(power[1]!);
  if (perVolume) {
    const multiplied = /^([a-z]+?)(?:cells?|#)?$/.exec(part);
    const multiplier = multiplied ? MULTIPLIERS[multiplied[1]!] : undefined;
    if (multiplier !== undefined) return multiplier;
  }
  return readPart(part);
}

/** A printed unit as the table reads it; null when a part is unknown. */
function fromTable(printed: string): string | null {
  const exact = CASE_SENSITIVE[printed.replace(/\s+/g, '')];
  if (exact !== undefined) return exact;
  let key = printed
    // Superscript powers before NFKC would turn "10⁹" into "109".
    .replace(/10\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]+)/g, (_, sup: string) => `10^${[...sup].map((c) => '⁰¹²³⁴⁵⁶⁷⁸⁹'.indexOf(c)).join('')}`)
    .normalize('NFKC')
    .replace(/[µμ]/g, 'u')
    .toLowerCase()
    .replace(/×/g, 'x')
    .replace(/\s+per\s+/g, '/')
    .replace(/^per\s+/, '/')
    .replace(/\s+/g, '')
    .replace(/^[([]+|[)\].,;:]+$/g, '');
  // D-dimer: "ug/mL FEU" is the fibrinogen-equivalent unit, a UCUM annotation.
  let annotation = '';
  const feu = /^(.+?)\(?(feu|ddu)\)?$/.exec(key);
  if (feu && feu[1] !== '') {
    key = feu[1]!;
    annotation = `{${feu[2]!.toUpperCase()}}`;
  }
  const whole = WHOLE[key];
  if (whole !== undefined) return whole + annotation;
  const parts = key.split('/');
  if (parts.length > 4 || parts.slice(1).some((p) => p === '')) return null;
  const denominators = parts.slice(1).map(readPart);
  if (denominators.some((d) => d === null)) return null;
  const perVolume = denominators.length === 1 && VOLUMES.has(denominators[0]!);
  const numerator = readNumerator(parts[0]!, perVolume);
  if (numerator === null || (numerator === '' && denominators.length === 0)) return null;
  const unit = denominators.length === 0 ? numerator : `${numerator}/${denominators.join('/')}`;
  return unit + annotation;
}

const readings = new Map<string, UnitReading | null>();

/**
 * A printed unit and its UCUM code (null for a null or blank unit). The table's reading wins over the
 * printed string when both are valid UCUM: labs print "K/uL" for thousands per microlitre, never kelvin.
 */
export function readUnit(printed: string | null): UnitReading | null {
  if (printed === null) return null;
  const cached = readings.get(printed);
  if (cached !== undefined) return cached;
  const text = printed.trim();
  let reading: UnitReading | null = null;
  if (text !== '') {
    const table = fromTable(text);
    const ucumCode = table !== null && isValidUcum(table) ? table : isValidUcum(text) ? text : null;
    reading = { printed: text, ucum: ucumCode, via: ucumCode === null ? null : ucumCode === text ? 'as_printed' : 'table' };
  }
  remember(readings, printed, reading);
  return reading;
}

/** What a UCUM unit measures, as far as telling a test's variants apart needs (percent vs count, mass vs moles). */
export type UnitKind = 'percent' | 'count' | 'mass' | 'substance' | 'other';

export function unitKind(ucumCode: string | null): UnitKind | null {
  if (ucumCode === null) return null;
  if (ucumCode === '%') return 'percent';
  if (/^(?:10\*\d+)?\/(?:L|dL|mL|uL|nL)$/.test(ucumCode)) return 'count';
  if (/^[munpfk]?g\/(?:L|dL|mL|uL)$/i.test(ucumCode)) return 'mass';
  if (/^[munpf]?(?:mol|eq)\/(?:L|dL|mL|mol|kg)$/i.test(ucumCode)) return 'substance';
  return 'other';
}

/** The table of lab spellings, for checking that everything it can produce is valid UCUM. */
export const UNIT_TABLE: Readonly<{
  caseSensitive: Readonly<Record<string, string>>;
  whole: Readonly<Record<string, string>>;
  parts: Readonly<Record<string, string>>;
  multipliers: Readonly<Record<string, string>>;
}> = { caseSensitive: CASE_SENSITIVE, whole: WHOLE, parts: PARTS, multipliers: MULTIPLIERS };
