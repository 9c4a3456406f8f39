import type { ChatProvider } from './providers/chat-provider';
import { OpenAICompatibleProvider } from './providers/openai-compatible';
import { PROVIDERS, type ProviderId } from './provider-catalog';

/**
 * A translator built in its own module (providers/anthropic.ts exports `anthropicProvider`,
 * providers/gemini.ts `geminiProvider`), or null when this build has none: those providers answer
 * "not available in this build" until it lands, with no change here.
 */
function optionalProvider(module: string, exportName: string): ChatProvider | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(module) as Record<string, ChatProvider | undefined>;
    return loaded[exportName] ?? null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(module)) return null;
    throw err;
  }
}

/** Which ChatProvider serves each provider id. */
export class ProviderRegistry {
  private readonly providers = new Map<ProviderId, ChatProvider>();

  constructor(overrides: Partial<Record<ProviderId, ChatProvider>> = {}) {
    for (const info of Object.values(PROVIDERS)) {
      if (info.openaiCompatible) this.providers.set(info.id, new OpenAICompatibleProvider(info.otelName, info.id === 'azure_openai' ? 'api-key' : 'bearer'));
    }
    const anthropic = optionalProvider('./providers/anthropic', 'anthropicProvider');
    const gemini = optionalProvider('./providers/gemini', 'geminiProvider');
    if (anthropic) this.providers.set('anthropic', anthropic);
    if (gemini) this.providers.set('google', gemini);
    for (const [id, p] of Object.entries(overrides)) if (p) this.providers.set(id as ProviderId, p);
  }

  get(id: ProviderId): ChatProvider | null {
    return this.providers.get(id) ?? null;
  }
}
