import { useState } from "react";
import { errorText } from "./ipc";

/**
 * One engine action at a time, as a form runs it: which action is busy, and the last
 * failure as text for the person. `run` resolves to whether the action succeeded.
 */
export function useAction<Name extends string>(initialError: string | null = null) {
  const [busy, setBusy] = useState<Name | null>(null);
  const [error, setError] = useState<string | null>(initialError);
  async function run(name: Name, action: () => Promise<void>): Promise<boolean> {
    setBusy(name);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(null);
    }
  }
  return { busy, error, setError, run };
}
