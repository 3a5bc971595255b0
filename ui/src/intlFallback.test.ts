import { afterEach, describe, expect, it } from "vitest";
import { acceptedLocale, installIntlFallback } from "./intlFallback";

const native = Intl.NumberFormat;
afterEach(() => {
  Intl.NumberFormat = native;
});

describe("installIntlFallback", () => {
  it("lets a number format be made for a language Intl refuses (LANG=C)", () => {
    expect(() => new Intl.NumberFormat("C")).toThrow(RangeError);
    expect(acceptedLocale("C")).toBeUndefined();
    expect(installIntlFallback("C")).toBe(true);
    expect(new Intl.NumberFormat("C").format(1234.5)).toBe(new native(undefined).format(1234.5));
    expect(new Intl.NumberFormat("de-DE").format(1234.5)).toBe("1.234,5");
    expect(Intl.NumberFormat.supportedLocalesOf).toBe(native.supportedLocalesOf);
  });

  it("leaves Intl alone when the language is fine", () => {
    expect(installIntlFallback("en-US")).toBe(false);
    expect(Intl.NumberFormat).toBe(native);
  });
});
