//! `ParamScheduler`: MMEngine's `_ParamScheduler` window and step logic around a [`Rule`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{JsonError, SchedulerError};
use super::family::Rule;
use super::family::StepContext;
use crate::base::ParamGroup;

/// MMEngine's `INF`: the integer 1e9, the default `end`.
pub const INF: i64 = 1_000_000_000;

/// One scheduler attached to one optimizer's parameter groups.
///
/// Its [`state_dict`](Self::state_dict) has MMEngine's attribute names
/// (`_global_step`, `_last_value`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamScheduler {
    /// The group key it drives: `lr`, `momentum`, `weight_decay`, ...
    pub param_name: String,
    /// First global step of the window.
    pub begin: i64,
    /// One past the last global step of the window.
    pub end: i64,
    /// Stepped after every epoch (`true`) or every iteration.
    pub by_epoch: bool,
    /// Steps taken inside the window, minus one (so 0 at the first).
    pub last_step: i64,
    /// Every `step()` call, starting at 0 for the constructor's.
    pub global_step: i64,
    /// `initial_<param_name>` of each group when built (empty for ReduceOnPlateau).
    pub base_values: Vec<f64>,
    /// The values after the last step.
    pub last_value: Vec<f64>,
    /// The family and its hyper-parameters.
    pub rule: Rule,
}

/// The attributes every scheduler has, as MMEngine's state dict names them.
#[derive(Serialize, Deserialize)]
struct Window {
    param_name: String,
    begin: i64,
    end: i64,
    by_epoch: bool,
    last_step: i64,
    #[serde(rename = "_global_step")]
    global_step: i64,
    /// Absent for ReduceOnPlateau, as upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_values: Option<Vec<f64>>,
    #[serde(rename = "_last_value")]
    last_value: Vec<f64>,
    /// Logging only; kept for MMEngine's shape.
    #[serde(default)]
    verbose: bool,
}

impl ParamScheduler {
    /// Attaches a scheduler to `groups` and takes its first step, as MMEngine's
    /// constructor does (so the groups hold the step-0 value afterwards).
    ///
    /// `last_step` other than -1 resumes by position: `initial_<param>` must already be
    /// in the groups.
    pub fn new(
        rule: Rule,
        param_name: &str,
        begin: i64,
        end: i64,
        by_epoch: bool,
        last_step: i64,
        groups: &mut [ParamGroup],
    ) -> Result<Self, SchedulerError> {
        if end <= begin {
            return Err(SchedulerError::Invalid(format!(
                "end should be larger than begin, but got begin={begin}, end={end}"
            )));
        }
        if last_step < -1 {
            return Err(SchedulerError::Invalid(format!(
                "last_step must be -1 or more, got {last_step}"
            )));
        }
        if groups.is_empty() {
            return Err(SchedulerError::Invalid(
                "the optimizer has no parameter groups".into(),
            ));
        }
        if let Rule::OneCycle(one_cycle) = &rule
            && last_step == -1
        {
            one_cycle.init_groups(groups)?;
        }
        let initial = format!("initial_{param_name}");
        for (i, group) in groups.iter_mut().enumerate() {
            let Some(value) = group.get(param_name) else {
                return Err(SchedulerError::MissingParam {
                    group: i,
                    param: param_name.to_string(),
                });
            };
            if last_step == -1 {
                group.set_default(&initial, value);
            } else if !group.contains(&initial) {
                return Err(SchedulerError::Invalid(format!(
                    "param '{initial}' is not specified in param_groups[{i}] when resuming an optimizer"
                )));
            }
        }
        let plateau = matches!(rule, Rule::ReduceOnPlateau(_));
        if plateau && !by_epoch {
            return Err(SchedulerError::Invalid(
                "ReduceOnPlateau only supports by_epoch = true (it steps on validation)".into(),
            ));
        }
        let base_values = if plateau {
            Vec::new()
        } else {
            groups
                .iter()
                .map(|g| g.get(&initial).unwrap_or(0.0))
                .collect()
        };
        let mut scheduler = Self {
            param_name: param_name.to_string(),
            begin,
            end,
            by_epoch,
            last_step,
            global_step: if plateau { 0 } else { -1 },
            base_values,
            last_value: Vec::new(),
            rule,
        };
        if plateau {
            scheduler.last_value = scheduler.current(groups);
        } else {
            scheduler.step(groups)?;
        }
        Ok(scheduler)
    }

    fn current(&self, groups: &[ParamGroup]) -> Vec<f64> {
        groups
            .iter()
            .map(|g| g.get(&self.param_name).unwrap_or(0.0))
            .collect()
    }

    /// `_last_value = [g[param_name] for g in groups]`, reusing the buffer (this runs
    /// on every step of every scheduler).
    fn refresh_last_value(&mut self, groups: &[ParamGroup]) {
        let param = &self.param_name;
        self.last_value.clear();
        self.last_value
            .extend(groups.iter().map(|g| g.get(param).unwrap_or(0.0)));
    }

    /// Whether this scheduler reacts to validation metrics (ReduceOnPlateau).
    pub fn needs_metrics(&self) -> bool {
        matches!(self.rule, Rule::ReduceOnPlateau(_))
    }

    /// One step (after an iteration or an epoch, per `by_epoch`). Outside the
    /// `[begin, end)` window the groups are left as they are.
    pub fn step(&mut self, groups: &mut [ParamGroup]) -> Result<(), SchedulerError> {
        self.global_step += 1;
        if !self.needs_metrics() && self.begin <= self.global_step && self.global_step < self.end {
            self.last_step += 1;
            let values = self.rule.values(&StepContext {
                t: self.last_step,
                param: &self.param_name,
                base_values: &self.base_values,
                groups,
            })?;
            for (group, value) in groups.iter_mut().zip(values) {
                group.set(&self.param_name, value);
            }
        }
        self.refresh_last_value(groups);
        Ok(())
    }

    /// A validation event for ReduceOnPlateau schedulers (a no-op step for others is
    /// not taken: the runner only calls this on schedulers that [`needs_metrics`]).
    ///
    /// [`needs_metrics`]: Self::needs_metrics
    pub fn step_with_metrics(
        &mut self,
        groups: &mut [ParamGroup],
        metrics: &BTreeMap<String, f64>,
    ) -> Result<(), SchedulerError> {
        let in_window = self.begin <= self.global_step && self.global_step < self.end;
        if let Rule::ReduceOnPlateau(plateau) = &mut self.rule
            && in_window
        {
            self.last_step += 1;
            plateau.observe(metrics, &self.param_name, groups)?;
        }
        self.refresh_last_value(groups);
        Ok(())
    }

    /// The values after the last step (`get_last_value`).
    pub fn last_value(&self) -> &[f64] {
        &self.last_value
    }

    /// MMEngine's `state_dict`: the window attributes (`param_name`, `begin`, `end`,
    /// `by_epoch`, `last_step`, `_global_step`, `verbose`, `_last_value`, and
    /// `base_values` except for ReduceOnPlateau) and the family's attributes by their
    /// MMEngine names (`milestones` as a dict of milestone → count, ...).
    pub fn state_dict(&self) -> Value {
        let window = Window {
            param_name: self.param_name.clone(),
            begin: self.begin,
            end: self.end,
            by_epoch: self.by_epoch,
            last_step: self.last_step,
            global_step: self.global_step,
            base_values: (!self.needs_metrics()).then(|| self.base_values.clone()),
            last_value: self.last_value.clone(),
            verbose: false,
        };
        let mut state = match serde_json::to_value(window) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        self.rule.save(&mut state);
        Value::Object(state)
    }

    /// Restores from [`state_dict`](Self::state_dict) (parsed back from JSON text, as
    /// checkpoints keep it). As upstream, hyper-parameters in the state override the
    /// ones this scheduler was built with; the family stays this scheduler's. Keys
    /// MMEngine adds that this crate does not use (`use_betas`, `rule_worse`, ...) are
    /// ignored. On error nothing changes.
    pub fn load_state_dict(&mut self, state: &Value) -> Result<(), SchedulerError> {
        let family = self.rule.family();
        let window: Window =
            serde_path_to_error::deserialize(state).map_err(|e| SchedulerError::StateDict {
                family,
                key: e.path().to_string(),
                error: JsonError::new(e.into_inner()),
            })?;
        let rule = self.rule.load(state)?;
        *self = Self {
            param_name: window.param_name,
            begin: window.begin,
            end: window.end,
            by_epoch: window.by_epoch,
            last_step: window.last_step,
            global_step: window.global_step,
            base_values: window.base_values.unwrap_or_default(),
            last_value: window.last_value,
            rule,
        };
        Ok(())
    }
}
