import type { RawResource, RawScope } from '@temps/domain';
import { ItemContext, sharedReason, type Shared } from './item-context';
import { resolveLimits, type DecodeLimits, type DecodeResult, type Rejection } from './limits';
import { jArray, jObject, jResourceOf, jScopeOf, jString, parseJsonBody, pick, walkJson, within, type JsonObject } from './json-common';

/** The names of one signal's OTLP/JSON envelope levels, in camelCase and snake_case. */
export interface JsonEnvelope<Item, Out, R extends Rejection> {
  /** The request message name, for error messages. */
  name: string;
  resources: [camel: string, snake: string];
  scopes: [camel: string, snake: string];
  items: [camel: string, snake: string];
  itemOf(o: JsonObject, ctx: ItemContext): Item;
  finish(item: Item, ctx: ItemContext, resource: Shared<RawResource>, scope: Shared<RawScope>, shared: string | null, result: DecodeResult<Out, R>): void;
}

/**
 * Walks resource -> scope -> items of any OTLP/JSON export request. Errors name their path
 * (`resourceSpans[0].scopeSpans[1].spans[2]...`); each item is finished (validated, limited) on its own.
 */
export function decodeJsonRequest<Item, Out, R extends Rejection>(body: Uint8Array, limits: Partial<DecodeLimits> | undefined, env: JsonEnvelope<Item, Out, R>): DecodeResult<Out, R> {
  const resolved = resolveLimits(limits);
  const request = parseJsonBody(body, env.name);
  const [resourcesName, scopesName, itemsName] = [env.resources[0], env.scopes[0], env.items[0]];
  return walkJson(env.name, () => {
    const ctx = new ItemContext(resolved);
    const result: DecodeResult<Out, R> = { items: [], rejected: [] };
    const resources = jArray(pick(request, ...env.resources), resourcesName);
    for (let r = 0; r < resources.length; r++) {
      try {
        const rx = jObject(resources[r], '') ?? {};
        const scopes = jArray(pick(rx, ...env.scopes), scopesName);
        if (!scopes.length) continue;
        const resource = jResourceOf(rx.resource, jString(pick(rx, 'schemaUrl', 'schema_url'), 'schemaUrl'), ctx);
        for (let s = 0; s < scopes.length; s++) {
          try {
            const sx = jObject(scopes[s], '') ?? {};
            const items = jArray(pick(sx, ...env.items), itemsName);
            if (!items.length) continue;
            const scope = jScopeOf(sx.scope, jString(pick(sx, 'schemaUrl', 'schema_url'), 'schemaUrl'), ctx);
            const shared = sharedReason(resource, scope);
            for (let i = 0; i < items.length; i++) {
              ctx.reset();
              let item: Item;
              try {
                item = env.itemOf(jObject(items[i], '') ?? {}, ctx);
              } catch (err) {
                within(err, `${itemsName}[${i}]`);
              }
              env.finish(item, ctx, resource, scope, shared, result);
            }
          } catch (err) {
            within(err, `${scopesName}[${s}]`);
          }
        }
      } catch (err) {
        within(err, `${resourcesName}[${r}]`);
      }
    }
    return result;
  });
}
