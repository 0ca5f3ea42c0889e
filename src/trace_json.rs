//! `--trace-json FILE`: every kernel event as one JSON object per line.

use serde_json::{json, Value};
use std::io::Write;
use toyemu_emulator::TlbEvent;
use toyemu_kernel::fault::vma_hit;
use toyemu_kernel::frame::FrameUse;
use toyemu_kernel::signal::SigFields;
use toyemu_kernel::{Cause, Event, TraceSink};
use toyemu_kernel::{EventKind, Outcome, SignalAction};

/// One event as JSON: `seq`, `insns`, `type` and the event's own fields.
pub fn event_json(e: &Event) -> Value {
    let body = match &e.kind {
        EventKind::Syscall {
            nr,
            name,
            args,
            args_text,
            result,
        } => {
            let (ret, errno) = match result {
                Outcome::Value(v) | Outcome::Addr(v) => (json!(*v as i32), Value::Null),
                Outcome::Err(err) => (json!(-err.0), json!(err.name())),
                Outcome::Exit(_)
                | Outcome::ExitThread(_)
                | Outcome::Kill(_)
                | Outcome::Block(_) => (Value::Null, Value::Null),
            };
            json!({"type": "syscall", "nr": nr, "name": name, "args": args, "text": args_text, "ret": ret, "errno": errno})
        }
        EventKind::PageFault {
            addr,
            eip,
            code,
            result,
        } => {
            let (resolution, frame) = match result {
                Ok(m) => (m.to_string(), Some(m.frame.0)),
                Err(e) => (e.to_string(), None),
            };
            json!({
                "type": "page_fault", "addr": addr.0, "eip": eip.0, "error_code": code.bits(), "access": code.describe(),
                "vma": vma_hit(result).map(|k| k.to_string()), "resolution": resolution, "frame": frame,
            })
        }
        EventKind::VmaCreated {
            start,
            end,
            prot,
            kind,
        } => {
            json!({"type": "vma_created", "start": start.0, "end": end.0, "prot": prot.rwx(), "kind": kind.to_string()})
        }
        EventKind::VmaRemoved {
            start,
            end,
            kind,
            frames_freed,
        } => json!({
            "type": "vma_removed", "start": start.0, "end": end.0, "kind": kind.to_string(), "frames_freed": frames_freed,
        }),
        EventKind::VmaProtect { start, end, prot } => {
            json!({"type": "vma_protect", "start": start.0, "end": end.0, "prot": prot.rwx()})
        }
        EventKind::VmaResized { kind, start, end } => {
            json!({"type": "vma_resized", "kind": kind.to_string(), "start": start.0, "end": end.0})
        }
        EventKind::BrkMoved { old, new } => json!({"type": "brk", "old": old.0, "new": new.0}),
        EventKind::FrameMapped {
            frame,
            cause,
            va,
            pte,
        } => {
            json!({"type": "frame_mapped", "frame": frame.0, "cause": cause.name(), "va": va.0, "pte": pte.raw()})
        }
        EventKind::Frame(n) => {
            let kind = if n.taken {
                "frame_taken"
            } else {
                "frame_freed"
            };
            match n.used_for {
                FrameUse::Directory => {
                    json!({"type": kind, "frame": n.frame.0, "for": "page directory"})
                }
                FrameUse::PageTable { pd_index } => {
                    json!({"type": kind, "frame": n.frame.0, "for": "page table", "pde": pd_index})
                }
                FrameUse::Page { va, cause } => {
                    json!({"type": kind, "frame": n.frame.0, "for": "page", "va": va.0, "cause": cause.name()})
                }
            }
        }
        EventKind::Tlb(TlbEvent::Fill {
            vpn,
            frame,
            writable,
            evicted,
        }) => json!({
            "type": "tlb_fill", "va": vpn << 12, "frame": frame, "writable": writable, "evicted": evicted.map(|v| v << 12),
        }),
        EventKind::Tlb(TlbEvent::Invalidate { vpn }) => {
            json!({"type": "tlb_invlpg", "va": vpn << 12})
        }
        EventKind::Tlb(TlbEvent::Flush) => json!({"type": "tlb_flush"}),
        EventKind::Signal { info, action } => {
            let (addr, pid, uid) = match info.fields {
                SigFields::Fault { addr } => (Some(addr.0), None, None),
                SigFields::Kill { pid, uid } | SigFields::Child { pid, uid, .. } => {
                    (None, Some(pid), Some(uid))
                }
                SigFields::None => (None, None, None),
            };
            let mut v = json!({
                "type": "signal", "signal": info.signo.to_string(), "signo": info.signo.0,
                "code": info.code, "code_name": info.code_name(), "addr": addr, "pid": pid, "uid": uid,
                "text": e.to_string(),
            });
            let extra = match action {
                SignalAction::Handler {
                    handler,
                    frame,
                    rt,
                    altstack,
                } => json!({"action": "handler", "handler": handler, "frame": frame,
                            "frame_kind": if *rt { "rt_sigframe" } else { "sigframe" }, "altstack": altstack}),
                SignalAction::Ignored => json!({"action": "ignored"}),
                SignalAction::Stopped => json!({"action": "stopped"}),
            };
            if let (Value::Object(m), Value::Object(x)) = (&mut v, extra) {
                m.extend(x);
            }
            v
        }
        EventKind::Killed { death } => {
            json!({"type": "killed", "signal": death.signal().name(), "reason": death.to_string()})
        }
        EventKind::Memcheck {
            kind,
            what,
            addr,
            eip,
            line,
        } => {
            json!({"type": "memcheck", "kind": kind, "what": what, "addr": addr.0, "eip": eip.0, "line": line})
        }
        EventKind::Exec {
            path,
            entry,
            segments,
        } => json!({"type": "exec", "path": path, "entry": entry.0, "segments": segments}),
        EventKind::SegmentLoaded {
            index,
            offset,
            filesz,
            vaddr,
            memsz,
            prot,
            start,
            end,
        } => json!({
            "type": "segment_loaded", "index": index, "offset": offset, "filesz": filesz, "vaddr": vaddr,
            "memsz": memsz, "prot": prot.rwx(), "start": start.0, "end": end.0,
        }),
        EventKind::InitialBreak { brk } => json!({"type": "initial_break", "brk": brk.0}),
        EventKind::StackReady {
            start,
            top,
            esp,
            limit,
            argc,
            envc,
        } => json!({
            "type": "stack_ready", "start": start.0, "top": top.0, "esp": esp.0, "limit": limit, "argc": argc, "envc": envc,
        }),
        EventKind::Exit {
            status,
            signal,
            reclaimed,
            still_shared,
        } => {
            json!({"type": "exit", "status": status, "signal": signal.map(|s| s.name()), "reclaimed": by_cause(reclaimed), "still_shared": still_shared})
        }
        EventKind::Forked {
            parent,
            child,
            shared,
            tables,
        } => {
            json!({"type": "fork", "parent": parent, "child": child, "shared": shared, "tables": tables})
        }
        EventKind::Switch {
            from,
            to,
            why,
            cr3,
            flushed,
        } => {
            json!({"type": "switch", "from": from, "to": to, "why": why.to_string(), "cr3": cr3.0, "tlb_flushed": flushed})
        }
        EventKind::ThreadCreated { tid, stack } => {
            json!({"type": "thread_created", "tid": tid, "stack": stack})
        }
        EventKind::ThreadExited { tid, code } => {
            json!({"type": "thread_exited", "tid": tid, "status": code})
        }
        EventKind::AddressSpaceReplaced { reclaimed } => {
            json!({"type": "address_space_replaced", "reclaimed": by_cause(reclaimed)})
        }
        EventKind::Reaped { pid, by } => json!({"type": "reaped", "pid": pid, "by": by}),
    };
    let mut v = json!({"seq": e.seq, "insns": e.insns});
    if let (Some(pid), Value::Object(m)) = (e.pid, &mut v) {
        m.insert("pid".into(), json!(pid));
    }
    if let (Value::Object(m), Value::Object(b)) = (&mut v, body) {
        m.extend(b);
        // The EIP stays a number; its name rides beside it.
        if let Some(name) = &e.eip_name {
            m.insert("eip_name".into(), json!(name));
        }
    }
    v
}

/// Frames given back, by cause, as a JSON object.
fn by_cause(l: &toyemu_kernel::Ledger) -> Value {
    let by: serde_json::Map<String, Value> = Cause::ALL
        .iter()
        .map(|c| (c.name().to_string(), json!(l.returned(*c))))
        .collect();
    Value::Object(by)
}

/// A sink writing JSON lines.
pub struct JsonLines<W: Write> {
    pub out: W,
}

impl<W: Write> TraceSink for JsonLines<W> {
    fn event(&mut self, e: &Event) {
        let _ = writeln!(self.out, "{}", event_json(e));
    }
}
