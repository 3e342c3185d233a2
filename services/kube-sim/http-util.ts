/** Small HTTP helpers: JSON answers, Status errors, request bodies, cached object JSON. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, badRequest } from "./errors.js";


export function sendRaw(res: ServerResponse, code: number, body: string, contentType = "application/json", headers: Record<string, string> = {}): void {
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-cache, private", ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  sendRaw(res, code, JSON.stringify(body));
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = {};
  if (err.retryAfterSeconds !== undefined) headers["Retry-After"] = String(err.retryAfterSeconds);
  sendRaw(res, err.code, JSON.stringify(err.toStatus()), "application/json", headers);
}

/** A request's body is read once; a later `readBody` gets the same answer (see `handle`'s latency). */
const bodies = new WeakMap<IncomingMessage, Promise<string>>();

export function readBody(req: IncomingMessage, maxBytes = 16 * 1024 * 1024): Promise<string> {
  let body = bodies.get(req);
  if (!body) {
    body = readBodyOnce(req, maxBytes);
    bodies.set(req, body);
  }
  return body;
}

async function readBodyOnce(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
