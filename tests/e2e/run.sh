#!/usr/bin/env bash
# End-to-end tests of the real app window. Run inside a virtual display and a private
# D-Bus session, as `cargo xtask test` does:
#   xvfb-run -a -s "-screen 0 1920x1080x24" dbus-run-session -- bash tests/e2e/run.sh
# Needs CALLEAGUE_APP (the app binary), CALLEAGUE_SIM (the simulator binary) and
# SCREENSHOT_DIR. Starts a keyring, a notification server, tauri-driver and a simulator,
# runs the tests (or the benchmark named by E2E_BENCH), and stops what it started.
set -euo pipefail
cd "$(dirname "$0")"

: "${CALLEAGUE_APP:?set CALLEAGUE_APP to the app binary}"
: "${CALLEAGUE_SIM:?set CALLEAGUE_SIM to the calleague-sim binary}"
: "${SCREENSHOT_DIR:?set SCREENSHOT_DIR}"
mkdir -p "$SCREENSHOT_DIR"

work=$(mktemp -d)
# How long the helpers may live: the tests take minutes, the benchmark longer.
life=1800
[ -n "${E2E_BENCH:-}" ] && life=3600
# A fresh keyring every run: a stale one would open an invisible password prompt and hang.
export XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$work/home"
# A home of its own too: "start at login" writes ~/.config/autostart, whatever XDG says.
export HOME="$work/home"
export E2E_WORK="$work" NOTIFY_LOG="$work/notifications.log"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# The session must start nothing of the machine's own: an installed notification daemon
# started by activation would take the notes these tests read from dbusmock's log.
activatable=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.ListActivatableNames | grep -o 'string "[^"]*"' | grep -v '"org.freedesktop.DBus"' || true)
if [ -n "$activatable" ]; then
  echo "e2e: this D-Bus session can start the machine's own services by activation:" >&2
  echo "$activatable" >&2
  echo "e2e: run it with dbus-run-session --config-file=tests/e2e/session-bus.conf (cargo xtask test does)" >&2
  exit 1
fi

has_name() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q "boolean true"
}
wait_for() { # what, command...
  local what=$1; shift
  for _ in $(seq 1 100); do "$@" && return 0; sleep 0.1; done
  echo "e2e: $what did not come up" >&2; return 1
}

# gnome-keyring aborts now and then when a client leaves while its OpenSession is being
# answered (an upstream race: "gkd_secret_service_get_pkcs11_session: assertion 'client'
# failed", then g_variant_new aborts); a test app closed at the wrong moment does that. The
# daemon is started again, unlocked, at once (--replace also takes the name back from one
# D-Bus may have started meanwhile, which would be locked); keyring.log says so.
keyring() {
  while :; do
    echo -n "e2e-keyring-password" | gnome-keyring-daemon --foreground --replace --unlock --components=secrets
    echo "e2e: the keyring daemon exited (status $?); starting it again" >&2
    sleep 0.2
  done
}
timeout "$life" bash -c "$(declare -f keyring); keyring" >"$work/keyring.log" 2>&1 &
pids+=($!)
wait_for "the keyring (org.freedesktop.secrets)" has_name org.freedesktop.secrets

# The distribution's Python: python3-dbusmock is installed for it, not for other Pythons on PATH.
timeout "$life" /usr/bin/python3 -m dbusmock --template notification_daemon -l "$NOTIFY_LOG" >"$work/dbusmock.log" 2>&1 &
pids+=($!)
wait_for "the notification server" has_name org.freedesktop.Notifications

timeout "$life" tauri-driver --port 4444 >"$work/tauri-driver.log" 2>&1 &
pids+=($!)
wait_for "tauri-driver on port 4444" bash -c 'exec 3<>/dev/tcp/127.0.0.1/4444' 

export SIM_KEY="sk_e2e_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
timeout "$life" "$CALLEAGUE_SIM" serve --bind 127.0.0.1:0 --key "$SIM_KEY" --allow-loopback-http --time-scale 25 --dup-rate 0.2 --reorder-rate 0.2 >"$work/sim.out" 2>"$work/sim.log" &
pids+=($!)
wait_for "the simulator" grep -q "listening on" "$work/sim.out"
export SIM_URL=$(sed -n 's/^listening on //p' "$work/sim.out")

status=0
if [ -n "${E2E_BENCH:-}" ]; then
  # A benchmark script (cargo xtask bench ui) instead of the tests.
  timeout 3600 node "$E2E_BENCH" || status=$?
else
  timeout 1700 node --test --test-concurrency=1 ${E2E_ONLY:-./*.test.mjs} || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "e2e: logs in $work" >&2
  tail -n 20 "$work/tauri-driver.log" >&2 || true
fi
exit "$status"
