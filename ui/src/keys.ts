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
