import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShop, type Shop } from "../sandbox-shop/server.ts";
import { AB_FILES, collectServerEvents, readServerEvents } from "../src/ab/store.ts";
import { SESSION_HEADER } from "../src/contracts/shop.ts";
import type { SessionRecord } from "../src/contracts/trajectory.ts";
import { fixtureCatalog } from "./helpers/fixture-catalog.ts";

let shop: Shop;
/** Answers 503 to its first requests, then passes them on to the shop: a shop that is restarting. */
let flaky: Server;
let flakyUrl: string;
let flakyHits = 0;
/** A shop that went away after the run: nothing listens there any more. */
let goneUrl: string;
let dir: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  shop = await createShop({ catalog: fixtureCatalog() });
  await shop.listen(0);
  flaky = createServer((req, res) => {
    flakyHits++;
    if (flakyHits <= 2) {
      res.writeHead(503).end("restarting");
      return;
    }
    fetch(shop.url + (req.url ?? "/"))
      .then(async (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()))
      .catch(() => res.writeHead(502).end());
  });
  flakyUrl = await listen(flaky);
  const gone = createServer();
  goneUrl = await listen(gone);
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  dir = mkdtempSync(join(tmpdir(), "shopsim-ab-events-"));
});

afterAll(async () => {
  await shop?.close();
  await new Promise<void>((resolve) => (flaky ? flaky.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const record = (session_id: string, attempt = 1) => ({ session_id, attempt }) as SessionRecord;

describe("collectServerEvents", () => {
  it("retries a shop that fails for a while, and records a shop that is gone instead of failing", async () => {
    // Two sessions shop on the real shop; the first is reached through the flaky front.
    for (const sid of ["s1", "s2:a2"])
      await fetch(`${shop.url}/search?q=mug`, { headers: { [SESSION_HEADER]: sid } });
    const urls = new Map([
      ["s1", flakyUrl],
      ["s2", shop.url],
      ["s3", goneUrl],
    ]);
    const got = await collectServerEvents(
      dir,
      [record("s1"), record("s2", 2), record("s3")],
      (sid) => urls.get(sid),
      {
        retryDelaysMs: [10, 10, 10],
      },
    );
    expect(flakyHits).toBe(3);
    expect(got.events.get("s1")?.map((e) => e.query)).toEqual(["mug"]);
    // A rerun's events are its own attempt's shop session.
    expect(got.events.get("s2")?.map((e) => e.session_id)).toEqual(["s2:a2"]);
    expect(got.events.get("s3")).toBeNull();
    expect([...got.failures.keys()]).toEqual(["s3"]);
    expect(got.failures.get("s3")).toMatch(new RegExp(`^${goneUrl}: fetch failed \\(ECONNREFUSED\\)$`));

    // The file keeps the failure, so `shopsim ab analyze` later knows it too.
    const lines = readFileSync(join(dir, AB_FILES.events), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.session_id === "s3")).toEqual({
      session_id: "s3",
      events: null,
      error: got.failures.get("s3"),
    });
    const again = await readServerEvents(dir);
    expect(again.failures).toEqual(got.failures);
    expect(again.events.get("s1")).toEqual(got.events.get("s1"));
  });
});
