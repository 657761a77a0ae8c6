//! [`Steps`]: a count of steps (epochs or iterations) as a config writes it, an integer
//! or a float, with the arithmetic MMEngine applies to it.
//!
//! OpenMMLab configs compute step counts in Python (`end = 0.4 * max_epochs`), so they
//! arrive as floats (`120.0`). MMEngine takes them as they are: it compares them with
//! its integer step counter (`begin <= _global_step < end`), looks milestones up in a
//! `Counter` (`8.0 == 8`), and `convert_to_iter_based` truncates `int(begin * L)`.
//! A whole float therefore behaves exactly as the integer. A fractional one (`2.4`)
//! is exact after `convert_to_iter_based` for `begin`/`end`; elsewhere this crate asks
//! for a whole number and says what MMEngine would do.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A step count: an integer, or a float as the config wrote it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Steps {
    /// Written as an integer.
    Int(i64),
    /// Written as a float (finite).
    Float(f64),
}

impl Default for Steps {
    fn default() -> Self {
        Self::Int(0)
    }
}

impl From<i64> for Steps {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl Steps {
    /// The value as a float (for comparisons; exact for integers below 2^53).
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Int(v) => v as f64,
            Self::Float(v) => v,
        }
    }

    /// The integer it equals, if it is whole (`120.0` → 120).
    pub fn whole(self) -> Option<i64> {
        match self {
            Self::Int(v) => Some(v),
            // i64::MAX as f64 rounds up to 2^63, which does not fit: compare with <.
            Self::Float(v) if v.fract() == 0.0 && v.abs() < i64::MAX as f64 => Some(v as i64),
            Self::Float(_) => None,
        }
    }

    /// Python's `x * n` (an integer stays an integer).
    pub fn times(self, n: i64) -> Self {
        match self {
            Self::Int(v) => Self::Int(v.saturating_mul(n)),
            Self::Float(v) => Self::Float(v * n as f64),
        }
    }

    /// Python's `int(x * n)`: `convert_to_iter_based`'s `begin` and `end`.
    pub fn times_truncated(self, n: i64) -> i64 {
        match self.times(n) {
            Self::Int(v) => v,
            // `as` saturates; the run-length checks refuse such sizes anyway.
            Self::Float(v) => v.trunc() as i64,
        }
    }
}

impl fmt::Display for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(v) => write!(f, "{v}"),
            // Debug prints `120.0`, as Python does.
            Self::Float(v) => write!(f, "{v:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepsVisitor;

        impl Visitor<'_> for StepsVisitor {
            type Value = Steps;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of steps (an integer, or a float such as 120.0)")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Steps, E> {
                Ok(Steps::Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Steps, E> {
                i64::try_from(v)
                    .map(Steps::Int)
                    .map_err(|_| E::custom(format!("{v} steps is too large")))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Steps, E> {
                if v.is_finite() {
                    Ok(Steps::Float(v))
                } else {
                    Err(E::custom(format!(
                        "expected a finite number of steps, got {v}"
                    )))
                }
            }
        }

        deserializer.deserialize_any(StepsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_floats_are_their_integers_and_fractions_are_not() {
        assert_eq!(Steps::Float(120.0).whole(), Some(120));
        assert_eq!(Steps::Int(7).whole(), Some(7));
        assert_eq!(Steps::Float(2.4).whole(), None);
        assert_eq!(Steps::Float(1e300).whole(), None);
    }

    #[test]
    fn conversion_truncates_as_python_int_does() {
        assert_eq!(Steps::Float(2.4).times_truncated(167), 400);
        assert_eq!(Steps::Int(3).times_truncated(167), 501);
        assert_eq!(Steps::Float(2.5).times(2), Steps::Float(5.0));
        assert_eq!(Steps::Float(120.0).to_string(), "120.0");
    }

    #[test]
    fn integers_floats_and_nothing_else_deserialise() {
        let parse = |v: serde_json::Value| serde_json::from_value::<Steps>(v);
        assert_eq!(parse(serde_json::json!(12)).ok(), Some(Steps::Int(12)));
        assert_eq!(
            parse(serde_json::json!(12.5)).ok(),
            Some(Steps::Float(12.5))
        );
        let err = parse(serde_json::json!("12")).expect_err("a string is not a count");
        assert!(err.to_string().contains("a number of steps"), "{err}");
    }
}
