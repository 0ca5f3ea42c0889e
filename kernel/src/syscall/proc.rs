//! Processes: fork, vfork and clone (without CLONE_VM), wait4 and waitpid,
//! getppid, and how strace shows them.
//!
//! The child is a copy of the caller made by [`AddressSpace::fork`]: the
//! same VMAs over the same frames, copy-on-write. It returns 0 from the
//! call that made it; the parent gets its pid. vfork is fork here: the
//! parent is not suspended and memory is not shared, which a correct vfork
//! caller (one that only execs or _exits) cannot tell apart.
//!
//! [`AddressSpace::fork`]: crate::address_space::AddressSpace::fork

use super::outcome::Outcome;
use super::show::quote;
use crate::elf::ElfImage;
use crate::errno::{E2BIG, EACCES, EAGAIN, ECHILD, EFAULT, EINVAL, ENOEXEC, ENOMEM, ENOSYS};
use crate::exec::ExecError;
use crate::fault::FaultError;
use crate::fs::node::Node;
use crate::kernel::Kernel;
use crate::process::{Ending, ExitStatus, Process, RLIMIT_NPROC};
use crate::ptable::wait_matches;
use crate::signal::{Signal, SIGCHLD};
use crate::sleep::Block;
use crate::trace::EventKind;
use crate::vma::Backing;
use std::sync::Arc;
use toyemu_emulator::{Access, Reg, VirtAddr, PAGE_SIZE};

/// clone(2) flags this kernel looks at.
pub const CLONE_VM: u32 = 0x100;
pub const CLONE_FS: u32 = 0x200;
pub const CLONE_FILES: u32 = 0x400;
pub const CLONE_SIGHAND: u32 = 0x800;
pub const CLONE_VFORK: u32 = 0x4000;
pub const CLONE_PARENT: u32 = 0x8000;
pub const CLONE_THREAD: u32 = 0x10000;
pub const CLONE_SYSVSEM: u32 = 0x40000;
pub const CLONE_SETTLS: u32 = 0x80000;
pub const CLONE_PARENT_SETTID: u32 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u32 = 0x200000;
pub const CLONE_DETACHED: u32 = 0x400000;
pub const CLONE_CHILD_SETTID: u32 = 0x1000000;

const CLONE_NAMES: &[(u32, &str)] = &[
    (CLONE_VM, "CLONE_VM"),
    (CLONE_FS, "CLONE_FS"),
    (CLONE_FILES, "CLONE_FILES"),
    (CLONE_SIGHAND, "CLONE_SIGHAND"),
    (CLONE_VFORK, "CLONE_VFORK"),
    (CLONE_PARENT, "CLONE_PARENT"),
    (CLONE_THREAD, "CLONE_THREAD"),
    (CLONE_SYSVSEM, "CLONE_SYSVSEM"),
    (CLONE_SETTLS, "CLONE_SETTLS"),
    (CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"),
    (CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"),
    (CLONE_DETACHED, "CLONE_DETACHED"),
    (CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"),
];

/// Linux's limits on execve's strings: one string, and all of them with
/// their pointers (a quarter of the 8 MiB stack).
const MAX_ARG_STRLEN: u32 = 32 * 4096;
const MAX_ARGS_BYTES: usize = 2 << 20;
const AT_FDCWD: u32 = -100i32 as u32;

/// wait4 options.
pub const WNOHANG: u32 = 1;
pub const WUNTRACED: u32 = 2;
pub const WCONTINUED: u32 = 8;
const WNOTHREAD: u32 = 0x2000_0000;
const WALL: u32 = 0x4000_0000;
const WCLONE: u32 = 0x8000_0000;

/// The status word wait4 stores: the exit code in bits 8-15, or the
/// signal in bits 0-6 (no core dumps: RLIMIT_CORE is 0).
pub fn wait_status(status: &ExitStatus) -> u32 {
    match &status.ending {
        Ending::Exited(c) => (*c as u32) << 8,
        Ending::Killed(d) => d.signal().0 & 0x7f,
    }
}

/// The status word as strace decodes it: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
fn status_text(w: u32) -> String {
    let sig = w & 0x7f;
    if sig == 0 {
        format!("[{{WIFEXITED(s) && WEXITSTATUS(s) == {}}}]", w >> 8 & 0xff)
    } else {
        let core = if w & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!(
            "[{{WIFSIGNALED(s) && WTERMSIG(s) == {}{core}}}]",
            Signal(sig)
        )
    }
}

fn flags_text(flags: u32, names: &[(u32, &str)]) -> String {
    let mut parts: Vec<String> = names
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let rest = names.iter().fold(flags, |f, (b, _)| f & !b);
    if rest != 0 || parts.is_empty() {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

fn ptr(v: u32) -> String {
    match v {
        0 => "NULL".into(),
        v => format!("{v:#x}"),
    }
}

impl Kernel {
    /// A copy of `p` as a new process, parked until the scheduler runs it;
    /// it ends with `exit_signal` sent to `p`.
    pub(crate) fn fork(
        &mut self,
        p: &mut Process,
        exit_signal: Option<Signal>,
    ) -> Result<u32, Outcome> {
        if !self.may_add_task(p) {
            return Err(Outcome::Err(EAGAIN));
        }
        self.populate_shared(p)?;
        let (mmu, frames) = (self.machine.mmu_mut(), &mut self.frames);
        let mm = p
            .mm_mut()
            .fork(mmu, frames)
            .map_err(|_| Outcome::Err(ENOMEM))?;
        let pid = self.next_pid;
        self.next_pid += 1;
        let shared = mm.ledger.outstanding() as u32 - 1 - mm.page_tables();
        let tables = mm.page_tables();
        let mut context = self.machine.cpu().context();
        context.set_reg(Reg::Eax, 0);
        let mut child = p.offspring(pid, self.insns(), context);
        child.mm = Some(mm);
        child.fds = p.fds.clone();
        child.exit_signal = exit_signal;
        self.park_new(p, child);
        self.emit(EventKind::Forked {
            parent: p.pid,
            child: pid,
            shared,
            tables,
        });
        log::info!(target: "toyemu::process", "pid {} forked pid {pid}", p.pid);
        Ok(pid)
    }

    /// RLIMIT_NPROC counts every task alive, threads too, as Linux does.
    fn may_add_task(&self, p: &Process) -> bool {
        let live = 1 + self.procs.parked.values().filter(|q| !q.is_done()).count();
        (live as u64) < p.limits[RLIMIT_NPROC].0
    }

    /// Park a task `p` just made. The first one starts the scheduler's
    /// clock, and makes `p`'s process the first one, which the caller of
    /// `run` gets back at the end.
    fn park_new(&mut self, p: &Process, t: Process) {
        if self.procs.root.is_none() {
            self.procs.root = Some(p.tgid);
            self.procs.slice_end = self.insns() + self.procs.quantum;
        }
        self.tracer.pid = Some(p.pid);
        self.procs.parked.insert(t.pid, t);
    }

    /// Give every page of `p`'s MAP_SHARED anonymous mappings a frame, so
    /// that parent and child share one frame per page from the fork on
    /// (a page first touched after it would otherwise get one each).
    fn populate_shared(&mut self, p: &mut Process) -> Result<(), Outcome> {
        let shared: Vec<_> = p
            .mm_mut()
            .vmas
            .iter()
            .filter(|v| matches!(v.backing, Backing::SharedAnon) && !v.prot.is_empty())
            .map(|v| (v.start.0, v.end.0))
            .collect();
        for (start, end) in shared {
            for va in (start..end).step_by(PAGE_SIZE as usize) {
                if let Err(FaultError::OutOfMemory { .. }) =
                    self.populate_page(p, VirtAddr(va), Access::Read)
                {
                    return Err(Outcome::Err(ENOMEM));
                }
            }
        }
        Ok(())
    }

    pub(super) fn sys_fork(&mut self, p: &mut Process) -> Outcome {
        match self.fork(p, Some(SIGCHLD)) {
            Ok(pid) => Outcome::Value(pid),
            Err(e) => e,
        }
    }

    /// clone(flags, newsp, parent_tid, tls, child_tid), i386's order.
    /// Without CLONE_VM it is a fork with these extras; with CLONE_THREAD
    /// a new thread of the caller's group (`thread.rs`).
    pub(super) fn sys_clone(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let [flags, newsp, parent_tid, tls, child_tid, _] = a;
        // CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM.
        if (flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0)
            || (flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0)
        {
            return Outcome::Err(EINVAL);
        }
        if flags & CLONE_THREAD != 0 {
            // Threads here share everything a pthread shares; a thread
            // with its own descriptor table or directory is not modelled.
            if flags & (CLONE_FILES | CLONE_FS) != CLONE_FILES | CLONE_FS {
                return Outcome::Err(ENOSYS);
            }
            return self.new_thread(p, flags, newsp, parent_tid, tls, child_tid);
        }
        if flags & CLONE_VM != 0 {
            // A process sharing its parent's memory (posix_spawn's vfork).
            return Outcome::Err(ENOSYS);
        }
        let sig = flags & 0xff;
        let exit_signal = (sig != 0).then_some(Signal(sig));
        let pid = match self.fork(p, exit_signal) {
            Ok(pid) => pid,
            Err(e) => return e,
        };
        let child = self.procs.parked.get_mut(&pid).expect("just forked");
        if newsp != 0 {
            if let Some(c) = child.context.as_mut() {
                c.set_reg(Reg::Esp, newsp);
            }
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            child.set_child_tid = child_tid;
        }
        if flags & CLONE_CHILD_CLEARTID != 0 {
            child.clear_child_tid = child_tid;
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            // In the parent's memory only: the child's copy was made first.
            if let Err(e) = self.copy_to_user(p, parent_tid, &pid.to_le_bytes()) {
                return self.copy_failed(p, e);
            }
        }
        Outcome::Value(pid)
    }

    /// A thread of `p`'s group, parked until the scheduler runs it: `p`'s
    /// registers with EAX 0, ESP `newsp`, and with CLONE_SETTLS the TLS
    /// entry `tls` describes (a `struct user_desc`, as set_thread_area's).
    fn new_thread(
        &mut self,
        p: &mut Process,
        flags: u32,
        newsp: u32,
        parent_tid: u32,
        tls: u32,
        child_tid: u32,
    ) -> Outcome {
        if !self.may_add_task(p) {
            return Outcome::Err(EAGAIN);
        }
        let mine = self.machine.cpu().context();
        if flags & CLONE_SETTLS != 0 {
            if let Err(o) = self.set_tls_from(p, tls, false) {
                self.machine.cpu_mut().set_context(&mine);
                return o;
            }
        }
        let mut context = self.machine.cpu().context();
        self.machine.cpu_mut().set_context(&mine);
        context.set_reg(Reg::Eax, 0);
        if newsp != 0 {
            context.set_reg(Reg::Esp, newsp);
        }
        let tid = self.next_pid;
        if flags & CLONE_PARENT_SETTID != 0 {
            if let Err(e) = self.copy_to_user(p, parent_tid, &tid.to_le_bytes()) {
                return self.copy_failed(p, e);
            }
        }
        self.next_pid += 1;
        let mut thread = p.offspring(tid, self.insns(), context);
        // Of its creator's group; the group's state stays with `p` until
        // this thread runs (`thread.rs`).
        thread.tgid = p.tgid;
        thread.ppid = p.ppid;
        thread.signals = p.signals.for_thread();
        thread.autoreap = true;
        if flags & CLONE_CHILD_CLEARTID != 0 {
            thread.clear_child_tid = child_tid;
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            thread.set_child_tid = child_tid;
        }
        p.threads_made += 1;
        self.park_new(p, thread);
        self.emit(EventKind::ThreadCreated { tid, stack: newsp });
        log::info!(target: "toyemu::process", "pid {} made thread {tid}", p.pid);
        Outcome::Value(tid)
    }

    /// wait4(pid, wstatus, options, rusage) and waitpid (no rusage).
    pub(super) fn sys_wait4(
        &mut self,
        p: &mut Process,
        pid: u32,
        wstatus: u32,
        options: u32,
        rusage: u32,
        call: &'static str,
    ) -> Outcome {
        let known = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE;
        let pid = pid as i32;
        if options & !known != 0 || pid == i32::MIN {
            return Outcome::Err(EINVAL);
        }
        let mut kids = self
            .procs
            .parked
            .values()
            .filter(|c| c.ppid == p.tgid && c.is_leader() && wait_matches(pid, c));
        let mut any = false;
        let zombie = kids.find(|c| {
            any = true;
            c.has_exited()
        });
        let Some(z) = zombie.map(|c| c.pid) else {
            return match (any, options & WNOHANG != 0) {
                (false, _) => Outcome::Err(ECHILD),
                (true, true) => Outcome::Value(0),
                (true, false) => Outcome::Block(Box::new(Block::Child { pid, call })),
            };
        };
        let zombie = self.procs.parked.remove(&z).expect("found");
        let status = zombie.exit.as_ref().expect("zombie").status.clone();
        let mut out = Ok(());
        if wstatus != 0 {
            out = self.copy_to_user(p, wstatus, &wait_status(&status).to_le_bytes());
        }
        if rusage != 0 && out.is_ok() {
            // struct rusage: 18 longs; times are not kept per process yet.
            out = self.copy_to_user(p, rusage, &[0; 72]);
        }
        if let Err(e) = out {
            // Linux reaps only once the status is stored: the child stays.
            self.procs.parked.insert(z, zombie);
            return self.copy_failed(p, e);
        }
        self.reap(zombie, Some(p.pid));
        Outcome::Value(z)
    }

    /// A NULL-terminated array of string pointers (argv, envp) copied in;
    /// NULL itself is an empty array, as Linux takes it.
    fn string_array(
        &mut self,
        p: &mut Process,
        va: u32,
        total: &mut usize,
    ) -> Result<Vec<Vec<u8>>, Outcome> {
        let mut out = Vec::new();
        let mut word = Vec::new();
        if va == 0 {
            return Ok(out);
        }
        for i in 0u32.. {
            let at = va.checked_add(i * 4).ok_or(Outcome::Err(EFAULT))?;
            if let Err(e) = self.copy_from_user(p, at, 4, &mut word) {
                return Err(self.copy_failed(p, e));
            }
            let ptr = u32::from_le_bytes(word[..4].try_into().expect("4 bytes"));
            if ptr == 0 {
                break;
            }
            let s = match self.copy_string_from_user(p, ptr, MAX_ARG_STRLEN) {
                Ok(s) => s,
                Err(None) => return Err(Outcome::Err(E2BIG)),
                Err(Some(e)) => return Err(self.copy_failed(p, e)),
            };
            *total += s.len() + 1 + 4;
            if *total > MAX_ARGS_BYTES {
                return Err(Outcome::Err(E2BIG));
            }
            out.push(s);
        }
        Ok(out)
    }

    /// execve(path, argv, envp): a static ELF from the file view replaces
    /// the program. A file that is not ELF is ENOEXEC (a shell then runs it
    /// as a script itself), one without an execute bit EACCES.
    pub(super) fn sys_execve(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let path = match self.path_arg(p, a[0]) {
            Ok(v) => v,
            Err(o) => return o,
        };
        let mut total = 0;
        let argv = match self.string_array(p, a[1], &mut total) {
            Ok(v) => v,
            Err(o) => return o,
        };
        let envp = match self.string_array(p, a[2], &mut total) {
            Ok(v) => v,
            Err(o) => return o,
        };
        let quoted: Vec<String> = argv.iter().map(|s| quote(s, false)).collect();
        self.exec_text = Some(format!(
            "{}, [{}], {} /* {} vars */",
            quote(&path, false),
            quoted.join(", "),
            ptr(a[2]),
            envp.len()
        ));
        let host = match self.resolve_at(p, AT_FDCWD, &path, true) {
            Ok(Node::Host(h)) => h,
            Ok(_) => return Outcome::Err(EACCES),
            Err(e) => return Outcome::Err(e),
        };
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = match std::fs::metadata(&host) {
            Ok(m) => m,
            Err(e) => return Outcome::Err(super::io::host_errno(&e)),
        };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            return Outcome::Err(EACCES);
        }
        let bytes = match std::fs::read(&host) {
            Ok(b) => b,
            Err(e) => return Outcome::Err(super::io::host_errno(&e)),
        };
        let image = match ElfImage::parse(bytes) {
            Ok(i) => i.at_path(host.display().to_string(), meta.dev(), meta.ino()),
            Err(_) => return Outcome::Err(ENOEXEC),
        };
        // Past the point of no return: the other threads go (Linux's
        // de_thread), and a thread that execs takes its leader's pid.
        let gone = ExitStatus {
            ending: Ending::Exited(0),
        };
        self.end_threads(p, &gone);
        match self.replace_image(p, Arc::new(image), &argv, &envp) {
            Ok(reclaimed) => {
                // The CLI's names were the first image's: wrong from now on.
                self.tracer.names = None;
                self.emit(EventKind::AddressSpaceReplaced { reclaimed });
                Outcome::Value(0)
            }
            Err(ExecError::OutOfMemory) => Outcome::Err(ENOMEM),
            Err(ExecError::StackOverlap { .. }) => Outcome::Err(ENOEXEC),
        }
    }

    /// execve's arguments, as they were before the call replaced them.
    pub(crate) fn execve_text(&self, _p: &Process, a: &[u32; 6], _out: &Outcome) -> String {
        self.exec_text
            .clone()
            .unwrap_or_else(|| format!("{}, {}, {}", ptr(a[0]), ptr(a[1]), ptr(a[2])))
    }

    /// clone's arguments as strace shows them.
    pub(crate) fn clone_text(&self, _p: &Process, a: &[u32; 6], _out: &Outcome) -> String {
        let flags = a[0];
        let sig = flags & 0xff;
        let mut f = flags_text(flags & !0xff, CLONE_NAMES);
        if sig != 0 {
            let s = Signal(sig).to_string();
            f = if flags & !0xff == 0 {
                s
            } else {
                format!("{f}|{s}")
            };
        } else if flags & !0xff == 0 {
            f = "0".into();
        }
        let mut text = format!("child_stack={}, flags={f}", ptr(a[1]));
        if flags & CLONE_PARENT_SETTID != 0 {
            text += &format!(", parent_tid={}", ptr(a[2]));
        }
        if flags & CLONE_SETTLS != 0 {
            text += &format!(", tls={}", ptr(a[3]));
        }
        if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
            text += &format!(", child_tidptr={}", ptr(a[4]));
        }
        text
    }

    pub(crate) fn wait4_text(&self, p: &Process, a: &[u32; 6], out: &Outcome) -> String {
        format!("{}, {}", self.wait_text(p, a, out), ptr(a[3]))
    }

    /// wait4's and waitpid's first three arguments: the status decoded after a reap.
    pub(crate) fn wait_text(&self, p: &Process, a: &[u32; 6], out: &Outcome) -> String {
        let reaped = matches!(out, Outcome::Value(v) if *v != 0);
        let status = match (a[1], reaped) {
            (0, _) => "NULL".to_string(),
            (at, true) => match self.peek_user_bytes(p, at, 4) {
                Some(b) => status_text(u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))),
                None => ptr(at),
            },
            (at, false) => ptr(at),
        };
        let options = match a[2] {
            0 => "0".to_string(),
            o => flags_text(
                o,
                &[
                    (WNOHANG, "WNOHANG"),
                    (WUNTRACED, "WUNTRACED"),
                    (WCONTINUED, "WCONTINUED"),
                    (WNOTHREAD, "__WNOTHREAD"),
                    (WALL, "__WALL"),
                    (WCLONE, "__WCLONE"),
                ],
            ),
        };
        format!("{}, {status}, {options}", a[0] as i32)
    }
}
