// The rejected list stays live while open: rejections reach the database a second after
// they arrive (counted in memory first), and a row's count grows.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { Rejections } from "./Rejections";

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("the rejected list", () => {
  it("shows rows written after it opened, and their counts as they grow", async () => {
    let reads = 0;
    mockIPC((cmd) => {
      if (cmd !== "security_log") return null;
      reads += 1;
      if (reads === 1) return [];
      const count = reads === 2 ? 3 : 25;
      return [{ id: 7, at: "2026-01-01T12:00:00.000Z", lastAt: "2026-01-01T12:00:01.000Z", count, peer: "10.0.0.7:5555", reason: "wrong token" }];
    });
    render(<Rejections kind="rejected" onClose={() => undefined} />);
    expect(await screen.findByText("Nothing rejected.")).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("rejected-row").dataset.count).toBe("3"), { timeout: 3000 });
    await waitFor(() => expect(screen.getByTestId("rejected-row").dataset.count).toBe("25"), { timeout: 3000 });
    expect(screen.getAllByTestId("rejected-row")).toHaveLength(1);
  });
});
