import { ownValue } from '../own-value';

/** Old `gen_ai.system` values and raw SDK strings (Vercel AI SDK) -> semconv `gen_ai.provider.name` values. */
const PROVIDER_ALIASES: Record<string, string> = {
  vertex_ai: 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  gemini: 'gcp.gemini',
  'az.ai.inference': 'azure.ai.inference',
  'az.ai.openai': 'azure.ai.openai',
  xai: 'x_ai',
  'google.vertex': 'gcp.vertex_ai',
  'google.generative-ai': 'gcp.gemini',
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  'azure-openai': 'azure.ai.openai',
  azure: 'azure.ai.inference',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  aws: 'aws.bedrock',
  watsonx: 'ibm.watsonx.ai',
  moonshot: 'moonshot_ai',
  moonshotai: 'moonshot_ai',
};

/** Any provider spelling (semconv, old gen_ai.system, "Anthropic", `openai.chat`, llm.provider) -> semconv value. */
export function normalizeProvider(raw: unknown): string | null {
  if (typeof raw !== 'string' || !raw.trim()) return null;
  const value = raw.trim().toLowerCase();
  const alias = ownValue(PROVIDER_ALIASES, value);
  if (alias) return alias;
  // Vercel AI SDK style `openai.chat` / `anthropic.messages` / `google.vertex.chat`: the provider is
  // the longest known prefix, else the first segment.
  const segments = value.split('.');
  if (segments.length > 1 && !['gcp', 'aws', 'azure', 'ibm'].includes(segments[0]!)) {
    for (let i = segments.length - 1; i >= 1; i--) {
      const alias = ownValue(PROVIDER_ALIASES, segments.slice(0, i).join('.'));
      if (alias) return alias;
    }
    return segments[0]!;
  }
  return value;
}

const HOSTS: [RegExp, string][] = [
  [/(^|\.)api\.openai\.com$/, 'openai'],
  [/(^|\.)openai\.azure\.com$/, 'azure.ai.openai'],
  [/(^|\.)(services\.ai\.azure\.com|models\.inference\.ai\.azure\.com|inference\.ai\.azure\.com)$/, 'azure.ai.inference'],
  [/(^|\.)api\.anthropic\.com$/, 'anthropic'],
  [/(^|\.)generativelanguage\.googleapis\.com$/, 'gcp.gemini'],
  [/(^|\.)aiplatform\.googleapis\.com$/, 'gcp.vertex_ai'],
  [/^bedrock(-runtime)?[.-].*amazonaws\.com$/, 'aws.bedrock'],
  [/(^|\.)api\.mistral\.ai$/, 'mistral_ai'],
  [/(^|\.)api\.groq\.com$/, 'groq'],
  [/(^|\.)api\.deepseek\.com$/, 'deepseek'],
  [/(^|\.)api\.x\.ai$/, 'x_ai'],
  [/(^|\.)api\.cohere\.(com|ai)$/, 'cohere'],
  [/(^|\.)api\.perplexity\.ai$/, 'perplexity'],
  [/(^|\.)api\.moonshot\.(ai|cn)$/, 'moonshot_ai'],
];

/** Last resort: the provider behind a well-known API host (`server.address`). */
export function providerFromServerAddress(address: unknown): string | null {
  if (typeof address !== 'string' || !address) return null;
  const host = address.trim().toLowerCase();
  for (const [re, provider] of HOSTS) if (re.test(host)) return provider;
  return null;
}
