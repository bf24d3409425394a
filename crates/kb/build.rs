//! Compiles the knowledge base when the crate is built: parses the TOML in `data/` (the source
//! of truth), validates it, and writes the compact form `Kb::embedded` reads at run time.
//! Broken data fails the build with every problem named; the binary never parses or checks.

// The crate's own sources, so the build reads the data exactly as the library does. Inside
// them `crate::` is this script, which re-exports the library's items below.
#[allow(dead_code, unused_imports, unexpected_cfgs)]
#[path = "src/lib.rs"]
mod kb;

use kb::*;

fn main() {
    println!("cargo::rerun-if-changed=data");
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rustc-check-cfg=cfg(kb_image)");
    println!("cargo::rustc-cfg=kb_image");
    let problems = match Kb::load(&KbFiles::embedded()) {
        Ok(kb) => return write_image(&kb),
        Err(e) => e.problems(),
    };
    // One `error:` line a problem, the file given from the workspace root.
    println!(
        "cargo::error=the knowledge base in crates/kb/data has {} problem(s); fix each and build again:",
        problems.len()
    );
    for problem in problems {
        println!("cargo::error=crates/kb/data/{problem}");
    }
}

fn write_image(kb: &Kb) {
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let path = std::path::Path::new(&out).join("kb.postcard");
    if let Err(e) = std::fs::write(&path, kb.to_image()) {
        println!("cargo::error=cannot write {}: {e}", path.display());
    }
}
