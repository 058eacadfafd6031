/**
 * LOINC codes of the standard vital signs (the FHIR R4 vital-signs profiles' codes) for the names
 * documents print them under ("BP", "Pulse", "SpO2", "Wt"), with the UCUM unit each is usually
 * given in. Like lab mappings, these are mappings of a name, never printed codes.
 */
import type { LoincMatch } from './loinc.js';
import { foldName, foldVariant } from './names.js';

export type VitalSign =
  | 'blood_pressure'
  | 'systolic'
  | 'diastolic'
  | 'heart_rate'
  | 'respiratory_rate'
  | 'body_temperature'
  | 'oxygen_saturation'
  | 'body_weight'
  | 'body_height'
  | 'bmi'
  | 'head_circumference';

export interface VitalSignMatch extends LoincMatch {
  vital: VitalSign;
  /** The UCUM unit the FHIR profile expects (a printed unit may differ: read it with readUnit). */
  ucum: string;
  /** Further codes the FHIR profile asks for beside `code` (pulse oximetry's 59408-5 beside 2708-6). */
  additional: Array<{ code: string; display: string }>;
}

interface VitalEntry {
  vital: VitalSign;
  code: string;
  display: string;
  ucum: string;
  names: readonly string[];
  additional?: Array<{ code: string; display: string }>;
}

const VITALS: readonly VitalEntry[] = [
  {
    vital: 'blood_pressure',
    code: '85354-9',
    display: 'Blood pressure panel with all children optional',
    ucum: 'mm[Hg]',
    names: ['bp', 'blood pressure', 'b p', 'nibp', 'non invasive blood pressure', 'arterial blood pressure', 'blood pressure sitting', 'bp sitting'],
  },
  {
    vital: 'systolic',
    code: '8480-6',
    display: 'Systolic blood pressure',
    ucum: 'mm[Hg]',
    names: ['systolic', 'sbp', 'systolic bp', 'systolic blood pressure', 'sys', 'systolic pressure'],
  },
  {
    vital: 'diastolic',
    code: '8462-4',
    display: 'Diastolic blood pressure',
    ucum: 'mm[Hg]',
    names: ['diastolic', 'dbp', 'diastolic bp', 'diastolic blood pressure', 'dia', 'diastolic pressure'],
  },
  {
    vital: 'heart_rate',
    code: '8867-4',
    display: 'Heart rate',
    ucum: '/min',
    names: ['hr', 'heart rate', 'pulse', 'pulse rate', 'heart rate pulse', 'pr', 'apical pulse'],
  },
  {
    vital: 'respiratory_rate',
    code: '9279-1',
    display: 'Respiratory rate',
    ucum: '/min',
    names: ['rr', 'resp', 'respiratory rate', 'respirations', 'resp rate', 'respiration rate', 'respiration', 'breathing rate'],
  },
  {
    vital: 'body_temperature',
    code: '8310-5',
    display: 'Body temperature',
    ucum: 'Cel',
    names: [
      't',
      'temp',
      'temperature',
      'body temperature',
      'oral temperature',
      'temp oral',
      'tympanic temperature',
      'axillary temperature',
      'temperature oral',
    ],
  },
  {
    vital: 'oxygen_saturation',
    code: '2708-6',
    display: 'Oxygen saturation in Arterial blood',
    ucum: '%',
    names: ['spo2', 'sp o2', 'o2 sat', 'o2 saturation', 'oxygen saturation', 'sat', 'sats', 'pulse ox', 'pulse oximetry', 'sao2', 'o2 sats', 'oxygen sat'],
    additional: [{ code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' }],
  },
  { vital: 'body_weight', code: '29463-7', display: 'Body weight', ucum: 'kg', names: ['wt', 'weight', 'body weight', 'weight measured'] },
  { vital: 'body_height', code: '8302-2', display: 'Body height', ucum: 'cm', names: ['ht', 'height', 'body height', 'stature', 'height measured'] },
  { vital: 'bmi', code: '39156-5', display: 'Body mass index (BMI) [Ratio]', ucum: 'kg/m2', names: ['bmi', 'body mass index'] },
  {
    vital: 'head_circumference',
    code: '9843-4',
    display: 'Head Occipital-frontal circumference',
    ucum: 'cm',
    names: ['head circumference', 'hc', 'ofc', 'occipitofrontal circumference', 'head circ'],
  },
];

let index: { byKey: Map<string, VitalEntry>; byTokens: Map<string, VitalEntry> } | null = null;

function vitalIndex(): NonNullable<typeof index> {
  if (index === null) {
    index = { byKey: new Map(), byTokens: new Map() };
    for (const entry of VITALS) {
      for (const name of entry.names) {
        const f = foldVariant(name);
        if (!f) continue;
        index.byKey.set(f.key, entry);
        index.byTokens.set(f.tokens, entry);
      }
    }
  }
  return index;
}

/** The LOINC code of a vital sign printed under `name`; null when it is not one of the standard vital signs. */
export function vitalSignLoinc(name: string): VitalSignMatch | null {
  const { byKey, byTokens } = vitalIndex();
  const folded = foldName(name);
  for (const [i, f] of folded.forms.entries()) {
    const exact = byKey.get(f.key);
    const entry = exact ?? byTokens.get(f.tokens);
    if (!entry) continue;
    const confidence = exact ? (i === 0 ? 0.9 : 0.85) : 0.8;
    return {
      code: entry.code,
      display: entry.display,
      source: 'mapped',
      confidence,
      vital: entry.vital,
      ucum: entry.ucum,
      additional: entry.additional ?? [],
    };
  }
  return null;
}

/** The vital-sign codes, for exporters that list them (every code passes isLoincCode). */
export const VITAL_SIGN_CODES: ReadonlyArray<{
  vital: VitalSign;
  code: string;
  display: string;
  ucum: string;
  additional: Array<{ code: string; display: string }>;
}> = VITALS.map(({ vital, code, display, ucum, additional }) => ({ vital, code, display, ucum, additional: additional ?? [] }));
