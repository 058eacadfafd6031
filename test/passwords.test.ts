/**
 * The password rules as an attacker probes them (unit: no database, no server): the weak passwords of
 * the finding (`password1234`, `aaaaaaaaaaaa`, the username inside), a length padded with UTF-16 units
 * that NFKC folds away, code points (not UTF-16 units) counted for an emoji password, and NFKC applied
 * to hashing and verifying, with hashes made before normalisation still accepted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { checkPasswordRules, hashPassword, passwordLength, verifyPassword } from '../api/auth/passwords.js';
import { ApiError } from '../api/errors.js';
import { ensureFirstAdmin } from '../api/server.js';
import { loadConfig } from '../core/config.js';

/** The 400 a password gets, or undefined when it is accepted. */
function refusal(password: string, username = 'bob'): { code: string; message: string } | undefined {
  try {
    checkPasswordRules(password, username);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.status, 400);
    return { code: err.code, message: err.message };
  }
}

describe('password rules', () => {
  test('password1234 is refused as common, with the estimator’s advice', () => {
    const r = refusal('password1234');
    assert.equal(r?.code, 'WeakPassword');
    assert.match(r!.message, /too easy to guess: this is similar to a commonly used password/);
    assert.match(r!.message, /Add more words/);
  });

  test('aaaaaaaaaaaa (12 characters) is refused as guessable', () => {
    const r = refusal('aaaaaaaaaaaa');
    assert.equal(r?.code, 'WeakPassword');
    assert.match(r!.message, /repeated characters/);
  });

  test('the username, in any case, inside an otherwise strong password is refused', () => {
    for (const pw of ['Marguerite-sailing-orbit-42', 'xx-marguerite-xx-orbit-4242', 'MARGUERITE']) {
      const r = refusal(pw.length >= 12 ? pw : pw + '-orbit-sail-42', 'marguerite');
      assert.equal(r?.code, 'WeakPassword', pw);
      assert.match(r!.message, /must not be or contain your username/);
    }
    // The same password for another user passes: it was the username that mattered.
    assert.equal(refusal('Marguerite-sailing-orbit-42', 'someone'), undefined);
  });

  test('length is counted in code points after NFKC: 22 UTF-16 units that fold to 11 characters are too short', () => {
    // Eleven letters each followed by a combining accent: 22 UTF-16 units, 11 code points once NFKC composes them.
    const decomposed = 'e\u0301a\u0301i\u0301o\u0301u\u0301n\u0303A\u0301E\u0301I\u0301O\u0301U\u0301';
    assert.ok(decomposed.length >= 12, 'the old check (UTF-16 units) would have let it through');
    assert.equal(passwordLength(decomposed), 11);
    const r = refusal(decomposed);
    assert.equal(r?.code, 'WeakPassword');
    assert.match(r!.message, /at least 12 characters long \(it has 11\)/);
  });

  test('an emoji password counts one character per emoji, not two UTF-16 units', () => {
    const emoji = '🦊🐙🌵🚲🎻🧭'; // 12 UTF-16 units, 6 characters
    assert.equal(emoji.length, 12);
    assert.match(refusal(emoji)!.message, /at least 12 characters long \(it has 6\)/);
    // Twelve varied emoji are 12 characters (48 bytes) and strong enough.
    assert.equal(refusal('🦊🐙🌵🚲🎻🧭🍋🛶🪁🦉🧲🪐'), undefined);
  });

  test('a strong passphrase passes; more than 72 bytes is refused as too long', () => {
    assert.equal(refusal('correct-horse-battery-9'), undefined);
    assert.equal(refusal('velvet tundra Oboe 58 lantern'), undefined);
    assert.equal(refusal('velvet-tundra-oboe-'.repeat(4))?.code, 'PasswordTooLong');
  });

  test('hashing and verifying use NFKC; a hash of the raw form (made before) still verifies', async () => {
    const composed = 'Café-tundra-Oboe-58'; // é as one code point
    const decomposed = 'Cafe\u0301-tundra-Oboe-58';
    const hash = await hashPassword(decomposed);
    assert.equal(await verifyPassword(composed, hash), true, 'the same password typed composed');
    assert.equal(await verifyPassword(decomposed, hash), true);
    assert.equal(await verifyPassword('Cafe-tundra-Oboe-58', hash), false);
    // An account whose hash was made from the un-normalised string is not locked out.
    const legacy = await bcrypt.hash(decomposed, 4);
    assert.equal(await verifyPassword(decomposed, legacy), true);
    assert.equal(await verifyPassword('wrong-tundra-Oboe-58', legacy), false);
  });

  test('a weak ADMIN_PASSWORD stops the start with the rule it breaks, before any account is made', async () => {
    const cfg = loadConfig({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password-1' }, 'api');
    await assert.rejects(ensureFirstAdmin(cfg), /ADMIN_PASSWORD is refused: the password must not be or contain your username/);
    const common = loadConfig({ ADMIN_USERNAME: 'chief', ADMIN_PASSWORD: 'password1234' }, 'api');
    await assert.rejects(ensureFirstAdmin(common), /ADMIN_PASSWORD is refused: the password is too easy to guess/);
  });
});
