import { api } from "./ipc";
import type { AppStatus } from "./bindings";
import { KeyMenu } from "./KeyMenu";

/** The pages the frame switches between. */
export const PAGES = [
  { id: "overview", title: "Overview" },
  { id: "agents", title: "Agents" },
  { id: "calls", title: "Calls" },
  { id: "subscriptions", title: "Subscriptions" },
  { id: "forwarding", title: "Forwarding" },
  { id: "alerts", title: "Alerts" },
  { id: "settings", title: "Settings" },
] as const;
export type PageId = (typeof PAGES)[number]["id"];

/** The app's name, the pages, and what it is connected to (demo, or the account's key). */
export function TopBar({
  status,
  page,
  onPage,
  onStatus,
}: {
  status: AppStatus;
  page: PageId;
  onPage: (page: PageId) => void;
  onStatus: (s: AppStatus) => void;
}) {
  return (
    <header className="topbar">
      <div className="brand small">
        <img className="logo" src="/logo.svg" alt="" />
        <span>Calleague Monitor</span>
      </div>
      <nav className="pages" aria-label="Pages">
        {/* A team's subscriptions belong to its receivers' account, and its forwarding to its receivers, not to this computer. */}
        {PAGES.filter((p) => !(status.mode === "team" && (p.id === "subscriptions" || p.id === "forwarding"))).map((p) => (
          <button key={p.id} data-testid={`page-${p.id}`} className={p.id === page ? "on" : ""} aria-current={p.id === page ? "page" : undefined} onClick={() => onPage(p.id)}>
            {p.title}
          </button>
        ))}
      </nav>
      {status.mode === "demo" && (
        <span className="demo-badge" data-testid="demo-badge">
          Demo — simulated calls
          <button className="link light" onClick={async () => onStatus(await api.leaveDemo())}>
            Leave demo
          </button>
        </span>
      )}
      {status.mode === "account" && status.keyMasked && <KeyMenu status={status} onStatus={onStatus} />}
      {status.mode === "team" && (
        <span className="team-badge" data-testid="team-badge">
          Team database (read-only)
          <button
            className="link light"
            onClick={async () => {
              if (window.confirm("Stop watching the team's database? Its address and password leave the keychain.")) onStatus(await api.leaveTeam());
            }}
          >
            Leave
          </button>
        </span>
      )}
    </header>
  );
}
