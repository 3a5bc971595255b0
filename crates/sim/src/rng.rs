//! A small seeded generator (SplitMix64). Our own, so a seed gives the same run whatever
//! version of a random-number crate the build picks up.

#[derive(Debug, Clone)]
pub struct SimRng(u64);

impl SimRng {
    /// A generator for one named thing (a call, a delivery), independent of the order in
    /// which concurrent tasks ask for numbers.
    pub fn derive(seed: u64, name: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Self(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// Uniform in [low, high).
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[(self.next_u64() % items.len() as u64) as usize])
        }
    }

    pub fn hex_id(&mut self, prefix: &str) -> String {
        format!("{prefix}_{:012x}", self.next_u64() & 0xffff_ffff_ffff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = SimRng::derive(7, "call-1");
                move |_| r.next_u64()
            })
            .collect();
        let mut r = SimRng::derive(7, "call-1");
        assert_eq!(a, (0..5).map(|_| r.next_u64()).collect::<Vec<_>>());
        assert_ne!(SimRng::derive(7, "call-1").next_u64(), SimRng::derive(7, "call-2").next_u64());
    }

    #[test]
    fn unit_is_roughly_uniform() {
        let mut r = SimRng::derive(1, "uniform");
        let n = 20_000;
        let below: usize = (0..n).filter(|_| r.unit() < 0.25).count();
        assert!((below as f64 / n as f64 - 0.25).abs() < 0.02);
    }
}
