import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './temps-server';

/**
 * A Python virtual environment with pinned packages, made once and reused across runs and test files:
 * `test/.cache/venv-<hash>` (the hash covers the package list and the interpreter's version).
 *
 * Two jest workers may ask for the same venv at once: the first takes `venv-<hash>.lock` (an exclusive
 * create holding its pid) and installs; the others wait for the ready marker, or take over a lock whose
 * holder has died. A venv without its marker (an install that was killed) is removed and made again.
 *
 * Env: TEMPS_PYTHON picks the interpreter (default `python3`); TEMPS_REQUIRE_PYTHON=1 turns "PyPI is
 * unreachable" from a visible skip into a failure (see `pythonSkipReason`).
 */

export const cacheDir = join(repoRoot, 'test/.cache');
const READY = '.temps-venv-ready';
const INSTALL_TIMEOUT_MS = 10 * 60_000;

export class PythonUnavailableError extends Error {
  constructor(
    message: string,
    readonly kind: 'no-python' | 'no-venv' | 'no-pip' | 'pypi-unreachable' | 'install-failed',
  ) {
    super(message);
    this.name = 'PythonUnavailableError';
  }
}

const pythonCommand = () => process.env.TEMPS_PYTHON || 'python3';

/** `Python 3.11.7`, or a clear error when there is no interpreter. */
function pythonVersion(): string {
  const r = spawnSync(pythonCommand(), ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    throw new PythonUnavailableError(
      `${pythonCommand()} is not available (${r.error?.message ?? `exit ${r.status}: ${r.stderr}`}). ` +
        'Install Python 3 (e.g. `apt-get install python3 python3-venv`) or point TEMPS_PYTHON at an interpreter.',
      'no-python',
    );
  }
  return `${r.stdout}${r.stderr}`.trim();
}

export function venvDirFor(packages: string[]): string {
  const key = JSON.stringify({ packages: [...packages].sort(), python: pythonVersion() });
  return join(cacheDir, `venv-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
}

const venvPython = (dir: string) => join(dir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const isReady = (dir: string) => existsSync(join(dir, READY)) && existsSync(venvPython(dir));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => (output += `\n${err.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const NETWORK_ERROR = /NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|ConnectTimeout|Read timed out|ProxyError|SSLError|Connection reset/;

async function install(dir: string, packages: string[]): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  const venv = await run(pythonCommand(), ['-m', 'venv', dir], 120_000);
  if (venv.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new PythonUnavailableError(
      `\`${pythonCommand()} -m venv\` failed (exit ${venv.code}); on Debian/Ubuntu install python3-venv.\n${venv.output}`,
      'no-venv',
    );
  }
  const py = venvPython(dir);
  const pipVersion = await run(py, ['-m', 'pip', '--version'], 60_000);
  if (pipVersion.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new PythonUnavailableError(`pip is not available in the new venv (ensurepip missing?).\n${pipVersion.output}`, 'no-pip');
  }
  const pip = await run(py, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--timeout', '30', '--retries', '2', ...packages], INSTALL_TIMEOUT_MS);
  if (pip.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const unreachable = NETWORK_ERROR.test(pip.output);
    throw new PythonUnavailableError(
      `pip install ${packages.join(' ')} failed (exit ${pip.code})${unreachable ? ': PyPI looks unreachable' : ''}.\n${pip.output.slice(-4000)}`,
      unreachable ? 'pypi-unreachable' : 'install-failed',
    );
  }
  const freeze = await run(py, ['-m', 'pip', 'freeze', '--all'], 60_000);
  writeFileSync(join(dir, READY), `${JSON.stringify({ packages, at: new Date().toISOString() })}\n${freeze.output}`);
}

/**
 * Makes (once) a venv with exactly these pip requirements (pin them: `name==version`) and returns the
 * path of its python. Safe to call from several jest workers at once.
 */
export async function ensurePythonVenv(packages: string[]): Promise<string> {
  const dir = venvDirFor(packages);
  if (isReady(dir)) return venvPython(dir);
  mkdirSync(cacheDir, { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + INSTALL_TIMEOUT_MS + 60_000;
  for (;;) {
    if (isReady(dir)) return venvPython(dir);
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        if (!isReady(dir)) await install(dir, packages);
        return venvPython(dir);
      } finally {
        rmSync(lock, { force: true });
      }
    }
    // Someone else holds the lock: wait for its venv, or take over if it died.
    let holder = NaN;
    try {
      holder = Number(readFileSync(lock, 'utf8').split('\n')[0]);
    } catch {
      continue; // released in the meantime
    }
    if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new PythonUnavailableError(`timed out waiting for another process to build ${dir} (lock ${lock})`, 'install-failed');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Decided synchronously while jest collects tests (a test can't skip itself once running):
 * a reason to skip when the venv is not built yet and the package index can't be reached, unless
 * TEMPS_REQUIRE_PYTHON=1. A missing python3 is not a reason to skip: ensurePythonVenv fails clearly.
 */
export function pythonSkipReason(packages: string[]): string | undefined {
  if (process.env.TEMPS_REQUIRE_PYTHON === '1') return undefined;
  let dir: string;
  try {
    dir = venvDirFor(packages);
  } catch {
    return undefined; // no python3: let the test fail with the clear error
  }
  if (isReady(dir)) return undefined;
  const index = (process.env.PIP_INDEX_URL || 'https://pypi.org/simple/').replace(/\/?$/, '/');
  const probe = spawnSync(
    pythonCommand(),
    ['-c', 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10).read(1)', `${index}pip/`],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (probe.status === 0) return undefined;
  const why = (probe.stderr || probe.error?.message || 'timed out').trim().split('\n').pop();
  return `PyPI (${index}) is unreachable (${why}); set TEMPS_REQUIRE_PYTHON=1 to make this a failure`;
}
