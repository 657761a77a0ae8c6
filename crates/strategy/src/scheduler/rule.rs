//! The chainable update rules of MMEngine's schedulers, one arm per family.
//!
//! Each rule reads the group's *current* value and returns the next one, exactly as
//! MMEngine's `_get_value` does (same operations in the same order, in f64), so that
//! schedulers composed on one optimizer multiply the way they do upstream. Positions
//! `t` are `last_step`: relative to the scheduler's `begin`.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::error::SchedulerError;
use super::groups::ParamGroup;
use super::one_cycle::OneCycle;
use super::plateau::Plateau;

/// The family of a scheduler and its hyper-parameters (MMEngine's names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule")]
pub enum Rule {
    /// Multiply by `gamma` every `step_size` steps.
    Step {
        /// Steps between decays (≥ 1).
        step_size: i64,
        /// Decay factor.
        gamma: f64,
    },
    /// Multiply by `gamma^count` at each milestone (a multiset: duplicates compound).
    MultiStep {
        /// Milestone → how many times it was listed.
        milestones: BTreeMap<i64, u32>,
        /// Decay factor.
        gamma: f64,
    },
    /// `factor` for `total_iters` steps, then back.
    Constant {
        /// Multiplier while active, in [0, 1].
        factor: f64,
        /// `end - begin - 1`: the step at which the value is restored.
        total_iters: i64,
    },
    /// Multiply by `gamma` every step after the first.
    Exponential {
        /// Decay factor per step.
        gamma: f64,
    },
    /// Linear ramp of the multiplier from `start_factor` to `end_factor`.
    Linear {
        /// Multiplier at the first step, in [0, 1].
        start_factor: f64,
        /// Multiplier reached at step `total_iters`, in [0, 1].
        end_factor: f64,
        /// `end - begin - 1`.
        total_iters: i64,
    },
    /// Cosine annealing with period `2·T_max`.
    CosineAnnealing {
        /// Half period, in steps.
        #[serde(rename = "T_max")]
        t_max: i64,
        /// Floor (used when `eta_min_ratio` is absent).
        eta_min: f64,
        /// Floor as a ratio of each group's base value.
        eta_min_ratio: Option<f64>,
    },
    /// Polynomial decay to `eta_min` at step `total_iters`.
    Poly {
        /// Floor.
        eta_min: f64,
        /// Exponent.
        power: f64,
        /// `end - begin - 1`.
        total_iters: i64,
    },
    /// The 1cycle policy (not chainable: ignores the current value).
    OneCycle(OneCycle),
    /// Cosine annealing with warm restarts of given periods and weights.
    CosineRestart {
        /// Length of each cycle.
        periods: Vec<i64>,
        /// Peak of each cycle, as a ratio of the base value.
        restart_weights: Vec<f64>,
        /// Floor (used when `eta_min_ratio` is absent).
        eta_min: Option<f64>,
        /// Floor as a ratio of each group's base value.
        eta_min_ratio: Option<f64>,
        /// Running sums of `periods`.
        cumulative_periods: Vec<i64>,
    },
    /// Reduce when a validation metric stops improving.
    ReduceOnPlateau(Plateau),
}

impl Rule {
    /// MMEngine's family name (`CosineAnnealing`, ...), for messages.
    pub fn family(&self) -> &'static str {
        match self {
            Self::Step { .. } => "Step",
            Self::MultiStep { .. } => "MultiStep",
            Self::Constant { .. } => "Constant",
            Self::Exponential { .. } => "Exponential",
            Self::Linear { .. } => "Linear",
            Self::CosineAnnealing { .. } => "CosineAnnealing",
            Self::Poly { .. } => "Poly",
            Self::OneCycle(_) => "OneCycle",
            Self::CosineRestart { .. } => "CosineRestart",
            Self::ReduceOnPlateau(_) => "ReduceOnPlateau",
        }
    }

    /// The next values of `param` for every group at relative step `t`.
    pub(super) fn values(
        &self,
        t: i64,
        param: &str,
        base_values: &[f64],
        groups: &[ParamGroup],
    ) -> Result<Vec<f64>, SchedulerError> {
        let current = |g: &ParamGroup| g.get(param).unwrap_or(0.0);
        let keep = || groups.iter().map(current).collect::<Vec<_>>();
        let scale = |m: f64| groups.iter().map(|g| current(g) * m).collect::<Vec<_>>();
        let division = |what: &str| SchedulerError::DivisionByZero {
            family: self.family(),
            step: t,
            what: what.to_string(),
        };
        Ok(match self {
            Self::Step { step_size, gamma } => {
                if t == 0 || t % step_size != 0 {
                    keep()
                } else {
                    scale(*gamma)
                }
            }
            Self::MultiStep { milestones, gamma } => match milestones.get(&t) {
                None => keep(),
                Some(count) => scale(gamma.powf(f64::from(*count))),
            },
            Self::Constant {
                factor,
                total_iters,
            } => {
                if t == 0 {
                    scale(*factor)
                } else if t != *total_iters {
                    keep()
                } else if *factor == 0.0 {
                    return Err(division("restoring after factor = 0"));
                } else {
                    scale(1.0 / factor)
                }
            }
            Self::Exponential { gamma } => {
                if t == 0 {
                    keep()
                } else {
                    scale(*gamma)
                }
            }
            Self::Linear {
                start_factor: s,
                end_factor: e,
                total_iters,
            } => {
                if t == 0 {
                    scale(*s)
                } else {
                    let denominator = *total_iters as f64 * s + (t - 1) as f64 * (e - s);
                    if denominator == 0.0 {
                        return Err(division("start_factor = 0 (the ramp cannot leave 0)"));
                    }
                    scale(1.0 + (e - s) / denominator)
                }
            }
            Self::CosineAnnealing {
                t_max,
                eta_min,
                eta_min_ratio,
            } => {
                let floor = |base: f64| eta_min_ratio.map_or(*eta_min, |r| base * r);
                let tm = *t_max as f64;
                if t == 0 {
                    keep()
                } else if (t - 1 - t_max).rem_euclid(2 * t_max) == 0 {
                    groups
                        .iter()
                        .zip(base_values)
                        .map(|(g, &b)| current(g) + (b - floor(b)) * (1.0 - (PI / tm).cos()) / 2.0)
                        .collect()
                } else {
                    let ratio = (1.0 + (PI * t as f64 / tm).cos())
                        / (1.0 + (PI * (t - 1) as f64 / tm).cos());
                    groups
                        .iter()
                        .zip(base_values)
                        .map(|(g, &b)| ratio * (current(g) - floor(b)) + floor(b))
                        .collect()
                }
            }
            Self::Poly {
                eta_min,
                power,
                total_iters,
            } => {
                if t == 0 {
                    keep()
                } else {
                    let m = (1.0 - 1.0 / (total_iters - t + 1) as f64).powf(*power);
                    groups
                        .iter()
                        .map(|g| (current(g) - eta_min) * m + eta_min)
                        .collect()
                }
            }
            Self::OneCycle(one_cycle) => one_cycle.values(t, groups)?,
            Self::CosineRestart {
                periods,
                restart_weights,
                eta_min,
                eta_min_ratio,
                cumulative_periods,
            } => {
                let Some(idx) = cumulative_periods.iter().position(|&c| t < c) else {
                    return Ok(keep());
                };
                let weight = restart_weights[idx];
                let nearest_restart = if idx == 0 {
                    0
                } else {
                    cumulative_periods[idx - 1]
                };
                let period = periods[idx] as f64;
                let k = t - nearest_restart;
                groups
                    .iter()
                    .zip(base_values)
                    .map(|(g, &b)| {
                        let eta_max = b * weight;
                        let floor = match eta_min_ratio {
                            Some(r) => b * r,
                            None => eta_min.unwrap_or(0.0),
                        };
                        if k == 0 {
                            eta_max
                        } else {
                            (1.0 + (PI * k as f64 / period).cos())
                                / (1.0 + (PI * (k - 1) as f64 / period).cos())
                                * (current(g) - floor)
                                + floor
                        }
                    })
                    .collect()
            }
            // Plateau schedulers change values only in `step_with_metrics`.
            Self::ReduceOnPlateau(_) => keep(),
        })
    }
}
