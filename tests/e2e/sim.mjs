// The simulator the set-up script started (SIM_URL, SIM_KEY), over its REST and /sim API.
import assert from "node:assert/strict";

/** One request with the key; the JSON reply (null for an empty one). */
export async function sim(method, path, body) {
  const reply = await fetch(process.env.SIM_URL + path, {
    method,
    headers: { authorization: `Bearer ${process.env.SIM_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(reply.ok, `${method} ${path}: ${reply.status}`);
  const text = await reply.text();
  return text ? JSON.parse(text) : null;
}

/** Waits until no call is playing and no delivery is waiting (up to `seconds`). */
export async function settle(seconds = 60) {
  for (let i = 0; i < seconds * 10; i++) {
    if ((await sim("GET", "/sim/status")).idle) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the simulator did not settle");
}
