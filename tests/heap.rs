//! The heap inspector against the allocator's own walk: each program runs
//! with MALLOC_DUMP set, so the libc prints its heap chunk by chunk on
//! stderr at exit(), and toyemu's walk of the same heap just before
//! teardown must say the same of every chunk — address, size, state, the
//! requested size and caller of a chunk in use, the links of a free one —
//! and count the same mmap'd chunks.

mod common;

use common::*;
use std::path::Path;
use toyemu::compile::Opt;
use toyemu::heap::{Heap, State};
use toyemu::Options;

/// One line of malloc_dump's walk, as the inspector would have it.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    addr: u32,
    size: u32,
    state: State,
    /// (requested, caller) in use; (next, prev) free; nothing for the top.
    detail: Option<(u32, u32)>,
}

/// malloc_dump's text: policy, heap bounds, chunks, (mmap'd count, bytes).
fn parse_dump(text: &str) -> (String, u32, u32, Vec<Seen>, (u32, u32)) {
    let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).expect(s);
    let num = |s: &str| s.parse::<u32>().expect(s);
    let mut lines = text.lines().skip_while(|l| !l.starts_with("malloc_dump: "));
    let head: Vec<&str> = lines
        .next()
        .expect("a malloc_dump line")
        .split_whitespace()
        .collect();
    // malloc_dump: policy NAME, heap 0xS-0xE (N bytes)
    let policy = head[2].trim_end_matches(',').to_string();
    let (s, e) = head[4].split_once('-').unwrap();
    let mut chunks = Vec::new();
    let mut mmapped = None;
    for l in lines {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.as_slice() {
            ["chunk", a, "size", n, "used", "requested", r, "caller", c] => chunks.push(Seen {
                addr: hex(a),
                size: num(n),
                state: State::Used,
                detail: Some((num(r), hex(c))),
            }),
            ["chunk", a, "size", n, "free", "next", x, "prev", y] => chunks.push(Seen {
                addr: hex(a),
                size: num(n),
                state: State::Free,
                detail: Some((hex(x), hex(y))),
            }),
            ["chunk", a, "size", n, "top"] => chunks.push(Seen {
                addr: hex(a),
                size: num(n),
                state: State::Top,
                detail: None,
            }),
            ["mmapped:", n, "chunks,", b, "bytes"] => {
                mmapped = Some((num(n), num(b)));
                break;
            }
            _ => panic!("a line malloc_dump does not write: {l:?}"),
        }
    }
    (
        policy,
        hex(s),
        hex(e),
        chunks,
        mmapped.expect("the mmapped line"),
    )
}

/// The inspector's walk in the same terms.
fn inspected(h: &Heap) -> Vec<Seen> {
    h.chunks
        .iter()
        .map(|c| Seen {
            addr: c.addr,
            size: c.size,
            state: c.state,
            detail: match c.state {
                State::Used => Some((c.requested().unwrap(), c.caller)),
                State::Free => c.links,
                _ => None,
            },
        })
        .collect()
}

/// Run `prog` under `policy` and hold the two walks side by side; returns
/// the inspector's heap for further checks.
fn agree(prog: &Path, policy: &str) -> Heap {
    let opts = Options {
        env: vec!["MALLOC_DUMP=1".into(), format!("MALLOC_POLICY={policy}")],
        ..Options::default()
    };
    let c = run_with(prog, &[], &opts);
    assert_eq!(c.report.status.code(), 0);
    let err = String::from_utf8_lossy(&c.stderr);
    let (name, start, end, dump, (n_big, big_bytes)) = parse_dump(&err);
    let heap = c.report.at_exit.heap.clone();
    let what = format!("{} under {policy}", prog.display());
    assert_eq!(heap.problem, None, "{what}");
    assert!(
        heap.list_defects.is_empty(),
        "{what}: {:?}",
        heap.list_defects
    );
    assert_eq!(name, policy, "{what}");
    assert_eq!(heap.policy_name(), policy, "{what}");
    assert_eq!((heap.start, heap.end), (start, end), "{what}");
    let ours = inspected(&heap);
    for (i, (d, o)) in dump.iter().zip(&ours).enumerate() {
        assert_eq!(d, o, "{what}: chunk {i} differs");
    }
    assert_eq!(dump.len(), ours.len(), "{what}: chunk counts");
    let f = heap.fragmentation();
    assert_eq!(
        (f.mmapped_chunks, f.mmapped_bytes),
        (n_big, big_bytes as u64),
        "{what}"
    );
    // The report's JSON carries the same chunks.
    let json = toyemu::report::json(&c.report);
    let addrs: Vec<u64> = json["heap"]["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["addr"].as_u64().unwrap())
        .collect();
    assert_eq!(
        addrs,
        dump.iter().map(|d| d.addr as u64).collect::<Vec<_>>(),
        "{what}"
    );
    heap
}

const POLICIES: [&str; 4] = ["bins", "first", "best", "next"];

#[test]
fn leak_demo_chunk_by_chunk() {
    for policy in POLICIES {
        let heap = agree(&userland("leak_demo"), policy);
        assert_eq!(heap.fragmentation().used_chunks, 4);
    }
}

#[test]
fn frag_demo_chunk_by_chunk_under_each_policy() {
    let mut shapes = Vec::new();
    for policy in POLICIES {
        let heap = agree(&userland("frag_demo"), policy);
        shapes.push(inspected(&heap));
    }
    // Four policies, four different heaps.
    for i in 0..shapes.len() {
        for j in i + 1..shapes.len() {
            assert_ne!(
                shapes[i], shapes[j],
                "{} and {} left the same heap",
                POLICIES[i], POLICIES[j]
            );
        }
    }
}

#[test]
fn a_mixed_heap_with_big_blocks_chunk_by_chunk() {
    for opt in [Opt::O0, Opt::O2] {
        let prog = build("tests/scenarios/heap_mix.c", opt);
        for policy in POLICIES {
            let heap = agree(&prog, policy);
            let f = heap.fragmentation();
            assert_eq!(f.mmapped_chunks, 2, "{policy}");
            assert!(f.holes >= 5, "{policy}: {f:?}");
            // realloc(p, 5) of a 27-byte block, in place: requested 5.
            assert!(heap.in_use().any(|c| c.requested() == Some(5)), "{policy}");
            assert!(
                heap.mmapped.iter().any(|c| c.requested() == Some(150_000)),
                "{policy}"
            );
        }
    }
}

/// Without MALLOC_DUMP nothing is printed: the dump is asked for.
#[test]
fn the_dump_is_only_there_when_asked_for() {
    let c = run(&userland("leak_demo"), &[]);
    assert!(
        c.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&c.stderr)
    );
}
