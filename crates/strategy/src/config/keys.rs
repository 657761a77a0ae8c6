//! The top-level keys of an experiment config and what happens to each: understood,
//! noted (cannot change the result here), or, for anything else, an error naming the
//! key and the closest known one. MMCV 1.x names get a pointer to their MMEngine key.

/// Top-level keys the playground reads (each may still refuse a value it cannot honour).
pub const UNDERSTOOD: [&str; 26] = [
    "model",
    "optim_wrapper",
    "param_scheduler",
    "train_cfg",
    "val_cfg",
    "test_cfg",
    "train_dataloader",
    "val_dataloader",
    "test_dataloader",
    "val_evaluator",
    "test_evaluator",
    "auto_scale_lr",
    "randomness",
    "default_hooks",
    "custom_hooks",
    "work_dir",
    "load_from",
    "resume",
    "log_level",
    "compile",
    "env_cfg",
    "strategy",
    "launcher",
    "visualizer",
    "log_processor",
    "experiment_name",
];

/// Accepted keys that cannot change a result here, and why.
pub const NOTED: [(&str, &str); 2] = [
    (
        "default_scope",
        "selects the OpenMMLab registry scope; the playground has one registry per kind",
    ),
    (
        "model_wrapper_cfg",
        "wraps the model for distributed training; with one device MMEngine does not wrap it either",
    ),
];

/// MMCV 1.x keys and where MMEngine moved them.
pub const MOVED: [(&str, &str); 10] = [
    ("optimizer", "optim_wrapper.optimizer"),
    (
        "optimizer_config",
        "optim_wrapper (clip_grad, accumulative_counts)",
    ),
    ("lr_config", "param_scheduler"),
    ("momentum_config", "param_scheduler (a *Momentum scheduler)"),
    ("runner", "train_cfg"),
    ("total_epochs", "train_cfg.max_epochs"),
    (
        "data",
        "train_dataloader / val_dataloader / test_dataloader",
    ),
    ("evaluation", "val_cfg and val_evaluator"),
    ("checkpoint_config", "default_hooks.checkpoint"),
    ("log_config", "default_hooks.logger"),
];

/// Every name a top-level key may have.
pub fn known() -> impl Iterator<Item = &'static str> {
    UNDERSTOOD
        .iter()
        .copied()
        .chain(NOTED.iter().map(|(k, _)| *k))
}

/// The message for a top-level key that is neither understood nor noted.
pub fn unknown_message(key: &str) -> String {
    if let Some((_, to)) = MOVED.iter().find(|(k, _)| *k == key) {
        return format!("`{key}` is an MMCV 1.x key; MMEngine configs write it as {to}");
    }
    format!(
        "unknown top-level key.{} (a key that is not read would silently change nothing)",
        crate::base::did_you_mean(key, known())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_closest_key() {
        assert!(unknown_message("param_schedulers").contains("Did you mean `param_scheduler`?"));
        assert!(unknown_message("optim_wraper").contains("Did you mean `optim_wrapper`?"));
        assert!(unknown_message("lr_config").contains("param_scheduler"));
    }
}
