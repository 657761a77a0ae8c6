//! The web app's download budget (issue 19): what the first screen fetches, gzipped,
//! is at most 3 MB. Size only, no timings. Run by `cargo xtask test` on trunk's
//! release build (`PLAYGROUND_WEB_DIST`); `web_smoke` checks that the page does not
//! fetch the trainer's module before it is needed.

use std::path::PathBuf;

use playground_tests::bundle::{Bundle, PAGE_BUDGET_MB, gzipped_mb, raw_mb};

#[test]
#[ignore = "needs the web app built by trunk: run through `cargo xtask test`"]
fn the_first_screen_downloads_at_most_three_megabytes_gzipped() {
    let dist = std::env::var_os("PLAYGROUND_WEB_DIST")
        .map(PathBuf::from)
        .expect("PLAYGROUND_WEB_DIST names trunk's output folder (cargo xtask test sets it)");
    let bundle = Bundle::read(&dist).expect("a trunk build of the app");
    let page = gzipped_mb(&bundle.page).expect("page files read");
    let trainer = gzipped_mb(&bundle.trainer).expect("trainer files read");
    eprintln!(
        "web bundle: first screen {page:.2} MB gzipped ({:.2} MB raw: {}), trainer {trainer:.2} MB gzipped ({:.2} MB raw), fetched on first use",
        raw_mb(&bundle.page).expect("sizes"),
        bundle
            .page
            .iter()
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
            .collect::<Vec<_>>()
            .join(", "),
        raw_mb(&bundle.trainer).expect("sizes"),
    );
    assert!(
        page <= PAGE_BUDGET_MB,
        "the first screen downloads {page:.2} MB gzipped, over the {PAGE_BUDGET_MB} MB budget"
    );
}
