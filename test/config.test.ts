/** The configuration module: defaults for embedded mode, and one clear message per bad value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../core/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `node --import tsx <args>` in the repository with only the given environment (and PATH/HOME). */
function runNode(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

test('an empty environment gives the embedded defaults', () => {
  const c = loadConfig({});
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.temporalAddress, undefined);
  assert.equal(c.extraction.provider, 'offline');
  assert.equal(c.llmRequestsPerMinute, 450);
  assert.equal(c.maxConcurrentActivities, 10);
  assert.equal(c.port, 8000);
  assert.equal(c.maxUploadBytes, 50 * 1024 * 1024);
  assert.equal(c.ocrLang, 'eng');
});

test('an OpenAI key selects the openai provider unless told otherwise', () => {
  assert.equal(loadConfig({ OPENAI_API_KEY: 'sk-x' }).extraction.provider, 'openai');
  assert.equal(loadConfig({ OPENAI_API_KEY: 'sk-x', EXTRACTION_PROVIDER: 'offline' }).extraction.provider, 'offline');
});

test('every bad value is reported at once, each with its own readable message', () => {
  let err: unknown;
  try {
    loadConfig({
      LLM_RPM: 'fast',
      PORT: '70000',
      DATABASE_URL: 'mysql://u:secret@h/db',
      TEMPORAL_ADDRESS: 'nohostport',
      EXTRACTION_PROVIDER: 'openai',
      OCR_LANG: 'English!',
    });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  const text = err.problems.join('\n');
  assert.match(text, /LLM_RPM must be a whole number from 1 to 100000 \(got "fast"\)/);
  assert.match(text, /PORT must be a whole number from 0 to 65535/);
  assert.match(text, /DATABASE_URL must be a postgres: or postgresql: URL/);
  assert.doesNotMatch(text, /secret/, 'credentials in a bad URL are not echoed');
  assert.match(text, /TEMPORAL_ADDRESS must look like host:port/);
  assert.match(text, /EXTRACTION_PROVIDER=openai needs OPENAI_API_KEY/);
  assert.match(text, /OCR_LANG must be tesseract language codes/);
  assert.equal(err.problems.length, 6);
});

const KEYS = `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`;

test('production refuses to start without configured secrets', () => {
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.problems.some((p) => /NODE_ENV=production needs JWT_SECRET/.test(p)));
      assert.ok(err.problems.some((p) => /NODE_ENV=production needs ADMIN_USERNAME and ADMIN_PASSWORD/.test(p)));
      assert.ok(err.problems.some((p) => /NODE_ENV=production needs DOCUMENT_KEYS/.test(p)));
      return true;
    },
  );
  assert.throws(() => loadConfig({ JWT_SECRET: 'too-short' }), /JWT_SECRET must be at least 32 characters/);
  assert.throws(() => loadConfig({ ADMIN_USERNAME: 'root' }), /ADMIN_USERNAME and ADMIN_PASSWORD go together/);
  const ok = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'x'.repeat(40),
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'a-long-enough-password',
    DOCUMENT_KEYS: KEYS,
  });
  assert.equal(ok.admin?.username, 'admin');
  assert.deepEqual(
    ok.documentKeys?.map((k) => [k.id, k.key.length]),
    [
      ['k2', 32],
      ['k1', 32],
    ],
  );
  assert.throws(() => loadConfig({ DOCUMENT_KEYS: 'k1:short' }), /DOCUMENT_KEYS must be/);
});

test('a worker in production needs no session secret or first admin (only HTTP processes do)', () => {
  const worker = loadConfig({ NODE_ENV: 'production', TEMPORAL_ADDRESS: 'temporal:7233', DATABASE_URL: 'postgres://db/x', DOCUMENT_KEYS: KEYS }, 'worker');
  assert.equal(worker.nodeEnv, 'production');
  assert.throws(() => loadConfig({ NODE_ENV: 'production', TEMPORAL_ADDRESS: 'temporal:7233' }, 'api'), /JWT_SECRET/);
});

test('the API listens on loopback in the embedded start, on every interface as a standalone API; TLS files go together', () => {
  assert.equal(loadConfig({}, 'all').host, '127.0.0.1');
  assert.equal(loadConfig({}, 'api').host, '0.0.0.0');
  assert.equal(loadConfig({ HOST: '0.0.0.0' }, 'all').host, '0.0.0.0');
  assert.throws(() => loadConfig({ TLS_CERT_PATH: '/etc/hostname' }), /TLS_CERT_PATH and TLS_KEY_PATH go together/);
  assert.throws(() => loadConfig({ TLS_CERT_PATH: '/nope.crt', TLS_KEY_PATH: '/nope.key' }), /TLS_CERT_PATH: no file at \/nope.crt/);
});

test('a variable set to an empty string counts as unset', () => {
  const cfg = loadConfig({ EXTRACTION_PROVIDER: '', NODE_ENV: '', TEMPORAL_NAMESPACE: ' ', OPENAI_MODEL: '', LOG_LEVEL: '', OPENAI_API_KEY: '' });
  assert.equal(cfg.extraction.provider, 'offline');
  assert.equal(cfg.nodeEnv, 'development');
  assert.equal(cfg.temporalNamespace, 'default');
  assert.equal(cfg.extraction.model, 'gpt-4o-mini');
});

test('Temporal over TLS: an API key implies TLS; a client certificate needs its key; missing files are named', () => {
  assert.deepEqual(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporalConnection, { apiKey: 'k', tls: true });
  assert.deepEqual(loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).temporalConnection, { apiKey: 'k', tls: false });
  assert.equal(loadConfig({}).temporalConnection.tls, false);
  assert.throws(
    () => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/nonexistent/client.pem' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.problems.some((p) => /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together/.test(p)));
      assert.ok(err.problems.some((p) => /TEMPORAL_TLS_CERT_PATH: no file at \/nonexistent\/client.pem/.test(p)));
      return true;
    },
  );
});

test('LOG_LEVEL is validated like every other setting: a bad value names the levels pino knows', () => {
  assert.equal(loadConfig({}).logLevel, 'info');
  assert.equal(loadConfig({ LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.throws(
    () => loadConfig({ LOG_LEVEL: 'verbose' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, ['LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")']);
      return true;
    },
  );
});

test('LOG_LEVEL=verbose medextract --help gives the one-line configuration report, not a stack trace', async () => {
  const { code, stdout, stderr } = await runNode(['app/cli.ts', '--help'], { LOG_LEVEL: 'verbose' });
  assert.equal(stderr, 'Invalid configuration:\n  - LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")\n');
  assert.doesNotMatch(stderr, /\n\s+at |pino/, 'no stack trace');
  assert.equal(stdout, '');
  assert.equal(code, 78, 'EX_CONFIG');
});

test("the process-wide config() sets the logger's level from LOG_LEVEL (the logger reads no environment itself)", async () => {
  const script = [
    "const { config } = await import('./core/config.ts');",
    "const { logger } = await import('./core/logger.ts');",
    'const before = logger.level;',
    "config('cli');",
    'console.log(JSON.stringify([before, logger.level]));',
  ].join('\n');
  const { code, stdout, stderr } = await runNode(['--input-type=module', '-e', script], { LOG_LEVEL: 'warn' });
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), ['info', 'warn']);
});

test('core/config.ts is the only product file that reads the environment (the embedded stack may look up PATH)', () => {
  const productFolders = ['core', 'library', 'stores', 'activities', 'workflows', 'services', 'workers', 'api', 'app', 'bin', 'web/src'];
  const readers: string[] = [];
  for (const folder of productFolders) {
    const dir = path.join(root, folder);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.(ts|js|mjs|cjs)$/.test(entry.name)) continue;
      const file = path.relative(root, path.join(entry.parentPath, entry.name));
      if (file === path.join('core', 'config.ts')) continue;
      // Comments may name process.env; code may not (ESLint's no-restricted-properties catches the subtler spellings).
      const code = fs.readFileSync(path.join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`])\/\/.*$/gm, '$1');
      const reads = code.match(/process\s*\.\s*env\b(\s*\.\s*\w+)?|\benv\b[^;]*=\s*process\b|from\s+['"](node:)?process['"]/g) ?? [];
      const allowed = file === path.join('app', 'embedded', 'temporal.ts') ? reads.filter((r) => !/^process\s*\.\s*env\s*\.\s*PATH$/.test(r)) : reads;
      if (allowed.length) readers.push(`${file}: ${allowed.join(', ')}`);
    }
  }
  assert.deepEqual(readers, []);
});

test('REVIEW_POLICY: flagged documents wait for a person by default; the CLI waits for nobody unless told; a bad value is named', () => {
  assert.equal(loadConfig({}, 'all').reviewPolicy, 'flagged');
  assert.equal(loadConfig({}, 'api').reviewPolicy, 'flagged');
  assert.equal(loadConfig({}, 'cli').reviewPolicy, 'none');
  assert.equal(loadConfig({ REVIEW_POLICY: 'all' }, 'cli').reviewPolicy, 'all');
  assert.equal(loadConfig({ REVIEW_POLICY: 'none' }, 'api').reviewPolicy, 'none');
  assert.throws(() => loadConfig({ REVIEW_POLICY: 'sometimes' }), /REVIEW_POLICY must be one of none, flagged, all/);
});

test('DEID: auto de-identifies for any endpoint off this machine and its private network; on and off force it; a bad value is named', () => {
  const deid = (env: Record<string, string>) => loadConfig(env, 'all').extraction.deid;
  assert.deepEqual(deid({}), { enabled: true, setting: 'auto', dates: 'shift' }, 'OpenAI itself is a third party');
  assert.equal(deid({ OPENAI_BASE_URL: 'https://llm.example.com/v1' }).enabled, true);
  assert.equal(deid({ OPENAI_BASE_URL: 'https://8.8.8.8/v1' }).enabled, true);
  for (const local of [
    'http://127.0.0.1:8000/v1',
    'http://localhost:11434/v1',
    'http://10.2.3.4/v1',
    'http://172.20.0.5:8000/v1',
    'http://192.168.1.9/v1',
    'http://[::1]:8000/v1',
    'http://[fd12::5]/v1',
  ]) {
    assert.equal(deid({ OPENAI_BASE_URL: local }).enabled, false, local);
  }
  assert.equal(deid({ OPENAI_BASE_URL: 'http://172.32.0.1/v1' }).enabled, true, '172.32/16 is public');
  assert.equal(deid({ DEID: 'on', OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' }).enabled, true);
  assert.equal(deid({ DEID: 'off' }).enabled, false);
  assert.equal(deid({ DEID_DATES: 'token' }).dates, 'token');
  assert.throws(() => loadConfig({ DEID: 'maybe' }), /DEID must be one of auto, on, off/);
  assert.throws(() => loadConfig({ DEID_DATES: 'blur' }), /DEID_DATES must be shift or token/);
});
