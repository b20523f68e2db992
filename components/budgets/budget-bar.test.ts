import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { BudgetBar } from "./budget-bar";

const render = (percent: number) => renderToStaticMarkup(createElement(BudgetBar, { percent, label: "Team: spend" }));

describe("BudgetBar", () => {
  it("is a progressbar with the rounded percent as value and text, green below 80 %", () => {
    const html = render(42.4);
    expect(html).toContain('data-testid="budget-bar"');
    expect(html).toContain('role="progressbar"');
    expect(html).toContain('aria-valuenow="42"');
    expect(html).toContain(">42%</span>");
    expect(html).toContain("bg-emerald-600");
    expect(html).toContain("width:42.4%");
  });

  it("turns amber from 80 % and red from 100 %, filling at most the whole track", () => {
    expect(render(80)).toContain("bg-amber-500");
    expect(render(99.6)).toContain("bg-amber-500");
    const over = render(137.2);
    expect(over).toContain("bg-red-600");
    expect(over).toContain('aria-valuenow="137"');
    expect(over).toContain('aria-valuemax="137"');
    expect(over).toContain(">137%</span>");
    expect(over).toContain("width:100%");
  });
});
