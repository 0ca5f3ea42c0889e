//! The implemented syscalls, one row each: number, how strace shows the
//! arguments, and the handler. A number with no row answers ENOSYS (and is
//! traced by its name from `numbers.rs`). Lookup is an array index built
//! when the program is compiled.

use super::args::{Arg as A, Shape, Struct as S};
use super::numbers::*;
use super::outcome::Outcome;
use crate::errno::{EBADF, ENOSYS};
use crate::kernel::Kernel;
use crate::process::Process;

pub type Handler = fn(&mut Kernel, &mut Process, &[u32; 6]) -> Outcome;

#[derive(Clone, Copy)]
pub struct Row {
    pub nr: u32,
    pub shape: Shape,
    pub run: Handler,
}

const fn row(nr: u32, args: &'static [A], run: Handler) -> Row {
    Row {
        nr,
        shape: Shape::Args(args),
        run,
    }
}

/// setuid/setgid: to the process's own id (or -1, "unchanged") is fine.
fn same_user(id: u32) -> Outcome {
    if id == crate::layout::UID || id == u32::MAX {
        Outcome::Value(0)
    } else {
        Outcome::Err(crate::errno::EPERM)
    }
}

/// Two 32-bit halves as one 64-bit value (low first, as i386 passes them).
fn wide(lo: u32, hi: u32) -> u64 {
    (hi as u64) << 32 | lo as u64
}

const ROWS: &[Row] = &[
    // Processes and the system.
    row(NR_EXIT, &[A::Int], |_, _, a| Outcome::ExitThread(a[0])),
    row(NR_EXIT_GROUP, &[A::Int], |_, _, a| Outcome::Exit(a[0])),
    row(NR_GETPID, &[], |_, p, _| Outcome::Value(p.tgid)),
    row(NR_GETTID, &[], |_, p, _| Outcome::Value(p.pid)),
    // 0 for the first process: its parent lives outside this machine.
    row(NR_GETPPID, &[], |_, p, _| Outcome::Value(p.ppid)),
    row(NR_FORK, &[], |k, p, _| k.sys_fork(p)),
    row(NR_POLL, &[A::Ptr, A::Uint, A::Int], |k, p, a| {
        let timeout = (a[2] as i32 >= 0).then_some(a[2] as u64);
        k.sys_poll(p, a[0], a[1], timeout, "poll")
    }),
    row(
        NR_PPOLL,
        &[A::Ptr, A::Uint, A::Ptr, A::Ptr, A::Uint],
        |k, p, a| match k.poll_timeout(p, a[2], false) {
            Ok(t) => k.sys_poll(p, a[0], a[1], t, "ppoll"),
            Err(o) => o,
        },
    ),
    row(
        NR_PPOLL_TIME64,
        &[A::Ptr, A::Uint, A::Ptr, A::Ptr, A::Uint],
        |k, p, a| match k.poll_timeout(p, a[2], true) {
            Ok(t) => k.sys_poll(p, a[0], a[1], t, "ppoll_time64"),
            Err(o) => o,
        },
    ),
    Row {
        nr: NR_EXECVE,
        shape: Shape::Custom(Kernel::execve_text),
        run: |k, p, a| k.sys_execve(p, *a),
    },
    row(NR_VFORK, &[], |k, p, _| k.sys_fork(p)),
    Row {
        nr: NR_CLONE,
        shape: Shape::Custom(Kernel::clone_text),
        run: |k, p, a| k.sys_clone(p, *a),
    },
    Row {
        nr: NR_FUTEX,
        shape: Shape::Custom(Kernel::futex_text),
        run: |k, p, a| k.sys_futex(p, *a, false),
    },
    Row {
        nr: NR_FUTEX_TIME64,
        shape: Shape::Custom(Kernel::futex_text),
        run: |k, p, a| k.sys_futex(p, *a, true),
    },
    Row {
        nr: NR_WAIT4,
        shape: Shape::Custom(Kernel::wait4_text),
        run: |k, p, a| k.sys_wait4(p, a[0], a[1], a[2], a[3], "wait4"),
    },
    Row {
        nr: NR_WAITPID,
        shape: Shape::Custom(Kernel::wait_text),
        run: |k, p, a| k.sys_wait4(p, a[0], a[1], a[2], 0, "waitpid"),
    },
    row(NR_GETUID, &[], |_, _, _| Outcome::Value(crate::layout::UID)),
    row(NR_GETGID, &[], |_, _, _| Outcome::Value(crate::layout::UID)),
    row(NR_GETEUID, &[], |_, _, _| {
        Outcome::Value(crate::layout::UID)
    }),
    row(NR_GETEGID, &[], |_, _, _| {
        Outcome::Value(crate::layout::UID)
    }),
    row(NR_GETUID32, &[], |_, _, _| {
        Outcome::Value(crate::layout::UID)
    }),
    row(NR_GETGID32, &[], |_, _, _| {
        Outcome::Value(crate::layout::UID)
    }),
    row(NR_GETEUID32, &[], |_, _, _| {
        Outcome::Value(crate::layout::UID)
    }),
    row(NR_GETEGID32, &[], |_, _, _| {
        Outcome::Value(crate::layout::UID)
    }),
    row(NR_GETGROUPS32, &[A::Int, A::Ptr], |_, _, _| {
        Outcome::Value(0)
    }),
    // The one user may become itself; anything else needs privilege.
    row(NR_SETUID, &[A::Int], |_, _, a| same_user(a[0])),
    row(NR_SETGID, &[A::Int], |_, _, a| same_user(a[0])),
    row(NR_SETUID32, &[A::Int], |_, _, a| same_user(a[0])),
    row(NR_SETGID32, &[A::Int], |_, _, a| same_user(a[0])),
    row(NR_GETPGRP, &[], |_, p, _| Outcome::Value(p.tgid)),
    row(NR_GETPGID, &[A::Int], |_, p, _| Outcome::Value(p.tgid)),
    row(NR_GETSID, &[A::Int], |_, p, _| Outcome::Value(p.tgid)),
    row(NR_SETPGID, &[A::Int, A::Int], |_, _, _| Outcome::Value(0)),
    // Signals (shown by signal.rs, which decodes their structs).
    row(NR_KILL, &[A::Int, A::Signal], |k, p, a| {
        k.sys_kill(p, a[0], a[1])
    }),
    row(NR_TKILL, &[A::Int, A::Signal], |k, p, a| {
        k.sys_tkill(p, a[0], a[1])
    }),
    row(NR_TGKILL, &[A::Int, A::Int, A::Signal], |k, p, a| {
        k.sys_tgkill(p, a[0], a[1], a[2])
    }),
    row(
        NR_RT_SIGACTION,
        &[A::Signal, A::Ptr, A::Ptr, A::Uint],
        |k, p, a| k.sys_rt_sigaction(p, a[0], a[1], a[2], a[3]),
    ),
    row(NR_SIGACTION, &[A::Signal, A::Ptr, A::Ptr], |k, p, a| {
        k.sys_sigaction(p, a[0], a[1], a[2])
    }),
    row(
        NR_RT_SIGPROCMASK,
        &[A::Int, A::Ptr, A::Ptr, A::Uint],
        |k, p, a| k.sys_rt_sigprocmask(p, a[0], a[1], a[2], a[3]),
    ),
    row(NR_RT_SIGPENDING, &[A::Ptr, A::Uint], |k, p, a| {
        k.sys_rt_sigpending(p, a[0], a[1])
    }),
    row(NR_SIGALTSTACK, &[A::Ptr, A::Ptr], |k, p, a| {
        k.sys_sigaltstack(p, a[0], a[1])
    }),
    row(NR_RT_SIGRETURN, &[], |k, p, _| k.sys_sigreturn(p, true)),
    row(NR_SIGRETURN, &[], |k, p, _| k.sys_sigreturn(p, false)),
    row(NR_RT_SIGSUSPEND, &[A::Ptr, A::Uint], |k, p, a| {
        k.sys_rt_sigsuspend(p, a[0], a[1])
    }),
    // The old sigsuspend's mask is its third argument.
    row(NR_SIGSUSPEND, &[A::Int, A::Int, A::Hex], |k, p, a| {
        k.sys_sigsuspend(p, a[2])
    }),
    row(NR_PAUSE, &[], |k, p, _| k.sys_pause(p)),
    row(NR_UNAME, &[A::Out(S::Utsname)], |k, p, a| {
        k.sys_uname(p, a[0])
    }),
    row(NR_SET_TID_ADDRESS, &[A::Ptr], |k, p, a| {
        k.sys_set_tid_address(p, a[0])
    }),
    row(NR_SET_ROBUST_LIST, &[A::Ptr, A::Uint], |k, p, a| {
        k.sys_set_robust_list(p, a[0], a[1])
    }),
    row(
        NR_PRCTL,
        &[A::Prctl, A::Hex, A::Hex, A::Hex, A::Hex],
        |k, p, a| k.sys_prctl(p, *a),
    ),
    row(NR_GETRLIMIT, &[A::Rlimit, A::Out(S::Rlimit)], |k, p, a| {
        k.sys_getrlimit(p, a[0], a[1], 0x7fff_ffff)
    }),
    row(NR_UGETRLIMIT, &[A::Rlimit, A::Out(S::Rlimit)], |k, p, a| {
        k.sys_getrlimit(p, a[0], a[1], u32::MAX)
    }),
    row(NR_SETRLIMIT, &[A::Rlimit, A::In(S::Rlimit)], |k, p, a| {
        k.sys_setrlimit(p, a[0], a[1])
    }),
    row(
        NR_PRLIMIT64,
        &[A::Int, A::Rlimit, A::In(S::Rlimit64), A::Out(S::Rlimit64)],
        |k, p, a| k.sys_prlimit64(p, *a),
    ),
    row(NR_SYSINFO, &[A::Out(S::Sysinfo)], |k, p, a| {
        k.sys_sysinfo(p, a[0])
    }),
    row(
        NR_GETRANDOM,
        &[A::OutHexBuf, A::Uint, A::GetrandomFlags],
        |k, p, a| k.sys_getrandom(p, a[0], a[1], a[2]),
    ),
    row(
        NR_SCHED_GETAFFINITY,
        &[A::Int, A::Uint, A::Ptr],
        |k, p, a| k.sys_sched_getaffinity(p, a[1], a[2]),
    ),
    row(NR_SCHED_YIELD, &[], |_, _, _| Outcome::Value(0)),
    // Time.
    row(NR_TIME, &[A::Ptr], |k, p, a| k.sys_time(p, a[0])),
    row(NR_GETTIMEOFDAY, &[A::Out(S::Timeval), A::Ptr], |k, p, a| {
        k.sys_gettimeofday(p, a[0], a[1])
    }),
    row(
        NR_CLOCK_GETTIME,
        &[A::Clock, A::Out(S::Timespec)],
        |k, p, a| k.sys_clock_gettime(p, a[0], a[1]),
    ),
    row(
        NR_CLOCK_GETTIME64,
        &[A::Clock, A::Out(S::Timespec64)],
        |k, p, a| k.sys_clock_gettime64(p, a[0], a[1]),
    ),
    row(
        NR_CLOCK_GETRES,
        &[A::Clock, A::Out(S::Timespec)],
        |k, p, a| k.sys_clock_getres(p, a[0], a[1], false),
    ),
    row(
        NR_CLOCK_GETRES_TIME64,
        &[A::Clock, A::Out(S::Timespec64)],
        |k, p, a| k.sys_clock_getres(p, a[0], a[1], true),
    ),
    row(NR_NANOSLEEP, &[A::In(S::Timespec), A::Ptr], |k, p, a| {
        k.sys_nanosleep(p, a[0])
    }),
    row(
        NR_CLOCK_NANOSLEEP,
        &[A::Clock, A::Hex, A::In(S::Timespec), A::Ptr],
        |k, p, a| k.sys_clock_nanosleep(p, *a, false),
    ),
    row(
        NR_CLOCK_NANOSLEEP_TIME64,
        &[A::Clock, A::Hex, A::In(S::Timespec64), A::Ptr],
        |k, p, a| k.sys_clock_nanosleep(p, *a, true),
    ),
    // Memory.
    row(NR_BRK, &[A::Ptr], |k, p, a| k.sys_brk(p, a[0])),
    Row {
        nr: NR_MMAP,
        shape: Shape::Custom(Kernel::old_mmap_text),
        run: |k, p, a| k.sys_old_mmap(p, a[0]),
    },
    row(
        NR_MMAP2,
        &[A::Ptr, A::Uint, A::Prot, A::MapFlags, A::Int, A::Hex],
        |k, p, a| k.sys_mmap(p, *a),
    ),
    row(NR_MUNMAP, &[A::Ptr, A::Uint], |k, p, a| {
        k.sys_munmap(p, a[0], a[1])
    }),
    row(
        NR_MREMAP,
        &[A::Ptr, A::Uint, A::Uint, A::Hex, A::Ptr],
        |k, p, a| k.sys_mremap(p, *a),
    ),
    row(NR_MPROTECT, &[A::Ptr, A::Uint, A::Prot], |k, p, a| {
        k.sys_mprotect(p, a[0], a[1], a[2])
    }),
    row(NR_MADVISE, &[A::Ptr, A::Uint, A::Madvise], |k, p, a| {
        k.sys_madvise(p, a[0], a[1], a[2])
    }),
    // I/O on descriptors.
    row(NR_READ, &[A::Int, A::OutBuf, A::Uint], |k, p, a| {
        k.sys_read(p, a[0], a[1], a[2])
    }),
    row(NR_WRITE, &[A::Int, A::InBuf(2), A::Uint], |k, p, a| {
        k.sys_write(p, a[0], a[1], a[2])
    }),
    row(NR_READV, &[A::Int, A::IovOut(2), A::Int], |k, p, a| {
        k.sys_readv(p, a[0], a[1], a[2])
    }),
    row(NR_WRITEV, &[A::Int, A::IovIn(2), A::Int], |k, p, a| {
        k.sys_writev(p, a[0], a[1], a[2])
    }),
    row(
        NR_PREAD64,
        &[A::Int, A::OutBuf, A::Uint, A::Uint, A::Uint],
        |k, p, a| k.sys_pread64(p, *a),
    ),
    row(
        NR_PWRITE64,
        &[A::Int, A::InBuf(2), A::Uint, A::Uint, A::Uint],
        |k, p, a| k.sys_pwrite64(p, *a),
    ),
    row(NR_LSEEK, &[A::Int, A::Int, A::Whence], |k, p, a| {
        k.sys_lseek(p, a[0], a[1], a[2])
    }),
    Row {
        nr: NR__LLSEEK,
        shape: Shape::Custom(Kernel::llseek_text),
        run: |k, p, a| k.sys_llseek(p, *a),
    },
    row(
        NR_SENDFILE64,
        &[A::Int, A::Int, A::Ptr, A::Uint],
        |k, p, a| k.sys_sendfile64(p, *a),
    ),
    // Descriptors.
    row(NR_CLOSE, &[A::Int], |k, p, a| k.sys_close(p, a[0])),
    row(NR_DUP, &[A::Int], |k, p, a| k.sys_dup(p, a[0])),
    row(NR_DUP2, &[A::Int, A::Int], |k, p, a| {
        k.sys_dup3(p, a[0], a[1], None)
    }),
    row(NR_DUP3, &[A::Int, A::Int, A::OpenFlags], |k, p, a| {
        k.sys_dup3(p, a[0], a[1], Some(a[2]))
    }),
    row(NR_FCNTL, &[A::Int, A::Fcntl, A::Hex], |k, p, a| {
        k.sys_fcntl(p, a[0], a[1], a[2])
    }),
    row(NR_FCNTL64, &[A::Int, A::Fcntl, A::Hex], |k, p, a| {
        k.sys_fcntl(p, a[0], a[1], a[2])
    }),
    row(NR_PIPE, &[A::Out(S::FdPair)], |k, p, a| {
        k.sys_pipe2(p, a[0], 0)
    }),
    row(NR_PIPE2, &[A::Out(S::FdPair), A::OpenFlags], |k, p, a| {
        k.sys_pipe2(p, a[0], a[1])
    }),
    row(NR_IOCTL, &[A::Int, A::Ioctl, A::Hex], |k, p, a| {
        k.sys_ioctl(p, a[0], a[1], a[2])
    }),
    // Paths.
    row(
        NR_OPEN,
        &[A::Path, A::OpenFlags, A::CreateMode(1)],
        |k, p, a| k.sys_open(p, a[0], a[1], a[2]),
    ),
    row(
        NR_OPENAT,
        &[A::DirFd, A::Path, A::OpenFlags, A::CreateMode(2)],
        |k, p, a| k.sys_openat(p, a[0], a[1], a[2], a[3]),
    ),
    row(NR_STAT64, &[A::Path, A::StatOut], |k, p, a| {
        k.sys_stat64(p, a[0], a[1], true)
    }),
    row(NR_LSTAT64, &[A::Path, A::StatOut], |k, p, a| {
        k.sys_stat64(p, a[0], a[1], false)
    }),
    row(NR_FSTAT64, &[A::Int, A::StatOut], |k, p, a| {
        k.sys_fstat64(p, a[0], a[1])
    }),
    row(
        NR_FSTATAT64,
        &[A::DirFd, A::Path, A::StatOut, A::AtFlags],
        |k, p, a| k.sys_fstatat64(p, *a),
    ),
    row(
        NR_STATX,
        &[
            A::DirFd,
            A::Path,
            A::StatxFlags,
            A::StatxMask,
            A::Out(S::Statx),
        ],
        |k, p, a| k.sys_statx(p, *a),
    ),
    row(NR_GETDENTS64, &[A::Int, A::Ptr, A::Uint], |k, p, a| {
        k.sys_getdents64(p, a[0], a[1], a[2])
    }),
    row(NR_ACCESS, &[A::Path, A::AccessMode], |k, p, a| {
        k.sys_faccessat(p, super::file::AT_FDCWD, a[0], a[1], 0)
    }),
    row(
        NR_FACCESSAT,
        &[A::DirFd, A::Path, A::AccessMode],
        |k, p, a| k.sys_faccessat(p, a[0], a[1], a[2], 0),
    ),
    row(
        NR_FACCESSAT2,
        &[A::DirFd, A::Path, A::AccessMode, A::AtFlags],
        |k, p, a| k.sys_faccessat(p, a[0], a[1], a[2], a[3]),
    ),
    row(NR_READLINK, &[A::Path, A::OutBuf, A::Uint], |k, p, a| {
        k.sys_readlinkat(p, super::file::AT_FDCWD, a[0], a[1], a[2])
    }),
    row(
        NR_READLINKAT,
        &[A::DirFd, A::Path, A::Ptr, A::Uint],
        |k, p, a| k.sys_readlinkat(p, a[0], a[1], a[2], a[3]),
    ),
    row(NR_GETCWD, &[A::OutBuf, A::Uint], |k, p, a| {
        k.sys_getcwd(p, a[0], a[1])
    }),
    row(NR_CHDIR, &[A::Path], |k, p, a| k.sys_chdir(p, a[0])),
    row(NR_FCHDIR, &[A::Int], |k, p, a| k.sys_fchdir(p, a[0])),
    row(NR_UMASK, &[A::Mode], |k, p, a| k.sys_umask(p, a[0])),
    row(NR_UNLINK, &[A::Path], |k, p, a| {
        k.sys_unlinkat(p, super::file::AT_FDCWD, a[0], 0)
    }),
    row(NR_UNLINKAT, &[A::DirFd, A::Path, A::AtFlags], |k, p, a| {
        k.sys_unlinkat(p, a[0], a[1], a[2])
    }),
    row(NR_RMDIR, &[A::Path], |k, p, a| {
        k.sys_unlinkat(p, super::file::AT_FDCWD, a[0], super::file::AT_REMOVEDIR)
    }),
    row(NR_MKDIR, &[A::Path, A::Mode], |k, p, a| {
        k.sys_mkdirat(p, super::file::AT_FDCWD, a[0], a[1])
    }),
    row(NR_MKDIRAT, &[A::DirFd, A::Path, A::Mode], |k, p, a| {
        k.sys_mkdirat(p, a[0], a[1], a[2])
    }),
    row(NR_RENAME, &[A::Path, A::Path], |k, p, a| {
        let cwd = super::file::AT_FDCWD;
        k.sys_renameat2(p, [cwd, a[0], cwd, a[1], 0, 0])
    }),
    row(
        NR_RENAMEAT,
        &[A::DirFd, A::Path, A::DirFd, A::Path],
        |k, p, a| k.sys_renameat2(p, [a[0], a[1], a[2], a[3], 0, 0]),
    ),
    row(
        NR_RENAMEAT2,
        &[A::DirFd, A::Path, A::DirFd, A::Path, A::Hex],
        |k, p, a| k.sys_renameat2(p, *a),
    ),
    row(NR_SYMLINK, &[A::Path, A::Path], |k, p, a| {
        k.sys_symlinkat(p, a[0], super::file::AT_FDCWD, a[1])
    }),
    row(NR_SYMLINKAT, &[A::Path, A::DirFd, A::Path], |k, p, a| {
        k.sys_symlinkat(p, a[0], a[1], a[2])
    }),
    row(NR_FTRUNCATE, &[A::Int, A::Uint], |k, p, a| {
        k.sys_ftruncate(p, a[0], a[1] as u64)
    }),
    row(NR_FTRUNCATE64, &[A::Int, A::Uint, A::Uint], |k, p, a| {
        k.sys_ftruncate(p, a[0], wide(a[1], a[2]))
    }),
    // Thread-local storage.
    Row {
        nr: NR_SET_THREAD_AREA,
        shape: Shape::Custom(Kernel::user_desc_text),
        run: |k, p, a| k.sys_set_thread_area(p, a[0]),
    },
    Row {
        nr: NR_GET_THREAD_AREA,
        shape: Shape::Custom(Kernel::user_desc_text),
        run: |k, p, a| k.sys_get_thread_area(p, a[0]),
    },
    row(NR_MODIFY_LDT, &[A::Int, A::Ptr, A::Uint], |k, p, a| {
        k.sys_modify_ldt(p, a[0])
    }),
    // Linux's rseq needs a registered area the kernel updates on every
    // switch; like an older kernel, this one says it has none.
    row(NR_RSEQ, &[A::Ptr, A::Uint, A::Hex, A::Hex], |_, _, _| {
        Outcome::Err(ENOSYS)
    }),
    row(NR_FSYNC, &[A::Int], |_, p, a| match p.fds.get(a[0]) {
        Ok(_) => Outcome::Value(0),
        Err(_) => Outcome::Err(EBADF),
    }),
];

/// Highest number with a row, plus one.
const INDEX_LEN: usize = NR_COUNT;
const NONE: u16 = u16::MAX;

/// Row index by syscall number.
const INDEX: [u16; INDEX_LEN] = {
    let mut t = [NONE; INDEX_LEN];
    let mut i = 0;
    while i < ROWS.len() {
        t[ROWS[i].nr as usize] = i as u16;
        i += 1;
    }
    t
};

/// The numbers of the implemented calls, in table order (for fuzzers and tools).
pub fn implemented() -> impl Iterator<Item = u32> {
    ROWS.iter().map(|r| r.nr)
}

/// The row for syscall `nr`, if it is implemented.
pub fn lookup(nr: u32) -> Option<&'static Row> {
    let i = *INDEX.get(nr as usize)?;
    (i != NONE).then(|| &ROWS[i as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_its_own_number_and_a_name() {
        for (i, r) in ROWS.iter().enumerate() {
            assert_eq!(lookup(r.nr).map(|x| x.nr), Some(r.nr));
            assert_eq!(INDEX[r.nr as usize] as usize, i, "syscall {} twice", r.nr);
            assert_ne!(super::super::name_of(r.nr), "syscall");
        }
        assert!(lookup(500).is_none());
        assert!(lookup(0).is_none(), "restart_syscall is not implemented");
    }
}
