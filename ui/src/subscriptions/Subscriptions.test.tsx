// The subscriptions page and its form against a mocked IPC: what they send, what they
// show for each answer, and where each message appears.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import type { Subscription, Subscriptions } from "../ipc";
import { mockCommands as mock, statusWith } from "../testing";
import { SubscriptionsPage } from "./SubscriptionsPage";
import { checkDraft, EMPTY, problemText } from "./subscriptionDraft";

const HERE = "https://tunnel.example/hooks/calleague";
const status = statusWith({ mode: "account", keyMasked: "sk_…4d2a", publicUrl: "https://tunnel.example" });


function hook(id: string, url: string, events: string[], pointsHere = false): Subscription {
  return { webhookId: id, url, events, createdAt: "2026-11-01T10:00:00.000Z", updatedAt: null, pointsHere };
}

function list(webhooks: Subscription[], problem: Subscriptions["problem"] = null): Subscriptions {
  return { webhooks, thisComputer: HERE, problem, receiving: null };
}


const page = () => render(<SubscriptionsPage status={status} onChanged={() => undefined} />);

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("the draft's own checks", () => {
  it("names the field each problem concerns", () => {
    expect(checkDraft({ ...EMPTY, url: " " })).toMatchObject({ field: "url", message: expect.stringContaining("Enter") });
    expect(checkDraft({ ...EMPTY, url: "tunnel.example" })).toMatchObject({ field: "url", message: expect.stringContaining("https://") });
    expect(checkDraft({ ...EMPTY, url: HERE, events: [] })).toMatchObject({ field: "events" });
    expect(checkDraft({ ...EMPTY, url: HERE, events: [], otherEvents: "call transferred" })).toMatchObject({ field: "otherEvents" });
    expect(checkDraft({ ...EMPTY, url: HERE, events: [], otherEvents: "call.transferred" })).toBeNull();
    expect(problemText({ kind: "missingEvents", webhookId: "wh_1", missing: ["call.failed"] })).toEqual({
      text: "Subscribed without call.failed: those events never reach this computer.",
      fix: "Add call.failed",
    });
  });
});

describe("subscriptions page", () => {
  it("lists the webhooks, marks the one pointing here, and fixes a missing event in one click", async () => {
    const theirs = hook("wh_2", "https://other.example/x", ["call.started"]);
    let webhooks = [hook("wh_1", HERE, ["call.started", "call.completed"], true), theirs];
    const calls = mock(({ cmd }) => {
      if (cmd === "subscriptions") return list(webhooks, { kind: "missingEvents", webhookId: "wh_1", missing: ["call.failed"] });
      if (cmd === "fix_subscriptions") {
        webhooks = [hook("wh_1", HERE, ["call.started", "call.completed", "call.failed"], true), theirs];
        return list(webhooks);
      }
    });
    page();
    const rows = await screen.findAllByTestId("subscription-row");
    expect(rows.map((r) => r.getAttribute("data-id"))).toEqual(["wh_1", "wh_2"]);
    expect(within(rows[0]).getByText("this computer")).toBeTruthy();
    expect(within(rows[1]).queryByText("this computer")).toBeNull();
    expect(screen.getByTestId("subscription-problem").textContent).toContain("Subscribed without call.failed");
    fireEvent.click(screen.getByTestId("fix-subscriptions"));
    await waitFor(() => expect(screen.queryByTestId("subscription-problem")).toBeNull());
    expect(calls.filter((c) => c.cmd === "fix_subscriptions")).toHaveLength(1);
    expect(screen.getAllByTestId("subscription-row")[0].textContent).toContain("call.failed");
  });

  it("shows the API's refusal next to the URL, keeps what was typed, and leaves the table as it was", async () => {
    const calls = mock(({ cmd }) => {
      if (cmd === "subscriptions") return list([], { kind: "noneHere", url: HERE, events: ["call.failed"] });
      if (cmd === "create_subscription") throw { code: "invalid_request", message: "Calleague refused the request: url host x.invalid does not resolve", field: "url" };
    });
    page();
    expect(await screen.findByTestId("no-subscriptions")).toBeTruthy();
    fireEvent.click(screen.getByTestId("new-subscription"));
    const url = screen.getByTestId("subscription-url") as HTMLInputElement;
    // Nothing is sent while the form's own check fails.
    fireEvent.click(screen.getByTestId("subscription-save"));
    expect((await screen.findByTestId("url-error")).textContent).toContain("Enter the address");
    fireEvent.change(url, { target: { value: "https://x.invalid/hooks" } });
    fireEvent.click(screen.getByTestId(`sub-event-transcript.ready`));
    fireEvent.click(screen.getByTestId("subscription-save"));
    expect((await screen.findByTestId("url-error")).textContent).toContain("does not resolve");
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(url.value).toBe("https://x.invalid/hooks");
    expect(screen.getByTestId("no-subscriptions")).toBeTruthy();
    const sent = calls.filter((c) => c.cmd === "create_subscription");
    expect(sent).toHaveLength(1);
    expect(sent[0].args.draft).toEqual({
      url: "https://x.invalid/hooks",
      events: ["call.failed", "call.completed", "call.started", "call.connected", "recording.ready"],
      confirmPrivate: false,
    });
  });

  it("asks for a confirmation of a private address, says why, and sends it once ticked", async () => {
    let created: Subscription[] = [];
    const calls = mock(({ cmd, args }) => {
      if (cmd === "subscriptions") return list(created);
      if (cmd === "create_subscription") {
        const draft = (args as { draft: { url: string; events: string[]; confirmPrivate: boolean } }).draft;
        if (!draft.confirmPrivate) {
          throw { code: "validation", field: "confirmPrivate",
            message: "192.168.1.20 is a private network's address: Calleague's servers cannot deliver there from the internet, and every delivery would carry your account's key to whatever answers there. Confirm to subscribe it anyway." };
        }
        created = [hook("wh_p", draft.url, draft.events)];
        return list(created);
      }
    });
    page();
    fireEvent.click(await screen.findByTestId("new-subscription"));
    fireEvent.change(screen.getByTestId("subscription-url"), { target: { value: "https://192.168.1.20/hooks" } });
    fireEvent.click(screen.getByTestId("subscription-save"));
    expect((await screen.findByTestId("confirm-private-error")).textContent).toContain("account's key");
    const box = screen.getByTestId("subscription-confirm-private") as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    fireEvent.click(screen.getByTestId("subscription-save"));
    await waitFor(() => expect(screen.queryByTestId("subscription-form")).toBeNull());
    const sent = calls.filter((c) => c.cmd === "create_subscription").map((c) => (c.args as { draft: { confirmPrivate: boolean } }).draft.confirmPrivate);
    expect(sent).toEqual([false, true]);
    expect(screen.getAllByTestId("subscription-row").map((r) => r.getAttribute("data-id"))).toEqual(["wh_p"]);
  });

  it("fills in this computer's address, and edits keeping the webhook's id", async () => {
    const calls = mock(({ cmd }) => {
      if (cmd === "subscriptions") return list([hook("wh_9", "https://old.example/h", ["call.failed"])]);
      if (cmd === "update_subscription") return list([hook("wh_9", HERE, ["call.failed"], true)]);
    });
    page();
    fireEvent.click(await screen.findByTestId("edit-subscription"));
    fireEvent.click(screen.getByTestId("this-computer"));
    expect((screen.getByTestId("subscription-url") as HTMLInputElement).value).toBe(HERE);
    fireEvent.click(screen.getByTestId("subscription-save"));
    await waitFor(() => expect(screen.queryByTestId("subscription-form")).toBeNull());
    expect(calls.find((c) => c.cmd === "update_subscription")?.args).toEqual({ webhookId: "wh_9", draft: { url: HERE, events: ["call.failed"], confirmPrivate: false } });
    expect(screen.getByText("this computer")).toBeTruthy();
  });

  it("asks before deleting", async () => {
    const calls = mock(({ cmd }) => {
      if (cmd === "subscriptions") return list([hook("wh_5", HERE, ["call.failed"], true)]);
      if (cmd === "delete_subscription") return list([]);
    });
    page();
    fireEvent.click(await screen.findByTestId("delete-subscription"));
    expect(calls.some((c) => c.cmd === "delete_subscription")).toBe(false);
    fireEvent.click(screen.getByTestId("confirm-delete-yes"));
    expect(await screen.findByTestId("no-subscriptions")).toBeTruthy();
    expect(calls.find((c) => c.cmd === "delete_subscription")?.args).toEqual({ webhookId: "wh_5" });
  });

  it("says the key was refused, or that Calleague cannot be reached, and retries", async () => {
    let answer: unknown = { code: "key_rejected", message: "Calleague rejected the API key (401): revoked" };
    mock(({ cmd }) => {
      if (cmd !== "subscriptions") return undefined;
      if (answer) throw answer;
      return list([hook("wh_1", HERE, ["call.failed"], true)]);
    });
    page();
    expect((await screen.findByTestId("subscriptions-error")).textContent).toContain("refused the API key");
    answer = { code: "unreachable", message: "cannot reach Calleague at https://app.calleague.ai: connection refused" };
    fireEvent.click(screen.getByTestId("subscriptions-retry"));
    await waitFor(() => expect(screen.getByTestId("subscriptions-error").textContent).toContain("cannot be reached"));
    answer = null;
    fireEvent.click(screen.getByTestId("subscriptions-retry"));
    expect(await screen.findByTestId("subscription-row")).toBeTruthy();
    expect(screen.queryByTestId("subscriptions-error")).toBeNull();
  });
});
