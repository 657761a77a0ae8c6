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

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};

use burn::tensor::{Device, Tensor};

use crate::data::loader::Batch;
use crate::error::{Error as RunError, panic_message};
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

/// How long [`DataParallel::diagnose`] waits for each device.
pub const SYNC_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

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
    /// Every rank's device description (errors name the failing one).
    pub descriptions: Vec<String>,
    /// Every rank's training device, rank 0's first.
    devices: Vec<Device>,
}

/// For a remote rank (`remote ws://HOST:PORT`), why its worker is gone: it no longer
/// accepts TCP connections. `None` for a local device or a worker that answers.
fn worker_gone(description: &str) -> Option<String> {
    use std::net::{TcpStream, ToSocketAddrs};

    let url = description.strip_prefix("remote ")?;
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))?;
    let host_port = rest.split('/').next()?;
    let addr = match host_port.to_socket_addrs() {
        Ok(mut addrs) => addrs.next()?,
        Err(e) => return Some(format!("the worker's address no longer resolves: {e}")),
    };
    match TcpStream::connect_timeout(&addr, SYNC_BOUND) {
        Ok(_) => None,
        Err(e) => Some(format!("the worker no longer accepts connections: {e}")),
    }
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
    /// autodiff; `descriptions` name them) and puts every wrapper, rank 0's too, in
    /// one reducing group.
    pub fn new(
        model: &dyn DynModel,
        optim: &mut OptimWrapperDict,
        devices: &[Device],
        descriptions: Vec<String>,
    ) -> Self {
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
        Self {
            replicas,
            reducer,
            descriptions,
            devices: devices.to_vec(),
        }
    }

    /// After `failure`, finds the rank whose device no longer answers: first a remote
    /// rank whose worker no longer accepts connections (a worker that died also
    /// breaks the sessions of the workers that were fetching from it), then every
    /// device synchronised (each within [`SYNC_BOUND`]); the first that fails is
    /// named. When all answer, `failure` stands.
    pub fn diagnose(&self, failure: RunError) -> RunError {
        for (rank, description) in self.descriptions.iter().enumerate() {
            if let Some(problem) = worker_gone(description) {
                return RunError::RankFailed {
                    rank,
                    device: description.clone(),
                    message: format!("{problem} (after: {failure})"),
                };
            }
        }
        for (rank, device) in self.devices.iter().enumerate() {
            let device = device.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            let probe = std::thread::Builder::new().spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(|| device.sync()));
                let _ = tx.send(outcome);
            });
            let problem = match (probe, rx.recv_timeout(SYNC_BOUND)) {
                (Err(e), _) => Some(format!("could not probe it: {e}")),
                (_, Ok(Ok(Ok(())))) => None,
                (_, Ok(Ok(Err(e)))) => Some(e.to_string()),
                (_, Ok(Err(p))) => Some(panic_message(p.as_ref())),
                (_, Err(_)) => Some(format!("no answer within {} s", SYNC_BOUND.as_secs())),
            };
            if let Some(message) = problem {
                return RunError::RankFailed {
                    rank,
                    device: self.descriptions.get(rank).cloned().unwrap_or_default(),
                    message: format!("{message} (after: {failure})"),
                };
            }
        }
        failure
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
    ///
    /// A rank that fails (a worker that went away, most often) stops every rank: the
    /// error names the first that failed and its device. The group cannot train on
    /// after that; the run's last checkpoint is untouched.
    pub fn train_step(
        &mut self,
        model: &mut Box<dyn DynModel>,
        optim: &mut OptimWrapperDict,
        batch: &Batch,
        ctx: &mut StepContext,
        replica_batches: Vec<(Batch, StepContext)>,
    ) -> Result<LossTensors, RunError> {
        let reducer = self.reducer.clone();
        let world = self.world_size();
        let outcomes: Vec<Result<LossTensors, String>> = std::thread::scope(|scope| {
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
            let mine = catch_unwind(AssertUnwindSafe(|| {
                let _guard = AbortOnPanic(&reducer, 0);
                model.train_step(batch, optim, ctx)
            }));
            std::iter::once(mine)
                .chain(handles.into_iter().map(|h| h.join()))
                .map(|r| r.map_err(|p| panic_message(p.as_ref())))
                .collect()
        });
        let mut failures = outcomes
            .iter()
            .enumerate()
            .filter_map(|(rank, o)| o.as_ref().err().map(|m| (rank, m.clone())))
            .collect::<Vec<_>>();
        // The rank that failed first is the one whose message is not another rank's
        // "stops" note.
        failures.sort_by_key(|(_, m)| m.starts_with("data-parallel rank"));
        if let Some((rank, message)) = failures.into_iter().next() {
            return Err(self.diagnose(RunError::RankFailed {
                rank,
                device: self.descriptions.get(rank).cloned().unwrap_or_default(),
                message,
            }));
        }
        let losses = outcomes.into_iter().flatten().collect();
        catch_unwind(AssertUnwindSafe(|| mean_losses(losses, world))).map_err(|p| {
            RunError::RankFailed {
                rank: 0,
                device: self.descriptions.first().cloned().unwrap_or_default(),
                message: format!("averaging the losses: {}", panic_message(p.as_ref())),
            }
        })
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
