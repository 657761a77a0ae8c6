//! The strategy crate's modules form layers: each top-level module may use only the
//! modules listed before it in ARCHITECTURE.md ("Layers of the strategy crate"), so
//! the import graph has no cycle and the document cannot drift from the code.
//! Every `crate::<module>` path in the sources counts (comments excluded), tests
//! included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The layer list from ARCHITECTURE.md, bottom first.
fn layers() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("../../ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md is readable");
    let section = doc
        .split("## Layers of the strategy crate")
        .nth(1)
        .expect("ARCHITECTURE.md has a \"Layers of the strategy crate\" section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| {
            let (num, rest) = l.split_once(". `")?;
            num.trim().parse::<u32>().ok()?;
            Some(rest.split('`').next()?.to_string())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// module → modules it uses, with one place each use happens.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a name");
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for part in code.split("crate::").skip(1) {
                let used: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !used.is_empty() && used != module {
                    g.entry(module.clone())
                        .or_default()
                        .entry(used)
                        .or_insert_with(|| format!("{}:{}", rel.display(), n + 1));
                }
            }
        }
    }
    g
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let layers = layers();
    assert!(layers.len() >= 10, "the layer list is there: {layers:?}");
    let rank = |m: &str| layers.iter().position(|l| l == m);
    let g = graph();
    let mut problems = Vec::new();
    for (module, uses) in &g {
        let Some(mine) = rank(module) else {
            problems.push(format!(
                "module `{module}` is not in ARCHITECTURE.md's layer list"
            ));
            continue;
        };
        for (used, at) in uses {
            match rank(used) {
                None => problems.push(format!("{at}: `{used}` is not in the layer list")),
                Some(theirs) if theirs >= mine => problems.push(format!(
                    "{at}: `{module}` (layer {}) uses `{used}` (layer {}), which is not below it",
                    mine + 1,
                    theirs + 1
                )),
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_import_graph_has_no_cycle() {
    let g = graph();
    // Kahn's algorithm: a cycle leaves modules that never reach in-degree 0.
    let nodes: BTreeSet<&str> = g
        .iter()
        .flat_map(|(m, uses)| std::iter::once(m.as_str()).chain(uses.keys().map(String::as_str)))
        .collect();
    let mut remaining: BTreeMap<&str, BTreeSet<&str>> = nodes
        .iter()
        .map(|n| {
            let deps = g
                .get(*n)
                .map(|u| u.keys().map(String::as_str).collect())
                .unwrap_or_default();
            (*n, deps)
        })
        .collect();
    loop {
        let leaves: Vec<&str> = remaining
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(n, _)| *n)
            .collect();
        if leaves.is_empty() {
            break;
        }
        for leaf in leaves {
            remaining.remove(leaf);
            for deps in remaining.values_mut() {
                deps.remove(leaf);
            }
        }
    }
    assert!(remaining.is_empty(), "modules on a cycle: {remaining:?}");
}

#[test]
fn no_source_file_is_over_500_lines() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 500).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
