// The theme: the choice in Settings applies at once, and "as the desktop" follows the
// desktop's setting as it changes.
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { AppStatus } from "./ipc";
import { AppearanceSettings } from "./settings/AppearanceSettings";
import { mockCommands, statusWith } from "./testing";
import { resolveTheme, setThemeChoice } from "./theme";

/** A desktop whose dark setting the test turns on and off. */
function fakeDesktop(dark: boolean) {
  const listeners: (() => void)[] = [];
  const query = {
    get matches() {
      return dark;
    },
    addEventListener: (_: string, l: () => void) => listeners.push(l),
  };
  vi.stubGlobal("matchMedia", () => query);
  return (next: boolean) => {
    dark = next;
    listeners.forEach((l) => l());
  };
}

afterEach(() => {
  cleanup();
  clearMocks();
  vi.unstubAllGlobals();
});

describe("the theme", () => {
  it("resolves a choice against the desktop's setting", () => {
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("system", false)).toBe("light");
    expect(resolveTheme("light", true)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
  });

  it("follows the desktop as it changes when the choice is the desktop's, and not otherwise", () => {
    const desktop = fakeDesktop(false);
    setThemeChoice("system");
    expect(document.documentElement.dataset.theme).toBe("light");
    desktop(true);
    expect(document.documentElement.dataset.theme).toBe("dark");
    setThemeChoice("light");
    expect(document.documentElement.dataset.theme).toBe("light");
    desktop(false);
    desktop(true);
    expect(document.documentElement.dataset.theme).toBe("light");
  });

  it("applies a choice made in Settings at once, and keeps it with the engine", async () => {
    fakeDesktop(false);
    setThemeChoice("system");
    const calls = mockCommands(({ cmd, args }) => (cmd === "set_theme" ? { ...statusWith(), theme: args.theme } : undefined));
    let status: AppStatus = { ...statusWith(), theme: "system" };
    const view = render(<AppearanceSettings status={status} onStatus={(s) => (status = s)} />);
    expect(document.documentElement.dataset.theme).toBe("light");
    expect(screen.getByTestId("theme-system").getAttribute("aria-checked")).toBe("true");
    fireEvent.click(screen.getByTestId("theme-dark"));
    // At once, before the engine answers; then kept.
    expect(document.documentElement.dataset.theme).toBe("dark");
    await waitFor(() => expect(status.theme).toBe("dark"));
    expect(calls.find((c) => c.cmd === "set_theme")?.args).toEqual({ theme: "dark" });
    view.rerender(<AppearanceSettings status={status} onStatus={(s) => (status = s)} />);
    expect(screen.getByTestId("theme-dark").getAttribute("aria-checked")).toBe("true");
  });
});
