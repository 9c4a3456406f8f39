// Preloaded (NODE_OPTIONS=--import) into a `temps serve` under test: records the name of every environment
// variable the process (and its threads, which inherit the preload) reads, one per line in
// TEMPS_ENV_READS_FILE, so a test can hold a deployment's env against what the server really reads.
// Copies of the whole environment (a Worker's env, a child's) are not reads: they are left unrecorded.
import { appendFileSync } from 'node:fs';
import worker_threads from 'node:worker_threads';
import child_process from 'node:child_process';

const out = process.env.TEMPS_ENV_READS_FILE;
if (out) {
  const seen = new Set();
  let copying = 0;
  const note = (key) => {
    if (copying || typeof key !== 'string' || seen.has(key)) return;
    seen.add(key);
    appendFileSync(out, `${key}\n`);
  };
  const real = process.env;
  process.env = new Proxy(real, {
    get(target, key) {
      note(key);
      return Reflect.get(target, key);
    },
    has(target, key) {
      note(key);
      return Reflect.has(target, key);
    },
  });
  const whileCopying = (fn) => (...args) => {
    copying++;
    try {
      return fn(...args);
    } finally {
      copying--;
    }
  };
  const RealWorker = worker_threads.Worker;
  worker_threads.Worker = class extends RealWorker {
    constructor(...args) {
      copying++;
      try {
        super(...args);
      } finally {
        copying--;
      }
    }
  };
  // bin/temps.js re-executes `temps serve` with its heap flags (process.execve), handing over the whole env.
  if (typeof process.execve === 'function') process.execve = whileCopying(process.execve.bind(process));
  for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) child_process[name] = whileCopying(child_process[name]);
}
