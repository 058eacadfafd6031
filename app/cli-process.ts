/**
 * `medextract process <files...>`, the part on the terminal: checks each file (it exists, is within
 * MAX_UPLOAD_MB, and is a kind the pipeline reads, from its first bytes), refuses the others at once
 * with one line each, and hands the rest to the engine (app/cli-engine.ts) in a child process whose
 * output goes to the log file. It draws a progress bar per document on a terminal and prints one line
 * per document, then where the log is.
 */
import { fork } from 'node:child_process';
import { closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Config } from '../core/config.js';
import { resultBaseName } from '../core/contract/jobs.js';
import { ACCEPTED_FORMATS, detectDocumentKind, KIND_SIGNATURE_BYTES } from '../library/document/kind.js';
import { cliLogFile, openLogFile } from './cli-log.js';
import type { EngineMessage, EngineRequest } from './cli-engine.js';
import type { OutputFormat } from './cli-formats.js';

/** The CLI's own entry (it loads TypeScript itself), run again as the engine. */
const CLI_ENTRY = path.resolve(import.meta.dirname, '../bin/medextract.js');
/** The hidden command the engine runs as. */
export const ENGINE_COMMAND = 'process-engine';

export interface ProcessOptions {
  out: string;
  format: OutputFormat[];
  owner: string;
  password?: string;
  /** Read the password from standard input instead (not visible in `ps` or the shell's history). */
  passwordStdin?: boolean;
}

/** The password longest accepted, as by POST /upload and POST /jobs/:id/password. */
const MAX_PASSWORD_CHARS = 1024;

/**
 * The password piped to the command (`--password-stdin`, as `docker login` takes it): everything up to
 * the end of the input, less one line ending; refused (an Error whose message is the one line to
 * print) when empty, too long, or spanning several lines.
 */
export async function readPasswordStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += b.length;
    // More than any password: the wrong thing was piped in (a file, a document); stop reading.
    if (size > MAX_PASSWORD_CHARS * 4 + 2) throw new Error(`--password-stdin: the input is longer than a password (at most ${MAX_PASSWORD_CHARS} characters)`);
    chunks.push(b);
  }
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password === '') throw new Error('--password-stdin: standard input held no password');
  if (/[\r\n]/.test(password)) throw new Error('--password-stdin: give the password on one line');
  if ([...password].length > MAX_PASSWORD_CHARS) throw new Error(`--password-stdin: the password is longer than ${MAX_PASSWORD_CHARS} characters`);
  return password;
}

/**
 * Why a file is refused before anything is sent, in the API's `Code: message` form, or undefined when
 * it may go: missing, too large, or not a kind the pipeline reads (decided from its bytes, never its name).
 */
export async function refusal(file: string, maxBytes: number): Promise<string | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'NotFound: no such file';
    if (code === 'EACCES') return 'Forbidden: the file cannot be read (permission denied)';
    return `Unreadable: ${(err as Error).message}`;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return 'NotFound: this is not a file';
    if (stat.size > maxBytes) return `TooLarge: the file is ${(stat.size / 1048576).toFixed(1)} MB; the limit is ${maxBytes / 1048576} MB`;
    const head = new Uint8Array(KIND_SIGNATURE_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const detected = detectDocumentKind(head.subarray(0, bytesRead));
    if (detected.kind === 'unsupported') return `UnsupportedFormat: this file is a ${detected.format} image, which is not read; accepted: ${ACCEPTED_FORMATS}`;
    if (detected.kind === 'unknown') return `UnsupportedFormat: this file is not a document the pipeline reads; accepted: ${ACCEPTED_FORMATS}`;
    return undefined;
  } finally {
    await handle.close();
  }
}

/** `name`, `name-2`, `name-3`, ... so two inputs of the same name do not overwrite each other's output. */
export function outputNames(files: string[]): string[] {
  const used = new Set<string>();
  return files.map((input) => {
    const base = resultBaseName(path.basename(input));
    let outName = base;
    for (let i = 2; used.has(outName); i++) outName = `${base}-${i}`;
    used.add(outName);
    return outName;
  });
}

/** Runs the command; the exit code (0: every document completed). */
export async function processCommand(cfg: Config, files: string[], opts: ProcessOptions): Promise<number> {
  const names = outputNames(files);
  const lines: Array<string | undefined> = [];
  const ok: boolean[] = files.map(() => false);
  const documents: EngineRequest['documents'] = [];
  for (const [index, input] of files.entries()) {
    const problem = await refusal(input, cfg.maxUploadBytes);
    if (problem) lines[index] = `✗ ${input}: not sent: ${problem}`;
    else documents.push({ index, input, outName: names[index]! });
  }

  const logFile = cliLogFile(cfg.dataDir);
  if (documents.length > 0) {
    const outDir = path.resolve(opts.out);
    await fs.mkdir(outDir, { recursive: true });
    const fatal = await runEngine({ documents, outDir, formats: opts.format, owner: opts.owner, password: opts.password }, logFile, (m) => {
      lines[m.index] = m.line;
      ok[m.index] = m.ok;
    });
    for (const d of documents) lines[d.index] ??= `✗ ${d.input}: not processed: ${fatal ?? 'the run stopped before this document finished'}`;
  }
  for (const line of lines) process.stdout.write(`${line}\n`);
  if (documents.length > 0) process.stdout.write(`Log: ${logFile}\n`);
  return ok.every(Boolean) ? 0 : 1;
}

/** The engine in a child process; resolves with the run's fatal problem, if it had one. */
async function runEngine(
  request: EngineRequest,
  logFile: string,
  onOutcome: (m: Extract<EngineMessage, { type: 'outcome' }>) => void,
): Promise<string | undefined> {
  const fd = openLogFile(logFile);
  const child = fork(CLI_ENTRY, [ENGINE_COMMAND], { stdio: ['ignore', fd, fd, 'ipc'], execArgv: [] });
  const bars = process.stderr.isTTY
    ? new cliProgress.MultiBar(
        { format: ' {bar} {percentage}% | {stage} {value}/{total} pages | {name}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const bar = new Map(request.documents.map((d) => [d.index, bars?.create(1, 0, { name: path.basename(d.input), stage: 'queued' })]));
  let fatal: string | undefined;
  child.on('message', (m: EngineMessage) => {
    if (m.type === 'progress') {
      const total = Math.max(1, m.pagesTotal ?? 1);
      bar.get(m.index)?.setTotal(total);
      bar.get(m.index)?.update(m.stage === 'completed' ? total : m.pagesDone, { stage: m.stage });
    } else if (m.type === 'outcome') {
      onOutcome(m);
    } else {
      fatal = m.message;
    }
  });
  child.send(request);
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  bars?.stop();
  closeSync(fd);
  return fatal;
}
