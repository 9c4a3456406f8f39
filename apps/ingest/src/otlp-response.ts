/** What the controller sends back: already encoded in the request's encoding. */
export interface OtlpResponse {
  status: number;
  contentType: string;
  body: Uint8Array | string;
  headers?: Record<string, string>;
}
