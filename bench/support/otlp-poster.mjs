// How the benches post OTLP: node:http with a keep-alive agent, as the OTel JS SDK's OTLP/HTTP exporters do
// (not fetch: undici's fetch cost the bench's own process 3-8 ms of CPU per 344 KiB request, on the same 2
// cores as the server it measures).
import { Agent, request } from 'node:http';

/** post(url, path, body, headers) resolves to the status once the answer is read; as many connections as posts at once. */
export function otlpPoster() {
  const agent = new Agent({ keepAlive: true });
  const post = (url, path, body, headers) =>
    new Promise((resolve, reject) => {
      const req = request(`${url}${path}`, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
