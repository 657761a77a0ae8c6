//! The scheduler families, one file each: the family's config (MMEngine's keys, as a
//! `serde` struct that refuses unknown keys), how it resolves into a rule
//! ([`FamilyConfig::init`], burn's `FooConfig::init` pattern) and the rule's formula
//! (MMEngine's `_get_value`).
//!
//! Formulas read each group's *current* value and return the next one, exactly as
//! MMEngine's chainable form does (same operations in the same order, in f64), so that
//! schedulers composed on one optimizer multiply the way they do upstream. Positions
//! `t` are `last_step`: relative to the scheduler's `begin`.
//!
//! Adding a family: a file here implementing [`FamilyConfig`] and [`Formula`], and one
//! line in the `families!` table at the bottom.

pub mod constant;
pub mod cosine;
pub mod cosine_restart;
pub mod exponential;
pub mod linear;
pub mod multi_step;
pub mod one_cycle;
pub mod plateau;
pub mod poly;
pub mod step;

mod keys;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

#[cfg(test)]
mod tests;

pub use keys::{FormValue, finite, positive, resolved, unit_interval, whole_steps};

use super::error::{JsonError, SchedulerError};
use crate::base::ParamGroup;
use crate::base::{ConfigError, KeyPath};

/// What a rule sees when it computes one step.
#[derive(Debug, Clone, Copy)]
pub struct StepContext<'a> {
    /// `last_step`: the position relative to `begin` (0 at the first in-window step).
    pub t: i64,
    /// The group key being scheduled.
    pub param: &'a str,
    /// `initial_<param>` of each group, as snapshotted when the scheduler was built.
    pub base_values: &'a [f64],
    /// The optimizer's groups, holding the current values.
    pub groups: &'a [ParamGroup],
}

impl StepContext<'_> {
    /// The current value of one group.
    pub fn current(&self, group: &ParamGroup) -> f64 {
        group.get(self.param).unwrap_or(0.0)
    }

    /// Every group's value, unchanged.
    pub fn keep(&self) -> Vec<f64> {
        self.groups.iter().map(|g| self.current(g)).collect()
    }

    /// Every group's value times `m`.
    pub fn scale(&self, m: f64) -> Vec<f64> {
        self.groups.iter().map(|g| self.current(g) * m).collect()
    }

    /// Each group's current value with its base value.
    pub fn with_base(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.groups
            .iter()
            .zip(self.base_values)
            .map(|(g, &b)| (self.current(g), b))
    }

    /// Where MMEngine would raise `ZeroDivisionError`.
    pub fn division_by_zero(&self, family: &'static str, what: &str) -> SchedulerError {
        SchedulerError::DivisionByZero {
            family,
            step: self.t,
            what: what.to_string(),
        }
    }
}

/// A family's update rule: the next value of every group at one step.
pub trait Formula {
    /// The values for `cx.t`, one per group.
    fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError>;
}

/// The scheduler's window and identity, as a family sees them when it is checked
/// (before `end` is known) and built.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// The config's `type` (`CosineAnnealingLR`), for messages.
    pub type_name: &'a str,
    /// The group key it drives.
    pub param_name: &'a str,
    /// Window start.
    pub begin: i64,
    /// Window end (`INF` when unbounded); `None` while checking a config whose `end`
    /// defaults to the end of training.
    pub end: Option<i64>,
    /// Stepped per epoch.
    pub by_epoch: bool,
    /// `convert_to_iter_based` is still to scale the step counts (so they need not be
    /// whole yet).
    pub convert_to_iter_based: bool,
}

impl Window<'_> {
    /// `end` (MMEngine's `INF` when unbounded).
    pub fn end(&self) -> i64 {
        self.end.unwrap_or(super::INF)
    }

    /// `end - begin`: the default `T_max` and `total_steps`.
    pub fn span(&self) -> i64 {
        self.end() - self.begin
    }

    /// `end - begin - 1`: Constant's, Linear's and Poly's `total_iters`.
    pub fn total_iters(&self) -> i64 {
        self.span() - 1
    }
}

/// A family's config: its own keys (the window keys `begin`, `end`, `by_epoch`, ...
/// are parsed once for all families), checked, scaled by `convert_to_iter_based`, and
/// turned into its [`Rule`].
pub trait FamilyConfig: DeserializeOwned + Sized {
    /// Whether a `<Family>Momentum` type exists (OneCycle has none, as upstream).
    const MOMENTUM: bool = true;

    /// Checks what MMEngine checks when it builds the scheduler (and a few things it
    /// would only find out later), naming the key at fault under `path`.
    fn check(&self, _window: &Window<'_>, _path: &KeyPath) -> Result<(), ConfigError> {
        Ok(())
    }

    /// `build_iter_from_epoch`: scales this family's step counts by `epoch_length`.
    fn convert_to_iter_based(&mut self, _epoch_length: i64) {}

    /// The rule for a resolved window (`end` known), on `groups` (read-only: the
    /// scheduler changes them when it takes its first step).
    fn init(&self, window: &Window<'_>, groups: &[ParamGroup]) -> Result<Rule, SchedulerError>;

    /// Starting fields for a new scheduler of this family in a form (MMEngine's
    /// defaults where it has them, and a sensible value for required keys).
    fn form_defaults() -> Vec<(&'static str, FormValue)>;
}

/// Parses a family's own keys (the window keys already removed) at `path`.
fn parse<C: FamilyConfig>(
    own: &Map<String, Value>,
    common_keys: &[&str],
    path: &KeyPath,
) -> Result<C, ConfigError> {
    keys::refuse_unknown::<C>(own, common_keys, path)?;
    crate::base::from_table(own, path)
}

/// The fields a form starts a new scheduler of type `type_name` with
/// (`CosineAnnealingLR`, `StepMomentum`, `LinearParamScheduler`, ...): `param_name` for
/// a `*ParamScheduler` (`lr`), the family's own keys (MMEngine's defaults where it has
/// them, a sensible value for required ones), then `by_epoch` (false, except for
/// ReduceOnPlateau which only steps on validation) and `begin` (0). A type outside
/// the registry gets only `by_epoch` and `begin`.
pub fn defaults(type_name: &str) -> Vec<(&'static str, FormValue)> {
    let (family, generic) = match type_name.strip_suffix("ParamScheduler") {
        Some(family) => (family, true),
        None => (
            ["LR", "Momentum"]
                .iter()
                .find_map(|s| type_name.strip_suffix(s))
                .unwrap_or(type_name),
            false,
        ),
    };
    let mut fields = Vec::new();
    if generic {
        fields.push(("param_name", FormValue::Str("lr")));
    }
    fields.extend(family_form_defaults(family).unwrap_or_default());
    fields.push(("by_epoch", FormValue::Bool(family == "ReduceOnPlateau")));
    fields.push(("begin", FormValue::Int(0)));
    fields
}

macro_rules! families {
    ($($(#[$doc:meta])* $variant:ident($config:ty => $rule:ty),)*) => {
        /// A scheduler family's hyper-parameters as configured (before `end` is known).
        #[derive(Debug, Clone, PartialEq)]
        pub enum Family {
            $($(#[$doc])* $variant($config),)*
        }

        /// The family of a built scheduler and its resolved hyper-parameters
        /// (MMEngine's attribute names).
        #[derive(Debug, Clone, PartialEq)]
        pub enum Rule {
            $($(#[$doc])* $variant($rule),)*
        }

        /// Every family: its name (MMEngine's class-name stem) and whether it has a
        /// `Momentum` type.
        pub const FAMILIES: &[(&str, bool)] = &[
            $((stringify!($variant), <$config as FamilyConfig>::MOMENTUM),)*
        ];

        impl Family {
            /// Parses the family `name`'s own keys at `path`; `common_keys` are the
            /// window keys every scheduler also takes (for "did you mean").
            pub fn parse(
                name: &str,
                own: &Map<String, Value>,
                common_keys: &[&str],
                path: &KeyPath,
            ) -> Result<Self, ConfigError> {
                match name {
                    $(stringify!($variant) => parse(own, common_keys, path).map(Self::$variant),)*
                    other => Err(path.key("type").error(format!("no scheduler family {other}"))),
                }
            }

            /// MMEngine's family name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => stringify!($variant),)*
                }
            }

            /// See [`FamilyConfig::check`].
            pub fn check(&self, window: &Window<'_>, path: &KeyPath) -> Result<(), ConfigError> {
                match self {
                    $(Self::$variant(c) => c.check(window, path),)*
                }
            }

            /// See [`FamilyConfig::convert_to_iter_based`].
            pub fn convert_to_iter_based(&mut self, epoch_length: i64) {
                match self {
                    $(Self::$variant(c) => c.convert_to_iter_based(epoch_length),)*
                }
            }

            /// See [`FamilyConfig::init`].
            pub fn init(&self, window: &Window<'_>, groups: &[ParamGroup]) -> Result<Rule, SchedulerError> {
                match self {
                    $(Self::$variant(c) => c.init(window, groups),)*
                }
            }
        }

        /// The family `name`'s own starting fields (see
        /// [`FamilyConfig::form_defaults`]); `None` for an unknown family.
        fn family_form_defaults(name: &str) -> Option<Vec<(&'static str, FormValue)>> {
            match name {
                $(stringify!($variant) => Some(<$config as FamilyConfig>::form_defaults()),)*
                _ => None,
            }
        }

        impl Rule {
            /// MMEngine's family name (`CosineAnnealing`, ...), for messages.
            pub fn family(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => stringify!($variant),)*
                }
            }

            /// The next values of the scheduled key for every group.
            pub(crate) fn values(&self, cx: &StepContext<'_>) -> Result<Vec<f64>, SchedulerError> {
                match self {
                    $(Self::$variant(rule) => rule.values(cx),)*
                }
            }

            /// The family's attributes, by MMEngine's names, added to `state`.
            pub(crate) fn save(&self, state: &mut Map<String, Value>) {
                let value = match self {
                    $(Self::$variant(rule) => serde_json::to_value(rule),)*
                };
                // Plain structs of numbers, strings and integer-keyed maps: these
                // always serialise.
                if let Ok(Value::Object(fields)) = value {
                    state.extend(fields);
                }
            }

            /// A rule of the same family with the attributes in `state` (MMEngine's
            /// `load_state_dict`: the saved hyper-parameters win).
            pub(crate) fn load(&self, state: &Value) -> Result<Self, SchedulerError> {
                let family = self.family();
                let error = |e: serde_path_to_error::Error<serde_json::Error>| {
                    SchedulerError::StateDict {
                        family,
                        key: e.path().to_string(),
                        error: JsonError::new(e.into_inner()),
                    }
                };
                match self {
                    $(Self::$variant(_) => serde_path_to_error::deserialize(state)
                        .map(Self::$variant)
                        .map_err(error),)*
                }
            }
        }
    };
}

families! {
    /// Multiply by `gamma` every `step_size` steps.
    Step(step::StepConfig => step::Step),
    /// Multiply by `gamma^count` at each milestone.
    MultiStep(multi_step::MultiStepConfig => multi_step::MultiStep),
    /// `factor` until the last step of the window, then back.
    Constant(constant::ConstantConfig => constant::Constant),
    /// Multiply by `gamma` every step after the first.
    Exponential(exponential::ExponentialConfig => exponential::Exponential),
    /// A linear ramp of the multiplier.
    Linear(linear::LinearConfig => linear::Linear),
    /// Cosine annealing with period `2·T_max`.
    CosineAnnealing(cosine::CosineAnnealingConfig => cosine::CosineAnnealing),
    /// Polynomial decay to `eta_min`.
    Poly(poly::PolyConfig => poly::Poly),
    /// The 1cycle policy (not chainable: ignores the current value).
    OneCycle(one_cycle::OneCycleConfig => one_cycle::OneCycle),
    /// Cosine annealing with warm restarts.
    CosineRestart(cosine_restart::CosineRestartConfig => cosine_restart::CosineRestart),
    /// Reduce when a validation metric stops improving.
    ReduceOnPlateau(plateau::ReduceOnPlateauConfig => plateau::Plateau),
}
