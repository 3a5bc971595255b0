// "Copy as curl": replays a stored delivery against a local receiver. The key is left as
// a variable; the app never puts the real one on the clipboard.

export function curlFor(url: string, body: string): string {
  let marker = "JSON";
  while (body.split("\n").includes(marker)) marker += "_";
  return [
    `curl -i -X POST '${url.replace(/'/g, "'\\''")}' \\`,
    `  -H "Authorization: Bearer $CALLEAGUE_API_KEY" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  --data-binary @- <<'${marker}'`,
    body,
    marker,
  ].join("\n");
}

export function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}
