import { ReactNode, useEffect, useLayoutEffect, useRef, useState } from "react";
import { focusFirst, onMenuKeys } from "./keys";

/** One thing the bar shows: higher `priority` stays on the line longer when space runs out. */
export type BarItem = { key: string; priority: number; node: ReactNode; end?: boolean };

/**
 * Which items fit on one line of `available` pixels, keeping the most important: items are
 * taken by priority (ties by their place), each while its width still fits. When not all fit,
 * room for the "more" button (with its gap) is kept too. Items never measured count as
 * fitting: they are shown once so that their width can be read.
 */
export function fitOnOneLine(
  items: { key: string; priority: number }[],
  widths: ReadonlyMap<string, number>,
  available: number,
  gap: number,
  moreWidth: number,
): Set<string> {
  const all = new Set(items.map((i) => i.key));
  // An item that shows nothing (width 0) is not laid out and takes no gap.
  const room = (key: string) => {
    const width = widths.get(key) ?? 0;
    return width > 0 ? width + gap : 0;
  };
  const total = items.reduce((sum, i) => sum + room(i.key), 0) - gap;
  if (available <= 0 || total <= available) return all;
  const byPriority = items.map((item, place) => ({ item, place })).sort((a, b) => b.item.priority - a.item.priority || a.place - b.place);
  const shown = new Set<string>();
  let used = moreWidth;
  for (const { item } of byPriority) {
    const width = room(item.key);
    if (used + width <= available) {
      shown.add(item.key);
      used += width;
    }
  }
  return shown;
}

/**
 * A bar that keeps to one line: what does not fit moves, least important first, behind a
 * "more" button whose popover lists it (Escape or a click elsewhere closes it). Widths are
 * read from the page as laid out and remembered for items moved away.
 */
export function OneLineBar({ items, className, testId, gap = 16 }: { items: BarItem[]; className: string; testId: string; gap?: number }) {
  const bar = useRef<HTMLElement>(null);
  const more = useRef<HTMLButtonElement>(null);
  const widths = useRef(new Map<string, number>());
  const [shownKeys, setShownKeys] = useState<Set<string> | null>(null);
  const [barWidth, setBarWidth] = useState(0);
  const [open, setOpen] = useState(false);
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (open) focusFirst(list.current);
  }, [open]);

  useEffect(() => {
    const element = bar.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setBarWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // After every render: read the widths of what is on the line, then choose again (a state
  // change only when the choice differs, so this settles at once).
  useLayoutEffect(() => {
    const element = bar.current;
    if (!element) return;
    for (const node of element.querySelectorAll<HTMLElement>(":scope > [data-bar-item]")) {
      widths.current.set(node.dataset.barItem!, node.getBoundingClientRect().width);
    }
    const style = getComputedStyle(element);
    const available = element.clientWidth - (parseFloat(style.paddingLeft) || 0) - (parseFloat(style.paddingRight) || 0);
    const moreWidth = (more.current?.getBoundingClientRect().width || 70) + gap;
    const next = fitOnOneLine(items, widths.current, available, gap, moreWidth);
    if (!shownKeys || next.size !== shownKeys.size || [...next].some((k) => !shownKeys.has(k))) setShownKeys(next);
  });

  const hidden = shownKeys ? items.filter((i) => !shownKeys.has(i.key)) : [];
  useEffect(() => {
    if (hidden.length === 0) setOpen(false);
  }, [hidden.length]);
  useEffect(() => {
    if (!open) return;
    const close = (e: KeyboardEvent | MouseEvent) => {
      if (e instanceof KeyboardEvent && e.key !== "Escape") return;
      if (e instanceof MouseEvent && bar.current?.querySelector(".bar-more")?.contains(e.target as Node)) return;
      setOpen(false);
      if (e instanceof KeyboardEvent) more.current?.focus();
    };
    document.addEventListener("keydown", close);
    document.addEventListener("mousedown", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("mousedown", close);
    };
  }, [open]);

  const visible = items.filter((i) => !shownKeys || shownKeys.has(i.key));
  const firstEnd = visible.findIndex((i) => i.end);
  return (
    <footer ref={bar} className={className} data-testid={testId} data-bar-width={barWidth} data-hidden-items={hidden.map((i) => i.key).join(" ")}>
      {visible.map((item, index) => (
        <span key={item.key} className={`bar-item${index === firstEnd ? " push-end" : ""}`} data-bar-item={item.key}>
          {item.node}
        </span>
      ))}
      {hidden.length > 0 && (
        <span className="bar-more">
          <button ref={more} className="count" aria-expanded={open} aria-haspopup="true" onClick={() => setOpen(!open)} data-testid={`${testId}-more`}>
            {hidden.length} more…
          </button>
          {open && (
            <div
              ref={list}
              className="popover up bar-more-list"
              role="group"
              aria-label="More of the status bar"
              onKeyDown={(e) => onMenuKeys(e, () => setOpen(false), more)}
              data-testid={`${testId}-more-list`}
            >
              {hidden.map((item) => (
                <span key={item.key} data-bar-hidden={item.key}>
                  {item.node}
                </span>
              ))}
            </div>
          )}
        </span>
      )}
    </footer>
  );
}
