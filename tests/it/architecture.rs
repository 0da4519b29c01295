//! The library's layers look only down: each layer's module docs say, on a
//! line `//! Depends on: ...`, which layers it uses, and these tests hold
//! the code to it, and keep the graph of its files free of cycles.
//!
//! The code is read as text: every `crate::` path outside a `#[cfg(test)]`
//! module (tests may use any layer) is resolved to the file that holds it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The layers, lowest first. A layer may use only layers before it.
const LAYERS: [&str; 7] = [
    "model", "log", "replay", "command", "transfer", "chart", "cli",
];

/// Files at the top of `src/` that belong to no layer: the crate root and
/// the binary, which may use any layer.
const ROOTS: [&str; 2] = ["", "main"];

/// Module path (`log::store`, `""` for the crate root) → source text.
type Tree = BTreeMap<String, String>;

fn read_tree(dir: &Path, prefix: &[String], tree: &mut Tree) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if path.is_dir() {
            let mut inner = prefix.to_vec();
            inner.push(name);
            read_tree(&path, &inner, tree);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let mut module = prefix.to_vec();
            if stem != "mod" && !(prefix.is_empty() && stem == "lib") {
                module.push(stem.to_owned());
            }
            tree.insert(module.join("::"), fs::read_to_string(&path).unwrap());
        }
    }
}

fn src() -> Tree {
    let mut tree = Tree::new();
    read_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut tree,
    );
    tree
}

/// The text of a file without comments, string contents and its test
/// module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let mut out = String::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                '/' if !in_string && chars.peek() == Some(&'/') => break,
                _ if in_string => {}
                _ => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// Every path that `code` names below `crate::`, as its segments; a group
/// (`crate::{a::b, c::{d, e}}`) gives one path per item.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let (found, used) = path_at(rest);
        paths.extend(found);
        rest = &rest[used..];
    }
    paths
}

/// The paths of the use tree at the start of `text`, and how many bytes
/// of it they took.
fn path_at(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut segments = Vec::new();
    let mut at = 0;
    loop {
        let ident: String = text[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        at += ident.len();
        if !ident.is_empty() {
            segments.push(ident);
        }
        let group = if text[at..].starts_with("::{") {
            Some(3)
        } else if segments.is_empty() && text[at..].starts_with('{') {
            // `crate::{...}`
            Some(1)
        } else {
            None
        };
        if let Some(opening) = group {
            at += opening;
            let mut paths = Vec::new();
            loop {
                let skipped = text[at..].len() - text[at..].trim_start().len();
                at += skipped;
                if text[at..].starts_with('}') {
                    at += 1;
                    break;
                }
                let (inner, used) = path_at(&text[at..]);
                for path in inner {
                    paths.push(segments.iter().cloned().chain(path).collect());
                }
                at += used;
                // past `as name`, to the next item or the group's end
                while !text[at..].starts_with([',', '}']) {
                    at += text[at..].chars().next().map_or(1, char::len_utf8);
                }
                if text[at..].starts_with(',') {
                    at += 1;
                }
            }
            return (paths, at);
        }
        if text[at..].starts_with("::") {
            at += 2;
            continue;
        }
        return (vec![segments], at);
    }
}

/// The file of `tree` that holds the item at `path`: its longest prefix
/// that is a module.
fn module_of(tree: &Tree, path: &[String]) -> String {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|module| tree.contains_key(module))
        .unwrap_or_default()
}

/// What the crate root re-exports (`pub use model::event::Event;`): each
/// name, with the file that holds it.
fn reexports(tree: &Tree) -> BTreeMap<String, String> {
    let root = tree.get("").map(|text| code(text)).unwrap_or_default();
    let mut names = BTreeMap::new();
    let mut rest = root.as_str();
    while let Some(at) = rest.find("pub use ") {
        rest = &rest[at + "pub use ".len()..];
        let (paths, used) = path_at(rest);
        for path in paths {
            if let Some(name) = path.last() {
                names.insert(name.clone(), module_of(tree, &path));
            }
        }
        rest = &rest[used..];
    }
    names
}

/// The file that holds the item at `path`, a path below `crate::`: a
/// name the root re-exports is the file it comes from.
fn file_of(tree: &Tree, reexported: &BTreeMap<String, String>, path: &[String]) -> String {
    match module_of(tree, path).as_str() {
        "" => path
            .first()
            .and_then(|name| reexported.get(name))
            .cloned()
            .unwrap_or_default(),
        module => module.to_owned(),
    }
}

/// Each file's uses of other files, test modules left out.
fn graph(tree: &Tree) -> BTreeMap<String, BTreeSet<String>> {
    let reexported = reexports(tree);
    tree.iter()
        .map(|(module, text)| {
            let uses = crate_paths(&code(text))
                .iter()
                .map(|path| file_of(tree, &reexported, path))
                .filter(|used| {
                    used != module && !module.starts_with(&format!("{used}::")) && !used.is_empty()
                })
                .collect();
            (module.clone(), uses)
        })
        .collect()
}

fn layer(module: &str) -> &str {
    module.split("::").next().unwrap_or_default()
}

/// The layers a layer's docs say it depends on: the `crate::NAME` links of
/// its `//! Depends on:` paragraph, or none for "nothing".
fn declared(tree: &Tree, layer: &str) -> Result<BTreeSet<String>, String> {
    let text = tree.get(layer).ok_or(format!("no module {layer}"))?;
    let docs: Vec<&str> = text
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .map(|line| line.trim_start_matches("//!").trim())
        .collect();
    let start = docs
        .iter()
        .position(|line| line.starts_with("Depends on:"))
        .ok_or(format!("the docs of {layer} have no 'Depends on:' line"))?;
    let paragraph: String = docs[start..]
        .iter()
        .take_while(|line| !line.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(crate_paths(&paragraph)
        .into_iter()
        .filter_map(|path| path.first().cloned())
        .collect())
}

/// What is wrong with the layering of `tree`, one line each.
fn problems(tree: &Tree) -> Vec<String> {
    let mut problems = Vec::new();
    let graph = graph(tree);
    for module in tree.keys() {
        let top = layer(module);
        if !LAYERS.contains(&top) && !ROOTS.contains(&module.as_str()) {
            problems.push(format!(
                "{module} is in no layer: put it in one of {LAYERS:?}"
            ));
        }
    }
    for (rank, layer_name) in LAYERS.iter().enumerate() {
        match declared(tree, layer_name) {
            Err(e) => problems.push(e),
            Ok(declared) => {
                for below in &declared {
                    match LAYERS.iter().position(|l| l == below) {
                        Some(r) if r < rank => {}
                        _ => problems.push(format!(
                            "{layer_name} says it depends on {below}, which is not a layer below it"
                        )),
                    }
                }
                for (module, uses) in &graph {
                    if layer(module) != *layer_name {
                        continue;
                    }
                    for used in uses {
                        let to = layer(used);
                        if to != *layer_name && !declared.contains(to) {
                            problems.push(format!(
                                "{module} uses {used}, but {layer_name}'s docs do not say it depends on {to}"
                            ));
                        }
                    }
                }
            }
        }
    }
    problems.extend(cycles(&graph));
    problems
}

/// The cycles of `graph`, each as its files, found by depth-first search.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|n| n == node) {
            found.push(format!(
                "an import cycle: {} -> {node}",
                path[at..].join(" -> ")
            ));
            return;
        }
        if !done.insert(node.to_owned()) {
            return;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done, found);
        }
        path.pop();
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn every_layer_uses_only_the_layers_below_it_that_its_docs_name() {
    let tree = src();
    assert!(tree.len() > 20, "src/ holds {} files", tree.len());
    // what the check reads: the store's lines use the codec, replay uses
    // the model
    let graph = graph(&tree);
    assert!(
        graph["log::store::lines"].contains("log::codec"),
        "{:?}",
        graph["log::store::lines"]
    );
    assert!(
        graph["replay"].contains("model::event"),
        "{:?}",
        graph["replay"]
    );
    // and a name the crate root re-exports, by the file it is from
    let reexported = reexports(&tree);
    assert_eq!(reexported["Store"], "log::store");
    assert_eq!(reexported["StreamProblem"], "model::error");
    let problems = problems(&tree);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A tree of the layers' docs, as the real ones say them, and `files`.
fn small_tree(files: &[(&str, &str)]) -> Tree {
    let docs = [
        ("", ""),
        ("model", "//! Depends on: nothing.\n"),
        ("log", "//! Depends on: [`crate::model`].\n"),
        (
            "replay",
            "//! Depends on: [`crate::model`], [`crate::log`].\n",
        ),
        ("command", "//! Depends on: [`crate::replay`].\n"),
        (
            "transfer",
            "//! Depends on: [`crate::model`],\n//! [`crate::log`].\n",
        ),
        ("chart", "//! Depends on: [`crate::model`].\n"),
        ("cli", "//! Depends on: [`crate::chart`], [`crate::log`].\n"),
    ];
    docs.iter()
        .chain(files)
        .map(|(module, text)| ((*module).to_owned(), (*text).to_owned()))
        .collect()
}

#[test]
fn a_use_of_a_layer_above_or_of_one_not_named_is_found() {
    let fine = small_tree(&[
        ("model::pact", "use crate::model::error::Error;\n"),
        ("model::error", "pub enum Error {}\n"),
        (
            "log::store",
            "use crate::{log::codec::Record, model::{pact::PactId, error}};\n",
        ),
        (
            "log::codec",
            "// crate::replay is only named in a comment\nconst A: &str = \"crate::cli\";\n",
        ),
        (
            "transfer::import",
            "fn f() { crate::log::store::open(); }\n",
        ),
    ]);
    assert_eq!(problems(&fine), Vec::<String>::new());

    let upward = small_tree(&[
        ("model::pact", "use crate::log::store::Store;\n"),
        ("log::store", ""),
    ]);
    assert_eq!(
        problems(&upward),
        ["model::pact uses log::store, but model's docs do not say it depends on log"]
    );

    let unnamed = small_tree(&[(
        "chart::svg",
        "use crate::{model::{pact::Pact}, replay::Timeline};\n",
    )]);
    assert_eq!(
        problems(&unnamed),
        ["chart::svg uses replay, but chart's docs do not say it depends on replay"]
    );

    let in_tests = small_tree(&[(
        "model::pact",
        "pub struct P;\n#[cfg(test)]\nmod tests {\n    use crate::cli::run;\n}\n",
    )]);
    assert_eq!(problems(&in_tests), Vec::<String>::new());

    let mut claims = small_tree(&[]);
    claims.insert("log".into(), "//! Depends on: [`crate::replay`].\n".into());
    assert_eq!(
        problems(&claims),
        ["log says it depends on replay, which is not a layer below it"]
    );

    // through a name the crate root re-exports
    let mut reexported = small_tree(&[
        ("log::store", "pub struct Store;\n"),
        (
            "model::pact",
            "use crate::Store;\nfn f() { crate::Store::new(); }\n",
        ),
    ]);
    reexported.insert(
        "".into(),
        "pub mod log;\npub use log::store::{Store};\n".into(),
    );
    assert_eq!(
        problems(&reexported),
        ["model::pact uses log::store, but model's docs do not say it depends on log"]
    );

    let stray = small_tree(&[("util", "")]);
    assert_eq!(
        problems(&stray),
        [format!("util is in no layer: put it in one of {LAYERS:?}")]
    );
}

#[test]
fn an_import_cycle_between_files_of_one_layer_is_found() {
    let tree = small_tree(&[
        ("log::store", "use crate::log::journal::finish;\n"),
        ("log::journal", "use crate::log::store::Store;\n"),
    ]);
    assert_eq!(
        problems(&tree),
        ["an import cycle: log::journal -> log::store -> log::journal"]
    );
}
