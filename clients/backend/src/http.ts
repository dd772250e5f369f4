// Getting calls in and answers out: node:http (and so Express, Connect) and
// fetch-style Request/Response. Each adapter finds the operation in the path,
// hands the raw body to the handler and writes its answer.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BackendRequest, BackendResponse } from "./handler.js";

/** A node:http listener that is also Express/Connect middleware. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** The handler's entry point, whatever the server. */
type Handle = (request: BackendRequest) => Promise<BackendResponse>;

/** What the node:http adapter needs to know about the handler. */
export interface NodeListenerOptions {
  isOperation: (name: string) => boolean;
  maxBodyBytes: number;
  /** Whether calls are signed: then only the raw body will do. */
  signed: boolean;
  tooLarge: (limit: number) => BackendResponse;
  /** A call the handler could not read (reported to the application, answered 500). */
  unreadable: (problem: Error, operation: string, req: IncomingMessage) => BackendResponse;
}

/** The operation a path names: its last segment (`/ecb/getThread?x` → `getThread`). */
export function operationOf(path: string | undefined): string {
  const pathname = (path ?? "").split("?")[0] ?? "";
  const last = pathname.split("/").filter(Boolean).pop() ?? "";
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** A request whose body another middleware already read, as frameworks leave it. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
}

const isBytes = (value: unknown): value is string | Uint8Array => typeof value === "string" || value instanceof Uint8Array;

/**
 * The raw body: from `req.rawBody` or a raw/text parser's `req.body` when a
 * middleware read it first, else read from the stream up to `limit` bytes
 * (undefined when over it).
 */
async function rawBody(req: ParsedRequest, limit: number): Promise<string | Uint8Array | undefined> {
  if (isBytes(req.rawBody)) return req.rawBody;
  if (isBytes(req.body)) return req.body;
  if (Number(req.headers["content-length"] ?? 0) > limit) return undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      // Over the limit: answer now, and let the rest drain unkept so the answer can be sent.
      if (size > limit) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, response: BackendResponse): void {
  if (res.headersSent) return;
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

/** The node:http adapter: `(req, res)`, or `(req, res, next)` under Express, where other paths go on to `next`. */
export function nodeListener(handle: Handle, options: NodeListenerOptions): NodeListener {
  async function answer(req: ParsedRequest): Promise<BackendResponse> {
    const operation = operationOf(req.url);
    if (req.body !== undefined && !isBytes(req.body) && !isBytes(req.rawBody)) {
      // A JSON parser ran first: the bytes the signature covers are gone.
      if (options.signed) {
        const problem = new Error("ecb-backend: the body was parsed before the handler; mount it before express.json() (or pass the raw body)");
        return options.unreadable(problem, operation, req);
      }
      return handle({ operation, method: req.method ?? "POST", headers: req.headers, body: JSON.stringify(req.body) });
    }
    const body = await rawBody(req, options.maxBodyBytes);
    if (body === undefined) {
      req.resume();
      const refused = options.tooLarge(options.maxBodyBytes);
      return { ...refused, headers: { ...refused.headers, connection: "close" } };
    }
    return handle({ operation, method: req.method ?? "POST", headers: req.headers, body });
  }

  return (req, res, next) => {
    if (next && !options.isOperation(operationOf(req.url))) return next();
    answer(req).then(
      (response) => send(res, response),
      (error: unknown) => {
        if (next) return next(error);
        send(res, options.unreadable(error instanceof Error ? error : new Error(String(error)), operationOf(req.url), req));
      },
    );
  };
}

/** The fetch adapter: `(Request) => Promise<Response>`, for Hono, Bun, Deno, Next.js route handlers. */
export function fetchAdapter(handle: Handle): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    const operation = operationOf(new URL(request.url).pathname);
    const answer = await handle({ operation, method: request.method, headers: request.headers, body });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
}
