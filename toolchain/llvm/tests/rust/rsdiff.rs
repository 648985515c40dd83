// Real rustc output for the differential test (run.sh section 5): compiled
// for the x86-64 host (whose ABI passes i128 by value and returns pairs, so
// it stresses the signature rewriting harder than the bpf ABI does), run
// with lli before and after sbf-legalize; the 20000 output lines must match.
#![no_std]
use core::fmt::Write;

extern "C" { fn printf(fmt: *const u8, ...) -> i32; fn write(fd: i32, p: *const u8, n: usize) -> isize; }

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }

struct Out { buf: [u8; 256], n: usize }
impl Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() { if self.n < 256 { self.buf[self.n] = b; self.n += 1; } }
        Ok(())
    }
}

#[inline(never)]
fn many(a: u8, b: u32, c: u64, d: u128, e: &mut u64, f: i16, g: i128, h: u64) -> (u64, u128) {
    *e = e.wrapping_add(c);
    let x = (a as u64).wrapping_mul(3) ^ (b as u64) ^ c.rotate_left(5) ^ (f as i64 as u64) ^ h;
    (x, d.wrapping_mul(g as u128) ^ (d >> (h % 128)))
}

#[inline(never)]
fn ops(a: u64, b: u64, c: u64, d: u64, out: &mut Out) {
    let x = ((a as u128) << 64) | b as u128;
    let y = ((c as u128) << 64) | d as u128;
    let _ = write!(out, "{:?} {:?} ", a.checked_mul(b), (a as i64).checked_mul(b as i64));
    let _ = write!(out, "{} {} ", x.wrapping_mul(y), (x as i128).wrapping_shr(c as u32));
    let _ = write!(out, "{:?} {:?} ", x.checked_div(y), (x as i128).checked_rem(y as i128));
    let _ = write!(out, "{:?} {:?} ", x.checked_mul(y), (x as i128).checked_mul(y as i128));
    let _ = write!(out, "{} {} ", x.rotate_left(d as u32), x << (a % 128));
    let _ = write!(out, "{:?} {:?}", (a as i64).checked_div(b as i64), (c as i32).checked_rem(d as i32));
    let mut e = a;
    let r = many(a as u8, b as u32, c, x, &mut e, d as i16, y as i128, b);
    let _ = write!(out, " {:?} {}", r, e);
}

fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E3779B97F4A7C15);
    let mut z = *s; z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB); z ^ (z >> 31)
}

#[no_mangle]
pub extern "C" fn main() -> i32 {
    let edges = [0u64, 1, 2, 63, 64, 127, u64::MAX, 1 << 63, (1 << 63) - 1, 0xffff_ffff, 1 << 32];
    let mut s = 1u64;
    for i in 0..20000u64 {
        let mut w = [0u64; 4];
        for k in 0..4 {
            let r = next(&mut s);
            w[k] = match r & 3 { 0 => edges[(next(&mut s) % 11) as usize], 1 => next(&mut s) >> (r >> 58), _ => next(&mut s) };
        }
        let mut o = Out { buf: [0; 256], n: 0 };
        ops(w[0], w[1], w[2], w[3], &mut o);
        o.buf[o.n.min(255)] = b'\n';
        unsafe { write(1, o.buf.as_ptr(), o.n.min(255) + 1); }
        let _ = i;
    }
    unsafe { printf(b"done\n\0".as_ptr()); }
    0
}
