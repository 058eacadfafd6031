/**
 * Check digits of the identifiers that carry one: a number that passes is flagged even without a label,
 * and one that fails is left to the other layers (a random digit run passes Luhn one time in ten).
 */

const digitsOf = (text: string): string => text.replace(/\D/g, '');

/** Luhn (mod 10) over all digits of `text`, the last digit being the check digit. */
export function luhnValid(text: string): boolean {
  const digits = digitsOf(text);
  if (digits.length < 2) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** NHS number: 10 digits, weights 10..2 on the first nine, check = 11 - (sum mod 11), 11 → 0, 10 never issued. */
export function nhsValid(text: string): boolean {
  const digits = digitsOf(text);
  if (digits.length !== 10 || /^(\d)\1{9}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  return check !== 10 && check === digits.charCodeAt(9) - 48;
}

/** NPI: 10 digits starting 1 or 2, Luhn over the number prefixed with the card issuer prefix 80840. */
export function npiValid(text: string): boolean {
  const digits = digitsOf(text);
  return digits.length === 10 && /^[12]/.test(digits) && luhnValid(`80840${digits}`);
}

/** A payment card number: 13-19 digits from a card network's first digit (2-6), Luhn-valid. */
export function cardValid(text: string): boolean {
  const digits = digitsOf(text);
  return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && !/^(\d)\1+$/.test(digits) && luhnValid(digits);
}
