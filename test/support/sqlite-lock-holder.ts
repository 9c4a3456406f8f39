import { spawn } from 'node:child_process';

export interface LockHolder {
  /** Whether the other process still holds the lock. */
  holding(): boolean;
  /** Resolves once it has rolled back and exited. */
  released: Promise<void>;
}

/**
 * Holds a SQLite database's write lock from another process for `ms` (as a backup job or a stuck CLI might):
 * resolves once the lock is taken.
 */
export async function holdSqliteWriteLock(dbPath: string, ms: number): Promise<LockHolder> {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const { DatabaseSync } = require('node:sqlite');
       const db = new DatabaseSync(${JSON.stringify(dbPath)});
       db.exec('BEGIN IMMEDIATE');
       console.log('locked');
       setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, ${ms});`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const released = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)));
  });
  return { holding: () => holder.exitCode === null, released };
}
