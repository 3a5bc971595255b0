// Settings → Appearance: light, dark, or the desktop's (the default). Applies at once, to the
// window's title bar too; kept with the app's settings.
import { api, AppStatus } from "../ipc";
import type { Theme } from "../bindings";
import { useAction } from "../useAction";
import { ErrorLine } from "../Alert";
import { setThemeChoice } from "../theme";

const CHOICES: { theme: Theme; label: string; hint: string }[] = [
  { theme: "system", label: "As the desktop", hint: "Follows the desktop's light or dark setting, also when it changes" },
  { theme: "light", label: "Light", hint: "Always light" },
  { theme: "dark", label: "Dark", hint: "Always dark" },
];

export function AppearanceSettings({ status, onStatus }: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const { busy, error, run } = useAction<"theme">();
  const choose = (theme: Theme) => {
    setThemeChoice(theme); // at once, before the engine has kept it
    run("theme", async () => onStatus(await api.setTheme(theme)));
  };
  return (
    <section className="settings-section" aria-labelledby="appearance-title" data-testid="appearance-settings">
      <h2 id="appearance-title">Appearance</h2>
      <div className="segmented" role="radiogroup" aria-labelledby="appearance-title">
        {CHOICES.map((c) => (
          <button
            key={c.theme}
            type="button"
            role="radio"
            aria-checked={status.theme === c.theme}
            className={status.theme === c.theme ? "on" : ""}
            title={c.hint}
            disabled={busy !== null}
            data-testid={`theme-${c.theme}`}
            onClick={() => choose(c.theme)}
          >
            {c.label}
          </button>
        ))}
      </div>
      <ErrorLine error={error} />
    </section>
  );
}
