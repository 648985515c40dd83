//! Prints docs/compute-units.md: `cargo run -p gpunet-tests --bin compute-units > docs/compute-units.md`.

fn main() {
    print!("{}", gpunet_tests::report::markdown());
}
