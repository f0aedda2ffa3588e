//! The walls of ARCHITECTURE.md, checked: the core crates stay pure (no web, no I/O).

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that must run the same natively, in wasm and on a server: no UI, no browser, no I/O.
const CORE: [&str; 5] = [
    "dala-expr",
    "dala-core",
    "dala-aggregate",
    "dala-xlsform",
    "dala-words",
];

/// Crates that bring a UI, the browser, or I/O of their own (files, network, processes,
/// async runtimes, databases). calamine reads from any `Read`, so it is allowed.
const FORBIDDEN: &[&str] = &[
    "leptos",
    "web-sys",
    "js-sys",
    "wasm-bindgen",
    "wasm-bindgen-futures",
    "gloo",
    "indexed_db_futures",
    "tokio",
    "async-std",
    "mio",
    "socket2",
    "hyper",
    "reqwest",
    "ureq",
    "tiny_http",
    "rusqlite",
    "sqlx",
    "postgres",
    "walkdir",
    "notify",
    "memmap2",
    "tempfile",
    "getrandom",
    "chrono-tz",
    "iana-time-zone",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

fn workspace_members() -> Vec<String> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .expect("cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
    meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

/// Every package a package's normal (non-dev, non-build) code depends on, on any target, with
/// features as cargo resolves them for that package (`cargo tree`, which, unlike the raw
/// metadata graph, leaves out optional dependencies nobody enables).
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    let output = cargo()
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "-f", "{p}", "--target",
            "all",
        ])
        .output()
        .expect("cargo tree");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_string)
        .collect()
}

#[test]
fn core_crates_depend_on_no_web_and_no_io_crate() {
    let members = workspace_members();
    let present: Vec<&str> = CORE
        .iter()
        .copied()
        .filter(|c| members.iter().any(|m| m == c))
        .collect();
    assert!(
        present.contains(&"dala-expr"),
        "the workspace has no dala-expr: this test checks nothing"
    );
    for krate in present {
        let deps = normal_dependencies(krate);
        let bad: Vec<&String> = deps
            .iter()
            .filter(|d| FORBIDDEN.contains(&d.as_str()))
            .collect();
        assert!(
            bad.is_empty(),
            "{krate} depends on {bad:?}; core crates do no I/O and know no browser"
        );
    }
}

/// Problems are data in these crates; the words are chosen at the edge (dala-words, the app),
/// so none of them may reach for the words.
#[test]
fn the_crates_that_find_problems_do_not_word_them() {
    for krate in ["dala-expr", "dala-core", "dala-aggregate"] {
        let deps = normal_dependencies(krate);
        assert!(
            !deps.iter().any(|d| d == "dala-words"),
            "{krate} depends on dala-words: it should report data, not sentences"
        );
    }
    assert!(
        normal_dependencies("dala-cli")
            .iter()
            .any(|d| d == "dala-words"),
        "the query sees dala-words where it is used, or the check above proves nothing"
    );
}

/// Which of our own crates each crate may build on (normal dependencies, transitively): the
/// layers of ARCHITECTURE.md. A new crate, or a new edge, is added here on purpose.
const LAYERS: &[(&str, &[&str])] = &[
    ("dala-expr", &[]),
    ("dala-core", &["dala-expr"]),
    ("dala-aggregate", &["dala-expr", "dala-core"]),
    ("dala-words", &["dala-expr", "dala-core", "dala-aggregate"]),
    ("dala-xlsform", &["dala-expr", "dala-core", "dala-words"]),
    (
        "dala-import",
        &["dala-expr", "dala-core", "dala-words", "dala-xlsform"],
    ),
    (
        "dala-web",
        &["dala-expr", "dala-core", "dala-aggregate", "dala-words"],
    ),
    (
        "dala-server",
        &[
            "dala-expr",
            "dala-core",
            "dala-aggregate",
            "dala-words",
            "dala-xlsform",
        ],
    ),
    (
        "dala-cli",
        &[
            "dala-expr",
            "dala-core",
            "dala-aggregate",
            "dala-words",
            "dala-xlsform",
            "dala-server",
        ],
    ),
];

/// The crates only the server names among its own dependencies: the HTTP layer, the async
/// runtime and the database. Others may reach them only through dala-server.
const SERVER_ONLY: &[&str] = &["axum", "tokio", "sqlx", "tower-http", "hyper"];

/// A package's direct normal dependencies, as its manifest names them.
fn direct_dependencies(package: &str) -> BTreeSet<String> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .expect("cargo metadata");
    let meta: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
    meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == package)
        .flat_map(|p| p["dependencies"].as_array().cloned().unwrap_or_default())
        .filter(|d| d["kind"].is_null())
        .filter_map(|d| d["name"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn only_the_server_knows_the_http_layer_the_runtime_and_the_database() {
    let members = workspace_members();
    for member in members.iter().filter(|m| m.as_str() != "dala-server") {
        let named: Vec<String> = direct_dependencies(member)
            .into_iter()
            .filter(|d| SERVER_ONLY.contains(&d.as_str()))
            .collect();
        assert!(
            named.is_empty() || !member.starts_with("dala-"),
            "{member} names {named:?}: only dala-server knows them"
        );
    }
    let server = direct_dependencies("dala-server");
    assert!(
        ["axum", "tokio", "sqlx"]
            .iter()
            .all(|d| server.contains(*d)),
        "the query sees the server's own dependencies, or the check above proves nothing: {server:?}"
    );
}

/// The crates that know the browser: only the app, its importer module and the wasm bench.
const BROWSER: &[&str] = &["leptos", "web-sys", "js-sys", "wasm-bindgen"];
const IN_THE_BROWSER: &[&str] = &["dala-web", "dala-import", "dala-expr-wasm-bench"];

#[test]
fn each_crate_builds_only_on_the_layers_below_it() {
    let members = workspace_members();
    for member in &members {
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| name == member) else {
            assert!(
                !member.starts_with("dala-")
                    || ["dala-e2e", "dala-expr-wasm-bench"].contains(&member.as_str()),
                "{member} is not in LAYERS: say which of our crates it may use"
            );
            continue;
        };
        let deps = normal_dependencies(member);
        let ours: Vec<&String> = deps
            .iter()
            .filter(|d| members.contains(d) && !allowed.contains(&d.as_str()))
            .collect();
        assert!(
            ours.is_empty(),
            "{member} depends on {ours:?}, above its layer"
        );
        if !IN_THE_BROWSER.contains(&member.as_str()) {
            let browser: Vec<&String> = deps
                .iter()
                .filter(|d| BROWSER.contains(&d.as_str()))
                .collect();
            assert!(browser.is_empty(), "{member} depends on {browser:?}");
        }
    }
}

#[test]
fn the_dependency_check_sees_a_forbidden_crate() {
    // The same query on the web app must find leptos, or the check above proves nothing.
    let deps = normal_dependencies("dala-web");
    assert!(
        deps.contains("leptos") && deps.contains("web-sys"),
        "{deps:?}"
    );
}

#[test]
fn core_sources_use_no_io_from_std() {
    // Time, files, network, processes and the environment come in through traits (Env, Host).
    let banned = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env::var",
        "SystemTime",
        "Instant::now",
        "std::io::stdin",
    ];
    let mut offenders = Vec::new();
    for krate in CORE {
        let src = root().join("crates").join(krate).join("src");
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for word in banned {
                        if text.contains(word) {
                            offenders.push(format!("{} uses {word}", path.display()));
                        }
                    }
                    for word in grouped_std_io(&text) {
                        offenders.push(format!("{} uses std::{{{word}, ..}}", path.display()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// `fs`, `net`, `process` and `env` named in a grouped import (`use std::{fs, io}`), which the
/// plain text search above does not see.
fn grouped_std_io(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("std::{") {
        let group = &rest[at + 6..];
        let end = group.find('}').unwrap_or(group.len());
        for word in ["fs", "net", "process", "env"] {
            if group[..end]
                .split(|c: char| c == ',' || c.is_whitespace())
                .any(|part| part == word || part.starts_with(&format!("{word}::")))
            {
                found.push(word);
            }
        }
        rest = &group[end..];
    }
    found
}

#[test]
fn a_grouped_import_of_std_io_is_seen() {
    assert_eq!(grouped_std_io("use std::{fs, io::Read};"), ["fs"]);
    assert_eq!(
        grouped_std_io("use std::{\n    collections::HashMap,\n    process::Command,\n};"),
        ["process"]
    );
    assert!(grouped_std_io("use std::{fmt, io};").is_empty());
}
