/**
 * nginx in front of the API replicas, configured from deploy/nginx/nginx.conf (the file docker compose
 * uses) with only what loopback needs changed: the replicas' addresses instead of Docker's DNS name,
 * a loopback port, and every file nginx writes inside its own directory (Debian's nginx, run as the
 * current user). Each edit must find its line, so a change of shape in the deploy file stops the proof
 * instead of proving an older copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../harness/process.js';

export const NGINX_TEMPLATE = path.join(ROOT, 'deploy/nginx/nginx.conf');

export interface LoopbackNginx {
  /** Where nginx keeps its pid file, logs and temporary files. */
  dir: string;
  port: number;
  /** host:port of each API replica. */
  upstreams: string[];
  /** Root's worker processes would run as nobody, who cannot enter the temporary directory. */
  asRoot: boolean;
}

function edit(conf: string, line: RegExp, replace: (...groups: string[]) => string, what: string): string {
  if (!line.test(conf)) throw new Error(`${path.relative(ROOT, NGINX_TEMPLATE)} has no ${what} line (${line}) to adapt for loopback`);
  return conf.replace(line, (...m: string[]) => replace(...m));
}

export function loopbackNginxConfig(template: string, o: LoopbackNginx): string {
  let conf = template;
  conf = edit(
    conf,
    /^worker_processes .*;$/m,
    () => ['daemon off;', 'master_process on;', 'worker_processes 1;', ...(o.asRoot ? ['user root;'] : []), `pid ${o.dir}/nginx.pid;`].join('\n'),
    'worker_processes',
  );
  conf = edit(
    conf,
    /^(\s*)access_log \S+ (\w+);$/m,
    (_, indent, format) =>
      [`access_log ${o.dir}/access.log ${format};`, ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${o.dir}/${k};`)]
        .map((l) => `${indent}${l}`)
        .join('\n'),
    'access_log',
  );
  // No Docker DNS here: the replicas are fixed loopback addresses.
  conf = edit(conf, /^\s*resolver .*;\n/m, () => '', 'resolver');
  conf = edit(
    conf,
    /^(\s*)server \S+ resolve (.*);$/m,
    (_, indent, params) => o.upstreams.map((u) => `${indent}server ${u} ${params};`).join('\n'),
    'upstream server',
  );
  conf = edit(conf, /^(\s*)listen \d+;$/m, (_, indent) => `${indent}listen 127.0.0.1:${o.port};`, 'listen');
  return conf;
}

/** Writes the adapted configuration into `o.dir`; returns nginx's command-line arguments for it. */
export function writeLoopbackNginxConfig(o: LoopbackNginx): string[] {
  fs.mkdirSync(o.dir, { recursive: true });
  const file = path.join(o.dir, 'nginx.conf');
  fs.writeFileSync(file, loopbackNginxConfig(fs.readFileSync(NGINX_TEMPLATE, 'utf8'), o));
  return ['-p', o.dir, '-c', file, '-e', 'stderr'];
}
