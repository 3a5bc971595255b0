import { describe, expect, it } from "vitest";
import { duration, metadataEntries, rangeFor } from "./format";

describe("duration", () => {
  it("shows minutes and seconds", () => {
    expect(duration(84)).toBe("1:24");
    expect(duration(7)).toBe("0:07");
    expect(duration(undefined)).toBe("—");
  });
});

describe("metadataEntries", () => {
  it("keeps values as text, never markup", () => {
    const entries = metadataEntries({ orderId: "A-1042", note: "<img src=x onerror=alert(1)>", n: 3 });
    expect(entries).toEqual([
      ["orderId", "A-1042"],
      ["note", "<img src=x onerror=alert(1)>"],
      ["n", "3"],
    ]);
    expect(metadataEntries(null)).toEqual([]);
    expect(metadataEntries("plain")).toEqual([["value", '"plain"']]);
  });
});

describe("rangeFor", () => {
  const now = Date.parse("2026-03-10T15:45:00.000Z");
  it("counts relative presets back from now", () => {
    expect(rangeFor("", { from: "", to: "" }, now)).toEqual({});
    expect(rangeFor("15m", { from: "", to: "" }, now)).toEqual({ from: "2026-03-10T15:30:00.000Z" });
    expect(rangeFor("7d", { from: "", to: "" }, now)).toEqual({ from: "2026-03-03T15:45:00.000Z" });
  });
  it("reads custom local times and leaves out an empty end", () => {
    const r = rangeFor("custom", { from: "2026-03-10T08:00", to: "" }, now);
    expect(r).toEqual({ from: new Date(2026, 2, 10, 8, 0).toISOString(), to: undefined });
  });
  it("starts today at local midnight", () => {
    const from = new Date(rangeFor("today", { from: "", to: "" }, now).from!);
    expect([from.getHours(), from.getMinutes(), from.getDate()]).toEqual([0, 0, new Date(now).getDate()]);
  });
});
