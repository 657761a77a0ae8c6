//! `DDPStrategy`: data parallelism over several devices, as MMEngine's DDPStrategy
//! with PyTorch's DistributedDataParallel.
//!
//! Rank 0 is the run's model and optimizer wrappers (what the loop, the hooks and the
//! checkpoints see); ranks `1..N` are [`Replica`]s: a copy of the model and of the
//! wrappers on their own device, with their own shard of every epoch
//! (`DefaultSampler`: rank `r` takes positions `r, r + N, …` of the padded order).
//! Every rank runs the model's own `train_step` in its own thread; inside each
//! backward the wrappers hand their gradients to a [`MeanReducer`], which averages
//! them on the main device and gives every rank the same mean, before accumulation,
//! clipping and the step. So every replica takes the same step and stays identical,
//! and N ranks with batch `b` train as one device with batch `N × b`.
//!
//! burn's collective (`burn::tensor::distributed::all_reduce`) exists only on its CUDA
//! backend (NCCL); on wgpu and the CPU backend it panics. The reduction therefore goes
//! through the main device with `Tensor::to_device`, as burn-train's multi-device
//! strategy does; the devices may be any mix burn can move tensors between.

use std::sync::{Arc, Condvar, Mutex};

use burn::tensor::{Device, Tensor};

use crate::data::loader::Batch;
use crate::model::{DynModel, LossTensors, StepContext};
use crate::optim::reduce::{GradReducer, ParamGrads, RankReducer};
use crate::optim::wrapper_dict::OptimWrapperDict;

#[derive(Debug, Default)]
struct Round {
    deposits: Vec<Option<ParamGrads>>,
    arrived: usize,
    generation: u64,
    result: Option<Arc<ParamGrads>>,
    readers_left: usize,
    aborted: Option<String>,
}

/// Averages the ranks' gradients through the main device (rank 0's).
#[derive(Debug)]
pub struct MeanReducer {
    devices: Vec<Device>,
    round: Mutex<Round>,
    changed: Condvar,
}

impl MeanReducer {
    /// A reducer for one rank per device; `devices[0]` is the main device.
    pub fn new(devices: Vec<Device>) -> Self {
        let world = devices.len();
        Self {
            devices,
            round: Mutex::new(Round {
                deposits: vec![None; world],
                ..Round::default()
            }),
            changed: Condvar::new(),
        }
    }

    /// The number of ranks.
    pub fn world_size(&self) -> usize {
        self.devices.len()
    }

    /// Wakes every waiting rank with `why` (a rank failed): they stop instead of
    /// waiting for it forever.
    pub fn abort(&self, why: &str) {
        let mut round = self.round.lock().unwrap_or_else(|p| p.into_inner());
        round.aborted.get_or_insert_with(|| why.to_string());
        self.changed.notify_all();
    }

    fn mean(&self, deposits: Vec<ParamGrads>) -> ParamGrads {
        let world = deposits.len();
        let main = &self.devices[0];
        let mut ranks = deposits.into_iter();
        let mut sum: ParamGrads = ranks.next().unwrap_or_default();
        for (rank, grads) in ranks.enumerate() {
            assert_eq!(
                grads.len(),
                sum.len(),
                "rank {} reduced {} gradients, rank 0 {}: the replicas differ",
                rank + 1,
                grads.len(),
                sum.len()
            );
            for ((id, acc), (other, g)) in sum.iter_mut().zip(grads) {
                assert_eq!(*id, other, "rank {}: parameters out of order", rank + 1);
                *acc = acc.clone() + g.to_device(main);
            }
        }
        sum.into_iter()
            .map(|(id, g)| (id, g.div_scalar(world as f64)))
            .collect()
    }
}

impl GradReducer for MeanReducer {
    fn all_reduce_mean(&self, rank: usize, grads: ParamGrads) -> ParamGrads {
        let lock = || self.round.lock().unwrap_or_else(|p| p.into_inner());
        let mut round = lock();
        // The last round's mean must be taken by everyone before a new one starts.
        while round.readers_left > 0 && round.aborted.is_none() {
            round = self.changed.wait(round).unwrap_or_else(|p| p.into_inner());
        }
        if let Some(why) = &round.aborted {
            panic!("data-parallel rank {rank} stops: {why}");
        }
        let main = &self.devices[0];
        round.deposits[rank] = Some(
            grads
                .into_iter()
                .map(|(id, g)| (id, g.to_device(main)))
                .collect(),
        );
        round.arrived += 1;
        let generation = round.generation;
        if round.arrived == self.devices.len() {
            let deposits: Vec<ParamGrads> = round
                .deposits
                .iter_mut()
                .map(|d| d.take().unwrap_or_default())
                .collect();
            round.result = Some(Arc::new(self.mean(deposits)));
            round.arrived = 0;
            round.readers_left = self.devices.len();
            round.generation += 1;
            self.changed.notify_all();
        } else {
            while round.generation == generation && round.aborted.is_none() {
                round = self.changed.wait(round).unwrap_or_else(|p| p.into_inner());
            }
        }
        if let Some(why) = &round.aborted {
            panic!("data-parallel rank {rank} stops: {why}");
        }
        let mean = round.result.clone().unwrap_or_default();
        round.readers_left -= 1;
        if round.readers_left == 0 {
            round.result = None;
            self.changed.notify_all();
        }
        drop(round);
        let device = &self.devices[rank];
        mean.iter()
            .map(|(id, g)| (*id, g.clone().to_device(device)))
            .collect()
    }
}

/// Ranks `1..N`: a model copy, its optimizer wrappers and its device.
pub struct Replica {
    /// This rank.
    pub rank: usize,
    /// The model copy (trainable, on `device`).
    pub model: Box<dyn DynModel>,
    /// The optimizer wrappers' copy.
    pub optim_wrapper: OptimWrapperDict,
    /// The rank's device (with autodiff).
    pub device: Device,
}

/// The ranks beyond the first and the reducer they share with it.
pub struct DataParallel {
    /// Ranks `1..N`.
    pub replicas: Vec<Replica>,
    /// The group's reducer (rank 0's wrappers hold it too).
    pub reducer: Arc<MeanReducer>,
}

/// A panic guard: a rank that fails wakes the others.
struct AbortOnPanic<'a>(&'a MeanReducer, usize);

impl Drop for AbortOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.abort(&format!("rank {} failed", self.1));
        }
    }
}

impl DataParallel {
    /// Copies rank 0's model and wrappers to `devices[1..]` (training devices, with
    /// autodiff) and puts every wrapper, rank 0's too, in one reducing group.
    pub fn new(model: &dyn DynModel, optim: &mut OptimWrapperDict, devices: &[Device]) -> Self {
        let reducer = Arc::new(MeanReducer::new(
            devices.iter().map(|d| d.clone().inner()).collect(),
        ));
        let group = |rank| RankReducer {
            rank,
            reducer: reducer.clone() as Arc<dyn GradReducer>,
        };
        optim.set_reducer(Some(&group(0)));
        let replicas = devices
            .iter()
            .enumerate()
            .skip(1)
            .map(|(rank, device)| Replica {
                rank,
                model: model.replica(device),
                optim_wrapper: optim.replica(&device.clone().inner(), &group(rank)),
                device: device.clone(),
            })
            .collect();
        Self { replicas, reducer }
    }

    /// The number of ranks.
    pub fn world_size(&self) -> usize {
        self.replicas.len() + 1
    }

    /// Makes every replica rank 0's copy again (after loading weights or resuming):
    /// parameters, optimizer state, hyper-parameters and counters.
    pub fn broadcast(&mut self, model: &dyn DynModel, optim: &OptimWrapperDict) {
        for r in &mut self.replicas {
            r.model = model.replica(&r.device);
            let reducer = RankReducer {
                rank: r.rank,
                reducer: self.reducer.clone(),
            };
            r.optim_wrapper = optim.replica(&r.device.clone().inner(), &reducer);
        }
    }

    /// One data-parallel iteration: rank 0 trains on `batch` here, every replica on
    /// its own batch (`replica_batches`, each on its device) in its own thread, with
    /// its own random stream. Returns the losses averaged over the ranks, on the main
    /// device (the loss of the global batch).
    pub fn train_step(
        &mut self,
        model: &mut Box<dyn DynModel>,
        optim: &mut OptimWrapperDict,
        batch: &Batch,
        ctx: &mut StepContext,
        replica_batches: Vec<(Batch, StepContext)>,
    ) -> LossTensors {
        let reducer = self.reducer.clone();
        let world = self.world_size();
        let losses = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .replicas
                .iter_mut()
                .zip(replica_batches)
                .map(|(r, (batch, mut ctx))| {
                    r.optim_wrapper.follow(optim);
                    let reducer = reducer.clone();
                    scope.spawn(move || {
                        let _guard = AbortOnPanic(&reducer, r.rank);
                        r.model.train_step(&batch, &mut r.optim_wrapper, &mut ctx)
                    })
                })
                .collect();
            let guard = AbortOnPanic(&reducer, 0);
            let mine = model.train_step(batch, optim, ctx);
            drop(guard);
            let mut all = vec![mine];
            for h in handles {
                match h.join() {
                    Ok(l) => all.push(l),
                    Err(p) => std::panic::resume_unwind(p),
                }
            }
            all
        });
        mean_losses(losses, world)
    }
}

/// Each loss averaged over the ranks, on rank 0's device.
fn mean_losses(per_rank: Vec<LossTensors>, world: usize) -> LossTensors {
    let mut ranks = per_rank.into_iter();
    let mut sum: LossTensors = ranks.next().unwrap_or_default();
    for losses in ranks {
        for ((_, acc), (_, l)) in sum.iter_mut().zip(losses) {
            let main = acc.device();
            *acc = acc.clone() + l.to_device(&main);
        }
    }
    sum.into_iter()
        .map(|(k, t): (String, Tensor<1>)| (k, t.div_scalar(world as f64)))
        .collect()
}
