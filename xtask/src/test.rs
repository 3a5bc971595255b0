//! `cargo xtask test`: formatting, lints, and every test.

use crate::tally::Tally;
use crate::{cargo, packages, step};

pub fn run(_args: &[String]) -> Result<(), String> {
    packages::ensure(packages::BUILD)?;
    packages::ensure(packages::TEST)?;
    ensure_components()?;
    // The app embeds ui/dist, so the front end is built before anything compiles it.
    crate::ui::build()?;
    let mut tally = Tally::default();
    tally.run(
        "vitest (front end)",
        std::process::Command::new("npx").current_dir(crate::ui::dir()).args(["vitest", "run"]),
    )?;
    step("cargo fmt --check", cargo().args(["fmt", "--all", "--", "--check"]))?;
    step(
        "icons are rendered from icons/icon.svg",
        cargo().args(["run", "--quiet", "--locked", "-p", "calleague-icons", "--", "--check"]),
    )?;
    step("cargo clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))?;
    tally.run(
        "cargo test (Rust: unit, property and integration tests)",
        cargo().args(["test", "--workspace", "--locked"]),
    )?;
    crate::e2e::run(&mut tally)?;
    eprintln!("\n==> all checks and tests passed");
    // One plain closing line over every runner, for people and for CI.
    println!("{}", tally.closing_line());
    Ok(())
}

/// rustfmt and clippy come with rustup's default profile, but not with every install.
fn ensure_components() -> Result<(), String> {
    for (component, probe) in [("rustfmt", ["fmt", "--version"]), ("clippy", ["clippy", "--version"])] {
        let ok = cargo().args(probe).output().map(|o| o.status.success()).unwrap_or(false);
        if !ok {
            step(
                &format!("rustup component add {component}"),
                std::process::Command::new("rustup").args(["component", "add", component]),
            )?;
        }
    }
    Ok(())
}
