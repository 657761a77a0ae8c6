//! The web app's binary (what trunk builds): see the library for everything.

fn main() {
    playground_web::start();
}
