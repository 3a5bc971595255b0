import { ReactNode } from "react";

/** The panel that slides over the page from the right: a call's details, the rejections. */
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
  return (
    <aside className="drawer" data-testid={testId} aria-label={label}>
      <header className="drawer-head">
        <div>
          <div className="drawer-title">{title}</div>
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
