//! Calleague Monitor: the desktop app's entry point.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The embedded receiver's allocator, as in `calleague-receiver` (why: its `main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    calleague_monitor_lib::run();
}
