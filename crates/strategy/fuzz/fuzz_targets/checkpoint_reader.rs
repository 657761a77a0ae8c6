//! Any bytes into the checkpoint reader: it must return an error or a checkpoint,
//! never panic, and never allocate more than the input's size suggests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use playground_strategy::checkpoint::Checkpoint;

fuzz_target!(|data: &[u8]| {
    let _ = Checkpoint::from_bytes(data);
});
