import { useCallback, useEffect, useState } from "react";
import { api, AppStatus, errorText } from "./ipc";
import { Onboarding } from "./Onboarding";
import { Timeline } from "./Timeline";

export function App() {
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    api.status().then(setStatus, (e) => setError(errorText(e)));
  }, []);

  useEffect(() => {
    refresh();
    // The engine resumes (keychain, demo) in the background at start.
    const timer = window.setInterval(refresh, 2000);
    return () => window.clearInterval(timer);
  }, [refresh]);

  if (error) return <div className="fatal">Could not reach the app's engine: {error}</div>;
  if (!status) return <div className="loading">Starting…</div>;
  if (!status.mode) return <Onboarding status={status} onDone={setStatus} />;
  return <Timeline status={status} onStatus={setStatus} />;
}
