//! The form defaults every scheduler type starts from make a working scheduler.

use serde_json::{Map, Value};

use super::{FormValue, defaults};
use crate::base::KeyPath;
use crate::scheduler::{ParamGroup, RunLength, scheduler_registry};

#[test]
fn every_type_s_form_defaults_build_and_attach() {
    let registry = scheduler_registry();
    let run = RunLength {
        max_epochs: Some(10),
        max_iters: Some(1000),
        epoch_length: Some(100),
    };
    for name in registry.names() {
        let mut dict = Map::new();
        dict.insert("type".into(), Value::from(name));
        for (key, value) in defaults(name) {
            dict.insert(key.into(), value.to_json());
        }
        let mut groups = vec![ParamGroup::new([
            ("lr", 0.1),
            ("momentum", 0.9),
            ("weight_decay", 1e-4),
        ])];
        registry
            .build(
                &Value::Object(dict.clone()),
                &KeyPath::root().key("param_scheduler"),
            )
            .and_then(|spec| spec.resolve(&run))
            .map_err(|e| e.to_string())
            .and_then(|spec| spec.attach(&mut groups).map_err(|e| e.to_string()))
            .unwrap_or_else(|e| panic!("{name} with {dict:?}: {e}"));
    }
}

#[test]
fn defaults_follow_the_type_name() {
    let keys = |t: &str| defaults(t).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys("StepLR"), ["step_size", "gamma", "by_epoch", "begin"]);
    assert_eq!(keys("StepMomentum"), keys("StepLR"));
    assert_eq!(keys("StepParamScheduler")[0], "param_name");
    assert_eq!(keys("NoSuchLR"), ["by_epoch", "begin"]);
    assert!(defaults("ReduceOnPlateauLR").contains(&("by_epoch", FormValue::Bool(true))));
    assert_eq!(
        defaults("MultiStepLR")[0].1.to_toml().to_string().trim(),
        "[30, 60]"
    );
}
