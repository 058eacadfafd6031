/**
 * The most common lab tests and panels, with their LOINC codes, LOINC long common names (as display) and
 * the names labs print for them (British and American spellings, abbreviations). library/lab/loinc.ts
 * matches printed names against `names`; names are compared after the same normalisation (case,
 * punctuation, spacing, spelling variants, plurals), so only genuinely different wordings are listed.
 *
 * - `kind`: what the test's unit measures, when one analyte has several codes told apart by unit
 *   (neutrophils % vs #/volume, creatinine mg/dL vs µmol/L).
 * - `specimen: 'urine'`: a urine test. A result that is part of a urinalysis (or names urine) is matched
 *   against urine tests only, so "Creatinine" in a urine panel never gets the serum creatinine code.
 * - `urineNames`: names that mean this urine test only within a urinalysis ("Glucose", "Protein", "pH").
 * - `unspecificNames`: names that leave the exact test open (a generic "eGFR" does not say which
 *   formula): matched with a lower confidence.
 *
 * This material contains content from LOINC (http://loinc.org); see LOINC_NOTICE in loinc.ts.
 */
import type { UnitKind } from './units.js';

export interface LoincEntry {
  code: string;
  display: string;
  names: readonly string[];
  kind?: UnitKind;
  urineNames?: readonly string[];
  unspecificNames?: readonly string[];
  specimen?: 'urine';
}

const COUNT = 'count' satisfies UnitKind;
const PERCENT = 'percent' satisfies UnitKind;
const MASS = 'mass' satisfies UnitKind;
const SUBSTANCE = 'substance' satisfies UnitKind;

const NEUTROPHILS = ['neutrophils', 'neutrophil', 'neut', 'neu', 'polymorphs', 'polys', 'pmn', 'neutrophil granulocytes', 'segmented neutrophils'];
const LYMPHOCYTES = ['lymphocytes', 'lymphocyte', 'lymph', 'lym', 'lympho'];
const MONOCYTES = ['monocytes', 'monocyte', 'mono', 'mon'];
const EOSINOPHILS = ['eosinophils', 'eosinophil', 'eos', 'eosino'];
const BASOPHILS = ['basophils', 'basophil', 'baso'];
const GLUCOSE = [
  'glucose',
  'blood glucose',
  'plasma glucose',
  'random glucose',
  'glucose random',
  'random blood glucose',
  'random blood sugar',
  'rbs',
  'blood sugar',
  'glu',
  'glucose level',
];
const FASTING_GLUCOSE = [
  'fasting glucose',
  'fasting blood glucose',
  'fasting blood sugar',
  'fbs',
  'fbg',
  'fasting plasma glucose',
  'fpg',
  'fasting sugar',
  'glucose fasting',
  'glucose fbs',
];
const UREA = ['urea', 'blood urea', 'serum urea'];
const CREATININE = ['creatinine', 'creat', 'crea', 'cr', 'serum creatinine', 's creatinine', 'sr creatinine', 'creatinine serum'];
const CALCIUM = ['calcium', 'ca', 'total calcium', 'calcium total', 'serum calcium'];
const URIC_ACID = ['uric acid', 'urate', 'serum uric acid'];
const MAGNESIUM = ['magnesium', 'mg', 'serum magnesium'];
const PHOSPHATE = ['phosphate', 'phosphorus', 'inorganic phosphorus', 'inorganic phosphate', 'phos', 'po4'];
const HBA1C = ['hba1c', 'hemoglobin a1c', 'a1c', 'glycated hemoglobin', 'glycosylated hemoglobin', 'glycohemoglobin', 'glycated hb', 'hb a1c', 'hgb a1c'];

/** Tests (Observation codes). */
export const LOINC_TESTS: readonly LoincEntry[] = [
  // Complete blood count
  {
    code: '6690-2',
    display: 'Leukocytes [#/volume] in Blood by Automated count',
    names: [
      'wbc',
      'white blood cell count',
      'white blood cells',
      'white cell count',
      'white cells',
      'leukocytes',
      'leukocyte count',
      'total leukocyte count',
      'tlc',
      'total wbc count',
      'white count',
    ],
  },
  {
    code: '789-8',
    display: 'Erythrocytes [#/volume] in Blood by Automated count',
    names: ['rbc', 'red blood cell count', 'red blood cells', 'red cell count', 'red cells', 'erythrocytes', 'erythrocyte count', 'total rbc count'],
  },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', names: ['hemoglobin', 'hgb', 'hb', 'hemoglobin hb', 'hemoglobin level'] },
  { code: '4544-3', display: 'Hematocrit [Volume Fraction] of Blood by Automated count', names: ['hematocrit', 'hct', 'pcv', 'packed cell volume'] },
  { code: '787-2', display: 'MCV [Entitic mean volume] in Red Blood Cells by Automated count', names: ['mcv', 'mean corpuscular volume', 'mean cell volume'] },
  { code: '785-6', display: 'MCH [Entitic mass] by Automated count', names: ['mch', 'mean corpuscular hemoglobin', 'mean cell hemoglobin'] },
  {
    code: '786-4',
    display: 'MCHC [Entitic Mass/volume] in Red Blood Cells by Automated count',
    names: ['mchc', 'mean corpuscular hemoglobin concentration', 'mean cell hemoglobin concentration'],
  },
  {
    code: '788-0',
    display: 'Erythrocyte [DistWidth] in Blood by Automated count',
    names: ['rdw', 'rdw cv', 'red cell distribution width', 'red blood cell distribution width', 'erythrocyte distribution width'],
  },
  {
    code: '777-3',
    display: 'Platelets [#/volume] in Blood by Automated count',
    names: ['platelets', 'platelet count', 'plt', 'thrombocytes', 'thrombocyte count', 'plt count'],
  },
  { code: '32623-1', display: 'Platelet [Entitic mean volume] in Blood by Automated count', names: ['mpv', 'mean platelet volume'] },
  { code: '770-8', display: 'Neutrophils/Leukocytes in Blood by Automated count', names: NEUTROPHILS, kind: PERCENT },
  { code: '751-8', display: 'Neutrophils [#/volume] in Blood by Automated count', names: [...NEUTROPHILS, 'absolute neutrophil count', 'anc'], kind: COUNT },
  { code: '736-9', display: 'Lymphocytes/Leukocytes in Blood by Automated count', names: LYMPHOCYTES, kind: PERCENT },
  { code: '731-0', display: 'Lymphocytes [#/volume] in Blood by Automated count', names: [...LYMPHOCYTES, 'absolute lymphocyte count', 'alc'], kind: COUNT },
  { code: '5905-5', display: 'Monocytes/Leukocytes in Blood by Automated count', names: MONOCYTES, kind: PERCENT },
  { code: '742-7', display: 'Monocytes [#/volume] in Blood by Automated count', names: [...MONOCYTES, 'absolute monocyte count', 'amc'], kind: COUNT },
  { code: '713-8', display: 'Eosinophils/Leukocytes in Blood by Automated count', names: EOSINOPHILS, kind: PERCENT },
  { code: '711-2', display: 'Eosinophils [#/volume] in Blood by Automated count', names: [...EOSINOPHILS, 'absolute eosinophil count', 'aec'], kind: COUNT },
  { code: '706-2', display: 'Basophils/Leukocytes in Blood by Automated count', names: BASOPHILS, kind: PERCENT },
  { code: '704-7', display: 'Basophils [#/volume] in Blood by Automated count', names: [...BASOPHILS, 'absolute basophil count'], kind: COUNT },
  { code: '30341-2', display: 'Erythrocyte sedimentation rate', names: ['esr', 'erythrocyte sedimentation rate', 'sed rate', 'sedimentation rate'] },

  // Basic and comprehensive metabolic panels
  { code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma', names: GLUCOSE, kind: MASS },
  { code: '14749-6', display: 'Glucose [Moles/volume] in Serum or Plasma', names: GLUCOSE, kind: SUBSTANCE },
  { code: '1558-6', display: 'Fasting glucose [Mass/volume] in Serum or Plasma', names: FASTING_GLUCOSE, kind: MASS },
  { code: '14771-0', display: 'Fasting glucose [Moles/volume] in Serum or Plasma', names: FASTING_GLUCOSE, kind: SUBSTANCE },
  { code: '2951-2', display: 'Sodium [Moles/volume] in Serum or Plasma', names: ['sodium', 'na', 'serum sodium', 'na+'] },
  { code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma', names: ['potassium', 'k', 'serum potassium', 'k+'] },
  { code: '2075-0', display: 'Chloride [Moles/volume] in Serum or Plasma', names: ['chloride', 'cl', 'serum chloride', 'cl-'] },
  {
    code: '2028-9',
    display: 'Carbon dioxide, total [Moles/volume] in Serum or Plasma',
    names: ['co2', 'total co2', 'tco2', 'carbon dioxide', 'carbon dioxide total', 'co2 total', 'co2 content'],
  },
  { code: '1963-8', display: 'Bicarbonate [Moles/volume] in Serum or Plasma', names: ['bicarbonate', 'hco3', 'serum bicarbonate', 'bicarb', 'hco3-'] },
  { code: '3094-0', display: 'Urea nitrogen [Mass/volume] in Serum or Plasma', names: ['bun', 'blood urea nitrogen', 'urea nitrogen', 'serum urea nitrogen'] },
  { code: '3091-6', display: 'Urea [Mass/volume] in Serum or Plasma', names: UREA, kind: MASS },
  { code: '22664-7', display: 'Urea [Moles/volume] in Serum or Plasma', names: UREA, kind: SUBSTANCE },
  { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', names: CREATININE, kind: MASS },
  { code: '14682-9', display: 'Creatinine [Moles/volume] in Serum or Plasma', names: CREATININE, kind: SUBSTANCE },
  {
    code: '98979-8',
    display: 'Glomerular filtration rate [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)/1.73 sq M',
    names: ['egfr ckd epi 2021', 'ckd epi 2021', 'egfr ckd epi 2021 formula', 'egfr 2021 ckd epi'],
    unspecificNames: ['egfr', 'estimated gfr', 'estimated glomerular filtration rate', 'gfr estimated', 'gfr', 'egfr creatinine', 'glomerular filtration rate'],
  },
  {
    code: '62238-1',
    display: 'Glomerular filtration rate [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)/1.73 sq M',
    names: ['egfr ckd epi', 'ckd epi', 'egfr ckd epi formula', 'gfr ckd epi'],
  },
  {
    code: '33914-3',
    display: 'Glomerular filtration rate [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)/1.73 sq M',
    names: ['egfr mdrd', 'mdrd', 'gfr mdrd', 'mdrd egfr'],
  },
  { code: '17861-6', display: 'Calcium [Mass/volume] in Serum or Plasma', names: CALCIUM, kind: MASS },
  { code: '2000-8', display: 'Calcium [Moles/volume] in Serum or Plasma', names: CALCIUM, kind: SUBSTANCE },
  {
    code: '2885-2',
    display: 'Protein [Mass/volume] in Serum or Plasma',
    names: ['total protein', 'protein total', 'tp', 'total serum protein', 'serum total protein'],
  },
  { code: '1751-7', display: 'Albumin [Mass/volume] in Serum or Plasma', names: ['albumin', 'alb', 'serum albumin'] },
  { code: '10834-0', display: 'Globulin [Mass/volume] in Serum by calculation', names: ['globulin', 'globulins', 'serum globulin', 'globulin calculated'] },
  {
    code: '1759-0',
    display: 'Albumin/Globulin [Mass Ratio] in Serum or Plasma',
    names: ['a g ratio', 'albumin globulin ratio', 'albumin/globulin ratio', 'albumin to globulin ratio', 'a/g'],
  },

  // Liver panel
  {
    code: '1975-2',
    display: 'Bilirubin.total [Mass/volume] in Serum or Plasma',
    names: ['total bilirubin', 'bilirubin total', 'bilirubin', 'tbil', 't bil', 't bilirubin', 'serum bilirubin', 'bilirubin total serum'],
  },
  {
    code: '1968-7',
    display: 'Bilirubin.direct [Mass/volume] in Serum or Plasma',
    names: ['direct bilirubin', 'bilirubin direct', 'conjugated bilirubin', 'bilirubin conjugated', 'dbil', 'd bil', 'd bilirubin'],
  },
  {
    code: '1971-1',
    display: 'Bilirubin.indirect [Mass/volume] in Serum or Plasma',
    names: ['indirect bilirubin', 'bilirubin indirect', 'unconjugated bilirubin', 'bilirubin unconjugated', 'ibil'],
  },
  {
    code: '6768-6',
    display: 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma',
    names: ['alkaline phosphatase', 'alp', 'alk phos', 'alk phosphatase', 'alkp'],
  },
  {
    code: '1742-6',
    display: 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma',
    names: ['alt', 'sgpt', 'alanine aminotransferase', 'alanine transaminase', 'alt sgpt', 'sgpt alt', 'alat'],
  },
  {
    code: '1920-8',
    display: 'Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma',
    names: ['ast', 'sgot', 'aspartate aminotransferase', 'aspartate transaminase', 'ast sgot', 'sgot ast', 'asat'],
  },
  {
    code: '2324-2',
    display: 'Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma',
    names: ['ggt', 'gamma gt', 'ggtp', 'gamma glutamyl transferase', 'gamma glutamyl transpeptidase', 'gamma glutamyltransferase', 'gamma gt ggt'],
  },
  {
    code: '2532-0',
    display: 'Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma',
    names: ['ldh', 'ld', 'lactate dehydrogenase', 'lactic dehydrogenase', 'lactic acid dehydrogenase'],
  },
  {
    code: '2157-6',
    display: 'Creatine kinase [Enzymatic activity/volume] in Serum or Plasma',
    names: ['ck', 'cpk', 'creatine kinase', 'creatine phosphokinase', 'ck total', 'total ck'],
  },
  { code: '1798-8', display: 'Amylase [Enzymatic activity/volume] in Serum or Plasma', names: ['amylase', 'serum amylase'] },
  { code: '3040-3', display: 'Lipase [Enzymatic activity/volume] in Serum or Plasma', names: ['lipase', 'serum lipase'] },
  { code: '3084-1', display: 'Urate [Mass/volume] in Serum or Plasma', names: URIC_ACID, kind: MASS },
  { code: '14933-6', display: 'Urate [Moles/volume] in Serum or Plasma', names: URIC_ACID, kind: SUBSTANCE },
  { code: '19123-9', display: 'Magnesium [Mass/volume] in Serum or Plasma', names: MAGNESIUM, kind: MASS },
  { code: '2601-3', display: 'Magnesium [Moles/volume] in Serum or Plasma', names: MAGNESIUM, kind: SUBSTANCE },
  { code: '2777-1', display: 'Phosphate [Mass/volume] in Serum or Plasma', names: PHOSPHATE, kind: MASS },
  { code: '14879-1', display: 'Phosphate [Moles/volume] in Serum or Plasma', names: PHOSPHATE, kind: SUBSTANCE },

  // Lipid panel
  {
    code: '2093-3',
    display: 'Cholesterol [Mass/volume] in Serum or Plasma',
    names: ['total cholesterol', 'cholesterol', 'cholesterol total', 'chol', 'serum cholesterol', 't chol'],
  },
  {
    code: '2085-9',
    display: 'Cholesterol in HDL [Mass/volume] in Serum or Plasma',
    names: ['hdl', 'hdl cholesterol', 'hdl c', 'cholesterol hdl', 'high density lipoprotein', 'high density lipoprotein cholesterol', 'hdl chol'],
  },
  {
    code: '2089-1',
    display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma',
    names: ['ldl', 'ldl cholesterol', 'ldl c', 'cholesterol ldl', 'low density lipoprotein', 'low density lipoprotein cholesterol', 'ldl chol'],
  },
  {
    code: '13457-7',
    display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation',
    names: ['ldl calculated', 'calculated ldl', 'ldl cholesterol calculated', 'ldl calc', 'ldl c calc', 'ldl c calculated', 'ldl friedewald'],
  },
  {
    code: '18262-6',
    display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay',
    names: ['direct ldl', 'ldl direct', 'ldl cholesterol direct', 'direct ldl cholesterol', 'ldl c direct'],
  },
  {
    code: '13458-5',
    display: 'Cholesterol in VLDL [Mass/volume] in Serum or Plasma by calculation',
    names: ['vldl', 'vldl cholesterol', 'very low density lipoprotein', 'vldl c', 'cholesterol vldl', 'vldl calculated'],
  },
  {
    code: '2571-8',
    display: 'Triglyceride [Mass/volume] in Serum or Plasma',
    names: ['triglycerides', 'triglyceride', 'tg', 'trig', 'serum triglycerides', 'triacylglycerol'],
  },
  {
    code: '43396-1',
    display: 'Cholesterol non HDL [Mass/volume] in Serum or Plasma',
    names: ['non hdl cholesterol', 'non hdl', 'non hdl c', 'cholesterol non hdl'],
  },
  {
    code: '9830-1',
    display: 'Cholesterol.total/Cholesterol in HDL [Mass Ratio] in Serum or Plasma',
    names: [
      'total cholesterol hdl ratio',
      'cholesterol hdl ratio',
      'chol hdl ratio',
      'tc hdl ratio',
      'tc hdl',
      'total cholesterol to hdl ratio',
      'cholesterol to hdl ratio',
    ],
  },
  {
    code: '11054-4',
    display: 'Cholesterol in LDL/Cholesterol in HDL [Mass Ratio] in Serum or Plasma',
    names: ['ldl hdl ratio', 'ldl to hdl ratio', 'ldl c hdl c ratio', 'ldl hdl'],
  },

  // Diabetes
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', names: HBA1C, kind: PERCENT },
  { code: '59261-8', display: 'Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol', names: [...HBA1C, 'hba1c ifcc', 'ifcc hba1c'], kind: SUBSTANCE },

  // Thyroid
  {
    code: '3016-3',
    display: 'Thyrotropin [Units/volume] in Serum or Plasma',
    names: ['tsh', 'thyroid stimulating hormone', 'thyrotropin', 's tsh', 'ultrasensitive tsh', 'tsh ultrasensitive', 'tsh 3rd generation', 'serum tsh'],
  },
  { code: '3024-7', display: 'Thyroxine (T4) free [Mass/volume] in Serum or Plasma', names: ['free t4', 'ft4', 't4 free', 'free thyroxine', 'thyroxine free'] },
  {
    code: '3026-2',
    display: 'Thyroxine (T4) [Mass/volume] in Serum or Plasma',
    names: ['t4', 'total t4', 't4 total', 'thyroxine', 'total thyroxine', 'thyroxine total'],
  },
  {
    code: '3051-0',
    display: 'Triiodothyronine (T3) free [Mass/volume] in Serum or Plasma',
    names: ['free t3', 'ft3', 't3 free', 'free triiodothyronine', 'triiodothyronine free'],
  },
  {
    code: '3053-6',
    display: 'Triiodothyronine (T3) [Mass/volume] in Serum or Plasma',
    names: ['t3', 'total t3', 't3 total', 'triiodothyronine', 'total triiodothyronine'],
  },

  // Coagulation
  {
    code: '6301-6',
    display: 'INR in Platelet poor plasma by Coagulation assay',
    names: ['inr', 'pt inr', 'international normalized ratio', 'inr pt', 'prothrombin inr', 'prothrombin time inr'],
  },
  { code: '5902-2', display: 'Prothrombin time (PT)', names: ['pt', 'prothrombin time', 'protime', 'pt seconds', 'prothrombin time pt'] },
  {
    code: '14979-9',
    display: 'aPTT in Platelet poor plasma by Coagulation assay',
    names: ['aptt', 'ptt', 'activated partial thromboplastin time', 'partial thromboplastin time', 'aptt seconds', 'activated ptt', 'ptt activated'],
  },
  {
    code: '3255-7',
    display: 'Fibrinogen [Mass/volume] in Platelet poor plasma by Coagulation assay',
    names: ['fibrinogen', 'plasma fibrinogen', 'fibrinogen clauss'],
  },
  {
    code: '48065-7',
    display: 'Fibrin D-dimer FEU [Mass/volume] in Platelet poor plasma',
    names: ['d dimer feu', 'd dimer fibrinogen equivalent units'],
    unspecificNames: ['d dimer', 'ddimer', 'd dimer quantitative', 'fibrin d dimer'],
  },

  // Urinalysis
  { code: '5803-2', display: 'pH of Urine by Test strip', names: ['urine ph', 'ph urine'], urineNames: ['ph', 'reaction', 'ph reaction'], specimen: 'urine' },
  {
    code: '5811-5',
    display: 'Specific gravity of Urine by Test strip',
    names: ['specific gravity', 'urine specific gravity', 'sp gravity', 'sp gr', 'specific gravity urine'],
    urineNames: ['sg'],
    specimen: 'urine',
  },
  {
    code: '5804-0',
    display: 'Protein [Mass/volume] in Urine by Test strip',
    names: ['urine protein', 'protein urine'],
    urineNames: ['protein', 'proteins'],
    specimen: 'urine',
  },
  {
    code: '5792-7',
    display: 'Glucose [Mass/volume] in Urine by Test strip',
    names: ['urine glucose', 'urine sugar', 'glucose urine'],
    urineNames: ['glucose', 'sugar'],
    specimen: 'urine',
  },
  {
    code: '5797-6',
    display: 'Ketones [Mass/volume] in Urine by Test strip',
    names: ['urine ketones', 'ketones urine', 'urine ketone bodies'],
    urineNames: ['ketones', 'ketone', 'ketone bodies', 'acetone'],
    specimen: 'urine',
  },
  {
    code: '5794-3',
    display: 'Hemoglobin [Presence] in Urine by Test strip',
    names: ['urine blood', 'blood urine', 'urine hemoglobin'],
    urineNames: ['blood', 'hemoglobin', 'hb'],
    specimen: 'urine',
  },
  { code: '5802-4', display: 'Nitrite [Presence] in Urine by Test strip', names: ['nitrite', 'nitrites', 'urine nitrite'], specimen: 'urine' },
  {
    code: '5799-2',
    display: 'Leukocyte esterase [Presence] in Urine by Test strip',
    names: ['leukocyte esterase', 'leukocytes esterase', 'urine leukocyte esterase', 'leukocyte esterase urine'],
    urineNames: ['le'],
    specimen: 'urine',
  },
  {
    code: '5770-3',
    display: 'Bilirubin.total [Presence] in Urine by Test strip',
    names: ['urine bilirubin', 'bilirubin urine'],
    urineNames: ['bilirubin', 'bile pigments', 'bile pigment'],
    specimen: 'urine',
  },
  { code: '20405-7', display: 'Urobilinogen [Mass/volume] in Urine by Test strip', names: ['urobilinogen', 'urine urobilinogen'], specimen: 'urine' },
  { code: '5778-6', display: 'Color of Urine', names: ['urine color'], urineNames: ['color'], specimen: 'urine' },
  {
    code: '5767-9',
    display: 'Appearance of Urine',
    names: ['urine appearance', 'urine clarity'],
    urineNames: ['appearance', 'clarity', 'transparency', 'turbidity'],
    specimen: 'urine',
  },
  {
    code: '5821-4',
    display: 'Leukocytes [#/area] in Urine sediment by Microscopy high power field',
    names: ['pus cells', 'urine wbc', 'wbc urine'],
    urineNames: ['wbc', 'white blood cells', 'leukocytes', 'pus cell', 'wbc hpf'],
    specimen: 'urine',
  },
  {
    code: '13945-1',
    display: 'Erythrocytes [#/area] in Urine sediment by Microscopy high power field',
    names: ['urine rbc', 'rbc urine'],
    urineNames: ['rbc', 'red blood cells', 'erythrocytes', 'rbc hpf'],
    specimen: 'urine',
  },
  {
    code: '9318-7',
    display: 'Albumin/Creatinine [Mass Ratio] in Urine',
    names: [
      'albumin creatinine ratio',
      'urine albumin creatinine ratio',
      'acr',
      'uacr',
      'microalbumin creatinine ratio',
      'urine microalbumin creatinine ratio',
      'albumin to creatinine ratio',
    ],
    specimen: 'urine',
  },

  // Inflammation, iron, vitamins, others
  { code: '1988-5', display: 'C reactive protein [Mass/volume] in Serum or Plasma', names: ['crp', 'c reactive protein', 'crp quantitative', 'serum crp'] },
  {
    code: '30522-7',
    display: 'C reactive protein [Mass/volume] in Serum or Plasma by High sensitivity method',
    names: [
      'hs crp',
      'hscrp',
      'high sensitivity crp',
      'high sensitivity c reactive protein',
      'crp high sensitivity',
      'c reactive protein high sensitivity',
      'cardio crp',
    ],
  },
  { code: '2276-4', display: 'Ferritin [Mass/volume] in Serum or Plasma', names: ['ferritin', 'serum ferritin'] },
  { code: '2498-4', display: 'Iron [Mass/volume] in Serum or Plasma', names: ['iron', 'serum iron', 'fe', 'iron serum'] },
  {
    code: '2500-7',
    display: 'Iron binding capacity [Mass/volume] in Serum or Plasma',
    names: ['tibc', 'total iron binding capacity', 'iron binding capacity'],
  },
  {
    code: '2502-3',
    display: 'Iron saturation [Mass Fraction] in Serum or Plasma',
    names: ['transferrin saturation', 'iron saturation', 'tsat', 'transferrin saturation tsat'],
  },
  {
    code: '62292-8',
    display: '25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma',
    names: [
      '25 hydroxyvitamin d',
      '25 oh vitamin d',
      'vitamin d 25 oh',
      '25 oh d',
      'vitamin d 25 hydroxy',
      '25 hydroxy vitamin d',
      'vitamin d total 25 oh',
      'total 25 oh vitamin d',
      'vitamin d3 d2 25 oh',
    ],
    unspecificNames: ['vitamin d', 'vit d', 'vitamin d total'],
  },
  {
    code: '2132-9',
    display: 'Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma',
    names: ['vitamin b12', 'b12', 'cobalamin', 'cyanocobalamin', 'vit b12', 'serum b12'],
  },
  { code: '2284-8', display: 'Folate [Mass/volume] in Serum or Plasma', names: ['folate', 'folic acid', 'serum folate', 'serum folic acid'] },
  { code: '2857-1', display: 'Prostate specific Ag [Mass/volume] in Serum or Plasma', names: ['psa', 'prostate specific antigen', 'total psa', 'psa total'] },
  {
    code: '33762-6',
    display: 'Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma',
    names: ['nt probnp', 'ntprobnp', 'n terminal probnp', 'pro bnp', 'n terminal pro b type natriuretic peptide'],
  },
  {
    code: '30934-4',
    display: 'Natriuretic peptide B [Mass/volume] in Serum or Plasma',
    names: ['bnp', 'b type natriuretic peptide', 'brain natriuretic peptide'],
  },
  {
    code: '10839-9',
    display: 'Troponin I.cardiac [Mass/volume] in Serum or Plasma',
    names: ['troponin i', 'tni', 'ctni', 'cardiac troponin i', 'troponin i cardiac'],
  },
  {
    code: '6598-7',
    display: 'Troponin T.cardiac [Mass/volume] in Serum or Plasma',
    names: ['troponin t', 'tnt', 'ctnt', 'cardiac troponin t', 'troponin t cardiac'],
  },
];

/** Panels (DiagnosticReport codes). */
export const LOINC_PANELS: readonly LoincEntry[] = [
  {
    code: '58410-2',
    display: 'CBC panel - Blood by Automated count',
    names: ['cbc', 'complete blood count', 'full blood count', 'fbc', 'hemogram', 'complete hemogram', 'blood count', 'cbc panel'],
  },
  {
    code: '57021-8',
    display: 'CBC W Auto Differential panel - Blood',
    names: [
      'cbc with differential',
      'cbc with diff',
      'cbc w diff',
      'complete blood count with differential',
      'cbc differential',
      'cbc and differential',
      'fbc with differential',
    ],
  },
  { code: '51990-0', display: 'Basic metabolic panel - Blood', names: ['bmp', 'basic metabolic panel', 'chem 7', 'chem7', 'basic metabolic profile'] },
  {
    code: '24323-8',
    display: 'Comprehensive metabolic 2000 panel - Serum or Plasma',
    names: ['cmp', 'comprehensive metabolic panel', 'chem 14', 'chem14', 'comprehensive metabolic profile', 'metabolic panel comprehensive'],
  },
  {
    code: '24331-1',
    display: 'Lipid 1996 panel - Serum or Plasma',
    names: ['lipid panel', 'lipid profile', 'lipids', 'fasting lipid profile', 'fasting lipid panel', 'lipogram', 'lipid'],
  },
  {
    code: '24325-3',
    display: 'Hepatic function 2000 panel - Serum or Plasma',
    names: [
      'liver function tests',
      'liver function test',
      'lft',
      'liver panel',
      'hepatic function panel',
      'liver profile',
      'hepatic panel',
      'liver function panel',
    ],
  },
  {
    code: '24362-6',
    display: 'Renal function 2000 panel - Serum or Plasma',
    names: [
      'renal function panel',
      'renal function tests',
      'renal function test',
      'kidney function tests',
      'kidney function test',
      'kft',
      'rft',
      'renal profile',
      'kidney panel',
      'renal panel',
    ],
  },
  {
    code: '24326-1',
    display: 'Electrolytes 1998 panel - Serum or Plasma',
    names: ['electrolytes', 'electrolyte panel', 'serum electrolytes', 'lytes', 'electrolyte profile'],
  },
  {
    code: '50190-8',
    display: 'Iron and Iron binding capacity panel - Serum or Plasma',
    names: ['iron panel', 'iron studies', 'iron profile', 'iron and tibc', 'iron tibc'],
  },
  {
    code: '24356-8',
    display: 'Urinalysis complete panel - Urine',
    names: [
      'urinalysis',
      'ua',
      'urine routine',
      'urine analysis',
      'urine routine examination',
      'complete urinalysis',
      'urine re',
      'urine r e',
      'routine urine examination',
      'urine examination',
    ],
  },
  {
    code: '24357-6',
    display: 'Urinalysis macro (dipstick) panel - Urine',
    names: ['urine dipstick', 'dipstick urinalysis', 'urinalysis dipstick', 'urine dip'],
  },
];
