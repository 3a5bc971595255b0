// The dimensions calls can be grouped by (the Overview's "Calls by", the Agents page's
// "by"): direction, language, and the metadata fields chosen in Settings → Data once
// their calls are counted through; and the timeline filter that opens one value's calls.
import { useEffect, useState } from "react";
import { api } from "../ipc";
import type { Drill } from "./range";

export const METADATA = "metadata.";

const BUILT_IN: [string, string][] = [
  ["direction", "Direction"],
  ["language", "Language"],
];

/** The dimensions to choose from, each with its label: the built-in ones, then the fields
 *  (`loaded` once the fields are known). */
export function useDimensionChoices(): { choices: [string, string][]; loaded: boolean } {
  const [fields, setFields] = useState<string[] | null>(null);
  useEffect(() => {
    api.dimensions().then(
      (view) => setFields((view?.chosen ?? []).filter((d) => d.ready).map((d) => d.field)),
      () => setFields([]),
    );
  }, []);
  const choices = [...BUILT_IN, ...(fields ?? []).map((f): [string, string] => [`${METADATA}${f}`, f])];
  return { choices, loaded: fields !== null };
}

/** The timeline filter for one value of a dimension. */
export function drillOf(dimension: string, value: string): Partial<Drill> {
  if (dimension === "direction") return { direction: value };
  if (dimension === "language") return { language: value };
  return { metadata: { field: dimension.slice(METADATA.length), value } };
}

/** A remembered choice, or `fallback`; a full or disabled storage only forgets. */
export function remembered(key: string, fallback: string): string {
  try {
    return window.localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}

export function remember(key: string, value: string) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // A full or disabled storage only forgets the choice.
  }
}
