//! `cargo xtask gen-data`: writes the example tables in `public/data/csv/` from a
//! fixed seed (nothing is downloaded; running it again gives the same bytes).
//!
//! - `fruit.csv`: 240 fruits, sorted by kind (as real files often are): weight,
//!   diameter, sugar and acidity, drawn from one Gaussian per kind, overlapping enough
//!   that no model is perfect. Three classes named by text.
//! - `housing.csv`: 300 houses: rooms, area, age and distance to the centre, and a
//!   price in thousands that depends on them (not linearly) plus noise. A regression.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};

/// SplitMix64, then Box–Muller: a few lines instead of a dependency, and the files
/// never change with a crate's version.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self, mean: f64, std: f64) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        mean + std * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn fruit() -> String {
    let mut rng = Rng(2026);
    let mut out = String::from("weight_g,diameter_cm,sugar_pct,acidity_ph,fruit\n");
    // (name, count, [mean, std] of each feature)
    let kinds = [
        (
            "apple",
            90,
            [(160.0, 25.0), (7.4, 0.6), (11.0, 1.6), (3.4, 0.25)],
        ),
        (
            "orange",
            90,
            [(190.0, 30.0), (7.9, 0.7), (9.5, 1.5), (3.7, 0.3)],
        ),
        (
            "lemon",
            60,
            [(110.0, 20.0), (6.2, 0.5), (2.8, 0.9), (2.4, 0.2)],
        ),
    ];
    for (name, n, feats) in kinds {
        for _ in 0..n {
            let v: Vec<String> = feats
                .iter()
                .map(|&(m, s)| format!("{:.2}", rng.normal(m, s)))
                .collect();
            let _ = writeln!(out, "{},{name}", v.join(","));
        }
    }
    out
}

fn housing() -> String {
    let mut rng = Rng(7);
    let mut out = String::from("rooms,area_m2,age_years,distance_km,price_k\n");
    for _ in 0..300 {
        let rooms = 1 + (rng.uniform() * 6.0) as u32;
        let area = 25.0 + f64::from(rooms) * 18.0 + rng.normal(0.0, 10.0);
        let age = rng.uniform() * 80.0;
        let distance = 0.5 + rng.uniform() * 24.5;
        let price = 40.0 + 2.6 * area + 9.0 * f64::from(rooms) - 0.9 * age
            + 180.0 / (1.0 + distance)
            + rng.normal(0.0, 15.0);
        let _ = writeln!(out, "{rooms},{area:.1},{age:.0},{distance:.2},{price:.1}");
    }
    out
}

/// Writes the tables under `root/public/data/csv`.
pub fn run(root: &Path) -> Result<()> {
    let dir = root.join("public/data/csv");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in [("fruit.csv", fruit()), ("housing.csv", housing())] {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
