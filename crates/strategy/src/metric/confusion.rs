//! The confusion matrix of a classifier: how many samples of each true class (rows)
//! were predicted as each class (columns), with the class names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Counts by true class (row) and predicted class (column).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Class names by index.
    pub class_names: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

impl ConfusionMatrix {
    /// An empty matrix over `class_names`.
    pub fn new(class_names: Vec<String>) -> Self {
        let k = class_names.len();
        Self {
            class_names,
            counts: vec![vec![0; k]; k],
        }
    }

    /// Counts one sample; labels outside the classes are ignored.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        if let Some(row) = self.counts.get_mut(truth)
            && let Some(cell) = row.get_mut(predicted)
        {
            *cell += 1;
        }
    }

    /// Samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Share of samples on the diagonal (0 when empty).
    pub fn accuracy(&self) -> f64 {
        let right: u64 = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// Recall of each class: its diagonal count over its row (`None` for an empty row).
    pub fn recall(&self) -> Vec<Option<f64>> {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let n: u64 = row.iter().sum();
                (n > 0).then(|| row[i] as f64 / n as f64)
            })
            .collect()
    }
}

impl fmt::Display for ConfusionMatrix {
    /// A text table: one row per true class, one column per predicted class, and
    /// each class's recall.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .class_names
            .iter()
            .map(|n| n.chars().count())
            .chain(self.counts.iter().flatten().map(|c| c.to_string().len()))
            .max()
            .unwrap_or(1)
            .max(6);
        writeln!(f, "confusion matrix (rows: true class, columns: predicted)")?;
        write!(f, "{:>width$}", "")?;
        for name in &self.class_names {
            write!(f, "  {name:>width$}")?;
        }
        writeln!(f, "  {:>width$}", "recall")?;
        for ((name, row), recall) in self.class_names.iter().zip(&self.counts).zip(self.recall()) {
            write!(f, "{name:>width$}")?;
            for c in row {
                write!(f, "  {c:>width$}")?;
            }
            match recall {
                Some(r) => writeln!(f, "  {:>width$}", format!("{:.1}%", 100.0 * r))?,
                None => writeln!(f, "  {:>width$}", "-")?,
            }
        }
        write!(
            f,
            "accuracy {:.2}% of {} samples",
            100.0 * self.accuracy(),
            self.total()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_recall_and_table() {
        let mut m = ConfusionMatrix::new(vec!["cat".into(), "dog".into(), "eel".into()]);
        for (t, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (2, 0), (2, 2), (9, 0)] {
            m.add(t, p);
        }
        assert_eq!(m.counts, vec![vec![2, 1, 0], vec![0, 1, 0], vec![1, 0, 1]]);
        assert_eq!(m.total(), 6);
        assert!((m.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(m.recall()[2], Some(0.5));
        let text = m.to_string();
        assert!(
            text.contains("   cat       2       1       0   66.7%"),
            "{text}"
        );
        assert!(text.ends_with("accuracy 66.67% of 6 samples"), "{text}");
    }
}
