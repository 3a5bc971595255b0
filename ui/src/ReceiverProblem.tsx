import { useEffect, useState } from "react";
import { api, AppStatus, errorText } from "./ipc";

/** When the receiver could not start: says why, and for a taken port offers a free one. */
export function ReceiverProblem({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [suggested, setSuggested] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const problem = status.receiverError;
  useEffect(() => {
    if (problem?.code === "port_in_use") api.suggestPort().then(setSuggested, () => setSuggested(null));
  }, [problem?.code]);
  if (status.mode === "team") {
    if (!status.teamError) return null;
    return (
      <div className="problem" role="alert" data-testid="team-problem">
        <strong>The team's database is not watched.</strong> {status.teamError.message}
      </div>
    );
  }
  if (!problem) return null;
  return (
    <div className="problem" role="alert" data-testid="receiver-problem">
      <strong>The receiver is not running.</strong> {problem.code === "port_in_use" ? `Port ${status.port} is taken by another program.` : problem.message}
      {problem.code === "port_in_use" && suggested && (
        <button
          className="primary inline"
          data-testid="use-port"
          onClick={() => api.setPort(suggested).then(onStatus, (e) => setError(errorText(e)))}
        >
          Use port {suggested} instead
        </button>
      )}
      {error && <span className="sub"> {error}</span>}
    </div>
  );
}
