//! The gpunet command line (being written).

fn main() {}
