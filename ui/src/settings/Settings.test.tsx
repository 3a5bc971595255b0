// The account, receiver and data sections against a mocked IPC: what each sends, and
// where each message appears.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { DataInfo, DimensionStatus, ReceiverSettings } from "../ipc";
import { mockCommands as mock, statusWith } from "../testing";
import { AccountSettings } from "./AccountSettings";
import { DataSettings, bytes } from "./DataSettings";
import { ReceiverSettingsForm } from "./ReceiverSettingsForm";
import { SourceSettingsForm } from "./SourceSettingsForm";
import { checkDraft, draftOf, restarts, settingsOf } from "./receiverDraft";

const status = statusWith({ mode: "account", keyMasked: "••••••…4d2a" });
const receiver: ReceiverSettings = { port: 8787, path: "/hooks/calleague", publicUrl: null, bodyLimitKb: 1024, tls: { kind: "off" }, keyGraceMinutes: 60 };
const data: DataInfo = {
  path: "/home/ops/.local/share/calleague-monitor/monitor.db",
  size: { fileBytes: 5 * 1024 * 1024, usedBytes: 4 * 1024 * 1024 },
  retention: { keepDays: null, maxGb: null },
  lastPrune: null,
};


afterEach(() => {
  cleanup();
  clearMocks();
});

describe("receiver settings", () => {
  it("checks each field before sending and says when Apply restarts the receiver", () => {
    const d = draftOf(receiver);
    expect(checkDraft(d)).toBeNull();
    expect(checkDraft({ ...d, port: "80" })?.field).toBe("port");
    expect(checkDraft({ ...d, port: "8x" })?.field).toBe("port");
    expect(checkDraft({ ...d, path: "hooks" })?.field).toBe("path");
    expect(checkDraft({ ...d, publicUrl: "http://t.example" })?.field).toBe("publicUrl");
    expect(checkDraft({ ...d, bodyLimitKb: "2" })?.field).toBe("bodyLimitKb");
    expect(checkDraft({ ...d, tls: "pem" })?.field).toBe("tlsCert");
    expect(checkDraft({ ...d, tls: "pem", cert: "/c.pem" })?.field).toBe("tlsKey");
    expect(checkDraft({ ...d, keyGraceMinutes: "99999" })?.field).toBe("keyGraceMinutes");
    expect(settingsOf({ ...d, publicUrl: " https://t.example ", tls: "pem", cert: "/c.pem", key: "/k.pem" })).toEqual({
      ...receiver, publicUrl: "https://t.example", tls: { kind: "pem", cert: "/c.pem", key: "/k.pem" },
    });
    expect(restarts(receiver, { ...d, publicUrl: "https://t.example" })).toBe(false);
    expect(restarts(receiver, { ...d, port: "9000" })).toBe(true);
  });

  it("shows the engine's refusal by its field, keeps what was typed, and reports a restart", async () => {
    let refuse = true;
    const calls = mock(({ cmd }) => {
      if (cmd === "receiver_settings") return refuse ? receiver : { ...receiver, port: 9001 };
      if (cmd === "apply_receiver_settings") {
        if (refuse) throw { code: "port_in_use", message: "127.0.0.1:9001 is already in use. The previous settings are kept.", field: "port" };
        return { ...status, port: 9001, receiverUrl: "http://127.0.0.1:9001/hooks/calleague" };
      }
    });
    render(<ReceiverSettingsForm status={status} onStatus={() => undefined} />);
    const port = (await screen.findByTestId("receiver-port")) as HTMLInputElement;
    fireEvent.change(port, { target: { value: "9001" } });
    expect(screen.getByTestId("receiver-restart-note")).toBeTruthy();
    fireEvent.click(screen.getByTestId("receiver-apply"));
    expect((await screen.findByTestId("receiver-port-error")).textContent).toContain("already in use");
    expect(port.value).toBe("9001");
    expect(port.getAttribute("aria-invalid")).toBe("true");
    refuse = false;
    fireEvent.click(screen.getByTestId("receiver-apply"));
    expect((await screen.findByTestId("receiver-applied")).textContent).toContain("receives on http://127.0.0.1:9001/hooks/calleague");
    const sent = calls.filter((c) => c.cmd === "apply_receiver_settings").map((c) => c.args.settings);
    expect(sent).toEqual([{ ...receiver, port: 9001 }, { ...receiver, port: 9001 }]);
  });

  it("takes a public address set elsewhere (the status bar), unless the field was edited here", async () => {
    mock(({ cmd }) => (cmd === "receiver_settings" ? receiver : undefined));
    const { rerender } = render(<ReceiverSettingsForm status={status} onStatus={() => undefined} />);
    const field = (await screen.findByTestId("receiver-public-url")) as HTMLInputElement;
    rerender(<ReceiverSettingsForm status={{ ...status, publicUrl: "https://a.example" }} onStatus={() => undefined} />);
    await waitFor(() => expect(field.value).toBe("https://a.example"));
    fireEvent.change(field, { target: { value: "https://typed.example" } });
    rerender(<ReceiverSettingsForm status={{ ...status, publicUrl: "https://b.example" }} onStatus={() => undefined} />);
    await new Promise((r) => setTimeout(r, 50));
    expect(field.value).toBe("https://typed.example");
  });
});

describe("data", () => {
  it("shows where the data is and its size, and sends the retention chosen", async () => {
    const calls = mock(({ cmd, args }) => {
      if (cmd === "data_info") return data;
      if (cmd === "apply_retention") return { ...data, retention: args.retention };
    });
    render(<DataSettings />);
    expect((await screen.findByTestId("data-path")).textContent).toBe(data.path);
    expect(screen.getByTestId("data-size").textContent).toBe("5.0 MB on disk (4.0 MB in use)");
    fireEvent.click(screen.getByTestId("retention-by-age"));
    fireEvent.change(screen.getByTestId("retention-days"), { target: { value: "0" } });
    fireEvent.click(screen.getByTestId("retention-apply"));
    expect((await screen.findByTestId("retention-days-error")).textContent).toContain("at least 1");
    expect(calls.some((c) => c.cmd === "apply_retention")).toBe(false);
    fireEvent.change(screen.getByTestId("retention-days"), { target: { value: "30" } });
    fireEvent.click(screen.getByTestId("retention-by-size"));
    fireEvent.click(screen.getByTestId("retention-apply"));
    await screen.findByTestId("retention-applied");
    expect(calls.find((c) => c.cmd === "apply_retention")?.args).toEqual({ retention: { keepDays: 30, maxGb: 5 } });
    expect(bytes(512)).toBe("512 B");
    expect(bytes(3 * 1024 ** 3)).toBe("3.0 GB");
  });

  it("chooses metadata fields as dimensions from the fields seen, with each count's progress", async () => {
    let chosen: DimensionStatus[] = [{ field: "tier", ready: true, countedCalls: 900, calls: 900 }];
    const seen = [
      { field: "tier", calls: 900 },
      { field: "campaign", calls: 600 },
    ];
    const calls = mock(({ cmd, args }) => {
      if (cmd === "data_info") return data;
      if (cmd === "dimensions") return { chosen, seen, most: 5 };
      if (cmd === "set_dimensions") {
        const fields = args.fields as string[];
        if (fields.includes("bad name")) throw { code: "setting_invalid", message: "A metadata field's name of 1 to 64 characters.", field: "fields.1" };
        chosen = fields.map((field) => chosen.find((d) => d.field === field) ?? { field, ready: false, countedCalls: 200, calls: 900 });
        return { chosen, seen, most: 5 };
      }
    });
    render(<DataSettings />);
    expect((await screen.findByTestId("dimension-tier")).textContent).toContain("counted");
    // Offered: what was seen and is not chosen yet.
    expect([...document.querySelectorAll("#dimension-fields option")].map((o) => (o as HTMLOptionElement).value)).toEqual(["campaign"]);
    fireEvent.change(screen.getByTestId("dimension-field"), { target: { value: "bad name" } });
    fireEvent.click(screen.getByTestId("dimension-add"));
    expect((await screen.findByTestId("dimension-error")).textContent).toContain("1 to 64 characters");
    fireEvent.change(screen.getByTestId("dimension-field"), { target: { value: "campaign" } });
    fireEvent.click(screen.getByTestId("dimension-add"));
    expect((await screen.findByTestId("dimension-campaign")).textContent).toContain("counting… 200 of 900 calls");
    expect(calls.filter((c) => c.cmd === "set_dimensions").at(-1)?.args).toEqual({ fields: ["tier", "campaign"] });
    expect((screen.getByTestId("dimension-field") as HTMLInputElement).value).toBe("");
    // The count goes on by itself: read again until it ends.
    chosen = chosen.map((d) => ({ ...d, ready: true, countedCalls: 900 }));
    await waitFor(() => expect(screen.getByTestId("dimension-campaign").textContent).toContain("counted"), { timeout: 3000 });
    fireEvent.click(screen.getByTestId("dimension-remove-tier"));
    await waitFor(() => expect(screen.queryByTestId("dimension-tier")).toBeNull());
    expect(calls.filter((c) => c.cmd === "set_dimensions").at(-1)?.args).toEqual({ fields: ["campaign"] });
  });

  it("shows the team's dimensions in team mode, chosen for the fleet, with nothing to change here", async () => {
    const calls = mock(({ cmd }) => {
      if (cmd === "data_info") return data;
      if (cmd === "dimensions") return { chosen: [{ field: "campaign", ready: true, countedCalls: 40, calls: 40 }], seen: [{ field: "campaign", calls: 40 }], most: 5, team: true };
    });
    render(<DataSettings />);
    expect((await screen.findByTestId("dimension-campaign")).textContent).toBe("campaignread from the team's calls");
    expect(screen.getByTestId("dimensions-team").textContent).toContain("calleague-receiver dimensions --database");
    expect(screen.queryByTestId("dimension-field")).toBeNull();
    expect(screen.queryByTestId("dimension-remove-campaign")).toBeNull();
    expect(calls.some((c) => c.cmd === "set_dimensions")).toBe(false);
  });

  it("exports with progress, and says so when cancelled", async () => {
    let finish: (v: unknown) => void = () => undefined;
    const calls = mock(({ cmd }) => {
      if (cmd === "data_info") return data;
      if (cmd === "export_data") {
        return new Promise((resolve, reject) => {
          finish = (v) => (v === "cancel" ? reject({ code: "cancelled", message: "the export was cancelled" }) : resolve(v));
        });
      }
    });
    render(<DataSettings />);
    await screen.findByTestId("data-path");
    fireEvent.change(screen.getByTestId("export-what"), { target: { value: "events" } });
    fireEvent.change(screen.getByTestId("export-format"), { target: { value: "csv" } });
    fireEvent.change(screen.getByTestId("export-from"), { target: { value: "2026-11-26T10:00:00" } });
    fireEvent.click(screen.getByTestId("export-start"));
    expect(await screen.findByTestId("export-progress")).toBeTruthy();
    const request = calls.find((c) => c.cmd === "export_data")?.args.request as { what: string; format: string; range: { from: string | null; to: null } };
    expect([request.what, request.format, request.range.to]).toEqual(["events", "csv", null]);
    expect(new Date(request.range.from ?? "").getTime()).toBe(new Date("2026-11-26T10:00:00").getTime());
    fireEvent.click(screen.getByTestId("export-cancel"));
    expect(calls.some((c) => c.cmd === "cancel_export")).toBe(true);
    finish("cancel");
    expect(await screen.findByTestId("export-cancelled")).toBeTruthy();
    fireEvent.click(screen.getByTestId("export-start"));
    await screen.findByTestId("export-progress");
    finish({ path: "/tmp/calleague-events.csv", rows: 1234 });
    expect((await screen.findByTestId("export-done")).textContent).toBe("Exported 1,234 rows to /tmp/calleague-events.csv");
  });
});

describe("account", () => {
  it("shows the key masked, replaces it through the engine's check, and asks before removing it", async () => {
    const calls = mock(({ cmd }) => {
      if (cmd === "connect_account") return { ...status, keyMasked: "••••••…9f9f" };
      if (cmd === "remove_key") return { ...status, mode: null, keyMasked: null };
    });
    let latest = status;
    render(<AccountSettings status={status} onStatus={(s) => (latest = s)} />);
    expect(screen.getByTestId("account-key").textContent).toBe("••••••…4d2a");
    fireEvent.click(screen.getByTestId("replace-key"));
    fireEvent.change(screen.getByTestId("new-api-key"), { target: { value: "sk_new_9f9f" } });
    fireEvent.click(screen.getByTestId("replace-key-save"));
    await waitFor(() => expect(latest.keyMasked).toBe("••••••…9f9f"));
    expect(calls.find((c) => c.cmd === "connect_account")?.args).toEqual({ key: "sk_new_9f9f", apiBaseUrl: "https://app.calleague.ai" });
    fireEvent.click(screen.getByTestId("remove-key"));
    expect(calls.some((c) => c.cmd === "remove_key")).toBe(false);
    fireEvent.click(screen.getByTestId("remove-key-yes"));
    await waitFor(() => expect(latest.mode).toBeNull());
  });
});

describe("source settings", () => {
  it("sends whole numbers, shows the engine's refusal under its field, and says when applied", async () => {
    let refuse = true;
    const calls = mock(({ cmd }) => {
      if (cmd !== "set_source_settings") return undefined;
      if (refuse) throw { code: "setting_invalid", message: "Read every 5 seconds to an hour, or 0 for never.", field: "pollEverySecs" };
      return statusWith({ mode: "account", sourceSettings: { pollEverySecs: 30, reconcileEveryMinutes: 0, requestsPerMinute: 20 } });
    });
    let shown = status;
    render(<SourceSettingsForm status={status} onStatus={(s) => (shown = s)} />);
    expect((screen.getByTestId("poll-every") as HTMLInputElement).value).toBe("15");

    fireEvent.change(screen.getByTestId("requests-per-minute"), { target: { value: "2.5" } });
    fireEvent.click(screen.getByTestId("sources-apply"));
    expect(screen.getByTestId("requests-per-minute-error").textContent).toBe("A whole number, please.");
    expect(calls).toEqual([]); // nothing sent while a field is not a number

    fireEvent.change(screen.getByTestId("requests-per-minute"), { target: { value: "20" } });
    fireEvent.change(screen.getByTestId("poll-every"), { target: { value: "2" } });
    fireEvent.click(screen.getByTestId("sources-apply"));
    await waitFor(() => expect(screen.getByTestId("poll-every-error").textContent).toBe("Read every 5 seconds to an hour, or 0 for never."));
    expect(calls[0]).toEqual({ cmd: "set_source_settings", args: { settings: { pollEverySecs: 2, reconcileEveryMinutes: 5, requestsPerMinute: 20 } } });

    refuse = false;
    fireEvent.change(screen.getByTestId("poll-every"), { target: { value: "30" } });
    fireEvent.change(screen.getByTestId("reconcile-every"), { target: { value: "0" } });
    fireEvent.click(screen.getByTestId("sources-apply"));
    await screen.findByTestId("sources-applied");
    expect(calls[1].args).toEqual({ settings: { pollEverySecs: 30, reconcileEveryMinutes: 0, requestsPerMinute: 20 } });
    expect(shown.sourceSettings.pollEverySecs).toBe(30);
  });
});
