//! The layer rules of ARCHITECTURE.md, checked on the source: only `http/` (and the composition root)
//! knows the web framework and HTTP's types, only `store/` (and the composition root) knows SQL and
//! Redis, and no module imports one of a layer above its own. (Domain code never reading the wall clock
//! is clippy's part, `clippy.toml`.)

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

/// Every source file under src/, as (path relative to src/, text).
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            (relative, std::fs::read_to_string(&file).unwrap())
        })
        .collect()
}

fn violations(allowed: &[&str], crates: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (relative, source) in sources() {
        if allowed.iter().any(|prefix| relative.starts_with(prefix)) {
            continue;
        }
        for krate in crates {
            // A module of the file's own by that name (the register's and the SMS gateway's `http`
            // adapters) is not the crate.
            if mentions(&source, krate) && !source.contains(&format!("mod {krate};")) {
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
fn only_the_http_layer_knows_http_hyper_and_tower() {
    let found = violations(&["http/", "app.rs"], &["http", "hyper", "tower"]);
    assert!(found.is_empty(), "HTTP's types outside src/http: {found:#?}");
}

/// ARCHITECTURE.md's layers, from the top, by what they hold under src/.
const LAYERS: &[&[&str]] = &[
    &["main.rs", "cli/"],
    &["app.rs", "lib.rs"],
    &["http/"],
    &[
        "oidc/",
        "identity/",
        "federation/",
        "assurance/",
        "counter/",
        "audit/",
        "catalog/",
        "sms/",
        "keys/",
        "sandbox.rs",
    ],
    &["store/"],
    &[
        "config.rs",
        "config/",
        "clock.rs",
        "secret.rs",
        "crypto.rs",
        "paths.rs",
        "cidr.rs",
        "private_files.rs",
        "redis_url.rs",
        "spreadsheet.rs",
    ],
];

/// Where a layer below may name a type of a layer above, and why.
const ALLOWED_UPWARD: &[(&str, &str)] = &[
    // The store maps its rows to and from the domain types it persists.
    ("store/clients.rs", "oidc"),
    ("store/clients.rs", "keys"),
    ("store/catalog.rs", "catalog"),
];

fn layer_of_file(relative: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.iter().any(|held| relative.starts_with(held)))
}

fn layer_of_module(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|layer| layer.iter().any(|held| held.trim_end_matches('/').trim_end_matches(".rs") == module))
}

/// The top-level modules a source names as `crate::module`.
fn crate_modules(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines().filter(|line| !line.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

#[test]
fn no_module_imports_one_of_a_layer_above_its_own() {
    let mut found = Vec::new();
    for (relative, source) in sources() {
        let layer = layer_of_file(&relative).unwrap_or_else(|| panic!("src/{relative} is in no layer of LAYERS"));
        for module in crate_modules(&source) {
            let Some(above) = layer_of_module(&module) else { continue };
            if above < layer && !ALLOWED_UPWARD.contains(&(relative.as_str(), module.as_str())) {
                found.push(format!("src/{relative} (layer {layer}) uses crate::{module} (layer {above})"));
            }
        }
    }
    assert!(found.is_empty(), "imports against the layers: {found:#?}");
}

#[test]
fn the_layer_map_knows_every_module() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let unplaced: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod ").and_then(|rest| rest.strip_suffix(';')))
        .filter(|module| layer_of_module(module).is_none())
        .collect();
    assert!(unplaced.is_empty(), "modules missing from LAYERS: {unplaced:?}");
    assert_eq!(crate_modules("use crate::store::Database; let x = crate::http::paths();"), ["store", "http"]);
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
