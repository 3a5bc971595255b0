import type { KeyboardEvent, RefObject } from "react";

// Keyboard helpers shared by the frame and the pages.

/** True while a field has the keyboard: shortcuts step aside ("/" is part of a URL too). */
export function isField(element: Element | null): boolean {
  if (!element) return false;
  return (
    element instanceof HTMLInputElement ||
    element instanceof HTMLTextAreaElement ||
    element instanceof HTMLSelectElement ||
    (element as HTMLElement).isContentEditable
  );
}

// The keys of a small menu (a popover of buttons): ↓/↑ move between its controls, Home and
// End to the first and last, Escape closes it and gives the keyboard back to its button.

const CONTROLS = "button:not(:disabled), input:not(:disabled), select:not(:disabled), a[href]";

/** Escape closes a popover (menu or small form) and gives the keyboard back to its opener. */
export function closeOnEscape(e: KeyboardEvent<HTMLElement>, close: () => void, opener: RefObject<HTMLElement | null>): boolean {
  if (e.key !== "Escape") return false;
  e.preventDefault();
  e.stopPropagation();
  close();
  opener.current?.focus();
  return true;
}

export function onMenuKeys(e: KeyboardEvent<HTMLElement>, close: () => void, opener: RefObject<HTMLElement | null>) {
  if (closeOnEscape(e, close, opener)) return;
  // In a text field the arrows move the caret.
  if (isField(document.activeElement) && (document.activeElement as HTMLInputElement).type !== "radio") return;
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>(CONTROLS)];
  if (items.length === 0) return;
  const at = items.indexOf(document.activeElement as HTMLElement);
  const next: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
  if (!(e.key in next)) return;
  e.preventDefault();
  items[(next[e.key] + items.length) % items.length].focus();
}

/** Focuses a menu's first control once it is open. */
export function focusFirst(menu: HTMLElement | null) {
  menu?.querySelector<HTMLElement>(CONTROLS)?.focus();
}
