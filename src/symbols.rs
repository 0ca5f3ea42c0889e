//! Names for guest addresses: `main+0x1c` from the ELF symbol table, and
//! `leak_demo.c:43` from DWARF line tables when the program was built with -g;
//! and the other way, the code of a source line (`break leak_demo.c:40`).

use crate::unwind::{Cfi, Reader};
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};
use std::cell::OnceCell;
use std::rc::Rc;
use std::sync::Arc;
use toyemu_emulator::disasm::disassemble_branch;
use toyemu_emulator::VirtAddr;

pub struct Symbols {
    /// The executable the tables come from, read the first time a name, a
    /// line or a frame is asked for: an ordinary run never asks.
    elf: Arc<[u8]>,
    names: OnceCell<Names>,
    lines: OnceCell<Option<Lines>>,
    cfi: OnceCell<Cfi>,
}

/// The ELF symbol table.
struct Names {
    /// (address, size, name), sorted by address.
    syms: Vec<(u32, u32, String)>,
    /// The addresses of the function (text) symbols among them.
    functions: Vec<u32>,
}

/// The DWARF of a program built with -g.
struct Lines {
    /// Address to line (`None` when addr2line cannot index the units).
    context: Option<addr2line::Context<Reader>>,
    /// The same DWARF, for walking whole line tables (addr2line answers
    /// only address to line).
    dwarf: Arc<gimli::Dwarf<Reader>>,
    rows: OnceCell<Vec<LineRow>>,
}

/// One row of a line table: the code at `addr` begins `line` of `file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRow {
    pub addr: u32,
    /// The path as the compiler recorded it (directory joined).
    pub file: Rc<str>,
    pub line: u32,
}

impl Symbols {
    /// Read what the executable has; a stripped or odd file gives empty tables.
    pub fn from_elf(bytes: &[u8]) -> Symbols {
        Symbols::of(Arc::from(bytes))
    }

    /// The same, sharing the executable's bytes; nothing is read until
    /// it is needed.
    pub fn of(elf: Arc<[u8]>) -> Symbols {
        Symbols {
            elf,
            names: OnceCell::new(),
            lines: OnceCell::new(),
            cfi: OnceCell::new(),
        }
    }

    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let Ok(file) = object::File::parse(&*self.elf) else {
                return Names {
                    syms: Vec::new(),
                    functions: Vec::new(),
                };
            };
            let mut syms: Vec<(u32, u32, String)> = file
                .symbols()
                .filter(|s| {
                    matches!(s.kind(), SymbolKind::Text | SymbolKind::Data) && s.address() != 0
                })
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
            Names { syms, functions }
        })
    }

    fn lines(&self) -> Option<&Lines> {
        self.lines
            .get_or_init(|| {
                let file = object::File::parse(&*self.elf).ok()?;
                // Shared with addr2line, whose constructor takes an Arc; it
                // never leaves this thread.
                #[allow(clippy::arc_with_non_send_sync)]
                let dwarf = Arc::new(load_dwarf(&file)?);
                let context = addr2line::Context::from_arc_dwarf(dwarf.clone()).ok();
                Some(Lines {
                    context,
                    dwarf,
                    rows: OnceCell::new(),
                })
            })
            .as_ref()
    }

    /// Call frame information, for backtraces.
    pub fn cfi(&self) -> &Cfi {
        self.cfi
            .get_or_init(|| match object::File::parse(&*self.elf) {
                Ok(file) => Cfi::from_elf(&file),
                Err(_) => Cfi::default(),
            })
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
        self.names()
            .syms
            .iter()
            .find(|(_, _, n)| n == name)
            .map(|(a, _, _)| *a)
    }

    /// Whether the program has no symbols at all (it was stripped).
    pub fn is_empty(&self) -> bool {
        self.names().syms.is_empty()
    }

    /// The entry point of the function `name`: a text symbol, not data.
    pub fn function_entry(&self, name: &str) -> Option<u32> {
        let names = self.names();
        names
            .syms
            .iter()
            .find(|(a, _, n)| n == name && names.functions.binary_search(a).is_ok())
            .map(|(a, _, _)| *a)
    }

    /// `name+0xoff` for the symbol containing `addr` (or the nearest one below).
    pub fn name(&self, addr: u32) -> Option<String> {
        let syms = &self.names().syms;
        let i = syms.partition_point(|(a, _, _)| *a <= addr);
        let (start, size, name) = syms.get(i.checked_sub(1)?)?;
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
        let loc = self
            .lines()?
            .context
            .as_ref()?
            .find_location(addr as u64)
            .ok()??;
        let file = loc.file?.rsplit('/').next()?.to_string();
        Some(match loc.line {
            Some(l) => format!("{file}:{l}"),
            None => file,
        })
    }

    /// Everything known: `main+0x1c (leak_demo.c:43)`, or the bare address.
    pub fn describe(&self, addr: u32) -> String {
        self.known(addr).unwrap_or_else(|| format!("{addr:#010x}"))
    }

    /// `main+0x1c (leak_demo.c:43)`, `main+0x1c` or `(leak_demo.c:43)`;
    /// `None` when nothing is known of `addr`.
    pub fn known(&self, addr: u32) -> Option<String> {
        match (self.name(addr), self.line(addr)) {
            (Some(n), Some(l)) => Some(format!("{n} ({l})")),
            (Some(n), None) => Some(n),
            (None, Some(l)) => Some(format!("({l})")),
            (None, None) => None,
        }
    }

    /// An instruction as people read it, at `eip`: its length and gdb's
    /// AT&T text, a direct branch's target named (`call 0x8049010 <square
    /// (gdb_target.c:9)>`).
    pub fn disassemble(&self, bytes: &[u8], eip: u32) -> (usize, String) {
        let (len, text, target) = disassemble_branch(bytes, VirtAddr(eip));
        match target.and_then(|t| self.known(t.0)) {
            Some(name) => (len, format!("{text} <{name}>")),
            None => (len, text),
        }
    }

    /// A return address as a backtrace shows it: the symbol of `ra`, the
    /// line of the call before it (`ra` is already the next line's code).
    pub fn describe_return(&self, ra: u32) -> String {
        match (self.name(ra), self.line(ra.wrapping_sub(1))) {
            (Some(n), Some(l)) => format!("{n} ({l})"),
            (Some(n), None) => n,
            (None, Some(l)) => format!("{ra:#010x} ({l})"),
            (None, None) => format!("{ra:#010x}"),
        }
    }

    /// The function symbol containing `addr`: its start and name.
    pub fn function(&self, addr: u32) -> Option<(u32, &str)> {
        let syms = &self.names().syms;
        let i = syms.partition_point(|(a, _, _)| *a <= addr);
        let (start, size, name) = syms.get(i.checked_sub(1)?)?;
        (*size == 0 || addr - start < *size).then_some((*start, name.as_str()))
    }

    /// The source file (as the line table names it) of the code at `addr`.
    pub fn file_of(&self, addr: u32) -> Option<Rc<str>> {
        self.rows()
            .iter()
            .filter(|r| r.addr <= addr)
            .max_by_key(|r| r.addr)
            .map(|r| r.file.clone())
    }

    /// Where a breakpoint on `file:line` goes, as gdb places it: the first
    /// line at or after `line` that has code, at the lowest address of that
    /// line. `file` matches a path or its last components (`leak_demo.c`,
    /// `libc/malloc.c`). Returns the address and the line chosen.
    pub fn line_address(&self, file: &str, line: u32) -> Result<(u32, u32), String> {
        let rows = self.rows();
        if rows.is_empty() {
            return Err("no line tables: the program was not built with -g".into());
        }
        let wanted = |path: &str| {
            path == file
                || path
                    .strip_suffix(file)
                    .is_some_and(|head| head.ends_with('/'))
        };
        let mine: Vec<&LineRow> = rows.iter().filter(|r| wanted(&r.file)).collect();
        if mine.is_empty() {
            return Err(format!("no source file named {file:?} in the line tables"));
        }
        let chosen = mine
            .iter()
            .map(|r| r.line)
            .filter(|&l| l >= line)
            .min()
            .ok_or_else(|| format!("{file} has no code at or after line {line}"))?;
        let addr = mine
            .iter()
            .filter(|r| r.line == chosen)
            .map(|r| r.addr)
            .min()
            .unwrap_or_default();
        Ok((addr, chosen))
    }

    /// Every statement row of every line table, sorted by address (made
    /// the first time it is needed).
    pub fn rows(&self) -> &[LineRow] {
        match self.lines() {
            Some(l) => l.rows.get_or_init(|| line_rows(&l.dwarf)),
            None => &[],
        }
    }
}

/// The kernel's trace lines and death messages name EIPs through this.
impl toyemu_kernel::names::CodeNames for Symbols {
    fn code_name(&self, addr: VirtAddr) -> Option<String> {
        self.known(addr.0)
    }
}

fn load_dwarf(file: &object::File) -> Option<gimli::Dwarf<Reader>> {
    file.section_by_name(".debug_info")?;
    let load = |id: gimli::SectionId| -> Result<Reader, gimli::Error> {
        let data = file
            .section_by_name(id.name())
            .and_then(|s| s.uncompressed_data().ok())
            .unwrap_or_default();
        Ok(Reader::new(Rc::from(&*data), gimli::LittleEndian))
    };
    gimli::Dwarf::load(load).ok()
}

/// The statement rows of all units; a unit that does not parse is skipped.
fn line_rows(dwarf: &gimli::Dwarf<Reader>) -> Vec<LineRow> {
    use gimli::Reader as _;
    let mut out = Vec::new();
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let text = |v| {
            dwarf
                .attr_string(&unit, v)
                .ok()
                .and_then(|r| r.to_string_lossy().ok().map(|s| s.into_owned()))
        };
        let comp_dir = unit
            .comp_dir
            .as_ref()
            .and_then(|d| d.to_string_lossy().ok().map(|s| s.into_owned()));
        let mut files: Vec<(u64, Rc<str>)> = Vec::new();
        let mut rows = program.rows();
        while let Ok(Some((header, row))) = rows.next_row() {
            if row.end_sequence() || !row.is_stmt() {
                continue;
            }
            let Some(line) = row.line() else { continue };
            let index = row.file_index();
            let file = match files.iter().find(|(i, _)| *i == index) {
                Some((_, f)) => f.clone(),
                None => {
                    let Some(entry) = row.file(header) else {
                        continue;
                    };
                    let name = text(entry.path_name()).unwrap_or_default();
                    let dir = entry.directory(header).and_then(text);
                    let path = join(comp_dir.as_deref(), dir.as_deref(), &name);
                    let f: Rc<str> = Rc::from(path);
                    files.push((index, f.clone()));
                    f
                }
            };
            out.push(LineRow {
                addr: row.address() as u32,
                file,
                line: line.get() as u32,
            });
        }
    }
    out.sort_by_key(|r| r.addr);
    out
}

/// `name` under `dir` under `comp_dir`, each only if the next is relative.
fn join(comp_dir: Option<&str>, dir: Option<&str>, name: &str) -> String {
    let mut path = String::new();
    for part in [comp_dir, dir, Some(name)].into_iter().flatten() {
        if part.starts_with('/') {
            path.clear();
        } else if !path.is_empty() && !path.ends_with('/') {
            path.push('/');
        }
        path.push_str(part);
    }
    path
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

    #[test]
    fn paths_join_as_the_line_table_means_them() {
        assert_eq!(
            join(Some("/w/u"), Some("libc"), "malloc.c"),
            "/w/u/libc/malloc.c"
        );
        assert_eq!(
            join(Some("/w/u"), Some("/usr/include"), "a.h"),
            "/usr/include/a.h"
        );
        assert_eq!(join(None, None, "x.c"), "x.c");
        assert_eq!(join(Some("/w"), None, "/abs/x.c"), "/abs/x.c");
    }

    fn leak_demo() -> Symbols {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/userland/leak_demo");
        Symbols::from_elf(&std::fs::read(path).expect("userland is built by build.rs"))
    }

    #[test]
    fn a_source_line_maps_back_to_its_code() {
        let syms = leak_demo();
        let main = syms.lookup("main").unwrap();
        // main's first line is its opening: the breakpoint is main itself.
        let first = syms.line(main).unwrap();
        let line: u32 = first.rsplit(':').next().unwrap().parse().unwrap();
        assert_eq!(syms.line_address("leak_demo.c", line), Ok((main, line)));
        // A longer path matches too; another file's line does not.
        assert_eq!(
            syms.line_address("userland/leak_demo.c", line).map(|r| r.0),
            Ok(main)
        );
        assert!(syms.line_address("ak_demo.c", line).is_err());
        assert!(syms.line_address("leak_demo.c", 100_000).is_err());
        // Each row's address names its own line again.
        for r in syms
            .rows()
            .iter()
            .filter(|r| r.file.ends_with("leak_demo.c"))
        {
            let (addr, l) = syms.line_address("leak_demo.c", r.line).unwrap();
            assert_eq!(l, r.line);
            assert!(addr <= r.addr);
        }
        assert_eq!(
            syms.file_of(main)
                .as_deref()
                .map(|f| f.ends_with("/leak_demo.c")),
            Some(true)
        );
    }
}
