//! The commands quoted in the docs still print what the docs say.
//!
//! Every fenced block marked `console` in README.md and docs/TOUR.md is
//! a transcript: lines starting with `$ ` are commands, the lines under
//! each are its output (stdout and stderr together, as a terminal shows
//! them). A `...` line stands for any number of lines the doc leaves out;
//! every other line must be printed, in that order and with nothing in
//! between. The commands run with `sh -c` from the repository root with
//! this build's `toyemu` first on PATH. Host details that differ between
//! machines (the device and inode columns of maps lines) are masked on
//! both sides.
//!
//! A block whose first line starts with `$ ` must say what it is: `console`
//! (checked) or `text` (a session this test cannot replay, e.g. one that
//! needs gdb in a second terminal).

mod common;

use libtest_mimic::{Arguments, Failed, Trial};
use regex::Regex;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The documents whose transcripts are checked.
const DOCS: &[&str] = &["README.md", "docs/TOUR.md"];

/// One command of a transcript and the output the doc shows for it.
#[derive(Debug, Clone)]
struct Step {
    command: String,
    expected: Vec<String>,
}

/// A fenced block: where it starts, its info string and its lines.
struct Block {
    line: usize,
    info: String,
    lines: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, l) in text.lines().enumerate() {
        match (&mut open, l.trim_start().strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    line: i + 1,
                    info: info.trim().to_string(),
                    lines: Vec::new(),
                })
            }
            (Some(_), Some(_)) => out.extend(open.take()),
            (Some(b), None) => b.lines.push(l.to_string()),
            (None, None) => {}
        }
    }
    out
}

/// A transcript's commands; a line ending in `\` continues the command.
fn steps(lines: &[String]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut continued = false;
    for l in lines {
        if continued {
            let s = out.last_mut().expect("a command is open");
            s.command.push('\n');
            s.command.push_str(l);
            continued = l.ends_with('\\');
        } else if let Some(cmd) = l.strip_prefix("$ ") {
            out.push(Step {
                command: cmd.to_string(),
                expected: Vec::new(),
            });
            continued = cmd.ends_with('\\');
        } else if let Some(s) = out.last_mut() {
            s.expected.push(l.clone());
        }
    }
    out
}

/// The expected lines, `...` as a gap of any length, against the actual.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| a == e && matches(rest, more)),
    }
}

/// What differs between two machines but not between two runs: maps lines'
/// device and inode columns, and the padding after them (an inode with
/// fewer digits gets more spaces).
fn mask(line: &str) -> String {
    static DEV_INO: OnceLock<Regex> = OnceLock::new();
    let re = DEV_INO.get_or_init(|| {
        Regex::new(r"^([0-9a-f]{8}-[0-9a-f]{8} [-r][-w][-x][ps-] [0-9a-f]{8} )[0-9a-f]{2}:[0-9a-f]{2} +\d+ +")
            .expect("a valid pattern")
    });
    re.replace(line, "${1}DEV INODE ").into_owned()
}

fn run(step: &Step) -> Result<Vec<String>, String> {
    let bin = Path::new(env!("CARGO_BIN_EXE_toyemu"))
        .parent()
        .expect("the binary has a directory");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1; {}", step.command))
        .current_dir(common::root())
        .env("PATH", path)
        .output()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(mask)
        .collect())
}

fn check(doc: &str, line: usize, steps: Vec<Step>) -> Result<(), Failed> {
    for s in steps {
        let actual = run(&s)?;
        let expected: Vec<String> = s.expected.iter().map(|l| mask(l)).collect();
        if !matches(&expected, &actual) {
            return Err(format!(
                "{doc}:{line}: `{}` no longer prints what the doc shows.\n--- the doc ---\n{}\n--- the program ---\n{}",
                s.command,
                expected.join("\n"),
                actual.join("\n")
            )
            .into());
        }
    }
    Ok(())
}

/// The matcher itself: gaps, order, and what must not match.
fn matcher() -> Result<(), Failed> {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let actual = v(&["a", "b", "c", "d"]);
    let cases = [
        (v(&["a", "b", "c", "d"]), true),
        (v(&["a", "...", "d"]), true),
        (v(&["...", "c", "..."]), true),
        (v(&["a", "c"]), false),
        (v(&["a", "b"]), false),
        (v(&["...", "b", "a"]), false),
    ];
    for (e, want) in cases {
        if matches(&e, &actual) != want {
            return Err(format!("{e:?} against {actual:?} should give {want}").into());
        }
    }
    let maps = "08048000-08049000 r--p 00000000 fe:00 5308534  userland/hello";
    if mask(maps) != "08048000-08049000 r--p 00000000 DEV INODE userland/hello" {
        return Err(format!("mask: {}", mask(maps)).into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test("docs::matcher", matcher)];
    for doc in DOCS {
        let path = common::root().join(doc);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                let why = format!("{}: {e}", path.display());
                trials.push(Trial::test(doc.to_string(), move || Err(why.into())));
                continue;
            }
        };
        for b in blocks(&text) {
            let starts_with_command = b.lines.first().is_some_and(|l| l.starts_with("$ "));
            let name = format!("{doc}:{}", b.line);
            match b.info.as_str() {
                "console" => {
                    let s = steps(&b.lines);
                    let d = doc.to_string();
                    let line = b.line;
                    trials.push(Trial::test(name, move || check(&d, line, s)));
                }
                "text" => {}
                _ if starts_with_command => {
                    let why = format!(
                        "{name}: a transcript must be marked `console` (checked) or `text` (not replayable)"
                    );
                    trials.push(Trial::test(name, move || Err(why.into())));
                }
                _ => {}
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
