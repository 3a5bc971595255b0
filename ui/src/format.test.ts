import { describe, expect, it } from "vitest";
import { duration, metadataEntries } from "./format";

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
