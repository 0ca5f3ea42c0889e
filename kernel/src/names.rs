//! Names for code addresses. The kernel knows no symbols; whoever shows a
//! line to a person and has the program's (the CLI, from the ELF symbol
//! table and DWARF) hands them in, and every EIP the kernel prints reads
//! `0x0804904f <main+0x1f (segv_demo.c:32)>` instead of a bare number.

use std::fmt;
use toyemu_emulator::VirtAddr;

/// Names for code addresses: `main+0x1f (segv_demo.c:32)`, or `None`.
pub trait CodeNames {
    fn code_name(&self, addr: VirtAddr) -> Option<String>;
}

/// No symbols: addresses stay numbers.
pub struct NoNames;

impl CodeNames for NoNames {
    fn code_name(&self, _: VirtAddr) -> Option<String> {
        None
    }
}

/// One address whose name was found earlier (a trace event carries it).
pub struct Known<'a>(pub VirtAddr, pub Option<&'a str>);

impl CodeNames for Known<'_> {
    fn code_name(&self, addr: VirtAddr) -> Option<String> {
        (addr == self.0)
            .then(|| self.1.map(str::to_string))
            .flatten()
    }
}

/// An EIP as a person reads it: the address, then its name if there is one.
pub struct Eip<'a>(pub VirtAddr, pub &'a dyn CodeNames);

impl fmt::Display for Eip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1.code_name(self.0) {
            Some(name) => write!(f, "{} <{name}>", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eip_with_and_without_a_name() {
        let at = VirtAddr(0x0804_904f);
        assert_eq!(Eip(at, &NoNames).to_string(), "0x0804904f");
        let known = Known(at, Some("main+0x1f (segv_demo.c:32)"));
        assert_eq!(
            Eip(at, &known).to_string(),
            "0x0804904f <main+0x1f (segv_demo.c:32)>"
        );
        assert_eq!(Eip(VirtAddr(0x0804_9050), &known).to_string(), "0x08049050");
    }
}
