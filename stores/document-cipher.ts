/**
 * Document bytes at rest: AES-256-GCM (node:crypto) with the keys of DOCUMENT_KEYS. The first key
 * encrypts, every key decrypts, and each row keeps the id of the key that sealed it, so keys rotate
 * without a flag day (stores/jobs.ts rotateDocumentKeys re-seals old rows). A sealed value is
 * nonce (12 bytes) || ciphertext || tag (16 bytes); the row's identity is the additional authenticated
 * data, so a ciphertext copied into another row (or table) does not open.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { config, type Config } from '../core/config.js';
import { PipelineError } from '../core/errors.js';
import { logger } from '../core/logger.js';

export interface DocumentKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  sealed: Buffer;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The file that keeps the generated key outside production, in DOCUMENT_KEYS format (so it can be pasted there). */
export const GENERATED_KEYS_FILE = 'document-keys';
const GENERATED_KEY_ID = 'local';

/**
 * A row whose key id is not among the configured keys: retrying cannot help (an operator must add the
 * key), so it is non-retryable. The type code is NotFound until a dedicated one exists; the message
 * names the problem.
 */
export class DocumentKeyMissing extends PipelineError {
  constructor(
    readonly what: string,
    readonly keyId: string,
  ) {
    super('DocumentKeyMissing', `${what} was encrypted with key "${keyId}", which is not in DOCUMENT_KEYS`);
    this.name = 'DocumentKeyMissing';
  }
}

/** A sealed value that does not authenticate: altered bytes, a ciphertext moved between rows, or a different key under the same id. */
export class DocumentUnreadable extends PipelineError {
  constructor(readonly what: string) {
    super(
      'DocumentUnreadable',
      `${what} does not decrypt with its key (the stored bytes were altered, moved from another row, or the key under that id changed)`,
    );
    this.name = 'DocumentUnreadable';
  }
}

let keys: DocumentKey[] | undefined;

/** Registers the keys once at start-up (entry points); the first encrypts. */
export function setDocumentKeys(list: DocumentKey[]): void {
  if (list.length === 0) throw new Error('at least one document key is needed');
  const seen = new Set<string>();
  for (const k of list) {
    if (k.key.byteLength !== 32) throw new Error(`document key "${k.id}" is ${k.key.byteLength} bytes; AES-256 needs 32`);
    if (seen.has(k.id)) throw new Error(`document key id "${k.id}" appears twice in DOCUMENT_KEYS`);
    seen.add(k.id);
  }
  keys = list.map((k) => ({ id: k.id, key: Buffer.from(k.key) }));
}

/** The registered keys; a process that registered none (a test, a script) takes them from its configuration. */
function registered(): DocumentKey[] {
  if (!keys) setDocumentKeys(resolveDocumentKeys(config()));
  return keys!;
}

/** The id new rows are sealed under. */
export const currentKeyId = (): string => registered()[0]!.id;

/**
 * DOCUMENT_KEYS, or outside production one key generated once and kept (mode 600) in DATA_DIR — like
 * the token-signing secret. Every process of one installation (the API replicas and workers of a test
 * run, the embedded stack) shares DATA_DIR and therefore the key; creation is atomic (link of a
 * complete file), so processes starting together agree on one key.
 */
export function resolveDocumentKeys(cfg: Pick<Config, 'documentKeys' | 'nodeEnv' | 'dataDir'>): DocumentKey[] {
  if (cfg.documentKeys?.length) return cfg.documentKeys;
  if (cfg.nodeEnv === 'production') throw new Error('DOCUMENT_KEYS is required in production');
  const file = path.join(cfg.dataDir, GENERATED_KEYS_FILE);
  fs.mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, `${GENERATED_KEY_ID}:${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
      logger.info({ file }, 'generated a document encryption key for embedded mode');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.unlinkSync(tmp);
    }
  }
  return parseKeys(fs.readFileSync(file, 'utf8'), file);
}

function parseKeys(text: string, source: string): DocumentKey[] {
  return text
    .trim()
    .split(',')
    .map((entry) => {
      const [id, b64] = entry.trim().split(':');
      const key = Buffer.from(b64 ?? '', 'base64');
      if (!id || key.byteLength !== 32) throw new Error(`${source} is not in DOCUMENT_KEYS format (id:base64 of 32 bytes)`);
      return { id, key };
    });
}

/** Encrypts under the current key, bound to `aad` (the row's identity). */
export function seal(plain: Uint8Array, aad: string): Sealed {
  const { id, key } = registered()[0]!;
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return { keyId: id, sealed: Buffer.concat([nonce, body, c.getAuthTag()]) };
}

/**
 * Decrypts a stored value. `keyId` null is a row written before encryption existed: its bytes are
 * returned as they are. `what` names the row in errors ('document 1f2e…').
 */
export function open(keyId: string | null, stored: Buffer, aad: string, what: string): Buffer {
  if (keyId === null) return stored;
  const entry = registered().find((k) => k.id === keyId);
  if (!entry) throw new DocumentKeyMissing(what, keyId);
  if (stored.byteLength < NONCE_BYTES + TAG_BYTES) throw new DocumentUnreadable(what);
  const d = crypto.createDecipheriv('aes-256-gcm', entry.key, stored.subarray(0, NONCE_BYTES));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(stored.subarray(stored.byteLength - TAG_BYTES));
  try {
    return Buffer.concat([d.update(stored.subarray(NONCE_BYTES, stored.byteLength - TAG_BYTES)), d.final()]);
  } catch {
    throw new DocumentUnreadable(what);
  }
}

/** The additional authenticated data of each encrypted column: table and primary key. */
export const documentAad = (documentId: string): string => `documents:${documentId}`;
export const workbookAad = (jobId: string): string => `workbooks:${jobId}`;
