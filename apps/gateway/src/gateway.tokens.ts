import type { ChatProvider } from './providers/chat-provider';
import type { ProviderId } from './provider-catalog';
import type { SecretBox } from './secret-box';

/** Nest injection token for the gateway's options. */
export const GATEWAY_OPTIONS = Symbol('GatewayOptions');

export interface GatewayOptions {
  /** Decrypts provider keys kept in events; null: only the environment's keys work. */
  secrets: SecretBox | null;
  /** Whole-call limit (TEMPS_AI_TIMEOUT_MS, default 10 minutes): past it the upstream call is cancelled. */
  timeoutMs: number;
  /** Largest request body (TEMPS_AI_MAX_BODY_BYTES, default 32 MiB: images travel inline). */
  maxBodyBytes: number;
  /** Providers to use instead of the built-in ones (tests, a team's own). */
  providers?: Partial<Record<ProviderId, ChatProvider>>;
  env?: NodeJS.ProcessEnv;
}

export function gatewayOptionsFromEnv(secrets: SecretBox | null, env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
    return n;
  };
  return { secrets, timeoutMs: int('TEMPS_AI_TIMEOUT_MS', 600_000), maxBodyBytes: int('TEMPS_AI_MAX_BODY_BYTES', 32 * 1024 * 1024), env };
}
