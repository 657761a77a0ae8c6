//! The UCI 8×8 handwritten digits (1,797 images), embedded at compile time from
//! `public/data/digits/digits.csv` (see the `LICENSE.md` beside it: CC BY 4.0).

use super::samples::Samples;

/// The shipped file: 64 pixel counts (0..=16) then the label, one image a line.
pub const DIGITS_CSV: &str = include_str!("../../../../public/data/digits/digits.csv");

/// Parses the digits file into samples of shape `[1, 8, 8]` with pixels scaled to
/// `0..=1` (divided by 16). Errors name the line and what was wrong.
pub fn parse_digits(text: &str) -> Result<Samples, String> {
    let mut features = Vec::with_capacity(1_797 * 64);
    let mut labels = Vec::with_capacity(1_797);
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let values: Vec<&str> = line.split(',').collect();
        if values.len() != 65 {
            return Err(format!(
                "line {}: expected 65 comma-separated values (64 pixels and a label), found {}",
                i + 1,
                values.len()
            ));
        }
        for v in &values[..64] {
            let px: u8 = v
                .trim()
                .parse()
                .map_err(|_| format!("line {}: pixel `{v}` is not an integer 0..=16", i + 1))?;
            if px > 16 {
                return Err(format!("line {}: pixel {px} is above 16", i + 1));
            }
            features.push(f32::from(px) / 16.0);
        }
        let label: u8 = values[64]
            .trim()
            .parse()
            .ok()
            .filter(|l| *l < 10)
            .ok_or_else(|| {
                format!(
                    "line {}: label `{}` is not a digit 0..=9",
                    i + 1,
                    values[64]
                )
            })?;
        labels.push(i64::from(label));
    }
    Ok(Samples {
        features,
        sample_shape: vec![1, 8, 8],
        labels,
        num_classes: 10,
        ..Samples::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DIGITS_SAMPLES;

    #[test]
    fn the_shipped_file_has_every_image_and_all_ten_classes() {
        let s = parse_digits(DIGITS_CSV).expect("the shipped file parses");
        assert_eq!(s.len() as u64, DIGITS_SAMPLES);
        assert_eq!(s.features.len(), 1_797 * 64);
        for class in 0..10 {
            let n = s.labels.iter().filter(|l| **l == class).count();
            assert!((170..=190).contains(&n), "class {class} has {n} images");
        }
        assert!(s.features.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn a_damaged_line_is_named() {
        let err = parse_digits("0,1,2\n").expect_err("short line");
        assert!(err.contains("line 1") && err.contains("65"), "{err}");
        let mut line = vec!["0"; 64];
        line.push("12");
        let err = parse_digits(&line.join(",")).expect_err("bad label");
        assert!(err.contains("label `12`"), "{err}");
    }
}
