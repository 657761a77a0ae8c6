//! MMEngine's `LogProcessor` without a backend: which statistic of each logged
//! history goes into a log line and `scalars.json` (a window mean for keys matching
//! `mean_pattern`, the latest value otherwise, `custom_cfg`'s own statistics), and
//! the exact text of the train and validation lines.

mod config;

pub use config::{LogProcessorCfg, Method, Stat, Window};

/// A value of a tag: statistics are floats, `epoch` and `iter` integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TagValue {
    /// A statistic.
    Float(f64),
    /// A counter.
    Int(i64),
}

impl TagValue {
    /// As a number.
    pub fn as_f64(self) -> f64 {
        match self {
            TagValue::Float(x) => x,
            TagValue::Int(n) => n as f64,
        }
    }
}

/// The loop's position when a line is made (MMEngine's `runner` attributes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoopState {
    /// `runner.epoch`: epochs done (0-based while training, 1-based at validation).
    pub epoch: i64,
    /// `runner.iter`: 0-based index of the iteration just run.
    pub iter: i64,
    /// Epochs of an epoch-based loop.
    pub max_epochs: Option<i64>,
    /// Iterations of the run.
    pub max_iters: i64,
    /// Batches of the dataloader of the mode.
    pub loader_len: i64,
}

/// The histories of the message hub, in the order their keys first appeared.
pub type Histories<'a> = [(&'a str, &'a [f64])];

/// `HistoryBuffer`'s statistics over the last `window` values (all with `None`).
pub fn statistic(values: &[f64], method: Method, window: Option<usize>) -> Option<f64> {
    let last = *values.last()?;
    let w = window.unwrap_or(values.len()).min(values.len()).max(1);
    let tail = &values[values.len() - w..];
    Some(match method {
        Method::Mean => tail.iter().sum::<f64>() / tail.len() as f64,
        Method::Max => tail.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Method::Min => tail.iter().copied().fold(f64::INFINITY, f64::min),
        Method::Current => last,
    })
}

/// Python's `f"{v:.{d}e}"` (a signed exponent of at least two digits).
pub fn py_exp(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Python's `str(timedelta(seconds=int(s)))`: `1:02:05`, `1 day, 1:01:01`.
pub fn py_timedelta(seconds: f64) -> String {
    crate::base::log::timedelta(seconds.max(0.0) as u64)
}

impl LogProcessorCfg {
    fn matches_mean(&self, key: &str) -> bool {
        self.mean_keys.iter().any(|k| key.contains(k.as_str()))
    }

    /// `_collect_scalars`: the statistics of `mode`'s keys (prefix kept with
    /// `reserve_prefix`), then `stats` (custom statistics with resolved windows).
    fn collect(
        &self,
        histories: &Histories<'_>,
        mode: &str,
        stats: &[Stat],
        reserve_prefix: bool,
    ) -> Vec<(String, TagValue)> {
        let prefix = format!("{mode}/");
        let mode_keys: Vec<(String, &[f64])> = histories
            .iter()
            .filter(|(k, _)| k.starts_with(mode))
            .map(|(k, v)| {
                let key = if reserve_prefix {
                    k.to_string()
                } else {
                    k.strip_prefix(&prefix).unwrap_or(k).to_string()
                };
                (key, *v)
            })
            .collect();
        let mut tag: Vec<(String, TagValue)> = Vec::new();
        for (key, values) in &mode_keys {
            let method = if self.matches_mean(key) {
                Method::Mean
            } else {
                Method::Current
            };
            let window = (method == Method::Mean).then_some(self.window_size);
            if let Some(v) = statistic(values, method, window) {
                set(&mut tag, key, TagValue::Float(v));
            }
        }
        for s in stats {
            let (src, name) = if reserve_prefix {
                (
                    format!("{prefix}{}", s.data_src),
                    format!("{prefix}{}", s.log_name.as_deref().unwrap_or(&s.data_src)),
                )
            } else {
                (
                    s.data_src.clone(),
                    s.log_name.clone().unwrap_or_else(|| s.data_src.clone()),
                )
            };
            if let Some((_, values)) = mode_keys.iter().find(|(k, _)| *k == src) {
                let window = match s.window {
                    Window::All => None,
                    Window::Last(n) => Some(n),
                    // Resolved by the caller; unresolved means all.
                    Window::Epoch | Window::Global => None,
                };
                if let Some(v) = statistic(values, s.method, window) {
                    set(&mut tag, &name, TagValue::Float(v));
                }
            }
        }
        tag
    }

    /// `_parse_windows_size`: `epoch` becomes `batch_idx + 1`, `global` `iter + 1`.
    fn resolve(&self, stats: &[Stat], batch_idx: i64, iter: i64) -> Vec<Stat> {
        stats
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.window = match s.window {
                    Window::Epoch => Window::Last((batch_idx + 1).max(1) as usize),
                    Window::Global => Window::Last((iter + 1).max(1) as usize),
                    w => w,
                };
                s
            })
            .collect()
    }

    fn number(&self, v: TagValue) -> String {
        match v {
            TagValue::Float(x) => format!("{x:.*}", self.num_digits),
            TagValue::Int(n) => n.to_string(),
        }
    }

    /// `get_log_after_iter` for training: the tag for the visualizer and the line.
    /// `eta` is the runtime info's (seconds), when the loop has one.
    pub fn after_train_iter(
        &self,
        histories: &Histories<'_>,
        st: &LoopState,
        batch_idx: i64,
        eta: Option<f64>,
    ) -> (Vec<(String, TagValue)>, String) {
        let mode = "train";
        let stats = self.resolve(&self.custom_cfg, batch_idx, st.iter);
        let mut log_tag = self.collect(histories, mode, &stats, false);
        let mut tag = if self.log_with_hierarchy {
            self.collect(histories, mode, &stats, true)
        } else {
            log_tag.clone()
        };
        let mut lrs = Vec::new();
        for (key, value) in &tag {
            if key.ends_with("lr") {
                let key = key.strip_prefix("train/").unwrap_or(key);
                log_tag.retain(|(k, _)| k != key);
                lrs.push(format!(
                    "{key}: {}",
                    py_exp(value.as_f64(), self.num_digits)
                ));
            }
        }
        let by_epoch = self.by_epoch.unwrap_or(true);
        let cur_iter = if by_epoch { batch_idx + 1 } else { st.iter + 1 };
        let mut line = if by_epoch {
            let len = st.loader_len;
            let cur = format!("{cur_iter:>w$}", w = len.to_string().len());
            let epoch = st.epoch + 1;
            let epoch_str = match st.max_epochs {
                Some(max) => format!(
                    "{:>w$}",
                    format!("[{epoch}]"),
                    w = max.to_string().len() + 3
                ),
                None => format!("[{epoch}]"),
            };
            set(&mut tag, "epoch", TagValue::Int(epoch));
            format!("Epoch({mode}){epoch_str}[{cur}/{len}]  ")
        } else {
            let cur = format!("{cur_iter:>w$}", w = st.max_iters.to_string().len());
            format!("Iter({mode}) [{cur}/{}]  ", st.max_iters)
        };
        set(&mut tag, "iter", TagValue::Int(st.iter + 1));
        line += &lrs.join(" ");
        line += "  ";
        let time = log_tag.iter().find(|(k, _)| k == "time").map(|(_, v)| *v);
        let data_time = log_tag
            .iter()
            .find(|(k, _)| k == "data_time")
            .map(|(_, v)| *v);
        if let (Some(t), Some(dt), Some(eta)) = (time, data_time, eta) {
            line += &format!(
                "eta: {}  time: {}  data_time: {}  ",
                py_timedelta(eta),
                self.number(t),
                self.number(dt)
            );
            log_tag.retain(|(k, _)| k != "time" && k != "data_time");
        }
        let items: Vec<String> = log_tag
            .iter()
            .map(|(k, v)| format!("{k}: {}", self.number(*v)))
            .collect();
        line += &items.join("  ");
        (tag, line)
    }

    /// `get_log_after_epoch` for validation or test (`mode`), after `batch_idx + 1`
    /// batches: the metrics, then `data_time` and `time` (their window: the epoch).
    pub fn after_val_epoch(
        &self,
        histories: &Histories<'_>,
        st: &LoopState,
        batch_idx: i64,
        mode: &str,
    ) -> (Vec<(String, TagValue)>, String) {
        let len = st.loader_len;
        let mut line = if self.by_epoch.unwrap_or(true) {
            if mode == "val" {
                format!("Epoch({mode}) [{}][{len}/{len}]  ", st.epoch)
            } else {
                format!("Epoch({mode}) [{len}/{len}]  ")
            }
        } else {
            format!("Iter({mode}) [{len}/{len}]  ")
        };
        let mut stats = self.custom_cfg.clone();
        let prefix = format!("{mode}/");
        for timing in ["time", "data_time"] {
            if !stats
                .iter()
                .any(|s| s.data_src.strip_prefix(&prefix).unwrap_or(&s.data_src) == timing)
            {
                stats.push(Stat {
                    data_src: timing.into(),
                    method: Method::Mean,
                    window: Window::Epoch,
                    log_name: None,
                });
            }
        }
        let stats = self.resolve(&stats, batch_idx, st.iter);
        let all = self.collect(histories, mode, &stats, self.log_with_hierarchy);
        let is_time = |k: &str| {
            k == "time"
                || k == "data_time"
                || k.strip_prefix(&prefix)
                    .is_some_and(|r| r == "time" || r == "data_time")
        };
        let mut tag: Vec<(String, TagValue)> =
            all.iter().filter(|(k, _)| !is_time(k)).cloned().collect();
        tag.extend(all.iter().filter(|(k, _)| is_time(k)).cloned());
        line += "  ";
        let items: Vec<String> = tag
            .iter()
            .map(|(k, v)| format!("{k}: {}", self.number(*v)))
            .collect();
        line += &items.join("  ");
        (tag, line)
    }
}

/// Sets `key` in an ordered tag (a new key goes last, as in a Python dict).
fn set(tag: &mut Vec<(String, TagValue)>, key: &str, v: TagValue) {
    match tag.iter_mut().find(|(k, _)| k == key) {
        Some(e) => e.1 = v,
        None => tag.push((key.to_string(), v)),
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
