//! What a guest path names once resolved, and who is asking: the types the
//! resolver (`fs/mod.rs`) and the /proc answers (`fs/proc.rs`) share.

use std::path::{Path, PathBuf};

/// A device the kernel answers itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Null,
    Zero,
    Random,
    /// /dev/stdin, /dev/stdout, /dev/stderr: the process's own descriptor.
    Fd(u32),
}

/// What a guest path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A host path, absolute, with no symbolic link left in it (unless the
    /// caller asked not to follow the last one).
    Host(PathBuf),
    /// Something under `/proc/<the guest's pid>`.
    Proc(ProcNode),
    Dev(Device),
}

/// A file the kernel writes when it is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcFile {
    Maps,
    Status,
    Stat,
    Cmdline,
    Environ,
    Meminfo,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcNode {
    /// `/proc/<pid>/<file>` (or a global file, with the pid of the asker).
    File(u32, ProcFile),
    /// `/proc/<pid>` or `/proc/<pid>/fd`.
    Dir(u32, ProcDir),
    /// A symbolic link, not followed (readlink, lstat).
    Link(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcDir {
    Process,
    Fds,
}

/// Who is asking: the process's pid, working directory and executable,
/// and the names its descriptors were opened by (`/proc/self/fd`).
pub struct Asker<'a> {
    pub pid: u32,
    pub cwd: &'a Path,
    pub exe: &'a str,
    pub fd_name: &'a dyn Fn(u32) -> Option<String>,
}

/// What a kernel-answered path is.
pub enum Special {
    /// A file (or a directory to list) the kernel makes.
    Node(Node),
    /// A directory on the way (`/proc`, `/proc/self`).
    Dir,
    /// A symbolic link with this target (`/proc/self`, `/proc/self/exe`).
    Link(String),
}
