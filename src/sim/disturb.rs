//! Schedule noise: how late each flight leaves its stand and how far its airspeed is off
//! its plan's, sampled once per flight before the run. Each flight draws from its own
//! stream of one ChaCha8 generator keyed by the scenario's seed, so a flight's draws do
//! not depend on how many flights there are, their order, or the thread count.
//!
//! Navigation error is drawn as the drones fly: each flight's draws at each step come from
//! a small PCG generator seeded by a hash of (seed, flight, step), so they too are the same
//! whatever the order the drones are stepped in or the number of threads, and cost a few
//! nanoseconds a drone (a ChaCha stream per drone per step would cost more than the step).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64Mcg;

use crate::ids::FlightId;
use crate::scenario::ScheduleNoise;

/// Keeps the disturbance streams apart from the demand sampler's (seeded with the bare
/// seed).
const KEY: u64 = 0x5c4e_d0a1_d157_0b00;
/// Keeps the navigation error's draws apart from both.
const NAV_KEY: u64 = 0x6e61_7665_7272_6f72;
/// Keeps the gusts' draws apart from all three.
const GUST_KEY: u64 = 0x6775_7374_7761_7665;

/// SplitMix64's finalizer (Steele, Lea and Flood, OOPSLA 2014): a bijection on `u64` that
/// spreads neighbouring keys (flight 7 and 8, step 99 and 100) over unrelated seeds.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Each flight's sampled disturbances.
#[derive(Debug, Clone, Default)]
pub struct Disturbances {
    /// Seconds late past its cleared departure, by flight (empty: nobody is late).
    pub late_s: Vec<f64>,
    /// Airspeed error as a fraction of the planned airspeed, by flight (empty: none).
    pub speed_error: Vec<f32>,
    /// Key of the navigation error draws (from the seed).
    pub nav_key: u64,
}

impl Disturbances {
    /// Draws the noise of `flights` flights with seed `seed`.
    pub fn sample(noise: &ScheduleNoise, seed: u64, flights: usize) -> Self {
        let nav_key = mix(seed ^ NAV_KEY);
        if noise.departure_sd_s == 0.0 && noise.speed_sd == 0.0 {
            return Disturbances {
                nav_key,
                ..Disturbances::default()
            };
        }
        let (mut late_s, mut speed_error) = (Vec::new(), Vec::new());
        for f in 0..flights {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ KEY);
            rng.set_stream(f as u64);
            let z: [f64; 2] = [
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut rng),
            ];
            if noise.departure_sd_s > 0.0 {
                late_s.push(noise.departure_sd_s * z[0].abs());
            }
            if noise.speed_sd > 0.0 {
                speed_error.push((noise.speed_sd * z[1].clamp(-3.0, 3.0)) as f32);
            }
        }
        Disturbances {
            late_s,
            speed_error,
            nav_key,
        }
    }

    /// Three standard normal draws for flight `f`'s navigation error at step `step`.
    pub fn nav_normals(&self, f: FlightId, step: u64) -> [f64; 3] {
        let mut rng = Pcg64Mcg::seed_from_u64(mix(self.nav_key ^ f.index() as u64) ^ step);
        std::array::from_fn(|_| StandardNormal.sample(&mut rng))
    }

    /// Two standard normal draws for flight `f`'s gust at step `step` (a stream of their
    /// own, as the navigation error's).
    pub fn gust_normals(&self, f: FlightId, step: u64) -> [f64; 2] {
        let mut rng =
            Pcg64Mcg::seed_from_u64(mix(self.nav_key ^ GUST_KEY ^ f.index() as u64) ^ step);
        std::array::from_fn(|_| StandardNormal.sample(&mut rng))
    }

    /// How many times its planned airspeed flight `f` flies.
    pub fn speed_factor(&self, f: FlightId) -> f64 {
        self.speed_error
            .get(f.index())
            .map_or(1.0, |&e| 1.0 + f64::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flight_draws_the_same_whatever_the_others() {
        let noise = ScheduleNoise {
            departure_sd_s: 30.0,
            speed_sd: 0.05,
        };
        let few = Disturbances::sample(&noise, 7, 3);
        let many = Disturbances::sample(&noise, 7, 1000);
        assert_eq!(few.late_s[..], many.late_s[..3]);
        assert_eq!(few.speed_error[..], many.speed_error[..3]);
        assert!(many.late_s.iter().all(|&l| l >= 0.0));
        // Half-normal lateness: mean sd·√(2/π) = 23.9 s for sd 30 (1000 draws: ±1.5 s).
        let mean = many.late_s.iter().sum::<f64>() / 1000.0;
        assert!((mean - 23.94).abs() < 1.5, "{mean}");
        assert!(many.speed_error.iter().all(|e| e.abs() <= 0.15 + 1e-6));
        // Another seed, other draws.
        assert_ne!(Disturbances::sample(&noise, 8, 3).late_s, few.late_s);
    }
}
