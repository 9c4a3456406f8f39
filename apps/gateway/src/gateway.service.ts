import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { AccessService, bearerToken } from '@temps/access';
import { gatewaySpan, parseTraceparent, type GatewayCall } from './gateway-span';
import { GatewayTracer } from './gateway-tracer';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.tokens';
import { GatewayError, sendError } from './openai-errors';
import { PROVIDERS, routeModel, type ProviderId } from './provider-catalog';
import { ProviderCredentials } from './provider-credentials';
import { ProviderRegistry } from './provider-registry';
import { ProviderHttpError } from './providers/chat-provider';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatMessage, ChatProvider, EmbeddingsRequest, ToolCall, Upstream, Usage } from './providers/chat-provider';

// Wall-clock nanoseconds with the monotonic clock's resolution.
const EPOCH_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
const nowNs = () => EPOCH_NS + process.hrtime.bigint();
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const MODEL_LIST_TTL_MS = 60_000;

/** A slow reader: wait until it has taken what was written (reading upstream slows down with it), or the call ends. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Thrown into the upstream call when the client goes away: nobody to answer, nothing to send. */
class ClientGone extends Error {}

interface Caller {
  projectId: string;
  keyId: string;
}

interface Routed {
  provider: ChatProvider;
  providerId: ProviderId;
  model: string;
  upstream: Upstream;
}

function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new GatewayError(413, `request body larger than ${limit} bytes (TEMPS_AI_MAX_BODY_BYTES)`));
      } else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > limit) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        return reject(new GatewayError(400, `the request body is not JSON: ${(err as Error).message}`));
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) return reject(new GatewayError(400, 'the request body must be a JSON object'));
      resolve(body as Record<string, unknown>);
    });
  });
}

/** What a stream of chunks said, assembled for the span. */
class StreamAssembly {
  id?: string;
  model?: string;
  usage?: Usage | null;
  private readonly choices = new Map<number, { content: string; finish?: string; tools: Map<number, ToolCall> }>();

  add(chunk: ChatCompletionChunk): void {
    this.id ??= chunk.id;
    this.model ??= chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    for (const c of chunk.choices ?? []) {
      let choice = this.choices.get(c.index);
      if (!choice) this.choices.set(c.index, (choice = { content: '', tools: new Map() }));
      if (typeof c.delta?.content === 'string') choice.content += c.delta.content;
      for (const t of c.delta?.tool_calls ?? []) {
        let call = choice.tools.get(t.index);
        if (!call) choice.tools.set(t.index, (call = { id: t.id ?? '', type: 'function', function: { name: '', arguments: '' } }));
        if (t.id) call.id = t.id;
        if (t.function?.name) call.function.name += t.function.name;
        if (t.function?.arguments) call.function.arguments += t.function.arguments;
      }
      if (c.finish_reason) choice.finish = c.finish_reason;
    }
  }

  get finishReasons(): string[] {
    return [...this.choices.entries()].sort(([a], [b]) => a - b).flatMap(([, c]) => (c.finish ? [c.finish] : []));
  }

  get outputs(): ChatMessage[] {
    return [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({ role: 'assistant', content: c.content || null, ...(c.tools.size ? { tool_calls: [...c.tools.values()] } : {}) }));
  }
}

/**
 * The OpenAI-compatible `/api/ai/v1`: authenticates the key, routes the model to its provider with the
 * project's credentials, answers in OpenAI's wire format (streaming too), and traces each call as a GenAI
 * span after answering.
 */
@Injectable()
export class GatewayService {
  /** Model lists by provider, base URL and key digest: clients list models often, providers change them rarely. */
  private readonly modelLists = new Map<string, { at: number; names: Promise<string[]> }>();

  constructor(
    private readonly access: AccessService,
    private readonly credentials: ProviderCredentials,
    private readonly registry: ProviderRegistry,
    private readonly tracer: GatewayTracer,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  /** The project from X-Temps-Project-Id, else the key's only project; a key with ingest rights. */
  private async authenticate(req: IncomingMessage): Promise<Caller> {
    const token = bearerToken(req.headers.authorization);
    const header = req.headers['x-temps-project-id'];
    let projectId = Array.isArray(header) ? header[0] : header;
    if (token?.startsWith('dt_')) throw new GatewayError(403, 'the AI gateway takes an API key (tk_), not a deployment token');
    if (!projectId && token) {
      const visible = await this.access.visibleProjects(token);
      if (visible.ok && visible.projects.length === 1) projectId = visible.projects[0]!.id;
      else if (visible.ok && visible.projects.length > 1) {
        throw new GatewayError(400, `this API key can use ${visible.projects.length} projects: send X-Temps-Project-Id to say which (e.g. default_headers={"X-Temps-Project-Id": "${visible.projects[0]!.id}"})`);
      }
    }
    const decision = await this.access.authorize(token, projectId, 'ingest');
    if (!decision.ok) {
      const message = decision.status === 403 && /role viewer/.test(decision.message) ? 'an API key with role viewer may not call the AI gateway: use a member or admin key' : decision.message;
      throw new GatewayError(decision.status, message);
    }
    return { projectId: decision.projectId, keyId: decision.principal.replace(/^tk:/, '') };
  }

  private async route(caller: Caller, requested: unknown, signal: AbortSignal, trace: { traceId: string; spanId: string }): Promise<Routed> {
    if (typeof requested !== 'string' || !requested) throw new GatewayError(400, 'missing "model": name a model, e.g. "gpt-4o", "claude-haiku-4-5" or "provider/model"', 'invalid_request_error', 'model_required');
    const route = routeModel(requested);
    if (!route.ok) throw new GatewayError(400, route.message, 'invalid_request_error', 'model_not_found');
    const provider = this.registry.get(route.provider);
    if (!provider) throw new GatewayError(501, `provider ${route.provider} (model "${requested}") is not available in this build of the gateway`, 'invalid_request_error', 'provider_not_available');
    let credential;
    try {
      credential = await this.credentials.resolve(caller.projectId, route.provider);
    } catch (err) {
      // e.g. set with another secrets key: the operator's to fix, said without the key
      throw new GatewayError(500, `cannot use the ${route.provider} key of project ${caller.projectId}: ${(err as Error).message}`, 'api_error', 'provider_key_unreadable');
    }
    if (!credential) {
      const env = PROVIDERS[route.provider].env;
      throw new GatewayError(
        400,
        `no ${route.provider} key for project ${caller.projectId}: run "temps ai-provider set ${route.provider} --api-key KEY --project ${caller.projectId}" or set TEMPS_AI_${env}_API_KEY`,
        'invalid_request_error',
        'provider_not_configured',
      );
    }
    return {
      provider,
      providerId: route.provider,
      model: route.model,
      upstream: { baseUrl: credential.baseUrl, apiKey: credential.apiKey, signal, headers: { traceparent: `00-${trace.traceId}-${trace.spanId}-01` } },
    };
  }

  /** Cancels the upstream call on the client's disconnect or the timeout. */
  private abortOn(res: ServerResponse): { signal: AbortSignal; done: () => void } {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new GatewayError(504, `the provider did not answer within ${this.options.timeoutMs} ms (TEMPS_AI_TIMEOUT_MS)`, 'timeout', 'timeout')), this.options.timeoutMs);
    const onClose = () => {
      if (!res.writableFinished) ac.abort(new ClientGone('the client went away'));
    };
    res.once('close', onClose);
    return {
      signal: ac.signal,
      done: () => {
        clearTimeout(timer);
        res.off('close', onClose);
      },
    };
  }

  /** After the answer is on its way: build the span and queue it (never delays the client). */
  private trace(projectId: string, call: Omit<GatewayCall, 'captureContent'>): void {
    this.tracer.countCall(call.providerName, call.error ? String(call.error.status) : 'ok');
    setImmediate(() => {
      void this.credentials
        .contentCapture(projectId)
        .catch(() => false)
        .then((captureContent) => this.tracer.record(projectId, gatewaySpan({ ...call, captureContent })));
    });
  }

  private spanIds(req: IncomingMessage): { traceId: string; spanId: string; parentSpanId?: string } {
    const parent = parseTraceparent(req.headers.traceparent as string | undefined);
    return parent ? { traceId: parent.traceId, spanId: hex(8), parentSpanId: parent.spanId } : { traceId: hex(16), spanId: hex(8) };
  }

  async chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startNs = nowNs();
    const ids = this.spanIds(req);
    const abort = this.abortOn(res);
    let caller: Caller | undefined;
    let routed: Routed | undefined;
    let body: ChatCompletionRequest | undefined;
    let firstTokenNs: bigint | undefined;
    const assembly = new StreamAssembly();
    const base = () => ({
      operation: 'chat' as const,
      providerName: routed!.provider.name,
      requestModel: routed!.model,
      clientModel: body!.model,
      request: body as Record<string, unknown>,
      stream: body!.stream === true,
      ...ids,
      startNs,
      endNs: nowNs(),
      firstTokenNs,
      baseUrl: routed!.upstream.baseUrl,
      keyId: caller!.keyId,
    });
    try {
      caller = await this.authenticate(req);
      body = (await readJson(req, this.options.maxBodyBytes)) as ChatCompletionRequest;
      if (!Array.isArray(body.messages) || body.messages.length === 0) throw new GatewayError(400, '"messages" must be a non-empty array of chat messages', 'invalid_request_error', 'invalid_messages');
      routed = await this.route(caller, body.model, abort.signal, ids);
      const upstreamRequest: ChatCompletionRequest = { ...body, model: routed.model };
      res.setHeader('x-temps-trace-id', ids.traceId);

      if (body.stream !== true) {
        const out = await routed.provider.chat(upstreamRequest, routed.upstream);
        const text = JSON.stringify(out);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        const choices = [...(out.choices ?? [])].sort((a, b) => a.index - b.index);
        this.trace(caller.projectId, {
          ...base(),
          response: { id: out.id, model: out.model, usage: out.usage, finishReasons: choices.flatMap((c) => (c.finish_reason ? [c.finish_reason] : [])), outputs: choices.map((c) => c.message) },
        });
        return;
      }

      const include = body.stream_options?.include_usage === true;
      const iterator = routed.provider.chatStream(upstreamRequest, routed.upstream)[Symbol.asyncIterator]();
      let next = await iterator.next(); // errors before the first chunk keep the provider's status
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      try {
        for (; !next.done; next = await iterator.next()) {
          const chunk = next.value;
          firstTokenNs ??= nowNs();
          assembly.add(chunk);
          if (!include && 'usage' in chunk) {
            // The client did not ask for usage: the gateway asked for itself (to trace the call).
            if (chunk.usage && (!chunk.choices || chunk.choices.length === 0)) continue;
            const { usage: _u, ...rest } = chunk;
            if (!res.write(`data: ${JSON.stringify(rest)}\n\n`)) await drained(res, abort.signal);
          } else if (!res.write(`data: ${JSON.stringify(chunk)}\n\n`)) await drained(res, abort.signal);
        }
        res.end('data: [DONE]\n\n');
        this.trace(caller.projectId, { ...base(), response: { id: assembly.id, model: assembly.model, usage: assembly.usage, finishReasons: assembly.finishReasons, outputs: assembly.outputs } });
      } catch (err) {
        // Headers are sent: the error goes as an SSE event (the openai clients raise it).
        const reason = abort.signal.reason;
        const e =
          reason instanceof GatewayError ? reason // the timeout, mid-stream
          : err instanceof ProviderHttpError ? err
          : new GatewayError(502, `the provider stream failed: ${(err as Error).message}`, 'api_error');
        if (!(abort.signal.reason instanceof ClientGone)) res.end(`data: ${JSON.stringify(e.body)}\n\n`);
        this.trace(caller.projectId, {
          ...base(),
          response: { id: assembly.id, model: assembly.model, usage: assembly.usage, finishReasons: assembly.finishReasons, outputs: assembly.outputs },
          error: abort.signal.reason instanceof ClientGone ? { status: 499, type: 'client_disconnected', message: 'the client went away mid-stream' } : { status: e.status, type: e.body.error.type, message: e.body.error.message },
        });
      }
    } catch (err) {
      const reason = abort.signal.reason;
      const e = reason instanceof GatewayError ? reason : err;
      if (!req.readableEnded) req.resume(); // refused before reading the body: drain it, the connection stays usable
      if (!(reason instanceof ClientGone)) sendError(res, e);
      if (caller && routed && body) {
        const status = (e as GatewayError).status ?? 502;
        const error = reason instanceof ClientGone ? { status: 499, type: 'client_disconnected', message: 'the client went away before the answer' } : { status, type: (e as GatewayError).body?.error.type ?? 'api_error', message: (e as Error).message };
        this.trace(caller.projectId, { ...base(), error });
      }
    } finally {
      abort.done();
    }
  }

  async embeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startNs = nowNs();
    const ids = this.spanIds(req);
    const abort = this.abortOn(res);
    let caller: Caller | undefined;
    let routed: Routed | undefined;
    let body: EmbeddingsRequest | undefined;
    const base = () => ({
      operation: 'embeddings' as const,
      providerName: routed!.provider.name,
      requestModel: routed!.model,
      clientModel: body!.model,
      request: body as unknown as Record<string, unknown>,
      stream: false,
      ...ids,
      startNs,
      endNs: nowNs(),
      baseUrl: routed!.upstream.baseUrl,
      keyId: caller!.keyId,
    });
    try {
      caller = await this.authenticate(req);
      body = (await readJson(req, this.options.maxBodyBytes)) as unknown as EmbeddingsRequest;
      if (body.input === undefined) throw new GatewayError(400, 'missing "input": a string or an array of strings (or token arrays)', 'invalid_request_error', 'input_required');
      routed = await this.route(caller, body.model, abort.signal, ids);
      if (!routed.provider.embeddings) throw new GatewayError(400, `provider ${routed.providerId} has no embeddings in the gateway`, 'invalid_request_error', 'embeddings_not_supported');
      res.setHeader('x-temps-trace-id', ids.traceId);
      const out = await routed.provider.embeddings({ ...body, model: routed.model }, routed.upstream);
      const text = JSON.stringify(out);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      const first = out.data?.[0]?.embedding;
      this.trace(caller.projectId, {
        ...base(),
        response: { model: out.model, usage: out.usage ? { prompt_tokens: out.usage.prompt_tokens, completion_tokens: 0, total_tokens: out.usage.total_tokens } : undefined, finishReasons: [], ...(Array.isArray(first) ? { embeddingDimensions: first.length } : {}) },
      });
    } catch (err) {
      const reason = abort.signal.reason;
      const e = reason instanceof GatewayError ? reason : err;
      if (!req.readableEnded) req.resume(); // refused before reading the body: drain it, the connection stays usable
      if (!(reason instanceof ClientGone)) sendError(res, e);
      if (caller && routed && body) this.trace(caller.projectId, { ...base(), error: { status: (e as GatewayError).status ?? 502, type: (e as GatewayError).body?.error.type ?? 'api_error', message: (e as Error).message } });
    } finally {
      abort.done();
    }
  }

  /** The models of the project's configured providers, each by a name that routes back to its provider. */
  async models(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const caller = await this.authenticate(req);
      const data: { id: string; object: 'model'; created: number; owned_by: string }[] = [];
      await Promise.all(
        (await this.credentials.configured(caller.projectId)).map(async (id) => {
          const provider = this.registry.get(id);
          const credential = await this.credentials.resolve(caller.projectId, id).catch(() => null);
          if (!provider?.listModels || !credential) return;
          try {
            const key = `${id}|${credential.baseUrl}|${createHash('sha256').update(credential.apiKey).digest('hex')}`;
            let cached = this.modelLists.get(key);
            if (!cached || Date.now() - cached.at > MODEL_LIST_TTL_MS) {
              cached = { at: Date.now(), names: provider.listModels({ baseUrl: credential.baseUrl, apiKey: credential.apiKey, signal: AbortSignal.timeout(10_000) }) };
              this.modelLists.set(key, cached);
              cached.names.catch(() => this.modelLists.delete(key)); // a failure is not kept
            }
            const names = await cached.names;
            for (const name of names) {
              const r = routeModel(name);
              data.push({ id: r.ok && r.provider === id && r.model === name ? name : `${id}/${name}`, object: 'model', created: 0, owned_by: id });
            }
          } catch {
            /* a provider that cannot list its models is left out; the others still answer */
          }
        }),
      );
      data.sort((a, b) => a.owned_by.localeCompare(b.owned_by) || a.id.localeCompare(b.id));
      const text = JSON.stringify({ object: 'list', data });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } catch (err) {
      req.resume();
      sendError(res, err);
    }
  }
}
