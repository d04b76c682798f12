//! CRC-64/XZ (the ECMA-182 polynomial, reflected, init and xor-out all ones) — the value COS and OSS
//! report in `x-cos-hash-crc64ecma` / `x-oss-hash-crc64ecma` — and combination of CRCs.
//!
//! [`combine`] gives the CRC of `A ‖ B` from `crc(A)`, `crc(B)` and `|B|` in O(log |B|) by multiplying
//! `crc(A)` by x^(8·|B|) modulo the polynomial over GF(2) (the method of zlib's `crc32_combine`,
//! for 64 bits). That is what lets the emulator give the CRC of a 50 GiB object without reading it.

use crc::{Crc, CRC_64_XZ};

/// The CRC-64/XZ algorithm from the `crc` crate, for hashing real bytes.
pub const CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_XZ);

/// The reflected ECMA-182 polynomial.
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// The reflected representation of x^0 (the top bit).
const X0: u64 = 1 << 63;

/// CRC-64/XZ of `bytes`.
pub fn checksum(bytes: &[u8]) -> u64 {
    CRC64.checksum(bytes)
}

/// Multiplies two polynomials (reflected representation) modulo the CRC polynomial.
fn mult_mod_p(a: u64, mut b: u64) -> u64 {
    let mut m = X0;
    let mut p = 0u64;
    loop {
        if a & m != 0 {
            p ^= b;
            if a & (m - 1) == 0 {
                return p;
            }
        }
        m >>= 1;
        if m == 0 {
            return p;
        }
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
}

/// x^(2^k) mod P for k = 0..64, built once.
fn x2n_table() -> &'static [u64; 64] {
    static TABLE: std::sync::OnceLock<[u64; 64]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0u64; 64];
        let mut p = X0 >> 1; // x^1
        table[0] = p;
        for slot in table.iter_mut().skip(1) {
            p = mult_mod_p(p, p);
            *slot = p;
        }
        table
    })
}

/// For each k, the operator "multiply by x^(2^k) mod P" as 16 nibble tables: entry `[i][v]` is
/// the product with `v << 4i`. Multiplication is linear in its second argument, so a product is
/// the XOR of 16 lookups instead of 64 shift-and-add steps.
fn operator_tables() -> &'static [[[u64; 16]; 16]; 64] {
    static TABLES: std::sync::OnceLock<Box<[[[u64; 16]; 16]; 64]>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let powers = x2n_table();
        let mut tables = Box::new([[[0u64; 16]; 16]; 64]);
        for (k, table) in tables.iter_mut().enumerate() {
            for (i, row) in table.iter_mut().enumerate() {
                for (v, slot) in row.iter_mut().enumerate() {
                    *slot = mult_mod_p(powers[k], (v as u64) << (4 * i));
                }
            }
        }
        tables
    })
}

/// `crc · x^(2^k) mod P` through the nibble tables.
fn apply(table: &[[u64; 16]; 16], crc: u64) -> u64 {
    let mut out = 0u64;
    for (i, row) in table.iter().enumerate() {
        out ^= row[((crc >> (4 * i)) & 0xF) as usize];
    }
    out
}

/// The operator "append `len` zero bytes' worth of shift" applied to a CRC, without the init/xor-out
/// correction: `shift(c, len)` = c · x^(8·len) mod P, one table application per set bit of `len`.
pub fn shift(crc: u64, len: u64) -> u64 {
    let tables = operator_tables();
    let mut p = crc;
    let mut n = len;
    let mut k = 3usize; // x^(8·2^j) = x^(2^(j+3))
    while n != 0 {
        if n & 1 != 0 {
            p = apply(&tables[k & 63], p);
        }
        n >>= 1;
        k += 1;
    }
    p
}

/// CRC of `A ‖ B` given `crc_a = crc(A)`, `crc_b = crc(B)` and `len_b = |B|`.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    shift(crc_a, len_b) ^ crc_b
}

/// CRC of `B` given `crc_ab = crc(A ‖ B)`, `crc_a = crc(A)` and `len_b = |B|` (the inverse of
/// [`combine`] in its second argument).
pub fn strip_prefix(crc_ab: u64, crc_a: u64, len_b: u64) -> u64 {
    crc_ab ^ shift(crc_a, len_b)
}

/// CRC of `count` back-to-back copies of a run whose CRC is `crc_run` and length `len_run`, in
/// O(log count) combinations.
pub fn repeat(crc_run: u64, len_run: u64, count: u64) -> u64 {
    let mut result = 0u64; // CRC of the empty string
    let mut power = crc_run; // CRC of 2^i copies
    let mut power_len = len_run;
    let mut n = count;
    while n != 0 {
        if n & 1 != 0 {
            result = combine(result, power, power_len);
        }
        n >>= 1;
        if n != 0 {
            power = combine(power, power, power_len);
            power_len *= 2;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vector() {
        // The CRC-64/XZ check value.
        assert_eq!(checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
    }

    /// The slow reference: c · x^(8·len) by square-and-multiply with [`mult_mod_p`].
    fn slow_shift(crc: u64, len: u64) -> u64 {
        let table = x2n_table();
        let (mut p, mut n, mut k) = (X0, len, 3usize);
        while n != 0 {
            if n & 1 != 0 {
                p = mult_mod_p(table[k & 63], p);
            }
            n >>= 1;
            k += 1;
        }
        mult_mod_p(p, crc)
    }

    #[test]
    fn table_shift_matches_reference() {
        for (crc, len) in [
            (1u64, 1u64),
            (0xDEAD_BEEF, 4096),
            (u64::MAX, 50 << 30),
            (12345, 1_048_568),
            (7, 0),
        ] {
            assert_eq!(shift(crc, len), slow_shift(crc, len), "{crc} {len}");
        }
    }

    #[test]
    fn empty_is_zero_and_neutral() {
        assert_eq!(checksum(b""), 0);
        let c = checksum(b"abc");
        assert_eq!(combine(0, c, 3), c);
        assert_eq!(combine(c, 0, 0), c);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn combine_matches_concatenation(a in proptest::collection::vec(any::<u8>(), 0..300),
                                         b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut ab = a.clone();
            ab.extend_from_slice(&b);
            prop_assert_eq!(combine(checksum(&a), checksum(&b), b.len() as u64), checksum(&ab));
            prop_assert_eq!(strip_prefix(checksum(&ab), checksum(&a), b.len() as u64), checksum(&b));
        }

        #[test]
        fn repeat_matches_concatenation(run in proptest::collection::vec(any::<u8>(), 0..40), count in 0u64..20) {
            let mut all = Vec::new();
            for _ in 0..count {
                all.extend_from_slice(&run);
            }
            prop_assert_eq!(repeat(checksum(&run), run.len() as u64, count), checksum(&all));
        }
    }
}
