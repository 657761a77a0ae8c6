//! Medians of interleaved rounds.

/// The median (upper median for an even count); `NaN` for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs `ours` and `peer` alternately for `rounds` rounds after one warm-up round
/// that is not counted, and returns the medians of what they return. Alternating
/// spreads the machine's drift (other processes, frequency, caches) over both sides.
pub fn interleaved<E>(
    rounds: usize,
    mut ours: impl FnMut() -> Result<f64, E>,
    mut peer: impl FnMut() -> Result<f64, E>,
) -> Result<(f64, f64), E> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..=rounds {
        // Swap the order every round, so neither side always runs first.
        let (x, y) = if round % 2 == 0 {
            let x = ours()?;
            (x, peer()?)
        } else {
            let y = peer()?;
            (ours()?, y)
        };
        if round > 0 {
            a.push(x);
            b.push(y);
        }
    }
    Ok((median(a), median(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 3.0);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn interleaving_skips_the_warm_up_and_alternates() {
        let log = std::cell::RefCell::new(Vec::new());
        let mut n = 0.0;
        let (a, b) = interleaved::<()>(
            3,
            || {
                log.borrow_mut().push('o');
                n += 1.0;
                Ok(n)
            },
            || {
                log.borrow_mut().push('p');
                Ok(10.0)
            },
        )
        .expect("runs");
        // Warm-up ran ours first, then the order alternated; the warm-up (1.0) is dropped.
        assert_eq!(log.borrow().iter().collect::<String>(), "oppooppo");
        assert_eq!((a, b), (3.0, 10.0));
    }
}
