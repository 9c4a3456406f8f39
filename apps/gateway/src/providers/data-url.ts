/** A base64 `data:` URL's media type and payload; undefined for any other URL (http(s), or a data URL not in base64). */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]+)?((?:;[^;,]*)*?);base64,(.*)$/s.exec(url);
  if (!m) return undefined;
  return { mediaType: (m[1] ?? 'application/octet-stream').toLowerCase(), data: m[3]! };
}
