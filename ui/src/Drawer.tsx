import { ReactNode, useEffect, useRef } from "react";

/** The panel that slides over the page from the right: a call's details, the rejections.
 *  Closed (Escape, its button, the page changing), it gives the keyboard back to what had it
 *  before it opened, when that is still on the page and nothing else took the keyboard. */
export function Drawer({
  title,
  sub,
  label,
  testId,
  onClose,
  children,
}: {
  title: ReactNode;
  sub?: ReactNode;
  label: string;
  testId: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const box = useRef<HTMLElement>(null);
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const drawer = box.current;
    return () => {
      const now = document.activeElement;
      const lost = now === null || now === document.body || (drawer !== null && drawer.contains(now));
      if (lost && before && before !== document.body && before.isConnected) before.focus();
    };
  }, []);
  return (
    <aside className="drawer" data-testid={testId} aria-label={label} ref={box}>
      <header className="drawer-head">
        <div>
          <div className="drawer-title long-text block" title={typeof title === "string" ? title : undefined}>
            {title}
          </div>
          {sub && <div className="sub">{sub}</div>}
        </div>
        <button className="close" onClick={onClose} aria-label="Close (Esc)">
          ✕
        </button>
      </header>
      {children}
    </aside>
  );
}
