//! The initial user stack, as the i386 System V ABI and Linux's
//! `create_elf_tables` lay it out:
//!
//! ```text
//! STACK_TOP  0xc0000000
//!            [ 4 zero bytes: end marker                  ]
//!            [ program name (AT_EXECFN)                  ]
//!            [ environment strings, argument strings      ]
//!            [ "i686" (AT_PLATFORM), 16 AT_RANDOM bytes   ]
//!            [ padding to 16 bytes                        ]
//!            [ auxv: (type, value) pairs ... AT_NULL, 0   ]
//!            [ envp[0] ... NULL                           ]
//!            [ argv[0] ... NULL                           ]
//! ESP ->     [ argc                                       ]   (16-byte aligned)
//! ```

use crate::elf::ElfImage;
use crate::layout::{STACK_TOP, UID};

pub const AT_NULL: u32 = 0;
pub const AT_PHDR: u32 = 3;
pub const AT_PHENT: u32 = 4;
pub const AT_PHNUM: u32 = 5;
pub const AT_PAGESZ: u32 = 6;
pub const AT_BASE: u32 = 7;
pub const AT_FLAGS: u32 = 8;
pub const AT_ENTRY: u32 = 9;
pub const AT_UID: u32 = 11;
pub const AT_EUID: u32 = 12;
pub const AT_GID: u32 = 13;
pub const AT_EGID: u32 = 14;
pub const AT_PLATFORM: u32 = 15;
pub const AT_HWCAP: u32 = 16;
pub const AT_CLKTCK: u32 = 17;
pub const AT_SECURE: u32 = 23;
pub const AT_RANDOM: u32 = 25;
pub const AT_EXECFN: u32 = 31;

/// The AT_RANDOM bytes: fixed, so runs are reproducible.
pub const AT_RANDOM_BYTES: [u8; 16] = *b"toyemu-no-random";
/// CPUID.1:EDX of a plain i686 with FPU, TSC, CX8, CMOV (what AT_HWCAP carries).
pub const HWCAP: u32 = 0x0000_8111;

/// The bytes of the initial stack and where they go.
pub struct InitialStack {
    /// Lowest address; ESP points here.
    pub esp: u32,
    pub bytes: Vec<u8>,
}

/// Build the stack image for `argv`/`envp`; the caller copies it to `esp`.
pub fn build(image: &ElfImage, argv: &[Vec<u8>], envp: &[Vec<u8>]) -> InitialStack {
    // Strings first, from the top down; remember their addresses.
    let mut strings: Vec<u8> = Vec::new(); // grows downwards: built reversed later
    let mut top = STACK_TOP.0 - 4; // end marker
    let mut place = |s: &[u8], strings: &mut Vec<u8>| -> u32 {
        top -= s.len() as u32 + 1;
        let mut piece = s.to_vec();
        piece.push(0);
        piece.extend_from_slice(strings);
        *strings = piece;
        top
    };
    let execfn = place(argv.first().map_or(&b""[..], |a| a), &mut strings);
    let env_addrs: Vec<u32> = envp
        .iter()
        .rev()
        .map(|e| place(e, &mut strings))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let arg_addrs: Vec<u32> = argv
        .iter()
        .rev()
        .map(|a| place(a, &mut strings))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let platform = place(b"i686", &mut strings);
    top -= 16;
    let random = top;
    let mut blob = AT_RANDOM_BYTES.to_vec();
    blob.extend_from_slice(&strings);
    strings = blob;

    let auxv: [(u32, u32); 18] = [
        (AT_HWCAP, HWCAP),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_PHDR, image.phdr.0),
        (AT_PHENT, image.phent),
        (AT_PHNUM, image.phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry.0),
        (AT_UID, UID),
        (AT_EUID, UID),
        (AT_GID, UID),
        (AT_EGID, UID),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_EXECFN, execfn),
        (AT_PLATFORM, platform),
        (AT_NULL, 0),
    ];
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * auxv.len();
    let esp = (top - 4 * words as u32) & !15;
    let mut table: Vec<u32> = Vec::with_capacity(words);
    table.push(argv.len() as u32);
    table.extend(&arg_addrs);
    table.push(0);
    table.extend(&env_addrs);
    table.push(0);
    for (k, v) in auxv {
        table.push(k);
        table.push(v);
    }
    let mut bytes: Vec<u8> = table.iter().flat_map(|w| w.to_le_bytes()).collect();
    bytes.resize((top - esp) as usize, 0); // padding between the table and the strings
    bytes.extend_from_slice(&strings);
    bytes.extend_from_slice(&[0; 4]);
    debug_assert_eq!(esp as usize + bytes.len(), STACK_TOP.0 as usize);
    InitialStack { esp, bytes }
}
