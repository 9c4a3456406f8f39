/**
 * The set-up snippets of the seed (docs "Sending AI traces to Temps"), filled in with this instance's
 * origin and the project id. The API key stays a placeholder: snippets get pasted into code and chats.
 */
export interface Snippet {
  id: string;
  label: string;
  /** Shell lines to install, if any. */
  install?: string;
  code: string;
  note?: string;
}

export const KEY_PLACEHOLDER = 'tk_your_api_key';

export function envSnippet(origin: string, projectId: string): string {
  return [
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${origin}/api`,
    `export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer ${KEY_PLACEHOLDER},X-Temps-Project-Id=${projectId}"`,
    `export OTEL_SERVICE_NAME=my-ai-app`,
    `export OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`,
  ].join('\n');
}

export function snippets(origin: string, projectId: string): Snippet[] {
  const url = `${origin}/api/otel/v1/traces`;
  const pyExporter = `exporter = OTLPSpanExporter(
    endpoint="${url}",
    headers={
        "Authorization": "Bearer ${KEY_PLACEHOLDER}",
        "X-Temps-Project-Id": "${projectId}",
    },
)`;
  const nodeExporter = `  traceExporter: new OTLPTraceExporter({
    url: '${url}',
    headers: {
      'Authorization': 'Bearer ${KEY_PLACEHOLDER}',
      'X-Temps-Project-Id': '${projectId}',
    },
  }),`;
  return [
    {
      id: 'env',
      label: 'Environment variables',
      code: envSnippet(origin, projectId),
      note: 'Many auto-instrumentation libraries pick these up without code changes.',
    },
    {
      id: 'python-openai',
      label: 'Python · OpenAI',
      install: 'pip install openai opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-instrumentation-openai-v2',
      code: `import openai
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

# Configure OTel to export to Temps
resource = Resource.create({"service.name": "my-ai-app"})
provider = TracerProvider(resource=resource)
${pyExporter}
provider.add_span_processor(BatchSpanProcessor(exporter))
trace.set_tracer_provider(provider)

# One line to auto-instrument all OpenAI calls
OpenAIInstrumentor().instrument()

client = openai.OpenAI()
response = client.chat.completions.create(
    model="gpt-4o",
    messages=[{"role": "user", "content": "Hello!"}],
)`,
      note: 'Run with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true to see prompts and responses.',
    },
    {
      id: 'python-anthropic',
      label: 'Python · Anthropic',
      install: 'pip install anthropic opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-instrumentation-anthropic',
      code: `import anthropic
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

resource = Resource.create({"service.name": "my-ai-app"})
provider = TracerProvider(resource=resource)
${pyExporter}
provider.add_span_processor(BatchSpanProcessor(exporter))
trace.set_tracer_provider(provider)

# Auto-instrument Anthropic SDK
AnthropicInstrumentor().instrument()

client = anthropic.Anthropic()
message = client.messages.create(
    model="claude-sonnet-4-20250514",
    max_tokens=1024,
    messages=[{"role": "user", "content": "Hello!"}],
)`,
    },
    {
      id: 'node-vercel-ai',
      label: 'Node · Vercel AI SDK',
      install: 'npm install ai @ai-sdk/openai @opentelemetry/sdk-node @opentelemetry/exporter-trace-otlp-http',
      code: `// tracing.ts: import it before your app starts
import { NodeSDK } from '@opentelemetry/sdk-node'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'

const sdk = new NodeSDK({
${nodeExporter}
  serviceName: 'my-ai-app',
})
sdk.start()

// app.ts
import { generateText } from 'ai'
import { openai } from '@ai-sdk/openai'

const result = await generateText({
  model: openai('gpt-4o'),
  prompt: 'Explain quantum computing in simple terms.',
  experimental_telemetry: {
    isEnabled: true,
    recordInputs: true, // capture prompts
    recordOutputs: true, // capture responses
  },
})`,
    },
    {
      id: 'node-openai',
      label: 'Node · OpenAI',
      install: 'npm install openai @traceloop/instrumentation-openai @opentelemetry/sdk-node @opentelemetry/exporter-trace-otlp-http',
      code: `// tracing.ts: must be imported before any other module
import { NodeSDK } from '@opentelemetry/sdk-node'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai'

const sdk = new NodeSDK({
${nodeExporter}
  instrumentations: [new OpenAIInstrumentation()],
  serviceName: 'my-ai-app',
})
sdk.start()

// app.ts: tracing must be imported first
import './tracing'
import OpenAI from 'openai'

const client = new OpenAI()
const response = await client.chat.completions.create({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hello!' }],
})`,
    },
    gatewaySnippet(origin),
  ];
}

/** The seed's "Works with the Temps AI Gateway" snippet: any OpenAI client, every provider, traced by the server. */
export function gatewaySnippet(origin: string): Snippet {
  return {
    id: 'gateway',
    label: 'AI Gateway',
    install: 'pip install openai',
    code: `import openai

client = openai.OpenAI(
    api_key="${KEY_PLACEHOLDER}",
    base_url="${origin}/api/ai/v1",
)

# All of these are traced by Temps itself, with gen_ai.* attributes
client.chat.completions.create(model="claude-haiku-4-5", messages=[{"role": "user", "content": "Hello!"}])
client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hello!"}])
client.chat.completions.create(model="gemini-2.5-flash", messages=[{"role": "user", "content": "Hello!"}])`,
    note: 'Give the server the providers\' keys first: temps ai-provider set openai --api-key sk-... (or TEMPS_AI_OPENAI_API_KEY). A key for several projects also sends X-Temps-Project-Id (default_headers). Your own OpenTelemetry instrumentation keeps working: the gateway\'s span joins your trace when your app sends a traceparent (an HTTP client instrumentation does), and each call\'s usage counts once either way.',
  };
}
