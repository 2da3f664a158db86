import { describe, expect, it } from "vitest";
import { count, escapeHtml, html, money, raw } from "../sandbox-shop/html.ts";

describe("html", () => {
  it("escapes interpolated text but not nested templates", () => {
    const name = `<img src=x onerror="alert('x')">&`;
    const out = html`<p title="${name}">${name}${html`<b>${"<i>"}</b>`}${raw("<br>")}</p>`;
    expect(out.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;<b>&lt;i&gt;</b><br></p>',
    );
    expect(escapeHtml("a&b")).toBe("a&amp;b");
  });

  it("renders arrays and skips null, undefined and booleans", () => {
    expect(html`${[1, "<", null, undefined, false, true, [2]]}`.value).toBe("1&lt;2");
  });

  it("formats money and counts like a US shop", () => {
    expect(money(0)).toBe("$0.00");
    expect(money(5.5)).toBe("$5.50");
    expect(money(19.99)).toBe("$19.99");
    expect(money(1234.5)).toBe("$1,234.50");
    expect(money(1234567.891)).toBe("$1,234,567.89");
    expect(money(0.105)).toBe("$0.11");
    expect(money(-3.2)).toBe("-$3.20");
    expect(count(7)).toBe("7");
    expect(count(999)).toBe("999");
    expect(count(1000)).toBe("1,000");
    expect(count(98765)).toBe("98,765");
    expect(count(1234567)).toBe("1,234,567");
  });
});
