//! The modules of every crate stack: no module reaches itself through the
//! modules it imports. Read from the source text: each file is a module
//! (`lib.rs`/`main.rs` the root, `a/mod.rs` and `a.rs` the module `a`), and
//! an edge is every `use` of a path inside the crate and every `crate::`,
//! `super::` or `self::` path in the code. A path names the deepest module
//! it passes through, so `use crate::VirtAddr` (a re-export at the root)
//! depends on the root, which imports everything: inside a crate, import
//! from the module that defines a thing. Unit-test modules at the bottom of
//! a file (after `#[cfg(test)]`) do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates of the workspace: their source directories.
const CRATES: [&str; 3] = ["emulator/src", "kernel/src", "src"];

type Module = Vec<String>;

/// Every module of the crate in `dir`, with its file.
fn modules(dir: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), Vec::<String>::new())];
    while let Some((d, prefix)) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                let mut m = prefix.clone();
                m.push(name);
                stack.push((p, m));
            } else if p.extension().is_some_and(|x| x == "rs") {
                let mut m = prefix.clone();
                match (prefix.is_empty(), name.as_str()) {
                    (true, "lib") | (_, "mod") => {}
                    // main.rs is a crate of its own beside lib.rs: keep it apart.
                    (true, "main") => m.push("<main>".into()),
                    _ => m.push(name),
                }
                out.insert(m, p);
            }
        }
    }
    out
}

/// The source without comments, string contents and trailing unit tests.
fn code_of(text: &str) -> String {
    let body = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(body.len());
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            // Skip the string (raw strings in this tree hold no quotes that matter).
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '"'.
            i += 3;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// The paths of every `use` item, with `{...}` groups expanded.
fn use_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        expand(&rest[..end].replace(char::is_whitespace, ""), &mut out);
        rest = &rest[end..];
    }
    out
}

/// `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(tree: &str, out: &mut Vec<String>) {
    let Some(open) = tree.find('{') else {
        out.push(tree.split(" as ").next().unwrap_or(tree).to_string());
        return;
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                let part = &inner[start..i];
                if !part.is_empty() {
                    expand(&format!("{prefix}{part}"), out);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
}

/// Paths written in the code itself: `crate::a::b`, `super::c`, `inspect::maps`.
fn inline_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = code[at..].find("::") {
        let sep = at + i;
        at = sep + 2;
        // Back up to the start of the path this `::` belongs to.
        let start = code[..sep]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |s| s + 1);
        if start != sep && code[..sep].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            let end = code[sep..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| sep + e);
            out.push(code[start..end].trim_end_matches(':').to_string());
            at = end;
        }
    }
    out
}

/// The module a path from `from` depends on, if it is inside the crate.
fn resolve(
    path: &str,
    from: &Module,
    is_mod_rs: bool,
    all: &BTreeMap<Module, PathBuf>,
) -> Option<Module> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    // The module `self` names: a mod.rs or root file is its module; so is a.rs.
    let mut base: Module = from.iter().filter(|s| *s != "<main>").cloned().collect();
    let _ = is_mod_rs;
    let mut rest = &segs[..];
    match rest.first() {
        Some(&"crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some(&"self") => rest = &rest[1..],
        Some(&"super") => {
            while rest.first() == Some(&"super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        Some(first) => {
            // A bare path names a child module, or an outside crate.
            let mut child = base.clone();
            child.push(first.to_string());
            if !all.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    let mut m = base;
    for s in rest {
        let mut next = m.clone();
        next.push(s.to_string());
        if all.contains_key(&next) {
            m = next;
        } else {
            break;
        }
    }
    Some(m)
}

/// The first cycle in `edges`, as a list of modules, if any.
fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        path: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        marks.insert(m.clone(), Mark::Open);
        path.push(m.clone());
        for n in edges.get(m).into_iter().flatten() {
            match marks.get(n).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let i = path.iter().position(|p| p == n).unwrap();
                    let mut cycle = path[i..].to_vec();
                    cycle.push(n.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(n, edges, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(m.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in edges.keys() {
        if marks.get(m).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(c) = visit(m, edges, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// Groups of modules that reach each other (Tarjan's strongly connected
/// components), largest first: each is one knot to untie.
fn knots(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct T<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        on: BTreeSet<Module>,
        out: Vec<Vec<Module>>,
    }
    fn go(t: &mut T, m: &Module) {
        let i = t.index.len();
        t.index.insert(m.clone(), i);
        t.low.insert(m.clone(), i);
        t.stack.push(m.clone());
        t.on.insert(m.clone());
        for n in t.edges.get(m).into_iter().flatten() {
            if !t.index.contains_key(n) {
                go(t, n);
                let l = t.low[n].min(t.low[m]);
                t.low.insert(m.clone(), l);
            } else if t.on.contains(n) {
                let l = t.index[n].min(t.low[m]);
                t.low.insert(m.clone(), l);
            }
        }
        if t.low[m] == t.index[m] {
            let mut group = Vec::new();
            loop {
                let n = t.stack.pop().unwrap();
                t.on.remove(&n);
                let last = &n == m;
                group.push(n);
                if last {
                    break;
                }
            }
            if group.len() > 1 {
                t.out.push(group);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for m in edges.keys() {
        if !t.index.contains_key(m) {
            go(&mut t, m);
        }
    }
    t.out.sort_by_key(|g| std::cmp::Reverse(g.len()));
    t.out
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// The import graph of the crate in `dir`.
fn graph(dir: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let all = modules(dir);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, file) in &all {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let is_mod_rs = file.file_name().is_some_and(|f| f == "mod.rs");
        let deps = edges.entry(m.clone()).or_default();
        for p in use_paths(&code).iter().chain(&inline_paths(&code)) {
            if let Some(to) = resolve(p, m, is_mod_rs, &all) {
                if std::env::var_os("TOYEMU_SHOW_IMPORTS").is_some() {
                    eprintln!("{} -> {} ({p})", name(m), name(&to));
                }
                if &to != m {
                    deps.insert(to);
                }
            }
        }
    }
    edges
}

#[test]
fn no_crate_has_an_import_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for c in CRATES {
        let edges = graph(&root.join(c));
        assert!(edges.len() > 5, "{c}: only {} modules found", edges.len());
        if let Some(cycle) = find_cycle(&edges) {
            let names: Vec<String> = cycle.iter().map(name).collect();
            found.push(format!("{c}: {}", names.join(" -> ")));
            for k in knots(&edges) {
                let names: Vec<String> = k.iter().map(name).collect();
                found.push(format!(
                    "  modules that reach each other: {}",
                    names.join(", ")
                ));
            }
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_parser_sees_groups_inline_paths_and_cycles() {
    let mut out = Vec::new();
    expand("crate::a::{b,c::{d,e}}", &mut out);
    assert_eq!(out, ["crate::a::b", "crate::a::c::d", "crate::a::c::e"]);
    let code = code_of("use x::y; // crate::not::this\nfn f() { crate::a::g(\"super::no\"); }");
    assert_eq!(inline_paths(&code), ["x::y", "crate::a::g"]);
    let m = |s: &str| -> Module { s.split("::").map(String::from).collect() };
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("c")]));
    edges.insert(m("c"), BTreeSet::from([m("a")]));
    assert_eq!(find_cycle(&edges).map(|c| c.len()), Some(4));
    edges.insert(m("c"), BTreeSet::new());
    assert_eq!(find_cycle(&edges), None);
}
