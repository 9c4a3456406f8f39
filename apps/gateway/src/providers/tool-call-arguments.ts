import { invalidRequest } from './call-upstream';

/**
 * An OpenAI tool call's `function.arguments` (a JSON string) as the object Anthropic's tool_use.input and Gemini's
 * functionCall.args take: empty means {}, anything but a JSON object is a 400 naming `where`.
 */
export function toolCallArguments(args: string, where: string): Record<string, unknown> {
  if (!args || !args.trim()) return {};
  try {
    const value = JSON.parse(args);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw invalidRequest(`${where}: function.arguments must be a JSON object`, where);
}
