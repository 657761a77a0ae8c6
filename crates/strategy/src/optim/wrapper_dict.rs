//! `OptimWrapperDict`: MMEngine's container for several named optimizer wrappers (a
//! GAN's generator and discriminator); with one wrapper it behaves as that wrapper.

use std::collections::{BTreeMap, HashMap};

use burn::module::{Module, ParamId};
use burn::tensor::Tensor;

use super::wrapper::OptimWrapper;

/// One unnamed wrapper, or several named ones in config order.
#[derive(Debug, Clone)]
pub struct OptimWrapperDict {
    wrappers: Vec<(Option<String>, OptimWrapper)>,
}

impl OptimWrapperDict {
    /// The single-optimizer case.
    pub fn single(wrapper: OptimWrapper) -> Self {
        Self {
            wrappers: vec![(None, wrapper)],
        }
    }

    /// Several named wrappers.
    pub fn named(wrappers: Vec<(String, OptimWrapper)>) -> Self {
        Self {
            wrappers: wrappers.into_iter().map(|(n, w)| (Some(n), w)).collect(),
        }
    }

    /// A copy for another data-parallel rank (see [`OptimWrapper::replica`]).
    pub fn replica(
        &self,
        device: &burn::tensor::Device,
        reducer: &super::reduce::RankReducer,
    ) -> Self {
        Self {
            wrappers: self
                .wrappers
                .iter()
                .map(|(n, w)| (n.clone(), w.replica(device, reducer.clone())))
                .collect(),
        }
    }

    /// Puts every wrapper in a data-parallel group (`None`: out of it).
    pub fn set_reducer(&mut self, reducer: Option<&super::reduce::RankReducer>) {
        for (_, w) in &mut self.wrappers {
            w.reducer = reducer.cloned();
        }
    }

    /// Gives every wrapper the hyper-parameters (`lr`, `momentum`, …) and counters of
    /// `main`'s, the rank the schedulers drive.
    pub fn follow(&mut self, main: &Self) {
        for ((_, w), (_, m)) in self.wrappers.iter_mut().zip(&main.wrappers) {
            w.groups.clone_from(&m.groups);
        }
    }

    /// How many wrappers.
    pub fn len(&self) -> usize {
        self.wrappers.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.wrappers.is_empty()
    }

    /// `(name, wrapper)` in order; the single wrapper has no name.
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &OptimWrapper)> {
        self.wrappers.iter().map(|(n, w)| (n.as_deref(), w))
    }

    /// Mutable `(name, wrapper)` in order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Option<&str>, &mut OptimWrapper)> {
        self.wrappers.iter_mut().map(|(n, w)| (n.as_deref(), w))
    }

    /// The wrapper called `name`.
    pub fn get(&self, name: &str) -> Option<&OptimWrapper> {
        self.wrappers
            .iter()
            .find(|(n, _)| n.as_deref() == Some(name))
            .map(|(_, w)| w)
    }

    /// The wrapper called `name`, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut OptimWrapper> {
        self.wrappers
            .iter_mut()
            .find(|(n, _)| n.as_deref() == Some(name))
            .map(|(_, w)| w)
    }

    /// `update_params` of the (first) wrapper: a single-optimizer model's step.
    pub fn update_params<M: Module>(&mut self, loss: Tensor<1>, module: M) -> M {
        match self.wrappers.first_mut() {
            Some((_, w)) => w.update_params(loss, module),
            None => module,
        }
    }

    /// `update_params` of the wrapper called `name` on the part of the model it owns.
    /// A name without a wrapper leaves the part unchanged (the model's
    /// `build_optim_wrapper` guarantees every part has one).
    pub fn update_params_of<M: Module>(&mut self, name: &str, loss: Tensor<1>, module: M) -> M {
        match self.get_mut(name) {
            Some(w) => w.update_params(loss, module),
            None => module,
        }
    }

    /// The dtype mixed precision computes in (the first wrapper's that has one).
    pub fn compute_dtype(&self) -> Option<burn::tensor::FloatDType> {
        self.wrappers.iter().find_map(|(_, w)| w.compute_dtype)
    }

    /// Mixed precision, before a training step: every wrapper gets the f32 master
    /// weights of its parameters.
    pub fn begin_amp(&mut self, masters: &HashMap<ParamId, Tensor<1>>) {
        for (_, w) in &mut self.wrappers {
            w.begin_amp(masters);
        }
    }

    /// Mixed precision, after a training step: `masters` with every wrapper's
    /// updates.
    pub fn end_amp(
        &mut self,
        mut masters: HashMap<ParamId, Tensor<1>>,
    ) -> HashMap<ParamId, Tensor<1>> {
        for (_, w) in &mut self.wrappers {
            if let Some(updated) = w.amp_masters.take() {
                masters.extend(updated);
            }
        }
        masters
    }

    /// Whether a step waits for its inf/NaN flag (mixed precision in the browser:
    /// [`OptimWrapper::defer_inf_check`]).
    pub fn has_pending(&self) -> bool {
        self.wrappers.iter().any(|(_, w)| !w.pending.is_empty())
    }

    /// The flags of the waiting steps, still on the device: `(wrapper index, flag)`
    /// (read them back, then [`OptimWrapperDict::finish_pending`]). A wrapper stepped
    /// twice in one `train_step` is an error (its message): its second step would have
    /// needed the first one's weights.
    pub fn pending_flags(&self) -> Result<Vec<(usize, Tensor<1>)>, String> {
        let mut flags = Vec::new();
        for (i, (name, w)) in self.wrappers.iter().enumerate() {
            let Some((flag, count)) = w.pending_flag() else {
                continue;
            };
            if count > 1 {
                return Err(format!(
                    "{}: the model stepped this AmpOptimWrapper {count} times in one \
                     train_step; its inf/NaN check is deferred to the end of the step here, \
                     so each wrapper may step once per iteration",
                    name.as_deref()
                        .map_or("optim_wrapper".to_string(), |n| format!(
                            "optim_wrapper.{n}"
                        ))
                ));
            }
            flags.push((i, flag));
        }
        Ok(flags)
    }

    /// Completes the waiting steps on `module` with their flags read back
    /// (`(wrapper index, found inf/NaN)`, from [`OptimWrapperDict::pending_flags`]).
    pub fn finish_pending<M: Module>(&mut self, mut module: M, flags: &[(usize, bool)]) -> M {
        for &(i, found_inf) in flags {
            if let Some((_, w)) = self.wrappers.get_mut(i) {
                module = w.finish_pending(module, found_inf);
            }
        }
        module
    }

    /// `zero_grad` on every wrapper.
    pub fn zero_grad(&mut self) {
        for (_, w) in &mut self.wrappers {
            w.zero_grad();
        }
    }

    /// `initialize_count_status` on every wrapper.
    pub fn initialize_count_status(&mut self, init_counts: i64, max_counts: i64) {
        for (_, w) in &mut self.wrappers {
            w.initialize_count_status(init_counts, max_counts);
        }
    }

    /// MMEngine's `get_lr`: `lr` → every group's lr, or `<name>.lr` per wrapper.
    pub fn get_lr(&self) -> BTreeMap<String, Vec<f64>> {
        self.keyed("lr", OptimWrapper::get_lr)
    }

    /// MMEngine's `get_momentum`: `momentum`, or `<name>.momentum` per wrapper.
    pub fn get_momentum(&self) -> BTreeMap<String, Vec<f64>> {
        self.keyed("momentum", OptimWrapper::get_momentum)
    }

    fn keyed(&self, what: &str, f: fn(&OptimWrapper) -> Vec<f64>) -> BTreeMap<String, Vec<f64>> {
        self.wrappers
            .iter()
            .map(|(n, w)| {
                let key = match n {
                    Some(n) => format!("{n}.{what}"),
                    None => what.to_string(),
                };
                (key, f(w))
            })
            .collect()
    }
}
