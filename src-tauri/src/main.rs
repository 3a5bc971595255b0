//! Calleague Monitor: the desktop app's entry point.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    calleague_monitor_lib::run();
}
