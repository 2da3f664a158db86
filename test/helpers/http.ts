import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A minimal browser-like HTTP client for tests: keeps cookies, does not follow redirects. */
export class Client {
  readonly base: string;
  readonly cookies = new Map<string, string>();
  readonly headers: Record<string, string>;

  constructor(base: string, headers: Record<string, string> = {}) {
    this.base = base;
    this.headers = headers;
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";", 1);
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
  }

  async get(path: string): Promise<Page> {
    const res = await fetch(this.base + path, {
      redirect: "manual",
      headers: { ...this.headers, ...this.cookieHeader() },
    });
    this.remember(res);
    return new Page(res.status, await res.text(), res.headers.get("location"));
  }

  async post(path: string, form: Record<string, string | string[]>): Promise<Page> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const res = await fetch(this.base + path, {
      method: "POST",
      redirect: "manual",
      headers: {
        ...this.headers,
        ...this.cookieHeader(),
        "content-type": "application/x-www-form-urlencoded",
      },
      body,
    });
    this.remember(res);
    return new Page(res.status, await res.text(), res.headers.get("location"));
  }

  /** POST, then GET the redirect target like a browser does. */
  async submit(path: string, form: Record<string, string | string[]>): Promise<Page> {
    const res = await this.post(path, form);
    if (res.status === 303 && res.location) return this.get(res.location);
    return res;
  }

  async json<T = unknown>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(this.base + path, init);
    return { status: res.status, body: (await res.json()) as T };
  }
}

export class Page {
  readonly status: number;
  readonly body: string;
  readonly location: string | null;

  constructor(status: number, body: string, location: string | null) {
    this.status = status;
    this.body = body;
    this.location = location;
  }

  /** Product ids of result cards in page order. */
  productIds(): string[] {
    return [...this.body.matchAll(/data-product-id="([^"]+)"/g)].map((m) => m[1]!);
  }

  /** Decoded text of every match of `re`'s first group. */
  all(re: RegExp): string[] {
    return [...this.body.matchAll(re)].map((m) => m[1]!);
  }
}

/** A test server on a free loopback port. */
export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `handle` on a free loopback port; a handler that throws answers 500 with the error. */
export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<LoopbackServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** An urlencoded request body, as a browser's form submission sends it. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}
