/** The dialect mappers of libs/domain, as people know them. */
export const DIALECT_NAMES: Record<string, string> = {
    'otel-genai': 'OpenTelemetry GenAI semantic conventions',
    'otel-genai-events': 'OpenTelemetry GenAI events (older instrumentations)',
    generic: 'Generic input/output attributes',
    openllmetry: 'OpenLLMetry (Traceloop)',
    openinference: 'OpenInference (Arize Phoenix)',
    'vercel-ai': 'Vercel AI SDK',
    'pydantic-ai': 'Pydantic AI',
    logfire: 'Logfire',
    langfuse: 'Langfuse',
  };
