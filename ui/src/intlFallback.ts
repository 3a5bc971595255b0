// uPlot builds `new Intl.NumberFormat(navigator.language)` as it loads. Under LANG=C,
// WebKitGTK reports the language "C", which Intl refuses with a RangeError, and the whole
// window stayed blank. When the reported language is not one Intl takes, number formats
// asked for it get the default locale instead. Imported first by main.tsx.

const Native = Intl.NumberFormat;

export function acceptedLocale(language: string | undefined): string | undefined {
  try {
    new Native(language);
    return language;
  } catch {
    return undefined;
  }
}

export function installIntlFallback(language: string | undefined = globalThis.navigator?.language) {
  if (acceptedLocale(language) === language) return false;
  const Fallback = function (locales?: string | string[], options?: Intl.NumberFormatOptions) {
    const safe = typeof locales === "string" ? acceptedLocale(locales) : locales;
    return new Native(safe, options);
  } as unknown as typeof Intl.NumberFormat;
  Object.defineProperties(Fallback, Object.getOwnPropertyDescriptors(Native));
  Intl.NumberFormat = Fallback;
  return true;
}

installIntlFallback();
