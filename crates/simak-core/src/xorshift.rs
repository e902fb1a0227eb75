//! A deterministic xorshift64 sequence, the same in every run: generated data for the benches
//! and the demo (not for anything that must be unpredictable).

/// The sequence from a fixed seed.
pub fn xorshift() -> impl FnMut() -> u64 {
    xorshift_from(0x9E37_79B9_7F4A_7C15)
}

/// The sequence from `seed` (not zero).
pub fn xorshift_from(seed: u64) -> impl FnMut() -> u64 {
    let mut rng = seed;
    move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sequence_is_the_same_in_every_run() {
        let a: Vec<u64> = std::iter::repeat_with(super::xorshift()).take(4).collect();
        let b: Vec<u64> = std::iter::repeat_with(super::xorshift()).take(4).collect();
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0] != w[1]));
        assert_ne!(super::xorshift_from(1)(), super::xorshift_from(2)());
    }
}
