//! A short description of the machine, for the table's `machine` column.

/// `<CPU model> (<n> cores)`, from `/proc/cpuinfo` where there is one, without the
/// trademark marks.
pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| {
                    v.replace("(R)", "")
                        .replace("(TM)", "")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{model} ({cores} cores)")
}
