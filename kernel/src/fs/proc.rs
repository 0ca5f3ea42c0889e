//! The part of /proc the kernel answers from the guest: `/proc/self` and
//! `/proc/<pid>` for the guest's own pid (maps, status, stat, cmdline,
//! environ, exe, cwd, fd/), and `/proc/meminfo`. Another pid's entry does
//! not exist in this machine; the rest of /proc is the host's, read-only.

use super::node::{Asker, Device, Node, ProcDir, ProcFile, ProcNode, Special};
use crate::errno::{Errno, ENOENT};
use std::path::{Component, Path};

/// `rest` is the path below /proc; `follow` says whether a link there is
/// followed (it is the last component of an open or a stat). `None`: the
/// host's /proc has it.
pub fn lookup(who: &Asker, rest: &Path, follow: bool) -> Result<Option<Special>, Errno> {
    let pid = who.pid;
    let parts: Vec<&str> = rest
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    let file = |f| Ok(Some(Special::Node(Node::Proc(ProcNode::File(pid, f)))));
    match parts.as_slice() {
        [] => Ok(None),
        ["self"] => Ok(Some(Special::Link(pid.to_string()))),
        ["thread-self"] => Ok(Some(Special::Link(format!("{pid}/task/{pid}")))),
        ["meminfo"] => file(ProcFile::Meminfo),
        [n, more @ ..] if n.bytes().all(|b| b.is_ascii_digit()) => {
            if n.parse::<u32>() != Ok(pid) {
                return Err(ENOENT);
            }
            match more {
                [] => Ok(Some(Special::Node(Node::Proc(ProcNode::Dir(
                    pid,
                    ProcDir::Process,
                ))))),
                ["maps"] => file(ProcFile::Maps),
                ["status"] => file(ProcFile::Status),
                ["stat"] => file(ProcFile::Stat),
                ["cmdline"] => file(ProcFile::Cmdline),
                ["environ"] => file(ProcFile::Environ),
                ["exe"] => Ok(Some(Special::Link(who.exe.to_string()))),
                ["cwd"] => Ok(Some(Special::Link(who.cwd.display().to_string()))),
                ["fd"] => Ok(Some(Special::Node(Node::Proc(ProcNode::Dir(
                    pid,
                    ProcDir::Fds,
                ))))),
                // Opening /proc/self/fd/N opens what N has open (a pipe
                // too); reading the link gives the name it was opened by.
                ["fd", fd] => {
                    let fd: u32 = fd.parse().map_err(|_| ENOENT)?;
                    let name = (who.fd_name)(fd).ok_or(ENOENT)?;
                    Ok(Some(if follow {
                        Special::Node(Node::Dev(Device::Fd(fd)))
                    } else {
                        Special::Link(name)
                    }))
                }
                _ => Err(ENOENT),
            }
        }
        _ => Ok(None),
    }
}

/// One `/proc/PID/maps` line as Linux prints it for a 32-bit process on a
/// 64-bit kernel: the name padded to column 73, a trailing space when there
/// is none.
pub fn maps_line(
    start: u32,
    end: u32,
    perms: &str,
    offset: u64,
    dev: u64,
    ino: u64,
    name: &str,
) -> String {
    let (major, minor) = ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00));
    let mut line =
        format!("{start:08x}-{end:08x} {perms} {offset:08x} {major:02x}:{minor:02x} {ino} ");
    if !name.is_empty() {
        while line.len() < 73 {
            line.push(' ');
        }
        line.push_str(name);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_pad_the_name_to_column_73() {
        let l = maps_line(
            0x0804_8000,
            0x0804_9000,
            "r--p",
            0,
            0xfe00,
            5603661,
            "/bin/busybox",
        );
        assert_eq!(
            l,
            "08048000-08049000 r--p 00000000 fe:00 5603661                            /bin/busybox"
        );
        assert_eq!(
            maps_line(0x0824_0000, 0x0824_4000, "rw-p", 0, 0, 0, ""),
            "08240000-08244000 rw-p 00000000 00:00 0 "
        );
    }
}
