//! Operations that exercise every IR legalisation and relinking step. Pure functions:
//! the same code is the on-chain program and the native reference.

use std::fmt::Write as _;

pub const OP_U64: u8 = 0;
pub const OP_WIDE: u8 = 1;
pub const OP_MANY_ARGS: u8 = 2;
pub const OP_MEM: u8 = 3;
pub const OP_DYN: u8 = 4;
pub const OP_FMT: u8 = 5;

/// Largest return data the runtime accepts.
pub const MAX_OUTPUT: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum SelftestError {
    UnknownOp = 1,
    ShortInput = 2,
    BadMemRange = 3,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SelftestError> {
        if self.0.len() < n {
            return Err(SelftestError::ShortInput);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, SelftestError> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, SelftestError> {
        Ok(u64::from_le_bytes(
            self.take(8)?
                .try_into()
                .map_err(|_| SelftestError::ShortInput)?,
        ))
    }
    fn u128(&mut self) -> Result<u128, SelftestError> {
        Ok(u128::from_le_bytes(
            self.take(16)?
                .try_into()
                .map_err(|_| SelftestError::ShortInput)?,
        ))
    }
}

fn put_opt64(out: &mut Vec<u8>, v: Option<u64>) {
    out.push(v.is_some() as u8);
    out.extend_from_slice(&v.unwrap_or(0).to_le_bytes());
}

fn put_opt128(out: &mut Vec<u8>, v: Option<u128>) {
    out.push(v.is_some() as u8);
    out.extend_from_slice(&v.unwrap_or(0).to_le_bytes());
}

pub fn run(input: &[u8]) -> Result<Vec<u8>, SelftestError> {
    let mut r = Reader(input);
    let out = match r.u8()? {
        OP_U64 => u64_ops(r.u64()?, r.u64()?),
        OP_WIDE => wide_ops(r.u128()?, r.u128()?, r.u8()?),
        OP_MANY_ARGS => many_args_ops(&mut r)?,
        OP_MEM => mem_ops(&mut r)?,
        OP_DYN => dyn_ops(r.u8()?, r.u64()?),
        OP_FMT => fmt_ops(r.u64()?, r.u64()? as i64, r.take(r.0.len().min(64))?),
        _ => return Err(SelftestError::UnknownOp),
    };
    Ok(out)
}

/// u64 multiply-with-overflow in all its Rust spellings (`checked_mul` is what every
/// token amount calculation uses).
fn u64_ops(a: u64, b: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    put_opt64(&mut out, a.checked_mul(b));
    out.extend_from_slice(&a.wrapping_mul(b).to_le_bytes());
    let (v, o) = a.overflowing_mul(b);
    out.extend_from_slice(&v.to_le_bytes());
    out.push(o as u8);
    out.extend_from_slice(&a.saturating_mul(b).to_le_bytes());
    put_opt64(&mut out, (a as i64).checked_mul(b as i64).map(|v| v as u64));
    put_opt64(&mut out, a.checked_add(b));
    put_opt64(&mut out, a.checked_sub(b));
    put_opt64(&mut out, a.checked_div(b));
    put_opt64(&mut out, a.checked_rem(b));
    put_opt64(&mut out, (a as i64).checked_div(b as i64).map(|v| v as u64));
    // The bps pattern: amount * bps / 10_000 through u128.
    let bps = b % 10_001;
    let fee = (u128::from(a) * u128::from(bps) / 10_000) as u64;
    out.extend_from_slice(&fee.to_le_bytes());
    out
}

/// 128-bit multiply, divide, remainder and shifts.
fn wide_ops(a: u128, b: u128, shift: u8) -> Vec<u8> {
    let s = u32::from(shift % 128);
    let (ia, ib) = (a as i128, b as i128);
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&a.wrapping_mul(b).to_le_bytes());
    put_opt128(&mut out, a.checked_mul(b));
    out.extend_from_slice(&ia.wrapping_mul(ib).to_le_bytes());
    put_opt128(&mut out, ia.checked_mul(ib).map(|v| v as u128));
    // u64 x u64 -> u128: the widening product behind every amount calculation.
    let full = u128::from(a as u64) * u128::from(b as u64);
    out.extend_from_slice(&full.to_le_bytes());
    put_opt128(&mut out, a.checked_div(b));
    put_opt128(&mut out, a.checked_rem(b));
    put_opt128(&mut out, ia.checked_div(ib).map(|v| v as u128));
    put_opt128(&mut out, ia.checked_rem(ib).map(|v| v as u128));
    // Divisors that fit in 64 bits take a different path in the expansion.
    let small = (b as u64) | 1;
    out.extend_from_slice(&(a / u128::from(small)).to_le_bytes());
    out.extend_from_slice(&(a % u128::from(small)).to_le_bytes());
    // Constant power-of-two divisors: LLVM's division expansion leaves these alone.
    out.extend_from_slice(&(ia / 16).to_le_bytes());
    out.extend_from_slice(&(ia % -8).to_le_bytes());
    out.extend_from_slice(&(a / (1 << 70)).to_le_bytes());
    out.extend_from_slice(&(a << s).to_le_bytes());
    out.extend_from_slice(&(a >> s).to_le_bytes());
    out.extend_from_slice(&(ia >> s).to_le_bytes());
    out.extend_from_slice(&a.rotate_left(s).to_le_bytes());
    out.extend_from_slice(&a.leading_zeros().to_le_bytes());
    out.extend_from_slice(&a.trailing_zeros().to_le_bytes());
    out
}

/// Passed and returned by value: large enough to need `sret`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mixed {
    pub sum: u128,
    pub product: u64,
    pub xor: u32,
    pub flags: u16,
    pub tail: [u8; 5],
}

/// More than five arguments of mixed widths (BPF passes five in registers).
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn eight_args(a: u8, b: u16, c: u32, d: u64, e: u128, f: i64, g: &[u8], h: bool) -> Mixed {
    let mut tail = [0u8; 5];
    for (i, byte) in g.iter().enumerate() {
        tail[i % 5] = tail[i % 5].wrapping_add(*byte).rotate_left(1);
    }
    Mixed {
        sum: e.wrapping_add(u128::from(d)).wrapping_add(f as u128),
        product: d.wrapping_mul(u64::from(c)).wrapping_add(u64::from(a)),
        xor: c ^ u32::from(b) ^ (g.len() as u32),
        flags: b.rotate_left(u32::from(a % 16)) ^ (h as u16),
        tail,
    }
}

/// Seven arguments, the last ones wide, and forwarding to the eight-argument function.
#[inline(never)]
fn seven_args(x: u64, y: u64, z: u128, w: u8, v: &[u8], u: i64, t: u16) -> (Mixed, u64) {
    let m = eight_args(w, t, (x >> 32) as u32, y, z, u, v, x & 1 == 1);
    (m, x.rotate_right(u32::from(w)) ^ y)
}

fn many_args_ops(r: &mut Reader<'_>) -> Result<Vec<u8>, SelftestError> {
    let x = r.u64()?;
    let y = r.u64()?;
    let z = r.u128()?;
    let w = r.u8()?;
    let n = usize::from(r.u8()? % 48);
    let v = r.take(n.min(r.0.len()))?;
    let (m, k) = seven_args(x, y, z, w, v, y as i64, (x >> 7) as u16);
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&m.sum.to_le_bytes());
    out.extend_from_slice(&m.product.to_le_bytes());
    out.extend_from_slice(&m.xor.to_le_bytes());
    out.extend_from_slice(&m.flags.to_le_bytes());
    out.extend_from_slice(&m.tail);
    out.extend_from_slice(&k.to_le_bytes());
    Ok(out)
}

/// memcpy / memmove / memset / memcmp with odd, data-dependent lengths and overlaps.
fn mem_ops(r: &mut Reader<'_>) -> Result<Vec<u8>, SelftestError> {
    let len = usize::from(r.u8()?);
    let src = usize::from(r.u8()?);
    let dst = usize::from(r.u8()?);
    let n = usize::from(r.u8()?);
    let fill = r.u8()?;
    let buf = r.take(len)?;
    if src + n > len || dst + n > len {
        return Err(SelftestError::BadMemRange);
    }
    let mut moved = buf.to_vec();
    moved.copy_within(src..src + n, dst); // memmove, possibly overlapping
    let mut copied = vec![fill; n + (len & 7)];
    copied[..n].copy_from_slice(&buf[src..src + n]); // memcpy of a variable length
    let mut filled = buf.to_vec();
    filled[dst..dst + n].fill(fill); // memset of a variable length
    let equal = buf[src..src + n] == buf[dst..dst + n]; // memcmp / bcmp
    let mut out = Vec::with_capacity(3 * len + 8);
    out.extend_from_slice(&moved);
    out.extend_from_slice(&copied);
    out.extend_from_slice(&filled);
    out.push(equal as u8);
    Ok(out)
}

/// Dynamic dispatch through vtables in read-only data and a table of function pointers.
trait Step {
    fn apply(&self, x: u64) -> u64;
    fn name(&self) -> &'static str;
}

struct AddK(u64);
struct MulK(u64);
struct Rotate(u32);
struct Xorshift;

impl Step for AddK {
    fn apply(&self, x: u64) -> u64 {
        x.wrapping_add(self.0)
    }
    fn name(&self) -> &'static str {
        "add"
    }
}
impl Step for MulK {
    fn apply(&self, x: u64) -> u64 {
        x.wrapping_mul(self.0)
    }
    fn name(&self) -> &'static str {
        "mul"
    }
}
impl Step for Rotate {
    fn apply(&self, x: u64) -> u64 {
        x.rotate_left(self.0)
    }
    fn name(&self) -> &'static str {
        "rotate"
    }
}
impl Step for Xorshift {
    fn apply(&self, mut x: u64) -> u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^ (x << 17)
    }
    fn name(&self) -> &'static str {
        "xorshift"
    }
}

fn double(x: u64) -> u64 {
    x.wrapping_mul(2)
}
fn negate(x: u64) -> u64 {
    x.wrapping_neg()
}
fn swap_halves(x: u64) -> u64 {
    x.rotate_left(32)
}
static TABLE: [fn(u64) -> u64; 3] = [double, negate, swap_halves];

fn dyn_ops(selector: u8, x: u64) -> Vec<u8> {
    let steps: Vec<Box<dyn Step>> = (0..4)
        .map(|i| -> Box<dyn Step> {
            match (selector >> (2 * i)) & 3 {
                0 => Box::new(AddK(x | 1)),
                1 => Box::new(MulK(x ^ 0x9e37_79b9_7f4a_7c15)),
                2 => Box::new(Rotate(u32::from(selector))),
                _ => Box::new(Xorshift),
            }
        })
        .collect();
    let mut value = x;
    let mut names = String::new();
    for step in &steps {
        value = step.apply(value);
        value = TABLE[usize::from(selector) % TABLE.len()](value);
        names.push_str(step.name());
        names.push('/');
    }
    let mut out = value.to_le_bytes().to_vec();
    out.extend_from_slice(names.as_bytes());
    out
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
struct Receipt<'a> {
    seq: u64,
    amount: i64,
    memo: &'a str,
    tags: [u8; 3],
}

/// `core::fmt`: integer Display/Debug/hex with width, fill, sign and alignment, u128
/// Display (128-bit division), `{:?}` of structs and strings (escaping).
fn fmt_ops(a: u64, b: i64, text: &[u8]) -> Vec<u8> {
    let memo = String::from_utf8_lossy(text);
    let mut s = String::with_capacity(512);
    let wide = u128::from(a) * u128::from(a.rotate_left(17)) + 7;
    let _ = write!(
        s,
        "{a}|{b:+}|{a:#x}|{b:>24}|{a:<22}|{a:^30}|{b:020}|{wide}|"
    );
    let _ = write!(
        s,
        "{:?}|",
        Receipt {
            seq: a,
            amount: b,
            memo: &memo,
            tags: [1, 2, 3]
        }
    );
    let _ = write!(
        s,
        "{:#010b}|{}",
        (a & 0xff) as u8,
        i128::from(b) * -1_000_000_007
    );
    s.truncate(MAX_OUTPUT);
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_ops_and_short_inputs() {
        assert_eq!(run(&[200]), Err(SelftestError::UnknownOp));
        assert_eq!(run(&[OP_U64, 1, 2]), Err(SelftestError::ShortInput));
        assert_eq!(
            run(&[OP_MEM, 4, 3, 0, 2, 0, 1, 2, 3, 4]),
            Err(SelftestError::BadMemRange)
        );
    }

    #[test]
    fn outputs_fit_in_return_data() {
        let mut input = vec![OP_FMT];
        input.extend_from_slice(&u64::MAX.to_le_bytes());
        input.extend_from_slice(&i64::MIN.to_le_bytes());
        input.extend_from_slice(&[b'"'; 64]);
        assert!(run(&input).unwrap().len() <= MAX_OUTPUT);
        let mut mem = vec![OP_MEM, 255, 0, 0, 255, 0];
        mem.extend_from_slice(&[7; 255]);
        assert!(run(&mem).unwrap().len() <= MAX_OUTPUT);
    }
}
