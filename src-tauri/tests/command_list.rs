//! One list of commands, kept in five places that must agree: `generate_handler!` in
//! `lib.rs`, `build.rs` (Tauri generates each command's permission from it), the capability
//! the window runs with, the UI's typed wrappers in `ui/src/ipc.ts`, and no `invoke` of a
//! command anywhere else in the UI. This test reads all five and fails on any difference.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every quoted snake_case word between `start` and the next `end`.
fn quoted_between(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = text.find(start).unwrap_or_else(|| panic!("no `{start}`")) + start.len();
    let body = &text[from..from + text[from..].find(end).expect("the list ends")];
    body.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

fn handler_commands() -> BTreeSet<String> {
    let lib = read(&root().join("src-tauri/src/lib.rs"));
    let from = lib.find("generate_handler![").expect("lib.rs has generate_handler!");
    let body = &lib[from..from + lib[from..].find(']').expect("the list ends")];
    body.split("commands::")
        .skip(1)
        .map(|s| s.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap().to_owned())
        .collect()
}

fn build_commands() -> BTreeSet<String> {
    quoted_between(&read(&root().join("src-tauri/build.rs")), "const COMMANDS: &[&str] = &[", "];")
}

/// Tauri's own permissions the window has, each for a reason: zooming the page with Ctrl+=,
/// Ctrl+- and Ctrl+0 (Tauri's zoom keys call this one).
const CORE_PERMISSIONS: &[&str] = &["core:webview:allow-set-webview-zoom"];

fn capability_commands() -> BTreeSet<String> {
    let text = read(&root().join("src-tauri/capabilities/default.json"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("the capability is JSON");
    json["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .filter(|p| !CORE_PERMISSIONS.contains(&p.as_str().unwrap_or_default()))
        .map(|p| {
            let p = p.as_str().expect("permissions by name");
            p.strip_prefix("allow-")
                .unwrap_or_else(|| panic!("{p}: only allow-<command> permissions"))
                .replace('-', "_")
        })
        .collect()
}

/// `invoke<…>("name"` and `invoke("name"` in a TypeScript file.
fn invoked(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for part in text.split("invoke").skip(1) {
        let rest = part.trim_start();
        let rest = match rest.strip_prefix('<') {
            // Skip the type argument, which may itself hold <…>.
            Some(generic) => {
                let mut depth = 1;
                let end = generic
                    .char_indices()
                    .find(|(_, c)| {
                        depth += match c {
                            '<' => 1,
                            '>' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map(|(i, _)| i + 1)
                    .unwrap_or(0);
                &generic[end..]
            }
            None => rest,
        };
        if let Some(call) = rest.strip_prefix("(\"") {
            names.insert(call.split('"').next().unwrap().to_owned());
        }
    }
    names
}

fn ui_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            ui_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "ts" || e == "tsx")
            && !path.to_string_lossy().contains(".test.")
        {
            out.push(path);
        }
    }
}

#[test]
fn the_five_lists_of_commands_agree() {
    let handler = handler_commands();
    assert!(handler.len() >= 19, "the handler list was not read: {handler:?}");
    assert_eq!(build_commands(), handler, "build.rs COMMANDS differs from generate_handler! in lib.rs");
    assert_eq!(capability_commands(), handler, "capabilities/default.json differs from generate_handler! in lib.rs");
    assert_eq!(
        invoked(&read(&root().join("ui/src/ipc.ts"))),
        handler,
        "ui/src/ipc.ts wraps other commands than lib.rs handles"
    );
}

#[test]
fn the_ui_calls_commands_only_through_ipc_ts() {
    let mut files = Vec::new();
    ui_files(&root().join("ui/src"), &mut files);
    assert!(files.len() > 10, "the UI's files were not found");
    for file in files.iter().filter(|f| !f.ends_with("ipc.ts")) {
        let text = read(file);
        assert!(
            !text.contains("@tauri-apps/api/core") && invoked(&text).is_empty(),
            "{} calls a command directly: go through the typed wrappers in ui/src/ipc.ts",
            file.display()
        );
    }
}

#[test]
fn the_reader_finds_what_it_looks_for() {
    assert_eq!(
        invoked(r#"a: () => invoke<Page<CallRow, CallCursor>>("calls_page", {}), b: () => invoke("get_status")"#),
        BTreeSet::from(["calls_page".to_owned(), "get_status".to_owned()])
    );
}
