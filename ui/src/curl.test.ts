import { describe, expect, it } from "vitest";
import { curlFor, pretty } from "./curl";

describe("copy as curl", () => {
  it("replays the raw body without the real key", () => {
    const body = '{"event":"call.started","data":{"note":"it\'s"}}';
    const cmd = curlFor("http://127.0.0.1:8787/hooks/calleague", body);
    expect(cmd).toContain("curl -i -X POST 'http://127.0.0.1:8787/hooks/calleague'");
    expect(cmd).toContain('"Authorization: Bearer $CALLEAGUE_API_KEY"');
    expect(cmd.split("\n")).toContain(body);
    expect(cmd.endsWith("\nJSON")).toBe(true);
  });

  it("picks a here-doc marker the body does not contain", () => {
    const cmd = curlFor("http://x", "JSON\n{}");
    expect(cmd.endsWith("\nJSON_")).toBe(true);
  });

  it("pretty-prints JSON and leaves other text alone", () => {
    expect(pretty('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(pretty("not json")).toBe("not json");
  });
});
