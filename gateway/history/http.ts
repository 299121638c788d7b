/**
 * One POST with node:http for InfluxHistory's writes. `fetch` (undici) runs each request body
 * through web streams (a copy, a tee, promise callbacks per chunk): for batches of a few MB every
 * second that was a visible share of the gateway's CPU. Keep-alive sockets, a deadline on the
 * whole request (like `AbortSignal.timeout`), and the answer's text only when it is not 204.
 */
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';

export interface PostResult {
  status: number;
  /** The response body; empty for 204. */
  text: string;
}

export function httpPost(url: string, body: string | Uint8Array, headers: OutgoingHttpHeaders, agent: Agent, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (status !== 204) chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error('connection closed before the answer was complete'));
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(body);
  });
}
