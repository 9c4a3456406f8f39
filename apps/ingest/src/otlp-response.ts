/** What the controller sends back: already encoded in the request's encoding. */
export interface OtlpResponse {
  status: number;
  contentType: string;
  body: Uint8Array | string;
  headers?: Record<string, string>;
  /** What became of the request's items once decoded (for /metrics at the HTTP edge): absent when it was refused before. */
  outcome?: { accepted: number; rejected: Record<string, number> };
}
