//! Names for guest addresses: `main+0x1c` from the ELF symbol table, and
//! `leak_demo.c:43` from DWARF line tables when the program was built with -g.

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};
use std::rc::Rc;

type Reader = gimli::EndianRcSlice<gimli::LittleEndian>;

pub struct Symbols {
    /// (address, size, name), sorted by address.
    syms: Vec<(u32, u32, String)>,
    /// The addresses of the function (text) symbols among them.
    functions: Vec<u32>,
    lines: Option<addr2line::Context<Reader>>,
}

impl Symbols {
    /// Read what the executable has; a stripped or odd file gives empty tables.
    pub fn from_elf(bytes: &[u8]) -> Symbols {
        let Ok(file) = object::File::parse(bytes) else {
            return Symbols {
                syms: Vec::new(),
                functions: Vec::new(),
                lines: None,
            };
        };
        let mut syms: Vec<(u32, u32, String)> = file
            .symbols()
            .filter(|s| matches!(s.kind(), SymbolKind::Text | SymbolKind::Data) && s.address() != 0)
            .filter_map(|s| {
                Some((
                    s.address() as u32,
                    s.size() as u32,
                    s.name().ok()?.to_string(),
                ))
            })
            .filter(|(_, _, n)| !n.is_empty())
            .collect();
        syms.sort();
        let mut functions: Vec<u32> = file
            .symbols()
            .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0)
            .map(|s| s.address() as u32)
            .collect();
        functions.sort_unstable();
        let lines = dwarf_context(&file);
        Symbols {
            syms,
            functions,
            lines,
        }
    }

    /// An address as a user types it: `0x...` hex, decimal, or a symbol of
    /// the program. gdb does not evaluate monitor arguments, but `eval
    /// "monitor pt %p", ptr` does, and writes a null pointer as `(nil)`.
    pub fn parse_addr(&self, word: &str) -> Result<u32, String> {
        let parsed = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None if word == "(nil)" => Some(0),
            None => word.parse().ok(),
        };
        parsed
            .or_else(|| self.lookup(word))
            .ok_or_else(|| format!("not an address or a symbol: {word:?}"))
    }

    /// The address of a symbol by name.
    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.syms
            .iter()
            .find(|(_, _, n)| n == name)
            .map(|(a, _, _)| *a)
    }

    /// The entry point of the function `name`: a text symbol, not data.
    pub fn function(&self, name: &str) -> Option<u32> {
        self.syms
            .iter()
            .find(|(a, _, n)| n == name && self.functions.binary_search(a).is_ok())
            .map(|(a, _, _)| *a)
    }

    /// `name+0xoff` for the symbol containing `addr` (or the nearest one below).
    pub fn name(&self, addr: u32) -> Option<String> {
        let i = self.syms.partition_point(|(a, _, _)| *a <= addr);
        let (start, size, name) = self.syms.get(i.checked_sub(1)?)?;
        let off = addr - start;
        if *size != 0 && off >= *size {
            return None;
        }
        Some(if off == 0 {
            name.clone()
        } else {
            format!("{name}+{off:#x}")
        })
    }

    /// `file:line` for `addr`, from DWARF.
    pub fn line(&self, addr: u32) -> Option<String> {
        let loc = self.lines.as_ref()?.find_location(addr as u64).ok()??;
        let file = loc.file?.rsplit('/').next()?.to_string();
        Some(match loc.line {
            Some(l) => format!("{file}:{l}"),
            None => file,
        })
    }

    /// Everything known: `main+0x1c (leak_demo.c:43)`, or the bare address.
    pub fn describe(&self, addr: u32) -> String {
        match (self.name(addr), self.line(addr)) {
            (Some(n), Some(l)) => format!("{n} ({l})"),
            (Some(n), None) => n,
            (None, Some(l)) => format!("{addr:#010x} ({l})"),
            (None, None) => format!("{addr:#010x}"),
        }
    }
}

fn dwarf_context(file: &object::File) -> Option<addr2line::Context<Reader>> {
    file.section_by_name(".debug_info")?;
    let load = |id: gimli::SectionId| -> Result<Reader, gimli::Error> {
        let data = file
            .section_by_name(id.name())
            .and_then(|s| s.uncompressed_data().ok())
            .unwrap_or_default();
        Ok(Reader::new(Rc::from(&*data), gimli::LittleEndian))
    };
    let dwarf = gimli::Dwarf::load(load).ok()?;
    addr2line::Context::from_dwarf(dwarf).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_hex_decimal_or_symbols() {
        let syms = Symbols::from_elf(&[]);
        assert_eq!(syms.parse_addr("0x0804f000"), Ok(0x0804_f000));
        assert_eq!(syms.parse_addr("4096"), Ok(4096));
        assert_eq!(syms.parse_addr("(nil)"), Ok(0));
        assert!(syms.parse_addr("nowhere").is_err());
        assert!(syms.parse_addr("0x1_0000_0000").is_err());
    }
}
