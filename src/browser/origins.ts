import { InputError } from "../contracts/errors.ts";

/** One request a session refused to send because its origin is not allowed. */
export interface BlockedRequest {
  url: string;
  /** Playwright's resource type: document, script, image, fetch, xhr, stylesheet, websocket, … */
  resourceType: string;
  /** True when it would have replaced a page (a link, a redirect, `location = …`, a meta refresh). */
  navigation: boolean;
  /** ISO 8601 time at which it was blocked. */
  time: string;
}

/** `https://shop.example:8443/path` → `https://shop.example:8443`; an InputError naming `where` if not a URL. */
export function originOf(url: string, where: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(where, `"${url}" is not an absolute URL; expected e.g. http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new InputError(where, `"${url}" is not an http(s) URL; only web origins can be allowed`);
  }
  return parsed.origin;
}

/** Schemes that never leave the browser, so they cannot take a session anywhere. */
const LOCAL_SCHEMES = new Set(["data:", "blob:", "about:", "javascript:"]);

/**
 * Which origins a session may talk to: its shop plus the pool's and the session's allowed origins.
 * Everything else (pages, scripts, images, fetches, websockets) is refused.
 */
export class OriginGuard {
  readonly origins: ReadonlySet<string>;

  constructor(origins: Iterable<string>) {
    this.origins = new Set(origins);
  }

  allows(url: string | URL): boolean {
    let parsed: URL;
    try {
      parsed = typeof url === "string" ? new URL(url) : url;
    } catch {
      return false;
    }
    if (LOCAL_SCHEMES.has(parsed.protocol)) return true;
    return this.origins.has(parsed.origin);
  }

  /**
   * A pattern matching the URLs this guard refuses (anything not on an allowed origin and not a
   * local scheme). Routing only these lets allowed requests go straight through, without a round trip
   * to this process each; the route handler still checks allows() on what it receives.
   */
  blockedPattern(): RegExp {
    const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const local = [...LOCAL_SCHEMES].map(escapeRe).join("|");
    const origins = [...this.origins].map(escapeRe).join("|");
    return new RegExp(`^(?!(?:${local})|(?:${origins || "(?!)"})(?:[/?#]|$))`, "i");
  }

  describe(): string {
    return [...this.origins].join(", ");
  }
}
