import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OriginGuard } from "../src/browser/origins.ts";

describe("OriginGuard.blockedPattern", () => {
  const guard = new OriginGuard(["http://127.0.0.1:8080", "https://cdn.example"]);
  const pattern = guard.blockedPattern();

  it("blocks exactly what allows() refuses, on tricky URLs", () => {
    for (const url of [
      "http://127.0.0.1:8080/",
      "http://127.0.0.1:8080",
      "http://127.0.0.1:8080/search?q=x#top",
      "http://127.0.0.1:80801/",
      "http://127.0.0.1:8080.evil.com/",
      "https://evil.com/?next=http://127.0.0.1:8080/",
      "http://cdn.example/a.js",
      "https://cdn.example/a.js",
      "data:text/html,hi",
      "blob:http://127.0.0.1:8080/1",
      "about:blank",
      "ftp://127.0.0.1:8080/",
    ]) {
      expect(pattern.test(url), url).toBe(!guard.allows(url));
    }
  });

  it("agrees with allows() on generated URLs", () => {
    const host = fc.constantFrom("127.0.0.1", "cdn.example", "evil.com", "127.0.0.1.evil.com");
    const port = fc.constantFrom("", ":8080", ":8081", ":443", ":80");
    const scheme = fc.constantFrom("http", "https");
    fc.assert(
      fc.property(scheme, host, port, fc.webPath(), (s, h, p, path) => {
        const url = new URL(`${s}://${h}${p}${path}`).href;
        expect(pattern.test(url)).toBe(!guard.allows(url));
      }),
    );
  });
});
