/** The providers the gateway knows: id (CLI, `provider/model`), env var stem, default base URL, OTel name. */
export interface ProviderInfo {
  id: ProviderId;
  /** TEMPS_AI_{env}_API_KEY / TEMPS_AI_{env}_BASE_URL. */
  env: string;
  /** In the provider SDK's own convention (OpenAI-compatible: with /v1; Anthropic: without; Google: the API root). */
  defaultBaseUrl: string | null;
  /** gen_ai.provider.name of its calls. */
  otelName: string;
  /** OpenAI-compatible: requests pass through. */
  openaiCompatible: boolean;
}

export const PROVIDER_IDS = ['openai', 'anthropic', 'google', 'xai', 'mistral', 'deepseek', 'groq', 'azure_openai'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const PROVIDERS: Record<ProviderId, ProviderInfo> = {
  openai: { id: 'openai', env: 'OPENAI', defaultBaseUrl: 'https://api.openai.com/v1', otelName: 'openai', openaiCompatible: true },
  anthropic: { id: 'anthropic', env: 'ANTHROPIC', defaultBaseUrl: 'https://api.anthropic.com', otelName: 'anthropic', openaiCompatible: false },
  google: { id: 'google', env: 'GOOGLE', defaultBaseUrl: 'https://generativelanguage.googleapis.com', otelName: 'gcp.gemini', openaiCompatible: false },
  xai: { id: 'xai', env: 'XAI', defaultBaseUrl: 'https://api.x.ai/v1', otelName: 'x_ai', openaiCompatible: true },
  mistral: { id: 'mistral', env: 'MISTRAL', defaultBaseUrl: 'https://api.mistral.ai/v1', otelName: 'mistral_ai', openaiCompatible: true },
  deepseek: { id: 'deepseek', env: 'DEEPSEEK', defaultBaseUrl: 'https://api.deepseek.com/v1', otelName: 'deepseek', openaiCompatible: true },
  groq: { id: 'groq', env: 'GROQ', defaultBaseUrl: 'https://api.groq.com/openai/v1', otelName: 'groq', openaiCompatible: true },
  // Azure has no shared host: its base URL is the resource's, e.g. https://NAME.openai.azure.com/openai/v1
  azure_openai: { id: 'azure_openai', env: 'AZURE_OPENAI', defaultBaseUrl: null, otelName: 'azure.ai.openai', openaiCompatible: true },
};

const ALIASES: Record<string, ProviderId> = { gemini: 'google', 'azure-openai': 'azure_openai', azure: 'azure_openai', 'x-ai': 'xai', x_ai: 'xai', mistral_ai: 'mistral' };

/** A provider id as a user may write it (any case, a few aliases), or null. */
export function providerIdOf(name: string): ProviderId | null {
  const n = name.trim().toLowerCase();
  if ((PROVIDER_IDS as readonly string[]).includes(n)) return n as ProviderId;
  return ALIASES[n] ?? null;
}

/** Routing by model name: the first prefix that matches. */
const ROUTES: [RegExp, ProviderId][] = [
  [/^claude-/, 'anthropic'],
  [/^gemini-/, 'google'],
  [/^grok-/, 'xai'],
  [/^(mistral-|magistral-)/, 'mistral'],
  [/^deepseek-/, 'deepseek'],
  [/^(gpt-|o1|o3|o4|text-embedding-)/, 'openai'],
];

export type ModelRoute = { ok: true; provider: ProviderId; model: string } | { ok: false; message: string };

/**
 * Which provider serves `model`: `provider/model` explicitly, else by the model name's prefix. A slash
 * after an unknown prefix is part of the model name (e.g. `meta-llama/...` on Groq, written `groq/meta-llama/...`).
 */
export function routeModel(model: string): ModelRoute {
  const slash = model.indexOf('/');
  if (slash > 0) {
    const provider = providerIdOf(model.slice(0, slash));
    const rest = model.slice(slash + 1);
    if (provider && rest) return { ok: true, provider, model: rest };
  }
  for (const [pattern, provider] of ROUTES) if (pattern.test(model)) return { ok: true, provider, model };
  return {
    ok: false,
    message: `cannot tell which provider serves model "${model}": name it as provider/model, provider one of ${PROVIDER_IDS.join(', ')} (e.g. groq/${model})`,
  };
}
