//! The web app's training worker module, fetched by the page on first use: see the
//! library's `worker` module.

mod ctors;

fn main() {
    ctors::run_once();
    playground_web::start_trainer();
}
