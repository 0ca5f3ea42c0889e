//! The guest's view of files: the host's filesystem, read-only, at the same
//! paths (as qemu-user shows it, minus writes); writable only under the
//! directories given with `--rw`; `/proc/self` (and `/proc/<pid>`) answered
//! from the guest, never from toyemu's own process; a few devices.
//!
//! Paths are resolved here, one component at a time: `..` is taken on the
//! resolved (physical) path, every symbolic link is read and followed by
//! this code (at most 40, then ELOOP), and only the final, symlink-free
//! host path is ever opened (with O_NOFOLLOW). So no `..`, symlink or
//! `/proc` entry can reach a write outside `--rw` or toyemu's own /proc.

pub mod node;
pub mod proc;
pub mod stat;

use node::{Asker, Device, Node, ProcNode, Special};

use crate::errno::{Errno, EACCES, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, EROFS};
use std::path::{Component, Path, PathBuf};

/// Linux's PATH_MAX and MAXSYMLINKS.
pub const PATH_MAX: usize = 4096;
const MAX_LINKS: u32 = 40;

/// The file view's rules: where writes may go.
#[derive(Clone, Debug, Default)]
pub struct FileView {
    /// `--rw` directories, canonical.
    rw: Vec<PathBuf>,
}

impl FileView {
    /// A view with writes allowed under `rw` (each must exist).
    pub fn new(rw: &[PathBuf]) -> Result<FileView, String> {
        let rw = rw
            .iter()
            .map(|d| {
                let c = d
                    .canonicalize()
                    .map_err(|e| format!("--rw {}: {e}", d.display()))?;
                if !c.is_dir() {
                    return Err(format!("--rw {}: not a directory", d.display()));
                }
                Ok(c)
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(FileView { rw })
    }

    /// May the guest change what is at host path `path` (create, write,
    /// remove, rename)? Only inside an `--rw` directory, not the directory
    /// itself being removed.
    pub fn writable(&self, path: &Path) -> bool {
        self.rw.iter().any(|d| path.starts_with(d))
    }

    /// Check a write to `node`: EROFS outside `--rw`, as a read-only mount
    /// says it; /proc is EACCES; devices take writes.
    pub fn check_write(&self, node: &Node) -> Result<(), Errno> {
        match node {
            Node::Host(p) if self.writable(p) => Ok(()),
            Node::Host(_) => Err(EROFS),
            Node::Proc(_) => Err(EACCES),
            Node::Dev(_) => Ok(()),
        }
    }

    /// Resolve guest path `path` for `who`. `follow` says whether a symbolic
    /// link in the last component is followed (stat vs lstat, O_NOFOLLOW).
    pub fn resolve(&self, who: &Asker, path: &[u8], follow: bool) -> Result<Node, Errno> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(ENAMETOOLONG);
        }
        let path = Path::new(std::str::from_utf8(path).map_err(|_| ENOENT)?);
        let start = if path.is_absolute() {
            PathBuf::from("/")
        } else {
            who.cwd.to_path_buf()
        };
        let mut links = 0;
        self.walk(who, start, path, follow, &mut links)
    }

    /// Follow `rest` from the resolved directory `at`.
    fn walk(
        &self,
        who: &Asker,
        mut at: PathBuf,
        rest: &Path,
        follow: bool,
        links: &mut u32,
    ) -> Result<Node, Errno> {
        let parts: Vec<Component> = rest.components().collect();
        // A trailing slash means the last component must be a directory
        // (and is followed, as Linux does).
        let trailing_slash = rest.as_os_str().as_encoded_bytes().ends_with(b"/");
        for (i, c) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            match c {
                Component::RootDir => at = PathBuf::from("/"),
                Component::CurDir | Component::Prefix(_) => {}
                Component::ParentDir => {
                    at.pop();
                }
                Component::Normal(name) => {
                    at.push(name);
                    // /proc and /dev names the kernel answers itself.
                    let follow_this = !last || follow || trailing_slash;
                    if let Some(node) = self.special(who, &at, follow_this)? {
                        match node {
                            Special::Node(n) if last => return Ok(n),
                            Special::Node(Node::Proc(ProcNode::Dir(..))) => continue,
                            Special::Node(_) => return Err(ENOTDIR),
                            Special::Link(target) if last && !follow && !trailing_slash => {
                                return Ok(Node::Proc(ProcNode::Link(target)))
                            }
                            Special::Link(target) => {
                                at.pop();
                                *links += 1;
                                if *links > MAX_LINKS {
                                    return Err(ELOOP);
                                }
                                let remaining: PathBuf = parts[i + 1..].iter().collect();
                                let mut target = PathBuf::from(target);
                                if !remaining.as_os_str().is_empty() {
                                    target.push(remaining);
                                }
                                return self.walk(who, at, &target, follow, links);
                            }
                            Special::Dir => continue,
                        }
                    }
                    let meta = match std::fs::symlink_metadata(&at) {
                        Ok(m) => m,
                        // A missing last component is for the caller to
                        // judge (open with O_CREAT, mkdir); a missing
                        // directory on the way is ENOENT.
                        Err(_) if last => return Ok(Node::Host(at)),
                        Err(e) => return Err(e.raw_os_error().map_or(ENOENT, Errno)),
                    };
                    if meta.file_type().is_symlink() && follow_this {
                        *links += 1;
                        if *links > MAX_LINKS {
                            return Err(ELOOP);
                        }
                        let target = std::fs::read_link(&at)
                            .map_err(|e| e.raw_os_error().map_or(ENOENT, Errno))?;
                        at.pop();
                        let remaining: PathBuf = parts[i + 1..].iter().collect();
                        let mut next = target;
                        if !remaining.as_os_str().is_empty() {
                            next.push(remaining);
                        }
                        if trailing_slash {
                            next.as_mut_os_string().push("/");
                        }
                        return self.walk(who, at, &next, follow, links);
                    }
                    if !last && !meta.is_dir() {
                        return Err(ENOTDIR);
                    }
                    if last && trailing_slash && !meta.is_dir() {
                        return Err(ENOTDIR);
                    }
                }
            }
        }
        // The path ended in `/`, `.` or `..`: `at` is a directory.
        match self.special(who, &at, true)? {
            Some(Special::Node(n)) => Ok(n),
            Some(Special::Dir) | None => Ok(Node::Host(at)),
            Some(Special::Link(_)) => Err(ENOTDIR),
        }
    }

    /// A path the kernel answers rather than the host.
    fn special(&self, who: &Asker, at: &Path, follow: bool) -> Result<Option<Special>, Errno> {
        if let Ok(rest) = at.strip_prefix("/proc") {
            return proc::lookup(who, rest, follow);
        }
        Ok(match at.to_str() {
            Some("/dev/null") => Some(Special::Node(Node::Dev(Device::Null))),
            Some("/dev/zero") => Some(Special::Node(Node::Dev(Device::Zero))),
            Some("/dev/urandom" | "/dev/random") => Some(Special::Node(Node::Dev(Device::Random))),
            Some("/dev/stdin") => Some(Special::Node(Node::Dev(Device::Fd(0)))),
            Some("/dev/stdout") => Some(Special::Node(Node::Dev(Device::Fd(1)))),
            Some("/dev/stderr") => Some(Special::Node(Node::Dev(Device::Fd(2)))),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::node::ProcFile;
    use super::*;

    fn view_with(dir: &Path) -> FileView {
        FileView::new(&[dir.to_path_buf()]).unwrap()
    }

    #[test]
    fn dot_dot_and_symlinks_cannot_reach_a_write_outside_rw() {
        let root = std::env::temp_dir().join(format!("toyemu-fs-{}", std::process::id()));
        let rw = root.join("rw");
        std::fs::create_dir_all(&rw).unwrap();
        std::os::unix::fs::symlink("/etc", rw.join("out")).unwrap();
        std::os::unix::fs::symlink("loop", rw.join("loop")).unwrap();
        let view = view_with(&rw);
        let cwd = rw.canonicalize().unwrap();
        let no_fds = |_| None;
        let who = Asker {
            pid: 1,
            cwd: &cwd,
            exe: "/bin/true",
            fd_name: &no_fds,
        };
        let write = |p: &str| {
            view.resolve(&who, p.as_bytes(), true)
                .and_then(|n| view.check_write(&n).map(|_| n))
        };
        assert!(write("new-file").is_ok());
        assert_eq!(write("../outside"), Err(EROFS));
        assert_eq!(
            write("out/passwd"),
            Err(EROFS),
            "a symlink out is followed, then refused"
        );
        assert_eq!(write("/etc/passwd"), Err(EROFS));
        assert_eq!(view.resolve(&who, b"loop/x", true), Err(ELOOP));
        assert_eq!(view.resolve(&who, b"", true), Err(ENOENT));
        assert_eq!(
            view.resolve(&who, b"/etc/hostname/x", true),
            Err(ENOTDIR),
            "a file on the way"
        );
        // lstat sees the link itself.
        assert_eq!(
            view.resolve(&who, b"out", false),
            Ok(Node::Host(cwd.join("out")))
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn proc_self_is_the_guest_and_devices_are_the_kernels() {
        let view = FileView::default();
        let fds = |fd: u32| (fd < 3).then(|| "/dev/stdout".to_string());
        let who = Asker {
            pid: 7,
            cwd: Path::new("/"),
            exe: "/bin/true",
            fd_name: &fds,
        };
        assert_eq!(
            view.resolve(&who, b"/proc/self/maps", true),
            Ok(Node::Proc(ProcNode::File(7, ProcFile::Maps)))
        );
        assert_eq!(
            view.resolve(&who, b"/dev/null", true),
            Ok(Node::Dev(Device::Null))
        );
        // Another process's /proc entry does not exist in this machine.
        assert_eq!(view.resolve(&who, b"/proc/1/maps", true), Err(ENOENT));
        assert!(view.check_write(&Node::Dev(Device::Null)).is_ok());
        assert_eq!(
            view.resolve(&who, b"/proc/self/fd/1", false),
            Ok(Node::Proc(ProcNode::Link("/dev/stdout".into())))
        );
        assert_eq!(
            view.resolve(&who, b"/proc/self/fd/1", true),
            Ok(Node::Dev(Device::Fd(1)))
        );
        assert_eq!(view.resolve(&who, b"/proc/self/fd/9", true), Err(ENOENT));
        assert_eq!(
            view.resolve(&who, b"/proc/self/exe", true),
            Ok(Node::Host(std::fs::canonicalize("/bin/true").unwrap())),
            "the link is followed to the executable"
        );
    }
}
