//! The web app's page module (what `index.html` loads): see the library.

mod ctors;

fn main() {
    ctors::run_once();
    playground_web::start_page();
}
