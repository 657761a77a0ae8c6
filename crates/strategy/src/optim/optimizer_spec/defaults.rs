//! Default values of optimizer arguments (serde `default = "..."`).

pub(super) fn lr_sgd() -> f64 {
    1e-3
}
pub(super) fn lr_adam() -> f64 {
    1e-3
}
pub(super) fn lr_small() -> f64 {
    1e-2
}
pub(super) fn alpha_default() -> f64 {
    0.99
}
pub(super) fn eps_adam() -> f64 {
    1e-8
}
pub(super) fn eps_adagrad() -> f64 {
    1e-10
}
pub(super) fn betas_default() -> (f64, f64) {
    (0.9, 0.999)
}
pub(super) fn one() -> f64 {
    1.0
}
pub(super) fn lr_adamax() -> f64 {
    2e-3
}
pub(super) fn lr_lion() -> f64 {
    1e-4
}
pub(super) fn rho_default() -> f64 {
    0.9
}
pub(super) fn eps_adadelta() -> f64 {
    1e-6
}
pub(super) fn momentum_decay_default() -> f64 {
    4e-3
}
pub(super) fn lambd_default() -> f64 {
    1e-4
}
pub(super) fn asgd_alpha_default() -> f64 {
    0.75
}
pub(super) fn t0_default() -> f64 {
    1e6
}
pub(super) fn etas_default() -> (f64, f64) {
    (0.5, 1.2)
}
pub(super) fn step_sizes_default() -> (f64, f64) {
    (1e-6, 50.0)
}
pub(super) fn lars_eta_default() -> f64 {
    1e-3
}
pub(super) fn lamb_weight_decay_default() -> f64 {
    0.01
}
pub(super) fn yes() -> bool {
    true
}
pub(super) fn lion_betas_default() -> (f64, f64) {
    (0.9, 0.99)
}
