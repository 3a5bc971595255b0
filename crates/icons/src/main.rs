//! `calleague-icons [--check]`: every icon from `icons/icon.svg`, the one source.
//!
//! Writes the PNG sizes Tauri and the Linux package use, `icon.ico` (Windows) and
//! `icon.icns` (macOS) with PNG images inside, a monochrome tray icon and its "unseen
//! failures" variant, and the mark the UI's header shows. `--check` renders the same in
//! memory and fails, naming the files, when a committed one differs (the SVG changed and
//! `cargo xtask icons` was not run).

mod formats;
mod render;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One file to write: its path from the workspace root and its bytes.
struct Output {
    path: &'static str,
    bytes: Vec<u8>,
}

fn outputs(svg: &str) -> Result<Vec<Output>, String> {
    let app = render::Svg::parse(svg)?;
    let tray = render::Svg::parse(&render::tray_svg(svg, false)?)?;
    let tray_unseen = render::Svg::parse(&render::tray_svg(svg, true)?)?;
    let png = |svg: &render::Svg, size: u32| svg.png(size);
    let ico_sizes = [16, 24, 32, 48, 64, 128, 256];
    let icns_sizes = [16, 32, 64, 128, 256, 512, 1024];
    Ok(vec![
        Output { path: "icons/32x32.png", bytes: png(&app, 32)? },
        Output { path: "icons/128x128.png", bytes: png(&app, 128)? },
        Output { path: "icons/128x128@2x.png", bytes: png(&app, 256)? },
        Output { path: "icons/icon.png", bytes: png(&app, 512)? },
        Output {
            path: "icons/icon.ico",
            bytes: formats::ico(
                &ico_sizes.iter().map(|&s| Ok((s, png(&app, s)?))).collect::<Result<Vec<_>, String>>()?,
            ),
        },
        Output {
            path: "icons/icon.icns",
            bytes: formats::icns(
                &icns_sizes.iter().map(|&s| Ok((s, png(&app, s)?))).collect::<Result<Vec<_>, String>>()?,
            )?,
        },
        Output { path: "icons/tray.png", bytes: png(&tray, 64)? },
        Output { path: "icons/tray-unseen.png", bytes: png(&tray_unseen, 64)? },
        Output { path: "ui/public/logo.svg", bytes: svg.as_bytes().to_vec() },
    ])
}

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).map(Path::to_path_buf).unwrap_or(manifest)
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = workspace_root();
    let result = std::fs::read_to_string(root.join("icons/icon.svg"))
        .map_err(|e| format!("cannot read icons/icon.svg: {e}"))
        .and_then(|svg| outputs(&svg))
        .and_then(|outputs| if check { compare(&root, &outputs) } else { write(&root, &outputs) });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("calleague-icons: {message}");
            ExitCode::FAILURE
        }
    }
}

fn write(root: &Path, outputs: &[Output]) -> Result<(), String> {
    for output in outputs {
        let path = root.join(output.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &output.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{:>8} bytes  {}", output.bytes.len(), output.path);
    }
    Ok(())
}

fn compare(root: &Path, outputs: &[Output]) -> Result<(), String> {
    let stale: Vec<&str> = outputs
        .iter()
        .filter(|o| std::fs::read(root.join(o.path)).ok().as_deref() != Some(o.bytes.as_slice()))
        .map(|o| o.path)
        .collect();
    if stale.is_empty() {
        println!("{} icons match icons/icon.svg", outputs.len());
        Ok(())
    } else {
        Err(format!("not rendered from icons/icon.svg (run `cargo xtask icons`): {}", stale.join(", ")))
    }
}
