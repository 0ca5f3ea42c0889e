//! Linux i386 syscall numbers (the UAPI header asm/unistd_32.h, from
//! arch/x86/entry/syscalls/syscall_32.tbl), so every call a program makes
//! has its name in a trace, implemented or not.

/// One past the highest syscall number known here.
pub const NR_COUNT: usize = 451;

pub const NR_RESTART_SYSCALL: u32 = 0;
pub const NR_EXIT: u32 = 1;
pub const NR_FORK: u32 = 2;
pub const NR_READ: u32 = 3;
pub const NR_WRITE: u32 = 4;
pub const NR_OPEN: u32 = 5;
pub const NR_CLOSE: u32 = 6;
pub const NR_WAITPID: u32 = 7;
pub const NR_CREAT: u32 = 8;
pub const NR_LINK: u32 = 9;
pub const NR_UNLINK: u32 = 10;
pub const NR_EXECVE: u32 = 11;
pub const NR_CHDIR: u32 = 12;
pub const NR_TIME: u32 = 13;
pub const NR_MKNOD: u32 = 14;
pub const NR_CHMOD: u32 = 15;
pub const NR_LCHOWN: u32 = 16;
pub const NR_BREAK: u32 = 17;
pub const NR_OLDSTAT: u32 = 18;
pub const NR_LSEEK: u32 = 19;
pub const NR_GETPID: u32 = 20;
pub const NR_MOUNT: u32 = 21;
pub const NR_UMOUNT: u32 = 22;
pub const NR_SETUID: u32 = 23;
pub const NR_GETUID: u32 = 24;
pub const NR_STIME: u32 = 25;
pub const NR_PTRACE: u32 = 26;
pub const NR_ALARM: u32 = 27;
pub const NR_OLDFSTAT: u32 = 28;
pub const NR_PAUSE: u32 = 29;
pub const NR_UTIME: u32 = 30;
pub const NR_STTY: u32 = 31;
pub const NR_GTTY: u32 = 32;
pub const NR_ACCESS: u32 = 33;
pub const NR_NICE: u32 = 34;
pub const NR_FTIME: u32 = 35;
pub const NR_SYNC: u32 = 36;
pub const NR_KILL: u32 = 37;
pub const NR_RENAME: u32 = 38;
pub const NR_MKDIR: u32 = 39;
pub const NR_RMDIR: u32 = 40;
pub const NR_DUP: u32 = 41;
pub const NR_PIPE: u32 = 42;
pub const NR_TIMES: u32 = 43;
pub const NR_PROF: u32 = 44;
pub const NR_BRK: u32 = 45;
pub const NR_SETGID: u32 = 46;
pub const NR_GETGID: u32 = 47;
pub const NR_SIGNAL: u32 = 48;
pub const NR_GETEUID: u32 = 49;
pub const NR_GETEGID: u32 = 50;
pub const NR_ACCT: u32 = 51;
pub const NR_UMOUNT2: u32 = 52;
pub const NR_LOCK: u32 = 53;
pub const NR_IOCTL: u32 = 54;
pub const NR_FCNTL: u32 = 55;
pub const NR_MPX: u32 = 56;
pub const NR_SETPGID: u32 = 57;
pub const NR_ULIMIT: u32 = 58;
pub const NR_OLDOLDUNAME: u32 = 59;
pub const NR_UMASK: u32 = 60;
pub const NR_CHROOT: u32 = 61;
pub const NR_USTAT: u32 = 62;
pub const NR_DUP2: u32 = 63;
pub const NR_GETPPID: u32 = 64;
pub const NR_GETPGRP: u32 = 65;
pub const NR_SETSID: u32 = 66;
pub const NR_SIGACTION: u32 = 67;
pub const NR_SGETMASK: u32 = 68;
pub const NR_SSETMASK: u32 = 69;
pub const NR_SETREUID: u32 = 70;
pub const NR_SETREGID: u32 = 71;
pub const NR_SIGSUSPEND: u32 = 72;
pub const NR_SIGPENDING: u32 = 73;
pub const NR_SETHOSTNAME: u32 = 74;
pub const NR_SETRLIMIT: u32 = 75;
pub const NR_GETRLIMIT: u32 = 76;
pub const NR_GETRUSAGE: u32 = 77;
pub const NR_GETTIMEOFDAY: u32 = 78;
pub const NR_SETTIMEOFDAY: u32 = 79;
pub const NR_GETGROUPS: u32 = 80;
pub const NR_SETGROUPS: u32 = 81;
pub const NR_SELECT: u32 = 82;
pub const NR_SYMLINK: u32 = 83;
pub const NR_OLDLSTAT: u32 = 84;
pub const NR_READLINK: u32 = 85;
pub const NR_USELIB: u32 = 86;
pub const NR_SWAPON: u32 = 87;
pub const NR_REBOOT: u32 = 88;
pub const NR_READDIR: u32 = 89;
pub const NR_MMAP: u32 = 90;
pub const NR_MUNMAP: u32 = 91;
pub const NR_TRUNCATE: u32 = 92;
pub const NR_FTRUNCATE: u32 = 93;
pub const NR_FCHMOD: u32 = 94;
pub const NR_FCHOWN: u32 = 95;
pub const NR_GETPRIORITY: u32 = 96;
pub const NR_SETPRIORITY: u32 = 97;
pub const NR_PROFIL: u32 = 98;
pub const NR_STATFS: u32 = 99;
pub const NR_FSTATFS: u32 = 100;
pub const NR_IOPERM: u32 = 101;
pub const NR_SOCKETCALL: u32 = 102;
pub const NR_SYSLOG: u32 = 103;
pub const NR_SETITIMER: u32 = 104;
pub const NR_GETITIMER: u32 = 105;
pub const NR_STAT: u32 = 106;
pub const NR_LSTAT: u32 = 107;
pub const NR_FSTAT: u32 = 108;
pub const NR_OLDUNAME: u32 = 109;
pub const NR_IOPL: u32 = 110;
pub const NR_VHANGUP: u32 = 111;
pub const NR_IDLE: u32 = 112;
pub const NR_VM86OLD: u32 = 113;
pub const NR_WAIT4: u32 = 114;
pub const NR_SWAPOFF: u32 = 115;
pub const NR_SYSINFO: u32 = 116;
pub const NR_IPC: u32 = 117;
pub const NR_FSYNC: u32 = 118;
pub const NR_SIGRETURN: u32 = 119;
pub const NR_CLONE: u32 = 120;
pub const NR_SETDOMAINNAME: u32 = 121;
pub const NR_UNAME: u32 = 122;
pub const NR_MODIFY_LDT: u32 = 123;
pub const NR_ADJTIMEX: u32 = 124;
pub const NR_MPROTECT: u32 = 125;
pub const NR_SIGPROCMASK: u32 = 126;
pub const NR_CREATE_MODULE: u32 = 127;
pub const NR_INIT_MODULE: u32 = 128;
pub const NR_DELETE_MODULE: u32 = 129;
pub const NR_GET_KERNEL_SYMS: u32 = 130;
pub const NR_QUOTACTL: u32 = 131;
pub const NR_GETPGID: u32 = 132;
pub const NR_FCHDIR: u32 = 133;
pub const NR_BDFLUSH: u32 = 134;
pub const NR_SYSFS: u32 = 135;
pub const NR_PERSONALITY: u32 = 136;
pub const NR_AFS_SYSCALL: u32 = 137;
pub const NR_SETFSUID: u32 = 138;
pub const NR_SETFSGID: u32 = 139;
pub const NR__LLSEEK: u32 = 140;
pub const NR_GETDENTS: u32 = 141;
pub const NR__NEWSELECT: u32 = 142;
pub const NR_FLOCK: u32 = 143;
pub const NR_MSYNC: u32 = 144;
pub const NR_READV: u32 = 145;
pub const NR_WRITEV: u32 = 146;
pub const NR_GETSID: u32 = 147;
pub const NR_FDATASYNC: u32 = 148;
pub const NR__SYSCTL: u32 = 149;
pub const NR_MLOCK: u32 = 150;
pub const NR_MUNLOCK: u32 = 151;
pub const NR_MLOCKALL: u32 = 152;
pub const NR_MUNLOCKALL: u32 = 153;
pub const NR_SCHED_SETPARAM: u32 = 154;
pub const NR_SCHED_GETPARAM: u32 = 155;
pub const NR_SCHED_SETSCHEDULER: u32 = 156;
pub const NR_SCHED_GETSCHEDULER: u32 = 157;
pub const NR_SCHED_YIELD: u32 = 158;
pub const NR_SCHED_GET_PRIORITY_MAX: u32 = 159;
pub const NR_SCHED_GET_PRIORITY_MIN: u32 = 160;
pub const NR_SCHED_RR_GET_INTERVAL: u32 = 161;
pub const NR_NANOSLEEP: u32 = 162;
pub const NR_MREMAP: u32 = 163;
pub const NR_SETRESUID: u32 = 164;
pub const NR_GETRESUID: u32 = 165;
pub const NR_VM86: u32 = 166;
pub const NR_QUERY_MODULE: u32 = 167;
pub const NR_POLL: u32 = 168;
pub const NR_NFSSERVCTL: u32 = 169;
pub const NR_SETRESGID: u32 = 170;
pub const NR_GETRESGID: u32 = 171;
pub const NR_PRCTL: u32 = 172;
pub const NR_RT_SIGRETURN: u32 = 173;
pub const NR_RT_SIGACTION: u32 = 174;
pub const NR_RT_SIGPROCMASK: u32 = 175;
pub const NR_RT_SIGPENDING: u32 = 176;
pub const NR_RT_SIGTIMEDWAIT: u32 = 177;
pub const NR_RT_SIGQUEUEINFO: u32 = 178;
pub const NR_RT_SIGSUSPEND: u32 = 179;
pub const NR_PREAD64: u32 = 180;
pub const NR_PWRITE64: u32 = 181;
pub const NR_CHOWN: u32 = 182;
pub const NR_GETCWD: u32 = 183;
pub const NR_CAPGET: u32 = 184;
pub const NR_CAPSET: u32 = 185;
pub const NR_SIGALTSTACK: u32 = 186;
pub const NR_SENDFILE: u32 = 187;
pub const NR_GETPMSG: u32 = 188;
pub const NR_PUTPMSG: u32 = 189;
pub const NR_VFORK: u32 = 190;
pub const NR_UGETRLIMIT: u32 = 191;
pub const NR_MMAP2: u32 = 192;
pub const NR_TRUNCATE64: u32 = 193;
pub const NR_FTRUNCATE64: u32 = 194;
pub const NR_STAT64: u32 = 195;
pub const NR_LSTAT64: u32 = 196;
pub const NR_FSTAT64: u32 = 197;
pub const NR_LCHOWN32: u32 = 198;
pub const NR_GETUID32: u32 = 199;
pub const NR_GETGID32: u32 = 200;
pub const NR_GETEUID32: u32 = 201;
pub const NR_GETEGID32: u32 = 202;
pub const NR_SETREUID32: u32 = 203;
pub const NR_SETREGID32: u32 = 204;
pub const NR_GETGROUPS32: u32 = 205;
pub const NR_SETGROUPS32: u32 = 206;
pub const NR_FCHOWN32: u32 = 207;
pub const NR_SETRESUID32: u32 = 208;
pub const NR_GETRESUID32: u32 = 209;
pub const NR_SETRESGID32: u32 = 210;
pub const NR_GETRESGID32: u32 = 211;
pub const NR_CHOWN32: u32 = 212;
pub const NR_SETUID32: u32 = 213;
pub const NR_SETGID32: u32 = 214;
pub const NR_SETFSUID32: u32 = 215;
pub const NR_SETFSGID32: u32 = 216;
pub const NR_PIVOT_ROOT: u32 = 217;
pub const NR_MINCORE: u32 = 218;
pub const NR_MADVISE: u32 = 219;
pub const NR_GETDENTS64: u32 = 220;
pub const NR_FCNTL64: u32 = 221;
pub const NR_GETTID: u32 = 224;
pub const NR_READAHEAD: u32 = 225;
pub const NR_SETXATTR: u32 = 226;
pub const NR_LSETXATTR: u32 = 227;
pub const NR_FSETXATTR: u32 = 228;
pub const NR_GETXATTR: u32 = 229;
pub const NR_LGETXATTR: u32 = 230;
pub const NR_FGETXATTR: u32 = 231;
pub const NR_LISTXATTR: u32 = 232;
pub const NR_LLISTXATTR: u32 = 233;
pub const NR_FLISTXATTR: u32 = 234;
pub const NR_REMOVEXATTR: u32 = 235;
pub const NR_LREMOVEXATTR: u32 = 236;
pub const NR_FREMOVEXATTR: u32 = 237;
pub const NR_TKILL: u32 = 238;
pub const NR_SENDFILE64: u32 = 239;
pub const NR_FUTEX: u32 = 240;
pub const NR_SCHED_SETAFFINITY: u32 = 241;
pub const NR_SCHED_GETAFFINITY: u32 = 242;
pub const NR_SET_THREAD_AREA: u32 = 243;
pub const NR_GET_THREAD_AREA: u32 = 244;
pub const NR_IO_SETUP: u32 = 245;
pub const NR_IO_DESTROY: u32 = 246;
pub const NR_IO_GETEVENTS: u32 = 247;
pub const NR_IO_SUBMIT: u32 = 248;
pub const NR_IO_CANCEL: u32 = 249;
pub const NR_FADVISE64: u32 = 250;
pub const NR_EXIT_GROUP: u32 = 252;
pub const NR_LOOKUP_DCOOKIE: u32 = 253;
pub const NR_EPOLL_CREATE: u32 = 254;
pub const NR_EPOLL_CTL: u32 = 255;
pub const NR_EPOLL_WAIT: u32 = 256;
pub const NR_REMAP_FILE_PAGES: u32 = 257;
pub const NR_SET_TID_ADDRESS: u32 = 258;
pub const NR_TIMER_CREATE: u32 = 259;
pub const NR_TIMER_SETTIME: u32 = 260;
pub const NR_TIMER_GETTIME: u32 = 261;
pub const NR_TIMER_GETOVERRUN: u32 = 262;
pub const NR_TIMER_DELETE: u32 = 263;
pub const NR_CLOCK_SETTIME: u32 = 264;
pub const NR_CLOCK_GETTIME: u32 = 265;
pub const NR_CLOCK_GETRES: u32 = 266;
pub const NR_CLOCK_NANOSLEEP: u32 = 267;
pub const NR_STATFS64: u32 = 268;
pub const NR_FSTATFS64: u32 = 269;
pub const NR_TGKILL: u32 = 270;
pub const NR_UTIMES: u32 = 271;
pub const NR_FADVISE64_64: u32 = 272;
pub const NR_VSERVER: u32 = 273;
pub const NR_MBIND: u32 = 274;
pub const NR_GET_MEMPOLICY: u32 = 275;
pub const NR_SET_MEMPOLICY: u32 = 276;
pub const NR_MQ_OPEN: u32 = 277;
pub const NR_MQ_UNLINK: u32 = 278;
pub const NR_MQ_TIMEDSEND: u32 = 279;
pub const NR_MQ_TIMEDRECEIVE: u32 = 280;
pub const NR_MQ_NOTIFY: u32 = 281;
pub const NR_MQ_GETSETATTR: u32 = 282;
pub const NR_KEXEC_LOAD: u32 = 283;
pub const NR_WAITID: u32 = 284;
pub const NR_ADD_KEY: u32 = 286;
pub const NR_REQUEST_KEY: u32 = 287;
pub const NR_KEYCTL: u32 = 288;
pub const NR_IOPRIO_SET: u32 = 289;
pub const NR_IOPRIO_GET: u32 = 290;
pub const NR_INOTIFY_INIT: u32 = 291;
pub const NR_INOTIFY_ADD_WATCH: u32 = 292;
pub const NR_INOTIFY_RM_WATCH: u32 = 293;
pub const NR_MIGRATE_PAGES: u32 = 294;
pub const NR_OPENAT: u32 = 295;
pub const NR_MKDIRAT: u32 = 296;
pub const NR_MKNODAT: u32 = 297;
pub const NR_FCHOWNAT: u32 = 298;
pub const NR_FUTIMESAT: u32 = 299;
pub const NR_FSTATAT64: u32 = 300;
pub const NR_UNLINKAT: u32 = 301;
pub const NR_RENAMEAT: u32 = 302;
pub const NR_LINKAT: u32 = 303;
pub const NR_SYMLINKAT: u32 = 304;
pub const NR_READLINKAT: u32 = 305;
pub const NR_FCHMODAT: u32 = 306;
pub const NR_FACCESSAT: u32 = 307;
pub const NR_PSELECT6: u32 = 308;
pub const NR_PPOLL: u32 = 309;
pub const NR_UNSHARE: u32 = 310;
pub const NR_SET_ROBUST_LIST: u32 = 311;
pub const NR_GET_ROBUST_LIST: u32 = 312;
pub const NR_SPLICE: u32 = 313;
pub const NR_SYNC_FILE_RANGE: u32 = 314;
pub const NR_TEE: u32 = 315;
pub const NR_VMSPLICE: u32 = 316;
pub const NR_MOVE_PAGES: u32 = 317;
pub const NR_GETCPU: u32 = 318;
pub const NR_EPOLL_PWAIT: u32 = 319;
pub const NR_UTIMENSAT: u32 = 320;
pub const NR_SIGNALFD: u32 = 321;
pub const NR_TIMERFD_CREATE: u32 = 322;
pub const NR_EVENTFD: u32 = 323;
pub const NR_FALLOCATE: u32 = 324;
pub const NR_TIMERFD_SETTIME: u32 = 325;
pub const NR_TIMERFD_GETTIME: u32 = 326;
pub const NR_SIGNALFD4: u32 = 327;
pub const NR_EVENTFD2: u32 = 328;
pub const NR_EPOLL_CREATE1: u32 = 329;
pub const NR_DUP3: u32 = 330;
pub const NR_PIPE2: u32 = 331;
pub const NR_INOTIFY_INIT1: u32 = 332;
pub const NR_PREADV: u32 = 333;
pub const NR_PWRITEV: u32 = 334;
pub const NR_RT_TGSIGQUEUEINFO: u32 = 335;
pub const NR_PERF_EVENT_OPEN: u32 = 336;
pub const NR_RECVMMSG: u32 = 337;
pub const NR_FANOTIFY_INIT: u32 = 338;
pub const NR_FANOTIFY_MARK: u32 = 339;
pub const NR_PRLIMIT64: u32 = 340;
pub const NR_NAME_TO_HANDLE_AT: u32 = 341;
pub const NR_OPEN_BY_HANDLE_AT: u32 = 342;
pub const NR_CLOCK_ADJTIME: u32 = 343;
pub const NR_SYNCFS: u32 = 344;
pub const NR_SENDMMSG: u32 = 345;
pub const NR_SETNS: u32 = 346;
pub const NR_PROCESS_VM_READV: u32 = 347;
pub const NR_PROCESS_VM_WRITEV: u32 = 348;
pub const NR_KCMP: u32 = 349;
pub const NR_FINIT_MODULE: u32 = 350;
pub const NR_SCHED_SETATTR: u32 = 351;
pub const NR_SCHED_GETATTR: u32 = 352;
pub const NR_RENAMEAT2: u32 = 353;
pub const NR_SECCOMP: u32 = 354;
pub const NR_GETRANDOM: u32 = 355;
pub const NR_MEMFD_CREATE: u32 = 356;
pub const NR_BPF: u32 = 357;
pub const NR_EXECVEAT: u32 = 358;
pub const NR_SOCKET: u32 = 359;
pub const NR_SOCKETPAIR: u32 = 360;
pub const NR_BIND: u32 = 361;
pub const NR_CONNECT: u32 = 362;
pub const NR_LISTEN: u32 = 363;
pub const NR_ACCEPT4: u32 = 364;
pub const NR_GETSOCKOPT: u32 = 365;
pub const NR_SETSOCKOPT: u32 = 366;
pub const NR_GETSOCKNAME: u32 = 367;
pub const NR_GETPEERNAME: u32 = 368;
pub const NR_SENDTO: u32 = 369;
pub const NR_SENDMSG: u32 = 370;
pub const NR_RECVFROM: u32 = 371;
pub const NR_RECVMSG: u32 = 372;
pub const NR_SHUTDOWN: u32 = 373;
pub const NR_USERFAULTFD: u32 = 374;
pub const NR_MEMBARRIER: u32 = 375;
pub const NR_MLOCK2: u32 = 376;
pub const NR_COPY_FILE_RANGE: u32 = 377;
pub const NR_PREADV2: u32 = 378;
pub const NR_PWRITEV2: u32 = 379;
pub const NR_PKEY_MPROTECT: u32 = 380;
pub const NR_PKEY_ALLOC: u32 = 381;
pub const NR_PKEY_FREE: u32 = 382;
pub const NR_STATX: u32 = 383;
pub const NR_ARCH_PRCTL: u32 = 384;
pub const NR_IO_PGETEVENTS: u32 = 385;
pub const NR_RSEQ: u32 = 386;
pub const NR_SEMGET: u32 = 393;
pub const NR_SEMCTL: u32 = 394;
pub const NR_SHMGET: u32 = 395;
pub const NR_SHMCTL: u32 = 396;
pub const NR_SHMAT: u32 = 397;
pub const NR_SHMDT: u32 = 398;
pub const NR_MSGGET: u32 = 399;
pub const NR_MSGSND: u32 = 400;
pub const NR_MSGRCV: u32 = 401;
pub const NR_MSGCTL: u32 = 402;
pub const NR_CLOCK_GETTIME64: u32 = 403;
pub const NR_CLOCK_SETTIME64: u32 = 404;
pub const NR_CLOCK_ADJTIME64: u32 = 405;
pub const NR_CLOCK_GETRES_TIME64: u32 = 406;
pub const NR_CLOCK_NANOSLEEP_TIME64: u32 = 407;
pub const NR_TIMER_GETTIME64: u32 = 408;
pub const NR_TIMER_SETTIME64: u32 = 409;
pub const NR_TIMERFD_GETTIME64: u32 = 410;
pub const NR_TIMERFD_SETTIME64: u32 = 411;
pub const NR_UTIMENSAT_TIME64: u32 = 412;
pub const NR_PSELECT6_TIME64: u32 = 413;
pub const NR_PPOLL_TIME64: u32 = 414;
pub const NR_IO_PGETEVENTS_TIME64: u32 = 416;
pub const NR_RECVMMSG_TIME64: u32 = 417;
pub const NR_MQ_TIMEDSEND_TIME64: u32 = 418;
pub const NR_MQ_TIMEDRECEIVE_TIME64: u32 = 419;
pub const NR_SEMTIMEDOP_TIME64: u32 = 420;
pub const NR_RT_SIGTIMEDWAIT_TIME64: u32 = 421;
pub const NR_FUTEX_TIME64: u32 = 422;
pub const NR_SCHED_RR_GET_INTERVAL_TIME64: u32 = 423;
pub const NR_PIDFD_SEND_SIGNAL: u32 = 424;
pub const NR_IO_URING_SETUP: u32 = 425;
pub const NR_IO_URING_ENTER: u32 = 426;
pub const NR_IO_URING_REGISTER: u32 = 427;
pub const NR_OPEN_TREE: u32 = 428;
pub const NR_MOVE_MOUNT: u32 = 429;
pub const NR_FSOPEN: u32 = 430;
pub const NR_FSCONFIG: u32 = 431;
pub const NR_FSMOUNT: u32 = 432;
pub const NR_FSPICK: u32 = 433;
pub const NR_PIDFD_OPEN: u32 = 434;
pub const NR_CLONE3: u32 = 435;
pub const NR_CLOSE_RANGE: u32 = 436;
pub const NR_OPENAT2: u32 = 437;
pub const NR_PIDFD_GETFD: u32 = 438;
pub const NR_FACCESSAT2: u32 = 439;
pub const NR_PROCESS_MADVISE: u32 = 440;
pub const NR_EPOLL_PWAIT2: u32 = 441;
pub const NR_MOUNT_SETATTR: u32 = 442;
pub const NR_QUOTACTL_FD: u32 = 443;
pub const NR_LANDLOCK_CREATE_RULESET: u32 = 444;
pub const NR_LANDLOCK_ADD_RULE: u32 = 445;
pub const NR_LANDLOCK_RESTRICT_SELF: u32 = 446;
pub const NR_MEMFD_SECRET: u32 = 447;
pub const NR_PROCESS_MRELEASE: u32 = 448;
pub const NR_FUTEX_WAITV: u32 = 449;
pub const NR_SET_MEMPOLICY_HOME_NODE: u32 = 450;

/// Names by number; `""` for numbers Linux does not use.
pub const NAMES: [&str; NR_COUNT] = [
    "restart_syscall",
    "exit",
    "fork",
    "read",
    "write",
    "open",
    "close",
    "waitpid",
    "creat",
    "link",
    "unlink",
    "execve",
    "chdir",
    "time",
    "mknod",
    "chmod",
    "lchown",
    "break",
    "oldstat",
    "lseek",
    "getpid",
    "mount",
    "umount",
    "setuid",
    "getuid",
    "stime",
    "ptrace",
    "alarm",
    "oldfstat",
    "pause",
    "utime",
    "stty",
    "gtty",
    "access",
    "nice",
    "ftime",
    "sync",
    "kill",
    "rename",
    "mkdir",
    "rmdir",
    "dup",
    "pipe",
    "times",
    "prof",
    "brk",
    "setgid",
    "getgid",
    "signal",
    "geteuid",
    "getegid",
    "acct",
    "umount2",
    "lock",
    "ioctl",
    "fcntl",
    "mpx",
    "setpgid",
    "ulimit",
    "oldolduname",
    "umask",
    "chroot",
    "ustat",
    "dup2",
    "getppid",
    "getpgrp",
    "setsid",
    "sigaction",
    "sgetmask",
    "ssetmask",
    "setreuid",
    "setregid",
    "sigsuspend",
    "sigpending",
    "sethostname",
    "setrlimit",
    "getrlimit",
    "getrusage",
    "gettimeofday",
    "settimeofday",
    "getgroups",
    "setgroups",
    "select",
    "symlink",
    "oldlstat",
    "readlink",
    "uselib",
    "swapon",
    "reboot",
    "readdir",
    "mmap",
    "munmap",
    "truncate",
    "ftruncate",
    "fchmod",
    "fchown",
    "getpriority",
    "setpriority",
    "profil",
    "statfs",
    "fstatfs",
    "ioperm",
    "socketcall",
    "syslog",
    "setitimer",
    "getitimer",
    "stat",
    "lstat",
    "fstat",
    "olduname",
    "iopl",
    "vhangup",
    "idle",
    "vm86old",
    "wait4",
    "swapoff",
    "sysinfo",
    "ipc",
    "fsync",
    "sigreturn",
    "clone",
    "setdomainname",
    "uname",
    "modify_ldt",
    "adjtimex",
    "mprotect",
    "sigprocmask",
    "create_module",
    "init_module",
    "delete_module",
    "get_kernel_syms",
    "quotactl",
    "getpgid",
    "fchdir",
    "bdflush",
    "sysfs",
    "personality",
    "afs_syscall",
    "setfsuid",
    "setfsgid",
    "_llseek",
    "getdents",
    "_newselect",
    "flock",
    "msync",
    "readv",
    "writev",
    "getsid",
    "fdatasync",
    "_sysctl",
    "mlock",
    "munlock",
    "mlockall",
    "munlockall",
    "sched_setparam",
    "sched_getparam",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_yield",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_rr_get_interval",
    "nanosleep",
    "mremap",
    "setresuid",
    "getresuid",
    "vm86",
    "query_module",
    "poll",
    "nfsservctl",
    "setresgid",
    "getresgid",
    "prctl",
    "rt_sigreturn",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "pread64",
    "pwrite64",
    "chown",
    "getcwd",
    "capget",
    "capset",
    "sigaltstack",
    "sendfile",
    "getpmsg",
    "putpmsg",
    "vfork",
    "ugetrlimit",
    "mmap2",
    "truncate64",
    "ftruncate64",
    "stat64",
    "lstat64",
    "fstat64",
    "lchown32",
    "getuid32",
    "getgid32",
    "geteuid32",
    "getegid32",
    "setreuid32",
    "setregid32",
    "getgroups32",
    "setgroups32",
    "fchown32",
    "setresuid32",
    "getresuid32",
    "setresgid32",
    "getresgid32",
    "chown32",
    "setuid32",
    "setgid32",
    "setfsuid32",
    "setfsgid32",
    "pivot_root",
    "mincore",
    "madvise",
    "getdents64",
    "fcntl64",
    "",
    "",
    "gettid",
    "readahead",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "tkill",
    "sendfile64",
    "futex",
    "sched_setaffinity",
    "sched_getaffinity",
    "set_thread_area",
    "get_thread_area",
    "io_setup",
    "io_destroy",
    "io_getevents",
    "io_submit",
    "io_cancel",
    "fadvise64",
    "",
    "exit_group",
    "lookup_dcookie",
    "epoll_create",
    "epoll_ctl",
    "epoll_wait",
    "remap_file_pages",
    "set_tid_address",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    "clock_settime",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "statfs64",
    "fstatfs64",
    "tgkill",
    "utimes",
    "fadvise64_64",
    "vserver",
    "mbind",
    "get_mempolicy",
    "set_mempolicy",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "kexec_load",
    "waitid",
    "",
    "add_key",
    "request_key",
    "keyctl",
    "ioprio_set",
    "ioprio_get",
    "inotify_init",
    "inotify_add_watch",
    "inotify_rm_watch",
    "migrate_pages",
    "openat",
    "mkdirat",
    "mknodat",
    "fchownat",
    "futimesat",
    "fstatat64",
    "unlinkat",
    "renameat",
    "linkat",
    "symlinkat",
    "readlinkat",
    "fchmodat",
    "faccessat",
    "pselect6",
    "ppoll",
    "unshare",
    "set_robust_list",
    "get_robust_list",
    "splice",
    "sync_file_range",
    "tee",
    "vmsplice",
    "move_pages",
    "getcpu",
    "epoll_pwait",
    "utimensat",
    "signalfd",
    "timerfd_create",
    "eventfd",
    "fallocate",
    "timerfd_settime",
    "timerfd_gettime",
    "signalfd4",
    "eventfd2",
    "epoll_create1",
    "dup3",
    "pipe2",
    "inotify_init1",
    "preadv",
    "pwritev",
    "rt_tgsigqueueinfo",
    "perf_event_open",
    "recvmmsg",
    "fanotify_init",
    "fanotify_mark",
    "prlimit64",
    "name_to_handle_at",
    "open_by_handle_at",
    "clock_adjtime",
    "syncfs",
    "sendmmsg",
    "setns",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "finit_module",
    "sched_setattr",
    "sched_getattr",
    "renameat2",
    "seccomp",
    "getrandom",
    "memfd_create",
    "bpf",
    "execveat",
    "socket",
    "socketpair",
    "bind",
    "connect",
    "listen",
    "accept4",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "sendto",
    "sendmsg",
    "recvfrom",
    "recvmsg",
    "shutdown",
    "userfaultfd",
    "membarrier",
    "mlock2",
    "copy_file_range",
    "preadv2",
    "pwritev2",
    "pkey_mprotect",
    "pkey_alloc",
    "pkey_free",
    "statx",
    "arch_prctl",
    "io_pgetevents",
    "rseq",
    "",
    "",
    "",
    "",
    "",
    "",
    "semget",
    "semctl",
    "shmget",
    "shmctl",
    "shmat",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "clock_gettime64",
    "clock_settime64",
    "clock_adjtime64",
    "clock_getres_time64",
    "clock_nanosleep_time64",
    "timer_gettime64",
    "timer_settime64",
    "timerfd_gettime64",
    "timerfd_settime64",
    "utimensat_time64",
    "pselect6_time64",
    "ppoll_time64",
    "",
    "io_pgetevents_time64",
    "recvmmsg_time64",
    "mq_timedsend_time64",
    "mq_timedreceive_time64",
    "semtimedop_time64",
    "rt_sigtimedwait_time64",
    "futex_time64",
    "sched_rr_get_interval_time64",
    "pidfd_send_signal",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
    "process_madvise",
    "epoll_pwait2",
    "mount_setattr",
    "quotactl_fd",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "memfd_secret",
    "process_mrelease",
    "futex_waitv",
    "set_mempolicy_home_node",
];
