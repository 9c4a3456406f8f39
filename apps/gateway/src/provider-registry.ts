import { anthropicProvider } from './providers/anthropic';
import type { ChatProvider } from './providers/chat-provider';
import { geminiProvider } from './providers/gemini';
import { OpenAICompatibleProvider } from './providers/openai-compatible';
import { PROVIDERS, type ProviderId } from './provider-catalog';

/** Which ChatProvider serves each provider id: OpenAI-compatible ones pass through, Anthropic and Google are translated. */
export class ProviderRegistry {
  private readonly providers = new Map<ProviderId, ChatProvider>();

  constructor(overrides: Partial<Record<ProviderId, ChatProvider>> = {}) {
    for (const info of Object.values(PROVIDERS)) {
      if (info.openaiCompatible) this.providers.set(info.id, new OpenAICompatibleProvider(info.otelName, info.id === 'azure_openai' ? 'api-key' : 'bearer'));
    }
    this.providers.set('anthropic', anthropicProvider);
    this.providers.set('google', geminiProvider);
    for (const [id, p] of Object.entries(overrides)) if (p) this.providers.set(id as ProviderId, p);
  }

  get(id: ProviderId): ChatProvider | null {
    return this.providers.get(id) ?? null;
  }
}
