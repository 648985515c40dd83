//! The layout the architecture promises, checked on the source tree:
//! - no module import cycle in any crate of the workspace (a module that uses another's
//!   items depends on it; a cycle means neither can be read, moved or tested alone);
//! - every instruction of the four programs lives in `instructions/<instruction>.rs`, and
//!   every file there holds an instruction;
//! - every `#[account]` type lives in `state/<type in snake case>.rs`, one per file.
//!
//! The module graph is read from the source text: each crate root's `mod` declarations
//! give the modules; `use` trees and `crate::`/`super::`/`self::`/child-module paths give
//! the edges, each pointed at the module that defines the item named (through `pub use`
//! re-exports), so using an external crate's item re-exported by the root is no edge.
//! Test modules (`#[cfg(test)] mod tests`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// The workspace members listed in the root `Cargo.toml`.
fn members(root: &Path) -> Vec<PathBuf> {
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let start = manifest.find("members = [").expect("a members list");
    let end = start + manifest[start..].find(']').unwrap();
    manifest[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|member| root.join(member))
        .collect()
}

/// Source text without comments, string and char literals' contents, and test modules.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                // A raw string's hashes are left in place; its contents go like any other.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b => {
                out.push(b as char);
                i += 1;
            }
        }
    }
    match out.find("#[cfg(test)]\nmod tests") {
        Some(at) => out[..at].to_string(),
        None => out,
    }
}

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier-and-`::` path starting at `at` in `text` (`a::b::C`), as segments.
fn path_at(text: &str, at: usize) -> Vec<String> {
    let mut segments = Vec::new();
    let mut rest = &text[at..];
    loop {
        let len = rest.find(|c: char| !ident_char(c)).unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        segments.push(rest[..len].to_string());
        rest = &rest[len..];
        match rest.strip_prefix("::") {
            Some(next) if next.starts_with(ident_start) => rest = next,
            _ => break,
        }
    }
    segments
}

/// The paths of one `use` tree (`a::{b, c::{d, e as f}, *}`), each with its alias.
fn use_tree(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    use_tree(prefix, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        use_tree(prefix, &inner[start..], out);
        return;
    }
    if tree.is_empty() {
        return;
    }
    if let Some(brace) = tree.find("::{") {
        let mut next = prefix.to_vec();
        next.extend(tree[..brace].split("::").map(|s| s.trim().to_string()));
        use_tree(&next, &tree[brace + 2..], out);
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((path, alias)) => (path.trim(), alias.trim().to_string()),
        None => (tree, tree.rsplit("::").next().unwrap().trim().to_string()),
    };
    let mut full = prefix.to_vec();
    full.extend(path.split("::").map(|s| s.trim().to_string()));
    let alias = if full.last().map(String::as_str) == Some("self") && full.len() > 1 {
        full.pop();
        if alias == "self" {
            full.last().unwrap().clone()
        } else {
            alias
        }
    } else {
        alias
    };
    out.push((full, alias));
}

struct Module {
    code: String,
    /// Child modules declared with `mod name;` or `mod name {`.
    children: BTreeSet<String>,
    /// Names of the items defined here (functions, types, constants, macros' `ID`).
    defined: BTreeSet<String>,
    /// `pub use` re-exports: the name they give and the path they name.
    reexports: Vec<(String, Vec<String>)>,
    /// Every `use` path.
    uses: Vec<Vec<String>>,
}

type ModPath = Vec<String>;

/// `mod name;` declarations in `code` (not inline modules, whose items are this file's).
fn declared_files(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        if at > 0 && ident_char(code[..at].chars().next_back().unwrap()) {
            continue;
        }
        let name = path_at(code, at + 4);
        let Some(name) = name.first() else { continue };
        let after = code[at + 4 + name.len()..].trim_start();
        if after.starts_with(';') {
            out.push(name.clone());
        }
    }
    out
}

fn parse(file: &Path) -> Module {
    let code = code(&fs::read_to_string(file).unwrap());
    let mut defined = BTreeSet::new();
    let mut children = BTreeSet::new();
    for keyword in [
        "fn ",
        "struct ",
        "enum ",
        "const ",
        "static ",
        "type ",
        "trait ",
        "mod ",
        "macro_rules! ",
        "union ",
    ] {
        for (at, _) in code.match_indices(keyword) {
            if at > 0 && ident_char(code[..at].chars().next_back().unwrap()) {
                continue;
            }
            if let Some(name) = path_at(&code, at + keyword.len()).into_iter().next() {
                if keyword == "mod " {
                    children.insert(name.clone());
                }
                defined.insert(name);
            }
        }
    }
    if code.contains("declare_id!") {
        defined.extend(["ID".to_string(), "id".to_string()]);
    }
    let mut uses = Vec::new();
    let mut reexports = Vec::new();
    for (at, _) in code.match_indices("use ") {
        if at > 0 && ident_char(code[..at].chars().next_back().unwrap()) {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            continue;
        };
        let public = code[..at].trim_end().ends_with("pub")
            || code[..at].trim_end().ends_with(')') && code[..at].contains("pub(");
        let mut paths = Vec::new();
        use_tree(&[], &code[at + 4..at + end], &mut paths);
        for (path, alias) in paths {
            if public {
                reexports.push((alias, path.clone()));
            }
            uses.push(path);
        }
    }
    Module {
        code,
        children,
        defined,
        reexports,
        uses,
    }
}

/// The modules of the crate whose root file is `root`, by path (`[]` is the root).
fn crate_modules(root: &Path) -> BTreeMap<ModPath, Module> {
    let mut modules = BTreeMap::new();
    let mut todo = vec![(Vec::<String>::new(), root.to_path_buf())];
    while let Some((path, file)) = todo.pop() {
        let module = parse(&file);
        let dir = match file.file_stem().unwrap().to_str().unwrap() {
            "lib" | "main" | "mod" => file.parent().unwrap().to_path_buf(),
            stem => file.parent().unwrap().join(stem),
        };
        for child in declared_files(&module.code) {
            let candidates = [
                dir.join(format!("{child}.rs")),
                dir.join(&child).join("mod.rs"),
            ];
            if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
                let mut child_path = path.clone();
                child_path.push(child);
                todo.push((child_path, found));
            }
        }
        modules.insert(path, module);
    }
    modules
}

/// The module defining what `path` (absolute, from the crate root) names, following
/// re-exports; `None` when it is outside the crate.
fn resolve(modules: &BTreeMap<ModPath, Module>, path: &[String], depth: usize) -> Option<ModPath> {
    if depth > 8 {
        return None;
    }
    let mut module: ModPath = Vec::new();
    for (i, segment) in path.iter().enumerate() {
        let current = &modules[&module];
        let mut next = module.clone();
        next.push(segment.clone());
        if modules.contains_key(&next) {
            module = next;
            continue;
        }
        if segment == "*" || current.defined.contains(segment) {
            return Some(module);
        }
        // A re-export: follow it.
        let (_, target) = current
            .reexports
            .iter()
            .find(|(alias, _)| alias == segment)?;
        let mut absolute = absolute(modules, &module, target)?;
        absolute.extend(path[i + 1..].iter().cloned());
        return resolve(modules, &absolute, depth + 1);
    }
    Some(module)
}

/// `path` as written in module `from`, made absolute (`None`: an external crate's).
fn absolute(
    modules: &BTreeMap<ModPath, Module>,
    from: &ModPath,
    path: &[String],
) -> Option<Vec<String>> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some(path[1..].to_vec()),
        "self" => Some(from.iter().chain(&path[1..]).cloned().collect()),
        "super" => {
            let mut base = from.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
            Some(base.into_iter().chain(rest.iter().cloned()).collect())
        }
        name if modules[from].children.contains(name) => {
            Some(from.iter().chain(path).cloned().collect())
        }
        _ => None,
    }
}

/// Inline paths in code that start with `crate::`, `super::`, `self::` or a child module.
fn inline_paths(module: &Module) -> Vec<Vec<String>> {
    let code = &module.code;
    let mut out = Vec::new();
    let mut starts: Vec<String> = vec!["crate".into(), "super".into(), "self".into()];
    starts.extend(module.children.iter().cloned());
    for start in &starts {
        let needle = format!("{start}::");
        for (at, _) in code.match_indices(&needle) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| ident_char(c) || c == ':') {
                continue;
            }
            let path = path_at(code, at);
            // `crate::{...}`: the use tree names the paths.
            if path.len() > 1 {
                out.push(path);
            }
        }
    }
    out
}

/// The strongly connected components of more than one module: `v` and `w` are in one
/// when each reaches the other.
fn cycles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<BTreeSet<ModPath>> {
    let reach = |from: &ModPath| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(v) = stack.pop() {
            for w in edges.get(&v).into_iter().flatten() {
                if seen.insert(w.clone()) {
                    stack.push(w.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&ModPath, BTreeSet<ModPath>> =
        edges.keys().map(|v| (v, reach(v))).collect();
    let mut components: Vec<BTreeSet<ModPath>> = Vec::new();
    for (v, from_v) in &reached {
        if components.iter().any(|c| c.contains(*v)) {
            continue;
        }
        let mut component: BTreeSet<ModPath> = from_v
            .iter()
            .filter(|w| reached.get(w).is_some_and(|r| r.contains(*v)))
            .cloned()
            .collect();
        component.insert((*v).clone());
        if component.len() > 1 {
            components.push(component);
        }
    }
    components
}

fn name(path: &ModPath) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

/// Every crate root of the workspace: each member's `src/lib.rs` and `src/main.rs`.
fn crate_roots() -> Vec<PathBuf> {
    let root = workspace();
    members(&root)
        .into_iter()
        .flat_map(|m| [m.join("src/lib.rs"), m.join("src/main.rs")])
        .filter(|p| p.is_file())
        .collect()
}

#[test]
fn no_crate_has_a_module_import_cycle() {
    let mut found = Vec::new();
    let roots = crate_roots();
    assert!(roots.len() >= 10, "crate roots found: {roots:?}");
    for root in roots {
        let modules = crate_modules(&root);
        let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        let mut why: BTreeMap<(ModPath, ModPath), String> = BTreeMap::new();
        for (path, module) in &modules {
            let written = module
                .uses
                .iter()
                .chain(&inline_paths(module))
                .cloned()
                .collect::<Vec<_>>();
            for used in written {
                let Some(target) =
                    absolute(&modules, path, &used).and_then(|abs| resolve(&modules, &abs, 0))
                else {
                    continue;
                };
                if &target != path {
                    why.entry((path.clone(), target.clone()))
                        .or_insert_with(|| used.join("::"));
                    edges.entry(path.clone()).or_default().insert(target);
                }
            }
            edges.entry(path.clone()).or_default();
        }
        for component in cycles(&edges) {
            let inside: Vec<String> = why
                .iter()
                .filter(|((a, b), _)| component.contains(a) && component.contains(b))
                .map(|((a, b), used)| format!("{} -> {} ({used})", name(a), name(b)))
                .collect();
            found.push(format!(
                "{}: {}\n      {}",
                root.strip_prefix(workspace()).unwrap().display(),
                component.iter().map(name).collect::<Vec<_>>().join(", "),
                inside.join("\n      ")
            ));
        }
    }
    assert!(
        found.is_empty(),
        "module import cycles:\n  {}",
        found.join("\n  ")
    );
}

const PROGRAMS: [&str; 4] = ["registry", "escrow", "staking", "proof"];

/// `SomeType` as `some_type`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn rust_files(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".rs").map(str::to_string))
        .filter(|f| f != "mod")
        .collect()
}

#[test]
fn every_instruction_is_in_a_file_named_after_it() {
    for program in PROGRAMS {
        let src = workspace().join("programs").join(program).join("src");
        let lib = code(&fs::read_to_string(src.join("lib.rs")).unwrap());
        let body = &lib[lib.find("#[program]").expect("a #[program] module")..];
        let instructions: BTreeSet<String> = body
            .match_indices("pub fn ")
            .filter_map(|(at, _)| path_at(body, at + 7).into_iter().next())
            .collect();
        assert!(!instructions.is_empty(), "{program}: no instructions found");
        let files = rust_files(&src.join("instructions"));
        assert_eq!(
            files, instructions,
            "{program}: instructions/ files (left) and the program's instructions (right)"
        );
        for instruction in &instructions {
            let file = src.join("instructions").join(format!("{instruction}.rs"));
            let text = code(&fs::read_to_string(&file).unwrap());
            assert!(
                text.contains("#[derive(Accounts)]") && text.contains("pub fn handler"),
                "{}: holds no Accounts struct or handler",
                file.display()
            );
        }
    }
}

#[test]
fn every_account_type_is_alone_in_a_file_named_after_it() {
    for program in PROGRAMS {
        let state = workspace().join("programs").join(program).join("src/state");
        let mut accounts = 0;
        for file in rust_files(&state) {
            let text = code(&fs::read_to_string(state.join(format!("{file}.rs"))).unwrap());
            let types: Vec<String> = text
                .match_indices("#[account]")
                .filter_map(|(at, _)| {
                    let after = &text[at..];
                    let s = after.find("pub struct ")?;
                    path_at(after, s + 11).into_iter().next()
                })
                .collect();
            assert!(
                types.len() <= 1,
                "{program}/state/{file}.rs holds several account types: {types:?}"
            );
            if let Some(ty) = types.first() {
                assert_eq!(
                    snake(ty),
                    file,
                    "{program}: account {ty} is in state/{file}.rs"
                );
                accounts += 1;
            }
        }
        assert!(accounts > 0, "{program}: no account types found");
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle_and_accepts_a_tree() {
    let path = |s: &str| -> ModPath { s.split("::").map(String::from).collect() };
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("a", "c"), ("d", "a")] {
        edges.entry(path(a)).or_default().insert(path(b));
        edges.entry(path(b)).or_default();
    }
    assert!(cycles(&edges).is_empty());
    edges.get_mut(&path("c")).unwrap().insert(path("a"));
    let found = cycles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0],
        ["a", "b", "c"]
            .iter()
            .map(|s| path(s))
            .collect::<BTreeSet<_>>()
    );
}

#[test]
fn use_trees_and_re_exports_resolve_to_the_defining_module() {
    let mut out = Vec::new();
    use_tree(&[], "crate::{a::{B, c as d}, e::*, f::{self}}", &mut out);
    let got: Vec<(String, String)> = out.into_iter().map(|(p, a)| (p.join("::"), a)).collect();
    assert_eq!(
        got,
        vec![
            ("crate::a::B".into(), "B".into()),
            ("crate::a::c".into(), "d".into()),
            ("crate::e::*".into(), "*".into()),
            ("crate::f".into(), "f".into()),
        ]
    );
}
