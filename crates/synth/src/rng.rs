//! The crate's own pseudo-random generator: xoshiro256** seeded through SplitMix64.
//!
//! Written out here (about thirty lines) instead of taken from the `rand` crate so that the
//! synthetic population never changes with a dependency update: the same seed gives the same
//! households on every machine, in every version of this crate that keeps these functions.

/// SplitMix64 step: advances `state` and returns a well-mixed 64-bit value. Used to seed
/// xoshiro256** (its authors' recommendation) and to derive the seeds of forked streams.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded pseudo-random generator (xoshiro256**), deterministic on every platform.
///
/// Not for secrets: it exists so that synthetic data is reproducible. [`Rng::fork`] derives an
/// independent stream from the seed alone (not from how far this stream has been read), which is
/// what lets each community, and each household in it, get its own stream: the output then does not
/// depend on the order in which communities are generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    seed: u64,
    state: [u64; 4],
}

impl Rng {
    /// A generator for `seed`. Every seed, including 0, gives a usable stream.
    pub fn new(seed: u64) -> Rng {
        let mut mixer = seed;
        let mut state = [0u64; 4];
        for word in &mut state {
            *word = splitmix64(&mut mixer);
        }
        if state == [0; 4] {
            // The one state xoshiro cannot leave; SplitMix64 never yields it, but stay safe.
            state[0] = 1;
        }
        Rng { seed, state }
    }

    /// The seed this generator was made from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// An independent generator for sub-stream `stream`, derived from this generator's seed only.
    /// Forking the same generator twice with the same `stream` gives the same stream, whatever has
    /// been drawn in between.
    pub fn fork(&self, stream: u64) -> Rng {
        let mut mixer = self.seed ^ 0x6A09_E667_F3BC_C909;
        let a = splitmix64(&mut mixer);
        let mut stream_mixer = stream ^ a;
        let b = splitmix64(&mut stream_mixer);
        Rng::new(a.rotate_left(17) ^ b)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform number in `0..n`, without modulo bias (Lemire's method). Returns 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut product = u128::from(self.next_u64()) * u128::from(n);
        let mut low = product as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                product = u128::from(self.next_u64()) * u128::from(n);
                low = product as u64;
            }
        }
        (product >> 64) as u64
    }

    /// A uniform number in `low..=high` (both included); `low` when `high < low`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low);
        if span == u64::MAX {
            return self.next_u64() as i64;
        }
        low.wrapping_add(self.below(span + 1) as i64)
    }

    /// True with probability `p_per_mille / 1000` (so `chance(1000)` is always true).
    pub fn chance(&mut self, p_per_mille: u32) -> bool {
        self.below(1000) < u64::from(p_per_mille)
    }

    /// One item, drawn with probability proportional to its weight. `None` when the slice is
    /// empty or every weight is 0.
    pub fn pick_weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> Option<T> {
        let total: u64 = items.iter().map(|(_, weight)| u64::from(*weight)).sum();
        if total == 0 {
            return None;
        }
        let mut roll = self.below(total);
        for (item, weight) in items {
            let weight = u64::from(*weight);
            if roll < weight {
                return Some(*item);
            }
            roll -= weight;
        }
        None
    }

    /// One item of a slice, uniformly; `None` when it is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let index = self.below(items.len() as u64) as usize;
        items.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_values() {
        // Reference outputs of SplitMix64 from seed 0 (Vigna's splitmix64.c).
        let mut state = 0u64;
        assert_eq!(splitmix64(&mut state), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut state), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn xoshiro_matches_the_reference_implementation() {
        // xoshiro256starstar.c seeded with four outputs of splitmix64.c from 0.
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0x99EC_5F36_CB75_F2B4);
        assert_eq!(rng.next_u64(), 0xBF6E_1F78_4956_452A);
        assert_eq!(rng.next_u64(), 0x1A5F_849D_4933_E6E0);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(7);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            let value = rng.below(7);
            assert!(value < 7);
            seen[value as usize] += 1;
        }
        assert!(seen.iter().all(|&count| count > 800), "{seen:?}");
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn between_includes_both_ends() {
        let mut rng = Rng::new(1);
        let values: Vec<i64> = (0..500).map(|_| rng.between(-2, 2)).collect();
        assert!(values.iter().all(|v| (-2..=2).contains(v)));
        assert!(values.contains(&-2) && values.contains(&2));
        assert_eq!(rng.between(5, 3), 5);
    }

    #[test]
    fn fork_ignores_what_was_drawn() {
        let mut rng = Rng::new(42);
        let before = rng.fork(9).next_u64();
        rng.next_u64();
        assert_eq!(rng.fork(9).next_u64(), before);
        assert_ne!(rng.fork(10).next_u64(), before);
    }
}
