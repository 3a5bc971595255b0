// Servers the tests start themselves (a simulator of their own, a receiver).

/** Resolves with the URL of the `listening on URL` line a server prints once it accepts
 * connections; rejects, with what it said on stderr, if it exits first. */
export function listeningUrl(child, what) {
  let errors = "";
  child.stderr?.on("data", (chunk) => (errors += chunk));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const found = out.match(/^listening on (\S+)$/m);
      if (found) resolve(found[1]);
    });
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before listening: ${errors}`)));
  });
}
