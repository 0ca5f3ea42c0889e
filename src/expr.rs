//! Address expressions as a debugger user types them: `$esp+8`, `$eax`,
//! `buf+16`, `*($esp+4)`, `0x0804f000`, `(nil)`. Numbers are decimal or
//! `0x` hex; `$name` is a register, a bare name a symbol of the program;
//! `+ - * /` and parentheses as in C, unary `-`, and unary `*` reads the
//! 32-bit word at an address (as gdb's `*(int *)`). Arithmetic wraps at
//! 32 bits, as the machine's does.

/// What an expression can refer to.
pub trait Env {
    /// A register by name without the `$`: `eax`, `esp`, `eip`, `pc`, ...
    fn register(&self, name: &str) -> Option<u32>;
    /// A symbol of the program.
    fn symbol(&self, name: &str) -> Option<u32>;
    /// The 32-bit word at `addr`, if it can be read.
    fn read_u32(&self, addr: u32) -> Option<u32>;
}

/// Evaluate `text` in `env`.
pub fn eval(text: &str, env: &dyn Env) -> Result<u32, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
        env,
    };
    let v = p.sum(0)?;
    p.skip_space();
    match p.peek() {
        None => Ok(v),
        Some(c) => Err(format!(
            "unexpected {:?} in expression {text:?}",
            char::from(c)
        )),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    env: &'a dyn Env,
}

/// How deep parentheses and unary operators may nest: a bound, so that no
/// input can exhaust the host's stack.
const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    fn skip_space(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    /// The next non-space byte, if it is one of `ops` (consumed).
    fn op(&mut self, ops: &[u8]) -> Option<u8> {
        self.skip_space();
        let c = self.peek().filter(|c| ops.contains(c))?;
        self.at += 1;
        Some(c)
    }

    fn product(&mut self, depth: usize) -> Result<u32, String> {
        let mut v = self.unary(depth)?;
        while let Some(op) = self.op(b"*/") {
            let r = self.unary(depth)?;
            v = match op {
                b'*' => v.wrapping_mul(r),
                _ if r == 0 => return Err("division by zero".into()),
                _ => v / r,
            };
        }
        Ok(v)
    }

    fn unary(&mut self, depth: usize) -> Result<u32, String> {
        if depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        match self.op(b"-*") {
            Some(b'-') => Ok(self.unary(depth + 1)?.wrapping_neg()),
            Some(_) => {
                let addr = self.unary(depth + 1)?;
                self.env
                    .read_u32(addr)
                    .ok_or_else(|| format!("cannot read memory at {addr:#010x}"))
            }
            None => self.primary(depth),
        }
    }

    fn primary(&mut self, depth: usize) -> Result<u32, String> {
        self.skip_space();
        let start = self.at;
        match self.peek() {
            Some(b'(') => {
                if self.s[self.at..].starts_with(b"(nil)") {
                    // How glibc's printf writes a null pointer (`eval "x %p"`).
                    self.at += 5;
                    return Ok(0);
                }
                self.at += 1;
                let v = self.sum(depth + 1)?;
                match self.op(b")") {
                    Some(_) => Ok(v),
                    None => Err("missing ')'".into()),
                }
            }
            Some(b'$') => {
                self.at += 1;
                let name = self.word();
                self.env
                    .register(name)
                    .ok_or_else(|| format!("no register ${name}"))
            }
            Some(c) if c.is_ascii_digit() => {
                let w = self.word();
                let v = match w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => w.parse().ok(),
                };
                v.ok_or_else(|| format!("not a 32-bit number: {w:?}"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b'.' => {
                let name = self.word();
                self.env
                    .symbol(name)
                    .ok_or_else(|| format!("no symbol {name:?} in the program"))
            }
            Some(c) => Err(format!("unexpected {:?} at {start}", char::from(c))),
            None => Err("an expression was expected".into()),
        }
    }

    fn sum(&mut self, depth: usize) -> Result<u32, String> {
        if depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let mut v = self.product(depth)?;
        while let Some(op) = self.op(b"+-") {
            let r = self.product(depth)?;
            v = if op == b'+' {
                v.wrapping_add(r)
            } else {
                v.wrapping_sub(r)
            };
        }
        Ok(v)
    }

    /// A run of identifier characters (names, numbers).
    fn word(&mut self) -> &'a str {
        let s: &'a [u8] = self.s;
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            self.at += 1;
        }
        // Only ASCII was taken, so this is valid UTF-8.
        std::str::from_utf8(&s[start..self.at]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;
    impl Env for Fake {
        fn register(&self, name: &str) -> Option<u32> {
            match name {
                "esp" => Some(0xbfff_fe00),
                "eax" => Some(7),
                _ => None,
            }
        }
        fn symbol(&self, name: &str) -> Option<u32> {
            (name == "main").then_some(0x0804_9000)
        }
        fn read_u32(&self, addr: u32) -> Option<u32> {
            (addr == 0xbfff_fe04).then_some(0x0804_c0de)
        }
    }

    fn ev(s: &str) -> Result<u32, String> {
        eval(s, &Fake)
    }

    #[test]
    fn registers_symbols_numbers_and_operators() {
        assert_eq!(ev("$esp+8"), Ok(0xbfff_fe08));
        assert_eq!(ev(" $esp - 0x10 "), Ok(0xbfff_fdf0));
        assert_eq!(ev("main+4*2"), Ok(0x0804_9008));
        assert_eq!(ev("(main+4)*2"), Ok(0x1009_2008));
        assert_eq!(ev("$eax/2"), Ok(3));
        assert_eq!(ev("-1"), Ok(0xffff_ffff));
        assert_eq!(ev("4096"), Ok(4096));
        assert_eq!(ev("(nil)"), Ok(0));
        assert_eq!(ev("*($esp+4)"), Ok(0x0804_c0de));
        assert_eq!(ev("0xffffffff+1"), Ok(0), "wraps as the machine does");
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        assert!(ev("$nosuch").unwrap_err().contains("no register $nosuch"));
        assert!(ev("nowhere").unwrap_err().contains("no symbol"));
        assert!(ev("*0")
            .unwrap_err()
            .contains("cannot read memory at 0x00000000"));
        assert!(ev("1/0").unwrap_err().contains("division by zero"));
        assert!(ev("(1+2").unwrap_err().contains("missing ')'"));
        assert!(ev("1 2").is_err());
        assert!(ev("").is_err());
        assert!(ev("0x1_0000_0000").is_err());
        assert!(ev("99999999999").is_err());
        // Deep nesting is an error, not a host stack overflow.
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(ev(&deep).is_err());
        assert!(ev(&"-".repeat(10_000)).is_err());
        assert!(ev(&"*".repeat(10_000)).is_err());
    }
}
