import { randomUUID } from 'node:crypto';
import { emptyAiProviderState, evolveAiProviders, Streams, type AiProviderState } from '@temps/domain';
import type { EventStore } from '@temps/event-store';
import { PROVIDER_IDS, PROVIDERS, type ProviderId } from './provider-catalog';
import type { SecretBox } from './secret-box';

/** Re-read the stream at most this often, so `temps ai-provider set` in another process takes effect within a second. */
const REFRESH_MS = 500;

export interface ResolvedCredential {
  apiKey: string;
  baseUrl: string;
  source: 'project' | 'env';
}

/** A configured provider as listed: never the key. */
export interface CredentialListing {
  projectId: string | '*';
  provider: ProviderId;
  baseUrl: string | null;
  source: 'project' | 'env';
  setAt?: string;
}

const context = (projectId: string, provider: string) => `ai-provider:${projectId}:${provider}`;
const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * Provider credentials per project, event-sourced in the `ai-providers` stream with the key encrypted
 * (SecretBox); the environment (TEMPS_AI_<PROVIDER>_API_KEY, _BASE_URL) is the fallback for every project.
 * Also the per-project content capture switch (TEMPS_AI_CAPTURE_CONTENT is the default).
 */
export class ProviderCredentials {
  private state: AiProviderState = emptyAiProviderState();
  private nextRevision = 0n;
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;
  /** Decrypted keys by ciphertext: decrypting once per credential, not per call. */
  private readonly plain = new Map<string, string>();

  constructor(
    private readonly events: EventStore,
    private readonly secrets: SecretBox | null,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        for (const e of await this.events.readStream(Streams.aiProviders, { fromRevision: this.nextRevision })) {
          this.state = evolveAiProviders(this.state, e);
          this.nextRevision = e.revision + 1n;
        }
        this.lastRefresh = Date.now();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.lastRefresh > REFRESH_MS) await this.refresh();
  }

  private envCredential(provider: ProviderId): ResolvedCredential | null {
    const info = PROVIDERS[provider];
    const apiKey = this.env[`TEMPS_AI_${info.env}_API_KEY`];
    if (!apiKey) return null;
    const baseUrl = this.env[`TEMPS_AI_${info.env}_BASE_URL`] || info.defaultBaseUrl;
    if (!baseUrl) return null;
    return { apiKey, baseUrl: trimSlash(baseUrl), source: 'env' };
  }

  /** The key and base URL for this project's calls to `provider`, or null when none is configured. */
  async resolve(projectId: string, provider: ProviderId): Promise<ResolvedCredential | null> {
    await this.fresh();
    const set = this.state.credentials.get(projectId)?.get(provider);
    if (!set) return this.envCredential(provider);
    let apiKey = this.plain.get(set.apiKeyEncrypted);
    if (apiKey === undefined) {
      if (!this.secrets) throw new Error('no secrets key: provider keys stored in events cannot be read');
      apiKey = this.secrets.decrypt(set.apiKeyEncrypted, context(projectId, provider));
      this.plain.set(set.apiKeyEncrypted, apiKey);
    }
    const baseUrl = set.baseUrl ?? this.env[`TEMPS_AI_${PROVIDERS[provider].env}_BASE_URL`] ?? PROVIDERS[provider].defaultBaseUrl;
    if (!baseUrl) throw new Error(`provider ${provider} has no base URL for project ${projectId}: set one with --base-url`);
    return { apiKey, baseUrl: trimSlash(baseUrl), source: 'project' };
  }

  /** The providers this project can call: its own, then the environment's for the rest. */
  async configured(projectId: string): Promise<ProviderId[]> {
    await this.fresh();
    const own = this.state.credentials.get(projectId);
    return PROVIDER_IDS.filter((p) => own?.has(p) || this.envCredential(p));
  }

  async set(projectId: string, provider: ProviderId, apiKey: string, baseUrl?: string): Promise<void> {
    if (!this.secrets) throw new Error('no secrets key: cannot store a provider key');
    if (!apiKey.trim()) throw new Error('--api-key must not be empty');
    if (baseUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(baseUrl)) throw new Error(`--base-url must be an http(s) URL, got "${baseUrl}"`);
    if (!baseUrl && !PROVIDERS[provider].defaultBaseUrl && !this.env[`TEMPS_AI_${PROVIDERS[provider].env}_BASE_URL`]) {
      throw new Error(`provider ${provider} has no default base URL: give --base-url (e.g. https://NAME.openai.azure.com/openai/v1)`);
    }
    const data = {
      projectId,
      provider,
      apiKeyEncrypted: this.secrets.encrypt(apiKey.trim(), context(projectId, provider)),
      ...(baseUrl ? { baseUrl: trimSlash(baseUrl) } : {}),
      setAt: new Date().toISOString(),
    };
    await this.events.append(Streams.aiProviders, [{ id: randomUUID(), type: 'AiProviderCredentialSet', data }]);
    await this.refresh();
  }

  async remove(projectId: string, provider: ProviderId): Promise<void> {
    await this.refresh();
    if (!this.state.credentials.get(projectId)?.has(provider)) throw new Error(`project ${projectId} has no key for ${provider}`);
    await this.events.append(Streams.aiProviders, [{ id: randomUUID(), type: 'AiProviderCredentialRemoved', data: { projectId, provider, removedAt: new Date().toISOString() } }]);
    await this.refresh();
  }

  async list(): Promise<CredentialListing[]> {
    await this.refresh();
    const out: CredentialListing[] = [];
    for (const [projectId, byProvider] of this.state.credentials) {
      for (const c of byProvider.values()) out.push({ projectId, provider: c.provider as ProviderId, baseUrl: c.baseUrl ?? PROVIDERS[c.provider as ProviderId]?.defaultBaseUrl ?? null, source: 'project', setAt: c.setAt });
    }
    for (const p of PROVIDER_IDS) {
      const env = this.envCredential(p);
      if (env) out.push({ projectId: '*', provider: p, baseUrl: env.baseUrl, source: 'env' });
    }
    return out;
  }

  /** Prompts and answers on the gateway's spans: the project's setting, else TEMPS_AI_CAPTURE_CONTENT (off). */
  async contentCapture(projectId: string): Promise<boolean> {
    await this.fresh();
    return this.state.contentCapture.get(projectId) ?? /^(1|true|yes|on)$/i.test(this.env.TEMPS_AI_CAPTURE_CONTENT ?? '');
  }

  async setContentCapture(projectId: string, enabled: boolean): Promise<void> {
    await this.events.append(Streams.aiProviders, [{ id: randomUUID(), type: 'AiContentCaptureSet', data: { projectId, enabled, setAt: new Date().toISOString() } }]);
    await this.refresh();
  }
}
