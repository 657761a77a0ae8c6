//! Every trajectory of `../shared/reference/optim/*.json` (PyTorch + MMEngine's
//! OptimWrapper from fixed weights and batches) and of `tests/data/optim/*.json`
//! (the same with the rest of torch.optim, mmpretrain's LARS and Lamb and
//! lion-pytorch's Lion, written by that directory's `generate.py`) reproduced on
//! burn's CPU backend: a linear layer trained with MSE, the lr and momentum each step
//! and the weights after each step, f32 relative error ≤ 1e-5. Every case whose
//! optimizer takes PyTorch's `foreach` runs twice, per parameter (the CPU default) and
//! with `foreach = true` (the weight and the bias as one concatenated tensor, the GPU
//! default): both must match PyTorch, and each other bit for bit.
#![cfg(all(feature = "cpu", not(target_family = "wasm")))]

mod common;

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use playground_strategy::config::{ExperimentConfig, Registries};
use playground_strategy::optim::config::OptimWrapperConfig;
use playground_strategy::optim::wrapper::OptimWrapper;
use playground_strategy::scheduler::{RunLength, build_param_scheduler};
use serde_json::{Value, json};

/// `y = x Wᵀ + b`, PyTorch's `nn.Linear` layout.
#[derive(Module, Debug)]
struct Linear {
    weight: Param<Tensor<2>>,
    bias: Param<Tensor<1>>,
}

impl Linear {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.weight.val().transpose()) + self.bias.val().unsqueeze_dim(0)
    }
}

fn matrix(v: &Value) -> (Vec<f32>, [usize; 2]) {
    let rows = v.as_array().expect("rows");
    let cols = rows[0].as_array().expect("cols").len();
    let data = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number") as f32)
        })
        .collect();
    (data, [rows.len(), cols])
}

fn vector(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("vector")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn tensor2(v: &Value, device: &Device) -> Tensor<2> {
    let (data, shape) = matrix(v);
    Tensor::from_data(TensorData::new(data, shape), device)
}

fn close(got: f32, want: f32) -> bool {
    (got - want).abs() <= 1e-5 * got.abs().max(want.abs()).max(1e-2)
}

/// Trains `case` (with `foreach` set in its optimizer when given) and returns the
/// weights after each step, each checked against PyTorch's.
fn run_case(case: &Value, foreach: Option<bool>) -> Result<Vec<Vec<f32>>, String> {
    let device = Device::flex().autodiff();
    let max_iters = case["max_iters"].as_i64().expect("max_iters");
    let mut optim_wrapper = case["optim_wrapper"].clone();
    if let Some(f) = foreach {
        optim_wrapper["optimizer"]["foreach"] = json!(f);
    }
    let cfg = ExperimentConfig::from_tree(
        json!({
            "optim_wrapper": optim_wrapper,
            "param_scheduler": case["param_scheduler"],
            "train_cfg": {"by_epoch": false, "max_iters": max_iters},
        }),
        &Registries::default(),
    )
    .map_err(|e| format!("config: {e}"))?;
    let Some(OptimWrapperConfig::Single(spec)) = cfg.optim_wrapper.clone() else {
        return Err("expected one optimizer".into());
    };
    let mut model = Linear {
        weight: Param::from_tensor(tensor2(&case["init"]["weight"], &device).require_grad()),
        bias: Param::from_tensor(
            Tensor::<1>::from_floats(vector(&case["init"]["bias"]).as_slice(), &device)
                .require_grad(),
        ),
    };
    let mut wrapper = OptimWrapper::new(spec, &model);
    wrapper.initialize_count_status(0, max_iters);
    let run = RunLength {
        max_epochs: Some(1),
        max_iters: Some(max_iters),
        epoch_length: None,
    };
    let mut named = vec![(None, std::mem::take(&mut wrapper.groups))];
    let mut schedulers = match &cfg.param_scheduler {
        Some(c) => build_param_scheduler(c, &mut named, &run)
            .map_err(|e| format!("schedulers: {e}"))?
            .remove(0),
        None => Vec::new(),
    };
    wrapper.groups = named.remove(0).1;
    let mut trajectory = Vec::new();
    for (it, batch) in case["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .enumerate()
    {
        let want_lr = case["lr_per_step"][it].as_f64().expect("lr");
        let lr = wrapper.get_lr()[0];
        if (lr - want_lr).abs() > 1e-9 * want_lr.abs() {
            return Err(format!("step {it}: lr {lr}, PyTorch used {want_lr}"));
        }
        if let Some(want) = case["momentum_per_step"][it].as_f64() {
            let got = wrapper.get_momentum()[0];
            if (got - want).abs() > 1e-9 * want.abs() {
                return Err(format!("step {it}: momentum {got}, MMEngine has {want}"));
            }
        }
        let x = tensor2(&batch["x"], &device);
        let y = tensor2(&batch["y"], &device);
        let loss = (model.forward(x) - y).powf_scalar(2.0).mean();
        model = wrapper.update_params(loss, model);
        for s in schedulers.iter_mut().filter(|s| !s.by_epoch) {
            s.step(&mut wrapper.groups).map_err(|e| e.to_string())?;
        }
        let after = &case["after_each_step"][it];
        let (want_w, _) = matrix(&after["weight"]);
        let got_w: Vec<f32> = model
            .weight
            .val()
            .into_data()
            .try_to_vec()
            .map_err(|e| format!("{e:?}"))?;
        let want_b = vector(&after["bias"]);
        let got_b: Vec<f32> = model
            .bias
            .val()
            .into_data()
            .try_to_vec()
            .map_err(|e| format!("{e:?}"))?;
        for (k, (g, w)) in got_w
            .iter()
            .zip(&want_w)
            .chain(got_b.iter().zip(&want_b))
            .enumerate()
        {
            if !close(*g, *w) {
                return Err(format!(
                    "step {it}: parameter element {k} is {g}, PyTorch has {w}"
                ));
            }
        }
        trajectory.push(got_w.into_iter().chain(got_b).collect());
    }
    Ok(trajectory)
}

/// The optimizers that take PyTorch's `foreach` argument (not LARS, Lamb, Lion).
fn takes_foreach(case: &Value) -> bool {
    let kind = case["optim_wrapper"]["optimizer"]["type"]
        .as_str()
        .unwrap_or("");
    !matches!(kind, "LARS" | "Lamb" | "Lion")
}

/// Both runs of `case` (see the module doc), compared with each other.
fn run_both(case: &Value) -> Result<(), String> {
    let plain = run_case(case, None)?;
    if !takes_foreach(case) {
        return Ok(());
    }
    let grouped = run_case(case, Some(true)).map_err(|e| format!("foreach = true: {e}"))?;
    for (it, (a, b)) in plain.iter().zip(&grouped).enumerate() {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        if bits(a) != bits(b) {
            return Err(format!(
                "step {it}: foreach = true gives {b:?}, per parameter {a:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn every_reference_trajectory_matches_pytorch() {
    let mut files = common::reference_cases("optim", 14);
    let ours = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/optim");
    let before = files.len();
    files.extend(
        std::fs::read_dir(&ours)
            .expect("tests/data/optim is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json")),
    );
    assert!(
        files.len() - before >= 17,
        "tests/data/optim has too few cases"
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(f).expect("readable")).expect("json");
            run_both(&case).err().map(|e| {
                format!(
                    "{}: {e}",
                    f.file_name().and_then(|n| n.to_str()).unwrap_or("?")
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
