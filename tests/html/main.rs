//! `toyemu run --html FILE`: the page for userland/leak_demo, opened in
//! headless Chromium, shows the run — every mapping as a band with its
//! range, the syscalls and faults (counted and as the trace prints them),
//! the exit, the leaks with their allocation sites, the page tables — and
//! answers the mouse: hover shows an event's line, the wheel zooms, a
//! page-table row marks its pages. No console error, no request but the
//! file itself. A screenshot of it is saved (`UPDATE_SCREENSHOT=1` also
//! writes docs/html-timeline.png, the README's picture, after review).
//!
//! The expected values come from the same run through the library (its
//! events and exit report), not from numbers written here.
//!
//! Trials:
//! - `page::self_contained`: the page names no outside resource;
//! - `page::unwritable_path`: a bad `--html` path stops the run first;
//! - `page::long_run_is_bounded`: a run of ~400,000 events
//!   (tests/scenarios/churn.c) makes a page of bounded size;
//! - `chromium::leak_demo`: the page in the browser, as above;
//! - `cdp::base64`: the protocol client's decoder.
//!
//! Chromium is `TOYEMU_CHROMIUM`, or `chromium` on PATH (Debian's
//! `chromium` package; `.ci/run` installs it). Without it the Chromium
//! trial fails and says so; `TOYEMU_SKIP_CHROMIUM=1` reports it as ignored.

mod cdp;
#[path = "../common/mod.rs"]
mod common;

use cdp::Browser;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use toyemu::compile::Opt;
use toyemu_kernel::{Event, EventKind};

/// The viewport: the page is laid out for 1,220 CSS pixels.
const WIDTH: u32 = 1240;
const HEIGHT: u32 = 900;
const SCREENSHOT: &str = "docs/html-timeline.png";

fn toyemu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("run toyemu")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir.join(name)
}

/// `toyemu run --html` on `program`: the page (in a file of this test
/// process's own), after checking the run printed what a plain run prints.
fn page_of(program: &str, args: &[&str], name: &str) -> Result<(PathBuf, String), Failed> {
    let path = scratch(&format!("{}-{name}", std::process::id()));
    let file = path.display().to_string();
    let mut with = vec!["run", "--html", &file, program];
    with.extend(args);
    let mut plain = vec!["run", program];
    plain.extend(args);
    let (o, p) = (toyemu(&with), toyemu(&plain));
    if (o.status.code(), &o.stdout) != (p.status.code(), &p.stdout) {
        return Err(format!(
            "--html changed the run: status {:?}, stderr {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        )
        .into());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
    Ok((path, text))
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Failed> {
    match ok {
        true => Ok(()),
        false => Err(what().into()),
    }
}

fn self_contained() -> Result<(), Failed> {
    let (path, page) = page_of("userland/leak_demo", &[], "self-contained.html")?;
    let _ = std::fs::remove_file(path);
    // The one URL is the SVG namespace the script creates elements in.
    let outside = page
        .replace("\"http://www.w3.org/2000/svg\"", "")
        .to_lowercase();
    for needle in [
        "http:", "https:", "<link", "src=", "href=", "@import", "url(", "//cdn",
    ] {
        check(!outside.contains(needle), || {
            format!("the page refers outside itself: {needle}")
        })?;
    }
    check(
        page.starts_with("<!doctype html>") && page.trim_end().ends_with("</html>"),
        || "not a whole HTML document".into(),
    )
}

fn unwritable_path() -> Result<(), Failed> {
    let o = toyemu(&[
        "run",
        "--html",
        "/nonexistent-dir/x.html",
        "userland/leak_demo",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    check(o.status.code() == Some(1), || {
        format!("status {:?}", o.status.code())
    })?;
    check(err.contains("cannot write /nonexistent-dir/x.html"), || {
        err.to_string()
    })?;
    check(o.stdout.is_empty(), || "the program ran anyway".into())
}

fn long_run_is_bounded() -> Result<(), Failed> {
    let exe = common::build("tests/scenarios/churn.c", Opt::O2);
    let (path, page) = page_of(&exe.display().to_string(), &["2000"], "churn.html")?;
    let _ = std::fs::remove_file(path);
    let events: u64 = page
        .split(" trace events")
        .next()
        .and_then(|s| s.rsplit('>').next())
        .map(|s| s.replace(',', ""))
        .and_then(|s| s.parse().ok())
        .ok_or("the page does not say how many events it summed")?;
    check(events > 300_000, || format!("only {events} events"))?;
    // 2,000 rounds of 64 faults and 64 frees each: far more events than
    // anything the page draws one by one.
    let ticks = page.matches("<line class=\"tick").count();
    check(ticks <= toyemu::html::marks::MAX_MARKS, || {
        format!("{ticks} fault ticks")
    })?;
    check(page.len() < 4 << 20, || {
        format!("{} bytes for {events} events", page.len())
    })
}

/// What the library's run of leak_demo says should be on the page.
struct Expected {
    events: Vec<Event>,
    report: toyemu::ExitReport,
}

fn expected() -> Expected {
    // The same argv[0] as the command's, so the stack is laid out alike.
    let c = toyemu::run_captured(
        Path::new("userland/leak_demo"),
        &[],
        &toyemu::Options::default(),
        b"",
    )
    .expect("leak_demo runs");
    Expected {
        events: c.report.events.clone(),
        report: c.report,
    }
}

/// The page's elements, read in the page.
const READ_DOM: &str = r#"(() => {
  const q = s => Array.from(document.querySelectorAll(s));
  return {
    bands: q('rect.vma').map(r => [r.dataset.kind, r.dataset.start, r.dataset.end, r.dataset.tip]),
    calls: q('line.call').map(l => [+l.dataset.calls, l.dataset.tip]),
    ticks: q('line.tick').map(l => [l.getAttribute('class'), +l.dataset.count, l.dataset.tip]),
    notes: q('line.note').map(l => [l.getAttribute('class'), l.dataset.tip]),
    leaks: q('table.leaks tr[data-addr]').map(r => [r.className, r.cells[1].textContent, r.cells[4].textContent]),
    tables: q('details.pt').length,
    ptes: q('tr.pte').length,
    chunks: q('#heap-exit rect.chunk').length,
    snapshots: q('.heapview').length,
    readout: document.getElementById('readout').textContent,
  };
})()"#;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every mapping the kernel made is a band with its kind and range; the
/// removed mmap's band ends with the trace's line for it.
fn check_bands(dom: &Value, x: &Expected) -> Result<(), Failed> {
    let bands: Vec<Vec<String>> = dom["bands"]
        .as_array()
        .into_iter()
        .flatten()
        .map(strings)
        .collect();
    for e in &x.events {
        match &e.kind {
            EventKind::VmaCreated {
                start, end, kind, ..
            } => {
                let want = [kind.to_string(), format!("{start}"), format!("{end}")];
                check(bands.iter().any(|b| b[..3] == want), || {
                    format!("no band {want:?} in {bands:?}")
                })?;
            }
            EventKind::VmaRemoved { start, .. } => {
                let line = e.to_string();
                check(
                    bands
                        .iter()
                        .any(|b| b[1] == format!("{start}") && b[3].contains(&line)),
                    || format!("no band ends with {line}"),
                )?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every syscall and fault is counted on the page, the memory calls and
/// the first fault as the trace prints them; the exit line is there.
fn check_events(dom: &Value, x: &Expected) -> Result<(), Failed> {
    let sum = |key: &str, i: usize| -> u64 {
        dom[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v[i].as_u64().unwrap_or(0))
            .sum()
    };
    let tips = |key: &str, i: usize| -> Vec<String> {
        dom[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v[i].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let (calls, ticks, notes) = (tips("calls", 1), tips("ticks", 2), tips("notes", 1));
    let syscalls = x
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Syscall { .. }))
        .count();
    check(sum("calls", 0) == syscalls as u64, || {
        format!(
            "{} syscalls on the page, {syscalls} in the run",
            sum("calls", 0)
        )
    })?;
    let s = &x.report.stats;
    check(sum("ticks", 1) == s.faults, || {
        format!(
            "{} faults on the page, {} in the run",
            sum("ticks", 1),
            s.faults
        )
    })?;
    let lane = |class: &str| -> u64 {
        dom["ticks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t[0].as_str().is_some_and(|c| c.contains(class)))
            .map(|t| t[1].as_u64().unwrap_or(0))
            .sum()
    };
    check(
        (lane("l-zero-fill"), lane("l-file-fill")) == (s.zero_fills, s.file_fills),
        || {
            format!(
                "ticks by lane {} zero, {} file; the run {} and {}",
                lane("l-zero-fill"),
                lane("l-file-fill"),
                s.zero_fills,
                s.file_fills
            )
        },
    )?;
    let mut first_fault = true;
    for e in &x.events {
        let line = e.to_string();
        match &e.kind {
            EventKind::Syscall { name, .. } if ["brk", "mmap2", "munmap"].contains(name) => {
                check(calls.iter().any(|t| t.starts_with(&line)), || {
                    format!("no syscall tick says {line}")
                })?;
            }
            EventKind::PageFault { .. } if std::mem::take(&mut first_fault) => {
                check(ticks.iter().any(|t| t.starts_with(&line)), || {
                    format!("no fault tick says {line}")
                })?;
            }
            EventKind::Exit { .. } => {
                check(notes.contains(&line), || {
                    format!("no exit line {line} in {notes:?}")
                })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The blocks in use at exit with their kind and site; the page tables.
fn check_heap_and_tables(dom: &Value, x: &Expected) -> Result<(), Failed> {
    let rows: Vec<Vec<String>> = dom["leaks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(strings)
        .collect();
    let a = &x.report.at_exit;
    check(
        rows.len() == a.leaks.blocks.len() && !rows.is_empty(),
        || format!("leak rows {rows:?}"),
    )?;
    for b in &a.leaks.blocks {
        let want = [
            toyemu::html::svg::leak_class(b.kind).to_string(),
            format!("{:#010x}", b.addr),
            x.report.symbols.describe_return(b.caller),
        ];
        check(rows.contains(&want.to_vec()), || {
            format!("no leak row {want:?} in {rows:?}")
        })?;
    }
    check(rows.iter().all(|r| r[2].contains("leak_demo.c:")), || {
        format!("sites {rows:?}")
    })?;
    let tables = dom["tables"].as_u64().unwrap_or(0);
    check(tables == a.page_tables.len() as u64, || {
        format!(
            "{tables} page tables on the page, {} at exit",
            a.page_tables.len()
        )
    })?;
    check(
        dom["chunks"].as_u64().unwrap_or(0) as usize >= a.heap.chunks.len(),
        || "chunks missing from the heap map".into(),
    )
}

/// The centre of the first element `selector` matches, scrolled into view.
fn centre(b: &mut Browser, selector: &str) -> Result<(f64, f64), Failed> {
    let js = format!(
        "(() => {{ const e = document.querySelector({sel}); if (!e) return null; e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
        sel = json!(selector)
    );
    let v = b.eval(&js)?;
    match (v[0].as_f64(), v[1].as_f64()) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(format!("nothing on the page matches {selector}").into()),
    }
}

/// Hover, zoom, reset, a page-table row and a heap snapshot, with the mouse.
fn check_interaction(b: &mut Browser) -> Result<(), Failed> {
    let (x, y) = centre(b, "rect.vma[data-kind='mmap']")?;
    b.mouse("mouseMoved", x, y, json!({}))?;
    let tip = b.eval("[document.getElementById('tip').hidden, document.getElementById('tip').textContent, document.getElementById('readout').textContent]")?;
    check(
        tip[0] == false
            && tip[1]
                .as_str()
                .is_some_and(|t| t.starts_with("mmap 0xb7fbf000-0xb8000000 rw-")),
        || format!("hovering the mmap band shows {tip}"),
    )?;
    check(
        tip[2].as_str().is_some_and(|t| t.contains("address 0xb7f")),
        || format!("the readout says {}", tip[2]),
    )?;
    let width = "document.querySelector('svg.view.xy').viewBox.baseVal.width";
    b.mouse("mouseWheel", x, y, json!({"deltaX": 0, "deltaY": -400}))?;
    let zoomed = b.eval(width)?.as_f64().unwrap_or(0.0);
    check(zoomed > 0.0 && zoomed < 999.0, || {
        format!("the wheel left the view {zoomed} wide")
    })?;
    let (rx, ry) = centre(b, "#reset")?;
    b.mouse(
        "mousePressed",
        rx,
        ry,
        json!({"button": "left", "clickCount": 1}),
    )?;
    b.mouse(
        "mouseReleased",
        rx,
        ry,
        json!({"button": "left", "clickCount": 1}),
    )?;
    check(b.eval(width)?.as_f64() == Some(1000.0), || {
        "reset did not reset the zoom".into()
    })?;
    b.eval("document.querySelectorAll('details').forEach(d => d.open = true)")?;
    let (px, py) = centre(b, "tr.pte")?;
    b.mouse(
        "mousePressed",
        px,
        py,
        json!({"button": "left", "clickCount": 1}),
    )?;
    b.mouse(
        "mouseReleased",
        px,
        py,
        json!({"button": "left", "clickCount": 1}),
    )?;
    check(
        b.eval("!!document.querySelector('svg.view.xy rect.highlight')")? == true,
        || "clicking a page-table row marked nothing".into(),
    )?;
    let (hx, hy) = centre(b, ".heaptabs button[data-snap='0']")?;
    b.mouse(
        "mousePressed",
        hx,
        hy,
        json!({"button": "left", "clickCount": 1}),
    )?;
    b.mouse(
        "mouseReleased",
        hx,
        hy,
        json!({"button": "left", "clickCount": 1}),
    )?;
    let shown = b.eval("Array.from(document.querySelectorAll('.heapview')).filter(v => !v.hidden).map(v => v.dataset.snap)")?;
    check(shown == json!(["0"]), || {
        format!("after the first heap button the views shown are {shown}")
    })
}

/// The top of the page (header, timeline, curves) as a PNG.
fn screenshot(b: &mut Browser) -> Result<Vec<u8>, Failed> {
    b.eval("window.scrollTo(0, 0)")?;
    let bottom = b.eval(
        "document.getElementById('s-curves').getBoundingClientRect().bottom + window.scrollY",
    )?;
    let png = b.screenshot((
        0.0,
        0.0,
        WIDTH as f64,
        bottom.as_f64().unwrap_or(1200.0).ceil(),
    ))?;
    check(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24,
        || "the screenshot is not a PNG".into(),
    )?;
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    check(w == WIDTH, || format!("the screenshot is {w} pixels wide"))?;
    Ok(png)
}

fn chromium_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("TOYEMU_CHROMIUM").map(PathBuf::from) {
        return match p.is_file() {
            true => Ok(p),
            false => Err(format!("TOYEMU_CHROMIUM={} is not a file", p.display())),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "chromium is not installed (apt-get install -y chromium; .ci/run does)".to_string()
        })
}

fn leak_demo_in_chromium(chromium: &Path) -> Result<(), Failed> {
    let x = expected();
    let (path, _) = page_of("userland/leak_demo", &[], "leak_demo.html")?;
    // A profile of its own: a second Chromium on one profile hands its
    // work to the first and exits.
    let profile = scratch(&format!("chromium-profile-{}", std::process::id()));
    let result = in_chromium(chromium, &profile, &path, &x);
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_file(path);
    result
}

fn in_chromium(chromium: &Path, profile: &Path, path: &Path, x: &Expected) -> Result<(), Failed> {
    let mut b = Browser::launch(chromium, profile, WIDTH, HEIGHT)?;
    let url = format!("file://{}", path.display());
    b.open(&url)?;
    let png = screenshot(&mut b)?;
    std::fs::write(scratch("leak_demo.png"), &png).map_err(|e| e.to_string())?;
    if std::env::var_os("UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        std::fs::write(common::root().join(SCREENSHOT), &png).map_err(|e| e.to_string())?;
    }
    let dom = b.eval(READ_DOM)?;
    check_bands(&dom, x)?;
    check_events(&dom, x)?;
    check_heap_and_tables(&dom, x)?;
    check_interaction(&mut b)?;
    let errors = b.errors();
    check(errors.is_empty(), || format!("the console: {errors:?}"))?;
    let requests = b.requests();
    check(requests == [url.clone()], || {
        format!("the page asked for {requests:?}")
    })
}

fn main() {
    let args = Arguments::from_args();
    let skip = std::env::var_os("TOYEMU_SKIP_CHROMIUM").is_some_and(|v| v == "1");
    let chromium = chromium_path();
    if let Err(why) = &chromium {
        eprintln!("html: {why}");
        if skip {
            eprintln!("html: TOYEMU_SKIP_CHROMIUM=1: the Chromium trial is reported as ignored");
        }
    }
    let trials = vec![
        Trial::test("page::self_contained", self_contained),
        Trial::test("page::unwritable_path", unwritable_path),
        Trial::test("page::long_run_is_bounded", long_run_is_bounded),
        Trial::test("cdp::base64", || cdp::check_base64().map_err(Failed::from)),
        Trial::test("chromium::leak_demo", move || match &chromium {
            Ok(c) => leak_demo_in_chromium(c),
            Err(why) => {
                Err(format!("{why}; TOYEMU_SKIP_CHROMIUM=1 reports this test as ignored").into())
            }
        })
        .with_ignored_flag(skip && chromium_path().is_err()),
    ];
    libtest_mimic::run(&args, trials).exit();
}
