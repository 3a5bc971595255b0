// Light or dark: the choice in Settings (system, light, dark; kept with the app's settings,
// in AppStatus), and the desktop's own when it is "system". The root element carries the
// theme in effect (`data-theme`), which picks the palette in styles.css; charts drawn on a
// canvas ask for it too and draw again when it changes.
import { useSyncExternalStore } from "react";
import type { Theme } from "./bindings";

export type Resolved = "light" | "dark";

const DARK_QUERY = "(prefers-color-scheme: dark)";
let choice: Theme = "system";
let listeners: (() => void)[] = [];
let watching: MediaQueryList | null = null;

function desktopIsDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches;
}

/** The theme in effect for a choice. */
export function resolveTheme(theme: Theme, desktopDark: boolean): Resolved {
  return theme === "system" ? (desktopDark ? "dark" : "light") : theme;
}

function apply() {
  const resolved = resolveTheme(choice, desktopIsDark());
  const root = document.documentElement;
  if (root.dataset.theme !== resolved) {
    root.dataset.theme = resolved;
    listeners.forEach((l) => l());
  }
}

/** Follows `theme` from now on: at once, and (for "system") as the desktop changes. */
export function setThemeChoice(theme: Theme) {
  choice = theme;
  if (!watching && typeof window.matchMedia === "function") {
    watching = window.matchMedia(DARK_QUERY);
    watching.addEventListener?.("change", apply);
  }
  apply();
}

function subscribe(listener: () => void) {
  listeners.push(listener);
  return () => {
    listeners = listeners.filter((l) => l !== listener);
  };
}

/** The theme in effect; a component using it renders again when it changes. */
export function useResolvedTheme(): Resolved {
  return useSyncExternalStore(subscribe, () => (document.documentElement.dataset.theme === "dark" ? "dark" : "light"));
}
