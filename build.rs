//! Rebuilds when a locale file changes: rust-i18n reads `locales/` at compile time but does not tell cargo,
//! so an edited translation would otherwise not reach the binary until some Rust file changed too.

fn main() {
    println!("cargo:rerun-if-changed=locales");
}
