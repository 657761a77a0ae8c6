//! [`Rule`]: the table of scheduler families, each variant holding its family's
//! resolved hyper-parameters (see [`family`](super::family) for the formulas).
//!
//! Adding a family: its file under `family/`, one line here, one in the registry
//! table of [`spec`](super::spec).

use serde_json::{Map, Value};

use super::error::{JsonError, SchedulerError};
use super::family::{
    Formula, StepContext, constant::Constant, cosine::CosineAnnealing,
    cosine_restart::CosineRestart, exponential::Exponential, linear::Linear, multi_step::MultiStep,
    one_cycle::OneCycle, plateau::Plateau, poly::Poly, step::Step,
};

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// The family of a scheduler and its hyper-parameters (MMEngine's names).
        #[derive(Debug, Clone, PartialEq)]
        pub enum Rule {
            $($(#[$doc])* $variant($ty),)*
        }

        impl Rule {
            /// MMEngine's family name (`CosineAnnealing`, ...), for messages.
            pub fn family(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => stringify!($variant),)*
                }
            }

            /// The next values of the scheduled key for every group.
            pub(super) fn values(
                &self,
                cx: &StepContext<'_>,
            ) -> Result<Vec<f64>, SchedulerError> {
                match self {
                    $(Self::$variant(rule) => rule.values(cx),)*
                }
            }

            /// The family's attributes, by MMEngine's names, added to `state`.
            pub(super) fn save(&self, state: &mut Map<String, Value>) {
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
            pub(super) fn load(&self, state: &Value) -> Result<Self, SchedulerError> {
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

rules! {
    /// Multiply by `gamma` every `step_size` steps.
    Step(Step),
    /// Multiply by `gamma^count` at each milestone.
    MultiStep(MultiStep),
    /// `factor` for `total_iters` steps, then back.
    Constant(Constant),
    /// Multiply by `gamma` every step after the first.
    Exponential(Exponential),
    /// Linear ramp of the multiplier.
    Linear(Linear),
    /// Cosine annealing with period `2·T_max`.
    CosineAnnealing(CosineAnnealing),
    /// Polynomial decay to `eta_min`.
    Poly(Poly),
    /// The 1cycle policy (not chainable: ignores the current value).
    OneCycle(OneCycle),
    /// Cosine annealing with warm restarts.
    CosineRestart(CosineRestart),
    /// Reduce when a validation metric stops improving.
    ReduceOnPlateau(Plateau),
}
